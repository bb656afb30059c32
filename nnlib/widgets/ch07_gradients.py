"""Apps of chapter 7 (vanishing and exploding gradients).

* :class:`GradientFlowApp` -- choose the depth (up to 50 ``Linear`` layers),
  the activation and the initializer of a deep network, and switch on the
  cures: batch norm or layer norm after every hidden ``Linear``, residual
  connections around the hidden layers; one backward pass on a batch of
  digits gives ``||dL/dW||`` for every layer, drawn as bars on a log axis. No
  training, so the sliders redraw while they move.
* :class:`ClippingApp` -- the chapter's exploding run (a 6-layer ReLU net on a
  sine wave, SGD with momentum 0.9 and a learning rate a little too large), trained for 100 steps
  with no clipping, clipping by global norm or clipping by value at a threshold
  on a log slider: the loss, the gradient norm before clipping, the fitted
  curve, and whether the run diverged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import LogLocator, NullLocator

from ..experiments.cures import NORMS, deep_net
from ..experiments.gradient_flow import (
    ACTIVATIONS,
    DEEP_NET_INITIALIZERS,
    INITS,
    dead_layers,
    digits_batch,
    layer_grad_norms,
    shrink_per_layer,
    sine_data,
    sine_run,
)
from ..plots import PALETTE, TEXT_COLORS, freeze_layout, new_figure
from ..plots.ch07_gradients import log_limits
from ..training import predict
from . import controls
from ._app import App, plain_text
from ._threads import one_blas_thread

__all__ = ["GradientFlowApp", "ClippingApp"]

_STYLE = {"description_width": "initial"}


def _light_log_axis(axis, numticks: int = 7) -> None:
    """Fewer ticks on a log axis (no minor ticks): drawing ticks is most of a redraw's cost."""
    axis.set_major_locator(LogLocator(base=10, numticks=numticks))
    axis.set_minor_locator(NullLocator())


def compare_phrase(ratio: float) -> str:
    """Words for ``first-layer norm / output-layer norm``."""
    if not np.isfinite(ratio):
        return "not a finite number"
    if ratio < 0.1:
        return f"{1 / ratio:,.3g} times smaller than at the output layer"
    if ratio > 10:
        return f"{ratio:,.3g} times larger than at the output layer"
    return "about as large as at the output layer (within a factor 10)"


def cures_label(result: dict[str, Any]) -> str:
    """``", batch norm + residual"`` and the like; empty without cures."""
    cures = [NORMS[result["norm"]]] if result["norm"] != "none" else []
    if result["residual"]:
        cures.append("residual")
    return ", " + " + ".join(cures) if cures else ""


