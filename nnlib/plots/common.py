"""Plotting helpers shared by several chapters: decision regions, class scatter, loss curves.

These draw *into* an ``Axes`` you pass (so a chapter can compose them into its
own figures and slider apps), except :func:`plot_decision_boundary`, which
builds a whole figure. All 2-D inputs follow the library's batch-first layout:
``X`` has shape ``(N, 2)``, one point per row; labels ``y`` are ``(N,)`` ints.

Typical use in a figure function::

    fig, ax = new_figure()
    xx, yy, p = decision_grid(lambda pts: sigmoid(pts @ w + b), X, resolution=100)
    show_grid(ax, xx, yy, p)                  # probability shading, returns an AxesImage
    scatter_classes(ax, X, y)                 # one PathCollection per class
    loss_curve(ax2, history)                  # training (and validation) loss per epoch

In a slider app, create the artists once with these helpers and update them
afterwards (``image.set_data(values)``, ``line.set_data(x, y)``,
:func:`update_scatter_classes`), which is much cheaper than drawing again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgb

from ..experiments.decision import decision_grid, to_probabilities
from ._style import CLASS_COLORS, PALETTE, new_figure

__all__ = [
    "binary_cmap",
    "show_grid",
    "scatter_classes",
    "update_scatter_classes",
    "loss_curve",
    "plot_decision_boundary",
]

_LOSS_LABELS = {
    "loss": "training loss",
    "val_loss": "validation loss",
    "accuracy": "training accuracy",
    "val_accuracy": "validation accuracy",
}
_LOSS_COLORS = [PALETTE[k] for k in ("blue", "vermillion", "green", "purple", "orange", "sky")]


def binary_cmap() -> LinearSegmentedColormap:
    """Colour map for P(class 1): class-0 colour at 0, white at 0.5, class-1 colour at 1."""
    return LinearSegmentedColormap.from_list(
        "nnlib_binary", [CLASS_COLORS[0], "#FFFFFF", CLASS_COLORS[1]]
    )


def _class_rgba(probs: np.ndarray, alpha: float) -> np.ndarray:
    """(R, R, C) class probabilities -> (R, R, 4) image: winning class colour, paler when unsure."""
    C = probs.shape[-1]
    colors = np.array([to_rgb(CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(C)])  # (C, 3)
    best = probs.argmax(axis=-1)  # (R, R)
    conf = (probs.max(axis=-1) - 1.0 / C) / (1.0 - 1.0 / C)  # (R, R), 0 = unsure, 1 = certain
    rgb = 1.0 - conf[..., None] * (1.0 - colors[best])  # blend white -> class colour
    return np.concatenate([rgb, np.full((*best.shape, 1), alpha)], axis=-1)


def show_grid(
    ax,
    xx: np.ndarray,
    yy: np.ndarray,
    values: np.ndarray,
    *,
    cmap: Any = None,
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    alpha: float = 0.6,
    **imshow_kw: Any,
):
    """Shade a grid of values (from :func:`decision_grid`) as an image under the data.

    Parameters
    ----------
    ax : matplotlib Axes
    xx, yy : ndarray, shape (R, R)
        Grid coordinates (they set the image's extent).
    values : ndarray, shape (R, R) or (R, R, C)
        One value per point, coloured with ``cmap`` between ``vmin`` and ``vmax``
        (default: :func:`binary_cmap` over [0, 1], i.e. P(class 1)); or ``C``
        class probabilities per point, shown as the winning class's colour,
        paler where the model is unsure.
    alpha : float
        Opacity of the shading, so the points drawn on top stay readable.

    Returns
    -------
    AxesImage
        Update it later with ``image.set_data(new_values)`` (same shape).
    """
    extent = (xx.min(), xx.max(), yy.min(), yy.max())
    kw = dict(origin="lower", extent=extent, aspect="auto", interpolation="bilinear", zorder=0)
    kw.update(imshow_kw)
    values = np.asarray(values)
    if values.ndim == 3:
        image = ax.imshow(_class_rgba(values, alpha), **kw)
    else:
        cmap = binary_cmap() if cmap is None else cmap
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha, **kw)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    return image


# -- points -----------------------------------------------------------------
def scatter_classes(
    ax,
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int | None = None,
    labels: Sequence[str] | None = None,
    s: float = 22.0,
    **scatter_kw: Any,
) -> list:
    """Scatter 2-D points coloured by class, one artist per class (so the legend names classes).

    Parameters
    ----------
    ax : matplotlib Axes
    X : ndarray, shape (N, 2)
    y : ndarray, shape (N,) or (N, 1)
        Integer labels ``0 .. C-1``.
    n_classes : int, optional
        ``C``; default ``max(y) + 1``. Pass it when a later update may bring a
        class that is absent now.
    labels : sequence of str, optional
        Legend names of the classes; default ``"class 0"``, ``"class 1"``, ...
    s : float
        Marker area.
    **scatter_kw
        Passed to ``ax.scatter`` (for example ``marker``, ``alpha``).

    Returns
    -------
    list of PathCollection, one per class (index = class label)
    """
    X = np.asarray(X)
    y = np.asarray(y).reshape(-1).astype(int)
    C = int(n_classes) if n_classes is not None else int(y.max()) + 1
    labels = list(labels) if labels is not None else [f"class {k}" for k in range(C)]
    kw = dict(s=s, edgecolors="white", linewidths=0.6, zorder=3)
    kw.update(scatter_kw)
    collections = []
    for k in range(C):
        pts = X[y == k]
        color = CLASS_COLORS[k % len(CLASS_COLORS)]
        collections.append(ax.scatter(pts[:, 0], pts[:, 1], color=color, label=labels[k], **kw))
    return collections


def update_scatter_classes(collections: Sequence, X: np.ndarray, y: np.ndarray) -> None:
    """Move the points of :func:`scatter_classes` artists to new data (same number of classes)."""
    X = np.asarray(X)
    y = np.asarray(y).reshape(-1).astype(int)
    for k, coll in enumerate(collections):
        coll.set_offsets(X[y == k, :2].reshape(-1, 2))


# -- curves -----------------------------------------------------------------
def _series(history_or_losses: Any, keys: Sequence[str] | None) -> list[tuple[str, np.ndarray]]:
    """``[(key, values)]`` from a History, a dict of lists, or a plain sequence of numbers."""
    store = getattr(history_or_losses, "history", history_or_losses)
    if isinstance(store, Mapping):
        if keys is None:
            keys = [k for k in ("loss", "val_loss") if len(store.get(k, ())) > 0]
        missing = [k for k in keys if k not in store]
        if missing:
            raise KeyError(f"loss_curve: {missing} not recorded; recorded: {sorted(store)}")
        return [(k, np.asarray(store[k], dtype=float)) for k in keys]
    values = np.asarray(history_or_losses, dtype=float).reshape(-1)
    return [("loss", values)]


def loss_curve(
    ax,
    history_or_losses: Any,
    *,
    keys: Sequence[str] | None = None,
    label: str | None = None,
    color: str | None = None,
    logy: bool = False,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    **plot_kw: Any,
) -> list:
    """Draw loss (or metric) curves, one value per epoch, numbered from 1.

    Parameters
    ----------
    ax : matplotlib Axes
    history_or_losses : History, dict of lists, or sequence of float
        What ``nnlib.fit`` returned, its ``.history`` dict, or plain losses.
    keys : sequence of str, optional
        Which entries of a History/dict to draw; default ``"loss"`` and, when
        recorded, ``"val_loss"``.
    label : str, optional
        Legend label of a single curve (default: a readable name of its key).
    color : str, optional
        Colour of a single curve (default: the palette, one colour per key).
    logy : bool
        Logarithmic loss axis (useful when the loss spans decades).
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    list of Line2D, one per curve (update live with ``line.set_data(x, y)``)
    """
    series = _series(history_or_losses, keys)
    lines = []
    for i, (key, values) in enumerate(series):
        name = label if (label is not None and len(series) == 1) else _LOSS_LABELS.get(key, key)
        c = color if (color is not None and len(series) == 1) else _LOSS_COLORS[i % 6]
        epochs = np.arange(1, len(values) + 1)
        (line,) = ax.plot(epochs, values, color=c, label=name, lw=2, **plot_kw)
        lines.append(line)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(lines) > 1 or label is not None:
        ax.legend(loc="best", frameon=False)
    return lines


# -- a whole figure ---------------------------------------------------------------
def _infer_from_logits(model: Any, values: np.ndarray) -> bool:
    from ..activations import Sigmoid, Softmax
    from ..module import Module

    if isinstance(model, Module):
        last = model.layers[-1] if getattr(model, "layers", None) else model
        return not isinstance(last, (Sigmoid, Softmax))
    return bool(values.min() < 0.0 or values.max() > 1.0)


def plot_decision_boundary(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    from_logits: bool | None = None,
    resolution: int = 150,
    margin: float = 0.5,
    title: str = "Decision regions of the model",
    ax=None,
):
    """A figure of a classifier's decision regions over 2-D data.

    Parameters
    ----------
    model : nnlib Module or callable
        Maps a batch ``(M, 2)`` to one score per point (binary) or ``C`` class
        scores ``(M, C)``.
    X : ndarray, shape (N, 2)
    y : ndarray, shape (N,)
        Integer labels.
    from_logits : bool, optional
        Whether the outputs are raw scores (then a sigmoid/softmax is applied).
        ``None`` infers it: a Module ending in ``Sigmoid``/``Softmax`` gives
        probabilities, any other Module logits; for a plain function, outputs
        all inside [0, 1] are read as probabilities.
    resolution, margin
        Of the grid (see :func:`grid_points`).
    title : str
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
        Shading = probability of the classes, black line = the decision boundary
        (probability 0.5 for two classes; where the winning class changes for more).
    """
    if ax is None:
        fig, ax = new_figure(width=5.2, height=4.4)
    else:
        fig = ax.figure
    xx, yy, values = decision_grid(model, X, resolution, margin)
    if from_logits is None:
        from_logits = _infer_from_logits(model, values)
    probs = to_probabilities(values, from_logits)
    show_grid(ax, xx, yy, probs)
    if probs.ndim == 2:
        ax.contour(xx, yy, probs, levels=[0.5], colors="black", linewidths=1.5)
    else:
        winner = probs.argmax(axis=-1)
        levels = np.arange(probs.shape[-1] - 1) + 0.5
        ax.contour(xx, yy, winner, levels=levels, colors="black", linewidths=1.0)
    n_classes = probs.shape[-1] if probs.ndim == 3 else 2
    scatter_classes(ax, X, y, n_classes=max(n_classes, int(np.max(y)) + 1))
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", frameon=True, fontsize=8)
    return fig
