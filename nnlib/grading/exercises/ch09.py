"""Checks of chapter 9's exercises: the learning rate.

====================  ==============================================================  ======
exercise id           the learner writes                                              points
====================  ==============================================================  ======
``quadratic_limit``   ``max_stable_lr(A) -> 2 / lambda_max(A)`` and                      3
                      ``gd_on_quadratic(A, c, w0, lr, steps) -> (w, losses)``
``warmup_cosine_lr``  ``warmup_cosine_lr(t, lr, total_steps, warmup_steps,               2
                      start_factor) -> rate``: linear warm-up, then half a cosine
``lr_range_test``     ``lr_range_test(step, start_lr, end_lr, num_steps,                 3
                      stop_factor) -> (lrs, losses, suggested_lr)``
``scaled_lrs``        ``scaled_lrs(base_lr, base_batch, batch_sizes, rule, max_lr)``     2
                      ``-> rates``: the linear or square-root rule, capped
====================  ==============================================================  ======

The quadratic is ``L(w) = 0.5 w.A w + c.w`` with a symmetric positive definite
``A`` (chapter 3's parabola in D dimensions); its steepest curvature is the
largest eigenvalue of ``A``. The schedule is the chapter's ``LinearLR`` ramp
followed by its cosine, measured from the end of the warm-up. The range test
is the loop of ``nnlib.lr_range_test`` without the smoothing: it is handed
``step(lr)`` (:class:`~nnlib.grading.sandbox.helpers.RateStep`, which returns
scripted losses and records the rates it was given), so the check sees every
rate the loop used and how many steps it took. The batch-size rule is the
chapter's section 6: scale with ``B / B0`` (linear) or its square root, and
never above the curvature limit ``max_lr``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close, describe
from ..registry import Exercise
from ..sandbox.helpers import RateStep

__all__ = [
    "check_quadratic_limit",
    "check_warmup_cosine_lr",
    "check_lr_range_test",
    "check_scaled_lrs",
]

QUADRATIC_LIMIT = Exercise(
    "ch09", "quadratic_limit", "The largest stable rate of a quadratic, and GD on it", 3
)
WARMUP_COSINE_LR = Exercise("ch09", "warmup_cosine_lr", "Linear warm-up, then cosine decay", 2)
LR_RANGE_TEST = Exercise("ch09", "lr_range_test", "The learning-rate range test loop", 3)
SCALED_LRS = Exercise("ch09", "scaled_lrs", "Scaling the rate with the batch size", 2)


# ---------------------------------------------------------------- quadratic_limit


def _spd(seed: int, curvatures: list[float], dtype: type = np.float64) -> np.ndarray:
    """A symmetric matrix with these eigenvalues and random (non-axis) eigenvectors."""
    rng = np.random.default_rng(9000 + seed)
    d = len(curvatures)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    A = q @ np.diag(curvatures) @ q.T  # noqa: N806
    return ((A + A.T) / 2).astype(dtype)


_LIMIT_MISTAKES = [
    Mistake(
        "the limit is 2 / a, not 1 / a: 1 / a is the rate that reaches the minimum along the "
        "steepest direction in one step, and the run still converges up to twice that",
        impl=lambda A: 1.0 / np.linalg.eigvalsh(A).max(),
    ),
    Mistake(
        "used the smallest curvature: the steepest direction (the largest eigenvalue) is the "
        "first to overshoot, so it sets the limit",
        impl=lambda A: 2.0 / np.linalg.eigvalsh(A).min(),
    ),
    Mistake(
        "used the diagonal of A: its entries are the curvatures along the axes, but the "
        "steepest direction is an eigenvector; take np.linalg.eigvalsh(A).max()",
        impl=lambda A: 2.0 / np.max(np.diag(A)),
    ),
    Mistake(
        "used the trace of A (the sum of all curvatures): the limit comes from the largest "
        "eigenvalue alone",
        impl=lambda A: 2.0 / np.trace(A),
    ),
    Mistake(
        "used a matrix norm of A: the Frobenius norm mixes every curvature; take the largest "
        "eigenvalue, np.linalg.eigvalsh(A).max()",
        impl=lambda A: 2.0 / np.linalg.norm(A),
    ),
]


def gd_reference(
    A: np.ndarray,  # noqa: N803
    c: np.ndarray,
    w0: np.ndarray,
    lr: float,
    steps: int,
    *,
    with_c: bool = True,
    sign: float = 1.0,
    half: float = 0.5,
    extra: int = 0,
    first: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` steps ``w <- w - lr (A w + c)``; losses at w0 and after each step."""

    def loss(w: np.ndarray) -> float:
        return float(half * w @ A @ w + c @ w)

    w = w0.copy()
    losses = [loss(w)] if first else []
    for _ in range(steps + extra):
        grad = A @ w + (c if with_c else 0)
        w = w - sign * lr * grad
        losses.append(loss(w))
    return w, np.array(losses)


