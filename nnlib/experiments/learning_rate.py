"""The runs behind the learning-rate chapter: curvature, schedules as curves, a scheduled run.

* :func:`top_curvature` -- the largest eigenvalue of the loss's Hessian (the
  steepest curvature, ``a`` of chapter 3's ``2 / a`` limit) by power iteration;
* :data:`SCHEDULES` and :func:`schedule_rates` -- every schedule of
  ``nnlib.schedules`` as a function of the step, without training;
* :func:`scheduled_run` -- a small network trained on the standardized digits with one of
  those schedules, stepped once per batch (what the chapter's app shows);
* :func:`warmup_run` -- Adam on a deeper network, with or without a linear
  warm-up before a cosine decay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnlib import schedules
from nnlib.datasets import digits_split
from nnlib.losses import CrossEntropyLoss
from nnlib.models import mlp
from nnlib.module import Module
from nnlib.optim import SGD, Adam
from nnlib.training import train_step

__all__ = [
    "SCHEDULES",
    "ScheduledRun",
    "schedule_rates",
    "scheduled_run",
    "top_curvature",
    "warmup_run",
]


# -- curvature ------------------------------------------------------------------------------
def _flat_params(model: Module) -> np.ndarray:
    return np.concatenate([p.data.ravel() for p in model.parameters()])


def _set_flat_params(model: Module, flat: np.ndarray) -> None:
    start = 0
    for p in model.parameters():
        p.data[...] = flat[start : start + p.data.size].reshape(p.data.shape)
        start += p.data.size


def _flat_grad(model: Module, loss_fn: Any, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


def top_curvature(
    model: Module,
    loss_fn: Any,
    X: np.ndarray,
    y: np.ndarray,
    iters: int = 30,
    h: float = 1e-4,
    rng: int = 0,
) -> float:
    """The largest eigenvalue of the Hessian of the loss over ``(X, y)``, at the current weights.

    Power iteration: ``v <- H v / |H v|`` from a random unit vector, where each
    Hessian-vector product is a centered difference of two gradients,
    ``H v ~ (grad L(w + h v) - grad L(w - h v)) / (2 h)``. For a quadratic
    ``a/2 w^2`` this returns ``a``. The weights are put back afterwards.

    Parameters
    ----------
    model : Module
    loss_fn : Loss
    X : array, shape (N, D)
    y : array as ``loss_fn`` expects
    iters : int
        Power-iteration steps.
    h : float
        Step of the finite differences along ``v``.
    rng : int
        Seed of the starting vector.

    Returns
    -------
    float
        ``v . H v`` for the last ``v`` (the Rayleigh quotient).
    """
    w0 = _flat_params(model)
    v = np.random.default_rng(rng).standard_normal(w0.size)
    v /= np.linalg.norm(v)
    curvature = 0.0
    try:
        for _ in range(iters):
            _set_flat_params(model, w0 + h * v)
            g_plus = _flat_grad(model, loss_fn, X, y)
            _set_flat_params(model, w0 - h * v)
            g_minus = _flat_grad(model, loss_fn, X, y)
            hv = (g_plus - g_minus) / (2 * h)
            curvature = float(v @ hv)
            v = hv / np.linalg.norm(hv)
    finally:
        _set_flat_params(model, w0)
    return curvature


# -- schedules as curves --------------------------------------------------------------------
class _Rate:
    """Stands in for an optimizer: a schedule only reads and writes ``lr`` (and the momentum)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.momentum = 0.9


