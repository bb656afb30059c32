"""Checks of chapter 5's exercises: weight initialization.

==================  ===============================================================  ======
exercise id         the learner writes                                               points
==================  ===============================================================  ======
``train_step``      ``train_step(x, y, W1, W2, lr) -> (W1_new, W2_new)``: one step of     3
                    a tanh network, the step that keeps constant weights symmetric
``xavier_uniform``  ``xavier_uniform(shape, gain, rng) -> W``, U(-a, a),                  2
                    a = gain * sqrt(6 / (n_in + n_out))
``kaiming_normal``  ``kaiming_normal(shape, gain, rng) -> W``, N(0, std²),                2
                    std = gain / sqrt(n_in)
``layer_stds``      ``layer_stds(x, weights, act) -> stds`` (L,): a simulation            2
``predict_std``     ``predict_std(x_std, width, w_std, depth, act) -> float``:            2
                    the std after ``depth`` layers, by variance propagation
==================  ===============================================================  ======

Shapes follow nnlib's layout: a weight matrix is ``(n_in, n_out)``, so the
fan-in is ``shape[0]`` (torch stores ``(out, in)``; see :mod:`nnlib.init`).
The ``gain`` comes before ``rng``, in the positional order of
``torch.nn.init.xavier_uniform_(tensor, gain, generator)``.

The random initializers are tested by the distribution of large samples, not
value by value, so any order of draws passes; the method and its tolerances
are in :mod:`nnlib.grading.exercises._ch05_stats`. Then the rng: two
generators with the same seed must give the same array, two different seeds
different arrays, and each call a new array. ``train_step`` is compared with
the chain rule on random weights and on constant ones (where the hidden
units must stay copies of each other); ``predict_std`` with the mean-field
formula (pre-activations taken as normal), which a test compares with a
simulation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake
from ..registry import Exercise
from ..sandbox.helpers import relu
from ._ch05_stats import SQRT3, Alternative, Dist, check_distribution, check_rng

__all__ = [
    "check_train_step",
    "check_xavier_uniform",
    "check_kaiming_normal",
    "check_layer_stds",
    "check_predict_std",
]

TRAIN_STEP = Exercise("ch05", "train_step", "One training step, and the symmetry it keeps", 3)
XAVIER_UNIFORM = Exercise("ch05", "xavier_uniform", "Xavier (Glorot) uniform with a gain", 2)
KAIMING_NORMAL = Exercise("ch05", "kaiming_normal", "Kaiming (He) normal with a gain", 2)
LAYER_STDS = Exercise("ch05", "layer_stds", "Spread of the activations, layer by layer", 2)
PREDICT_STD = Exercise("ch05", "predict_std", "Predicting the spread after L layers", 2)

# Large shapes for the distribution (square and not, both orders), then small ones.
BIG_SHAPES = [(400, 100), (100, 400), (300, 300), (1000, 40)]
SMALL_SHAPES = [(3, 5), (1, 1), (1, 64), (10, 2)]
GAINS = [1.0, math.sqrt(2.0), 5.0 / 3.0, 0.5, 1.0, 2.0, 3.0, 0.25]  # one per shape


# ---------------------------------------------------------------- train_step


def _step(
    x: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    W2: np.ndarray,
    lr: float,
    *,
    local: str = "1 - h**2",
    scale: str = "N",
    sign: float = 1.0,
    new_w2_back: bool = False,
    transpose_dw1: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The reference step (defaults) and the catalogued mistakes, one switch each."""
    n = x.shape[0]
    z = x @ W1  # (N, H)
    h = np.tanh(z)  # (N, H)
    out = h @ W2  # (N, K)
    d = {"N": n, "1": 1, "NK": out.size, "N/2": n / 2}[scale]
    dout = (out - y) / d  # (N, K)
    dW2 = h.T @ dout  # (H, K)
    W2_new = W2 - sign * lr * dW2
    dh = dout @ (W2_new if new_w2_back else W2).T  # (N, H)
    slope = {
        "1 - h**2": 1 - h**2,
        "none": np.ones_like(h),
        "1 - h": 1 - h,
        "1 - z**2": 1 - z**2,
    }[local]
    dz = dh * slope  # (N, H)
    dW1 = (dz.T @ x) if transpose_dw1 else (x.T @ dz)  # (D, H)
    return W1 - sign * lr * dW1, W2_new


