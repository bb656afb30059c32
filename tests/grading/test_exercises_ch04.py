"""Chapter 4's exercise checks: other correct answers pass, typical mistakes are named.

The backward passes take ``dout`` and the forward pass's cache; the stable
sigmoid is checked with its derivative: ``check_stable_sigmoid(sigmoid, sigmoid_grad)``.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib import activations as act
from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch04

CHAPTER = chapter("ch04")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- stubs


def test_a_finished_function_with_an_unfinished_derivative_is_not_implemented_yet():
    def stub(z):
        raise NotImplementedError("Exercise stable_sigmoid: not implemented yet")

    with pytest.raises(ExerciseFailed, match="not implemented yet"):
        ch04.check_stable_sigmoid(act.sigmoid, stub)


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


def leaky_backward_loop(dout, z, negative_slope=0.01):
    dz = np.empty_like(dout)
    for i in np.ndindex(*z.shape):
        dz[i] = dout[i] if z[i] > 0 else negative_slope * dout[i]
    return dz


def softmax_ce_onehot(z, y):
    onehot = np.eye(z.shape[1], dtype=z.dtype)[y]  # (N, C)
    return (act.softmax(z, axis=1) - onehot) / len(z)


def softmax_ce_logsumexp(z, y):
    p = softmax_logsumexp(z)
    p[np.arange(len(y)), y] -= 1
    return p / z.shape[0]


def softmax_ce_rows(z, y):
    """A loop over the rows, returning float results row by row."""
    out = np.zeros_like(z)
    for i, row in enumerate(z):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
        out[i, int(y[i])] -= 1.0
    return out / float(len(z))


@pytest.mark.parametrize(
    "exercise_id, fns",
    [
        ("relu_backward", (lambda dout, z: np.where(z > 0, dout, 0),)),
        ("relu_backward", (lambda dout, z: dout * np.heaviside(z, 0).astype(z.dtype),)),
        ("relu_backward", (lambda dout, z: np.where(z <= 0, np.zeros_like(dout), dout),)),
        ("leaky_relu_backward", (leaky_backward_loop,)),
        (
            "leaky_relu_backward",
            (lambda dout, z, a=0.01: dout * np.where(z > 0, 1, a).astype(dout.dtype),),
        ),
        ("tanh_backward", (lambda dout, out: dout - dout * out**2,)),
        ("tanh_backward", (lambda dout, out: dout * (1 - out) * (1 + out),)),
        ("softmax_ce_backward", (softmax_ce_onehot,)),
        ("softmax_ce_backward", (softmax_ce_logsumexp,)),
        ("softmax_ce_backward", (softmax_ce_rows,)),
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


def relu_backward_in_place(dout, z):
    dout[z <= 0] = 0
    return dout


def softmax_ce_columns(z, y):
    p = act.softmax(z, axis=1)
    p[:, y] -= 1
    return p / len(z)


def softmax_ce_in_place(z, y):
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(z)


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


WRONG = [
    # relu_backward
    ("relu_backward", lambda dout, z: (z > 0).astype(z.dtype), "returned relu'(z) alone"),
    ("relu_backward", lambda dout, z: dout * (z >= 0), "gate with z > 0, not z >= 0"),
    ("relu_backward", lambda dout, z: dout * np.maximum(z, 0), "multiplied dout by relu(z)"),
    ("relu_backward", lambda dout, z: dout * z, "multiplied dout by z itself"),
    ("relu_backward", lambda dout, z: np.maximum(dout, 0), "applied ReLU to dout"),
    ("relu_backward", lambda dout, z: dout.copy(), "returned dout unchanged"),
    ("relu_backward", relu_backward_in_place, "changed its input `dout` in place"),
    ("relu_backward", lambda dout, z: dout * (z > 0.0).astype(float), "float32 inputs came"),
    # leaky_relu_backward
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: np.where(z > 0, a * dout, dout),
        "swapped the slopes",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: np.where(z > 0, dout, 0.01 * dout),
        "ignored the negative_slope argument",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: dout * (z > 0),
        "gave 0 where z <= 0 (that is ReLU's backward pass)",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: np.where(z >= 0, dout, a * dout),
        "test z > 0, not z >= 0",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: np.where(z > 0, 1.0, a).astype(z.dtype),
        "returned the local derivative alone",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: dout * np.where(z > 0, 1.0, a),
        "float32 inputs came back as float64",
    ),
    (
        "leaky_relu_backward",
        lambda dout, z, a=0.01: np.where(dout > 0, dout, a * dout),
        "tested the sign of dout",
    ),
    # tanh_backward
    ("tanh_backward", lambda dout, out: dout * (1 - np.tanh(out) ** 2), "treated the cache as z"),
    ("tanh_backward", lambda dout, out: dout * (1 - out), "the square is missing"),
    ("tanh_backward", lambda dout, out: dout * (1 - out) ** 2, "squared the wrong thing"),
    ("tanh_backward", lambda dout, out: dout * (1 + out**2), "a sign is flipped"),
    ("tanh_backward", lambda dout, out: dout * out * (1 - out), "that is the sigmoid's pattern"),
    ("tanh_backward", lambda dout, out: 1 - out**2, "returned the local derivative alone"),
    ("tanh_backward", lambda dout, out: dout * out, "multiplied dout by out"),
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
    # softmax_ce_backward
    ("softmax_ce_backward", lambda z, y: softmax_ce_onehot(z, y) * len(z), "forgot to divide by N"),
    ("softmax_ce_backward", lambda z, y: -softmax_ce_onehot(z, y), "the sign is flipped"),
    (
        "softmax_ce_backward",
        lambda z, y: softmax_ce_onehot(z, y) * len(z) / z.shape[1],
        "divided by C, the number of classes",
    ),
    ("softmax_ce_backward", softmax_ce_columns, "p[:, y] -= 1 subtracts 1 in the columns"),
    (
        "softmax_ce_backward",
        lambda z, y: act.softmax(z, axis=1) / len(z),
        "forgot the one-hot label",
    ),
    (
        "softmax_ce_backward",
        lambda z, y: (act.softmax(z, axis=1) - 1) / len(z),
        "subtracted 1 from every entry",
    ),
    (
        "softmax_ce_backward",
        lambda z, y: (act.softmax(z, axis=0) - np.eye(z.shape[1], dtype=z.dtype)[y]) / len(z),
        "took the softmax over axis 0",
    ),
    (
        "softmax_ce_backward",
        lambda z, y: (naive_softmax(z) - np.eye(z.shape[1], dtype=z.dtype)[y]) / len(z),
        "the softmax overflowed",
    ),
    (
        "softmax_ce_backward",
        lambda z, y: (global_max_softmax(z) - np.eye(z.shape[1], dtype=z.dtype)[y]) / len(z),
        "subtracted the maximum of the whole array",
    ),
    ("softmax_ce_backward", softmax_ce_in_place, "changed its input `z` in place"),
    (
        "softmax_ce_backward",
        lambda z, y: (act.softmax(z, axis=1) - np.eye(z.shape[1])[y]) / len(z),
        "float32 inputs came back as float64",
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
        for name in ("sigmoid", "sigmoid_grad"):
            assert np.all(np.isfinite(solutions[name](z)))
        big = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1001.0, -999.0]])
        p = solutions["softmax"](big)
        dz = solutions["softmax_ce_backward"](big, np.array([1, 2]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-15)


def test_the_softmax_ce_gradient_matches_finite_differences_of_the_loss(solutions, rng):
    z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])

    def loss(z):
        return -np.mean(np.log(act.softmax(z, axis=1)[np.arange(4), y]))

    numeric = numerical_gradient(loss, z)
    analytic = solutions["softmax_ce_backward"](z, y)
    assert rel_error(analytic, numeric) < 1e-7


def test_the_catalogue_catches_the_global_max_softmax_inside_the_gradient():
    # the example: every row's maximum differs, so a global shift underflows a row
    def global_max(z, y):
        return (global_max_softmax(z) - np.eye(z.shape[1], dtype=z.dtype)[y]) / len(z)

    failure = fails_with("softmax_ce_backward", global_max, "subtract each row's own maximum")
    assert "NaN" in str(failure)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch04.check_relu_backward(lambda dout, z: dout * (z >= 0))
    lines = str(info.value).splitlines()
    assert lines[0] == "ReLU backward pass: your dz has wrong values"
    assert lines[1] == (
        "  tried:          dout (7,) float64, z (7,) float64 — seed 0, some z exactly 0"
    )
    assert len(lines) <= 6


def test_a_derivative_that_overflows_is_named():
    def grad_from_exp(z):
        e = np.exp(-z)  # overflows for z < -709, yet e / (1 + e)**2 is then 0 / inf = 0
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(e / (1 + e) ** 2)

    failure = fails_with("stable_sigmoid", (act.sigmoid, grad_from_exp), "sigmoid_grad(z) made")
    assert "build it from your stable sigmoid" in str(failure)
