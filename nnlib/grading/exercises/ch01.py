"""Checks of chapter 1's exercises: the forward pass and the loss.

========================  =================================================  ======
exercise id               the learner writes                                 points
========================  =================================================  ======
``dense_forward``         ``dense_forward(x, W, b) -> out`` (N, H)               2
``sigmoid_neuron``        ``sigmoid_neuron(x, w, b) -> a`` (N,)                  2
``mse_loss``              ``mse_loss(pred, target) -> float``                    1
``bce_with_logits``       ``bce_with_logits(z, y) -> float``                     2
``cross_entropy``         ``cross_entropy(logits, y) -> float``                  2
========================  =================================================  ======

Every check compares with nnlib (``nnlib.activations``, ``nnlib.losses``) or
an inline reference, on several shapes and seeds, a single example, float32
inputs and, for the losses built on ``exp``, logits as large as 1000.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...activations import sigmoid
from ...losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ..checks import Check
from ..diagnose import Mistake, off_by_factor
from ..registry import Exercise

__all__ = [
    "check_dense_forward",
    "check_sigmoid_neuron",
    "check_mse_loss",
    "check_bce_with_logits",
    "check_cross_entropy",
]

DENSE_FORWARD = Exercise("ch01", "dense_forward", "Dense layer forward pass", points=2)
SIGMOID_NEURON = Exercise("ch01", "sigmoid_neuron", "One neuron with a sigmoid", points=2)
MSE_LOSS = Exercise("ch01", "mse_loss", "Mean squared error", points=1)
BCE_WITH_LOGITS = Exercise("ch01", "bce_with_logits", "Binary cross-entropy from logits", points=2)
CROSS_ENTROPY = Exercise("ch01", "cross_entropy", "Softmax cross-entropy from logits", points=2)

F32_RTOL = 1e-4  # a float32 loss is a sum of many rounded terms


def _nan(got: Any) -> bool:
    return bool(np.any(np.isnan(np.asarray(got, dtype=float))))


def _inf(got: Any) -> bool:
    g = np.asarray(got, dtype=float)
    return bool(np.any(np.isinf(g)) and not np.any(np.isnan(g)))


def _large(ctx: dict, limit: float = 20.0) -> bool:
    """True when the first argument of this case (the logits) holds an entry beyond ``limit``."""
    return bool(np.max(np.abs(ctx["args"][0])) > limit)


# ---------------------------------------------------------------- dense_forward

_DENSE_MISTAKES = [
    Mistake("forgot the bias: add b to every row", impl=lambda x, W, b: x @ W),
    Mistake("subtracted the bias: the layer computes x W + b", impl=lambda x, W, b: x @ W - b),
    Mistake(
        "used W transposed: W already has shape (D, H), so x (N, D) times W needs no `.T`",
        impl=lambda x, W, b: x @ W.T + b,
    ),
    Mistake(
        "the result is transposed, (H, N): keep one row per example, shape (N, H)",
        impl=lambda x, W, b: (x @ W + b).T,
    ),
]


def check_dense_forward(dense_forward: Any) -> None:
    """``dense_forward(x, W, b)`` returns ``x @ W + b``, shape (N, H), in x's dtype."""
    cases = [  # (seed, N, D, H, dtype): a square W first, so `W.T` runs and is caught
        (0, 4, 3, 3, np.float64),
        (1, 5, 3, 2, np.float64),
        (2, 1, 4, 6, np.float64),
        (3, 6, 1, 1, np.float64),
        (4, 3, 5, 4, np.float32),
    ]
    with Check(DENSE_FORWARD, dense_forward) as c:
        for seed, n, d, h, dtype in cases:
            rng = np.random.default_rng(100 + seed)
            x = rng.normal(size=(n, d)).astype(dtype)
            W = rng.normal(size=(d, h)).astype(dtype)
            b = rng.normal(size=h).astype(dtype)
            out = c.call(x, W, b, note=f"seed {seed}")
            c.compare(out, x @ W + b, name="out", mistakes=_DENSE_MISTAKES)


