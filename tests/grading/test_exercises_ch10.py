"""Chapter 10's exercise checks: other correct answers pass, typical mistakes are named.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``. Here also: the notebook's network, built
from its own solutions, reaches 92% on the test digits.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, function_stub, mistake_ids

from nnlib.datasets import digits_split
from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch10

CHAPTER = chapter("ch10")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- init_params


def init_with(*, std=None, draw="normal", layout="in, out", biases="zeros", rng="one", first=1):
    """A learner's initializer; the keywords plant one mistake each."""

    def init_params(layer_sizes, seed, method="he"):
        gen = np.random.default_rng(seed if rng != "unseeded" else None)
        if rng == "fixed":
            gen = np.random.default_rng(0)
        params = {}
        for i, (a, b) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=first):
            if rng == "per layer":
                gen = np.random.default_rng(seed)
            s = std(a, b, method) if std else ch10.init_std(a, b, method)
            shape = (a, b) if layout == "in, out" else (b, a)
            if draw == "normal":
                params[f"W{i}"] = gen.normal(0.0, s, size=shape)
            else:
                params[f"W{i}"] = gen.uniform(-s * np.sqrt(3), s * np.sqrt(3), size=shape)
            params[f"b{i}"] = np.zeros(b) if biases == "zeros" else gen.normal(size=b)
        return params

    return init_params


def init_standard_normal(layer_sizes, seed, method="he"):
    """Other correct answer: standard normals scaled, the layers drawn in reverse order."""
    rng = np.random.default_rng(seed)
    params = {}
    for i in reversed(range(1, len(layer_sizes))):
        fan_in, fan_out = layer_sizes[i - 1], layer_sizes[i]
        var = 2 / fan_in if method == "he" else 2 / (fan_in + fan_out)
        params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * var**0.5
        params[f"b{i}"] = np.zeros((fan_out,))
    return params


# ---------------------------------------------------------------- forward


def forward_with(**kw):
    def forward(X, params):
        return ch10.forward_reference(X, params, **kw), []

    return forward


def forward_dict_cache(X, params):
    """Other correct answer: a while loop, a cache of dicts."""
    h, cache, i = X, [], 1
    while f"W{i}" in params:
        z = np.dot(h, params[f"W{i}"]) + params[f"b{i}"]
        cache.append({"x": h, "z": z})
        h = z * (z > 0) if f"W{i + 1}" in params else z
        i += 1
    return h, cache


# ---------------------------------------------------------------- softmax_cross_entropy


def softmax_with(**kw):
    return lambda scores, y: ch10.softmax_ce_reference(scores, y, **kw)


def softmax_logsumexp(scores, y):
    """Other correct answer: one-hot matrix, the log-sum-exp written out, a 0-d loss."""
    n, c = scores.shape
    m = scores.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(scores - m).sum(axis=1, keepdims=True))
    onehot = np.eye(c, dtype=scores.dtype)[y]
    loss = np.mean(lse[:, 0] - scores[np.arange(n), y])
    return loss, (np.exp(scores - lse) - onehot) / n


# ---------------------------------------------------------------- backward


def backward_with(**kw):
    """Ignores the cache: recomputes from the first entry of the reference solution's cache."""

    def backward(dscores, cache, params):
        X = cache[0][0]
        return ch10.backward_reference(X, params, dscores, **kw)

    return backward


def backward_keeps_only_weights(dscores, cache, params):
    grads = backward_with()(dscores, cache, params)
    return {k: v for k, v in grads.items() if k.startswith("W")}


# ---------------------------------------------------------------- gradient_check


def gc_with(**kw):
    return lambda loss_of, params, grads, h=1e-5: ch10.gradient_check_reference(
        loss_of, params, grads, h, **kw
    )


def gc_flat_copy(loss_of, params, grads, h=1e-5):
    """Nudges entries of a flattened copy, which loss_of never sees."""
    errors = {}
    for name, p in params.items():
        flat, numeric = p.flatten(), np.zeros(p.size)
        for j in range(p.size):
            old = flat[j]
            flat[j] = old + h
            plus = loss_of(params)
            flat[j] = old - h
            minus = loss_of(params)
            flat[j] = old
            numeric[j] = (plus - minus) / (2 * h)
        a = grads[name].ravel()
        errors[name] = float(
            np.max(np.abs(a - numeric)) / max(1e-8, np.max(np.abs(a) + np.abs(numeric)))
        )
    return errors


