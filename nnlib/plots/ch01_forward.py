"""Figures of chapter 1: the forward pass and the loss.

* :func:`neuron_diagram` -- one neuron with its numbers: inputs, weights, sum, activation.
* :func:`network_diagram` -- a small network drawn layer by layer, with the shape of every array.
* :func:`predictions_vs_targets` -- a regression model's predictions against the targets.
* :func:`softmax_bars` -- class scores, their softmax probabilities and the cross-entropy.
* :func:`loss_vs_probability` -- MSE and cross-entropy as a prediction becomes confidently wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ..activations import get as get_activation
from ._style import CLASS_COLORS, PALETTE, TEXT_COLORS, new_figure

__all__ = [
    "neuron_diagram",
    "network_diagram",
    "predictions_vs_targets",
    "softmax_bars",
    "loss_vs_probability",
]


def _node(ax, xy, text, color, r=0.32, fontsize=10):
    ax.add_patch(Circle(xy, r, facecolor="white", edgecolor=color, lw=2, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, color="0.35", lw=1.4):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color, lw=lw)
    )


def neuron_diagram(x: Sequence[float], w: Sequence[float], b: float, activation: str = "sigmoid"):
    """One neuron computing ``a = f(w . x + b)``, drawn with its numbers, next to ``f``.

    Parameters
    ----------
    x : sequence of float, length D (2 or 3 read best)
        The inputs.
    w : sequence of float, length D
        The weights, one per input.
    b : float
        The bias.
    activation : str
        Name of the activation ``f`` (any name ``nnlib.activations.get`` knows).

    Returns
    -------
    Figure
        Left: the neuron, inputs times weights flowing into the sum node, then
        the activation. Right: the curve ``f(z)`` with the neuron's ``z`` and ``a`` marked.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.shape != w.shape or x.ndim != 1:
        raise ValueError(f"x and w must be 1-D of the same length; got {x.shape} and {w.shape}")
    fn = get_activation(activation).fn
    z = round(float(x @ w + b), 12)  # no "2.8e-17" when the terms cancel
    a = float(fn(np.array([z]))[0])

    fig, (ax, ax_f) = new_figure(1, 2, width=10.0, height=3.8, width_ratios=[1.7, 1])
    ax.set_axis_off()
    ax.set_aspect("equal")
    D = len(x)
    ys = np.linspace(1.6, -1.6, D) if D > 1 else np.array([0.0])
    sum_xy, act_xy, out_xy = (3.0, 0.0), (4.8, 0.0), (6.4, 0.0)
    for i in range(D):
        _node(ax, (0.0, ys[i]), f"$x_{i + 1}$\n{x[i]:.2g}", PALETTE["blue"])
        _arrow(ax, (0.33, ys[i]), (2.62, ys[i] * 0.12))
        mid = (1.0, ys[i] * 0.62 + (0.2 if ys[i] >= 0 else -0.45))
        ax.text(*mid, f"$w_{i + 1}$ = {w[i]:.2g}", fontsize=9, color=TEXT_COLORS["vermillion"])
    _node(ax, sum_xy, "$\\Sigma$", PALETTE["black"], r=0.38, fontsize=14)
    ax.text(3.0, -0.75, f"$b$ = {b:.2g}", ha="center", fontsize=9, color=TEXT_COLORS["vermillion"])
    ax.text(3.0, 0.62, f"$z$ = {z:.3g}", ha="center", fontsize=10)
    box = FancyBboxPatch(
        (act_xy[0] - 0.45, -0.32), 0.9, 0.64, boxstyle="round,pad=0.05",
        facecolor="white", edgecolor=PALETTE["green"], lw=2, zorder=3,
    )  # fmt: skip
    ax.add_patch(box)
    ax.text(*act_xy, activation, ha="center", va="center", fontsize=9, zorder=4)
    _arrow(ax, (3.4, 0.0), (act_xy[0] - 0.5, 0.0))
    _arrow(ax, (act_xy[0] + 0.5, 0.0), (out_xy[0] - 0.33, 0.0))
    _node(ax, out_xy, f"$a$\n{a:.3g}", PALETTE["orange"])
    terms = " + ".join(f"({w[i]:.2g})({x[i]:.2g})" for i in range(D))
    ax.text(3.2, -2.15, f"$z$ = {terms} + ({b:.2g}) = {z:.3g}", ha="center", fontsize=9)
    ax.set_xlim(-0.6, 7.0)
    ax.set_ylim(-2.45, 2.1)
    ax.set_title("One neuron: weighted sum, plus bias, then activation")

    zs = np.linspace(min(-6.0, z - 1.0), max(6.0, z + 1.0), 300)
    ax_f.plot(zs, fn(zs), color=PALETTE["green"], lw=2, label=f"{activation}(z)")
    ax_f.plot([z], [a], "o", color=PALETTE["orange"], ms=8, label=f"z = {z:.3g}, a = {a:.3g}")
    ax_f.axvline(z, color="0.5", lw=0.8, ls="--")
    ax_f.set_xlabel("pre-activation $z$")
    ax_f.set_ylabel("activation $a = f(z)$")
    ax_f.set_title(f"The activation: {activation}")
    ax_f.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def _layer_sizes(model_or_sizes) -> tuple[list[int], list[str]]:
    """Widths ``[D, H1, ..., C]`` and the activation name after each Linear."""
    if isinstance(model_or_sizes, Sequence) and all(
        isinstance(n, (int, np.integer)) for n in model_or_sizes
    ):
        sizes = [int(n) for n in model_or_sizes]
        return sizes, [""] * (len(sizes) - 1)
    from ..layers import Linear

    sizes: list[int] = []
    acts: list[str] = []
    for layer in model_or_sizes:
        if isinstance(layer, Linear):
            if not sizes:
                sizes.append(layer.in_features)
            sizes.append(layer.out_features)
            acts.append("")
        elif acts:
            acts[-1] = type(layer).__name__
    if not sizes:
        raise ValueError("network_diagram needs a model with at least one Linear layer")
    return sizes, acts


