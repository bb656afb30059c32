"""The inputs on which a mutant is compared with the solution (never the checks' own cases).

One :class:`Battery` per exercise: ``run(*answers)`` calls the answers (the
names the check cell passes to the check) on the exercise's battery and
returns an *observation*, plain data that :func:`mutation_judge.equivalent`
compares with the solution's by the check's acceptance rule. Batteries cover
what the exercise text promises: random shapes and both float dtypes, batch
size 1 and a single class or unit, extreme values within the stated domain,
every argument away from its default; random output is observed through
seeded results and statistics, optimizers through whole trajectories. An
observation also records what the checks judge besides the values: an input
changed in place, a result sharing memory with an input, an overflow warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mutation_judge import Sample

SEED = 31337  # far from the seeds of the checks (0 to 8000)


@dataclass(frozen=True)
class Battery:
    run: Callable[..., Any]
    tol: dict = field(default_factory=dict)  # the check's own rtol/atol, where it sets them
    check_dtype: bool = True


def _rng(k: int = 0) -> np.random.Generator:
    return np.random.default_rng(SEED + k)


def _copy(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, list | tuple):
        return type(v)(_copy(x) for x in v)
    return v


def _arrays(v: Any) -> list[np.ndarray]:
    if isinstance(v, np.ndarray):
        return [v]
    if isinstance(v, list | tuple):
        return [a for x in v for a in _arrays(x)]
    if isinstance(v, dict):
        return [a for x in v.values() for a in _arrays(x)]
    return []


def pure(fn: Callable, *args: Any, overflow: bool = False) -> dict:
    """Call ``fn`` on copies of ``args``: its result, and whether it kept to the rules."""
    args = tuple(_copy(a) for a in args)
    before = [_copy(a) for a in args]
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        out = fn(*args)
    seen = {
        "out": out,
        "inputs unchanged": all(
            np.array_equal(x, y, equal_nan=True)
            for a, b in zip(args, before, strict=True)
            for x, y in zip(_arrays(a), _arrays(b), strict=True)
        ),
        "no alias": not any(np.shares_memory(o, a) for o in _arrays(out) for a in _arrays(args)),
    }
    if overflow:
        seen["overflow warning"] = any("overflow" in str(w.message) for w in caught)
    return seen


def normal(k: int, shape: tuple, scale: float = 1.0, dtype: Any = np.float64) -> np.ndarray:
    return (scale * _rng(k).normal(size=shape)).astype(dtype)


F32 = np.float32

# ---------------------------------------------------------------- chapter 1


def _dense(dense_forward):
    cases = [
        ((1, 1, 1), np.float64, 1),
        ((2, 5, 3), np.float64, 1),
        ((6, 4, 4), F32, 1),
        ((3, 2, 7), np.float64, 1e6),
    ]
    out = []
    for k, ((n, d, h), dtype, s) in enumerate(cases):
        x, W, b = normal(k, (n, d), s, dtype), normal(k + 10, (d, h), 1, dtype), normal(k, h, s)
        out.append(pure(dense_forward, x, W, b.astype(dtype)))
    return out


def _neuron(sigmoid_neuron):
    cases = [
        (1, 3, 1.0, np.float64),
        (5, 1, 800.0, np.float64),
        (4, 6, 0.1, F32),
        (7, 2, 300.0, F32),
        (3, 3, 3.0, np.float64),
    ]
    return [
        pure(sigmoid_neuron, normal(k, (n, d), s, t), normal(k + 5, d, 1, t), float(k) - 2.5)
        for k, (n, d, s, t) in enumerate(cases)
    ]


def _losses(shapes: list, make_y: Callable) -> list:
    out = []
    for k, (shape, dtype, scale) in enumerate(shapes):
        z = normal(k, shape, scale, dtype)
        out.append((z, make_y(k, z).astype(dtype)))
    return out


def _mse(mse_loss):
    shapes = [
        ((1, 1), np.float64, 1),
        ((9,), np.float64, 3),
        ((4, 5), F32, 1),
        ((2, 3), np.float64, 1e3),
    ]
    data = _losses(shapes, lambda k, z: normal(k + 50, z.shape))
    return [pure(mse_loss, p, t) for p, t in data]


def _bce(bce_with_logits):
    shapes = [
        ((1,), np.float64, 1),
        ((7,), np.float64, 3),
        ((3, 4), F32, 2),
        ((6, 1), np.float64, 900),
        ((5,), F32, 500),
    ]
    data = _losses(shapes, lambda k, z: _rng(k).integers(0, 2, size=z.shape))
    data.append((np.array([0.0, 0.0, 40.0]), np.array([1.0, 0.0, 1.0])))
    return [pure(bce_with_logits, z, y) for z, y in data]


def _ce(cross_entropy):
    cases = [
        (normal(0, (6, 4), 2.0), _rng(0).integers(0, 4, 6)),
        (normal(1, (1, 3), 2.0), np.array([2])),  # batch size 1
        (normal(2, (5, 1), 2.0), np.zeros(5, dtype=int)),  # a single class
        (normal(3, (4, 5), 3.0, F32), _rng(3).integers(0, 5, 4)),
        (np.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -802.0]]), np.array([1, 2])),
        (np.array([[-700.0, -720.0], [30.0, 900.0], [5.0, 5.0]]), np.array([1, 0, 1])),
        (normal(6, (3, 6), 1.0), np.array([5, 5, 5])),
    ]
    return [pure(cross_entropy, z, y) for z, y in cases]


# ---------------------------------------------------------------- chapter 2


def _sigmoid_backward(sigmoid_backward):
    cases = [((1,), np.float64), ((5, 2), np.float64), ((3, 3), F32), ((2, 1, 4), np.float64)]
    out = []
    for k, (shape, dtype) in enumerate(cases):
        s = (1 / (1 + np.exp(-normal(k, shape, 4.0)))).astype(dtype)
        out.append(pure(sigmoid_backward, normal(k + 9, shape, 1, dtype), s))
    return out


def _linear_backward(linear_backward):
    shapes = [
        (1, 2, 3, np.float64),
        (4, 4, 4, np.float64),
        (3, 1, 5, np.float64),
        (6, 3, 1, np.float64),
        (2, 5, 3, F32),
    ]
    return [
        pure(
            linear_backward,
            normal(k, (n, h), 1, t),
            normal(k + 1, (n, d), 1, t),
            normal(k + 2, (d, h), 1, t),
        )
        for k, (n, d, h, t) in enumerate(shapes)
    ]


def _two_layer(two_layer_backward):
    shapes = [
        (1, 2, 2, 1, np.float64),
        (6, 3, 5, 2, np.float64),
        (4, 4, 4, 4, np.float64),
        (5, 2, 3, 3, F32),
    ]
    out = []
    for k, (n, d, h, kk, t) in enumerate(shapes):
        args = [
            normal(k + i, s, 1.0, t)
            for i, s in enumerate([(n, d), (n, kk), (d, h), (h,), (h, kk), (kk,)])
        ]
        out.append(pure(two_layer_backward, *args))
    return out


def _numgrad(numerical_gradient):
    def cubic(v):
        return float(np.sum(v**3) / 3 + np.sum(np.cos(v)))

    def quad(v):
        return float(np.sum(v * v) + 3 * np.sum(v))

    A = normal(9, (3, 3))

    def coupled(v):  # not separable: every partial derivative depends on every entry
        u = np.ravel(v)[:3]
        return float(np.log(np.sum(np.exp(u))) + u @ A @ u)

    cases = [
        (coupled, normal(0, (3,)), ()),
        (coupled, normal(4, (3, 1)), (1e-3,)),
        (cubic, normal(0, (3,)), ()),
        (cubic, normal(1, (2, 3)), (1e-2,)),  # h away from its default
        (quad, np.array([2, -1, 0]), ()),  # integers
        (cubic, normal(2, (1,)), (1e-3,)),
        (quad, normal(3, (2, 1, 2)), (0.5,)),
    ]
    return [pure(numerical_gradient, f, x, *h) for f, x, h in cases]


def _rel_error(rel_error):
    a = normal(0, (4, 3))
    cases = [
        (a, a + 1e-6),
        (np.zeros(3), np.zeros(3)),
        (np.array([1e-9]), np.array([-1e-9])),
        (normal(1, (5,), 1e8), normal(2, (5,), 1e8)),
        (np.array([[3.0, -4.0]]), np.array([[-3.0, 4.0]])),
        (np.zeros((2, 2)), np.full((2, 2), 1e-10)),
    ]
    return [pure(rel_error, x, y) for x, y in cases]


# ---------------------------------------------------------------- chapter 3


def _sgd(sgd_step):
    out = []
    for k, (shapes, lr, dtype) in enumerate(
        [
            ([(2, 2), (2,)], 0.3, np.float64),
            ([(), (1,), (3, 1)], 2.0, np.float64),
            ([(4, 3)], 1e-3, F32),
        ]
    ):
        params = [normal(k + i, s, 1, dtype) for i, s in enumerate(shapes)]
        grads = [normal(k + 20 + i, s, 1, dtype) for i, s in enumerate(shapes)]
        held = list(params)
        sgd_step(params, [g.copy() for g in grads], lr)
        out.append(
            {
                "held": [p.copy() for p in held],
                "same list": all(p is q for p, q in zip(params, held, strict=False))
                and len(params) == len(held),
            }
        )
    return out


def _minibatches(minibatches):
    def epoch(n, B, seed, rng=None, y_kind="labels"):
        X = np.column_stack([np.arange(n), normal(seed, (n, 2))])
        y = np.arange(n) * 7 if y_kind == "labels" else np.column_stack([np.arange(n)] * 2) + 0.5
        rng = rng if rng is not None else np.random.default_rng(seed)
        batches = list(minibatches(X, y, B, rng))
        rows = [xb[:, 0].astype(int) for xb, _ in batches]
        order = np.concatenate(rows) if rows else np.array([], dtype=int)
        return {
            "rows": sorted(order.tolist()),
            "sizes": sorted(len(r) for r in rows),
            "pairs": all(
                np.array_equal(yb, y[r]) and np.array_equal(xb, X[r])
                for (xb, yb), r in zip(batches, rows, strict=True)
            ),
            "order": order,
        }

    out = []
    for n, B, y_kind in [
        (1, 1, "labels"),
        (9, 2, "column"),
        (12, 12, "labels"),
        (30, 7, "labels"),
        (5, 3, "column"),
    ]:
        a, b = epoch(n, B, 1, y_kind=y_kind), epoch(n, B, 1, y_kind=y_kind)
        c = epoch(n, B, 2, y_kind=y_kind)
        rng = np.random.default_rng(3)
        e1, e2 = epoch(n, B, 3, rng), epoch(n, B, 3, rng)
        out.append(
            {
                "rows, sizes, pairs": [a[k] for k in ("rows", "sizes", "pairs")],
                "same seed, same order": np.array_equal(a["order"], b["order"]),
                "other seed, other order": n < 4 or not np.array_equal(a["order"], c["order"]),
                "next epoch, other order": n < 4 or not np.array_equal(e1["order"], e2["order"]),
            }
        )
    return out


def _train(train_linear_regression):
    out = []
    for k, (n, d, lr, epochs) in enumerate(
        [(1, 1, 0.1, 5), (12, 3, 0.05, 30), (7, 2, 0.4, 2), (20, 1, 0.01, 0)]
    ):
        X = normal(k, (n, d))
        y = X @ normal(k + 1, d) + 1.5 + 0.1 * normal(k + 2, n)
        w, b, losses = train_linear_regression(X, y, lr, epochs)
        out.append({"w": w, "b": b, "losses": np.array(losses, dtype=float).reshape(-1)})
    return out


def _early(early_stopping):
    curves = [
        ([0.9, 0.7, 0.7, 0.71, 0.72, 0.69, 0.8, 0.81], 2),
        ([0.5], 1),
        ([1.0, 2.0, 3.0, 4.0], 1),
        ([3.0, 2.0, 1.0, 0.5], 1),
        ([0.4, 0.5, 0.45, 0.5, 0.3, 0.6, 0.7, 0.8, 0.9, 1.0], 3),
        (np.round(1 / (1 + np.arange(50) * 0.2) + 0.01 * np.arange(50), 3), 6),
        ([0.2, 0.2, 0.2, 0.2], 2),
    ]
    out = []
    for losses, patience in curves:
        got = early_stopping(losses, patience)
        out.append(None if got is None else tuple(got))
    return out


# ---------------------------------------------------------------- chapter 4


def _elementwise(k: int, big: bool = False) -> list[np.ndarray]:
    zs = []
    for i, (shape, scale, dtype) in enumerate(
        [
            ((9,), 2.0, np.float64),
            ((3, 4), 1.0, F32),
            ((2, 2, 3), 3.0, np.float64),
            ((1,), 0.5, F32),
        ]
    ):
        z = normal(k + i, shape, scale, dtype)
        z.flat[::3] = 0.0
        zs.append(z)
    zs.append(np.array([-1e-300, 1e-300, -5e-324, 0.0, -0.0]))
    if big:
        zs.append(np.array([-1000.0, -720.0, -30.0, 30.0, 720.0, 1000.0]))
        zs.append(np.array([[-1000.0, 1000.0], [88.0, -88.0]], dtype=F32))
    return zs


def _pair(big: bool = False, overflow: bool = False) -> Callable:
    def run(f, df, *extra):
        return [
            [pure(f, z, *extra, overflow=overflow), pure(df, z, *extra, overflow=overflow)]
            for z in _elementwise(100, big)
        ]

    return run


def _backward(cache: Callable[[np.ndarray], np.ndarray], *extra: Any) -> Callable:
    """A backward pass ``fn(dout, cached, *extra)`` on the elementwise battery."""

    def run(fn):
        out = []
        for k, z in enumerate(_elementwise(200)):
            dout = normal(300 + k, z.shape, 1.5, z.dtype)
            for args in [()] if not extra else [(e,) for e in extra]:
                out.append(pure(fn, dout, cache(z), *args))
        return out

    return run


def _leaky_backward(leaky_relu_backward):
    def default(dout, z):
        return leaky_relu_backward(dout, z)

    return [
        *_backward(lambda z: z)(default),
        *_backward(lambda z: z, 0.3, 1.7, 0.0)(leaky_relu_backward),
    ]


def _tanh_cache(z: np.ndarray) -> np.ndarray:
    out = np.tanh(z)
    out.flat[1::5] = np.copysign(1.0, out.flat[1::5])  # saturated: exactly +-1
    return out


def _softmax(softmax):
    cases = [
        normal(0, (4, 3)),
        normal(1, (1, 5), 3.0),
        normal(2, (3, 1)),
        normal(3, (2, 6), 1, F32),
        np.array([[1000.0, -1000.0, 0.0], [-900.0, -905.0, -950.0]]),
        np.array([[-1000.0, -1000.0], [720.0, 719.0]], dtype=F32),
    ]
    return [pure(softmax, z, overflow=True) for z in cases]


def _softmax_ce(softmax_ce_backward):
    cases = [
        (normal(0, (4, 3)), np.array([0, 2, 2, 1])),
        (normal(1, (1, 5), 3.0), np.array([4])),
        (normal(2, (3, 1)), np.array([0, 0, 0])),
        (normal(3, (5, 5), 2.0, F32), np.array([4, 3, 2, 1, 0], dtype=np.int32)),
        (normal(4, (6, 2)), np.array([1, 1, 1, 1, 1, 1])),
        (np.array([[1000.0, -1000.0, 0.0], [-900.0, -905.0, -950.0]]), np.array([1, 0])),
        (np.array([[-1000.0, -1000.0], [720.0, 719.0]], dtype=F32), np.array([1, 0])),
    ]
    return [pure(softmax_ce_backward, z, y, overflow=True) for z, y in cases]


def _dead(count_dead_units):
    out = []
    for k, (n, d, h) in enumerate([(1, 2, 5), (8, 3, 1), (10, 4, 7), (5, 5, 5)]):
        X, W, b = normal(k, (n, d)), normal(k + 1, (d, h)), normal(k + 2, h)
        b[::2] = -30.0
        W[:, -1], b[-1] = 0.0, 0.0
        out.append(pure(count_dead_units, X, W, b))
    return out


# ---------------------------------------------------------------- chapter 5

BIG = [(500, 300), (200, 700)]


def _random_init(extra: tuple) -> Callable:
    def run(fn):
        seen = []
        for k, shape in enumerate([*BIG, (3, 7), (1, 1), (9, 2)]):
            args = (shape, *(e[k % len(e)] for e in extra))
            a = fn(*args, np.random.default_rng(k))
            b = fn(*args, np.random.default_rng(k))
            c = fn(*args, np.random.default_rng(k + 100))
            seen.append(
                {
                    "shape, dtype": (np.shape(a), str(getattr(a, "dtype", type(a).__name__))),
                    "distribution": Sample(np.asarray(a)) if np.size(a) > 10_000 else None,
                    "same seed, same array": np.array_equal(a, b),
                    "new array": not np.shares_memory(a, b),
                    "other seed, other array": np.size(a) == 1 or not np.array_equal(a, c),
                }
            )
        return seen

    return run


def _train_step(train_step):
    out = []
    for k, (n, d, h, kk, lr, init) in enumerate(
        [
            (6, 3, 4, 2, 0.3, "random"),
            (1, 2, 5, 1, 1.0, "random"),
            (9, 4, 4, 3, 0.05, "constant"),
            (5, 1, 1, 1, 2.0, "random"),
            (7, 5, 3, 2, 0.7, "constant"),
        ]
    ):
        x, y = normal(k, (n, d)), normal(k + 1, (n, kk), 2.0)
        if init == "constant":
            W1, W2 = np.full((d, h), -0.4), np.full((h, kk), 0.6)
        else:
            W1, W2 = normal(k + 2, (d, h), 0.8), normal(k + 3, (h, kk), 0.8)
        out.append(pure(train_step, x, y, W1, W2, lr))
    return out


def _predict_std(predict_std):
    cases = [
        (1.0, 128, math.sqrt(2 / 128), 8, "relu"),
        (0.7, 20, 0.3, 3, "linear"),
        (2.5, 1, 0.9, 2, "relu"),
        (1.3, 40, 0.2, 1, "relu"),
        (0.2, 500, 0.05, 1, "linear"),
        (1.0, 16, 0.25, 12, "relu"),
    ]
    return [pure(predict_std, *case) for case in cases]


def _layer_stds(layer_stds):
    def relu(z):
        return np.maximum(z, 0)

    out = []
    for k, (n, widths, scale, act, dtype) in enumerate(
        [
            (1, [4, 3, 2], 1.0, np.tanh, np.float64),
            (80, [10, 20, 20, 5], 0.3, relu, np.float64),
            (60, [6, 6], 2.0, np.sin, F32),
            (40, [3, 8, 8, 8, 8, 1], 0.7, np.tanh, np.float64),
        ]
    ):
        x = normal(k, (n, widths[0]), 1, dtype)
        weights = [
            normal(k + i, (a, b), scale, dtype)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        ]
        seen = pure(layer_stds, x, weights, act)
        seen["out"] = np.asarray(seen["out"], dtype=float)
        out.append(seen)
    return out


# ---------------------------------------------------------------- chapter 6


def _optimizer(configs: list[dict]) -> Callable:
    """Whole trajectories: hyperparameters away from the defaults, lr changed mid-run, the
    caller's gradient arrays overwritten between steps, float32."""

    def run(cls):
        out = []
        for k, cfg in enumerate(configs):
            dtype = cfg.get("dtype", np.float64)
            shapes = [(3, 2), (2,), (1,)]
            params = [normal(k + i, s, 1, dtype) for i, s in enumerate(shapes)]
            opt = cls(**cfg.get("hyper", {}))
            grads = [np.zeros(s, dtype) for s in shapes]  # one buffer, refilled every step
            traj = []
            for t in range(cfg.get("steps", 25)):
                for i, g in enumerate(grads):
                    g[...] = normal(1000 * k + 10 * t + i, g.shape, cfg.get("scale", 1.0), dtype)
                    if t < 3:
                        g.flat[0] = 0.0
                if t == 12 and "lr_later" in cfg:
                    opt.lr = cfg["lr_later"]
                opt.step(params, grads)
                traj.append([p.copy() for p in params])
            out.append(traj)
        return out

    return run


