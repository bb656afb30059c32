"""Checks of chapter 4's exercises: activation functions and their derivatives.

====================  ==========================================================  ======
exercise id           the learner writes                                          points
====================  ==========================================================  ======
``relu``              ``relu(z)`` and ``relu_grad(z)``                                1
``leaky_relu``        ``leaky_relu(z, negative_slope=0.01)`` and its ``_grad``        1
``tanh``              ``tanh(z)`` and ``tanh_grad(z)``                                1
``stable_sigmoid``    ``sigmoid(z)`` and ``sigmoid_grad(z)``, no overflow             2
``stable_softmax``    ``softmax(z)`` over the rows of (N, C), no overflow             2
``count_dead_units``  ``count_dead_units(X, W, b) -> int``                            1
====================  ==========================================================  ======

The elementwise functions are compared with :mod:`nnlib.activations` on
several shapes (1-D to 3-D), float64 and float32 (which must stay float32),
inputs with exact zeros (the kink: derivatives take the left-hand value there,
as in nnlib and PyTorch) and, for the functions built on ``exp``, inputs as
large as ``|z| = 1000``. The stable sigmoid and softmax must also run without
an overflow warning from NumPy. A check of two functions (``relu`` and
``relu_grad``) takes both: ``check_relu(relu, relu_grad)``.
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
    "check_relu",
    "check_leaky_relu",
    "check_tanh",
    "check_stable_sigmoid",
    "check_stable_softmax",
    "check_count_dead_units",
]

RELU = Exercise("ch04", "relu", "ReLU and its derivative", points=1)
LEAKY_RELU = Exercise("ch04", "leaky_relu", "Leaky ReLU and its derivative", points=1)
TANH = Exercise("ch04", "tanh", "tanh and its derivative", points=1)
STABLE_SIGMOID = Exercise("ch04", "stable_sigmoid", "A numerically stable sigmoid", points=2)
STABLE_SOFTMAX = Exercise("ch04", "stable_softmax", "A numerically stable softmax", points=2)
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


def _boolean(got: Any, exp: Any, ctx: dict) -> bool:
    return np.asarray(got).dtype == np.bool_


def _pair(
    c: Check,
    fn: Any,
    grad_fn: Any,
    args: tuple,
    note: str,
    ref: Callable,
    dref: Callable,
    names: tuple[str, str],
    mistakes: list[Mistake],
    grad_mistakes: list[Mistake],
) -> None:
    """Call ``fn`` and ``grad_fn`` on ``args`` and compare both with the references."""
    out = c.call(*args, note=note)
    c.compare(out, ref(*args), name=names[0], mistakes=mistakes)
    d = c.call(*args, fn=grad_fn, note=note)
    c.compare(d, dref(*args), name=names[1], mistakes=grad_mistakes)


# ---------------------------------------------------------------- relu

_BOOL_GRAD = Mistake(
    "returned booleans (True/False): convert the mask to numbers, e.g. (z > 0).astype(z.dtype)",
    _boolean,
)

_RELU_MISTAKES = [
    Mistake(
        "np.max(z, 0) is the largest entry along axis 0; the elementwise maximum with 0 is "
        "np.maximum(z, 0)",
        impl=lambda z: np.max(z, 0),
    ),
    Mistake("kept the negative part: relu(z) = max(z, 0)", impl=lambda z: np.minimum(z, 0)),
    Mistake("took the absolute value: negative inputs give 0", impl=lambda z: np.abs(z)),
    Mistake("returned z unchanged: negative inputs must become 0", impl=lambda z: z),
]
_RELU_GRAD_MISTAKES = [
    _BOOL_GRAD,
    Mistake("returned relu(z): the slope for z > 0 is 1, not z", impl=lambda z: np.maximum(z, 0)),
    Mistake(
        "at z = 0 the derivative is taken as 0 (the left-hand slope, as in nnlib and PyTorch): "
        "test z > 0, not z >= 0",
        impl=lambda z: (z >= 0).astype(z.dtype),
    ),
    Mistake(
        "np.sign gives -1 for negative z; the slope of ReLU there is 0",
        impl=lambda z: np.sign(z),
    ),
    Mistake("the slope is 0 for z <= 0, not 1 everywhere", impl=lambda z: np.ones_like(z)),
]


def check_relu(relu: Any, relu_grad: Any) -> None:
    """``relu(z) = max(z, 0)`` and ``relu_grad(z) = 1 where z > 0, else 0``."""
    with Check(RELU, relu) as c:
        for z, note in _inputs(2000):
            _pair(
                c,
                relu,
                relu_grad,
                (z,),
                note,
                act.relu,
                act.relu_grad,
                ("relu(z)", "relu_grad(z)"),
                _RELU_MISTAKES,
                _RELU_GRAD_MISTAKES,
            )


# ---------------------------------------------------------------- leaky_relu


def _slope(args: tuple) -> float:
    return args[1] if len(args) > 1 else 0.01


_LEAKY_MISTAKES = [
    Mistake(
        "applied the slope to the positive side: z > 0 passes unchanged, negative_slope "
        "multiplies z <= 0",
        impl=lambda z, *a: np.where(z > 0, _slope((z, *a)) * z, z),
    ),
    Mistake(
        "leaky_relu ignored the negative_slope argument (used 0.01 whatever was passed)",
        impl=lambda z, *a: act.leaky_relu(z, 0.01),
    ),
    Mistake(
        "negative inputs became 0 (that is ReLU): multiply them by negative_slope instead",
        impl=lambda z, *a: act.relu(z),
    ),
    Mistake(
        "multiplied every entry by negative_slope: only z <= 0 is scaled",
        impl=lambda z, *a: _slope((z, *a)) * z,
    ),
]
_LEAKY_GRAD_MISTAKES = [
    _BOOL_GRAD,
    Mistake(
        "swapped the slopes: 1 for z > 0, negative_slope for z <= 0",
        impl=lambda z, *a: np.where(z > 0, _slope((z, *a)), 1.0),
    ),
    Mistake(
        "leaky_relu_grad ignored the negative_slope argument (used 0.01 whatever was passed)",
        impl=lambda z, *a: act.leaky_relu_grad(z, 0.01),
    ),
    Mistake(
        "the slope for z <= 0 is negative_slope, not 0 (that is ReLU's derivative)",
        impl=lambda z, *a: act.relu_grad(z),
    ),
    Mistake(
        "returned leaky_relu(z): the derivative is 1 or negative_slope",
        impl=lambda z, *a: act.leaky_relu(z, _slope((z, *a))),
    ),
    Mistake(
        "at z = 0 the derivative takes the left-hand slope, negative_slope (as in nnlib and "
        "PyTorch): test z > 0, not z >= 0",
        impl=lambda z, *a: np.where(z >= 0, 1.0, _slope((z, *a))),
    ),
]


def check_leaky_relu(leaky_relu: Any, leaky_relu_grad: Any) -> None:
    """``leaky_relu(z, a) = z if z > 0 else a z``; derivative 1 or ``a`` (``a`` at 0)."""
    slopes = [None, 0.2, 0.1, 0.3, 0.05]  # None: the default, 0.01
    with Check(LEAKY_RELU, leaky_relu) as c:
        for (z, note), a in zip(_inputs(2100), slopes, strict=True):
            args = (z,) if a is None else (z, a)
            _pair(
                c,
                leaky_relu,
                leaky_relu_grad,
                args,
                note,
                act.leaky_relu,
                act.leaky_relu_grad,
                ("leaky_relu(z)", "leaky_relu_grad(z)"),
                _LEAKY_MISTAKES,
                _LEAKY_GRAD_MISTAKES,
            )


# ---------------------------------------------------------------- tanh

_TANH_MISTAKES = [
    Mistake(
        "(exp(z) - exp(-z)) / (exp(z) + exp(-z)) is inf / inf = NaN once exp overflows "
        "(|z| > 710): use np.tanh, or the form (1 - exp(-2|z|)) / (1 + exp(-2|z|)) with z's sign",
        lambda got, exp, ctx: _nan(got),
    ),
    Mistake(
        "tanh(z) = 2 sigmoid(2z) - 1: the factor 2 inside the sigmoid is missing",
        impl=lambda z: 2 * act.sigmoid(z) - 1,
    ),
    Mistake("that is the sigmoid; tanh has values in (-1, 1)", impl=lambda z: act.sigmoid(z)),
]
_TANH_GRAD_MISTAKES = [
    Mistake(
        "the square is missing: tanh'(z) = 1 - tanh(z)², not 1 - tanh(z)",
        impl=lambda z: 1 - np.tanh(z),
    ),
    Mistake(
        "squared z instead of tanh(z): tanh'(z) = 1 - tanh(z)²",
        impl=lambda z: 1 - z**2,
    ),
    Mistake("returned tanh(z)²: the derivative is 1 - tanh(z)²", impl=lambda z: np.tanh(z) ** 2),
    Mistake("a sign is flipped: tanh'(z) = 1 - tanh(z)²", impl=lambda z: 1 + np.tanh(z) ** 2),
    Mistake(
        "squared the wrong thing: (1 - tanh(z))² is not 1 - tanh(z)²",
        impl=lambda z: (1 - np.tanh(z)) ** 2,
    ),
    Mistake("returned tanh(z) itself, not its derivative", impl=lambda z: np.tanh(z)),
]


def check_tanh(tanh: Any, tanh_grad: Any) -> None:
    """``tanh(z)`` (finite for |z| up to 1000) and ``tanh_grad(z) = 1 - tanh(z)**2``."""
    cases = [*_inputs(2200), (_HUGE, "|z| as large as 1000")]
    with Check(TANH, tanh) as c:
        for z, note in cases:
            _pair(
                c,
                tanh,
                tanh_grad,
                (z,),
                note,
                act.tanh,
                act.tanh_grad,
                ("tanh(z)", "tanh_grad(z)"),
                _TANH_MISTAKES,
                _TANH_GRAD_MISTAKES,
            )


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
