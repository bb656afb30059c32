"""Checks of chapter 4's exercises: activation functions, forward and backward.

=======================  ===========================================================  ======
exercise id              the learner writes                                           points
=======================  ===========================================================  ======
``relu_backward``        ``relu_backward(dout, z) -> dz`` from the cached input z         1
``leaky_relu_backward``  ``leaky_relu_backward(dout, z, negative_slope=0.01) -> dz``      1
``tanh_backward``        ``tanh_backward(dout, out) -> dz`` from the cached output        1
``stable_sigmoid``       ``sigmoid(z)`` and ``sigmoid_grad(z)``, no overflow              2
``stable_softmax``       ``softmax(z)`` over the rows of (N, C), no overflow              2
``softmax_ce_backward``  ``softmax_ce_backward(z, y) -> dz = (softmax(z) - onehot) / N``  3
``count_dead_units``     ``count_dead_units(X, W, b) -> int``                             1
=======================  ===========================================================  ======

The backward passes take the upstream gradient ``dout`` and what the forward
pass cached (``z`` for the ReLUs, ``out = tanh(z)`` for tanh), of one shape
and dtype, and must return a new array of that shape and dtype. They are
compared with the chain rule on several shapes (1-D to 3-D), float64 and
float32 (which must stay float32), random ``dout`` and exact zeros in ``z``
(the kink: derivatives take the left-hand value there, as in nnlib and
PyTorch); tanh's cache also holds exact +-1 (saturation). The elementwise
forward functions are compared with :mod:`nnlib.activations`, for the
functions built on ``exp`` with inputs as large as ``|z| = 1000``; the stable
sigmoid, softmax and softmax cross-entropy backward must also run without an
overflow warning from NumPy. A check of two functions (``sigmoid`` and
``sigmoid_grad``) takes both: ``check_stable_sigmoid(sigmoid, sigmoid_grad)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ... import activations as act
from ..checks import Check
from ..diagnose import Mistake
from ..registry import Exercise

__all__ = [
    "check_relu_backward",
    "check_leaky_relu_backward",
    "check_tanh_backward",
    "check_stable_sigmoid",
    "check_stable_softmax",
    "check_softmax_ce_backward",
    "check_count_dead_units",
]

RELU_BACKWARD = Exercise("ch04", "relu_backward", "ReLU backward pass", points=1)
LEAKY_RELU_BACKWARD = Exercise("ch04", "leaky_relu_backward", "Leaky ReLU backward pass", points=1)
TANH_BACKWARD = Exercise("ch04", "tanh_backward", "tanh backward pass from its output", points=1)
STABLE_SIGMOID = Exercise("ch04", "stable_sigmoid", "A numerically stable sigmoid", points=2)
STABLE_SOFTMAX = Exercise("ch04", "stable_softmax", "A numerically stable softmax", points=2)
SOFTMAX_CE_BACKWARD = Exercise(
    "ch04", "softmax_ce_backward", "Softmax with cross-entropy, backward", points=3
)
COUNT_DEAD_UNITS = Exercise("ch04", "count_dead_units", "Counting dead ReLU units", points=1)

# (seed, shape, scale, dtype): exact zeros are planted in every case (the kink)
_CASES = [
    (0, (7,), 2.0, np.float64),
    (1, (4, 5), 3.0, np.float64),
    (2, (2, 3, 4), 1.0, np.float64),
    (3, (1, 1), 1.0, np.float64),
    (4, (3, 6), 2.0, np.float32),
]
_HUGE = np.array([[-1000.0, -400.0, -50.0, 0.0], [50.0, 400.0, 1000.0, -0.5]])


def _inputs(offset: int) -> list[tuple[np.ndarray, str]]:
    """The elementwise test inputs, with a note for each."""
    out = []
    for seed, shape, scale, dtype in _CASES:
        rng = np.random.default_rng(offset + seed)
        z = (scale * rng.normal(size=shape)).astype(dtype)
        z.flat[::4] = 0.0
        out.append((z, f"seed {seed}, some entries exactly 0"))
    return out


def _nan(got: Any) -> bool:
    return bool(np.any(np.isnan(np.asarray(got, dtype=float))))


# ---------------------------------------------------------------- backward passes: shared


def _backward_inputs(offset: int, saturate: bool = False) -> list[tuple[np.ndarray, ...]]:
    """(dout, z, note) per case: random dout (never ones), z with exact zeros planted.

    With ``saturate``, z also reaches +-20, where tanh(z) is exactly +-1 in float64.
    """
    out = []
    for seed, shape, scale, dtype in _CASES:
        rng = np.random.default_rng(offset + seed)
        z = (scale * rng.normal(size=shape)).astype(dtype)
        z.flat[::4] = 0.0
        if saturate and z.size > 4:
            z.flat[1], z.flat[2] = 20.0, -20.0
        dout = rng.normal(size=shape).astype(dtype)
        out.append((dout, z, f"seed {seed}, some z exactly 0"))
    return out


def _backward(
    c: Check, args: tuple, note: str, expected: np.ndarray, mistakes: list[Mistake]
) -> None:
    dz = c.call(*args, note=note)
    c.compare(dz, expected, name="dz", mistakes=mistakes)


def _as(dtype: Any, x: Any) -> np.ndarray:
    return np.asarray(x).astype(dtype)


# ---------------------------------------------------------------- relu_backward


def _relu_dz(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    return dout * (z > 0)  # (same shape as z)


_RELU_MISTAKES = [
    Mistake(
        "returned relu'(z) alone: the chain rule multiplies it by the upstream gradient, "
        "dz = dout * (z > 0)",
        impl=lambda dout, z: (z > 0).astype(z.dtype),
    ),
    Mistake(
        "at z = 0 the derivative is taken as 0 (the left-hand slope, as in nnlib and PyTorch): "
        "gate with z > 0, not z >= 0",
        impl=lambda dout, z: dout * (z >= 0),
    ),
    Mistake(
        "multiplied dout by relu(z): the local derivative is 1 where z > 0 and 0 elsewhere, not z",
        impl=lambda dout, z: dout * np.maximum(z, 0),
    ),
    Mistake(
        "multiplied dout by z itself: ReLU passes dout through where z > 0 and blocks it elsewhere",
        impl=lambda dout, z: dout * z,
    ),
    Mistake(
        "applied ReLU to dout: the gate is the sign of the cached input z, not of dout, "
        "dz = dout * (z > 0)",
        impl=lambda dout, z: np.maximum(dout, 0),
    ),
    Mistake(
        "returned dout unchanged: entries whose z was <= 0 must get 0",
        impl=lambda dout, z: dout,
    ),
]


def check_relu_backward(relu_backward: Any) -> None:
    """``relu_backward(dout, z) = dout * (z > 0)``, a new array of ``dout``'s shape and dtype."""
    with Check(RELU_BACKWARD, relu_backward) as c:
        for dout, z, note in _backward_inputs(2000):
            _backward(c, (dout, z), note, _relu_dz(dout, z), _RELU_MISTAKES)