# ---------------------------------------------------------------- chapter 8


def _l2(l2_regularize):
    out = []
    for k, (sizes, lam, loss, dtype) in enumerate(
        [
            ([2, 3, 1], 0.2, 0.4, np.float64),
            ([1, 1], 3.0, 0.0, np.float64),
            ([4, 2, 2, 3], 0.05, 1.7, F32),
            ([3, 5], 0.0, 2.5, np.float64),
        ]
    ):
        params, grads = {}, {}
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
            params[f"W{i}"], grads[f"W{i}"] = (
                normal(k + i, (a, b), 2, dtype),
                normal(k + 7, (a, b), 1, dtype),
            )
            params[f"b{i}"], grads[f"b{i}"] = (
                normal(k + 3 * i, b, 3, dtype),
                normal(k + 9, b, 1, dtype),
            )
        seen = pure(l2_regularize, loss, params, grads, lam)
        seen.pop("no alias")  # the bias gradients may be returned as they are
        total, new = seen["out"]
        seen["out"] = {"loss": np.asarray(total, dtype=float), "grads": new}
        out.append(seen)
    return out


def _l1(l1_proximal_step):
    out = []
    for k, (shape, lr, lam, dtype) in enumerate(
        [
            ((3, 4), 0.2, 0.5, np.float64),
            ((6,), 1.0, 0.1, np.float64),
            ((1, 1), 0.05, 3.0, np.float64),
            ((5, 2), 0.5, 0.3, F32),
            ((4,), 0.1, 0.0, np.float64),
        ]
    ):
        t = lr * lam
        z = normal(k, shape) * t * 2 + np.where(normal(k + 1, shape) > 0, 1.0, -1.0) * t * 0.5
        z.flat[0] = 0.0
        dw = normal(k + 2, shape, 1.5)
        w = z + lr * dw
        seen = pure(l1_proximal_step, w.astype(dtype), dw.astype(dtype), lr, lam)
        seen["exact zeros"] = np.asarray(seen["out"], dtype=float) == 0
        out.append(seen)
    return out


def _dropout(dropout_forward, dropout_backward):
    out = []
    for k, (shape, p, dtype) in enumerate(
        [((500, 40), 0.25, np.float64), ((200, 100), 0.6, F32), ((1, 3), 0.0, np.float64)]
    ):
        h = normal(k, shape, 1, dtype) + 3.0
        h_before = h.copy()
        res, mask = dropout_forward(h, p, np.random.default_rng(SEED + k))
        mask = np.asarray(mask, dtype=float)
        again = np.asarray(dropout_forward(h, p, np.random.default_rng(SEED + k))[1], dtype=float)
        other = np.asarray(
            dropout_forward(h, p, np.random.default_rng(SEED + k + 1))[1], dtype=float
        )
        dout = normal(k + 5, shape, 1, dtype)
        dout_before = dout.copy()
        dh = dropout_backward(dout, mask.astype(dtype))
        ev, ev_mask = dropout_forward(h, p, np.random.default_rng(0), train=False)
        out.append(
            {
                "out is h * mask": res.dtype == dtype and bool(np.allclose(res, h * mask)),
                "mask values": sorted(set(np.round(mask, 9).ravel().tolist())),
                "dropped share": bool(
                    abs(np.mean(mask == 0) - p) < 4 * np.sqrt(p * (1 - p) / h.size) + 0.005
                ),
                "rows differ": h.shape[0] == 1 or not all(np.array_equal(mask[0], r) for r in mask),
                "same seed, same mask": np.array_equal(mask, again),
                "other seed, other mask": p == 0 or not np.array_equal(mask, other),
                "dh": dh,
                "eval": (np.asarray(ev, dtype=float), np.asarray(ev_mask, dtype=float)),
                "inputs unchanged": np.array_equal(h, h_before)
                and np.array_equal(dout, dout_before),
            }
        )
    return out


