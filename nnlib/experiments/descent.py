"""Gradient descent on the two toy problems of the descent chapter.

* a quadratic bowl ``L(w) = 0.5 * sum_i a_i * w_i**2`` with curvatures ``a``
  (one weight: the 1-D loss curve; two weights with ``a = (2, 0.2)``: an
  elongated bowl). Gradient descent on it has a closed form,
  ``w_i <- (1 - lr * a_i) * w_i``, so every claim about the learning rate can be
  checked against ``2 / a``;
* fitting a line ``pred = slope * x + intercept`` to ``nnlib.datasets.make_line``
  with the mean squared error: two parameters, so the path of (mini-)batch
  gradient descent can be drawn in weight space over the loss contours.

Everything here returns plain arrays; the figures drawn from them are in
``nnlib.plots.ch03_descent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "LOSS_FLOOR",
    "DescentRun",
    "quadratic_descent",
    "line_loss_grid",
    "line_minimum",
    "line_gd_path",
    "minibatch_gradients",
]


#: Losses below this are drawn at this value on log axes (an exact 0 has no logarithm).
LOSS_FLOOR = 1e-16


class DescentRun(NamedTuple):
    """One run of gradient descent on a quadratic bowl.

    Attributes
    ----------
    path : ndarray, shape (T + 1, D)
        The weights before the first step and after each step.
    loss : ndarray, shape (T + 1,)
        ``L(w)`` at each row of ``path``.
    diverged : bool
        True when the loss passed ``max_loss`` (the run stopped there, so ``T``
        may be smaller than the steps asked for).
    """

    path: np.ndarray
    loss: np.ndarray
    diverged: bool


def quadratic_descent(
    lr: float,
    curvature: float | Sequence[float] = 2.0,
    w0: float | Sequence[float] = 2.5,
    steps: int = 20,
    max_loss: float = 1e6,
) -> DescentRun:
    """Gradient descent on ``L(w) = 0.5 * sum_i a_i * w_i**2``.

    The gradient is ``a * w``, so each step is ``w <- w - lr * a * w``, which
    multiplies ``w_i`` by ``1 - lr * a_i``: it shrinks exactly when
    ``0 < lr < 2 / a_i``.

    Parameters
    ----------
    lr : float
        Learning rate.
    curvature : float or sequence of D floats
        The second derivatives ``a_i`` (one per weight).
    w0 : float or sequence of D floats
        Starting weights (broadcast against ``curvature``).
    steps : int
        Number of updates.
    max_loss : float
        Stop as soon as the loss exceeds this (the run has diverged).

    Returns
    -------
    DescentRun
        ``path`` (T + 1, D), ``loss`` (T + 1,), ``diverged``.
    """
    a, w = np.broadcast_arrays(
        np.atleast_1d(np.asarray(curvature, dtype=float)), np.atleast_1d(np.asarray(w0, float))
    )
    w = w.copy()
    path = [w.copy()]
    loss = [0.5 * float(a @ (w * w))]
    diverged = False
    for _ in range(steps):
        grad = a * w  # dL/dw, (D,)
        w = w - lr * grad  # the update rule
        path.append(w)
        loss.append(0.5 * float(a @ (w * w)))
        if not loss[-1] <= max_loss:  # also catches inf and nan
            diverged = True
            break
    return DescentRun(np.array(path), np.array(loss), diverged)


def _line_stats(X: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float]:
    x = np.asarray(X, dtype=float).ravel()
    t = np.asarray(y, dtype=float).ravel()
    return x.mean(), (x * x).mean(), t.mean(), (x * t).mean(), (t * t).mean()


def line_loss_grid(X: np.ndarray, y: np.ndarray, slope: Any, intercept: Any) -> np.ndarray:
    """Mean squared error of the line ``slope * x + intercept`` on ``(X, y)``.

    Works on arrays of slopes and intercepts (broadcast against each other), so
    a whole contour grid costs a few array operations:
    ``mean((s x + c - y)^2) = s^2 <x^2> + 2 s c <x> + c^2 - 2 s <xy> - 2 c <y> + <y^2>``.

    Parameters
    ----------
    X : ndarray, shape (N, 1)
    y : ndarray, shape (N, 1)
    slope, intercept : float or ndarray (broadcastable)

    Returns
    -------
    ndarray (the broadcast shape of ``slope`` and ``intercept``)
    """
    mx, mxx, my, mxy, myy = _line_stats(X, y)
    s = np.asarray(slope, dtype=float)
    c = np.asarray(intercept, dtype=float)
    return s * s * mxx + 2 * s * c * mx + c * c - 2 * s * mxy - 2 * c * my + myy


def line_minimum(X: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """The least-squares line: ``(slope, intercept, loss)`` at the bottom of the bowl."""
    mx, mxx, my, mxy, _ = _line_stats(X, y)
    slope = (mxy - mx * my) / (mxx - mx * mx)
    intercept = my - slope * mx
    return float(slope), float(intercept), float(line_loss_grid(X, y, slope, intercept))


def _line_grad(x: np.ndarray, t: np.ndarray, s: float, c: float) -> tuple[float, float]:
    """Gradient of ``mean((s x + c - t)^2)`` over the given rows: ``(dL/ds, dL/dc)``."""
    r = s * x + c - t  # (B,) residuals
    return 2.0 * float(r @ x) / len(x), 2.0 * float(r.sum()) / len(x)


def line_gd_path(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int | None = None,
    lr: float = 0.1,
    steps: int = 50,
    start: Sequence[float] = (-1.0, -1.0),
    rng: int | np.random.Generator | None = 0,
    max_loss: float = 1e6,
) -> tuple[np.ndarray, np.ndarray]:
    """Mini-batch gradient descent on a line's slope and intercept (MSE loss).

    Batches are drawn the way ``nnlib.fit`` draws them: each epoch visits the
    rows in a new random order, ``batch_size`` at a time (the last batch of an
    epoch may be smaller). ``batch_size=None`` or ``>= N`` is full-batch
    gradient descent (no shuffling needed: the gradient is the same).

    Parameters
    ----------
    X : ndarray, shape (N, 1)
    y : ndarray, shape (N, 1)
    batch_size : int or None
    lr : float
    steps : int
        Number of updates (not epochs).
    start : (slope, intercept)
    rng : seed or Generator
        Source of the shuffling order.
    max_loss : float
        Stop early once the full-data loss exceeds this (diverged).

    Returns
    -------
    path : ndarray, shape (T + 1, 2)
        ``(slope, intercept)`` before the first update and after each one.
    loss : ndarray, shape (T + 1,)
        Full-data MSE at each row of ``path`` (T < steps only if it diverged).
    """
    x = np.asarray(X, dtype=float).ravel()
    t = np.asarray(y, dtype=float).ravel()
    n = len(x)
    bs = n if batch_size is None else min(int(batch_size), n)
    gen = np.random.default_rng(rng)  # a Generator passes through unchanged
    s, c = (float(v) for v in start)
    path = [(s, c)]
    batches: list[np.ndarray] = []
    for _ in range(steps):
        if bs == n:
            xb, tb = x, t
        else:
            if not batches:  # a new epoch: a new order, cut into batches
                order = gen.permutation(n)
                batches = [order[i : i + bs] for i in range(0, n, bs)][::-1]
            idx = batches.pop()
            xb, tb = x[idx], t[idx]
        ds, dc = _line_grad(xb, tb, s, c)
        s, c = s - lr * ds, c - lr * dc  # new_w = w - lr * grad
        path.append((s, c))
        if not abs(s) + abs(c) < 1e150:  # stop before the numbers overflow
            break
    path_arr = np.array(path)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = line_loss_grid(X, y, path_arr[:, 0], path_arr[:, 1])
    over = np.flatnonzero(~(loss <= max_loss))
    if over.size:
        path_arr, loss = path_arr[: over[0] + 1], loss[: over[0] + 1]
    return path_arr, loss


def minibatch_gradients(
    X: np.ndarray,
    y: np.ndarray,
    at: Sequence[float] = (0.0, 0.0),
    batch_size: int = 1,
    draws: int = 500,
    rng: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Gradients of the line's MSE at one point, each from a random mini-batch.

    Each draw takes ``batch_size`` distinct rows at random and returns
    ``(dL/dslope, dL/dintercept)`` on them alone.

    Returns
    -------
    ndarray, shape (draws, 2)
    """
    x = np.asarray(X, dtype=float).ravel()
    t = np.asarray(y, dtype=float).ravel()
    gen = np.random.default_rng(rng)  # a Generator passes through unchanged
    s, c = (float(v) for v in at)
    out = np.empty((draws, 2))
    for k in range(draws):
        idx = gen.choice(len(x), size=batch_size, replace=False)
        out[k] = _line_grad(x[idx], t[idx], s, c)
    return out
