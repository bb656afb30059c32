"""Checks of chapter 10's exercises: a whole network, built from the learner's own pieces.

=========================  ==============================================================  ======
exercise id                the learner writes                                              points
=========================  ==============================================================  ======
``init_params``            ``init_params(layer_sizes, seed, method="he") -> params``:          2
                           ``W1, b1, ..., WL, bL``, normal weights with He or Xavier
                           (Glorot) std from the fans, ``(in, out)`` layout, zero biases
``forward``                ``forward(X, params) -> (scores, cache)``: ReLU hidden layers,      2
                           a linear output layer
``softmax_cross_entropy``  ``softmax_cross_entropy(scores, y) -> (loss, dscores)``,            2
                           stable, mean over the batch
``backward``               ``backward(dscores, cache, params) -> grads`` (checked with the     3
                           learner's own ``forward``, whose cache it reads)
``gradient_check``         ``gradient_check(loss_of, params, grads, h=1e-5)`` -> relative      2
                           error per parameter, from centered differences
``sgd_momentum``           ``sgd_momentum(params, grads, velocity, lr, momentum)``             2
                           ``-> (params, velocity)``: torch's form of momentum
``train``                  ``train(params, X, y, epochs, batch_size, lr, momentum, seed)``     3
                           ``-> (params, losses)``: the mini-batch loop, then the digits
=========================  ==============================================================  ======

Parameters travel as a dict of arrays named ``W1, b1, ..., WL, bL`` (``W`` of
shape ``(in, out)``, ``b`` of shape ``(out,)``). The initializer is judged by
its distribution (any order of draws from ``np.random.default_rng(seed)``
passes); everything else is compared with the references below. ``train``
calls the learner's own ``forward``, ``softmax_cross_entropy``, ``backward``
and ``sgd_momentum``: it is compared with the reference loop on small
problems, then run on the shipped digits, where it must reach 92% test
accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close, describe
from ..registry import Exercise
from ..sandbox.helpers import ParamsLoss
from ._ch10_reference import (
    backward_reference,
    forward_reference,
    gradient_check_reference,
    init_std,
    momentum_reference,
    softmax_ce_reference,
    train_reference,
)

__all__ = [
    "init_std",
    "forward_reference",
    "softmax_ce_reference",
    "backward_reference",
    "gradient_check_reference",
    "momentum_reference",
    "train_reference",
    "check_init_params",
    "check_forward",
    "check_softmax_cross_entropy",
    "check_backward",
    "check_gradient_check",
    "check_sgd_momentum",
    "check_train",
]

INIT_PARAMS = Exercise("ch10", "init_params", "He and Xavier initialization of a network", 2)
FORWARD = Exercise("ch10", "forward", "Forward pass of an L-layer network", 2)
SOFTMAX_CROSS_ENTROPY = Exercise(
    "ch10", "softmax_cross_entropy", "Stable softmax with cross-entropy", 2
)
BACKWARD = Exercise("ch10", "backward", "Backward pass through the cache", 3)
GRADIENT_CHECK = Exercise("ch10", "gradient_check", "Gradient check by centered differences", 2)
SGD_MOMENTUM = Exercise("ch10", "sgd_momentum", "SGD with momentum on every parameter", 2)
TRAIN = Exercise("ch10", "train", "The mini-batch training loop, and the digits", 3)

TARGET_ACCURACY = 0.92


def _names(n_layers: int) -> list[str]:
    return [f"{p}{i}" for i in range(1, n_layers + 1) for p in ("W", "b")]


def _random_params(seed: int, sizes: list[int], dtype: Any = np.float64) -> dict:
    rng = np.random.default_rng(10_000 + seed)
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = rng.normal(0.0, 1.0 / math.sqrt(a), size=(a, b)).astype(dtype)
        params[f"b{i}"] = rng.normal(0.0, 0.5, size=b).astype(dtype)
    return params


def _require_dict(c: Check, got: Any, names: list[str], what: str) -> dict:
    c.require(
        isinstance(got, dict) and set(got) == set(names),
        f"your {what} should be a dict with the names {names}",
        got=describe(got) if not isinstance(got, dict) else f"names {list(got)}",
        expected=f"names {names}",
        likely="layers are numbered from 1: W1, b1, ..., WL, bL, as f'W{l}' and f'b{l}'",
        kind="type",
    )
    return got


# ---------------------------------------------------------------- init_params


_INIT_VARIANTS: list[tuple[str, Callable[[int, int, str], float]]] = [
    (
        "used fan_out: He's std is sqrt(2 / fan_in), with fan_in = layer_sizes[l - 1], the "
        "number of rows of W",
        lambda i, o, m: math.sqrt(2.0 / o),
    ),
    (
        "used the variance as the std: rng.normal takes the standard deviation, sqrt(2 / fan_in) "
        "for He",
        lambda i, o, m: 2.0 / i if m == "he" else 2.0 / (i + o),
    ),
    (
        "the factor 2 is missing: He's variance is 2 / fan_in (ReLU zeroes half the inputs); "
        "1 / fan_in is LeCun's",
        lambda i, o, m: math.sqrt(1.0 / i) if m == "he" else math.nan,
    ),
    (
        "Xavier's variance is 2 / (fan_in + fan_out): the 2 is missing",
        lambda i, o, m: math.sqrt(1.0 / (i + o)) if m == "xavier" else math.nan,
    ),
    (
        "method='xavier' gave He's weights: Xavier's std is sqrt(2 / (fan_in + fan_out))",
        lambda i, o, m: math.sqrt(2.0 / i),
    ),
    (
        "method='he' gave Xavier's weights: He's std is sqrt(2 / fan_in)",
        lambda i, o, m: math.sqrt(2.0 / (i + o)),
    ),
    (
        "used the uniform bound sqrt(6 / (fan_in + fan_out)) as the std of a normal: the normal "
        "Xavier std is sqrt(2 / (fan_in + fan_out))",
        lambda i, o, m: math.sqrt(6.0 / (i + o)) if m == "xavier" else math.nan,
    ),
]


def _measure(c: Check, w: np.ndarray, fan_in: int, fan_out: int, method: str, name: str) -> None:
    """Mean 0, the asked-for std and a normal's kurtosis, within six standard errors."""
    x = np.asarray(w, dtype=float).ravel()
    n, mean, s = x.size, float(x.mean()), float(x.std())
    std = init_std(fan_in, fan_out, method)
    kurt = float(np.mean((x - mean) ** 4) / s**4) if s > 0 else math.nan
    ok_std = abs(s / std - 1) <= 6 * math.sqrt(1 / (2 * n))
    if not ok_std:
        likely = next(
            (msg for msg, f in _INIT_VARIANTS if abs(s / f(fan_in, fan_out, method) - 1) < 0.02),
            None,
        )
        raise c.failure(
            f"the std of your {name} is {s:.4g}; expected {std:.4g}",
            got=f"{name}: std {s:.4g}, mean {mean:.3g}",
            expected=f"{method} std for fan_in {fan_in}, fan_out {fan_out}: {std:.4g}",
            likely=likely,
            kind="values",
        )
    c.require(
        abs(mean) <= 6 * std / math.sqrt(n),
        f"the mean of your {name} is {mean:.3g}; expected about 0",
        likely="draw from a normal centred on 0: rng.normal(0.0, std, size=...)",
        kind="values",
    )
    c.require(
        abs(kurt - 3) <= 6 * math.sqrt(24 / n) + 0.02,
        f"your {name} does not look normal (kurtosis {kurt:.2f}; a normal's is 3)",
        likely="rng.uniform gives a flat distribution; draw rng.normal(0.0, std, size=...)",
        kind="values",
    )