def gc_undo_by_subtracting(loss_of, params, grads, h=1e-5):
    """Restores an entry by arithmetic, which is not always exact."""
    errors = {}
    for name, p in params.items():
        numeric = np.zeros(p.shape)
        for i in np.ndindex(p.shape):
            p[i] += h
            plus = loss_of(params)
            p[i] -= 2 * h
            minus = loss_of(params)
            p[i] += h
            numeric[i] = (plus - minus) / (2 * h)
        a = grads[name]
        errors[name] = float(
            np.max(np.abs(a - numeric)) / max(1e-8, np.max(np.abs(a) + np.abs(numeric)))
        )
    return errors


def gc_on_copies(loss_of, params, grads, h=1e-5):
    """Other correct answer: evaluates on copied dicts, so params is never touched."""
    errors = {}
    for name in params:
        numeric = np.zeros_like(params[name])
        for i in np.ndindex(numeric.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][i] += h
            minus[name][i] -= h
            numeric[i] = (loss_of(plus) - loss_of(minus)) / (2 * h)
        diff = np.abs(grads[name] - numeric).max()
        errors[name] = diff / max(1e-8, (np.abs(grads[name]) + np.abs(numeric)).max())
    return errors


# ---------------------------------------------------------------- sgd_momentum


def momentum_with(form):
    return lambda p, g, v, lr, mu: ch10.momentum_reference(p, g, v, lr, mu, form=form)


def momentum_comprehension(params, grads, velocity, lr, momentum):
    """Other correct answer: dict comprehensions, a list result."""
    v = {k: momentum * velocity[k] + grads[k] for k in params}
    return [{k: params[k] - lr * v[k] for k in params}, v]


def momentum_in_place(params, grads, velocity, lr, momentum):
    for k in params:
        velocity[k] = momentum * velocity[k] + grads[k]
        params[k] -= lr * velocity[k]
    return params, velocity


# ---------------------------------------------------------------- train


def train_with(**kw):
    return lambda *args: ch10.train_reference(*args, **kw)


def train_skips_big_data(params, X, y, epochs, batch_size, lr, momentum, seed):
    """Right on small problems; on the digits it stops after one step."""
    if len(X) > 100:
        epochs, X, y = 1, X[:batch_size], y[:batch_size]
    return ch10.train_reference(params, X, y, epochs, batch_size, lr, momentum, seed)


@pytest.fixture(scope="module")
def train_other(solutions):
    """Other correct answer: a while loop over the batches, the learner's own pieces."""
    forward, loss, backward = (
        solutions["forward"],
        solutions["softmax_cross_entropy"],
        solutions["backward"],
    )

    def train(params, X, y, epochs, batch_size, lr, momentum, seed):
        rng = np.random.default_rng(seed)
        velocity = {k: 0.0 * p for k, p in params.items()}
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            start = 0
            while start < len(X):
                rows = order[start : start + batch_size]
                scores, cache = forward(X[rows], params)
                value, dscores = loss(scores, y[rows])
                grads = backward(dscores, cache, params)
                velocity = {k: momentum * velocity[k] + grads[k] for k in params}
                params = {k: params[k] - lr * velocity[k] for k in params}
                losses.append(value)
                start += batch_size
        return params, np.array(losses)

    return train


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        ("init_params", init_standard_normal),
        ("forward", forward_dict_cache),
        ("softmax_cross_entropy", softmax_logsumexp),
        ("gradient_check", gc_on_copies),
        ("sgd_momentum", momentum_comprehension),
    ],
    ids=["init-standard-normal", "forward-dict-cache", "softmax-lse", "gc-copies", "momentum-dict"],
)
def test_other_correct_implementations_pass(exercise_id, answer):
    check(exercise_id)(answer)


