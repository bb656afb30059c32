"""Checks of chapter 7's exercises: vanishing and exploding gradients, and their cures.

======================  ==============================================================  ======
exercise id             the learner writes                                              points
======================  ==============================================================  ======
``chain_gradient``      ``chain_gradient(z, w) -> g`` (N,): prod of w_l sigmoid'(z_l)       2
``grad_norm_profile``   ``grad_norm_profile(x, Ws, bs, dout) -> norms`` (L,): forward       3
                        and backward through L sigmoid layers, ||dW_l|| per layer
``train_with_guard``    ``train_with_guard(step, n_steps) -> (losses, message)``:           2
                        stop on NaN/inf and say where and why
``clip_grad_norm_``     ``clip_grad_norm_(grads, max_norm) -> total_norm``: IN PLACE        2
``batchnorm_forward``   ``batchnorm_forward(x, gamma, beta, running_mean, running_var,      3
                        train, momentum, eps) -> (out, cache)``
``batchnorm_backward``  ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``          3
``residual_backward``   ``residual_backward(dout, x, W, b) -> (dx, dW, db)`` of             2
                        ``out = x + tanh(x @ W + b)``
======================  ==============================================================  ======

``grads`` of ``clip_grad_norm_`` is a list of NumPy arrays of any shapes;
it scales the arrays themselves (trailing underscore, as in torch) and returns
the global norm measured before clipping, with ``scale = max_norm / (norm +
1e-6)`` when ``norm > max_norm``. The references are written inline. Every
check runs several shapes and seeds, batch size 1 where it is allowed and
float32 arrays (which must stay float32 where the text says so). The checks of
batch normalization and of the residual block live in :mod:`._ch07_cures`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ...activations import sigmoid
from ..checks import Check
from ..diagnose import Mistake, close
from ..feedback import ExerciseFailed, _arg_names
from ..registry import Exercise
from ..sandbox.helpers import ScriptedLosses

__all__ = [
    "check_chain_gradient",
    "check_grad_norm_profile",
    "check_train_with_guard",
    "check_clip_grad_norm_",
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_residual_backward",
]

CHAIN_GRADIENT = Exercise("ch07", "chain_gradient", "Gradient through a sigmoid chain", points=2)
GRAD_NORM_PROFILE = Exercise(
    "ch07", "grad_norm_profile", "Gradient norm per layer of a deep sigmoid network", points=3
)
TRAIN_WITH_GUARD = Exercise(
    "ch07", "train_with_guard", "Stop training on a non-finite loss", points=2
)
CLIP_GRAD_NORM = Exercise("ch07", "clip_grad_norm_", "Gradient clipping by global norm", points=2)

EPS = 1e-6  # added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = sigmoid(np.asarray(z, dtype=np.float64))
    return s * (1 - s)


def _norm(g: np.ndarray) -> float:
    g = np.asarray(g, dtype=np.float64)
    return math.sqrt(float(np.sum(g * g)))


def _global_norm(grads: list) -> float:
    return math.sqrt(sum(_norm(g) ** 2 for g in grads))


def _describe(grads: list, seed: int) -> str:
    """``seed 0, arrays (4, 3), (3,) float64``: what ``describe_inputs`` cannot show of a list."""
    shapes = ", ".join(str(g.shape) for g in grads)
    return f"seed {seed}, arrays {shapes} {grads[0].dtype}"


def _lists_close(got: Any, wrong: list) -> bool:
    """``got`` is a list of arrays close to the list ``wrong``."""
    if not isinstance(got, list | tuple) or len(got) != len(wrong):
        return False
    return all(close(g, w, rtol=1e-5) for g, w in zip(got, wrong, strict=True))


def _as_list(message: str, wrong: Any, key: str = "result") -> Mistake:
    """A mistake judged on the whole list ``ctx[key]``, against ``wrong(*pristine args)``."""
    return Mistake(message, lambda got, exp, ctx: _lists_close(ctx[key], wrong(*ctx["args"])))


def _has_nan(got: Any) -> bool:
    try:
        return bool(np.any(np.isnan(np.asarray(got, dtype=float))))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------- chain_gradient


def _chain(factor: Any, w_used: bool = True, reduce: Any = np.prod) -> Any:
    return lambda z, w: reduce((w if w_used else 1.0) * factor(z), axis=1)


_CHAIN_MISTAKES = [
    Mistake(
        "NaN for large |z|: exp(-z) / (1 + exp(-z))**2 is inf / inf once exp overflows; compute "
        "s = sigmoid(z) first and use sigmoid'(z) = s (1 - s)",
        lambda got, exp, ctx: _has_nan(got) and not _has_nan(exp),
    ),
    Mistake(
        "multiplied over the N chains (axis 0): the layers run along axis 1, so the result has "
        "shape (N,)",
        lambda got, exp, ctx: np.shape(got) == (np.shape(ctx["args"][0])[1],),
    ),
    Mistake(
        "forgot the weights: each layer contributes w_l * sigmoid'(z_l), not sigmoid'(z_l) alone",
        impl=_chain(_sigmoid_prime, w_used=False),
    ),
    Mistake(
        "used sigmoid(z) where the chain rule needs its derivative sigmoid'(z) = s (1 - s)",
        impl=_chain(sigmoid),
    ),
    Mistake(
        "applied s (1 - s) to z itself: first compute s = sigmoid(z), then s (1 - s)",
        impl=_chain(lambda z: z * (1 - z)),
    ),
    Mistake(
        "applied the sigmoid twice: z is the pre-activation, so the factor is sigmoid'(z), "
        "not sigmoid'(sigmoid(z))",
        impl=_chain(lambda z: _sigmoid_prime(sigmoid(z))),
    ),
    Mistake(
        "added the layers' factors: the chain rule multiplies them (np.prod along axis 1)",
        impl=_chain(_sigmoid_prime, reduce=np.sum),
    ),
]


def check_chain_gradient(chain_gradient: Any) -> None:
    """``chain_gradient(z, w)`` returns ``prod_l w_l sigmoid'(z[:, l])``, shape (N,)."""
    cases = [  # (seed, N, L, scale of z, dtype); N != L, so the axis matters
        (0, 4, 6, 1.5, np.float64),
        (1, 3, 10, 2.0, np.float64),
        (2, 1, 4, 1.0, np.float64),
        (3, 5, 1, 2.0, np.float64),
        (4, 6, 8, 1.0, np.float32),
    ]
    fixed = [
        (np.zeros((2, 8)), np.ones(8), "z = 0, w = 1: the bound 0.25^L is reached"),
        (
            np.array([[800.0, 0.5, -1.0, 2.0], [-800.0, 1.0, 0.2, -0.3], [0.1, -0.4, 1.2, 0.7]]),
            np.array([1.5, -0.8, 2.0, 1.1]),
            "|z| as large as 800",
        ),
    ]
    with Check(CHAIN_GRADIENT, chain_gradient) as c:
        inputs = []
        for seed, n, layers, scale, dtype in cases:
            rng = np.random.default_rng(7000 + seed)
            z = (scale * rng.normal(size=(n, layers))).astype(dtype)
            w = rng.uniform(0.5, 2.5, size=layers) * rng.choice([-1.0, 1.0], size=layers)
            inputs.append((z, w.astype(dtype), f"seed {seed}"))
        for z, w, note in [*inputs, *fixed]:
            g = c.call(z, w, note=note)
            expected = np.prod(w * _sigmoid_prime(z), axis=1).astype(z.dtype)
            # relative tolerance only: the products are tiny (0.25^10 ~ 1e-6), and one
            # chain's gradient may be a million times smaller than another's
            rtol = 1e-4 if z.dtype == np.float32 else 1e-6
            c.compare(g, expected, name="g", mistakes=_CHAIN_MISTAKES, rtol=rtol, atol=1e-300)


