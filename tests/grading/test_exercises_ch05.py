"""Chapter 5's exercise checks: other correct answers pass, typical mistakes are named.

The initializer checks measure distributions, so besides the notebook's
solutions several other correct implementations must pass: other NumPy calls,
other orders of drawing (transposed, column by column, after burning some
numbers of the stream). The burned-stream variants run each check on 20
different random streams, an empirical look at the false-failure rate.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import math

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib.grading.exercises import _ch05_stats, ch05

CHAPTER = chapter("ch05")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- other correct answers pass


def xavier_bound(shape):
    return math.sqrt(6 / (shape[0] + shape[1]))


def he_std(shape):
    return math.sqrt(2 / shape[0])


def column_by_column(shape, rng, std):
    """Draws one column at a time: a different order of the same distribution."""
    return np.stack([rng.normal(0.0, std, size=shape[0]) for _ in range(shape[1])], axis=1)


def layer_stds_loop(x, weights, act):
    stds, a = [], x
    for W in weights:
        a = act(np.dot(a, W))
        stds.append(float(np.sqrt(np.mean((a - a.mean()) ** 2))))
    return stds  # a list of floats is fine


OTHER_CORRECT = [
    ("zero_init", lambda shape, rng=None: np.zeros(shape)),
    ("zero_init", lambda shape, rng=None: np.zeros(shape, dtype=np.float64) * 1.0),
    ("normal_init", lambda shape, std, rng: rng.normal(0, std, shape)),
    ("normal_init", lambda shape, std, rng: rng.normal(scale=std, size=shape[::-1]).T.copy()),
    ("normal_init", lambda shape, std, rng: column_by_column(shape, rng, std)),
    ("xavier_uniform", lambda s, rng: rng.uniform(-xavier_bound(s), xavier_bound(s), s)),
    ("xavier_uniform", lambda s, rng: (2 * rng.random(s) - 1) * xavier_bound(s)),
    (
        "xavier_uniform",
        lambda s, rng: rng.uniform(-1, 1, size=s[0] * s[1]).reshape(s) * xavier_bound(s),
    ),
    ("he_normal", lambda s, rng: rng.standard_normal(s) * he_std(s)),
    ("he_normal", lambda s, rng: column_by_column(s, rng, he_std(s))),
    ("he_normal", lambda s, rng: np.sqrt(2.0 / s[0]) * rng.normal(size=s[::-1]).T),
    ("layer_stds", layer_stds_loop),
    ("layer_stds", lambda x, ws, act: np.array(_stds_ddof1(x, ws, act))),
]


def _stds_ddof1(x, weights, act):
    """The sample standard deviation (ddof=1) is accepted too."""
    out, a = [], x
    for W in weights:
        a = act(a @ W)
        out.append(a.std(ddof=1))
    return out


@pytest.mark.parametrize("exercise_id, fn", OTHER_CORRECT)
def test_other_correct_implementations_pass(exercise_id, fn):
    check(exercise_id)(fn)


@pytest.mark.parametrize("burn", range(20))
def test_distribution_checks_pass_on_many_random_streams(burn):
    """Burning `burn` numbers first shifts every stream: a correct draw still passes."""

    def skip(rng):
        rng.random(burn)
        return rng

    check("normal_init")(lambda s, std, rng: skip(rng).normal(0, std, s))
    check("xavier_uniform")(lambda s, rng: skip(rng).uniform(-xavier_bound(s), xavier_bound(s), s))
    check("he_normal")(lambda s, rng: skip(rng).normal(0, he_std(s), s))


def test_tolerances_are_several_standard_errors_wide():
    """The std tolerance on the smallest large shape is 6 standard errors and under 3 %."""
    n = min(a * b for a, b in ch05.BIG_SHAPES)
    normal_tol = _ch05_stats.SIGMAS * math.sqrt(2 / (4 * n))
    assert n >= 40_000
    assert normal_tol < 0.03
    # The closest catalogued mistake (Xavier with n_in only, shape (400, 100)) is 12 % off.
    assert math.sqrt(500 / 400) - 1 > 4 * normal_tol


# ---------------------------------------------------------------- catalogued mistakes


def global_normal(shape, std, rng):
    return np.random.normal(0, std, shape)  # noqa: NPY002 (the mistake under test)


def global_he(shape, rng):
    return np.random.randn(*shape) * he_std(shape)  # noqa: NPY002 (the mistake under test)


def fixed_seed_normal(shape, std, rng):
    return np.random.default_rng(0).normal(0, std, shape)


_CACHE = {}


def cached_zeros(shape, rng=None):
    return _CACHE.setdefault(shape, np.zeros(shape))


def with_input(x, weights, act):
    stds, a = [x.std()], x
    for W in weights:
        a = act(a @ W)
        stds.append(a.std())
    return np.array(stds)


def pre_activation(x, weights, act):
    stds, a = [], x
    for W in weights:
        z = a @ W
        a = act(z)
        stds.append(z.std())
    return np.array(stds)


def not_chained(x, weights, act):
    return np.array([act(x @ W).std() for W in weights])


def per_unit(x, weights, act):
    stds, a = [], x
    for W in weights:
        a = act(a @ W)
        stds.append(a.std(axis=0))
    return np.array(stds)


def variances(x, weights, act):
    stds, a = [], x
    for W in weights:
        a = act(a @ W)
        stds.append(a.var())
    return np.array(stds)


def transposed_w(x, weights, act):
    stds, a = [], x
    for W in weights:
        a = act(a @ W.T)
        stds.append(a.std())
    return np.array(stds)


def xavier(bound_of_shape):
    return lambda s, rng: rng.uniform(-bound_of_shape(s), bound_of_shape(s), s)


def he(std_of_shape):
    return lambda s, rng: rng.normal(0.0, std_of_shape(s), s)


WRONG = [
    # zero_init
    ("zero_init", lambda shape, rng=None: np.zeros(shape[::-1]), "the shape is reversed"),
    ("zero_init", lambda shape, rng=None: np.zeros(shape[0], shape[1]), "pass the shape as one"),
    ("zero_init", lambda shape, rng=None: np.zeros(shape, dtype=int), "integer zeros"),
    ("zero_init", lambda shape, rng=None: np.zeros(shape, np.float32), "float32 zeros"),
    ("zero_init", lambda shape, rng=None: np.ones(shape), "returned ones"),
    ("zero_init", lambda shape, rng=None: np.full(shape, 0.01), "the same nonzero constant"),
    ("zero_init", lambda shape, rng: rng.normal(0, 0.01, shape), "values differ from entry"),
    ("zero_init", lambda shape, rng=None: np.zeros(shape).tolist(), "a list is not an array"),
    ("zero_init", lambda shape, rng=None: np.broadcast_to(0.0, shape), "your W is read-only"),
    ("zero_init", cached_zeros, "two calls returned the same array object"),
    # normal_init
    ("normal_init", lambda s, std, rng: rng.normal(std, size=s), "std went in as the mean"),
    ("normal_init", lambda s, std, rng: rng.normal(0, std**2, s), "used std**2 as the scale"),
    ("normal_init", lambda s, std, rng: rng.normal(0, np.sqrt(std), s), "square root of std"),
    (
        "normal_init",
        lambda s, std, rng: rng.uniform(-std * 3**0.5, std * 3**0.5, s),
        "the values look uniform",
    ),
    ("normal_init", lambda s, std, rng: std * rng.random(s), "rng.random draws from U(0, 1)"),
    ("normal_init", lambda s, std, rng: rng.standard_normal(s), "the spread is 1 whatever std"),
    ("normal_init", global_normal, "ignores its `rng` argument"),
    ("normal_init", fixed_seed_normal, "makes its own generator with a fixed seed"),
    # xavier_uniform
    (
        "xavier_uniform",
        lambda s, rng: rng.normal(0, math.sqrt(2 / sum(s)), s),
        "the values look normal",
    ),
    ("xavier_uniform", he(xavier_bound), "used a normal with std a"),
    (
        "xavier_uniform",
        lambda s, rng: rng.uniform(0, xavier_bound(s), s),
        "gives only positive weights",
    ),
    ("xavier_uniform", xavier(lambda s: math.sqrt(2 / sum(s))), "that is the std"),
    ("xavier_uniform", xavier(lambda s: 6 / sum(s)), "forgot the square root"),
    ("xavier_uniform", xavier(lambda s: math.sqrt(6 / s[0])), "used n_in only"),
    ("xavier_uniform", xavier(lambda s: math.sqrt(6 / s[1])), "used n_out only"),
    ("xavier_uniform", xavier(lambda s: 1 / math.sqrt(s[0])), "old default bound"),
    (
        "xavier_uniform",
        lambda s, rng: rng.uniform(-xavier_bound(s), xavier_bound(s), s).astype(np.float32),
        "expected float64",
    ),
    # he_normal
    ("he_normal", he(lambda s: math.sqrt(2 / s[1])), "used n_out = shape[1] as the fan-in"),
    ("he_normal", he(lambda s: math.sqrt(1 / s[0])), "the tanh rule (LeCun's"),
    ("he_normal", he(lambda s: 2 / s[0]), "used the variance 2 / n_in as the std"),
    ("he_normal", he(lambda s: math.sqrt(2 / sum(s))), "used Glorot's std"),
    ("he_normal", he(lambda s: math.sqrt(6 / s[0])), "He uniform's bound, as the std"),
    ("he_normal", he(lambda s: 1.0), "the std is 1 whatever the shape"),
    (
        "he_normal",
        lambda s, rng: rng.uniform(-math.sqrt(6 / s[0]), math.sqrt(6 / s[0]), s),
        "the values look uniform",
    ),
    ("he_normal", global_he, "ignores its `rng` argument"),
    # layer_stds
    ("layer_stds", pre_activation, "measured the pre-activations"),
    ("layer_stds", variances, "returned variances"),
    ("layer_stds", per_unit, "one row per layer"),
    ("layer_stds", with_input, "included the input x"),
    ("layer_stds", not_chained, "fed x into every layer"),
    ("layer_stds", transposed_w, "used W transposed"),
    (
        "layer_stds",
        lambda x, ws, act: np.array([W.std() for W in ws]),
        "measured the weights",
    ),
]


@pytest.mark.parametrize("exercise_id, fn, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fn, message):
    fails_with(exercise_id, fn, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_a_distribution_failure_shows_what_was_measured():
    err = fails_with("he_normal", he(lambda s: math.sqrt(2 / s[1])), "fan-in")
    lines = str(err).splitlines()
    assert lines[0] == (
        "He (Kaiming) normal initialization: the std of your W (400, 100) is 0.1411; "
        "expected 0.07071 (sqrt(2 / n_in))"
    )
    assert lines[2].split(":", 1)[1].strip().startswith("mean ")
    assert "normal, mean 0, std 0.07071" in lines[3]
    assert len(lines) <= 6


def test_a_last_layer_without_activation_is_named():
    def last_linear(x, weights, act):
        stds, a = [], x
        for i, W in enumerate(weights):
            a = a @ W
            if i < len(weights) - 1:
                a = act(a)
            stds.append(a.std())
        return np.array(stds)

    fails_with("layer_stds", last_linear, "left the last layer without its activation")