def _train_mistakes(index: int) -> list[Mistake]:
    """The mistakes as seen in output ``index`` (0: W1_new, 1: W2_new)."""

    def wrong(**switch: Any) -> Any:
        return lambda x, y, W1, W2, lr: _step(x, y, W1, W2, lr, **switch)[index]

    return [
        Mistake(
            "backpropagated through the updated W2: compute both gradients from the weights "
            "the forward pass used, then update",
            impl=wrong(new_w2_back=True),
        ),
        Mistake(
            "left out tanh's derivative: dz = dh * (1 - h**2) with h = tanh(x @ W1)",
            impl=wrong(local="none"),
        ),
        Mistake(
            "the square is missing in tanh's derivative: 1 - h**2, not 1 - h",
            impl=wrong(local="1 - h"),
        ),
        Mistake(
            "took the derivative at z as 1 - z**2: tanh'(z) = 1 - tanh(z)**2 = 1 - h**2",
            impl=wrong(local="1 - z**2"),
        ),
        Mistake(
            "forgot the 1/N: the loss is a mean over the N examples, so dout = (out - y) / N",
            impl=wrong(scale="1"),
        ),
        Mistake(
            "divided by N * K, every entry of out: the loss sums over the K outputs and "
            "averages over the N examples, dout = (out - y) / N",
            impl=wrong(scale="NK"),
        ),
        Mistake(
            "dropped the 1/2 of the loss: its derivative is (out - y) / N, not 2 (out - y) / N",
            impl=wrong(scale="N/2"),
        ),
        Mistake(
            "stepped uphill: gradient descent subtracts, W - lr * dW",
            impl=wrong(sign=-1.0),
        ),
        Mistake(
            "dW1 is transposed: with x (N, D) and dz (N, H), dW1 = x.T @ dz has W1's shape (D, H)",
            impl=wrong(transpose_dw1=True),
        ),
        Mistake(
            "returned the gradient, not the updated weights: W_new = W - lr * dW",
            impl=lambda x, y, W1, W2, lr: (
                (W1 - _step(x, y, W1, W2, lr)[0]) / lr,
                (W2 - _step(x, y, W1, W2, lr)[1]) / lr,
            )[index],
        ),
        Mistake(
            "this weight was not updated: both W1 and W2 take a step",
            impl=lambda x, y, W1, W2, lr: (W1, W2)[index],
        ),
    ]


def _train_case(seed: int, n: int, d: int, h: int, k: int, init: str) -> tuple:
    rng = np.random.default_rng(700 + seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, k))
    if init == "constant":
        W1, W2 = np.full((d, h), 0.3), np.full((h, k), -0.5)
    else:
        W1, W2 = rng.normal(size=(d, h)) / math.sqrt(d), rng.normal(size=(h, k)) / math.sqrt(h)
    return x, y, W1, W2


def check_train_step(train_step: Any) -> None:
    """``train_step(x, y, W1, W2, lr)``: one gradient-descent step of ``tanh(x @ W1) @ W2``."""
    cases = [  # (seed, N, D, H, K, init, lr); square D = H first: a transposed dW1 runs
        (0, 8, 4, 4, 2, "random", 0.1),
        (1, 16, 3, 5, 1, "random", 0.5),
        (2, 10, 3, 6, 2, "constant", 0.2),
        (3, 1, 2, 3, 2, "random", 0.05),
        (4, 12, 5, 4, 3, "constant", 1.0),
    ]
    names = ("W1_new", "W2_new")
    with Check(TRAIN_STEP, train_step) as c:
        for seed, n, d, h, k, init, lr in cases:
            x, y, W1, W2 = _train_case(seed, n, d, h, k, init)
            note = f"{init} weights, lr {lr}, seed {seed}"
            got = c.unpack(c.call(x, y, W1, W2, lr, note=note), names)
            expected = _step(x, y, W1, W2, lr)
            for i, name in enumerate(names):
                c.compare(got[i], expected[i], name=name, mistakes=_train_mistakes(i))


