"""Apps of chapter 1: move a neuron's weights by hand; compare two losses.

* :class:`NeuronApp` -- sliders for ``w1``, ``w2``, ``b`` of one sigmoid neuron
  over a 2-D data set: the decision line ``w1 x1 + w2 x2 + b = 0``, the
  probability shading and the binary cross-entropy and accuracy update live.
* :class:`LossCompareApp` -- a slider for a predicted probability: MSE and
  cross-entropy of that prediction, for a true label 0 or 1.

Neither app trains anything, so every slider redraws while it is dragged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..activations import sigmoid
from ..datasets import make_blobs, make_moons
from ..experiments.decision import grid_points
from ..losses import BCELoss, BCEWithLogitsLoss, MSELoss
from ..plots import PALETTE, new_figure
from ..plots.common import scatter_classes, show_grid, update_scatter_classes
from . import controls
from ._app import App, plain_text

__all__ = ["NeuronApp", "LossCompareApp"]

_DATASETS = ("blobs", "moons")


def neuron_data(name: str = "blobs") -> tuple[np.ndarray, np.ndarray]:
    """The 2-D, two-class data sets of :class:`NeuronApp` (200 points, seeded).

    ``"blobs"``: two overlapping Gaussian clusters around (-1.2, -0.8) and
    (1.2, 0.8), which a straight line separates well but not perfectly.
    ``"moons"``: two interleaved half circles, which no straight line separates.

    Returns
    -------
    X : ndarray, shape (200, 2)
    y : ndarray of int64, shape (200,)
    """
    if name == "blobs":
        return make_blobs(200, centers=[[-1.2, -0.8], [1.2, 0.8]], cluster_std=0.9, rng=0)
    if name == "moons":
        X, y = make_moons(200, noise=0.15, rng=0)
        return X - np.array([0.5, 0.25]), y  # centred, so the bias slider's range suffices
    raise ValueError(f"unknown data set {name!r}; choose from {_DATASETS}")


def line_through_box(
    w1: float, w2: float, b: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Two points of the line ``w1 x1 + w2 x2 + b = 0`` spanning the box (the axes clip the rest).

    Returns
    -------
    xs, ys : ndarray, shape (2,) each
        Empty arrays when ``w1 = w2 = 0`` (then there is no line: the neuron
        gives every point the same output).
    """
    if abs(w2) >= abs(w1):
        if w2 == 0.0:
            return np.empty(0), np.empty(0)
        xs = np.array(xlim, dtype=float)
        return xs, -(w1 * xs + b) / w2
    ys = np.array(ylim, dtype=float)
    return -(w2 * ys + b) / w1, ys


def _slider(description: str, value: float, lo: float = -4.0, hi: float = 4.0, step: float = 0.1):
    return controls.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description,
        continuous_update=True, readout_format=".1f",
    )  # fmt: skip