class GradientFlowApp(App):
    """Per-layer gradient norms of a deep network at initialization (bars, log scale)."""

    title = "How the gradient flows back through a deep network"
    max_depth = 50
    width = 64
    n_examples = 256

    def __init__(self) -> None:
        self.X, self.y = digits_batch(self.n_examples)
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        return {
            "depth": controls.IntSlider(
                value=10, min=2, max=self.max_depth, description="layers", style=_STYLE
            ),
            "activation": controls.Dropdown(
                options=[(label, key) for key, label in ACTIVATIONS.items()],
                value="sigmoid",
                description="activation",
                style=_STYLE,
            ),
            "init": controls.Dropdown(
                options=[(label, key) for key, label in INITS.items()],
                value="xavier_uniform",
                description="initializer",
                style=_STYLE,
            ),
            "norm": widgets.ToggleButtons(
                options=[(label, key) for key, label in NORMS.items()],
                value="none",
                description="normalization",
                tooltips=[
                    "Linear -> activation",
                    "Linear -> BatchNorm1d -> activation (statistics of the batch)",
                    "Linear -> LayerNorm -> activation (statistics of each example)",
                ],
                style={"button_width": "auto", **_STYLE},
            ),
            "residual": controls.Dropdown(
                options=[("off", False), ("on: out = x + f(x)", True)],
                value=False,
                description="residual connections",
            ),
        }

    def make_figure(self):
        fig, ax = new_figure(width=8.5, height=4.0)
        ax.set_yscale("log")
        _light_log_axis(ax.yaxis, numticks=8)
        n = self.max_depth
        self._bars = list(ax.bar(np.arange(1, n + 1), np.ones(n), width=0.7, bottom=1e-3,
                                 color=PALETTE["blue"], edgecolor="white"))  # fmt: skip
        self._bars[-1].set_color(PALETTE["orange"])
        (self._level,) = ax.plot([], [], "--", color="0.35", lw=1, label="output layer's norm")
        ax.set_xlabel("layer (1 = next to the input; the last one is the output layer)")
        ax.set_ylabel("||dL/dW||  (log scale)")
        ax.set_ylim(1e-18, 1e4)  # the widest tick labels, for the layout
        ax.set_title("sigmoid, Xavier (Glorot) uniform: 10 layers")
        ax.legend(loc="upper left", fontsize=8)
        self._ax = ax
        freeze_layout(fig)
        return fig

    def compute(
        self, depth: int, activation: str, init: str, norm: str = "none", residual: bool = False
    ) -> dict[str, Any]:
        if init not in DEEP_NET_INITIALIZERS:
            raise ValueError(f"init must be one of {list(DEEP_NET_INITIALIZERS)}; got {init!r}")
        model = deep_net(int(depth), activation, norm=norm, residual=bool(residual),
                         width=self.width, n_in=self.X.shape[1], init=init, rng=0)  # fmt: skip
        with one_blas_thread():  # small matrices: more threads only wait for each other
            norms = layer_grad_norms(model, self.X, self.y)  # training mode: batch statistics
        return {
            "depth": int(depth),
            "activation": activation,
            "init": init,
            "norm": norm,
            "residual": bool(residual),
            "norms": norms,
            "ratio": float(norms[0] / norms[-1]),
            "shrink": shrink_per_layer(norms),
        }

    def draw(self, result: dict[str, Any]) -> None:
        norms, depth = result["norms"], result["depth"]
        lo, hi = log_limits(norms)
        for i, bar in enumerate(self._bars):
            visible = i < depth
            bar.set_visible(visible)
            if visible:
                bar.set_y(lo)
                bar.set_height(max(norms[i] - lo, 0.0))
                bar.set_color(PALETTE["orange"] if i == depth - 1 else PALETTE["blue"])
        ax = self._ax
        ax.set_ylim(lo, hi)
        ax.set_xlim(0.4, depth + 0.6)
        step = 1 if depth <= 15 else 2 if depth <= 30 else 5
        ax.set_xticks(np.arange(1, depth + 1, step) if step < 5 else [1, *range(5, depth + 1, 5)])
        self._level.set_data([0.4, depth + 0.6], [norms[-1], norms[-1]])
        ax.set_title(
            f"{ACTIVATIONS[result['activation']]}, {INITS[result['init']]}{cures_label(result)}: "
            f"{depth} layers"
        )

    def visible_bars(self) -> int:
        """How many bars the figure shows (one per Linear layer)."""
        return sum(bar.get_visible() for bar in self._bars)

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"Bars of the gradient norm of each of the {result['depth']} layers' weights (log "
            f"scale), for {ACTIVATIONS[result['activation']]} with {INITS[result['init']]} "
            f"initialization, {NORMS[result['norm']]}"
            f"{', with residual connections' if result['residual'] else ''}: "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        norms = result["norms"]
        text = (
            f"first layer {norms[0]:.3g}, output layer {norms[-1]:.3g}: the first layer's "
            f"gradient is <b>{compare_phrase(result['ratio'])}</b> · on average "
            f"×{result['shrink']:.3g} per layer on the way back"
        )
        if norms.max() > 1e3:
            text += " · <b>huge gradients</b>: one SGD step would throw the weights far away"
        elif norms.max() < 1e-4:
            text += " · <b>every gradient is tiny</b>: training would barely move"
        return text

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        plain = {"norm": "none", "residual": False}
        return [
            {"depth": 10, "activation": "sigmoid", "init": "xavier_uniform", **plain},
            {"depth": 30, "activation": "sigmoid", "init": "xavier_uniform", **plain},
            {"depth": 20, "activation": "relu", "init": "he_normal", **plain},
            {"depth": 30, "activation": "relu", "init": "large_normal", **plain},
            {"depth": 5, "activation": "tanh", "init": "small_normal", **plain},
            {"depth": 50, "activation": "sigmoid", "init": "xavier_uniform", **plain},
            {"depth": 50, "activation": "sigmoid", "init": "xavier_uniform", "norm": "batch",
             "residual": False},
            {"depth": 50, "activation": "sigmoid", "init": "xavier_uniform", "norm": "layer",
             "residual": True},
        ]  # fmt: skip


