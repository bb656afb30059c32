"""Checks of chapter 2's exercises: backpropagation and gradient checking.

==========================  =====================================================  ======
exercise id                 the learner writes                                     points
==========================  =====================================================  ======
``sigmoid_backward``        ``sigmoid_backward(dout, s) -> dz``                        1
``linear_backward``         ``linear_backward(dout, x, W) -> (dx, dW, db)``            3
``two_layer_backward``      ``two_layer_backward(x, y, W1, b1, W2, b2)``               3
                            ``-> (loss, grads)``
``numerical_gradient``      ``numerical_gradient(f, x, h=1e-5) -> grad``               2
``rel_error``               ``rel_error(a, b) -> float``                               1
==========================  =====================================================  ======

Layout as in :mod:`nnlib.layers`: ``x`` (N, D), ``W`` (D, H), ``b`` (H,),
``dout`` (N, H). The references are written inline (the backward formulas)
or taken from :mod:`nnlib.gradcheck`; gradients of the test functions of the
gradient checker are known in closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...activations import sigmoid
from ...gradcheck import rel_error as ref_rel_error
from ..checks import Check
from ..diagnose import Mistake
from ..feedback import _arg_names
from ..registry import Exercise
from ..sandbox.helpers import CubeSum, LogSumExp, Quadratic, ShapeChecked, SinTimesX

__all__ = [
    "check_sigmoid_backward",
    "check_linear_backward",
    "check_two_layer_backward",
    "check_numerical_gradient",
    "check_rel_error",
]

SIGMOID_BACKWARD = Exercise("ch02", "sigmoid_backward", "Sigmoid backward pass", points=1)
LINEAR_BACKWARD = Exercise("ch02", "linear_backward", "Linear layer backward pass", points=3)
TWO_LAYER_BACKWARD = Exercise(
    "ch02", "two_layer_backward", "Two-layer network: forward and backward", points=3
)
NUMERICAL_GRADIENT = Exercise(
    "ch02", "numerical_gradient", "Numerical gradient (centered differences)", points=2
)
REL_ERROR = Exercise("ch02", "rel_error", "Relative error", points=1)

# ---------------------------------------------------------------- sigmoid_backward

_SIGMOID_MISTAKES = [
    Mistake(
        "returned only the local derivative s (1 - s): the chain rule multiplies it by dout",
        impl=lambda dout, s: s * (1 - s),
    ),
    Mistake("a factor s is missing: sigmoid'(z) = s (1 - s)", impl=lambda dout, s: dout * (1 - s)),
    Mistake("a factor (1 - s) is missing: sigmoid'(z) = s (1 - s)", impl=lambda dout, s: dout * s),
    Mistake(
        "applied the sigmoid to s again: s is already sigmoid(z), so use s (1 - s) as it is",
        impl=lambda dout, s: dout * sigmoid(s) * (1 - sigmoid(s)),
    ),
    Mistake(
        "the sign is flipped: s (1 - s) is never negative, so dz has the sign of dout",
        impl=lambda dout, s: dout * s * (s - 1),
    ),
    Mistake(
        "divided by N: the sigmoid works entry by entry, and the loss already averaged",
        impl=lambda dout, s: dout * s * (1 - s) / len(dout),
    ),
]


def check_sigmoid_backward(sigmoid_backward: Any) -> None:
    """``sigmoid_backward(dout, s)`` returns ``dout * s * (1 - s)``, same shape and dtype."""
    cases = [  # (seed, shape, dtype)
        (0, (4, 3), np.float64),
        (1, (1, 5), np.float64),
        (2, (6, 1), np.float64),
        (3, (7,), np.float64),
        (4, (3, 4), np.float32),
    ]
    with Check(SIGMOID_BACKWARD, sigmoid_backward) as c:
        for seed, shape, dtype in cases:
            rng = np.random.default_rng(600 + seed)
            s = sigmoid(3.0 * rng.normal(size=shape)).astype(dtype)  # some near 0 and 1
            dout = rng.normal(size=shape).astype(dtype)
            dz = c.call(dout, s, note=f"seed {seed}")
            c.compare(dz, dout * s * (1 - s), name="dz", mistakes=_SIGMOID_MISTAKES)


# ---------------------------------------------------------------- linear_backward

_DX_MISTAKES = [
    Mistake(
        "dx used W without a transpose: dx (N, D) = dout (N, H) times W.T (H, D)",
        impl=lambda dout, x, W: dout @ W,
    ),
    Mistake(
        "dx is transposed: it has the shape of x, (N, D)",
        impl=lambda dout, x, W: (dout @ W.T).T,
    ),
    Mistake("dx has the wrong sign", impl=lambda dout, x, W: -(dout @ W.T)),
]
_DW_MISTAKES = [
    Mistake(
        "dW is transposed: dout.T @ x has shape (H, D), but dW must have W's shape (D, H): "
        "use x.T @ dout",
        impl=lambda dout, x, W: dout.T @ x,
    ),
    Mistake(
        "divided dW by N: the loss's backward already divided by N; here just add up the "
        "examples' contributions",
        impl=lambda dout, x, W: x.T @ dout / len(x),
    ),
    Mistake("dW has the wrong sign", impl=lambda dout, x, W: -(x.T @ dout)),
]
_DB_MISTAKES = [
    Mistake(
        "summed db over the wrong axis: sum over the batch (axis 0), giving shape (H,)",
        impl=lambda dout, x, W: dout.sum(axis=1),
    ),
    Mistake(
        "averaged db over the batch: the loss already divided by N, so sum over axis 0",
        impl=lambda dout, x, W: dout.mean(axis=0),
    ),
    Mistake(
        "db has shape (1, H): it must have b's shape (H,); drop keepdims=True",
        impl=lambda dout, x, W: dout.sum(axis=0, keepdims=True),
    ),
    Mistake(
        "db is not summed: b was added to all N rows, so add up dout over the batch axis",
        impl=lambda dout, x, W: dout.copy(),
    ),
    Mistake("db has the wrong sign", impl=lambda dout, x, W: -dout.sum(axis=0)),
]


def check_linear_backward(linear_backward: Any) -> None:
    """``linear_backward(dout, x, W)`` returns ``dx (N, D), dW (D, H), db (H,)``."""
    cases = [  # (seed, N, D, H, dtype): a square W first, so a missing `.T` still runs
        (0, 5, 3, 3, np.float64),
        (1, 4, 2, 6, np.float64),
        (2, 1, 3, 2, np.float64),
        (3, 6, 4, 1, np.float64),
        (4, 3, 5, 4, np.float32),
    ]
    with Check(LINEAR_BACKWARD, linear_backward) as c:
        for seed, n, d, h, dtype in cases:
            rng = np.random.default_rng(700 + seed)
            x = rng.normal(size=(n, d)).astype(dtype)
            W = rng.normal(size=(d, h)).astype(dtype)
            dout = rng.normal(size=(n, h)).astype(dtype)
            got = c.call(dout, x, W, note=f"seed {seed}")
            dx, dW, db = c.unpack(got, ("dx", "dW", "db"))
            c.compare(dx, dout @ W.T, name="dx", mistakes=_DX_MISTAKES)
            c.compare(dW, x.T @ dout, name="dW", mistakes=_DW_MISTAKES)
            c.compare(db, dout.sum(axis=0), name="db", mistakes=_DB_MISTAKES)


# ---------------------------------------------------------------- two_layer_backward

GRAD_KEYS = ("W1", "b1", "W2", "b2")


def two_layer_reference(
    x: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    *,
    divide_by: str = "all",
    factor: float = 2.0,
    use_z1: bool = False,
    sigmoid_grad: bool = True,
    db_axis: int = 0,
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the exercise's network; keyword arguments give wrong variants.

    ``z1 = x @ W1 + b1``, ``h = sigmoid(z1)``, ``y_hat = h @ W2 + b2``,
    ``loss = mean((y_hat - y) ** 2)`` over all N*K entries. ``factor=-2``
    flips the sign, ``divide_by`` is ``"all"`` (N*K), ``"batch"`` (N) or
    ``"none"``.
    """
    z1 = x @ W1 + b1  # (N, H)
    h = sigmoid(z1)  # (N, H)
    y_hat = h @ W2 + b2  # (N, K)
    diff = y_hat - y  # (N, K)
    loss = float(np.mean(diff**2))
    n = {"all": diff.size, "batch": len(diff), "none": 1}[divide_by]
    dy_hat = factor * diff / n  # (N, K)
    dW2 = (z1 if use_z1 else h).T @ dy_hat  # (H, K)
    db2 = dy_hat.sum(axis=db_axis)  # (K,)
    dh = dy_hat @ W2.T  # (N, H)
    dz1 = dh * (h * (1 - h)) if sigmoid_grad else dh  # (N, H)
    dW1 = x.T @ dz1  # (D, H)
    db1 = dz1.sum(axis=db_axis)  # (H,)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