def check_init_params(init_params: Any) -> None:
    """``init_params(layer_sizes, seed, method)``: judged by distribution, shapes and seeding."""
    big = [  # (layer sizes, method): every W with >= 20,000 entries is measured
        ([400, 300, 100], "he"),
        ([300, 500, 60], "xavier"),
        ([200, 200, 200, 200], "he"),
    ]
    small = [([1, 1], "he"), ([5, 3, 3, 2], "xavier"), ([64, 10], "he")]
    with Check(INIT_PARAMS, init_params) as c:
        for k, (sizes, method) in enumerate(big + small):
            got = c.call(sizes, 100 + k, method, note=f"seed {100 + k}")
            params = _require_dict(c, got, _names(len(sizes) - 1), "params")
            layers = zip(sizes[:-1], sizes[1:], strict=True)
            for i, (fan_in, fan_out) in enumerate(layers, start=1):
                W, b = params[f"W{i}"], params[f"b{i}"]
                c.require(
                    isinstance(W, np.ndarray) and W.shape == (fan_in, fan_out),
                    f"your W{i} should be an array of shape (fan_in, fan_out) = "
                    f"{(fan_in, fan_out)}",
                    got=describe(W),
                    likely="W is (out, in), torch's layout: here W has shape (in, out) = "
                    "(layer_sizes[l - 1], layer_sizes[l]), so that a layer computes h @ W + b"
                    if np.shape(W) == (fan_out, fan_in)
                    else "rng.normal(0.0, std, size=(fan_in, fan_out))",
                    kind="shape",
                )
                c.require(
                    W.dtype == np.float64,
                    f"your W{i} has dtype {W.dtype}; expected float64",
                    likely="rng.normal returns float64: drop the cast",
                    kind="dtype",
                )
                c.compare(
                    b,
                    np.zeros(fan_out),
                    name=f"b{i}",
                    mistakes=[
                        Mistake(
                            "the biases start at 0: only the weights need random values to "
                            "break the symmetry",
                            lambda g, e, ctx: np.shape(g) == np.shape(e),
                        )
                    ],
                )
                if W.size >= 20_000:
                    _measure(c, W, fan_in, fan_out, method, f"W{i}")
            if sizes == [200, 200, 200, 200]:
                c.require(
                    not np.array_equal(params["W1"], params["W2"]),
                    "W1 and W2 (both 200 x 200) hold the same numbers",
                    likely="a new generator per layer repeats the same draws: create one, "
                    "rng = np.random.default_rng(seed), before the loop over the layers",
                    kind="same_layers",
                )
        sizes = [30, 20, 5]
        first = c.call(sizes, 7, "he", note="seed 7")["W1"]
        again = c.call(sizes, 7, "he", note="seed 7 again")["W1"]
        other = c.call(sizes, 8, "he", note="seed 8")["W1"]
        c.require(
            np.array_equal(first, again),
            "the same seed gave different weights",
            likely="draw from np.random.default_rng(seed), not from np.random.randn or an "
            "unseeded generator",
            kind="not_reproducible",
        )
        c.require(
            not np.array_equal(first, other),
            "seeds 7 and 8 gave the same weights",
            likely="the seed argument is ignored: make the generator with "
            "np.random.default_rng(seed)",
            kind="ignores_seed",
        )