# ---------------------------------------------------------------- leaky_relu_backward


def _slope(args: tuple) -> float:
    return args[2] if len(args) > 2 else 0.01


def _leaky_dz(dout: np.ndarray, z: np.ndarray, a: float = 0.01) -> np.ndarray:
    return np.where(z > 0, dout, a * dout)  # (same shape as z)


_LEAKY_MISTAKES = [
    Mistake(
        "swapped the slopes: dout passes unchanged where z > 0 and is multiplied by "
        "negative_slope where z <= 0",
        impl=lambda dout, z, *a: np.where(z > 0, _slope((dout, z, *a)) * dout, dout),
    ),
    Mistake(
        "ignored the negative_slope argument (used 0.01 whatever was passed)",
        impl=lambda dout, z, *a: _leaky_dz(dout, z, 0.01),
    ),
    Mistake(
        "gave 0 where z <= 0 (that is ReLU's backward pass): Leaky ReLU passes negative_slope "
        "* dout there",
        impl=lambda dout, z, *a: _relu_dz(dout, z),
    ),
    Mistake(
        "at z = 0 the derivative takes the left-hand slope, negative_slope (as in nnlib and "
        "PyTorch): test z > 0, not z >= 0",
        impl=lambda dout, z, *a: np.where(z >= 0, dout, _slope((dout, z, *a)) * dout),
    ),
    Mistake(
        "returned the local derivative alone: multiply it by dout (the chain rule)",
        impl=lambda dout, z, *a: np.where(z > 0, 1.0, _slope((dout, z, *a))),
    ),
    Mistake(
        "multiplied dout by leaky_relu(z): the local derivative is 1 or negative_slope, not "
        "the activation",
        impl=lambda dout, z, *a: dout * np.where(z > 0, z, _slope((dout, z, *a)) * z),
    ),
    Mistake(
        "tested the sign of dout: the slope is chosen by the cached input z",
        impl=lambda dout, z, *a: _leaky_dz(dout, dout, _slope((dout, z, *a))),
    ),
]


