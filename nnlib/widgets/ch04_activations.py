"""Apps of chapter 4 (activation functions).

* :class:`ActivationExplorerApp` -- pick an activation; its curve ``f(z)``, its
  derivative ``f'(z)`` and the zone where ``|f'(z)|`` falls below a threshold
  (shaded grey: the gradient vanishes there). Nothing is trained, so the
  sliders redraw while dragged.
* :class:`ActivationTrainingApp` -- train a small network (``nnlib.fit``, Adam,
  full batch) on a 2-D data set with the chosen activation, width, depth,
  epochs and learning rate; the decision regions and the loss curve follow.
  Training takes a few tens of milliseconds, so its sliders update on release
  (``continuous_update=False``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..datasets import make_circles, make_moons, make_spirals, make_xor
from ..experiments.decision import grid_points, to_probabilities
from ..experiments.nonlinearity import (
    ACTIVATION_NAMES,
    activation_curves,
    describe_intervals,
    vanishing_intervals,
    vanishing_mask,
)
from ..losses import BCEWithLogitsLoss, CrossEntropyLoss
from ..models import mlp
from ..optim import Adam
from ..plots import CLASS_COLORS, PALETTE, freeze_layout, new_figure
from ..plots.ch04_activations import DISPLAY_NAMES, VANISH_COLOR
from ..plots.common import scatter_classes, update_scatter_classes
from ..training import TrainingDivergedWarning, accuracy, fit, predict
from . import controls
from ._app import App, plain_text

__all__ = ["ActivationExplorerApp", "ActivationTrainingApp"]

#: Points at which the explorer reports ``f`` and ``f'`` (and the tests check them).
SAMPLE_POINTS = (-10.0, -5.0, -1.0, 0.0, 1.0, 5.0, 10.0)
#: Data sets of the training app.
DATASETS = ("moons", "circles", "xor", "spirals")


def _options() -> list[tuple[str, str]]:
    return [(DISPLAY_NAMES[n], n) for n in ACTIVATION_NAMES]


# ============================================================================ explorer
class ActivationExplorerApp(App):
    """An activation's curve, its derivative, and where the derivative is almost zero.

    Controls: ``activation`` (dropdown over ``ACTIVATION_NAMES``), ``z_max``
    (the plot shows ``-z_max <= z <= z_max``) and ``threshold`` (log slider:
    derivatives smaller than this in absolute value are shaded). The result
    holds the grid ``z``, ``f``, ``df``, the boolean ``mask`` of the vanishing
    zone, its ``intervals`` and ``fraction`` of the range, the largest
    ``|f'|`` and ``f``/``f'`` at :data:`SAMPLE_POINTS` (``f_at``, ``df_at``).
    """

    title = "Activation functions: the curve, its slope, and where the slope vanishes"
    n_points = 801  # odd, so z = 0 is on the grid

    def __init__(self, activation: str = "sigmoid", z_max: float = 8.0) -> None:
        self._initial = (activation, z_max)
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        activation, z_max = self._initial
        style = {"description_width": "initial"}
        return {
            "activation": controls.Dropdown(
                options=_options(), value=activation, description="activation", style=style
            ),
            "z_max": controls.FloatSlider(
                value=z_max,
                min=2.0,
                max=12.0,
                step=0.5,
                description="z range ±",
                continuous_update=True,
                readout_format=".1f",
                style=style,
            ),  # fmt: skip
            "threshold": controls.FloatLogSlider(
                value=0.01,
                base=10,
                min=-4,
                max=-1,
                step=0.25,
                description="|f'| below",
                continuous_update=True,
                readout_format=".0e",
                style=style,
            ),  # fmt: skip
        }

    def make_figure(self):
        fig, (ax_f, ax_d) = new_figure(2, 1, width=6.4, height=5.2, sharex=True)
        (self.f_line,) = ax_f.plot([], [], color=PALETTE["blue"], lw=2.4, label="f(z)")
        (self.d_line,) = ax_d.plot([], [], color=PALETTE["vermillion"], lw=2.4, label="f'(z)")
        (self.t_line,) = ax_d.plot([], [], color="0.4", lw=1, ls=":", label="± threshold")
        (self.t_line2,) = ax_d.plot([], [], color="0.4", lw=1, ls=":")
        for ax in (ax_f, ax_d):
            ax.axhline(0, color="0.3", lw=0.8)
            ax.axvline(0, color="0.3", lw=0.5)
        ax_f.set_ylabel("f(z)")
        ax_d.set_ylabel("f'(z)")
        ax_d.set_xlabel("pre-activation z")
        ax_d.set_title("derivative f'(z): the factor the gradient is multiplied by", fontsize=10)
        self.ax_f, self.ax_d = ax_f, ax_d
        self._shades: list = []
        self.z = None
        self.draw(self.compute(*self._initial, threshold=0.01))
        ax_f.legend(handles=[self.f_line], loc="upper left", fontsize=8)
        ax_d.legend(loc="upper left", fontsize=8)
        ax_d.set_xlim(-10.0, 10.0)  # lay out room for the widest tick labels; draw() resets it
        freeze_layout(fig)
        return fig

    def compute(self, activation: str, z_max: float, threshold: float) -> dict[str, Any]:
        z = np.linspace(-z_max, z_max, self.n_points)
        f, df = activation_curves(activation, z)
        mask = vanishing_mask(df, threshold)
        intervals = vanishing_intervals(z, mask)
        pts = np.array(SAMPLE_POINTS)
        f_at, df_at = activation_curves(activation, pts)
        return {
            "activation": activation,
            "z": z,
            "f": f,
            "df": df,
            "threshold": float(threshold),
            "mask": mask,
            "intervals": intervals,
            "where": describe_intervals(intervals, -z_max, z_max),
            "fraction": float(mask.mean()),
            "max_grad": float(np.max(np.abs(df))),
            "f_at": dict(zip(SAMPLE_POINTS, f_at.tolist(), strict=True)),
            "df_at": dict(zip(SAMPLE_POINTS, df_at.tolist(), strict=True)),
        }

    def draw(self, result: dict[str, Any]) -> None:
        z, f, df, t = result["z"], result["f"], result["df"], result["threshold"]
        self.f_line.set_data(z, f)
        self.d_line.set_data(z, df)
        ends = np.array([z[0], z[-1]])
        self.t_line.set_data(ends, [t, t])
        self.t_line2.set_data(ends, [-t, -t])
        for shade in self._shades:
            shade.remove()
        self._shades = [
            ax.fill_between(
                z,
                0,
                1,
                where=result["mask"],
                transform=ax.get_xaxis_transform(),
                color=VANISH_COLOR,
                alpha=0.3,
                linewidth=0,
                step="mid",
            )  # fmt: skip
            for ax in (self.ax_f, self.ax_d)
        ]
        self.ax_f.set_xlim(z[0], z[-1])
        for ax, y in ((self.ax_f, f), (self.ax_d, df)):
            lo, hi = float(min(y.min(), 0.0)), float(max(y.max(), 0.0))
            pad = 0.08 * max(hi - lo, 1e-3)
            ax.set_ylim(lo - pad, hi + pad)
        name = DISPLAY_NAMES.get(result["activation"], result["activation"])
        self.ax_f.set_title(
            f"{name}: grey where |f'(z)| < {t:.2g} ({result['where']})", fontsize=10
        )

    def describe_figure(self, result: dict[str, Any]) -> str:
        z = result["z"]
        name = DISPLAY_NAMES.get(result["activation"], result["activation"])
        return (
            f"The {name} activation f(z) and its derivative f'(z) for z from {z[0]:g} to "
            f"{z[-1]:g}, shaded grey where |f'(z)| < {result['threshold']:.2g} "
            f"({result['where']}). " + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        d = result["df_at"]
        return (
            f"largest |f'(z)| = <b>{result['max_grad']:.3g}</b> &nbsp;·&nbsp; "
            f"f'(1) = {d[1.0]:.3g}, f'(5) = {d[5.0]:.3g}, f'(10) = {d[10.0]:.3g}, "
            f"f'(-5) = {d[-5.0]:.3g} &nbsp;·&nbsp; vanishing on "
            f"<b>{result['fraction']:.0%}</b> of the range shown"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"activation": "sigmoid", "z_max": 8.0, "threshold": 0.01},
            {"activation": "tanh", "z_max": 6.0, "threshold": 0.01},
            {"activation": "relu", "z_max": 8.0, "threshold": 0.001},
            {"activation": "gelu", "z_max": 10.0, "threshold": 0.01},
        ]


# ============================================================================ training
def training_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The 2-D data sets of :class:`ActivationTrainingApp` (seeded, about 200 points).

    ``"moons"`` (two half circles), ``"circles"`` (a ring around a disc),
    ``"xor"`` (four clusters, opposite corners share a class) and
    ``"spirals"`` (three arms, three classes). None is separable by a line.

    Returns
    -------
    X : ndarray, shape (N, 2)
    y : ndarray of int64, shape (N,)
    """
    if name == "moons":
        return make_moons(200, noise=0.15, rng=0)
    if name == "circles":
        return make_circles(200, noise=0.08, rng=0)
    if name == "xor":
        return make_xor(200, noise=0.3, rng=0)
    if name == "spirals":
        return make_spirals(210, n_classes=3, noise=0.2, rng=0)
    raise ValueError(f"unknown data set {name!r}; choose from {DATASETS}")