# ---------------------------------------------------------------- forward


_FORWARD_MISTAKES = [
    Mistake(
        "the output layer has a ReLU too: the last layer is linear, its scores may be negative "
        "(the softmax comes later, in the loss)",
        impl=lambda X, p: forward_reference(X, p, relu_last=True),
    ),
    Mistake(
        "the ReLU is missing: every hidden layer computes h = max(0, h @ W + b)",
        impl=lambda X, p: forward_reference(X, p, act=lambda z: z),
    ),
    Mistake(
        "the bias is missing: each layer computes h @ W + b",
        impl=lambda X, p: forward_reference(X, p, bias=False),
    ),
    Mistake(
        "the hidden layers use another activation: this network uses the ReLU, max(0, z)",
        when=lambda g, e, ctx: any(
            close(g, forward_reference(*ctx["args"], act=f))
            for f in (np.tanh, lambda z: 1 / (1 + np.exp(-z)))
        ),
    ),
]


def check_forward(forward: Any) -> None:
    """``forward(X, params) -> (scores, cache)``: the scores against the reference."""
    cases = [  # (seed, N, layer sizes, dtype)
        (0, 5, [4, 6, 3], np.float64),
        (1, 1, [3, 2], np.float64),
        (2, 8, [6, 7, 5, 4, 3], np.float64),
        (3, 6, [5, 8, 8, 2], np.float32),
        (4, 3, [2, 1, 4], np.float64),
    ]
    with Check(FORWARD, forward, mistakes=_FORWARD_MISTAKES) as c:
        for seed, n, sizes, dtype in cases:
            params = _random_params(seed, sizes, dtype)
            X = np.random.default_rng(20 + seed).normal(size=(n, sizes[0])).astype(dtype)
            got = c.call(X, params, note=f"seed {seed}, {len(sizes) - 1} layers", allow_alias=True)
            scores, _ = c.unpack(got, ("scores", "cache"))
            c.compare(scores, forward_reference(X, params), name="scores")