_TWO_LAYER_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "divided by N only: the loss is a mean over all N*K entries of y_hat, so its "
        "gradient is 2 (y_hat - y) / (N*K)",
        {"divide_by": "batch"},
    ),
    (
        "did not average: the loss is a mean over the N*K entries of y_hat, so its "
        "gradient is 2 (y_hat - y) / (N*K)",
        {"divide_by": "none"},
    ),
    ("forgot the factor 2: the derivative of (y_hat - y)² is 2 (y_hat - y)", {"factor": 1.0}),
    (
        "the sign is flipped: the loss's gradient points along y_hat - y, not y - y_hat",
        {"factor": -2.0},
    ),
    (
        "used z1 for dW2: the second layer's input is the activation h = sigmoid(z1)",
        {"use_z1": True},
    ),
    (
        "forgot the sigmoid's derivative: multiply dh by h (1 - h) before the first layer",
        {"sigmoid_grad": False},
    ),
    ("summed a bias gradient over the wrong axis: sum over the batch (axis 0)", {"db_axis": 1}),
]


def _two_layer_mistakes(key: str) -> list[Mistake]:
    """The catalogue for the gradient ``grads[key]``."""

    def variant(kw: dict[str, Any]) -> Callable[..., np.ndarray]:
        return lambda *args: two_layer_reference(*args, **kw)[1][key]

    mistakes = [Mistake(msg, impl=variant(kw)) for msg, kw in _TWO_LAYER_VARIANTS]
    if key.startswith("W"):
        mistakes.insert(
            0,
            Mistake(
                f"{key}'s gradient is transposed: it must have {key}'s shape; the weight "
                "gradient is (layer input).T @ (gradient at the layer output)",
                impl=lambda *args: two_layer_reference(*args)[1][key].T,
            ),
        )
    return mistakes