def check_leaky_relu_backward(leaky_relu_backward: Any) -> None:
    """``dz = dout`` where ``z > 0``, ``negative_slope * dout`` elsewhere (also at 0)."""
    slopes = [None, 0.2, 0.1, 0.3, 0.05]  # None: the default, 0.01
    with Check(LEAKY_RELU_BACKWARD, leaky_relu_backward) as c:
        for (dout, z, note), a in zip(_backward_inputs(2100), slopes, strict=True):
            args = (dout, z) if a is None else (dout, z, a)
            expected = _as(z.dtype, _leaky_dz(dout, z, 0.01 if a is None else a))
            _backward(c, args, note, expected, _LEAKY_MISTAKES)


# ---------------------------------------------------------------- tanh_backward


_TANH_MISTAKES = [
    Mistake(
        "treated the cache as z: `out` is already tanh(z), so the derivative is 1 - out**2, "
        "not 1 - tanh(out)**2",
        impl=lambda dout, out: dout * (1 - np.tanh(out) ** 2),
    ),
    Mistake(
        "the square is missing: tanh'(z) = 1 - tanh(z)², so dz = dout * (1 - out**2)",
        impl=lambda dout, out: dout * (1 - out),
    ),
    Mistake(
        "squared the wrong thing: (1 - out)**2 is not 1 - out**2",
        impl=lambda dout, out: dout * (1 - out) ** 2,
    ),
    Mistake(
        "a sign is flipped: the local derivative is 1 - out**2",
        impl=lambda dout, out: dout * (1 + out**2),
    ),
    Mistake(
        "that is the sigmoid's pattern, s (1 - s); tanh's derivative is 1 - out**2",
        impl=lambda dout, out: dout * out * (1 - out),
    ),
    Mistake(
        "returned the local derivative alone: multiply it by dout (the chain rule)",
        impl=lambda dout, out: 1 - out**2,
    ),
    Mistake(
        "multiplied dout by out: the local derivative is 1 - out**2",
        impl=lambda dout, out: dout * out,
    ),
]


def check_tanh_backward(tanh_backward: Any) -> None:
    """``tanh_backward(dout, out) = dout * (1 - out**2)`` with ``out = tanh(z)`` cached."""
    with Check(TANH_BACKWARD, tanh_backward) as c:
        for dout, z, note in _backward_inputs(2200, saturate=True):
            out = np.tanh(z)  # what the forward pass cached, in z's dtype
            note = note.replace("z exactly 0", "out exactly 0") + (
                "" if z.size <= 4 else ", |out| = 1"
            )
            _backward(c, (dout, out), note, dout * (1 - out**2), _TANH_MISTAKES)


# ---------------------------------------------------------------- stable_sigmoid

