"""What the activation function does: its curves, dead units, and depth without it.

* :func:`activation_curves` and :func:`vanishing_mask` give ``f(z)``,
  ``f'(z)`` and the zone where ``|f'(z)|`` is below a threshold (the gradient
  "vanishes" there), using the pure functions of ``nnlib.activations``;
* :func:`collapse_linear` multiplies the layers of a network without
  non-linearity into one ``Linear`` map, ``W = W1 @ W2 @ ... @ WL``;
* :func:`count_dead_units` and :class:`DeadUnitCounter` count hidden units
  that are off (pre-activation ``z <= 0``) for every training example, once per
  epoch of ``nnlib.fit``.

Arrays are batch-first: ``X`` is ``(N, D)``, one example a row. The figures
drawn from these results are in ``nnlib.plots.ch04_activations``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..activations import Activation, Identity, Softmax, get
from ..diagnostics import layer_outputs, snapshot
from ..layers import Linear, Sequential
from ..module import Module
from ..training import Callback

__all__ = [
    "ACTIVATION_NAMES",
    "activation_curves",
    "vanishing_mask",
    "vanishing_intervals",
    "describe_intervals",
    "collapse_linear",
    "dead_unit_masks",
    "count_dead_units",
    "DeadUnitCounter",
]


#: The elementwise activations of ``nnlib.activations``, in the order the chapter meets them.
ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")


def activation_curves(name: str, z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``f(z)`` and ``f'(z)`` of an elementwise activation, by name.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATION_NAMES` (any name ``nnlib.activations.get``
        accepts, except ``"softmax"``, which is not elementwise).
    z : array_like, any shape

    Returns
    -------
    f, df : ndarray, same shape as ``z``
        The layer's ``fn(z)`` and ``grad_fn(z)`` (so Leaky ReLU uses its
        default slope 0.01, ELU its ``alpha = 1``).
    """
    layer = get(name)
    if layer.grad_fn is None:
        raise ValueError(
            f"{name!r} is not elementwise (each output depends on a whole row); "
            f"choose one of {', '.join(ACTIVATION_NAMES)}"
        )
    z = np.asarray(z, dtype=float)
    return layer.fn(z), layer.grad_fn(z)


def vanishing_mask(grad: ArrayLike, threshold: float = 0.01) -> np.ndarray:
    """Where the derivative is too small to pass a useful gradient: ``|f'(z)| < threshold``.

    Backpropagation multiplies the gradient arriving at an activation by
    ``f'(z)``, so where ``|f'(z)| < 0.01`` less than 1% of it gets through.

    Returns
    -------
    ndarray of bool, same shape as ``grad``
    """
    return np.abs(np.asarray(grad, dtype=float)) < threshold


def vanishing_intervals(z: ArrayLike, mask: ArrayLike) -> list[tuple[float, float]]:
    """The runs of ``True`` in ``mask`` as ``(z_start, z_end)`` pairs (``z`` sorted, 1-D).

    Examples
    --------
    >>> vanishing_intervals([-2, -1, 0, 1, 2], [True, True, False, False, True])
    [(-2.0, -1.0), (2.0, 2.0)]
    """
    z = np.asarray(z, dtype=float).ravel()
    m = np.asarray(mask, dtype=bool).ravel()
    if z.shape != m.shape:
        raise ValueError(f"z has {z.size} points but mask has {m.size}")
    edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))  # +1 at a start, -1 after an end
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(float(z[s]), float(z[e])) for s, e in zip(starts, ends, strict=True)]


def describe_intervals(intervals: Sequence[tuple[float, float]], z_min: float, z_max: float) -> str:
    """The intervals in words: ``"z < -4.60 and z > 4.60"``, ``"z <= 0"``, ``"nowhere"``.

    An interval touching ``z_min`` (or ``z_max``) is written as a half-line, because
    the zone goes on beyond the plotted range.
    """
    parts = []
    span = z_max - z_min
    tol = 1e-9 * max(1.0, span)
    for lo, hi in intervals:
        left, right = lo <= z_min + tol, hi >= z_max - tol
        if left and right:
            parts.append("everywhere shown")
        elif left:
            parts.append("z <= 0" if abs(hi) < tol else f"z < {hi:.2f}")
        elif right:
            parts.append(f"z > {lo:.2f}")
        elif math.isclose(lo, hi, abs_tol=1e-3 * span):
            parts.append(f"z ≈ {lo:.2f}")
        else:
            parts.append(f"{lo:.2f} < z < {hi:.2f}")
    return " and ".join(parts) if parts else "nowhere"