# ---------------------------------------------------------------- grad_norm_profile


def _slope(kind: str, a: np.ndarray, z: np.ndarray) -> Any:
    """What multiplies ``da`` into ``dz``: ``a (1 - a)``, or a catalogued wrong factor."""
    if kind == "a(1-a)":
        return a * (1 - a)
    if kind == "z(1-z)":
        return z * (1 - z)
    if kind == "sigmoid'(a)":
        return sigmoid(a) * (1 - sigmoid(a))
    return 1.0


def _matrix_norm(kind: str, dW: np.ndarray) -> float:
    if kind == "squared":
        return float(np.sum(dW * dW))
    if kind == "spectral":
        return float(np.linalg.norm(dW, 2))
    return math.sqrt(float(np.sum(dW * dW)))


def profile_reference(
    x: np.ndarray,
    Ws: list,
    bs: list,
    dout: np.ndarray,
    *,
    slope: str = "a(1-a)",
    pass_back: str = "dz",
    last_slope: bool = True,
    norm: str = "fro",
    order: str = "forward",
) -> np.ndarray:
    """``||dW_l||_F`` for every layer of the sigmoid MLP; keywords give wrong variants.

    ``slope`` is what multiplies ``da`` into ``dz``: ``"a(1-a)"`` (right),
    ``"z(1-z)"`` (applied to the pre-activation), ``"sigmoid'(a)"`` (the
    sigmoid applied twice) or ``"none"``; ``pass_back="da"`` sends ``da``
    instead of ``dz`` back through ``W``; ``last_slope=False`` treats the last
    layer as linear; ``norm`` is ``"fro"``, ``"squared"`` or ``"spectral"``;
    ``order="backward"`` lists the norms from the last layer to the first.
    """
    acts, pre = [np.asarray(x, dtype=np.float64)], []
    for W, b in zip(Ws, bs, strict=True):
        pre.append(acts[-1] @ np.asarray(W, dtype=np.float64) + b)  # z_l  (N, D_l)
        acts.append(sigmoid(pre[-1]))  # a_l  (N, D_l)
    L = len(Ws)
    norms = np.zeros(L)
    da = np.asarray(dout, dtype=np.float64)
    for layer in reversed(range(L)):
        a, z = acts[layer + 1], pre[layer]
        dz = da * _slope(slope if last_slope or layer < L - 1 else "none", a, z)  # (N, D_l)
        dW = acts[layer].T @ dz  # (D_{l-1}, D_l)
        norms[layer] = _matrix_norm(norm, dW)
        da = (dz if pass_back == "dz" else da) @ np.asarray(Ws[layer], dtype=np.float64).T
    return norms[::-1].copy() if order == "backward" else norms


def _profile_mistake(message: str, **variant: Any) -> Mistake:
    return Mistake(message, impl=lambda *a: profile_reference(*a, **variant))


_PROFILE_MISTAKES = [
    _profile_mistake(
        "the norms are in backward order: the loop runs from the last layer to the first, so "
        "store each one at its layer's index (norms[l] = ...) or reverse the list at the end",
        order="backward",
    ),
    _profile_mistake(
        "applied s (1 - s) to the pre-activation z: sigmoid'(z) = a (1 - a) with a = sigmoid(z), "
        "the layer's output from the forward pass",
        slope="z(1-z)",
    ),
    _profile_mistake(
        "applied the sigmoid twice: a is already sigmoid(z), so sigmoid'(z) = a (1 - a), not "
        "sigmoid(a) (1 - sigmoid(a))",
        slope="sigmoid'(a)",
    ),
    _profile_mistake(
        "left out the sigmoid's slope: dz = da * a (1 - a) before dW = a_prev.T @ dz",
        slope="none",
    ),
    _profile_mistake(
        "the last layer has a sigmoid too: its dz is dout * a_L (1 - a_L)",
        last_slope=False,
    ),
    _profile_mistake(
        "sent da back through W instead of dz: the gradient for the layer below is "
        "dz @ W.T, with the sigmoid's slope already in dz",
        pass_back="da",
    ),
    _profile_mistake(
        "forgot the square root: that is the squared norm, the sum of the squares",
        norm="squared",
    ),
    _profile_mistake(
        "np.linalg.norm(dW, 2) of a matrix is its largest singular value (the spectral norm): "
        "call np.linalg.norm(dW) for the Frobenius norm",
        norm="spectral",
    ),
]


def _profile_vector(c: Check, got: Any) -> Any:
    """A list or tuple of numbers becomes an array; entries that are arrays fail clearly."""
    if not isinstance(got, list | tuple):
        return got
    bad = next((np.shape(v) for v in got if np.size(v) != 1), None)
    if bad is not None:
        raise c.failure(
            "every entry of your norms must be one number",
            got=f"a {type(got).__name__} whose entries include an array of shape {bad}",
            expected="one number per layer",
            likely="take the norm of the whole dW (np.linalg.norm(dW), no axis=)",
            kind="shape",
        )
    try:
        return np.array([float(np.asarray(v).ravel()[0]) for v in got])
    except (TypeError, ValueError):
        return got  # compare() says what it is