_SIGMOID_MISTAKES = [
    Mistake(
        "exp(z) / (1 + exp(z)) is inf / inf = NaN for z > 709: for z >= 0 use "
        "1 / (1 + exp(-z)), whose exp stays at most 1",
        lambda got, exp, ctx: _nan(got),
    ),
    Mistake(
        "the sign in the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z))",
        impl=lambda z: act.sigmoid(-z),
    ),
    Mistake(
        "only the z >= 0 formula was used: 1 / (1 + exp(-|z|)) is sigmoid(|z|); for z < 0 use "
        "exp(-|z|) / (1 + exp(-|z|))",
        impl=lambda z: act.sigmoid(np.abs(z)),
    ),
    Mistake("that is tanh; the sigmoid has values in (0, 1)", impl=lambda z: np.tanh(z)),
]
_SIGMOID_GRAD_MISTAKES = [
    Mistake(
        "the derivative overflowed to NaN for large |z|: compute it from your stable sigmoid, "
        "s * (1 - s)",
        lambda got, exp, ctx: _nan(got),
    ),
    Mistake("returned sigmoid(z) itself, not its derivative", impl=lambda z: act.sigmoid(z)),
    Mistake(
        "used z where s = sigmoid(z) belongs: the derivative is s (1 - s)",
        impl=lambda z: z * (1 - z),
    ),
    Mistake(
        "1 - s² is the pattern of tanh's derivative; the sigmoid's is s (1 - s)",
        impl=lambda z: 1 - act.sigmoid(z) ** 2,
    ),
    Mistake("a factor is missing: sigmoid'(z) = s (1 - s)", impl=lambda z: 1 - act.sigmoid(z)),
]


_WHERE_OVERFLOWS = (
    "np.where(cond, a, b) evaluates both a and b for every entry, so the unused branch still "
    "overflows: compute e = exp(-|z|) (at most 1) and build both branches from it"
)
_NEGATIVE_OVERFLOWS = (
    "1 / (1 + exp(-z)) overflows for z < -709 (exp(-z) is inf; the result happens to be "
    "right, but NumPy warns): for z < 0 use exp(z) / (1 + exp(z)), or exp(-|z|)"
)

_GRAD_OVERFLOWS = (
    "the derivative computes exp of a large number: build it from your stable sigmoid, "
    "s * (1 - s) with s = sigmoid(z)"
)


def _no_overflow(c: Check, what: str, likely: str) -> None:
    """Fail when the last call made NumPy warn about an overflow."""
    warned = [w for w in c.ctx.get("warnings", []) if "overflow" in w]
    if warned:
        raise c.failure(
            f"{what} made NumPy warn about an overflow",
            got=f"NumPy warned: {'; '.join(sorted(set(warned)))}",
            expected="no warning: a stable version never computes exp of a large positive number",
            likely=likely,
            kind="overflow",
        )


def check_stable_sigmoid(sigmoid: Any, sigmoid_grad: Any) -> None:
    """``sigmoid(z)`` and ``sigmoid_grad(z) = s (1 - s)``, with no overflow for |z| <= 1000."""
    big = np.array([30.0, 100.0, 500.0, 710.0, 1000.0])
    cases = [
        *((z, note, False) for z, note in _inputs(2300)),
        (big, "large positive z only", True),
        (-big[::-1].reshape(1, -1), "large negative z only", False),
        (_HUGE.astype(np.float32), "float32, |z| as large as 1000", False),
    ]
    with Check(STABLE_SIGMOID, sigmoid) as c:
        for z, note, positive_only in cases:
            s = c.call(z, note=note)
            c.compare(s, act.sigmoid(z), name="sigmoid(z)", mistakes=_SIGMOID_MISTAKES)
            likely = _WHERE_OVERFLOWS if positive_only else _NEGATIVE_OVERFLOWS
            _no_overflow(c, "sigmoid(z)", likely)
            d = c.call(z, fn=sigmoid_grad, note=note)
            c.compare(
                d, act.sigmoid_grad(z), name="sigmoid_grad(z)", mistakes=_SIGMOID_GRAD_MISTAKES
            )
            _no_overflow(c, "sigmoid_grad(z)", _GRAD_OVERFLOWS)


# ---------------------------------------------------------------- stable_softmax


