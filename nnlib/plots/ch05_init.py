"""Figures of chapter 5 (weight initialization).

* :func:`unit_weights_figure` -- first-layer weight matrices as heat maps: after
  a symmetric start every column (hidden unit) is the same;
* :func:`init_profile_figure` -- activation spread and weight-gradient size per
  layer, log scale, one line per initialization: vanishing and exploding at a glance;
* :class:`HistogramColumns` and :func:`layer_histograms_figure` -- the classic
  picture: one histogram per layer side by side, activations in one panel and
  weight gradients in the other (the app of the chapter redraws the same artists);
* :func:`comparison_curves_figure` -- training loss per epoch of the comparison runs.

The numbers behind them come from ``nnlib.experiments.initialization``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter

from ..experiments.initialization import InitProfile, InitRun
from ._style import CMAP_DIVERGING, PALETTE, TEXT_COLORS, new_figure

__all__ = [
    "INIT_COLORS",
    "unit_weights_figure",
    "init_profile_figure",
    "HistogramColumns",
    "value_range",
    "draw_histogram_panels",
    "column_labels",
    "layer_histograms_figure",
    "comparison_curves_figure",
]

#: One colour per initialization of the chapter (the labels of COMPARISON_SCHEMES).
INIT_COLORS = {
    "zero": PALETTE["black"],
    "too small": PALETTE["sky"],
    "too large": PALETTE["vermillion"],
    "Xavier": PALETTE["orange"],
    "He": PALETTE["blue"],
}
_EXTRA_COLORS = [PALETTE[k] for k in ("green", "purple", "yellow", "black")]


def _color(label: str, i: int) -> str:
    return INIT_COLORS.get(label, _EXTRA_COLORS[i % len(_EXTRA_COLORS)])


def unit_weights_figure(
    weights: Mapping[str, np.ndarray],
    title: str = "First-layer weights: one column per hidden unit",
):
    """Heat maps of weight matrices ``W`` (in, out), one panel each, on a shared colour scale.

    Parameters
    ----------
    weights : mapping of label -> array, shape (in, out)
        Column ``j`` holds the incoming weights of hidden unit ``j``: identical
        columns are identical units.
    title : str

    Returns
    -------
    Figure
    """
    n = len(weights)
    fig, axes = new_figure(1, n, width=3.1 * n + 0.8, height=4.2, squeeze=False)
    vmax = max(float(np.abs(W).max()) for W in weights.values()) or 1.0
    image = None
    for ax, (label, W) in zip(axes[0], weights.items(), strict=True):
        image = ax.imshow(
            W, cmap=CMAP_DIVERGING, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest"
        )
        ax.grid(False)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("hidden unit (column of W)")
        ax.set_ylabel("input (row of W)")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label="weight value")
    fig.suptitle(title)
    return fig


def init_profile_figure(
    profiles: Mapping[str, InitProfile],
    title: str = "Inside a deep network at initialization",
):
    """Per-layer activation std and weight-gradient norm, log scale, one line per profile.

    Parameters
    ----------
    profiles : mapping of label -> InitProfile
        From :func:`nnlib.experiments.init_profile`; labels like those of
        ``COMPARISON_SCHEMES`` get the chapter's colours.
    title : str

    Returns
    -------
    Figure
        Left: std of each hidden layer's output. Right: ``||dL/dW||`` of the
        weights feeding each hidden layer. A flat line is a healthy network.
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=4.0)
    for i, (label, p) in enumerate(profiles.items()):
        layers = np.arange(1, len(p.act_std) + 1)
        style = dict(color=_color(label, i), marker="o", ms=4, lw=2, label=label)
        ax1.semilogy(layers, np.maximum(p.act_std, 1e-300), **style)
        ax2.semilogy(layers, np.maximum(p.grad_norm, 1e-300), **style)
        ax1.set_xticks(layers)
        ax2.set_xticks(layers)
    ax1.set_title("Activations: std of each layer's output")
    ax1.set_xlabel("hidden layer")
    ax1.set_ylabel("std (log scale)")
    ax2.set_title("Gradients: ||dL/dW|| of each layer")
    ax2.set_xlabel("hidden layer")
    ax2.set_ylabel("norm (log scale)")
    ax1.legend(fontsize=8, frameon=False)
    fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- the classic picture
