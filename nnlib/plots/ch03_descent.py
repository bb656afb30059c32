"""Figures of chapter 3 (gradient descent).

The quadratic bowl and the line fit of the chapter, drawn whole: the runs come
from ``nnlib.experiments.descent`` (``quadratic_descent``, ``line_gd_path``,
``minibatch_gradients``, ...); the ``*_figure`` functions return a matplotlib
``Figure``, and the ``*_axes`` helpers set up axes the chapter's apps reuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..experiments.descent import (
    LOSS_FLOOR,
    DescentRun,
    line_gd_path,
    line_loss_grid,
    line_minimum,
    minibatch_gradients,
    quadratic_descent,
)
from ._style import CMAP_SEQUENTIAL, PALETTE, TEXT_COLORS, new_figure
from .common import loss_curve

__all__ = [
    "clip_path",
    "curve_axes",
    "bowl_axes",
    "line_contours",
    "update_step_figure",
    "lr_regimes_figure",
    "lr_loss_curves_figure",
    "bowl_regimes_figure",
    "minibatch_gradients_figure",
    "batch_cost_figure",
    "sgd_paths_figure",
    "early_stopping_figure",
]

#: Colours of the four learning-rate regimes (too small, good, too large, divergent).
REGIME_COLORS = [PALETTE[k] for k in ("green", "blue", "orange", "vermillion")]


# ============================================================================ quadratic bowl


def clip_path(path: np.ndarray, lo: Sequence[float], hi: Sequence[float]) -> np.ndarray:
    """The part of ``path`` worth drawing inside the box ``[lo, hi]``.

    Keeps the rows up to and including the first one that leaves the box, and
    clips that one onto the box edge (a diverging path ends at the border
    instead of stretching the axes).

    Parameters
    ----------
    path : ndarray, shape (T, D)
    lo, hi : sequences of D floats

    Returns
    -------
    ndarray, shape (T', D) with T' <= T
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    outside = np.any((path < lo) | (path > hi) | ~np.isfinite(path), axis=1)
    if outside.any():
        path = path[: int(np.argmax(outside)) + 1]
    return np.clip(np.nan_to_num(path, nan=0.0), lo, hi)


# ============================================================================ line fitting


# ============================================================================ figures
def _half(curvature: float) -> str:
    """``"0.5 "`` for ``a = 1``, ``""`` for ``a = 2``: the coefficient of ``w²`` in ``a/2 w²``."""
    c = float(curvature) / 2
    return "" if c == 1 else f"{c:g} "


def curve_axes(ax, curvature: float, lim: float) -> None:
    w = np.linspace(-lim, lim, 301)
    ax.plot(w, 0.5 * curvature * w * w, color=PALETTE["black"], lw=1.5, zorder=1)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.08 * curvature * lim * lim, 0.55 * curvature * lim * lim)
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss L(w)")


def _draw_curve_path(ax, run: DescentRun, curvature: float, lim: float, color: str) -> None:
    w = clip_path(run.path, [-lim], [lim])[:, 0]
    ax.plot(w, 0.5 * curvature * w * w, "-o", color=color, ms=4, lw=1, zorder=2)
    ax.plot(w[:1], 0.5 * curvature * w[:1] ** 2, "s", color=PALETTE["black"], ms=6, zorder=3)


