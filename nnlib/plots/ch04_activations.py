"""Figures of chapter 4 (activation functions), and the small computations behind them.

The chapter asks what the function between two layers is for, and which one
to pick. Its computations are small enough to live next to the figures:

* :func:`activation_curves` and :func:`vanishing_mask` give ``f(z)``,
  ``f'(z)`` and the zone where ``|f'(z)|`` is below a threshold (the gradient
  "vanishes" there), using the pure functions of ``nnlib.activations``;
* :func:`collapse_linear` multiplies the layers of a network without
  non-linearity into one ``Linear`` map, ``W = W1 @ W2 @ ... @ WL``;
* :func:`count_dead_units` and :class:`DeadUnitCounter` count hidden units
  that are off (pre-activation ``z <= 0``) for every training example, once per
  epoch of ``nnlib.fit``;
* :func:`make_mlp` builds the small networks the chapter trains.

The ``*_figure`` functions return a matplotlib ``Figure``. Arrays are
batch-first: ``X`` is ``(N, D)``, one example a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..activations import Activation, Identity, Softmax, get
from ..diagnostics import layer_outputs, snapshot
from ..layers import Linear, Sequential
from ..module import Module
from ..training import Callback, accuracy, predict
from ._style import PALETTE, new_figure
from .common import plot_decision_boundary

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
    "make_mlp",
    "activation_grid_figure",
    "gradient_decay_figure",
    "decision_panels_figure",
    "dead_units_figure",
    "softmax_scaling_figure",
]

#: The elementwise activations of ``nnlib.activations``, in the order the chapter meets them.
ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")
#: Readable names for titles and legends.
DISPLAY_NAMES = {
    "identity": "identity (no activation)",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU (slope 0.01)",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU (Swish)",
}
#: Colour of the zone where the derivative is (almost) zero.
VANISH_COLOR = "0.55"
_FUNC_COLOR = PALETTE["blue"]
_GRAD_COLOR = PALETTE["vermillion"]


# ============================================================================ curves
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


# ============================================================================ networks
def make_mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int,
    activation: str = "relu",
    rng: int | np.random.Generator | None = 0,
    init: str = "xavier_uniform",
) -> Sequential:
    """A multilayer perceptron ``Linear, act, Linear, act, ..., Linear`` (no activation at the end).

    Parameters
    ----------
    n_in, n_out : int
        Input features and outputs (logits).
    hidden : sequence of int
        Width of each hidden layer (empty: a single ``Linear``).
    activation : str
        Name for ``nnlib.activations.get`` (``"identity"`` gives a deep *linear* net).
    rng : int or Generator
        Seeds the weights of every layer (one stream, so the net is reproducible).
    init : str
        Initializer of the hidden layers' weights; the output layer uses Xavier.

    Returns
    -------
    Sequential
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    layers: list[Module] = []
    width = n_in
    for h in hidden:
        layers += [Linear(width, h, init=init, rng=gen), get(activation)]
        width = h
    layers.append(Linear(width, n_out, rng=gen))
    return Sequential(*layers)


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


# ============================================================================ figures
def _label(name: str) -> str:
    return DISPLAY_NAMES.get(name, name)


def _shade(ax, z: np.ndarray, mask: np.ndarray, label: str | None = None):
    """Grey band over the full height of ``ax`` where ``mask`` is True."""
    return ax.fill_between(
        z, 0, 1, where=mask, transform=ax.get_xaxis_transform(), color=VANISH_COLOR,
        alpha=0.3, linewidth=0, label=label, step="mid",
    )  # fmt: skip


def activation_grid_figure(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    z_range: tuple[float, float] = (-6.0, 6.0),
    threshold: float = 0.01,
    ncols: int = 2,
    n_points: int = 1201,
    title: str | None = None,
) -> Figure:
    """One panel per activation: f(z) solid, f'(z) dashed, grey where ``|f'(z)| < threshold``.

    Parameters
    ----------
    names : sequence of str
        Activations from :data:`ACTIVATION_NAMES`.
    z_range : (float, float)
        The pre-activation values shown.
    threshold : float
        Derivatives smaller than this (in absolute value) are shaded.
    ncols : int
        Panels per row.
    n_points : int
        Grid size along ``z``.
    title : str, optional
        Figure title (a default explains the colours).

    Returns
    -------
    Figure
        Each panel's title names the activation and where its gradient vanishes.
    """
    names = list(names)
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6 * ncols, height=2.9 * nrows + 0.5, squeeze=False)
    z = np.linspace(*z_range, n_points)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(names):
            ax.set_visible(False)
            continue
        name = names[k]
        f, df = activation_curves(name, z)
        mask = vanishing_mask(df, threshold)
        where = describe_intervals(vanishing_intervals(z, mask), *z_range)
        _shade(ax, z, mask, label=f"|f'(z)| < {threshold:g}")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.plot(z, f, color=_FUNC_COLOR, lw=2.2, label="f(z)")
        ax.plot(z, df, color=_GRAD_COLOR, lw=2.0, ls="--", label="f'(z)")
        ax.set_xlim(*z_range)
        ax.set_title(f"{_label(name)}\nvanishing: {where}", fontsize=10)
        ax.set_xlabel("pre-activation z")
        ax.set_ylabel("f(z) and f'(z)")
        if k == 0:
            ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.suptitle(
        title
        or f"Activations (solid), derivatives (dashed); grey: |f'(z)| < {threshold:g}, "
        "almost no gradient passes",
        fontsize=11,
    )
    return fig


