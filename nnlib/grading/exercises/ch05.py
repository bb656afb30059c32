"""Checks of chapter 5's exercises: weight initialization.

====================  ======================================================  ======
exercise id           the learner writes                                      points
====================  ======================================================  ======
``zero_init``         ``zero_init(shape, rng) -> W``, all zeros                   1
``normal_init``       ``normal_init(shape, std, rng) -> W``, N(0, std²)           1
``xavier_uniform``    ``xavier_uniform(shape, rng) -> W``, U(-a, a)               2
``he_normal``         ``he_normal(shape, rng) -> W``, N(0, 2 / n_in)              2
``layer_stds``        ``layer_stds(x, weights, act) -> stds`` (L,)                2
====================  ======================================================  ======

Shapes follow nnlib's layout: a weight matrix is ``(n_in, n_out)``, so the
fan-in is ``shape[0]`` (torch stores ``(out, in)``; see :mod:`nnlib.init`).

The random initializers are tested by the distribution of large samples, not
value by value, so any order of draws passes; the method and its tolerances
are in :mod:`nnlib.grading.exercises._ch05_stats`. Then the rng: two
generators with the same seed must give the same array, two different seeds
different arrays, and each call a new array.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake
from ..registry import Exercise
from ..sandbox.helpers import relu
from ._ch05_stats import SQRT3, Alternative, Dist, call, check_distribution, check_rng

__all__ = [
    "check_zero_init",
    "check_normal_init",
    "check_xavier_uniform",
    "check_he_normal",
    "check_layer_stds",
]

ZERO_INIT = Exercise("ch05", "zero_init", "Zero initialization", points=1)
NORMAL_INIT = Exercise("ch05", "normal_init", "Random normal initialization", points=1)
XAVIER_UNIFORM = Exercise("ch05", "xavier_uniform", "Xavier (Glorot) uniform initialization", 2)
HE_NORMAL = Exercise("ch05", "he_normal", "He (Kaiming) normal initialization", points=2)
LAYER_STDS = Exercise("ch05", "layer_stds", "Spread of the activations, layer by layer", 2)

# Large shapes for the distribution (square and not, both orders), then small ones.
BIG_SHAPES = [(400, 100), (100, 400), (300, 300), (1000, 40)]
SMALL_SHAPES = [(3, 5), (1, 1), (1, 64), (10, 2)]


# ---------------------------------------------------------------- zero_init


def _same_constant(got: Any, value: float | None = None) -> bool:
    g = np.asarray(got, dtype=float)
    if g.size == 0 or not np.all(g == g.flat[0]):
        return False
    return value is None or g.flat[0] == value


_ZERO_MISTAKES = [
    Mistake(
        "a list is not an array: return np.zeros(shape)",
        lambda got, exp, ctx: isinstance(got, list | tuple),
    ),
    Mistake(
        "the shape is reversed: (n_out, n_in) is torch's layout; nnlib's W is (n_in, n_out), "
        "so pass `shape` on unchanged",
        lambda got, exp, ctx: np.shape(got) == exp.shape[::-1],
    ),
    Mistake(
        "integer zeros (dtype=int): the first update w -= lr * dW needs a float array; "
        "np.zeros(shape) is float64 already",
        lambda got, exp, ctx: np.issubdtype(np.asarray(got).dtype, np.integer),
    ),
    Mistake(
        "float32 zeros: return float64, np.zeros' default (leave out the dtype argument)",
        lambda got, exp, ctx: np.asarray(got).dtype == np.float32,
    ),
    Mistake(
        "returned ones (np.ones): all-zero weights are asked for",
        lambda got, exp, ctx: _same_constant(got, 1),
    ),
    Mistake(
        "every entry is the same nonzero constant: this exercise asks for exactly 0",
        lambda got, exp, ctx: _same_constant(got) and np.asarray(got).flat[0] != 0,
    ),
    Mistake(
        "the values differ from entry to entry (random draws, or np.empty's leftover memory): "
        "use np.zeros(shape)",
        lambda got, exp, ctx: not _same_constant(got),
    ),
]


def check_zero_init(zero_init: Any) -> None:
    """``zero_init(shape, rng)``: a new float64 array of zeros of ``shape``; ``rng`` unused."""
    shapes = [(3, 5), (64, 10), (1, 1), (7,), (10, 64)]  # (7,): a bias vector
    with Check(ZERO_INIT, zero_init) as c:
        results = []
        for i, shape in enumerate(shapes):
            rng = np.random.default_rng(i)
            w = call(c, zero_init, (shape, rng), f"shape {shape}")
            c.compare(w, np.zeros(shape), name="W", mistakes=_ZERO_MISTAKES)
            c.require(
                w.flags.writeable,
                "your W is read-only",
                likely="np.broadcast_to (or a frozen array) cannot be trained: the optimizer "
                "changes the weights in place; return np.zeros(shape)",
                kind="readonly",
            )
            results.append(w)
        again = call(c, zero_init, (shapes[0], np.random.default_rng(9)), "a second call")
        c.compare(again, np.zeros(shapes[0]), name="W", mistakes=_ZERO_MISTAKES)
        c.require(
            not np.shares_memory(again, results[0]),
            "two calls returned the same array object",
            likely="create a new array in every call (a cached array would be shared by every "
            "layer, so training one would change all of them)",
            kind="alias",
        )
        c.cases = len(shapes) + 1


# ---------------------------------------------------------------- normal_init


def _normal_ref(shape: tuple, std: float) -> Dist:
    return Dist("normal", std)


_NORMAL_MISTAKES = [
    Alternative(
        "the values look uniform: rng.uniform and rng.random draw from a flat distribution; "
        "a normal comes from rng.normal(0.0, std, size=shape)",
        lambda shape, std: Dist("uniform", std),
    ),
    Alternative(
        "rng.random draws from U(0, 1): only positive values, not normal; use "
        "rng.normal(0.0, std, size=shape)",
        lambda shape, std: Dist("uniform", std / math.sqrt(12), std / 2),
    ),
    Alternative(
        "std went in as the mean: rng.normal's first argument is loc (the mean); call "
        "rng.normal(0.0, std, size=shape) or rng.normal(scale=std, size=shape)",
        lambda shape, std: Dist("normal", 1.0, std),
    ),
    Alternative(
        "used std**2 as the scale: rng.normal's scale is the standard deviation itself",
        lambda shape, std: Dist("normal", std**2),
    ),
    Alternative(
        "took the square root of std: std is already a standard deviation, use it as it is",
        lambda shape, std: Dist("normal", math.sqrt(std)),
    ),
    Alternative(
        "the spread is 1 whatever std is: multiply the standard normal draws by std",
        lambda shape, std: Dist("normal", 1.0),
    ),
]


def check_normal_init(normal_init: Any) -> None:
    """``normal_init(shape, std, rng)``: samples of N(0, std²) drawn from ``rng``."""
    cases = [
        (((400, 100), 0.01), "std 0.01"),
        (((100, 400), 0.5), "std 0.5"),
        (((300, 300), 2.0), "std 2"),
        (((1000, 40), 0.1), "std 0.1"),
        (((3, 5), 0.1), "a small shape"),
        (((1, 1), 3.0), "a single weight"),
    ]
    with Check(NORMAL_INIT, normal_init) as c:
        check_distribution(c, normal_init, cases, _normal_ref, _NORMAL_MISTAKES, "the std asked")
        check_rng(c, normal_init, (0.5,))
        c.cases = len(cases) + 1


# ---------------------------------------------------------------- xavier_uniform


def _xavier_ref(shape: tuple) -> Dist:
    n_in, n_out = shape
    return Dist("uniform", math.sqrt(2.0 / (n_in + n_out)))


def _bound(family: str, a: float) -> Dist:
    """A uniform on [-a, a] or a normal with std a (a mistaken bound used either way)."""
    return Dist(family, a / SQRT3 if family == "uniform" else a)


_XAVIER_MISTAKES = [
    Alternative(
        "the values look normal: Xavier uniform draws from U(-a, a), i.e. "
        "rng.uniform(-a, a, size=shape)",
        lambda shape: Dist("normal", _xavier_ref(shape).std),
    ),
    Alternative(
        "used a normal with std a: the bound a belongs to a uniform, rng.uniform(-a, a, shape)",
        lambda shape: Dist("normal", _xavier_ref(shape).bound),
    ),
    Alternative(
        "rng.uniform(0, a) (or rng.random() * a) gives only positive weights: draw from the "
        "symmetric interval, rng.uniform(-a, a, size=shape)",
        lambda shape: Dist(
            "uniform", _xavier_ref(shape).bound / math.sqrt(12), _xavier_ref(shape).bound / 2
        ),
    ),
    Alternative(
        "used sqrt(2 / (n_in + n_out)) as the bound: that is the std; a uniform on [-a, a] has "
        "std a / sqrt(3), so a = sqrt(6 / (n_in + n_out))",
        lambda shape: _bound("uniform", math.sqrt(2.0 / sum(shape))),
    ),
    Alternative(
        "forgot the square root: a = sqrt(6 / (n_in + n_out)), not 6 / (n_in + n_out)",
        lambda shape: _bound("uniform", 6.0 / sum(shape)),
    ),
    Alternative(
        "used n_in only: sqrt(6 / n_in) is He uniform's bound; Xavier averages both fans, "
        "a = sqrt(6 / (n_in + n_out))",
        lambda shape: _bound("uniform", math.sqrt(6.0 / shape[0])),
    ),
    Alternative(
        "used n_out only: Xavier uses both fans, a = sqrt(6 / (n_in + n_out)) with "
        "n_in = shape[0] and n_out = shape[1]",
        lambda shape: _bound("uniform", math.sqrt(6.0 / shape[1])),
    ),
    Alternative(
        "used 1 / sqrt(n_in), the old default bound of torch's Linear: Xavier's is "
        "sqrt(6 / (n_in + n_out))",
        lambda shape: _bound("uniform", 1.0 / math.sqrt(shape[0])),
    ),
    Alternative(
        "multiplied the fans: a = sqrt(6 / (n_in + n_out)) adds them",
        lambda shape: _bound("uniform", math.sqrt(6.0 / (shape[0] * shape[1]))),
    ),
]


def check_xavier_uniform(xavier_uniform: Any) -> None:
    """``xavier_uniform(shape, rng)``: U(-a, a) with a = sqrt(6 / (n_in + n_out))."""
    cases = [((s,), f"n_in = {s[0]}, n_out = {s[1]}") for s in BIG_SHAPES + SMALL_SHAPES]
    with Check(XAVIER_UNIFORM, xavier_uniform) as c:
        what = "sqrt(2 / (n_in + n_out))"
        check_distribution(c, xavier_uniform, cases, _xavier_ref, _XAVIER_MISTAKES, what)
        check_rng(c, xavier_uniform, ())
        c.cases = len(cases) + 1


# ---------------------------------------------------------------- he_normal


def _he_ref(shape: tuple) -> Dist:
    return Dist("normal", math.sqrt(2.0 / shape[0]))


_HE_MISTAKES = [
    Alternative(
        "the values look uniform: He normal draws from a normal, rng.normal(0.0, std, shape)",
        lambda shape: Dist("uniform", _he_ref(shape).std),
    ),
    Alternative(
        "used n_out = shape[1] as the fan-in: in nnlib's (n_in, n_out) layout the fan-in is "
        "shape[0] (torch stores weights as (out, in), where it is shape[1])",
        lambda shape: Dist("normal", math.sqrt(2.0 / shape[1])),
    ),
    Alternative(
        "used std sqrt(1 / n_in), the tanh rule (LeCun's, which some tutorials call Xavier): "
        "He doubles the variance to make up for the half that ReLU zeroes, std = sqrt(2 / n_in)",
        lambda shape: Dist("normal", math.sqrt(1.0 / shape[0])),
    ),
    Alternative(
        "used the variance 2 / n_in as the std: take its square root, std = sqrt(2 / n_in)",
        lambda shape: Dist("normal", 2.0 / shape[0]),
    ),
    Alternative(
        "used Glorot's std sqrt(2 / (n_in + n_out)): He uses the fan-in only, sqrt(2 / n_in)",
        lambda shape: Dist("normal", math.sqrt(2.0 / sum(shape))),
    ),
    Alternative(
        "used sqrt(6 / n_in), He uniform's bound, as the std: the normal's std is sqrt(2 / n_in)",
        lambda shape: Dist("normal", math.sqrt(6.0 / shape[0])),
    ),
    Alternative(
        "the std is 1 whatever the shape: scale the standard normal draws by sqrt(2 / n_in)",
        lambda shape: Dist("normal", 1.0),
    ),
]


def check_he_normal(he_normal: Any) -> None:
    """``he_normal(shape, rng)``: N(0, std²) with std = sqrt(2 / n_in), n_in = shape[0]."""
    cases = [((s,), f"n_in = {s[0]}, n_out = {s[1]}") for s in BIG_SHAPES + SMALL_SHAPES]
    with Check(HE_NORMAL, he_normal) as c:
        check_distribution(c, he_normal, cases, _he_ref, _HE_MISTAKES, "sqrt(2 / n_in)")
        check_rng(c, he_normal, ())
        c.cases = len(cases) + 1


# ---------------------------------------------------------------- layer_stds


def _stds(x, weights, act, *, pre=False, chain=True, transpose=False, last=True, stat=np.std):
    """The reference (all defaults) and the catalogued mistakes, one switch each."""
    a, out = x, []
    for i, W in enumerate(weights):
        z = (a if chain else x) @ (W.T if transpose else W)  # (N, H_l)
        a = act(z) if (last or i < len(weights) - 1) else z
        out.append(stat(z if pre else a))
    return np.array(out)


_LAYER_MISTAKES = [
    Mistake(
        "measured the pre-activations z = a @ W: take the std of each layer's output act(z)",
        impl=lambda x, weights, act: _stds(x, weights, act, pre=True),
    ),
    Mistake(
        "returned variances: take the standard deviation (np.std), not np.var",
        impl=lambda x, weights, act: _stds(x, weights, act, stat=np.var),
    ),
    Mistake(
        "averaged the per-unit stds (axis=0): take one std over all entries of the layer's "
        "output, a.std()",
        impl=lambda x, weights, act: _stds(x, weights, act, stat=lambda a: a.std(axis=0).mean()),
    ),
    Mistake(
        "one row per layer: the std must run over all entries of a layer's output, giving one "
        "number per layer (no axis argument)",
        lambda got, exp, ctx: np.ndim(got) == 2 and len(got) == len(exp),
    ),
    Mistake(
        "included the input x: return one std per weight matrix (L numbers), starting with the "
        "first layer's output",
        lambda got, exp, ctx: np.shape(got) == (len(exp) + 1,),
    ),
    Mistake(
        "fed x into every layer: each layer's input is the previous layer's output",
        impl=lambda x, weights, act: _stds(x, weights, act, chain=False),
    ),
    Mistake(
        "used W transposed: with W of shape (n_in, n_out), a layer computes a @ W",
        impl=lambda x, weights, act: _stds(x, weights, act, transpose=True),
    ),
    Mistake(
        "left the last layer without its activation: here every layer applies act",
        impl=lambda x, weights, act: _stds(x, weights, act, last=False),
    ),
    Mistake(
        "measured the weights: the std asked for is that of the activations a_l",
        impl=lambda x, weights, act: np.array([W.std() for W in weights]),
    ),
]


def _as_array(got: Any) -> Any:
    """A list or tuple of numbers becomes an array (a correct answer either way)."""
    if isinstance(got, list | tuple):
        try:
            return np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return got
    return got


def check_layer_stds(layer_stds: Any) -> None:
    """``layer_stds(x, weights, act)``: the std of every layer's output act(a @ W), shape (L,)."""
    cases = [  # (seed, N, widths, weight std rule, act, dtype)
        (0, 200, [50, 50, 50, 50], "xavier", np.tanh, np.float64),
        (1, 100, [20, 30, 10, 5], "he", relu, np.float64),
        (2, 300, [40, 40, 40], "large", np.tanh, np.float64),
        (3, 64, [8, 16], "small", relu, np.float64),
        (4, 1, [5, 3], "he", np.tanh, np.float64),
        (5, 150, [30, 30, 30], "he", relu, np.float32),
    ]
    scale = {
        "xavier": lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)),
        "he": lambda n_in, n_out: math.sqrt(2 / n_in),
        "large": lambda n_in, n_out: 1.0,
        "small": lambda n_in, n_out: 0.01,
    }
    with Check(LAYER_STDS, layer_stds) as c:
        for seed, n, widths, rule, act, dtype in cases:
            rng = np.random.default_rng(600 + seed)
            x = rng.normal(size=(n, widths[0])).astype(dtype)
            weights = [
                (rng.normal(size=(a, b)) * scale[rule](a, b)).astype(dtype)
                for a, b in zip(widths[:-1], widths[1:], strict=True)
            ]
            name = "tanh" if act is np.tanh else "relu"
            got = _as_array(c.call(x, weights, act, note=f"{name}, {rule} weights, seed {seed}"))
            expected = _stds(x, weights, act)
            # np.std(ddof=1) (the sample std) is a fine answer too.
            unbiased = _stds(x, weights, act, stat=lambda a: a.std(ddof=1))
            if np.shape(got) == unbiased.shape and np.allclose(got, unbiased, rtol=1e-5):
                expected = unbiased
            c.compare(
                got,
                expected,
                name="stds",
                mistakes=_LAYER_MISTAKES,
                check_dtype=False,
                ctx={"N": None},
            )
