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
``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LinearLR``,
``OneCycleLR`` and ``CyclicLR`` give the same values as
``torch.optim.lr_scheduler``; ``InverseTimeDecay`` follows Keras. A schedule
works with any object that has a float attribute ``lr``.

``OneCycleLR`` and ``CyclicLR`` are meant to be stepped once per *batch*
(their ``t`` counts optimizer steps), and by default they also cycle the
momentum, as torch does: ``optimizer.momentum`` for SGD and RMSprop,
``betas[0]`` for Adam and AdamW, high while the rate is low and low while it
is high.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "CosineAnnealingLR",
    "CyclicLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "LinearLR",
    "OneCycleLR",
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
        self._apply(0)

    def lr_at(self, t: int) -> float:
        """The learning rate of epoch ``t`` (closed form, no side effects)."""
        raise NotImplementedError

    def momentum_at(self, t: int) -> float | None:
        """The momentum (or ``betas[0]``) of step ``t``; ``None``: leave it alone."""
        return None

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's rate."""
        self.last_epoch += 1
        self._apply(self.last_epoch)

    def _apply(self, t: int) -> None:
        self._last_lr = self.lr_at(t)
        self.optimizer.lr = self._last_lr
        momentum = self.momentum_at(t)
        if momentum is not None:
            _set_momentum(self.optimizer, momentum)

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


class LinearLR(LRScheduler):
    """Scale the rate by a factor that moves linearly from ``start_factor`` to ``end_factor``.

    ``lr = lr0 * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``,
    as ``torch.optim.lr_scheduler.LinearLR``. With ``start_factor`` small and
    ``end_factor = 1`` this is the usual *linear warm-up*: the first steps are
    small while an adaptive optimizer's running averages are still unreliable.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float
        Factor at ``t = 0``, in ``(0, 1]``.
    end_factor : float
        Factor from ``t = total_iters`` on, in ``[0, 1]``.
    total_iters : int
        Epochs (or steps) the change takes, >= 1.
    """

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1]; got {start_factor!r}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1]; got {end_factor!r}")
        _check_int("LinearLR", "total_iters", total_iters)
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = total_iters
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        progress = min(t, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)

    def extra_repr(self) -> str:
        return (
            f"start_factor={self.start_factor!r}, end_factor={self.end_factor!r}, "
            f"total_iters={self.total_iters}"
        )


def _check_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be an int >= 1; got {value!r}")


def _momentum_name(owner: str, optimizer: Any) -> str:
    """``"betas"`` (Adam, AdamW) or ``"momentum"`` (SGD, RMSprop): what a cycle moves."""
    for name in ("betas", "momentum"):
        if hasattr(optimizer, name):
            return name
    raise ValueError(
        f"{owner}: cycle_momentum=True needs an optimizer with momentum (SGD, RMSprop) or "
        f"betas (Adam, AdamW); {type(optimizer).__name__} has neither. "
        "Pass cycle_momentum=False."
    )


def _set_momentum(optimizer: Any, value: float) -> None:
    if hasattr(optimizer, "betas"):
        optimizer.betas = (value, *optimizer.betas[1:])
    else:
        optimizer.momentum = value


