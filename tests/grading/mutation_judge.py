"""Judging a mutant: a time limit, and the checks' acceptance rule as an equivalence.

:func:`observe` runs an answer on a battery and returns what it gave (or
:class:`Raised` for an exception or a timeout); :func:`equivalent` compares
two observations as the checks compare a result with its reference;
:func:`run_check` runs a check. Every run is interrupted after
:data:`TIME_LIMIT` seconds (SIGALRM, so an endless loop counts as a failure).
"""

from __future__ import annotations

import contextlib
import io
import math
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnlib.grading.checks import progress_paused
from nnlib.grading.feedback import _tolerance

TIME_LIMIT = 2.0  # seconds per mutant, for the battery and for the check each


# ---------------------------------------------------------------- time limit


class MutantTimeout(BaseException):
    """Raised inside a mutant that ran too long (a BaseException: checks do not catch it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with :class:`MutantTimeout` (SIGALRM, main thread)."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("time_limit needs the main thread (it uses SIGALRM)")

    def expire(signum: int, frame: Any) -> None:
        raise MutantTimeout(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------- equivalence


@dataclass(frozen=True)
class Raised:
    """What an answer raised instead of returning."""

    name: str


@dataclass(frozen=True)
class Sample:
    """A large random sample, compared by its distribution (for random output)."""

    values: np.ndarray = field(compare=False)

    def stats(self) -> tuple[float, float, float, float, float]:
        x = np.asarray(self.values, dtype=np.float64).ravel()
        mean, std = float(x.mean()), float(x.std())
        kurt = float(np.mean((x - mean) ** 4) / std**4) if std > 0 else math.nan
        return mean, std, kurt, float(x.min()), float(x.max())


def same_distribution(a: Sample, b: Sample) -> bool:
    """Six standard errors on mean, std and kurtosis; the range for flat samples."""
    n = min(np.size(a.values), np.size(b.values))
    ma, sa, ka, loa, hia = a.stats()
    mb, sb, kb, lob, hib = b.stats()
    if sa == 0 or sb == 0:
        return sa == sb and ma == mb
    se = math.sqrt(2.0 / n)
    if abs(ma - mb) > 6 * max(sa, sb) * se:
        return False
    if abs(sa / sb - 1) > 6 * math.sqrt((max(ka, kb) - 1) / (2 * n)):
        return False
    if abs(ka - kb) > 6 * math.sqrt(24.0 / n) * 2:
        return False
    if ka < 2.4 and (abs(loa - lob) > 1e-3 * sa or abs(hia - hib) > 1e-3 * sa):
        return False
    return True


def _number(v: Any) -> bool:
    return isinstance(v, int | float | np.number | np.bool_) and not isinstance(v, bool)


def equivalent(got: Any, ref: Any, tol: dict | None = None, check_dtype: bool = True) -> bool:
    """``got`` passes for ``ref`` by the checks' rule (see the module docstring)."""
    if isinstance(ref, Raised) or isinstance(got, Raised):
        return got == ref
    if isinstance(ref, Sample):
        return isinstance(got, Sample) and same_distribution(got, ref)
    if ref is None or isinstance(ref, bool | str):
        return type(got) is type(ref) and got == ref
    if isinstance(ref, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(ref)
            and all(equivalent(got[k], ref[k], tol, check_dtype) for k in ref)
        )
    if isinstance(ref, list | tuple):
        return (
            isinstance(got, list | tuple)
            and len(got) == len(ref)
            and all(equivalent(g, r, tol, check_dtype) for g, r in zip(got, ref, strict=True))
        )
    if not (_number(ref) or isinstance(ref, np.ndarray)):
        raise TypeError(f"cannot compare {type(ref).__name__}")
    if not (_number(got) or isinstance(got, np.ndarray)):
        return False
    g, r = np.asarray(got), np.asarray(ref)
    if g.shape != r.shape:
        return False
    if check_dtype and isinstance(ref, np.ndarray | np.generic) and r.dtype.kind == "f":
        if g.dtype != r.dtype:
            return False
    if r.dtype.kind in "iub" and g.dtype.kind not in "iub" and not np.all(g == np.round(g)):
        return False
    try:
        gf, rf = g.astype(float), r.astype(float)
    except (TypeError, ValueError):
        return False
    rule = {**_tolerance(ref), **(tol or {})}
    return bool(np.allclose(gf, rf, equal_nan=True, **rule))


def observe(run: Callable[[], Any], seconds: float = TIME_LIMIT) -> Any:
    """``run()``'s result, or :class:`Raised` for an exception or a timeout."""
    try:
        with (
            time_limit(seconds),
            np.errstate(all="ignore"),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            return run()
    except MutantTimeout:
        return Raised("timeout")
    except Exception as err:  # a mutant may raise anything
        return Raised(type(err).__name__)


def run_check(check: Callable, answers: tuple, seconds: float = TIME_LIMIT) -> BaseException | None:
    """None when the check accepts ``answers``; else what it raised (a timeout fails too)."""
    try:
        with (
            time_limit(seconds),
            progress_paused(),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            check(*answers)
    except MutantTimeout as err:
        return err
    except Exception as err:
        return err
    return None
