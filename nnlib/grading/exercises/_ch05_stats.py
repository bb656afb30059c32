"""Testing random initializers by their distribution (the checks of chapter 5 use it).

The values themselves are never compared, so any order of draws passes (and
``rng.normal``, ``rng.standard_normal * std`` or ``rng.uniform`` are all
fine). Instead, for several large shapes (square and not, 40,000 to 90,000
entries each) the check measures the sample's mean, standard deviation,
kurtosis and range, and accepts it when it agrees with the asked-for
distribution within six standard errors of each estimate:

* mean: ``|mean| <= 6 * std / sqrt(n)``;
* std: ``|s / std - 1| <= 6 * sqrt((kurtosis - 1) / (4 n))``, the standard
  error of a sample std (``1 / sqrt(2n)`` for a normal, ``sqrt(0.2 / n)`` for
  a uniform): under 2.5 % for n = 40,000, while the closest catalogued mistake
  of chapter 5 is 12 % off;
* family: the kurtosis of a normal is 3 (standard error ``sqrt(24 / n)``,
  under 0.025), of a uniform 1.8; a sample counts as normal between 2.4 and
  ``3 + 6 sqrt(24 / n)``, as uniform below 2.4 and inside ``±sqrt(3) std``;
* a uniform's bound holds exactly, on every shape, small ones too.

A false failure of a correct implementation needs a six-sigma deviation (odds
of order 1e-8 per check). Then the rng: two generators with the same seed must
give the same array, two different seeds different arrays, and each call a
new array. A wrong answer is named by trying each catalogued mistake as an
alternative distribution against every measured sample at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import describe, shape_hint
from ..feedback import ExerciseFailed

SIGMAS = 6.0  # every statistical tolerance is this many standard errors
NORMAL_MIN_KURTOSIS = 2.4  # between a uniform's 1.8 and a normal's 3
SQRT3 = math.sqrt(3.0)
MIN_SAMPLE = 10_000  # smaller samples are only checked for shape, dtype and bounds

# ---------------------------------------------------------------- measuring a sample


@dataclass(frozen=True)
class Sample:
    """What a check measured on one returned weight array."""

    shape: tuple[int, ...]
    n: int
    mean: float
    std: float
    kurtosis: float
    lo: float
    hi: float

    @classmethod
    def of(cls, w: np.ndarray) -> Sample:
        x = np.asarray(w, dtype=np.float64).ravel()
        mean = float(x.mean())
        std = float(x.std())
        kurt = float(np.mean((x - mean) ** 4) / std**4) if std > 0 else math.nan
        return cls(tuple(np.shape(w)), x.size, mean, std, kurt, float(x.min()), float(x.max()))

    def family(self) -> str:
        if not self.std > 0:
            return "constant"
        if self.kurtosis < NORMAL_MIN_KURTOSIS:
            return "uniform"
        if self.kurtosis <= 3.0 + SIGMAS * math.sqrt(24.0 / self.n):
            return "normal"
        return "heavy-tailed"

    def text(self) -> str:
        family = {"uniform": "flat, like a uniform", "normal": "bell-shaped, like a normal"}
        shape = family.get(self.family(), self.family())
        return (
            f"mean {self.mean:.4g}, std {self.std:.4g}, kurtosis {self.kurtosis:.3g} ({shape}), "
            f"range [{self.lo:.4g}, {self.hi:.4g}]"
        )


@dataclass(frozen=True)
class Dist:
    """A distribution a sample is tested against: ``family`` is "normal" or "uniform"."""

    family: str
    std: float
    mean: float = 0.0

    @property
    def bound(self) -> float:
        return SQRT3 * self.std  # U(mean - bound, mean + bound) has this std

    def text(self) -> str:
        if self.family == "uniform":
            lo, hi = self.mean - self.bound, self.mean + self.bound
            return f"uniform on [{lo:.4g}, {hi:.4g}] (mean {self.mean:.4g}, std {self.std:.4g})"
        return f"{self.family}, mean {self.mean:.4g}, std {self.std:.4g}"

    def problem(self, s: Sample) -> str | None:
        """Why the sample does not fit this distribution (None when it fits)."""
        if self.std == 0:
            return None if s.std == 0 and s.mean == self.mean else "not constant"
        if s.family() != self.family:
            return "family"
        if abs(s.mean - self.mean) > SIGMAS * self.std / math.sqrt(s.n):
            return "mean"
        kurt = 3.0 if self.family != "uniform" else 1.8
        if abs(s.std / self.std - 1) > SIGMAS * math.sqrt((kurt - 1) / (4 * s.n)):
            return "std"
        if self.family == "uniform" and not self.within_bounds(s):
            return "bounds"
        return None

    def within_bounds(self, s: Sample) -> bool:
        slack = 1e-9 * self.bound + 1e-12
        return s.lo >= self.mean - self.bound - slack and s.hi <= self.mean + self.bound + slack


@dataclass(frozen=True)
class Alternative:
    """A catalogued mistake: the distribution it would produce for a case."""

    message: str
    dist: Callable[..., Dist]  # called like the case's reference distribution


def matching(alternatives: list[Alternative], cases: list[tuple[tuple, Sample]]) -> str | None:
    """The first alternative that fits every measured sample."""
    for alt in alternatives:
        try:
            if all(alt.dist(*args).problem(s) is None for args, s in cases):
                return alt.message
        except (ValueError, ZeroDivisionError, TypeError):
            continue
    return None


# ---------------------------------------------------------------- shared checks


def check_array(c: Check, w: Any, shape: tuple[int, ...], name: str = "W") -> None:
    """Fail unless ``w`` is a finite float64 array of ``shape``."""
    if w is None:
        raise c.failure(f"your {name} is None", likely="a missing `return`?", kind="none")
    if not isinstance(w, np.ndarray):
        raise c.failure(
            f"your {name} is not a NumPy array",
            got=describe(w),
            likely="return a NumPy array (np.zeros, rng.normal and rng.uniform all make one), "
            "not a list or a number",
            kind="type",
        )
    if w.shape != shape:
        if len(shape) == 2 and w.shape == shape[::-1] and shape[0] != shape[1]:
            likely = (
                f"the shape is reversed: (n_out, n_in) is torch's layout; nnlib's W has shape "
                f"(n_in, n_out) = {shape}, so use the `shape` you are given as it is"
            )
        else:
            expected = np.zeros(shape)
            likely = shape_hint(w, expected, {}) or "create the array with exactly `shape`"
        raise c.failure(
            f"your {name} has shape {w.shape}; expected {shape}",
            got=describe(w),
            expected=f"array of shape {shape}, float64",
            likely=likely,
            kind="shape",
        )
    if w.dtype != np.float64:
        if np.issubdtype(w.dtype, np.integer) or w.dtype == np.bool_:
            likely = "integer weights cannot take small steps: create a float array (the default)"
        else:
            likely = "return float64, NumPy's default: drop the dtype argument or `.astype`"
        raise c.failure(
            f"your {name} has dtype {w.dtype}; expected float64",
            got=str(w.dtype),
            expected="float64",
            likely=likely,
            kind="dtype",
        )
    if not np.all(np.isfinite(w)):
        raise c.failure(
            f"your {name} contains NaN or inf",
            got=describe(w),
            likely="check for a division by zero (a fan of 0?) or a square root of a negative",
            kind="nonfinite",
        )


def call(c: Check, fn: Any, args: tuple, note: str) -> Any:
    """Call the learner's function; a shape passed to NumPy as two arguments gets its own hint."""
    try:
        return c.call(*args, note=note)
    except ExerciseFailed as err:
        cause = str(err.learner_exception or "")
        if err.kind != "exception" or "data type" not in cause:
            raise
        likely = (
            "the sizes went in as separate arguments, so NumPy read the second one as a dtype: "
            "pass the shape as one tuple, e.g. np.zeros(shape) or rng.normal(0.0, std, size=shape)"
        )
        lines = [ln for ln in str(err).splitlines() if not ln.startswith("  likely mistake:")]
        lines.append(f"  {'likely mistake:':<15} {likely}")
        failed = ExerciseFailed(
            "\n".join(lines), kind="exception", exercise=c.exercise, likely=likely
        )
        failed.learner_exception = err.learner_exception
        raise failed from None


