"""What an app's figure shows, read through matplotlib's public API.

Tests check an app by its public ``result`` and by what its public ``fig``
shows (titles, texts, lines and their labels), never by the app's private
artist attributes, so a redesign of the drawing code does not break them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D


def texts(fig: Figure) -> list[str]:
    """Every visible, non-empty text of the figure: titles, annotations, legend entries."""
    found = [t.get_text() for t in fig.texts if t.get_visible()]
    for ax in fig.axes:
        found += [ax.get_title()] + [t.get_text() for t in ax.texts if t.get_visible()]
        legend = ax.get_legend()
        if legend is not None:
            found += [t.get_text() for t in legend.get_texts()]
    return [t for t in found if t]


def drawn_lines(ax: Axes, marker: str | None = None) -> list[Line2D]:
    """The visible lines of ``ax`` that hold data (optionally only those with ``marker``)."""
    return [
        line
        for line in ax.get_lines()
        if line.get_visible() and len(line.get_xdata()) > 0
        and (marker is None or line.get_marker() == marker)
    ]  # fmt: skip


def line(ax: Axes, label: str) -> Line2D:
    """The line of ``ax`` with this legend label (exactly one must exist)."""
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, f"{len(found)} lines labelled {label!r} in {ax.get_title()!r}"
    return found[0]


def all_xy(ax: Axes) -> np.ndarray:
    """Every drawn point of ``ax``'s lines, stacked: shape (P, 2)."""
    points = [np.column_stack([ln.get_xdata(), ln.get_ydata()]) for ln in drawn_lines(ax)]
    return np.concatenate(points) if points else np.zeros((0, 2))
