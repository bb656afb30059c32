"""Figures of chapter 7 (vanishing and exploding gradients).

They draw what ``nnlib.experiments.gradient_flow`` computes: per-layer gradient
norms of deep networks at initialization, and the training runs of the
exploding sine fit with and without clipping. The ``*_figure`` functions
return a matplotlib ``Figure``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..experiments.gradient_flow import sine_data
from ..layers import Sequential
from ..training import History, predict
from ._style import PALETTE, new_figure, text_color
from .common import loss_curve

__all__ = [
    "RUN_COLORS",
    "log_limits",
    "grad_norms_figure",
    "clipping_runs_figure",
    "sine_fits_figure",
]

#: One colour per run in the figures (no clipping, by norm, by value, other).
RUN_COLORS = [PALETTE[k] for k in ("vermillion", "blue", "green", "black", "purple", "orange")]


# ============================================================================ exploding run


# ============================================================================ figures
def log_limits(values: np.ndarray, min_decades: float = 3.0) -> tuple[float, float]:
    """Log-axis limits on whole decades around the finite positive ``values``."""
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return 1e-3, 1.0
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    if hi - lo < min_decades:
        pad = (min_decades - (hi - lo)) / 2
        lo, hi = math.floor(lo - pad), math.ceil(hi + pad)
    return 10.0**lo, 10.0**hi


def grad_norms_figure(
    runs: Mapping[str, Sequence[float]],
    guide: float | None = None,
    title: str = "Gradient norm of every layer, one backward pass",
) -> Figure:
    """``||dL/dW||`` per layer for several networks, on a log axis (one line per network).

    Parameters
    ----------
    runs : mapping of str -> sequence of float
        Label -> the norms of :func:`layer_grad_norms` (input side first).
    guide : float, optional
        Draw a dashed line that starts at the first run's output layer and is
        multiplied by ``guide`` per layer towards the input (e.g. 0.25, the
        sigmoid's largest slope).
    title : str

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=7.2, height=4.2)
    everything = []
    for k, (label, norms) in enumerate(runs.items()):
        g = np.asarray(norms, dtype=float)
        layers = np.arange(1, len(g) + 1)
        ax.plot(layers, g, "-o", color=RUN_COLORS[(k + 1) % len(RUN_COLORS)], lw=2, ms=6,
                label=label)  # fmt: skip
        everything.append(g)
    if guide is not None and runs:
        g = np.asarray(next(iter(runs.values())), dtype=float)
        L = len(g)
        layers = np.arange(1, L + 1)
        ax.plot(layers, g[-1] * float(guide) ** (L - layers), "--", color="0.35", lw=1.2,
                label=f"× {guide:g} per layer (from the output layer)")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(*log_limits(np.concatenate(everything)))
    ax.set_xticks(np.arange(1, max(len(g) for g in everything) + 1))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("||dL/dW||  (log scale)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def clipping_runs_figure(
    runs: Mapping[str, History],
    loss_limits: tuple[float, float] = (5e-3, 1e4),
    norm_limits: tuple[float, float] = (1e-2, 1e6),
    clip_norm: float | None = None,
) -> Figure:
    """Loss and gradient norm (before clipping) per epoch for several runs of ``fit``.

    A run that diverged is drawn up to the edge of the axes and marked with
    an × at the top, at the epoch where ``fit`` stopped.

    Parameters
    ----------
    runs : mapping of str -> History
        Label -> what ``nnlib.fit`` returned.
    loss_limits, norm_limits : (float, float)
        The log axes' ranges (the diverged values run off the top).
    clip_norm : float, optional
        Draw this threshold as a dashed line on the gradient-norm panel.

    Returns
    -------
    Figure
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.5, height=4.2)
    for k, (label, h) in enumerate(runs.items()):
        color = RUN_COLORS[k % len(RUN_COLORS)]
        with np.errstate(over="ignore", invalid="ignore"):
            loss_curve(ax1, h.loss, label=label, color=color, logy=True)
            loss_curve(ax2, h.grad_norm, label=label, color=color, logy=True,
                       ylabel="global gradient norm, before clipping")  # fmt: skip
        if h.stopped_early and h.stop_reason and "diverged" in h.stop_reason:
            stop = len(h.epoch)
            for ax, top in ((ax1, loss_limits[1]), (ax2, norm_limits[1])):
                ax.plot([stop], [top], "X", color=color, ms=12, clip_on=False, zorder=5)
            ax1.annotate(f"{label}: stopped at epoch {stop}", (stop, loss_limits[1]),
                         xytext=(8, -14), textcoords="offset points", color=text_color(color),
                         fontsize=9)  # fmt: skip
    if clip_norm is not None:
        ax2.axhline(clip_norm, color="0.35", ls="--", lw=1.2, label=f"threshold {clip_norm:g}")
    ax1.set_ylim(*loss_limits)
    ax2.set_ylim(*norm_limits)
    ax1.set_ylabel("training loss (MSE, log scale)")
    ax1.set_title("Loss per epoch")
    ax2.set_title("Gradient norm per epoch (what clipping sees)")
    for ax in (ax1, ax2):
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def sine_fits_figure(
    models: Mapping[str, Sequential],
    data: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "What the networks learned",
) -> Figure:
    """The sine-wave data and the curve each trained network draws through it.

    Parameters
    ----------
    models : mapping of str -> Sequential
        Label -> a network with one input and one output (e.g. from :func:`sine_run`).
    data : (X, y), optional
        Default: the chapter's ``make_sine(200, noise=0.1, rng=0)``.

    Returns
    -------
    Figure
    """
    X, y = data if data is not None else sine_data()
    fig, ax = new_figure(width=6.4, height=4.0)
    ax.scatter(X[:, 0], y[:, 0], s=12, color="0.6", label="data")
    grid = np.linspace(X.min(), X.max(), 300).reshape(-1, 1)  # (300, 1)
    ax.plot(grid[:, 0], np.sin(grid[:, 0]), ":", color="black", lw=1.5, label="sin(x)")
    for k, (label, model) in enumerate(models.items()):
        ax.plot(grid[:, 0], predict(model, grid)[:, 0], color=RUN_COLORS[(k + 1) % len(RUN_COLORS)],
                lw=2.2, label=label)  # fmt: skip
    ax.set_ylim(-1.8, 1.8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return fig