def _rgba(probs: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """(R, R, C) class probabilities -> (R, R, 4) image: the likeliest class's colour, pale if
    the network is unsure (as ``nnlib.plots.common.show_grid`` draws them)."""
    C = probs.shape[-1]
    colors = np.array([to_rgb(CLASS_COLORS[k]) for k in range(C)])  # (C, 3)
    best = probs.argmax(axis=-1)  # (R, R)
    conf = (probs.max(axis=-1) - 1.0 / C) / (1.0 - 1.0 / C)  # (R, R) in [0, 1]
    rgb = 1.0 - conf[..., None] * (1.0 - colors[best])
    return np.concatenate([rgb, np.full((*best.shape, 1), alpha)], axis=-1)


class ActivationTrainingApp(App):
    """Train a small network with the chosen activation; watch its decision regions and loss.

    The network is ``nnlib.mlp([2] + [width] * layers + [out], activation)`` (Xavier
    init, seed 0), trained by ``nnlib.fit`` with ``Adam(lr)`` on the full batch
    for ``epochs`` steps: ``BCEWithLogitsLoss`` for two classes (one output),
    ``CrossEntropyLoss`` for the three spiral arms (three outputs).

    Controls: ``dataset``, ``activation``, ``width``, ``layers`` (hidden
    layers), ``epochs``, ``lr``. The result holds ``accuracy`` (after
    training), ``loss`` (per epoch), ``linear_accuracy`` (the same data fitted
    by a single ``Linear`` layer, the best a linear model does here),
    ``probs`` on the grid, and ``diverged``.
    """

    title = "Train a small network: which activations bend the decision boundary?"
    resolution = 60  # grid points per axis of the decision regions

    def __init__(self, dataset: str = "moons", activation: str = "relu") -> None:
        self._initial = (dataset, activation)
        self._data = {name: training_data(name) for name in DATASETS}
        self._grids = {
            name: grid_points(X, self.resolution, 0.5) for name, (X, _) in self._data.items()
        }
        self._linear: dict[str, float] = {}
        for name in DATASETS:  # the linear baselines, once (about 25 ms each)
            self.linear_accuracy(name)
        self._shown = None
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        dataset, activation = self._initial
        style = {"description_width": "initial"}
        slider = dict(continuous_update=False, style=style)
        return {
            "dataset": controls.Dropdown(
                options=list(DATASETS), value=dataset, description="data", style=style
            ),
            "activation": controls.Dropdown(
                options=_options(), value=activation, description="activation", style=style
            ),
            "width": controls.IntSlider(
                value=8, min=1, max=32, step=1, description="units per layer", **slider
            ),
            "layers": controls.IntSlider(
                value=1, min=1, max=3, step=1, description="hidden layers", **slider
            ),
            "epochs": controls.IntSlider(
                value=200, min=20, max=500, step=20, description="epochs", **slider
            ),
            "lr": controls.FloatLogSlider(
                value=0.03,
                base=10,
                min=-3,
                max=0,
                step=0.1,
                description="learning rate",
                readout_format=".3f",
                **slider,
            ),  # fmt: skip
        }

    def make_figure(self):
        fig, (ax, ax_loss) = new_figure(
            1, 2, width=9.6, height=4.2, gridspec_kw={"width_ratios": [1.15, 1]}
        )
        X, y = self._data[self._initial[0]]
        xx, yy, _ = self._grids[self._initial[0]]
        extent = (xx.min(), xx.max(), yy.min(), yy.max())
        blank = np.ones((*xx.shape, 4))
        self.regions = ax.imshow(
            blank, origin="lower", extent=extent, aspect="auto", interpolation="bilinear", zorder=0
        )
        self.points = scatter_classes(ax, X, y, n_classes=3, s=16)
        self.contours: list = []
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        (self.loss_line,) = ax_loss.plot(
            [], [], color=PALETTE["blue"], lw=2.2, label="training loss"
        )
        ax_loss.set_yscale("log")
        ax_loss.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax_loss.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax_loss.yaxis.set_minor_locator(NullLocator())
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss (log scale)")
        ax_loss.set_title("loss during training", fontsize=10)
        self.ax, self.ax_loss = ax, ax_loss
        self.ax.set_title(" ", fontsize=10)
        ax_loss.set_ylim(0.002, 1.0)  # room for the widest tick labels; draw() rescales
        freeze_layout(fig)
        ax_loss.set_autoscaley_on(True)
        return fig

    # -- computations ---------------------------------------------------------
    @staticmethod
    def _problem(y: np.ndarray) -> tuple[int, Any, np.ndarray]:
        """(outputs, loss, targets): one logit with BCE for 2 classes, C logits with CE."""
        C = int(y.max()) + 1
        if C == 2:
            return 1, BCEWithLogitsLoss(), y.reshape(-1, 1).astype(float)
        return C, CrossEntropyLoss(), y

    def linear_accuracy(self, dataset: str) -> float:
        """Accuracy of a single ``Linear`` layer (logistic regression) trained on ``dataset``."""
        if dataset not in self._linear:
            X, y = self._data[dataset]
            n_out, loss_fn, target = self._problem(y)
            model = mlp([2, n_out], rng=0)
            fit(
                model, loss_fn, Adam(model.parameters(), lr=0.05), X, target, epochs=300, metrics=()
            )
            self._linear[dataset] = accuracy(predict(model, X), y, from_logits=True)
        return self._linear[dataset]

    def compute(
        self, dataset: str, activation: str, width: int, layers: int, epochs: int, lr: float
    ) -> dict[str, Any]:
        X, y = self._data[dataset]
        n_out, loss_fn, target = self._problem(y)
        model = mlp([2] + [int(width)] * int(layers) + [n_out], activation, rng=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingDivergedWarning)
            hist = fit(
                model, loss_fn, Adam(model.parameters(), lr=lr), X, target,
                epochs=int(epochs), metrics=(),
            )  # fmt: skip
        loss = np.asarray(hist.loss, dtype=float)
        diverged = bool(hist.stopped_early)
        xx, _, pts = self._grids[dataset]
        with np.errstate(all="ignore"):
            out = predict(model, np.vstack([X, pts]))
            acc = accuracy(out[: len(X)], y, from_logits=True)
            grid = out[len(X) :].reshape(*xx.shape, n_out)  # (R, R, n_out)
            if n_out == 1:
                p = to_probabilities(grid[..., 0], from_logits=True)  # (R, R)
                probs = np.stack([1.0 - p, p], axis=-1)
            else:
                probs = to_probabilities(grid, from_logits=True)
        probs = np.nan_to_num(probs, nan=1.0 / probs.shape[-1])
        return {
            "dataset": dataset,
            "activation": activation,
            "accuracy": float(acc),
            "linear_accuracy": self.linear_accuracy(dataset),
            "loss": loss,
            "final_loss": float(loss[-1]),
            "diverged": diverged,
            "probs": probs,
            "n_params": model.num_parameters(),
        }

    # -- drawing ----------------------------------------------------------------
    def _boundaries(self, grid: tuple, probs: np.ndarray) -> list:
        """Black lines where the predicted class changes: ``p_k = max_(j != k) p_j`` for each k.

        Each boundary between two classes is traced twice, exactly on top of itself.
        """
        xx, yy, _ = grid
        C = probs.shape[-1]
        if C == 2:
            margins = [probs[..., 1] - probs[..., 0]]
        else:
            margins = []
            for k in range(C):
                others = np.delete(probs, k, axis=-1).max(axis=-1)
                margins.append(probs[..., k] - others)
        lines = []
        for m in margins:
            if m.min() < 0 < m.max():
                lines.append(
                    self.ax.contour(xx, yy, m, levels=[0.0], colors="black", linewidths=1.2)
                )
        return lines

    def draw(self, result: dict[str, Any]) -> None:
        name = result["dataset"]
        if name != self._shown:
            X, y = self._data[name]
            xx, yy, _ = self._grids[name]
            update_scatter_classes(self.points, X, y)
            self.regions.set_extent((xx.min(), xx.max(), yy.min(), yy.max()))
            self.ax.set_xlim(xx.min(), xx.max())
            self.ax.set_ylim(yy.min(), yy.max())
            self._shown = name
        probs = result["probs"]
        self.regions.set_data(_rgba(probs))
        for line in self.contours:
            line.remove()
        self.contours = self._boundaries(self._grids[name], probs)
        loss = result["loss"]
        finite = np.isfinite(loss)
        self.loss_line.set_data(np.arange(1, len(loss) + 1)[finite], np.maximum(loss[finite], 1e-6))
        self.ax_loss.relim()
        self.ax_loss.autoscale_view()
        label = DISPLAY_NAMES.get(result["activation"], result["activation"])
        self.ax.set_title(f"{name}, {label}: accuracy {result['accuracy']:.1%}", fontsize=10)

    def describe_figure(self, result: dict[str, Any]) -> str:
        name = DISPLAY_NAMES.get(result["activation"], result["activation"])
        return (
            f"Decision regions of a small network with {name} activations trained on the "
            f"{result['dataset']} data, and its training loss per epoch (log scale). "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        if result["diverged"]:
            return (
                "<b>training diverged</b> (the loss stopped being finite): lower the learning rate"
            )
        return (
            f"training accuracy <b>{result['accuracy']:.1%}</b> &nbsp;·&nbsp; "
            f"a linear model reaches {result['linear_accuracy']:.1%} on this data &nbsp;·&nbsp; "
            f"final loss {result['final_loss']:.3g} &nbsp;·&nbsp; {result['n_params']} parameters"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"dataset": "moons", "activation": "relu", "width": 8, "layers": 1, "epochs": 200},
            {"dataset": "circles", "activation": "tanh", "width": 8, "layers": 1, "epochs": 200},
            {"dataset": "xor", "activation": "identity", "width": 8, "layers": 2, "epochs": 200},
            {"dataset": "spirals", "activation": "relu", "width": 16, "layers": 1, "epochs": 300},
            {"dataset": "moons", "activation": "sigmoid", "width": 8, "layers": 1, "epochs": 200},
        ]
