"""The checks of chapter 7's batch normalization, forward and backward.

``batchnorm_forward(x, gamma, beta, running_mean, running_var, train, momentum, eps)``
returns ``(out, cache)``. In training mode it normalizes every column of ``x``
with the batch's mean and *biased* variance and updates the running
statistics IN PLACE with torch's convention (``momentum`` weighs the new
batch, the running variance is the *unbiased* estimate); in eval mode it
normalizes with the running statistics and leaves them alone. The cache is
the learner's own: the backward check gets it from the learner's forward and
hands it back, so it only has to be plain data (arrays and numbers in a
tuple, list or dict).

``batchnorm_backward(dout, cache)`` returns ``(dx, dgamma, dbeta)``. The
references are written out in float64 and cast to the inputs' dtype (they
agree with :class:`nnlib.BatchNorm1d`, which is tested against torch);
keywords of the references give the catalogued wrong variants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close
from ._ch07_common import BATCHNORM_BACKWARD, BATCHNORM_FORWARD, f64, param_name, unlike_expected

__all__ = ["check_batchnorm_forward", "check_batchnorm_backward"]


# ---------------------------------------------------------------- batchnorm_forward


def bn_forward_reference(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    train: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    ddof: int = 0,
    running_ddof: int = 1,
    new_weight: str = "momentum",
    eps_inside: bool = True,
    use_eps: bool = True,
    axis: int = 0,
    affine: str = "gamma, beta",
    eval_stats: str = "running",
    eval_sqrt: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(out, new running_mean, new running_var)``; keywords give wrong variants."""
    x64, N = f64(x), np.shape(x)[0]
    eps = eps if use_eps else 0.0
    rm, rv = f64(running_mean), f64(running_var)
    if train:
        mu = x64.mean(axis=axis, keepdims=True)
        var = x64.var(axis=axis, ddof=ddof, keepdims=True)
        root = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
        w = momentum if new_weight == "momentum" else 1 - momentum
        rm = (1 - w) * rm + w * x64.mean(axis=0)
        rv = (1 - w) * rv + w * x64.var(axis=0) * (N / (N - running_ddof))
    else:
        mu, var = (rm, rv) if eval_stats == "running" else (x64.mean(axis=0), x64.var(axis=0))
        root = np.sqrt(var + eps) if eval_sqrt else var + eps
    xhat = (x64 - mu) / root
    out = {
        "gamma, beta": lambda: f64(gamma) * xhat + f64(beta),
        "swapped": lambda: f64(beta) * xhat + f64(gamma),
        "none": lambda: xhat,
    }[affine]()
    return (
        out.astype(np.asarray(x).dtype),
        rm.astype(np.asarray(running_mean).dtype),
        rv.astype(np.asarray(running_var).dtype),
    )


def _nan_only_in_constant_columns(got: Any, x: np.ndarray) -> bool:
    nan = np.isnan(f64(got))
    constant = np.ptp(f64(x), axis=0) == 0  # (D,)
    return bool(nan.any()) and bool(np.all(constant[np.nonzero(nan)[1]]))


def _bn_variant(message: str, index: int, **variant: Any) -> Mistake:
    return unlike_expected(message, lambda *a: bn_forward_reference(*a, **variant)[index])


