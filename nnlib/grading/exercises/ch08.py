"""Checks of chapter 8's exercises: regularization.

==============================  ===========================================================  ======
exercise id                     the learner writes                                           points
==============================  ===========================================================  ======
``l2_regularize``               ``l2_regularize(loss, params, grads, lam)                        2
                                -> (total_loss, new_grads)``: penalty on the ``W`` arrays
``l1_proximal_step``            ``l1_proximal_step(w, dw, lr, lam) -> w_new``: a gradient        2
                                step, then soft thresholding by ``lr * lam``
``adam_decay_step``             ``adam_decay_step(w, g, m, v, t, lr, weight_decay,               3
                                decoupled, betas, eps) -> (w, m, v)``: Adam + L2 or AdamW
``dropout``                     ``dropout_forward(h, p, rng, train=True) -> (out, mask)``        3
                                and ``dropout_backward(dout, mask) -> dh``
``train_with_early_stopping``   ``train_with_early_stopping(w, step, val_loss, max_epochs,       2
                                patience) -> (best_epoch, best_w)``
==============================  ===========================================================  ======

``params`` and ``grads`` of ``l2_regularize`` are dicts of arrays whose names
start with ``W`` (weights, penalised) or ``b`` (biases, not penalised), as
``nnlib.L2`` treats them. Dropout's mask carries the scale: its entries are 0
or ``1 / (1 - p)``, so the backward pass is ``dout * mask``; any random draw
from the given generator is accepted (the check tests the rate of dropped
units, that each unit of each example is drawn, and that the mask depends on
the generator). Early stopping is checked with a ``step`` that changes the
weights in place and a ``val_loss`` that is a pure function of the weights.
The L1 step is checked on weights whose step lands on both sides of the
threshold ``lr * lam`` and on 0, and must give exact zeros. The Adam step
follows ``nnlib.optim.Adam`` / ``AdamW`` (and torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close, describe
from ..registry import Exercise
from ..sandbox.helpers import EpochStep, ScriptedValLoss
from .ch03 import early_stopping_reference

__all__ = [
    "check_l2_regularize",
    "check_l1_proximal_step",
    "check_adam_decay_step",
    "check_dropout",
    "check_train_with_early_stopping",
]

L2_REGULARIZE = Exercise("ch08", "l2_regularize", "L2 penalty in the loss and the gradient", 2)
L1_PROXIMAL_STEP = Exercise("ch08", "l1_proximal_step", "L1 proximal step (soft thresholding)", 2)
ADAM_DECAY_STEP = Exercise("ch08", "adam_decay_step", "Adam + L2 and AdamW, one step", 3)
DROPOUT = Exercise("ch08", "dropout", "Inverted dropout, forward and backward", 3)
TRAIN_WITH_EARLY_STOPPING = Exercise(
    "ch08", "train_with_early_stopping", "Early stopping that restores the best weights", 2
)


def _is_weight(name: str) -> bool:
    return name.startswith("W")


# ---------------------------------------------------------------- l2_regularize


def l2_reference(
    loss: float,
    params: dict,
    grads: dict,
    lam: float,
    *,
    half: float = 0.5,
    biases_in_loss: bool = False,
    grad_factor: float = 1.0,
    biases_in_grad: bool = False,
    reduce: Callable = np.sum,
) -> tuple[float, dict]:
    """``(loss + lam/2 * sum of W**2, grads + lam * W)``; keywords give wrong variants."""
    penalised = [k for k in params if _is_weight(k) or biases_in_loss]
    total = float(loss) + half * lam * sum(float(reduce(params[k] ** 2)) for k in penalised)
    out = {}
    for k, g in grads.items():
        if _is_weight(k) or biases_in_grad:
            out[k] = g + grad_factor * lam * params[k]
        else:
            out[k] = g.copy()
    return total, out


_LOSS_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the penalty is (lam / 2) * sum(W ** 2): the 1/2 is there so that its derivative is "
        "exactly lam * W",
        {"half": 1.0},
    ),
    (
        "the biases were penalised: the sum runs over the weight arrays (names starting "
        "with W) only",
        {"biases_in_loss": True},
    ),
    (
        "took the mean of the squares: the penalty is a sum over every weight, "
        "(lam / 2) * np.sum(W ** 2)",
        {"reduce": np.mean},
    ),
    ("the penalty was subtracted: it is added to the loss", {"half": -0.5}),
    ("the penalty is missing from the loss: add (lam / 2) * sum(W ** 2)", {"half": 0.0}),
]

_GRAD_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the gradient of (lam / 2) * W ** 2 is lam * W, not 2 * lam * W",
        {"grad_factor": 2.0},
    ),
    (
        "a bias gradient changed: biases are not penalised, so their gradients stay as they are",
        {"biases_in_grad": True},
    ),
    (
        "wrong sign: the penalty's gradient lam * W is added to dW (it pulls the weights "
        "towards 0 when the step subtracts the gradient)",
        {"grad_factor": -1.0},
    ),
    (
        "the penalty also changes the gradient: add lam * W to the gradient of every weight array",
        {"grad_factor": 0.0},
    ),
]


def _l2_mistakes(name: str | None) -> list[Mistake]:
    if name is None:
        return [
            Mistake(msg, impl=lambda *a, kw=kw: l2_reference(*a, **kw)[0])
            for msg, kw in _LOSS_VARIANTS
        ]
    return [
        Mistake(msg, impl=lambda *a, kw=kw: l2_reference(*a, **kw)[1][name])
        for msg, kw in _GRAD_VARIANTS
    ]


def _layers(seed: int, sizes: list[int], dtype: type, scale: float = 1.0) -> tuple[dict, dict]:
    rng = np.random.default_rng(8000 + seed)
    params, grads = {}, {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = (scale * rng.normal(size=(a, b))).astype(dtype)
        params[f"b{i}"] = rng.normal(size=b).astype(dtype)
        grads[f"W{i}"] = rng.normal(size=(a, b)).astype(dtype)
        grads[f"b{i}"] = rng.normal(size=b).astype(dtype)
    return params, grads


def check_l2_regularize(l2_regularize: Any) -> None:
    """``l2_regularize(loss, params, grads, lam)`` -> ``(total_loss, new_grads)``."""
    cases = [  # (seed, layer sizes, lam, loss, dtype)
        (0, [3, 4, 2], 0.1, 0.7, np.float64),
        (1, [2, 1], 0.01, 1.3, np.float64),
        (2, [5, 3, 3, 1], 0.5, 0.25, np.float64),
        (3, [4, 6, 2], 0.03, 2.0, np.float32),
        (4, [1, 1], 1.0, 0.0, np.float64),
        (5, [3, 2], 0.0, 0.9, np.float64),
    ]
    with Check(L2_REGULARIZE, l2_regularize) as c:
        for seed, sizes, lam, loss, dtype in cases:
            params, grads = _layers(seed, sizes, dtype)
            got = c.call(loss, params, grads, lam, note=f"seed {seed}", allow_alias=True)
            total, new = c.unpack(got, ("total_loss", "new_grads"))
            ref_total, ref_new = l2_reference(loss, params, grads, lam)
            tol = {"rtol": 1e-5} if dtype == np.float32 else {}
            c.compare(total, ref_total, name="total_loss", mistakes=_l2_mistakes(None), **tol)
            c.require(
                isinstance(new, dict) and set(new) == set(grads),
                "new_grads should be a dict with the same names as grads",
                got=describe(new) if not isinstance(new, dict) else f"names {sorted(new)}",
                expected=f"names {sorted(grads)}",
                likely="build a new dict, e.g. {name: ... for name in grads}",
                kind="type",
            )
            for name in grads:
                c.compare(
                    new[name],
                    ref_new[name],
                    name=f"new_grads[{name!r}]",
                    mistakes=_l2_mistakes(name),
                )


# ---------------------------------------------------------------- l1_proximal_step


def l1_reference(
    w: np.ndarray,
    dw: np.ndarray,
    lr: float,
    lam: float,
    *,
    kind: str = "soft",
    threshold: str = "lr * lam",
    grad_step: bool = True,
    shrink_first: bool = False,
) -> np.ndarray:
    """``sign(z) * max(|z| - lr * lam, 0)`` with ``z = w - lr * dw``; keywords: wrong variants."""
    if kind == "subgradient":
        return w - lr * (dw + lam * np.sign(w))
    t = lr * lam if threshold == "lr * lam" else lam

    def soft(z: np.ndarray) -> np.ndarray:
        return np.sign(z) * np.maximum(np.abs(z) - t, 0)

    if shrink_first:
        return soft(w) - lr * dw
    z = w - lr * dw if grad_step else w
    if kind == "hard":
        return np.where(np.abs(z) <= t, 0, z)
    return soft(z)


_L1_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "a plain subgradient step, w - lr * (dw + lam * sign(w)), steps over 0 instead of "
        "landing on it: shrink z = w - lr * dw towards 0 and stop at 0",
        {"kind": "subgradient"},
    ),
    (
        "the threshold is lr * lam, the size of the penalty's step, not lam",
        {"threshold": "lam"},
    ),
    (
        "set the small weights to 0 but left the others as they were: every weight that "
        "survives moves lr * lam towards 0 too, sign(z) * (|z| - lr * lam)",
        {"kind": "hard"},
    ),
    (
        "shrank the weights before the gradient step: take the step first, z = w - lr * dw, "
        "then shrink z",
        {"shrink_first": True},
    ),
    (
        "the data's gradient step is missing: z = w - lr * dw comes first",
        {"grad_step": False},
    ),
]

_L1_MISTAKES = [
    Mistake(msg, impl=lambda *a, kw=kw: l1_reference(*a, **kw)) for msg, kw in _L1_VARIANTS
]


def _near_threshold(seed: int, shape: tuple, lr: float, lam: float, dtype: type) -> tuple:
    """w and dw whose step z = w - lr * dw lands on both sides of +-lr * lam, and on 0."""
    rng = np.random.default_rng(8050 + seed)
    t = lr * lam
    dw = rng.normal(size=shape)
    z = rng.choice([-1.0, 1.0], size=shape) * t * rng.choice([0.3, 0.9, 1.1, 3.0, 20.0], size=shape)
    z.flat[0] = 0.0
    w = z + lr * dw
    return w.astype(dtype), dw.astype(dtype)


def check_l1_proximal_step(l1_proximal_step: Any) -> None:
    """``l1_proximal_step(w, dw, lr, lam)``: gradient step, then soft thresholding."""
    cases = [  # (seed, shape, lr, lam, dtype)
        (0, (4, 5), 0.1, 0.5, np.float64),
        (1, (7,), 0.5, 0.2, np.float64),
        (2, (3, 3), 1.0, 0.05, np.float64),
        (3, (1, 1), 0.2, 1.0, np.float64),
        (4, (6, 4), 0.05, 2.0, np.float32),
        (5, (5,), 0.3, 0.0, np.float64),
    ]
    with Check(L1_PROXIMAL_STEP, l1_proximal_step) as c:
        for seed, shape, lr, lam, dtype in cases:
            w, dw = _near_threshold(seed, shape, lr, lam, dtype)
            got = c.call(w, dw, lr, lam, note=f"seed {seed}")
            expected = l1_reference(w, dw, lr, lam).astype(dtype)
            c.compare(got, expected, name="w_new", mistakes=_L1_MISTAKES)
            zeros = expected == 0
            c.require(
                np.all(np.asarray(got)[zeros] == 0),
                "the weights whose step lands within lr * lam of 0 should be exactly 0",
                likely="np.maximum(np.abs(z) - lr * lam, 0) gives an exact 0 there",
                kind="not_zero",
            )


# ---------------------------------------------------------------- dropout


def _dropout_runner(dropout_forward: Any) -> Callable:
    def forward(h: np.ndarray, p: float, rng: Any, train: bool = True) -> Any:
        return dropout_forward(h, p, rng) if train else dropout_forward(h, p, rng, False)

    forward.__name__ = getattr(dropout_forward, "__name__", "dropout_forward")
    return forward


def _forward_pair(c: Check, got: Any, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out, mask = c.unpack(got, ("out", "mask"))
    for name, a in (("out", out), ("mask", mask)):
        c.require(
            isinstance(a, np.ndarray) and a.shape == h.shape,
            f"your {name} should be an array of the shape of h, {h.shape}",
            got=describe(a),
            likely="draw one number per entry of h: rng.random(h.shape)",
            kind="shape",
        )
    return out, np.asarray(mask, dtype=float)


def _judge_mask(c: Check, mask: np.ndarray, p: float) -> None:
    """Entries 0 or 1 / (1 - p)."""
    scale = 1.0 / (1.0 - p)
    values = np.unique(np.round(mask, 6))
    if np.all(np.isclose(mask, 0) | np.isclose(mask, scale)):
        return
    if p > 0 and np.all(np.isclose(mask, 0) | np.isclose(mask, 1)):
        likely = (
            "the mask holds 0 and 1; here it carries the scale too: "
            "mask = (rng.random(h.shape) >= p) / (1 - p), so that out = h * mask"
        )
    elif p > 0 and np.all(np.isclose(mask, 0) | np.isclose(mask, 1 - p)):
        likely = "the kept units are divided by (1 - p), not multiplied: mask entries 1 / (1 - p)"
    else:
        likely = None
    raise c.failure(
        "your mask should hold only 0 (dropped) and 1 / (1 - p) (kept)",
        got=f"values {values[:6].tolist()}",
        expected=f"0 and {scale:.6g}",
        likely=likely,
    )


def check_dropout(dropout_forward: Any, dropout_backward: Any) -> None:
    """Inverted dropout: statistics of the mask, the scale, eval mode and the backward pass."""
    forward = _dropout_runner(dropout_forward)
    cases = [  # (seed, shape, p, dtype)
        (0, (400, 50), 0.3, np.float64),
        (1, (300, 80), 0.7, np.float64),
        (2, (250, 64), 0.2, np.float32),
        (3, (1, 7), 0.5, np.float64),
        (4, (5, 3), 0.0, np.float64),
    ]
    with Check(DROPOUT, dropout_forward) as c:
        for seed, shape, p, dtype in cases:
            h = (np.random.default_rng(8100 + seed).normal(size=shape) + 2.0).astype(dtype)
            got = c.call(h, p, np.random.default_rng(8200 + seed), fn=forward, note=f"seed {seed}")
            out, mask = _forward_pair(c, got, h)
            _judge_mask(c, mask, p)
            c.compare(
                out,
                (h * mask).astype(dtype),
                name="out",
                mistakes=[
                    Mistake(
                        "forgot the scale: the kept units are divided by (1 - p), so that the "
                        "expected activation stays h",
                        lambda g, e, ctx, h=h, m=mask: close(g, h * (m > 0)),
                    ),
                    Mistake(
                        "out should be h * mask, with the very mask you return",
                        lambda g, e, ctx: True,
                    ),
                ],
            )
            if h.size >= 1000:
                same_rows = all(np.array_equal(mask[0], row) for row in mask[1:])
                same_cols = all(np.array_equal(mask[:, 0], col) for col in mask.T[1:])
                c.require(
                    not (same_rows or same_cols),
                    "every example got the same mask"
                    if same_rows
                    else "every unit of an example is dropped or kept together",
                    likely="draw the mask with the full shape of h, rng.random(h.shape): each "
                    "unit of each example is dropped independently",
                    kind="shared_mask",
                )
                dropped = float(np.mean(mask == 0))
                side = 4 * math.sqrt(p * (1 - p) / h.size) + 0.005
                c.require(
                    abs(dropped - p) <= side,
                    f"{dropped:.1%} of the units were dropped; with p = {p} about {p:.0%} "
                    "should be",
                    likely=(
                        "p is the probability of dropping a unit: keep it where "
                        "rng.random(h.shape) >= p (with probability 1 - p)"
                        if abs(dropped - (1 - p)) <= side
                        else "draw one uniform number per entry, rng.random(h.shape), and "
                        "drop the entries below p"
                    ),
                    kind="rate",
                )
            dout = np.random.default_rng(8300 + seed).normal(size=shape).astype(dtype)
            dh = c.call(dout, mask.astype(dtype), fn=dropout_backward, note=f"seed {seed}")
            c.compare(
                dh,
                dout * mask.astype(dtype),
                name="dh",
                mistakes=[
                    Mistake(
                        "the backward pass needs the scale too: dh = dout * mask, with the mask "
                        "holding 0 and 1 / (1 - p)",
                        lambda g, e, ctx, m=mask, d=dout, p=p: p > 0 and close(g, d * (m > 0)),
                    ),
                    Mistake(
                        "the gradient flows only through the kept units: multiply dout by the mask",
                        lambda g, e, ctx, d=dout: close(g, d),
                    ),
                    Mistake(
                        "divided by the mask: dh = dout * mask (out = h * mask, so d out / d h = "
                        "mask)",
                        lambda g, e, ctx: not np.all(np.isfinite(np.asarray(g, dtype=float))),
                    ),
                ],
            )

        # eval mode: the identity, whatever p
        for seed, shape, p in [(5, (6, 4), 0.5), (6, (3, 9), 0.25)]:
            h = np.random.default_rng(8100 + seed).normal(size=shape) + 2.0
            rng = np.random.default_rng(seed)
            note = f"seed {seed}"
            got = c.call(h, p, rng, False, fn=forward, note=note, allow_alias=True)
            out, mask = _forward_pair(c, got, h)
            c.compare(
                out,
                h.copy(),
                name="out (train=False)",
                mistakes=[
                    Mistake(
                        "in eval mode inverted dropout passes h through unchanged: the scaling "
                        "already happened in training (multiplying by 1 - p is the old, "
                        "non-inverted dropout)",
                        lambda g, e, ctx, h=h, p=p: close(g, (1 - p) * h),
                    ),
                    Mistake(
                        "units were dropped with train=False: eval mode is the identity, "
                        "out = h and mask = np.ones_like(h)",
                        lambda g, e, ctx: np.any(np.asarray(g) == 0),
                    ),
                ],
            )
            c.compare(mask, np.ones(shape), name="mask (train=False)", check_dtype=False)

        # the mask comes from the generator it is given
        h = np.ones((20, 30))

        def mask_of(seed: int, note: str, rng: Any = None) -> np.ndarray:
            rng = np.random.default_rng(seed) if rng is None else rng
            return _forward_pair(c, c.call(h, 0.4, rng, fn=forward, note=note), h)[1]

        first = mask_of(42, "rng = np.random.default_rng(42)")
        c.require(
            np.array_equal(first, mask_of(42, "a new np.random.default_rng(42)")),
            "two generators with the same seed gave different masks",
            likely="used NumPy's global generator (np.random.rand, np.random.binomial): draw "
            "from the rng argument, rng.random(h.shape)",
            kind="not_reproducible",
        )
        c.require(
            not np.array_equal(first, mask_of(43, "rng = np.random.default_rng(43)")),
            "generators with different seeds gave the same mask",
            likely="ignored the rng argument: draw the mask from the generator you are given",
            kind="ignores_rng",
        )
        rng = np.random.default_rng(44)
        one = mask_of(0, "call 1 with np.random.default_rng(44)", rng)
        c.require(
            not np.array_equal(one, mask_of(0, "call 2 with the same generator", rng)),
            "two calls with the same generator gave the same mask",
            likely="draw a new mask at every call; do not create a generator from a fixed seed",
            kind="same_every_call",
        )


# ---------------------------------------------------------------- train_with_early_stopping


_Step = EpochStep  # the helpers live where the grader's sandbox can run them
_ValLoss = ScriptedValLoss


def stopping_reference(
    losses: list[float],
    patience: int,
    *,
    ties_improve: bool = False,
    late: bool = False,
    against_previous: bool = False,
    measure_first: bool = False,
) -> tuple[int, int]:
    """``(stop_epoch, best_epoch)`` of the rule on the losses of epochs 0, 1, ...

    ``measure_first`` replays a loop that measures the loss before each step,
    so that "epoch 0" sees the untrained weights (loss 10.0).
    """
    if measure_first:
        losses = [10.0, *losses[:-1]]
    return early_stopping_reference(
        losses,
        patience,
        ties_improve=ties_improve,
        late=late,
        against_previous=against_previous,
    )


_STOPPING_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "an equal loss counted as an improvement: only a strictly smaller loss is a new best "
        "(use <, not <=)",
        {"ties_improve": True},
    ),
    (
        "stopped one epoch too late: stop right after epoch e once e - best_epoch >= patience",
        {"late": True},
    ),
    (
        "counted epochs since the last decrease: patience counts the epochs since the best "
        "loss so far",
        {"against_previous": True},
    ),
    (
        "measured the validation loss before the step: epoch e is step(w) first, then "
        "val_loss(w), so epoch 0's loss is that of the weights after one step",
        {"measure_first": True},
    ),
]


def _epoch_mistakes(losses: list[float], patience: int) -> list[Mistake]:
    """The catalogue of best_epoch when step(w) ran the right number of times."""

    def variant(kw: dict[str, Any]) -> Callable[..., int]:
        return lambda *args: stopping_reference(losses, patience, **kw)[1]

    index_slip = Mistake(
        "epochs count from 0: the loss measured after the first step(w) is epoch 0's",
        lambda g, e, ctx: close(g, e + 1),
    )
    return [index_slip, *(Mistake(msg, impl=variant(kw)) for msg, kw in _STOPPING_VARIANTS)]


def _explain_stop(
    c: Check, calls: int, best_epoch: Any, losses: list[float], patience: int, stop: int
) -> None:
    """Fail: ``step(w)`` ran ``calls`` times instead of ``stop + 1``; name the likely rule."""
    predicted = [
        (msg, stopping_reference(losses, patience, **kw)) for msg, kw in _STOPPING_VARIANTS
    ]
    both = [msg for msg, (s, b) in predicted if s + 1 == calls and close(best_epoch, b)]
    calls_only = [msg for msg, (s, _) in predicted if s + 1 == calls]
    if both or calls_only:
        likely = (both or calls_only)[0]
    elif calls == len(losses):
        likely = "kept training after the rule fired: leave the loop (break) as soon as "
        likely += "epoch - best_epoch >= patience"
    else:
        likely = "one step(w) per epoch, and stop right after the epoch where "
        likely += "epoch - best_epoch >= patience"
    raise c.failure(
        f"step(w) was called {calls} times; training should stop after epoch {stop}, "
        f"that is after {stop + 1} calls",
        likely=likely,
        kind="stop",
    )


def check_train_with_early_stopping(train_with_early_stopping: Any) -> None:
    """``train_with_early_stopping(w, step, val_loss, max_epochs, patience)``."""
    fixed = [  # (losses of epochs 0, 1, ..., max_epochs, patience, note)
        ([0.9, 0.7, 0.8, 0.75, 0.9, 0.95, 0.99, 0.5, 0.4], 9, 3, "a dip that is not a new best"),
        ([1.0, 0.8, 0.7, 0.7, 0.72, 0.7, 0.74, 0.5, 0.4], 9, 3, "ties with the best loss"),
        ([0.5, 0.4, 0.3, 0.35, 0.2, 0.25], 6, 4, "the rule never fires"),
        ([0.6, 0.5, 0.55, 0.45, 0.47, 0.49, 0.3], 7, 2, "patience 2"),
        ([0.3, 0.4, 0.5, 0.2], 4, 1, "patience 1, the first epoch is best"),
        ([0.8, 0.6, 0.5, 0.45, 0.46, 0.44, 0.47, 0.48, 0.49, 0.5, 0.1], 11, 4, "a late best"),
        ([0.9, 0.7, 0.5, 0.3], 3, 2, "max_epochs ends the run"),
    ]
    with Check(TRAIN_WITH_EARLY_STOPPING, train_with_early_stopping) as c:
        for k, (script, max_epochs, patience, note) in enumerate(fixed):
            rng = np.random.default_rng(8400 + k)
            shape = [(3,), (2, 3), (4, 1), (5,), (1, 1), (3, 2), (2,)][k]
            dtype = np.float32 if k == 3 else np.float64
            w = rng.normal(size=shape).astype(dtype)
            drift = rng.normal(size=w.size) * 0.1
            drift[0] = 1.0  # the epoch counter
            w0 = w.copy()
            step, val_loss = _Step(drift), _ValLoss(w0, script)
            got = c.call(
                w, step, val_loss, max_epochs, patience, note=note, mutates=("w",), allow_alias=True
            )
            stop, best = stopping_reference(script[:max_epochs], patience)
            c.require(
                got is not None,
                "train_with_early_stopping returned None",
                likely="end with `return best_epoch, best_w`",
                kind="none",
            )
            best_epoch, best_w = c.unpack(got, ("best_epoch", "best_w"))
            if step.calls != stop + 1:
                _explain_stop(c, step.calls, best_epoch, script[:max_epochs], patience, stop)
            epoch_mistakes = _epoch_mistakes(script[:max_epochs], patience)
            c.compare(best_epoch, best, name="best_epoch", mistakes=epoch_mistakes)
            expected_w = (w0.ravel() + (best + 1) * drift.astype(dtype)).reshape(shape)
            final = (w0.ravel().astype(float) + drift * step.calls).reshape(shape)
            c.compare(
                best_w,
                expected_w.astype(dtype),
                name="best_w",
                mistakes=[
                    Mistake(
                        "best_w is the final weights: `best_w = w` keeps a reference to the array "
                        "that step(w) goes on changing; store a copy, best_w = w.copy()",
                        lambda g, e, ctx, a=final, moved=best + 1 != step.calls: (
                            moved and close(g, a)
                        ),
                    ),
                    Mistake(
                        "best_w holds the starting weights: copy w each time the validation loss "
                        "reaches a new best",
                        lambda g, e, ctx, w0=w0: close(g, w0),
                    ),
                ],
            )
            c.require(
                not np.shares_memory(best_w, w),
                "best_w is the array w itself",
                likely="return a copy taken at the best epoch, best_w = w.copy()",
                kind="alias",
            )


# ---------------------------------------------------------------- adam_decay_step


def adam_reference(
    w: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    weight_decay: float,
    decoupled: bool,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    *,
    mode: str | None = None,
    correct: bool = True,
    decay_lr: bool = True,
    decay_after: bool = False,
    l2_in_v: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of Adam + L2 (``decoupled=False``) or AdamW; keywords give wrong variants.

    ``mode`` forces "l2", "decoupled", "both" or "none" whatever ``decoupled`` says.
    """
    b1, b2 = betas
    mode = mode or ("decoupled" if decoupled else "l2")
    shrink = 1 - (lr if decay_lr else 1.0) * weight_decay
    if mode in ("decoupled", "both") and not decay_after:
        w_start = w * shrink
    else:
        w_start = w
    grad = g + weight_decay * w if mode in ("l2", "both") else g
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * (grad * grad if l2_in_v else g * g)
    m_hat = m_new / (1 - b1**t) if correct else m_new
    v_hat = v_new / (1 - b2**t) if correct else v_new
    w_new = w_start - lr * m_hat / (np.sqrt(v_hat) + eps)
    if mode in ("decoupled", "both") and decay_after:
        w_new = w_new * shrink
    return w_new, m_new, v_new


