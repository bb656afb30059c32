"""Figures of chapter 4 (activation functions).

The curves, vanishing zones and dead-unit counts they draw come from
``nnlib.experiments.nonlinearity``; the decision panels take trained models.
The ``*_figure`` functions return a matplotlib ``Figure``. Arrays are
batch-first: ``X`` is ``(N, D)``, one example a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..experiments.nonlinearity import (
    activation_curves,
    describe_intervals,
    vanishing_intervals,
    vanishing_mask,
)
from ..module import Module
from ..training import accuracy, predict
from ._style import PALETTE, new_figure
from .common import plot_decision_boundary

__all__ = [
    "activation_grid_figure",
    "gradient_decay_figure",
    "decision_panels_figure",
    "dead_units_figure",
    "softmax_scaling_figure",
]

#: Readable names for titles and legends.
DISPLAY_NAMES = {
    "identity": "identity (no activation)",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU (slope 0.01)",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU (Swish)",
}
#: Colour of the zone where the derivative is (almost) zero.
VANISH_COLOR = "0.55"
_FUNC_COLOR = PALETTE["blue"]
_GRAD_COLOR = PALETTE["vermillion"]


# ============================================================================ curves


# ============================================================================ networks


# ============================================================================ figures
def _label(name: str) -> str:
    return DISPLAY_NAMES.get(name, name)


def _shade(ax, z: np.ndarray, mask: np.ndarray, label: str | None = None):
    """Grey band over the full height of ``ax`` where ``mask`` is True."""
    return ax.fill_between(
        z, 0, 1, where=mask, transform=ax.get_xaxis_transform(), color=VANISH_COLOR,
        alpha=0.3, linewidth=0, label=label, step="mid",
    )  # fmt: skip


def activation_grid_figure(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    z_range: tuple[float, float] = (-6.0, 6.0),
    threshold: float = 0.01,
    ncols: int = 2,
    n_points: int = 1201,
    title: str | None = None,
) -> Figure:
    """One panel per activation: f(z) solid, f'(z) dashed, grey where ``|f'(z)| < threshold``.

    Parameters
    ----------
    names : sequence of str
        Activations from :data:`ACTIVATION_NAMES`.
    z_range : (float, float)
        The pre-activation values shown.
    threshold : float
        Derivatives smaller than this (in absolute value) are shaded.
    ncols : int
        Panels per row.
    n_points : int
        Grid size along ``z``.
    title : str, optional
        Figure title (a default explains the colours).

    Returns
    -------
    Figure
        Each panel's title names the activation and where its gradient vanishes.
    """
    names = list(names)
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6 * ncols, height=2.9 * nrows + 0.5, squeeze=False)
    z = np.linspace(*z_range, n_points)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(names):
            ax.set_visible(False)
            continue
        name = names[k]
        f, df = activation_curves(name, z)
        mask = vanishing_mask(df, threshold)
        where = describe_intervals(vanishing_intervals(z, mask), *z_range)
        _shade(ax, z, mask, label=f"|f'(z)| < {threshold:g}")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.plot(z, f, color=_FUNC_COLOR, lw=2.2, label="f(z)")
        ax.plot(z, df, color=_GRAD_COLOR, lw=2.0, ls="--", label="f'(z)")
        ax.set_xlim(*z_range)
        ax.set_title(f"{_label(name)}\nvanishing: {where}", fontsize=10)
        ax.set_xlabel("pre-activation z")
        ax.set_ylabel("f(z) and f'(z)")
        if k == 0:
            ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.suptitle(
        title
        or f"Activations (solid), derivatives (dashed); grey: |f'(z)| < {threshold:g}, "
        "almost no gradient passes",
        fontsize=11,
    )
    return fig


def gradient_decay_figure(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    z_max: float = 10.0,
    threshold: float = 0.01,
    floor: float = 1e-10,
) -> Figure:
    """``|f'(z)|`` on a logarithmic axis: how fast each derivative falls away from 0.

    Exact zeros (ReLU for ``z < 0``) cannot be drawn on a log axis; they are
    drawn at ``floor``, the bottom of the plot.

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=7.0, height=4.0)
    z = np.linspace(-z_max, z_max, 2001)
    colors = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "vermillion", "sky")]
    for k, name in enumerate(names):
        _, df = activation_curves(name, z)
        ax.plot(z, np.maximum(np.abs(df), floor), color=colors[k % len(colors)], lw=2.2,
                label=_label(name), ls=("-", "--", "-.", ":")[k % 4])  # fmt: skip
    ax.axhline(threshold, color="0.45", lw=0.9)
    ax.text(-z_max * 0.98, threshold * 0.25, f"threshold {threshold:g}", fontsize=8, color="0.3")
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 300)
    ax.set_xlim(-z_max, z_max)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("|f'(z)|  (log scale; 0 drawn at the bottom)")
    ax.set_title("How much of the gradient one activation lets through")
    ax.legend(loc="upper center", fontsize=8, ncol=4, framealpha=0.9)
    return fig