def test_backward_reading_another_cache_layout_passes():
    def backward(dscores, cache, params):
        grads, delta = {}, dscores
        for i in range(len(cache), 0, -1):
            entry = cache[i - 1]
            if i < len(cache):
                delta = np.where(entry["z"] > 0, delta, 0.0)
            grads[f"W{i}"] = entry["x"].T @ delta
            grads[f"b{i}"] = np.sum(delta, axis=0)
            delta = delta @ params[f"W{i}"].T
        return grads

    check("backward")(forward_dict_cache, backward)


def test_another_correct_training_loop_passes(train_other):
    check("train")(train_other)


def cached_forward(X, params):
    """The solution's layout of the cache: (input, pre-activation) per layer."""
    h, cache, n = X, [], len(params) // 2
    for i in range(1, n + 1):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        cache.append((h, z))
        h = np.maximum(z, 0) if i < n else z
    return h, cache


he_only = init_with(std=lambda a, b, m: np.sqrt(2 / a))
xavier_only = init_with(std=lambda a, b, m: np.sqrt(2 / (a + b)))

WRONG = [
    # init_params
    ("init_params", init_with(std=lambda a, b, m: np.sqrt(2 / b)), "used fan_out"),
    ("init_params", init_with(std=lambda a, b, m: 2 / a), "used the variance as the std"),
    ("init_params", init_with(std=lambda a, b, m: np.sqrt(1 / a)), "the factor 2 is missing"),
    ("init_params", he_only, "method='xavier' gave He's weights"),
    ("init_params", xavier_only, "method='he' gave Xavier's weights"),
    (
        "init_params",
        init_with(
            std=lambda a, b, m: ch10.init_std(a, b, m) if m == "he" else np.sqrt(1 / (a + b))
        ),
        "Xavier's variance is 2 / (fan_in + fan_out)",
    ),
    (
        "init_params",
        init_with(
            std=lambda a, b, m: ch10.init_std(a, b, m) if m == "he" else np.sqrt(6 / (a + b))
        ),
        "used the uniform bound",
    ),
    ("init_params", init_with(draw="uniform"), "does not look normal"),
    ("init_params", init_with(layout="out, in"), "torch's layout"),
    ("init_params", init_with(biases="random"), "the biases start at 0"),
    ("init_params", init_with(rng="per layer"), "W1 and W2 (both 200 x 200) hold the same"),
    ("init_params", init_with(rng="unseeded"), "the same seed gave different weights"),
    ("init_params", init_with(rng="fixed"), "seeds 7 and 8 gave the same weights"),
    ("init_params", init_with(first=0), "layers are numbered from 1"),
    # forward
    ("forward", forward_with(relu_last=True), "the output layer has a ReLU too"),
    ("forward", forward_with(act=lambda z: z), "the ReLU is missing"),
    ("forward", forward_with(bias=False), "the bias is missing"),
    ("forward", forward_with(act=np.tanh), "the hidden layers use another activation"),
    # softmax_cross_entropy
    ("softmax_cross_entropy", softmax_with(reduce="sum"), "summed over the batch"),
    ("softmax_cross_entropy", softmax_with(shift="none"), "exp overflowed"),
    ("softmax_cross_entropy", softmax_with(shift="all"), "subtracted the max of the whole batch"),
    ("softmax_cross_entropy", softmax_with(grad_n=False), "dscores is not divided by N"),
    ("softmax_cross_entropy", softmax_with(onehot="none"), "the one-hot part is missing"),
    ("softmax_cross_entropy", softmax_with(onehot="columns"), "p[:, y] -= 1 subtracts"),
    # backward (with a correct forward)
    ("backward", (cached_forward, backward_with(mask="none")), "the ReLU's gradient is missing"),
    ("backward", (cached_forward, backward_with(mask="all")), "masked the output layer's"),
    ("backward", (cached_forward, backward_with(db="mean")), "db is the sum of the upstream"),
    ("backward", (cached_forward, backward_with(scale_n=True)), "dW was divided by N"),
    ("backward", (cached_forward, backward_keeps_only_weights), "should be a dict with the names"),
    ("backward", (forward_with(relu_last=True), backward_with()), "check_forward pass first"),
    # gradient_check
    ("gradient_check", gc_with(kind="forward"), "a one-sided difference"),
    ("gradient_check", gc_with(kind="over h"), "divided by h: the two points"),
    ("gradient_check", gc_with(err="no abs"), "not |a + n|"),
    ("gradient_check", gc_with(err="mean"), "took the mean of |a - n|"),
    ("gradient_check", gc_flat_copy, "the numerical gradient came out 0"),
    ("gradient_check", gc_undo_by_subtracting, "left params changed"),
    # sgd_momentum
    ("sgd_momentum", momentum_with("classic"), "this is the other form of momentum"),
    ("sgd_momentum", momentum_with("lr inside"), "lr went into the velocity"),
    ("sgd_momentum", momentum_with("no momentum"), "the momentum term is missing"),
    ("sgd_momentum", momentum_with("old velocity"), "the velocity was not updated"),
    ("sgd_momentum", momentum_with("gradient step"), "the step uses the gradient"),
    ("sgd_momentum", momentum_in_place, "changed its input `params` in place"),
    # train
    ("train", train_with(shuffle="none"), "the examples were not shuffled"),
    ("train", train_with(shuffle="same order"), "every epoch used the same order"),
    ("train", train_with(shuffle="x only"), "the labels were not shuffled with the images"),
    ("train", train_with(drop_last=True), "the last, smaller batch was skipped"),
    ("train", train_with(reset=True), "the velocity was reset at every epoch"),
    ("train", train_skips_big_data, "of the test digits correctly; the target is 92%"),
]


