"""The app of chapter 5 (weight initialization).

:class:`InitializationApp` -- pick an initializer (the names of ``nnlib.init``),
an activation and a depth. The app builds a fresh network of that shape
(hidden layers of 64 units, digits in, 10 logits out), sends one batch of 256
digits through it and back, and draws the classic picture: a histogram of every
hidden layer's activations side by side, the same for the gradients of every
layer's weights, and next to them the loss of a short training run (40 SGD
steps with momentum) that starts from those weights.

Everything runs in float32 to keep one update fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import NullLocator

from .. import optim
from ..datasets import load_digits, train_test_split
from ..experiments.initialization import INIT_CHOICES, INITIALIZERS, distinct_units, init_profile
from ..losses import CrossEntropyLoss
from ..models import mlp
from ..plots import PALETTE, TEXT_COLORS, freeze_layout, new_figure
from ..plots.ch05_init import COLUMN_XLABEL, HistogramColumns, column_labels, value_range
from ..training import accuracy, predict, train_step
from . import controls
from ._app import App, plain_text
from ._threads import one_blas_thread

__all__ = ["InitializationApp"]


def _std(a: np.ndarray) -> float:
    return float(np.std(a, dtype=np.float64)) if np.all(np.isfinite(a)) else math.nan


def _fmt(v: float) -> str:
    return "nan" if not math.isfinite(v) else f"{v:.2g}"


class InitializationApp(App):
    """Initializer, activation and depth in; per-layer histograms and a training curve out."""

    title = "Weight initialization: what each layer sees at the start, and how training goes"
    width = 64  # units per hidden layer
    max_depth = 10
    n_stats = 256  # examples in the batch the histograms are drawn from
    n_train = 512  # examples of the short training run
    batch_size = 64
    steps = 40
    lr = 0.02
    momentum = 0.9
    seed = 0
    loss_lim = (0.1, 50.0)

    def __init__(self) -> None:
        X, y = load_digits()
        X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, rng=0, stratify=True)
        self.X = X_train[: self.n_train].astype(np.float32)  # (512, 64)
        self.y = y_train[: self.n_train]  # (512,)
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        return {
            "init": controls.Dropdown(
                options=INIT_CHOICES,
                value="xavier_normal",
                description="initializer",
                style=style,
                layout=widgets.Layout(width="330px"),
            ),
            "activation": controls.Dropdown(
                options=["tanh", "relu"],
                value="tanh",
                description="activation",
                style=style,
                layout=widgets.Layout(width="180px"),
            ),
            "depth": controls.IntSlider(
                value=6,
                min=1,
                max=self.max_depth,
                description="hidden layers",
                continuous_update=False,
                style=style,
            ),
        }

    def make_figure(self):
        fig, axes = new_figure(
            2, 2, width=12.5, height=6.4, gridspec_kw={"width_ratios": [2.3, 1.0]}
        )
        ax_act, ax_grad = axes[0, 0], axes[1, 0]
        gs = axes[0, 1].get_subplotspec().get_gridspec()
        axes[0, 1].remove()
        axes[1, 1].remove()
        ax_loss = fig.add_subplot(gs[:, 1])
        ax_loss.grid(True, alpha=0.3)
        self._acts = HistogramColumns(ax_act, self.max_depth, PALETTE["blue"])
        self._grads = HistogramColumns(ax_grad, self.max_depth, PALETTE["vermillion"])
        ax_act.set_xlabel(COLUMN_XLABEL)
        ax_act.set_ylabel("activation value")
        ax_grad.set_title("Gradients dL/dW of each layer's weights (exact zeros left out)")
        ax_grad.set_xlabel(COLUMN_XLABEL)
        ax_grad.set_ylabel("gradient value")
        self._ax_act = ax_act
        (self._loss_line,) = ax_loss.semilogy([], [], "-", color=PALETTE["blue"], lw=2)
        (self._end,) = ax_loss.plot([], [], "X", color=PALETTE["vermillion"], ms=12)
        ax_loss.axhline(math.log(10), color="grey", ls="--", lw=1)
        ax_loss.text(1, math.log(10) * 1.1, "chance: ln 10", color=TEXT_COLORS["grey"], fontsize=8)
        ax_loss.set_xlim(0, self.steps + 1)
        ax_loss.set_ylim(*self.loss_lim)
        ax_loss.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost render time
        ax_loss.set_xlabel(f"training step (batches of {self.batch_size})")
        ax_loss.set_ylabel("training loss (log scale)")
        ax_loss.set_title(f"{self.steps} steps of SGD, lr {self.lr}, momentum {self.momentum}")
        self._note = ax_loss.text(
            0.5,
            0.97,
            "",
            transform=ax_loss.transAxes,
            ha="center",
            va="top",
            color=TEXT_COLORS["vermillion"],
            fontweight="bold",
        )
        ax_act.set_title("Activations of each hidden layer (relu; exact zeros left out)")
        placeholder = column_labels(["0.00"] * self.max_depth)  # two-line labels, for the layout
        self._acts.update([None] * self.max_depth, placeholder, -2.5e-13, 2.5e-13)
        self._grads.update([None] * self.max_depth, placeholder, -2.5e-13, 2.5e-13)
        freeze_layout(fig)  # lay out once: constrained layout on every redraw is slow
        return fig

    def compute(self, init: str, activation: str, depth: int) -> dict[str, Any]:
        with one_blas_thread():
            return self._compute(init, activation, depth)

    def _compute(self, init: str, activation: str, depth: int) -> dict[str, Any]:
        sizes = [self.X.shape[1]] + [self.width] * depth + [10]
        model = mlp(sizes, activation, INITIALIZERS[init], rng=self.seed, dtype=np.float32)
        prof = init_profile(model, self.X[: self.n_stats], self.y[: self.n_stats])
        relu = activation == "relu"
        lo, hi = value_range(prof.activations, quantile=0.995)
        glo, ghi = value_range(prof.weight_grads, symmetric=True, quantile=0.95)
        act_shapes = self._acts.shapes(prof.activations, lo, hi, drop_zeros=relu)
        grad_shapes = self._grads.shapes(prof.weight_grads, glo, ghi, drop_zeros=True)

        opt = optim.SGD(model.parameters(), lr=self.lr, momentum=self.momentum)
        loss_fn = CrossEntropyLoss()
        losses: list[float] = []
        with np.errstate(all="ignore"):
            for step in range(self.steps):
                start = (step * self.batch_size) % len(self.X)
                sl = slice(start, start + self.batch_size)
                loss = train_step(model, loss_fn, opt, self.X[sl], self.y[sl])
                losses.append(loss)
                if not math.isfinite(loss):
                    break  # train_step skipped this update; the run has diverged
            acc = accuracy(predict(model, self.X), self.y)
        diverged = not math.isfinite(losses[-1])
        return {
            "init": init,
            "activation": activation,
            "depth": depth,
            "act_std": prof.act_std,
            "grad_std": np.array([_std(g) for g in prof.weight_grads]),
            "grad_norm": prof.grad_norm,
            "saturated": prof.saturated,
            "act_range": (lo, hi),
            "grad_range": (glo, ghi),
            "act_shapes": act_shapes,
            "grad_shapes": grad_shapes,
            "losses": np.array(losses),
            "diverged": diverged,
            "accuracy": float("nan") if diverged else acc,
            "distinct_units": distinct_units(model[0].params["W"]),
        }

    def draw(self, result: dict[str, Any]) -> None:
        lo, hi = result["act_range"]
        self._acts.update(
            result["act_shapes"], column_labels([_fmt(s) for s in result["act_std"]]), lo, hi
        )
        glo, ghi = result["grad_range"]
        self._grads.update(
            result["grad_shapes"], column_labels([_fmt(s) for s in result["grad_std"]]), glo, ghi
        )
        note = "; exact zeros left out" if result["activation"] == "relu" else ""
        self._ax_act.set_title(f"Activations of each hidden layer ({result['activation']}{note})")
        losses = result["losses"]
        finite = np.isfinite(losses)
        lo_l, hi_l = self.loss_lim
        steps = np.arange(1, len(losses) + 1)
        self._loss_line.set_data(steps[finite], np.clip(losses[finite], lo_l, hi_l))
        if result["diverged"]:
            last = steps[finite][-1:] if finite.any() else np.array([1])
            last_y = np.clip(losses[finite][-1:], lo_l, hi_l) if finite.any() else [hi_l]
            self._end.set_data(last, last_y)
            self._note.set_text(f"diverged at step {len(losses)}")
        else:
            self._end.set_data([], [])
            self._note.set_text("")

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"Histograms of the activations and of the weight gradients of each of the "
            f"{len(result['act_std'])} hidden layers ({result['activation']}, {result['init']} "
            f"initialization), and the training loss per step (log scale). "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        s, g = result["act_std"], result["grad_norm"]
        depth = len(s)
        parts = [
            f"activation std: layer 1 {_fmt(s[0])} → layer {depth} {_fmt(s[-1])}",
            f"‖dL/dW‖: layer 1 {_fmt(g[0])} → layer {depth} {_fmt(g[-1])}",
        ]
        sat = result["saturated"]
        if np.isfinite(sat).any():
            parts.append(f"saturated: {np.nanmean(sat):.0%} of tanh outputs")
        losses = result["losses"]
        if result["diverged"]:
            parts.append(f"<b>training diverged at step {len(losses)}</b> (loss not finite)")
        else:
            parts.append(
                f"<b>loss {_fmt(losses[0])} → {_fmt(losses[-1])}</b> after {len(losses)} steps, "
                f"training accuracy {result['accuracy']:.0%}"
            )
        n = result["distinct_units"]
        if n < self.width:
            parts.append(
                f"<b>only {n} distinct unit(s) of {self.width} in layer 1 after training</b>"
            )
        return " · ".join(parts)

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"init": "xavier_normal", "activation": "tanh", "depth": 6},
            {"init": "normal(std=0.01)", "activation": "tanh", "depth": 10},
            {"init": "normal(std=1.0)", "activation": "relu", "depth": 10},
            {"init": "kaiming_normal", "activation": "relu", "depth": 10},
            {"init": "zeros", "activation": "relu", "depth": 3},
        ]
