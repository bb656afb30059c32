"""Small data sets for the course: toy 2-D problems, 1-D regression, and 8x8 digits.

Conventions shared by every function here (stated once):

* Arrays are batch-first: ``X`` has shape ``(N, D)``, one example a row.
* Classification sets return ``X`` ``(N, 2)`` (``make_blobs``: ``(N, n_features)``)
  and ``y`` ``(N,)`` int64 labels ``0 .. C-1``; the rows come in random order.
  Regression sets return ``X`` ``(N, 1)`` and ``y`` ``(N, 1)``.
* ``n_samples`` is split as evenly as possible among the classes (or clusters):
  with ``n_samples = q * C + r`` the first ``r`` classes get ``q + 1`` points and
  the others ``q``, so class sizes differ by at most one.
* ``noise`` is the standard deviation of Gaussian noise (``0`` gives exact geometry).
* Every function is seeded: ``rng`` defaults to ``0``, so two calls give identical
  arrays. Pass another int for another draw, a ``np.random.Generator`` to use (and
  advance) your own stream, or ``None`` for fresh randomness.
* ``dtype`` (a floating dtype, float64 by default) is the dtype of ``X`` (and of
  ``y`` for regression); labels are always int64.

``standardize`` rescales inputs to mean 0 and standard deviation 1 per
feature, with statistics fitted on the training rows and reused for the test rows.

The digits (``load_digits``, defined in ``nnlib._digits``) are the UCI "Optical
Recognition of Handwritten Digits" test set, by E. Alpaydin and C. Kaynak,
licensed CC BY 4.0; see ``nnlib/data/DIGITS_LICENSE.txt``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from nnlib._digits import load_digits
from nnlib._utils import RngLike, as_rng, check_float_dtype

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "make_blobs",
    "make_sine",
    "make_line",
    "train_test_split",
    "standardize",
    "Standardization",
    "load_digits",
    "digits_split",
]

Dataset = tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------- helpers
def _check_int(value: int, name: str, minimum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}{why}; got {value}")
    return int(value)


def _check_nonneg(value: float, name: str) -> float:
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _split_sizes(n_samples: int, n_parts: int) -> np.ndarray:
    """Sizes of ``n_parts`` groups summing to ``n_samples``; the first ``r`` get one more."""
    q, r = divmod(n_samples, n_parts)
    return np.array([q + (k < r) for k in range(n_parts)])  # (n_parts,)


def _shuffled(X: np.ndarray, y: np.ndarray, gen: np.random.Generator, dtype: np.dtype) -> Dataset:
    """Rows of ``X`` and ``y`` in a random order, cast to ``dtype`` and int64."""
    order = gen.permutation(len(X))  # (N,)
    return X[order].astype(dtype, copy=False), y[order].astype(np.int64, copy=False)


# ----------------------------------------------------------------------------- classification
def make_moons(
    n_samples: int = 200, noise: float = 0.1, rng: RngLike = 0, dtype: npt.DTypeLike = np.float64
) -> Dataset:
    """Two interleaving half circles (scikit-learn's moons).

    Class 0 lies on the upper half of the unit circle centred at (0, 0); class 1 on
    the lower half of the unit circle centred at (1, 0.5). Points are evenly spaced
    in angle, then Gaussian noise of std ``noise`` is added to both coordinates.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 2.
    noise : float
        Standard deviation of the noise added to each coordinate.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 2)
    y : np.ndarray of int64, shape (n_samples,)
        Labels 0 and 1.

    Examples
    --------
    >>> X, y = make_moons(100, noise=0.2)
    >>> X.shape, y.shape, sorted(set(y.tolist()))
    ((100, 2), (100,), [0, 1])
    """
    n = _check_int(n_samples, "n_samples", 2, " (one point per class)")
    noise = _check_nonneg(noise, "noise")
    dtype = check_float_dtype(dtype)
    n0, n1 = _split_sizes(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)  # (n0,)
    t1 = np.linspace(0.0, np.pi, n1)  # (n1,)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])  # (n0, 2)
    inner = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])  # (n1, 2)
    X = np.concatenate([outer, inner])  # (N, 2)
    y = np.repeat([0, 1], [n0, n1])  # (N,)
    gen = as_rng(rng)
    X += noise * gen.standard_normal(X.shape)
    return _shuffled(X, y, gen, dtype)


def make_circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: RngLike = 0,
    dtype: npt.DTypeLike = np.float64,
) -> Dataset:
    """A small circle inside a large one: class 0 on radius 1, class 1 on radius ``factor``.

    Points are evenly spaced in angle on each circle (centred at the origin), then
    Gaussian noise of std ``noise`` is added to both coordinates.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 2.
    noise : float
        Standard deviation of the noise added to each coordinate.
    factor : float
        Radius of the inner circle, in [0, 1).
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 2)
    y : np.ndarray of int64, shape (n_samples,)
        0 for the outer circle, 1 for the inner one.
    """
    n = _check_int(n_samples, "n_samples", 2, " (one point per class)")
    noise = _check_nonneg(noise, "noise")
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be in [0, 1); got {factor!r}")
    dtype = check_float_dtype(dtype)
    sizes = _split_sizes(n, 2)
    parts = []
    for radius, size in zip((1.0, float(factor)), sizes, strict=True):
        t = np.linspace(0.0, 2.0 * np.pi, size, endpoint=False)  # (size,)
        parts.append(radius * np.column_stack([np.cos(t), np.sin(t)]))  # (size, 2)
    X = np.concatenate(parts)  # (N, 2)
    y = np.repeat([0, 1], sizes)  # (N,)
    gen = as_rng(rng)
    X += noise * gen.standard_normal(X.shape)
    return _shuffled(X, y, gen, dtype)


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.2,
    rng: RngLike = 0,
    dtype: npt.DTypeLike = np.float64,
) -> Dataset:
    """Interleaved spiral arms, one per class (the CS231n "spiral" data).

    Arm ``k`` with ``n`` points has radii ``r = 1/n, 2/n, ..., 1`` and angles
    ``t = 2*pi*k/n_classes + 4*r + noise * N(0, 1)``; its points are
    ``(r cos t, r sin t)``. The noise is on the angle (not on the coordinates), so
    the arms blur sideways. The radius starts just above 0 so that no two arms
    share a point: with ``noise=0`` the classes are perfectly separable.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least ``n_classes``.
    n_classes : int
        Number of arms (classes), at least 1.
    noise : float
        Standard deviation of the angle noise, in radians.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 2)
        Inside the unit disc (up to the noise, which keeps the radius).
    y : np.ndarray of int64, shape (n_samples,)
        Labels ``0 .. n_classes-1``.
    """
    C = _check_int(n_classes, "n_classes", 1)
    n = _check_int(n_samples, "n_samples", C, f" (n_classes={C}, one point per class)")
    noise = _check_nonneg(noise, "noise")
    dtype = check_float_dtype(dtype)
    gen = as_rng(rng)
    sizes = _split_sizes(n, C)
    r = np.concatenate([np.arange(1, size + 1) / size for size in sizes])  # (N,)
    y = np.repeat(np.arange(C), sizes)  # (N,)
    t = 2.0 * np.pi * y / C + 4.0 * r + noise * gen.standard_normal(n)  # (N,)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)])  # (N, 2)
    return _shuffled(X, y, gen, dtype)


def make_xor(
    n_samples: int = 200, noise: float = 0.1, rng: RngLike = 0, dtype: npt.DTypeLike = np.float64
) -> Dataset:
    """The XOR problem: four Gaussian clusters at (+-1, +-1), not linearly separable.

    The label of a cluster is set by the sign product of its centre: ``y = 1``
    where the two coordinates have opposite signs (centres (1, -1) and (-1, 1)),
    ``y = 0`` where they agree -- i.e. ``y = (x1 > 0) XOR (x2 > 0)`` of the centre.
    ``n_samples`` is split among the four clusters (not the two classes), in the
    order (1, 1), (-1, 1), (-1, -1), (1, -1); class sizes still differ by at most one.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 4 (one per cluster).
    noise : float
        Standard deviation of each cluster.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 2)
    y : np.ndarray of int64, shape (n_samples,)
        Labels 0 and 1.
    """
    n = _check_int(n_samples, "n_samples", 4, " (one point per cluster)")
    noise = _check_nonneg(noise, "noise")
    dtype = check_float_dtype(dtype)
    centers = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])  # (4, 2)
    cluster = np.repeat(np.arange(4), _split_sizes(n, 4))  # (N,)
    y = (centers[cluster, 0] * centers[cluster, 1] < 0).astype(np.int64)  # (N,)
    gen = as_rng(rng)
    X = centers[cluster] + noise * gen.standard_normal((n, 2))  # (N, 2)
    return _shuffled(X, y, gen, dtype)


def make_blobs(
    n_samples: int = 300,
    centers: int | npt.ArrayLike = 3,
    cluster_std: float | npt.ArrayLike = 1.0,
    n_features: int = 2,
    rng: RngLike = 0,
    dtype: npt.DTypeLike = np.float64,
) -> Dataset:
    """Isotropic Gaussian clusters, one class per cluster (scikit-learn's blobs).

    Parameters
    ----------
    n_samples : int
        Total number of points, at least the number of clusters.
    centers : int or array_like, shape (K, n_features)
        Either the number of clusters ``K``, whose centres are then drawn
        uniformly from the box [-10, 10]^n_features, or the centres themselves.
    cluster_std : float or array_like, shape (K,)
        Standard deviation of every cluster, or of each cluster.
    n_features : int
        Dimension of the points; must match ``centers.shape[1]`` when centres are given.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, n_features)
    y : np.ndarray of int64, shape (n_samples,)
        The cluster of each point, ``0 .. K-1``.
    """
    D = _check_int(n_features, "n_features", 1)
    dtype = check_float_dtype(dtype)
    gen = as_rng(rng)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        K = _check_int(centers, "centers", 1)
        C = gen.uniform(-10.0, 10.0, size=(K, D))  # (K, D)
    else:
        C = np.array(centers, dtype=np.float64)
        if C.ndim != 2 or len(C) == 0:
            raise ValueError(f"centers must be an int or an array of shape (K, {D}); got {C.shape}")
        if C.shape[1] != n_features:
            raise ValueError(
                f"centers has shape {C.shape} but n_features={n_features}; "
                f"pass n_features={C.shape[1]} to use {C.shape[1]}-D centres"
            )
        K = len(C)
    std = np.asarray(cluster_std, dtype=np.float64)
    if std.ndim == 0:
        std = np.full(K, std)  # (K,)
    if std.shape != (K,):
        raise ValueError(f"cluster_std must be a number or have shape ({K},); got {std.shape}")
    if not np.all(np.isfinite(std) & (std >= 0)):
        raise ValueError(f"cluster_std must be finite and >= 0; got {cluster_std!r}")
    n = _check_int(n_samples, "n_samples", K, f" ({K} clusters, one point per cluster)")
    y = np.repeat(np.arange(K), _split_sizes(n, K))  # (N,)
    X = C[y] + std[y, None] * gen.standard_normal((n, D))  # (N, D)
    return _shuffled(X, y, gen, dtype)


# ----------------------------------------------------------------------------- regression
def _noisy_curve(
    f: Callable[[np.ndarray], np.ndarray],
    low: float,
    high: float,
    n_samples: int,
    noise: float,
    rng: RngLike,
    dtype: npt.DTypeLike,
) -> Dataset:
    """``X`` uniform in ``[low, high]``, ``(N, 1)``; ``y = f(X) + noise * N(0, 1)``, ``(N, 1)``."""
    n = _check_int(n_samples, "n_samples", 1)
    noise = _check_nonneg(noise, "noise")
    dtype = check_float_dtype(dtype)
    gen = as_rng(rng)
    X = gen.uniform(low, high, size=(n, 1))  # (N, 1)
    y = f(X) + noise * gen.standard_normal((n, 1))  # (N, 1)
    return X.astype(dtype, copy=False), y.astype(dtype, copy=False)


def make_sine(
    n_samples: int = 100, noise: float = 0.1, rng: RngLike = 0, dtype: npt.DTypeLike = np.float64
) -> Dataset:
    """Noisy samples of ``y = sin(x) + noise * N(0, 1)`` with ``x`` uniform in [-pi, pi].

    Parameters
    ----------
    n_samples : int
        Number of points, at least 1. The ``x`` are random, not sorted.
    noise : float
        Standard deviation of the noise on ``y``.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X`` and ``y``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 1)
    y : np.ndarray, shape (n_samples, 1)
    """
    return _noisy_curve(np.sin, -np.pi, np.pi, n_samples, noise, rng, dtype)


def make_line(
    n_samples: int = 100,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.1,
    rng: RngLike = 0,
    dtype: npt.DTypeLike = np.float64,
) -> Dataset:
    """Noisy samples of ``y = slope * x + intercept + noise * N(0, 1)``, ``x`` uniform in [-1, 1].

    Parameters
    ----------
    n_samples : int
        Number of points, at least 1. The ``x`` are random, not sorted.
    slope, intercept : float
        The true line a linear model should recover.
    noise : float
        Standard deviation of the noise on ``y``.
    rng, dtype
        Seed or generator (default 0: reproducible); floating dtype of ``X`` and ``y``.

    Returns
    -------
    X : np.ndarray, shape (n_samples, 1)
    y : np.ndarray, shape (n_samples, 1)
    """
    return _noisy_curve(lambda x: slope * x + intercept, -1.0, 1.0, n_samples, noise, rng, dtype)


# ----------------------------------------------------------------------------- splitting
def _n_test(test_size: float | int, n: int) -> int:
    if isinstance(test_size, bool):
        raise TypeError(f"test_size must be a fraction in (0, 1) or a count; got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(f"test_size={n_test} rows must be between 1 and {n - 1} for {n} rows")
        return n_test
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"a fractional test_size must be in (0, 1); got {test_size!r}")
    n_test = math.ceil(test_size * n - 1e-9)  # tolerance: 0.07 * 100 is 7.000000000000001
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size} of {n} rows gives {n_test} test rows and {n - n_test} "
            "training rows; both must be at least 1"
        )
    return n_test


def _stratified_test_rows(y: np.ndarray, n_test: int, gen: np.random.Generator) -> np.ndarray:
    """Pick ``n_test`` rows so each class gets its share, rounded by largest remainder."""
    _, label = np.unique(y, return_inverse=True)  # (N,) class index of each row
    counts = np.bincount(label)  # (C,)
    share, remainder = divmod(counts * n_test, len(y))  # exact integer quota per class
    missing = n_test - share.sum()
    share[np.argsort(-remainder, kind="stable")[:missing]] += 1
    picked = [gen.permutation(np.flatnonzero(label == c))[:k] for c, k in enumerate(share.tolist())]
    return gen.permutation(np.concatenate(picked))


def train_test_split(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    test_size: float | int = 0.25,
    rng: RngLike = 0,
    stratify: bool | None = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows and split them into a training and a test part.

    Parameters
    ----------
    X : array_like, shape (N, ...)
        Inputs, one example per row (``(N, D)``, or e.g. images ``(N, 8, 8)``).
    y : array_like, shape (N,) or (N, K)
        Targets, one per row.
    test_size : float or int
        A fraction in (0, 1) -- the test part gets ``ceil(test_size * N)`` rows --
        or the number of test rows. Both parts must get at least one row.
    rng : int, np.random.Generator or None
        Seed or generator for the shuffle (default 0: reproducible).
    stratify : bool
        If True, ``y`` must hold class labels ``(N,)`` and every class gets the same
        share of test rows as of all rows (to within one row per class).

    Returns
    -------
    X_train : np.ndarray, shape (N - n_test, ...)
    X_test : np.ndarray, shape (n_test, ...)
    y_train : np.ndarray, shape (N - n_test, ...)
    y_test : np.ndarray, shape (n_test, ...)
        New arrays (the inputs are not modified), rows in shuffled order.

    Examples
    --------
    >>> X, y = make_moons(200)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    >>> X_train.shape, X_test.shape
    ((150, 2), (50, 2))
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y need one row per example; got shapes {X.shape} and {y.shape}")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}; they must have one row per example")
    n_test = _n_test(test_size, n)
    gen = as_rng(rng)
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"stratify=True needs class labels y of shape (N,); got {y.shape}")
        test = _stratified_test_rows(y, n_test, gen)  # (n_test,)
        is_train = np.ones(n, dtype=bool)
        is_train[test] = False
        train = gen.permutation(np.flatnonzero(is_train))  # (N - n_test,)
    else:
        order = gen.permutation(n)
        test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def digits_split(
    test_size: float = 0.25, val_size: float = 0.2, rng: int = 0, standardized: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The shipped digits split three ways, stratified: training, validation and test rows.

    ``test_size`` of all rows are held out for the final test; ``val_size`` of
    the rest for validation (watched during training). The same two calls of
    :func:`train_test_split` the capstone chapter writes out, seeded ``rng``
    and ``rng + 1``.

    With ``standardized=True`` every pixel is rescaled as chapter 5 teaches:
    :func:`standardize` fits the mean and standard deviation on the *training*
    rows only, and the validation and test rows are rescaled with those same
    statistics (they never contribute to them)::

        X_train, stats = standardize(X_train)
        X_val, _ = standardize(X_val, stats)
        X_test, _ = standardize(X_test, stats)

    Parameters
    ----------
    test_size, val_size : float
        Fractions of all rows, and of the remaining rows, held out.
    rng : int
        Seed of the test split; the validation split uses ``rng + 1``.
    standardized : bool
        ``False`` (default): raw pixels in [0, 1]. ``True``: standardized with
        the training rows' statistics, as above. The labels are the same either way.

    Returns
    -------
    X_train, X_val, X_test : ndarray of float64, shape (N_part, 64)
        Pixels in [0, 1], or standardized pixels (training rows: mean 0 and
        standard deviation 1 per pixel, 0 for a pixel constant there).
    y_train, y_val, y_test : ndarray of int64, shape (N_part,)
        With the defaults: 1077, 270 and 450 rows.
    """
    rng = _check_int(rng, "rng", 0, " (a seed; the validation split uses rng + 1)")
    if not isinstance(standardized, (bool, np.bool_)):
        raise TypeError(f"standardized must be True or False; got {standardized!r}")
    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size, rng=rng, stratify=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, val_size, rng=rng + 1, stratify=True
    )
    if standardized:
        X_train, stats = standardize(X_train)  # fitted on the training rows only
        X_val, _ = standardize(X_val, stats)
        X_test, _ = standardize(X_test, stats)
    return X_train, X_val, X_test, y_train, y_val, y_test