def update_step_figure(curvature: float = 2.0, w: float = 2.0, lr: float = 0.3) -> Figure:
    """One update ``new_w = w - lr * grad`` drawn on the curve ``L(w) = 0.5 * a * w**2``.

    Shows the point, the tangent whose slope is the gradient, and the step
    along the weight axis.
    """
    fig, ax = new_figure(width=6.4, height=4.0)
    lim = 1.5 * abs(w) + 0.5
    curve_axes(ax, curvature, lim)
    grad = curvature * w
    new_w = w - lr * grad
    L = 0.5 * curvature * w * w
    new_L = 0.5 * curvature * new_w * new_w
    span = np.array([w - 0.6, w + 0.6])
    ax.plot(
        span,
        L + grad * (span - w),
        "--",
        color=PALETTE["orange"],
        label=f"tangent: slope = gradient = {grad:.2f}",
    )
    ax.plot([w], [L], "o", color=PALETTE["blue"], ms=8, label=f"w = {w:.2f}, L = {L:.2f}")
    ax.plot(
        [new_w],
        [new_L],
        "o",
        color=PALETTE["green"],
        ms=8,
        label=f"new w = {new_w:.2f}, L = {new_L:.2f}",
    )
    ax.annotate(
        "",
        xy=(new_w, 0),
        xytext=(w, 0),
        arrowprops={"arrowstyle": "->", "color": PALETTE["vermillion"], "lw": 2},
    )
    ax.text(
        (w + new_w) / 2,
        -0.02 * ax.get_ylim()[1],
        f"step = -lr * grad = {-lr * grad:.2f}",
        ha="center",
        va="top",
        color=TEXT_COLORS["vermillion"],
    )
    for x0, y0 in ((w, L), (new_w, new_L)):
        ax.plot([x0, x0], [0, y0], ":", color="gray", lw=1)
    ax.legend(loc="upper center", fontsize=8)
    ax.set_title(f"One gradient descent step with lr = {lr:g} on L(w) = {_half(curvature)}w²")
    return fig


def lr_regimes_figure(
    lrs: Sequence[float] = (0.02, 0.4, 0.9, 1.1),
    curvature: float = 2.0,
    w0: float = 2.5,
    steps: int = 20,
    names: Sequence[str] = ("too small", "good", "too large", "divergent"),
) -> Figure:
    """Gradient descent on the 1-D curve ``0.5 * a * w**2``, one panel per learning rate."""
    fig, axes = new_figure(1, len(lrs), width=3.1 * len(lrs), height=3.3, squeeze=False)
    lim = abs(w0) * 1.8
    for i, (ax, lr) in enumerate(zip(axes[0], lrs, strict=True)):
        name = names[i] if i < len(names) else ""
        color = REGIME_COLORS[i % len(REGIME_COLORS)]
        run = quadratic_descent(lr, curvature, w0, steps)
        curve_axes(ax, curvature, lim)
        _draw_curve_path(ax, run, curvature, lim, color)
        end = (
            "diverged"
            if run.diverged or abs(run.path[-1, 0]) > lim
            else (f"w = {run.path[-1, 0]:.2g} after {steps}")
        )
        ax.set_title(f"lr = {lr:g}" + (f" ({name})" if name else "") + f"\n{end}", fontsize=10)
    fig.suptitle(
        f"Learning rate on L(w) = {_half(curvature)}w²: diverges when lr > 2/a = {2 / curvature:g}"
    )
    return fig


def _loss_panel(
    ax, runs: Sequence[DescentRun], labels: Sequence[str], colors: Sequence[str], max_loss: float
) -> None:
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        color = colors[i % len(colors)]
        loss = np.clip(run.loss, LOSS_FLOOR, max_loss)
        ax.semilogy(np.arange(len(loss)), loss, "-o", ms=3, color=color, label=label)
        if run.diverged:
            ax.plot([len(loss) - 1], [loss[-1]], "X", color=color, ms=10)
    ax.set_ylim(LOSS_FLOOR / 3, max_loss * 3)
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (log scale, floor {LOSS_FLOOR:g})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def lr_loss_curves_figure(
    lrs: Sequence[float] = (0.02, 0.4, 0.9, 1.1),
    curvature: float | Sequence[float] = 2.0,
    w0: float | Sequence[float] = 2.5,
    steps: int = 40,
    max_loss: float = 1e4,
) -> Figure:
    """Loss against step (log scale) for several learning rates on a quadratic bowl.

    A diverging run is cut where its loss passes ``max_loss`` and marked with an X.
    """
    fig, ax = new_figure(width=7.6, height=4.0)
    runs = [quadratic_descent(lr, curvature, w0, steps, max_loss) for lr in lrs]
    labels = [
        f"lr = {lr:g}" + (" (diverged)" if r.diverged else "")
        for lr, r in zip(lrs, runs, strict=True)
    ]
    _loss_panel(ax, runs, labels, REGIME_COLORS, max_loss)
    a = np.atleast_1d(curvature)
    what = f"L(w) = {_half(a[0])}w²" if a.size == 1 else "the elongated bowl"
    ax.set_title(f"Loss per step on {what} (limit 2 / max a = {2 / a.max():g})")
    return fig