def _network(seed: int, n: int, widths: list, scale: float, dtype: Any) -> tuple:
    """x (N, D_0), Ws, bs and dout (N, D_L) of a seeded sigmoid MLP with these widths."""
    rng = np.random.default_rng(7100 + seed)
    x = rng.normal(size=(n, widths[0]))
    Ws = [
        scale * rng.normal(size=(a, b)) / math.sqrt(a)
        for a, b in zip(widths[:-1], widths[1:], strict=True)
    ]
    bs = [0.5 * rng.normal(size=b) for b in widths[1:]]
    dout = rng.normal(size=(n, widths[-1]))
    cast = [x.astype(dtype), [W.astype(dtype) for W in Ws], [b.astype(dtype) for b in bs]]
    return (*cast, dout.astype(dtype))


def check_grad_norm_profile(grad_norm_profile: Any) -> None:
    """``grad_norm_profile(x, Ws, bs, dout)`` returns ``||dW_l||_F`` per layer, shape (L,)."""
    cases = [  # (seed, N, widths D_0 ... D_L, weight scale, dtype)
        (0, 5, [4, 6, 3, 5, 2], 1.0, np.float64),
        (1, 1, [3, 4, 4, 4, 4, 4, 4, 4, 4, 2], 1.0, np.float64),  # one example, 9 layers
        (2, 8, [6, 3], 2.0, np.float64),  # a single layer
        (3, 4, [5, 5, 5, 5], 0.5, np.float32),
        (4, 6, [3, *[8] * 11, 1], 1.0, np.float64),  # 12 layers: the profile spans decades
        (5, 3, [2, 7, 4], 6.0, np.float64),  # large weights: saturated units
    ]
    with Check(GRAD_NORM_PROFILE, grad_norm_profile) as c:
        for seed, n, widths, scale, dtype in cases:
            x, Ws, bs, dout = _network(seed, n, widths, scale, dtype)
            note = f"seed {seed}, {len(Ws)} layers of widths {widths[1:]}, {np.dtype(dtype)}"
            got = _profile_vector(c, c.call(x, Ws, bs, dout, note=note))
            expected = profile_reference(x, Ws, bs, dout)  # float64: any float dtype is fine
            rtol = 1e-4 if dtype == np.float32 else 1e-7
            c.compare(
                got,
                expected,
                name="norms",
                mistakes=_PROFILE_MISTAKES,
                rtol=rtol,
                atol=0.0,
                check_dtype=False,
            )


# ---------------------------------------------------------------- train_with_guard


def _fmt(v: Any) -> str:
    return f"{float(v):g}"


def check_train_with_guard(train_with_guard: Any) -> None:
    """``train_with_guard(step, n)`` calls ``step()`` until n losses or the first NaN/inf."""
    f32 = np.float32
    nan, inf = math.nan, math.inf
    cases = [  # (losses step() returns, n_steps): n_steps >= 2 past the first NaN/inf, so
        # "never stopped" and "stopped one call late" are told apart
        ([2.0, 1.5, 1.2, nan], 6),
        ([3.0, 50.0, 1e30, inf], 7),  # 1e30 is huge but finite
        ([1.0, 0.9, 0.8, 0.7], 4),
        ([1.0, -inf], 5),
        ([f32(0.5), f32(0.4), f32("nan")], 5),  # NumPy float32 scalars
        ([0.3, 0.2, 0.1, nan], 2),  # n_steps ends before the NaN
        ([inf], 3),
        ([0.5], 0),
    ]
    with Check(TRAIN_WITH_GUARD, train_with_guard) as c:
        for script, n_steps in cases:
            step = ScriptedLosses(script)
            shown = ", ".join(_fmt(v) for v in script[: n_steps + 1])
            got = c.call(step, n_steps, note=f"step() returns {shown}, ...")
            bad = next((i for i, v in enumerate(script[:n_steps]) if not math.isfinite(v)), None)
            calls = n_steps if bad is None else bad + 1
            expected = [float(v) for v in script[:calls]]
            _judge_guard(c, step, n_steps, bad, calls)
            c.require(
                got is not None,
                "train_with_guard returned None",
                likely="end with `return losses, message`",
                kind="none",
            )
            losses, message = c.unpack(got, ("losses", "message"))
            c.require(
                isinstance(losses, list | tuple | np.ndarray) and np.ndim(losses) == 1,
                "your losses is not a list of numbers",
                got=repr(losses) if losses is None else type(losses).__name__,
                expected=f"a list of {len(expected)} losses",
                kind="type",
            )
            _judge_losses(c, [float(v) for v in losses], expected)
            _judge_message(c, message, None if bad is None else (bad + 1, script[bad]))


