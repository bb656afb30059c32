"""Layers with parameters, dropout, and the container that chains layers.

* ``Linear``: the fully connected layer, ``out = x @ W + b``.
* ``Dropout``: zeroes random units while training (inverted dropout).
* ``Sequential``: runs layers in order; ``backward`` runs them in reverse.

Layout: batch-first. An input ``x`` has shape ``(N, D)``, one example per row.
``Linear`` stores ``W`` with shape ``(in, out)``, so the forward pass needs no
transpose, and ``b`` with shape ``(out,)``. (This is Keras' layout; PyTorch
stores the same weight transposed, as ``(out, in)``.)

A layer keeps its dtype: a float32 ``Linear`` refuses float64 input (as
PyTorch does) rather than quietly computing, and storing gradients, in float64.

The activation layers (``ReLU``, ``Sigmoid``, ...) are defined in
``nnlib.activations``, beside their functions and derivatives; they are
re-exported here, so ``from nnlib.layers import Linear, ReLU`` works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from numbers import Real

import numpy as np

from ._utils import RngLike, as_rng, float_dtype
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Swish, Tanh
from .init import get as get_initializer
from .module import Module

__all__ = [
    "Linear",
    "Dropout",
    "Sequential",
    # re-exported from nnlib.activations
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Swish",
    "Softmax",
]


def _check_float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return dtype


class Linear(Module):
    """Fully connected layer: ``out = x @ W + b``.

    Parameters
    ----------
    in_features : int
        Size ``D`` of each input row.
    out_features : int
        Size ``H`` of each output row.
    init : str or callable
        Initializer for ``W``: a name from ``nnlib.init`` (default
        ``"xavier_uniform"``, as in Keras; ``"he_normal"`` suits ReLU layers) or
        a callable ``init(shape, rng=rng, dtype=dtype) -> array``. ``b`` starts at 0.
    bias : bool
        Learn a bias ``b`` (default) or not.
    rng : None, int or np.random.Generator
        Randomness for the initializer.
    dtype : np.float64 (default) or np.float32
        Dtype of the parameters.

    Attributes
    ----------
    params : dict
        ``"W"``: (in_features, out_features); ``"b"``: (out_features,) when ``bias``.
    grads : dict
        Same keys and shapes, written by ``backward``.

    Examples
    --------
    >>> layer = Linear(3, 4, rng=0)
    >>> layer(np.ones((5, 3))).shape
    (5, 4)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str | Callable[..., np.ndarray] = "xavier_uniform",
        bias: bool = True,
        rng: RngLike = None,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Linear: {name} must be a positive integer; got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = _check_float_dtype(dtype)
        shape = (self.in_features, self.out_features)
        W = np.asarray(get_initializer(init)(shape, rng=as_rng(rng), dtype=dtype), dtype=dtype)
        if W.shape != shape:
            raise ValueError(f"Linear: init returned W of shape {W.shape}; expected {shape}")
        self.params["W"] = W  # (in, out)
        if bias:
            self.params["b"] = np.zeros(self.out_features, dtype=dtype)  # (out,)
        self._x = None  # the input of the last forward, needed for dW

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = x @ W + b``.

        Parameters
        ----------
        x : ndarray, shape (N, in_features)

        Returns
        -------
        out : ndarray, shape (N, out_features)

        Raises
        ------
        ValueError
            When ``x`` is not ``(N, in_features)``.
        TypeError
            When ``x`` is a wider float than the parameters (float64 into a
            float32 layer); integers and narrower floats are promoted.
        """
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            hint = "; a single example must be a row of a 2-D batch: x.reshape(1, -1)"
            raise ValueError(
                f"{self!r} got input of shape {x.shape}; expected (N, {self.in_features})"
                + (hint if x.ndim == 1 else "")
            )
        dtype = self.params["W"].dtype
        if x.dtype.kind == "f" and x.itemsize > dtype.itemsize:
            raise TypeError(
                f"{self!r} holds {dtype} parameters but got {x.dtype} input; convert the "
                f"input, x.astype(np.{dtype}), or the model, model.astype(np.{x.dtype})"
            )
        self._x = x
        out = x @ self.params["W"]  # (N, out)
        if "b" in self.params:
            out += self.params["b"]  # (out,) added to every row
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients of ``out = x @ W + b``::

            dW = x.T @ dout          (in, out)
            db = dout.sum(axis=0)    (out,)    every row used the same b
            dx = dout @ W.T          (N, in)

        Parameters
        ----------
        dout : ndarray, shape (N, out_features)
            Gradient of the loss with respect to ``out``.

        Returns
        -------
        dx : ndarray, shape (N, in_features)
        """
        x = self._x
        if x is None:
            raise RuntimeError(f"{self!r}: backward was called before forward")
        if dout.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"{self!r}.backward got dout of shape {dout.shape}; expected "
                f"{(x.shape[0], self.out_features)}, the shape of forward's output"
            )
        with np.errstate(under="ignore"):  # a tiny dout (logits near -740) may round to 0
            self.grads["W"] = x.T @ dout  # (in, out)
            if "b" in self.params:
                self.grads["b"] = dout.sum(axis=0)  # (out,)
            return dout @ self.params["W"].T  # (N, in)

    def extra_repr(self) -> str:
        bias = "" if "b" in self.params else ", bias=False"
        return f"{self.in_features}, {self.out_features}{bias}"