def bowl_axes(ax, curvature: Sequence[float], lim: float) -> None:
    g = np.linspace(-lim, lim, 121)
    W1, W2 = np.meshgrid(g, g)
    Z = 0.5 * (curvature[0] * W1**2 + curvature[1] * W2**2)
    levels = np.geomspace(Z.max() * 1e-3, Z.max(), 10)
    ax.contour(W1, W2, Z, levels=levels, cmap=CMAP_SEQUENTIAL, linewidths=0.8)
    ax.plot([0], [0], "*", color=PALETTE["black"], ms=10)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel(f"w1 (steep, a = {curvature[0]:g})")
    ax.set_ylabel(f"w2 (flat, a = {curvature[1]:g})")


def bowl_regimes_figure(
    lrs: Sequence[float] = (0.02, 0.4, 0.9, 1.1),
    curvature: Sequence[float] = (2.0, 0.2),
    w0: Sequence[float] = (-2.5, 2.5),
    steps: int = 30,
    names: Sequence[str] = ("crawls", "slow along w2", "zig-zags, yet fastest", "divergent"),
) -> Figure:
    """Gradient descent paths on an elongated 2-D bowl, one panel per learning rate."""
    fig, axes = new_figure(1, len(lrs), width=3.1 * len(lrs), height=3.8, squeeze=False)
    lim = 1.6 * max(abs(v) for v in w0)
    for i, (ax, lr) in enumerate(zip(axes[0], lrs, strict=True)):
        name = names[i] if i < len(names) else ""
        color = REGIME_COLORS[i % len(REGIME_COLORS)]
        run = quadratic_descent(lr, curvature, w0, steps)
        bowl_axes(ax, curvature, lim)
        p = clip_path(run.path, [-lim, -lim], [lim, lim])
        ax.plot(p[:, 0], p[:, 1], "-o", color=color, ms=3, lw=1)
        ax.plot(p[:1, 0], p[:1, 1], "s", color=PALETTE["black"], ms=6)
        end = (
            "diverged"
            if run.diverged or len(p) < len(run.path)
            else (f"loss {run.loss[-1]:.1e} after {steps}")
        )
        ax.set_title(f"lr = {lr:g}" + (f" ({name})" if name else "") + f"\n{end}", fontsize=10)
    fig.suptitle(f"The same learning rates on an elongated bowl, a = {tuple(curvature)}")
    return fig


def minibatch_gradients_figure(
    X: np.ndarray,
    y: np.ndarray,
    at: Sequence[float] = (0.0, 0.0),
    batch_sizes: Sequence[int] = (1, 10, 50),
    draws: int = 300,
    rng: int = 0,
) -> Figure:
    """Clouds of mini-batch gradient estimates around the full-batch gradient."""
    fig, ax = new_figure(width=6.4, height=4.4)
    colors = [PALETTE[k] for k in ("orange", "sky", "blue", "green", "purple")]
    for i, B in enumerate(batch_sizes):
        color = colors[i % len(colors)]
        g = minibatch_gradients(X, y, at, B, draws, rng)
        ax.scatter(g[:, 0], g[:, 1], s=8, alpha=0.5, color=color, label=f"batch of {B}")
    full = minibatch_gradients(X, y, at, len(X), 1, rng)[0]
    ax.plot([full[0]], [full[1]], "*", color=PALETTE["black"], ms=14, label="full batch")
    ax.set_xlabel("dL / d slope")
    ax.set_ylabel("dL / d intercept")
    ax.set_title(f"Gradient at (slope, intercept) = {tuple(at)}: {draws} random batches each")
    ax.legend(fontsize=8)
    return fig