_GD_VARIANTS = [
    (
        "the gradient of 0.5 w.A w + c.w is A w + c: c is missing",
        {"with_c": False},
        (0, 1),
    ),
    ("moved uphill: the step subtracts lr times the gradient", {"sign": -1.0}, (0, 1)),
    (
        "took one step too many: `steps` updates, for example `for _ in range(steps)`",
        {"extra": 1},
        (0, 1),
    ),
    (
        "the loss is 0.5 * w @ A @ w + c @ w: the 1/2 is missing",
        {"half": 1.0},
        (1,),
    ),
    (
        "losses starts with the loss at w0, before any step, so it has steps + 1 entries",
        {"first": False},
        (1,),
    ),
]


def _gd_mistakes(index: int) -> list[Mistake]:
    return [
        Mistake(msg, impl=lambda *a, kw=kw: gd_reference(*a, **kw)[index])
        for msg, kw, where in _GD_VARIANTS
        if index in where
    ]


def check_quadratic_limit(max_stable_lr: Any, gd_on_quadratic: Any) -> None:
    """``max_stable_lr(A) = 2 / lambda_max`` and ``gd_on_quadratic``'s weights and losses."""
    limits = [  # (seed, curvatures, dtype)
        (0, [0.5, 2.0, 8.0], np.float64),
        (1, [3.0], np.float64),
        (2, [1.0, 1.5, 4.0, 0.2, 10.0], np.float64),
        (3, [0.01, 0.02], np.float64),
        (4, [5.0, 0.5, 2.5, 1.0], np.float32),
        (5, [2.0, 2.0, 7.0], np.float64),
    ]
    with Check(QUADRATIC_LIMIT, max_stable_lr) as c:
        for seed, curv, dtype in limits:
            A = _spd(seed, curv, dtype)  # noqa: N806
            got = c.call(A, note=f"curvatures {curv}")
            c.compare(got, 2.0 / max(curv), name="max_stable_lr(A)", mistakes=_LIMIT_MISTAKES)

        runs = [  # (seed, curvatures, factor of the limit, steps, dtype)
            (10, [0.5, 2.0, 4.0], 0.9, 12, np.float64),
            (11, [1.0], 0.3, 1, np.float64),
            (12, [0.2, 3.0], 1.1, 15, np.float64),  # just above the limit: it diverges
            (13, [1.0, 2.0, 0.5, 6.0], 0.5, 0, np.float64),  # no step at all
            (14, [0.3, 1.2, 2.0], 0.7, 8, np.float32),
            (15, [4.0, 0.1], 0.2, 30, np.float64),
        ]
        for seed, curv, factor, steps, dtype in runs:
            rng = np.random.default_rng(9100 + seed)
            A = _spd(seed, curv, dtype)  # noqa: N806
            cvec = rng.normal(size=len(curv)).astype(dtype)
            w0 = (2.0 * rng.normal(size=len(curv))).astype(dtype)
            lr = factor * 2.0 / max(curv)
            note = f"lr = {factor} x 2 / a_max, steps = {steps}"
            got = c.call(A, cvec, w0, lr, steps, fn=gd_on_quadratic, note=note)
            w, losses = c.unpack(got, ("w", "losses"))
            ref_w, ref_losses = gd_reference(A, cvec, w0, lr, steps)
            tol = {"rtol": 1e-4} if dtype == np.float32 else {}
            c.compare(w, ref_w.astype(dtype), name="w", mistakes=_gd_mistakes(0), **tol)
            c.compare(
                np.asarray(losses, dtype=float) if isinstance(losses, list) else losses,
                ref_losses,
                name="losses",
                mistakes=_gd_mistakes(1),
                check_dtype=False,
                **tol,
            )