def _early_training(train_with_early_stopping):
    out = []
    for k, (script, max_epochs, patience, shape, dtype) in enumerate(
        [
            ([0.5, 0.4, 0.45, 0.4, 0.41, 0.3, 0.2], 7, 3, (2, 2), np.float64),
            ([0.9], 1, 1, (3,), np.float64),
            ([1.0, 2.0, 3.0, 0.1, 0.0], 5, 2, (1,), F32),
            ([0.7, 0.6, 0.5, 0.4, 0.3], 5, 1, (4,), np.float64),
            ([0.3, 0.3, 0.3, 0.2, 0.1, 0.05], 6, 3, (2, 3), np.float64),
            ([0.6, 0.5, 0.7, 0.55, 0.52, 0.8, 0.9, 0.95], 8, 4, (5,), np.float64),
        ]
    ):
        w = normal(k, shape, 1, dtype)
        drift = normal(k + 50, w.size, 0.1)
        drift[0] = 1.0
        start = float(w.flat[0])
        calls = [0]

        def step(w, drift=drift, calls=calls):
            calls[0] += 1
            w += drift.reshape(w.shape).astype(w.dtype)

        def val_loss(w, start=start, script=script):
            n = int(round(float(np.asarray(w).flat[0]) - start))
            return 10.0 if n <= 0 else script[min(n, len(script)) - 1]

        best_epoch, best_w = train_with_early_stopping(w, step, val_loss, max_epochs, patience)
        out.append(
            {
                "best_epoch": best_epoch,
                "best_w": np.array(best_w, copy=True),
                "steps": calls[0],
                "not w": not np.shares_memory(best_w, w),
            }
        )
    return out