class NeuronApp(App):
    """One sigmoid neuron, ``p = sigmoid(w1 x1 + w2 x2 + b)``, fitted by hand.

    Controls: ``w1``, ``w2``, ``b`` (sliders) and ``dataset`` ("blobs" or
    "moons"). The figure shows the points coloured by class, the shading
    ``p`` (the neuron's probability of class 1) on a grid, the decision line
    where ``p = 0.5`` with an arrow along ``(w1, w2)`` pointing to the class-1
    side, and a ring around every misclassified point. The result holds
    ``loss`` (binary cross-entropy of the 200 points), ``accuracy``,
    ``n_wrong`` and the line's end points.
    """

    title = "One neuron: move its weights and bias, watch the loss"
    resolution = 70  # grid points per axis of the probability shading

    def __init__(self, w1: float = -1.0, w2: float = 1.5, b: float = 1.0) -> None:
        self._initial = (w1, w2, b)
        self._data = {name: neuron_data(name) for name in _DATASETS}
        self._grids = {
            name: grid_points(X, self.resolution, 0.6) for name, (X, _) in self._data.items()
        }
        self._targets = {name: y.astype(float) for name, (_, y) in self._data.items()}
        self._loss = BCEWithLogitsLoss()
        self._shown = None  # the data set currently drawn
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        w1, w2, b = self._initial
        return {
            "w1": _slider("w1", w1),
            "w2": _slider("w2", w2),
            "b": _slider("b", b),
            "dataset": controls.Dropdown(
                options=list(_DATASETS), value="blobs", description="data"
            ),
        }

    def make_figure(self):
        fig, ax = new_figure(width=5.6, height=4.8)
        X, y = self._data["blobs"]
        xx, yy, _ = self._grids["blobs"]
        self.ax = ax
        self.shading = show_grid(ax, xx, yy, np.full(xx.shape, 0.5))
        self.points = scatter_classes(ax, X, y, n_classes=2)
        (self.wrong,) = ax.plot(
            [], [], "o", ms=9, mfc="none", mec=PALETTE["black"], mew=1.2, label="misclassified"
        )
        (self.line,) = ax.plot(
            [], [], color=PALETTE["black"], lw=2.2, label="decision line p = 0.5"
        )
        self.arrow = ax.annotate(
            "", xy=(0, 0), xytext=(0, 0),
            arrowprops=dict(arrowstyle="-|>", color=PALETTE["black"], lw=2.5, mutation_scale=16),
            zorder=5,
        )  # fmt: skip
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_aspect("equal", adjustable="box")  # so the arrow looks perpendicular to the line
        ax.set_autoscale_on(False)
        ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
        fig.colorbar(self.shading, ax=ax, label="neuron output p = P(class 1)", shrink=0.85)
        return fig

    def compute(self, w1: float, w2: float, b: float, dataset: str) -> dict[str, Any]:
        X, y = self._data[dataset]
        w = np.array([w1, w2], dtype=float)  # (2,)
        z = X @ w + b  # (N,) one score per point
        loss = self._loss(z, self._targets[dataset])  # binary cross-entropy of sigmoid(z)
        wrong = (z > 0) != (y == 1)  # (N,) predicted class 1 when z > 0, i.e. p > 0.5
        xx, yy, points = self._grids[dataset]
        p_grid = sigmoid(points @ w + b).reshape(xx.shape)  # (R, R)
        xlim, ylim = (xx[0, 0], xx[0, -1]), (yy[0, 0], yy[-1, 0])
        line_x, line_y = line_through_box(w1, w2, b, xlim, ylim)
        n_wrong = int(np.count_nonzero(wrong))
        return {
            "dataset": dataset,
            "w": w,
            "b": float(b),
            "loss": float(loss),
            "accuracy": 1.0 - n_wrong / len(y),
            "n_wrong": n_wrong,
            "n": len(y),
            "wrong_points": X[wrong],
            "p_grid": p_grid,
            "line": (line_x, line_y),
        }

    def draw(self, result: dict[str, Any]) -> None:
        name = result["dataset"]
        if name != self._shown:  # a new data set: move the points and the grid
            X, y = self._data[name]
            xx, yy, _ = self._grids[name]
            update_scatter_classes(self.points, X, y)
            self.shading.set_extent((xx.min(), xx.max(), yy.min(), yy.max()))
            self.ax.set_xlim(xx.min(), xx.max())
            self.ax.set_ylim(yy.min(), yy.max())
            self._shown = name
        self.shading.set_data(result["p_grid"])
        self.line.set_data(*result["line"])
        self.wrong.set_data(result["wrong_points"][:, 0], result["wrong_points"][:, 1])
        self._draw_arrow(result["w"], result["b"])
        self.ax.set_title(
            f"loss {result['loss']:.3f}   accuracy {result['accuracy']:.0%}"
            f"   ({result['n_wrong']} of {result['n']} wrong)"
        )

    def _draw_arrow(self, w: np.ndarray, b: float) -> None:
        """An arrow along w, from the line's point nearest the centre of the view."""
        norm = float(np.hypot(*w))
        if norm == 0.0:
            self.arrow.set_visible(False)
            return
        xlim, ylim = self.ax.get_xlim(), self.ax.get_ylim()
        center = np.array([np.mean(xlim), np.mean(ylim)])
        foot = center - (center @ w + b) / norm**2 * w  # projection of the centre on the line
        length = 0.15 * (xlim[1] - xlim[0])
        self.arrow.xy = tuple(foot + length * w / norm)
        self.arrow.set_position(tuple(foot))
        self.arrow.set_visible(True)

    def describe_figure(self, result: dict[str, Any]) -> str:
        w1, w2 = result["w"]
        return (
            f"The {result['dataset']} data, {result['n']} points of two classes, shaded by the "
            f"neuron's predicted probability of class 1, with its decision line and weight "
            f"vector for w = ({w1:.1f}, {w2:.1f}), b = {result['b']:.1f}: {result['n_wrong']} "
            f"points are on the wrong side (marked); loss {result['loss']:.3f}, accuracy "
            f"{result['accuracy']:.1%}."
        )

    def describe(self, result: dict[str, Any]) -> str:
        w1, w2 = result["w"]
        return (
            f"binary cross-entropy <b>{result['loss']:.3f}</b> &nbsp;·&nbsp; "
            f"accuracy <b>{result['accuracy']:.1%}</b> ({result['n'] - result['n_wrong']}"
            f"/{result['n']} correct) &nbsp;·&nbsp; w = ({w1:.1f}, {w2:.1f}), b = {result['b']:.1f}"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"w1": -1.0, "w2": 1.5, "b": 1.0, "dataset": "blobs"},
            {"w1": 2.0, "w2": 1.5, "b": 0.0, "dataset": "blobs"},
            {"w1": 0.5, "w2": -2.0, "b": 0.3, "dataset": "moons"},
            {"w1": 3.5, "w2": 0.0, "b": -1.0, "dataset": "blobs"},
        ]


