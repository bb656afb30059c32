"""Chapter 6's exercise checks: other correct answers pass, typical mistakes are named.

The learner writes optimizer classes; the wrong versions below are written the
way a learner would (a class with a per-array update), independently of the
wrong rules inside the check module.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import re

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib.grading import ExerciseFailed

CHAPTER = chapter("ch06")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- stubs


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_stub_step_after_a_finished_constructor_is_not_implemented_yet(exercise_id):
    class HalfDone:
        def __init__(self, lr=0.01, **hyper):
            self.lr = lr

        def step(self, params, grads):
            raise NotImplementedError(f"Exercise {exercise_id}: not implemented yet")

    with pytest.raises(ExerciseFailed, match="not implemented yet"):
        check(exercise_id)(HalfDone)


# ---------------------------------------------------------------- learner-style classes


def optimizer(update, **defaults):
    """A class as a learner writes it: state per array, t counted per step, updates in place.

    ``update(opt, st, w, g)`` changes ``w`` in place; ``st`` is the array's own dict.
    """

    class Optimizer:
        def __init__(self, **hyper):
            self.__dict__.update({**defaults, **hyper})
            self.state = None
            self.t = 0

        def step(self, params, grads):
            if self.state is None:
                self.state = [{} for _ in params]
            self.t += 1
            for st, w, g in zip(self.state, params, grads, strict=True):
                update(self, st, w, g)

    return Optimizer


def zeros(st, key, w):
    return st.setdefault(key, np.zeros_like(w))


# momentum -----------------------------------------------------------------


def momentum_right(o, st, w, g):
    b = zeros(st, "b", w)
    b[...] = o.momentum * b + g
    w -= o.lr * b


def momentum_sutskever(o, st, w, g):  # b absorbs lr: the same steps for a constant lr
    b = zeros(st, "b", w)
    b[...] = o.momentum * b - o.lr * g
    w += b


def momentum_no_persist(o, st, w, g):
    b = np.zeros_like(w)
    b = o.momentum * b + g
    w -= o.lr * b


def momentum_sign(o, st, w, g):
    b = zeros(st, "b", w)
    b[...] = o.momentum * b + g
    w += o.lr * b


def momentum_ema(o, st, w, g):
    b = zeros(st, "b", w)
    b[...] = o.momentum * b + (1 - o.momentum) * g
    w -= o.lr * b


def momentum_old_velocity(o, st, w, g):
    b = zeros(st, "b", w)
    w -= o.lr * b
    b[...] = o.momentum * b + g


def momentum_prev_grad(o, st, w, g):
    b = zeros(st, "b", w)
    prev = st.get("g", np.zeros_like(w))
    b[...] = o.momentum * b + prev
    st["g"] = g.copy()
    w -= o.lr * b


def momentum_nesterov(o, st, w, g):
    b = zeros(st, "b", w)
    b[...] = o.momentum * b + g
    w -= o.lr * (g + o.momentum * b)


class MomentumRebinds:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.b = lr, momentum, None

    def step(self, params, grads):
        if self.b is None:
            self.b = [np.zeros_like(w) for w in params]
        for i, (w, g) in enumerate(zip(params, grads, strict=True)):
            self.b[i] = self.momentum * self.b[i] + g
            w = w - self.lr * self.b[i]  # noqa: PLW2901 (the mistake under test)


class MomentumReplaces(MomentumRebinds):
    def step(self, params, grads):
        if self.b is None:
            self.b = [np.zeros_like(w) for w in params]
        for i, g in enumerate(grads):
            self.b[i] = self.momentum * self.b[i] + g
            params[i] = params[i] - self.lr * self.b[i]


class MomentumMutatesGrads(MomentumRebinds):
    def step(self, params, grads):
        for w, g in zip(params, grads, strict=True):
            g *= self.lr
            w -= g


# adagrad ------------------------------------------------------------------


def adagrad_with(accumulate, denom, s_first=True):
    def update(o, st, w, g):
        s = zeros(st, "s", w)
        if s_first:
            s += accumulate(g)
            w -= o.lr * g / denom(s, o.eps)
        else:
            w -= o.lr * g / denom(s, o.eps)
            s += accumulate(g)

    return update


def square(g):
    return g * g


def after_sqrt(s, eps):
    return np.sqrt(s) + eps


def adagrad_no_persist(o, st, w, g):
    s = g * g
    w -= o.lr * g / (np.sqrt(s) + o.eps)


def adagrad_sign(o, st, w, g):
    s = zeros(st, "s", w)
    s += g * g
    w += o.lr * g / (np.sqrt(s) + o.eps)


# rmsprop ------------------------------------------------------------------


def rmsprop_with(average, denom=after_sqrt, corrected=False):
    def update(o, st, w, g):
        v = zeros(st, "v", w)
        v[...] = average(o.alpha, v, g)
        v_used = v / (1 - o.alpha**o.t) if corrected else v
        w -= o.lr * g / denom(v_used, o.eps)

    return update


def rms_right(a, v, g):
    return a * v + (1 - a) * g * g


# adam ---------------------------------------------------------------------


def adam_with(m_of=None, v_of=None, t_of=None, correct=(True, True), denom=None, keep_hat=False):
    """Adam's update with one piece replaced (each default is the right piece)."""

    def update(o, st, w, g):
        b1, b2 = o.betas
        m, v = zeros(st, "m", w), zeros(st, "v", w)
        m[...] = m_of(b1, b2, m, g) if m_of else b1 * m + (1 - b1) * g
        v[...] = v_of(b1, b2, v, g) if v_of else b2 * v + (1 - b2) * g * g
        t = t_of(o) if t_of else o.t
        c1 = 1 - b1**t if correct[0] else 1.0
        c2 = 1 - b2**t if correct[1] else 1.0
        m_hat, v_hat = m / c1, v / c2
        if keep_hat:
            m[...], v[...] = m_hat, v_hat
        d = denom(v, v_hat, c2, o.eps) if denom else np.sqrt(v_hat) + o.eps
        w -= o.lr * m_hat / d

    return update