def batch_cost_figure(
    histories: Mapping[Any, Any], key: str = "val_loss", ylabel: str | None = None
) -> Figure:
    """Loss against epochs (examples seen) and against updates, one line per run.

    Parameters
    ----------
    histories : mapping label -> History
        Runs of ``nnlib.fit``; ``History.params["steps_per_epoch"]`` converts
        epochs into updates.
    key : str
        Which recorded loss to draw (``"val_loss"`` is measured on the whole
        validation set after each epoch, so it is comparable across runs).
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=10.5, height=3.8)
    colors = [PALETTE[k] for k in ("blue", "sky", "orange", "vermillion", "purple")]
    for i, (label, h) in enumerate(histories.items()):
        color = colors[i % len(colors)]
        epochs = np.asarray(h.epoch)
        loss = np.asarray(h.history[key])
        updates = epochs * h.params["steps_per_epoch"]
        loss_curve(ax1, h, keys=[key], label=str(label), color=color, logy=True, marker="o", ms=3)
        ax2.loglog(updates, loss, "-o", ms=3, color=color, label=str(label))
    ax1.set_xlabel("epoch (= N examples seen)")
    ax2.set_xlabel("updates (log scale)")
    for ax in (ax1, ax2):
        ax.set_ylabel(ylabel or f"{key} (log scale)")
        ax.legend(fontsize=8)
    ax1.set_title("Same data seen: loss per epoch")
    ax2.set_title("Loss per update (each run makes a different number)")
    return fig


def line_contours(ax, X, y, slope_lim, intercept_lim) -> tuple[float, float, float]:
    s_opt, c_opt, l_opt = line_minimum(X, y)
    S, C = np.meshgrid(np.linspace(*slope_lim, 121), np.linspace(*intercept_lim, 121))
    Z = line_loss_grid(X, y, S, C) - l_opt
    ax.contour(
        S, C, Z, levels=np.geomspace(1e-3, Z.max(), 12), cmap=CMAP_SEQUENTIAL, linewidths=0.8
    )
    ax.plot([s_opt], [c_opt], "*", color=PALETTE["black"], ms=12, zorder=4)
    ax.set_xlim(*slope_lim)
    ax.set_ylim(*intercept_lim)
    ax.set_xlabel("slope")
    ax.set_ylabel("intercept")
    return s_opt, c_opt, l_opt


def sgd_paths_figure(
    X: np.ndarray,
    y: np.ndarray,
    batch_sizes: Sequence[int] = (100, 10, 1),
    lr: float = 0.1,
    steps: int = 100,
    start: Sequence[float] = (-1.0, -1.0),
    rng: int = 0,
) -> Figure:
    """Paths of (mini-)batch gradient descent in (slope, intercept) space over the loss contours."""
    fig, ax = new_figure(width=6.4, height=4.6)
    line_contours(ax, X, y, (-1.5, 3.5), (-1.5, 2.5))
    colors = [PALETTE[k] for k in ("blue", "sky", "orange", "vermillion", "purple")]
    for i, B in enumerate(batch_sizes):
        color = colors[i % len(colors)]
        path, _ = line_gd_path(X, y, B, lr, steps, start, rng)
        label = f"full batch ({len(X)})" if B >= len(X) else f"batch of {B}"
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.2, label=label)
    ax.plot([start[0]], [start[1]], "s", color=PALETTE["black"], ms=7, label="start")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"{steps} updates with lr = {lr:g}: smaller batches wander")
    return fig


def early_stopping_figure(history: Any, stop_epoch: int, best_epoch: int) -> Figure:
    """Training and validation loss per epoch, with where early stopping stopped."""
    fig, ax = new_figure(width=7.0, height=4.0)
    epochs = np.asarray(history.epoch)
    loss_curve(ax, history, keys=["loss", "val_loss"], logy=True)
    ax.axvline(best_epoch, color=PALETTE["green"], ls="--", label=f"best epoch ({best_epoch})")
    ax.axvline(
        stop_epoch,
        color=PALETTE["vermillion"],
        ls=":",
        label=f"early stopping stops ({stop_epoch})",
    )
    ax.axvspan(stop_epoch, epochs[-1], color="gray", alpha=0.15)
    ax.set_ylabel("loss (log scale)")
    ax.set_title("Validation loss stops improving: stop (the grey epochs are not needed)")
    ax.legend(fontsize=8)
    return fig
