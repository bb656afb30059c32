"""Chapter 3's exercise checks: other correct answers pass, typical mistakes are named.

Other correct implementations (another order of random draws, a list instead
of a generator, ...) must pass.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch03

CHAPTER = chapter("ch03")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- other correct answers pass


def sgd_step_indexed(params, grads, lr):
    for i in range(len(params)):
        params[i][...] = params[i] - lr * grads[i]
    return params  # returning the list is harmless


def minibatches_list(X, y, batch_size, rng):
    """A list instead of a generator; shuffles with rng.shuffle on an index array."""
    idx = np.arange(len(X))
    rng.shuffle(idx)
    return [
        (X[idx[i : i + batch_size]], y[idx[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    ]


def minibatches_choice_sorted(X, y, batch_size, rng):
    """rng.choice without replacement, and each batch's rows sorted: still a correct epoch."""
    order = rng.choice(len(X), size=len(X), replace=False)
    for start in range(0, len(X), batch_size):
        rows = np.sort(order[start : start + batch_size])
        yield X[rows], y[rows]


def minibatches_small_first(X, y, batch_size, rng):
    """The smaller batch first: every example is still used once per epoch."""
    order = rng.permutation(len(X))
    rest = len(X) % batch_size
    cuts = ([rest] if rest else []) + list(range(rest + batch_size, len(X), batch_size))
    yield from ((X[part], y[part]) for part in np.split(order, cuts) if len(part))


def train_with_mean_and_matrix(X, y, lr, epochs):
    w, b, losses = np.zeros(X.shape[1]), np.float64(0.0), np.empty(epochs)
    for t in range(epochs):
        r = X @ w + b - y
        losses[t] = (r**2).mean()
        w -= lr * 2 * (r @ X) / len(X)
        b -= lr * 2 * r.mean()
    return w, b, losses


def early_stopping_counter(val_losses, patience):
    best, best_epoch, wait = None, 0, 0
    for epoch, v in enumerate(val_losses):
        if best is None or v < best:
            best, best_epoch, wait = v, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


@pytest.mark.parametrize(
    "exercise_id, fn",
    [
        ("sgd_step", sgd_step_indexed),
        ("sgd_step", lambda ps, gs, lr: [np.subtract(p, lr * g, out=p) for p, g in zip(ps, gs)]),
        ("minibatches", minibatches_list),
        ("minibatches", minibatches_choice_sorted),
        ("minibatches", minibatches_small_first),
        ("train_linear_regression", train_with_mean_and_matrix),
        ("early_stopping", early_stopping_counter),
    ],
)
def test_other_correct_implementations_pass(exercise_id, fn):
    check(exercise_id)(fn)


# ---------------------------------------------------------------- catalogued mistakes: sgd_step


def sgd_rebinds(params, grads, lr):
    for p, g in zip(params, grads):
        p = p - lr * g  # the mistake under test: rebinds p


def sgd_replaces_entries(params, grads, lr):
    for i in range(len(params)):
        params[i] = params[i] - lr * grads[i]


def sgd_returns_copies(params, grads, lr):
    return [p - lr * g for p, g in zip(params, grads)]


def sgd_returns_early(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
        return


def sgd_scales_grads(params, grads, lr):
    for p, g in zip(params, grads):
        g *= lr
        p -= g


def sgd_with(update):
    def sgd_step(params, grads, lr):
        for p, g in zip(params, grads):
            p[...] = update(p, g, lr)

    return sgd_step


# ---------------------------------------------------------------- ... minibatches


def batches_from(order_fn, *, stop=None, count=None):
    """A generator of slices of ``order_fn(n, rng)``; ``stop``/``count`` give wrong loops."""

    def minibatches(X, y, batch_size, rng):
        n = len(X)
        order = order_fn(n, rng)
        end = n if stop is None else stop(n, batch_size)
        starts = (
            range(0, end, batch_size)
            if count is None
            else [k * batch_size for k in range(count(n, batch_size))]
        )
        for start in starts:
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]

    return minibatches