# ---------------------------------------------------------------- warmup_cosine_lr


def schedule_reference(
    t: int,
    lr: float,
    total_steps: int,
    warmup_steps: int,
    start_factor: float,
    *,
    shift: int = 0,
    from_zero: bool = False,
    span: str = "T - W",
    origin: str = "W",
    angle: float = math.pi,
    half: float = 0.5,
) -> float:
    """The chapter's warm-up (``LinearLR``) then cosine; keywords give wrong variants."""
    if t < warmup_steps:
        f0 = 0.0 if from_zero else start_factor
        return lr * (f0 + (1 - f0) * (t + shift) / warmup_steps)
    length = total_steps - warmup_steps if span == "T - W" else total_steps
    progress = (t - (warmup_steps if origin == "W" else 0)) / length
    return half * lr * (1 + math.cos(angle * progress))


_SCHEDULE_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "off by one in the warm-up: step t uses t / W, so step 0 runs at start_factor * lr "
        "and the full rate is first reached at step W",
        {"shift": 1},
    ),
    (
        "the warm-up starts at start_factor * lr, not at 0: lr * (start_factor + "
        "(1 - start_factor) * t / W)",
        {"from_zero": True},
    ),
    (
        "the cosine starts where the warm-up ends: its fraction is (t - W) / (T - W), which "
        "is 0 at step W",
        {"origin": "0", "span": "T"},
    ),
    (
        "wrong endpoint: divide (t - W) by T - W, the length of the decay, so that the rate "
        "reaches 0 exactly at t = T",
        {"span": "T"},
    ),
    (
        "np.cos takes radians: the angle is pi * fraction (half a turn over the decay), "
        "not 180 * fraction",
        {"angle": 180.0},
    ),
    (
        "the angle is pi times the fraction of the decay done, cos(pi * (t - W) / (T - W)): "
        "the pi is missing",
        {"angle": 1.0},
    ),
    (
        "took the fraction for an angle in degrees (np.deg2rad, or * pi / 180): the fraction "
        "of the decay is a share of half a turn, cos(pi * (t - W) / (T - W))",
        {"angle": math.pi / 180},
    ),
    (
        "the cosine goes from lr to 0: 0.5 * lr * (1 + cos(...)); the 0.5 is missing",
        {"half": 1.0},
    ),
]

_SCHEDULE_MISTAKES = [
    Mistake(msg, impl=lambda *a, kw=kw: schedule_reference(*a, **kw))
    for msg, kw in _SCHEDULE_VARIANTS
]


def check_warmup_cosine_lr(warmup_cosine_lr: Any) -> None:
    """Every step ``t = 0 .. T`` of several schedules, with and without warm-up."""
    configs = [  # (lr, total_steps, warmup_steps, start_factor)
        (0.5, 20, 4, 0.1),
        (0.01, 30, 0, 0.5),  # no warm-up: the chapter's cosine
        (1.0, 12, 6, 0.25),
        (0.3, 40, 10, 0.0),  # the warm-up starts from 0
        (2.0, 5, 1, 0.5),
        (0.05, 25, 3, 1.0 / 3.0),
    ]
    with Check(WARMUP_COSINE_LR, warmup_cosine_lr) as c:
        for lr, total, warm, f0 in configs:
            for t in range(total + 1):
                got = c.call(t, lr, total, warm, f0, note=f"step {t} of {total}")
                c.compare(
                    got,
                    schedule_reference(t, lr, total, warm, f0),
                    name=f"rate at t = {t}",
                    mistakes=_SCHEDULE_MISTAKES,
                )


# ---------------------------------------------------------------- lr_range_test


