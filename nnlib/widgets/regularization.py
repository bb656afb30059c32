"""The app of the regularization chapter: capacity, data and the three cures, live.

:class:`RegularizationApp` trains the chapter's network (two hidden ReLU
layers, SGD with momentum) on the noisy moons with the chosen width,
training-set size, L2 and L1 strengths and dropout probability, and shows the
decision boundary over the training points next to the training and
validation loss curves. A run is 100 optimizer steps (a third of the chapter's
runs), so every slider answers on release within a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from ..experiments.decision import grid_points
from ..experiments.regularization import overfitting_task, probabilities, train_run
from ..plots import (
    PALETTE,
    freeze_layout,
    new_figure,
    scatter_classes,
    show_grid,
    update_scatter_classes,
)
from . import controls
from ._app import App, plain_text

__all__ = ["RegularizationApp"]

WIDTHS = (2, 4, 8, 16, 32, 64)
TRAIN_SIZES = (20, 40, 80, 160, 320)
STRENGTHS = (0.0, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


class RegularizationApp(App):
    """Capacity, training-set size, L2, L1 and dropout in; boundary and loss curves out.

    Controls: ``width`` (units in each of the two hidden layers), ``n_train``
    (training points, the first ``n`` of the task's pool), ``l2`` and ``l1``
    (penalty strengths, both may be on), ``dropout`` (probability ``p`` after
    each hidden layer). The result holds ``train_accuracy``,
    ``val_accuracy``, ``gap``, ``weight_norm``, ``near_zero`` (fraction of
    ``|w| < 1e-3``), ``curves`` (``step``, ``train_loss``, ``val_loss``, ...
    measured in eval mode, without the penalty), ``probs`` (``P(class 1)`` on
    the grid, shape ``(R, R)``) and ``n_params``.
    """

    title = "Regularization: capacity, data and the cures, with live curves"
    steps = 100
    resolution = 50

    def __init__(self, width: int = 64, n_train: int = 40) -> None:
        self._initial = (width, n_train)
        self.task = overfitting_task()
        self._grid = grid_points(self.task.X_val, self.resolution, margin=0.3)
        self._shown_n: int | None = None
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        width, n_train = self._initial
        style = {"description_width": "initial"}
        slider = dict(continuous_update=False, style=style)
        return {
            "width": controls.SelectionSlider(
                options=WIDTHS, value=width, description="units per hidden layer", **slider
            ),
            "n_train": controls.SelectionSlider(
                options=TRAIN_SIZES, value=n_train, description="training points", **slider
            ),
            "l2": controls.SelectionSlider(
                options=STRENGTHS, value=0.0, description="L2 λ", **slider
            ),
            "l1": controls.SelectionSlider(
                options=STRENGTHS, value=0.0, description="L1 λ", **slider
            ),
            "dropout": controls.SelectionSlider(
                options=DROPOUTS, value=0.0, description="dropout p", **slider
            ),
        }

    def make_figure(self):
        fig, (ax, ax_loss) = new_figure(1, 2, width=9.6, height=4.2)
        xx, yy, _ = self._grid
        self.regions = show_grid(ax, xx, yy, np.full(xx.shape, 0.5), alpha=0.55)
        self.points = scatter_classes(ax, self.task.X_train, self.task.y_train, n_classes=2, s=24)
        self.contours: list = []
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title("train 100%, validation 100.0% (gap 100.0 points)", fontsize=10)
        (self.train_line,) = ax_loss.plot([], [], color=PALETTE["blue"], lw=2, label="training")
        (self.val_line,) = ax_loss.plot(
            [], [], color=PALETTE["vermillion"], lw=2, label="validation"
        )
        ax_loss.set_yscale("log")
        ax_loss.set_xlim(0, self.steps)
        ax_loss.set_ylim(0.001, 10.0)
        ax_loss.yaxis.set_major_locator(FixedLocator([0.001, 0.01, 0.1, 1.0, 10.0]))
        ax_loss.yaxis.set_minor_locator(NullLocator())  # fewer ticks: a faster redraw
        ax_loss.set_xlabel("optimizer step")
        ax_loss.set_ylabel("cross-entropy (log scale)")
        ax_loss.set_title("loss, measured in eval mode without the penalty", fontsize=10)
        ax_loss.legend(frameon=False, fontsize=8, loc="lower left")
        self.ax, self.ax_loss = ax, ax_loss
        freeze_layout(fig)
        return fig

    def compute(
        self, width: int, n_train: int, l2: float, l1: float, dropout: float
    ) -> dict[str, Any]:
        task = self.task.with_train_size(n_train)
        per_epoch = -(-task.n_train // 40)
        run = train_run(
            task, hidden=(int(width), int(width)), l2=float(l2), l1=float(l1),
            dropout=float(dropout), steps=self.steps, every=max(1, 10 // per_epoch),
        )  # fmt: skip
        xx, _, pts = self._grid
        return {
            "n_train": task.n_train,
            "train_accuracy": run.train_accuracy,
            "val_accuracy": run.val_accuracy,
            "gap": run.gap,
            "weight_norm": run.weight_norm,
            "near_zero": run.near_zero,
            "curves": run.curves,
            "probs": probabilities(run.model, pts).reshape(xx.shape),
            "n_params": run.model.num_parameters(),
        }

    def draw(self, result: dict[str, Any]) -> None:
        n = result["n_train"]
        if n != self._shown_n:
            task = self.task.with_train_size(n)
            update_scatter_classes(self.points, task.X_train, task.y_train)
            self._shown_n = n
        probs = result["probs"]
        self.regions.set_data(probs)
        for c in self.contours:
            c.remove()
        xx, yy, _ = self._grid
        self.contours = (
            [self.ax.contour(xx, yy, probs, levels=[0.5], colors="black", linewidths=1.3)]
            if probs.min() < 0.5 < probs.max()
            else []
        )
        c = result["curves"]
        self.train_line.set_data(c["step"], np.maximum(c["train_loss"], 1e-4))
        self.val_line.set_data(c["step"], np.maximum(c["val_loss"], 1e-4))
        self.ax.set_title(
            f"train {result['train_accuracy']:.0%}, validation {result['val_accuracy']:.1%} "
            f"(gap {100 * result['gap']:.1f} points)",
            fontsize=10,
        )

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"Decision regions of the network over its {result['n_train']} training points "
            f"(training accuracy {result['train_accuracy']:.0%}, validation "
            f"{result['val_accuracy']:.1%}), and the training and validation loss per step. "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        return (
            f"{result['n_train']} training points, {result['n_params']} parameters &nbsp;·&nbsp; "
            f"gap <b>{100 * result['gap']:.1f} points</b> &nbsp;·&nbsp; "
            f"weight norm {result['weight_norm']:.2f} &nbsp;·&nbsp; "
            f"{result['near_zero']:.0%} of the weights below 0.001"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"width": 64, "n_train": 40, "l2": 0.0, "l1": 0.0, "dropout": 0.0},
            {"width": 64, "n_train": 40, "l2": 0.01, "l1": 0.0, "dropout": 0.0},
            {"width": 64, "n_train": 40, "l2": 0.0, "l1": 0.003, "dropout": 0.0},
            {"width": 64, "n_train": 40, "l2": 0.0, "l1": 0.0, "dropout": 0.5},
            {"width": 64, "n_train": 320, "l2": 0.003, "l1": 0.001, "dropout": 0.2},
            {"width": 8, "n_train": 80, "l2": 0.0, "l1": 0.0, "dropout": 0.0},
        ]
