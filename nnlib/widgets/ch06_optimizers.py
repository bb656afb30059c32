"""App of chapter 6: race the optimizers of ``nnlib.optim`` on a 2-D surface.

* :class:`OptimizerRaceApp` -- pick the optimizers (toggle buttons), a surface,
  the learning rate, the momentum and Adam's betas; every chosen optimizer
  starts from the same point and its path is drawn over the contour lines,
  next to its loss per step.

The optimizers are the real ``nnlib.optim`` classes, each moving a 2-element
parameter (see ``nnlib.experiments.optimizer_race.run_optimizer``); a few hundred
steps of six optimizers cost a few tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..experiments.optimizer_race import OPTIMIZERS, Run, run_optimizer
from ..experiments.surfaces import SURFACES
from ..plots import freeze_layout, new_figure
from ..plots.ch03_descent import clip_path
from ..plots.ch06_optimizers import GAP_FLOOR, OPTIMIZER_COLORS, draw_surface
from . import controls
from ._app import App, plain_text

__all__ = ["OptimizerRaceApp"]

#: Control name of each optimizer's toggle button.
TOGGLES = {name: f"show_{name.lower()}" for name in OPTIMIZERS}
_DEFAULT_ON = ("GD", "Momentum", "RMSprop", "Adam")


class OptimizerRaceApp(App):
    """Several optimizers from the same start on one surface: paths and loss per step."""

    title = "Optimizer race on a 2-D surface"

    def make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        made: dict[str, widgets.Widget] = {
            TOGGLES[name]: widgets.ToggleButton(
                value=name in _DEFAULT_ON,
                description=name,
                tooltip=f"show or hide {name}",
                layout=widgets.Layout(width="95px"),
            )
            for name in OPTIMIZERS
        }
        made["surface"] = controls.Dropdown(
            options=[(s.label, s.name) for s in SURFACES.values()],
            value="valley",
            description="surface",
        )
        made["lr"] = controls.FloatLogSlider(
            value=0.05,
            base=10,
            min=-4,
            max=0,
            step=0.05,
            description="learning rate",
            readout_format=".3g",
            continuous_update=False,
            style=style,
        )
        made["momentum"] = controls.FloatSlider(
            value=0.9,
            min=0.0,
            max=0.99,
            step=0.01,
            description="momentum μ",
            continuous_update=False,
            style=style,
        )
        made["beta1"] = controls.FloatSlider(
            value=0.9,
            min=0.0,
            max=0.99,
            step=0.01,
            description="Adam β₁",
            continuous_update=False,
            style=style,
        )
        made["beta2"] = controls.SelectionSlider(
            options=[0.9, 0.99, 0.999, 0.9999],
            value=0.999,
            description="Adam β₂",
            continuous_update=False,
            style=style,
        )
        made["steps"] = controls.IntSlider(
            value=150,
            min=25,
            max=400,
            step=25,
            description="steps",
            continuous_update=False,
            style=style,
        )
        return made

    def layout_controls(self) -> widgets.Widget:
        toggles = [self.controls[TOGGLES[name]] for name in OPTIMIZERS]
        rest = [c for key, c in self.controls.items() if key not in TOGGLES.values()]
        row = widgets.Layout(flex_flow="row wrap")
        return widgets.VBox([widgets.HBox(toggles, layout=row), widgets.HBox(rest, layout=row)])

    def make_figure(self):
        fig, (ax1, ax2) = new_figure(1, 2, width=11.5, height=4.4)
        self._surface_artists = {}
        for name, surface in SURFACES.items():
            artists = draw_surface(ax1, surface, resolution=120)
            for a in artists:
                a.set_visible(name == "valley")
            self._surface_artists[name] = artists
        self._paths, self._ends, self._curves, self._curve_ends = {}, {}, {}, {}
        for name in OPTIMIZERS:
            color = OPTIMIZER_COLORS[name]
            (self._paths[name],) = ax1.plot([], [], "-o", color=color, ms=2, lw=1.2, zorder=3)
            (self._ends[name],) = ax1.plot([], [], "X", color=color, ms=10, zorder=5)
            (self._curves[name],) = ax2.semilogy([], [], color=color, lw=1.5, label=name)
            (self._curve_ends[name],) = ax2.plot([], [], "X", color=color, ms=10)
        ax2.set_xlabel("step")
        ax2.set_ylabel("loss above the minimum (log scale)")
        ax2.set_ylim(GAP_FLOOR / 3, 1e3)
        ax2.set_title("Loss per step")
        ax1.set_title("placeholder of the right height")
        self._ax1, self._ax2 = ax1, ax2
        freeze_layout(fig)
        return fig

    def compute(
        self,
        surface: str,
        lr: float,
        momentum: float,
        beta1: float,
        beta2: float,
        steps: int,
        **shown: bool,
    ) -> dict[str, Any]:
        names = [n for n in OPTIMIZERS if shown.get(TOGGLES[n], False)]
        betas = (float(beta1), float(beta2))
        runs = {n: run_optimizer(surface, n, lr, int(steps), momentum, betas) for n in names}
        return {
            "surface": SURFACES[surface],
            "lr": float(lr),
            "momentum": float(momentum),
            "betas": betas,
            "steps": int(steps),
            "runs": runs,
        }

    def draw(self, result: dict[str, Any]) -> None:
        surface = result["surface"]
        for name, artists in self._surface_artists.items():
            for a in artists:
                a.set_visible(name == surface.name)
        ax1, ax2 = self._ax1, self._ax2
        ax1.set_xlim(*surface.xlim)
        ax1.set_ylim(*surface.ylim)
        ax1.set_title(f"{surface.label}: {surface.formula}", fontsize=10)
        lo = [surface.xlim[0], surface.ylim[0]]
        hi = [surface.xlim[1], surface.ylim[1]]
        top = float(surface.gap(surface(surface.start))) * 30
        runs: dict[str, Run] = result["runs"]
        for name in OPTIMIZERS:
            r = runs.get(name)
            if r is None:
                for line in (self._paths[name], self._ends[name]):
                    line.set_data([], [])
                for line in (self._curves[name], self._curve_ends[name]):
                    line.set_data([], [])
                self._curves[name].set_label(f"_{name}")  # leading _: not in the legend
                continue
            p = clip_path(r.path, lo, hi)
            self._paths[name].set_data(p[:, 0], p[:, 1])
            off = r.diverged or len(p) < len(r.path)
            self._ends[name].set_data(p[-1:, 0] if off else [], p[-1:, 1] if off else [])
            gap = np.clip(np.nan_to_num(surface.gap(r.loss), nan=top), GAP_FLOOR, top)
            self._curves[name].set_data(np.arange(len(gap)), gap)
            end = ([len(gap) - 1], gap[-1:]) if r.diverged else ([], [])
            self._curve_ends[name].set_data(*end)
            final = "diverged" if r.diverged else f"{r.loss[-1]:.2g}"
            self._curves[name].set_label(f"{name}: {final}")
        ax2.set_xlim(0, result["steps"])
        ax2.set_ylim(GAP_FLOOR / 3, top)
        if runs:
            ax2.legend(fontsize=8, loc="lower left", title="loss after the last step")
        elif ax2.get_legend() is not None:
            ax2.get_legend().remove()

    def describe_figure(self, result: dict[str, Any]) -> str:
        runs = result["runs"]
        if not runs:
            return f"The {result['surface'].label} surface (contours), with no optimizer shown."
        return (
            f"The paths of {', '.join(runs)} from the same start on the "
            f"{result['surface'].label} surface (contours), and each one's loss above the "
            f"minimum per step (log scale). " + plain_text(self.describe(result))
        )

    def describe(self, result: dict[str, Any]) -> str:
        runs = result["runs"]
        if not runs:
            return "No optimizer chosen: switch one on with the buttons above."
        b1, b2 = result["betas"]
        parts = []
        for name, r in runs.items():
            parts.append(
                f"<b>{name}</b> diverged" if r.diverged else f"<b>{name}</b> {r.loss[-1]:.3g}"
            )
        return (
            f"{result['surface'].label}, lr = {result['lr']:.3g}, loss after "
            f"{result['steps']} steps: "
            + " · ".join(parts)
            + f" &nbsp;(momentum μ = {result['momentum']:g}; Adam β = ({b1:g}, {b2:g}); "
            "RMSprop α = 0.99)"
        )

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        all_on = {key: True for key in TOGGLES.values()}
        return [
            {"surface": "valley", "lr": 0.05, "steps": 150},
            {**all_on, "surface": "rosenbrock", "lr": 0.002, "steps": 400},
            {**all_on, "surface": "saddle", "lr": 0.05, "steps": 400, "momentum": 0.5},
            {**all_on, "surface": "tilted valley", "lr": 0.3, "steps": 400, "beta2": 0.99},
        ]