# ---------------------------------------------------------------- softmax_cross_entropy


def _overflowed(g: Any, ctx: dict) -> bool:
    """Non-finite output, and NumPy warned of an overflow or the scores reach exp's limit."""
    warned = any("overflow" in w for w in ctx.get("warnings", []))
    huge = float(np.max(ctx["args"][0])) > 709  # exp(709.8) is the largest float64
    return not np.all(np.isfinite(np.asarray(g, dtype=float))) and (warned or huge)


_LOSS_MISTAKES = [
    Mistake(
        "summed over the batch: the loss is the mean of -log p[i, y_i], so divide by N",
        impl=lambda s, y: softmax_ce_reference(s, y, reduce="sum")[0],
    ),
    Mistake(
        "subtracted the max of the whole batch: a row whose scores are all far below it "
        "underflows to exp = 0 and log(0); subtract each row's own max (axis=1, keepdims=True)",
        impl=lambda s, y: softmax_ce_reference(s, y, shift="all")[0],
    ),
    Mistake(
        "exp overflowed: subtract each row's max from the scores before np.exp (it does not "
        "change the softmax)",
        lambda g, e, ctx: _overflowed(g, ctx),
    ),
]

_GRAD_MISTAKES = [
    Mistake(
        "dscores is not divided by N: the loss is a mean, so each row's gradient is "
        "(p - onehot) / N",
        impl=lambda s, y: softmax_ce_reference(s, y, grad_n=False)[1],
    ),
    Mistake(
        "the one-hot part is missing: dscores = (p - onehot(y)) / N, so subtract 1 at each "
        "row's true class",
        impl=lambda s, y: softmax_ce_reference(s, y, onehot="none")[1],
    ),
    Mistake(
        "p[:, y] -= 1 subtracts 1 in every row at every label of the batch: index one entry "
        "per row, p[np.arange(N), y]",
        impl=lambda s, y: softmax_ce_reference(s, y, onehot="columns")[1],
    ),
    Mistake(
        "subtracted the max of the whole batch: a row far below it gets exp = 0 everywhere; "
        "subtract each row's own max",
        impl=lambda s, y: softmax_ce_reference(s, y, shift="all")[1],
    ),
    Mistake(
        "exp overflowed: subtract each row's max from the scores before np.exp",
        lambda g, e, ctx: _overflowed(g, ctx),
    ),
]


def check_softmax_cross_entropy(softmax_cross_entropy: Any) -> None:
    """Loss and gradient of the mean cross-entropy of the softmax, at ordinary and huge scores."""
    cases = [  # (seed, N, C, scale, offsets per row, dtype)
        (0, 6, 4, 1.0, 0.0, np.float64),
        (1, 1, 3, 2.0, 0.0, np.float64),
        (2, 10, 2, 0.5, 0.0, np.float64),
        (3, 5, 7, 3.0, 0.0, np.float32),
        (4, 4, 5, 1.0, 1000.0, np.float64),  # huge scores: exp overflows without a shift
        (5, 6, 3, 1.0, -900.0, np.float64),  # rows far apart: the shift must be per row
    ]
    with Check(SOFTMAX_CROSS_ENTROPY, softmax_cross_entropy) as c:
        for seed, n, classes, scale, offset, dtype in cases:
            rng = np.random.default_rng(30 + seed)
            scores = scale * rng.normal(size=(n, classes))
            if offset > 0:
                scores += offset
            elif offset < 0:
                scores += offset * (np.arange(n) % 2)[:, None]  # every other row far below
            scores = scores.astype(dtype)
            y = rng.integers(0, classes, size=n)
            y[0] = classes - 1
            got = c.call(scores, y, note=f"seed {seed}")
            loss, dscores = c.unpack(got, ("loss", "dscores"))
            ref_loss, ref_d = softmax_ce_reference(scores, y)
            tol = {"rtol": 1e-5} if dtype == np.float32 else {}
            c.compare(loss, ref_loss, name="loss", mistakes=_LOSS_MISTAKES, **tol)
            c.compare(dscores, ref_d, name="dscores", mistakes=_GRAD_MISTAKES, **tol)


