"""The cures of chapter 7: normalization layers and residual connections in a deep network.

The chapter's deep network is a stack of ``depth`` ``Linear`` layers, 64 units
wide, with a sigmoid (or another activation) after every one but the last, on
the shipped digits. :func:`deep_net` builds it with the cures switched on or
off, one hidden layer at a time::

    plain        Linear -> f
    batch norm   Linear (no bias) -> BatchNorm1d -> f
    layer norm   Linear -> LayerNorm -> f
    residual     Residual(Sequential(Linear -> f))        out = x + f(x W + b)

* :func:`cure_profile` runs one forward and one backward pass (training mode,
  so batch norm uses the batch's statistics) and returns the spread of every
  hidden layer's output and ``||dL/dW||`` of every ``Linear`` layer (those
  inside residual blocks included);
* :func:`train_cure` trains a variant for a fixed budget on the standardized
  digits (``gradient_flow.standardized_digits``) and measures its test accuracy;
* :func:`image_share` measures, after every hidden ``Linear``, how much of
  the spread of a row comes from the image rather than from offsets that
  every image shares (what layer norm cannot remove);
* :func:`batch_mode_accuracy` classifies the test digits in *training* mode,
  in random batches of a given size: what batch norm does when the batch
  statistics replace the running ones, and why small batches hurt.

Arrays are batch-first (``X`` is ``(N, D)``). The figures are in
``nnlib.plots.cures``, the app in ``nnlib.widgets.ch07_gradients``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import activations
from ..diagnostics import in_mode, layer_outputs
from ..layers import Linear, Sequential
from ..losses import CrossEntropyLoss
from ..metrics import accuracy
from ..module import Module
from ..normalization import BatchNorm1d, LayerNorm
from ..optim import SGD
from ..residual import Residual
from ..training import History, fit, predict
from .gradient_flow import DEEP_NET_INITIALIZERS, layer_grad_norms, standardized_digits

__all__ = [
    "NORMS",
    "CURES",
    "CURE_RUN",
    "deep_net",
    "CureProfile",
    "cure_profile",
    "CureRun",
    "train_cure",
    "batch_mode_accuracy",
    "image_share",
    "cures_table",
]

#: Normalization choices of the app and of :func:`deep_net`: key -> label.
NORMS = {"none": "no normalization", "batch": "batch norm", "layer": "layer norm"}

#: The chapter's variants: label -> keyword arguments of :func:`deep_net`.
CURES: dict[str, dict[str, object]] = {
    "plain": {},
    "batch norm": {"norm": "batch"},
    "layer norm": {"norm": "layer"},
    "residual": {"residual": True},
}

#: The training budget of :func:`train_cure`: full passes, SGD with momentum, mini-batches.
CURE_RUN = {"epochs": 5, "lr": 0.05, "momentum": 0.9, "batch_size": 64}


def deep_net(
    depth: int,
    activation: str = "sigmoid",
    *,
    norm: str = "none",
    residual: bool = False,
    width: int = 64,
    n_in: int = 64,
    n_out: int = 10,
    init: str = "xavier_uniform",
    rng: int | np.random.Generator | None = 0,
) -> Sequential:
    """A deep MLP of ``depth`` ``Linear`` layers, with or without the cures.

    Every hidden layer is ``Linear(., width)``, then the normalization (if
    any), then the activation; with ``residual=True`` each hidden layer whose
    input already has ``width`` columns is wrapped as ``Residual(...)``, so it
    computes ``x + f(norm(x W + b))``. The last layer is a plain
    ``Linear(width, n_out)`` (the logits). With ``norm="none"`` and
    ``residual=False`` this is ``nnlib.mlp([n_in] + [width] * (depth - 1) + [n_out])``.

    Parameters
    ----------
    depth : int
        Number of ``Linear`` layers (>= 2).
    activation : str
        Name for ``nnlib.activations.get``.
    norm : {"none", "batch", "layer"}
        ``BatchNorm1d`` or ``LayerNorm`` after every hidden ``Linear``. Before
        batch norm the ``Linear`` has no bias: the batch mean would remove it.
    residual : bool
        Skip connections around the hidden layers.
    width, n_in, n_out : int
    init : str
        A key of ``DEEP_NET_INITIALIZERS`` or a name of ``nnlib.init``.
    rng : int, Generator or None
        One stream for all the weights, layer by layer from the input side.

    Returns
    -------
    Sequential
        Maps ``(N, n_in)`` to ``(N, n_out)`` logits.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"deep_net needs depth >= 2 Linear layers; got {depth!r}")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {sorted(NORMS)}; got {norm!r}")
    gen = np.random.default_rng(rng)
    w_init = DEEP_NET_INITIALIZERS.get(init, init)
    layers: list[Module] = []
    fan_in = n_in
    for _ in range(int(depth) - 1):
        hidden: list[Module] = [Linear(fan_in, width, init=w_init, bias=norm != "batch", rng=gen)]
        if norm == "batch":
            hidden.append(BatchNorm1d(width))
        elif norm == "layer":
            hidden.append(LayerNorm(width))
        hidden.append(activations.get(activation))
        if residual and fan_in == width:
            layers.append(Residual(Sequential(*hidden)))
        else:
            layers.extend(hidden)
        fan_in = width
    layers.append(Linear(fan_in, n_out, init=w_init, rng=gen))
    return Sequential(*layers)


