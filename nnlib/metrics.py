"""Accuracy, the confusion matrix, and the metrics :func:`nnlib.fit` records by name.

Outputs are batch-first: ``out`` has one row per example, ``(N, C)`` scores
(or probabilities) or a single column ``(N, 1)`` / ``(N,)``; targets are labels
``(N,)``, 0/1 columns or one-hot rows ``(N, C)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .losses import BCEWithLogitsLoss, MSELoss

__all__ = ["accuracy", "confusion_matrix", "top_confusions"]


def _count_correct(out: np.ndarray, y: np.ndarray, threshold: float) -> int:
    """How many rows of ``out`` predict the class in ``y`` (see :func:`accuracy`)."""
    if out.ndim == 2 and out.shape[1] > 1:  # (N, C) scores: the largest wins
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
        return int(np.count_nonzero(out.argmax(axis=1) == labels))
    # one score per row: class 1 when above the threshold
    return int(np.count_nonzero((out.reshape(-1) > threshold) == (y.reshape(-1) > 0.5)))


def accuracy(out: ArrayLike, y: ArrayLike, from_logits: bool = False) -> float:
    """Fraction of rows whose predicted class is the target class.

    Parameters
    ----------
    out : array, shape (N, C), (N, 1) or (N,)
        Model outputs. With ``C > 1`` columns the predicted class is the
        ``argmax`` of each row (scores or probabilities alike). With a single
        column it is 1 when ``out > 0.5`` (a probability), or ``out > 0`` when
        ``from_logits`` (a raw score: ``sigmoid(z) > 0.5`` exactly when ``z > 0``).
    y : array, shape (N,), (N, 1) or (N, C)
        Integer labels, 0/1 targets, or one-hot rows.
    from_logits : bool
        Whether a single-column ``out`` holds logits rather than probabilities.

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    >>> accuracy(np.array([[-1.2], [0.3]]), np.array([0, 1]), from_logits=True)
    1.0
    """
    out = np.asarray(out)
    y = np.asarray(y)
    if len(out) != len(y) or len(out) == 0:
        raise ValueError(
            f"accuracy got {len(out)} outputs and {len(y)} targets; they must match (and be > 0)"
        )
    return _count_correct(out, y, 0.0 if from_logits else 0.5) / len(out)


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (N,)
        Class labels ``0 .. C-1``.
    n_classes : int, optional
        ``C``; by default one more than the largest label seen.

    Returns
    -------
    ndarray of int64, shape (C, C)
        Row ``i``, column ``j``: how many examples of class ``i`` were predicted
        as ``j``. The diagonal holds the correct predictions; each row sums to
        the number of examples of its class.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 0, 1])
    array([[1, 0],
           [1, 1]])
    """
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    y_pred = np.asarray(y_pred).reshape(-1).astype(np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    C = int(n_classes) if n_classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    if y_true.size and (
        min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= C
    ):
        raise ValueError(f"labels must lie in 0..{C - 1} (n_classes={C})")
    return np.bincount(y_true * C + y_pred, minlength=C * C).reshape(C, C)


def top_confusions(cm: ArrayLike, k: int = 3) -> list[tuple[int, int, int]]:
    """The ``k`` most frequent mistakes of a confusion matrix: ``[(true, predicted, count)]``.

    Only pairs with a count above 0 are listed, largest first (ties: by true
    class, then predicted class).
    """
    cm = np.asarray(cm)
    off = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j]
    off = sorted((c for c in off if c[0] > 0), key=lambda t: (-t[0], t[1], t[2]))
    return [(i, j, c) for c, i, j in off[:k]]


def _resolve_metrics(metrics: Sequence[Any], loss_fn: Any) -> list[tuple[str, Callable]]:
    """``[(name, f(out, y) -> batch total)]`` for the requested metrics.

    ``"accuracy"`` is skipped for ``MSELoss`` (regression has no classes).
    """
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    threshold = 0.0 if isinstance(loss_fn, BCEWithLogitsLoss) else 0.5
    resolved = []
    for m in metrics:
        if m == "accuracy":
            if not isinstance(loss_fn, MSELoss):
                resolved.append(("accuracy", lambda o, t: _count_correct(o, t, threshold)))
        elif callable(m):
            # a user metric returns a batch mean; weight it by the batch size
            resolved.append((getattr(m, "__name__", "metric"), lambda o, t, f=m: f(o, t) * len(o)))
        else:
            raise ValueError(
                f"unknown metric {m!r}; valid names are 'accuracy' (or pass a function "
                "f(out, y) -> float)"
            )
    return resolved
