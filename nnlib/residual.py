"""Residual (skip) connections: ``out = x + block(x)`` (He et al., 2016).

The identity path is what makes very deep networks trainable. By the chain
rule, ``d(x + f(x))/dx = 1 + f'(x)``, so on the way back every residual block
passes the incoming gradient on unchanged and *adds* its block's contribution::

    dx = dout + block.backward(dout)

Even when ``f'`` is tiny (saturated sigmoids, small weights) the gradient
reaching the first layers is at least the one arriving at the top, instead of
a product of many small factors.

Arrays are batch-first: ``x`` is ``(N, D)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .module import Module

__all__ = ["Residual"]


class Residual(Module):
    """A skip connection around a block: ``out = x + block(x)``.

    Parameters
    ----------
    block : Module
        Any layer or ``Sequential`` that keeps the shape of its input, for
        example ``Sequential(Linear(H, H), Tanh())``.

    Attributes
    ----------
    block : Module
        The wrapped block. Its parameters are the residual's parameters: in a
        ``Sequential``, ``named_parameters`` keys them ``"<index>.0.<...>"``
        (``"3.0.0.W"`` is the ``W`` of the first layer of the block at index 3).

    Examples
    --------
    >>> from nnlib.layers import Linear, Sequential, Tanh
    >>> res = Residual(Sequential(Linear(4, 4, rng=0), Tanh()))
    >>> res(np.ones((2, 4))).shape
    (2, 4)
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        if not isinstance(block, Module):
            hint = ""
            if isinstance(block, type) and issubclass(block, Module):
                hint = f"; did you mean {block.__name__}(...) (an instance, not the class)?"
            elif isinstance(block, (list, tuple)):
                hint = "; wrap several layers in a Sequential: Residual(Sequential(...))"
            raise TypeError(f"Residual takes one layer (a Module); got {block!r}{hint}")
        self.block = block
        self._shape: tuple[int, ...] | None = None  # shape of the last input

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = x + block(x)``.

        Parameters
        ----------
        x : ndarray, shape (N, D)

        Returns
        -------
        out : ndarray, shape (N, D)
        """
        x = np.asarray(x)
        fx = self.block.forward(x)  # (N, D)
        if fx.shape != x.shape:
            width = x.shape[-1] if x.ndim else ""
            raise ValueError(
                f"Residual: the block {type(self.block).__name__} maps input of shape "
                f"{x.shape} to shape {fx.shape}; out = x + block(x) needs both the same, "
                f"so the block must keep the width ({width}). Change the width outside "
                "the residual connection (a Linear before or after it)."
            )
        self._shape = x.shape
        return x + fx  # (N, D)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout + block.backward(dout)``: the identity path adds ``dout`` itself.

        The block writes its own ``grads`` as usual.

        Parameters
        ----------
        dout : ndarray, shape (N, D)

        Returns
        -------
        dx : ndarray, shape (N, D)
        """
        if self._shape is None:
            raise RuntimeError(f"{self!r}: backward was called before forward")
        dout = np.asarray(dout)
        if dout.shape != self._shape:
            raise ValueError(
                f"Residual.backward got dout of shape {dout.shape}; expected {self._shape}, "
                "the shape of forward's output"
            )
        return dout + self.block.backward(dout)  # (N, D)

    def children(self) -> Iterator[Module]:
        yield self.block

    def __repr__(self) -> str:
        inner = repr(self.block)
        if "\n" not in inner:
            return f"Residual({inner})"
        return "Residual(\n  " + inner.replace("\n", "\n  ") + "\n)"
