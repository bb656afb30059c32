"""Chapter 8's exercise checks: other correct answers pass, typical mistakes are named.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, function_stub, mistake_ids

from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch08

CHAPTER = chapter("ch08")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- l2_regularize


def l2_with(*, half=0.5, biases=False, factor=1.0, bias_grad=False, reduce=np.sum, in_place=False):
    """A learner's L2 step, written out; the keywords plant one mistake each."""

    def l2_regularize(loss, params, grads, lam):
        names = [k for k in params if k.startswith("W") or biases]
        total = loss + half * lam * sum(reduce(params[k] ** 2) for k in names)
        new = grads if in_place else {}
        for k in grads:
            if k.startswith("W") or bias_grad:
                if in_place:
                    grads[k] += factor * lam * params[k]
                else:
                    new[k] = grads[k] + factor * lam * params[k]
            else:
                new[k] = grads[k]
        return total, new

    return l2_regularize


def l2_comprehension(loss, params, grads, lam):
    """Other correct answer: a dict comprehension, float() loss, copies of the bias grads."""
    penalty = sum(float((p * p).sum()) for k, p in params.items() if k[0] == "W")
    new = {k: (g + lam * params[k] if k[0] == "W" else g.copy()) for k, g in grads.items()}
    return float(loss) + 0.5 * lam * penalty, new


def l2_as_list(loss, params, grads, lam):
    return [loss, {k: g for k, g in grads.items()}]  # forgets the penalty; a list, not a tuple


# ---------------------------------------------------------------- l1_proximal_step


def l1_with(**kw):
    """The check's reference with one wrong variant planted."""
    return lambda w, dw, lr, lam: ch08.l1_reference(w, dw, lr, lam, **kw)


def l1_where(w, dw, lr, lam):
    """Other correct answer: the three cases written out."""
    z = w - lr * dw
    t = lr * lam
    return np.where(z > t, z - t, np.where(z < -t, z + t, 0.0)).astype(w.dtype)


def l1_clip(w, dw, lr, lam):
    """Other correct answer: z minus its clipped part."""
    z = w - lr * dw
    return z - np.clip(z, -lr * lam, lr * lam)


def l1_nearly_zero(w, dw, lr, lam):
    z = w - lr * dw
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 1e-12)


# ---------------------------------------------------------------- dropout


def dropout_with(*, scale="inverted", keep_prob=None, eval_mode="identity", shared=None, rng=None):
    """A learner's dropout forward pass; the keywords plant one mistake each."""

    def dropout_forward(h, p, rng_, train=True):
        if not train:
            if eval_mode == "scaled":
                return h * (1 - p), np.ones_like(h)
            if eval_mode == "drops":
                train = True
            else:
                return h, np.ones_like(h)
        gen = rng_ if rng is None else rng()
        q = p if keep_prob is None else keep_prob(p)
        shape = h.shape if shared is None else shared(h.shape)
        keep = gen.random(shape) >= q
        keep = np.broadcast_to(keep, h.shape)
        if scale == "inverted":
            mask = keep.astype(h.dtype) / (1 - p)
        elif scale == "none":
            mask = keep.astype(h.dtype)
        else:  # "times": multiplied by 1 - p
            mask = keep.astype(h.dtype) * (1 - p)
        return h * mask, mask

    return dropout_forward


def dropout_backward(dout, mask):
    return dout * mask


def dropout_forward_binomial(h, p, rng, train=True):
    """Other correct answer: a binomial draw, and a copy in eval mode."""
    if not train:
        return h.copy(), np.ones(h.shape, dtype=h.dtype)
    mask = (rng.binomial(1, 1 - p, size=h.shape) / (1 - p)).astype(h.dtype)
    return mask * h, mask


def dropout_forward_scaled_out(h, p, rng, train=True):
    """Mask kept as 0/1, out scaled correctly: the mask is not what the text asks for."""
    if not train:
        return h, np.ones_like(h)
    keep = (rng.random(h.shape) >= p).astype(h.dtype)
    return h * keep / (1 - p), keep