def gradient_decay_figure(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    z_max: float = 10.0,
    threshold: float = 0.01,
    floor: float = 1e-10,
) -> Figure:
    """``|f'(z)|`` on a logarithmic axis: how fast each derivative falls away from 0.

    Exact zeros (ReLU for ``z < 0``) cannot be drawn on a log axis; they are
    drawn at ``floor``, the bottom of the plot.

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=7.0, height=4.0)
    z = np.linspace(-z_max, z_max, 2001)
    colors = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "vermillion", "sky")]
    for k, name in enumerate(names):
        _, df = activation_curves(name, z)
        ax.plot(z, np.maximum(np.abs(df), floor), color=colors[k % len(colors)], lw=2.2,
                label=_label(name), ls=("-", "--", "-.", ":")[k % 4])  # fmt: skip
    ax.axhline(threshold, color="0.45", lw=0.9)
    ax.text(-z_max * 0.98, threshold * 0.25, f"threshold {threshold:g}", fontsize=8, color="0.3")
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 300)
    ax.set_xlim(-z_max, z_max)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("|f'(z)|  (log scale; 0 drawn at the bottom)")
    ax.set_title("How much of the gradient one activation lets through")
    ax.legend(loc="upper center", fontsize=8, ncol=4, framealpha=0.9)
    return fig


def _model_accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    out = predict(model, X) if isinstance(model, Module) else np.asarray(model(X))
    return accuracy(out, y, from_logits=True)


def decision_panels_figure(
    panels: Sequence[tuple[str, Any, np.ndarray, np.ndarray]],
    title: str | None = None,
    ncols: int | None = None,
    resolution: int = 120,
) -> Figure:
    """Decision regions of several classifiers side by side, each titled with its accuracy.

    Parameters
    ----------
    panels : sequence of (title, model, X, y)
        ``model`` maps ``(M, 2)`` points to logits: one column (binary) or
        ``C`` columns; ``X`` is ``(N, 2)``, ``y`` is ``(N,)`` int labels.
    title : str, optional
        Figure title.
    ncols : int, optional
        Panels per row (default: all in one row).
    resolution : int
        Grid points per axis of the shading.

    Returns
    -------
    Figure
    """
    n = len(panels)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows, ncols, width=3.7 * ncols, height=3.5 * nrows + 0.3, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        name, model, X, y = panels[k]
        acc = _model_accuracy(model, X, y)
        plot_decision_boundary(
            model, X, y, from_logits=True, resolution=resolution, ax=ax,
            title=f"{name}\ntraining accuracy {acc:.1%}",
        )  # fmt: skip
        ax.title.set_fontsize(10)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        if k == 0:
            ax.legend(loc="best", fontsize=8, framealpha=0.9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def dead_units_figure(
    counts: Mapping[str, ArrayLike],
    n_units: int,
    title: str = "Dead hidden units during training",
) -> Figure:
    """Number of dead hidden units after each epoch (epoch 0 = before training), one line per run.

    Parameters
    ----------
    counts : mapping of label -> array of shape (epochs + 1,)
        For example ``{"ReLU": counter.counts[:, 0], ...}``.
    n_units : int
        Units in the layer (the top of the y axis).

    Returns
    -------
    Figure
    """
    fig, ax = new_figure(width=6.4, height=3.8)
    colors = [PALETTE[k] for k in ("vermillion", "blue", "green", "orange", "purple")]
    for k, (label, values) in enumerate(counts.items()):
        v = np.asarray(values, dtype=float).ravel()
        ax.step(np.arange(len(v)), v, where="post", color=colors[k % len(colors)], lw=2.2,
                label=f"{label}: {v[0]:.0f} at the start, {v[-1]:.0f} at the end")  # fmt: skip
    ax.set_ylim(-0.5, n_units + 0.5)
    ax.axhline(n_units, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("epoch (0 = before training)")
    ax.set_ylabel(f"dead units (of {n_units})")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    return fig


def softmax_scaling_figure(
    logits: ArrayLike = (2.0, 1.0, 0.1),
    temperatures: Sequence[float] = (0.5, 1.0, 2.0, 5.0),
    softmax_fn: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Figure:
    """Bars of ``softmax(z / T)`` for a few temperatures ``T``: small T sharpens, large T flattens.

    Parameters
    ----------
    logits : array_like, shape (C,)
    temperatures : sequence of float > 0
    softmax_fn : callable, optional
        Defaults to ``nnlib.activations.softmax``.

    Returns
    -------
    Figure
    """
    from ..activations import softmax

    softmax_fn = softmax_fn or softmax
    z = np.asarray(logits, dtype=float).ravel()
    C, n = len(z), len(temperatures)
    fig, ax = new_figure(width=6.4, height=3.8)
    width = 0.8 / n
    colors = [PALETTE[k] for k in ("sky", "blue", "orange", "vermillion", "green", "purple")]
    for k, T in enumerate(temperatures):
        p = softmax_fn(z / T)
        xs = np.arange(C) - 0.4 + width * (k + 0.5)
        ax.bar(xs, p, width=width * 0.95, color=colors[k % len(colors)],
               label=f"T = {T:g} (largest {p.max():.2f})")  # fmt: skip
    ax.axhline(1.0 / C, color="0.3", lw=1, ls=":", label=f"uniform 1/{C}")
    ax.set_xticks(np.arange(C), [f"class {k}\nz = {v:g}" for k, v in enumerate(z)])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class (with its logit z)")
    ax.set_ylabel("probability softmax(z / T)")
    ax.set_title("Softmax turns logits into probabilities; dividing by T rescales them")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig
