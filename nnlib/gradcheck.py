"""Gradient checking: compare analytic gradients with centered finite differences.

The numerical gradient of a scalar function ``f`` at ``x`` is, entry by entry::

    df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

It costs two evaluations of ``f`` per entry, which is why training uses
backpropagation and we use this only to *test* backpropagation.

The comparison is the relative error::

    rel_error(a, n) = max|a - n| / max(1e-8, max(|a| + |n|))

Rules of thumb in float64 with ``h = 1e-6``: below 1e-7 the gradient is right;
kinked functions (ReLU) reach about 1e-6 when no input sits near the kink;
whole models reach about 1e-5; anything above 1e-3 is almost surely a bug.
Run checks in float64: float32 rounding swamps the finite difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._utils import RngLike, as_rng
from .module import Module, named_parameters

__all__ = [
    "numerical_gradient",
    "rel_error",
    "check_layer",
    "check_loss",
    "check_model",
]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error between two arrays of the same shape.

    ``max|a - b| / max(1e-8, max(|a| + |b|))``: 0 when equal, about 1 when
    unrelated; the 1e-8 floor keeps two all-zero gradients from dividing by 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs equal shapes; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def _perturb_and_measure(f: Callable[[], float], arr: np.ndarray, h: float) -> np.ndarray:
    """Centered differences of ``f()`` with respect to ``arr``, changed in place and restored."""
    grad = np.zeros(arr.shape, dtype=np.float64)
    flat = arr.reshape(-1)  # a view: writing to it changes arr
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Centered finite-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray, any shape
        Point at which to differentiate. Not modified (``f`` sees a float64 copy).
    h : float
        Step size.

    Returns
    -------
    ndarray, same shape as ``x``, float64

    Examples
    --------
    >>> g = numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0]))
    >>> np.round(g, 6)
    array([ 2., -4.])
    """
    xc = np.array(x, dtype=np.float64)  # a copy: the caller's x is never touched
    return _perturb_and_measure(lambda: float(f(xc)), xc, h)


def check_layer(
    layer: Module,
    x: np.ndarray,
    dout: np.ndarray | None = None,
    rng: RngLike = None,
    h: float = 1e-6,
) -> dict[str, float]:
    """Check a layer's ``backward`` against finite differences.

    The scalar being differentiated is ``sum(layer.forward(x) * dout)`` with a
    random ``dout`` (never ones, which hides transposition bugs), so its
    gradient with respect to ``x`` is exactly what ``backward(dout)`` returns.
    The layer must be deterministic (put ``Dropout`` in eval mode first).

    Returns
    -------
    dict
        ``{"x": err, "W": err, ...}``: the relative error for the input and for
        every parameter of the layer, keyed as by ``named_parameters`` (a layer
        that wraps others, such as ``Residual``, gives ``"0.0.W"``, ...).
    """
    gen = as_rng(rng)
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x)
    if dout is None:
        dout = gen.standard_normal(out.shape)
    dout = np.asarray(dout, dtype=np.float64)
    dx = layer.backward(dout)
    params = named_parameters(layer)
    analytic = {"x": np.array(dx)}
    analytic.update({key: np.array(p.grad) for key, p in params})

    def f() -> float:
        return float(np.sum(layer.forward(x) * dout))

    errors = {"x": rel_error(analytic["x"], _perturb_and_measure(f, x, h))}
    for key, p in params:
        errors[key] = rel_error(analytic[key], _perturb_and_measure(f, p.data, h))
    return errors


def check_loss(loss, pred: np.ndarray, target: np.ndarray, h: float = 1e-6) -> dict[str, float]:
    """Check a loss's ``backward`` (gradient with respect to ``pred``).

    Returns ``{"pred": err}``.
    """
    pred = np.array(pred, dtype=np.float64)
    loss.forward(pred, target)
    analytic = np.array(loss.backward())
    numeric = _perturb_and_measure(lambda: float(loss.forward(pred, target)), pred, h)
    return {"pred": rel_error(analytic, numeric)}


def check_model(
    model: Module, loss, x: np.ndarray, y: np.ndarray, h: float = 1e-6
) -> dict[str, float]:
    """Check a whole model plus loss end to end.

    Returns ``{"x": err, "0.W": err, "0.b": err, "2.W": err, ...}``: the relative
    error of the input gradient and of every parameter, keyed by the layer's
    index in the model and the parameter's name (``named_parameters``' keys).
    """
    x = np.array(x, dtype=np.float64)
    loss.forward(model.forward(x), y)
    dx = model.backward(loss.backward())
    params = model.parameters()
    analytic = {"x": np.array(dx)}
    names = _parameter_names(model)
    for key, p in zip(names, params, strict=True):
        analytic[key] = np.array(p.grad)

    def f() -> float:
        return float(loss.forward(model.forward(x), y))

    errors = {"x": rel_error(analytic["x"], _perturb_and_measure(f, x, h))}
    for key, p in zip(names, params, strict=True):
        errors[key] = rel_error(analytic[key], _perturb_and_measure(f, p.data, h))
    return errors


def _parameter_names(model: Module) -> list[str]:
    """Readable keys for ``model.parameters()``: ``"<layer index>.<name>"``, nested as needed.

    ``named_parameters``' keys, so a parameter inside a residual block
    (``"1.0.0.W"``) does not collide with the first layer's ``"0.W"``.
    """
    return [key for key, _ in named_parameters(model)]
