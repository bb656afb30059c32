"""Figures of chapter 7 (vanishing and exploding gradients), and the computations behind them.

Two experiments carry the chapter:

* **gradient flow at initialization.** A deep stack of ``Linear`` layers
  (:func:`deep_mlp`) gets one forward and one backward pass on a batch of the
  shipped digits; :func:`layer_grad_norms` returns ``||dL/dW||`` of every
  ``Linear`` layer, from the input side to the output. Sigmoid layers make it
  shrink about fourfold per layer on the way back; ReLU with He init keeps it
  level; weights drawn too large make it huge everywhere.
* **an exploding run and gradient clipping.** A 6-layer ReLU net fitted to a
  noisy sine wave by full-batch SGD with momentum and a learning rate that is
  a little too large (:func:`sine_run`): without clipping it learns for a while,
  then the loss reaches ``inf`` and ``nnlib.fit`` stops; clipping the gradient
  by value or by global norm keeps the same run (same seed) finite.

Arrays are batch-first (``X`` is ``(N, D)``). Functions that compute return
plain arrays or ``History`` objects; the ``*_figure`` functions return a
matplotlib ``Figure``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import init as nn_init
from ..activations import Activation
from ..activations import get as get_activation
from ..datasets import load_digits, make_sine
from ..diagnostics import layer_outputs
from ..layers import Linear, Sequential
from ..losses import CrossEntropyLoss, MSELoss
from ..optim import SGD
from ..training import History, fit, predict
from ._style import PALETTE, new_figure
from .common import loss_curve

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "RUN_COLORS",
    "get_init",
    "deep_mlp",
    "digits_batch",
    "layer_grad_norms",
    "activation_slopes",
    "shrink_per_layer",
    "sine_run",
    "dead_layers",
    "grad_norms_figure",
    "clipping_runs_figure",
    "sine_fits_figure",
]

#: Activations offered by the chapter's apps: name -> label.
ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU"}
#: Initializers offered by the chapter's apps: name -> label. Two are not in
#: ``nnlib.init`` by these names: ``"small_normal"`` is N(0, 0.01²) and
#: ``"large_normal"`` is N(0, 1), whatever the layer's size.
INITS = {
    "xavier_uniform": "Xavier (Glorot) uniform",
    "he_normal": "He (Kaiming) normal",
    "small_normal": "N(0, 0.01²): too small",
    "large_normal": "N(0, 1): too large",
}
#: One colour per run in the figures (no clipping, by norm, by value, other).
RUN_COLORS = [PALETTE[k] for k in ("vermillion", "blue", "green", "black", "purple", "orange")]

_STDS = {"small_normal": 0.01, "large_normal": 1.0}


def get_init(name: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """An initializer ``f(shape, rng=..., dtype=...)`` by name.

    Any name of ``nnlib.init`` works, plus ``"small_normal"`` (std 0.01) and
    ``"large_normal"`` (std 1), the two plain normal draws the chapter uses as
    bad examples. A callable is returned unchanged.
    """
    if isinstance(name, str) and name in _STDS:
        std = _STDS[name]

        def normal_init(shape, *, rng=None, dtype=np.float64):
            return nn_init.normal(shape, std=std, rng=rng, dtype=dtype)

        normal_init.__name__ = name
        return normal_init
    return nn_init.get(name)


def deep_mlp(
    depth: int,
    width: int = 64,
    n_in: int = 64,
    n_out: int = 10,
    activation: str = "sigmoid",
    init: str | Callable[..., np.ndarray] = "xavier_uniform",
    rng: int | np.random.Generator | None = 0,
) -> Sequential:
    """A deep network of ``depth`` Linear layers with an activation between them.

    ``Linear(n_in, width), act, Linear(width, width), act, ..., Linear(width, n_out)``:
    ``depth - 1`` hidden layers and a linear output (logits). Every ``Linear``,
    the output layer included, draws its weights from ``init``; biases start at 0.

    Parameters
    ----------
    depth : int
        Number of ``Linear`` layers (>= 1).
    width : int
        Units of every hidden layer.
    n_in, n_out : int
        Input features and outputs.
    activation : str
        A name for ``nnlib.activations.get`` (``"sigmoid"``, ``"relu"``, ...).
    init : str or callable
        See :func:`get_init`.
    rng : int or Generator
        One stream for all the layers, so the network is reproducible.

    Returns
    -------
    Sequential
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"deep_mlp: depth must be an int >= 1; got {depth!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    f = get_init(init)
    layers = []
    fan_in = n_in
    for _ in range(depth - 1):
        layers += [Linear(fan_in, width, init=f, rng=gen), get_activation(activation)]
        fan_in = width
    layers.append(Linear(fan_in, n_out, init=f, rng=gen))
    return Sequential(*layers)