_MISTAKES = {key: _two_layer_mistakes(key) for key in GRAD_KEYS}
_LOSS_MISTAKES = [
    Mistake(
        "your loss is a sum: average the squared errors over all N*K entries",
        impl=lambda x, y, *p: two_layer_reference(x, y, *p)[0] * y.size,
    ),
    Mistake(
        "your loss divides by N only: average over all N*K entries",
        impl=lambda x, y, *p: two_layer_reference(x, y, *p)[0] * y.shape[1],
    ),
    Mistake(
        "forgot the sigmoid in the forward pass: h = sigmoid(x W1 + b1)",
        impl=lambda x, y, W1, b1, W2, b2: float(np.mean(((x @ W1 + b1) @ W2 + b2 - y) ** 2)),
    ),
]


def check_two_layer_backward(two_layer_backward: Any) -> None:
    """``two_layer_backward(x, y, W1, b1, W2, b2)`` returns ``(loss, grads)``."""
    cases = [  # (seed, N, D, H, K, dtype)
        (0, 5, 3, 4, 2, np.float64),
        (1, 6, 4, 5, 3, np.float64),
        (2, 1, 2, 3, 1, np.float64),
        (3, 8, 2, 2, 1, np.float64),
        (4, 4, 3, 3, 3, np.float32),
    ]
    with Check(TWO_LAYER_BACKWARD, two_layer_backward) as c:
        for seed, n, d, h, k, dtype in cases:
            rng = np.random.default_rng(800 + seed)
            x = rng.normal(size=(n, d)).astype(dtype)
            y = rng.normal(size=(n, k)).astype(dtype)
            W1 = rng.normal(size=(d, h)).astype(dtype)
            b1 = (0.5 * rng.normal(size=h)).astype(dtype)
            W2 = rng.normal(size=(h, k)).astype(dtype)
            b2 = (0.5 * rng.normal(size=k)).astype(dtype)
            args = (x, y, W1, b1, W2, b2)
            got = c.call(*args, note=f"seed {seed}")
            loss, grads = c.unpack(got, ("loss", "grads"))
            c.require(
                isinstance(grads, dict) and all(key in grads for key in GRAD_KEYS),
                "grads must be a dict with the keys 'W1', 'b1', 'W2', 'b2'",
                got=f"keys {sorted(grads)}" if isinstance(grads, dict) else type(grads).__name__,
                likely="return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}",
                kind="type",
            )
            ref_loss, ref = two_layer_reference(*args)
            rtol = 1e-4 if dtype == np.float32 else None
            c.compare(loss, ref_loss, name="loss", mistakes=_LOSS_MISTAKES, rtol=rtol)
            for key in ("W2", "b2", "W1", "b1"):
                c.compare(grads[key], ref[key], name=f"grads['{key}']", mistakes=_MISTAKES[key])