@dataclass
class CureProfile:
    """What one batch looks like inside a deep network, at initialization.

    Attributes
    ----------
    act_std : ndarray, shape (depth - 1,)
        Std of every hidden layer's output (the activation, or ``x + f(x)`` of
        a residual block), input side first.
    grad_norms : ndarray, shape (depth,)
        ``||dL/dW||`` of every ``Linear`` layer, input side first.
    ratio : float
        ``grad_norms[0] / grad_norms[-1]``, first layer over output layer.
    """

    act_std: np.ndarray
    grad_norms: np.ndarray
    ratio: float


def _hidden_outputs(model: Sequential, X: np.ndarray) -> list[np.ndarray]:
    """Outputs of the top-level activation and residual layers (training mode)."""
    outs = layer_outputs(model, X, training=True)
    keep = (activations.Activation, Residual)
    return [out for layer, out in zip(model, outs, strict=True) if isinstance(layer, keep)]


def cure_profile(model: Sequential, X: np.ndarray, y: np.ndarray) -> CureProfile:
    """Activation spread and gradient norms of ``model`` on one batch (no update).

    Both passes run in training mode, as a training step would see the
    network: batch norm normalizes with the batch's own statistics. The
    running statistics and the mode are left as they were.
    """
    act_std = np.array([float(h.std()) for h in _hidden_outputs(model, X)])
    with in_mode(model, training=True):
        norms = layer_grad_norms(model, X, y)
    return CureProfile(act_std, norms, float(norms[0] / norms[-1]))


@dataclass
class CureRun:
    """One variant of the deep network, trained for the chapter's budget.

    Attributes
    ----------
    label : str
        A key of ``CURES`` (or the caller's name for the variant).
    profile : CureProfile
        At initialization, on the first 256 training digits.
    history : History
        Of ``nnlib.fit``.
    test_accuracy : float
        On the test digits, in evaluation mode.
    model : Sequential
        After training.
    """

    label: str
    profile: CureProfile
    history: History = field(repr=False)
    test_accuracy: float
    model: Sequential = field(repr=False)


