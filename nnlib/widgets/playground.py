"""Capstone app: a small neural-network playground (in the spirit of TensorFlow Playground).

:class:`PlaygroundApp` puts every choice of the course on one panel: the data
(moons, circles, xor, spirals, and their noise), the network (hidden layers,
width, activation, initializer), the training (optimizer, learning rate, batch
size) and two regularizers (L2 strength, dropout). Three buttons drive it:

* **Train** runs ``chunk`` more epochs (50) with ``nnlib.fit``;
* **Step** runs one more epoch;
* **Reset** starts again from a new random initialization (the next seed).

Any change of a setting builds a new network (same seed) on the chosen data,
back at epoch 0. The figure shows the decision regions with the training
points (circles) and the test points (triangles), and the training and test
loss per epoch; the status line reports the epoch, the losses and accuracies.

Unlike the other apps, a slider does not "compute a result": it resets the
run. ``compute`` therefore builds a :class:`~nnlib.experiments.playground.PlaygroundRun`
and the buttons train it and redraw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import NullFormatter

from ..experiments.playground import (
    PLAYGROUND_ACTIVATIONS,
    PLAYGROUND_DATASETS,
    PLAYGROUND_INITS,
    PLAYGROUND_OPTIMIZERS,
    PlaygroundRun,
)
from ..plots import PALETTE, TEXT_COLORS, freeze_layout, new_figure
from ..plots.common import scatter_classes, show_grid, update_scatter_classes
from . import controls
from ._app import App, plain_text

__all__ = ["PlaygroundApp"]

#: Choices of the batch-size slider (100 is the whole training half: full batch).
BATCH_SIZES = (1, 5, 10, 20, 50, 100)
#: Choices of the L2-strength slider (as in TensorFlow Playground).
L2_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1)
#: Choices of the dropout slider.
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: Start values of the controls (any of them can be overridden: ``PlaygroundApp(dataset="xor")``).
DEFAULTS: dict[str, Any] = dict(
    dataset="moons", noise=0.2, layers=2, width=8, activation="tanh", init="Xavier uniform",
    optimizer="Adam", lr=0.03, batch_size=10, l2=0.0, dropout=0.0,
)  # fmt: skip


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if np.isfinite(x) else "—"


def _num(x: float) -> str:
    return f"{x:.3f}" if np.isfinite(x) else "NaN"


class PlaygroundApp(App):
    """Train a small network on 2-D data with every setting of the course at hand.

    Parameters
    ----------
    chunk : int
        Epochs run by one click on Train.
    **initial
        Start values of the controls (keys of ``DEFAULTS``), e.g. ``dataset="spirals"``.

    Attributes
    ----------
    run : PlaygroundRun
        The network being trained, its data and its per-epoch record.
    seed : int
        Seed of the current initialization; Reset adds one.
    """

    title = "Playground: build, train and regularize a small network"
    chunk = 50
    resolution = 60
    loss_floor = 1e-5  # losses below are drawn at this value (the loss axis is logarithmic)

    def __init__(self, chunk: int = 50, **initial: Any) -> None:
        unknown = sorted(set(initial) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"PlaygroundApp has no setting {unknown}; it has {sorted(DEFAULTS)}")
        self.chunk = int(chunk)
        self._initial = {**DEFAULTS, **initial}
        self.seed = 0
        self.run: PlaygroundRun | None = None
        self._shown_data: tuple[str, float] | None = None
        self._contour = None
        super().__init__()

    # -- controls -------------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        v = self._initial
        style = {"description_width": "initial"}
        lazy = dict(continuous_update=False, style=style)
        dropdown = dict(style=style, layout=widgets.Layout(width="auto"))
        made: dict[str, widgets.Widget] = {
            "dataset": controls.Dropdown(
                options=list(PLAYGROUND_DATASETS), value=v["dataset"], description="data",
                **dropdown,
            ),
            "noise": controls.FloatSlider(
                value=v["noise"], min=0.0, max=0.5, step=0.05, description="noise", **lazy
            ),
            "layers": controls.IntSlider(
                value=v["layers"], min=0, max=4, description="hidden layers", **lazy
            ),
            "width": controls.IntSlider(
                value=v["width"], min=1, max=16, description="units per layer", **lazy
            ),
            "activation": controls.Dropdown(
                options=list(PLAYGROUND_ACTIVATIONS), value=v["activation"],
                description="activation", **dropdown,
            ),
            "init": controls.Dropdown(
                options=list(PLAYGROUND_INITS), value=v["init"], description="initializer",
                **dropdown,
            ),
            "optimizer": controls.Dropdown(
                options=list(PLAYGROUND_OPTIMIZERS), value=v["optimizer"],
                description="optimizer", **dropdown,
            ),
            "lr": controls.FloatLogSlider(
                value=v["lr"], base=10, min=-4, max=0, step=0.1, description="learning rate",
                readout_format=".2g", **lazy,
            ),
            "batch_size": controls.SelectionSlider(
                options=list(BATCH_SIZES), value=v["batch_size"], description="batch size", **lazy
            ),
            "l2": controls.SelectionSlider(
                options=list(L2_STRENGTHS), value=v["l2"], description="L2 strength", **lazy
            ),
            "dropout": controls.SelectionSlider(
                options=list(DROPOUTS), value=v["dropout"], description="dropout", **lazy
            ),
        }  # fmt: skip
        buttons = {
            "train": (f"Train +{self.chunk}", "play", f"train {self.chunk} more epochs"),
            "step": ("Step +1", "step-forward", "train one more epoch"),
            "reset": ("Reset", "refresh", "start again from a new random initialization"),
        }
        actions: dict[str, Callable[[], Any]] = {
            "train": lambda: self.train(self.chunk),
            "step": lambda: self.train(1),
            "reset": self.reset,
        }
        for name, (label, icon, tip) in buttons.items():
            button = widgets.Button(description=label, icon=icon, tooltip=tip)
            button.on_click(lambda _b, act=actions[name]: act())
            made[name] = button
        return made

    def layout_controls(self) -> widgets.Widget:
        c = self.controls

        def row(*names: str) -> widgets.HBox:
            return widgets.HBox([c[n] for n in names], layout=widgets.Layout(flex_flow="row wrap"))

        return widgets.VBox(
            [
                row("dataset", "noise", "activation", "init"),
                row("layers", "width", "optimizer", "lr"),
                row("batch_size", "l2", "dropout"),
                row("train", "step", "reset"),
            ]
        )

    # -- figure -----------------------------------------------------------------
    def make_figure(self):
        fig, (ax, ax_loss) = new_figure(1, 2, width=10.5, height=4.3)
        grid = np.zeros((self.resolution, self.resolution))
        xx, yy = np.meshgrid(
            np.linspace(-2, 2, self.resolution), np.linspace(-2, 2, self.resolution)
        )
        self.ax = ax
        self.shading = show_grid(ax, xx, yy, grid + 0.5)
        empty = np.zeros((0, 2))
        self.train_points = scatter_classes(ax, empty, np.zeros(0), n_classes=2, s=24)
        self.test_points = scatter_classes(
            ax, empty, np.zeros(0), n_classes=2, s=26, marker="^", edgecolors="black",
            linewidths=0.5, alpha=0.85,
        )  # fmt: skip
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title("Decision regions, epoch 0 (● train, ▲ test)")
        blue, red = PALETTE["blue"], PALETTE["vermillion"]
        (self.train_line,) = ax_loss.plot([], [], color=blue, lw=2, label="training")
        (self.test_line,) = ax_loss.plot([], [], color=red, lw=2, label="test")
        (self.train_dot,) = ax_loss.plot([], [], "o", color=blue, ms=5)  # the current epoch
        (self.test_dot,) = ax_loss.plot([], [], "o", color=red, ms=5)
        ax_loss.set_yscale("log")
        ax_loss.yaxis.set_minor_formatter(NullFormatter())  # labels at powers of 10 only
        ax_loss.set_xlim(0, 1000)  # room for the widest labels in the frozen layout
        ax_loss.set_ylim(self.loss_floor, 10.0)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("cross-entropy loss (log scale)")
        ax_loss.set_title("Loss per epoch (dropout off, no penalty)")
        ax_loss.legend(loc="upper right", fontsize=8)
        self.ax_loss = ax_loss
        self._note = ax_loss.text(
            0.03, 0.05, "", transform=ax_loss.transAxes, color=TEXT_COLORS["vermillion"],
            fontweight="bold",
        )  # fmt: skip
        freeze_layout(fig)
        return fig

    # -- numbers ----------------------------------------------------------------
    def compute(self, **values: Any) -> dict[str, Any]:
        """A new run for these settings, at epoch 0 (any change of a setting resets)."""
        self.run = PlaygroundRun(**values, seed=self.seed, resolution=self.resolution)
        return self.run.result()

    def train(self, epochs: int) -> dict[str, Any]:
        """Train ``epochs`` more epochs, then redraw; returns the new result."""
        if self.run is None:
            self.update()
        self.run.train(epochs)
        return self.refresh()

    def reset(self) -> dict[str, Any]:
        """Back to epoch 0 with a new random initialization (the next seed)."""
        self.seed += 1
        return self.update()

    def refresh(self) -> dict[str, Any]:
        """Redraw from the current run, without training or resetting it."""
        return self.show(self.run.result())

    # -- drawing ------------------------------------------------------------------
    def draw(self, result: dict[str, Any]) -> None:
        xx, yy = result["xx"], result["yy"]
        data_key = (result["dataset"], result["noise"])
        if data_key != self._shown_data:
            update_scatter_classes(self.train_points, result["X_train"], result["y_train"])
            update_scatter_classes(self.test_points, result["X_test"], result["y_test"])
            extent = (xx.min(), xx.max(), yy.min(), yy.max())
            self.shading.set_extent(extent)
            self.ax.set_xlim(extent[0], extent[1])
            self.ax.set_ylim(extent[2], extent[3])
            self._shown_data = data_key
        probs = result["probabilities"]
        self.shading.set_data(probs)
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        if np.all(np.isfinite(probs)) and probs.min() < 0.5 < probs.max():
            self._contour = self.ax.contour(
                xx, yy, probs, levels=[0.5], colors="black", linewidths=1.2
            )
        self.ax.set_title(f"Decision regions, epoch {result['epoch']} (● train, ▲ test)")
        hist = result["history"]
        epochs = np.arange(len(hist["train_loss"]))
        with np.errstate(invalid="ignore"):  # NaN losses of a diverged run stay NaN
            train = np.maximum(np.asarray(hist["train_loss"], dtype=float), self.loss_floor)
            test = np.maximum(np.asarray(hist["test_loss"], dtype=float), self.loss_floor)
        self.train_line.set_data(epochs, train)
        self.test_line.set_data(epochs, test)
        self.train_dot.set_data(epochs[-1:], train[-1:])
        self.test_dot.set_data(epochs[-1:], test[-1:])
        right = max(10, epochs[-1])
        self.ax_loss.set_xlim(-0.02 * right, 1.02 * right)  # a margin: the dots stay whole
        finite = np.concatenate([train, test])
        finite = finite[np.isfinite(finite)]
        if finite.size:  # whole decades, so that labelled powers of 10 are always in view
            lo = np.floor(np.log10(finite.min() / 1.2))
            hi = np.ceil(np.log10(min(finite.max(), 1e4) * 1.2))
            self.ax_loss.set_ylim(10.0**lo, 10.0 ** max(hi, lo + 1))
        self._note.set_text("training diverged: press Reset" if result["diverged"] else "")

    def describe_figure(self, result: dict[str, Any]) -> str:
        layers, width = result["layers"], result["width"]
        net = f"{layers}×{width} {result['activation']}" if layers else "no-hidden-layer"
        return (
            f"Decision regions of a {net} network on the {result['dataset']} data (training "
            f"points as circles, test points as triangles) at epoch {result['epoch']}, and the "
            f"training and test loss per epoch (log scale). " + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        layers, width = result["layers"], result["width"]
        net = f"{layers}×{width} {result['activation']}" if layers else "no hidden layer"
        head = (
            f"<b>epoch {result['epoch']}</b> · training: loss {_num(result['train_loss'])}, "
            f"accuracy {_pct(result['train_accuracy'])} · test: loss {_num(result['test_loss'])}, "
            f"accuracy {_pct(result['test_accuracy'])} · network {net}, "
            f"{result['n_parameters']} parameters, init seed {result['seed']}"
        )
        if result["diverged"]:
            return f"{head} · <b>{result['diverged']}</b>"
        return head

    # -- benchmarks ------------------------------------------------------------------
    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"dataset": "moons", "layers": 2, "width": 8, "batch_size": 10},
            {"dataset": "spirals", "layers": 3, "width": 16, "activation": "ReLU"},
            {"dataset": "xor", "l2": 0.01, "dropout": 0.2, "optimizer": "SGD + momentum 0.9"},
            {"dataset": "circles", "layers": 4, "width": 16, "batch_size": 1},
        ]

    def bench_actions(self) -> dict[str, Callable[[], Any]]:
        """What the benchmark times besides slider moves: one click on Step (+1 epoch)."""
        return {"train one epoch": self.controls["step"].click}