def network_diagram(model_or_sizes, batch: str | int = "N", max_nodes: int = 8):
    """A fully connected network drawn layer by layer, with every array's shape.

    Parameters
    ----------
    model_or_sizes : nnlib Sequential or sequence of int
        A model made of ``Linear`` layers (and activations), or the layer
        widths ``[D, H1, ..., C]``.
    batch : str or int
        What to call the batch size in the shapes (``"N"`` or a number).
    max_nodes : int
        Draw at most this many units per layer (wider layers show "...").

    Returns
    -------
    Figure
        Columns of units; under each column the shape of the array it holds,
        between columns the shape of the weight matrix that connects them.
    """
    sizes, acts = _layer_sizes(model_or_sizes)
    L = len(sizes)
    fig, ax = new_figure(width=max(5.5, 2.4 * L), height=4.6)
    ax.set_axis_off()
    xs = np.arange(L) * 2.4
    top = max(min(n, max_nodes) for n in sizes)
    positions = []
    for li, n in enumerate(sizes):
        shown = min(n, max_nodes)
        ys = (np.arange(shown) - (shown - 1) / 2) * 0.7
        positions.append(ys)
        color = (
            PALETTE["blue"] if li == 0 else PALETTE["orange"] if li == L - 1 else PALETTE["green"]
        )
        for y in ys:
            ax.add_patch(
                Circle((xs[li], y), 0.2, facecolor="white", edgecolor=color, lw=2, zorder=3)
            )
        if shown < n:
            ax.text(xs[li], ys[0] - 0.55, f"... ({n})", ha="center", va="top", fontsize=8)
    for li in range(L - 1):
        for y0 in positions[li]:
            for y1 in positions[li + 1]:
                ax.plot([xs[li] + 0.2, xs[li + 1] - 0.2], [y0, y1], color="0.75", lw=0.6, zorder=1)
    y_low = -(top - 1) / 2 * 0.7 - 0.75
    y_high = (top - 1) / 2 * 0.7 + 0.55
    ax.text(xs[0], y_low, f"input x\n({batch}, {sizes[0]})", ha="center", va="top", fontsize=9)
    for li in range(1, L):
        name = "output" if li == L - 1 else f"hidden $h_{li}$"
        act = f"\n{acts[li - 1]}" if acts[li - 1] else ""
        ax.text(
            xs[li], y_low, f"{name}\n({batch}, {sizes[li]}){act}", ha="center", va="top", fontsize=9
        )
        mid = (xs[li - 1] + xs[li]) / 2
        ax.text(
            mid, y_high, f"$W_{li}$ ({sizes[li - 1]}, {sizes[li]})\n$b_{li}$ ({sizes[li]},)",
            ha="center", va="bottom", fontsize=9, color=TEXT_COLORS["vermillion"],
        )  # fmt: skip
    ax.set_xlim(xs[0] - 1.0, xs[-1] + 1.0)
    ax.set_ylim(y_low - 1.1, y_high + 0.8)
    ax.set_title(f"A forward pass, left to right: {' → '.join(map(str, sizes))} units")
    return fig


