"""Chapter 2 (backpropagation): the graph figure and the cost of a gradient.

``plot_computational_graph`` draws the neuron's graph (``nnlib.experiments.neuron_graph``)
with the value of every edge above it and its
gradient below; ``GraphArtists`` is the drawing itself, reused by the stepper
app. ``plot_gradient_cost`` draws what ``nnlib.experiments.measure_gradient_cost``
measured (one backpropagation against finite differences on every parameter).
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.patches import FancyArrowPatch

from ..experiments.backprop import ComputationGraph, Edge, GraphPass, format_value, neuron_graph
from ._style import PALETTE, TEXT_COLORS, new_figure

__all__ = [
    "GraphArtists",
    "plot_computational_graph",
    "plot_gradient_cost",
]


class GraphArtists:
    """The graph drawn on an axes, with a text per edge to fill in later.

    ``value_text[edge]`` sits above the edge (forward value, blue),
    ``grad_text[edge]`` below it (gradient, vermillion); ``show`` fills them.
    """

    END = (7.35, 0.0)  # where the output edge points

    def __init__(self, ax, graph: ComputationGraph, fontsize: float = 10) -> None:
        self.graph, self.ax = graph, ax
        self.value_text, self.grad_text = {}, {}
        for name in graph.order:
            node = graph.nodes[name]
            leaf = node.op is None
            ax.text(
                *node.pos,
                node.name if leaf else node.label,
                ha="center",
                va="center",
                fontsize=fontsize + 2,
                zorder=3,
                bbox=dict(
                    boxstyle="round,pad=0.45" if leaf else "circle,pad=0.35",
                    fc="#f2f2f2" if leaf else "white",
                    ec=PALETTE["black"],
                ),
            )
        ax.text(*self.END, "L", ha="left", va="center", fontsize=fontsize + 2, weight="bold")
        for edge in graph.edges:
            a, b = self._ends(edge)
            ax.add_patch(
                FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, shrinkA=17, shrinkB=17)
            )
            mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            kw = dict(fontsize=fontsize, zorder=4, textcoords="offset points")
            if a[0] == b[0]:  # a vertical edge: value on its left, gradient on its right
                up = dict(xytext=(-6, 0), ha="right", va="center")
                down = dict(xytext=(6, 0), ha="left", va="center")
            else:
                up = dict(xytext=(0, 5), ha="center", va="bottom")
                down = dict(xytext=(0, -5), ha="center", va="top")
            self.value_text[edge] = ax.annotate("", mid, color=TEXT_COLORS["blue"], **up, **kw)
            self.grad_text[edge] = ax.annotate(
                "", mid, color=TEXT_COLORS["vermillion"], **down, **kw
            )
        ax.set_xlim(-0.4, 7.7)
        ax.set_ylim(-1.35, 1.35)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(
            "forward pass: values (blue, above or left of an edge) flow towards L;  "
            "backward pass: gradients ∂L/∂· (vermillion, below or right) flow back"
        )
        ax.set_ylabel("inputs and operations")

    def _ends(self, edge: Edge) -> tuple[tuple[float, float], tuple[float, float]]:
        src, dst = edge
        start = self.graph.nodes[src].pos
        return start, (self.END if dst is None else self.graph.nodes[dst].pos)

    def show(
        self,
        p: GraphPass,
        values: Sequence[Edge] = (),
        grads: Sequence[Edge] = (),
        bold_last: bool = False,
    ) -> None:
        """Write the values of the edges in ``values`` and the gradients of those in ``grads``.

        With ``bold_last``, the text written last (the last edge of ``grads``,
        else of ``values``) is set in bold: the step just taken.
        """
        values, grads = list(values), list(grads)
        shown_v, shown_g = set(values), set(grads)
        for edge in self.graph.edges:
            src = edge[0]
            self.value_text[edge].set_text(
                f"{src} = {format_value(p.values[src])}" if edge in shown_v else ""
            )
            self.grad_text[edge].set_text(
                f"∂L/∂{src} = {format_value(p.edge_grads[edge])}" if edge in shown_g else ""
            )
            self.value_text[edge].set_fontweight("normal")
            self.grad_text[edge].set_fontweight("normal")
        if bold_last and (grads or values):
            last = self.grad_text[grads[-1]] if grads else self.value_text[values[-1]]
            last.set_fontweight("bold")


def plot_computational_graph(
    x: float = 1.5,
    w: float = 0.8,
    b: float = -0.5,
    y: float = 1.0,
    show: str = "both",
):
    """The neuron's graph with the forward value above every edge and its gradient below.

    Parameters
    ----------
    x, w, b, y : float
        Input, weight, bias and target.
    show : {"forward", "both"}
        Values only, or values and gradients.
    """
    if show not in ("forward", "both"):
        raise ValueError(f"show must be 'forward' or 'both'; got {show!r}")
    graph = neuron_graph()
    p = graph.run(x=x, w=w, b=b, y=y)
    fig, ax = new_figure(width=10.5, height=3.6)
    artists = GraphArtists(ax, graph)
    artists.show(p, values=graph.edges, grads=graph.edges if show == "both" else ())
    what = "forward pass" if show == "forward" else "forward values and backward gradients"
    ax.set_title(f"L = (σ(w·x + b) − y)²: {what}  (L = {format_value(p.values['L'])})")
    return fig


def plot_gradient_cost(rows: Sequence[dict]):
    """Time for the whole gradient against the number of parameters (log-log).

    ``rows`` come from ``measure_gradient_cost``.
    """
    P = [r["parameters"] for r in rows]
    fig, ax = new_figure(width=6.4, height=4.0)
    ax.loglog(
        P,
        [r["numerical_ms"] for r in rows],
        "o-",
        color=PALETTE["vermillion"],
        label="finite differences (2 forward passes per parameter)",
    )
    ax.loglog(
        P,
        [r["backprop_ms"] for r in rows],
        "s-",
        color=PALETTE["blue"],
        label="backpropagation (1 forward + 1 backward pass)",
    )
    ax.set_xlabel("number of parameters")
    ax.set_ylabel("time for the whole gradient (ms)")
    ax.set_title("Cost of one gradient: backprop vs finite differences")
    ax.legend(loc="upper left", fontsize=9)
    return fig
