"""Weight initializers: how big the random starting weights should be.

The names and signatures follow ``torch.nn.init`` (``xavier_uniform``,
``kaiming_normal``, ``calculate_gain``), with the Keras names as aliases
(``glorot_uniform``, ``he_normal``). Unlike torch, nothing is filled in place:
every initializer takes a ``shape`` and returns a NEW array::

    W = xavier_uniform((3, 4), rng=0)            # (3, 4) float64
    W = he_normal((64, 32), rng=rng, dtype=np.float32)

Every initializer accepts ``shape`` (an int or a tuple of ints) and the
keywords ``rng`` (``None``, an int seed or a ``np.random.Generator``) and
``dtype`` (default ``np.float64``), so a layer can call any of them the same
way: ``init(shape, rng=rng, dtype=dtype)``. ``get`` looks one up by name and
binds its other arguments, for ``Linear(init=...)`` and ``nnlib.mlp``::

    small = get("normal", std=0.01)   # small(shape, ...) is normal(shape, std=0.01, ...)

Fans follow nnlib's layout, not torch's
---------------------------------------
nnlib's ``Linear`` stores ``W`` with shape ``(in, out)`` (so that
``out = x @ W + b``), the Keras layout. ``compute_fans`` therefore reads a 2-D
shape as ``(fan_in, fan_out)``. torch's ``nn.Linear`` stores its weight as
``(out, in)`` and torch reads ``fan_in = shape[1]``. The same layer gets the
same fans in both libraries, but the same *shape tuple* does not:
``compute_fans((3, 5))`` is ``(3, 5)`` here and ``(5, 3)`` in torch.

Three scale heuristics, one idea
--------------------------------
Each scheme draws zero-mean weights whose standard deviation shrinks with the
number of inputs a unit adds up (``n_in``, the fan-in) and sometimes with the
number of units it feeds (``n_out``), so activations and gradients keep about
the same size from layer to layer instead of vanishing or exploding. The three
rules of thumb in the course material map onto these functions:

====================  ==========================  ================================================
heuristic             std of the weights          nnlib function (normal draw)
====================  ==========================  ================================================
He, for ReLU          sqrt(2 / n_in)              he_normal = kaiming_normal(nonlinearity="relu")
"Xavier", for tanh    sqrt(1 / n_in)              lecun_normal
Glorot & Bengio       sqrt(2 / (n_in + n_out))    xavier_normal = glorot_normal
====================  ==========================  ================================================

``kaiming_normal`` with its defaults (leaky ReLU of slope 0, i.e. ReLU) is ``he_normal``.

A note on names: many tutorials call ``sqrt(1 / n_in)`` "Xavier", but torch and
Keras give that name to the Glorot rule of the last row (which averages fan-in
and fan-out); ``sqrt(1 / n_in)`` is LeCun's rule. When ``n_in == n_out`` the two
agree.

Each normal initializer has a uniform twin (``he_uniform``, ``lecun_uniform``,
``xavier_uniform``, ...) drawing from ``U(-bound, bound)`` with
``bound = sqrt(3) * std``: a uniform distribution on ``[-a, a]`` has variance
``a**2 / 3``, so both twins have the same std.

The normal versions use an ordinary (untruncated) normal distribution, as torch
does; Keras draws from a truncated normal rescaled to the same std.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ._utils import RngLike, as_rng, check_float_dtype

__all__ = [
    "calculate_gain",
    "compute_fans",
    "constant",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

ShapeLike = int | tuple[int, ...]
DTypeLike = Any  # anything np.dtype() accepts

_SQRT3 = math.sqrt(3.0)


# -- helpers ------------------------------------------------------------------
def _as_shape(shape: ShapeLike) -> tuple[int, ...]:
    """``5`` -> ``(5,)``; a tuple or list of non-negative ints -> a tuple."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        out = tuple(int(d) for d in dims)
        ok = all(d >= 0 and d == raw for d, raw in zip(out, dims, strict=True))
    except (TypeError, ValueError):
        ok = False
    if not ok or isinstance(shape, (bool, np.bool_)):
        raise ValueError(f"shape must be an int or a tuple of non-negative ints; got {shape!r}")
    return out