def value_range(
    arrays: Sequence[np.ndarray], symmetric: bool = False, quantile: float = 1.0
) -> tuple[float, float]:
    """A common range for the histograms of several layers, ``(lo, hi)`` with ``lo <= 0 <= hi``.

    Parameters
    ----------
    arrays : sequence of arrays
        One per layer; non-finite values are ignored.
    symmetric : bool
        Make the range ``(-m, m)``.
    quantile : float
        Cover only this fraction of each layer's values (by size ``|a|``), so a
        few extreme values do not squash the rest; 1 covers everything.

    Returns
    -------
    (lo, hi) : floats; ``(-1, 1)`` when every value is 0 (or nothing is finite).
    """
    lo = hi = 0.0
    for a in arrays:
        finite = np.asarray(a)[np.isfinite(a)]
        if finite.size == 0:
            continue
        if quantile < 1.0:
            m = float(np.quantile(np.abs(finite), quantile))
            lo, hi = min(lo, max(float(finite.min()), -m)), max(hi, min(float(finite.max()), m))
        else:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    if symmetric:
        lo, hi = -max(-lo, hi), max(-lo, hi)
    if hi - lo <= 0:
        return -1.0, 1.0
    return lo, hi


class HistogramColumns:
    """One histogram per layer, drawn sideways in its own column of one Axes (a "violin" each).

    Layer ``l`` sits at ``x = l``; its histogram is mirrored around that line, the
    fullest bin ``2 * half_width`` wide. All layers share the value axis ``y``, so a
    layer whose values collapse to 0 shows as a thin spike, and one that blows up
    fills the whole height. Artists are created once; :meth:`update` moves them.

    Parameters
    ----------
    ax : matplotlib Axes
    max_layers : int
        Columns to prepare (more than ``max_layers`` arrays cannot be shown).
    color : str
    bins : int
    half_width : float
        Half the width of the fullest bin, in columns.
    """

    def __init__(
        self, ax, max_layers: int, color: str, bins: int = 41, half_width: float = 0.42
    ) -> None:
        self.ax, self.bins, self.half_width = ax, bins, half_width
        self.patches: list[Polygon] = []
        for _ in range(max_layers):
            patch = Polygon(
                np.zeros((4, 2)),
                closed=True,
                facecolor=color,
                edgecolor=color,
                alpha=0.75,
                lw=0.8,
                visible=False,
            )
            ax.add_patch(patch)
            self.patches.append(patch)
        ax.axhline(0.0, color="grey", lw=0.6, zorder=0)
        self.note = ax.text(
            0.5,
            0.5,
            "",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=TEXT_COLORS["grey"],
            fontsize=11,
        )
        # short tick labels ("2e-13", "0.05"), no offset text: the width stays predictable
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))

    def shapes(
        self, arrays: Sequence[np.ndarray], lo: float, hi: float, drop_zeros: bool = False
    ) -> list[np.ndarray | None]:
        """The outline of each layer's histogram, ``(2 * 2 * bins, 2)`` vertices (or None).

        ``drop_zeros`` leaves out exact zeros (the switched-off half of a ReLU
        layer, which would otherwise dwarf the rest); a layer with nothing left
        gets ``None``.
        """
        edges = np.linspace(lo, hi, self.bins + 1)  # (bins + 1,)
        all_ys = np.repeat(edges, 2)[1:-1]  # (2 * bins,) e0 e1 e1 e2 ... e_bins
        out: list[np.ndarray | None] = []
        for layer, a in enumerate(arrays, start=1):
            a = np.asarray(a).ravel()
            a = a[np.isfinite(a)]
            if drop_zeros:
                a = a[a != 0]
            if a.size == 0:
                out.append(None)
                continue
            counts, _ = np.histogram(a, bins=edges)  # values outside (lo, hi) are left out
            filled = np.flatnonzero(counts)
            if filled.size == 0:
                out.append(None)
                continue
            first, last = filled[0], filled[-1]  # draw only from the first to the last filled bin
            w = self.half_width * counts[first : last + 1] / counts.max()  # (k,)
            xs = np.repeat(w, 2)  # (2k,)
            ys = all_ys[2 * first : 2 * last + 2]  # (2k,)
            right = np.column_stack([layer + xs, ys])
            left = np.column_stack([layer - xs[::-1], ys[::-1]])
            out.append(np.concatenate([right, left]))
        return out

    def update(
        self, shapes: Sequence[np.ndarray | None], labels: Sequence[str], lo: float, hi: float
    ) -> None:
        """Show ``shapes`` (from :meth:`shapes`); ``labels`` go under the columns as tick labels."""
        n = len(shapes)
        for i, patch in enumerate(self.patches):
            if i < n and shapes[i] is not None:
                patch.set_xy(shapes[i])
                patch.set_visible(True)
            else:
                patch.set_visible(False)
        empty = n > 0 and all(shape is None for shape in shapes)
        self.note.set_text("every value is exactly 0" if empty else "")
        self.ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))
        self.ax.set_xlim(0.4, n + 0.6)
        self.ax.set_xticks(np.arange(1, n + 1), labels[:n])


