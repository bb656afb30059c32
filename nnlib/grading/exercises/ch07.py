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

This module holds the checks of the sigmoid chain and of the gradient-norm
profile; the others live beside it (``_ch07_guard``, ``_ch07_clip``,
``_ch07_batchnorm``, ``_ch07_residual``) and are re-exported here, so a check
cell imports every chapter-7 check from this module. The exercises are
declared in ``_ch07_common``, in the notebook's order. Every check runs
several shapes and seeds, batch size 1 where it is allowed and float32 arrays
(which must stay float32 where the text says so); the references are written
out in float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...activations import sigmoid
from ..checks import Check
from ..diagnose import Mistake
from ._ch07_batchnorm import check_batchnorm_backward, check_batchnorm_forward
from ._ch07_clip import check_clip_grad_norm_
from ._ch07_common import CHAIN_GRADIENT, GRAD_NORM_PROFILE, has_nan
from ._ch07_guard import check_train_with_guard
from ._ch07_residual import check_residual_backward

__all__ = [
    "check_chain_gradient",
    "check_grad_norm_profile",
    "check_train_with_guard",
    "check_clip_grad_norm_",
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_residual_backward",
]


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = sigmoid(np.asarray(z, dtype=np.float64))
    return s * (1 - s)


# ---------------------------------------------------------------- chain_gradient


def _chain(factor: Any, w_used: bool = True, reduce: Any = np.prod) -> Any:
    return lambda z, w: reduce((w if w_used else 1.0) * factor(z), axis=1)


_CHAIN_MISTAKES = [
    Mistake(
        "NaN for large |z|: exp(-z) / (1 + exp(-z))**2 is inf / inf once exp overflows; compute "
        "s = sigmoid(z) first and use sigmoid'(z) = s (1 - s)",
        lambda got, exp, ctx: has_nan(got) and not has_nan(exp),
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