def _says_value(message: str, loss: Any) -> bool:
    """``message`` shows the non-finite ``loss`` as Python prints it (any letter case)."""
    text = message.lower()
    if math.isnan(loss):
        return "nan" in text
    if loss < 0:
        return "-inf" in text
    return re.search(r"(?<!-)inf", text) is not None


def _says_step(message: str, k: int) -> bool:
    return re.search(rf"(?<![\d.]){k}(?!\d)", message) is not None


def _judge_message(c: Check, message: Any, stop: tuple | None) -> None:
    """None after a full run; else a str naming the step (from 1) and the loss."""
    if stop is None:
        c.require(
            message is None,
            "training ran all n_steps steps, so message should be None",
            got=repr(message)[:80],
            likely="set message = None before the loop and change it only where you stop early",
            kind="message",
        )
        return
    k, loss = stop
    c.require(
        isinstance(message, str),
        f"training stopped at step {k}, so message should be a str saying so",
        got=repr(message)[:80],
        likely="build the message where you break out of the loop, e.g. "
        'f"stopped at step {k}: the loss is {loss}"',
        kind="message",
    )
    shown = "nan" if math.isnan(loss) else str(float(loss))
    if not _says_step(message, k):
        likely = None
        if _says_step(message, k - 1):
            likely = (
                "counted the steps from 0: the first call of step() is step 1, so the step "
                "that returned the bad loss is len(losses)"
            )
        raise c.failure(
            f"your message does not name step {k}, where the loss became {shown}",
            got=repr(message)[:120],
            expected=f"a message that contains the number {k}",
            likely=likely,
            kind="message",
        )
    c.require(
        _says_value(message, loss),
        f"your message does not show the loss that stopped training ({shown})",
        got=repr(message)[:120],
        expected=f"a message that contains {shown}",
        likely='put the loss itself in the message, e.g. f"... the loss is {loss}"',
        kind="message",
    )


def _judge_guard(c: Check, step: ScriptedLosses, n: int, bad: int | None, calls: int) -> None:
    """Fail, naming the likely mistake, unless ``step()`` ran exactly ``calls`` times."""
    if step.calls == calls:
        return
    last = step.value(step.calls) if step.calls else None
    if step.calls < calls and last is not None and math.isfinite(last):
        likely = f"stopped at a finite loss ({_fmt(last)}): only NaN, inf or -inf stop training"
    elif bad is None or step.calls < calls:
        likely = f"loop exactly n_steps = {n} times (for _ in range(n_steps)), stopping early "
        likely += "only at a NaN or infinite loss"
    elif step.calls == n and math.isnan(step.losses[bad]):
        likely = (
            "NaN is not equal to anything, itself included, so `loss == np.nan` is always "
            "False: test with math.isfinite(loss)"
        )
    elif step.calls == n:
        likely = (
            f"did not stop at {_fmt(step.losses[bad])}: np.isnan() is False for inf and -inf; "
            "math.isfinite(loss) is False for NaN, inf and -inf alike"
        )
    elif step.calls == calls + 1:
        likely = (
            "tested the loss one step too late: check each loss right after step() returns it, "
            "before calling step() again"
        )
    else:
        likely = "stop (break) right after the first loss that is NaN, inf or -inf"
    after = "" if bad is None else f" (the loss became {_fmt(step.losses[bad])} at call {bad + 1})"
    raise c.failure(
        f"your loop called step() {step.calls} times; expected {calls}{after}",
        likely=likely,
        kind="calls",
    )