def check_rng(c: Check, fn: Any, extra: tuple, shape: tuple[int, int] = (20, 30)) -> None:
    """Same seed -> same array, different seeds -> different arrays, a new array each call."""
    a = call(c, fn, (shape, *extra, np.random.default_rng(7)), "generator seeded with 7")
    b = call(c, fn, (shape, *extra, np.random.default_rng(7)), "again seeded with 7")
    check_array(c, a, shape)
    check_array(c, b, shape)
    if np.shares_memory(a, b):
        raise c.failure(
            "two calls returned the same array object",
            likely="create a new array in every call; a layer that changes its weights would "
            "otherwise change every other layer's too",
            kind="alias",
        )
    c.require(
        np.array_equal(a, b),
        "two generators with the same seed (7) gave different arrays",
        likely="your function ignores its `rng` argument (np.random.randn, np.random.normal "
        "and np.random.default_rng() without a seed draw from a source you do not control): "
        "draw with rng.normal(...) or rng.uniform(...)",
        kind="rng",
    )
    d = call(c, fn, (shape, *extra, np.random.default_rng(8)), "generator seeded with 8")
    check_array(c, d, shape)
    c.require(
        not np.array_equal(a, d),
        "generators with different seeds (7 and 8) gave the same array",
        likely="your function makes its own generator with a fixed seed (or caches its "
        "result): draw from the `rng` you are given, so the caller controls the seed",
        kind="rng",
    )


def check_distribution(
    c: Check,
    fn: Any,
    cases: list[tuple[tuple, str]],
    reference: Callable[..., Dist],
    alternatives: list[Alternative],
    what: str,
) -> None:
    """Run every case, then compare each sample with ``reference(*args)``; name a mistake.

    Large samples are tested on mean, std, family (and bounds, for a uniform);
    every sample of a uniform is tested on its bounds.
    """
    results = []  # (args without rng, Sample, what `tried` said)
    for i, (args, note) in enumerate(cases):
        w = call(c, fn, (*args, np.random.default_rng(500 + i)), note)
        check_array(c, w, args[0])
        results.append((args, Sample.of(w), c.tried))
    big = [(args, s) for args, s, _ in results if s.n >= MIN_SAMPLE]
    for args, s, tried in results:
        dist = reference(*args)
        problem = dist.problem(s) if s.n >= MIN_SAMPLE else None
        if problem is None and dist.family == "uniform" and not dist.within_bounds(s):
            problem = "bounds"
        if problem is None:
            continue
        c.tried = tried
        headline = {
            "family": f"the values of your W {s.shape} do not look {dist.family}",
            "mean": f"the mean of your W {s.shape} is {s.mean:.4g}; expected about 0",
            "std": f"the std of your W {s.shape} is {s.std:.4g}; expected {dist.std:.4g} ({what})",
            "bounds": f"your W {s.shape} has values outside ±{dist.bound:.4g}",
        }[problem]
        likely = matching(alternatives, big)
        if likely is None and problem == "std":
            likely = f"{s.std / dist.std:.3g} times the expected std: check the formula"
        raise c.failure(headline, got=s.text(), expected=dist.text(), likely=likely)
