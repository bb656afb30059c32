"""Checks of chapter 7's exercises: vanishing and exploding gradients.

=====================  ==============================================================  ======
exercise id            the learner writes                                              points
=====================  ==============================================================  ======
``chain_gradient``     ``chain_gradient(z, w) -> g`` (N,): prod of w_l sigmoid'(z_l)       2
``layer_grad_norms``   ``layer_grad_norms(grads) -> norms`` (L,): ||dW|| per layer         1
``train_with_guard``   ``train_with_guard(step, n_steps) -> losses``: stop on NaN/inf      1
``clip_by_value``      ``clip_by_value(grads, clip_value) -> clipped``: NEW arrays         1
``clip_grad_norm_``    ``clip_grad_norm_(grads, max_norm) -> total_norm``: IN PLACE        2
=====================  ==============================================================  ======

``grads`` is a list of NumPy arrays of any shapes (weights 2-D, biases 1-D).
``clip_by_value`` leaves it untouched and returns new arrays;
``clip_grad_norm_`` (trailing underscore, as in torch) scales the arrays
themselves and returns the global norm measured before clipping, with
``scale = max_norm / (norm + 1e-6)`` when ``norm > max_norm``. The references
are written inline; the clipping ones follow ``nnlib.optim``. Every check
runs several shapes and seeds, a single array, all-zero gradients and float32
arrays (which must stay float32).
"""

from __future__ import annotations

import math
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
    "check_layer_grad_norms",
    "check_train_with_guard",
    "check_clip_by_value",
    "check_clip_grad_norm_",
]

CHAIN_GRADIENT = Exercise("ch07", "chain_gradient", "Gradient through a sigmoid chain", points=2)
LAYER_GRAD_NORMS = Exercise("ch07", "layer_grad_norms", "Gradient norm per layer", points=1)
TRAIN_WITH_GUARD = Exercise(
    "ch07", "train_with_guard", "Stop training on a non-finite loss", points=1
)
CLIP_BY_VALUE = Exercise("ch07", "clip_by_value", "Gradient clipping by value", points=1)
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


# ---------------------------------------------------------------- layer_grad_norms

_PER_AXIS = (
    "took the norm along one axis (per row or per column): the Frobenius norm adds the squares "
    "of EVERY entry, so each layer gives one number (np.linalg.norm(dW) without axis=)"
)


def _per_array(fn: Any) -> Any:
    return lambda grads: np.array([fn(np.asarray(g, dtype=np.float64)) for g in grads])


_NORMS_MISTAKES = [
    Mistake(
        "returned one number for all layers together: return one norm per array, shape (L,)",
        lambda got, exp, ctx: np.ndim(got) == 0,
    ),
    Mistake(_PER_AXIS, lambda got, exp, ctx: np.ndim(got) == 2),
    Mistake(
        "forgot the square root: that is the squared norm, the sum of the squares",
        impl=_per_array(lambda g: np.sum(g * g)),
    ),
    Mistake(
        "np.linalg.norm(dW, 2) of a matrix is its largest singular value (the spectral norm): "
        "call np.linalg.norm(dW) or np.linalg.norm(dW, 'fro') for the Frobenius norm",
        impl=_per_array(lambda g: np.linalg.norm(g, 2)),
    ),
    Mistake(
        "averaged the squares (a root mean square): the Frobenius norm SUMS them",
        impl=_per_array(lambda g: np.sqrt(np.mean(g * g))),
    ),
    Mistake(
        "added the absolute values (the L1 norm): square the entries, sum, then take the root",
        impl=_per_array(lambda g: np.sum(np.abs(g))),
    ),
    Mistake(
        "took the largest |entry| (the max norm): square the entries, sum, then take the root",
        impl=_per_array(lambda g: np.max(np.abs(g))),
    ),
]


