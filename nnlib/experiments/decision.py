"""Decision regions: a model evaluated on a regular grid of 2-D points.

``decision_grid(model, X)`` covers the data ``X`` (shape ``(N, 2)``) with a grid
and returns the model's outputs on it; ``to_probabilities`` turns logits into
probabilities. ``nnlib.plots.common`` shades the result under the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["grid_points", "decision_grid", "to_probabilities"]


def grid_points(
    X: np.ndarray, resolution: int = 100, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid of points covering the data ``X`` plus a margin.

    Parameters
    ----------
    X : ndarray, shape (N, 2)
        The data the grid must cover (only its first two columns are used).
    resolution : int
        Number of grid points along each axis (``R``).
    margin : float
        How far the grid extends beyond the data on every side, in data units.

    Returns
    -------
    xx, yy : ndarray, shape (R, R)
        Coordinates of the grid (``np.meshgrid`` layout: row ``i`` has ``yy = const``).
    points : ndarray, shape (R * R, 2)
        The grid points as a batch, ready for a model's ``forward``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2 or len(X) == 0:
        raise ValueError(f"grid_points needs X of shape (N, 2); got {X.shape}")
    if int(resolution) < 2:
        raise ValueError(f"resolution must be at least 2; got {resolution!r}")
    lo = X[:, :2].min(axis=0) - margin  # (2,)
    hi = X[:, :2].max(axis=0) + margin  # (2,)
    xs = np.linspace(lo[0], hi[0], int(resolution))  # (R,)
    ys = np.linspace(lo[1], hi[1], int(resolution))  # (R,)
    xx, yy = np.meshgrid(xs, ys)  # (R, R) each
    points = np.column_stack([xx.ravel(), yy.ravel()])  # (R*R, 2)
    return xx, yy, points


def _forward_fn(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A plain function of a batch: a Module runs in eval mode, a callable as is."""
    from ..module import Module

    if isinstance(model, Module):
        from ..training import predict

        return lambda pts: predict(model, pts)
    if callable(model):
        return model
    raise TypeError(f"expected a Module or a function of a batch (M, 2); got {model!r}")


def decision_grid(
    predict_fn: Any, X: np.ndarray, resolution: int = 100, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a model on a grid over the data: the raw material of a decision-region plot.

    Parameters
    ----------
    predict_fn : callable or nnlib Module
        ``predict_fn(points)`` with ``points`` of shape ``(M, 2)`` returning
        ``(M,)``, ``(M, 1)`` or ``(M, C)`` values (probabilities, logits,
        anything). A ``Module`` is run with ``nnlib.training.predict`` (eval mode).
    X : ndarray, shape (N, 2)
        The data the grid must cover.
    resolution, margin
        As in :func:`grid_points`.

    Returns
    -------
    xx, yy : ndarray, shape (R, R)
        Grid coordinates.
    values : ndarray, shape (R, R) or (R, R, C)
        The model's output at each grid point: one value per point when the
        model returns a single column, ``C`` values otherwise.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> xx, yy, v = decision_grid(lambda p: p.sum(axis=1), X, resolution=3, margin=0)
    >>> v
    array([[0. , 0.5, 1. ],
           [0.5, 1. , 1.5],
           [1. , 1.5, 2. ]])
    """
    xx, yy, points = grid_points(X, resolution, margin)
    out = np.asarray(_forward_fn(predict_fn)(points))
    if out.shape[0] != len(points):
        raise ValueError(
            f"predict_fn returned {out.shape[0]} rows for {len(points)} grid points; "
            "it must return one row per point"
        )
    if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        return xx, yy, out.reshape(xx.shape)
    if out.ndim == 2:
        return xx, yy, out.reshape(*xx.shape, out.shape[1])
    raise ValueError(f"predict_fn must return (M,), (M, 1) or (M, C); got {out.shape}")


def to_probabilities(
    values: np.ndarray, from_logits: bool, multiclass: bool | None = None
) -> np.ndarray:
    """Turn model outputs into probabilities (a new array; the input is not changed).

    Parameters
    ----------
    values : ndarray
        Either one score per point, any shape (binary: P(class 1)), or ``C``
        class scores per point in the last axis.
    from_logits : bool
        If True, apply the sigmoid (one score per point) or the softmax over
        the last axis (class scores); if False, return a copy of ``values``.
    multiclass : bool, optional
        Whether the last axis holds class scores. ``None``: only when
        ``values.ndim == 3`` (the ``(R, R, C)`` output of :func:`decision_grid`).

    Returns
    -------
    ndarray, same shape as ``values``, entries in [0, 1]
    """
    values = np.asarray(values, dtype=float)
    if not from_logits:
        return values.copy()
    if multiclass is None:
        multiclass = values.ndim == 3
    with np.errstate(under="ignore"):  # exp(-1000) = 0 is the right answer
        if multiclass:
            e = np.exp(values - values.max(axis=-1, keepdims=True))  # softmax, overflow-free
            return e / e.sum(axis=-1, keepdims=True)
        e = np.exp(-np.abs(values))  # sigmoid from exp(-|z|), which never overflows
        return np.where(values >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
