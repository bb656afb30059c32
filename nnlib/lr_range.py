"""The learning-rate range test: one short run with a rate that grows at every step.

Start with a tiny rate, multiply it by the same factor after every mini-batch
step, and record the loss. While the rate is too small the loss hardly moves;
then it falls quickly; past some rate the steps overshoot and the loss shoots
up. A good fixed rate lies below the rate where the (smoothed) loss is lowest,
where it still falls steadily: ``suggested_lr`` takes a tenth of that rate.
Smith (2017), "Cyclical learning rates for training neural networks".

The test trains the model it is given; by default the weights are put back
afterwards (``restore=True``), so it can be run before the real training.
How it can mislead: it looks at the first few hundred steps only (a rate that
is fine at the start may be too large later, and the reverse for the very
first steps of Adam), the curve is noisy (hence the smoothing), and the answer
depends on the batch size and the optimizer it was run with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnlib.module import Module, Parameter
from nnlib.training import train_step

__all__ = ["LRRangeResult", "lr_range_test"]


@dataclass(frozen=True)
class LRRangeResult:
    """What :func:`lr_range_test` measured, one entry per step taken.

    Attributes
    ----------
    lrs : ndarray, shape (S,)
        The rate of each step, growing geometrically.
    losses : ndarray, shape (S,)
        The loss of each step's mini-batch, before that step's update.
    smoothed : ndarray, shape (S,)
        ``losses`` averaged exponentially (bias-corrected, like Adam's moments).
    suggested_lr : float
        A tenth of the rate where ``smoothed`` is lowest.
    stopped_early : bool
        True when the run stopped because the loss exploded (or became NaN).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    stopped_early: bool


def lr_range_test(
    model: Module,
    loss_fn: Any,
    optimizer_factory: Callable[[Iterable[Parameter]], Any],
    X: np.ndarray,
    y: np.ndarray,
    *,
    start_lr: float = 1e-6,
    end_lr: float = 1.0,
    num_steps: int = 100,
    batch_size: int = 32,
    smoothing: float = 0.9,
    stop_factor: float = 4.0,
    restore: bool = True,
    rng: np.random.Generator | int | None = None,
) -> LRRangeResult:
    """Train with a rate growing from ``start_lr`` to ``end_lr`` and record the loss.

    Step ``k`` (0-based) uses ``lr_k = start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))``
    on the next mini-batch of a shuffled pass over ``(X, y)`` (a new shuffle for
    every pass). The run stops early once the smoothed loss exceeds
    ``stop_factor`` times the lowest seen so far, or is not finite.

    Parameters
    ----------
    model : Module
        Trained in place during the test; see ``restore``.
    loss_fn : Loss
    optimizer_factory : callable
        Builds a fresh optimizer from ``model.parameters()``, for example
        ``lambda params: optim.Adam(params)``; its own ``lr`` is overwritten at
        every step.
    X : array, shape (N, D)
    y : array, shape (N, ...) as ``loss_fn`` expects
    start_lr, end_lr : float
        The first and last rate, ``0 < start_lr < end_lr``.
    num_steps : int
        Steps at most, >= 2.
    batch_size : int
    smoothing : float
        Weight of the past in the running average of the loss, in ``[0, 1)``.
    stop_factor : float
        Stop once the smoothed loss is this many times its minimum so far (> 1).
    restore : bool
        Put the weights back as they were before the test.
    rng : Generator, int or None
        Shuffles the mini-batches.

    Returns
    -------
    LRRangeResult
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(
            f"lr_range_test: need 0 < start_lr < end_lr; got start_lr={start_lr!r}, "
            f"end_lr={end_lr!r}"
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(f"lr_range_test: num_steps must be an int >= 2; got {num_steps!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_range_test: smoothing must be in [0, 1); got {smoothing!r}")
    if not stop_factor > 1:
        raise ValueError(f"lr_range_test: stop_factor must be > 1; got {stop_factor!r}")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(
            f"lr_range_test: X and y need the same, non-zero number of rows; got {len(X)} and "
            f"{len(y)}"
        )
    gen = np.random.default_rng(rng)
    saved = [p.data.copy() for p in model.parameters()]
    optimizer = optimizer_factory(model.parameters())
    growth = (end_lr / start_lr) ** (1.0 / (num_steps - 1))

    lrs, losses, smoothed = [], [], []
    average, best, stopped = 0.0, math.inf, False
    order, position = gen.permutation(len(X)), 0
    try:
        for k in range(num_steps):
            if position >= len(X):
                order, position = gen.permutation(len(X)), 0
            rows = order[position : position + batch_size]
            position += batch_size
            lr = start_lr * growth**k
            optimizer.lr = lr
            loss = train_step(model, loss_fn, optimizer, X[rows], y[rows])
            average = smoothing * average + (1 - smoothing) * loss
            smooth = average / (1 - smoothing ** (k + 1))  # bias correction, as in Adam
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smooth)
            if not math.isfinite(smooth) or smooth > stop_factor * best:
                stopped = True
                break
            best = min(best, smooth)
    finally:
        if restore:
            for p, w in zip(model.parameters(), saved, strict=True):
                p.data[...] = w

    smoothed_arr = np.array(smoothed)
    finite = np.where(np.isfinite(smoothed_arr), smoothed_arr, np.inf)
    suggested = lrs[int(np.argmin(finite))] / 10
    return LRRangeResult(
        lrs=np.array(lrs),
        losses=np.array(losses),
        smoothed=smoothed_arr,
        suggested_lr=float(suggested),
        stopped_early=stopped,
    )
