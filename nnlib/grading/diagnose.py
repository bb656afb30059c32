"""Naming the likely mistake behind a wrong answer.

A check author lists the common mistakes of an exercise as :class:`Mistake`
objects; when a comparison fails, the first one that matches is named in the
message. A mistake is recognised either by a predicate over what came back::

    Mistake("did not average over the batch: divide the sum by N",
            lambda got, exp, ctx: np.allclose(got, exp * ctx["N"]))

or by a wrong implementation, run on the same inputs as the learner's code::

    Mistake("summed over the wrong axis", impl=lambda x: x.sum(axis=1))

``ctx`` holds the inputs of the last call by argument name (``ctx["x"]``),
``ctx["args"]`` / ``ctx["kwargs"]``, ``ctx["N"]`` (the first dimension of the
first array argument, unless the author sets it) and anything the author
passes to ``Check.compare(..., ctx={...})``.

When no listed mistake matches, the generic hints below are tried: a
transposed result, a flipped sign, a constant factor (N, 2, 1/2...), a missing
or extra dimension, a reduction over the wrong axis, a float32 input that came
back as float64, NaN or inf (with NumPy's warnings). A generic hint states a
relation that holds on the failing case (the factor, the sign, the transpose,
the shapes); a pattern in values needs several entries to count, so a wrong
single number gets only "expected ..., got ..." and what is known about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Predicate = Callable[[Any, Any, dict], bool]


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer and how to recognise it.

    Parameters
    ----------
    message : str
        What the learner probably did, and what to do instead (one sentence).
    when : callable, optional
        ``when(got, expected, ctx) -> bool``; exceptions count as "no match".
    impl : callable, optional
        A wrong implementation with the learner function's signature that
        returns the compared quantity; it matches when the learner's result is
        close to what it returns on the same (pristine) inputs.
    """

    message: str
    when: Predicate | None = None
    impl: Callable[..., Any] | None = None

    def matches(self, got: Any, expected: Any, ctx: dict) -> bool:
        try:
            if self.when is not None:
                return bool(self.when(got, expected, ctx))
            if self.impl is not None:
                args = [_copy(a) for a in ctx.get("args", ())]
                kwargs = {k: _copy(v) for k, v in ctx.get("kwargs", {}).items()}
                with np.errstate(all="ignore"):
                    return close(got, self.impl(*args, **kwargs))
        except Exception:
            return False
        return False


def first_match(mistakes: Any, got: Any, expected: Any, ctx: dict) -> str | None:
    """The message of the first mistake in ``mistakes`` that matches, or None."""
    for m in mistakes:
        if m.matches(got, expected, ctx):
            return m.message
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def close(got: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """Same shape and ``np.allclose`` (NaNs never match)."""
    try:
        g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=rtol, atol=atol))


# ---------------------------------------------------------------- describing


def shape_of(value: Any) -> tuple | None:
    """The shape of an array or number (``()``), None for anything else."""
    if isinstance(value, np.ndarray | np.generic):
        return value.shape
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ()
    return None