_OUT_MISTAKES = [
    Mistake(
        "a column whose values are all equal has variance 0, and (x - mu) / sqrt(var) is 0 / 0 "
        "there: add eps inside the square root, sqrt(var + eps)",
        lambda got, exp, ctx: _nan_only_in_constant_columns(got, ctx["args"][0]),
    ),
    _bn_variant(
        "forgot eps: divide by sqrt(var + eps), which also keeps a column whose values are all "
        "equal (variance 0) from giving 0 / 0",
        0,
        use_eps=False,
    ),
    _bn_variant(
        "normalized with the unbiased variance (divided by N - 1): the batch is normalized with "
        "its own biased variance, x.var(axis=0); only the running variance uses N - 1",
        0,
        ddof=1,
    ),
    _bn_variant(
        "eps goes inside the square root: (x - mu) / sqrt(var + eps), which matters for a "
        "feature whose variance is as small as eps",
        0,
        eps_inside=False,
    ),
    _bn_variant(
        "normalized each row, over the features (that is layer normalization): batch norm "
        "normalizes each column over the N examples of the batch, axis=0",
        0,
        axis=1,
    ),
    _bn_variant(
        "gamma scales and beta shifts: out = gamma * xhat + beta, not beta * xhat + gamma",
        0,
        affine="swapped",
    ),
    _bn_variant(
        "forgot the learnable scale and shift: out = gamma * xhat + beta", 0, affine="none"
    ),
    _bn_variant(
        "in eval mode (train=False) normalize with running_mean and running_var, not with the "
        "batch's own statistics: the output of an example must not depend on its batch",
        0,
        eval_stats="batch",
    ),
    _bn_variant(
        "running_var is a variance: divide by its square root, sqrt(running_var + eps)",
        0,
        eval_sqrt=False,
    ),
]
_KERAS = (
    "momentum is the weight of the NEW batch (torch's convention): running = (1 - momentum) * "
    "running + momentum * batch value; Keras's momentum weighs the old value instead"
)
_RUNNING_MEAN_MISTAKES = [_bn_variant(_KERAS, 1, new_weight="keras")]
_RUNNING_VAR_MISTAKES = [
    _bn_variant(
        "the running variance is the unbiased estimate, var * N / (N - 1), i.e. "
        "x.var(axis=0, ddof=1), as torch keeps it (the biased one normalizes the batch)",
        2,
        running_ddof=0,
    ),
    _bn_variant(_KERAS, 2, new_weight="keras"),
]


def _batch(seed: int, n: int, d: int, dtype: Any, special: str = "") -> tuple:
    """x (N, D) with columns of different means and scales; gamma, beta and running stats."""
    rng = np.random.default_rng(7500 + seed)
    scales = rng.uniform(0.5, 3.0, size=d)
    x = rng.normal(size=(n, d)) * scales + rng.normal(scale=2.0, size=d)
    if special == "tiny":
        x[:, 0] = 0.7 + 1e-3 * rng.normal(size=n)  # variance ~1e-6, below eps
    if special == "constant":
        x[:, -1] = 1.5  # variance 0
    gamma = rng.uniform(0.5, 2.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    beta = rng.normal(size=d)
    running_mean = rng.normal(size=d)
    running_var = rng.uniform(0.5, 2.0, size=d)
    return tuple(a.astype(dtype) for a in (x, gamma, beta, running_mean, running_var))


def _bn_tol(dtype: Any) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {}


def _forward_call(
    c: Check, fn: Any, args: tuple, note: str, names: tuple
) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """Call the learner's forward; ``(out, cache, running_mean before, running_var before)``."""
    before = (args[3].copy(), args[4].copy())
    got = c.call(*args, fn=fn, note=note, mutates=names, allow_alias=True)
    out, cache = c.unpack(got, ("out", "cache"))
    return out, cache, *before


def _judge_running(c: Check, args: tuple, before: tuple, names: tuple, ctx: dict) -> None:
    """The running statistics, changed in place (training) or left alone (eval)."""
    x, gamma, beta, rm, rv, train, momentum, eps = args
    _, ref_rm, ref_rv = bn_forward_reference(x, gamma, beta, *before, train, momentum, eps)
    for name, now, old, ref, mistakes in (
        (names[0], rm, before[0], ref_rm, _RUNNING_MEAN_MISTAKES),
        (names[1], rv, before[1], ref_rv, _RUNNING_VAR_MISTAKES),
    ):
        if not train:
            c.require(
                np.array_equal(now, old),
                f"your batchnorm_forward changed {name} with train=False",
                likely="in eval mode the running statistics are only read: update them only "
                "when train is True",
                kind="mutated",
            )
            continue
        c.require(
            not np.array_equal(now, old) or np.array_equal(ref, old),
            f"your batchnorm_forward left {name} unchanged in training mode",
            likely=f"update the caller's array in place ({name}[:] = ..., or *= and +=): "
            f"`{name} = ...` only gives the local name a new array",
            kind="not_in_place",
        )
        c.compare(now, ref, name=f"{name} after the call", mistakes=mistakes, ctx=ctx)


def check_batchnorm_forward(batchnorm_forward: Any) -> None:
    """Training mode (several batches in a row on the same running arrays), then eval mode."""
    runs = [  # (seed, N, D, momentum, eps, dtype, special column, note)
        (0, 6, 4, 0.1, 1e-5, np.float64, "", "seed 0"),
        (1, 2, 3, 0.3, 1e-3, np.float64, "", "seed 1, a batch of 2"),
        (2, 10, 1, 0.5, 0.1, np.float64, "", "seed 2, one feature"),
        (3, 5, 7, 0.1, 1e-5, np.float32, "", "seed 3, float32"),
        (4, 8, 3, 1.0, 1e-5, np.float64, "tiny", "seed 4, column 0 has variance ~1e-6"),
        (5, 7, 5, 0.2, 1e-4, np.float64, "constant", "seed 5, the last column is constant"),
    ]
    names = (param_name(batchnorm_forward, 3), param_name(batchnorm_forward, 4))
    with Check(BATCHNORM_FORWARD, batchnorm_forward) as c:
        for seed, n, d, momentum, eps, dtype, special, note in runs:
            x, gamma, beta, rm, rv = _batch(seed, n, d, dtype, special)
            x2 = _batch(seed + 50, n + 1, d, dtype)[0]  # the next training batch
            x_eval = _batch(seed + 80, 1 if seed % 2 else 4, d, dtype)[0]  # one example or 4
            for xb, train, what in ((x, True, "train"), (x2, True, "2nd batch"),
                                    (x_eval, False, "train=False")):  # fmt: skip
                args = (xb, gamma, beta, rm, rv, train, momentum, eps)
                out, cache, *before = _forward_call(
                    c, batchnorm_forward, args, f"{note}, {what}", names
                )
                pristine = (xb, gamma, beta, *before, train, momentum, eps)
                ctx = {"args": pristine}
                expected = bn_forward_reference(*pristine)[0]
                if not train:  # stats changed in eval mode: say so before the out they spoil
                    _judge_running(c, args, tuple(before), names, ctx)
                c.compare(out, expected, name="out", mistakes=_OUT_MISTAKES, ctx=ctx)
                c.require(
                    not np.shares_memory(out, xb),
                    "your out is the array x itself (or a view of it)",
                    likely="compute out as a new array, out = gamma * xhat + beta",
                    kind="alias",
                )
                if train:
                    _judge_running(c, args, tuple(before), names, ctx)


# ---------------------------------------------------------------- batchnorm_backward


def bn_backward_reference(
    x: np.ndarray,
    gamma: np.ndarray,
    eps: float,
    dout: np.ndarray,
    *,
    mean_term: bool = True,
    var_term: bool = True,
    var_divisor: str = "N",
    with_gamma: bool = True,
    averaged: bool = True,
) -> np.ndarray:
    """``dx`` of training-mode batch norm (the compact form); keywords give wrong variants."""
    x64, g, N = f64(x), f64(dout), np.shape(x)[0]
    mu, var = x64.mean(axis=0), x64.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)  # (D,)
    xhat = (x64 - mu) * inv_std  # (N, D)
    k = N if averaged else 1
    centre = g.sum(axis=0) / k if mean_term else 0.0
    spread = (g * xhat).sum(axis=0) / (k if var_divisor == "N" else N - 1) if var_term else 0.0
    scale = f64(gamma) * inv_std if with_gamma else inv_std
    return scale * (g - centre - xhat * spread)