def adam_torch_form(o, st, w, g):
    b1, b2 = o.betas
    m, v = zeros(st, "m", w), zeros(st, "v", w)
    m += (1 - b1) * (g - m)
    v *= b2
    v += (1 - b2) * g * g
    denom = np.sqrt(v) / np.sqrt(1 - b2**o.t) + o.eps
    w -= (o.lr / (1 - b1**o.t)) * m / denom


class AdamCountsPerArray:
    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.m is None:
            self.m = [np.zeros_like(w) for w in params]
            self.v = [np.zeros_like(w) for w in params]
        for w, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            self.t += 1
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            w -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + self.eps)


class AdamTFromZero(AdamCountsPerArray):
    def step(self, params, grads):
        b1, b2 = self.betas
        if self.m is None:
            self.m = [np.zeros_like(w) for w in params]
            self.v = [np.zeros_like(w) for w in params]
        for w, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            w -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + self.eps)
        self.t += 1  # too late: the first step used t = 0


class AdamFreshState(AdamCountsPerArray):
    def step(self, params, grads):
        b1, b2 = self.betas
        self.t += 1
        for w, g in zip(params, grads, strict=True):
            m = (1 - b1) * g
            v = (1 - b2) * g * g
            w -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + self.eps)


MOMENTUM = {"momentum": 0.9}
ADAGRAD = {"eps": 1e-10}
RMSPROP = {"alpha": 0.99, "eps": 1e-8}
ADAM = {"betas": (0.9, 0.999), "eps": 1e-8}


# ---------------------------------------------------------------- other correct answers pass

OTHER_CORRECT = [
    ("momentum", optimizer(momentum_right, lr=0.01, **MOMENTUM)),
    ("momentum", optimizer(momentum_sutskever, lr=0.01, **MOMENTUM)),
    ("adagrad", optimizer(adagrad_with(square, after_sqrt), lr=0.01, **ADAGRAD)),
    ("rmsprop", optimizer(rmsprop_with(rms_right), lr=0.01, **RMSPROP)),
    ("adam", optimizer(adam_with(), lr=0.001, **ADAM)),
    ("adam", optimizer(adam_torch_form, lr=0.001, **ADAM)),
]


