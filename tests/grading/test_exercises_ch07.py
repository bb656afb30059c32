"""Chapter 7's exercise checks: other correct answers pass, typical mistakes are named.

Edge cases the checks must get right are tested here too: all-zero gradients,
a single array, float32 arrays, renamed parameters, a batch of one in eval
mode; and the checks' own references for batch normalization are compared
with nnlib's ``BatchNorm1d`` (itself tested against torch).

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib import BatchNorm1d
from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.grading.exercises import _ch07_batchnorm, _ch07_residual, ch07

CHAPTER = chapter("ch07")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def d_sigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))


# ---------------------------------------------------------------- chain_gradient


def sigmoid_prime_exp(z):
    e = np.exp(-np.abs(z))  # sigmoid'(z) = e^-|z| / (1 + e^-|z|)^2, symmetric in z
    return e / (1 + e) ** 2


def chain_log_space(z, w):
    s = 1 / (1 + np.exp(-z))
    log_mag = np.sum(np.log(np.abs(w)) + np.log(s) + np.log1p(-s), axis=1)
    return (np.prod(np.sign(w)) * np.exp(log_mag)).astype(z.dtype)


def chain_exp_form(z, w):
    e = np.exp(-z)
    return np.prod(w * e / (1 + e) ** 2, axis=1)


# ---------------------------------------------------------------- grad_norm_profile


def profile(slope="a(1-a)", back="dz", last_slope=True, norm=np.linalg.norm, backward_order=False):
    """A grad_norm_profile written as a learner would, with configurable bugs."""

    def grad_norm_profile(x, Ws, bs, dout):
        acts, pre = [x], []
        for W, b in zip(Ws, bs, strict=True):
            pre.append(acts[-1] @ W + b)
            acts.append(sigmoid(pre[-1]))
        norms, da = [], dout
        for layer in reversed(range(len(Ws))):
            a, z = acts[layer + 1], pre[layer]
            use = slope if (last_slope or layer < len(Ws) - 1) else "none"
            factor = {
                "a(1-a)": a * (1 - a),
                "z(1-z)": z * (1 - z),
                "s'(a)": d_sigmoid(a),
                "none": 1.0,
            }[use]
            dz = da * factor
            norms.append(norm(acts[layer].T @ dz))
            da = (dz if back == "dz" else da) @ Ws[layer].T
        return norms if backward_order else norms[::-1]

    return grad_norm_profile


def profile_recursive(x, Ws, bs, dout):
    """Another correct answer: recursion, sigmoid via tanh, float32 kept, a list of floats."""
    if not Ws:
        return [], dout
    a = 0.5 * (1 + np.tanh(0.5 * (x @ Ws[0] + bs[0])))
    rest, da = profile_recursive(a, Ws[1:], bs[1:], dout)
    dz = da * a * (1 - a)
    return [float(np.sqrt(np.vdot(x.T @ dz, x.T @ dz))), *rest], dz @ Ws[0].T


# ---------------------------------------------------------------- train_with_guard


def guard(is_bad, late=False, keep_bad=True, extra=0, message=None, pair=True):
    """A guarded loop with a configurable test, message and bugs."""
    message = message or (lambda k, loss: f"stopped at step {k}: the loss is {loss}")

    def train_with_guard(step, n_steps):
        losses, text = [], None
        for k in range(1, n_steps + extra + 1):
            loss = step()
            if late and losses and is_bad(losses[-1]):  # tests the previous loss
                text = message(k - 1, losses[-1])
                break
            if not late and is_bad(loss):
                if keep_bad:
                    losses.append(loss)
                text = message(k, loss)
                break
            losses.append(loss)
        return (losses, text) if pair else losses

    return train_with_guard


FINITE = lambda v: not math.isfinite(v)  # noqa: E731


def guard_while(step, n_steps):
    """Another correct answer: a while loop, np.isfinite, an array, its own wording."""
    losses = []
    while len(losses) < n_steps:
        losses.append(step())
        if not np.isfinite(losses[-1]):
            k = len(losses)
            return np.array(losses), f"Loss became {losses[-1]!r} after {k} steps, giving up."
    return np.array(losses), None


def says_finished(step, n_steps):
    losses, message = guard(FINITE)(step, n_steps)
    return losses, message or f"finished all {n_steps} steps"


def forgets_return(step, n_steps):
    losses = []
    for _ in range(n_steps):
        losses.append(step())
        if not math.isfinite(losses[-1]):
            break


# ---------------------------------------------------------------- clip_grad_norm_


def global_norm(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


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


# ---------------------------------------------------------------- batch normalization


def bn_forward(
    ddof=0,
    running_ddof=1,
    keras=False,
    eps_inside=True,
    axis=0,
    affine="right",
    eval_batch=False,
    eval_sqrt=True,
    in_place=True,
    update_in_eval=False,
    use_eps=True,
):
    """A batchnorm_forward written as a learner would, with configurable bugs."""

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, train, momentum, eps):
        n = x.shape[0]
        if train or eval_batch:
            mu = x.mean(axis=axis, keepdims=True)
            var = x.var(axis=axis, ddof=ddof if train else 0, keepdims=True)
        else:
            mu, var = running_mean, running_var
        if train or update_in_eval:
            w = 1 - momentum if keras else momentum
            new_mean = (1 - w) * running_mean + w * x.mean(axis=0)
            new_var = (1 - w) * running_var + w * x.var(axis=0, ddof=running_ddof)
            if in_place:
                running_mean[:] = new_mean
                running_var[:] = new_var
            else:
                running_mean, running_var = new_mean, new_var  # noqa: F841 - the bug
        eps = eps if use_eps else 0.0
        if train or eval_sqrt:
            std = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
        else:
            std = var + eps
        xhat = (x - mu) / std
        out = {"right": gamma * xhat + beta, "swapped": beta * xhat + gamma, "none": xhat}[affine]
        return out, {"x": x, "xhat": xhat, "std": std, "gamma": gamma, "n": n}

    return batchnorm_forward


def bn_forward_staged(x, g, b, rm, rv, train, momentum=0.1, eps=1e-5):
    """Another correct answer: CS231n's staged cache, other names, float64 maths, cast back."""
    if not train:
        return ((x - rm) / np.sqrt(rv + eps) * g + b).astype(x.dtype), None
    x64 = x.astype(np.float64)
    mu = np.sum(x64, axis=0) / len(x)
    xmu = x64 - mu
    var = np.sum(xmu**2, axis=0) / len(x)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1 / sqrtvar
    xhat = xmu * ivar
    rm[...] = (1 - momentum) * rm + momentum * mu
    rv[...] = (1 - momentum) * rv + momentum * np.var(x64, axis=0, ddof=1)
    return (g * xhat + b).astype(x.dtype), (xhat, g, xmu, ivar, sqrtvar, var, eps)


