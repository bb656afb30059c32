"""Chapter 1's exercise checks: other correct answers pass, typical mistakes are named.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch01

CHAPTER = chapter("ch01")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- other correct answers pass


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize(
    "exercise_id, fn",
    [
        ("dense_forward", lambda x, W, b: np.dot(x, W) + b),
        ("dense_forward", lambda x, W, b: np.einsum("nd,dh->nh", x, W) + b[None, :]),
        ("sigmoid_neuron", lambda x, w, b: naive_sigmoid(x @ w + b)),  # overflows, still right
        ("sigmoid_neuron", lambda x, w, b: np.exp(-np.logaddexp(0, -(x @ w + b)))),
        ("mse_loss", lambda p, t: np.mean((p - t) ** 2)),
        ("mse_loss", lambda p, t: ((p - t) ** 2).mean()),
        ("bce_with_logits", lambda z, y: np.mean(np.logaddexp(0, z) - z * y)),
        (
            "bce_with_logits",
            lambda z, y: np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)),
        ),
        (
            "cross_entropy",
            lambda z, y: np.mean(np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]),
        ),
    ],
)
def test_other_correct_implementations_pass(exercise_id, fn):
    check(exercise_id)(fn)


# ---------------------------------------------------------------- catalogued mistakes


def mutates_x(x, W, b):
    out = x @ W + b
    x[:] = 0.0
    return out


def exp_over_one_plus_exp(x, w, b):
    e = np.exp(x @ w + b)
    return e / (1 + e)


def naive_bce(z, y):
    p = naive_sigmoid(z)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def clipped_bce(z, y):
    p = np.clip(naive_sigmoid(z), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def naive_ce(z, y):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def log_of_softmax_ce(z, y):
    return -np.mean(np.log(softmax_rows(z)[np.arange(len(y)), y]))


def clipped_ce(z, y):
    return -np.mean(np.log(np.clip(softmax_rows(z), 1e-12, 1.0)[np.arange(len(y)), y]))


def log_softmax(z, axis=1):
    s = z - z.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def global_max_ce(logits, y):
    """Subtracts the largest logit of the whole batch: right while every row has that maximum."""
    s = logits - logits.max()
    log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


WRONG = [
    # dense_forward
    ("dense_forward", lambda x, W, b: x @ W, "forgot the bias"),
    ("dense_forward", lambda x, W, b: x @ W - b, "subtracted the bias"),
    ("dense_forward", lambda x, W, b: x @ W.T + b, "used W transposed"),
    ("dense_forward", lambda x, W, b: (x @ W + b).T, "the result is transposed, (H, N)"),
    (
        "dense_forward",
        lambda x, W, b: (x @ W + b).astype(np.float64),
        "float32 inputs came back as float64",
    ),
    ("dense_forward", mutates_x, "changed its input `x` in place"),
    # sigmoid_neuron
    ("sigmoid_neuron", lambda x, w, b: x @ w + b, "returned z without the sigmoid"),
    ("sigmoid_neuron", lambda x, w, b: naive_sigmoid(x @ w), "forgot the bias"),
    ("sigmoid_neuron", lambda x, w, b: 1 / (1 + np.exp(x @ w + b)), "a sign in the sigmoid"),
    ("sigmoid_neuron", lambda x, w, b: np.tanh(x @ w + b), "used tanh"),
    (
        "sigmoid_neuron",
        lambda x, w, b: naive_sigmoid(x @ w[:, None] + b),
        "returned a column of shape (N, 1)",
    ),
    ("sigmoid_neuron", exp_over_one_plus_exp, "is inf / inf = NaN"),
    (
        "sigmoid_neuron",
        lambda x, w, b: naive_sigmoid(x @ w + b).astype(np.float64),
        "float32 inputs came back as float64",
    ),
    # mse_loss
    ("mse_loss", lambda p, t: np.sum((p - t) ** 2), "summed the squared errors"),
    ("mse_loss", lambda p, t: np.sum((p - t) ** 2) / len(p), "divided by N only"),
    ("mse_loss", lambda p, t: np.sqrt(np.mean((p - t) ** 2)), "took the square root"),
    ("mse_loss", lambda p, t: np.mean(np.abs(p - t)), "used the absolute error"),
    ("mse_loss", lambda p, t: 0.5 * np.mean((p - t) ** 2), "a factor 1/2 too many"),
    ("mse_loss", lambda p, t: np.mean((p - t) ** 2, axis=-1), "averaged each row separately"),
    # bce_with_logits
    ("bce_with_logits", naive_bce, "log(sigmoid(z)) reaches log(0) = -inf"),
    ("bce_with_logits", clipped_bce, "right for small logits but off for large |z|"),
    ("bce_with_logits", lambda z, y: -naive_bce(z, y), "forgot the minus sign"),
    ("bce_with_logits", lambda z, y: naive_bce(z, y) * z.size, "summed over the entries"),
    ("bce_with_logits", lambda z, y: naive_bce(z, y) * z.size / len(z), "divided by N only"),
    (
        "bce_with_logits",
        lambda z, y: -np.mean(y * np.log(naive_sigmoid(z))),
        "left out the (1 - y) log(1 - p) term",
    ),
    ("bce_with_logits", lambda z, y: naive_bce(z, 1 - y), "swapped the labels"),
    # cross_entropy
    ("cross_entropy", naive_ce, "np.exp overflowed for large logits"),
    ("cross_entropy", global_max_ce, "subtracted the maximum of the whole array"),
    ("cross_entropy", log_of_softmax_ce, "log(softmax) gave log(0) = -inf"),
    ("cross_entropy", clipped_ce, "right for small logits but off for large ones"),
    (
        "cross_entropy",
        lambda z, y: -np.sum(log_softmax(z)[np.arange(len(y)), y]),
        "summed over the batch",
    ),
    (
        "cross_entropy",
        lambda z, y: -np.sum(log_softmax(z)[np.arange(len(y)), y]) / z.size,
        "divided by N*C",
    ),
    (
        "cross_entropy",
        lambda z, y: -log_softmax(z)[np.arange(len(y)), y],
        "returned one loss per example",
    ),
    (
        "cross_entropy",
        lambda z, y: -np.mean(log_softmax(z).sum(axis=1)),
        "added -log p over every class",
    ),
    (
        "cross_entropy",
        lambda z, y: -np.mean(log_softmax(z, axis=0)[np.arange(len(y)), y]),
        "took the softmax over the batch (axis 0)",
    ),
    ("cross_entropy", lambda z, y: -np.mean(log_softmax(z)[:, y]), "indexed with [:, y]"),
    (
        "cross_entropy",
        lambda z, y: np.mean(log_softmax(z)[np.arange(len(y)), y]),
        "forgot the minus sign",
    ),
]


@pytest.mark.parametrize("exercise_id, fn, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fn, message):
    fails_with(exercise_id, fn, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch01.check_dense_forward(lambda x, W, b: x @ W)
    lines = str(info.value).splitlines()
    assert lines[0] == "Dense layer forward pass: your out has wrong values"
    assert (
        lines[1] == "  tried:          x (4, 3) float64, W (3, 3) float64, b (3,) float64 — seed 0"
    )
    assert len(lines) <= 6
