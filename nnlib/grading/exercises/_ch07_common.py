"""Chapter 7's exercises, declared in the notebook's order, and what their checks share.

The checks are in :mod:`.ch07` (the sigmoid chain and the gradient-norm
profile) and in four modules beside it: ``_ch07_guard`` (the loop that stops
on a non-finite loss), ``_ch07_clip`` (clipping by global norm),
``_ch07_batchnorm`` (batch normalization forward and backward) and
``_ch07_residual`` (the residual block); :mod:`.ch07` re-exports all of them.
Declaring every exercise here, in one place, keeps the registry in the
notebook's order whichever of these modules is imported first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..diagnose import Mistake, close
from ..registry import Exercise

CHAIN_GRADIENT = Exercise("ch07", "chain_gradient", "Gradient through a sigmoid chain", points=2)
GRAD_NORM_PROFILE = Exercise(
    "ch07", "grad_norm_profile", "Gradient norm per layer of a deep sigmoid network", points=3
)
TRAIN_WITH_GUARD = Exercise(
    "ch07", "train_with_guard", "Stop training on a non-finite loss", points=2
)
CLIP_GRAD_NORM = Exercise("ch07", "clip_grad_norm_", "Gradient clipping by global norm", points=2)
BATCHNORM_FORWARD = Exercise(
    "ch07", "batchnorm_forward", "Batch normalization forward (train and eval)", points=3
)
BATCHNORM_BACKWARD = Exercise(
    "ch07", "batchnorm_backward", "Batch normalization backward from the cache", points=3
)
RESIDUAL_BACKWARD = Exercise(
    "ch07", "residual_backward", "Backward pass of a residual block", points=2
)


def f64(a: Any) -> np.ndarray:
    """``a`` as a float64 array (the references compute in float64)."""
    return np.asarray(a, dtype=np.float64)


def param_name(fn: Any, index: int) -> str:
    """The name of ``fn``'s parameter number ``index`` (0-based), as ``Check.call`` names it."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    p = params[index] if index < len(params) else None
    return f"argument {index + 1}" if p is None or p.kind is p.VAR_POSITIONAL else p.name


def has_nan(got: Any) -> bool:
    try:
        return bool(np.any(np.isnan(np.asarray(got, dtype=float))))
    except (TypeError, ValueError):
        return False


def unlike_expected(message: str, wrong: Callable[..., Any]) -> Mistake:
    """The mistake ``wrong(*pristine args)``, named only where it changes the result.

    So a right value with a wrong dtype or shape never gets this mistake's message.
    """

    def when(got: Any, expected: Any, ctx: dict) -> bool:
        with np.errstate(all="ignore"):
            value = wrong(*ctx["args"])
        return not close(value, expected) and close(got, value)

    return Mistake(message, when)