def mb_with_replacement(X, y, batch_size, rng):
    for _ in range(-(-len(X) // batch_size)):
        idx = rng.integers(0, len(X), size=min(batch_size, len(X)))
        yield X[idx], y[idx]


def mb_two_permutations(X, y, batch_size, rng):
    Xs, ys = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield Xs[start : start + batch_size], ys[start : start + batch_size]


def mb_shuffles_in_place(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X[...], y[...] = X[order], y[order]
    for start in range(0, len(X), batch_size):
        yield X[start : start + batch_size].copy(), y[start : start + batch_size].copy()


def mb_array_split(X, y, batch_size, rng):
    for idx in np.array_split(rng.permutation(len(X)), batch_size):
        if len(idx):
            yield X[idx], y[idx]


def mb_shuffles_batch_order(X, y, batch_size, rng):
    starts = rng.permutation(np.arange(0, len(X), batch_size))
    for start in starts:
        yield X[start : start + batch_size], y[start : start + batch_size]


def mb_forgot_return(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    _ = [
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    ]


def mb_wrong_row_layout(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx][:, ::-1], y[idx]


# ---------------------------------------------------------------- ... train_linear_regression


def trainer(
    *,
    sign=1.0,
    lr_used=True,
    average_grad=True,
    two=2.0,
    average_loss=True,
    record="before",
    bias=True,
    final_loss=False,
):
    """A learner's training loop, written out; the keywords plant one mistake each."""

    def train_linear_regression(X, y, lr, epochs):
        n, d = X.shape
        w, b, losses = np.zeros(d), 0.0, []
        for _ in range(epochs):
            pred = X @ w + b
            if record == "before":
                losses.append(np.mean((pred - y) ** 2) if average_loss else np.sum((pred - y) ** 2))
            grad_w = two * X.T @ (pred - y)
            grad_b = two * np.sum(pred - y)
            if average_grad:
                grad_w, grad_b = grad_w / n, grad_b / n
            step = lr if lr_used else 1.0
            w = w - sign * step * grad_w
            if bias:
                b = b - sign * step * grad_b
            if record == "after":
                losses.append(np.mean((X @ w + b - y) ** 2))
        if final_loss:
            losses.append(np.mean((X @ w + b - y) ** 2))
        return w, b, losses

    return train_linear_regression


def train_column_w(X, y, lr, epochs):
    w, b, losses = np.zeros((X.shape[1], 1)), 0.0, []
    for _ in range(epochs):
        r = (X @ w).ravel() + b - y
        losses.append(np.mean(r**2))
        w = w - lr * 2 * X.T @ r.reshape(-1, 1) / len(X)
        b = b - lr * 2 * r.mean()
    return w, b, losses


# ---------------------------------------------------------------- ... early_stopping


def stopper(
    *, ties=False, late=False, previous=False, argmin=False, none_at_end=False, count=False
):
    def early_stopping(val_losses, patience):
        best, best_epoch, wait = np.inf, 0, 0
        for epoch, v in enumerate(val_losses):
            if previous:
                wait = 0 if epoch == 0 or v < val_losses[epoch - 1] else wait + 1
            if v < best or (ties and v == best):
                best, best_epoch = v, epoch
            waited = wait if previous else epoch - best_epoch
            if (waited > patience) if late else (waited >= patience):
                return epoch, (int(np.argmin(val_losses)) if argmin else best_epoch)
        end = None if none_at_end else len(val_losses) if count else len(val_losses) - 1
        return end, (int(np.argmin(val_losses)) if argmin else best_epoch)

    return early_stopping


def early_stopping_falls_through(val_losses, patience):
    best, best_epoch = np.inf, 0
    for epoch, v in enumerate(val_losses):
        if v < best:
            best, best_epoch = v, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch


def early_stopping_sorts(val_losses, patience):
    val_losses.sort() if isinstance(val_losses, list) else val_losses.sort()
    return len(val_losses) - 1, len(val_losses) - 1


WRONG = [
    # sgd_step
    ("sgd_step", sgd_with(lambda p, g, lr: p + lr * g), "wrong sign of the update"),
    ("sgd_step", sgd_with(lambda p, g, lr: p - g), "forgot the learning rate"),
    ("sgd_step", sgd_with(lambda p, g, lr: p - g / lr), "divided by the learning rate"),
    ("sgd_step", sgd_rebinds, "only makes the name p point to a new array"),
    ("sgd_step", sgd_replaces_entries, "the list now holds new arrays"),
    ("sgd_step", sgd_returns_copies, "returned updated copies but left the parameters unchanged"),
    ("sgd_step", sgd_returns_early, "only the first parameter changed"),
    ("sgd_step", sgd_scales_grads, "changed its input `grads` in place"),
    # minibatches
    (
        "minibatches",
        batches_from(lambda n, rng: np.arange(n)),
        "the examples always come in their original order",
    ),
    (
        "minibatches",
        batches_from(lambda n, rng: rng.permutation(n), stop=lambda n, b: n - b + 1),
        "dropped the last, smaller batch",
    ),
    (
        "minibatches",
        batches_from(lambda n, rng: rng.permutation(n), count=lambda n, b: n // b + 1),
        "is empty",
    ),
    ("minibatches", mb_with_replacement, "came more than once in one epoch"),
    (
        "minibatches",
        batches_from(lambda n, rng: np.random.permutation(n)),  # noqa: NPY002
        "two generators with the same seed gave different batches",
    ),
    (
        "minibatches",
        batches_from(lambda n, rng: np.random.default_rng(0).permutation(n)),
        "generators with different seeds gave the same batches",
    ),
    (
        "minibatches",
        batches_from(
            lambda n, rng: np.random.default_rng(rng.bit_generator.seed_seq).permutation(n)
        ),
        "two epochs with the same generator gave the same batches",
    ),
    ("minibatches", mb_two_permutations, "the labels yb do not belong to the rows xb"),
    ("minibatches", mb_shuffles_in_place, "changed its input `X` in place"),
    ("minibatches", mb_array_split, "made batch_size = 3 batches instead of batches of 3 rows"),
    ("minibatches", mb_shuffles_batch_order, "every batch holds the same examples"),
    ("minibatches", mb_forgot_return, "minibatches returned None"),
    ("minibatches", mb_wrong_row_layout, "are not rows of X"),
    # train_linear_regression
    (
        "train_linear_regression",
        trainer(average_loss=False),
        "the loss is summed over the examples",
    ),
    ("train_linear_regression", trainer(record="after"), "recorded each loss after the update"),
    ("train_linear_regression", trainer(final_loss=True), "one loss too many"),
    ("train_linear_regression", trainer(sign=-1.0), "the steps go uphill"),
    ("train_linear_regression", trainer(lr_used=False), "forgot the learning rate"),
    (
        "train_linear_regression",
        trainer(average_grad=False),
        "did not average the gradient over the N examples",
    ),
    ("train_linear_regression", trainer(two=1.0), "a factor 2 is missing in the gradient"),
    ("train_linear_regression", trainer(bias=False), "b never changes"),
    ("train_linear_regression", train_column_w, "w is a column of shape (D, 1)"),
    # early_stopping
    ("early_stopping", stopper(ties=True), "an equal loss counted as an improvement"),
    ("early_stopping", stopper(late=True), "one epoch too late"),
    ("early_stopping", stopper(previous=True), "counted epochs since the last decrease"),
    ("early_stopping", stopper(argmin=True), "best_epoch looked at epochs that never ran"),
    ("early_stopping", stopper(count=True), "stop_epoch is its index, len(val_losses) - 1"),
    ("early_stopping", stopper(none_at_end=True), "returned None: when the rule never fires"),
    ("early_stopping", early_stopping_falls_through, "early_stopping returned None"),
]


@pytest.mark.parametrize("exercise_id, fn, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fn, message):
    fails_with(exercise_id, fn, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_in_place_failures_are_told_apart_by_kind():
    for fn in (sgd_rebinds, sgd_replaces_entries, sgd_returns_copies):
        with pytest.raises(ExerciseFailed) as info:
            ch03.check_sgd_step(fn)
        assert info.value.kind == "not_in_place"


def test_a_float32_parameter_stays_float32_with_the_solution(solutions):
    p, g = np.ones((2, 3), dtype=np.float32), np.full((2, 3), 0.5, dtype=np.float32)
    solutions["sgd_step"]([p], [g], 0.1)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, 0.95)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch03.check_sgd_step(sgd_with(lambda p, g, lr: p + lr * g))
    lines = str(info.value).splitlines()
    assert lines[0] == "Gradient-descent step, in place: your params[0] has wrong values"
    assert lines[1].startswith("  tried:          params (list), grads (list), lr=0.1 — seed 0")
    assert len(lines) <= 6
