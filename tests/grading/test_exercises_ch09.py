"""Chapter 9's exercise checks: other correct answers pass, typical mistakes are named.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import math

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, function_stub, mistake_ids

from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch09
from nnlib.grading.sandbox.helpers import RateStep

CHAPTER = chapter("ch09")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- quadratic_limit


def limit_with(how):
    return lambda A: 2.0 / how(A)


def gd_with(**kw):
    """The check's reference with one wrong variant planted."""
    return lambda A, c, w0, lr, steps: ch09.gd_reference(A, c, w0, lr, steps, **kw)


def limit_by_power_iteration(A):
    """Other correct answer: power iteration, as the chapter measures a network's curvature."""
    v = np.ones(len(A)) / np.sqrt(len(A)) + np.arange(len(A)) * 1e-3
    for _ in range(3000):
        v = A @ v
        v = v / np.linalg.norm(v)
    return float(2 / (v @ A @ v))


def gd_in_place_on_a_copy(A, c, w0, lr, steps):
    """Other correct answer: an in-place update of a copy, float losses in a list."""
    w = np.array(w0, copy=True)
    losses = [float(0.5 * w @ (A @ w) + np.dot(c, w))]
    for _ in range(steps):
        w -= lr * (A @ w + c)
        losses.append(float(0.5 * w @ (A @ w) + np.dot(c, w)))
    return w, losses


def gd_in_place_on_w0(A, c, w0, lr, steps):
    w = w0
    losses = [0.5 * w @ A @ w + c @ w]
    for _ in range(steps):
        w -= lr * (A @ w + c)
        losses.append(0.5 * w @ A @ w + c @ w)
    return w, np.array(losses)


def max_stable_lr(A):
    return 2.0 / np.linalg.eigvalsh(A).max()


# ---------------------------------------------------------------- warmup_cosine_lr


def schedule_with(**kw):
    return lambda t, lr, T, W, f0: ch09.schedule_reference(t, lr, T, W, f0, **kw)


def schedule_as_torch_chain(t, lr, total_steps, warmup_steps, start_factor):
    """Other correct answer: the two phases as interpolations, math.cos, a Python float."""
    if warmup_steps and t <= warmup_steps:
        frac = t / warmup_steps
        return float(lr * ((1 - frac) * start_factor + frac))
    done = (t - warmup_steps) / (total_steps - warmup_steps)
    return lr * (math.cos(math.pi * done) + 1) / 2


def schedule_degrees_numpy(t, lr, total_steps, warmup_steps, start_factor):
    """np.deg2rad used on the fraction: another way to get the angle wrong."""
    if t < warmup_steps:
        return lr * (start_factor + (1 - start_factor) * t / warmup_steps)
    return 0.5 * lr * (1 + np.cos(np.deg2rad((t - warmup_steps) / (total_steps - warmup_steps))))


# ---------------------------------------------------------------- lr_range_test


def range_with(**kw):
    """A learner's loop; the keywords plant one mistake each."""
    growth = kw.get("growth", "geometric")
    denominator = kw.get("denominator", -1)
    against = kw.get("against", "lowest")

    def lr_range_test(step, start_lr, end_lr, num_steps, stop_factor):
        lrs, losses, best, best_lr = [], [], math.inf, start_lr
        for k in range(num_steps):
            if growth == "geometric":
                lr = start_lr * (end_lr / start_lr) ** (k / (num_steps + denominator))
            else:
                lr = np.linspace(start_lr, end_lr, num_steps)[k]
            loss = step(lr)
            lrs.append(lr)
            losses.append(loss)
            ref = {"lowest": best, "first": losses[0] if k else math.inf}.get(against)
            if against == "previous":
                ref = losses[-2] if k else math.inf
            bad = loss > stop_factor * ref or (kw.get("nan", True) and not math.isfinite(loss))
            if kw.get("stops", True) and bad:
                if kw.get("drop_last"):
                    lrs.pop()
                    losses.pop()
                break
            if loss < best or (kw.get("ties") and loss == best):
                best, best_lr = loss, lr
        chosen = lrs[-1] if kw.get("last") else best_lr
        return lrs, losses, chosen * kw.get("tenth", 0.1)

    return lr_range_test


