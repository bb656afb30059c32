"""The check of chapter 7's guarded training loop, ``train_with_guard(step, n_steps)``.

``step`` is a :class:`ScriptedLosses` helper (it runs in the grader's sandbox
next to the learner's code): it returns a scripted loss per call and counts
the calls. The loop must call it at most ``n_steps`` times, stop right after
the first NaN, inf or -inf, keep that loss as the last entry of ``losses``,
and return ``(losses, message)``: ``message`` is None after a full run, else a
str that names the step (counted from 1) and shows the loss.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ..checks import Check
from ..sandbox.helpers import ScriptedLosses
from ._ch07_common import TRAIN_WITH_GUARD

__all__ = ["check_train_with_guard"]


# ---------------------------------------------------------------- train_with_guard


def _fmt(v: Any) -> str:
    return f"{float(v):g}"


def check_train_with_guard(train_with_guard: Any) -> None:
    """``train_with_guard(step, n)`` calls ``step()`` until n losses or the first NaN/inf."""
    f32 = np.float32
    nan, inf = math.nan, math.inf
    cases = [  # (losses step() returns, n_steps): n_steps >= 2 past the first NaN/inf, so
        # "never stopped" and "stopped one call late" are told apart
        ([2.0, 1.5, 1.2, nan], 6),
        ([3.0, 50.0, 1e30, inf], 7),  # 1e30 is huge but finite
        ([1.0, 0.9, 0.8, 0.7], 4),
        ([1.0, -inf], 5),
        ([f32(0.5), f32(0.4), f32("nan")], 5),  # NumPy float32 scalars
        ([0.3, 0.2, 0.1, nan], 2),  # n_steps ends before the NaN
        ([inf], 3),
        ([0.5], 0),
    ]
    with Check(TRAIN_WITH_GUARD, train_with_guard) as c:
        for script, n_steps in cases:
            step = ScriptedLosses(script)
            shown = ", ".join(_fmt(v) for v in script[: n_steps + 1])
            got = c.call(step, n_steps, note=f"step() returns {shown}, ...")
            bad = next((i for i, v in enumerate(script[:n_steps]) if not math.isfinite(v)), None)
            calls = n_steps if bad is None else bad + 1
            expected = [float(v) for v in script[:calls]]
            _judge_guard(c, step, n_steps, bad, calls)
            c.require(
                got is not None,
                "train_with_guard returned None",
                likely="end with `return losses, message`",
                kind="none",
            )
            losses, message = c.unpack(got, ("losses", "message"))
            c.require(
                isinstance(losses, list | tuple | np.ndarray) and np.ndim(losses) == 1,
                "your losses is not a list of numbers",
                got=repr(losses) if losses is None else type(losses).__name__,
                expected=f"a list of {len(expected)} losses",
                kind="type",
            )
            _judge_losses(c, [float(v) for v in losses], expected)
            _judge_message(c, message, None if bad is None else (bad + 1, script[bad]))


def _says_value(message: str, loss: Any) -> bool:
    """``message`` shows the non-finite ``loss`` as Python prints it (any letter case)."""
    text = message.lower()
    if math.isnan(loss):
        return "nan" in text
    if loss < 0:
        return "-inf" in text
    return re.search(r"(?<!-)inf", text) is not None


def _says_step(message: str, k: int) -> bool:
    return re.search(rf"(?<![\d.]){k}(?!\d)", message) is not None


def _judge_message(c: Check, message: Any, stop: tuple | None) -> None:
    """None after a full run; else a str naming the step (from 1) and the loss."""
    if stop is None:
        c.require(
            message is None,
            "training ran all n_steps steps, so message should be None",
            got=repr(message)[:80],
            likely="set message = None before the loop and change it only where you stop early",
            kind="message",
        )
        return
    k, loss = stop
    c.require(
        isinstance(message, str),
        f"training stopped at step {k}, so message should be a str saying so",
        got=repr(message)[:80],
        likely="build the message where you break out of the loop, e.g. "
        'f"stopped at step {k}: the loss is {loss}"',
        kind="message",
    )
    shown = "nan" if math.isnan(loss) else str(float(loss))
    if not _says_step(message, k):
        likely = None
        if _says_step(message, k - 1):
            likely = (
                "counted the steps from 0: the first call of step() is step 1, so the step "
                "that returned the bad loss is len(losses)"
            )
        raise c.failure(
            f"your message does not name step {k}, where the loss became {shown}",
            got=repr(message)[:120],
            expected=f"a message that contains the number {k}",
            likely=likely,
            kind="message",
        )
    c.require(
        _says_value(message, loss),
        f"your message does not show the loss that stopped training ({shown})",
        got=repr(message)[:120],
        expected=f"a message that contains {shown}",
        likely='put the loss itself in the message, e.g. f"... the loss is {loss}"',
        kind="message",
    )


def _judge_guard(c: Check, step: ScriptedLosses, n: int, bad: int | None, calls: int) -> None:
    """Fail, naming the likely mistake, unless ``step()`` ran exactly ``calls`` times."""
    if step.calls == calls:
        return
    last = step.value(step.calls) if step.calls else None
    if step.calls < calls and last is not None and math.isfinite(last):
        likely = f"stopped at a finite loss ({_fmt(last)}): only NaN, inf or -inf stop training"
    elif bad is None or step.calls < calls:
        likely = f"loop exactly n_steps = {n} times (for _ in range(n_steps)), stopping early "
        likely += "only at a NaN or infinite loss"
    elif step.calls == n and math.isnan(step.losses[bad]):
        likely = (
            "NaN is not equal to anything, itself included, so `loss == np.nan` is always "
            "False: test with math.isfinite(loss)"
        )
    elif step.calls == n:
        likely = (
            f"did not stop at {_fmt(step.losses[bad])}: np.isnan() is False for inf and -inf; "
            "math.isfinite(loss) is False for NaN, inf and -inf alike"
        )
    elif step.calls == calls + 1:
        likely = (
            "tested the loss one step too late: check each loss right after step() returns it, "
            "before calling step() again"
        )
    else:
        likely = "stop (break) right after the first loss that is NaN, inf or -inf"
    after = "" if bad is None else f" (the loss became {_fmt(step.losses[bad])} at call {bad + 1})"
    raise c.failure(
        f"your loop called step() {step.calls} times; expected {calls}{after}",
        likely=likely,
        kind="calls",
    )


def _judge_losses(c: Check, got: list, expected: list) -> None:
    if len(got) == len(expected) - 1 and not math.isfinite(expected[-1]):
        raise c.failure(
            f"your losses has {len(got)} entries; expected {len(expected)}",
            got=f"losses ends with {_fmt(got[-1]) if got else 'nothing'}",
            expected=f"losses ends with {_fmt(expected[-1])}",
            likely="left out the non-finite loss: append it before stopping, so whoever reads "
            "losses sees why training ended",
            kind="shape",
        )
    c.compare(np.array(got, dtype=float), np.array(expected), name="losses", check_dtype=False)