def _bn_backward_mistakes(x: np.ndarray, gamma: np.ndarray, eps: float, dout: np.ndarray) -> dict:
    """The catalogue for this case: dx, dgamma, dbeta of each wrong variant, precomputed."""

    def near(wrong: Any) -> Any:
        return lambda got, exp, ctx: close(got, wrong, rtol=1e-4, atol=1e-6)

    def dx(message: str, **variant: Any) -> Mistake:
        return Mistake(message, near(bn_backward_reference(x, gamma, eps, dout, **variant)))

    x64, g = f64(x), f64(dout)
    xhat = (x64 - x64.mean(axis=0)) / np.sqrt(x64.var(axis=0) + eps)
    across = (
        "summed over the features (axis=1): gamma and beta have one entry per feature, so "
        "their gradients sum over the batch, axis=0"
    )
    return {
        "dx": [
            dx(
                "forgot that the mean depends on x: mu = mean(x) moves with every x_i, which "
                "adds the term - mean(dout) (over the batch) inside the bracket",
                mean_term=False,
            ),
            dx(
                "forgot that the variance depends on x: it adds the term - xhat * mean(dout * "
                "xhat) (over the batch) inside the bracket",
                var_term=False,
            ),
            dx(
                "treated the batch mean and variance as constants: both depend on x, "
                "dx = gamma * inv_std * (dout - mean(dout) - xhat * mean(dout * xhat))",
                mean_term=False,
                var_term=False,
            ),
            dx(
                "used N - 1 for the variance's derivative: the forward pass normalizes with the "
                "biased variance (divides by N), so d var / d x_i = 2 (x_i - mu) / N; N - 1 "
                "belongs to the running variance only",
                var_divisor="N-1",
            ),
            dx(
                "forgot gamma: out = gamma * xhat + beta, so dxhat = gamma * dout", with_gamma=False
            ),  # fmt: skip
            dx(
                "the two sums are averages over the batch: dx = gamma * inv_std / N * "
                "(N * dout - sum(dout) - xhat * sum(dout * xhat))",
                averaged=False,
            ),
        ],
        "dgamma": [
            Mistake(across, lambda got, exp, ctx: np.shape(got) == (len(g),) != np.shape(exp)),
            Mistake(
                "dgamma multiplies dout by the normalized xhat, not by x: sum(dout * xhat, axis=0)",
                near((g * x64).sum(axis=0)),
            ),
            Mistake(
                "dgamma and dbeta are swapped: dbeta = dout.sum(axis=0), dgamma = "
                "(dout * xhat).sum(axis=0)",
                near(g.sum(axis=0)),
            ),
            Mistake(
                "every example adds to the gradient: sum over the batch, not the mean",
                near((g * xhat).mean(axis=0)),
            ),
        ],
        "dbeta": [
            Mistake(across, lambda got, exp, ctx: np.shape(got) == (len(g),) != np.shape(exp)),
            Mistake(
                "dgamma and dbeta are swapped: dbeta = dout.sum(axis=0), dgamma = "
                "(dout * xhat).sum(axis=0)",
                near((g * xhat).sum(axis=0)),
            ),
            Mistake(
                "every example adds to the gradient: sum over the batch, not the mean",
                near(g.mean(axis=0)),
            ),
        ],
    }