# ---------------------------------------------------------------- backward


_BACKWARD_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the ReLU's gradient is missing: in each hidden layer multiply the upstream gradient by "
        "(z > 0), the ReLU's derivative at its input z",
        {"mask": "none"},
    ),
    (
        "masked the output layer's gradient too: the last layer has no ReLU, so dscores goes "
        "into it unchanged",
        {"mask": "all"},
    ),
    (
        "db is the sum of the upstream gradient over the batch (axis=0), not its mean: dscores "
        "already carries the 1/N",
        {"db": "mean"},
    ),
    (
        "dW was divided by N: dscores already carries the 1/N of the mean loss, dW = h.T @ dout",
        {"scale_n": True},
    ),
]


def _backward_mistakes(X: np.ndarray, params: dict, dscores: np.ndarray, name: str) -> list:
    def variant(kw: dict) -> Callable[..., bool]:
        return lambda g, e, ctx: close(g, backward_reference(X, params, dscores, **kw)[name])

    return [Mistake(msg, variant(kw)) for msg, kw in _BACKWARD_VARIANTS]


def check_backward(forward: Any, backward: Any) -> None:
    """``backward(dscores, cache, params)`` on the cache of the learner's own ``forward``."""
    cases = [  # (seed, N, layer sizes)
        (0, 5, [4, 6, 3]),
        (1, 1, [3, 4, 2]),
        (2, 7, [6, 5, 5, 4, 3]),
        (3, 4, [3, 2]),
        (4, 6, [5, 9, 1]),
    ]
    with Check(BACKWARD, backward) as c:
        for seed, n, sizes in cases:
            params = _random_params(40 + seed, sizes)
            rng = np.random.default_rng(50 + seed)
            X = rng.normal(size=(n, sizes[0]))
            last = f"b{len(sizes) - 1}"  # scores of both signs: a ReLU on them would show
            params[last] = params[last] - forward_reference(X, params).mean()
            dscores = rng.normal(size=(n, sizes[-1]))
            note = f"seed {seed}, {len(sizes) - 1} layers"
            got = c.call(X, params, fn=forward, note=f"forward, {note}", allow_alias=True)
            scores, cache = c.unpack(got, ("scores", "cache"))
            c.require(
                close(scores, forward_reference(X, params)),
                "your forward gives wrong scores on this case",
                likely="make check_forward pass first: backward reads forward's cache",
                kind="forward",
            )
            got = c.call(dscores, cache, params, note=f"backward, {note}", allow_alias=True)
            grads = _require_dict(c, got, _names(len(sizes) - 1), "grads")
            ref = backward_reference(X, params, dscores)
            for name in _names(len(sizes) - 1):
                c.compare(
                    grads[name],
                    ref[name],
                    name=f"grads[{name!r}]",
                    mistakes=_backward_mistakes(X, params, dscores, name),
                )


# ---------------------------------------------------------------- gradient_check


_GC_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "a one-sided difference (f(w + h) - f(w)) / h has an error of order h; the centered "
        "(f(w + h) - f(w - h)) / (2h) has h ** 2",
        {"kind": "forward"},
    ),
    (
        "divided by h: the two points w + h and w - h are 2h apart, so divide by 2 * h",
        {"kind": "over h"},
    ),
    (
        "the denominator is max(|a| + |n|), the sum of the absolute values, not |a + n|",
        {"err": "no abs"},
    ),
    (
        "took the mean of |a - n|: the relative error uses the largest difference, np.max",
        {"err": "mean"},
    ),
]