def digits_batch(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` shipped digits: ``X`` ``(n, 64)`` pixels in [0, 1], ``y`` ``(n,)`` labels."""
    X, y = load_digits()
    return X[:n], y[:n]


def layer_grad_norms(
    model: Sequential, X: np.ndarray, y: np.ndarray, loss_fn: Any = None
) -> np.ndarray:
    """``||dL/dW||`` (Frobenius) of every ``Linear`` layer after one backward pass.

    One forward pass on ``X``, the loss against ``y``, one backward pass; no
    parameter changes (the layers' ``grads`` are overwritten, as by any
    backward pass).

    Parameters
    ----------
    model : Sequential
    X : array, shape (N, D)
    y : array
        Targets for ``loss_fn``.
    loss_fn : Loss, optional
        Default ``CrossEntropyLoss()`` (``y`` holds integer labels).

    Returns
    -------
    ndarray, shape (n_linear,)
        Entry 0 is the layer next to the input, the last entry the output layer.
    """
    loss_fn = CrossEntropyLoss() if loss_fn is None else loss_fn
    with np.errstate(over="ignore", invalid="ignore"):
        loss_fn.forward(model.forward(X), y)
        model.backward(loss_fn.backward())
    norms = [
        math.sqrt(float(np.vdot(layer.grads["W"], layer.grads["W"])))
        for layer in model
        if isinstance(layer, Linear)
    ]
    return np.array(norms)


def activation_slopes(model: Sequential, X: np.ndarray) -> np.ndarray:
    """The mean slope ``f'(z)`` of every activation layer on the batch ``X``.

    This is the factor each activation multiplies the backward signal by,
    averaged over examples and units: at most 0.25 for the sigmoid, the
    fraction of active units for ReLU.

    Returns
    -------
    ndarray, shape (n_activations,)
        Entry 0 is the activation nearest the input.
    """
    outs = layer_outputs(model, X)
    slopes = []
    for i, layer in enumerate(model):
        if isinstance(layer, Activation) and layer.grad_fn is not None:
            z = outs[i - 1] if i > 0 else np.asarray(X)  # the activation's input
            slopes.append(float(np.mean(layer.grad_fn(z))))
    return np.array(slopes)


def shrink_per_layer(norms: Sequence[float]) -> float:
    """The average factor between neighbouring layers' gradient norms, output towards input.

    The geometric mean of ``norms[l] / norms[l + 1]``, i.e.
    ``(norms[0] / norms[-1]) ** (1 / (len(norms) - 1))``: below 1 the gradient
    shrinks on its way back, above 1 it grows.
    """
    g = np.asarray(norms, dtype=float)
    if len(g) < 2:
        raise ValueError("shrink_per_layer needs at least two layers")
    return float((g[0] / g[-1]) ** (1.0 / (len(g) - 1)))


# ============================================================================ exploding run
#: The exploding run of the chapter: a 6-layer ReLU net (He init) on a sine wave, SGD.
SINE_RUN = {"depth": 6, "width": 32, "lr": 0.01, "momentum": 0.9, "n_samples": 200, "noise": 0.1}


def sine_run(
    clip_norm: float | None = None,
    clip_value: float | None = None,
    lr: float = SINE_RUN["lr"],
    momentum: float = SINE_RUN["momentum"],
    epochs: int = 100,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    rng: int = 0,
    quiet: bool = True,
) -> tuple[Sequential, History]:
    """Train the chapter's deep ReLU net on a noisy sine wave; the run that explodes.

    ``deep_mlp(6, width=32, n_in=1, n_out=1, activation="relu", init="he_normal")``
    fitted to ``make_sine(200, noise=0.1)`` by full-batch ``SGD`` with momentum
    and ``MSELoss`` for ``epochs`` epochs (one step each) through ``nnlib.fit``,
    which stops when the loss or the gradient stops being finite.

    Parameters
    ----------
    clip_norm, clip_value : float, optional
        Passed to ``fit`` (``grad_norm`` in the history is measured before clipping).
    lr, momentum : float
        Of ``SGD``. With momentum 0.9, ``lr = 0.01`` learns for about 20 epochs
        and then diverges without clipping; ``lr = 0.003`` does not diverge.
    epochs : int
    data : (X, y), optional
        Default ``make_sine(200, noise=0.1, rng=0)``.
    rng : int
        Seed of the weights (the same seed gives the same starting network).
    quiet : bool
        Silence ``fit``'s ``TrainingDivergedWarning`` (``history.stop_reason``
        still says what happened).

    Returns
    -------
    model : Sequential
        After training (a diverged run keeps the weights from before the failing step).
    history : History
    """
    X, y = data if data is not None else _sine_data()
    model = deep_mlp(
        SINE_RUN["depth"], SINE_RUN["width"], 1, 1, activation="relu", init="he_normal", rng=rng
    )
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        history = fit(model, MSELoss(), opt, X, y, epochs=epochs, metrics=(),
                      clip_norm=clip_norm, clip_value=clip_value)  # fmt: skip
    return model, history


_SINE_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _sine_data() -> tuple[np.ndarray, np.ndarray]:
    if "data" not in _SINE_CACHE:
        _SINE_CACHE["data"] = make_sine(SINE_RUN["n_samples"], noise=SINE_RUN["noise"], rng=0)
    return _SINE_CACHE["data"]


def dead_layers(model: Sequential, X: np.ndarray) -> list[int]:
    """Hidden layers (numbered from 1) in which every unit outputs 0 for every row of ``X``.

    Behind such a layer the network computes a constant: no signal passes
    forward and no gradient passes back (ReLU's slope is 0 there).
    """
    outs = layer_outputs(model, X)
    dead, hidden = [], 0
    for layer, out in zip(model, outs, strict=True):
        if isinstance(layer, Activation):
            hidden += 1
            if np.all(out == 0.0):
                dead.append(hidden)
    return dead


# ============================================================================ figures
def _log_limits(values: np.ndarray, min_decades: float = 3.0) -> tuple[float, float]:
    """Log-axis limits on whole decades around the finite positive ``values``."""
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return 1e-3, 1.0
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    if hi - lo < min_decades:
        pad = (min_decades - (hi - lo)) / 2
        lo, hi = math.floor(lo - pad), math.ceil(hi + pad)
    return 10.0**lo, 10.0**hi


def grad_norms_figure(
    runs: Mapping[str, Sequence[float]],
    guide: float | None = None,
    title: str = "Gradient norm of every layer, one backward pass",
) -> Figure:
    """``||dL/dW||`` per layer for several networks, on a log axis (one line per network).

    Parameters
    ----------
    runs : mapping of str -> sequence of float
        Label -> the norms of :func:`layer_grad_norms` (input side first).
    guide : float, optional
        Draw a dashed line that starts at the first run's output layer and is
        multiplied by ``guide`` per layer towards the input (e.g. 0.25, the
        sigmoid's largest slope).
    title : str

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=7.2, height=4.2)
    everything = []
    for k, (label, norms) in enumerate(runs.items()):
        g = np.asarray(norms, dtype=float)
        layers = np.arange(1, len(g) + 1)
        ax.plot(layers, g, "-o", color=RUN_COLORS[(k + 1) % len(RUN_COLORS)], lw=2, ms=6,
                label=label)  # fmt: skip
        everything.append(g)
    if guide is not None and runs:
        g = np.asarray(next(iter(runs.values())), dtype=float)
        L = len(g)
        layers = np.arange(1, L + 1)
        ax.plot(layers, g[-1] * float(guide) ** (L - layers), "--", color="0.35", lw=1.2,
                label=f"× {guide:g} per layer (from the output layer)")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(*_log_limits(np.concatenate(everything)))
    ax.set_xticks(np.arange(1, max(len(g) for g in everything) + 1))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("||dL/dW||  (log scale)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def clipping_runs_figure(
    runs: Mapping[str, History],
    loss_limits: tuple[float, float] = (5e-3, 1e4),
    norm_limits: tuple[float, float] = (1e-2, 1e6),
    clip_norm: float | None = None,
) -> Figure:
    """Loss and gradient norm (before clipping) per epoch for several runs of ``fit``.

    A run that diverged is drawn up to the edge of the axes and marked with
    an × at the top, at the epoch where ``fit`` stopped.

    Parameters
    ----------
    runs : mapping of str -> History
        Label -> what ``nnlib.fit`` returned.
    loss_limits, norm_limits : (float, float)
        The log axes' ranges (the diverged values run off the top).
    clip_norm : float, optional
        Draw this threshold as a dashed line on the gradient-norm panel.

    Returns
    -------
    Figure
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.5, height=4.2)
    for k, (label, h) in enumerate(runs.items()):
        color = RUN_COLORS[k % len(RUN_COLORS)]
        with np.errstate(over="ignore", invalid="ignore"):
            loss_curve(ax1, h.loss, label=label, color=color, logy=True)
            loss_curve(ax2, h.grad_norm, label=label, color=color, logy=True,
                       ylabel="global gradient norm, before clipping")  # fmt: skip
        if h.stopped_early and h.stop_reason and "diverged" in h.stop_reason:
            stop = len(h.epoch)
            for ax, top in ((ax1, loss_limits[1]), (ax2, norm_limits[1])):
                ax.plot([stop], [top], "X", color=color, ms=12, clip_on=False, zorder=5)
            ax1.annotate(f"{label}: stopped at epoch {stop}", (stop, loss_limits[1]),
                         xytext=(8, -14), textcoords="offset points", color=color,
                         fontsize=9)  # fmt: skip
    if clip_norm is not None:
        ax2.axhline(clip_norm, color="0.35", ls="--", lw=1.2, label=f"threshold {clip_norm:g}")
    ax1.set_ylim(*loss_limits)
    ax2.set_ylim(*norm_limits)
    ax1.set_ylabel("training loss (MSE, log scale)")
    ax1.set_title("Loss per epoch")
    ax2.set_title("Gradient norm per epoch (what clipping sees)")
    for ax in (ax1, ax2):
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def sine_fits_figure(
    models: Mapping[str, Sequential],
    data: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "What the networks learned",
) -> Figure:
    """The sine-wave data and the curve each trained network draws through it.

    Parameters
    ----------
    models : mapping of str -> Sequential
        Label -> a network with one input and one output (e.g. from :func:`sine_run`).
    data : (X, y), optional
        Default: the chapter's ``make_sine(200, noise=0.1, rng=0)``.

    Returns
    -------
    Figure
    """
    X, y = data if data is not None else _sine_data()
    fig, ax = new_figure(width=6.4, height=4.0)
    ax.scatter(X[:, 0], y[:, 0], s=12, color="0.6", label="data")
    grid = np.linspace(X.min(), X.max(), 300).reshape(-1, 1)  # (300, 1)
    ax.plot(grid[:, 0], np.sin(grid[:, 0]), ":", color="black", lw=1.5, label="sin(x)")
    for k, (label, model) in enumerate(models.items()):
        ax.plot(grid[:, 0], predict(model, grid)[:, 0], color=RUN_COLORS[(k + 1) % len(RUN_COLORS)],
                lw=2.2, label=label)  # fmt: skip
    ax.set_ylim(-1.8, 1.8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return fig
