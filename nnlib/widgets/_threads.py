"""One BLAS thread for an app's computation (when threadpoolctl is installed).

The apps multiply small matrices (a batch of 256 rows by 64 x 64 weights).
Several BLAS threads only wait for each other on such sizes, and on a busy
machine (a shared JupyterHub node, two cores) that waiting can make one slider
update many times slower. Without threadpoolctl nothing changes.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["one_blas_thread"]

_CONTROLLER: Any = None


def one_blas_thread() -> contextlib.AbstractContextManager:
    """A context manager limiting NumPy's BLAS to one thread inside the ``with`` block."""
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController()
    if _CONTROLLER is False:
        return contextlib.nullcontext()
    return _CONTROLLER.limit(limits=1, user_api="blas")