def _norm_vector(c: Check, got: Any) -> Any:
    """A list or tuple of numbers becomes an array; entries that are arrays fail clearly."""
    if not isinstance(got, list | tuple):
        return got
    shapes = [np.shape(v) for v in got]
    if any(int(np.prod(s)) != 1 for s in shapes):
        bad = next(s for s in shapes if int(np.prod(s)) != 1)
        raise c.failure(
            "every entry of your norms must be one number",
            got=f"a {type(got).__name__} whose entries include an array of shape {bad}",
            expected="one number per layer",
            likely=_PER_AXIS,
            kind="shape",
        )
    try:
        return np.array([float(np.asarray(v).ravel()[0]) for v in got])
    except (TypeError, ValueError):
        return got  # compare() says what it is


def check_layer_grad_norms(layer_grad_norms: Any) -> None:
    """``layer_grad_norms(grads)`` returns ``[||g||_F for g in grads]`` as an array (L,)."""
    cases = [  # (seed, shapes, scale per layer: the first layers' gradients vanish, dtype)
        (0, [(5, 4), (4, 4), (4, 3), (3, 2)], [1e-4, 1e-2, 0.5, 3.0], np.float64),
        (1, [(3, 6), (6, 2)], [2.0, 0.7], np.float64),
        (2, [(4, 3)], [1.5], np.float64),
        (3, [(2, 5), (5, 5), (5, 1)], [20.0, 1.0, 0.05], np.float64),
        (4, [(6, 4), (4, 2)], [0.3, 4.0], np.float32),
        (5, [(3, 3), (3, 2)], [0.0, 1.0], np.float64),  # an all-zero gradient: norm 0
    ]
    with Check(LAYER_GRAD_NORMS, layer_grad_norms) as c:
        for seed, shapes, scales, dtype in cases:
            rng = np.random.default_rng(7100 + seed)
            grads = [
                (s * rng.normal(size=sh)).astype(dtype)
                for sh, s in zip(shapes, scales, strict=True)
            ]
            got = _norm_vector(c, c.call(grads, note=_describe(grads, seed)))
            expected = np.array([_norm(g) for g in grads])  # float64: any float dtype is fine
            rtol = 1e-5 if dtype == np.float32 else 1e-7
            c.compare(
                got,
                expected,
                name="norms",
                mistakes=_NORMS_MISTAKES,
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
                isinstance(got, list | tuple | np.ndarray) and np.ndim(got) == 1,
                "your losses is not a list of numbers",
                got=repr(got) if got is None else type(got).__name__,
                expected=f"a list of {len(expected)} losses",
                likely="a missing `return losses`?" if got is None else None,
                kind="type",
            )
            _judge_losses(c, [float(v) for v in got], expected)


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


# ---------------------------------------------------------------- clip_by_value


def _value_clip(lo: Any, hi: Any) -> Any:
    return lambda grads, c: [np.clip(g, lo(c), hi(c)) for g in grads]


def _norm_clip_each(grads: list, c: float) -> list:
    return [g * min(1.0, c / (_norm(g) + EPS)) for g in grads]


_VALUE_MISTAKES = [
    _as_list(
        "clipped only the large positive entries: np.minimum(g, c) leaves -5 at -5; clip both "
        "sides, np.clip(g, -clip_value, clip_value)",
        _value_clip(lambda c: -np.inf, lambda c: c),
    ),
    _as_list(
        "clipped only the large negative entries: clip both sides, "
        "np.clip(g, -clip_value, clip_value)",
        _value_clip(lambda c: -c, lambda c: np.inf),
    ),
    _as_list(
        "clipped into [0, clip_value]: the lower bound is -clip_value, so negative entries stay",
        _value_clip(lambda c: 0.0, lambda c: c),
    ),
    _as_list(
        "set every entry to ±clip_value: only entries beyond the threshold change",
        lambda grads, c: [np.sign(g) * c for g in grads],
    ),
    _as_list(
        "scaled each array by its norm: that is clipping by norm; clipping by value caps each "
        "entry on its own",
        _norm_clip_each,
    ),
    _as_list(
        "nothing was clipped: return np.clip(g, -clip_value, clip_value) for every array",
        lambda grads, c: [g.copy() for g in grads],
    ),
]