# ---------------------------------------------------------------- sigmoid_neuron


def _nan_from_overflow(got: Any, exp: Any, ctx: dict) -> bool:
    return _nan(got) and not _nan(exp)


_NEURON_MISTAKES = [
    Mistake("returned z without the sigmoid: a = sigmoid(z)", impl=lambda x, w, b: x @ w + b),
    Mistake("forgot the bias: z = x w + b", impl=lambda x, w, b: sigmoid(x @ w)),
    Mistake(
        "a sign in the sigmoid is flipped: it is 1 / (1 + exp(-z)), with a minus",
        impl=lambda x, w, b: sigmoid(-(x @ w + b)),
    ),
    Mistake(
        "used tanh; this neuron's activation is the sigmoid",
        impl=lambda x, w, b: np.tanh(x @ w + b),
    ),
    Mistake(
        "returned a column of shape (N, 1): w has shape (D,), so x @ w has shape (N,) already",
        impl=lambda x, w, b: sigmoid(x @ w.reshape(-1, 1) + b),
    ),
    Mistake(
        "exp(z) / (1 + exp(z)) is inf / inf = NaN once exp(z) overflows (z > 709): "
        "use 1 / (1 + exp(-z)) for z >= 0",
        _nan_from_overflow,
    ),
]


def check_sigmoid_neuron(sigmoid_neuron: Any) -> None:
    """``sigmoid_neuron(x, w, b)`` returns ``sigmoid(x @ w + b)``, shape (N,)."""
    cases = [  # (seed, N, D, scale of x, dtype)
        (0, 5, 3, 1.0, np.float64),
        (1, 1, 4, 1.0, np.float64),
        (2, 8, 1, 2.0, np.float64),
        (3, 6, 2, 400.0, np.float64),  # |z| up to ~1000: exp must not give NaN
        (4, 4, 3, 1.0, np.float32),
    ]
    with Check(SIGMOID_NEURON, sigmoid_neuron) as c:
        for seed, n, d, scale, dtype in cases:
            rng = np.random.default_rng(200 + seed)
            x = (scale * rng.normal(size=(n, d))).astype(dtype)
            w = rng.normal(size=d).astype(dtype)
            b = float(rng.normal())
            a = c.call(x, w, b, note=f"seed {seed}")
            c.compare(a, sigmoid(x @ w + b), name="a", mistakes=_NEURON_MISTAKES)


# ---------------------------------------------------------------- mse_loss

_MSE_MISTAKES = [
    Mistake(
        "summed the squared errors: divide by the number of entries (np.mean does it)",
        impl=lambda p, t: np.sum((p - t) ** 2),
    ),
    Mistake(
        "divided by N only: the mean runs over all N*K entries, not just the N rows",
        impl=lambda p, t: np.sum((p - t) ** 2) / len(p),
    ),
    Mistake(
        "took the square root: that is the RMSE; the MSE has no root",
        impl=lambda p, t: np.sqrt(np.mean((p - t) ** 2)),
    ),
    Mistake(
        "used the absolute error: square the differences instead",
        impl=lambda p, t: np.mean(np.abs(p - t)),
    ),
    Mistake("forgot to square the differences", impl=lambda p, t: np.mean(p - t)),
    Mistake(
        "averaged each row separately: return one number, the mean over every entry",
        impl=lambda p, t: np.mean((p - t) ** 2, axis=-1),
    ),
    off_by_factor(0.5, "a factor 1/2 too many: the MSE here is the plain mean, without 1/2"),
]