def check_batchnorm_backward(batchnorm_forward: Any, batchnorm_backward: Any) -> None:
    """``batchnorm_backward(dout, cache)`` with the cache of the learner's training forward."""
    cases = [  # (seed, N, D, momentum, eps, dtype, special column)
        (0, 6, 4, 0.1, 1e-5, np.float64, ""),
        (1, 2, 3, 0.3, 1e-3, np.float64, ""),
        (2, 9, 1, 0.5, 0.1, np.float64, ""),
        (3, 5, 7, 0.1, 1e-5, np.float32, ""),
        (4, 8, 3, 0.1, 1e-5, np.float64, "tiny"),
        (5, 4, 6, 0.2, 0.5, np.float64, ""),
    ]
    names = (param_name(batchnorm_forward, 3), param_name(batchnorm_forward, 4))
    with Check(BATCHNORM_BACKWARD, batchnorm_backward) as c:
        for seed, n, d, momentum, eps, dtype, special in cases:
            x, gamma, beta, rm, rv = _batch(seed + 20, n, d, dtype, special)
            note = f"seed {seed}" + (", float32" if dtype == np.float32 else "")
            args = (x, gamma, beta, rm, rv, True, momentum, eps)
            out, cache, *before = _forward_call(
                c, batchnorm_forward, args, f"{note}: batchnorm_forward, train=True", names
            )
            expected_out = bn_forward_reference(x, gamma, beta, *before, True, momentum, eps)[0]
            c.require(
                close(out, expected_out, **_bn_tol(dtype)),
                "your batchnorm_forward does not give the right out here, so its cache cannot "
                "be trusted",
                likely="make batchnorm_forward pass its own check first",
                kind="forward",
            )
            dout = np.random.default_rng(7600 + seed).normal(size=(n, d)).astype(dtype)
            got = c.call(dout, cache, note=f"{note}: the cache of that call",
                         mutates=(param_name(batchnorm_backward, 1),))  # fmt: skip
            grads = c.unpack(got, ("dx", "dgamma", "dbeta"))
            x64 = f64(x)
            xhat = (x64 - x64.mean(axis=0)) / np.sqrt(x64.var(axis=0) + eps)
            expected = {
                "dx": bn_backward_reference(x, gamma, eps, dout),
                "dgamma": (f64(dout) * xhat).sum(axis=0),
                "dbeta": f64(dout).sum(axis=0),
            }
            mistakes = _bn_backward_mistakes(x, gamma, eps, dout)
            for name, value in zip(("dx", "dgamma", "dbeta"), grads, strict=True):
                c.compare(value, expected[name].astype(dtype), name=name, mistakes=mistakes[name])