def range_geomspace(step, start_lr, end_lr, num_steps, stop_factor):
    """Other correct answer: np.geomspace, arrays, np.argmin over the finite losses."""
    rates = np.geomspace(start_lr, end_lr, num_steps)
    losses = []
    for k, lr in enumerate(rates):
        losses.append(step(lr))
        earlier = min(losses[:-1], default=np.inf)
        if np.isnan(losses[-1]) or np.isinf(losses[-1]) or losses[-1] > stop_factor * earlier:
            break
    losses = np.array(losses)
    lrs = rates[: len(losses)]
    finite = np.where(np.isfinite(losses), losses, np.inf)
    return lrs, losses, lrs[np.argmin(finite)] / 10


def range_test_late(step, start_lr, end_lr, num_steps, stop_factor):
    """Tests each loss only after the next step(lr) was taken: one call too many."""
    lrs, losses = [], []
    for k in range(num_steps):
        lr = start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))
        loss = step(lr)
        earlier = min(losses[:-1], default=math.inf)
        if losses and (not math.isfinite(losses[-1]) or losses[-1] > stop_factor * earlier):
            break
        lrs.append(lr)
        losses.append(loss)
    finite = [v if math.isfinite(v) else math.inf for v in losses]
    return lrs, losses, lrs[int(np.argmin(finite))] / 10


# ---------------------------------------------------------------- scaled_lrs


def scaled_with(**kw):
    return lambda base_lr, b0, sizes, rule, max_lr: ch09.scaled_reference(
        base_lr, b0, sizes, rule, max_lr, **kw
    )


def scaled_loop(base_lr, base_batch, batch_sizes, rule, max_lr):
    """Other correct answer: a loop over the sizes with min() and ** 0.5."""
    power = {"linear": 1.0, "sqrt": 0.5}[rule]
    return np.array([min(base_lr * (b / base_batch) ** power, max_lr) for b in batch_sizes])


def scaled_as_list(base_lr, base_batch, batch_sizes, rule, max_lr):
    return [min(base_lr * b / base_batch, max_lr) for b in batch_sizes]


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        ("quadratic_limit", (limit_by_power_iteration, gd_in_place_on_a_copy)),
        ("warmup_cosine_lr", schedule_as_torch_chain),
        ("lr_range_test", range_geomspace),
        ("scaled_lrs", scaled_loop),
    ],
    ids=["power-iteration-and-in-place-copy", "interpolations", "geomspace", "loop"],
)
def test_other_correct_implementations_pass(exercise_id, answer):
    args = answer if isinstance(answer, tuple) else (answer,)
    check(exercise_id)(*args)