def range_reference(
    script: list[float],
    start_lr: float,
    end_lr: float,
    num_steps: int,
    stop_factor: float,
    *,
    growth: str = "geometric",
    denominator: int = -1,
    stops: bool = True,
    against: str = "lowest",
    nan_stops: bool = True,
    tenth: float = 0.1,
    at: str = "lowest",
) -> tuple[list[float], list[float], list[float], float]:
    """``(rates step() saw, lrs, losses, suggested_lr)`` on a scripted ``step``.

    ``step`` returns ``script[k]`` at call ``k`` (the last entry once past the end).
    """
    rates: list[float] = []
    lrs: list[float] = []
    losses: list[float] = []
    best_loss, best_lr = math.inf, start_lr
    for k in range(num_steps):
        if growth == "geometric":
            lr = start_lr * (end_lr / start_lr) ** (k / (num_steps + denominator))
        else:
            lr = start_lr + (end_lr - start_lr) * k / (num_steps - 1)
        loss = script[min(k, len(script) - 1)]
        rates.append(lr)
        lrs.append(lr)
        losses.append(loss)
        ref = best_loss if against == "lowest" else (losses[0] if k else math.inf)
        bad = loss > stop_factor * ref or (nan_stops and not math.isfinite(loss))
        if against == "previous":
            bad = k > 0 and loss > stop_factor * losses[-2] or not math.isfinite(loss)
        if stops and bad:
            break
        if loss < best_loss:
            best_loss, best_lr = loss, lr
    chosen = best_lr if at == "lowest" else lrs[-1]
    return rates, lrs, losses, tenth * chosen


_RANGE_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the rate grows by the same factor at every step, lr_k = start_lr * (end_lr / "
        "start_lr) ** (k / (num_steps - 1)), not by the same amount",
        {"growth": "linear"},
    ),
    (
        "off by one in the exponent: k / (num_steps - 1) makes the last step use end_lr",
        {"denominator": 0},
    ),
    (
        "never stopped: leave the loop (break) once a loss exceeds stop_factor times the "
        "lowest loss before it",
        {"stops": False},
    ),
    (
        "compared with the first loss: the test is against the lowest loss so far, "
        "stop_factor * min(earlier losses)",
        {"against": "first"},
    ),
    (
        "compared with the previous loss: the test is against the lowest loss so far",
        {"against": "previous"},
    ),
    (
        "did not stop at NaN: every comparison with NaN is False, so test "
        "`not np.isfinite(loss)` as well",
        {"nan_stops": False},
    ),
]

_SUGGESTED_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "suggested the rate of the lowest loss itself: the loss is lowest just past the good "
        "rates, so the suggestion is a tenth of it",
        {"tenth": 1.0},
    ),
    (
        "suggested a tenth of the last rate tried: take the rate where the loss was lowest",
        {"at": "last"},
    ),
]


def _range_scripts() -> list[tuple[list[float], float, float, int, float, str]]:
    nan, inf = math.nan, math.inf
    # The order matters: each wrong stopping rule first fails on a case where the number of
    # step(lr) calls tells it apart from every rule that passed the cases before.
    return [  # (losses step() returns, start_lr, end_lr, num_steps, stop_factor, note)
        ([10.0, 3.0, 2.0, 1.0, 0.9, 50.0, 60.0, 70.0, 80.0], 1e-3, 1.0, 9, 4.0, "a sharp blow-up"),
        (
            [2.3, 2.3, 2.2, 1.9, 1.2, 0.8, 0.6, 0.9, 2.0, 5.0, 12.0, 40.0, 400.0, 4e3, 4e4],
            1e-4,
            10.0,
            15,
            4.0,
            "the loss falls, then blows up",
        ),
        ([1.2, 1.0, 0.5, 0.5, 0.7, nan, 0.4, 0.45, 0.5], 1e-5, 1e-1, 9, 4.0, "a NaN, a tie"),
        ([1.0, 0.9, 0.8, 0.7, 0.65, 0.6], 1e-3, 1.0, 6, 4.0, "no blow-up within num_steps"),
        (
            [2.0, 1.5, 1.0, 1.8, 2.2, 3.5, 4.5, 9.0],
            0.01,
            3.0,
            8,
            3.0,
            "above the first loss but below 3 x the lowest, then past it",
        ),
        ([3.0, 2.0, 1.0, 2.5, 1.5, inf, 0.1], 1e-2, 5.0, 7, 10.0, "an inf"),
        (
            [0.9, 0.95, 1.0, 0.4, 0.3, 1.1, 1.3, 9.0],
            1e-6,
            1e-2,
            8,
            2.5,
            "a rise and a fall before the lowest loss",
        ),
        ([2.0, 1.9, 1.5], 0.1, 0.4, 3, 4.0, "three steps"),
    ]


