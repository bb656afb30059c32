"""Small helpers shared by the core modules: randomness and dtypes (not public API)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

#: What every ``rng`` argument accepts: a generator (used as is), a seed, or None.
RngLike: TypeAlias = np.random.Generator | int | None


def as_rng(rng: RngLike) -> np.random.Generator:
    """Turn ``None``, an integer seed or a ``Generator`` into a ``Generator``.

    ``None`` gives a fresh, unpredictable generator; an integer gives a
    reproducible one; a ``Generator`` is returned unchanged (so the caller's
    stream advances).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator; got {type(rng).__name__}"
    )


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The floating dtype a computation on ``arrays`` should use.

    float32 only when every array is float32; float64 otherwise (integers and
    mixed inputs are promoted to float64).
    """
    if arrays and all(np.asarray(a).dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def check_float_dtype(dtype: npt.DTypeLike) -> np.dtype:
    """``np.dtype(dtype)``, or a ``ValueError`` when it is not a floating dtype."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be a floating dtype (np.float64 or np.float32); got {dt}")
    return dt