def _model_accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    out = predict(model, X) if isinstance(model, Module) else np.asarray(model(X))
    return accuracy(out, y, from_logits=True)


def decision_panels_figure(
    panels: Sequence[tuple[str, Any, np.ndarray, np.ndarray]],
    title: str | None = None,
    ncols: int | None = None,
    resolution: int = 120,
) -> Figure:
    """Decision regions of several classifiers side by side, each titled with its accuracy.

    Parameters
    ----------
    panels : sequence of (title, model, X, y)
        ``model`` maps ``(M, 2)`` points to logits: one column (binary) or
        ``C`` columns; ``X`` is ``(N, 2)``, ``y`` is ``(N,)`` int labels.
    title : str, optional
        Figure title.
    ncols : int, optional
        Panels per row (default: all in one row).
    resolution : int
        Grid points per axis of the shading.

    Returns
    -------
    Figure
    """
    n = len(panels)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows, ncols, width=3.7 * ncols, height=3.5 * nrows + 0.3, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        name, model, X, y = panels[k]
        acc = _model_accuracy(model, X, y)
        plot_decision_boundary(
            model, X, y, from_logits=True, resolution=resolution, ax=ax,
            title=f"{name}\ntraining accuracy {acc:.1%}",
        )  # fmt: skip
        ax.title.set_fontsize(10)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        if k == 0:
            ax.legend(loc="best", fontsize=8, framealpha=0.9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def dead_units_figure(
    counts: Mapping[str, ArrayLike],
    n_units: int,
    title: str = "Dead hidden units during training",
) -> Figure:
    """Number of dead hidden units after each epoch (epoch 0 = before training), one line per run.

    Parameters
    ----------
    counts : mapping of label -> array of shape (epochs + 1,)
        For example ``{"ReLU": counter.counts[:, 0], ...}``.
    n_units : int
        Units in the layer (the top of the y axis).

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=6.4, height=3.8)
    colors = [PALETTE[k] for k in ("vermillion", "blue", "green", "orange", "purple")]
    for k, (label, values) in enumerate(counts.items()):
        v = np.asarray(values, dtype=float).ravel()
        ax.step(np.arange(len(v)), v, where="post", color=colors[k % len(colors)], lw=2.2,
                label=f"{label}: {v[0]:.0f} at the start, {v[-1]:.0f} at the end")  # fmt: skip
    ax.set_ylim(-0.5, n_units + 0.5)
    ax.axhline(n_units, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("epoch (0 = before training)")
    ax.set_ylabel(f"dead units (of {n_units})")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    return fig


def softmax_scaling_figure(
    logits: ArrayLike = (2.0, 1.0, 0.1),
    temperatures: Sequence[float] = (0.5, 1.0, 2.0, 5.0),
    softmax_fn: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Figure:
    """Bars of ``softmax(z / T)`` for a few temperatures ``T``: small T sharpens, large T flattens.

    Parameters
    ----------
    logits : array_like, shape (C,)
    temperatures : sequence of float > 0
    softmax_fn : callable, optional
        Defaults to ``nnlib.activations.softmax``.

    Returns
    -------
    Figure
    """
    from ..activations import softmax

    softmax_fn = softmax_fn or softmax
    z = np.asarray(logits, dtype=float).ravel()
    C, n = len(z), len(temperatures)
    fig, ax = new_figure(width=6.4, height=3.8)
    width = 0.8 / n
    colors = [PALETTE[k] for k in ("sky", "blue", "orange", "vermillion", "green", "purple")]
    for k, T in enumerate(temperatures):
        p = softmax_fn(z / T)
        xs = np.arange(C) - 0.4 + width * (k + 0.5)
        ax.bar(xs, p, width=width * 0.95, color=colors[k % len(colors)],
               label=f"T = {T:g} (largest {p.max():.2f})")  # fmt: skip
    ax.axhline(1.0 / C, color="0.3", lw=1, ls=":", label=f"uniform 1/{C}")
    ax.set_xticks(np.arange(C), [f"class {k}\nz = {v:g}" for k, v in enumerate(z)])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class (with its logit z)")
    ax.set_ylabel("probability softmax(z / T)")
    ax.set_title("Softmax turns logits into probabilities; dividing by T rescales them")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig
