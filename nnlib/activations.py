"""Activation functions, their derivatives, and the layers built from them, side by side.

Each activation appears three times, next to each other:

* ``sigmoid(z)``, the pure function, and ``sigmoid_grad(z)``, its derivative:
  ``z`` is an array of any shape and both return a *new* array of the same
  shape and dtype (float32 in, float32 out), so they can be plotted on a grid;
* ``Sigmoid()``, the layer: ``forward(z)`` caches what the derivative needs and
  ``backward(dout)`` returns ``dx = dout * f'(z)`` (a new array, same shape as
  ``dout``; ``z`` is batch-first, ``(N, D)``, though any shape works). Every
  layer exposes its pure pair as ``layer.fn`` / ``layer.grad_fn``.

``get("relu")`` builds a layer from its name. Softmax is the exception to
"elementwise": each output depends on a whole row, so its backward pass is a
Jacobian-vector product, ``softmax_backward(s, dout)``.

Numerical stability. No function overflows for any finite input: ``sigmoid``
uses ``exp(-|z|)``, which lies in (0, 1]; ``softmax`` and ``log_softmax``
subtract the row maximum first, so the largest exponent is ``exp(0) = 1``.
Tiny results such as ``exp(-1000)`` *underflow* to 0.0 (or to a subnormal
number near ``z = -740``), which is the correct answer; the functions and
backward passes that can underflow ignore that one warning
(``np.errstate(under="ignore")``), so they stay quiet even when the caller asks
NumPy to raise on every floating-point event.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._utils import float_dtype
from .module import Module

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


# -- identity -----------------------------------------------------------------
def identity(z: np.ndarray) -> np.ndarray:
    """``identity(z) = z`` (returned as a copy, never the input itself)."""
    return np.array(z, copy=True)


def identity_grad(z: np.ndarray) -> np.ndarray:
    """``identity'(z) = 1``."""
    return np.ones_like(z)


class Activation(Module):
    """Base class of the activation layers: no parameters, ``out = fn(z)``.

    The default ``backward`` is the chain rule for an elementwise function,
    ``dx = dout * grad_fn(z)``; subclasses that get ``f'`` more cheaply from
    their own output (sigmoid, tanh) cache the output instead of ``z``. Layers
    never modify their input, so a cached output may be the returned array.

    Attributes
    ----------
    fn, grad_fn : callable
        The pure function and its derivative, ``fn(z)`` / ``grad_fn(z)``.
    saturating : bool
        True when ``f'(z) -> 0`` for large ``|z|`` on both sides (sigmoid, tanh,
        softmax): the classic source of vanishing gradients.
    """

    fn: Callable[[np.ndarray], np.ndarray] = staticmethod(identity)
    grad_fn: Callable[[np.ndarray], np.ndarray] | None = staticmethod(identity_grad)
    saturating: bool = False

    def __init__(self) -> None:
        super().__init__()
        self._cache = None  # whatever backward needs, set by forward

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward")
        return self._cache

    def forward(self, z: np.ndarray) -> np.ndarray:
        """``out = fn(z)``; ``z`` and ``out`` have the same shape, e.g. (N, D)."""
        self._cache = z
        return self.fn(z)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout * f'(z)``, same shape as ``dout``."""
        z = self._cached()
        with np.errstate(under="ignore"):  # a tiny slope times dout may underflow to 0
            return dout * self.grad_fn(z)


class Identity(Activation):
    """``out = z`` (a copy): the "linear" activation of a regression output."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z.copy()

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.copy()


# -- sigmoid ------------------------------------------------------------------
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


@np.errstate(under="ignore")
def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """``sigmoid'(z) = s * (1 - s)`` with ``s = sigmoid(z)``; at most 0.25, at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


class Sigmoid(Activation):
    """``out = sigmoid(z)``; caches ``s = out`` because ``sigmoid'(z) = s * (1 - s)``."""

    fn, grad_fn, saturating = staticmethod(sigmoid), staticmethod(sigmoid_grad), True

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = s = sigmoid(z)
        return s

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._cached()
        with np.errstate(under="ignore"):  # s near 1e-310 (z near -710): the slope underflows
            return dout * (s * (1.0 - s))


# -- tanh ---------------------------------------------------------------------
def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, values in [-1, 1]; ``tanh(z) = 2 * sigmoid(2 z) - 1``."""
    return np.tanh(z)


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)**2``; at most 1, at z = 0."""
    t = np.tanh(z)
    return 1.0 - t * t


class Tanh(Activation):
    """``out = tanh(z)``; caches ``t = out`` because ``tanh'(z) = 1 - t**2``."""

    fn, grad_fn, saturating = staticmethod(tanh), staticmethod(tanh_grad), True

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = t = np.tanh(z)
        return t

    def backward(self, dout: np.ndarray) -> np.ndarray:
        t = self._cached()
        return dout * (1.0 - t * t)


# -- the ReLU family ------------------------------------------------------------
def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit, ``relu(z) = max(z, 0)``."""
    return np.maximum(z, 0)


def relu_grad(z: np.ndarray) -> np.ndarray:
    """``relu'(z) = 1 if z > 0 else 0`` (the kink at 0 gets 0, as in PyTorch)."""
    return (z > 0).astype(float_dtype(z))