def _adam_decay(adam_decay_step):
    out = []
    for k, (shape, t, lr, wd, betas, eps, dtype) in enumerate(
        [
            ((2, 3), 1, 0.1, 0.3, (0.9, 0.999), 1e-8, np.float64),
            ((4,), 7, 0.5, 2.0, (0.6, 0.8), 1e-2, np.float64),
            ((1,), 3, 0.02, 0.0, (0.9, 0.99), 1e-8, np.float64),
            ((3, 3), 20, 0.05, 0.1, (0.95, 0.9999), 1e-6, F32),
        ]
    ):
        w, g = normal(k, shape, 2, dtype), normal(k + 1, shape, 1, dtype)
        m = normal(k + 2, shape, 0.2, dtype)
        v = (0.3 * _rng(k + 3).random(shape)).astype(dtype)
        for decoupled in (False, True):
            seen = pure(adam_decay_step, w, g, m, v, t, lr, wd, decoupled, betas, eps)
            seen["out"] = list(seen["out"]) if isinstance(seen["out"], tuple) else seen["out"]
            out.append(seen)
    return out


BATTERIES: dict[str, Battery] = {
    "dense_forward": Battery(_dense),
    "sigmoid_neuron": Battery(_neuron),
    "mse_loss": Battery(_mse, {"rtol": 1e-4}),
    "bce_with_logits": Battery(_bce, {"rtol": 1e-4}),
    "cross_entropy": Battery(_ce, {"rtol": 1e-4}),
    "sigmoid_backward": Battery(_sigmoid_backward),
    "linear_backward": Battery(_linear_backward),
    "two_layer_backward": Battery(_two_layer, {"rtol": 1e-4}),
    "numerical_gradient": Battery(_numgrad, {"rtol": 1e-6, "atol": 1e-7}),
    "rel_error": Battery(_rel_error),
    "sgd_step": Battery(_sgd),
    "minibatches": Battery(_minibatches),
    "train_linear_regression": Battery(_train),
    "early_stopping": Battery(_early),
    "relu_backward": Battery(_backward(lambda z: z)),
    "leaky_relu_backward": Battery(_leaky_backward),
    "tanh_backward": Battery(_backward(_tanh_cache)),
    "stable_sigmoid": Battery(_pair(big=True, overflow=True)),
    "stable_softmax": Battery(_softmax),
    "softmax_ce_backward": Battery(_softmax_ce),
    "count_dead_units": Battery(_dead),
    "train_step": Battery(_train_step),
    "xavier_uniform": Battery(_random_init(([1.0, 1.7, 0.4],))),
    "kaiming_normal": Battery(_random_init(([math.sqrt(2.0), 0.6, 2.5],))),
    "layer_stds": Battery(_layer_stds, check_dtype=False),
    "predict_std": Battery(_predict_std, check_dtype=False),
    "momentum": Battery(
        _optimizer(
            [
                {},
                {"hyper": {"lr": 0.1, "momentum": 0.5}, "lr_later": 0.02},
                {"hyper": {"lr": 0.05, "momentum": 0.99}, "dtype": F32},
            ]
        )
    ),
    "adagrad": Battery(
        _optimizer(
            [
                {},
                {"hyper": {"lr": 0.3, "eps": 1e-3}, "lr_later": 0.05, "scale": 1e-4},
                {"hyper": {"lr": 0.05, "eps": 1e-6}, "dtype": F32},
            ]
        )
    ),
    "rmsprop": Battery(
        _optimizer(
            [
                {},
                {"hyper": {"lr": 0.05, "alpha": 0.5, "eps": 1e-4}, "lr_later": 0.5, "scale": 1e-3},
                {"hyper": {"lr": 0.01, "alpha": 0.9, "eps": 1e-8}, "dtype": F32},
            ]
        )
    ),
    "adam": Battery(
        _optimizer(
            [
                {},
                {
                    "hyper": {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-4},
                    "lr_later": 0.2,
                    "scale": 1e-3,
                },
                {"hyper": {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-8}, "dtype": F32},
            ]
        )
    ),
    "l2_regularize": Battery(_l2, {"rtol": 1e-5}),
    "l1_proximal_step": Battery(_l1),
    "dropout": Battery(_dropout),
    "train_with_early_stopping": Battery(_early_training),
    "adam_decay_step": Battery(_adam_decay, {"rtol": 1e-4, "atol": 1e-6}),
}


# ================================================================ chapter 7 (branch ex07)
# Vanishing and exploding gradients and their cures: appended as one section, so that
# merges with other chapters' batteries stay clean.


def _chain(chain_gradient):
    cases = [
        (normal(0, (3, 5), 2.0), normal(1, 5, 1.5)),
        (normal(2, (1, 1)), np.array([-2.0])),
        (normal(3, (6, 2), 1, F32), normal(4, 2, 1, F32)),
        (np.array([[1000.0, -1000.0], [-30.0, 0.0]]), np.array([3.0, 0.5])),
        (np.zeros((2, 3)), np.ones(3)),
    ]
    return [pure(chain_gradient, z, w) for z, w in cases]


def _mlp(k: int, n: int, widths: list, scale: float, dtype: Any = np.float64) -> tuple:
    x = normal(k, (n, widths[0]), 1, dtype)
    Ws = [
        normal(k + 1 + i, (a, b), scale / math.sqrt(a), dtype)
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
    ]
    bs = [normal(k + 40 + i, b, 0.7, dtype) for i, b in enumerate(widths[1:])]
    return x, Ws, bs, normal(k + 80, (n, widths[-1]), 1, dtype)


def _as_vector(v: Any) -> Any:
    if isinstance(v, list | tuple) and all(np.size(e) == 1 for e in v):
        return np.array([float(np.asarray(e).ravel()[0]) for e in v])
    return np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else v


