"""Activation functions, their derivatives, and the layers built from them.

Each activation appears twice:

* as a pure function and its derivative, ``sigmoid(z)`` and ``sigmoid_grad(z)``,
  defined here: ``z`` is an array of any shape and both return a *new* array of
  the same shape and dtype (float32 in, float32 out), so they can be plotted on
  a grid;
* as a layer, ``Sigmoid()``, defined in ``nnlib.activation_layers`` and
  re-exported here: ``forward(z)`` caches what the derivative needs and
  ``backward(dout)`` returns ``dx = dout * f'(z)`` (a new array, same shape).
  Every layer exposes the pure pair as ``layer.fn`` / ``layer.grad_fn``.

Softmax is the exception to "elementwise": each output depends on a whole row,
so its backward pass is a Jacobian-vector product, ``softmax_backward(s, dout)``.

Numerical stability. No function overflows for any finite input: ``sigmoid``
uses ``exp(-|z|)``, which lies in (0, 1]; ``softmax`` and ``log_softmax``
subtract the row maximum first, so the largest exponent is ``exp(0) = 1``.
Tiny results such as ``exp(-1000)`` *underflow* to 0.0, which is the correct
answer; the functions that can underflow ignore that one warning
(``np.errstate(under="ignore")``), so they stay quiet even when the caller asks
NumPy to raise on every floating-point event.
"""

from __future__ import annotations

import math

import numpy as np

from ._utils import float_dtype

# fmt: off
__all__ = [
    # pure functions and their derivatives
    "identity", "identity_grad", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad",
    "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad",
    "gelu", "gelu_grad", "silu", "silu_grad", "swish", "swish_grad",
    "softmax", "softmax_backward", "log_softmax",
    # layers
    "Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU",
    "SiLU", "Swish", "Softmax", "get",
]
# fmt: on

# ---------------------------------------------------------------------------
# Pure functions: f(z) and f'(z), elementwise, same shape and dtype as z
# ---------------------------------------------------------------------------


def identity(z: np.ndarray) -> np.ndarray:
    """``identity(z) = z`` (returned as a copy, never the input itself)."""
    return np.array(z, copy=True)


def identity_grad(z: np.ndarray) -> np.ndarray:
    """``identity'(z) = 1``."""
    return np.ones_like(z)


@np.errstate(under="ignore")  # exp(-1000) -> 0.0 is the right answer
def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, ``sigmoid(z) = 1 / (1 + exp(-z))``, values in [0, 1].

    Computed from ``e = exp(-|z|)``, which never overflows::

        z >= 0:  1 / (1 + e)
        z <  0:  e / (1 + e)      (the same value, rewritten)
    """
    e = np.exp(-np.abs(z))  # in (0, 1]
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """``sigmoid'(z) = s * (1 - s)`` with ``s = sigmoid(z)``; at most 0.25, at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, values in [-1, 1]; ``tanh(z) = 2 * sigmoid(2 z) - 1``."""
    return np.tanh(z)


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)**2``; at most 1, at z = 0."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit, ``relu(z) = max(z, 0)``."""
    return np.maximum(z, 0)


def relu_grad(z: np.ndarray) -> np.ndarray:
    """``relu'(z) = 1 if z > 0 else 0`` (the kink at 0 gets 0, as in PyTorch)."""
    return (z > 0).astype(float_dtype(z))