def _same_nans(impl: Callable[[np.ndarray], np.ndarray]) -> Callable:
    """A predicate: the result has NaN exactly where ``impl`` gives NaN (and somewhere)."""

    def when(got: Any, exp: Any, ctx: dict) -> bool:
        with np.errstate(all="ignore"):
            ref = impl(ctx["args"][0].astype(float))
        g = np.isnan(np.asarray(got, dtype=float))
        return bool(g.any()) and np.array_equal(g, np.isnan(ref))

    return when


def _naive_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _global_max_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def _no_keepdims(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1)


def _no_keepdims_sum(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


_KEEPDIMS = (
    "forgot keepdims=True: (N, C) minus or divided by an (N,) array lines the row values up "
    "with the columns; use z.max(axis=1, keepdims=True) and e.sum(axis=1, keepdims=True)"
)
_SOFTMAX_MISTAKES = [
    Mistake(
        "did not subtract the row maximum: exp overflows for large logits (inf / inf = NaN) and "
        "underflows for very negative ones (0 / 0 = NaN); use exp(z - z.max(axis=1, "
        "keepdims=True))",
        _same_nans(_naive_softmax),
    ),
    Mistake(
        "subtracted the maximum of the whole array: a row far below it underflows to 0 / 0; "
        "subtract each row's own maximum, z.max(axis=1, keepdims=True)",
        _same_nans(_global_max_softmax),
    ),
    Mistake(
        "normalised over the wrong axis: each row (axis 1) must sum to 1, not each column",
        impl=lambda z: act.softmax(z, axis=0),
    ),
    Mistake(
        "divided by the sum of the whole array: divide each row by its own sum, "
        "e.sum(axis=1, keepdims=True)",
        impl=lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
    ),
    Mistake(_KEEPDIMS, impl=_no_keepdims),
    Mistake(_KEEPDIMS, impl=_no_keepdims_sum),
    Mistake(
        "forgot to normalise: divide exp(z - max) by its row sum",
        impl=lambda z: np.exp(z - z.max(axis=1, keepdims=True)),
    ),
]


_SOFTMAX_OVERFLOWS = (
    "exp of a large logit overflows even where the result is not used: subtract each row's "
    "maximum first, so that every exponent is at most 0"
)


def check_stable_softmax(softmax: Any) -> None:
    """``softmax(z)`` of an (N, C) array: rows sum to 1, finite for logits up to +-1000."""
    cases = [  # (seed, N, C, scale, dtype): a square case first, so a missing keepdims runs
        (0, 3, 3, 2.0, np.float64),
        (1, 5, 4, 3.0, np.float64),
        (2, 1, 6, 2.0, np.float64),
        (3, 4, 1, 2.0, np.float64),
        (4, 6, 3, 2.0, np.float32),
    ]
    inputs = []
    for seed, n, classes, scale, dtype in cases:
        rng = np.random.default_rng(2400 + seed)
        inputs.append(((scale * rng.normal(size=(n, classes))).astype(dtype), f"seed {seed}"))
    big = np.array([[1000.0, 999.0, 998.0], [1001.0, 1000.0, 990.0], [0.0, -1000.0, 5.0]])
    inputs += [
        (big, "logits as large as 1000"),
        (np.array([[-1000.0, -1001.0, -1003.0], [-2.0, -1.0, 0.0]]), "very negative logits"),
        (big.astype(np.float32), "float32, logits as large as 1000"),
    ]
    with Check(STABLE_SOFTMAX, softmax) as c:
        for z, note in inputs:
            p = c.call(z, note=note)
            c.compare(p, act.softmax(z, axis=1), name="softmax(z)", mistakes=_SOFTMAX_MISTAKES)
            _no_overflow(c, "softmax(z)", _SOFTMAX_OVERFLOWS)


# ---------------------------------------------------------------- softmax_ce_backward


def _onehot(y: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[y]  # (N, C)


def _ce_dz(z: np.ndarray, y: np.ndarray, *, sign: float = 1.0, scale: str = "N") -> np.ndarray:
    """The reference (defaults) and the catalogued mistakes of the sign and the scale."""
    n, classes = z.shape
    p = act.softmax(z.astype(np.float64), axis=1)  # (N, C)
    d = {"N": n, "C": classes, "1": 1}[scale]
    return (sign * (p - _onehot(y, classes)) / d).astype(z.dtype)


def _columns_y(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``p[:, y] -= 1``: column y_i of *every* row loses 1 (once per distinct label)."""
    p = act.softmax(z.astype(np.float64), axis=1)
    p[:, y] -= 1
    return p / z.shape[0]


_CE_MISTAKES = [
    Mistake(
        "forgot to divide by N: the loss is the mean over the batch, so dz = (p - onehot) / N",
        impl=lambda z, y: _ce_dz(z, y, scale="1"),
    ),
    Mistake(
        "the sign is flipped: dz = p - onehot (raising the label's logit lowers the loss, so "
        "its gradient entry is negative)",
        impl=lambda z, y: _ce_dz(z, y, sign=-1.0),
    ),
    Mistake(
        "divided by C, the number of classes: the loss averages over the N examples, so "
        "dz = (p - onehot) / N",
        impl=lambda z, y: _ce_dz(z, y, scale="C"),
    ),
    Mistake(
        "p[:, y] -= 1 subtracts 1 in the columns y of every row; subtract it once per row, at "
        "that row's label: p[np.arange(N), y] -= 1",
        impl=_columns_y,
    ),
    Mistake(
        "forgot the one-hot label: dz = (softmax(z) - onehot(y)) / N",
        impl=lambda z, y: act.softmax(z.astype(np.float64), axis=1) / z.shape[0],
    ),
    Mistake(
        "subtracted 1 from every entry (a one-hot of all ones?): only the label's entry of each "
        "row loses 1",
        impl=lambda z, y: (act.softmax(z.astype(np.float64), axis=1) - 1) / z.shape[0],
    ),
    Mistake(
        "took the softmax over axis 0 (the batch): each row's probabilities must sum to 1, "
        "softmax over axis 1",
        impl=lambda z, y: (
            (act.softmax(z.astype(np.float64), axis=0) - _onehot(y, z.shape[1])) / z.shape[0]
        ),
    ),
    Mistake(
        "the softmax overflowed: exp of a large logit is inf (inf / inf = NaN); subtract each "
        "row's maximum before exp, as in exercise 5",
        _same_nans(_naive_softmax),
    ),
    Mistake(
        "subtracted the maximum of the whole array: a row far below it underflows to 0 / 0; "
        "subtract each row's own maximum",
        _same_nans(_global_max_softmax),
    ),
]


def check_softmax_ce_backward(softmax_ce_backward: Any) -> None:
    """``softmax_ce_backward(z, y) = (softmax(z) - onehot(y)) / N`` for logits ``z`` (N, C)."""
    cases = []  # (z, y, note)
    for seed, n, classes, scale, dtype in [  # a square case first: keepdims mistakes run
        (0, 4, 4, 2.0, np.float64),
        (1, 6, 3, 3.0, np.float64),
        (2, 1, 5, 2.0, np.float64),
        (3, 5, 1, 2.0, np.float64),
        (4, 7, 4, 2.0, np.float32),
    ]:
        rng = np.random.default_rng(2600 + seed)
        z = (scale * rng.normal(size=(n, classes))).astype(dtype)
        y = rng.permutation(np.arange(n) % classes)  # every class that fits, in shuffled rows
        if seed == 0:
            y[y == classes - 1] = 0  # a repeated label and an unused class: p[:, y] stands out
        cases.append((z, y, f"N = {n}, C = {classes}, seed {seed}"))
    big = np.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -802.0], [5.0, 3.0, 4.0]])
    cases += [
        (big, np.array([2, 0, 1]), "logits as large as 1000, rows far apart"),
        (big.astype(np.float32), np.array([0, 2, 2], dtype=np.int32), "float32, int32 labels"),
    ]
    with Check(SOFTMAX_CE_BACKWARD, softmax_ce_backward) as c:
        for z, y, note in cases:
            dz = c.call(z, y, note=note)
            c.compare(dz, _ce_dz(z, y), name="dz", mistakes=_CE_MISTAKES)
            _no_overflow(c, "softmax_ce_backward(z, y)", _SOFTMAX_OVERFLOWS)


# ---------------------------------------------------------------- count_dead_units


def _z(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W + b  # (N, H)


_DEAD_MISTAKES = [
    Mistake(
        "returned one flag per unit: count the dead ones, e.g. int(np.sum(mask))",
        lambda got, exp, ctx: np.shape(got) == (ctx["args"][1].shape[1],),
    ),
    Mistake(
        "a unit whose z is exactly 0 for every example is dead too (ReLU'(0) = 0): "
        "test z <= 0, not z < 0",
        impl=lambda X, W, b: int(np.sum(np.all(_z(X, W, b) < 0, axis=0))),
    ),
    Mistake(
        "counted units that are off for some examples: a dead unit is off for every example, "
        "np.all(z <= 0, axis=0)",
        impl=lambda X, W, b: int(np.sum(np.any(_z(X, W, b) <= 0, axis=0))),
    ),
    Mistake(
        "counted examples (rows) instead of units (columns): reduce over axis 0, the batch",
        impl=lambda X, W, b: int(np.sum(np.all(_z(X, W, b) <= 0, axis=1))),
    ),
    Mistake(
        "counted every (example, unit) pair with z <= 0: a unit counts once, when its whole "
        "column is <= 0",
        impl=lambda X, W, b: int(np.sum(_z(X, W, b) <= 0)),
    ),
    Mistake(
        "counted the live units: a dead unit has z <= 0 for every example",
        impl=lambda X, W, b: int(W.shape[1] - np.sum(np.all(_z(X, W, b) <= 0, axis=0))),
    ),
    Mistake(
        "returned a fraction: return the number of dead units",
        impl=lambda X, W, b: float(np.mean(np.all(_z(X, W, b) <= 0, axis=0))),
    ),
    Mistake(
        "forgot the bias: z = X W + b",
        impl=lambda X, W, b: int(np.sum(np.all(X @ W <= 0, axis=0))),
    ),
]


def _dead_case(seed: int, n: int, d: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random X, W, b with some units pushed off (bias -20) and one unit exactly 0."""
    rng = np.random.default_rng(2500 + seed)
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, h)), rng.normal(size=h)
    b[rng.permutation(h)[: h // 3]] = -20.0  # off for every example
    if h > 1:
        W[:, -1], b[-1] = 0.0, 0.0  # z = 0 exactly: dead too
    return X, W, b


def check_count_dead_units(count_dead_units: Any) -> None:
    """``count_dead_units(X, W, b)``: the units whose ``X @ W + b`` is <= 0 for every row."""
    X0 = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [2.0, 1.0]])  # (4, 2)
    W0 = np.array(  # (2, 8)
        [[1.0, -1.0, 0.0, 0.5, -2.0, 1.0, 0.0, 0.0], [1.0, -1.0, 0.0, -3.0, -2.0, 1.0, 0.0, 0.0]]
    )
    b0 = np.array([0.5, -0.5, 0.0, -0.2, -1.0, -5.0, -1.0, 1.0])  # unit 2: z = 0 exactly
    cases = [
        (X0, W0, b0, "hand-made: dead, exactly 0, partly off and live units"),
        *((*_dead_case(s, n, d, h), f"seed {s}") for s, n, d, h in [(1, 20, 3, 9), (2, 50, 5, 16)]),
        (*_dead_case(3, 1, 4, 6), "a single example"),
        (*_dead_case(4, 10, 2, 1), "a single unit"),
    ]
    with Check(COUNT_DEAD_UNITS, count_dead_units) as c:
        for X, W, b, note in cases:
            got = c.call(X, W, b, note=note)
            expected = int(np.sum(np.all(_z(X, W, b) <= 0, axis=0)))
            c.compare(got, expected, name="count", mistakes=_DEAD_MISTAKES)