def train_cure(
    label: str = "plain",
    depth: int = 30,
    activation: str = "sigmoid",
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    rng: int = 0,
    **budget: float,
) -> CureRun:
    """Build the variant ``CURES[label]`` of :func:`deep_net` and train it on the digits.

    ``nnlib.fit`` with ``CrossEntropyLoss`` and ``SGD`` with momentum; the
    budget is ``CURE_RUN`` (5 epochs, lr 0.05, momentum 0.9, batches of 64)
    unless overridden by keyword (``epochs=10``). A run whose loss stops
    being finite ends early (``history.stop_reason`` says so).

    Parameters
    ----------
    label : str
        A key of ``CURES``.
    depth : int
        Number of ``Linear`` layers.
    activation : str
    data : (X_train, X_test, y_train, y_test), optional
        Default: ``standardized_digits()``.
    rng : int
        Seed of the weights and of the batch order.

    Returns
    -------
    CureRun
    """
    if label not in CURES:
        raise ValueError(f"label must be one of {list(CURES)}; got {label!r}")
    unknown = set(budget) - set(CURE_RUN)
    if unknown:
        raise TypeError(
            f"train_cure got unknown budget keys {sorted(unknown)}; use {list(CURE_RUN)}"
        )
    run = {**CURE_RUN, **budget}
    X_train, X_test, y_train, y_test = data if data is not None else standardized_digits()
    model = deep_net(depth, activation, rng=rng, **CURES[label])  # type: ignore[arg-type]
    profile = cure_profile(model, X_train[:256], y_train[:256])
    opt = SGD(model.parameters(), lr=run["lr"], momentum=run["momentum"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is reported by its history
        history = fit(model, CrossEntropyLoss(), opt, X_train, y_train, epochs=int(run["epochs"]),
                      batch_size=int(run["batch_size"]), rng=rng)  # fmt: skip
    acc = accuracy(predict(model, X_test), y_test)
    return CureRun(label, profile, history, float(acc), model)


def batch_mode_accuracy(
    model: Sequential, X: np.ndarray, y: np.ndarray, batch_size: int, rng: int = 0
) -> float:
    """Accuracy when ``X`` is classified in *training* mode, in random batches of ``batch_size``.

    In training mode batch norm normalizes with the statistics of the batch at
    hand instead of its running averages, so an example's prediction depends
    on the other examples of its batch; the smaller the batch, the noisier
    those statistics. Rows left over after the last full batch are dropped.
    The model's mode and running statistics are restored.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int; got {batch_size!r}")
    if not 2 <= batch_size <= len(X):
        raise ValueError(f"batch_size must be between 2 and {len(X)}; got {batch_size}")
    order = np.random.default_rng(rng).permutation(len(X))
    n = (len(X) // batch_size) * batch_size
    correct = 0
    with in_mode(model, training=True):
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            logits = model.forward(X[rows])  # (B, C), normalized with this batch's statistics
            correct += int(np.sum(np.argmax(logits, axis=1) == y[rows]))
    return correct / n


def image_share(model: Sequential, X: np.ndarray) -> np.ndarray:
    """After every hidden ``Linear`` of a :func:`deep_net`: the share of a row's variance that
    differs from image to image.

    For the output ``z`` ``(N, H)`` of a ``Linear`` layer, the variance of a row
    across its ``H`` units is what layer norm divides by. Part of it is an
    offset pattern ``mean(z, axis=0)`` that every example of the batch shares;
    the rest, ``z - mean(z, axis=0)``, is what tells the images apart::

        share = mean_rows(var_units(z - mean(z, axis=0))) / mean_rows(var_units(z))

    1 when every unit averages to the same value over the batch, 0 when every
    image gives the same row. Training mode, as in :func:`cure_profile`; only
    top-level ``Linear`` layers (not those inside residual blocks).

    Returns
    -------
    ndarray, shape (n_hidden_linear,)
        Input side first; the output layer is left out.
    """
    outs = layer_outputs(model, X, training=True)
    shares = []
    for layer, z in zip(list(model)[:-1], outs[:-1], strict=True):
        if isinstance(layer, Linear):
            total = float(z.var(axis=1).mean())
            varying = float((z - z.mean(axis=0)).var(axis=1).mean())
            shares.append(varying / total if total > 0 else 0.0)
    return np.array(shares)


def cures_table(runs: dict[str, CureRun]) -> str:
    """One line per variant: gradient ratio first/last layer, loss and test accuracy."""
    lines = [
        f"{'variant':<12}{'first/last |dL/dW|':>20}{'loss: first':>13}{'last':>8}{'test acc':>10}"
    ]
    for label, run in runs.items():
        h = run.history
        last = h.loss[-1] if math.isfinite(h.loss[-1]) else float("nan")
        lines.append(
            f"{label:<12}{run.profile.ratio:>20.2g}{h.loss[0]:>13.3f}{last:>8.3f}"
            f"{run.test_accuracy:>10.1%}"
        )
    return "\n".join(lines)