# ---------------------------------------------------------------- numerical_gradient

H_STEP = 1e-5


def _gradcheck_cases() -> list[tuple[Callable, np.ndarray, float, np.ndarray, str]]:
    """(f, x, h, exact centered difference, description) for the checker's test functions."""
    rng = np.random.default_rng(900)
    M = rng.normal(size=(4, 4))
    A = M @ M.T + np.eye(4)  # symmetric, diagonal >= 1: f'' is never small
    c = rng.normal(size=4)
    B = rng.normal(size=(4, 2))
    x1 = rng.normal(size=4)
    x2 = rng.normal(size=(3, 4))
    x3 = rng.normal(size=(4, 1))
    x4 = np.array([1, -2, 3, 0])  # integers
    x5 = rng.uniform(-1.5, 1.5, size=(2, 2, 3))
    x6 = rng.uniform(-2.0, 2.0, size=5)

    quadratic = Quadratic(A, c)  # 0.5 v.A v + c.v, gradient A v + c
    trig = SinTimesX(B)  # sum(sin(v) v) + sum(v @ B)
    lse = LogSumExp()  # log-sum-exp, gradient softmax
    cubic = CubeSum()

    e3 = np.exp(x3)
    return [
        (quadratic, x1, H_STEP, A @ x1 + c, "quadratic, x (4,)"),
        (
            trig,
            x2,
            H_STEP,
            np.cos(x2) * x2 + np.sin(x2) + B.sum(axis=1),
            "sin(x) x + x @ B, x (3, 4)",
        ),
        (lse, x3, H_STEP, e3 / e3.sum(), "log-sum-exp, x (4, 1)"),
        (quadratic, x4, H_STEP, A @ x4 + c, "quadratic, x of integers"),
        (cubic, x5, H_STEP, x5**2, "sum(x³)/3, x (2, 2, 3)"),
        # with a large h the centered difference of x³/3 is x² + h²/3: a function that
        # ignores h (and uses 1e-5) is off by 3e-5
        (cubic, x6, 1e-2, x6**2 + 1e-4 / 3, "sum(x³)/3 with h = 0.01, x (5,)"),
    ]


