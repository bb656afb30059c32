"""The app of the learning-rate chapter: pick a schedule, see the rate and the training it gives.

:class:`ScheduleApp` trains a 64-32-10 ReLU network on the standardized digits (SGD with
momentum 0.9, batches of 64) with the chosen schedule stepped after every
batch, and draws the rate of every step next to the training loss of every
epoch, with the validation accuracy in the status line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..experiments.learning_rate import SCHEDULES, scheduled_run
from ..plots import PALETTE, freeze_layout, new_figure
from . import controls
from ._app import App, plain_text

__all__ = ["ScheduleApp"]


class ScheduleApp(App):
    """A schedule, its starting (or peak) rate and the run length; the rate and loss curves."""

    title = "Learning-rate schedules on the digits"

    def __init__(self) -> None:
        self._constant_runs: dict[tuple[float, int], Any] = {}  # (lr, epochs) -> the baseline
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        return {
            "schedule": controls.Dropdown(
                options=list(SCHEDULES), value="cosine", description="schedule"
            ),
            "lr": controls.FloatLogSlider(
                value=0.3,
                base=10,
                min=-2,
                max=0,
                step=0.05,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
                style={"description_width": "initial"},
            ),
            "epochs": controls.IntSlider(
                value=12, min=2, max=20, description="epochs", continuous_update=False
            ),
        }

    def make_figure(self):
        fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=3.8)
        (self._rate,) = ax1.plot([], [], color=PALETTE["blue"], lw=2)
        ax1.set_xlabel("optimizer step")
        ax1.set_ylabel("learning rate")
        ax1.set_title("The rate of every step")
        (self._const,) = ax2.semilogy(
            [], [], "--", color=PALETTE["black"], lw=1.2, label="constant rate, same start"
        )
        (self._loss,) = ax2.semilogy(
            [], [], "-o", color=PALETTE["vermillion"], ms=3, lw=2, label="this schedule"
        )
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("training loss (log scale)")
        ax2.set_title("Training loss per epoch: validation accuracy 100.0%")
        ax2.legend(fontsize=8, loc="upper right")
        self._ax1, self._ax2 = ax1, ax2
        freeze_layout(fig)
        return fig

    def compute(self, schedule: str, lr: float, epochs: int) -> dict[str, Any]:
        run = scheduled_run(schedule, lr=lr, epochs=epochs)
        key = (lr, epochs)
        if schedule == "constant":
            self._constant_runs[key] = run
        if key not in self._constant_runs:  # the baseline, trained once per (lr, epochs)
            self._constant_runs[key] = scheduled_run("constant", lr=lr, epochs=epochs)
        baseline = self._constant_runs[key]
        return {"schedule": schedule, "lr": lr, "epochs": epochs, "run": run, "constant": baseline}

    def draw(self, result: dict[str, Any]) -> None:
        run, base = result["run"], result["constant"]
        self._rate.set_data(np.arange(len(run.rates)), run.rates)
        self._ax1.set_xlim(0, max(len(run.rates), 1))
        self._ax1.set_ylim(0, 1.08 * max(float(run.rates.max()), 1e-12))
        self._loss.set_data(np.arange(1, len(run.epoch_loss) + 1), run.epoch_loss)
        self._const.set_data(np.arange(1, len(base.epoch_loss) + 1), base.epoch_loss)
        losses = np.concatenate([run.epoch_loss, base.epoch_loss])
        losses = losses[np.isfinite(losses) & (losses > 0)]
        if losses.size:
            self._ax2.set_ylim(losses.min() / 1.5, losses.max() * 1.5)
        self._ax2.set_xlim(0.5, result["epochs"] + 0.5)
        acc = "diverged" if run.diverged else f"validation accuracy {run.val_accuracy:.1%}"
        self._ax2.set_title(f"Training loss per epoch: {acc}")

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"The learning rate per step under the {result['schedule']} schedule, and the "
            f"training loss per epoch next to that of a constant rate. "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        run, base = result["run"], result["constant"]
        if run.diverged:
            return f"<b>{result['schedule']}</b> at lr {result['lr']:.3g}: the loss diverged"
        return (
            f"<b>{result['schedule']}</b>, lr {result['lr']:.3g}: last epoch's loss "
            f"{run.epoch_loss[-1]:.4g} (constant rate: {base.epoch_loss[-1]:.4g}); "
            f"validation accuracy {run.val_accuracy:.1%} (constant rate: {base.val_accuracy:.1%}); "
            f"final rate {run.rates[-1]:.3g}"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"schedule": "cosine", "lr": 0.3, "epochs": 12},
            {"schedule": "one-cycle", "lr": 0.5, "epochs": 12},
            {"schedule": "warm-up", "lr": 0.1, "epochs": 8},
            {"schedule": "constant", "lr": 0.05, "epochs": 12},
        ]
