"""Shared look of every course figure: palette, figure factory, PNG rendering.

Figures are plain ``matplotlib.figure.Figure`` objects drawn on an Agg canvas,
never through ``pyplot``'s global state, so a slider app can redraw hundreds
of times without leaking figures and the notebooks render the same on any
backend. The background is white on purpose: the figure reads as a card in
both the light and the dark JupyterLab themes.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "CLASS_COLORS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "new_figure",
    "to_png",
    "freeze_layout",
    "register_notebook_display",
]

#: Okabe & Ito's colour-blind-safe palette (2008), in the order we use it.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Colours for class labels 0, 1, 2, ... (scatter plots, decision regions).
CLASS_COLORS = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "sky", "vermillion")]
#: Colour maps that stay readable for colour-blind readers.
CMAP_DIVERGING = "RdBu_r"
CMAP_SEQUENTIAL = "viridis"


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.0, dpi: int = 80, **kw
):
    """A white ``Figure`` with an Agg canvas and a grid of axes.

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes (as ``Figure.subplots`` returns them)
    """
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=kw.pop("squeeze", True), **kw)
    for ax in fig.axes:
        ax.grid(True, alpha=0.3)
    return fig, axes


def to_png(fig: Figure, dpi: int | None = None) -> bytes:
    """Render a figure to PNG bytes (what a slider app sends to the browser)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()


def freeze_layout(fig: Figure) -> None:
    """Lay a figure out once, then keep that layout for every later redraw.

    Constrained layout is solved again on every render, which costs a slider
    app more than the drawing itself. Apps call this at the end of
    ``make_figure`` (with titles and labels at their longest). The engine is
    set to ``None``, not ``"none"``: the latter keeps a placeholder engine that
    makes ``savefig`` draw the figure twice.
    """
    fig.canvas.draw()
    fig.set_layout_engine(None)


def register_notebook_display() -> bool:
    """Let Jupyter show our ``Figure`` objects as PNG, without pyplot.

    Figures made by :func:`new_figure` never pass through pyplot, so IPython
    only knows them as ``<Figure size ...>`` text unless the inline backend
    happened to be activated. Registering a PNG formatter for ``Figure`` makes
    ``plots.some_figure(...)`` as the last line of a cell show the picture.
    Called when ``nnlib.plots`` is imported; returns False outside IPython.
    """
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: to_png(fig))
    return True