def describe(value: Any) -> str:
    """A short description: ``array of shape (5, 4), float64`` / ``0.25`` / ``None``."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"{value.item():.6g} (0-d array, {value.dtype})"
        return f"array of shape {value.shape}, {value.dtype}"
    if isinstance(value, np.generic | int | float) and not isinstance(value, bool):
        try:
            return f"{float(value):.6g}"
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def describe_inputs(names: list[str], args: tuple, kwargs: dict) -> str:
    """``x (5, 3) float64, W (3, 4) float64, lr=0.1``."""
    parts = []
    for name, value in [*zip(names, args, strict=False), *kwargs.items()]:
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape} {value.dtype}")
        elif isinstance(value, np.generic | int | float | bool | str) or value is None:
            parts.append(f"{name}={value!r}")
        else:
            parts.append(f"{name} ({type(value).__name__})")
    return ", ".join(parts) or "no arguments"


def first_difference(got: Any, expected: Any, name: str, tol: dict) -> tuple[str, str]:
    """(got, expected) texts at the entry that differs most."""
    g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if e.ndim == 0:
        return f"{float(g):.6g}", f"{float(e):.6g}"
    bad = ~np.isclose(g, e, **tol)
    err = np.where(bad, np.abs(g - e), -1.0)
    err = np.nan_to_num(err, nan=np.inf)
    idx = np.unravel_index(int(np.argmax(err)), e.shape)
    where = f"{name}[{', '.join(str(int(i)) for i in idx)}]"
    n_bad, n = int(bad.sum()), e.size
    return f"{where} = {g[idx]:.6g}  ({n_bad} of {n} entries differ)", f"{where} = {e[idx]:.6g}"


# ---------------------------------------------------------------- generic hints


def shape_hint(got: Any, expected: Any, ctx: dict) -> str | None:
    """Why a result has the wrong shape, when a common reason fits."""
    gs, es = shape_of(got), shape_of(expected)
    if gs is None or es is None:
        return None
    arrays = [a for a in ctx.get("args", ()) if isinstance(a, np.ndarray)]
    if es == () and len(gs) >= 1 and all(d == 1 for d in gs):
        return f"return a plain number (e.g. `float(...)` or `.item()`), not shape {gs}"
    if es == () and len(gs) >= 1:
        return "expected one number: did you forget to average (or sum) over the batch?"
    if len(es) >= 2 and gs == es[::-1]:
        return "the result is transposed: did you forget a `.T` or swap the operands of `@`?"
    if len(es) == 1 and es[0] > 1 and gs == (es[0], es[0]):
        return "mixing shapes (N,) and (N, 1) broadcasts to (N, N): make the shapes match"
    if len(es) == 1 and gs == (es[0], 1):
        return "a column of shape (N, 1) where a vector (N,) was expected: flatten it or keep (N,)"
    if len(es) == 2 and es[1] == 1 and gs in ((es[0],), (es[0], es[0])):
        return "a (N, 1) column lost its second axis or was broadcast: keep the shape (N, 1)"
    if len(gs) == len(es) + 1 and 1 in gs and tuple(d for d in gs if d != 1) == es:
        return "an extra axis of length 1: drop `keepdims=True` or reshape"
    if len(gs) + 1 == len(es) and tuple(d for d in es if d != 1) == gs:
        return "an axis of length 1 is missing: use `keepdims=True` (or reshape)"
    for a in arrays:
        if a.ndim == 2 and a.shape[0] != a.shape[1]:
            rows, cols = a.shape
            if (gs, es) in (((rows,), (cols,)), ((cols,), (rows,))):
                return "reduced over the wrong axis: use the other `axis=` in sum/mean/max"
    if np.prod(gs, dtype=int) == np.prod(es, dtype=int) and gs != es:
        return "the right number of entries in the wrong layout: check reshapes and transposes"
    if len(gs) + 1 == len(es):
        return "an axis is missing: did you sum or average over an axis that should stay?"
    return None


def dtype_hint(got: Any, expected: Any) -> str | None:
    """Why a result has the wrong dtype."""
    gd, ed = np.asarray(got).dtype, np.asarray(expected).dtype
    if ed == np.float32 and gd == np.float64:
        return (
            "float32 inputs came back as float64: a float64 array or NumPy float64 scalar "
            "(e.g. np.zeros(...) without dtype=, np.float64(...)) upcasts; keep the input's dtype"
        )
    if np.issubdtype(ed, np.floating) and (np.issubdtype(gd, np.integer) or gd == np.bool_):
        return "the result holds integers or booleans: a float computation is expected"
    return None


def nonfinite_hint(got: Any, ctx: dict) -> str:
    """What is known about NaN or inf where finite numbers were expected.

    Only facts are stated: NumPy's own warnings when it gave any, and the
    size of the inputs; an overflow is named only when NumPy reported one.
    """
    biggest = max(
        (float(np.max(np.abs(a))) for a in ctx.get("args", ()) if _is_float_array(a)),
        default=0.0,
    )
    warned = sorted(set(ctx.get("warnings", [])))
    said = f" (NumPy warned: {'; '.join(warned)})" if warned else ""
    if any("overflow" in w for w in warned):
        return (
            "exp() (or another power) overflowed to inf: use a numerically stable form "
            f"(subtract the maximum first, or split by sign){said}"
        )
    if warned:
        return f"a division by zero or a log(0)? keep values away from 0 before dividing{said}"
    if biggest > 50:
        return (
            f"the inputs go up to {biggest:.3g}: exp() of such numbers overflows to inf or "
            "underflows to 0 (and log(0) = -inf); use a numerically stable form"
        )
    return "check for a division by zero, a log of 0 or an overflow"


def _is_float_array(a: Any) -> bool:
    return (
        isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating) and np.all(np.isfinite(a))
    )


MIN_ENTRIES = 3  # a pattern (a sign, a factor) needs this many entries to count as evidence


def value_hint(got: Any, expected: Any, ctx: dict) -> str | None:
    """Generic reasons for wrong values: transposed, sign flipped, a constant factor.

    A pattern is named only when it holds on at least ``MIN_ENTRIES`` nonzero
    entries at once: a single number (a loss, an epoch index) fits any factor,
    so it gets no hint here; the message shows the expected and the returned
    value instead.
    """
    g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if g.shape != e.shape or not np.any(np.abs(e) > 1e-12):
        return None
    mask = np.abs(e) > 1e-9 * np.max(np.abs(e))
    if int(mask.sum()) < MIN_ENTRIES:
        return None
    if e.ndim == 2 and e.shape[0] == e.shape[1] and np.allclose(g.T, e, rtol=1e-6, atol=1e-9):
        return "the result is transposed: check the order of a matrix product or a `.T`"
    if np.allclose(-g, e, rtol=1e-6, atol=1e-9):
        return "the sign is flipped: check a minus sign (e.g. subtract the gradient, do not add it)"
    ratios = g[mask] / e[mask]
    r = float(np.median(ratios))
    if not np.isfinite(r) or r == 0 or not np.allclose(ratios, r, rtol=1e-5, atol=0):
        return None
    if np.isclose(r, 1.0) or np.isclose(r, -1.0):
        return None
    n = ctx.get("N")
    if n and n > 1 and np.isclose(r, n):
        return f"{n} times too large (N = {n}): did you forget to divide by the batch size?"
    if n and n > 1 and np.isclose(r, 1 / n):
        return f"{n} times too small (N = {n}): did you divide by the batch size once too often?"
    if np.isclose(r, 2.0):
        return "twice too large: a factor 2 too many (a missing 1/2, or a 2 counted twice)"
    if np.isclose(r, 0.5):
        return "half of what was expected: a factor 2 is missing (the derivative of x² is 2x)"
    k = int(mask.sum())
    return (
        f"off by a constant factor: all {k} entries are {r:.4g} times the expected ones; "
        "check scaling constants"
    )


# Ready-made mistakes an author may list explicitly (they are also generic hints).
TRANSPOSED = Mistake(
    "the result is transposed: did you forget (or add) a `.T`?",
    lambda got, exp, ctx: close(np.asarray(got).T, exp),
)
SIGN_FLIPPED = Mistake("the sign is flipped", lambda got, exp, ctx: close(-np.asarray(got), exp))


def off_by_factor(factor: float | str, message: str) -> Mistake:
    """A mistake matching ``got == factor * expected``; a str factor is a ``ctx`` key."""

    def when(got: Any, exp: Any, ctx: dict) -> bool:
        k = ctx[factor] if isinstance(factor, str) else factor
        return close(got, np.asarray(exp, dtype=float) * k)

    return Mistake(message, when)


NOT_AVERAGED = off_by_factor("N", "did not average over the batch: divide the sum by N")