class ClippingApp(App):
    """The exploding sine run with no clipping, clipping by norm or by value."""

    title = "Gradient clipping on an exploding run (SGD with momentum 0.9, 100 steps)"
    steps = 100
    loss_limits = (1e-3, 1e6)
    norm_limits = (1e-2, 1e8)

    def __init__(self) -> None:
        self.X, self.y = sine_data()
        self.grid = np.linspace(self.X.min(), self.X.max(), 150).reshape(-1, 1)  # (150, 1)
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        return {
            "mode": widgets.ToggleButtons(
                options=[
                    ("no clipping", "none"),
                    ("clip by norm", "norm"),
                    ("clip by value", "value"),
                ],  # fmt: skip
                value="norm",
                description="clipping",
                style={"button_width": "auto", **_STYLE},
            ),
            "threshold": controls.FloatLogSlider(
                value=1.0,
                base=10,
                min=-3,
                max=4,
                step=0.1,
                description="threshold",
                readout_format=".3g",
                continuous_update=False,
                style=_STYLE,
            ),
            "lr": controls.FloatLogSlider(
                value=0.01,
                base=10,
                min=-3,
                max=-1,
                step=0.05,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
                style=_STYLE,
            ),
        }

    def make_figure(self):
        fig, (ax1, ax2, ax3) = new_figure(1, 3, width=13.0, height=3.9)
        steps = np.arange(1, self.steps + 1)
        (self._loss,) = ax1.plot(steps, np.full(self.steps, np.nan), color=PALETTE["blue"], lw=2)
        (self._loss_x,) = ax1.plot([1], [self.loss_limits[1]], "X", color=PALETTE["vermillion"],
                                   ms=12, clip_on=False, zorder=5, visible=False)  # fmt: skip
        ax1.set_yscale("log")
        _light_log_axis(ax1.yaxis)
        ax1.set_ylim(*self.loss_limits)
        ax1.set_xlim(0, self.steps + 1)
        ax1.set_xlabel("step (epoch of full-batch SGD)")
        ax1.set_ylabel("training loss (MSE, log scale)")
        ax1.set_title("Loss")
        self._note = ax1.text(0.97, 0.95, "", transform=ax1.transAxes, ha="right", va="top",
                              color=TEXT_COLORS["vermillion"], fontweight="bold")  # fmt: skip
        (self._norm,) = ax2.plot(steps, np.full(self.steps, np.nan), color=PALETTE["green"], lw=2,
                                 label="gradient norm (before clipping)")  # fmt: skip
        (self._norm_x,) = ax2.plot([1], [self.norm_limits[1]], "X", color=PALETTE["vermillion"],
                                   ms=12, clip_on=False, zorder=5, visible=False)  # fmt: skip
        self._thr = ax2.axhline(1.0, color=PALETTE["orange"], ls="--", lw=1.5,
                                label="threshold (clip by norm)")  # fmt: skip
        ax2.set_yscale("log")
        _light_log_axis(ax2.yaxis)
        ax2.set_ylim(*self.norm_limits)
        ax2.set_xlim(0, self.steps + 1)
        ax2.set_xlabel("step")
        ax2.set_ylabel("global gradient norm (log scale)")
        ax2.set_title("Gradient norm, before clipping")
        ax2.legend(loc="upper right", fontsize=8)
        ax3.scatter(self.X[:, 0], self.y[:, 0], s=10, color="0.6", label="data")
        (self._fit,) = ax3.plot(self.grid[:, 0], np.zeros(len(self.grid)), color=PALETTE["blue"],
                                lw=2.5, label="network after training")  # fmt: skip
        ax3.set_ylim(-2.0, 2.0)
        ax3.set_xlabel("x")
        ax3.set_ylabel("y")
        ax3.set_title("The fitted curve")
        ax3.legend(loc="upper left", fontsize=8)
        self._axes = (ax1, ax2, ax3)
        freeze_layout(fig)
        return fig

    def compute(self, mode: str, threshold: float, lr: float) -> dict[str, Any]:
        if mode not in ("none", "norm", "value"):
            raise ValueError(f"mode must be 'none', 'norm' or 'value'; got {mode!r}")
        model, h = sine_run(
            clip_norm=threshold if mode == "norm" else None,
            clip_value=threshold if mode == "value" else None,
            lr=lr,
            epochs=self.steps,
            data=(self.X, self.y),
        )
        loss = np.array(h.loss)
        grad_norm = np.array(h.grad_norm)
        diverged = bool(h.stopped_early)
        dead = [] if diverged else dead_layers(model, self.X)
        if diverged:
            verdict = "diverged"
        elif dead:
            verdict = "dead"
        elif loss[-1] > loss[0]:
            verdict = "growing"
        elif loss[-1] > 0.5 * loss[0]:
            verdict = "slow"
        else:
            verdict = "learning"
        clipped = int(np.sum(grad_norm > threshold)) if mode == "norm" else None
        return {
            "mode": mode,
            "threshold": float(threshold),
            "lr": float(lr),
            "loss": loss,
            "grad_norm": grad_norm,
            "diverged": diverged,
            "stop_reason": h.stop_reason,
            "steps_run": len(h.epoch),
            "dead_layers": dead,
            "verdict": verdict,
            "clipped_steps": clipped,
            "fit": None if diverged else predict(model, self.grid)[:, 0],
        }

    def draw(self, result: dict[str, Any]) -> None:
        n = result["steps_run"]
        pad = np.full(self.steps - n, np.nan)
        with np.errstate(invalid="ignore"):
            self._loss.set_ydata(np.concatenate([result["loss"], pad]))
            self._norm.set_ydata(np.concatenate([result["grad_norm"], pad]))
        diverged = result["diverged"]
        self._loss_x.set_data([n], [self.loss_limits[1]])
        self._norm_x.set_data([n], [self.norm_limits[1]])
        for artist in (self._loss_x, self._norm_x):
            artist.set_visible(diverged)
        self._fit.set_visible(not diverged)
        if diverged:
            self._note.set_text(f"diverged at step {n}")
        else:
            self._note.set_text("")
            self._fit.set_ydata(np.clip(result["fit"], -10.0, 10.0))
        self._thr.set_visible(result["mode"] == "norm")
        self._thr.set_ydata([result["threshold"], result["threshold"]])
        self.controls["threshold"].disabled = result["mode"] == "none"
        how = {"none": "no clipping", "norm": "clip by norm", "value": "clip by value"}
        name = how[result["mode"]]
        if result["mode"] != "none":
            name += f" at {result['threshold']:.3g}"
        self._axes[0].set_title(f"Loss: {name}, lr {result['lr']:.2g}")

    def describe_figure(self, result: dict[str, Any]) -> str:
        how = {"none": "no clipping", "norm": "clipping by norm", "value": "clipping by value"}
        at = f" at {result['threshold']:.3g}" if result["mode"] != "none" else ""
        return (
            f"The training loss and the gradient norm per step with {how[result['mode']]}{at} "
            f"and learning rate {result['lr']:.2g}, and the curve the network fits to the data. "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        loss, g = result["loss"], result["grad_norm"]
        verdict = result["verdict"]
        if verdict == "diverged":
            reason = (result["stop_reason"] or "").split(" (diverged)")[0]
            return (
                f"<b>diverged</b>: {reason}. The gradient norm went "
                f"{g[0]:.3g} → {np.nanmax(g):.3g} before that."
            )
        text = f"loss {loss[0]:.3g} → {loss[-1]:.3g} after {len(loss)} steps"
        if result["clipped_steps"] is not None:
            text += f" · the norm was clipped in {result['clipped_steps']} of {len(g)} steps"
        text += f" · largest gradient norm {g.max():.3g}"
        if verdict == "dead":
            dead = result["dead_layers"]
            which = f"layer {dead[0]}" if len(dead) == 1 else "layers " + ", ".join(map(str, dead))
            return (
                f"<b>finite, but the network died</b>: every ReLU of hidden {which} outputs 0, "
                f"so the network predicts a constant · {text}"
            )
        if verdict == "growing":
            return f"<b>finite only thanks to clipping; the loss grew</b> · {text}"
        if verdict == "slow":
            what = "global norm" if result["mode"] == "norm" else "largest entry"
            how = (
                f"every clipped gradient has a {what} of at most {result['threshold']:.3g}, "
                "so the steps are too short to get far in 100 steps"
            )
            return f"<b>finite, but barely learning</b>: {how} · {text}"
        return f"<b>finite, and learning</b> · {text}"

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"mode": "none", "threshold": 1.0, "lr": 0.01},
            {"mode": "norm", "threshold": 1.0, "lr": 0.01},
            {"mode": "value", "threshold": 0.3, "lr": 0.01},
            {"mode": "norm", "threshold": 1e-3, "lr": 0.1},
            {"mode": "none", "threshold": 1.0, "lr": 0.003},
        ]
