"""Weight penalties (regularizers): L2 ("weight decay") and L1.

A penalty is added to the loss to keep the weights small, which makes the
network smoother and less prone to overfit. It has the two steps of a loss, on
the parameters instead of the predictions: ``penalty(params)`` is added to the
loss, and ``add_grad(params)``, after ``backward`` and before the optimizer's
step, adds its gradient to the weights' (see ``L2``'s Notes).

Both are callbacks of ``fit`` (``nnlib.callbacks``): their ``penalty`` hook
adds to every batch's loss and their ``on_after_backward`` hook calls
``add_grad``, so ``fit(..., regularizer=L2(1e-3))`` does both. Only weight
matrices (parameters named ``"W"``) are penalised, never biases. Both classes
are re-exported from ``nnlib.losses`` (and ``nnlib``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .callbacks import Callback
from .module import Module, Parameter

__all__ = ["L1", "L2"]


class _Penalty(Callback):
    """Shared parts of L1 and L2: the strength, which parameters are penalised, the hooks.

    As a callback of ``fit``, ``penalty(model)`` is added to every batch's loss
    and ``on_after_backward(model)`` adds the penalty's gradient (``add_grad``).
    """

    def __init__(self, strength: float) -> None:
        strength = float(strength)
        if not strength >= 0.0 or not np.isfinite(strength):
            raise ValueError(f"{type(self).__name__} strength must be >= 0; got {strength}")
        self.strength = strength

    @staticmethod
    def _weights(parameters: Iterable[Parameter] | Module) -> list[Parameter]:
        if isinstance(parameters, Module):
            parameters = parameters.parameters()
        return [p for p in parameters if p.name == "W"]

    def _weights_and_grads(
        self, parameters: Iterable[Parameter] | Module
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        pairs = [(p.data, p.grad, p) for p in self._weights(parameters)]
        for _, g, p in pairs:
            if g is None:
                raise RuntimeError(
                    f"{type(self).__name__}.add_grad: {p!r} has no gradient yet; "
                    "call backward() first"
                )
        return [(w, g) for w, g, _ in pairs]

    def on_after_backward(self, model: Module) -> None:
        self.add_grad(model)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(strength={self.strength})"


class L2(_Penalty):
    """L2 penalty ("weight decay"): ``strength / 2 * sum(W ** 2)`` over weight matrices.

    The factor 1/2 makes the gradient simply ``dW += strength * W``, so
    ``strength`` is the same number as SGD's ``weight_decay``.

    Only parameters named ``"W"`` are penalised, not biases: a bias shifts a
    unit's output without scaling its inputs, so a large bias does not make the
    network more sensitive to its inputs (the overfitting the penalty fights),
    and forcing biases towards 0 only hampers the fit.

    Parameters
    ----------
    strength : float
        ``>= 0``; 0 turns the penalty off.

    Notes
    -----
    In a training step::

        reg = L2(1e-3)
        loss = loss_fn(model.forward(x), y) + reg.penalty(model.parameters())
        model.backward(loss_fn.backward())
        reg.add_grad(model.parameters())   # after backward, before optimizer.step()
    """

    def penalty(self, parameters: Iterable[Parameter] | Module) -> float:
        """``strength / 2 * sum(W ** 2)`` summed over every weight matrix."""
        total = sum(float(np.vdot(p.data, p.data)) for p in self._weights(parameters))
        return 0.5 * self.strength * total

    def add_grad(self, parameters: Iterable[Parameter] | Module) -> None:
        """``p.grad += strength * W`` in place, for every weight matrix."""
        if self.strength == 0.0:
            return
        for w, g in self._weights_and_grads(parameters):
            g += self.strength * w


class L1(_Penalty):
    """L1 penalty: ``strength * sum(|W|)`` over weight matrices; it drives weights to 0.

    Gradient ``dW += strength * sign(W)`` (using 0 at ``W = 0``, a valid
    subgradient). As with :class:`L2`, biases (parameters not named ``"W"``)
    are not penalised: they do not scale the inputs, so shrinking them does not
    make the network smoother, it only hampers the fit.

    Parameters
    ----------
    strength : float
        ``>= 0``; 0 turns the penalty off.
    """

    def penalty(self, parameters: Iterable[Parameter] | Module) -> float:
        """``strength * sum(|W|)`` summed over every weight matrix."""
        total = sum(float(np.abs(p.data).sum()) for p in self._weights(parameters))
        return self.strength * total

    def add_grad(self, parameters: Iterable[Parameter] | Module) -> None:
        """``p.grad += strength * sign(W)`` in place, for every weight matrix."""
        if self.strength == 0.0:
            return
        for w, g in self._weights_and_grads(parameters):
            g += self.strength * np.sign(w)