def bn_backward_staged(dout, cache):
    """CS231n's staged backward pass, node by node (dict results accepted as a tuple)."""
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    n = dout.shape[0]
    d64 = dout.astype(np.float64)
    dbeta = d64.sum(axis=0)
    dgamma = np.sum(d64 * xhat, axis=0)
    dxhat = d64 * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1 / sqrtvar**2 * divar
    dvar = 0.5 / np.sqrt(var + eps) * dsqrtvar
    dsq = np.ones_like(dout) / n * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(dout) / n * dmu
    return tuple(a.astype(dout.dtype) for a in (dx1 + dx2, dgamma, dbeta))


def bn_backward(mean_term=True, var_term=True, divisor="N", with_gamma=True, sums=False, dg="xhat",
                db="sum", swap=False):  # fmt: skip
    """A batchnorm_backward on bn_forward's cache, with configurable bugs."""

    def batchnorm_backward(dout, cache):
        xhat, std, gamma, n = cache["xhat"], cache["std"], cache["gamma"], cache["n"]
        k = 1 if sums else n
        centre = dout.sum(axis=0) / k if mean_term else 0
        spread = (dout * xhat).sum(axis=0) / (k if divisor == "N" else n - 1) if var_term else 0
        dx = (gamma if with_gamma else 1) / std * (dout - centre - xhat * spread)
        dgamma = {
            "xhat": (dout * xhat).sum(axis=0),
            "x": (dout * cache["x"]).sum(axis=0),
            "rows": (dout * xhat).sum(axis=1),
            "mean": (dout * xhat).mean(axis=0),
        }[dg]
        dbeta = {"sum": dout.sum(axis=0), "mean": dout.mean(axis=0), "rows": dout.sum(axis=1)}[db]
        return (dx, dbeta, dgamma) if swap else (dx, dgamma, dbeta)

    return batchnorm_backward


