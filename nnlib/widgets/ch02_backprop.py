"""Chapter 2 app: step through the forward and the backward pass of a neuron's graph.

``BackpropStepperApp`` draws ``L = (sigmoid(w*x + b) - y)**2`` as a graph
(``nnlib.experiments.neuron_graph``). Step by step, the forward pass writes each
edge's value, then the backward pass writes each edge's gradient, from ``L``
back to the inputs; the line under the figure spells out the arithmetic of the
step. Sliders for ``w`` and ``x`` change the inputs: every value and gradient
follows, and the two lower panels show that ``dL/dw`` and ``dL/dx`` are the
slopes of the loss seen as a function of ``w`` and of ``x``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..experiments.backprop import format_value, neuron_graph
from ..plots import PALETTE, freeze_layout, new_figure
from ..plots.ch02_backprop import GraphArtists
from . import controls
from ._app import App, plain_text

__all__ = ["BackpropStepperApp"]


class BackpropStepperApp(App):
    """Forward values, then backward gradients, edge by edge on a one-neuron graph.

    Controls: ``step`` (0 = nothing computed; ``n_edges`` = forward pass done;
    ``2 * n_edges`` = every gradient known), Back/Next buttons moving it by one,
    and sliders for the weight ``w`` and the input ``x`` (bias ``b`` and target
    ``y`` stay fixed).
    """

    title = "Backpropagation, one edge at a time"
    b = -0.5
    y = 1.0
    grid = np.linspace(-3.0, 3.0, 121)

    def __init__(self, w: float = 0.8, x: float = 1.5) -> None:
        self.graph = neuron_graph()
        self.edges = self.graph.edges
        self._init = (w, x)
        super().__init__()

    # -- controls -------------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        w0, x0 = self._init
        n = 2 * len(self.edges)
        step = controls.IntSlider(value=0, min=0, max=n, description="step")
        back = widgets.Button(description="◀ Back", tooltip="one step back")
        nxt = widgets.Button(description="Next ▶", tooltip="one step forward")
        back.on_click(lambda _: setattr(step, "value", max(step.min, step.value - 1)))
        nxt.on_click(lambda _: setattr(step, "value", min(step.max, step.value + 1)))
        slider = dict(min=-3.0, max=3.0, step=0.05, readout_format=".2f")
        return {
            "back": back,
            "next": nxt,
            "step": step,
            "w": controls.FloatSlider(value=w0, description="weight w", **slider),
            "x": controls.FloatSlider(value=x0, description="input x", **slider),
        }

    def layout_controls(self) -> widgets.Widget:
        c = self.controls
        return widgets.VBox(
            [widgets.HBox([c["back"], c["next"], c["step"]]), widgets.HBox([c["w"], c["x"]])]
        )

    # -- figure ---------------------------------------------------------------
    def make_figure(self):
        fig, axes = new_figure(2, 2, width=10.5, height=6.0, height_ratios=[1.45, 1])
        gs = axes[0, 0].get_gridspec()
        axes[0, 0].remove()
        axes[0, 1].remove()
        ax_graph = fig.add_subplot(gs[0, :])
        self.artists = GraphArtists(ax_graph, self.graph, fontsize=9.5)
        self.ax_graph = ax_graph
        self.panels = {}
        for ax, var in ((axes[1, 0], "w"), (axes[1, 1], "x")):
            (curve,) = ax.plot([], [], color=PALETTE["black"], lw=1.5, label="L")
            (tangent,) = ax.plot([], [], color=PALETTE["vermillion"], lw=2.5, label="tangent")
            (point,) = ax.plot([], [], "o", color=PALETTE["blue"], ms=7)
            ax.set_xlim(self.grid[0], self.grid[-1])
            ax.set_ylim(-0.05, 1.05)
            ax.set_xlabel(f"{var} (the other inputs held fixed)")
            ax.set_ylabel("loss L")
            self.panels[var] = (ax, curve, tangent, point)
        # lay the figure out once with full titles, then freeze it: the constrained
        # layout would otherwise be solved again on every render (a third of its cost)
        for var, (ax, *_) in self.panels.items():
            ax.set_title(f"L as a function of {var}: slope ∂L/∂{var} not computed yet")
        ax_graph.set_title("L = (σ(w·x + b) − y)²: backward pass (chain rule, right to left)")
        freeze_layout(fig)
        return fig

    # -- numbers --------------------------------------------------------------
    def compute(self, step: int, w: float, x: float) -> dict[str, Any]:
        inputs = dict(x=float(x), w=float(w), b=self.b, y=self.y)
        p = self.graph.run(**inputs)
        n = len(self.edges)
        step = int(step)
        value_edges = self.edges[: min(step, n)]
        grad_edges = list(reversed(self.edges))[: max(0, step - n)]
        if step == 0:
            message = "Step 0: nothing computed yet. Press Next to start the forward pass."
        elif step <= n:
            edge = self.edges[step - 1]
            message = f"Forward {step}/{n}: {self.graph.forward_message(edge, p)}"
        else:
            edge = grad_edges[-1]
            message = f"Backward {step - n}/{n}: {self.graph.backward_message(edge, p)}"
        curves = {var: self.graph.forward(**{**inputs, var: self.grid})["L"] for var in ("w", "x")}
        return dict(
            step=step,
            inputs=inputs,
            graph_pass=p,
            value_edges=value_edges,
            grad_edges=grad_edges,
            message=message,
            curves=curves,
        )

    def draw(self, result: dict[str, Any]) -> None:
        p = result["graph_pass"]
        self.artists.show(
            p, values=result["value_edges"], grads=result["grad_edges"], bold_last=True
        )
        phase = (
            "forward pass"
            if result["step"] <= len(self.edges)
            else "backward pass (chain rule, right to left)"
        )
        self.ax_graph.set_title(f"L = (σ(w·x + b) − y)²  with b = {self.b}, y = {self.y}: {phase}")
        for var, (ax, curve, tangent, point) in self.panels.items():
            v0, L0 = result["inputs"][var], p.values["L"]
            curve.set_data(self.grid, result["curves"][var])
            point.set_data([v0], [L0])
            known = (var, "u") in result["grad_edges"]
            if known:
                slope = p.grads[var]
                ts = np.array([v0 - 1.0, v0 + 1.0])
                tangent.set_data(ts, L0 + slope * (ts - v0))
                ax.set_title(f"L as a function of {var}: slope ∂L/∂{var} = {format_value(slope)}")
            else:
                tangent.set_data([], [])
                ax.set_title(f"L as a function of {var}: slope ∂L/∂{var} not computed yet")

    def describe_figure(self, result: dict[str, Any]) -> str:
        n = 2 * len(self.edges)
        phase = "forward pass" if result["step"] <= len(self.edges) else "backward pass"
        return (
            f"The computational graph of L = (σ(w·x + b) − y)² at step {result['step']} of {n} "
            f"({phase}), its edges labelled with the values and gradients found so far, and L "
            f"as a function of each input, with its tangent once the slope is known. "
            + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        return result["message"]

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        n = 2 * len(self.edges)
        return [
            {"step": 0, "w": 0.8, "x": 1.5},
            {"step": n // 2, "w": 0.3},
            {"step": n, "x": -1.0},
            {"step": n - 3, "w": -1.5, "x": 2.0},
        ]