def dropout_forward_keep_below(h, p, rng, train=True):
    """Other correct answer: keep where u < 1 - p."""
    if not train:
        return h, np.ones_like(h)
    mask = np.where(rng.random(h.shape) < 1 - p, 1 / (1 - p), 0.0).astype(h.dtype)
    return h * mask, mask


# ---------------------------------------------------------------- train_with_early_stopping


def stopping_with(*, ties=False, late=False, previous=False, copy=True, never_stops=False,
                  one_based=False, measure_first=False):  # fmt: skip
    """A learner's early-stopping loop; the keywords plant one mistake each."""

    def train_with_early_stopping(w, step, val_loss, max_epochs, patience):
        best, best_epoch, best_w, prev, wait = np.inf, 0, w.copy(), np.inf, 0
        for epoch in range(max_epochs):
            if measure_first:
                loss = val_loss(w)
                step(w)
            else:
                step(w)
                loss = val_loss(w)
            wait = 0 if loss < prev else wait + 1
            prev = loss
            if loss < best or (ties and loss == best):
                best, best_epoch = loss, epoch
                best_w = w.copy() if copy else w
            since = wait if previous else epoch - best_epoch
            if not never_stops and (since > patience if late else since >= patience):
                break
        return best_epoch + (1 if one_based else 0), best_w

    return train_with_early_stopping


def stopping_counter(w, step, val_loss, max_epochs, patience):
    """Other correct answer: a wait counter, a while loop, np.array copies, a list result."""
    best, best_epoch, best_w, wait, epoch = None, 0, None, 0, 0
    while epoch < max_epochs:
        step(w)
        loss = val_loss(w)
        if best is None or loss < best:
            best, best_epoch, best_w, wait = loss, epoch, np.array(w), 0
        else:
            wait += 1
            if wait >= patience:
                break
        epoch += 1
    return [best_epoch, best_w]


def stopping_keeps_start(w, step, val_loss, max_epochs, patience):
    best, best_epoch, best_w = np.inf, 0, w.copy()
    for epoch in range(max_epochs):
        step(w)
        loss = val_loss(w)
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            break
    return best_epoch, best_w


# ---------------------------------------------------------------- adam_decay_step