#: x-axis label of the histogram panels: layer number over the std of its values.
COLUMN_XLABEL = "hidden layer (and the std of its values)"


def column_labels(stds: Sequence[str]) -> list[str]:
    """Tick labels of the histogram columns: ``"1\nstd 0.41"``, ``"2\n0.38"``, ..."""
    return [f"{i}\n{'std ' if i == 1 else ''}{s}" for i, s in enumerate(stds, start=1)]


def _std_label(a: np.ndarray) -> str:
    s = float(np.std(a)) if np.all(np.isfinite(a)) else float("nan")
    return f"{s:.2g}"


def layer_histograms_figure(
    profile: InitProfile,
    title: str = "Histograms of every layer at initialization",
):
    """The classic picture: activations (top) and weight gradients (bottom), one column per layer.

    Parameters
    ----------
    profile : InitProfile
        From :func:`nnlib.experiments.init_profile` (its ``activations`` and ``weight_grads``).
    title : str

    Returns
    -------
    Figure
        Each column is a sideways histogram of one hidden layer; all columns of a
        panel share the value axis. The std of each layer is written on top.
    """
    depth = len(profile.activations)
    fig, (ax1, ax2) = new_figure(2, 1, width=min(11.0, 3.0 + 0.8 * depth), height=6.0)
    draw_histogram_panels(ax1, ax2, profile, depth)
    fig.suptitle(title)
    return fig


def draw_histogram_panels(ax1, ax2, profile: InitProfile, max_layers: int):
    """Fill two Axes with :class:`HistogramColumns` of a profile; returns the two managers."""
    acts = HistogramColumns(ax1, max_layers, PALETTE["blue"])
    grads = HistogramColumns(ax2, max_layers, PALETTE["vermillion"])
    relu = profile.activation == "relu"
    lo, hi = value_range(profile.activations, quantile=0.995)
    acts.update(
        acts.shapes(profile.activations, lo, hi, drop_zeros=relu),
        column_labels([_std_label(a) for a in profile.activations]),
        lo,
        hi,
    )
    glo, ghi = value_range(profile.weight_grads, symmetric=True, quantile=0.95)
    grads.update(
        grads.shapes(profile.weight_grads, glo, ghi, drop_zeros=True),
        column_labels([_std_label(g) for g in profile.weight_grads]),
        glo,
        ghi,
    )
    zeros_note = "; exact zeros left out" if relu else ""
    ax1.set_title(f"Activations of each hidden layer ({profile.activation}{zeros_note})")
    ax1.set_xlabel(COLUMN_XLABEL)
    ax1.set_ylabel("activation value")
    ax2.set_title("Gradients dL/dW of each layer's weights (exact zeros left out)")
    ax2.set_xlabel(COLUMN_XLABEL)
    ax2.set_ylabel("gradient value")
    return acts, grads


def comparison_curves_figure(
    results: Mapping[str, Mapping[str, InitRun]],
    title: str = "Same network, same data, same seed: only the initialization differs",
):
    """Training loss per epoch of the chapter's comparison, one panel per activation.

    ``results[activation][label]`` is an ``InitRun`` (the chapter's loop over
    ``nnlib.fit`` builds them).

    A run that diverged ends with an ``x`` at its last finite loss.

    Returns
    -------
    Figure
    """
    acts = list(results)
    fig, axes = new_figure(
        1, len(acts), width=5.3 * len(acts), height=4.0, squeeze=False, sharey=True
    )
    for ax, act in zip(axes[0], acts, strict=True):
        for i, (label, run) in enumerate(results[act].items()):
            loss = np.asarray(run.history.loss, dtype=float)
            ok = np.isfinite(loss) & (loss < 1e6)
            epochs = np.arange(1, len(loss) + 1)
            color = _color(label, i)
            # zero init and "too small" can give the very same curve: draw zero wide underneath
            lw, alpha = (5, 0.45) if run.scheme == "zero" else (2, 1.0)
            if ok.any():
                ax.semilogy(
                    epochs[ok], loss[ok], "-o", ms=3, lw=lw, alpha=alpha, color=color, label=label
                )
            else:
                ax.plot([], [], "-o", color=color, label=f"{label} (diverged)")
            if run.diverged and ok.any():
                ax.plot(epochs[ok][-1:], loss[ok][-1:], "x", ms=10, mew=2, color=color)
        ax.axhline(np.log(10), color="grey", ls="--", lw=1)
        ax.text(1, np.log(10) * 1.08, "chance: ln 10", color=TEXT_COLORS["grey"], fontsize=8)
        ax.set_title(f"{act} network")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
        ax.legend(fontsize=8, frameon=False, loc="lower left")
    fig.suptitle(title)
    return fig