RIGHT_FORWARD = bn_forward()


# ---------------------------------------------------------------- residual_backward


def residual(slope="1-t**2", identity=True, branch=True, back="W.T", db_axis=0, db_mean=False):
    """A residual_backward with configurable bugs."""

    def residual_backward(dout, x, W, b):
        z = x @ W + b
        t = np.tanh(z)
        factor = {"1-t**2": 1 - t**2, "1-t": 1 - t, "1-z**2": 1 - z**2, "none": 1}[slope]
        dz = dout * factor
        through = dz @ (W.T if back == "W.T" else W)
        dx = (dout if identity else 0) + (through if branch else 0)
        db = dz.mean(axis=db_axis) if db_mean else dz.sum(axis=db_axis)
        return dx, x.T @ dz, db

    return residual_backward


def residual_einsum(dout, x, W, b):
    """Another correct answer: einsum, the derivative via cosh, keeps float32."""
    dz = dout / np.cosh(x @ W + b) ** 2
    return dout + np.einsum("nj,ij->ni", dz, W), np.einsum("ni,nj->ij", x, dz), dz.sum(0)


# ---------------------------------------------------------------- other correct answers pass


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        ("chain_gradient", lambda z, w: np.prod(w * sigmoid_prime_exp(z), axis=1)),
        ("chain_gradient", chain_log_space),  # warns at |z| = 800 (log 0), still right
        ("grad_norm_profile", profile()),  # a list, in float32 for float32 inputs
        ("grad_norm_profile", lambda *a: np.array(profile_recursive(*a)[0])),
        ("train_with_guard", guard(FINITE)),
        ("train_with_guard", guard_while),
        (
            "train_with_guard",
            guard(FINITE, message=lambda k, v: f"Step {k}: loss = {float(v)!s}. NaN guard."),
        ),
        ("clip_grad_norm_", clip_norm_torch_style),
        ("clip_grad_norm_", clip_norm_flat),
        ("batchnorm_forward", RIGHT_FORWARD),
        ("batchnorm_forward", bn_forward_staged),
        ("batchnorm_backward", (RIGHT_FORWARD, bn_backward())),
        ("batchnorm_backward", (bn_forward_staged, bn_backward_staged)),
        ("residual_backward", residual()),
        ("residual_backward", residual_einsum),
    ],
)
def test_other_correct_implementations_pass(exercise_id, answer):
    check(exercise_id)(*(answer if isinstance(answer, tuple) else (answer,)))