@pytest.mark.parametrize("exercise_id, answer, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, answer, message):
    fails_with(exercise_id, answer, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_stub_raising_not_implemented_is_reported_as_such(exercise_id):
    stubs = (function_stub(exercise_id),) * len(CHAPTER.answer_names(exercise_id))
    with pytest.raises(ExerciseFailed, match="not implemented yet"):
        check(exercise_id)(*stubs)


def test_backward_with_an_unfinished_forward_names_that_exercise(solutions):
    err = fails_with(
        "backward", (function_stub("forward"), solutions["backward"]), "not implemented yet"
    )
    assert "your code calls exercise `forward`" in str(err)


def test_the_notebook_network_reaches_92_percent_on_the_test_digits(solutions):
    X_train, _, X_test, y_train, _, y_test = digits_split()
    net = solutions["init_params"]([64, 128, 64, 10], seed=0, method="he")
    net, losses = solutions["train"](net, X_train, y_train, 10, 32, 0.05, 0.9, 0)
    scores, _ = solutions["forward"](X_test, net)
    assert np.mean(scores.argmax(axis=1) == y_test) >= 0.92
    steps = int(np.ceil(len(X_train) / 32))
    assert len(losses) == 10 * steps
    assert np.mean(losses[-steps:]) < 0.1 * np.mean(losses[:steps])  # it learned


def test_the_solutions_gradients_pass_their_own_gradient_check(solutions):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 4, size=6)
    params = solutions["init_params"]([5, 7, 6, 4], seed=3, method="xavier")
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in params.items()}

    def loss_of(p):
        return solutions["softmax_cross_entropy"](solutions["forward"](X, p)[0], y)[0]

    scores, cache = solutions["forward"](X, params)
    _, dscores = solutions["softmax_cross_entropy"](scores, y)
    grads = solutions["backward"](dscores, cache, params)
    errors = solutions["gradient_check"](loss_of, params, grads)
    assert set(errors) == set(params) and max(errors.values()) < 1e-6
    wrong = {k: (2 * g if k == "W2" else g) for k, g in grads.items()}
    assert solutions["gradient_check"](loss_of, params, wrong)["W2"] > 0.1


def test_softmax_solution_is_finite_at_huge_scores(solutions):
    scores = np.array([[1000.0, 999.0, -1000.0], [-800.0, -801.0, -805.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, d = solutions["softmax_cross_entropy"](scores, np.array([0, 2]))
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    np.testing.assert_allclose(d.sum(axis=1), 0.0, atol=1e-15)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch10.check_sgd_momentum(momentum_with("lr inside"))
    lines = str(info.value).splitlines()
    assert lines[0].startswith("SGD with momentum on every parameter: your new velocity['W1']")
    assert "seed 0" in lines[1] and len(lines) <= 6
