"""Activation layers, ``Sigmoid()``, ``ReLU()``, ...: the functions of ``nnlib.activations``.

``forward(z)`` caches what the derivative needs and ``backward(dout)`` returns
``dx = dout * f'(z)`` (a new array, same shape as ``dout``; ``z`` is batch-first,
``(N, D)``, though any shape works). Every layer exposes its pure pair as
``layer.fn`` / ``layer.grad_fn``, the functions and derivatives defined (and
documented, with their numerical care) in ``nnlib.activations``, which
re-exports every name of this module: ``nnlib.activations.ReLU`` is
``nnlib.activation_layers.ReLU``. ``get("relu")`` builds a layer from its name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import (
    elu,
    elu_grad,
    gelu,
    gelu_grad,
    identity,
    identity_grad,
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    silu,
    silu_grad,
    softmax,
    softmax_backward,
    tanh,
    tanh_grad,
)
from .module import Module

# fmt: off
__all__ = [
    "Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU",
    "SiLU", "Swish", "Softmax", "get",
]
# fmt: on


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

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """``dx = dout * f'(z)``, same shape as ``dout``; ``None`` when ``need_dx=False``."""
        z = self._cached()
        return dout * self.grad_fn(z) if need_dx else None


class Identity(Activation):
    """``out = z`` (a copy): the "linear" activation of a regression output."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z.copy()

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        return dout.copy() if need_dx else None


class Sigmoid(Activation):
    """``out = sigmoid(z)``; caches ``s = out`` because ``sigmoid'(z) = s * (1 - s)``."""

    fn, grad_fn, saturating = staticmethod(sigmoid), staticmethod(sigmoid_grad), True

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = s = sigmoid(z)
        return s

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        s = self._cached()
        return dout * (s * (1.0 - s)) if need_dx else None


class Tanh(Activation):
    """``out = tanh(z)``; caches ``t = out`` because ``tanh'(z) = 1 - t**2``."""

    fn, grad_fn, saturating = staticmethod(tanh), staticmethod(tanh_grad), True

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = t = np.tanh(z)
        return t

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        t = self._cached()
        return dout * (1.0 - t * t) if need_dx else None


class ReLU(Activation):
    """``out = max(z, 0)``; caches the mask ``z > 0``, so ``dx = dout * mask``."""

    fn, grad_fn = staticmethod(relu), staticmethod(relu_grad)

    def forward(self, z: np.ndarray) -> np.ndarray:
        self._cache = z > 0  # (N, D) bool
        return np.maximum(z, 0)

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        mask = self._cached()
        return dout * mask if need_dx else None


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

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        mask = self._cached()
        return np.where(mask, dout, self.negative_slope * dout) if need_dx else None

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


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

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        mask, out = self._cached()
        return dout * np.where(mask, 1.0, out + self.alpha) if need_dx else None

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Activation):
    """``out = gelu(z)`` (tanh approximation); backward uses ``gelu_grad(z)``."""

    fn, grad_fn = staticmethod(gelu), staticmethod(gelu_grad)


class SiLU(Activation):
    """``out = z * sigmoid(z)`` (also called Swish); backward uses ``silu_grad(z)``."""

    fn, grad_fn = staticmethod(silu), staticmethod(silu_grad)


Swish = SiLU


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

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        s = self._cached()
        return softmax_backward(s, dout, self.axis) if need_dx else None

    def extra_repr(self) -> str:
        return "" if self.axis == -1 else f"axis={self.axis}"


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