_ADAM_VARIANTS: list[tuple[str, dict[str, Any], bool | None]] = [
    # (message, keywords, only for this value of decoupled (None: both))
    (
        "with decoupled=False the decay is L2: add weight_decay * w to the gradient, before "
        "the moments; shrinking w by (1 - lr * weight_decay) is what AdamW does",
        {"mode": "decoupled"},
        False,
    ),
    (
        "with decoupled=True (AdamW) the decay must not go through the moments: use the plain "
        "gradient g in m and v and shrink w by (1 - lr * weight_decay) separately",
        {"mode": "l2"},
        True,
    ),
    (
        "applied the decay twice: AdamW shrinks w and leaves the gradient alone",
        {"mode": "both"},
        True,
    ),
    (
        "shrink the old weights, before the Adam step: w * (1 - lr * weight_decay) - "
        "lr * m_hat / (sqrt(v_hat) + eps)",
        {"decay_after": True},
        True,
    ),
    (
        "the decoupled decay is scaled by the learning rate: w * (1 - lr * weight_decay)",
        {"decay_lr": False},
        True,
    ),
    (
        "the second moment takes the same gradient as the first: with L2, "
        "g + weight_decay * w in both m and v",
        {"l2_in_v": False},
        False,
    ),
    (
        "forgot the bias correction: m_hat = m / (1 - beta1 ** t), v_hat = v / (1 - beta2 ** t)",
        {"correct": False},
        None,
    ),
    ("no decay at all: weight_decay must change the step", {"mode": "none"}, None),
]