def _profile(grad_norm_profile):
    """float64 networks compared at the check's rtol; float32 ones against their float64 run."""
    out = []
    for k, (n, widths, scale) in enumerate(
        [
            (4, [3, 5, 2, 6, 3], 1.0),
            (1, [2, 3], 1.5),
            (7, [4, *[6] * 10, 2], 1.0),  # 11 layers
            (3, [5, 4, 4], 20.0),  # saturated units (exp overflows for some z)
            (2, [1, 1, 1, 1], 0.3),
        ]
    ):
        net = _mlp(10 * k, n, widths, scale)
        seen = pure(grad_norm_profile, *net)
        seen["out"] = _as_vector(seen["out"])
        if k in (0, 2):
            low = [
                a.astype(F32) if isinstance(a, np.ndarray) else [w.astype(F32) for w in a]
                for a in net
            ]
            f32 = _as_vector(grad_norm_profile(*low))
            seen["float32 run within 1e-4 of float64"] = bool(
                np.shape(f32) == np.shape(seen["out"])
                and np.allclose(np.asarray(f32, dtype=float), seen["out"], rtol=1e-4, atol=0)
            )
        out.append(seen)
    return out


def _guard(train_with_guard):
    out = []
    for script, n in [
        ([1.0, 2.0, math.nan], 5),
        ([0.5] * 10, 3),
        ([math.inf], 1),
        ([1.0, -math.inf, 3.0], 4),
        ([1.0, 1e300, 1e308], 3),
        ([2.0], 0),
        ([np.float64(1.0), np.float32("inf")], 9),
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, math.nan], 15),  # step 12
    ]:
        calls = [0]

        def step(script=script, calls=calls):
            calls[0] += 1
            return script[min(calls[0], len(script)) - 1]

        losses, message = train_with_guard(step, n)
        bad = next((i for i, v in enumerate(script[:n]) if not math.isfinite(v)), None)
        seen = {"calls": calls[0], "losses": np.array([float(v) for v in losses])}
        seen["message is None"] = message is None
        if bad is not None and isinstance(message, str):
            shown = "nan" if math.isnan(script[bad]) else str(float(script[bad]))
            seen["names the step"] = f"step {bad + 1}:" in message
            seen["shows the loss"] = message.endswith(f" {shown}")
        out.append(seen)
    return out


def _clip_norm(clip_grad_norm_):
    out = []
    for k, (shapes, scale, m, dtype) in enumerate(
        [
            ([(3, 2), (2,)], 2.0, 0.5, np.float64),
            ([(1,)], 3.0, 5, np.float64),
            ([(2, 2, 2), (3,)], 1.0, 0.1, F32),
            ([(4,)], 0.0, 1.0, np.float64),
            ([(5, 5)], 1e-3, 1.0, np.float64),
        ]
    ):
        grads = [normal(k + i, s, scale, dtype) for i, s in enumerate(shapes)]
        held = list(grads)
        total = clip_grad_norm_(grads, m)
        out.append(
            {
                "grads": [g.copy() for g in held],
                "total": total,
                "same arrays": all(a is b for a, b in zip(grads, held, strict=False)),
            }
        )
    return out


def _bn_inputs(k: int, n: int, d: int, dtype: Any, special: str = "") -> tuple:
    x = normal(k, (n, d), 1) * np.linspace(0.3, 4.0, d) + np.linspace(-3.0, 2.0, d)
    if special == "tiny":
        x[:, -1] = -0.4 + 2e-3 * normal(k + 1, n)
    if special == "constant":
        x[:, 0] = 2.5
    gamma = normal(k + 2, d, 1.5) + 0.2
    beta = normal(k + 3, d, 1.0)
    rm, rv = normal(k + 4, d, 1.0), 0.5 + _rng(k + 5).random(d)
    return tuple(a.astype(dtype) for a in (x, gamma, beta, rm, rv))


_BN_RUNS = [  # (N, D, momentum, eps, dtype, special column)
    (5, 3, 0.1, 1e-5, np.float64, ""),
    (2, 4, 0.25, 1e-2, np.float64, ""),
    (9, 1, 0.6, 0.3, np.float64, ""),
    (6, 5, 0.1, 1e-5, F32, ""),
    (4, 3, 0.05, 1e-5, np.float64, "tiny"),
    (7, 2, 0.9, 1e-3, np.float64, "constant"),
]


def _bn_forward(batchnorm_forward):
    """Two training batches and an evaluation batch of 1 on the same running arrays."""
    out = []
    for k, (n, d, momentum, eps, dtype, special) in enumerate(_BN_RUNS):
        x, gamma, beta, rm, rv = _bn_inputs(20 * k, n, d, dtype, special)
        x2 = _bn_inputs(20 * k + 7, n + 2, d, dtype)[0]
        x_eval = _bn_inputs(20 * k + 9, 1 + k % 3, d, dtype)[0]
        for xb, train in ((x, True), (x2, True), (x_eval, False)):
            before = [a.copy() for a in (xb, gamma, beta)]
            res, _ = batchnorm_forward(xb, gamma, beta, rm, rv, train, momentum, eps)
            out.append(
                {
                    "out": res,
                    "running_mean": rm.copy(),
                    "running_var": rv.copy(),
                    "inputs unchanged": all(
                        np.array_equal(a, b) for a, b in zip(before, (xb, gamma, beta), strict=True)
                    ),
                    "no alias": not np.shares_memory(res, xb),
                }
            )
    return out


def _bn_backward(batchnorm_forward, batchnorm_backward):
    out = []
    for k, (n, d, momentum, eps, dtype, special) in enumerate(_BN_RUNS):
        x, gamma, beta, rm, rv = _bn_inputs(20 * k + 3, n, d, dtype, special)
        _, cache = batchnorm_forward(x, gamma, beta, rm, rv, True, momentum, eps)
        dout = normal(20 * k + 11, (n, d), 1, dtype)
        dout_before = dout.copy()
        grads = batchnorm_backward(dout, cache)
        out.append({"grads": list(grads), "dout unchanged": np.array_equal(dout, dout_before)})
    return out


def _residual(residual_backward):
    out = []
    for k, (n, d, scale, dtype) in enumerate(
        [
            (4, 2, 1.0, np.float64),
            (1, 3, 0.5, np.float64),
            (6, 1, 2.0, np.float64),
            (3, 4, 1.0, F32),
            (2, 5, 10.0, np.float64),  # saturated tanh
        ]
    ):
        args = (
            normal(k, (n, d), 1, dtype),
            normal(k + 1, (n, d), 1, dtype),
            normal(k + 2, (d, d), scale / math.sqrt(d), dtype),
            normal(k + 3, d, 0.5, dtype),
        )
        seen = pure(residual_backward, *args)
        seen["out"] = list(seen["out"]) if isinstance(seen["out"], tuple) else seen["out"]
        out.append(seen)
    return out


