"""Figures of the regularization chapter. They take results and draw; they never train.

The runs come from :mod:`nnlib.experiments.regularization` (``train_run`` and
friends); every function here returns a titled ``Figure`` with labelled axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..experiments.decision import grid_points
from ..experiments.regularization import RunResult, Task, probabilities
from ._style import PALETTE, new_figure
from .common import scatter_classes, show_grid

__all__ = [
    "draw_boundary",
    "overfitting_figure",
    "boundaries_figure",
    "curves_figure",
    "strength_sweep_figure",
    "weight_sizes_figure",
    "decay_figure",
    "stopping_point_figure",
    "data_size_figure",
]

#: One colour per run, in order (Okabe & Ito).
RUN_COLORS = [
    PALETTE[k] for k in ("black", "blue", "orange", "green", "purple", "vermillion", "sky")
]
TRAIN_COLOR, VAL_COLOR = PALETTE["blue"], PALETTE["vermillion"]


def draw_boundary(ax, model: Any, task: Task, resolution: int = 70) -> None:
    """Shade ``P(class 1)`` of ``model`` over the plane; its 0.5 line; the training points."""
    xx, yy, pts = grid_points(task.X_val, resolution, margin=0.3)
    p = probabilities(model, pts).reshape(xx.shape)  # (R, R)
    show_grid(ax, xx, yy, p, alpha=0.55)
    if p.min() < 0.5 < p.max():
        ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.3)
    scatter_classes(ax, task.X_train, task.y_train, n_classes=2, s=26)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def _loss_panel(ax, curves: Mapping[str, np.ndarray], title: str, legend: bool = True) -> None:
    step = curves["step"]
    ax.plot(step, curves["train_loss"], color=TRAIN_COLOR, lw=2, label="training loss")
    ax.plot(step, curves["val_loss"], color=VAL_COLOR, lw=2, label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(frameon=False, fontsize=8)


def overfitting_figure(result: RunResult, task: Task) -> Figure:
    """Left: the decision boundary over the training points; right: training vs validation loss."""
    fig, (ax, ax_loss) = new_figure(1, 2, width=10.0, height=4.2)
    draw_boundary(ax, result.model, task)
    ax.set_title(f"{task.n_train} training points: train {result.train_accuracy:.0%}, "
                 f"validation {result.val_accuracy:.1%}", fontsize=10)  # fmt: skip
    ax.legend(loc="upper right", fontsize=8)
    c = result.curves
    _loss_panel(ax_loss, c, "The curves drift apart")
    best = int(np.argmin(c["val_loss"]))
    ax_loss.axvline(c["step"][best], color=PALETTE["black"], ls=":", lw=1.2)
    ax_loss.annotate(f"lowest validation loss\n(step {int(c['step'][best])})",
                     (c["step"][best], c["val_loss"][best]), xytext=(12, 30),
                     textcoords="offset points", fontsize=8)  # fmt: skip
    fig.suptitle("A network with too much capacity for its data: overfitting")
    return fig


def boundaries_figure(results: Mapping[str, RunResult], task: Task, resolution: int = 70) -> Figure:
    """Decision regions of several runs on the same training points, side by side."""
    n = len(results)
    ncols = min(n, 4)
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, width=3.2 * ncols, height=3.3 * nrows, squeeze=False)
    for ax, (name, r) in zip(axes.flat, results.items(), strict=False):
        draw_boundary(ax, r.model, task, resolution)
        ax.set_title(f"{name}\ntrain {r.train_accuracy:.1%}, val {r.val_accuracy:.1%}", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"Same network, same {task.n_train} training points, different cures")
    return fig


def curves_figure(results: Mapping[str, RunResult]) -> Figure:
    """Training and validation loss of each run, one small panel per run, shared axes."""
    n = len(results)
    ncols = min(n, 4)
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, width=3.1 * ncols, height=2.8 * nrows, squeeze=False,
                           sharex=True, sharey=True)  # fmt: skip
    for i, (ax, (name, r)) in enumerate(zip(axes.flat, results.items(), strict=False)):
        _loss_panel(ax, r.curves, name, legend=i == 0)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Training (blue) and validation (vermillion) loss, measured in eval mode")
    return fig


def strength_sweep_figure(results: Mapping[float, RunResult], name: str = "L2") -> Figure:
    """Accuracies and weight norm against the penalty strength (log axis)."""
    lam = np.array(list(results))
    rs = list(results.values())
    fig, (ax, ax_w) = new_figure(1, 2, width=10.0, height=3.8)
    ax.plot(lam, [r.train_accuracy for r in rs], "o-", color=TRAIN_COLOR, lw=2, label="training")
    ax.plot(lam, [r.val_accuracy for r in rs], "s-", color=VAL_COLOR, lw=2, label="validation")
    ax.set_xscale("log")
    ax.set_xlabel(f"{name} strength $\\lambda$ (log scale)")
    ax.set_ylabel("accuracy")
    ax.set_title("Too weak: overfits; too strong: underfits", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax_w.plot(lam, [r.weight_norm for r in rs], "o-", color=PALETTE["green"], lw=2)
    ax_w.set_xscale("log")
    ax_w.set_xlabel(f"{name} strength $\\lambda$ (log scale)")
    ax_w.set_ylabel("weight norm ||W||")
    ax_w.set_title("The penalty shrinks the weights", fontsize=10)
    fig.suptitle(f"Sweeping the {name} strength on the same task")
    return fig


def weight_sizes_figure(weights: Mapping[str, np.ndarray], floor: float = 1e-6) -> Figure:
    """Histograms of ``|w|`` on a log axis, a line per run, in % of that run's weights.

    Magnitudes below ``floor`` are counted in the first bin, above ``10**1.5`` in the last.
    """
    fig, ax = new_figure(width=7.5, height=3.8)
    edges = np.logspace(np.log10(floor), 1.5, 40)
    for (name, w), color in zip(weights.items(), RUN_COLORS, strict=False):
        mags = np.clip(np.abs(np.asarray(w).reshape(-1)), floor, edges[-1])
        counts, _ = np.histogram(mags, bins=edges)
        ax.stairs(100.0 * counts / mags.size, edges, color=color, lw=2, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("weight magnitude |w| (log scale; the left edge collects everything smaller)")
    ax.set_ylabel("% of the weights")
    ax.set_title("How big the weights end up: no penalty, L2 and L1")
    ax.legend(fontsize=8, frameon=False)
    return fig


def decay_figure(paths: Mapping[str, np.ndarray], grad_scales: Sequence[float]) -> Figure:
    """Mean weight against step, one panel per decay rule, one line per gradient size."""
    names = [k for k in paths if k != "SGD + L2"]
    fig, axes = new_figure(1, len(names), width=3.6 * len(names), height=3.6, sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        path = paths[name]
        for j, (s, color) in enumerate(zip(grad_scales, RUN_COLORS[1:], strict=False)):
            ax.plot(path[:, j], color=color, lw=2, label=f"gradient std {s:g}")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylabel("mean weight (started at 1)")
    np.atleast_1d(axes)[0].legend(frameon=False, fontsize=8)
    fig.suptitle("The same weight_decay, three rules: only Adam's depends on the gradient's size")
    return fig


def stopping_point_figure(
    curves: Mapping[str, np.ndarray], best_step: int, stop_step: int
) -> Figure:
    """A run's loss curves, the step of the lowest validation loss and the step it stopped at."""
    fig, ax = new_figure(width=7.0, height=3.8)
    _loss_panel(ax, curves, "Early stopping watches the validation loss")
    ax.axvline(best_step, color=PALETTE["green"], lw=1.5, ls="--", label=f"best (step {best_step})")
    ax.axvline(
        stop_step, color=PALETTE["black"], lw=1.5, ls=":", label=f"stopped (step {stop_step})"
    )
    ax.legend(frameon=False, fontsize=8)
    return fig


def data_size_figure(results: Mapping[int, RunResult]) -> Figure:
    """Training and validation accuracy of the same network against the training-set size."""
    n = np.array(list(results))
    rs = list(results.values())
    fig, ax = new_figure(width=6.5, height=3.8)
    ax.plot(n, [r.train_accuracy for r in rs], "o-", color=TRAIN_COLOR, lw=2, label="training")
    ax.plot(n, [r.val_accuracy for r in rs], "s-", color=VAL_COLOR, lw=2, label="validation")
    ax.set_xscale("log", base=2)
    ax.set_xticks(n, [str(int(k)) for k in n])
    ax.set_xlabel("training points (log scale)")
    ax.set_ylabel("accuracy")
    ax.set_title("More data, same network, no penalty: the gap closes")
    ax.legend(frameon=False, fontsize=8)
    return fig
