"""Figures of chapter 7's cures: normalization and residual connections in a deep network.

They draw what ``nnlib.experiments.cures`` computes (they never train): the
spread of every hidden layer's output and the gradient norm of every
``Linear`` layer, one line per variant of the deep network.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from ..experiments.cures import CureProfile
from ._style import PALETTE, new_figure
from .ch07_gradients import log_limits

__all__ = ["CURE_COLORS", "cure_profiles_figure"]

#: One colour per variant, in the order of ``experiments.CURES``.
CURE_COLORS = [PALETTE[k] for k in ("vermillion", "blue", "green", "purple", "orange", "black")]
_MARKERS = ["o", "s", "^", "D", "v", "x"]


def cure_profiles_figure(
    profiles: Mapping[str, CureProfile], title: str = "One batch through a deep sigmoid network"
) -> Figure:
    """Activation std per hidden layer (left) and ``||dL/dW||`` per layer (right, log scale).

    Parameters
    ----------
    profiles : mapping of str -> CureProfile
        Label -> the result of ``experiments.cure_profile`` (input side first).
    title : str
        Figure title (each panel has its own).

    Returns
    -------
    Figure
    """
    fig, (ax1, ax2) = new_figure(1, 2, width=11.0, height=4.0)
    everything = []
    for k, (label, p) in enumerate(profiles.items()):
        style = {"color": CURE_COLORS[k % len(CURE_COLORS)], "marker": _MARKERS[k % len(_MARKERS)],
                 "ms": 4, "lw": 1.8, "label": label}  # fmt: skip
        ax1.plot(np.arange(1, len(p.act_std) + 1), p.act_std, **style)
        ax2.plot(np.arange(1, len(p.grad_norms) + 1), p.grad_norms, **style)
        everything.append(np.asarray(p.grad_norms, dtype=float))
    ax1.set_ylim(bottom=0.0)
    ax1.set_xlabel("hidden layer (1 = next to the input)")
    ax1.set_ylabel("std of the layer's output")
    ax1.set_title("Activations, forward")
    ax2.set_yscale("log")
    if everything:
        ax2.set_ylim(*log_limits(np.concatenate(everything)))
    ax2.set_xlabel("Linear layer (1 = next to the input)")
    ax2.set_ylabel("||dL/dW||  (log scale)")
    ax2.set_title("Weight gradients, backward")
    ax2.legend(loc="lower right", fontsize=8, framealpha=0.9)
    fig.suptitle(title)
    return fig