# ---------------------------------------------------------------- xavier_uniform


def _xavier_ref(shape: tuple, gain: float) -> Dist:
    n_in, n_out = shape
    return Dist("uniform", gain * math.sqrt(2.0 / (n_in + n_out)))


def _bound(family: str, a: float) -> Dist:
    """A uniform on [-a, a] or a normal with std a (a mistaken bound used either way)."""
    return Dist(family, a / SQRT3 if family == "uniform" else a)


def _xavier_bound(shape: tuple, gain: float) -> float:
    return _xavier_ref(shape, gain).bound


_XAVIER_MISTAKES = [
    Alternative(
        "the values look normal: Xavier uniform draws from U(-a, a), i.e. "
        "rng.uniform(-a, a, size=shape)",
        lambda shape, gain: Dist("normal", _xavier_ref(shape, gain).std),
    ),
    Alternative(
        "ignored the gain: a = gain * sqrt(6 / (n_in + n_out))",
        lambda shape, gain: _xavier_ref(shape, 1.0),
    ),
    Alternative(
        "put the gain inside the square root: a = gain * sqrt(6 / (n_in + n_out)), not "
        "sqrt(gain * 6 / (n_in + n_out))",
        lambda shape, gain: _bound("uniform", math.sqrt(gain * 6.0 / sum(shape))),
    ),
    Alternative(
        "squared the gain: it multiplies the bound once, a = gain * sqrt(6 / (n_in + n_out))",
        lambda shape, gain: _xavier_ref(shape, gain**2),
    ),
    Alternative(
        "divided by the gain: a = gain * sqrt(6 / (n_in + n_out)) multiplies by it",
        lambda shape, gain: _xavier_ref(shape, 1.0 / gain),
    ),
    Alternative(
        "used a normal with std a: the bound a belongs to a uniform, rng.uniform(-a, a, shape)",
        lambda shape, gain: Dist("normal", _xavier_bound(shape, gain)),
    ),
    Alternative(
        "rng.uniform(0, a) (or rng.random() * a) gives only positive weights: draw from the "
        "symmetric interval, rng.uniform(-a, a, size=shape)",
        lambda shape, gain: Dist(
            "uniform", _xavier_bound(shape, gain) / math.sqrt(12), _xavier_bound(shape, gain) / 2
        ),
    ),
    Alternative(
        "used gain * sqrt(2 / (n_in + n_out)) as the bound: that is the std; a uniform on "
        "[-a, a] has std a / sqrt(3), so a = gain * sqrt(6 / (n_in + n_out))",
        lambda shape, gain: _bound("uniform", gain * math.sqrt(2.0 / sum(shape))),
    ),
    Alternative(
        "forgot the square root: a = gain * sqrt(6 / (n_in + n_out))",
        lambda shape, gain: _bound("uniform", gain * 6.0 / sum(shape)),
    ),
    Alternative(
        "used n_in only: Xavier averages both fans, a = gain * sqrt(6 / (n_in + n_out))",
        lambda shape, gain: _bound("uniform", gain * math.sqrt(6.0 / shape[0])),
    ),
    Alternative(
        "used n_out only: Xavier uses both fans, n_in = shape[0] and n_out = shape[1]",
        lambda shape, gain: _bound("uniform", gain * math.sqrt(6.0 / shape[1])),
    ),
    Alternative(
        "multiplied the fans: a = gain * sqrt(6 / (n_in + n_out)) adds them",
        lambda shape, gain: _bound("uniform", gain * math.sqrt(6.0 / (shape[0] * shape[1]))),
    ),
]


