"""Figures of chapter 6 (optimizers).

Each function returns a matplotlib ``Figure``; the numbers they draw come from
``nnlib.experiments.optimizer_race`` (races of the ``nnlib.optim`` optimizers on the 2-D
surfaces of ``nnlib.experiments.surfaces``, and step sizes under a constant
gradient) or from ``nnlib.fit`` histories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..experiments.optimizer_race import Run
from ..experiments.surfaces import Surface, get_surface
from ._style import PALETTE, new_figure
from .ch03_descent import clip_path
from .common import loss_curve

__all__ = [
    "OPTIMIZER_COLORS",
    "GAP_FLOOR",
    "draw_surface",
    "race_figure",
    "bias_correction_figure",
    "lr_sweep_figure",
    "training_curves_figure",
]

#: One colour per optimizer (Okabe-Ito), the same in every figure and app.
OPTIMIZER_COLORS = {
    "GD": PALETTE["black"],
    "Momentum": PALETTE["blue"],
    "Nesterov": PALETTE["sky"],
    "Adagrad": PALETTE["green"],
    "RMSprop": PALETTE["orange"],
    "Adam": PALETTE["vermillion"],
}
#: Gaps ``L - min L`` below this are drawn at this value on log axes.
GAP_FLOOR = 1e-12


# ============================================================================ figures
def _contour_levels(surface: Surface, n: int = 14) -> np.ndarray:
    _, _, z = surface.grid(60)
    top = float(np.max(surface.gap(z)))
    return surface.minimum + np.geomspace(top * 1e-4, top, n)


def draw_surface(ax, surface: Surface | str, resolution: int = 160) -> list:
    """Contour lines of ``surface`` over its window, its minima (stars) and start (square).

    Returns
    -------
    list of artists (so an app can show or hide the whole surface at once)
    """
    surface = get_surface(surface)
    xx, yy, z = surface.grid(resolution)
    cs = ax.contour(xx, yy, z, levels=_contour_levels(surface), colors="0.55", linewidths=0.7)
    (stars,) = ax.plot(*np.array(surface.argmin).T, "*", color="black", ms=12, zorder=4)
    (start,) = ax.plot(*surface.start, "s", color="black", ms=6, zorder=4)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return [cs, stars, start]


def _draw_path(ax, r: Run, label: str | None = None, ms: float = 2.0) -> None:
    lo, hi = r.surface.window()
    color = OPTIMIZER_COLORS.get(r.name, PALETTE["purple"])
    p = clip_path(r.path, lo, hi)
    ax.plot(p[:, 0], p[:, 1], "-o", color=color, ms=ms, lw=1.2, label=label, zorder=3)
    if r.diverged or len(p) < len(r.path):
        ax.plot(p[-1:, 0], p[-1:, 1], "X", color=color, ms=10, zorder=5)


def _draw_gaps(ax, runs: Mapping[str, Run]) -> None:
    for name, r in runs.items():
        color = OPTIMIZER_COLORS.get(name, PALETTE["purple"])
        gap = np.clip(r.surface.gap(r.loss), GAP_FLOOR, None)
        ax.semilogy(np.arange(len(gap)), gap, color=color, lw=1.5, label=f"{name} (lr {r.lr:.3g})")
        if r.diverged:
            ax.plot([len(gap) - 1], gap[-1:], "X", color=color, ms=10)
    ax.set_xlabel("step")
    ax.set_ylabel("loss above the minimum (log scale)")
    lows = [float(np.min(r.surface.gap(r.loss))) for r in runs.values()]
    ax.set_ylim(bottom=max(GAP_FLOOR, min(lows)) / 3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Loss per step")


def _verdict(r: Run) -> str:
    return "diverged" if r.diverged else f"loss {r.loss[-1]:.2g}"


def race_figure(runs: Mapping[str, Run], title: str | None = None, layout: str = "auto") -> Figure:
    """Paths of a race over the contour lines, and the loss per step.

    Parameters
    ----------
    runs : mapping name -> Run
        All on the same surface.
    title : str, optional
        Figure title (default: the surface and the number of steps).
    layout : {"auto", "overlay", "panels"}
        ``"overlay"``: every path on one contour plot; ``"panels"``: one small
        contour plot per optimizer. ``"auto"`` overlays up to three runs.

    The loss panel shows ``L - min L`` on a log axis (floor 1e-12). A run that
    diverged, or left the window, ends with an X.
    """
    surface = next(iter(runs.values())).surface
    steps = max(len(r.path) for r in runs.values()) - 1
    if layout == "auto":
        layout = "overlay" if len(runs) <= 3 else "panels"
    if layout == "overlay":
        fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=4.3)
        draw_surface(ax1, surface)
        for name, r in runs.items():
            _draw_path(ax1, r, label=f"{name}: {_verdict(r)}")
        ax1.legend(fontsize=8, loc="best")
        ax1.set_title("Paths (square: start, star: minimum)", fontsize=10)
    elif layout == "panels":
        ncols = math.ceil(len(runs) / 2)
        fig, axes = new_figure(2, ncols + 1, width=3.3 * ncols + 4.6, height=6.2, squeeze=False)
        gs = axes[0, -1].get_gridspec()
        for ax in axes[:, -1]:
            ax.remove()
        ax2 = fig.add_subplot(gs[:, -1])
        ax2.grid(True, alpha=0.3)
        panels = list(axes[:, :-1].ravel())
        for ax, (name, r) in zip(panels, runs.items(), strict=False):
            draw_surface(ax, surface, resolution=100)
            _draw_path(ax, r, ms=1.5)
            ax.set_title(f"{name}, lr {r.lr:.3g}: {_verdict(r)}", fontsize=9)
        for ax in panels[len(runs) :]:
            ax.remove()
    else:
        raise ValueError(f"layout must be 'auto', 'overlay' or 'panels'; got {layout!r}")
    _draw_gaps(ax2, runs)
    fig.suptitle(title or f"{steps} steps on the {surface.label}: {surface.formula}")
    return fig


def bias_correction_figure(
    sizes: Mapping[str, np.ndarray], lr: float, betas: tuple[float, float] = (0.9, 0.999)
) -> Figure:
    """Adam's step size per step, in units of ``lr``, with and without bias correction.

    Parameters
    ----------
    sizes : mapping of label -> ndarray, shape (T,)
        The step sizes of ``nnlib.experiments.bias_correction_steps(T, lr, betas)``.
    lr, betas
        The settings they were measured with (for the units and the title).

    The gradient is the same at every step, so a well-behaved rule steps by
    ``lr`` each time (the dotted line).
    """
    steps = len(next(iter(sizes.values())))
    fig, ax = new_figure(width=7.6, height=4.2)
    colors = [PALETTE[k] for k in ("vermillion", "blue", "green", "purple")]
    styles = ["-", "--", "-.", ":"]
    t = np.arange(1, steps + 1)
    for (label, s), c, ls in zip(sizes.items(), colors, styles, strict=True):
        ax.loglog(t, s / lr, ls, color=c, lw=2, label=label)
    ax.axhline(1.0, color="gray", lw=1, ls=":")
    ax.set_xlabel("step t (log scale)")
    ax.set_ylabel("step size / lr (log scale)")
    ax.set_title(f"Adam under a constant gradient, betas = {betas}")
    ax.legend(fontsize=8)
    return fig


def lr_sweep_figure(final_loss: Mapping[str, Mapping[float, float]], epochs: int) -> Figure:
    """Final training loss against the learning rate, one line per optimizer.

    Parameters
    ----------
    final_loss : mapping name -> (mapping lr -> loss)
        A run whose loss is not finite, or above 10, is drawn at 10.
    epochs : int
        How long each run trained (for the title).
    """
    fig, ax = new_figure(width=7.6, height=4.2)
    for name, by_lr in final_loss.items():
        lrs = np.array(sorted(by_lr))
        loss = np.array([by_lr[lr] for lr in lrs], dtype=float)
        loss = np.where(np.isfinite(loss), np.minimum(loss, 10.0), 10.0)
        color = OPTIMIZER_COLORS.get(name, PALETTE["purple"])
        ax.loglog(lrs, loss, "-o", color=color, ms=4, lw=1.5, label=name)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"training loss after {epochs} epochs (log)")
    ax.set_title("Which learning rates work, per optimizer")
    ax.legend(fontsize=8, ncol=2)
    return fig


def training_curves_figure(histories: Mapping[str, Any], lrs: Mapping[str, float]) -> Figure:
    """Training loss and test accuracy per epoch, one line per optimizer.

    Parameters
    ----------
    histories : mapping name -> History
        Runs of ``nnlib.fit`` with ``validation_data`` (for ``val_accuracy``).
    lrs : mapping name -> float
        The learning rate of each run (for the legend).
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=4.0)
    for name, h in histories.items():
        color = OPTIMIZER_COLORS.get(name, PALETTE["purple"])
        label = f"{name} (lr {lrs[name]:g})"
        loss_curve(ax1, h, keys=["loss"], label=label, color=color, logy=True)
        loss_curve(ax2, h, keys=["val_accuracy"], label=label, color=color, ylabel="accuracy")
    ax1.set_ylabel("training loss (log scale)")
    ax1.set_title("Training loss")
    ax2.set_ylabel("test accuracy")
    ax2.set_title("Accuracy on the test set")
    ax2.legend(fontsize=8, loc="lower right")
    return fig