def _adam_mistakes(index: int, decoupled: bool) -> list[Mistake]:
    return [
        Mistake(msg, impl=lambda *a, kw=kw: adam_reference(*a, **kw)[index])
        for msg, kw, only in _ADAM_VARIANTS
        if only is None or only == decoupled
    ]


def check_adam_decay_step(adam_decay_step: Any) -> None:
    """One step of Adam with L2 (``decoupled=False``) or with decoupled decay (AdamW)."""
    cases = [  # (seed, shape, t, lr, weight_decay, betas, eps, dtype, moments start at 0)
        (0, (3, 2), 1, 0.1, 0.5, (0.9, 0.999), 1e-8, np.float64, True),
        (1, (4,), 5, 0.05, 0.2, (0.8, 0.99), 1e-8, np.float64, False),
        (2, (2, 5), 12, 0.2, 0.1, (0.5, 0.9), 1e-3, np.float64, False),
        (3, (1, 1), 2, 0.3, 1.0, (0.9, 0.999), 1e-8, np.float64, False),
        (4, (3, 3), 3, 0.01, 0.3, (0.9, 0.99), 1e-6, np.float32, False),
        (5, (5,), 4, 0.1, 0.0, (0.7, 0.95), 1e-8, np.float64, False),
    ]
    with Check(ADAM_DECAY_STEP, adam_decay_step) as c:
        for seed, shape, t, lr, wd, betas, eps, dtype, zero in cases:
            rng = np.random.default_rng(8500 + seed)
            w = (2.0 * rng.normal(size=shape)).astype(dtype)
            g = rng.normal(size=shape).astype(dtype) * np.where(rng.random(shape) < 0.3, 0.01, 1)
            g = g.astype(dtype)
            m = np.zeros(shape, dtype) if zero else (0.1 * rng.normal(size=shape)).astype(dtype)
            v = np.zeros(shape, dtype) if zero else (0.1 * rng.random(shape)).astype(dtype)
            for decoupled in (False, True):
                args = (w, g, m, v, t, lr, wd, decoupled, betas, eps)
                got = c.call(*args, note=f"seed {seed}, decoupled={decoupled}")
                new = c.unpack(got, ("w", "m", "v"))
                ref = adam_reference(*args)
                tol = {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {}
                for j in (0, 1, 2):
                    c.compare(
                        new[j],
                        ref[j].astype(dtype),
                        name=f"new {'wmv'[j]}",
                        mistakes=_adam_mistakes(j, decoupled),
                        **tol,
                    )
