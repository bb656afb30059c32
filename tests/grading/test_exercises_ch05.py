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

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.grading.exercises import _ch05_stats, ch05

CHAPTER = chapter("ch05")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- other correct answers pass


def xavier_bound(shape, gain):
    return gain * math.sqrt(6 / (shape[0] + shape[1]))


def kaiming_std(shape, gain):
    return gain / math.sqrt(shape[0])


def column_by_column(shape, rng, std):
    """Draws one column at a time: a different order of the same distribution."""
    return np.stack([rng.normal(0.0, std, size=shape[0]) for _ in range(shape[1])], axis=1)


def step_einsum(x, y, W1, W2, lr):
    """The same step with einsum, the loss written per example, lists returned."""
    h = np.tanh(np.einsum("nd,dh->nh", x, W1))
    r = (np.einsum("nh,hk->nk", h, W2) - y) / len(x)
    dW2 = np.einsum("nh,nk->hk", h, r)
    dz = np.einsum("nk,hk->nh", r, W2) * (1 - np.tanh(x @ W1) ** 2)
    return [W1 - lr * np.einsum("nd,nh->dh", x, dz), W2 - lr * dW2]


def step_loop(x, y, W1, W2, lr):
    """Example by example, accumulating the gradients."""
    dW1, dW2 = np.zeros_like(W1), np.zeros_like(W2)
    for xi, yi in zip(x, y, strict=True):
        h = np.tanh(xi @ W1)
        r = (h @ W2 - yi) / len(x)
        dW2 += np.outer(h, r)
        dW1 += np.outer(xi, (W2 @ r) * (1 - h * h))
    return W1 - lr * dW1, W2 - lr * dW2


def predict_closed_form(x_std, width, w_std, depth, act):
    g = width * w_std**2
    if act == "linear":
        return x_std * g ** (depth / 2)
    var_z = x_std**2 * g**depth / 2 ** (depth - 1)
    return np.sqrt(var_z * (np.pi - 1) / (2 * np.pi))  # a NumPy scalar is fine


def layer_stds_loop(x, weights, act):
    stds, a = [], x
    for W in weights:
        a = act(np.dot(a, W))
        stds.append(float(np.sqrt(np.mean((a - a.mean()) ** 2))))
    return stds  # a list of floats is fine