BATTERIES.update(
    {
        "chain_gradient": Battery(_chain, {"atol": 1e-300}),
        "grad_norm_profile": Battery(_profile, {"rtol": 1e-7, "atol": 0.0}, check_dtype=False),
        "train_with_guard": Battery(_guard, check_dtype=False),
        "clip_grad_norm_": Battery(_clip_norm, {"rtol": 1e-5}),
        "batchnorm_forward": Battery(_bn_forward),
        "batchnorm_backward": Battery(_bn_backward),
        "residual_backward": Battery(_residual),
    }
)
# ================================================================ end of chapter 7


# ---------------------------------------------------------------- chapter 9 (branch ex09)


def _spd9(k: int, curvatures: list, dtype: Any = np.float64) -> np.ndarray:
    q, _ = np.linalg.qr(normal(900 + k, (len(curvatures), len(curvatures))))
    a = q @ np.diag(curvatures) @ q.T
    return ((a + a.T) / 2).astype(dtype)


def _quadratic(max_stable_lr, gd_on_quadratic):
    out = []
    for k, (curv, dtype) in enumerate(
        [
            ([0.3, 5.0, 1.0], np.float64),
            ([2.5], np.float64),
            ([1.0, 1.0], np.float64),
            ([0.2, 0.7, 3.0, 9.0], F32),
            ([4.0, 0.05, 0.05], np.float64),
        ]
    ):
        out.append(np.asarray(max_stable_lr(_spd9(k, curv, dtype)), dtype=float))
    for k, (curv, factor, steps, dtype) in enumerate(
        [
            ([0.4, 2.0, 3.0], 0.8, 10, np.float64),
            ([1.5], 1.2, 6, np.float64),
            ([0.1, 6.0], 0.4, 0, np.float64),
            ([0.5, 1.0, 2.0, 4.0], 0.6, 5, F32),
            ([2.0, 0.3], 1.02, 25, np.float64),
        ]
    ):
        A = _spd9(10 + k, curv, dtype)  # noqa: N806
        c = normal(20 + k, len(curv), 1, dtype)
        w0 = normal(30 + k, len(curv), 2, dtype)
        seen = pure(gd_on_quadratic, A, c, w0, factor * 2 / max(curv), steps)
        w, losses = seen["out"]
        seen["out"] = {"w": w, "losses": np.asarray(losses).astype(dtype)}
        out.append(seen)
    return out


def _warmup_cosine(warmup_cosine_lr):
    out = []
    for lr, total, warm, f0 in [
        (0.4, 16, 5, 0.2),
        (0.02, 9, 0, 0.7),
        (1.5, 30, 12, 0.0),
        (0.1, 3, 2, 1.0),
        (3.0, 7, 1, 0.5),
    ]:
        out.append(np.array([warmup_cosine_lr(t, lr, total, warm, f0) for t in range(total + 1)]))
    return out


def _range_test(lr_range_test):
    nan, inf = math.nan, math.inf
    out = []
    for script, start, end, n, factor in [
        ([5.0, 4.0, 2.0, 1.0, 1.0, 3.0, 4.5, 30.0, 31.0], 1e-3, 3.0, 9, 4.0),
        ([1.0, 0.5, nan, 0.2, 0.1], 1e-4, 1e-1, 5, 3.0),
        ([2.0, 1.0, 0.8, 0.9, 0.7], 0.01, 1.0, 5, 2.0),
        ([0.5, 1.2, 0.3, inf, 0.1, 0.05], 1e-5, 1.0, 6, 5.0),
        ([3.0, 2.9, 2.5, 6.0, 8.0, 1.0, 0.5, 0.4, 50.0, 60.0], 1e-6, 10.0, 10, 3.0),
        ([4.0, 3.0, 3.5, 3.2, 11.0, 0.1, 0.05, 0.01], 0.05, 0.5, 8, 3.5),
        ([1.0, 0.9], 0.1, 1.0, 2, 4.0),
        ([9.0, 1.0, 8.0, 2.0, 7.0, 30.0, 40.0], 2.0, 8.0, 7, 10.0),
    ]:
        rates: list = []

        def step(lr, rates=rates, script=script):
            rates.append(float(lr))
            return script[min(len(rates), len(script)) - 1]

        lrs, losses, suggested = lr_range_test(step, start, end, n, factor)
        out.append(
            {
                "rates": np.array(rates),
                "lrs": np.asarray(lrs, dtype=float),
                "losses": np.asarray(losses, dtype=float),
                "suggested": float(suggested),
            }
        )
    return out


def _scaled(scaled_lrs):
    out = []
    for base_lr, b0, sizes, rule, max_lr in [
        (0.2, 64, [32, 64, 96, 128, 512], "linear", 0.45),
        (0.2, 64, [32, 64, 96, 128, 512], "sqrt", 0.3),
        (0.01, 10, [1, 7, 10, 1000], "sqrt", 5.0),
        (0.5, 1, [1, 2, 3], "linear", 1.2),
        (0.1, 48, np.array([12, 48, 100]), "linear", 0.15),
    ]:
        out.append(pure(scaled_lrs, base_lr, b0, sizes, rule, max_lr))
    return out


BATTERIES.update(
    {
        "quadratic_limit": Battery(_quadratic),
        "warmup_cosine_lr": Battery(_warmup_cosine),
        "lr_range_test": Battery(_range_test),
        "scaled_lrs": Battery(_scaled),
    }
)
# ---------------------------------------------------------------- end of chapter 9


# ---------------------------------------------------------------- chapter 10 (the capstone)


def _net(k: int, sizes: list, dtype: Any = np.float64, bias: float = 0.5) -> dict:
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = normal(k + 2 * i, (a, b), 1 / math.sqrt(a), dtype)
        params[f"b{i}"] = normal(k + 2 * i + 1, b, bias, dtype)
    return params