def _gc_case(seed: int, shapes: dict, wrong: dict) -> tuple[Any, dict, dict]:
    """A ``loss_of`` with known gradient, parameters, and gradients with planted errors.

    ``wrong[name]``: "scaled" (2% too large), "one entry" (one entry off by 1e-3),
    "unrelated" (random), "flipped" (the sign), "tiny" (a gradient of about 1e-3, 2% too large: the
    error is relative, not absolute) or "flat" (the loss does not depend on the
    parameter, the gradient says 1e-9: the floor 1e-8 of the denominator counts).
    """
    rng = np.random.default_rng(60 + seed)
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    coefs = {k: rng.normal(size=s) for k, s in shapes.items()}
    for k, how in wrong.items():
        if how == "tiny":
            params[k], coefs[k] = 0.01 * params[k], 1e-3 * coefs[k]
        elif how == "flat":
            params[k], coefs[k] = np.zeros(shapes[k]), np.zeros(shapes[k])
    loss_of = ParamsLoss(coefs, 3.0)
    grads = loss_of.gradient(params)
    for k, how in wrong.items():
        if how in ("scaled", "tiny"):
            grads[k] = grads[k] * 1.02
        elif how == "one entry":
            grads[k].flat[-1] += 1e-3
        elif how == "unrelated":
            grads[k] = rng.normal(size=shapes[k])
        elif how == "flipped":
            grads[k] = -grads[k]
        elif how == "flat":
            grads[k] = np.full(shapes[k], 1e-9)
    return loss_of, params, grads


def _gc_mistakes(args: tuple, name: str) -> list:
    def variant(kw: dict) -> Callable[..., bool]:
        return lambda g, e, ctx: close(
            g, gradient_check_reference(*args, **kw)[name], rtol=1e-3, atol=1e-9
        )

    copy = Mistake(
        "the numerical gradient came out 0: the entry you nudged is in a copy (p.ravel(), "
        "p.flatten(), np.array(p)), so loss_of never saw it; change params[name][i] itself",
        lambda g, e, ctx: np.isclose(g, 1.0, atol=1e-6) and e < 0.5,
    )
    return [*(Mistake(msg, variant(kw)) for msg, kw in _GC_VARIANTS), copy]


def check_gradient_check(gradient_check: Any) -> None:
    """Relative errors from centered differences, on a function with a known gradient."""
    cases = [  # (seed, shapes, planted errors, h)
        (0, {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}, {"b1": "one entry"}, None),
        (1, {"W1": (2, 3), "b1": (3,)}, {"W1": "scaled", "b1": "unrelated"}, 1e-4),
        (
            2,
            {"W1": (1, 1), "b1": (1,), "W2": (1, 3), "b2": (3,)},
            {"W2": "scaled", "b2": "flipped"},
            1e-3,
        ),
        (3, {"W1": (5, 2), "b1": (2,)}, {}, 1e-6),
        (4, {"W1": (3, 3), "b1": (3,)}, {"W1": "tiny", "b1": "flat"}, None),
    ]
    with Check(GRADIENT_CHECK, gradient_check) as c:
        for seed, shapes, wrong, h in cases:
            loss_of, params, grads = _gc_case(seed, shapes, wrong)
            before = {k: v.copy() for k, v in params.items()}
            args = (loss_of, params, grads) if h is None else (loss_of, params, grads, h)
            note = f"seed {seed}" + ("" if h is None else f", h = {h}")
            got = c.call(*args, note=note, mutates=("params",))
            c.require(
                all(np.array_equal(params[k], before[k]) for k in params),
                "your gradient_check left params changed",
                likely="restore each entry after its two evaluations with the value you saved "
                "(p[i] = old): adding and then subtracting h does not always give old back",
                kind="mutated",
            )
            errors = _require_dict(c, got, list(shapes), "result")
            ref = gradient_check_reference(*args)
            for name in shapes:
                c.compare(
                    errors[name],
                    ref[name],
                    name=f"error[{name!r}]",
                    mistakes=_gc_mistakes(args, name),
                    rtol=1e-3,
                    atol=1e-8,
                )