def _gain_cases() -> list[tuple[tuple, str]]:
    shapes = BIG_SHAPES + SMALL_SHAPES
    return [
        ((s, g), f"n_in = {s[0]}, n_out = {s[1]}, gain {g:.4g}")
        for s, g in zip(shapes, GAINS, strict=True)
    ]


def check_xavier_uniform(xavier_uniform: Any) -> None:
    """``xavier_uniform(shape, gain, rng)``: U(-a, a), a = gain * sqrt(6 / (n_in + n_out))."""
    cases = _gain_cases()
    with Check(XAVIER_UNIFORM, xavier_uniform) as c:
        what = "gain * sqrt(2 / (n_in + n_out))"
        check_distribution(c, xavier_uniform, cases, _xavier_ref, _XAVIER_MISTAKES, what)
        check_rng(c, xavier_uniform, (5.0 / 3.0,))
        c.cases = len(cases) + 1


# ---------------------------------------------------------------- kaiming_normal


def _kaiming_ref(shape: tuple, gain: float) -> Dist:
    return Dist("normal", gain / math.sqrt(shape[0]))


_KAIMING_MISTAKES = [
    Alternative(
        "the values look uniform: Kaiming normal draws from a normal, "
        "rng.normal(0.0, std, size=shape)",
        lambda shape, gain: Dist("uniform", _kaiming_ref(shape, gain).std),
    ),
    Alternative(
        "ignored the gain (used He's sqrt(2 / n_in) whatever gain was passed): "
        "std = gain / sqrt(n_in)",
        lambda shape, gain: Dist("normal", math.sqrt(2.0 / shape[0])),
    ),
    Alternative(
        "put the gain inside the square root: std = gain / sqrt(n_in), not sqrt(gain / n_in)",
        lambda shape, gain: Dist("normal", math.sqrt(gain / shape[0])),
    ),
    Alternative(
        "doubled the variance on top of the gain: the gain already holds ReLU's factor "
        "(sqrt(2)), so std = gain / sqrt(n_in)",
        lambda shape, gain: Dist("normal", gain * math.sqrt(2.0 / shape[0])),
    ),
    Alternative(
        "used n_out = shape[1] as the fan-in: in nnlib's (n_in, n_out) layout the fan-in is "
        "shape[0] (torch stores weights as (out, in), where it is shape[1])",
        lambda shape, gain: Dist("normal", gain / math.sqrt(shape[1])),
    ),
    Alternative(
        "forgot the square root: std = gain / sqrt(n_in), not gain / n_in",
        lambda shape, gain: Dist("normal", gain / shape[0]),
    ),
    Alternative(
        "used the variance gain² / n_in as the std: take its square root, std = gain / sqrt(n_in)",
        lambda shape, gain: Dist("normal", gain**2 / shape[0]),
    ),
    Alternative(
        "used both fans, as Glorot does: Kaiming uses the fan-in only, std = gain / sqrt(n_in)",
        lambda shape, gain: Dist("normal", gain * math.sqrt(2.0 / sum(shape))),
    ),
    Alternative(
        "the std is 1 whatever the shape: scale the standard normal draws by gain / sqrt(n_in)",
        lambda shape, gain: Dist("normal", 1.0),
    ),
]


def check_kaiming_normal(kaiming_normal: Any) -> None:
    """``kaiming_normal(shape, gain, rng)``: N(0, std²) with std = gain / sqrt(shape[0])."""
    cases = _gain_cases()
    with Check(KAIMING_NORMAL, kaiming_normal) as c:
        what = "gain / sqrt(n_in)"
        check_distribution(c, kaiming_normal, cases, _kaiming_ref, _KAIMING_MISTAKES, what)
        check_rng(c, kaiming_normal, (math.sqrt(2.0),))
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


# ---------------------------------------------------------------- predict_std

_RELU_VAR = 0.5 - 1.0 / (2.0 * math.pi)  # Var(relu(z)) / Var(z) for a normal z with mean 0


