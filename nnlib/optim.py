"""Optimizers (SGD, Adagrad, RMSprop, Adam, AdamW), with clipping and schedules at hand.

An optimizer receives the list of ``Parameter`` handles from
``model.parameters()`` and, on each ``step()``, moves every array against its
gradient, updating ``p.data`` IN PLACE so the layers see the new values
without any copying::

    opt = Adam(model.parameters(), lr=1e-3)
    for epoch in range(100):
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()

The update rules reproduce ``torch.optim`` exactly (same formulas, same
hyperparameter names and meanings, same place for ``eps``), which
``tests/test_optim.py`` checks against stored PyTorch results. In the formulas
below ``g`` is the gradient, ``w`` the parameter, ``t`` the step count (1 on
the first step) and ``lr`` the learning rate.

Differences from torch: no parameter groups, and a single mutable ``opt.lr``
(the learning-rate schedules, defined in ``nnlib.schedules`` and re-exported
here as ``nnlib.optim.StepLR`` and friends, set it). The defaults are
torch's (``SGD``'s ``lr=1e-3`` included).

Each ``_update`` below reads as its formula, one NumPy expression per line.
Every state array (momentum, running averages) is created on the first step
with the parameter's shape and dtype, and the scalars are Python floats, so
float32 parameters stay float32. Build the optimizer after converting a
model's dtype.

Speed, on request: ``Adam(model.parameters(), fused=True)`` (torch's name)
moves every parameter into one flat buffer and runs a single vectorized
update over all of them; the code lives apart, in ``nnlib.fused``, and
computes exactly what the readable ``_update`` computes.

Gradient clipping (``clip_grad_norm``, ``clip_grad_value``) is defined in
``nnlib.clip`` and re-exported here, next to the optimizers whose steps it caps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nnlib import fused as _fused
from nnlib import schedules as lr_scheduler  # torch-style alias: nnlib.optim.lr_scheduler
from nnlib.clip import clip_grad_norm, clip_grad_value  # re-exported: used with the optimizers
from nnlib.module import Parameter
from nnlib.schedules import (  # re-exported: schedules belong with the optimizers they drive
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeDecay,
    LRScheduler,
    StepLR,
)

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm",
    "clip_grad_value",
    "lr_scheduler",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "CosineAnnealingLR",
]


def _check(owner: str, name: str, value: float, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"{owner}: invalid {name}={value!r}; expected {expected}")


def _check_nonnegative(owner: str, **values: float) -> None:
    for name, value in values.items():
        _check(owner, name, value, value >= 0, f"{name} >= 0")  # also rejects nan


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, and ``lr``.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``model.parameters()``.
    lr : float
        Learning rate, >= 0. Stored as the mutable attribute ``opt.lr``.
    fused : bool
        Use the fast path of ``nnlib.fused``: the parameters move into one
        contiguous buffer (each layer then holds a view of it, so keep no
        reference to the old arrays) and one vectorized update runs over all
        of them. Same results as the readable update, to rounding.

    Attributes
    ----------
    params : list of Parameter
    lr : float
    state : dict
        ``state[p]`` is a dict of the arrays and counters kept for parameter
        ``p`` (empty until its first update).

    Subclasses implement ``_update(w, g, state)``, which changes the array
    ``w`` in place given its gradient ``g``.
    """

    _hyper_names: tuple[str, ...] = ()  # shown by repr, after lr
    _fused_kernel: str | None = None  # the update of nnlib.fused that fused=True runs

    def __init__(self, params: Iterable[Parameter], lr: float, fused: bool = False) -> None:
        name = type(self).__name__
        if isinstance(params, (np.ndarray, Parameter)):
            raise TypeError(f"{name} expects an iterable of Parameters, e.g. model.parameters()")
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list")
        seen = set()
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{name} expects Parameters (from model.parameters()); got {type(p).__name__}"
                )
            key = (id(p.owner), p.name)
            if key in seen:
                raise ValueError(f"{name}: parameter {p!r} appears more than once")
            seen.add(key)
        self.lr = lr
        self.state: dict[Parameter, dict[str, Any]] = {p: {} for p in self.params}
        self.fused = bool(fused)
        self._fused = _fused.FlatOptimizer(self) if self.fused else None

    @property
    def lr(self) -> float:
        """Learning rate used by the next ``step()``; may be changed between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        _check_nonnegative(type(self).__name__, lr=value)
        self._lr = float(value)  # a python float never upcasts float32 arrays

    def step(self) -> None:
        """Update every parameter that has a gradient (``p.grad is None`` is skipped)."""
        if self._fused is not None:
            self._fused.step()  # the same update, vectorized over one flat buffer
            return
        for p in self.params:
            if p.grad is not None:
                self._update(p.data, p.grad, self.state[p])

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every gradient to zeros of its parameter's shape and dtype."""
        if self._fused is not None:
            self._fused.zero_grad()  # zeros in the flat gradient buffer
            return
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def __repr__(self) -> str:
        hyper = "".join(f", {k}={getattr(self, k)!r}" for k in self._hyper_names)
        fused = ", fused=True" if self.fused else ""
        name = type(self).__name__
        return f"{name}(lr={self.lr!r}{hyper}{fused}; {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (Polyak or Nesterov).

    Update, as in ``torch.optim.SGD``::

        g = g + weight_decay * w                  # if weight_decay != 0
        b = g                                     # momentum, first step
        b = momentum * b + (1 - dampening) * g    # momentum, later steps
        g = g + momentum * b   if nesterov else b # if momentum != 0
        w = w - lr * g

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate (default 1e-3, as in torch).
    momentum : float
        Fraction of the previous velocity kept each step, in ``[0, 1)`` typically.
    dampening : float
        Scales down the new gradient's share of the velocity.
    weight_decay : float
        L2 penalty coefficient added to the gradient.
    nesterov : bool
        Look-ahead variant; needs ``momentum > 0`` and ``dampening == 0``.
    fused : bool
        One vectorized update over a flat buffer (see ``Optimizer``).
    """

    _hyper_names = ("momentum", "dampening", "weight_decay", "nesterov")
    _fused_kernel = "sgd"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        fused: bool = False,
    ) -> None:
        _check_nonnegative("SGD", momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: nesterov=True requires momentum > 0 and dampening = 0; "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.momentum = float(momentum)
        self.dampening = float(dampening)
        self.weight_decay = float(weight_decay)
        self.nesterov = bool(nesterov)
        super().__init__(params, lr, fused)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = g.copy()  # the first step: b = g
            else:
                b = self.momentum * b + (1.0 - self.dampening) * g
            state["momentum_buffer"] = b
            g = g + self.momentum * b if self.nesterov else b
        w -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients.

    Update, as in ``torch.optim.Adagrad``::

        g = g + weight_decay * w                  # if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                             # s starts at initial_accumulator_value
        w = w - clr * g / (sqrt(s) + eps)

    Hyperparameters, names and defaults as in torch; ``fused=True`` runs the
    same update over a flat buffer (see ``Optimizer``). Duchi, Hazan & Singer
    (2011), "Adaptive subgradient methods for online learning and stochastic
    optimization".
    """

    _hyper_names = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    _fused_kernel = "adagrad"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        fused: bool = False,
    ) -> None:
        super().__init__(params, lr, fused)
        _check_nonnegative(
            "Adagrad",
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        self.lr_decay = float(lr_decay)
        self.weight_decay = float(weight_decay)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.eps = float(eps)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(w, self.initial_accumulator_value)
        state["step"] = t = state["step"] + 1
        if self.weight_decay:
            g = g + self.weight_decay * w
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        s = state["sum"] = state["sum"] + g * g
        w -= clr * (g / (np.sqrt(s) + self.eps))


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    Update, as in ``torch.optim.RMSprop``::

        g = g + weight_decay * w                  # if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g       # v starts at 0
        m = alpha * m + (1 - alpha) * g           # centered only; m starts at 0
        avg = sqrt(v - m * m) if centered else sqrt(v)
        avg = avg + eps
        b = momentum * b + g / avg; w = w - lr * b   # if momentum > 0 (b starts at 0)
        w = w - lr * g / avg                         # otherwise

    Hyperparameters, names and defaults as in torch; ``fused=True`` runs the
    same update over a flat buffer (see ``Optimizer``; torch's RMSprop has no
    such option). Tieleman & Hinton (2012), lecture 6.5 of "Neural Networks for
    Machine Learning".
    """

    _hyper_names = ("alpha", "eps", "weight_decay", "momentum", "centered")
    _fused_kernel = "rmsprop"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        fused: bool = False,
    ) -> None:
        super().__init__(params, lr, fused)
        _check_nonnegative(
            "RMSprop", alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum
        )
        self.alpha = float(alpha)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        self.momentum = float(momentum)
        self.centered = bool(centered)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["square_avg"] = np.zeros_like(w)  # v
            if self.centered:
                state["grad_avg"] = np.zeros_like(w)  # m
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(w)  # b
        alpha = self.alpha
        v, m, b = state["square_avg"], state.get("grad_avg"), state.get("momentum_buffer")
        if self.weight_decay:
            g = g + self.weight_decay * w
        v = state["square_avg"] = alpha * v + (1.0 - alpha) * g * g
        if self.centered:
            m = state["grad_avg"] = m + (1.0 - alpha) * (g - m)  # alpha m + (1 - alpha) g, as torch
            avg = np.sqrt(v - m * m) + self.eps
        else:
            avg = np.sqrt(v) + self.eps
        if self.momentum:
            b = state["momentum_buffer"] = self.momentum * b + g / avg
            w -= self.lr * b
        else:
            w -= self.lr * (g / avg)


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled per weight by its running RMS.

    Update, as in ``torch.optim.Adam``::

        g = g + weight_decay * w                  # L2 penalty, if weight_decay != 0
        m = beta1 * m + (1 - beta1) * g           # first moment, starts at 0
        v = beta2 * v + (1 - beta2) * g * g       # second moment, starts at 0
        v_max = max(v_max, v); use v_max for v    # if amsgrad
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        w = w - (lr / (1 - beta1**t)) * m / denom

    The two ``1 - beta**t`` factors undo the pull towards 0 of averages that
    start at 0 (bias correction). Kingma & Ba (2015), "Adam: a method for
    stochastic optimization"; amsgrad from Reddi, Kale & Kumar (2018), "On the
    convergence of Adam and beyond".

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
    betas : (float, float)
        Decay rates of the first and second moment averages, each in ``[0, 1)``.
    eps : float
        Added to the denominator for numerical stability.
    weight_decay : float
        L2 penalty added to the gradient (see ``AdamW`` for the decoupled form).
    amsgrad : bool
        Divide by the largest second moment seen so far.
    fused : bool
        One vectorized update over a flat buffer (see ``Optimizer``).
    """

    _hyper_names = ("betas", "eps", "weight_decay", "amsgrad")
    _fused_kernel = "adam"
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        fused: bool = False,
    ) -> None:
        super().__init__(params, lr, fused)
        name = type(self).__name__
        try:
            beta1, beta2 = (float(b) for b in betas)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: betas must be a pair of floats; got {betas!r}") from None
        for i, b in enumerate((beta1, beta2)):
            _check(name, f"betas[{i}]", b, 0.0 <= b < 1.0, "a value in [0, 1)")
        _check_nonnegative(name, eps=eps, weight_decay=weight_decay)
        self.betas = (beta1, beta2)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        self.amsgrad = bool(amsgrad)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(w)  # m
            state["exp_avg_sq"] = np.zeros_like(w)  # v
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(w)
        state["step"] = t = state["step"] + 1
        beta1, beta2 = self.betas
        if self.weight_decay and self._decoupled:
            w *= 1.0 - self.lr * self.weight_decay  # AdamW: shrink w directly
        elif self.weight_decay:
            g = g + self.weight_decay * w  # Adam: the L2 term enters the gradient
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m = state["exp_avg"] = m + (1.0 - beta1) * (g - m)  # beta1 m + (1 - beta1) g, as torch
        v = state["exp_avg_sq"] = beta2 * v + (1.0 - beta2) * g * g
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2**t) + self.eps
        w -= (self.lr / (1.0 - beta1**t)) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w = w * (1 - lr * weight_decay)`` before the Adam step.

    The decay acts on the weights directly instead of entering the gradient, so
    it is not rescaled by Adam's per-weight ``1 / sqrt(v)``. Loshchilov &
    Hutter (2019), "Decoupled weight decay regularization". Arguments as in
    ``Adam``; the default ``weight_decay`` is ``1e-2``, as in torch.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        fused: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, fused)