# ---------------------------------------------------------------- sgd_momentum


_MOMENTUM_VARIANTS: list[tuple[str, str]] = [
    (
        "this is the other form of momentum, v = momentum * v - lr * g, p = p + v: here (as in "
        "torch and nnlib) v = momentum * v + g, then p = p - lr * v",
        "classic",
    ),
    ("lr went into the velocity: v = momentum * v + g, then p = p - lr * v", "lr inside"),
    ("the momentum term is missing: v = momentum * v + g", "no momentum"),
    ("the velocity was not updated: return the new v = momentum * v + g", "old velocity"),
    ("the step uses the gradient, not the velocity: p = p - lr * v", "gradient step"),
]


def _momentum_mistakes(j: int, name: str, variants: list | None = None) -> list:
    """``j``: 0 for the new params, 1 for the new velocity."""

    def variant(form: str) -> Callable[..., Any]:
        return lambda *args: momentum_reference(*args, form=form)[j][name]

    variants = _MOMENTUM_VARIANTS if variants is None else variants
    return [Mistake(msg, impl=variant(form)) for msg, form in variants]


def check_sgd_momentum(sgd_momentum: Any) -> None:
    """One momentum step on every parameter of a network."""
    cases = [  # (seed, layer sizes, lr, momentum, velocity starts at 0, dtype)
        (0, [3, 4, 2], 0.1, 0.9, False, np.float64),
        (1, [2, 1], 0.5, 0.5, True, np.float64),
        (2, [4, 3, 3, 2], 0.03, 0.99, False, np.float64),
        (3, [5, 2], 0.2, 0.0, False, np.float64),
        (4, [3, 6, 2], 0.05, 0.8, False, np.float32),
    ]
    with Check(SGD_MOMENTUM, sgd_momentum) as c:
        for seed, sizes, lr, mu, zero, dtype in cases:
            params = _random_params(70 + seed, sizes, dtype)
            grads = _random_params(80 + seed, sizes, dtype)
            velocity = _random_params(90 + seed, sizes, dtype)
            if zero:
                velocity = {k: np.zeros_like(v) for k, v in velocity.items()}
            got = c.call(params, grads, velocity, lr, mu, note=f"seed {seed}")
            new_p, new_v = c.unpack(got, ("params", "velocity"))
            ref_p, ref_v = momentum_reference(params, grads, velocity, lr, mu)
            names = list(params)
            _require_dict(c, new_p, names, "new params")
            _require_dict(c, new_v, names, "new velocity")
            tol = {"rtol": 1e-5} if dtype == np.float32 else {}
            for k in names:
                c.compare(
                    new_v[k],
                    ref_v[k],
                    name=f"new velocity[{k!r}]",
                    mistakes=_momentum_mistakes(1, k),
                    **tol,
                )
            # the velocity is right: only the mistakes that leave it right can explain params
            args = (params, grads, velocity, lr, mu)
            right_v = [
                (msg, form)
                for msg, form in _MOMENTUM_VARIANTS
                if all(close(momentum_reference(*args, form=form)[1][k], ref_v[k]) for k in names)
            ]
            for k in names:
                c.compare(
                    new_p[k],
                    ref_p[k],
                    name=f"new params[{k!r}]",
                    mistakes=_momentum_mistakes(0, k, right_v),
                    **tol,
                )


# ---------------------------------------------------------------- train


_TRAIN_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the examples were not shuffled: draw a new order each epoch, "
        "order = rng.permutation(N), and take the batches in that order",
        {"shuffle": "none"},
    ),
    (
        "every epoch used the same order: make the generator once, before the loop over the "
        "epochs, and draw rng.permutation(N) from it at each epoch",
        {"shuffle": "same order"},
    ),
    (
        "the labels were not shuffled with the images: index X and y with the same rows",
        {"shuffle": "x only"},
    ),
    (
        "the last, smaller batch was skipped: range(0, N, batch_size) also takes the leftover rows",
        {"drop_last": True},
    ),
    (
        "the velocity was reset at every epoch: create it once, before the loop, and carry it "
        "from step to step",
        {"reset": True},
    ),
]