def predictions_vs_targets(x: np.ndarray, y: np.ndarray, pred: np.ndarray, title: str = ""):
    """A 1-D regression model's predictions against the targets, with the errors drawn.

    Parameters
    ----------
    x : ndarray, shape (N, 1) or (N,)
        Inputs.
    y : ndarray, shape (N, 1) or (N,)
        Targets.
    pred : ndarray, shape (N, 1) or (N,)
        The model's predictions.
    title : str
        Extra words for the left panel's title (the MSE is always shown).

    Returns
    -------
    Figure
        Left: targets (points), predictions (line) and each error as a vertical
        segment. Right: prediction against target; a perfect model lies on the diagonal.
    """
    x, y, pred = (np.asarray(a, dtype=float).reshape(-1) for a in (x, y, pred))
    if not (len(x) == len(y) == len(pred)):
        raise ValueError(
            f"x, y, pred must have the same length; got {len(x)}, {len(y)}, {len(pred)}"
        )
    mse = float(np.mean((pred - y) ** 2))
    fig, (ax, ax2) = new_figure(1, 2, width=10.0, height=4.0)
    order = np.argsort(x)
    ax.vlines(x, y, pred, color=PALETTE["vermillion"], lw=1, alpha=0.8, label="error pred - y")
    ax.scatter(x, y, s=18, color=CLASS_COLORS[0], zorder=3, label="target y")
    ax.plot(x[order], pred[order], color=PALETTE["orange"], lw=2.5, label="prediction")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output")
    ax.set_title(f"{title + ': ' if title else ''}MSE = {mse:.3f}")
    ax.legend(loc="best", fontsize=8, frameon=False)
    lo, hi = min(y.min(), pred.min()), max(y.max(), pred.max())
    ax2.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1, label="perfect: pred = y")
    ax2.scatter(y, pred, s=18, color=PALETTE["orange"], edgecolors="white", linewidths=0.5)
    ax2.set_xlabel("target $y$")
    ax2.set_ylabel("prediction $\\hat y$")
    ax2.set_title("Prediction against target")
    ax2.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def softmax_bars(logits: Sequence[float], target: int, class_names: Sequence[str] | None = None):
    """Class scores (logits), their softmax probabilities, and the cross-entropy of the target.

    Parameters
    ----------
    logits : sequence of float, length C
        The network's raw output for one example.
    target : int
        The true class, ``0 .. C-1``.
    class_names : sequence of str, optional
        Names on the x axis (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    Figure
        Left: the logits. Right: softmax probabilities, the true class
        highlighted; the title gives the loss ``-log p[target]``.
    """
    z = np.asarray(logits, dtype=float)
    C = len(z)
    if not 0 <= int(target) < C:
        raise ValueError(f"target must be in 0..{C - 1}; got {target}")
    e = np.exp(z - z.max())
    p = e / e.sum()
    names = list(class_names) if class_names is not None else [str(k) for k in range(C)]
    colors = ["0.7"] * C
    colors[int(target)] = PALETTE["orange"]
    fig, (ax, ax2) = new_figure(1, 2, width=9.0, height=3.4)
    ax.bar(names, z, color=colors)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xlabel("class")
    ax.set_ylabel("score $z_k$ (logit)")
    ax.set_title("Raw scores from the last layer")
    ax2.bar(names, p, color=colors)
    for k in range(C):
        ax2.text(k, p[k] + 0.02, f"{p[k]:.2f}", ha="center", fontsize=8)
    ax2.set_ylim(0, 1.1)
    ax2.set_xlabel("class")
    ax2.set_ylabel("softmax probability $p_k$")
    loss = -np.log(p[int(target)])
    ax2.set_title(f"Softmax; true class {names[int(target)]}: loss = -log p = {loss:.3f}")
    return fig