def leaky_relu(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu(z) = z if z > 0 else negative_slope * z``."""
    return np.where(z > 0, z, negative_slope * z)


def leaky_relu_grad(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu'(z) = 1 if z > 0 else negative_slope``."""
    return np.where(z > 0, 1.0, negative_slope).astype(float_dtype(z), copy=False)


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``z if z > 0 else alpha * (exp(z) - 1)``, bounded below by -alpha.

    Clevert et al. (2016). ``expm1(z) = exp(z) - 1``, accurate for small ``z``.
    """
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


@np.errstate(under="ignore")
def elu_grad(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``elu'(z) = 1 if z > 0 else alpha * exp(z)`` (which equals ``elu(z) + alpha``)."""
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


_GELU_C = math.sqrt(2.0 / math.pi)  # a python float, so float32 stays float32
_GELU_A = 0.044715


def gelu(z: np.ndarray) -> np.ndarray:
    """Gaussian error linear unit, tanh approximation (Hendrycks & Gimpel, 2016)::

        gelu(z) = 0.5 * z * (1 + tanh(u)),   u = sqrt(2 / pi) * (z + 0.044715 * z**3)

    This is PyTorch's ``gelu(approximate="tanh")``; it differs from the exact
    ``z * Phi(z)`` by less than 1e-3.
    """
    u = _GELU_C * (z + _GELU_A * z * z * z)
    return 0.5 * z * (1.0 + np.tanh(u))


def gelu_grad(z: np.ndarray) -> np.ndarray:
    """``gelu'(z) = 0.5 * (1 + t) + 0.5 * z * (1 - t**2) * du/dz``, ``t = tanh(u)``, where

    ``du/dz = sqrt(2 / pi) * (1 + 3 * 0.044715 * z**2)``.
    """
    z2 = z * z
    t = np.tanh(_GELU_C * (z + _GELU_A * z2 * z))
    du = _GELU_C * (1.0 + 3.0 * _GELU_A * z2)
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du


@np.errstate(under="ignore")
def silu(z: np.ndarray) -> np.ndarray:
    """Sigmoid linear unit (Swish), ``silu(z) = z * sigmoid(z)``."""
    return z * sigmoid(z)


@np.errstate(under="ignore")
def silu_grad(z: np.ndarray) -> np.ndarray:
    """``silu'(z) = s + z * s * (1 - s) = s * (1 + z * (1 - s))`` with ``s = sigmoid(z)``."""
    s = sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


swish = silu
swish_grad = silu_grad


@np.errstate(under="ignore")
def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``softmax(z)_i = exp(z_i) / sum_j exp(z_j)``.

    Parameters
    ----------
    z : ndarray, shape (N, C) (any shape works)
        Scores ("logits"), one row per example.
    axis : int
        The axis that sums to 1 (the class axis).

    Returns
    -------
    ndarray, same shape and dtype as ``z``
        Non-negative, summing to 1 along ``axis``.

    Notes
    -----
    ``softmax(z) = softmax(z - c)`` for any constant ``c``; subtracting the
    maximum makes every exponent <= 0, so ``exp`` never overflows.
    """
    shifted = z - z.max(axis=axis, keepdims=True)  # (N, C), max entry 0
    e = np.exp(shifted)
    e /= e.sum(axis=axis, keepdims=True)
    return e


@np.errstate(under="ignore")
def softmax_backward(s: np.ndarray, dout: np.ndarray, axis: int = -1) -> np.ndarray:
    """Backward pass of softmax: the Jacobian-vector product ``dz = J^T dout``.

    With ``s = softmax(z)`` the Jacobian is ``ds_i/dz_j = s_i * (delta_ij - s_j)``,
    which gives, without forming the (C, C) matrix::

        dz = s * (dout - sum(dout * s, axis))

    Parameters
    ----------
    s : ndarray, shape (N, C)
        The softmax *output* (not the logits).
    dout : ndarray, shape (N, C)
        Gradient of the loss with respect to ``s``.
    axis : int
        The axis softmax was taken along.

    Returns
    -------
    ndarray, shape (N, C)
        Gradient of the loss with respect to the logits ``z``.
    """
    return s * (dout - (dout * s).sum(axis=axis, keepdims=True))


@np.errstate(under="ignore")
def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log_softmax(z) = z - logsumexp(z)`` along ``axis``, computed stably.

    ``logsumexp(z) = m + log(sum(exp(z - m)))`` with ``m = max(z)``. Unlike
    ``np.log(softmax(z))`` this stays finite when a probability underflows to 0
    (``log_softmax([1000, -1000]) = [0, -2000]``). Same shape and dtype as ``z``.
    """
    shifted = z - z.max(axis=axis, keepdims=True)  # (N, C), max entry 0
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# The layers live in nnlib.activation_layers, which imports the functions above; they are
# re-exported here, once those functions exist, so ``nnlib.activations.ReLU`` works. Import
# the layers through this module (as nnlib/__init__.py does, first of all), never
# nnlib.activation_layers before it: that order would find the functions still missing.
from .activation_layers import (  # noqa: E402
    ELU,
    GELU,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Swish,
    Tanh,
    get,
)
