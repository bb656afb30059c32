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

Differences from torch: no parameter groups, a single mutable ``opt.lr``
(the learning-rate schedules, defined in ``nnlib.schedules`` and re-exported
here as ``nnlib.optim.StepLR`` and friends, set it), and ``SGD`` has a
default ``lr=1e-3``.

Every state array (momentum, running averages) is created on the first step
with the parameter's shape and dtype, and every update runs in place with
Python-float scalars, so float32 parameters stay float32. Build the optimizer
after converting a model's dtype.

Gradient clipping (``clip_grad_norm``, ``clip_grad_value``) is defined in
``nnlib.clip`` and re-exported here, next to the optimizers whose steps it caps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

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

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
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
        state = self.state
        for p in self.params:
            g = p.grad
            if g is not None:
                self._update(p.data, g, state[p])

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every gradient to zeros of its parameter's shape and dtype."""
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def __repr__(self) -> str:
        hyper = "".join(f", {k}={getattr(self, k)!r}" for k in self._hyper_names)
        return f"{type(self).__name__}(lr={self.lr!r}{hyper}; {len(self.params)} parameters)"


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
        Learning rate (torch has no default; 1e-3 here).
    momentum : float
        Fraction of the previous velocity kept each step, in ``[0, 1)`` typically.
    dampening : float
        Scales down the new gradient's share of the velocity.
    weight_decay : float
        L2 penalty coefficient added to the gradient.
    nesterov : bool
        Look-ahead variant; needs ``momentum > 0`` and ``dampening == 0``.
    """

    _hyper_names = ("momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
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

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["tmp"] = np.empty_like(w)
            state["grad"] = np.empty_like(w)  # g + weight_decay * w
        tmp = state["tmp"]
        if self.weight_decay:
            np.multiply(w, self.weight_decay, out=state["grad"])
            g = np.add(g, state["grad"], out=state["grad"])  # g + weight_decay * w; p.grad intact
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=w.dtype)  # b = g
            else:
                buf *= self.momentum
                if self.dampening:
                    np.multiply(g, 1.0 - self.dampening, out=tmp)
                    buf += tmp
                else:
                    buf += g
            if self.nesterov:
                np.multiply(buf, self.momentum, out=tmp)
                g = np.add(g, tmp, out=tmp)  # g + momentum * b
            else:
                g = buf
        np.multiply(g, self.lr, out=tmp)
        w -= tmp  # w = w - lr * g


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients.

    Update, as in ``torch.optim.Adagrad``::

        g = g + weight_decay * w                  # if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                             # s starts at initial_accumulator_value
        w = w - clr * g / (sqrt(s) + eps)

    Duchi, Hazan & Singer (2011), "Adaptive subgradient methods for online
    learning and stochastic optimization".
    """

    _hyper_names = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
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
            state["tmp"] = np.empty_like(w)
            state["tmp2"] = np.empty_like(w)
        state["step"] += 1
        s, tmp, std = state["sum"], state["tmp"], state["tmp2"]
        if self.weight_decay:
            np.multiply(w, self.weight_decay, out=tmp)
            g = np.add(g, tmp, out=tmp)
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        np.multiply(g, g, out=std)
        s += std  # s = s + g * g
        np.sqrt(s, out=std)
        std += self.eps
        np.divide(g, std, out=std)
        std *= clr
        w -= std  # w = w - clr * g / (sqrt(s) + eps)


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

    Tieleman & Hinton (2012), lecture 6.5 of "Neural Networks for Machine Learning".
    """

    _hyper_names = ("alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
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
            state["square_avg"] = np.zeros_like(w)
            state["grad_avg"] = np.zeros_like(w) if self.centered else None
            state["momentum_buffer"] = np.zeros_like(w) if self.momentum > 0 else None
            state["tmp"] = np.empty_like(w)
            state["tmp2"] = np.empty_like(w)
        v, tmp, avg = state["square_avg"], state["tmp"], state["tmp2"]
        alpha = self.alpha
        if self.weight_decay:
            np.multiply(w, self.weight_decay, out=tmp)
            g = np.add(g, tmp, out=tmp)
        v *= alpha
        np.multiply(g, 1.0 - alpha, out=avg)
        avg *= g
        v += avg  # v = alpha * v + (1 - alpha) * g * g
        if self.centered:
            m = state["grad_avg"]
            np.subtract(g, m, out=avg)
            avg *= 1.0 - alpha
            m += avg  # m = alpha * m + (1 - alpha) * g, written as torch's lerp
            np.multiply(m, m, out=avg)
            np.subtract(v, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(v, out=avg)
        avg += self.eps
        np.divide(g, avg, out=avg)  # g / avg
        buf = state["momentum_buffer"]
        if buf is not None:
            buf *= self.momentum
            buf += avg
            np.multiply(buf, self.lr, out=avg)
        else:
            avg *= self.lr
        w -= avg


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
    """

    _hyper_names = ("betas", "eps", "weight_decay", "amsgrad")
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
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
            state["max_exp_avg_sq"] = np.zeros_like(w) if self.amsgrad else None
            state["tmp"] = np.empty_like(w)
            state["grad"] = np.empty_like(w)  # g + weight_decay * w
        state["step"] = t = state["step"] + 1
        m, v, tmp = state["exp_avg"], state["exp_avg_sq"], state["tmp"]
        beta1, beta2 = self.betas
        lr = self.lr
        if self.weight_decay:
            if self._decoupled:
                w *= 1.0 - lr * self.weight_decay  # AdamW: shrink w directly
            else:
                np.multiply(w, self.weight_decay, out=state["grad"])
                g = np.add(g, state["grad"], out=state["grad"])  # Adam: L2 term in the gradient
        # m = beta1 * m + (1 - beta1) * g, computed as torch does: m + (1 - beta1) * (g - m)
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - beta1
        m += tmp
        # v = beta2 * v + (1 - beta2) * g * g
        v *= beta2
        np.multiply(g, 1.0 - beta2, out=tmp)
        tmp *= g
        v += tmp
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias_correction1 = 1.0 - beta1**t  # python floats: cheap, and never upcast float32
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**t)
        np.sqrt(v, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += self.eps  # denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / bias_correction1
        w -= tmp  # w = w - (lr / (1 - beta1**t)) * m / denom


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
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
