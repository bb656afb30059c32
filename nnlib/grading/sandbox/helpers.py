"""The callables a check hands to learner code (``f``, ``step``, ``act``).

Standard library and NumPy only: the batch grader's sandbox runs this file as
the top-level module ``helpers``, so a check's helper runs next to the
learner's code there, while the check reads its call log on the grader's
side (:mod:`nnlib.grading.sandbox.wire` sends an instance as its class name
and ``state()``, and brings ``synced`` attributes back after every call). An
exercise takes only arrays, numbers, seeds and these helpers: a new exercise
that needs another callable adds it here.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Helper:
    """Base class: ``state()`` is plain data; attributes in ``synced`` come back after calls."""

    synced: tuple[str, ...] = ()

    def state(self) -> dict:
        return dict(vars(self))


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)``: the ReLU checks pass as ``act``."""
    return np.maximum(z, 0)


class ScriptedLosses(Helper):
    """A fake training step: returns the next loss of a script and counts its calls.

    After the script's last loss it keeps returning that value (a diverged run
    stays diverged).
    """

    synced = ("calls",)

    def __init__(self, losses: list) -> None:
        self.losses = list(losses)
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value(self.calls)

    def value(self, call: int) -> Any:
        """The loss returned by call number ``call`` (1-based)."""
        return self.losses[min(call, len(self.losses)) - 1]


class ShapeChecked(Helper):
    """``f`` refusing arrays of another shape (so a flattened x fails clearly)."""

    def __init__(self, f: Any, shape: tuple) -> None:
        self.f = f
        self._shape = tuple(shape)

    def __call__(self, v: np.ndarray) -> float:
        if np.shape(v) != self._shape:
            raise ValueError(
                f"f expects an array of shape {self._shape} (x's shape); got {np.shape(v)}"
            )
        return float(self.f(np.asarray(v)))


class Quadratic(Helper):
    """``f(v) = 0.5 v.A v + c.v``; its gradient is ``A v + c`` for symmetric A."""

    def __init__(self, A: np.ndarray, c: np.ndarray) -> None:  # noqa: N803
        self.A, self.c = A, c

    def __call__(self, v: np.ndarray) -> Any:
        return 0.5 * v @ self.A @ v + self.c @ v


class SinTimesX(Helper):
    """``f(v) = sum(sin(v) v) + sum(v @ B)``."""

    def __init__(self, B: np.ndarray) -> None:  # noqa: N803
        self.B = B

    def __call__(self, v: np.ndarray) -> Any:
        return np.sum(np.sin(v) * v) + np.sum(v @ self.B)


class LogSumExp(Helper):
    """``f(v) = log(sum(exp(v)))``; its gradient is the softmax of v."""

    def __call__(self, v: np.ndarray) -> Any:
        return np.log(np.sum(np.exp(v)))


class CubeSum(Helper):
    """``f(v) = sum(v**3) / 3``; its gradient is ``v**2``."""

    def __call__(self, v: np.ndarray) -> Any:
        return np.sum(v**3) / 3


#: What the wire may name: classes and functions of this module.


class EpochStep(Helper):
    """``step(w)``: one epoch of "training", in place: ``w.flat[0]`` counts the epochs."""

    synced = ("calls",)

    def __init__(self, drift: np.ndarray) -> None:
        self.drift = drift
        self.calls = 0

    def __call__(self, w: np.ndarray) -> None:
        self.calls += 1
        w += self.drift.reshape(w.shape).astype(w.dtype)


class ScriptedValLoss(Helper):
    """``val_loss(w)``: a pure function of the weights, through the epoch counter in w.flat[0]."""

    def __init__(self, w0: np.ndarray, script: list) -> None:
        self.start = float(np.asarray(w0).flat[0])
        self.script = list(script)

    def __call__(self, w: np.ndarray) -> float:
        k = int(round(float(np.asarray(w).flat[0]) - self.start))  # steps taken
        if k <= 0:
            return 10.0  # the untrained weights
        return self.script[min(k, len(self.script)) - 1]


class RateStep(Helper):
    """``step(lr)``: one mini-batch step at rate ``lr``; returns the next loss of a script.

    Records every rate it is given in ``rates`` (one entry per call); after the
    script's last loss it keeps returning that value.
    """

    synced = ("rates",)

    def __init__(self, losses: list) -> None:
        self.losses = list(losses)
        self.rates: list = []

    def __call__(self, lr: float) -> float:
        self.rates.append(float(lr))
        return self.losses[min(len(self.rates), len(self.losses)) - 1]


class ParamsLoss(Helper):
    """``loss_of(params)``: a smooth function of a dict of arrays, with a known gradient.

    ``f = sum over names of sum(C * sin(a * P)) + sum(P ** 3) / 6``, so its
    gradient is ``a * C * cos(a * P) + P ** 2 / 2`` (the checks of chapter 10's
    gradient check use it; its third derivative is far from 0, so a one-sided
    difference is visibly worse than a centered one).
    """

    def __init__(self, coefs: dict, a: float) -> None:
        self.coefs = coefs
        self.a = a

    def __call__(self, params: dict) -> float:
        total = 0.0
        for name, C in self.coefs.items():
            P = np.asarray(params[name], dtype=float)  # noqa: N806
            total += float(np.sum(C * np.sin(self.a * P)) + np.sum(P**3) / 6)
        return total

    def gradient(self, params: dict) -> dict:
        """The exact gradient, one array per name."""
        return {
            name: self.a * C * np.cos(self.a * params[name]) + params[name] ** 2 / 2
            for name, C in self.coefs.items()
        }


#: Every helper by name: what the grader may send into the sandbox.
NAMES = {
    c.__name__: c
    for c in (
        relu,
        ScriptedLosses,
        ShapeChecked,
        Quadratic,
        SinTimesX,
        LogSumExp,
        CubeSum,
        EpochStep,
        ScriptedValLoss,
        RateStep,
        ParamsLoss,
    )
}
