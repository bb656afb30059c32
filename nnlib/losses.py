"""Loss functions: how wrong is a prediction?

Every loss has the same two-step interface, mirroring a layer's::

    loss = loss_fn(pred, target)   # forward: a Python float, caches what backward needs
    dpred = loss_fn.backward()     # d(loss)/d(pred), same shape and dtype as pred

``pred`` is batch-first, ``(N, D)`` (or ``(N,)``); ``backward`` returns a new
array and never mutates ``pred`` or ``target``. float32 predictions give a
float32 gradient (the target is cast to ``pred``'s dtype).

``reduction="mean"`` (the default) averages over every element for
``MSELoss``/``BCELoss``/``BCEWithLogitsLoss`` and over the batch (``N``) for
``CrossEntropyLoss``, as PyTorch does; ``reduction="sum"`` adds instead.

Each loss is written as its formula, per element, then reduced. Numerically
stable forms are used throughout: ``BCEWithLogitsLoss`` and
``CrossEntropyLoss`` stay finite at ``|z| = 1000`` and keep their relative
precision when the loss is tiny, and ``BCELoss`` clamps each log at ``-100``
like PyTorch, so a probability of exactly 0 or 1 gives a finite loss (100 for
a completely wrong prediction). Underflow to 0 inside ``exp`` is the correct
answer there, so it is silenced locally (``np.errstate``).

The weight penalties ``L1`` and ``L2`` are defined in ``nnlib.regularizers``
and re-exported here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .activations import log_softmax, sigmoid
from .regularizers import L1, L2

__all__ = [
    "Loss",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1",
    "L2",
    "get",
]

_LOG_CLAMP = -100.0  # BCELoss: log(p) and log(1 - p) are clamped to >= -100 (as in PyTorch)
# BCELoss.backward floors p * (1 - p) at PyTorch's constant, the float32 number nearest
# 1e-12 (9.9999999600e-13), in float64 too
_BCE_GRAD_EPS = float(np.float32(1e-12))


# -- shared input handling ------------------------------------------------
def _as_pred(pred: ArrayLike) -> np.ndarray:
    """``pred`` as a float32 or float64 array (no copy when it already is one)."""
    pred = np.asarray(pred)
    if pred.dtype != np.float64 and pred.dtype != np.float32:
        pred = pred.astype(np.float64)
    return pred


def _as_target(target: ArrayLike, dtype: np.dtype) -> np.ndarray:
    """``target`` cast to ``pred``'s dtype (a new array only when the dtype differs)."""
    target = np.asarray(target)
    return target if target.dtype == dtype else target.astype(dtype)


def _check_same_shape(name: str, pred: np.ndarray, target: np.ndarray) -> None:
    if pred.shape == target.shape:
        if pred.size == 0:
            raise ValueError(f"{name} got an empty batch (pred of shape {pred.shape})")
        return
    msg = (
        f"{name} got pred of shape {pred.shape} and target of shape {target.shape}; they must match"
    )
    if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == pred.shape[:1]:
        n = pred.shape[0]
        msg += f" (use target.reshape(-1, 1); pred - target would broadcast to ({n}, {n}))"
    elif target.ndim == 2 and target.shape[1] == 1 and pred.shape == target.shape[:1]:
        msg += " (use target.reshape(-1))"
    raise ValueError(msg)


def _check_unit_interval(name: str, what: str, a: np.ndarray, hint: str) -> None:
    """Raise when an entry of ``a`` lies outside [0, 1] (NaN passes: it shows in the loss)."""
    lo, hi = a.min(), a.max()
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name} expects {what} in [0, 1]; got values in [{lo:.4g}, {hi:.4g}]. {hint}"
        )


class Loss:
    """Base class of the losses: ``forward(pred, target) -> float``, ``backward() -> dpred``.

    Parameters
    ----------
    reduction : {"mean", "sum"}
        Average or add the per-element (per-example for cross-entropy) losses.
    """

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"{type(self).__name__} reduction must be 'mean' or 'sum'; got {reduction!r}"
            )
        self.reduction = reduction
        self._cache: tuple | None = None

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, pred: ArrayLike, target: ArrayLike) -> float:
        return self.forward(pred, target)

    def _reduce(self, per: np.ndarray, n: int) -> float:
        """The sum of the per-element losses ``per``, divided by ``n`` for "mean"."""
        total = float(per.sum())
        return total / n if self.reduction == "mean" else total

    def _scale(self, n: int) -> float:
        """The factor of every gradient entry: ``1 / n`` for "mean", 1 for "sum"."""
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _cached(self) -> tuple:
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called before forward(); "
                "call loss(pred, target) first"
            )
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(Loss):
    """Mean squared error, for regression.

    ``loss = mean((pred - target) ** 2)`` over all elements (or the sum), and
    ``dpred = 2 * (pred - target) / n`` with ``n = pred.size`` (``n = 1`` for "sum").

    ``pred`` and ``target`` must have the same shape, any shape: ``(N, 1)``
    against ``(N,)`` is refused, because NumPy would broadcast the difference
    to ``(N, N)`` and silently compute the wrong loss.

    Examples
    --------
    >>> MSELoss()(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0]))  # (0 + 4 + 4) / 3
    2.6666666666666665
    """

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        self._cache = None
        pred = _as_pred(pred)
        target = _as_target(target, pred.dtype)
        _check_same_shape("MSELoss", pred, target)
        diff = pred - target  # (same shape as pred)
        self._cache = (diff,)
        return self._reduce(diff * diff, diff.size)

    def backward(self) -> np.ndarray:
        (diff,) = self._cached()
        return 2.0 * diff * self._scale(diff.size)  # dpred = 2 (pred - target) / n