class Dropout(Module):
    """Inverted dropout (Srivastava et al., 2014): a regularizer used while training.

    In training mode each unit is zeroed with probability ``p`` and the
    survivors are scaled by ``1 / (1 - p)``, so every unit keeps its expected
    value, ``E[out] = x``. In evaluation mode (``model.eval()``) the layer is
    the identity, and nothing needs rescaling at test time::

        mask = (u >= p) / (1 - p),  u ~ Uniform[0, 1) of x's shape
        out  = x * mask
        dx   = dout * mask

    Parameters
    ----------
    p : float in [0, 1)
        Probability of zeroing a unit.
    rng : None, int or np.random.Generator
        Source of the random masks.
    """

    def __init__(self, p: float = 0.5, rng: RngLike = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, Real) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability p must be in [0, 1); got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self._mask = None  # (N, D) scaled mask of the last training forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = x * mask`` while training, a copy of ``x`` in eval mode; shape (N, D)."""
        if not self.training or self.p == 0.0:
            self._mask = None
            return np.array(x, copy=True)
        mask = (self.rng.random(x.shape) >= self.p).astype(float_dtype(x))  # (N, D) 0/1
        mask *= 1.0 / (1.0 - self.p)
        self._mask = mask
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout * mask`` (``dout`` itself, copied, in eval mode); shape (N, D)."""
        return dout.copy() if self._mask is None else dout * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """A chain of layers: ``forward`` applies them in order, ``backward`` in reverse.

    Parameters
    ----------
    *layers : Module
        The layers, first to last (a single list of layers works too).

    Examples
    --------
    >>> model = Sequential(Linear(2, 16, rng=0), ReLU(), Linear(16, 1, rng=1))
    >>> model.forward(np.zeros((5, 2))).shape
    (5, 1)
    >>> len(model), model.num_parameters()
    (3, 65)
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers: list[Module] = []
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        """Add ``layer`` at the end; returns ``self``."""
        if not isinstance(layer, Module):
            hint = ""
            if isinstance(layer, type) and issubclass(layer, Module):
                hint = f"; did you mean {layer.__name__}() (an instance, not the class)?"
            raise TypeError(
                f"Sequential takes layers; got {layer!r} at position {len(self.layers)}{hint}"
            )
        self.layers.append(layer)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply every layer in turn: ``x`` (N, D) -> output of the last layer."""
        if not self.layers:
            return np.array(x, copy=True)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` (shape of the output) from the last layer to the first.

        Every layer writes its own ``grads`` and hands ``dx`` to the layer
        before it. Returns ``dx`` with the shape of the model's input.
        """
        if not self.layers:
            return dout.copy()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def children(self) -> Iterator[Module]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])  # the same layer objects, not copies
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def astype(self, dtype: type | np.dtype) -> Sequential:
        """Convert every parameter (and existing gradient) to ``dtype``; returns ``self``.

        The arrays are replaced inside each layer's ``params``/``grads`` dicts.
        Create the optimizer afterwards: its state keeps the dtype it was made with.
        """
        dtype = _check_float_dtype(dtype)
        for module in self.modules():
            for store in (module.params, module.grads):
                for name in list(store):
                    store[name] = store[name].astype(dtype, copy=False)
        return self

    def __repr__(self) -> str:
        """One line per layer with its parameter count, then the total."""
        rows = [(f"({i}): {layer!r}", layer.num_parameters()) for i, layer in enumerate(self)]
        width = max((len(text) for text, n in rows if n and "\n" not in text), default=0)
        lines = ["Sequential("]
        for text, n in rows:
            if "\n" in text:  # a nested container: indent its lines, it prints its own total
                text = text.replace("\n", "\n  ")
            elif n:
                text = f"{text:<{width}}  {n} param{'s' if n != 1 else ''}"
            lines.append("  " + text)
        lines.append(f")  total {self.num_parameters()} parameters")
        return "\n".join(lines)