def _grad_list(rng: np.random.Generator, shapes: list, scale: float, dtype: Any) -> list:
    return [(scale * rng.normal(size=sh)).astype(dtype) for sh in shapes]


def _require_list(c: Check, got: Any, n: int) -> list:
    if isinstance(got, list | tuple) and len(got) == n:
        return list(got)
    if isinstance(got, np.ndarray):
        got_text, likely = (
            f"one array of shape {got.shape}",
            ("return a list with one clipped array per gradient; do not concatenate them"),
        )
    elif got is None:
        got_text, likely = "None", "a missing `return`?"
    else:
        got_text, likely = repr(got)[:60], None
    raise c.failure(
        f"your result is not a list of {n} arrays",
        got=got_text,
        expected=f"a list of {n} arrays, one per gradient, in the same order",
        likely=likely,
        kind="type",
    )


def check_clip_by_value(clip_by_value: Any) -> None:
    """``clip_by_value(grads, c)`` returns new arrays ``np.clip(g, -c, c)``; grads untouched."""
    cases = [  # (seed, shapes, scale of the entries, clip_value, dtype)
        (0, [(4, 3), (3,), (3, 2), (2,)], 2.0, 1.0, np.float64),
        (1, [(5, 2)], 1.0, 0.5, np.float64),
        (2, [(2, 3, 4), (6,)], 3.0, 2, np.float64),  # a 3-D array, an int clip_value
        (3, [(3, 4), (4,)], 0.1, 1.0, np.float64),  # nothing to clip
        (4, [(4, 4), (4,)], 5.0, 0.25, np.float32),
        (5, [(3, 2), (2,)], 0.0, 1.0, np.float64),  # all-zero gradients
    ]
    names = tuple(_arg_names(clip_by_value, 2))
    with Check(CLIP_BY_VALUE, clip_by_value) as c:
        for seed, shapes, scale, clip_value, dtype in cases:
            rng = np.random.default_rng(7300 + seed)
            grads = _grad_list(rng, shapes, scale, dtype)
            originals, pristine = list(grads), [g.copy() for g in grads]
            note = _describe(grads, seed)
            got = c.call(grads, clip_value, note=note, mutates=names, allow_alias=True)
            _require_untouched(c, grads, originals, pristine)
            out = _require_list(c, got, len(pristine))
            _require_new_arrays(c, out, originals)
            for i, g in enumerate(pristine):
                expected = np.clip(g, -clip_value, clip_value)
                c.compare(
                    out[i], expected, name=f"result[{i}]", mistakes=_VALUE_MISTAKES,
                    ctx={"result": out},
                )  # fmt: skip


def _require_new_arrays(c: Check, out: list, originals: list) -> None:
    for i, o in enumerate(out):
        if isinstance(o, np.ndarray) and any(np.shares_memory(o, g) for g in originals):
            raise c.failure(
                f"your result[{i}] is one of the input arrays (or a view of it)",
                likely="return new arrays even when nothing needs clipping (np.clip makes one), "
                "so changing the result cannot change grads",
                kind="alias",
            )


def _require_untouched(c: Check, grads: list, originals: list, pristine: list) -> None:
    same = len(grads) == len(originals) and all(
        a is b for a, b in zip(grads, originals, strict=False)
    )
    changed = [
        i
        for i, (a, b) in enumerate(zip(originals, pristine, strict=True))
        if not np.array_equal(a, b)
    ]
    if same and not changed:
        return
    what = (
        f"changed the arrays in grads (grads[{changed[0]}] differs)"
        if changed
        else "changed the list grads (its entries were replaced)"
    )
    raise c.failure(
        f"your clip_by_value {what}",
        likely="this function leaves its input alone and returns NEW arrays: "
        "np.clip(g, -clip_value, clip_value) without out=, collected in a new list",
        kind="mutated",
    )


# ---------------------------------------------------------------- clip_grad_norm_


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