def _as_vector(c: Check, value: Any, name: str) -> np.ndarray:
    c.require(
        isinstance(value, list | tuple | np.ndarray) and np.ndim(value) == 1,
        f"your {name} should be a list or a 1-d array, one entry per step taken",
        got=describe(value),
        kind="type",
    )
    return np.asarray(value, dtype=float)


def _judge_steps(c: Check, step: RateStep, case: tuple, expected: int, passed: list) -> None:
    """Fail unless ``step`` was called ``expected`` times, naming the likely stopping rule.

    A rule is a candidate when it takes that many steps on this case and took the right
    number on every case ``passed`` before it.
    """
    calls = len(step.rates)
    if calls == expected:
        return

    def steps(kase: tuple, **kw: Any) -> int:
        return len(range_reference(*kase, **kw)[0])

    likely = next(
        (
            msg
            for msg, kw in _RANGE_VARIANTS
            if steps(case, **kw) == calls and all(steps(p, **kw) == steps(p) for p in passed)
        ),
        None,
    )
    if likely is None and calls == expected + 1:
        likely = "test the loss right after step(lr) returns it, before taking the next step"
    raise c.failure(
        f"your loop called step(lr) {calls} times; expected {expected}",
        likely=likely
        or "one step(lr) per rate, stopping right after the first loss that is not finite or "
        "exceeds stop_factor times the lowest loss before it",
        kind="calls",
    )


def _rate_mistakes(case: tuple) -> list[Mistake]:
    """The rate rules of the catalogue, on the rates step(lr) saw so far."""
    return [
        Mistake(msg, lambda g, e, ctx, kw=kw: close(g, range_reference(*case, **kw)[0][: len(g)]))
        for msg, kw in _RANGE_VARIANTS[:2]
    ]


_RECORD_MISTAKES = [
    Mistake(
        "left out the step that stopped the test: record its rate and loss before leaving the loop",
        lambda g, e, ctx: len(g) == len(e) - 1,
    )
]


def _suggested_mistakes(case: tuple, lrs: list, losses: list) -> list[Mistake]:
    lowest = min(v for v in losses if math.isfinite(v))
    tied = [lr for lr, v in zip(lrs, losses, strict=True) if v == lowest]
    return [
        *(
            Mistake(msg, lambda g, e, ctx, kw=kw: close(g, range_reference(*case, **kw)[3]))
            for msg, kw in _SUGGESTED_VARIANTS
        ),
        Mistake(
            "with several equal lowest losses, take the earliest step's rate (update the best "
            "only on a strictly smaller loss)",
            lambda g, e, ctx: len(tied) > 1 and any(close(g, 0.1 * lr) for lr in tied[1:]),
        ),
    ]


def check_lr_range_test(lr_range_test: Any) -> None:
    """The rates ``step`` is given, the steps taken, the records and the suggestion."""
    with Check(LR_RANGE_TEST, lr_range_test) as c:
        passed: list[tuple] = []
        for script, start, end, n, factor, note in _range_scripts():
            case = (script, start, end, n, factor)
            step = RateStep(script)
            got = c.call(step, start, end, n, factor, note=note)
            rates, ref_lrs, ref_losses, ref_suggested = range_reference(*case)
            c.require(
                got is not None,
                "lr_range_test returned None",
                likely="end with `return lrs, losses, suggested_lr`",
                kind="none",
            )
            lrs, losses, suggested = c.unpack(got, ("lrs", "losses", "suggested_lr"))
            seen = np.asarray(step.rates, dtype=float)
            k = min(len(seen), len(rates))
            c.compare(
                seen[:k],
                np.array(rates[:k]),
                name="rates passed to step(lr)",
                mistakes=_rate_mistakes(case),
            )
            _judge_steps(c, step, case, len(rates), passed)
            c.compare(
                _as_vector(c, losses, "losses"),
                np.array(ref_losses),
                name="losses",
                mistakes=_RECORD_MISTAKES,
            )
            c.compare(
                _as_vector(c, lrs, "lrs"),
                np.array(ref_lrs),
                name="lrs",
                mistakes=_RECORD_MISTAKES,
            )
            c.compare(
                suggested,
                ref_suggested,
                name="suggested_lr",
                mistakes=_suggested_mistakes(case, ref_lrs, ref_losses),
            )
            passed.append(case)