GD = ch09.gd_reference
WRONG = [
    # quadratic_limit
    ("quadratic_limit", (lambda A: 1 / np.linalg.eigvalsh(A).max(), GD), "the limit is 2 / a"),
    ("quadratic_limit", (limit_with(lambda A: np.linalg.eigvalsh(A).min()), GD), "smallest"),
    ("quadratic_limit", (limit_with(lambda A: np.diag(A).max()), GD), "used the diagonal of A"),
    ("quadratic_limit", (limit_with(np.trace), GD), "used the trace of A"),
    ("quadratic_limit", (limit_with(np.linalg.norm), GD), "used a matrix norm of A"),
    ("quadratic_limit", (max_stable_lr, gd_with(with_c=False)), "c is missing"),
    ("quadratic_limit", (max_stable_lr, gd_with(sign=-1.0)), "moved uphill"),
    ("quadratic_limit", (max_stable_lr, gd_with(extra=1)), "took one step too many"),
    ("quadratic_limit", (max_stable_lr, gd_with(half=1.0)), "the 1/2 is missing"),
    ("quadratic_limit", (max_stable_lr, gd_with(first=False)), "losses starts with the loss"),
    ("quadratic_limit", (max_stable_lr, gd_in_place_on_w0), "changed its input `w0` in place"),
    # warmup_cosine_lr
    ("warmup_cosine_lr", schedule_with(shift=1), "off by one in the warm-up"),
    ("warmup_cosine_lr", schedule_with(from_zero=True), "the warm-up starts at start_factor"),
    ("warmup_cosine_lr", schedule_with(origin="0", span="T"), "the cosine starts where"),
    ("warmup_cosine_lr", schedule_with(span="T"), "wrong endpoint"),
    ("warmup_cosine_lr", schedule_with(angle=180.0), "np.cos takes radians"),
    ("warmup_cosine_lr", schedule_with(angle=1.0), "the pi is missing"),
    ("warmup_cosine_lr", schedule_degrees_numpy, "took the fraction for an angle in degrees"),
    ("warmup_cosine_lr", schedule_with(half=1.0), "the 0.5 is missing"),
    # lr_range_test
    ("lr_range_test", range_with(growth="linear"), "grows by the same factor"),
    ("lr_range_test", range_with(denominator=0), "off by one in the exponent"),
    ("lr_range_test", range_with(stops=False), "never stopped"),
    ("lr_range_test", range_with(against="first"), "compared with the first loss"),
    ("lr_range_test", range_with(against="previous"), "compared with the previous loss"),
    ("lr_range_test", range_with(nan=False), "did not stop at NaN"),
    ("lr_range_test", range_test_late, "test the loss right after step(lr)"),
    ("lr_range_test", range_with(drop_last=True), "left out the step that stopped"),
    ("lr_range_test", range_with(tenth=1.0), "suggested the rate of the lowest loss itself"),
    ("lr_range_test", range_with(last=True), "a tenth of the last rate tried"),
    ("lr_range_test", range_with(ties=True), "take the earliest step's rate"),
    # scaled_lrs
    ("scaled_lrs", scaled_with(inverted=True), "the ratio is upside down"),
    ("scaled_lrs", scaled_with(swapped=True), "the rules are swapped"),
    ("scaled_lrs", scaled_with(cap="none"), "no cap"),
    ("scaled_lrs", scaled_with(cap="max"), "np.maximum raises every rate"),
    ("scaled_lrs", scaled_with(integer=True), "integer division"),
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


def test_gd_stub_alone_is_not_implemented_yet(solutions):
    fails_with(
        "quadratic_limit",
        (solutions["max_stable_lr"], function_stub("quadratic_limit")),
        "not implemented yet",
    )


def test_scaled_rates_as_a_list_are_not_the_array_the_text_asks_for():
    fails_with("scaled_lrs", scaled_as_list, "your rates is not a NumPy array")


def test_gd_diverges_just_above_the_limit_and_converges_just_below(solutions):
    A = np.diag([0.5, 2.0, 4.0])
    limit = solutions["max_stable_lr"](A)
    assert limit == pytest.approx(0.5)
    below = solutions["gd_on_quadratic"](A, np.zeros(3), np.ones(3), 0.99 * limit, 400)[1]
    above = solutions["gd_on_quadratic"](A, np.zeros(3), np.ones(3), 1.01 * limit, 400)[1]
    assert below[-1] < 1e-6 < 1e3 < above[-1]


def test_the_schedule_starts_peaks_and_ends_where_the_text_says(solutions):
    rate = solutions["warmup_cosine_lr"]
    assert rate(0, 0.5, 100, 10, 0.1) == pytest.approx(0.05)
    assert rate(10, 0.5, 100, 10, 0.1) == pytest.approx(0.5)
    assert rate(55, 0.5, 100, 10, 0.1) == pytest.approx(0.25)
    assert rate(100, 0.5, 100, 10, 0.1) == pytest.approx(0.0, abs=1e-15)


def test_the_range_test_suggests_a_tenth_of_the_rate_below_the_blow_up(solutions):
    step = RateStep([2.0, 1.0, 0.5, 0.4, 0.6, 5.0, 0.1])
    lrs, losses, suggested = solutions["lr_range_test"](step, 1e-3, 1.0, 7, 4.0)
    assert len(lrs) == len(losses) == len(step.rates) == 6  # stopped at 5.0 > 4 x 0.4
    assert np.allclose(np.diff(np.log(lrs)), np.log(10) / 2)  # a factor sqrt(10) per step
    assert suggested == pytest.approx(lrs[3] / 10)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch09.check_warmup_cosine_lr(schedule_with(span="T"))
    lines = str(info.value).splitlines()
    assert lines[0].startswith("Linear warm-up, then cosine decay: your rate at t = ")
    assert "step" in lines[1] and len(lines) <= 6
