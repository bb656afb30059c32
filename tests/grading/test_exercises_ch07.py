"""Chapter 7's exercise checks: other correct answers pass, typical mistakes are named.

Edge cases the checks must get right are tested here too: all-zero gradients, a
single array, float32 arrays, renamed parameters.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import math

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

CHAPTER = chapter("ch07")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- other correct answers pass


def sigmoid_prime_exp(z):
    e = np.exp(-np.abs(z))  # sigmoid'(z) = e^-|z| / (1 + e^-|z|)^2, symmetric in z
    return e / (1 + e) ** 2


def chain_log_space(z, w):
    s = 1 / (1 + np.exp(-z))
    log_mag = np.sum(np.log(np.abs(w)) + np.log(s) + np.log1p(-s), axis=1)
    return (np.prod(np.sign(w)) * np.exp(log_mag)).astype(z.dtype)


def guard_for_loop(step, n_steps):
    losses = []
    for _ in range(n_steps):
        losses.append(step())
        if np.isnan(losses[-1]) or np.isinf(losses[-1]):
            break
    return np.array(losses)


def clip_norm_torch_style(grads, max_norm):
    total = np.linalg.norm([np.linalg.norm(g) for g in grads])  # norm of the norms
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= coef  # always scales (by 1.0 when there is nothing to clip), as torch does
    return float(total)


def clip_norm_flat(gradients, limit):  # other parameter names, no 1e-6, g[...] =
    flat = np.concatenate([g.ravel() for g in gradients])
    norm = np.sqrt(flat @ flat)
    if norm > limit:
        for g in gradients:
            g[...] = g * (limit / norm)
    return norm


@pytest.mark.parametrize(
    "exercise_id, fn",
    [
        ("chain_gradient", lambda z, w: np.prod(w * sigmoid_prime_exp(z), axis=1)),
        ("chain_gradient", chain_log_space),  # warns at |z| = 800 (log 0), still right
        ("layer_grad_norms", lambda grads: [np.linalg.norm(g) for g in grads]),  # a list
        ("layer_grad_norms", lambda grads: np.array([np.linalg.norm(g, "fro") for g in grads])),
        ("layer_grad_norms", lambda grads: tuple(float(np.sqrt(np.vdot(g, g))) for g in grads)),
        ("train_with_guard", guard_for_loop),
        ("clip_by_value", lambda grads, c: [np.clip(g, -c, c) for g in grads]),
        (
            "clip_by_value",
            lambda grads, c: tuple(np.where(np.abs(g) > c, np.sign(g) * c, g) for g in grads),
        ),
        ("clip_grad_norm_", clip_norm_torch_style),
        ("clip_grad_norm_", clip_norm_flat),
    ],
)
def test_other_correct_implementations_pass(exercise_id, fn):
    check(exercise_id)(fn)


# ---------------------------------------------------------------- catalogued mistakes


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def d_sigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))


def chain_exp_form(z, w):
    e = np.exp(-z)
    return np.prod(w * e / (1 + e) ** 2, axis=1)


def norms_per_row(grads):
    return [np.linalg.norm(g, axis=1) for g in grads]


def guard(is_bad, late=False, keep_bad=True, extra=0):
    """A guarded loop with a configurable test and bugs."""

    def train_with_guard(step, n_steps):
        losses = []
        for _ in range(n_steps + extra):
            loss = step()
            if late and losses and is_bad(losses[-1]):  # tests the previous loss
                break
            if not late and is_bad(loss):
                if keep_bad:
                    losses.append(loss)
                break
            losses.append(loss)
        return losses

    return train_with_guard


def forgets_return(step, n_steps):
    losses = []
    for _ in range(n_steps):
        losses.append(step())
        if not math.isfinite(losses[-1]):
            break


def value_in_place(grads, c):
    for g in grads:
        np.clip(g, -c, c, out=g)
    return grads


def value_replaces_entries(grads, c):
    for i, g in enumerate(grads):
        grads[i] = np.clip(g, -c, c)
    return list(grads)


def value_aliases_unclipped(grads, c):
    return [g if np.all(np.abs(g) <= c) else np.clip(g, -c, c) for g in grads]


def global_norm(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def norm_clip(norm_fn=global_norm, scale_fn=None, report=None, rebind=False):
    """A clip_grad_norm_ with a configurable norm, scale and returned value."""
    scale_fn = scale_fn or (lambda t, m: m / (t + 1e-6) if t > m else 1.0)

    def clip_grad_norm_(grads, max_norm):
        total = norm_fn(grads)
        scale = scale_fn(total, max_norm)
        for g in grads:
            if rebind:
                g = g * scale  # noqa: PLW2901 - the bug under test
            else:
                g *= scale
        return total if report is None else report(grads, total)

    return clip_grad_norm_


def norm_each_array(grads, max_norm):
    for g in grads:
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return global_norm(grads)


def norm_replaces_entries(grads, max_norm):
    total = global_norm(grads)
    if total > max_norm:
        for i, g in enumerate(grads):
            grads[i] = g * (max_norm / total)
    return total


def norm_zero_division(grads, max_norm):
    total = global_norm(grads)
    scale = max_norm / total  # ZeroDivisionError when every gradient is 0
    if scale < 1:
        for g in grads:
            g *= scale
    return total


def norm_zero_nan(grads, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in grads))  # a NumPy float: 0 / 0 is NaN
    for g in grads:
        g *= min(total, max_norm) / total
    return total


def norm_per_row(grads, max_norm):
    for g in grads:
        rows = np.linalg.norm(g, axis=-1, keepdims=True)
        g *= np.minimum(1.0, max_norm / (rows + 1e-6))
    return global_norm(grads)


def norm_by_value(grads, max_norm):
    total = global_norm(grads)
    for g in grads:
        np.clip(g, -max_norm, max_norm, out=g)
    return total


def reports_after(grads, total):
    return global_norm(grads)


def sum_of_norms(grads):
    return sum(float(np.linalg.norm(g)) for g in grads)


WRONG = [
    # chain_gradient
    ("chain_gradient", chain_exp_form, "NaN for large |z|"),
    ("chain_gradient", lambda z, w: np.prod(w * d_sigmoid(z), axis=0), "multiplied over the N"),
    ("chain_gradient", lambda z, w: np.prod(d_sigmoid(z), axis=1), "forgot the weights"),
    ("chain_gradient", lambda z, w: np.prod(w * sigmoid(z), axis=1), "used sigmoid(z) where"),
    ("chain_gradient", lambda z, w: np.prod(w * z * (1 - z), axis=1), "applied s (1 - s) to z"),
    (
        "chain_gradient",
        lambda z, w: np.prod(w * d_sigmoid(sigmoid(z)), axis=1),
        "applied the sigmoid twice",
    ),
    ("chain_gradient", lambda z, w: np.sum(w * d_sigmoid(z), axis=1), "added the layers' factors"),
    (
        "chain_gradient",
        lambda z, w: np.prod(w * d_sigmoid(z.astype(float)), axis=1),
        "float32 inputs came back as float64",
    ),
    # layer_grad_norms
    (
        "layer_grad_norms",
        lambda grads: np.sum([np.sum(g**2) for g in grads]) ** 0.5,
        "one number for all layers",
    ),
    ("layer_grad_norms", norms_per_row, "took the norm along one axis"),
    (
        "layer_grad_norms",
        lambda grads: np.array([np.linalg.norm(g, axis=0)[:2] for g in grads]),
        "took the norm along one axis",
    ),
    (
        "layer_grad_norms",
        lambda grads: np.array([np.sum(g**2) for g in grads]),
        "forgot the square root",
    ),
    (
        "layer_grad_norms",
        lambda grads: np.array([np.linalg.norm(g, 2) for g in grads]),
        "spectral norm",
    ),
    (
        "layer_grad_norms",
        lambda grads: np.array([np.sqrt(np.mean(g**2)) for g in grads]),
        "averaged the squares",
    ),
    ("layer_grad_norms", lambda grads: np.array([np.abs(g).sum() for g in grads]), "the L1 norm"),
    ("layer_grad_norms", lambda grads: np.array([np.abs(g).max() for g in grads]), "the max norm"),
    # train_with_guard
    ("train_with_guard", guard(lambda v: v == np.nan), "`loss == np.nan` is always False"),
    ("train_with_guard", guard(np.isnan), "np.isnan() is False for inf and -inf"),
    ("train_with_guard", guard(lambda v: not v < 1e10), "stopped at a finite loss (1e+30)"),
    ("train_with_guard", guard(lambda v: not math.isfinite(v), late=True), "one step too late"),
    (
        "train_with_guard",
        guard(lambda v: not math.isfinite(v), keep_bad=False),
        "left out the non-finite loss",
    ),
    ("train_with_guard", guard(lambda v: not math.isfinite(v), extra=1), "loop exactly n_steps"),
    ("train_with_guard", forgets_return, "a missing `return losses`?"),
    # clip_by_value
    (
        "clip_by_value",
        lambda grads, c: [np.minimum(g, c) for g in grads],
        "clipped only the large positive",
    ),
    (
        "clip_by_value",
        lambda grads, c: [np.maximum(g, -c) for g in grads],
        "clipped only the large negative",
    ),
    (
        "clip_by_value",
        lambda grads, c: [np.clip(g, 0, c) for g in grads],
        "clipped into [0, clip_value]",
    ),
    (
        "clip_by_value",
        lambda grads, c: [np.sign(g) * c for g in grads],
        "set every entry to ±clip_value",
    ),
    (
        "clip_by_value",
        lambda grads, c: [g * min(1.0, c / np.linalg.norm(g)) for g in grads],
        "scaled each array by its norm",
    ),
    ("clip_by_value", lambda grads, c: [g.copy() for g in grads], "nothing was clipped"),
    ("clip_by_value", value_in_place, "changed the arrays in grads"),
    ("clip_by_value", value_replaces_entries, "changed the list grads"),
    ("clip_by_value", value_aliases_unclipped, "is one of the input arrays"),
    (
        "clip_by_value",
        lambda grads, c: np.concatenate([np.clip(g, -c, c).ravel() for g in grads]),
        "do not concatenate them",
    ),
    (
        "clip_by_value",
        lambda grads, c: [np.clip(g, -c, c).astype(np.float64) for g in grads],
        "float32 inputs came back as float64",
    ),
    # clip_grad_norm_
    ("clip_grad_norm_", norm_each_array, "clipped each array by its own norm"),
    (
        "clip_grad_norm_",
        norm_clip(norm_fn=lambda gs: global_norm(gs) ** 2),
        "forgot the square root",
    ),
    ("clip_grad_norm_", norm_clip(report=reports_after), "returned the norm after clipping"),
    (
        "clip_grad_norm_",
        norm_clip(scale_fn=lambda t, m: m / (t + 1e-6)),
        "scaled gradients whose norm was already below max_norm",
    ),
    (
        "clip_grad_norm_",
        norm_clip(scale_fn=lambda t, m: t / m if t > m else 1.0),
        "the scale is upside down",
    ),
    ("clip_grad_norm_", norm_clip(norm_fn=sum_of_norms), "added the arrays' norms"),
    ("clip_grad_norm_", norm_zero_division, "divided by zero"),
    ("clip_grad_norm_", norm_zero_nan, "all-zero gradients gave NaN"),
    ("clip_grad_norm_", norm_per_row, "scaled each row by its own norm"),
    ("clip_grad_norm_", norm_by_value, "that is clipping by value"),
    ("clip_grad_norm_", norm_clip(rebind=True), "the arrays in grads did not change"),
    ("clip_grad_norm_", norm_replaces_entries, "replaced the entries of the list grads"),
    (
        "clip_grad_norm_",
        norm_clip(report=lambda grads, t: [np.linalg.norm(g) for g in grads]),
        "returned one norm per array",
    ),
    ("clip_grad_norm_", norm_clip(report=lambda grads, t: None), "return the total norm measured"),
]


@pytest.mark.parametrize("exercise_id, fn, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fn, message):
    fails_with(exercise_id, fn, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS, may_share=("took the norm along one axis",))


# ---------------------------------------------------------------- edge cases of the checks


def test_clip_by_value_checks_float32_and_all_zero_cases():
    """A solution that only breaks on float32 or on zeros is caught on that case."""

    def breaks_on_zeros(grads, c):
        if all(not np.any(g) for g in grads):
            return [np.full(g.shape, np.nan, dtype=g.dtype) for g in grads]
        return [np.clip(g, -c, c) for g in grads]

    failure = fails_with("clip_by_value", breaks_on_zeros, "contains NaN")
    assert "seed 5" in str(failure)


def test_clip_grad_norm_float32_arrays_stay_float32():
    def upcasts_in_place(grads, max_norm):  # in-place scaling cannot upcast, so
        for i, g in enumerate(grads):  # replacing with float64 copies is the only way
            grads[i] = g.astype(np.float64)
        return global_norm(grads)

    failure = fails_with("clip_grad_norm_", upcasts_in_place, "replaced the entries")
    assert failure.kind == "not_in_place"


def test_clip_grad_norm_single_array_and_zero_gradients_are_checked():
    seen = []

    def records(grads, max_norm):
        seen.append([g.copy() for g in grads])
        return clip_norm_torch_style(grads, max_norm)

    check("clip_grad_norm_")(records)
    assert any(len(gs) == 1 for gs in seen)
    assert any(all(not np.any(g) for g in gs) for gs in seen)
    assert any(g.dtype == np.float32 for gs in seen for g in gs)
    assert any(g.ndim == 1 for gs in seen for g in gs) and any(
        g.ndim == 3 for gs in seen for g in gs
    )


def test_renamed_parameters_are_fine_for_in_place_and_copy_checks():
    check("clip_grad_norm_")(clip_norm_flat)
    check("clip_by_value")(
        lambda gradients, threshold: [np.clip(g, -threshold, threshold) for g in gradients]
    )


def test_chain_gradient_is_judged_relatively_for_tiny_products():
    """0.25^10 is ~1e-6: a fixed absolute tolerance would let zeros pass."""
    fails_with("chain_gradient", lambda z, w: np.zeros(z.shape[0], dtype=z.dtype), "wrong values")


def test_guard_failure_says_how_often_step_was_called():
    failure = fails_with("train_with_guard", guard(np.isnan), "did not stop at inf")
    assert "called step() 7 times; expected 4 (the loss became inf at call 4)" in str(failure)
