"""Gradient clipping: cap the size of the gradients before an optimizer step.

The cure for exploding gradients that does not slow the rest of training
down: :func:`clip_grad_norm` rescales all gradients together so their joint
norm is at most ``max_norm`` (the direction of the step is kept);
:func:`clip_grad_value` clips every entry to ``[-clip_value, clip_value]``.
Both work IN PLACE on ``p.grad`` of the ``Parameter`` handles from
``model.parameters()``, between ``backward`` and ``optimizer.step()``::

    model.backward(loss_fn.backward())
    clip_grad_norm(model.parameters(), max_norm=1.0)
    optimizer.step()

They reproduce ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``
(without the trailing underscore), and are re-exported from ``nnlib.optim``.
:class:`GradientClipping` is the callback that does the same in every step of
``fit`` (``fit(..., clip_norm=1.0)`` builds one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .callbacks import Callback
from .module import Module, Parameter

__all__ = ["clip_grad_norm", "clip_grad_value", "GradientClipping"]


def _grads(parameters: Iterable[Parameter]) -> list[np.ndarray]:
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    return [g for g in (p.grad for p in parameters) if g is not None]


def clip_grad_norm(
    parameters: Iterable[Parameter],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the total norm treats every
    gradient as one long vector; when it exceeds ``max_norm`` each gradient is
    multiplied IN PLACE by ``max_norm / (total_norm + 1e-6)``. The direction of
    the update is kept, only its length is capped, which tames exploding
    gradients.

    Parameters
    ----------
    parameters : iterable of Parameter
        Gradients that are ``None`` are ignored.
    max_norm : float
    norm_type : float
        ``2.0`` (Euclidean), any ``p > 0``, or ``float("inf")`` (largest ``|g|``).
    error_if_nonfinite : bool
        Raise instead of scaling when the total norm is nan or inf.

    Returns
    -------
    float
        The total norm BEFORE clipping (worth logging: it shows when
        gradients explode).
    """
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 or inf; got {norm_type!r}")
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm: max_norm must be >= 0; got {max_norm!r}")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:  # summed in float64, so large float32 gradients cannot overflow
        flat = [g.ravel().astype(np.float64, copy=False) for g in grads]
        total = math.sqrt(sum(float(np.dot(f, f)) for f in flat))
    else:
        per_tensor = [
            float(np.sum(np.abs(g, dtype=np.float64) ** norm_type)) ** (1.0 / norm_type)
            for g in grads
        ]
        total = sum(n**norm_type for n in per_tensor) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise FloatingPointError(
            f"clip_grad_norm: the total gradient norm is {total}; refusing to clip"
        )
    clip_coef = max_norm / (total + 1e-6)
    if not clip_coef >= 1.0:  # also scales by nan when total is nan, as torch does
        for g in grads:
            g *= clip_coef
    return total


def clip_grad_value(parameters: Iterable[Parameter], clip_value: float) -> None:
    """Clip every gradient entry IN PLACE to ``[-clip_value, clip_value]``.

    As ``torch.nn.utils.clip_grad_value_``. Unlike ``clip_grad_norm`` this can
    change the direction of the update. Gradients that are ``None`` are ignored.
    """
    if clip_value < 0:
        raise ValueError(f"clip_grad_value: clip_value must be >= 0; got {clip_value!r}")
    c = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -c, c, out=g)


class GradientClipping(Callback):
    """Clip the gradients after every backward pass, before the optimizer's step.

    The callback ``fit(..., clip_norm=..., clip_value=...)`` builds: in its
    ``on_after_backward`` hook it calls :func:`clip_grad_value` (if
    ``clip_value`` is given), then :func:`clip_grad_norm` (if ``clip_norm`` is).

    Parameters
    ----------
    clip_norm : float, optional
        ``> 0``: the largest joint norm of all gradients.
    clip_value : float, optional
        ``> 0``: the largest ``|entry|`` of any gradient.

    Examples
    --------
    >>> fit(model, loss_fn, opt, X, y, callbacks=[GradientClipping(clip_norm=1.0)])
    """

    def __init__(self, clip_norm: float | None = None, clip_value: float | None = None) -> None:
        for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0; got {value!r}")
        if clip_norm is None and clip_value is None:
            raise ValueError("GradientClipping needs clip_norm or clip_value (or both)")
        self.clip_norm, self.clip_value = clip_norm, clip_value

    def on_after_backward(self, model: Module) -> None:
        params = model.parameters()
        if self.clip_value is not None:
            clip_grad_value(params, self.clip_value)
        if self.clip_norm is not None:
            clip_grad_norm(params, self.clip_norm)

    def __repr__(self) -> str:
        return f"GradientClipping(clip_norm={self.clip_norm}, clip_value={self.clip_value})"
