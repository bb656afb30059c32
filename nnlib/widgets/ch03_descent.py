"""Apps of chapter 3 (gradient descent): the learning rate, and the batch size.

* :class:`LearningRateApp` -- one log-scale slider for the learning rate; the
  descent is drawn on a 1-D loss curve ``L(w) = w²`` (curvature ``a = 2``), on
  an elongated 2-D bowl, and as loss against step. Above ``lr = 2 / a`` the
  run diverges: the drawing is cut at the plot's edge and the status says so.
* :class:`BatchSizeApp` -- fits a line's slope and intercept with mini-batch
  gradient descent and draws its path in weight space next to the full-batch
  path, over the loss contours; smaller batches give a noisier path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..datasets import make_line
from ..experiments.descent import LOSS_FLOOR, DescentRun, line_gd_path, quadratic_descent
from ..plots import PALETTE, TEXT_COLORS, freeze_layout, new_figure
from ..plots.ch03_descent import bowl_axes, clip_path, curve_axes, line_contours
from . import controls
from ._app import App, plain_text

__all__ = ["LearningRateApp", "BatchSizeApp"]


def describe_run(run: DescentRun, lr: float, curvature: Any) -> tuple[str, str]:
    """A verdict on one run of gradient descent on a quadratic bowl, and a phrase with numbers.

    Each step multiplies weight ``i`` by ``1 - lr * a_i``; the run diverges when
    one of these factors has magnitude above 1, that is when ``lr > 2 / a_i``.

    Returns
    -------
    verdict : str
        ``"diverged"``, ``"bounces forever"``, ``"converged"`` (the loss fell
        below ``1e-4`` of its start) or ``"slow"`` (not yet).
    details : str
        The numbers behind it (final loss, factor per step).
    """
    a = np.atleast_1d(np.asarray(curvature, dtype=float))
    factors = 1.0 - lr * a  # (D,) what each step multiplies w_i by
    worst = float(np.max(np.abs(factors)))
    steps = len(run.loss) - 1
    if run.diverged or worst > 1.0 + 1e-12:
        return "diverged", (
            f"|w| grows ×{worst:.3g} per step; loss {run.loss[-1]:.3g} after {steps} steps"
        )
    if worst > 1.0 - 1e-12:
        return "bounces forever", "w flips sign each step without shrinking (lr = 2/a exactly)"
    zig = " (zig-zagging)" if np.any(factors < 0) else ""
    ratio = run.loss[-1] / run.loss[0]
    if ratio < 1e-4:
        return "converged", f"loss {run.loss[-1]:.2g} after {steps} steps{zig}"
    return "slow", (
        f"loss still {100 * ratio:.3g}% of its start after {steps} steps; "
        f"the slowest weight shrinks only ×{worst:.3g} per step{zig}"
    )


def _epochs(n: float) -> str:
    return "1 epoch" if n == 1 else f"{n:g} epochs"


class LearningRateApp(App):
    """Move the learning rate and watch gradient descent on a 1-D curve and a 2-D bowl."""

    title = "Gradient descent and the learning rate"
    curvature = 2.0  # L(w) = 0.5 * 2 * w² = w²
    w0 = 2.5
    bowl = (2.0, 0.2)  # L(w) = w1² + 0.1 w2²
    bowl_w0 = (-2.5, 2.5)
    max_loss = 1e4  # a run is cut (and called diverged) past this loss
    lim_1d = 4.5
    lim_2d = 4.0

    def make_controls(self) -> dict[str, widgets.Widget]:
        return {
            "lr": controls.FloatLogSlider(
                value=0.3,
                base=10,
                min=-3,
                max=np.log10(2.0),
                step=0.01,
                description="learning rate",
                readout_format=".3g",
                style={"description_width": "initial"},
            ),
            "steps": controls.IntSlider(value=30, min=5, max=100, step=5, description="steps"),
        }

    def make_figure(self):
        fig, (ax1, ax2, ax3) = new_figure(1, 3, width=12.5, height=3.9)
        curve_axes(ax1, self.curvature, self.lim_1d)
        (self._path1,) = ax1.plot([], [], "-o", color=PALETTE["orange"], ms=4, lw=1, zorder=2)
        ax1.plot([self.w0], [0.5 * self.curvature * self.w0**2], "s", color="black", ms=6, zorder=3)
        (self._end1,) = ax1.plot([], [], "X", color=PALETTE["vermillion"], ms=12, zorder=4)
        ax1.set_title("1-D: L(w) = w²  (a = 2)")
        bowl_axes(ax2, self.bowl, self.lim_2d)
        (self._path2,) = ax2.plot([], [], "-o", color=PALETTE["orange"], ms=3, lw=1, zorder=2)
        ax2.plot([self.bowl_w0[0]], [self.bowl_w0[1]], "s", color="black", ms=6, zorder=3)
        (self._end2,) = ax2.plot([], [], "X", color=PALETTE["vermillion"], ms=12, zorder=4)
        ax2.set_title("2-D bowl: L(w) = w1² + 0.1 w2²")
        (self._loss1,) = ax3.semilogy([], [], "-o", ms=3, color=PALETTE["blue"], label="1-D curve")
        (self._loss2,) = ax3.semilogy([], [], "-o", ms=3, color=PALETTE["green"], label="2-D bowl")
        ax3.set_ylim(LOSS_FLOOR / 3, self.max_loss * 5)
        ax3.set_xlabel("step")
        ax3.set_ylabel(f"loss (log scale, floor {LOSS_FLOOR:g})")
        ax3.legend(fontsize=8, loc="lower left")
        self._note = ax3.text(
            0.97,
            0.95,
            "",
            transform=ax3.transAxes,
            ha="right",
            va="top",
            color=TEXT_COLORS["vermillion"],
            fontweight="bold",
        )
        ax3.set_title("Loss per step, lr = 0.3")  # a placeholder of the right height for the layout
        self._ax3 = ax3
        freeze_layout(fig)
        return fig

    def compute(self, lr: float, steps: int) -> dict[str, Any]:
        run1 = quadratic_descent(lr, self.curvature, self.w0, steps, self.max_loss)
        run2 = quadratic_descent(lr, self.bowl, self.bowl_w0, steps, self.max_loss)
        return {
            "lr": lr,
            "steps": steps,
            "limit": 2.0 / max(self.curvature, *self.bowl),
            "curve": run1,
            "bowl": run2,
            "curve_verdict": describe_run(run1, lr, self.curvature),
            "bowl_verdict": describe_run(run2, lr, self.bowl),
        }

    def draw(self, result: dict[str, Any]) -> None:
        a, lim1, lim2 = self.curvature, self.lim_1d, self.lim_2d
        p1 = clip_path(result["curve"].path, [-lim1], [lim1])[:, 0]
        self._path1.set_data(p1, 0.5 * a * p1 * p1)
        p2 = clip_path(result["bowl"].path, [-lim2, -lim2], [lim2, lim2])
        self._path2.set_data(p2[:, 0], p2[:, 1])
        div1 = result["curve_verdict"][0] == "diverged"
        div2 = result["bowl_verdict"][0] == "diverged"
        self._end1.set_data(p1[-1:] if div1 else [], 0.5 * a * p1[-1:] ** 2 if div1 else [])
        self._end2.set_data(p2[-1:, 0] if div2 else [], p2[-1:, 1] if div2 else [])
        for line, run in ((self._loss1, result["curve"]), (self._loss2, result["bowl"])):
            loss = np.clip(run.loss, LOSS_FLOOR, self.max_loss)
            line.set_data(np.arange(len(loss)), loss)
        self._ax3.set_xlim(-0.5, result["steps"] + 0.5)
        self._ax3.set_title(f"Loss per step, lr = {result['lr']:.3g}")
        self._note.set_text("diverged" if (div1 or div2) else "")

    def describe_figure(self, result: dict[str, Any]) -> str:
        (v1, d1), (v2, d2) = result["curve_verdict"], result["bowl_verdict"]
        return (
            f"Gradient descent with learning rate {result['lr']:.3g} for {result['steps']} "
            f"steps, drawn on the 1-D curve L(w) = w², on the 2-D bowl L = w1² + 0.1 w2², and as "
            f"the loss per step (log scale). 1-D run: {v1} ({d1}). 2-D run: {v2} ({d2})."
        )

    def describe(self, result: dict[str, Any]) -> str:
        lr = result["lr"]
        side = "above" if lr > result["limit"] else "below"
        parts = [f"lr = {lr:.3g} ({side} the limit 2/a = {result['limit']:.3g})"]
        for name, key in (("1-D curve", "curve_verdict"), ("2-D bowl", "bowl_verdict")):
            verdict, details = result[key]
            parts.append(f"<b>{name}: {verdict}</b> — {details}")
        return " · ".join(parts)

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"lr": 0.01, "steps": 30},
            {"lr": 0.4, "steps": 30},
            {"lr": 0.9, "steps": 60},
            {"lr": 1.2, "steps": 100},
        ]


class BatchSizeApp(App):
    """Mini-batch gradient descent on a line's slope and intercept, next to full-batch descent."""

    title = "Batch size: the noisy path of mini-batch gradient descent"
    n_samples = 100
    start = (-1.0, -1.0)
    slope_lim = (-1.5, 3.5)
    intercept_lim = (-1.5, 2.5)
    max_loss = 1e4
    loss_bottom, loss_top = 1e-6, 30.0  # range of the loss axis

    def __init__(self) -> None:
        self.X, self.y = make_line(self.n_samples, slope=2.0, intercept=1.0, noise=0.3, rng=0)
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        return {
            "batch_size": controls.SelectionSlider(
                options=[1, 2, 5, 10, 20, 50, 100],
                value=10,
                description="batch size",
                continuous_update=False,
                style=style,
            ),
            "lr": controls.FloatLogSlider(
                value=0.1,
                base=10,
                min=-2.5,
                max=np.log10(1.5),
                step=0.05,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
                style=style,
            ),
            "steps": controls.IntSlider(
                value=100,
                min=10,
                max=300,
                step=10,
                description="updates",
                continuous_update=False,
                style=style,
            ),
            "seed": controls.IntSlider(
                value=0,
                min=0,
                max=9,
                description="shuffle seed",
                continuous_update=False,
                style=style,
            ),
        }

    def make_figure(self):
        fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=4.2)
        self._opt = line_contours(ax1, self.X, self.y, self.slope_lim, self.intercept_lim)
        (self._full,) = ax1.plot(
            [], [], "-o", color=PALETTE["blue"], ms=2.5, lw=1.5, label="full batch (100)"
        )
        (self._mini,) = ax1.plot([], [], "-", color=PALETTE["orange"], lw=1.2, label="mini-batch")
        ax1.plot([self.start[0]], [self.start[1]], "s", color="black", ms=7, label="start")
        self._ax1 = ax1
        ax1.set_title("Paths in weight space (star: least-squares line)")
        (self._loss_full,) = ax2.semilogy(
            [], [], color=PALETTE["blue"], lw=1.5, label="full batch (100)"
        )
        (self._loss_mini,) = ax2.semilogy(
            [], [], color=PALETTE["orange"], lw=1.2, label="mini-batch"
        )
        ax2.set_ylim(self.loss_bottom, self.loss_top)
        ax2.set_xlabel("update")
        ax2.set_ylabel("loss above its minimum (log scale)")
        ax2.legend(fontsize=8, loc="lower left")
        ax2.set_title("Loss per update, lr = 0.1")  # a placeholder of the right height
        self._ax2 = ax2
        self._note = ax2.text(
            0.97,
            0.95,
            "",
            transform=ax2.transAxes,
            ha="right",
            va="top",
            color=TEXT_COLORS["vermillion"],
            fontweight="bold",
        )
        freeze_layout(fig)
        return fig

    def compute(self, batch_size: int, lr: float, steps: int, seed: int) -> dict[str, Any]:
        X, y = self.X, self.y
        full, full_loss = line_gd_path(X, y, None, lr, steps, self.start, 0, self.max_loss)
        mini, mini_loss = line_gd_path(X, y, batch_size, lr, steps, self.start, seed, self.max_loss)
        n = min(len(full), len(mini))
        deviation = float(np.mean(np.linalg.norm(mini[:n] - full[:n], axis=1)))
        return {
            "batch_size": int(batch_size),
            "lr": lr,
            "steps": steps,
            "full_path": full,
            "mini_path": mini,
            "full_excess": full_loss - self._opt[2],
            "mini_excess": mini_loss - self._opt[2],
            "deviation": deviation,
            "full_length": float(np.linalg.norm(np.diff(full, axis=0), axis=1).sum()),
            "mini_length": float(np.linalg.norm(np.diff(mini, axis=0), axis=1).sum()),
            # cut at max_loss, or ending above where it started: the loss is growing
            "full_diverged": len(full) < steps + 1 or full_loss[-1] > full_loss[0],
            "mini_diverged": len(mini) < steps + 1 or mini_loss[-1] > mini_loss[0],
            "examples_seen": steps * min(int(batch_size), len(X)),
        }

    def draw(self, result: dict[str, Any]) -> None:
        lo = [self.slope_lim[0], self.intercept_lim[0]]
        hi = [self.slope_lim[1], self.intercept_lim[1]]
        full = clip_path(result["full_path"], lo, hi)
        mini = clip_path(result["mini_path"], lo, hi)
        self._full.set_data(full[:, 0], full[:, 1])
        self._mini.set_data(mini[:, 0], mini[:, 1])
        self._mini.set_label(f"batch of {result['batch_size']}")
        self._loss_mini.set_label(f"batch of {result['batch_size']}")
        self._ax1.legend(fontsize=8, loc="lower right")
        for line, excess in (
            (self._loss_full, result["full_excess"]),
            (self._loss_mini, result["mini_excess"]),
        ):
            above = np.flatnonzero(~(excess <= self.loss_top))
            if above.size:  # a diverging run: stop the curve where it leaves the axes
                excess = excess[: above[0] + 1]
            excess = np.clip(excess, self.loss_bottom, self.loss_top)
            line.set_data(np.arange(len(excess)), excess)
        self._ax2.set_xlim(0, result["steps"])
        self._ax2.set_title(f"Loss per update, lr = {result['lr']:.3g}")
        self._ax2.legend(fontsize=8, loc="lower left")
        diverged = result["full_diverged"] or result["mini_diverged"]
        self._note.set_text("diverged" if diverged else "")

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"Two paths in weight space (slope, intercept) over the loss contours: full-batch "
            f"descent and mini-batch descent with batches of {result['batch_size']}, "
            f"{result['steps']} updates at learning rate {result['lr']:.3g}; beside them, each "
            f"run's loss above its minimum per update (log scale). "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        B, steps, N = result["batch_size"], result["steps"], len(self.X)
        head = (
            f"batch of {B}: {steps} updates used {result['examples_seen']:,} example gradients "
            f"({_epochs(result['examples_seen'] / N)}); full batch: {steps * N:,}"
        )
        if result["full_diverged"] or result["mini_diverged"]:
            who = (
                "both runs"
                if result["full_diverged"] and result["mini_diverged"]
                else ("the full-batch run" if result["full_diverged"] else "the mini-batch run")
            )
            return f"{head} · <b>{who} diverged</b> — lower the learning rate"
        return (
            f"{head} · noise: on average {result['deviation']:.3g} away from the full-batch "
            f"path; path length {result['mini_length']:.3g} vs {result['full_length']:.3g} · "
            f"final loss above the minimum {max(result['mini_excess'][-1], 0.0):.2g} "
            f"vs {max(result['full_excess'][-1], 0.0):.2g}"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"batch_size": 1, "lr": 0.1, "steps": 300, "seed": 0},
            {"batch_size": 10, "lr": 0.1, "steps": 100, "seed": 1},
            {"batch_size": 100, "lr": 0.3, "steps": 100, "seed": 0},
            {"batch_size": 5, "lr": 0.03, "steps": 200, "seed": 2},
        ]