OTHER_CORRECT = [
    ("train_step", step_einsum),
    ("train_step", step_loop),
    ("xavier_uniform", lambda s, g, rng: rng.uniform(-xavier_bound(s, g), xavier_bound(s, g), s)),
    ("xavier_uniform", lambda s, g, rng: (2 * rng.random(s) - 1) * xavier_bound(s, g)),
    (
        "xavier_uniform",
        lambda s, g, rng: rng.uniform(-1, 1, size=s[0] * s[1]).reshape(s) * xavier_bound(s, g),
    ),
    ("kaiming_normal", lambda s, g, rng: rng.standard_normal(s) * kaiming_std(s, g)),
    ("kaiming_normal", lambda s, g, rng: column_by_column(s, rng, kaiming_std(s, g))),
    ("kaiming_normal", lambda s, g, rng: g * np.sqrt(1.0 / s[0]) * rng.normal(size=s[::-1]).T),
    ("layer_stds", layer_stds_loop),
    ("layer_stds", lambda x, ws, act: np.array(_stds_ddof1(x, ws, act))),
    ("predict_std", predict_closed_form),
    ("predict_std", lambda *args: np.array(predict_closed_form(*args))),  # 0-d array
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

    check("xavier_uniform")(
        lambda s, g, rng: skip(rng).uniform(-xavier_bound(s, g), xavier_bound(s, g), s)
    )
    check("kaiming_normal")(lambda s, g, rng: skip(rng).normal(0, kaiming_std(s, g), s))


def test_tolerances_are_several_standard_errors_wide():
    """The std tolerance on the smallest large shape is 6 standard errors and under 3 %."""
    n = min(a * b for a, b in ch05.BIG_SHAPES)
    normal_tol = _ch05_stats.SIGMAS * math.sqrt(2 / (4 * n))
    assert n >= 40_000
    assert normal_tol < 0.03
    # The closest catalogued mistake (Xavier with n_in only, shape (400, 100)) is 12 % off.
    assert math.sqrt(500 / 400) - 1 > 4 * normal_tol


# ---------------------------------------------------------------- catalogued mistakes


def global_kaiming(shape, gain, rng):
    return np.random.randn(*shape) * kaiming_std(shape, gain)  # noqa: NPY002 (the mistake)


def fixed_seed_xavier(shape, gain, rng):
    b = xavier_bound(shape, gain)
    return np.random.default_rng(0).uniform(-b, b, shape)


def step_with(**switch):
    return lambda x, y, W1, W2, lr: ch05._step(x, y, W1, W2, lr, **switch)


def step_in_place(x, y, W1, W2, lr):
    dW1_new, dW2_new = ch05._step(x, y, W1, W2, lr)
    W1 -= W1 - dW1_new
    W2 -= W2 - dW2_new
    return W1, W2


def step_new_w2_first(x, y, W1, W2, lr):
    h = np.tanh(x @ W1)
    dout = (h @ W2 - y) / len(x)
    W2 = W2 - lr * h.T @ dout
    dz = (dout @ W2.T) * (1 - h**2)
    return W1 - lr * x.T @ dz, W2


def predict_with(**switch):
    return lambda *args: ch05._predict(*args, **switch)


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


def xavier(bound_of):
    return lambda s, g, rng: rng.uniform(-bound_of(s, g), bound_of(s, g), s)


def kaiming(std_of):
    return lambda s, g, rng: rng.normal(0.0, std_of(s, g), s)


WRONG = [
    # train_step
    ("train_step", step_new_w2_first, "backpropagated through the updated W2"),
    ("train_step", step_with(local="none"), "left out tanh's derivative"),
    ("train_step", step_with(local="1 - h"), "the square is missing in tanh's derivative"),
    ("train_step", step_with(local="1 - z**2"), "took the derivative at z as 1 - z**2"),
    ("train_step", step_with(scale="1"), "forgot the 1/N"),
    ("train_step", step_with(scale="NK"), "divided by N * K"),
    ("train_step", step_with(scale="N/2"), "dropped the 1/2 of the loss"),
    ("train_step", step_with(sign=-1.0), "stepped uphill"),
    ("train_step", step_with(transpose_dw1=True), "dW1 is transposed"),
    (
        "train_step",
        lambda x, y, W1, W2, lr: tuple(
            (W - Wn) / lr for W, Wn in zip((W1, W2), ch05._step(x, y, W1, W2, lr), strict=True)
        ),
        "returned the gradient, not the updated weights",
    ),
    (
        "train_step",
        lambda x, y, W1, W2, lr: (W1.copy(), ch05._step(x, y, W1, W2, lr)[1]),
        "this weight was not updated",
    ),
    ("train_step", step_in_place, "changed its input `W1` in place"),
    ("train_step", lambda x, y, W1, W2, lr: ch05._step(x, y, W1, W2, lr)[0], "expected 2 return"),
    # xavier_uniform
    (
        "xavier_uniform",
        lambda s, g, rng: rng.normal(0, g * math.sqrt(2 / sum(s)), s),
        "the values look normal",
    ),
    ("xavier_uniform", xavier(lambda s, g: xavier_bound(s, 1.0)), "ignored the gain"),
    (
        "xavier_uniform",
        xavier(lambda s, g: math.sqrt(g * 6 / sum(s))),
        "put the gain inside the square root",
    ),
    ("xavier_uniform", xavier(lambda s, g: xavier_bound(s, g * g)), "squared the gain"),
    ("xavier_uniform", xavier(lambda s, g: xavier_bound(s, 1 / g)), "divided by the gain"),
    ("xavier_uniform", kaiming(xavier_bound), "used a normal with std a"),
    (
        "xavier_uniform",
        lambda s, g, rng: rng.uniform(0, xavier_bound(s, g), s),
        "gives only positive weights",
    ),
    ("xavier_uniform", xavier(lambda s, g: g * math.sqrt(2 / sum(s))), "that is the std"),
    ("xavier_uniform", xavier(lambda s, g: g * 6 / sum(s)), "forgot the square root"),
    ("xavier_uniform", xavier(lambda s, g: g * math.sqrt(6 / s[0])), "used n_in only"),
    ("xavier_uniform", xavier(lambda s, g: g * math.sqrt(6 / s[1])), "used n_out only"),
    ("xavier_uniform", xavier(lambda s, g: g * math.sqrt(6 / (s[0] * s[1]))), "multiplied"),
    (
        "xavier_uniform",
        lambda s, g, rng: rng.uniform(-xavier_bound(s, g), xavier_bound(s, g), s).astype("f4"),
        "expected float64",
    ),
    (
        "xavier_uniform",
        lambda s, g, rng: rng.uniform(-xavier_bound(s, g), xavier_bound(s, g), s[::-1]),
        "the shape is reversed",
    ),
    ("xavier_uniform", fixed_seed_xavier, "makes its own generator with a fixed seed"),
    # kaiming_normal
    ("kaiming_normal", kaiming(lambda s, g: math.sqrt(2 / s[0])), "ignored the gain"),
    (
        "kaiming_normal",
        kaiming(lambda s, g: math.sqrt(g / s[0])),
        "put the gain inside the square root",
    ),
    (
        "kaiming_normal",
        kaiming(lambda s, g: g * math.sqrt(2 / s[0])),
        "doubled the variance on top of the gain",
    ),
    ("kaiming_normal", kaiming(lambda s, g: g / math.sqrt(s[1])), "used n_out = shape[1]"),
    ("kaiming_normal", kaiming(lambda s, g: g / s[0]), "forgot the square root"),
    ("kaiming_normal", kaiming(lambda s, g: g * g / s[0]), "used the variance gain² / n_in"),
    ("kaiming_normal", kaiming(lambda s, g: g * math.sqrt(2 / sum(s))), "used both fans"),
    ("kaiming_normal", kaiming(lambda s, g: 1.0), "the std is 1 whatever the shape"),
    (
        "kaiming_normal",
        lambda s, g, rng: rng.uniform(-kaiming_std(s, g) * 3**0.5, kaiming_std(s, g) * 3**0.5, s),
        "the values look uniform",
    ),
    ("kaiming_normal", global_kaiming, "ignores its `rng` argument"),
    # predict_std
    ("predict_std", predict_with(halvings="L"), "halved the variance at every layer"),
    ("predict_std", predict_with(halvings="none"), "treated ReLU as linear"),
    ("predict_std", predict_with(output="rms"), "returned the root mean square"),
    ("predict_std", predict_with(output="z"), "the std of the last pre-activation"),
    ("predict_std", predict_with(output="var"), "returned a variance"),
    ("predict_std", predict_with(weight="w_std"), "multiplied by width * w_std per layer"),
    ("predict_std", predict_with(weight="no width"), "left out the width"),
    ("predict_std", predict_with(layers="L - 1"), "one layer too few"),
    ("predict_std", predict_with(use_x=False), "ignored x_std"),
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
    err = fails_with("kaiming_normal", kaiming(lambda s, g: g / math.sqrt(s[1])), "fan-in")
    lines = str(err).splitlines()
    assert lines[0] == (
        "Kaiming (He) normal with a gain: the std of your W (400, 100) is 0.09975; "
        "expected 0.05 (gain / sqrt(n_in))"
    )
    assert lines[2].split(":", 1)[1].strip().startswith("mean ")
    assert "normal, mean 0, std 0.05" in lines[3]
    assert len(lines) <= 6


def test_constant_weights_stay_symmetric_after_a_step(solutions):
    """The chapter's claim: hidden units that start equal get equal updates, step after step."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
    W1, W2 = np.full((3, 8), 0.3), np.full((8, 2), 0.3)
    R1, R2 = 0.5 * rng.normal(size=(3, 8)), 0.5 * rng.normal(size=(8, 2))
    for _ in range(100):
        W1, W2 = solutions["train_step"](x, y, W1, W2, 0.1)
        R1, R2 = solutions["train_step"](x, y, R1, R2, 0.1)
    assert np.ptp(W1, axis=1).max() == 0.0 and np.ptp(W2, axis=0).max() == 0.0
    assert not np.allclose(W1, 0.3)  # the weights did move, all together
    assert np.ptp(R1, axis=1).max() > 0.1


def test_the_train_step_matches_finite_differences_of_the_loss(solutions):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    W1, W2 = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))

    def loss(W1, W2):
        return np.sum((np.tanh(x @ W1) @ W2 - y) ** 2) / (2 * len(x))

    lr = 1.0
    new1, new2 = solutions["train_step"](x, y, W1, W2, lr)
    numerics = (
        numerical_gradient(lambda v: loss(v, W2), W1),
        numerical_gradient(lambda v: loss(W1, v), W2),
    )
    for W, new, numeric in ((W1, new1, numerics[0]), (W2, new2, numerics[1])):
        analytic = (W - new) / lr
        assert rel_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize(
    "act, w_std", [("relu", math.sqrt(2 / 256)), ("relu", 1 / 16), ("linear", 1.05 / 16)]
)
def test_the_predicted_std_agrees_with_a_simulation(solutions, act, w_std):
    """Variance propagation predicts what ten layers do, on average over 20 networks."""
    rng = np.random.default_rng(2)
    fn = (lambda z: np.maximum(z, 0)) if act == "relu" else (lambda z: z)
    variances = []
    for _ in range(20):  # one network's spread wanders by +-25 % after ten layers of 256 units
        x = rng.normal(size=(200, 256))
        weights = [rng.normal(0.0, w_std, size=(256, 256)) for _ in range(10)]
        variances.append(solutions["layer_stds"](x, weights, fn)[-1] ** 2)
    simulated = math.sqrt(np.mean(variances))
    predicted = solutions["predict_std"](1.0, 256, w_std, 10, act)
    assert abs(simulated / predicted - 1) < 0.1, (simulated, predicted)


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