class BCELoss(Loss):
    """Binary cross-entropy on probabilities ``p`` (for example a sigmoid output).

    ``loss = -mean(y * log(p) + (1 - y) * log(1 - p))``, with each log clamped to
    ``>= -100`` as in PyTorch, so ``p = 0`` or ``1`` exactly gives a finite loss
    (100 per element when it is completely wrong).

    ``dpred = (p - y) / max(p * (1 - p), 1e-12) / n``, the PyTorch formula with
    its floor, the float32 number nearest ``1e-12``; the floor keeps the
    gradient finite, if huge, at ``p = 0`` or ``1``.

    ``pred`` and ``target`` must have the same shape and lie in ``[0, 1]``.
    Prefer :class:`BCEWithLogitsLoss` on raw scores: it is exact where this
    one has to clamp.
    """

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        self._cache = None
        p = _as_pred(pred)
        y = _as_target(target, p.dtype)
        _check_same_shape("BCELoss", p, y)
        _check_unit_interval(
            "BCELoss", "pred (probabilities)", p, "For raw scores (logits) use BCEWithLogitsLoss."
        )
        _check_unit_interval("BCELoss", "target", y, "For labels -1/+1 use (target + 1) / 2.")
        with np.errstate(divide="ignore", under="ignore"):  # log(0) = -inf, clamped below
            log_p = np.maximum(np.log(p), _LOG_CLAMP)  # (same shape as p)
            log_1mp = np.maximum(np.log1p(-p), _LOG_CLAMP)
            per = -(y * log_p + (1.0 - y) * log_1mp)
        self._cache = (p, y)
        return self._reduce(per, p.size)

    def backward(self) -> np.ndarray:
        p, y = self._cached()
        with np.errstate(under="ignore"):
            dpred = (p - y) / np.maximum(p * (1.0 - p), _BCE_GRAD_EPS)  # (same shape as p)
        return dpred * self._scale(p.size)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on raw scores (logits) ``z``: a sigmoid fused with BCE.

    With ``p = sigmoid(z)``, the loss ``-(y log p + (1 - y) log(1 - p))`` equals::

        max(z, 0) - z * y + log(1 + exp(-|z|))

    per element, which never overflows (``exp`` only sees ``-|z| <= 0``), never
    takes ``log(0)``, and keeps its relative precision when the loss is tiny
    (``z = 30, y = 1``: ``30 - 30 + log(1 + exp(-30)) = 9.36e-14`` to full precision).
    The gradient is the famously simple ``dz = (sigmoid(z) - y) / n``.

    ``pred`` and ``target`` must have the same shape; targets lie in ``[0, 1]``.
    """

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        self._cache = None
        z = _as_pred(pred)
        y = _as_target(target, z.dtype)
        _check_same_shape("BCEWithLogitsLoss", z, y)
        _check_unit_interval(
            "BCEWithLogitsLoss", "target", y, "For labels -1/+1 use (target + 1) / 2."
        )
        with np.errstate(under="ignore"):  # exp(-1000) = 0 is the right answer
            per = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))  # (same as z)
        self._cache = (z, y)
        return self._reduce(per, z.size)

    def backward(self) -> np.ndarray:
        z, y = self._cached()
        with np.errstate(under="ignore"):
            return (sigmoid(z) - y) * self._scale(z.size)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits ``z`` of shape ``(N, C)`` (softmax fused in).

    The target is either integer class labels ``(N,)`` with values in
    ``[0, C-1]``, or rows of class probabilities ``(N, C)`` (one-hot, or soft
    labels: entries >= 0, each row summing to 1).

    ``loss_i = -log softmax(z_i)[y_i]`` for labels and
    ``loss_i = -sum_j t_ij * log softmax(z_i)_j`` for probabilities, with
    ``log_softmax`` computed after subtracting each row's maximum (which
    changes nothing mathematically and keeps ``exp`` from overflowing). The
    loss is averaged over the batch (``N``) for ``reduction="mean"``, and::

        dz = (softmax(z) - onehot(y)) / N              # labels       (N, C)
        dz = (softmax(z) * sum_j t_ij - t) / N         # probabilities

    The second form is PyTorch's; it equals ``softmax(z) - t`` when the rows of
    ``t`` sum to exactly 1, and stays the exact gradient when they are off by
    rounding (rows within ``sqrt(eps)`` of 1 are accepted).

    Notes
    -----
    Pass raw scores, not softmax outputs: the model's last layer should be
    ``Linear``, since the softmax is already inside this loss.
    """

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        self._cache = None
        z = _as_pred(pred)
        if z.ndim != 2 or z.shape[0] == 0:
            raise ValueError(
                f"CrossEntropyLoss expects logits of shape (N, C) with N >= 1; got {z.shape}"
            )
        n, c = z.shape
        target = np.asarray(target)
        labels = target.ndim == 1
        if labels:
            target = self._check_labels(target, n, c)
        else:
            target = self._check_probabilities(_as_target(target, z.dtype), z.shape)
        with np.errstate(under="ignore"):  # exp(-2000) = 0 is the right answer
            log_p = log_softmax(z, axis=1)  # (N, C)
        if labels:
            per = -log_p[np.arange(n), target]  # (N,)
        else:
            per = -(target * log_p).sum(axis=1)  # (N,)
        self._cache = (log_p, target, labels)
        return self._reduce(per, n)

    def backward(self) -> np.ndarray:
        log_p, target, labels = self._cached()
        n = log_p.shape[0]
        with np.errstate(under="ignore"):
            dz = np.exp(log_p)  # (N, C) softmax(z), a new array
            if labels:
                dz[np.arange(n), target] -= 1.0
            else:
                dz = dz * target.sum(axis=1, keepdims=True) - target
        return dz * self._scale(n)

    @staticmethod
    def _check_labels(target: np.ndarray, n: int, c: int) -> np.ndarray:
        if target.dtype.kind not in "iu":
            raise TypeError(
                "CrossEntropyLoss expects integer class labels of shape (N,) "
                f"(or class-probability rows of shape (N, C)); got labels of dtype "
                f"{target.dtype}. Convert them with target.astype(int)."
            )
        if target.shape[0] != n:
            raise ValueError(
                f"CrossEntropyLoss got logits of shape ({n}, {c}) and target of shape "
                f"{target.shape}; expected labels of shape ({n},) or probabilities of "
                f"shape ({n}, {c})"
            )
        lo, hi = target.min(), target.max()
        if lo < 0 or hi >= c:
            bad = hi if hi >= c else lo
            raise ValueError(
                f"CrossEntropyLoss: labels must be in [0, C-1] = [0, {c - 1}]; got {bad}"
            )
        return target

    @staticmethod
    def _check_probabilities(target: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        if target.shape != shape:
            n, c = shape
            msg = (
                f"CrossEntropyLoss got logits of shape {shape} and target of shape "
                f"{target.shape}; expected labels of shape ({n},) or probabilities of "
                f"shape ({n}, {c})"
            )
            if target.shape == (n, 1):
                msg += " (labels in a column? use target.reshape(-1))"
            raise ValueError(msg)
        row_sums = target.sum(axis=1)  # (N,)
        tol = np.sqrt(np.finfo(target.dtype).eps)
        worst = int(np.argmax(np.abs(row_sums - 1.0)))
        if target.min() < 0 or abs(row_sums[worst] - 1.0) > tol:
            total = float(row_sums[worst])  # every digit: 1.0000001 must not print as 1
            raise ValueError(
                "CrossEntropyLoss expects target rows of class probabilities (entries "
                f">= 0, each row summing to 1 within {tol:.2g}); row {worst} sums to "
                f"{total!r} (off by {total - 1.0:.3g}) and the smallest entry is "
                f"{float(target.min())!r}"
            )
        return target


_LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
}


def get(name: str | Loss | type[Loss], **kwargs) -> Loss:
    """A new loss from its name or class (``get("mse", reduction="sum")``); a ``Loss`` passes.

    Names: ``"mse"``, ``"bce"``, ``"bce_with_logits"``, ``"cross_entropy"``.
    """
    if isinstance(name, Loss):
        return name
    if isinstance(name, type) and issubclass(name, Loss):
        return name(**kwargs)
    key = name.lower() if isinstance(name, str) else None
    if key not in _LOSSES:
        valid = ", ".join(repr(k) for k in _LOSSES)
        raise ValueError(f"unknown loss {name!r}; valid names are {valid}")
    return _LOSSES[key](**kwargs)