def _judge_losses(c: Check, got: list, expected: list) -> None:
    if len(got) == len(expected) - 1 and not math.isfinite(expected[-1]):
        raise c.failure(
            f"your losses has {len(got)} entries; expected {len(expected)}",
            got=f"losses ends with {_fmt(got[-1]) if got else 'nothing'}",
            expected=f"losses ends with {_fmt(expected[-1])}",
            likely="left out the non-finite loss: append it before stopping, so whoever reads "
            "losses sees why training ended",
            kind="shape",
        )
    c.compare(np.array(got, dtype=float), np.array(expected), name="losses", check_dtype=False)


# ---------------------------------------------------------------- clip_grad_norm_


def _norm_clip_each(grads: list, c: float) -> list:
    return [g * min(1.0, c / (_norm(g) + EPS)) for g in grads]


def _scaled(grads: list, scale: float) -> list:
    return [(np.asarray(g, dtype=np.float64) * scale).astype(g.dtype) for g in grads]


def _clip_norm_ref(grads: list, max_norm: float) -> tuple[list, float]:
    total = _global_norm(grads)
    scale = max_norm / (total + EPS)
    return (_scaled(grads, scale) if scale < 1.0 else [g.copy() for g in grads]), total


def _wrong_total(total_fn: Any, scale_fn: Any) -> Any:
    """A wrong clip: ``total_fn(grads)`` as the norm, ``scale_fn(total, max_norm)`` as scale."""

    def clip(grads: list, max_norm: float) -> list:
        return _scaled(grads, scale_fn(total_fn(grads), max_norm))

    return clip


def _per_row(grads: list, max_norm: float) -> list:
    out = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        rows = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
        out.append(g * np.minimum(1.0, max_norm / (rows + EPS)))
    return out


def _torch_scale(total: float, max_norm: float) -> float:
    return min(1.0, max_norm / (total + EPS))


_ZERO_NAN = (
    "all-zero gradients gave NaN (0 / 0): scale only when norm > max_norm, and divide by "
    "norm + 1e-6 as torch does"
)
_NORM_ARRAY_MISTAKES = [
    Mistake(
        _ZERO_NAN,
        lambda got, exp, ctx: _has_nan(got) and _global_norm(ctx["args"][0]) == 0.0,
    ),
    _as_list(
        "the arrays in grads did not change: scale them in place (g *= scale); `g = g * scale` "
        "only gives the name g a new array",
        lambda grads, m: [g.copy() for g in grads],
        key="after",
    ),
    _as_list(
        "clipped each array by its own norm: compute ONE norm over all arrays together and "
        "scale every array by the same factor",
        _norm_clip_each,
        key="after",
    ),
    _as_list(
        "forgot the square root: the norm is sqrt(sum of the squares of every entry)",
        _wrong_total(lambda gs: _global_norm(gs) ** 2, _torch_scale),
        key="after",
    ),
    _as_list(
        "scaled gradients whose norm was already below max_norm (made them larger): clip only "
        "when norm > max_norm",
        _wrong_total(_global_norm, lambda t, m: m / (t + EPS)),
        key="after",
    ),
    _as_list(
        "the scale is upside down: multiply by max_norm / norm (less than 1), not norm / max_norm",
        _wrong_total(_global_norm, lambda t, m: t / m if t > m else 1.0),
        key="after",
    ),
    _as_list(
        "added the arrays' norms: square each norm, add the squares, then take one square root",
        _wrong_total(lambda gs: sum(_norm(g) for g in gs), _torch_scale),
        key="after",
    ),
    _as_list(
        "scaled each row by its own norm (a norm along one axis): the global norm runs over "
        "every entry of every array",
        _per_row,
        key="after",
    ),
    _as_list(
        "clipped each entry into [-max_norm, max_norm]: that is clipping by value; clipping by "
        "norm scales all arrays by one common factor",
        lambda grads, m: [np.clip(g, -m, m) for g in grads],
        key="after",
    ),
]
_TOTAL_MISTAKES = [
    Mistake(
        "return the total norm measured before clipping, as torch does (it shows when "
        "gradients explode)",
        lambda got, exp, ctx: got is None,
    ),
    Mistake(
        "returned one norm per array: return the single global norm over all of them",
        lambda got, exp, ctx: np.shape(got) == (len(ctx["args"][0]),),
    ),
    Mistake(
        "returned the norm after clipping: compute it, remember it, then clip, and return the "
        "value from before",
        lambda got, exp, ctx: close(got, min(exp, ctx["max_norm"]), rtol=1e-5),
    ),
    Mistake(
        "forgot the square root: the norm is sqrt(sum of the squares of every entry)",
        lambda got, exp, ctx: close(got, exp**2, rtol=1e-5),
    ),
    Mistake(
        "added the arrays' norms: square each norm, add the squares, then take one square root",
        lambda got, exp, ctx: close(got, sum(_norm(g) for g in ctx["args"][0]), rtol=1e-5),
    ),
]


