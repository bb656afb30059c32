"""Figures of the learning-rate chapter: curvature runs, the range test, schedules, warm-up.

Each function takes results (arrays, :class:`~nnlib.lr_range.LRRangeResult`,
:class:`~nnlib.experiments.learning_rate.ScheduledRun`) and draws them; the runs
themselves come from ``nnlib.experiments.learning_rate`` and the chapter's cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._style import PALETTE, new_figure

__all__ = [
    "SCHEDULE_COLORS",
    "batch_size_lr_figure",
    "curvature_runs_figure",
    "lr_range_figure",
    "schedule_curves_figure",
    "warmup_figure",
]

#: One colour per schedule, in the order of ``experiments.learning_rate.SCHEDULES``.
SCHEDULE_COLORS = [
    PALETTE[k] for k in ("black", "blue", "sky", "green", "orange", "purple", "vermillion")
]
_CAP = 1e3  # losses above this (or not finite) are drawn at the cap


def _capped(values: Any) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v), np.minimum(v, _CAP), _CAP)


def curvature_runs_figure(losses: Mapping[float, Sequence[float]], limit: float) -> Figure:
    """Full-batch loss per step, one line per learning rate given as a multiple of ``2 / a``.

    Parameters
    ----------
    losses : mapping factor -> losses per step
        ``factor`` times the predicted limit ``limit`` was the rate of the run.
    limit : float
        ``2 / a``, the largest stable rate of a quadratic with curvature ``a``.
    """
    fig, ax = new_figure(width=7.4, height=4.2)
    colors = [PALETTE[k] for k in ("sky", "blue", "green", "orange", "purple", "vermillion")]
    for (factor, run), color in zip(losses.items(), colors, strict=False):
        ax.semilogy(
            _capped(run), color=color, lw=1.6, label=f"{factor:g} × 2/a = {factor * limit:.2f}"
        )
    ax.set_xlabel("full-batch gradient-descent step")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title("Rates around the quadratic limit 2/a on a real network")
    ax.legend(fontsize=8, title="learning rate", title_fontsize=8)
    return fig


def lr_range_figure(result: Any, best_fixed: float | None = None) -> Figure:
    """The range test: batch loss and its smoothed curve against the growing rate.

    Parameters
    ----------
    result : LRRangeResult
        From :func:`nnlib.lr_range.lr_range_test`.
    best_fixed : float, optional
        The best rate of a sweep of fixed rates, drawn for comparison.
    """
    fig, ax = new_figure(width=7.4, height=4.2)
    ax.semilogx(result.lrs, result.losses, ".", color=PALETTE["sky"], ms=4, label="batch loss")
    ax.semilogx(result.lrs, result.smoothed, color=PALETTE["blue"], lw=2, label="smoothed")
    lowest = result.lrs[int(np.nanargmin(result.smoothed))]
    ax.axvline(lowest, color=PALETTE["vermillion"], ls="--", lw=1.2,
               label=f"lowest smoothed loss: {lowest:.2g}")  # fmt: skip
    ax.axvline(result.suggested_lr, color=PALETTE["green"], lw=2,
               label=f"suggested (a tenth): {result.suggested_lr:.2g}")  # fmt: skip
    if best_fixed is not None:
        ax.axvline(best_fixed, color=PALETTE["black"], ls=":", lw=1.5,
                   label=f"best fixed rate of the sweep: {best_fixed:.2g}")  # fmt: skip
    top = np.nanmax(result.smoothed[: max(len(result.smoothed) // 2, 1)])
    ax.set_ylim(0, 1.5 * top)
    ax.set_xlabel("learning rate (log scale), one step per rate")
    ax.set_ylabel("loss")
    ax.set_title("The learning-rate range test")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def schedule_curves_figure(
    rates: Mapping[str, np.ndarray], momenta: np.ndarray | None = None
) -> Figure:
    """The rate of every step under each schedule (and one-cycle's momentum, if given).

    Parameters
    ----------
    rates : mapping name -> ndarray, shape (S,)
    momenta : ndarray, shape (S,), optional
        The momentum that goes with the one-cycle schedule, drawn on the right.
    """
    ncols = 2 if momenta is not None else 1
    fig, axes = new_figure(1, ncols, width=5.6 * ncols, height=4.0, squeeze=False)
    ax = axes[0, 0]
    for (name, r), color in zip(rates.items(), SCHEDULE_COLORS, strict=False):
        ax.plot(r, color=color, lw=2, ls="--" if name == "constant" else "-", label=name)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.set_title("Schedules, all starting (or peaking) at the same rate")
    ax.legend(fontsize=8, ncol=2)
    if momenta is not None:
        ax2 = axes[0, 1]
        ax2.plot(momenta, color=PALETTE["vermillion"], lw=2)
        ax2.set_xlabel("optimizer step")
        ax2.set_ylabel("momentum")
        ax2.set_title("One-cycle moves the momentum the other way")
    return fig


def warmup_figure(runs: Mapping[str, Sequence[Any]], steps: int = 120) -> Figure:
    """Loss of the first ``steps`` mini-batches and the rate used, with and without warm-up.

    Parameters
    ----------
    runs : mapping label -> list of ScheduledRun (one per seed)
    steps : int
        How many steps to show.
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=3.9)
    colors = [PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"]]
    for (label, seeds), color in zip(runs.items(), colors, strict=False):
        for i, run in enumerate(seeds):
            ax1.semilogy(_capped(run.losses[:steps]), color=color, lw=1.2, alpha=0.8,
                         label=label if i == 0 else None)  # fmt: skip
        ax2.plot(seeds[0].rates[:steps], color=color, lw=2, label=label)
    ax1.set_xlabel("step")
    ax1.set_ylabel("mini-batch loss (log scale)")
    ax1.set_title("The first steps of Adam (one line per seed)")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("step")
    ax2.set_ylabel("learning rate")
    ax2.set_title("The rate each run used")
    ax2.legend(fontsize=8)
    return fig


def batch_size_lr_figure(sweeps: Mapping[int, Mapping[float, float]]) -> Figure:
    """Validation loss against the learning rate, one line per batch size, best rate marked.

    Parameters
    ----------
    sweeps : mapping batch size -> (mapping lr -> validation loss)
    """
    fig, ax = new_figure(width=7.4, height=4.2)
    colors = [PALETTE[k] for k in ("sky", "blue", "purple", "vermillion")]
    for (batch, by_lr), color in zip(sweeps.items(), colors, strict=False):
        lrs = np.array(sorted(by_lr))
        loss = _capped([by_lr[lr] for lr in lrs])
        ax.loglog(lrs, loss, "-o", color=color, ms=4, lw=1.5, label=f"batch size {batch}")
        best = int(np.argmin(loss))
        ax.plot(lrs[best], loss[best], "*", color=color, ms=14, mec="black", mew=0.6)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("validation loss after training (log scale)")
    ax.set_title("Best rate (star) per batch size")
    ax.legend(fontsize=8)
    return fig
