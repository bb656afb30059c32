"""The 8x8 handwritten digits bundled with nnlib (re-exported as ``nnlib.datasets.load_digits``).

The UCI "Optical Recognition of Handwritten Digits" test set, by E. Alpaydin
and C. Kaynak, licensed CC BY 4.0 (see ``nnlib/data/DIGITS_LICENSE.txt``),
stored in ``nnlib/data/digits.npz`` by ``scripts/convert_digits.py``. Rows are
examples: ``X`` is ``(1797, 64)``, one flattened 8x8 image a row.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import numpy.typing as npt

from nnlib._utils import check_float_dtype

__all__ = ["load_digits"]


def load_digits(
    scale: bool = True, dtype: npt.DTypeLike = np.float64, return_images: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: 1,797 images of the digits 0-9, about 180 of each.

    Each image is a 32x32 bitmap reduced to 8x8 by counting the "on" pixels in
    every 4x4 block, so pixels are integers 0..16. This is the test set of the UCI
    "Optical Recognition of Handwritten Digits" data (E. Alpaydin and C. Kaynak,
    CC BY 4.0), the same copy scikit-learn ships; it is read from the file
    ``nnlib/data/digits.npz`` inside the installed package (nothing is downloaded).

    Parameters
    ----------
    scale : bool
        If True (default), divide the pixels by 16 so they lie in [0, 1];
        if False, keep the counts 0..16 (as floats).
    dtype : floating dtype
        dtype of ``X``.
    return_images : bool
        If True, return ``X`` as images of shape (1797, 8, 8) instead of flat rows
        (``X.reshape(-1, 8, 8)`` of the default).

    Returns
    -------
    X : np.ndarray, shape (1797, 64), or (1797, 8, 8) with ``return_images=True``
        Row-major pixels: ``X[i].reshape(8, 8)`` is the image of example ``i``.
    y : np.ndarray of int64, shape (1797,)
        The digit shown, 0..9.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape, float(X.max())
    ((1797, 64), (1797,), 1.0)
    """
    dtype = check_float_dtype(dtype)
    path = resources.files("nnlib") / "data" / "digits.npz"
    with path.open("rb") as f, np.load(f, allow_pickle=False) as data:
        pixels, labels = data["X"], data["y"]  # uint8 (1797, 64), uint8 (1797,)
    X = pixels.astype(dtype)  # (1797, 64)
    if scale:
        X /= 16
    if return_images:
        X = X.reshape(-1, 8, 8)  # (1797, 8, 8)
    return X, labels.astype(np.int64)