def adam_with(when=None, **kw):
    """The check's reference with one wrong variant planted (only for ``decoupled=when``)."""

    def adam_decay_step(w, g, m, v, t, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
        planted = kw if when is None or when == decoupled else {}
        return ch08.adam_reference(
            w, g, m, v, t, lr, weight_decay, decoupled, betas, eps, **planted
        )

    return adam_decay_step


def adam_torch_style(w, g, m, v, t, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
    """Other correct answer: torch's arrangement of the bias corrections."""
    b1, b2 = betas
    p = w.copy()
    if decoupled:
        p *= 1 - lr * weight_decay
    else:
        g = g + weight_decay * w
    m = m * b1 + g * (1 - b1)
    v = v * b2 + g * g * (1 - b2)
    denom = np.sqrt(v) / np.sqrt(1 - b2**t) + eps
    p -= (lr / (1 - b1**t)) * m / denom
    return p, m, v


def adam_in_place(w, g, m, v, t, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    g = g + (0 if decoupled else weight_decay) * w
    m *= b1
    m += (1 - b1) * g
    v[...] = b2 * v + (1 - b2) * g**2
    w = w * (1 - lr * weight_decay) if decoupled else w
    return w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        ("l2_regularize", l2_comprehension),
        ("l1_proximal_step", l1_where),
        ("l1_proximal_step", l1_clip),
        ("dropout", (dropout_forward_binomial, dropout_backward)),
        ("dropout", (dropout_forward_keep_below, lambda dout, mask: np.multiply(mask, dout))),
        ("train_with_early_stopping", stopping_counter),
        ("adam_decay_step", adam_torch_style),
    ],
    ids=[
        "l2-comprehension",
        "l1-where",
        "l1-clip",
        "dropout-binomial",
        "dropout-keep-below",
        "stop-counter",
        "adam-torch",
    ],
)
def test_other_correct_implementations_pass(exercise_id, answer):
    args = answer if isinstance(answer, tuple) else (answer,)
    check(exercise_id)(*args)


WRONG = [
    # l2_regularize
    ("l2_regularize", l2_with(half=1.0), "the 1/2 is there so that its derivative"),
    ("l2_regularize", l2_with(biases=True), "the biases were penalised"),
    ("l2_regularize", l2_with(reduce=np.mean), "took the mean of the squares"),
    ("l2_regularize", l2_with(half=-0.5), "the penalty was subtracted"),
    ("l2_regularize", l2_with(half=0.0), "the penalty is missing from the loss"),
    ("l2_regularize", l2_with(factor=2.0), "is lam * W, not 2 * lam * W"),
    ("l2_regularize", l2_with(bias_grad=True), "a bias gradient changed"),
    ("l2_regularize", l2_with(factor=-1.0), "wrong sign: the penalty's gradient"),
    ("l2_regularize", l2_with(factor=0.0), "the penalty also changes the gradient"),
    ("l2_regularize", l2_with(in_place=True), "changed its input `grads` in place"),
    ("l2_regularize", l2_as_list, "the penalty is missing from the loss"),
    # l1_proximal_step
    ("l1_proximal_step", l1_with(kind="subgradient"), "a plain subgradient step"),
    ("l1_proximal_step", l1_with(threshold="lam"), "the threshold is lr * lam"),
    ("l1_proximal_step", l1_with(kind="hard"), "set the small weights to 0 but left the others"),
    ("l1_proximal_step", l1_with(shrink_first=True), "shrank the weights before the gradient step"),
    ("l1_proximal_step", l1_with(grad_step=False), "the data's gradient step is missing"),
    ("l1_proximal_step", l1_nearly_zero, "should be exactly 0"),
    # dropout
    ("dropout", (dropout_with(scale="none"), dropout_backward), "the mask holds 0 and 1"),
    (
        "dropout",
        (dropout_with(scale="times"), dropout_backward),
        "divided by (1 - p), not multiplied",
    ),
    ("dropout", (dropout_forward_scaled_out, dropout_backward), "it carries the scale too"),
    (
        "dropout",
        (dropout_with(keep_prob=lambda p: 1 - p), dropout_backward),
        "p is the probability of dropping a unit",
    ),
    (
        "dropout",
        (dropout_with(shared=lambda s: (1, *s[1:])), dropout_backward),
        "every example got the same mask",
    ),
    (
        "dropout",
        (dropout_with(shared=lambda s: (*s[:-1], 1)), dropout_backward),
        "every unit of an example is dropped or kept together",
    ),
    (
        "dropout",
        (dropout_with(eval_mode="scaled"), dropout_backward),
        "the old, non-inverted dropout",
    ),
    (
        "dropout",
        (dropout_with(eval_mode="drops"), dropout_backward),
        "units were dropped with train=False",
    ),
    (
        "dropout",
        (dropout_with(rng=lambda: np.random.default_rng()), dropout_backward),
        "two generators with the same seed gave different masks",
    ),
    (
        "dropout",
        (dropout_with(rng=lambda: np.random.default_rng(0)), dropout_backward),
        "generators with different seeds gave the same mask",
    ),
    (
        "dropout",
        (dropout_with(), lambda dout, mask: dout * (mask > 0)),
        "the backward pass needs the scale too",
    ),
    ("dropout", (dropout_with(), lambda dout, mask: dout.copy()), "multiply dout by the mask"),
    ("dropout", (dropout_with(), lambda dout, mask: dout / mask), "divided by the mask"),
    # train_with_early_stopping
    ("train_with_early_stopping", stopping_with(copy=False), "best_w is the final weights"),
    ("train_with_early_stopping", stopping_keeps_start, "best_w holds the starting weights"),
    ("train_with_early_stopping", stopping_with(ties=True), "an equal loss counted"),
    ("train_with_early_stopping", stopping_with(late=True), "stopped one epoch too late"),
    ("train_with_early_stopping", stopping_with(previous=True), "counted epochs since the last"),
    ("train_with_early_stopping", stopping_with(never_stops=True), "kept training after the rule"),
    ("train_with_early_stopping", stopping_with(one_based=True), "epochs count from 0"),
    (
        "train_with_early_stopping",
        stopping_with(measure_first=True),
        "measured the validation loss before the step",
    ),
    # adam_decay_step
    ("adam_decay_step", adam_with(False, mode="decoupled"), "with decoupled=False the decay is L2"),
    ("adam_decay_step", adam_with(True, mode="both"), "applied the decay twice"),
    ("adam_decay_step", adam_with(True, decay_after=True), "shrink the old weights, before"),
    ("adam_decay_step", adam_with(True, decay_lr=False), "scaled by the learning rate"),
    (
        "adam_decay_step",
        adam_with(False, l2_in_v=False),
        "the second moment takes the same gradient",
    ),
    ("adam_decay_step", adam_with(correct=False), "forgot the bias correction"),
    ("adam_decay_step", adam_with(mode="none"), "no decay at all"),
    ("adam_decay_step", adam_in_place, "changed its input `m` in place"),
]


@pytest.mark.parametrize("exercise_id, answer, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, answer, message):
    fails_with(exercise_id, answer, message)


def test_adamw_doing_adam_l2_is_named_on_the_decoupled_case():
    def l2_always(w, g, m, v, t, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
        return ch08.adam_reference(w, g, m, v, t, lr, weight_decay, False, betas, eps)

    err = fails_with("adam_decay_step", l2_always, "with decoupled=True (AdamW)")
    assert "decoupled=True" in str(err).splitlines()[1]


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS, may_share=("the penalty is missing from the loss",))


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_stub_raising_not_implemented_is_reported_as_such(exercise_id):
    stubs = (function_stub(exercise_id),) * len(CHAPTER.answer_names(exercise_id))
    with pytest.raises(ExerciseFailed, match="not implemented yet"):
        check(exercise_id)(*stubs)


def test_dropout_backward_stub_alone_is_not_implemented_yet(solutions):
    fails_with(
        "dropout", (solutions["dropout_forward"], function_stub("dropout")), "not implemented yet"
    )


def test_solutions_keep_float32_and_shapes(solutions):
    rng = np.random.default_rng(0)
    h = rng.normal(size=(4, 3)).astype(np.float32)
    out, mask = solutions["dropout_forward"](h, 0.5, rng)
    assert out.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 2.0}
    w = np.ones(3, np.float32)
    new = solutions["adam_decay_step"](w, w, w * 0, w * 0, 1, 0.1, 0.1, True)
    assert all(a.dtype == np.float32 and a.shape == (3,) for a in new)


def test_adamw_and_adam_l2_differ_after_one_step(solutions):
    w, g = np.array([1.0, -2.0, 0.5]), np.array([1e-3, 1.0, -5.0])
    zeros = np.zeros(3)
    l2 = solutions["adam_decay_step"](w, g, zeros, zeros, 1, 0.1, 0.5, False)[0]
    decoupled = solutions["adam_decay_step"](w, g, zeros, zeros, 1, 0.1, 0.5, True)[0]
    assert not np.allclose(l2, decoupled)
    # one AdamW step from zero moments: w(1 - lr wd) - lr * sign(g) (up to eps)
    np.testing.assert_allclose(decoupled, w * (1 - 0.05) - 0.1 * np.sign(g), rtol=1e-4)
    # one Adam + L2 step: the step is lr * sign(g + wd w), the decay went into the sign
    np.testing.assert_allclose(l2, w - 0.1 * np.sign(g + 0.5 * w), rtol=1e-4)


def test_a_failure_message_is_short_and_names_the_case():
    with pytest.raises(ExerciseFailed) as info:
        ch08.check_l2_regularize(l2_with(factor=2.0))
    lines = str(info.value).splitlines()
    assert (
        lines[0] == "L2 penalty in the loss and the gradient: your new_grads['W1'] has wrong values"
    )
    assert "seed 0" in lines[1] and len(lines) <= 6
