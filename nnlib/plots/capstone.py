"""Figures of chapter 10 (capstone): the digits classifier and its mistakes.

Every ``*_figure`` function returns a matplotlib ``Figure``; the numbers behind
them come from ``nnlib.experiments.playground`` (training runs), from what
``nnlib.fit`` returned, or from ``nnlib.metrics.confusion_matrix`` (counts of true and
predicted classes).
Image panels (a digit is an 8x8 picture) carry a title and no axes; every
other panel has a title and labeled axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._style import PALETTE, TEXT_COLORS, new_figure
from .common import loss_curve

__all__ = [
    "digits_samples_figure",
    "loss_accuracy_figure",
    "confusion_matrix_figure",
    "misclassified_figure",
]

_ERRORS_CMAP = LinearSegmentedColormap.from_list("nnlib_errors", ["#FFFFFF", PALETTE["vermillion"]])


def _images(X: np.ndarray) -> np.ndarray:
    """Rows of 64 pixels (or 8x8 images) -> images, shape (N, 8, 8)."""
    X = np.asarray(X, dtype=float)
    side = int(round(np.sqrt(X[0].size)))
    return X.reshape(len(X), side, side)


def _image_grid(n: int, ncols: int, width: float, row_height: float):
    nrows = max(1, -(-n // ncols))
    fig, axes = new_figure(nrows, ncols, width=width, height=row_height * nrows + 0.5)
    axes = np.atleast_1d(axes).reshape(-1)
    for ax in axes:
        ax.set_axis_off()
    return fig, axes


# ============================================================================ digits
def digits_samples_figure(X: np.ndarray, y: np.ndarray, per_class: int = 2) -> Figure:
    """The first ``per_class`` examples of each digit, as 8x8 grey images (dark = ink)."""
    y = np.asarray(y)
    images = _images(X)
    classes = np.unique(y)
    fig, axes = _image_grid(per_class * len(classes), len(classes), 9.0, 1.05)
    for row in range(per_class):
        for col, c in enumerate(classes):
            ax = axes[row * len(classes) + col]
            idx = np.flatnonzero(y == c)
            if row < len(idx):
                ax.imshow(images[idx[row]], cmap="gray_r", vmin=0, vmax=images.max())
                ax.set_title(f"label {c}", fontsize=9)
    fig.suptitle(f"Handwritten digits, 8×8 pixels: the first {per_class} examples of each class")
    return fig


def loss_accuracy_figure(history: Any, title: str = "Training the digits classifier") -> Figure:
    """Loss (left) and accuracy (right) per epoch, on the training and the validation data.

    The training numbers are averaged over each epoch's batches while the
    weights still change; the validation numbers are measured after the epoch.
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=10.0, height=3.8)
    loss_curve(ax1, history, keys=["loss", "val_loss"], logy=True, ylabel="cross-entropy loss")
    ax1.set_title("Loss (log scale)")
    loss_curve(ax2, history, keys=["accuracy", "val_accuracy"], ylabel="accuracy")
    ax2.set_title("Accuracy")
    ax2.set_ylim(top=1.005)
    fig.suptitle(title)
    return fig


def confusion_matrix_figure(cm: np.ndarray, title: str | None = None) -> Figure:
    """A confusion matrix: rows are the true classes, columns the predicted ones.

    Every count is written in its cell. The diagonal (correct answers) is
    outlined and uncoloured; the off-diagonal cells are shaded by their count,
    so the mistakes stand out.
    """
    cm = np.asarray(cm)
    C = len(cm)
    errors = cm.astype(float).copy()
    np.fill_diagonal(errors, 0.0)
    fig, ax = new_figure(width=5.6, height=5.0)
    ax.grid(False)
    image = ax.imshow(errors, cmap=_ERRORS_CMAP, vmin=0, vmax=max(1.0, errors.max()))
    for i in range(C):
        ax.add_patch(_cell(i, i))
        for j in range(C):
            if cm[i, j]:
                weight = "bold" if i == j else "normal"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9, weight=weight)
    ax.set_xticks(range(C))
    ax.set_yticks(range(C))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    correct = int(np.trace(cm))
    ax.set_title(title or f"Confusion matrix: {correct} of {int(cm.sum())} right on the diagonal")
    fig.colorbar(image, ax=ax, label="mistakes (off-diagonal count)", shrink=0.8)
    return fig


def _cell(i: int, j: int) -> Rectangle:
    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec=PALETTE["green"], lw=1.5)


def misclassified_figure(
    X: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, max_examples: int = 16
) -> Figure:
    """The misclassified examples (up to ``max_examples``), each titled true -> predicted."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    shown = wrong[:max_examples]
    images = _images(X)
    fig, axes = _image_grid(max(1, len(shown)), 8, 9.0, 1.25)
    for ax, i in zip(axes, shown, strict=False):
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max())
        ax.set_title(f"true {y_true[i]} → {y_pred[i]}", fontsize=9, color=TEXT_COLORS["vermillion"])
    if len(shown) == 0:
        axes[0].text(0.5, 0.5, "no mistakes", ha="center", va="center")
    more = f" (the first {len(shown)})" if len(wrong) > len(shown) else ""
    fig.suptitle(f"The {len(wrong)} misclassified test digits{more}: true label → prediction")
    return fig