# ---------------------------------------------------------------- catalogued mistakes

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
    # grad_norm_profile
    ("grad_norm_profile", profile(backward_order=True), "the norms are in backward order"),
    ("grad_norm_profile", profile(slope="z(1-z)"), "applied s (1 - s) to the pre-activation"),
    ("grad_norm_profile", profile(slope="s'(a)"), "applied the sigmoid twice: a is already"),
    ("grad_norm_profile", profile(slope="none"), "left out the sigmoid's slope"),
    ("grad_norm_profile", profile(last_slope=False), "the last layer has a sigmoid too"),
    ("grad_norm_profile", profile(back="da"), "sent da back through W instead of dz"),
    ("grad_norm_profile", profile(norm=lambda g: np.sum(g * g)), "forgot the square root"),
    (
        "grad_norm_profile",
        profile(norm=lambda g: np.linalg.norm(g, 2)),
        "the spectral norm",
    ),
    (
        "grad_norm_profile",
        profile(norm=lambda g: np.linalg.norm(g, axis=0)),
        "take the norm of the whole dW",
    ),
    # train_with_guard
    ("train_with_guard", guard(lambda v: v == np.nan), "`loss == np.nan` is always False"),
    ("train_with_guard", guard(np.isnan), "np.isnan() is False for inf and -inf"),
    ("train_with_guard", guard(lambda v: not v < 1e10), "stopped at a finite loss (1e+30)"),
    ("train_with_guard", guard(FINITE, late=True), "one step too late"),
    ("train_with_guard", guard(FINITE, keep_bad=False), "left out the non-finite loss"),
    ("train_with_guard", guard(FINITE, extra=1), "loop exactly n_steps"),
    ("train_with_guard", forgets_return, "end with `return losses, message`"),
    ("train_with_guard", guard(FINITE, pair=False), "expected 2 return values (losses, message)"),
    (
        "train_with_guard",
        guard(FINITE, message=lambda k, v: f"stopped at step {k - 1}: the loss is {v}"),
        "counted the steps from 0",
    ),
    (
        "train_with_guard",
        guard(FINITE, message=lambda k, v: f"stopped at step {k}: the loss is not finite"),
        "your message does not show the loss that stopped training",
    ),
    (
        "train_with_guard",
        guard(FINITE, message=lambda k, v: None),
        "so message should be a str saying so",
    ),
    (
        "train_with_guard",
        says_finished,
        "training ran all n_steps steps, so message should be None",
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
    # batchnorm_forward
    ("batchnorm_forward", bn_forward(ddof=1), "normalized with the unbiased variance"),
    ("batchnorm_forward", bn_forward(running_ddof=0), "the running variance is the unbiased"),
    ("batchnorm_forward", bn_forward(keras=True), "momentum is the weight of the NEW batch"),
    ("batchnorm_forward", bn_forward(eps_inside=False), "eps goes inside the square root"),
    ("batchnorm_forward", bn_forward(axis=1), "that is layer normalization"),
    ("batchnorm_forward", bn_forward(affine="swapped"), "gamma scales and beta shifts"),
    ("batchnorm_forward", bn_forward(affine="none"), "forgot the learnable scale and shift"),
    ("batchnorm_forward", bn_forward(eval_batch=True), "in eval mode (train=False) normalize"),
    ("batchnorm_forward", bn_forward(eval_sqrt=False), "running_var is a variance"),
    ("batchnorm_forward", bn_forward(in_place=False), "left running_mean unchanged"),
    ("batchnorm_forward", bn_forward(update_in_eval=True), "changed running_mean with train=False"),
    ("batchnorm_forward", bn_forward(use_eps=False), "forgot eps: divide by sqrt(var + eps)"),
    # batchnorm_backward
    (
        "batchnorm_backward",
        (RIGHT_FORWARD, bn_backward(mean_term=False)),
        "forgot that the mean depends on x",
    ),
    (
        "batchnorm_backward",
        (RIGHT_FORWARD, bn_backward(var_term=False)),
        "forgot that the variance depends on x",
    ),
    (
        "batchnorm_backward",
        (RIGHT_FORWARD, bn_backward(mean_term=False, var_term=False)),
        "treated the batch mean and variance as constants",
    ),
    (
        "batchnorm_backward",
        (RIGHT_FORWARD, bn_backward(divisor="N-1")),
        "used N - 1 for the variance's derivative",
    ),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(with_gamma=False)), "forgot gamma"),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(sums=True)), "the two sums are averages"),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(dg="x")), "not by x"),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(dg="rows")), "summed over the features"),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(swap=True)), "dgamma and dbeta are swapped"),
    ("batchnorm_backward", (RIGHT_FORWARD, bn_backward(db="mean")), "not the mean"),
    (
        "batchnorm_backward",
        (bn_forward(ddof=1), bn_backward()),
        "your batchnorm_forward does not give the right out here",
    ),
    # residual_backward
    ("residual_backward", residual(identity=False), "forgot the identity path"),
    ("residual_backward", residual(branch=False), "forgot the path through the branch"),
    ("residual_backward", residual(back="W"), "back through W's transpose"),
    ("residual_backward", residual(slope="1-t"), "the tanh is squared"),
    ("residual_backward", residual(slope="1-z**2"), "applied 1 - t**2 to z itself"),
    ("residual_backward", residual(slope="none"), "left out tanh's slope"),
    ("residual_backward", residual(db_mean=True), "every example adds to db"),
    ("residual_backward", residual(db_axis=1), "summed over the features (axis=1)"),
]