def _train_mistakes(part: int, name: str | None = None) -> list[Mistake]:
    def pick(kw: dict) -> Callable:
        def impl(*args: Any) -> Any:
            out = train_reference(*args, **kw)[part]
            return out if name is None else out[name]

        return impl

    return [Mistake(msg, impl=pick(kw)) for msg, kw in _TRAIN_VARIANTS]


_UNKNOWN_LOOP = Mistake(
    "no typical loop mistake fits: make sure forward, softmax_cross_entropy, backward and "
    "sgd_momentum pass their checks (train calls them), then compare your loop with the "
    "exercise's list, step by step",
    lambda g, e, ctx: True,
)


def check_train(train: Any) -> None:
    """The loop on small problems against the reference, then the digits to 92% test accuracy."""
    cases = [  # (seed, N, layer sizes, epochs, batch_size, lr, momentum)
        (0, 10, [3, 5, 4], 3, 4, 0.5, 0.9),
        (1, 7, [2, 3], 2, 7, 0.3, 0.5),
        (2, 9, [4, 6, 6, 3], 2, 2, 0.2, 0.0),
        (3, 5, [3, 4, 2], 3, 1, 0.1, 0.8),
    ]
    with Check(TRAIN, train) as c:
        for seed, n, sizes, epochs, batch, lr, mu in cases:
            rng = np.random.default_rng(110 + seed)
            params = _random_params(100 + seed, sizes)
            X = rng.normal(size=(n, sizes[0]))
            y = rng.integers(0, sizes[-1], size=n)
            args = (params, X, y, epochs, batch, lr, mu, 120 + seed)
            got = c.call(*args, note=f"seed {seed}, {n} examples, batch_size {batch}")
            new_params, losses = c.unpack(got, ("params", "losses"))
            ref_params, ref_losses = train_reference(*args)
            c.compare(
                np.asarray(losses, dtype=float),
                np.asarray(ref_losses),
                name="losses",
                mistakes=[*_train_mistakes(1), _UNKNOWN_LOOP],
            )
            _require_dict(c, new_params, _names(len(sizes) - 1), "params")
            for k in ref_params:
                c.compare(
                    new_params[k],
                    ref_params[k],
                    name=f"params[{k!r}]",
                    mistakes=[*_train_mistakes(0, k), _UNKNOWN_LOOP],
                )
        _check_digits(c)


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and test rows of the shipped digits (the validation rows are not used here)."""
    from ...datasets import digits_split

    X_train, _, X_test, y_train, _, y_test = digits_split()
    return X_train, y_train, X_test, y_test


def _check_digits(c: Check) -> None:
    """Four epochs of the learner's loop on the digits; the test accuracy must reach 92%."""
    X_train, y_train, X_test, y_test = digits_data()
    rng = np.random.default_rng(130)
    params = {}
    for i, (a, b) in enumerate([(64, 64), (64, 10)], start=1):
        params[f"W{i}"] = rng.normal(0.0, init_std(a, b, "he"), size=(a, b))
        params[f"b{i}"] = np.zeros(b)
    args = (params, X_train, y_train, 4, 32, 0.1, 0.9, 131)
    got = c.call(*args, note="the digits: 64-64-10, 4 epochs, batch_size 32, lr 0.1")
    trained, _ = c.unpack(got, ("params", "losses"))
    _require_dict(c, trained, _names(2), "params")
    accuracy = float(np.mean(forward_reference(X_test, trained).argmax(axis=1) == y_test))
    ref = train_reference(*args)[0]
    ref_accuracy = float(np.mean(forward_reference(X_test, ref).argmax(axis=1) == y_test))
    c.require(
        accuracy >= TARGET_ACCURACY,
        f"your network classifies {accuracy:.1%} of the test digits correctly; "
        f"the target is {TARGET_ACCURACY:.0%}",
        expected=f"{ref_accuracy:.1%} with the same settings",
        likely="your loop matched the reference on the small problems above, so look for what "
        "only a larger data set shows: every epoch goes over all N examples, batch after batch",
        kind="accuracy",
    )