# ----------------------------------------------------------------------------- standardizing
class Standardization:
    """The per-feature statistics ``standardize`` fitted: ``X_s = (X - mean) / std``.

    Attributes
    ----------
    mean : ndarray, shape X.shape[1:] (``(D,)`` for ``(N, D)`` data)
        Mean of every feature over the rows it was fitted on.
    std : ndarray, same shape as ``mean``
        The divisor: the (biased, ``ddof=0``) standard deviation of every
        feature, or 1 for a feature that was constant, which then maps to 0.
    constant : ndarray of bool, same shape as ``mean``
        Which features were constant in the fitted rows.
    """

    __slots__ = ("mean", "std", "constant")

    def __init__(self, mean: np.ndarray, std: np.ndarray, constant: np.ndarray) -> None:
        self.mean, self.std, self.constant = mean, std, constant

    def __repr__(self) -> str:
        n = int(self.constant.sum())
        return f"Standardization(features={self.mean.shape}, constant={n})"


def standardize(
    X: npt.ArrayLike, stats: Standardization | None = None
) -> tuple[np.ndarray, Standardization]:
    """Rescale every feature (column) to mean 0 and standard deviation 1.

    Fit on the training rows, then apply the *same* statistics to the test rows
    (statistics taken from the test set would leak it into the model and
    shift it differently from what the network was trained on)::

        X_train_s, stats = standardize(X_train)       # fit and apply
        X_test_s, _ = standardize(X_test, stats)      # apply only

    Per feature ``j``: ``X_s[:, j] = (X[:, j] - mean[j]) / std[j]``, with the
    biased standard deviation (``ddof=0``, as in scikit-learn's
    ``StandardScaler``). A feature that is constant in the fitted rows (a
    corner pixel of the digits that is always 0) gets ``std = 1``, so it maps
    to 0 instead of dividing by zero.

    Parameters
    ----------
    X : array_like, shape (N, D) (or (N, ...): statistics over the rows, axis 0)
        Not modified.
    stats : Standardization, optional
        Statistics from an earlier call (on the training rows). ``None``: fit
        them on ``X``.

    Returns
    -------
    X_s : ndarray, same shape as ``X``
        float32 when ``X`` is float32, otherwise float64.
    stats : Standardization
        The statistics used (``stats`` itself when given).

    Examples
    --------
    >>> X_train = np.array([[0.0, 5.0], [2.0, 5.0]])
    >>> X_train_s, stats = standardize(X_train)
    >>> X_train_s
    array([[-1.,  0.],
           [ 1.,  0.]])
    >>> standardize(np.array([[4.0, 6.0]]), stats)[0]
    array([[3., 1.]])
    """
    X = np.asarray(X)
    if X.ndim < 2:
        hint = " (one feature? use X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"standardize expects X of shape (N, D); got shape {X.shape}{hint}")
    dtype = np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)
    X = X.astype(dtype, copy=False)
    if stats is None:
        if len(X) == 0:
            raise ValueError("standardize got no rows to fit the statistics on (X has 0 rows)")
        constant = np.all(X == X[0], axis=0)  # exactly constant: no rounding threshold
        mean = np.where(constant, X[0], X.mean(axis=0))  # constant columns map to exactly 0
        std = np.where(constant, 1.0, X.std(axis=0)).astype(dtype)
        stats = Standardization(mean, std, constant)
    elif not isinstance(stats, Standardization):
        raise TypeError(
            "stats must be the Standardization returned by standardize(X_train); "
            f"got {type(stats).__name__}"
        )
    if X.shape[1:] != stats.mean.shape:
        raise ValueError(
            f"standardize got X of shape {X.shape}, but the statistics were fitted on rows of "
            f"shape {stats.mean.shape}; expected (N, {', '.join(map(str, stats.mean.shape))})"
        )
    mean = stats.mean.astype(dtype, copy=False)
    std = stats.std.astype(dtype, copy=False)
    return (X - mean) / std, stats