@pytest.mark.parametrize("exercise_id, cls", OTHER_CORRECT)
def test_other_correct_implementations_pass(exercise_id, cls):
    check(exercise_id)(cls)


# ---------------------------------------------------------------- catalogued mistakes


def mom(update):
    return optimizer(update, lr=0.01, **MOMENTUM)


def ada(update):
    return optimizer(update, lr=0.01, **ADAGRAD)


def rms(update):
    return optimizer(update, lr=0.01, **RMSPROP)


def adam(update):
    return optimizer(update, lr=0.001, **ADAM)


WRONG = [
    # momentum
    ("momentum", mom(momentum_sign), "moved uphill"),
    ("momentum", mom(momentum_no_persist), "the velocity starts from 0 at every step"),
    ("momentum", mom(momentum_ema), "the moving-average form"),
    ("momentum", mom(momentum_old_velocity), "stepped with the previous step's velocity"),
    ("momentum", mom(momentum_nesterov), "that is Nesterov's update"),
    ("momentum", MomentumRebinds, "your step left the parameters unchanged"),
    ("momentum", MomentumReplaces, "put new arrays into the list `params`"),
    ("momentum", MomentumMutatesGrads, "changed its input `grads` in place"),
    # adagrad
    ("adagrad", ada(adagrad_sign), "moved uphill"),
    ("adagrad", ada(adagrad_with(lambda g: g, after_sqrt)), "accumulated g instead of g * g"),
    ("adagrad", ada(adagrad_with(np.abs, after_sqrt)), "accumulated |g|"),
    (
        "adagrad",
        ada(adagrad_with(square, lambda s, eps: np.sqrt(s + eps))),
        "eps went inside the square root",
    ),
    (
        "adagrad",
        ada(adagrad_with(square, lambda s, eps: s + eps)),
        "divided by s without its square root",
    ),
    ("adagrad", ada(adagrad_no_persist), "s restarts at every step"),
    (
        "adagrad",
        ada(adagrad_with(square, after_sqrt, s_first=False)),
        "before adding this step's g * g",
    ),
    ("adagrad", ada(adagrad_with(square, lambda s, eps: np.sqrt(s))), "left out eps"),
    # rmsprop
    (
        "rmsprop",
        rms(rmsprop_with(lambda a, v, g: a * v + (1 - a) * g)),
        "forgot to square the gradient",
    ),
    ("rmsprop", rms(rmsprop_with(lambda a, v, g: v + (1 - a) * g * g)), "v never decays"),
    ("rmsprop", rms(rmsprop_with(lambda a, v, g: a * v + g * g)), "forgot the factor (1 - alpha)"),
    (
        "rmsprop",
        rms(rmsprop_with(lambda a, v, g: (1 - a) * v + a * g * g)),
        "swapped alpha and 1 - alpha",
    ),
    (
        "rmsprop",
        rms(rmsprop_with(rms_right, denom=lambda v, eps: np.sqrt(v + eps))),
        "eps went inside the square root",
    ),
    (
        "rmsprop",
        rms(rmsprop_with(rms_right, denom=lambda v, eps: v + eps)),
        "divided by v without its square root",
    ),
    ("rmsprop", rms(rmsprop_with(rms_right, corrected=True)), "RMSprop has no bias correction"),
    (
        "rmsprop",
        rms(rmsprop_with(rms_right, denom=lambda v, eps: np.sqrt(v) + 1e-8)),
        "used eps = 1e-8 whatever was passed",
    ),
    (
        "rmsprop",
        rms(rmsprop_with(lambda a, v, g: (1 - a) * g * g)),
        "v restarts at every step",
    ),
    # adam
    ("adam", adam(adam_with(correct=(False, False))), "no bias correction"),
    ("adam", adam(adam_with(correct=(False, True))), "m is not bias-corrected"),
    ("adam", adam(adam_with(correct=(True, False))), "v is not bias-corrected"),
    ("adam", AdamTFromZero, "the step count starts at 0"),
    ("adam", AdamCountsPerArray, "t grew once per parameter array"),
    ("adam", adam(adam_with(keep_hat=True)), "stored the corrected m_hat and v_hat"),
    (
        "adam",
        adam(adam_with(v_of=lambda b1, b2, v, g: b2 * v + (1 - b2) * g)),
        "forgot to square the gradient in v",
    ),
    (
        "adam",
        adam(adam_with(denom=lambda v, v_hat, c2, eps: np.sqrt(v_hat + eps))),
        "eps went inside the square root",
    ),
    (
        "adam",
        adam(adam_with(denom=lambda v, v_hat, c2, eps: (np.sqrt(v) + eps) / np.sqrt(c2))),
        "eps was added to sqrt(v) before the bias correction",
    ),
    ("adam", AdamFreshState, "m and v restart at every step"),
    (
        "adam",
        adam(adam_with(denom=lambda v, v_hat, c2, eps: np.sqrt(v_hat) + 1e-8)),
        "used eps = 1e-8 whatever was passed",
    ),
    ("adam", adam(adam_with(m_of=lambda b1, b2, m, g: b1 * m - (1 - b1) * g)), "moved uphill"),
]


