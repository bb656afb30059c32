"""Gradient flow through deep networks, and an exploding run tamed by clipping.

* **gradient flow at initialization.** A deep stack of ``Linear`` layers
  (``nnlib.mlp``) gets one forward and one backward pass on a batch of the
  shipped digits, standardized as chapter 5 teaches (:func:`standardized_digits`);
  :func:`layer_grad_norms` returns ``||dL/dW||`` of every
  ``Linear`` layer, from the input side to the output. Sigmoid layers make it
  shrink about fourfold per layer on the way back; ReLU with He init keeps it
  level; weights drawn too large make it huge everywhere.
* **an exploding run and gradient clipping.** A 6-layer ReLU net fitted to a
  noisy sine wave by full-batch SGD with momentum and a learning rate that is
  a little too large (:func:`sine_run`): without clipping it learns for a while,
  then the loss reaches ``inf`` and ``nnlib.fit`` stops; clipping the gradient
  by value or by global norm keeps the same run (same seed) finite.

Arrays are batch-first (``X`` is ``(N, D)``). The figures drawn from these
results are in ``nnlib.plots.ch07_gradients``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import init as nn_init
from ..activations import Activation
from ..datasets import load_digits, make_sine, standardize, train_test_split
from ..diagnostics import layer_outputs
from ..layers import Linear, Sequential
from ..losses import CrossEntropyLoss, MSELoss
from ..models import mlp
from ..optim import SGD
from ..training import History, fit

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "DEEP_NET_INITIALIZERS",
    "standardized_digits",
    "digits_batch",
    "layer_grad_norms",
    "activation_slopes",
    "shrink_per_layer",
    "SINE_RUN",
    "sine_data",
    "sine_run",
    "dead_layers",
]


#: Activations offered by the chapter's apps: name -> label.
ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU"}


#: Initializers offered by the chapter's apps: key -> label.
INITS = {
    "xavier_uniform": "Xavier (Glorot) uniform",
    "he_normal": "He (Kaiming) normal",
    "small_normal": "N(0, 0.01²): too small",
    "large_normal": "N(0, 1): too large",
}
#: key -> initializer for ``nnlib.mlp``. The last two are plain normal draws
#: whatever the layer's size, N(0, 0.01²) and N(0, 1): the chapter's bad examples.
DEEP_NET_INITIALIZERS: dict[str, str | Callable[..., np.ndarray]] = {
    "xavier_uniform": "xavier_uniform",
    "he_normal": "he_normal",
    "small_normal": nn_init.get("normal", std=0.01),
    "large_normal": nn_init.get("normal", std=1.0),
}


def standardized_digits(
    test_size: float = 0.3, rng: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits split as in chapter 5, every pixel standardized with the training statistics.

    Returns
    -------
    X_train, X_test : ndarray, shape (N_part, 64)
        Mean 0 and std 1 per pixel over the training rows (pixels that are
        always 0 there stay 0).
    y_train, y_test : ndarray of int, shape (N_part,)
        With the defaults: 1257 and 540 rows.
    """
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, rng=rng, stratify=True)
    X_train, stats = standardize(X_train)
    X_test, _ = standardize(X_test, stats)
    return X_train, X_test, y_train, y_test


def digits_batch(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's test batch: the first ``n`` rows of :func:`standardized_digits`' training part.

    Returns
    -------
    X : ndarray, shape (n, 64)
        Standardized pixels (mean 0 and std 1 per pixel over the 1257 training rows).
    y : ndarray of int, shape (n,)
        Their labels.
    """
    X_train, _, y_train, _ = standardized_digits()
    return X_train[:n], y_train[:n]


def layer_grad_norms(
    model: Sequential, X: np.ndarray, y: np.ndarray, loss_fn: Any = None
) -> np.ndarray:
    """``||dL/dW||`` (Frobenius) of every ``Linear`` layer after one backward pass.

    Layers inside blocks (a ``Residual``'s ``Sequential``) count too, in the
    order the forward pass meets them. One forward pass on ``X``, the loss
    against ``y``, one backward pass; no parameter changes (the layers'
    ``grads`` are overwritten, as by any backward pass).

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
        for layer in model.modules()
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

    ``nnlib.mlp([1] + [32] * 5 + [1], "relu", "he_normal")`` (six ``Linear`` layers)
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
    X, y = data if data is not None else sine_data()
    sizes = [1] + [SINE_RUN["width"]] * (SINE_RUN["depth"] - 1) + [1]
    model = mlp(sizes, "relu", "he_normal", rng=rng)
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        history = fit(model, MSELoss(), opt, X, y, epochs=epochs, metrics=(),
                      clip_norm=clip_norm, clip_value=clip_value)  # fmt: skip
    return model, history


def sine_data() -> tuple[np.ndarray, np.ndarray]:
    """The chapter's noisy sine wave, ``make_sine(200, noise=0.1, rng=0)`` (made once)."""
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


_SINE_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}
