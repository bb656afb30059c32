"""Learning-rate schedules: change ``optimizer.lr`` once per epoch.

A schedule remembers the optimizer's learning rate when it is created
(``base_lr``, written ``lr0`` below) and, on each ``step()``, advances one epoch
and writes the new rate into ``optimizer.lr``::

    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)
        sched.step()          # call after the epoch's optimizer steps, as in torch

Every rate is computed in closed form from the epoch number ``t``
(``last_epoch``), so ``lr_at(t)`` can also draw a schedule without training.
``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` give the same values as
``torch.optim.lr_scheduler``; ``InverseTimeDecay`` follows Keras. A schedule
works with any object that has a float attribute ``lr``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "StepLR",
]


class LRScheduler:
    """Base class: subclasses define ``lr_at(t)``, the rate at epoch ``t``.

    Parameters
    ----------
    optimizer : Optimizer
        Anything with a mutable float attribute ``lr``.

    Attributes
    ----------
    optimizer : Optimizer
    base_lr : float
        ``optimizer.lr`` when the schedule was created.
    last_epoch : int
        Epochs stepped so far (0 right after creation).
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{type(self).__name__} needs an optimizer with an 'lr' attribute; "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self._last_lr = self.lr_at(0)
        optimizer.lr = self._last_lr

    def lr_at(self, t: int) -> float:
        """The learning rate of epoch ``t`` (closed form, no side effects)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's rate."""
        self.last_epoch += 1
        self._last_lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def get_last_lr(self) -> float:
        """The rate most recently written into ``optimizer.lr``."""
        return self._last_lr

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        return (
            f"{type(self).__name__}({extra}{', ' if extra else ''}"
            f"base_lr={self.base_lr!r}, last_epoch={self.last_epoch})"
        )


def _check_positive(owner: str, name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{owner}: {name} must be > 0; got {value!r}")


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    ``lr = lr0 * gamma ** (t // step_size)``, as ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between two decays, >= 1.
    gamma : float
        Factor applied at each decay (0.1: ten times smaller).
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1; got {step_size!r}")
        _check_positive("StepLR", "gamma", gamma)
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)

    def extra_repr(self) -> str:
        return f"step_size={self.step_size}, gamma={self.gamma!r}"


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``lr = lr0 * gamma ** t``.

    As ``torch.optim.lr_scheduler.ExponentialLR``.
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        _check_positive("ExponentialLR", "gamma", gamma)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t

    def extra_repr(self) -> str:
        return f"gamma={self.gamma!r}"


class InverseTimeDecay(LRScheduler):
    """Decay like ``1 / t``: ``lr = lr0 / (1 + decay_rate * t / decay_steps)``.

    As Keras' ``InverseTimeDecay`` (without ``staircase``), counted in epochs.
    The rate halves after ``decay_steps / decay_rate`` epochs and keeps falling
    slowly, the classic condition for stochastic gradient descent to converge.

    Parameters
    ----------
    optimizer : Optimizer
    decay_rate : float
        >= 0; 0 keeps the rate constant.
    decay_steps : float
        > 0; the epoch unit in which ``decay_rate`` is expressed.
    """

    def __init__(self, optimizer: Any, decay_rate: float, decay_steps: float = 1) -> None:
        if not decay_rate >= 0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be >= 0; got {decay_rate!r}")
        _check_positive("InverseTimeDecay", "decay_steps", decay_steps)
        self.decay_rate = float(decay_rate)
        self.decay_steps = float(decay_steps)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr / (1.0 + self.decay_rate * t / self.decay_steps)

    def extra_repr(self) -> str:
        return f"decay_rate={self.decay_rate!r}, decay_steps={self.decay_steps!r}"


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``lr0`` down to ``eta_min`` over ``T_max`` epochs.

    ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``: flat at
    the start, steepest in the middle, flat again near ``eta_min``. Past
    ``T_max`` the cosine continues and the rate rises again, exactly as
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` does (Loshchilov & Hutter
    (2017), "SGDR: stochastic gradient descent with warm restarts").

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs from ``lr0`` to ``eta_min``, >= 1.
    eta_min : float
        The lowest rate.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        _check_positive("CosineAnnealingLR", "T_max", T_max)
        if not eta_min >= 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be >= 0; got {eta_min!r}")
        self.T_max = T_max
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        cos = math.cos(math.pi * t / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0

    def extra_repr(self) -> str:
        return f"T_max={self.T_max}, eta_min={self.eta_min!r}"