def check_clip_grad_norm_(clip_grad_norm_: Any) -> None:
    """``clip_grad_norm_(grads, max_norm)`` scales grads in place, returns the norm before."""
    cases = [  # (seed, shapes, scale per array, max_norm, dtype)
        (0, [(4, 3), (3,), (3, 2), (2,)], [0.1, 2.0, 3.0, 1.0], 1.0, np.float64),
        (1, [(3, 4), (4,)], [0.1, 0.1], 5.0, np.float64),  # below max_norm: unchanged
        (2, [(5, 3)], [10.0], 2, np.float64),  # a single array, an int max_norm
        (3, [(4, 4), (4,)], [5.0, 5.0], 0.5, np.float32),  # must stay float32
        (4, [(3, 2), (2,)], [0.0, 0.0], 1.0, np.float64),  # all zero: no NaN
        (5, [(2, 3, 4), (6,), (4, 2)], [4.0, 0.0, 1.0], 3.0, np.float64),
        (6, [(3, 3)], [0.0], 0.5, np.float32),
    ]
    names = tuple(_arg_names(clip_grad_norm_, 2))  # the learner may rename grads
    with Check(CLIP_GRAD_NORM, clip_grad_norm_) as c:
        for seed, shapes, scales, max_norm, dtype in cases:
            rng = np.random.default_rng(7400 + seed)
            grads = [
                (s * rng.normal(size=sh)).astype(dtype)
                for sh, s in zip(shapes, scales, strict=True)
            ]
            originals, pristine = list(grads), [g.copy() for g in grads]
            note = _describe(grads, seed)
            total = _call_clip(c, grads, max_norm, note, names)
            if len(grads) != len(originals) or any(
                a is not b for a, b in zip(grads, originals, strict=False)
            ):
                raise c.failure(
                    "your clip_grad_norm_ replaced the entries of the list grads with new arrays",
                    likely="the optimizer holds the original arrays, so scale those in place: "
                    "g *= scale (or g[...] = g * scale)",
                    kind="not_in_place",
                )
            expected, ref_total = _clip_norm_ref(pristine, max_norm)
            ctx = {"after": originals, "max_norm": max_norm}
            for i, (g, e) in enumerate(zip(originals, expected, strict=True)):
                # rtol 1e-5 also accepts max_norm / norm without torch's + 1e-6
                rtol = None if dtype == np.float32 else 1e-5
                c.compare(
                    g, e, name=f"grads[{i}]", mistakes=_NORM_ARRAY_MISTAKES,
                    ctx=ctx, rtol=rtol,
                )  # fmt: skip
            rtol = 1e-5 if dtype == np.float32 else None
            c.compare(
                total, ref_total, name="returned norm", mistakes=_TOTAL_MISTAKES, ctx=ctx,
                rtol=rtol,
            )  # fmt: skip


def _call_clip(c: Check, grads: list, max_norm: float, note: str, names: tuple) -> Any:
    """Call the learner's clip; a division by zero on all-zero gradients gets its own message."""
    try:
        return c.call(grads, max_norm, note=note, mutates=names)
    except ExerciseFailed as failed:
        if isinstance(failed.learner_exception, ZeroDivisionError):
            raise c.failure(
                "your code divided by zero: the gradients are all zero, so their norm is 0",
                likely=_ZERO_NAN,
                kind="exception",
            ) from None
        raise


# the cures: batch normalization and the residual block (declared after the four above,
# in the notebook's order)
from ._ch07_cures import (  # noqa: E402
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_residual_backward,
)