def _normal(
    shape: ShapeLike, mean: float, std: float, rng: RngLike, dtype: DTypeLike
) -> np.ndarray:
    """Draw ``N(mean, std**2)`` samples straight in ``dtype`` (no float64 detour)."""
    shape, dt = _as_shape(shape), check_float_dtype(dtype)
    gen = as_rng(rng)
    if dt in (np.float32, np.float64):
        out = gen.standard_normal(shape, dtype=dt)
    else:
        out = gen.standard_normal(shape).astype(dt)
    out *= std  # python floats never upcast a float32 array
    if mean:
        out += mean
    return out


def _uniform(shape: ShapeLike, a: float, b: float, rng: RngLike, dtype: DTypeLike) -> np.ndarray:
    """Draw ``U(a, b)`` samples straight in ``dtype``: ``a + (b - a) * u``, ``u ~ U(0, 1)``."""
    shape, dt = _as_shape(shape), check_float_dtype(dtype)
    gen = as_rng(rng)
    if dt in (np.float32, np.float64):
        out = gen.random(shape, dtype=dt)
    else:
        out = gen.random(shape).astype(dt)
    out *= b - a
    out += a
    return out


# -- fans and gains -----------------------------------------------------------
def compute_fans(shape: ShapeLike) -> tuple[int, int]:
    """Fan-in and fan-out of a weight array of this shape, in nnlib's (Keras') layout.

    Parameters
    ----------
    shape : int or tuple of int
        ``()``: a scalar, fans ``(1, 1)``. ``(n,)``: a vector, ``fan_in = fan_out = n``.
        ``(in, out)``: a ``Linear`` weight ``W``. ``(k1, ..., in, out)``: a
        convolution kernel; both fans are multiplied by the receptive field
        size ``k1 * ... * kd``.

    Returns
    -------
    fan_in, fan_out : int

    Notes
    -----
    torch reads a 2-D shape the other way round, as ``(out, in)``; see the
    module docstring.

    Examples
    --------
    >>> compute_fans((3, 5))
    (3, 5)
    >>> compute_fans((3, 3, 16, 32))  # a 3x3 conv kernel, 16 -> 32 channels
    (144, 288)
    """
    dims = _as_shape(shape)
    if len(dims) == 0:
        return 1, 1
    if len(dims) == 1:
        return dims[0], dims[0]
    receptive_field = math.prod(dims[:-2])
    return dims[-2] * receptive_field, dims[-1] * receptive_field