def check_mse_loss(mse_loss: Any) -> None:
    """``mse_loss(pred, target)`` returns the mean of ``(pred - target) ** 2`` over all entries."""
    cases = [  # (seed, shape, dtype)
        (0, (5, 1), np.float64),
        (1, (8, 3), np.float64),
        (2, (1, 4), np.float64),
        (3, (7,), np.float64),
        (4, (6, 2), np.float32),
    ]
    with Check(MSE_LOSS, mse_loss) as c:
        for seed, shape, dtype in cases:
            rng = np.random.default_rng(300 + seed)
            pred = rng.normal(size=shape).astype(dtype)
            target = rng.normal(size=shape).astype(dtype)
            loss = c.call(pred, target, note=f"seed {seed}")
            rtol = F32_RTOL if dtype == np.float32 else None
            expected = MSELoss()(pred, target)
            c.compare(loss, expected, name="loss", mistakes=_MSE_MISTAKES, rtol=rtol)


# ---------------------------------------------------------------- bce_with_logits


def _bce(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-entry binary cross-entropy, stable (the wrong variants below build on it)."""
    return np.logaddexp(0.0, z) - z * y


_BCE_MISTAKES = [
    Mistake(
        "log(sigmoid(z)) reaches log(0) = -inf for large |z|: compute the loss from z "
        "directly, as max(z, 0) - z y + log(1 + exp(-|z|))",
        lambda got, exp, ctx: not np.all(np.isfinite(np.asarray(got, dtype=float))),
    ),
    Mistake(
        "forgot the minus sign: the loss is -(y log p + (1 - y) log(1 - p)), never negative",
        impl=lambda z, y: -np.mean(_bce(z, y)),
    ),
    Mistake(
        "summed over the entries: average them (np.mean)", impl=lambda z, y: np.sum(_bce(z, y))
    ),
    Mistake(
        "divided by N only: the mean runs over all entries of z",
        impl=lambda z, y: np.sum(_bce(z, y)) / len(z),
    ),
    Mistake(
        "left out the (1 - y) log(1 - p) term: examples with label 0 count too",
        impl=lambda z, y: np.mean(y * np.logaddexp(0.0, -z)),
    ),
    Mistake(
        "swapped the labels: log p goes with y = 1, log(1 - p) with y = 0",
        impl=lambda z, y: np.mean(_bce(z, 1 - y)),
    ),
    Mistake(
        "right for small logits but off for large |z|: probabilities near 0 or 1 round "
        "(or get clipped by an eps); compute the loss from z directly, as "
        "max(z, 0) - z y + log(1 + exp(-|z|))",
        lambda got, exp, ctx: _large(ctx),
    ),
]


def check_bce_with_logits(bce_with_logits: Any) -> None:
    """``bce_with_logits(z, y)``: mean binary cross-entropy of ``sigmoid(z)``, stable in z."""
    big_z = np.array([40.0, -40.0, 1000.0, -1000.0, 30.0, -35.0, 2.0, -0.5])
    big_y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    cases = [  # (seed, shape, scale of z, dtype)
        (0, (6,), 2.0, np.float64),
        (1, (5, 1), 2.0, np.float64),
        (2, (4, 3), 1.5, np.float64),
        (3, (1,), 1.0, np.float64),
        (4, (6, 2), 2.0, np.float32),
    ]
    with Check(BCE_WITH_LOGITS, bce_with_logits) as c:
        for seed, shape, scale, dtype in cases:
            rng = np.random.default_rng(400 + seed)
            z = (scale * rng.normal(size=shape)).astype(dtype)
            y = rng.integers(0, 2, size=shape).astype(dtype)
            loss = c.call(z, y, note=f"seed {seed}")
            rtol = F32_RTOL if dtype == np.float32 else None
            expected = BCEWithLogitsLoss()(z, y)
            c.compare(loss, expected, name="loss", mistakes=_BCE_MISTAKES, rtol=rtol)
        for z, y, note in [
            (big_z, big_y, "logits as large as 1000"),
            (big_z[:, None].astype(np.float32), big_y[:, None].astype(np.float32), "float32"),
        ]:
            loss = c.call(z, y, note=note)
            rtol = F32_RTOL if z.dtype == np.float32 else None
            expected = BCEWithLogitsLoss()(z, y)
            c.compare(loss, expected, name="loss", mistakes=_BCE_MISTAKES, rtol=rtol)


# ---------------------------------------------------------------- cross_entropy


def _log_softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _picked(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _log_softmax(z)[np.arange(len(y)), y]  # (N,) log-probabilities of the labels


def _global_max_ce(z: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy with the maximum of the whole array subtracted (not each row's)."""
    shifted = z - z.max()
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


_CE_MISTAKES = [
    Mistake(
        "subtracted the maximum of the whole array: a row far below it underflows to "
        "exp() = 0 everywhere, so its log is -inf; subtract each row's own maximum, "
        "logits.max(axis=1, keepdims=True)",
        impl=_global_max_ce,
    ),
    Mistake(
        "np.exp overflowed for large logits (inf / inf = NaN): subtract each row's maximum "
        "before exponentiating; the softmax does not change",
        lambda got, exp, ctx: _nan(got),
    ),
    Mistake(
        "log(softmax) gave log(0) = -inf: a class far below the row's maximum underflows to "
        "probability 0; take the log analytically: (z - max) - log(sum(exp(z - max)))",
        lambda got, exp, ctx: _inf(got),
    ),
    Mistake(
        "forgot the minus sign: the loss is -log p[y]", impl=lambda z, y: np.mean(_picked(z, y))
    ),
    Mistake(
        "summed over the batch: average over the N examples",
        impl=lambda z, y: -np.sum(_picked(z, y)),
    ),
    Mistake(
        "divided by N*C: only one entry per row counts, so average over the N rows only",
        impl=lambda z, y: -np.sum(_picked(z, y)) / np.size(z),
    ),
    Mistake(
        "returned one loss per example: average them into one number",
        impl=lambda z, y: -_picked(z, y),
    ),
    Mistake(
        "added -log p over every class: only the true class's log-probability counts",
        impl=lambda z, y: -np.mean(_log_softmax(z).sum(axis=1)),
    ),
    Mistake(
        "took the softmax over the batch (axis 0): each row (axis 1) must sum to 1",
        impl=lambda z, y: -np.mean(_log_softmax(z, axis=0)[np.arange(len(y)), y]),
    ),
    Mistake(
        "indexed with [:, y], which picks an (N, N) block: use [np.arange(N), y], "
        "one entry per row",
        impl=lambda z, y: -np.mean(_log_softmax(z)[:, y]),
    ),
    Mistake(
        "right for small logits but off for large ones: an eps or clipping inside the log "
        "caps the loss; use the log-sum-exp form",
        lambda got, exp, ctx: _large(ctx),
    ),
]


def check_cross_entropy(cross_entropy: Any) -> None:
    """``cross_entropy(logits, y)``: mean over N of ``-log softmax(logits)[i, y_i]``."""
    cases = [  # (seed, N, C, scale of the logits, dtype)
        (0, 5, 3, 2.0, np.float64),
        (1, 1, 4, 2.0, np.float64),
        (2, 7, 2, 3.0, np.float64),
        (3, 4, 3, 2.0, np.float32),
    ]
    fixed = [
        (np.zeros((3, 5)), np.array([0, 4, 2]), "equal logits: the loss is log 5"),
        (
            np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 500.0], [-1000.0, 1000.0, 0.0]]),
            np.array([0, 2, 0]),
            "logits as large as 1000",
        ),
        (
            np.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -802.0]]),
            np.array([1, 2]),
            "rows with very different maxima",
        ),
    ]
    with Check(CROSS_ENTROPY, cross_entropy) as c:
        inputs = []
        for seed, n, classes, scale, dtype in cases:
            rng = np.random.default_rng(500 + seed)
            logits = (scale * rng.normal(size=(n, classes))).astype(dtype)
            inputs.append((logits, rng.integers(0, classes, size=n), f"seed {seed}"))
        for logits, y, note in [*inputs, *fixed]:
            loss = c.call(logits, y, note=note)
            rtol = F32_RTOL if logits.dtype == np.float32 else None
            expected = CrossEntropyLoss()(logits, y)
            c.compare(loss, expected, name="loss", mistakes=_CE_MISTAKES, rtol=rtol)