def _anneal(start: float, end: float, pct: float, strategy: str) -> float:
    """From ``start`` (pct = 0) to ``end`` (pct = 1), along half a cosine or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """One cycle (Smith & Topin, 2019): warm up to ``max_lr``, then anneal far below the start.

    Stepped once per batch, for ``total_steps`` steps in all. With the defaults
    (two phases, ``pct_start = 0.3``)::

        steps 0 .. 0.3 T - 1:   lr  max_lr / div_factor  ->  max_lr
                                mom max_momentum         ->  base_momentum
        then up to T - 1:       lr  max_lr               ->  max_lr / div_factor / final_div_factor
                                mom base_momentum        ->  max_momentum

    each leg along half a cosine (``anneal_strategy="cos"``) or a straight line.
    ``three_phase=True`` comes back down to the starting rate symmetrically
    before the final anneal. Same values as ``torch.optim.lr_scheduler.OneCycleLR``;
    the optimizer's own ``lr`` is replaced (only ``max_lr`` counts), and with
    ``cycle_momentum`` the momentum or ``betas[0]`` is cycled too.
    The cycle's last step is ``t = total_steps - 1``; one more ``step()`` (the
    usual call after the last batch) keeps the rate at ``min_lr``, where torch
    extrapolates the last leg (with ``anneal_strategy="linear"``, to a negative
    rate). Stepping past ``total_steps`` raises ``ValueError``, as in torch.

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float
        The peak rate.
    total_steps : int, optional
        Steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
    pct_start : float
        Share of the cycle spent warming up, in ``[0, 1]``.
    anneal_strategy : {"cos", "linear"}
    cycle_momentum : bool
    base_momentum, max_momentum : float
        The momentum range (low while the rate is high).
    div_factor : float
        ``initial_lr = max_lr / div_factor``.
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor``.
    three_phase : bool
    """

    def __init__(
        self,
        optimizer: Any,
        max_lr: float,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
            _check_int("OneCycleLR", "epochs", epochs)
            _check_int("OneCycleLR", "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _check_int("OneCycleLR", "total_steps", total_steps)
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1]; got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear'; got {anneal_strategy!r}"
            )
        _check_positive("OneCycleLR", "max_lr", max_lr)
        _check_positive("OneCycleLR", "div_factor", div_factor)
        _check_positive("OneCycleLR", "final_div_factor", final_div_factor)
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.max_lr = float(max_lr)
        self.initial_lr = self.max_lr / div_factor
        self.min_lr = self.initial_lr / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            _momentum_name("OneCycleLR", optimizer)
        self.base_momentum = float(base_momentum)
        self.max_momentum = float(max_momentum)
        warm_end = float(pct_start * total_steps) - 1
        lr0, lr1, lr_min = self.initial_lr, self.max_lr, self.min_lr
        m_lo, m_hi = self.base_momentum, self.max_momentum
        # (last step of the phase, (lr from, lr to), (momentum from, momentum to))
        if three_phase:
            self.phases = [
                (warm_end, (lr0, lr1), (m_hi, m_lo)),
                (float(2 * pct_start * total_steps) - 2, (lr1, lr0), (m_lo, m_hi)),
                (total_steps - 1, (lr0, lr_min), (m_hi, m_hi)),
            ]
        else:
            self.phases = [
                (warm_end, (lr0, lr1), (m_hi, m_lo)),
                (total_steps - 1, (lr1, lr_min), (m_lo, m_hi)),
            ]
        super().__init__(optimizer)

    def _phase(self, t: int) -> tuple[float, tuple[float, float], tuple[float, float]]:
        """``(pct, lr range, momentum range)`` of step ``t``: where it is in its phase."""
        if t > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {t} times, but the cycle has total_steps={self.total_steps}"
            )
        start = 0.0
        for i, (end, lrs, moms) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                return min((t - start) / (end - start), 1.0), lrs, moms
            start = end
        raise AssertionError("unreachable")

    def lr_at(self, t: int) -> float:
        pct, (lr_from, lr_to), _ = self._phase(t)
        return _anneal(lr_from, lr_to, pct, self.anneal_strategy)

    def momentum_at(self, t: int) -> float | None:
        if not self.cycle_momentum:
            return None
        pct, _, (m_from, m_to) = self._phase(t)
        return _anneal(m_from, m_to, pct, self.anneal_strategy)

    def extra_repr(self) -> str:
        return f"max_lr={self.max_lr!r}, total_steps={self.total_steps}"


class CyclicLR(LRScheduler):
    """Cycle the rate between ``base_lr`` and ``max_lr`` along triangles (Smith, 2017).

    Stepped once per batch. A cycle is ``step_size_up`` steps up and
    ``step_size_down`` steps down (default: as many as up). With
    ``c = floor(1 + t / cycle_length)`` the cycle number and ``s`` in ``[0, 1]``
    the height of the triangle at ``t``::

        lr = base_lr + (max_lr - base_lr) * s * scale(c)           # mode "triangular": scale = 1
        momentum = max_momentum - (max_momentum - base_momentum) * s * scale(c)

    ``mode="triangular2"`` halves the height every cycle (``scale = 1 / 2**(c - 1)``);
    ``mode="exp_range"`` multiplies it by ``gamma**t``. Same values as
    ``torch.optim.lr_scheduler.CyclicLR``; the optimizer's own ``lr`` is replaced
    by ``base_lr``, and with ``cycle_momentum`` the momentum or ``betas[0]`` moves
    against the rate.

    Parameters
    ----------
    optimizer : Optimizer
    base_lr, max_lr : float
        The bottom and the top of the triangle.
    step_size_up, step_size_down : int
        Steps from bottom to top and back (``step_size_down=None``: same as up).
    mode : {"triangular", "triangular2", "exp_range"}
    gamma : float
        For ``mode="exp_range"``.
    cycle_momentum : bool
    base_momentum, max_momentum : float
    """

    def __init__(
        self,
        optimizer: Any,
        base_lr: float,
        max_lr: float,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
    ) -> None:
        if mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range'; got {mode!r}"
            )
        _check_int("CyclicLR", "step_size_up", step_size_up)
        if step_size_down is not None:
            _check_int("CyclicLR", "step_size_down", step_size_down)
        if not 0 <= base_lr <= max_lr:
            raise ValueError(
                f"CyclicLR: need 0 <= base_lr <= max_lr; got base_lr={base_lr!r}, max_lr={max_lr!r}"
            )
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = float(gamma)
        self.max_lr = float(max_lr)
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            _momentum_name("CyclicLR", optimizer)
        self.base_momentum = float(base_momentum)
        self.max_momentum = float(max_momentum)
        optimizer.lr = base_lr  # as torch: the cycle starts at base_lr
        super().__init__(optimizer)

    def _height(self, t: int) -> float:
        """Where step ``t`` is on its triangle (0 at the bottom, 1 at the top), times the scale."""
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        if x <= self.step_ratio:
            s = x / self.step_ratio
        else:
            s = (x - 1) / (self.step_ratio - 1)
        if self.mode == "triangular":
            return s
        if self.mode == "triangular2":
            return s * (1 / (2.0 ** (cycle - 1)))
        return s * self.gamma**t  # exp_range

    def lr_at(self, t: int) -> float:
        return self.base_lr + (self.max_lr - self.base_lr) * self._height(t)

    def momentum_at(self, t: int) -> float | None:
        if not self.cycle_momentum:
            return None
        return self.max_momentum - (self.max_momentum - self.base_momentum) * self._height(t)

    def extra_repr(self) -> str:
        return f"max_lr={self.max_lr!r}, mode={self.mode!r}"
