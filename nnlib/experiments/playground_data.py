"""The playground's data: 2-D two-class data sets, and the input features computed from them.

* :func:`playground_data` -- moons, circles, xor or spirals, split (stratified)
  into training and test points;
* :func:`feature_columns` -- the input features a network of the playground
  sees: ``x1``, ``x2``, ``x1^2``, ``x2^2``, ``x1*x2``, ``sin(x1)``, ``sin(x2)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..datasets import make_circles, make_moons, make_spirals, make_xor, train_test_split

__all__ = ["PLAYGROUND_DATASETS", "FEATURES", "playground_data", "feature_columns"]

#: The 2-D data sets (all with two classes).
PLAYGROUND_DATASETS = ("moons", "circles", "xor", "spirals")
#: Input features: name -> the NumPy expression in ``x1``, ``x2`` that computes it.
FEATURES: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1**2",
    "x2^2": "x2**2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)",
    "sin(x2)": "np.sin(x2)",
}
_FEATURE_FNS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1**2,
    "x2^2": lambda x1, x2: x2**2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def playground_data(
    name: str = "moons",
    noise: float = 0.2,
    n_samples: int = 200,
    test_size: float = 0.5,
    rng: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 2-D, two-class data set of the playground, split into training and test points.

    ``noise`` is the data set's own noise parameter: the std of the Gaussian
    noise on the coordinates for "moons" and "circles", the spread of each
    cluster for "xor", the std of the angle (radians) for "spirals". The moons
    are shifted so that they are centred at the origin. The two arms of
    ``make_spirals`` get one more full turn and are scaled to radius 2, so
    every set spans about [-2, 2] on each axis.

    Returns
    -------
    X_train : ndarray, shape (N - n_test, 2)
    X_test : ndarray, shape (n_test, 2)
        ``n_test = ceil(test_size * n_samples)``.
    y_train, y_test : ndarray of int64
        Labels 0 and 1; the split is stratified (each class keeps its share).
    """
    if name == "moons":
        X, y = make_moons(n_samples, noise=noise, rng=rng)
        X = X - np.array([0.5, 0.25])
    elif name == "circles":
        X, y = make_circles(n_samples, noise=noise, factor=0.5, rng=rng)
    elif name == "xor":
        X, y = make_xor(n_samples, noise=noise, rng=rng)
    elif name == "spirals":
        X, y = make_spirals(n_samples, n_classes=2, noise=noise, rng=rng)
        r = np.hypot(X[:, 0], X[:, 1])  # (N,) radius in [0, 1]
        t = np.arctan2(X[:, 1], X[:, 0]) + 2.0 * np.pi * r  # one more turn from centre to rim
        X = 2.0 * np.column_stack([r * np.cos(t), r * np.sin(t)])
    else:
        raise ValueError(f"unknown data set {name!r}; choose from {PLAYGROUND_DATASETS}")
    return train_test_split(X, y, test_size=test_size, rng=rng, stratify=True)


def feature_columns(X: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The chosen input features of 2-D points: ``X`` (N, 2) -> (N, F), in ``FEATURES`` order.

    Each column is the expression of ``FEATURES`` (``x1 * x2``, ``np.sin(x1)``, ...).
    """
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([_FEATURE_FNS[name](x1, x2) for name in FEATURES if name in names])