# ---------------------------------------------------------------- scaled_lrs


def scaled_reference(
    base_lr: float,
    base_batch: int,
    batch_sizes: Any,
    rule: str,
    max_lr: float,
    *,
    inverted: bool = False,
    swapped: bool = False,
    cap: str = "min",
    integer: bool = False,
) -> np.ndarray:
    """``min(base_lr * (B / B0) ** p, max_lr)`` with p = 1 (linear) or 1/2 (sqrt)."""
    b = np.asarray(batch_sizes)
    ratio = (b // base_batch if integer else b / base_batch).astype(float)
    if inverted:
        ratio = base_batch / b
    linear = (rule == "linear") != swapped
    rates = base_lr * (ratio if linear else np.sqrt(ratio))
    if cap == "min":
        return np.minimum(rates, max_lr)
    if cap == "max":
        return np.maximum(rates, max_lr)
    return rates


_SCALED_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the ratio is upside down: a larger batch averages away more noise and takes a larger "
        "rate, base_lr * (B / base_batch)",
        {"inverted": True},
    ),
    (
        'the rules are swapped: "linear" multiplies by B / base_batch, "sqrt" by its square root',
        {"swapped": True},
    ),
    (
        "no cap: a rate above max_lr (the curvature limit) diverges whatever the batch size; "
        "take np.minimum(rate, max_lr)",
        {"cap": "none"},
    ),
    (
        "np.maximum raises every rate to max_lr: the cap is np.minimum(rate, max_lr)",
        {"cap": "max"},
    ),
    (
        "integer division: B // base_batch rounds the ratio down (48 // 32 is 1); use B / "
        "base_batch",
        {"integer": True},
    ),
]

_SCALED_MISTAKES = [
    Mistake(msg, impl=lambda *a, kw=kw: scaled_reference(*a, **kw)) for msg, kw in _SCALED_VARIANTS
]


def check_scaled_lrs(scaled_lrs: Any) -> None:
    """Both rules, batch sizes below and above ``base_batch``, the cap on either side."""
    cases = [  # (base_lr, base_batch, batch_sizes, rule, max_lr)
        (0.1, 32, [8, 16, 32, 48, 64, 128, 256], "linear", 0.5),
        (0.1, 32, [8, 16, 32, 48, 64, 128, 256], "sqrt", 0.25),
        (0.002, 64, [64], "sqrt", 1.0),
        (0.05, 100, [1, 50, 150, 300, 1000], "linear", 0.4),
        (0.3, 16, [24, 40, 16, 12], "sqrt", 0.35),
        (0.01, 8, [8, 12, 20, 1024], "linear", 10.0),  # the cap far away
    ]
    with Check(SCALED_LRS, scaled_lrs) as c:
        for base_lr, b0, sizes, rule, max_lr in cases:
            got = c.call(base_lr, b0, sizes, rule, max_lr, note=f'rule "{rule}"')
            c.compare(
                got,
                scaled_reference(base_lr, b0, sizes, rule, max_lr),
                name="rates",
                mistakes=_SCALED_MISTAKES,
            )
        sizes = np.array([16, 64, 256])
        got = c.call(0.1, 64, sizes, "linear", 1.0, note="batch_sizes as an array of int64")
        c.compare(got, np.array([0.025, 0.1, 0.4]), name="rates", mistakes=_SCALED_MISTAKES)