#: name -> ``make(optimizer, total_steps)``: each schedule of the chapter, set up for a run
#: of ``total_steps`` optimizer steps (``None``: a constant rate).
SCHEDULES: dict[str, Callable[[Any, int], schedules.LRScheduler | None]] = {
    "constant": lambda opt, total: None,
    "step": lambda opt, total: schedules.StepLR(opt, step_size=max(total // 3, 1), gamma=0.3),
    "exponential": lambda opt, total: schedules.ExponentialLR(opt, gamma=0.01 ** (1 / total)),
    "inverse time": lambda opt, total: schedules.InverseTimeDecay(
        opt, decay_rate=9.0, decay_steps=total
    ),
    "cosine": lambda opt, total: schedules.CosineAnnealingLR(opt, T_max=total),
    "warm-up": lambda opt, total: schedules.LinearLR(
        opt, start_factor=0.01, total_iters=max(total // 10, 1)
    ),
    "one-cycle": lambda opt, total: schedules.OneCycleLR(
        opt, max_lr=opt.lr, total_steps=total, cycle_momentum=hasattr(opt, "momentum")
    ),
}


def schedule_rates(name: str, lr: float, total_steps: int) -> np.ndarray:
    """The rate of each of ``total_steps`` steps under schedule ``name`` (see ``SCHEDULES``).

    Returns
    -------
    ndarray, shape (total_steps,)
        ``rates[t]`` is the rate the ``t``-th optimizer step uses.
    """
    holder = _Rate(lr)
    sched = SCHEDULES[name](holder, total_steps)
    rates = np.empty(total_steps)
    for t in range(total_steps):
        rates[t] = holder.lr
        if sched is not None:
            sched.step()
    return rates


# -- a scheduled run on the digits ----------------------------------------------------------
@dataclass(frozen=True)
class ScheduledRun:
    """What :func:`scheduled_run` recorded.

    Attributes
    ----------
    rates : ndarray, shape (S,)
        The rate of every optimizer step.
    losses : ndarray, shape (S,)
        The loss of every step's mini-batch, before its update.
    epoch_loss : ndarray, shape (E,)
        The mean of ``losses`` over each epoch.
    val_accuracy : float
        Accuracy on the validation rows after training (NaN if training diverged).
    val_loss : float
        Cross-entropy on the validation rows after training (NaN if training diverged).
    diverged : bool
        Whether some step's loss was NaN or infinite (training stops there).
    """

    rates: np.ndarray
    losses: np.ndarray
    epoch_loss: np.ndarray
    val_accuracy: float
    val_loss: float
    diverged: bool


_DIGITS: tuple[np.ndarray, ...] | None = None


def _digits() -> tuple[np.ndarray, ...]:
    """``digits_split(standardized=True)``, computed once: statistics of the training rows only."""
    global _DIGITS
    if _DIGITS is None:
        _DIGITS = digits_split(standardized=True)
    return _DIGITS


def scheduled_run(
    schedule: str = "constant",
    lr: float = 0.1,
    epochs: int = 12,
    batch_size: int = 64,
    momentum: float = 0.9,
    hidden: int = 32,
    rng: int = 0,
) -> ScheduledRun:
    """Train a 64-``hidden``-10 ReLU network on the standardized digits with SGD and a schedule.

    The schedule is stepped after every mini-batch (so it spans the whole run
    of ``epochs * ceil(N / batch_size)`` steps), the loop written out as in the
    chapter: shuffle, slice a batch, ``train_step``, ``sched.step()``.

    Parameters
    ----------
    schedule : str
        A key of :data:`SCHEDULES`.
    lr : float
        The starting rate (the peak rate for ``"one-cycle"``, the final one for ``"warm-up"``).
    epochs, batch_size : int
    momentum : float
        SGD's momentum.
    hidden : int
        Width of the hidden layer.
    rng : int
        Seeds the weights and the shuffling.
    """
    X_train, X_val, _, y_train, y_val, _ = _digits()
    model = mlp([X_train.shape[1], hidden, 10], activation="relu", init="he_normal", rng=rng)
    loss_fn = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    steps_per_epoch = math.ceil(len(X_train) / batch_size)
    sched = SCHEDULES[schedule](opt, epochs * steps_per_epoch)
    gen = np.random.default_rng(rng)
    rates, losses, diverged = [], [], False
    for _ in range(epochs):
        order = gen.permutation(len(X_train))
        for start in range(0, len(X_train), batch_size):
            rows = order[start : start + batch_size]
            rates.append(opt.lr)
            loss = train_step(model, loss_fn, opt, X_train[rows], y_train[rows])
            losses.append(loss)
            if not math.isfinite(loss):
                diverged = True
                break
            if sched is not None:
                sched.step()
        if diverged:
            break
    losses_arr = np.array(losses)
    done = len(losses_arr) // steps_per_epoch
    epoch_loss = losses_arr[: done * steps_per_epoch].reshape(done, steps_per_epoch).mean(axis=1)
    accuracy, val_loss = _evaluate(model, loss_fn, X_val, y_val, diverged)
    return ScheduledRun(np.array(rates), losses_arr, epoch_loss, accuracy, val_loss, diverged)


def _evaluate(
    model: Module, loss_fn: Any, X: np.ndarray, y: np.ndarray, diverged: bool
) -> tuple[float, float]:
    """``(accuracy, loss)`` on ``(X, y)``; NaN for both after a diverged run."""
    if diverged:
        return math.nan, math.nan
    model.eval()
    out = model(X)
    model.train()
    return float(np.mean(out.argmax(axis=1) == y)), float(loss_fn(out, y))


def warmup_run(
    lr: float, warmup_steps: int, steps: int = 600, batch_size: int = 64, rng: int = 0
) -> ScheduledRun:
    """Adam on a 64-128-128-128-128-10 ReLU network on the standardized digits, with a warm-up.

    The rate of step ``t`` rises linearly over the first ``warmup_steps`` steps
    (``lr * (t + 1) / warmup_steps``; none when ``warmup_steps = 0``), then
    follows half a cosine from ``lr`` down to 0 at step ``steps``. Mini-batches
    are drawn at random (with replacement) from the training rows.
    """
    X_train, X_val, _, y_train, y_val, _ = _digits()
    model = mlp([64, 128, 128, 128, 128, 10], activation="relu", init="he_normal", rng=rng)
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=lr)
    gen = np.random.default_rng(rng)
    rates, losses, diverged = [], [], False
    for t in range(steps):
        if t < warmup_steps:
            opt.lr = lr * (t + 1) / warmup_steps
        else:
            opt.lr = (
                lr * 0.5 * (1 + math.cos(math.pi * (t - warmup_steps) / (steps - warmup_steps)))
            )
        rows = gen.integers(0, len(X_train), batch_size)
        rates.append(opt.lr)
        losses.append(train_step(model, loss_fn, opt, X_train[rows], y_train[rows]))
        if not math.isfinite(losses[-1]):
            diverged = True
            break
    losses_arr = np.array(losses)
    accuracy, val_loss = _evaluate(model, loss_fn, X_val, y_val, diverged)
    epoch = math.ceil(len(X_train) / batch_size)
    done = len(losses_arr) // epoch
    epoch_loss = losses_arr[: done * epoch].reshape(done, epoch).mean(axis=1)
    return ScheduledRun(np.array(rates), losses_arr, epoch_loss, accuracy, val_loss, diverged)