def _init_params(init_params):
    out = []
    for k, (sizes, method) in enumerate(
        [
            ([300, 400, 150], "he"),
            ([500, 100, 200], "xavier"),
            ([150, 150, 150], "xavier"),
            ([2, 3, 1], "he"),
            ([1, 1], "xavier"),
        ]
    ):
        a = init_params(sizes, SEED + k, method)
        b = init_params(sizes, SEED + k, method)
        c = init_params(sizes, SEED + k + 1, method)
        seen = {}
        for name, w in a.items():
            w = np.asarray(w)
            seen[name] = {
                "shape, dtype": (w.shape, str(w.dtype)),
                "values": Sample(w) if w.size > 10_000 else None,
                "biases": w if name.startswith("b") else None,
                "same seed": np.array_equal(w, b[name]),
                "other seed": name.startswith("b") or not np.array_equal(w, c[name]),
            }
        names = [n for n in a if n.startswith("W")]
        seen["layers differ"] = all(
            not np.array_equal(a[x], a[y])
            for x, y in zip(names[:-1], names[1:], strict=True)
            if a[x].shape == a[y].shape
        )
        out.append(seen)
    return out


def _forward(forward):
    out = []
    for k, (n, sizes, dtype) in enumerate(
        [
            (4, [3, 5, 2], np.float64),
            (1, [6, 4], np.float64),
            (7, [2, 8, 8, 8, 3], F32),
            (3, [4, 1, 5], np.float64),
        ]
    ):
        seen = pure(forward, normal(k, (n, sizes[0]), 2, dtype), _net(k, sizes, dtype))
        seen.pop("no alias")  # the cache may hold X itself
        seen["out"] = seen["out"][0]  # the cache is the learner's own business
        out.append(seen)
    return out


def _capstone_softmax_ce(softmax_cross_entropy):
    out = []
    for k, (n, classes, scale, offset, dtype) in enumerate(
        [
            (5, 3, 1.0, 0.0, np.float64),
            (1, 6, 3.0, 0.0, np.float64),
            (8, 2, 0.3, 0.0, F32),
            (3, 4, 1.0, 2000.0, np.float64),
            (4, 5, 2.0, -1500.0, np.float64),
        ]
    ):
        scores = normal(k, (n, classes), scale)
        scores += offset if offset > 0 else offset * (np.arange(n) % 2)[:, None]
        y = _rng(k + 20).integers(0, classes, size=n)
        seen = pure(softmax_cross_entropy, scores.astype(dtype), y, overflow=True)
        loss, d = seen["out"]
        seen["out"] = {"loss": np.asarray(loss, dtype=float), "dscores": d}
        out.append(seen)
    return out


def _capstone_backward(forward, backward):
    out = []
    for k, (n, sizes) in enumerate(
        [(3, [4, 5, 2]), (1, [2, 3]), (6, [5, 4, 6, 3, 2]), (2, [3, 1])]
    ):
        params, X = _net(k, sizes), normal(k + 40, (n, sizes[0]), 1.5)
        dscores = normal(k + 50, (n, sizes[-1]))
        scores, cache = forward(X, params)
        out.append(pure(backward, dscores, cache, params))
    return out


def _gradient_check(gradient_check):
    out = []
    for k, (sizes, h, how, scale) in enumerate(
        [
            ([3, 2], 1e-5, "exact", 1.0),
            ([2, 4, 3], 1e-3, "scaled", 1.0),
            ([1, 2], 1e-4, "entry", 1.0),
            ([2, 3], 1e-5, "scaled", 1e-9),  # gradients below the floor 1e-8
        ]
    ):
        X, y = normal(k + 60, (4, sizes[0])), _rng(k).integers(0, sizes[-1], size=4)
        params = _net(k, sizes)

        def loss_of(p, X=X, y=y, scale=scale):
            h1 = X
            n_layers = len(p) // 2
            for i in range(1, n_layers + 1):
                z = h1 @ p[f"W{i}"] + p[f"b{i}"]
                h1 = np.tanh(z) if i < n_layers else z
            z = h1 - h1.max(axis=1, keepdims=True)
            return scale * float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))

        grads = {}
        for name, p in params.items():  # a gradient by a finer centered difference
            g = np.zeros(p.shape)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + 1e-6
                up = loss_of(params)
                p[i] = old - 1e-6
                down = loss_of(params)
                p[i] = old
                g[i] = (up - down) / 2e-6
            if how == "scaled" and name == "W1":
                g = 1.01 * g
            if how == "entry" and name == "b1":
                g.flat[0] += 1e-4
            grads[name] = g
        out.append(pure(gradient_check, loss_of, params, grads, h))
    return out


def _sgd_momentum(sgd_momentum):
    out = []
    for k, (sizes, lr, mu, dtype) in enumerate(
        [
            ([3, 2], 0.1, 0.9, np.float64),
            ([2, 4, 1], 0.7, 0.3, np.float64),
            ([4, 3], 0.05, 0.0, F32),
        ]
    ):
        params, grads, velocity = (
            _net(k, sizes, dtype),
            _net(k + 7, sizes, dtype),
            _net(k + 9, sizes, dtype),
        )
        seen = pure(sgd_momentum, params, grads, velocity, lr, mu)
        seen["out"] = list(seen["out"]) if isinstance(seen["out"], tuple) else seen["out"]
        out.append(seen)
    return out


def _train_loop(train):
    out = []
    for k, (n, sizes, epochs, batch, lr, mu) in enumerate(
        [
            (11, [3, 4, 3], 3, 3, 0.4, 0.9),
            (6, [2, 2], 2, 6, 0.2, 0.0),
            (5, [3, 5, 5, 2], 2, 1, 0.1, 0.5),
            (8, [4, 3], 4, 5, 0.3, 0.7),
        ]
    ):
        params, X = _net(k, sizes), normal(k + 70, (n, sizes[0]))
        y = _rng(k + 80).integers(0, sizes[-1], size=n)
        seen = pure(train, params, X, y, epochs, batch, lr, mu, SEED + k)
        trained, losses = seen["out"]
        seen["out"] = {"params": trained, "losses": np.asarray(losses, dtype=float)}
        seen.pop("no alias")
        out.append(seen)
    return out


BATTERIES.update(
    {
        "init_params": Battery(_init_params),
        "forward": Battery(_forward),
        "softmax_cross_entropy": Battery(_capstone_softmax_ce, {"rtol": 1e-5}),
        "backward": Battery(_capstone_backward),
        "gradient_check": Battery(_gradient_check, {"rtol": 1e-3, "atol": 1e-8}),
        "sgd_momentum": Battery(_sgd_momentum, {"rtol": 1e-5}),
        "train": Battery(_train_loop),
    }
)