def _differences(f: Callable, x: np.ndarray, h: float, kind: str) -> np.ndarray:
    """Wrong finite differences, for the catalogue."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    if kind == "all_at_once":
        return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        if kind == "forward":
            grad[i] = (f(plus) - f(x)) / h
        elif kind == "backward":
            grad[i] = (f(x) - f(minus)) / h
        elif kind == "over_h":
            grad[i] = (f(plus) - f(minus)) / h
        else:  # "centered": right, for a given h
            grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def _integer_x(got: Any, exp: Any, ctx: dict) -> bool:
    """This case's x holds integers (the float cases before it passed)."""
    return np.asarray(ctx["args"][1]).dtype.kind in "iu"


_NUMGRAD_MISTAKES = [
    Mistake(
        "your gradient is an integer array (np.zeros_like(x) copies x's integer dtype): "
        "create it as floats, np.zeros(x.shape)",
        lambda got, exp, ctx: np.asarray(got).dtype.kind in "iub",
    ),
    Mistake(
        "x holds integers, so writing x[i] + h (or x[i] - h) into it is cut back to an "
        "integer: nudge a float copy, np.array(x, dtype=float)",
        _integer_x,
    ),
    Mistake(
        "used a one-sided difference (f(x + h) - f(x)) / h, whose error grows like h: use the "
        "centered difference (f(x + h) - f(x - h)) / (2h)",
        impl=lambda f, x, h=H_STEP: _differences(f, x, h, "forward"),
    ),
    Mistake(
        "used a one-sided difference (f(x) - f(x - h)) / h, whose error grows like h: use the "
        "centered difference (f(x + h) - f(x - h)) / (2h)",
        impl=lambda f, x, h=H_STEP: _differences(f, x, h, "backward"),
    ),
    Mistake(
        "divided by h: x + h and x - h are 2h apart, so divide by 2h",
        impl=lambda f, x, h=H_STEP: _differences(f, x, h, "over_h"),
    ),
    Mistake(
        "ignored the argument h: take the step size you are given, x[i] + h and x[i] - h",
        impl=lambda f, x, h=H_STEP: _differences(f, x, H_STEP, "centered"),
    ),
    Mistake(
        "moved every entry of x at once: perturb one entry at a time, leaving the others fixed",
        impl=lambda f, x, h=H_STEP: _differences(f, x, h, "all_at_once"),
    ),
    Mistake(
        "returned a flat array: give the gradient x's shape (loop with np.ndindex(x.shape), or "
        "reshape at the end)",
        lambda got, exp, ctx: np.shape(got) == (np.size(exp),) and np.ndim(exp) > 1,
    ),
]


def check_numerical_gradient(numerical_gradient: Any) -> None:
    """``numerical_gradient(f, x, h)``: centered differences, x's shape, x left unchanged."""
    names = _arg_names(numerical_gradient, 3)  # x may be perturbed in place, if restored
    with Check(NUMERICAL_GRADIENT, numerical_gradient) as c:
        for f, x, h, exact, note in _gradcheck_cases():
            before = x.copy()
            grad = c.call(ShapeChecked(f, x.shape), x, h, note=note, mutates=tuple(names))
            _require_restored(c, before, x)
            # centered differences with h = 1e-5 are within ~1e-9 here; one-sided ones are
            # off by about h/2 * f'' >= 5e-6
            c.compare(grad, exact, name="grad", mistakes=_NUMGRAD_MISTAKES, rtol=1e-6, atol=1e-7)