_LINEAR_GAIN_NAMES = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_GAIN_NAMES = tuple(sorted((*_LINEAR_GAIN_NAMES, "tanh", "relu", "leaky_relu", "selu")))


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale factor for weights feeding a given nonlinearity (torch's table).

    Parameters
    ----------
    nonlinearity : str
        One of ``linear``, ``conv1d``/``2d``/``3d``, ``conv_transpose1d``/``2d``/``3d``,
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``selu``.
    param : float, optional
        The negative slope, for ``leaky_relu`` only (default 0.01).

    Returns
    -------
    float
        ``1`` for linear, conv and sigmoid; ``5/3`` for tanh; ``sqrt(2)`` for
        relu; ``sqrt(2 / (1 + slope**2))`` for leaky_relu; ``3/4`` for selu.

    Notes
    -----
    ReLU zeroes half of its inputs, halving the variance it passes on; the
    gain ``sqrt(2)`` puts it back. The tanh and selu values are torch's
    empirical choices. ``kaiming_*`` use the gain as ``std = gain / sqrt(fan)``
    and ``xavier_*`` as ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Examples
    --------
    >>> calculate_gain("relu")
    1.4142135623730951
    """
    if nonlinearity in _LINEAR_GAIN_NAMES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float, np.integer, np.floating)) and not isinstance(
            param, (bool, np.bool_)
        ):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; valid names: {', '.join(_GAIN_NAMES)}"
    )


# -- constant initializers ----------------------------------------------------
def zeros(shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """All zeros (the usual choice for biases). ``rng`` is accepted and ignored.

    Never use it for weights: every unit of a layer would compute the same thing
    and receive the same gradient, so they would stay identical forever.
    """
    return np.zeros(_as_shape(shape), dtype=dtype)


def ones(shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """All ones. ``rng`` is accepted and ignored."""
    return np.ones(_as_shape(shape), dtype=dtype)


def constant(
    shape: ShapeLike, val: float, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Every entry equal to ``val``. ``rng`` is accepted and ignored."""
    return np.full(_as_shape(shape), val, dtype=dtype)


# -- plain random initializers ------------------------------------------------
def normal(
    shape: ShapeLike,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Samples of ``N(mean, std**2)``: random init with a scale you pick by hand.

    Too small a ``std`` makes signals fade layer after layer; too large makes
    them blow up or saturate tanh/sigmoid. The schemes below choose it from the
    shape instead.
    """
    if std < 0:
        raise ValueError(f"std must be >= 0; got {std}")
    return _normal(shape, float(mean), float(std), rng, dtype)


def uniform(
    shape: ShapeLike,
    a: float = 0.0,
    b: float = 1.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Samples of ``U(a, b)``, with mean ``(a + b) / 2`` and std ``(b - a) / sqrt(12)``."""
    if b < a:
        raise ValueError(f"uniform needs a <= b; got a={a}, b={b}")
    return _uniform(shape, float(a), float(b), rng, dtype)


# -- variance-scaling initializers --------------------------------------------
def xavier_uniform(
    shape: ShapeLike, gain: float = 1.0, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-bound, bound)``, ``bound = gain * sqrt(6 / (fan_in + fan_out))``.

    Glorot & Bengio (2010), "Understanding the difficulty of training deep
    feedforward neural networks". The std is ``gain * sqrt(2 / (fan_in + fan_out))``,
    a compromise between keeping forward activations (fan-in) and backward
    gradients (fan-out) at a steady size. nnlib's default for ``Linear``.

    Parameters
    ----------
    shape : int or tuple of int
        ``(in, out)`` for a ``Linear`` weight; see ``compute_fans``.
    gain : float
        Extra factor, e.g. ``calculate_gain("tanh")``.
    rng : None, int or np.random.Generator
    dtype : floating dtype

    Returns
    -------
    np.ndarray, shape ``shape``
    """
    fan_in, fan_out = compute_fans(shape)
    std = gain * math.sqrt(2.0 / max(1, fan_in + fan_out))
    bound = _SQRT3 * std
    return _uniform(shape, -bound, bound, rng, dtype)


def xavier_normal(
    shape: ShapeLike, gain: float = 1.0, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Glorot/Xavier normal: ``N(0, std**2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Glorot & Bengio (2010), "Understanding the difficulty of training deep
    feedforward neural networks". With ``gain=1`` this is the
    ``sqrt(2 / (n_in + n_out))`` heuristic of the module docstring. Arguments
    as in ``xavier_uniform``.
    """
    fan_in, fan_out = compute_fans(shape)
    std = gain * math.sqrt(2.0 / max(1, fan_in + fan_out))
    return _normal(shape, 0.0, std, rng, dtype)


def _kaiming_std(shape: ShapeLike, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"unknown mode {mode!r}; valid modes: fan_in, fan_out")
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(max(1, fan))


def kaiming_uniform(
    shape: ShapeLike,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """He/Kaiming uniform: ``U(-bound, bound)``, ``bound = gain * sqrt(3 / fan)``.

    He et al. (2015), "Delving deep into rectifiers: surpassing human-level
    performance on ImageNet classification". The std is ``gain / sqrt(fan)``
    with ``gain = calculate_gain(nonlinearity, a)``; the defaults (leaky ReLU
    with slope ``a = 0``, i.e. ReLU) give the He heuristic ``sqrt(2 / n_in)``.

    Parameters
    ----------
    shape : int or tuple of int
        ``(in, out)`` for a ``Linear`` weight; see ``compute_fans``.
    a : float
        Negative slope of the leaky ReLU (used only when
        ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}
        ``fan_in`` keeps the forward activations' variance steady,
        ``fan_out`` the backward gradients'.
    nonlinearity : str
        A name accepted by ``calculate_gain``.
    rng : None, int or np.random.Generator
    dtype : floating dtype

    Returns
    -------
    np.ndarray, shape ``shape``
    """
    bound = _SQRT3 * _kaiming_std(shape, a, mode, nonlinearity)
    return _uniform(shape, -bound, bound, rng, dtype)


def kaiming_normal(
    shape: ShapeLike,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """He/Kaiming normal: ``N(0, std**2)``, ``std = gain / sqrt(fan)``.

    He et al. (2015), "Delving deep into rectifiers: surpassing human-level
    performance on ImageNet classification". With the defaults this is the He
    heuristic ``std = sqrt(2 / n_in)`` for ReLU layers; with
    ``nonlinearity="linear"`` it is ``lecun_normal``. Arguments as in
    ``kaiming_uniform``.
    """
    return _normal(shape, 0.0, _kaiming_std(shape, a, mode, nonlinearity), rng, dtype)


def lecun_uniform(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """LeCun uniform: ``U(-bound, bound)``, ``bound = sqrt(3 / fan_in)`` (std ``sqrt(1 / fan_in)``).

    LeCun, Bottou, Orr & Mueller (1998), "Efficient BackProp".
    """
    bound = math.sqrt(3.0 / max(1, compute_fans(shape)[0]))
    return _uniform(shape, -bound, bound, rng, dtype)


def lecun_normal(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """LeCun normal: ``N(0, std**2)``, ``std = sqrt(1 / fan_in)``.

    LeCun, Bottou, Orr & Mueller (1998), "Efficient BackProp". This is the
    heuristic that tutorials often call "Xavier for tanh"; see the module
    docstring.
    """
    std = math.sqrt(1.0 / max(1, compute_fans(shape)[0]))
    return _normal(shape, 0.0, std, rng, dtype)


# -- Keras names --------------------------------------------------------------
def glorot_uniform(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Keras' name for ``xavier_uniform`` with ``gain=1``.

    Bound ``sqrt(6 / (fan_in + fan_out))``, std ``sqrt(2 / (fan_in + fan_out))``.
    """
    return xavier_uniform(shape, rng=rng, dtype=dtype)


def glorot_normal(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Keras' name for ``xavier_normal`` with ``gain=1``: std ``sqrt(2 / (fan_in + fan_out))``.

    Untruncated, unlike Keras (see the module docstring).
    """
    return xavier_normal(shape, rng=rng, dtype=dtype)


def he_uniform(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Keras' He uniform: ``kaiming_uniform(shape, nonlinearity="relu")``.

    Bound ``sqrt(6 / fan_in)``, std ``sqrt(2 / fan_in)``.
    """
    return kaiming_uniform(shape, nonlinearity="relu", rng=rng, dtype=dtype)


def he_normal(
    shape: ShapeLike, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Keras' He normal: ``kaiming_normal(shape, nonlinearity="relu")``, std ``sqrt(2 / fan_in)``.

    Untruncated, unlike Keras (see the module docstring).
    """
    return kaiming_normal(shape, nonlinearity="relu", rng=rng, dtype=dtype)


# -- lookup by name -----------------------------------------------------------
_INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    f.__name__: f
    for f in (
        zeros,
        ones,
        constant,
        normal,
        uniform,
        xavier_uniform,
        xavier_normal,
        kaiming_uniform,
        kaiming_normal,
        lecun_uniform,
        lecun_normal,
        glorot_uniform,
        glorot_normal,
        he_uniform,
        he_normal,
    )
}


def get(name: str | Callable[..., np.ndarray], **kwargs: Any) -> Callable[..., np.ndarray]:
    """The initializer called ``name``, with ``kwargs`` bound to it.

    ``get("he_normal")`` is ``he_normal``; ``get("normal", std=0.01)`` is a
    function of ``(shape, rng=..., dtype=...)`` that calls
    ``normal(shape, std=0.01, ...)``, the form ``Linear(init=...)`` and
    :func:`nnlib.mlp` accept. A callable ``name`` is returned unchanged (or with
    ``kwargs`` bound).

    Raises
    ------
    ValueError
        For an unknown name (the message lists every valid one), or a keyword
        the initializer does not take (the message lists the ones it does).

    Examples
    --------
    >>> get("he_normal") is he_normal
    True
    >>> get("normal", std=0.01)((2, 3), rng=0).std() < 0.05
    True
    """
    if callable(name):
        fn = name
    else:
        try:
            fn = _INITIALIZERS[name]
        except (KeyError, TypeError):
            valid = ", ".join(sorted(_INITIALIZERS))
            raise ValueError(f"unknown initializer {name!r}; valid names: {valid}") from None
    if not kwargs:
        return fn
    accepted = [p for p in inspect.signature(fn).parameters if p not in ("shape", "rng", "dtype")]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        label = getattr(fn, "__name__", repr(fn))
        raise ValueError(f"initializer {label} takes no argument {unknown}; it takes {accepted}")
    bound = partial(fn, **kwargs)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    bound.__name__ = f"{getattr(fn, '__name__', 'init')}({args})"  # type: ignore[attr-defined]
    return bound