class AdamSwappedBetas(AdamCountsPerArray):
    def step(self, params, grads):
        b2, b1 = self.betas  # the mix-up
        if self.m is None:
            self.m = [np.zeros_like(w) for w in params]
            self.v = [np.zeros_like(w) for w in params]
        self.t += 1
        for w, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            w -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + self.eps)


WRONG.append(("adam", AdamSwappedBetas, "swapped beta1 and beta2"))


@pytest.mark.parametrize("exercise_id, cls, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, cls, message):
    fails_with(exercise_id, cls, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_a_failure_names_the_step_and_the_entry_that_moved_wrong():
    err = fails_with("adam", adam(adam_with(correct=(False, False))), "no bias correction")
    lines = str(err).splitlines()
    assert lines[0] == "Adam with bias correction: after step 1, your params[0] has wrong values"
    assert "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)" in lines[1]
    assert "step 1 of 100" in lines[1]
    assert re.search(r"got: +params\[0\]\[\d, \d\] moved by ", lines[2])
    assert re.search(r"expected: +params\[0\]\[\d, \d\] moved by ", lines[3])
    assert len(lines) <= 6


def test_the_previous_gradient_gives_the_same_steps_as_the_previous_velocity():
    # b_t = mu b_(t-1) + g_(t-1) equals the right velocity one step late: one mistake, one name.
    fails_with("momentum", mom(momentum_prev_grad), "stepped with the previous step's velocity")


def test_an_unknown_mistake_after_good_steps_points_at_the_state():
    def drifts(o, st, w, g):  # right for 4 steps, then the velocity is halved
        b = zeros(st, "b", w)
        b[...] = (o.momentum if o.t <= 4 else o.momentum / 2) * b + g
        w -= o.lr * b

    err = fails_with("momentum", mom(drifts), "after step 5")
    assert "the first 4 steps were right" in str(err)


def test_a_crash_after_a_wrong_step_reports_the_wrong_step():
    def crashes_later(o, st, w, g):
        if o.t == 3:
            raise ValueError("boom")
        w += o.lr * g  # wrong from the first step

    err = fails_with("momentum", mom(crashes_later), "after step 1")
    assert err.kind == "wrong"


def test_a_crash_is_reported_when_the_steps_before_were_right():
    def crashes_later(o, st, w, g):
        if o.t == 3:
            raise ValueError("boom")
        momentum_right(o, st, w, g)

    err = fails_with("momentum", mom(crashes_later), "raised ValueError: boom")
    assert "step 3 of 100" in str(err)
