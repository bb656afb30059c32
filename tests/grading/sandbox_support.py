"""Skip the sandboxed grader's tests where bubblewrap cannot start, unless CI requires them."""

from __future__ import annotations

import os
from functools import cache

import pytest

from nnlib.grading.grader_sandbox import bwrap_problem


@cache
def _problem() -> str | None:
    return bwrap_problem()


def require_sandbox() -> pytest.MarkDecorator:
    """A mark: skip (with the reason) where bubblewrap cannot start; fail instead when
    ``NNLIB_REQUIRE_SANDBOX=1`` (as in ``.ci/run``)."""
    problem = _problem()
    if problem and os.environ.get("NNLIB_REQUIRE_SANDBOX") == "1":
        raise RuntimeError(f"NNLIB_REQUIRE_SANDBOX=1 but the sandbox cannot start: {problem}")
    return pytest.mark.skipif(problem is not None, reason=f"no sandbox here: {problem}")