def _predict(
    x_std: float,
    width: int,
    w_std: float,
    depth: int,
    act: str,
    *,
    halvings: str = "L - 1",
    output: str = "std",
    weight: str = "w_std**2",
    layers: str = "L",
    use_x: bool = True,
) -> float:
    """The reference (defaults) and the catalogued mistakes, one switch each."""
    per_layer = {"w_std**2": width * w_std**2, "w_std": width * w_std, "no width": w_std**2}
    n_layers = {"L": depth, "L - 1": depth - 1}[layers]
    v = (x_std**2 if use_x else 1.0) * per_layer[weight] ** n_layers  # Var(z_L), linear
    if act == "relu":
        v /= 2.0 ** {"L - 1": depth - 1, "L": depth, "none": 0}[halvings]
        v *= {"std": _RELU_VAR, "rms": 0.5, "z": 1.0, "var": _RELU_VAR}[output]
    return v if output == "var" else math.sqrt(v)


def _wrong(**switch: Any) -> Any:
    return lambda x_std, width, w_std, depth, act: _predict(
        x_std, width, w_std, depth, act, **switch
    )


_PREDICT_MISTAKES = [
    Mistake(
        "halved the variance at every layer, the first too: the input x is not a ReLU output, "
        "so E[a_0²] = x_std²; the halving starts at layer 2 (L - 1 halvings)",
        impl=_wrong(halvings="L"),
    ),
    Mistake(
        "treated ReLU as linear: it zeroes the negative half, so E[relu(z)²] = Var(z) / 2 "
        "before the next layer",
        impl=_wrong(halvings="none"),
    ),
    Mistake(
        "returned the root mean square of relu(z_L), sqrt(Var(z_L) / 2): its mean is not 0, "
        "so the std is sqrt(Var(z_L) (1/2 - 1/(2 pi)))",
        impl=_wrong(output="rms"),
    ),
    Mistake(
        "returned the std of the last pre-activation z_L: the output is relu(z_L), whose std "
        "is sqrt(Var(z_L) (1/2 - 1/(2 pi)))",
        impl=_wrong(output="z"),
    ),
    Mistake(
        "returned a variance: take its square root",
        impl=_wrong(output="var"),
    ),
    Mistake(
        "multiplied by width * w_std per layer: the variance grows by width * w_std² (the std "
        "by sqrt(width) * w_std)",
        impl=_wrong(weight="w_std"),
    ),
    Mistake(
        "left out the width: each pre-activation sums `width` products, so the variance grows "
        "by width * w_std² per layer",
        impl=_wrong(weight="no width"),
    ),
    Mistake(
        "one layer too few: depth layers each multiply the variance by width * w_std²",
        impl=_wrong(layers="L - 1"),
    ),
    Mistake(
        "ignored x_std: the first layer's variance is width * w_std² * x_std²",
        impl=_wrong(use_x=False),
    ),
]


def check_predict_std(predict_std: Any) -> None:
    """``predict_std(x_std, width, w_std, depth, act)``: the mean-field std of layer L's output."""
    cases = [  # (x_std, width, w_std, depth, act)
        (2.0, 256, 0.1, 10, "relu"),
        (1.0, 256, math.sqrt(2 / 256), 10, "relu"),
        (1.0, 100, 0.2, 5, "linear"),
        (1.5, 64, 1 / 8, 6, "relu"),
        (0.5, 50, 0.1, 1, "relu"),
        (3.0, 10, 0.5, 3, "linear"),
        (1.0, 1, 1.5, 4, "relu"),
        (0.8, 300, 0.03, 2, "linear"),
    ]
    with Check(PREDICT_STD, predict_std) as c:
        for x_std, width, w_std, depth, act in cases:
            note = f"{act}, width {width}, w_std {w_std:.4g}, depth {depth}, x_std {x_std}"
            got = c.call(x_std, width, w_std, depth, act, note=note)
            expected = _predict(x_std, width, w_std, depth, act)
            c.compare(got, expected, name="predicted std", mistakes=_PREDICT_MISTAKES)
