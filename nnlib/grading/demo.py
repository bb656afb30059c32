"""Show what exercise feedback looks like, without touching the learner's progress."""

from __future__ import annotations

import numpy as np

from .checks import progress_paused
from .feedback import ExerciseFailed


def _dense_forward_with_a_bug(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A typical first attempt at ``x @ W + b`` (the bias is missing)."""
    return x @ W


def example_feedback() -> str:
    """Run chapter 1's dense-layer check on a buggy answer; return the message it gives.

    Used by the start page. Nothing is written to the progress file.
    """
    from .exercises.ch01 import check_dense_forward

    with progress_paused():
        try:
            check_dense_forward(_dense_forward_with_a_bug)
        except ExerciseFailed as failure:
            return str(failure)
    raise RuntimeError("the dense_forward check accepted a buggy answer")  # pragma: no cover