@pytest.mark.parametrize("exercise_id, answer, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, answer, message):
    fails_with(exercise_id, answer, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_nan_on_a_constant_column_is_named():
    def nan_on_constant(x, gamma, beta, running_mean, running_var, train, momentum, eps):
        out, cache = RIGHT_FORWARD(x, gamma, beta, running_mean, running_var, train, momentum, eps)
        if train:  # eps only where the variance is positive: 0 / 0 on a constant column
            var = x.var(axis=0)
            out = gamma * (x - x.mean(axis=0)) / np.sqrt(np.where(var > 0, var + eps, var)) + beta
        return out, cache

    failure = fails_with("batchnorm_forward", nan_on_constant, "all equal has variance 0")
    assert "the last column is constant" in str(failure)


# ---------------------------------------------------------------- the checks' references


def test_batchnorm_references_match_nnlib_batchnorm1d_train_and_eval(rng):
    """nnlib's BatchNorm1d is tested against torch; the checks' references must agree with it."""
    n, d, momentum, eps = 7, 4, 0.3, 1e-3
    layer = BatchNorm1d(d, eps=eps, momentum=momentum)
    layer.params["gamma"][:] = rng.normal(size=d)
    layer.params["beta"][:] = rng.normal(size=d)
    gamma, beta = layer.params["gamma"].copy(), layer.params["beta"].copy()
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    for _ in range(3):
        x = rng.normal(size=(n, d)) * 2 + 1
        out, rm, rv = _ch07_batchnorm.bn_forward_reference(
            x, gamma, beta, rm, rv, True, momentum, eps
        )
        np.testing.assert_allclose(out, layer.forward(x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rm, layer.running_mean, rtol=1e-12)
        np.testing.assert_allclose(rv, layer.running_var, rtol=1e-12)
        dout = rng.normal(size=(n, d))
        dx = _ch07_batchnorm.bn_backward_reference(x, gamma, eps, dout)
        np.testing.assert_allclose(dx, layer.backward(dout), rtol=1e-10, atol=1e-12)
    layer.eval()
    x = rng.normal(size=(1, d))
    out = _ch07_batchnorm.bn_forward_reference(x, gamma, beta, rm, rv, False, momentum, eps)[0]
    np.testing.assert_allclose(out, layer.forward(x), rtol=1e-12, atol=1e-12)


def test_residual_reference_matches_finite_differences(rng):
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    dout = rng.normal(size=(3, 4))

    def loss(x, W, b):
        return float(np.sum((x + np.tanh(x @ W + b)) * dout))

    args = (x, W, b)
    grads = _ch07_residual.residual_reference(dout, x, W, b)
    for k, (got, a) in enumerate(zip(grads, args, strict=True)):
        num = numerical_gradient(lambda v, k=k: loss(*args[:k], v, *args[k + 1 :]), a)
        assert rel_error(got, num) < 1e-7


def test_profile_reference_matches_finite_differences(rng):
    widths = [3, 4, 4, 2]
    x = rng.normal(size=(5, 3))
    Ws = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    bs = [rng.normal(size=b) for b in widths[1:]]
    dout = rng.normal(size=(5, 2))

    def loss(Ws):
        a = x
        for W, b in zip(Ws, bs, strict=True):
            a = sigmoid(a @ W + b)
        return float(np.sum(a * dout))

    expected = [
        np.linalg.norm(numerical_gradient(lambda v, k=k: loss([*Ws[:k], v, *Ws[k + 1 :]]), W))
        for k, W in enumerate(Ws)
    ]
    np.testing.assert_allclose(ch07.profile_reference(x, Ws, bs, dout), expected, rtol=1e-6)


def test_profile_of_a_deep_sigmoid_network_vanishes_towards_the_input(solutions):
    """The point of exercise 2: each sigmoid layer scales the gradient by at most 1/4 (|W| ~ 1)."""
    rng = np.random.default_rng(0)
    widths = [10] * 13
    Ws = [rng.normal(size=(10, 10)) / np.sqrt(10) for _ in range(12)]
    norms = solutions["grad_norm_profile"](
        rng.normal(size=(8, 10)), Ws, [np.zeros(w) for w in widths[1:]], rng.normal(size=(8, 10))
    )
    assert norms[0] < 1e-4 * norms[-1]
    assert np.all(np.diff(np.log(norms)) > 0)


# ---------------------------------------------------------------- edge cases of the checks


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


def test_renamed_parameters_are_fine_for_in_place_checks():
    check("clip_grad_norm_")(clip_norm_flat)

    def renamed(a, g, b, mean_buf, var_buf, training, m=0.1, e=1e-5):
        return RIGHT_FORWARD(a, g, b, mean_buf, var_buf, training, m, e)

    check("batchnorm_forward")(renamed)
    failure = fails_with(
        "batchnorm_forward",
        lambda a, g, b, mean_buf, var_buf, t, m, e: bn_forward(in_place=False)(
            a, g, b, mean_buf, var_buf, t, m, e
        ),
        "left mean_buf unchanged",
    )
    assert "mean_buf[:] = ..." in failure.likely


def test_chain_gradient_is_judged_relatively_for_tiny_products():
    """0.25^10 is ~1e-6: a fixed absolute tolerance would let zeros pass."""
    fails_with("chain_gradient", lambda z, w: np.zeros(z.shape[0], dtype=z.dtype), "wrong values")


def test_profile_is_judged_relatively_for_vanishing_norms():
    """The first layers' norms of the 12-layer case are tiny: zeros there must fail."""

    def zeros_early(*args):
        norms = np.array(profile()(*args), dtype=float)
        norms[norms < 1e-5 * norms.max()] = 0.0
        return norms

    fails_with("grad_norm_profile", zeros_early, "wrong values")


def test_guard_failure_says_how_often_step_was_called():
    failure = fails_with("train_with_guard", guard(np.isnan), "did not stop at inf")
    assert "called step() 7 times; expected 4 (the loss became inf at call 4)" in str(failure)


def test_exercises_are_declared_in_notebook_order_whichever_module_comes_first():
    """The registry imports the modules by name, so ``_ch07_batchnorm`` before ``ch07``."""
    code = (
        "import nnlib.grading.exercises._ch07_residual\n"
        "from nnlib.grading import list_exercises\n"
        "print(' '.join(e.id for e in list_exercises('ch07')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == list(IDS)


def test_batchnorm_eval_mode_is_checked_on_a_single_example():
    seen = []

    def records(x, gamma, beta, running_mean, running_var, train, momentum, eps):
        seen.append((x.shape[0], train, x.dtype))
        return RIGHT_FORWARD(x, gamma, beta, running_mean, running_var, train, momentum, eps)

    check("batchnorm_forward")(records)
    assert (1, False, np.float64) in seen
    assert (2, True, np.float64) in seen
    assert any(dtype == np.float32 for _, _, dtype in seen)


def test_batchnorm_backward_works_with_a_dict_cache_and_names_a_broken_forward():
    check("batchnorm_backward")(RIGHT_FORWARD, bn_backward())  # bn_forward's cache is a dict
    failure = fails_with(
        "batchnorm_backward", (bn_forward(affine="none"), bn_backward()), "cannot be trusted"
    )
    assert failure.kind == "forward"