def _require_restored(c: Check, before: np.ndarray, after: np.ndarray) -> None:
    change = float(np.max(np.abs(after.astype(float) - before.astype(float))))
    if change == 0.0:
        return
    if change < 1e-8 * (1.0 + float(np.max(np.abs(before)))):
        likely = (
            "adding and then subtracting h does not always round back to the same number: "
            "save the entry first (old = x[i]) and put it back (x[i] = old)"
        )
    else:
        likely = (
            "you perturbed x in place and did not put the entry back: restore x[i] after its "
            "two evaluations, or perturb a copy of x"
        )
    raise c.failure(
        "your numerical_gradient changed x",
        got=f"x changed by up to {change:.3g}",
        expected="x exactly as it was passed in",
        likely=likely,
        kind="mutated",
    )


# ---------------------------------------------------------------- rel_error


def _denominator(a: np.ndarray, b: np.ndarray) -> float:
    return max(1e-8, float(np.max(np.abs(a) + np.abs(b))))


_REL_MISTAKES = [
    Mistake(
        "0 / 0 = NaN when both arrays are all zeros: floor the denominator, max(1e-8, ...)",
        lambda got, exp, ctx: bool(np.any(np.isnan(np.asarray(got, dtype=float)))),
    ),
    Mistake(
        "the denominator has no floor: when every |a| + |b| is below 1e-8, divide by 1e-8, "
        "max(1e-8, largest |a| + |b|)",
        impl=lambda a, b: np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b)),
    ),
    Mistake(
        "added 1e-8 to the denominator: the floor is max(1e-8, ...), which leaves a "
        "denominator above 1e-8 as it is",
        impl=lambda a, b: np.max(np.abs(a - b)) / (np.max(np.abs(a) + np.abs(b)) + 1e-8),
    ),
    Mistake(
        "returned one ratio per entry: return a single number, the largest |a - b| over the "
        "largest |a| + |b|",
        impl=lambda a, b: np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)),
    ),
    Mistake(
        "took the largest ratio entry by entry: divide the largest |a - b| by the largest "
        "|a| + |b| instead",
        impl=lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
    ),
    Mistake(
        "forgot the absolute value of a - b: a large negative difference counts as much",
        impl=lambda a, b: np.max(a - b) / _denominator(a, b),
    ),
    Mistake(
        "divided by |a| only: the denominator is the largest |a| + |b|, symmetric in a and b",
        impl=lambda a, b: np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a)))),
    ),
    Mistake(
        "averaged the differences: the numerator is the largest |a - b| (np.max)",
        impl=lambda a, b: np.mean(np.abs(a - b)) / _denominator(a, b),
    ),
    Mistake(
        "this is the absolute error: divide it by max(1e-8, largest |a| + |b|)",
        impl=lambda a, b: np.max(np.abs(a - b)),
    ),
]


def check_rel_error(rel_error: Any) -> None:
    """``rel_error(a, b)`` returns ``max|a - b| / max(1e-8, max(|a| + |b|))``."""
    rng = np.random.default_rng(1000)
    a1 = rng.normal(size=5)
    a2 = rng.normal(size=(3, 4))
    a3 = rng.normal(size=(4, 2)) * 1e6
    a4 = rng.normal(size=(2, 3))
    cases = [
        (a1, a1 + 1e-7 * rng.normal(size=5), "nearly equal"),
        (a2, rng.normal(size=(3, 4)), "unrelated"),
        (a3, a3 * (1 + 1e-3 * rng.normal(size=(4, 2))), "entries near 1e6"),
        (np.array([0.0, 2.0, -1.0]), np.array([0.5, 2.0, -3.5]), "a > b and a < b"),
        (a4, a4.copy(), "equal"),
        (np.zeros(4), np.zeros(4), "both all zeros"),
        (np.zeros((2, 2)), np.array([[0.0, 1.0], [-2.0, 0.5]]), "a all zeros"),
        (np.array([3e-9, 0.0]), np.array([0.0, 1e-9]), "every value below the 1e-8 floor"),
    ]
    with Check(REL_ERROR, rel_error) as c:
        for a, b, note in cases:
            err = c.call(a, b, note=note)
            c.compare(err, ref_rel_error(a, b), name="relative error", mistakes=_REL_MISTAKES)