class ReLU(Activation):
    """``out = max(z, 0)``; caches the mask ``z > 0``, so ``dx = dout * mask``."""

    fn, grad_fn = staticmethod(relu), staticmethod(relu_grad)

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = z > 0  # (N, D) bool
        return np.maximum(z, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        mask = self._cached()
        return dout * mask


def leaky_relu(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu(z) = z if z > 0 else negative_slope * z``."""
    return np.where(z > 0, z, negative_slope * z)


def leaky_relu_grad(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu'(z) = 1 if z > 0 else negative_slope``."""
    return np.where(z > 0, 1.0, negative_slope).astype(float_dtype(z), copy=False)


class LeakyReLU(Activation):
    """``out = z if z > 0 else negative_slope * z`` (default slope 0.01, as in PyTorch)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def fn(self, z: np.ndarray) -> np.ndarray:
        return leaky_relu(z, self.negative_slope)

    def grad_fn(self, z: np.ndarray) -> np.ndarray:
        return leaky_relu_grad(z, self.negative_slope)

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = mask = z > 0  # (N, D) bool
        return np.where(mask, z, self.negative_slope * z)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        mask = self._cached()
        return np.where(mask, dout, self.negative_slope * dout)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``z if z > 0 else alpha * (exp(z) - 1)``, bounded below by -alpha.

    Clevert et al. (2016). ``expm1(z) = exp(z) - 1``, accurate for small ``z``.
    """
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


@np.errstate(under="ignore")
def elu_grad(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``elu'(z) = 1 if z > 0 else alpha * exp(z)`` (which equals ``elu(z) + alpha``)."""
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


class ELU(Activation):
    """``out = elu(z, alpha)``; caches ``out`` because ``elu'(z) = out + alpha`` for z <= 0."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def fn(self, z: np.ndarray) -> np.ndarray:
        return elu(z, self.alpha)

    def grad_fn(self, z: np.ndarray) -> np.ndarray:
        return elu_grad(z, self.alpha)

    def forward(self, z: np.ndarray) -> np.ndarray:
        out = elu(z, self.alpha)
        self._cache = (z > 0, out)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        mask, out = self._cached()
        with np.errstate(under="ignore"):
            return dout * np.where(mask, 1.0, out + self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


# -- smooth ReLUs: GELU and SiLU (Swish) -------------------------------------------
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


class GELU(Activation):
    """``out = gelu(z)`` (tanh approximation); backward uses ``gelu_grad(z)``."""

    fn, grad_fn = staticmethod(gelu), staticmethod(gelu_grad)


@np.errstate(under="ignore")
def silu(z: np.ndarray) -> np.ndarray:
    """Sigmoid linear unit (Swish), ``silu(z) = z * sigmoid(z)``."""
    return z * sigmoid(z)


@np.errstate(under="ignore")
def silu_grad(z: np.ndarray) -> np.ndarray:
    """``silu'(z) = s + z * s * (1 - s) = s * (1 + z * (1 - s))`` with ``s = sigmoid(z)``."""
    s = sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


class SiLU(Activation):
    """``out = z * sigmoid(z)`` (also called Swish); backward uses ``silu_grad(z)``."""

    fn, grad_fn = staticmethod(silu), staticmethod(silu_grad)


swish = silu
swish_grad = silu_grad
Swish = SiLU


# -- softmax ----------------------------------------------------------------------
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


class Softmax(Activation):
    """``out = softmax(z, axis)``: rows of probabilities; backward is ``softmax_backward``.

    Not elementwise, so ``grad_fn`` is ``None``. For classification, feed the
    logits to ``CrossEntropyLoss`` instead: it fuses softmax and log stably.
    """

    fn, grad_fn, saturating = staticmethod(softmax), None, True

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = s = softmax(z, self.axis)
        return s

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._cached()
        return softmax_backward(s, dout, self.axis)

    def extra_repr(self) -> str:
        return "" if self.axis == -1 else f"axis={self.axis}"


# -- layers by name ----------------------------------------------------------------
_BY_NAME: dict[str, type[Activation]] = {
    "identity": Identity,
    "linear": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "silu": SiLU,
    "swish": SiLU,
    "softmax": Softmax,
}


def get(name: str | Activation, **kwargs) -> Activation:
    """A new activation layer from its name, e.g. ``get("relu")`` -> ``ReLU()``.

    Names are case-insensitive and ``-``/``_`` are interchangeable
    (``"leaky-relu"``, ``"LeakyReLU"`` and ``"leaky_relu"`` all work). Keyword
    arguments go to the layer: ``get("leaky_relu", negative_slope=0.2)``. An
    activation layer passed in is returned unchanged.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if isinstance(name, Activation):
        return name
    key = str(name).lower().replace("-", "_")
    key = {"leakyrelu": "leaky_relu"}.get(key, key)
    if key not in _BY_NAME:
        valid = ", ".join(sorted(_BY_NAME))
        raise ValueError(f"unknown activation {name!r}; valid names: {valid}")
    return _BY_NAME[key](**kwargs)
