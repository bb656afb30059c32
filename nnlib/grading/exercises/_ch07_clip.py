"""The check of chapter 7's ``clip_grad_norm_(grads, max_norm) -> total_norm``.

``grads`` is a list of NumPy arrays of any shapes; the learner scales the
arrays themselves (trailing underscore, as in torch) and returns the global
norm measured before clipping, with ``scale = max_norm / (norm + 1e-6)`` when
``norm > max_norm``. The cases include a single array, all-zero gradients and
float32 arrays (which must stay float32).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close
from ..feedback import ExerciseFailed
from ._ch07_common import CLIP_GRAD_NORM, has_nan, param_name

__all__ = ["check_clip_grad_norm_"]

EPS = 1e-6  # added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does


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
        lambda got, exp, ctx: has_nan(got) and _global_norm(ctx["args"][0]) == 0.0,
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
    names = (
        param_name(clip_grad_norm_, 0),
        param_name(clip_grad_norm_, 1),
    )  # the learner may rename grads
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