def loss_vs_probability(target: int = 1, marks: Sequence[float] = (0.9, 0.5, 0.1, 0.01)):
    """How MSE and cross-entropy grade a predicted probability, for a true label ``target``.

    Parameters
    ----------
    target : 0 or 1
        The true label.
    marks : sequence of float
        Predicted probabilities (of class 1) to mark with dots on both curves.

    Returns
    -------
    Figure
        Left: the loss of one example against the predicted probability ``p`` of
        class 1: ``(p - y)^2`` and ``-[y log p + (1 - y) log(1 - p)]``.
        Right: how hard each loss pushes the score ``z`` (with ``p = sigmoid(z)``),
        the size of the slope ``|dL/dz|``: ``|p - y|`` for cross-entropy,
        ``|2 (p - y) p (1 - p)|`` for MSE.
    """
    if target not in (0, 1):
        raise ValueError(f"target must be 0 or 1; got {target}")
    p = np.linspace(1e-3, 1 - 1e-3, 999)
    mse = (p - target) ** 2
    ce = -np.log(p) if target == 1 else -np.log1p(-p)
    fig, (ax, ax2) = new_figure(1, 2, width=10.0, height=4.0)
    c_mse, c_ce = PALETTE["blue"], PALETTE["vermillion"]
    ax.plot(p, mse, color=c_mse, lw=2.5, label="MSE  $(p - y)^2$")
    ax.plot(p, ce, color=c_ce, lw=2.5, label="cross-entropy  $-\\log p_{true}$")
    m = np.asarray(marks, dtype=float)
    ce_m = -np.log(m) if target == 1 else -np.log1p(-m)
    ax.plot(m, (m - target) ** 2, "o", color=c_mse, ms=6)
    ax.plot(m, ce_m, "o", color=c_ce, ms=6)
    for pm, cm in zip(m, ce_m, strict=True):
        ax.annotate(f"{cm:.2f}", (pm, cm), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_ylim(0, 5.2)
    ax.set_xlabel("predicted probability of class 1, $p$")
    ax.set_ylabel("loss of one example")
    ax.set_title(f"True label y = {target}: how each loss grades $p$")
    ax.legend(loc="upper center", fontsize=9, frameon=False)

    z = np.linspace(-8, 8, 400)
    s = 1.0 / (1.0 + np.exp(-z))
    ax2.plot(z, np.abs(s - target), color=c_ce, lw=2.5, label="cross-entropy: $|p - y|$")
    ax2.plot(
        z, np.abs(2 * (s - target) * s * (1 - s)), color=c_mse, lw=2.5,
        label="MSE: $|2(p - y)\\,p(1 - p)|$",
    )  # fmt: skip
    wrong = z < 0 if target == 1 else z > 0
    ax2.fill_between(z, 0, 1.05, where=wrong, color="0.9", zorder=0, label="wrong side")
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel("score $z$ (prediction $p$ = sigmoid($z$))")
    ax2.set_ylabel("slope size $|dL/dz|$")
    ax2.set_title("How hard each loss pushes the score")
    ax2.legend(loc="upper center", fontsize=8, frameon=False)
    return fig
