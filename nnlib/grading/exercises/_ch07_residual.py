"""The check of chapter 7's ``residual_backward(dout, x, W, b) -> (dx, dW, db)``.

The block is ``out = x + tanh(x @ W + b)`` with a square ``W`` (D, D); the
identity path adds ``dout`` itself to ``dx``. The reference is written out in
float64 and cast to the inputs' dtype; its keywords give the catalogued wrong
variants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake
from ._ch07_common import RESIDUAL_BACKWARD, f64, unlike_expected

__all__ = ["check_residual_backward"]


# ---------------------------------------------------------------- residual_backward


def residual_reference(
    dout: np.ndarray,
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    *,
    identity: bool = True,
    branch: bool = True,
    slope: str = "1-t**2",
    back: str = "W.T",
    reduce: Any = np.sum,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dx, dW, db)`` of ``out = x + tanh(x @ W + b)``; keywords give wrong variants."""
    g, x64, W64 = f64(dout), f64(x), f64(W)
    z = x64 @ W64 + f64(b)  # (N, D)
    t = np.tanh(z)
    factor = {"1-t**2": 1 - t**2, "1-t": 1 - t, "1-z**2": 1 - z**2, "none": 1.0}[slope]
    dz = g * factor  # (N, D)
    dW = x64.T @ dz  # (D, D)
    db = reduce(dz, axis=0)  # (D,)
    through = dz @ (W64.T if back == "W.T" else W64)  # (N, D): the path through tanh
    dx = (g if identity else 0.0) + (through if branch else 0.0)
    dtype = np.asarray(x).dtype
    return dx.astype(dtype), dW.astype(dtype), db.astype(dtype)


def _res(message: str, index: int, **variant: Any) -> Mistake:
    return unlike_expected(message, lambda *a: residual_reference(*a, **variant)[index])


_SLOPE = [
    (
        "tanh'(z) = 1 - tanh(z)**2: the tanh is squared",
        {"slope": "1-t"},
    ),
    (
        "applied 1 - t**2 to z itself: first t = tanh(z), then the slope 1 - t**2",
        {"slope": "1-z**2"},
    ),
    (
        "left out tanh's slope: dz = dout * (1 - tanh(z)**2) before the weights",
        {"slope": "none"},
    ),
]
_RESIDUAL_MISTAKES = {
    "dx": [
        _res(
            "forgot the identity path: out = x + f(x), so dx = dout + (the gradient through f)",
            0,
            identity=False,
        ),
        _res(
            "forgot the path through the branch: dx = dout + dz @ W.T, not dout alone",
            0,
            branch=False,
        ),
        _res(
            "the gradient goes back through W's transpose: dz @ W.T, since z = x @ W + b",
            0,
            back="W",
        ),
        *(_res(m, 0, **v) for m, v in _SLOPE),
    ],
    "dW": [*(_res(m, 1, **v) for m, v in _SLOPE)],
    "db": [
        _res("every example adds to db: sum dz over the batch, not the mean", 2, reduce=np.mean),
        Mistake(
            "summed over the features (axis=1): db has one entry per feature, so it sums dz "
            "over the batch, axis=0",
            lambda got, exp, ctx: np.shape(got) == (ctx["N"],) != np.shape(exp),
        ),
        *(_res(m, 2, **v) for m, v in _SLOPE),
    ],
}


def check_residual_backward(residual_backward: Any) -> None:
    """``residual_backward(dout, x, W, b)`` -> ``(dx, dW, db)`` of ``x + tanh(x @ W + b)``."""
    cases = [  # (seed, N, D, weight scale, dtype): N != D, so the axis matters
        (0, 5, 3, 1.0, np.float64),
        (1, 1, 4, 1.0, np.float64),
        (2, 7, 1, 0.8, np.float64),
        (3, 4, 6, 1.0, np.float32),
        (4, 3, 5, 4.0, np.float64),  # saturated: tanh' ~ 0, dx ~ dout
    ]
    with Check(RESIDUAL_BACKWARD, residual_backward) as c:
        for seed, n, d, scale, dtype in cases:
            rng = np.random.default_rng(7700 + seed)
            x = rng.normal(size=(n, d))
            W = scale * rng.normal(size=(d, d)) / np.sqrt(d)
            b = 0.3 * rng.normal(size=d)
            dout = rng.normal(size=(n, d))
            args = tuple(a.astype(dtype) for a in (dout, x, W, b))
            got = c.call(*args, note=f"seed {seed}" + (", float32" if dtype == np.float32 else ""))
            grads = c.unpack(got, ("dx", "dW", "db"))
            expected = residual_reference(*args)
            for name, value, ref in zip(("dx", "dW", "db"), grads, expected, strict=True):
                c.compare(value, ref, name=name, mistakes=_RESIDUAL_MISTAKES[name])