class LossCompareApp(App):
    """MSE against cross-entropy for one prediction: a probability ``p`` and a true label.

    Controls: ``p`` (the predicted probability of class 1) and ``label``
    (the true class, 0 or 1). The figure shows both losses as functions of
    ``p`` with the current prediction marked; the result holds ``mse``,
    ``cross_entropy`` (computed with ``nnlib.losses.MSELoss`` and ``BCELoss``)
    and their ``ratio``.
    """

    title = "MSE or cross-entropy: how much does one wrong prediction cost?"

    def __init__(self, p: float = 0.3, label: int = 1) -> None:
        self._initial = (p, label)
        self._p = np.linspace(0.001, 0.999, 400)
        self._mse, self._bce = MSELoss(), BCELoss()
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        p, label = self._initial
        return {
            "p": controls.FloatSlider(
                value=p,
                min=0.001,
                max=0.999,
                step=0.001,
                description="p",
                readout_format=".3f",
                continuous_update=True,
            ),  # fmt: skip
            "label": widgets.ToggleButtons(
                options=[("true label 0", 0), ("true label 1", 1)], value=label, description="y"
            ),
        }

    def make_figure(self):
        fig, ax = new_figure(width=6.4, height=3.8)
        c_mse, c_ce = PALETTE["blue"], PALETTE["vermillion"]
        (self.mse_curve,) = ax.plot([], [], color=c_mse, lw=2.5, label="MSE $(p - y)^2$")
        (self.ce_curve,) = ax.plot([], [], color=c_ce, lw=2.5, label="cross-entropy")
        (self.mse_dot,) = ax.plot([], [], "o", color=c_mse, ms=9)
        (self.ce_dot,) = ax.plot([], [], "o", color=c_ce, ms=9)
        self.vline = ax.axvline(0.5, color="0.4", ls="--", lw=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 7.0)
        ax.set_xlabel("predicted probability of class 1, $p$")
        ax.set_ylabel("loss of this one prediction")
        ax.legend(loc="upper center", fontsize=9, frameon=False)
        self.ax = ax
        return fig

    def compute(self, p: float, label: int) -> dict[str, Any]:
        target = np.array([float(label)])
        pred = np.array([float(p)])
        mse = self._mse(pred, target)
        ce = self._bce(pred, target)
        curve_ce = -np.log(self._p) if label == 1 else -np.log1p(-self._p)
        return {
            "p": float(p),
            "label": int(label),
            "mse": mse,
            "cross_entropy": ce,
            "ratio": ce / mse if mse > 0 else float("inf"),
            "curves": ((self._p - label) ** 2, curve_ce),
        }

    def draw(self, result: dict[str, Any]) -> None:
        mse_curve, ce_curve = result["curves"]
        self.mse_curve.set_data(self._p, mse_curve)
        self.ce_curve.set_data(self._p, ce_curve)
        p = result["p"]
        self.mse_dot.set_data([p], [result["mse"]])
        self.ce_dot.set_data([p], [min(result["cross_entropy"], 6.9)])
        self.vline.set_xdata([p, p])
        self.ax.set_title(
            f"y = {result['label']}, p = {p:.3f}:  MSE {result['mse']:.3f},"
            f"  cross-entropy {result['cross_entropy']:.3f}"
        )

    def describe_figure(self, result: dict[str, Any]) -> str:
        return (
            f"The loss of one prediction against the predicted probability p of class 1, for "
            f"the true label y = {result['label']}: the squared error (MSE) and the "
            f"cross-entropy, with p = {result['p']:.3f} marked on both. "
            + plain_text(self.describe(result))
            + "."
        )

    def describe(self, result: dict[str, Any]) -> str:
        wrong = (result["p"] > 0.5) != (result["label"] == 1)
        verdict = "wrong" if wrong else "right"
        return (
            f"The prediction is on the {verdict} side. MSE <b>{result['mse']:.3f}</b>, "
            f"cross-entropy <b>{result['cross_entropy']:.3f}</b> "
            f"({result['ratio']:.1f} times the MSE)"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [{"p": 0.3, "label": 1}, {"p": 0.01, "label": 1}, {"p": 0.9, "label": 0}]
