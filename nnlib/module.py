"""The base class every layer derives from, the parameter handle, and named parameters.

``named_parameters(model)`` gives each parameter of a model a readable key
(``"0.W"``, ``"2.b"``), the keys ``History`` and the diagnostics use.

Conventions shared by the whole library (stated once, here):

* Arrays are batch-first: an input ``x`` has shape ``(N, D)``, one example a row.
* A module keeps its learnable arrays in ``params`` (a dict of name -> array) and,
  after ``backward``, the gradient of the loss with respect to each of them in
  ``grads`` under the same key.
* ``forward(x)`` caches whatever ``backward`` needs; ``backward(dout)`` returns
  ``dx`` (same shape as ``x``) and *overwrites* ``grads`` (it never accumulates).
  Neither mutates ``x`` or ``dout`` nor returns an alias of them.
* A layer's parameters and gradients keep its dtype: a float32 layer refuses a
  float64 input instead of quietly computing in float64.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["Module", "Parameter", "named_parameters"]


class Parameter:
    """A handle to one learnable array: ``owner.params[name]`` and its gradient.

    Optimizers receive a list of these from ``model.parameters()`` and update
    ``p.data`` in place, so the layer sees the new values without copying.

    Attributes
    ----------
    owner : Module
        The layer that holds the array.
    name : str
        Its key in ``owner.params`` and ``owner.grads`` (for example ``"W"``).
    """

    __slots__ = ("owner", "name")

    def __init__(self, owner: Module, name: str) -> None:
        self.owner = owner
        self.name = name

    @property
    def data(self) -> np.ndarray:
        """The array itself (update it in place)."""
        return self.owner.params[self.name]

    @property
    def grad(self) -> np.ndarray | None:
        """The gradient written by the last ``backward``, or ``None`` before any."""
        return self.owner.grads.get(self.name)

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        self.owner.grads[self.name] = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    def __repr__(self) -> str:
        return f"Parameter({type(self.owner).__name__}.{self.name}, shape={self.data.shape})"


class Module:
    """Base class of every layer: parameters, gradients and train/eval mode.

    Subclasses implement ``forward(x)`` and ``backward(dout)``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training: bool = True

    # -- the two passes -------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # -- parameters -----------------------------------------------------
    def children(self) -> Iterator[Module]:
        """Direct sub-modules (none for a plain layer)."""
        return iter(())

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first (``torch.nn.Module.modules``)."""
        yield self
        for child in self.children():
            yield from child.modules()

    def parameters(self) -> list[Parameter]:
        """Every learnable array of this module and its children, in a fixed order."""
        out = [Parameter(self, name) for name in self.params]
        for child in self.children():
            out.extend(child.parameters())
        return out

    def num_parameters(self) -> int:
        """How many learnable numbers the module holds."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every gradient to zeros of its parameter's shape and dtype."""
        for name, value in self.params.items():
            self.grads[name] = np.zeros_like(value)
        for child in self.children():
            child.zero_grad()

    # -- modes ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Switch to training mode (dropout active); returns ``self``."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off); returns ``self``."""
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def named_parameters(model: Module, prefix: str = "") -> list[tuple[str, Parameter]]:
    """Every parameter with a readable key: ``"<child index>.<name>"``, nested as needed.

    For ``Sequential(Linear, Tanh, Linear)`` the keys are ``"0.W"``, ``"0.b"``,
    ``"2.W"``, ``"2.b"``, in the order of ``model.parameters()``; a lone layer
    gives plain ``"W"``, ``"b"``.
    """
    out = [(prefix + name, Parameter(model, name)) for name in model.params]
    for i, child in enumerate(model.children()):
        out.extend(named_parameters(child, f"{prefix}{i}."))
    return out
