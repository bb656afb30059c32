"""Chapter 4's exercise checks: other correct answers pass, typical mistakes are named.

Most exercises check a function and its derivative together:
``check_relu(relu, relu_grad)``.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib import activations as act
from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch04

CHAPTER = chapter("ch04")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- stubs


def test_a_finished_function_with_an_unfinished_derivative_is_not_implemented_yet():
    def stub(z):
        raise NotImplementedError("Exercise relu: not implemented yet")

    with pytest.raises(ExerciseFailed, match="not implemented yet"):
        ch04.check_relu(act.relu, stub)


# ---------------------------------------------------------------- other correct answers pass


def sigmoid_masked(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def softmax_logsumexp(z):
    return np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True))


@pytest.mark.parametrize(
    "exercise_id, fns",
    [
        ("relu", (lambda z: z * (z > 0), lambda z: np.heaviside(z, 0).astype(z.dtype))),
        ("relu", (lambda z: (z + np.abs(z)) / 2, lambda z: np.where(z > 0, 1, 0).astype(z.dtype))),
        ("relu", (lambda z: np.clip(z, 0, None), act.relu_grad)),
        (
            "leaky_relu",
            (
                lambda z, a=0.01: np.maximum(z, a * z),
                lambda z, a=0.01: np.where(z > 0, np.ones_like(z), np.full_like(z, a)),
            ),
        ),
        ("tanh", (np.tanh, lambda z: 1 / np.cosh(z) ** 2)),  # cosh overflows to inf: 1/inf = 0
        ("tanh", (lambda z: 2 * act.sigmoid(2 * z) - 1, lambda z: 1 - np.tanh(z) ** 2)),
        ("stable_sigmoid", (sigmoid_masked, lambda z: sigmoid_masked(z) * sigmoid_masked(-z))),
        ("stable_sigmoid", (lambda z: 0.5 * (1 + np.tanh(z / 2)), act.sigmoid_grad)),
        ("stable_softmax", (softmax_logsumexp,)),
        ("stable_softmax", (lambda z: act.softmax(z, axis=-1),)),
        ("count_dead_units", (lambda X, W, b: (np.maximum(X @ W + b, 0) == 0).all(0).sum(),)),
        (
            "count_dead_units",
            (lambda X, W, b: np.count_nonzero(~np.any(X @ W + b > 0, axis=0)),),
        ),
    ],
)
def test_other_correct_implementations_pass(exercise_id, fns):
    check(exercise_id)(*fns)


# ---------------------------------------------------------------- catalogued mistakes


def relu_in_place(z):
    z[z < 0] = 0
    return z


def naive_tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def where_sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def exp_ratio_sigmoid(z):
    return np.exp(z) / (1 + np.exp(z))


def naive_sigmoid_grad(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


def naive_softmax(z):
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def global_max_softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=1, keepdims=True)


def softmax_in_place(z):
    z -= z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1)


def dead(z_test, reduce):
    return lambda X, W, b: reduce(z_test(X @ W + b))


GOOD = {
    "relu": act.relu_grad,
    "leaky": act.leaky_relu_grad,
    "tanh": act.tanh_grad,
    "sigmoid": act.sigmoid_grad,
}

WRONG = [
    # relu
    ("relu", (lambda z: np.max(z, 0), act.relu_grad), "np.max(z, 0) is the largest entry"),
    ("relu", (lambda z: np.minimum(z, 0), act.relu_grad), "kept the negative part"),
    ("relu", (np.abs, act.relu_grad), "took the absolute value"),
    ("relu", (relu_in_place, act.relu_grad), "changed its input `z` in place"),
    ("relu", (act.relu, lambda z: z > 0), "returned booleans"),
    ("relu", (act.relu, lambda z: np.where(z > 0, z, 0)), "returned relu(z): the slope for z > 0"),
    ("relu", (act.relu, lambda z: (z >= 0).astype(z.dtype)), "at z = 0 the derivative is taken"),
    ("relu", (act.relu, np.sign), "np.sign gives -1 for negative z"),
    ("relu", (act.relu, lambda z: (z > 0).astype(float)), "float32 inputs came back as float64"),
    # leaky_relu
    (
        "leaky_relu",
        (lambda z, a=0.01: np.where(z > 0, a * z, z), act.leaky_relu_grad),
        "applied the slope to the positive side",
    ),
    (
        "leaky_relu",
        (lambda z, a=0.01: np.where(z > 0, z, 0.01 * z), act.leaky_relu_grad),
        "leaky_relu ignored the negative_slope argument",
    ),
    (
        "leaky_relu",
        (lambda z, a=0.01: np.maximum(z, 0), act.leaky_relu_grad),
        "negative inputs became 0 (that is ReLU)",
    ),
    (
        "leaky_relu",
        (lambda z, a=0.01: a * z, act.leaky_relu_grad),
        "multiplied every entry by negative_slope",
    ),
    (
        "leaky_relu",
        (act.leaky_relu, lambda z, a=0.01: np.where(z > 0, a, 1.0).astype(z.dtype)),
        "swapped the slopes",
    ),
    (
        "leaky_relu",
        (act.leaky_relu, lambda z, a=0.01: np.where(z > 0, 1.0, 0.01).astype(z.dtype)),
        "leaky_relu_grad ignored the negative_slope argument",
    ),
    (
        "leaky_relu",
        (act.leaky_relu, lambda z, a=0.01: act.relu_grad(z)),
        "the slope for z <= 0 is negative_slope, not 0",
    ),
    (
        "leaky_relu",
        (act.leaky_relu, lambda z, a=0.01: np.where(z >= 0, 1.0, a).astype(z.dtype)),
        "at z = 0 the derivative takes the left-hand slope",
    ),
    (
        "leaky_relu",
        (act.leaky_relu, lambda z, a=0.01: np.where(z > 0, 1.0, a)),
        "float32 inputs came back as float64",
    ),
    # tanh
    ("tanh", (naive_tanh, act.tanh_grad), "is inf / inf = NaN once exp overflows"),
    ("tanh", (lambda z: 2 * act.sigmoid(z) - 1, act.tanh_grad), "the factor 2 inside the sigmoid"),
    ("tanh", (act.sigmoid, act.tanh_grad), "that is the sigmoid"),
    ("tanh", (np.tanh, lambda z: 1 - np.tanh(z)), "the square is missing"),
    ("tanh", (np.tanh, lambda z: 1 - z**2), "squared z instead of tanh(z)"),
    ("tanh", (np.tanh, lambda z: np.tanh(z) ** 2), "returned tanh(z)²"),
    ("tanh", (np.tanh, lambda z: 1 + np.tanh(z) ** 2), "a sign is flipped"),
    # stable_sigmoid
    (
        "stable_sigmoid",
        (naive_sigmoid, act.sigmoid_grad),
        "1 / (1 + exp(-z)) overflows for z < -709",
    ),
    ("stable_sigmoid", (where_sigmoid, act.sigmoid_grad), "np.where(cond, a, b) evaluates both"),
    ("stable_sigmoid", (exp_ratio_sigmoid, act.sigmoid_grad), "is inf / inf = NaN for z > 709"),
    ("stable_sigmoid", (lambda z: act.sigmoid(-z), act.sigmoid_grad), "the sign in the exponent"),
    (
        "stable_sigmoid",
        (lambda z: 1 / (1 + np.exp(-np.abs(z))), act.sigmoid_grad),
        "only the z >= 0 formula was used",
    ),
    ("stable_sigmoid", (act.sigmoid, act.sigmoid), "returned sigmoid(z) itself"),
    ("stable_sigmoid", (act.sigmoid, lambda z: z * (1 - z)), "used z where s = sigmoid(z) belongs"),
    (
        "stable_sigmoid",
        (act.sigmoid, lambda z: 1 - act.sigmoid(z) ** 2),
        "1 - s² is the pattern of tanh's derivative",
    ),
    (
        "stable_sigmoid",
        (act.sigmoid, naive_sigmoid_grad),
        "the derivative overflowed to NaN for large |z|",
    ),
    # stable_softmax
    ("stable_softmax", (naive_softmax,), "did not subtract the row maximum"),
    ("stable_softmax", (global_max_softmax,), "subtracted the maximum of the whole array"),
    ("stable_softmax", (lambda z: act.softmax(z, axis=0),), "normalised over the wrong axis"),
    (
        "stable_softmax",
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),),
        "divided by the sum of the whole array",
    ),
    ("stable_softmax", (softmax_no_keepdims,), "forgot keepdims=True"),
    ("stable_softmax", (softmax_in_place,), "changed its input `z` in place"),
    (
        "stable_softmax",
        (lambda z: act.softmax(z.astype(np.float64), axis=1),),
        "float32 inputs came back as float64",
    ),
    (
        "stable_softmax",
        (lambda z: np.exp(z - z.max(axis=1, keepdims=True)),),
        "forgot to normalise",
    ),
    # count_dead_units
    (
        "count_dead_units",
        (dead(lambda z: z < 0, lambda m: int(m.all(axis=0).sum())),),
        "test z <= 0, not z < 0",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: int(m.any(axis=0).sum())),),
        "counted units that are off for some examples",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: int(m.all(axis=1).sum())),),
        "counted examples (rows) instead of units (columns)",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: int(m.sum())),),
        "counted every (example, unit) pair",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: m.shape[1] - int(m.all(axis=0).sum())),),
        "counted the live units",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: m.all(axis=0).mean()),),
        "returned a fraction",
    ),
    (
        "count_dead_units",
        (lambda X, W, b: int(np.all(X @ W <= 0, axis=0).sum()),),
        "forgot the bias",
    ),
    (
        "count_dead_units",
        (dead(lambda z: z <= 0, lambda m: m.all(axis=0)),),
        "returned one flag per unit",
    ),
]


@pytest.mark.parametrize("exercise_id, fns, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fns, message):
    fails_with(exercise_id, fns, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_overflow_failures_have_their_own_kind():
    for fns in [(naive_sigmoid, act.sigmoid_grad), (where_sigmoid, act.sigmoid_grad)]:
        assert fails_with("stable_sigmoid", fns, "overflow").kind == "overflow"


def test_the_solutions_stay_quiet_when_numpy_raises_on_overflow(solutions):
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ("tanh", "tanh_grad", "sigmoid", "sigmoid_grad"):
            assert np.all(np.isfinite(solutions[name](z)))
        p = solutions["softmax"](np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1001.0, -999.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch04.check_relu(act.relu, lambda z: (z >= 0).astype(z.dtype))
    lines = str(info.value).splitlines()
    assert lines[0] == "ReLU and its derivative: your relu_grad(z) has wrong values"
    assert lines[1] == "  tried:          z (7,) float64 — seed 0, some entries exactly 0"
    assert len(lines) <= 6


def test_a_derivative_that_overflows_is_named():
    def grad_from_exp(z):
        e = np.exp(-z)  # overflows for z < -709, yet e / (1 + e)**2 is then 0 / inf = 0
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(e / (1 + e) ** 2)

    failure = fails_with("stable_sigmoid", (act.sigmoid, grad_from_exp), "sigmoid_grad(z) made")
    assert "build it from your stable sigmoid" in str(failure)