def collapse_linear(model: Sequential) -> tuple[np.ndarray, np.ndarray]:
    """The single linear map a network without non-linearity computes.

    For layers ``h1 = x W1 + b1``, ``h2 = h1 W2 + b2``, ... (``Identity``
    between them does nothing) the output is ``x W + b`` with::

        W = W1 @ W2 @ ... @ WL                      (D, C)
        b = (...((b1 @ W2 + b2) @ W3 + b3)...) + bL  (C,)

    Parameters
    ----------
    model : Sequential
        Only ``Linear`` and ``Identity`` layers.

    Returns
    -------
    W : ndarray, shape (D, C)
    b : ndarray, shape (C,)

    Raises
    ------
    ValueError
        If the model has any other layer (then no single matrix exists).
    """
    W = b = None
    for i, layer in enumerate(model):
        if isinstance(layer, Identity):
            continue
        if not isinstance(layer, Linear):
            raise ValueError(
                f"layer {i} is {layer!r}: only Linear and Identity layers collapse into one matrix"
            )
        Wl = layer.params["W"]
        bl = layer.params.get("b", np.zeros(Wl.shape[1]))
        if W is None:
            W, b = Wl.copy(), bl.copy()
        else:
            W, b = W @ Wl, b @ Wl + bl  # (D, out), (out,)
    if W is None:
        raise ValueError("the model has no Linear layer")
    return W, b


def _hidden_activations(model: Module) -> list[int]:
    """Indices of the hidden activation layers (not Identity, not Softmax)."""
    layers = list(model.children())
    return [
        i
        for i, layer in enumerate(layers)
        if isinstance(layer, Activation) and not isinstance(layer, (Identity, Softmax))
    ]


def dead_unit_masks(model: Module, X: ArrayLike) -> list[np.ndarray]:
    """For each hidden activation layer, which units are off for *every* row of ``X``.

    A unit is off for an example when its pre-activation ``z <= 0``; a ReLU
    unit then outputs 0 and its derivative is 0, so if it is off for every
    training example no gradient ever reaches its incoming weights: it is
    *dead*. (A Leaky ReLU unit in the same state still passes 1% of the gradient.)

    Parameters
    ----------
    model : Sequential
    X : array, shape (N, D)

    Returns
    -------
    list of ndarray of bool, shape (H,) each, one per hidden activation layer
    """
    idx = _hidden_activations(model)
    if not idx:
        return []
    outs = layer_outputs(model, X)
    masks = []
    for i in idx:
        z = np.asarray(X) if i == 0 else outs[i - 1]  # (N, H) pre-activation
        masks.append(np.all(z <= 0, axis=0))
    return masks


def count_dead_units(model: Module, X: ArrayLike) -> list[int]:
    """How many units of each hidden activation layer are off for every row of ``X``."""
    return [int(m.sum()) for m in dead_unit_masks(model, X)]


class DeadUnitCounter(Callback):
    """Callback for ``nnlib.fit``: count dead hidden units before training and after each epoch.

    Parameters
    ----------
    X : array, shape (N, D)
        The examples a unit must be off for (usually the training set).

    Attributes
    ----------
    counts : ndarray of int, shape (epochs + 1, n_hidden_layers)
        Row 0 is the count before the first update, row ``e`` after epoch ``e``.
    first_masks : list of ndarray of bool
        Which units were dead before training (one array per hidden layer).
    initial : dict of str -> ndarray
        The parameters before training, keyed like ``"0.W"`` (``diagnostics.snapshot``).

    Examples
    --------
    >>> counter = DeadUnitCounter(X)
    >>> fit(model, loss_fn, opt, X, y, epochs=100, callbacks=[counter])
    >>> counter.counts[:, 0]          # dead units of the first hidden layer, per epoch
    """

    def __init__(self, X: ArrayLike) -> None:
        self.X = np.asarray(X)
        self._rows: list[list[int]] = []
        self.first_masks: list[np.ndarray] = []
        self.initial: dict[str, np.ndarray] = {}
        self.model: Module | None = None

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self.initial = snapshot(model)
        self.first_masks = dead_unit_masks(model, self.X)
        self._rows = [[int(m.sum()) for m in self.first_masks]]

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self._rows.append(count_dead_units(self.model, self.X))

    @property
    def counts(self) -> np.ndarray:
        return np.array(self._rows, dtype=int).reshape(len(self._rows), -1)
