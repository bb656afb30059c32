"""Checks of chapter 6's exercises: optimizers as classes with ``step(params, grads)``.

=============  ============================================================  ======
exercise id    the learner writes                                            points
=============  ============================================================  ======
``momentum``   ``Momentum(lr, momentum)``: b = μ b + g; w -= lr b               2
``adagrad``    ``Adagrad(lr, eps)``: s += g²; w -= lr g / (√s + ε)              2
``rmsprop``    ``RMSprop(lr, alpha, eps)``: v = α v + (1-α) g²                  2
``adam``       ``Adam(lr, betas, eps)``, with bias correction                   3
=============  ============================================================  ======

Each class is built with keyword hyperparameters (torch's names) and its
``step(params, grads)`` receives two lists of arrays with matching shapes; it
changes every ``params[i]`` IN PLACE, as ``nnlib.optim`` does, and keeps its
state (velocities, running averages, the step count) between calls.

How a check works
-----------------
The learner's optimizer and the matching ``nnlib.optim`` class (which
reproduces ``torch.optim`` exactly) take the same random steps from the same
start, over several cases, and the parameters are compared after every step;
at the first difference, the catalogued mistakes below (small wrong update
rules) are run on the same gradients and the one whose whole trajectory the
learner's matches is named. Details in :mod:`nnlib.grading.exercises._ch06_runner`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..registry import Exercise
from ._ch06_runner import Update, check_optimizer

__all__ = ["check_momentum", "check_adagrad", "check_rmsprop", "check_adam"]

MOMENTUM = Exercise("ch06", "momentum", "SGD with momentum", points=2)
ADAGRAD = Exercise("ch06", "adagrad", "Adagrad", points=2)
RMSPROP = Exercise("ch06", "rmsprop", "RMSprop", points=2)
ADAM = Exercise("ch06", "adam", "Adam with bias correction", points=3)

# ---------------------------------------------------------------- shared wrong rules


def _unchanged(w, g, st, h, shared):
    """The step leaves the array alone (``w = w - ...`` rebinds a local name)."""


UNCHANGED = (
    "your step left the parameters unchanged: `w = w - ...` makes a new array and only "
    "rebinds the local name w; change the array itself, e.g. `w -= lr * step`",
    _unchanged,
)


def _sign(step: str) -> str:
    return f"moved uphill: subtract the step, w -= {step}"


# ---------------------------------------------------------------- momentum


def _momentum(bug: str | None = None) -> Update:
    def update(w, g, st, h, shared):
        lr, mu = h["lr"], h["momentum"]
        b = st.get("b", np.zeros_like(w))
        if bug == "no_persist":
            b = np.zeros_like(w)
        new = mu * b + ((1 - mu) * g if bug == "ema" else g)  # b = mu b + g
        st["b"] = new
        if bug == "old_velocity":
            w -= lr * b
        elif bug == "nesterov":
            w -= lr * (g + mu * new)
        elif bug == "sign":
            w += lr * new
        else:
            w -= lr * new

    return update


_MOMENTUM_MISTAKES = [
    UNCHANGED,
    (_sign("lr * b"), _momentum("sign")),
    (
        "the velocity starts from 0 at every step, which is plain gradient descent: create b "
        "once (e.g. in the first step) and keep it in self between calls",
        _momentum("no_persist"),
    ),
    (
        "(1 - momentum) * g is the moving-average form; this velocity (as in torch) adds the "
        "whole gradient: b = momentum * b + g",
        _momentum("ema"),
    ),
    (
        "stepped with the previous step's velocity (or gradient): first update b with the "
        "gradient passed to this step, b = momentum * b + g, then w -= lr * b",
        _momentum("old_velocity"),
    ),
    (
        "that is Nesterov's update, w -= lr * (g + momentum * b): plain momentum steps by lr * b",
        _momentum("nesterov"),
    ),
]

_SHAPES = [(3, 4), (4,), (4, 2)]  # a weight matrix, its bias, a second weight matrix

MOMENTUM_CASES = [
    {"hyper": {"lr": 0.05, "momentum": 0.9}, "shapes": _SHAPES, "steps": 100, "grads": "normal"},
    {"hyper": {"lr": 0.1, "momentum": 0.5}, "shapes": [(6,), (2, 2), (3,)], "steps": 50,
     "grads": "mixed"},
    {"hyper": {"lr": 0.01, "momentum": 0.99}, "shapes": [(2, 3), (3,)], "steps": 40,
     "grads": "normal", "dtype": np.float32},
    {"hyper": {"lr": 0.2, "momentum": 0.0}, "shapes": [(3,)], "steps": 10, "grads": "normal"},
]  # fmt: skip


def check_momentum(Momentum: Any) -> None:  # noqa: N803 (the learner's class)
    """``Momentum(lr, momentum).step(params, grads)`` matches ``optim.SGD(momentum=...)``."""
    check_optimizer(Momentum, MOMENTUM, "Momentum", MOMENTUM_CASES,
                     _MOMENTUM_MISTAKES)  # fmt: skip


# ---------------------------------------------------------------- adagrad


def _scaled_step(lr: float, g: np.ndarray, second: np.ndarray, eps: float, bug) -> np.ndarray:
    """``lr * g / (sqrt(second) + eps)``, or the catalogued misplacement ``bug`` of sqrt/eps."""
    if bug == "eps_inside":
        denom = np.sqrt(second + eps)
    elif bug == "no_sqrt":
        denom = second + eps
    elif bug == "no_eps":
        denom = np.sqrt(second)
    else:
        denom = np.sqrt(second) + eps
    return lr * g / denom


def _move(w: np.ndarray, step: np.ndarray, bug) -> None:
    """Apply ``step`` to ``w`` in place: against it, or along it for the sign mistake."""
    if bug == "sign":
        w += step
    else:
        w -= step


def _adagrad(bug: str | None = None) -> Update:
    def update(w, g, st, h, shared):
        lr, eps = h["lr"], h["eps"]
        s = np.zeros_like(w) if bug == "no_persist" else st.get("s", np.zeros_like(w))
        old = s
        if bug == "no_square":
            s = s + g
        elif bug == "abs":
            s = s + np.abs(g)
        else:
            s = s + g * g
        st["s"] = s
        s_used = old if bug == "s_after" else s
        _move(w, _scaled_step(lr, g, s_used, eps, bug), bug)

    return update


_ADAGRAD_MISTAKES = [
    UNCHANGED,
    (_sign("lr * g / (sqrt(s) + eps)"), _adagrad("sign")),
    (
        "accumulated g instead of g * g: the sum turns negative and its square root is NaN; "
        "Adagrad adds up squared gradients",
        _adagrad("no_square"),
    ),
    ("accumulated |g|: Adagrad adds up squared gradients, s += g * g", _adagrad("abs")),
    (
        "eps went inside the square root: it is added after it, sqrt(s) + eps",
        _adagrad("eps_inside"),
    ),
    ("divided by s without its square root: the step is g / (sqrt(s) + eps)", _adagrad("no_sqrt")),
    (
        "s restarts at every step, so each step is about lr * sign(g): keep the running sum "
        "in self between calls",
        _adagrad("no_persist"),
    ),
    (
        "divided by the sum before adding this step's g * g: update s first, then step",
        _adagrad("s_after"),
    ),
    (
        "left out eps: a weight whose gradients have all been 0 so far gets 0 / 0 = NaN",
        _adagrad("no_eps"),
    ),
]

ADAGRAD_CASES = [
    {"hyper": {"lr": 0.1, "eps": 1e-10}, "shapes": _SHAPES, "steps": 100, "grads": "normal"},
    {"hyper": {"lr": 0.5, "eps": 1e-10}, "shapes": [(5, 3), (3,)], "steps": 60, "grads": "sparse"},
    {"hyper": {"lr": 0.01, "eps": 1e-3}, "shapes": [(4,), (2, 2), (3,)], "steps": 50,
     "grads": "mixed"},
    {"hyper": {"lr": 0.05, "eps": 1e-10}, "shapes": [(3, 3)], "steps": 30, "grads": "normal",
     "dtype": np.float32},
]  # fmt: skip


def check_adagrad(Adagrad: Any) -> None:  # noqa: N803
    """``Adagrad(lr, eps).step(params, grads)`` matches ``optim.Adagrad``."""
    check_optimizer(Adagrad, ADAGRAD, "Adagrad", ADAGRAD_CASES, _ADAGRAD_MISTAKES)


# ---------------------------------------------------------------- rmsprop


_DEFAULT_EPS = (
    "used eps = 1e-8 whatever was passed: add the eps given to the constructor (self.eps)"
)


def _rmsprop(bug: str | None = None) -> Update:
    def update(w, g, st, h, shared):
        lr, alpha, eps = h["lr"], h["alpha"], h["eps"]
        eps = 1e-8 if bug == "default_eps" else eps
        v = np.zeros_like(w) if bug == "no_persist" else st.get("v", np.zeros_like(w))
        g2 = g if bug == "no_square" else g * g
        if bug == "sum":
            v = v + (1 - alpha) * g2
        elif bug == "no_one_minus":
            v = alpha * v + g2
        elif bug == "swapped":
            v = (1 - alpha) * v + alpha * g2
        else:
            v = alpha * v + (1 - alpha) * g2
        st["v"] = v
        v_used = v / (1 - alpha ** shared["t"]) if bug == "corrected" else v
        _move(w, _scaled_step(lr, g, v_used, eps, bug), bug)

    return update


_RMSPROP_MISTAKES = [
    UNCHANGED,
    (_sign("lr * g / (sqrt(v) + eps)"), _rmsprop("sign")),
    (
        "forgot to square the gradient: v averages g * g (with g alone it turns negative, and "
        "its square root is NaN)",
        _rmsprop("no_square"),
    ),
    (
        "v never decays: the old average must shrink by alpha at every step, "
        "v = alpha * v + (1 - alpha) * g * g",
        _rmsprop("sum"),
    ),
    (
        "forgot the factor (1 - alpha) in front of g * g: v = alpha * v + (1 - alpha) * g * g",
        _rmsprop("no_one_minus"),
    ),
    (
        "swapped alpha and 1 - alpha: alpha (e.g. 0.99) multiplies the old average",
        _rmsprop("swapped"),
    ),
    (
        "eps went inside the square root: it is added after it, sqrt(v) + eps",
        _rmsprop("eps_inside"),
    ),
    ("divided by v without its square root: the step is g / (sqrt(v) + eps)", _rmsprop("no_sqrt")),
    (
        "divided v by 1 - alpha**t: RMSprop has no bias correction (that is Adam's)",
        _rmsprop("corrected"),
    ),
    (
        "v restarts at every step: keep the running average in self between calls",
        _rmsprop("no_persist"),
    ),
    (_DEFAULT_EPS, _rmsprop("default_eps")),
]

RMSPROP_CASES = [
    {"hyper": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}, "shapes": _SHAPES, "steps": 100,
     "grads": "normal"},
    {"hyper": {"lr": 0.001, "alpha": 0.9, "eps": 1e-8}, "shapes": [(4, 3)], "steps": 50,
     "grads": "tiny"},
    {"hyper": {"lr": 0.05, "alpha": 0.5, "eps": 1e-8}, "shapes": [(3,), (2, 5), (1,)],
     "steps": 40, "grads": "mixed"},
    {"hyper": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}, "shapes": [(3, 3), (3,)], "steps": 30,
     "grads": "normal", "dtype": np.float32},
    {"hyper": {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}, "shapes": [(3, 2), (2,)], "steps": 30,
     "grads": "tiny"},  # eps away from its default, where it matters
]  # fmt: skip


def check_rmsprop(RMSprop: Any) -> None:  # noqa: N803
    """``RMSprop(lr, alpha, eps).step(params, grads)`` matches ``optim.RMSprop``."""
    check_optimizer(RMSprop, RMSPROP, "RMSprop", RMSPROP_CASES, _RMSPROP_MISTAKES)


# ---------------------------------------------------------------- adam


def _adam(bug: str | None = None) -> Update:
    def update(w, g, st, h, shared):
        lr, eps = h["lr"], (1e-8 if bug == "default_eps" else h["eps"])
        beta1, beta2 = h["betas"][::-1] if bug == "swapped" else h["betas"]
        fresh = bug == "no_persist" or "m" not in st
        m = np.zeros_like(w) if fresh else st["m"]
        v = np.zeros_like(w) if fresh else st["v"]
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g if bug == "no_square" else g * g)
        t = {"t_from_zero": shared["t"] - 1, "t_per_array": shared["calls"]}.get(bug, shared["t"])
        c1 = 1.0 if bug in ("no_correction", "no_correction_m") else 1 - beta1**t
        c2 = 1.0 if bug in ("no_correction", "no_correction_v") else 1 - beta2**t
        m_hat, v_hat = m / c1, v / c2
        st["m"], st["v"] = (m_hat, v_hat) if bug == "stored_hat" else (m, v)
        if bug == "eps_inside":
            step = lr * m_hat / np.sqrt(v_hat + eps)
        elif bug == "eps_before_correction":
            step = lr * math.sqrt(c2) / c1 * m / (np.sqrt(v) + eps)
        else:
            step = lr * m_hat / (np.sqrt(v_hat) + eps)
        _move(w, step, bug)

    return update


_ADAM_MISTAKES = [
    UNCHANGED,
    (_sign("lr * m_hat / (sqrt(v_hat) + eps)"), _adam("sign")),
    (
        "no bias correction: divide m by 1 - beta1**t and v by 1 - beta2**t before the step "
        "(both start at 0, so early averages are far too small)",
        _adam("no_correction"),
    ),
    ("m is not bias-corrected: m_hat = m / (1 - beta1**t)", _adam("no_correction_m")),
    ("v is not bias-corrected: v_hat = v / (1 - beta2**t)", _adam("no_correction_v")),
    (
        "the step count starts at 0: on the first step t = 1, so 1 - beta**t = 1 - beta (with "
        "t = 0 it is 0, and dividing by it gives inf and NaN); increase t before using it",
        _adam("t_from_zero"),
    ),
    (
        "t grew once per parameter array: it counts steps, so increase it once per call of "
        "step, outside the loop over the arrays",
        _adam("t_per_array"),
    ),
    (
        "stored the corrected m_hat and v_hat back into m and v: keep m and v raw; the "
        "corrected values are only for this step",
        _adam("stored_hat"),
    ),
    (
        "forgot to square the gradient in v: v averages g * g (with g alone it turns negative, "
        "and its square root is NaN)",
        _adam("no_square"),
    ),
    ("swapped beta1 and beta2: beta1 (0.9) goes with m, beta2 (0.999) with v", _adam("swapped")),
    (
        "eps went inside the square root: it is added after it, sqrt(v_hat) + eps",
        _adam("eps_inside"),
    ),
    (
        "eps was added to sqrt(v) before the bias correction (the paper's 'efficient' form); "
        "here, as in torch, eps is added to sqrt(v_hat)",
        _adam("eps_before_correction"),
    ),
    (
        "m and v restart at every step: keep them in self between calls",
        _adam("no_persist"),
    ),
    (_DEFAULT_EPS, _adam("default_eps")),
]

ADAM_CASES = [
    {"hyper": {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}, "shapes": _SHAPES, "steps": 100,
     "grads": "normal"},
    {"hyper": {"lr": 0.001, "betas": (0.8, 0.99), "eps": 1e-8}, "shapes": [(4, 3)], "steps": 50,
     "grads": "tiny"},
    {"hyper": {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-8}, "shapes": [(5,), (2, 3)],
     "steps": 60, "grads": "sparse"},
    {"hyper": {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}, "shapes": [(3, 3), (3,)],
     "steps": 30, "grads": "mixed", "dtype": np.float32},
    {"hyper": {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-3}, "shapes": [(3, 2), (2,)],
     "steps": 30, "grads": "tiny"},  # eps away from its default, where it matters
]  # fmt: skip


def check_adam(Adam: Any) -> None:  # noqa: N803
    """``Adam(lr, betas, eps).step(params, grads)`` matches ``optim.Adam``, bias correction too."""
    check_optimizer(Adam, ADAM, "Adam", ADAM_CASES, _ADAM_MISTAKES)
