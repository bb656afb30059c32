"""Capstone app: a live neural-network playground (in the spirit of TensorFlow Playground).

:class:`PlaygroundApp` trains a small network on 2-D data *while you watch*:
**Play** starts training in the background (an ``asyncio`` task on the
kernel's own event loop, so the notebook stays usable), **Pause** stops it,
**Step** trains one epoch, **Reset** starts again from new random weights.
Each frame shows every unit's map laid out by layer, the weights on the
connections, the output's decision map with the training and test points,
the epoch counter, the two losses and their growing curves, and the gradient
norm of every layer.

Settings of two kinds (see ``nnlib.experiments.playground``):

* *live* -- learning rate, optimizer, L1/L2 penalty, dropout, batch size --
  act from the next epoch, and training goes on with the same weights;
* *restart* -- data set, noise, training share, input features, layers,
  width, activation, initializer -- build a new run at epoch 0, and say so.

**Copy as code** prints the ``nnlib`` script that reproduces the network and
the run so far, every live change at the epoch it happened.

The pictures are NumPy arrays encoded as PNG (``_playground_view``,
``_raster``): a frame costs a few milliseconds, not a matplotlib redraw. The
controls are the accessible ones of ``nnlib.widgets.controls``; each picture
has a text alternative (its ``alt``, refreshed on every event and every 2 s
while playing, not every frame), and a polite live region (``LiveStatus``)
announces the discrete events only (started, paused, restarted, diverged),
never the ticking counters.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..experiments.playground import (
    ACTIVATIONS,
    INITIALIZERS,
    OPTIMIZERS,
    REGULARIZERS,
    Playground,
)
from ..experiments.playground_code import playground_code
from ..experiments.playground_data import PLAYGROUND_DATASETS
from . import controls
from ._app import App
from ._playground_view import curve_picture, describe_network, network_picture
from ._raster import encode_png

__all__ = ["PlaygroundApp"]

#: Control name of each input-feature toggle -> feature name.
FEATURE_CONTROLS = {
    "x1": "x1", "x2": "x2", "x1_sq": "x1^2", "x2_sq": "x2^2", "x1_x2": "x1*x2",
    "sin_x1": "sin(x1)", "sin_x2": "sin(x2)",
}  # fmt: skip
FEATURE_LABELS = {
    "x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂",
    "sin(x1)": "sin x₁", "sin(x2)": "sin x₂",
}  # fmt: skip
#: Choices of the learning-rate slider (as in TensorFlow Playground).
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Choices of the penalty-strength slider.
STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Choices of the speed slider: epochs trained between two frames while playing.
SPEEDS = (1, 2, 5, 10, 25)
TRAIN_COLOR, TEST_COLOR = "#0072B2", "#D55E00"  # blue, vermillion (Okabe & Ito)
#: One colour per layer: Okabe & Ito's hues, darkened where needed so that every line and
#: swatch keeps a 3:1 contrast on white (the pictures) and on JupyterLab's dark theme.
LAYER_COLORS = ("#0072B2", "#9A6700", "#009E73", "#D55E00", "#CC79A7", "#666666", "#7B61C9")


def _label_toggle(toggle: widgets.ToggleButton, feature: str) -> None:
    """Say whether an input is on in the toggle's name, not by its shade alone (✓ x₁)."""
    on = toggle.value
    toggle.description = ("✓ " if on else "") + FEATURE_LABELS[feature]
    toggle.tooltip = (
        f"input {feature}: {'on' if on else 'off'}; press to switch it {'off' if on else 'on'}"
    )


def _swatch(color: str) -> str:
    """A short line of ``color`` before a legend entry (hidden from screen readers)."""
    return f"<span aria-hidden='true' style='color:{color}'>━━</span>"


def _num(x: float) -> str:
    return f"{x:.3f}" if np.isfinite(x) else "NaN"


class PlaygroundApp(App):
    """Train a small network on 2-D data continuously, changing its settings as it runs.

    Parameters
    ----------
    max_fps : float
        At most this many frames a second are sent to the browser while
        playing; each frame trains the "epochs per frame" of the speed slider.
    **settings
        Start values (keys of ``nnlib.experiments.playground.DEFAULTS``), e.g.
        ``PlaygroundApp(dataset="spirals", layers=4)``.

    Attributes
    ----------
    pg : Playground
        The engine: data, network, optimizer, history, live-change log.
    running : bool
        Whether the background task is training.
    frames : int
        Frames drawn so far (a benchmark and the browser test read it).
    """

    title = "Playground: watch a network learn, and change it as it runs"
    _playing: PlaygroundApp | None = None  # the app whose Play was pressed last

    def __init__(self, max_fps: float = 20.0, **settings: Any) -> None:
        self.pg = Playground(**settings)
        self.max_fps = float(max_fps)
        self.running = False
        self.frames = 0
        self._task: asyncio.Task | None = None
        self._layout = None  # the network picture's layout, kept while the architecture is
        self.message = ""
        self.loss_image = controls.FigureImage(layout=widgets.Layout(width="260px"))
        self.grad_image = controls.FigureImage(layout=widgets.Layout(width="260px"))
        self.counter = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.loss_caption = widgets.HTML()
        self.grad_caption = widgets.HTML()
        self.announce = controls.LiveStatus()  # the live region: discrete events only
        self.legend = widgets.HTML(
            "Left to right: the inputs, each hidden layer, the output. A tile shows what a unit "
            "computes over the input plane (blue negative, orange positive); a line is a weight "
            "(orange positive, blue negative, thicker when larger). Output: the probability of "
            "class 1 (orange), the decision boundary in black, training points ringed in white, "
            "test points ringed in black."
        )
        self.code_view = widgets.HTML(layout=widgets.Layout(max_height="30em", overflow="auto"))
        super().__init__()

    # -- controls ----------------------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        s = self.pg.settings
        style = {"description_width": "initial"}
        lazy = dict(continuous_update=False, style=style)
        drop = dict(style=style, layout=widgets.Layout(width="auto"))
        c: dict[str, widgets.Widget] = {
            "play": widgets.Button(description="Play", icon="play", tooltip="start training"),
            "step": widgets.Button(description="Step", icon="step-forward",
                                   tooltip="train one epoch"),
            "reset": widgets.Button(description="Reset", icon="refresh",
                                    tooltip="new random weights, back to epoch 0"),
            "code": widgets.Button(description="Copy as code", icon="code",
                                   tooltip="print the nnlib code of this network and run"),
            # live
            "lr": controls.SelectionSlider(options=list(LEARNING_RATES), value=s["lr"],
                                          description="learning rate", **lazy),
            "optimizer": controls.Dropdown(options=list(OPTIMIZERS), value=s["optimizer"],
                                          description="optimizer", **drop),
            "regularization": controls.Dropdown(options=list(REGULARIZERS),
                                               value=s["regularization"],
                                               description="penalty", **drop),
            "reg_strength": controls.SelectionSlider(options=list(STRENGTHS),
                                                    value=s["reg_strength"],
                                                    description="penalty strength", **lazy),
            "dropout": controls.SelectionSlider(options=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
                                               value=s["dropout"], description="dropout", **lazy),
            "speed": controls.SelectionSlider(options=list(SPEEDS), value=2,
                                             description="epochs per frame", **lazy),
            "batch_size": controls.IntSlider(value=s["batch_size"], min=1, max=100,
                                            description="batch size", **lazy),
            # restart
            "dataset": controls.Dropdown(options=list(PLAYGROUND_DATASETS), value=s["dataset"],
                                        description="data", **drop),
            "noise": controls.FloatSlider(value=s["noise"], min=0.0, max=0.5, step=0.05,
                                         description="noise", **lazy),
            "train_percent": controls.IntSlider(value=s["train_percent"], min=10, max=90,
                                               step=10, description="training data %", **lazy),
            "layers": controls.IntSlider(value=s["layers"], min=0, max=6,
                                        description="hidden layers", **lazy),
            "width": controls.IntSlider(value=s["width"], min=1, max=8,
                                       description="units per layer", **lazy),
            "activation": controls.Dropdown(options=list(ACTIVATIONS), value=s["activation"],
                                           description="activation", **drop),
            "init": controls.Dropdown(options=list(INITIALIZERS), value=s["init"],
                                     description="initializer", **drop),
        }  # fmt: skip
        for name, feature in FEATURE_CONTROLS.items():
            toggle = widgets.ToggleButton(
                value=feature in s["features"], layout=widgets.Layout(width="80px")
            )
            _label_toggle(toggle, feature)
            toggle.observe(lambda ch, f=feature: _label_toggle(ch["owner"], f), names="value")
            c[name] = toggle
        c["play"].on_click(lambda _b: self.toggle())
        c["step"].on_click(lambda _b: self.step())
        c["reset"].on_click(lambda _b: self.reset())
        c["code"].on_click(lambda _b: self.show_code())
        return c

    def layout_controls(self) -> widgets.Widget:
        c = self.controls

        def row(label: str, *names: str) -> widgets.HBox:
            head = widgets.HTML(f"<b>{label}</b>", layout=widgets.Layout(width="7em"))
            return widgets.HBox(
                [head, *(c[n] for n in names)], layout=widgets.Layout(flex_flow="row wrap")
            )

        return widgets.VBox(
            [
                widgets.HBox([c["play"], c["step"], c["reset"], c["code"]]),
                self.counter,
                row("restarts", "dataset", "noise", "train_percent", "layers", "width",
                    "activation", "init"),
                row("inputs", *FEATURE_CONTROLS),
                row("live", "lr", "optimizer", "regularization", "reg_strength", "dropout",
                    "batch_size", "speed"),
            ]
        )  # fmt: skip

    @property
    def widget(self) -> widgets.Widget:
        if not hasattr(self, "_widget"):
            header = widgets.HTML(f"<b>{self.title}</b>")
            side = widgets.VBox(
                [self.loss_caption, self.loss_image, self.grad_caption, self.grad_image]
            )
            self._widget = widgets.VBox(
                [header, self.layout_controls(), self.legend, self.image, side, self.status,
                 self.announce, self.code_view]
            )  # fmt: skip
        return self._widget

    def make_figure(self) -> None:
        return None  # frames are painted with NumPy, not matplotlib

    # -- settings: compute applies them, live or with a restart --------------------------
    def settings_from_controls(self, values: dict[str, Any]) -> dict[str, Any]:
        """The engine's settings from the controls' values (the toggles become ``features``)."""
        app_only = {"speed", *FEATURE_CONTROLS}  # the speed is the app's, not the engine's
        settings = {k: v for k, v in values.items() if k not in app_only}
        settings["features"] = tuple(f for n, f in FEATURE_CONTROLS.items() if values[n])
        return settings

    def compute(self, **values: Any) -> dict[str, Any]:
        """Apply the controls to the engine; returns its snapshot plus ``change``."""
        settings = self.settings_from_controls(values)
        before = dict(self.pg.settings)
        try:
            kind = self.pg.set(**settings)
        except ValueError as err:
            kind, self.message = "refused", f"Not applied: {err}"
        else:
            changed = [k for k in settings if before[k] != self.pg.settings[k]]
            self.message = self._change_message(kind, changed)
            if kind == "restart":
                names = ", ".join(self._label(k) for k in changed)
                self._announce(f"Restarted at epoch 0: {names} changed.")
        return {**self.pg.snapshot(), "change": kind}

    def _label(self, key: str) -> str:
        """A setting's name as the learner sees it (the control's label)."""
        return "input features" if key == "features" else self.controls[key].description

    def _change_message(self, kind: str, changed: list[str]) -> str:
        s = self.pg.settings
        if kind == "live":
            now = ", ".join(f"{self._label(k)} {s[k]}" for k in changed)
            return f"Live change at epoch {self.pg.epoch}: {now}; training goes on, weights kept."
        if kind == "restart":
            names = ", ".join(map(self._label, changed))
            return (
                f"Restarted at epoch 0: {names} cannot change under a trained network, "
                "so a new one was built (new data or new weights)."
            )
        return self.message

    # -- drawing ----------------------------------------------------------------------
    def draw(self, result: dict[str, Any] | None = None) -> None:
        """Paint a frame: the network, the loss curves, the gradient norms, the counters."""
        pg = self.pg
        picture, self._layout = network_picture(pg, self._layout)
        self.image.value = encode_png(picture)
        h = pg.history
        losses, (lo, hi) = curve_picture(
            [np.asarray(h["train_loss"]), np.asarray(h["test_loss"])], [TRAIN_COLOR, TEST_COLOR]
        )
        self.loss_image.value = encode_png(losses)
        self.loss_caption.value = (
            f"Loss per epoch, from {lo:.2g} to {hi:.2g}: "
            f"{_swatch(TRAIN_COLOR)} training, {_swatch(TEST_COLOR)} test"
        )
        n_layers = len(pg.linear_indices())
        norms = np.asarray(h["grad_norms"], dtype=float).reshape(-1, n_layers)  # (epochs, L)
        series = [norms[:, k] for k in range(norms.shape[1])]
        grads, _ = curve_picture(series, list(LAYER_COLORS[: len(series)]), log=True)
        self.grad_image.value = encode_png(grads)
        keys = " ".join(
            f"{_swatch(LAYER_COLORS[k])} {self._layer_name(k)}" for k in range(len(series))
        )
        self.grad_caption.value = f"Gradient norm of each layer's W (log scale): {keys}"
        self.counter.value = (
            f"<b>epoch {pg.epoch}</b> · training loss {_num(h['train_loss'][-1])} · "
            f"test loss {_num(h['test_loss'][-1])}"
        )
        self.frames += 1

    def _layer_name(self, k: int) -> str:
        return "output" if k == self.pg.settings["layers"] else f"layer {k + 1}"

    def describe(self, result: dict[str, Any]) -> str:
        """The status line: what happened last, and the network's size."""
        r = self.pg.snapshot()
        net = f"{r['n_parameters']} parameters, seed {r['seed']}"
        parts = [html.escape(self.message)] if self.message else []
        if r["diverged"]:
            parts.append(f"<b>Diverged: {html.escape(r['diverged'])}</b> Press Reset.")
        return " · ".join([*parts, net])

    def describe_figure(self, result: dict[str, Any]) -> str:
        """The network picture's text alternative: the layout and what the output predicts."""
        return describe_network(self.pg)

    def refresh_text(self) -> None:
        """The status line and the text alternatives of the pictures (not sent every frame)."""
        self.status.value = self.describe(self.result)
        self.image.alt = self.describe_figure(self.result)
        h = self.pg.history
        self.loss_image.alt = (
            f"Loss curves over {self.pg.epoch} epochs: training loss from "
            f"{_num(h['train_loss'][0])} to {_num(h['train_loss'][-1])}, test loss from "
            f"{_num(h['test_loss'][0])} to {_num(h['test_loss'][-1])}."
        )
        last = h["grad_norms"][-1] if h["grad_norms"] else []
        self.grad_image.alt = "Gradient norms per layer, latest: " + (
            ", ".join(f"{self._layer_name(k)} {g:.2g}" for k, g in enumerate(last))
            or "none yet (no epoch trained)"
        )

    def show(self, result: dict[str, Any]) -> dict[str, Any]:
        """Draw a frame for ``result`` (from ``compute``) and refresh the texts; returns it."""
        self.result = result
        self.draw(result)
        self.refresh_text()
        return result

    def _announce(self, text: str) -> None:
        """Say a discrete event in the live region (a polite screen-reader announcement)."""
        self.announce.value = text

    # -- running ------------------------------------------------------------------------
    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` epochs now and redraw (the Step button)."""
        self.pg.step(epochs)
        self.draw()
        self.refresh_text()
        if self.pg.diverged:
            self._announce("Training diverged; press Reset.")

    def reset(self) -> None:
        """New random weights (the next seed), back to epoch 0 (the Reset button)."""
        self.pg.set(seed=self.pg.settings["seed"] + 1)
        self.message = f"Reset: new weights from seed {self.pg.settings['seed']}, epoch 0."
        self.draw()
        self.refresh_text()
        self._announce("Restarted at epoch 0 with new weights.")

    def toggle(self) -> None:
        """Play when paused, pause when playing (the Play/Pause button)."""
        self.pause() if self.running else self.play()

    def play(self) -> asyncio.Task:
        """Start training in the background, on the running event loop (the kernel's)."""
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "PlaygroundApp.play() trains on a running event loop: press Play in a "
                    "notebook, or await it in async code; app.step(n) trains without one"
                ) from None
            playing = PlaygroundApp._playing
            if playing is not None and playing is not self and playing.running:
                playing.pause()  # one playground trains at a time (a re-run cell's old app)
            PlaygroundApp._playing = self
            self.running = True
            self._task = loop.create_task(self._run())
            self._set_play_button(True)
            self._announce("Started training.")
        return self._task

    def pause(self) -> None:
        """Stop the background training after the epoch in progress."""
        self.running = False
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._set_play_button(False)
        self.refresh_text()
        self._announce(f"Paused at epoch {self.pg.epoch}.")

    def _set_play_button(self, playing: bool) -> None:
        b = self.controls["play"]
        b.description, b.icon = ("Pause", "pause") if playing else ("Play", "play")
        b.tooltip = "pause training" if playing else "start training"

    async def _run(self) -> None:
        """The background loop: the epochs of one frame, the frame, a pause for the kernel.

        A frame is due every ``1 / max_fps`` seconds; the time left over is
        slept, which is when the kernel handles the widgets' messages (a slider
        moved, Pause pressed), so every change lands between two epochs.
        """
        last_text = 0.0
        try:
            while self.running and self.image.comm is not None:  # not closed
                start = time.perf_counter()
                self.pg.step(self.controls["speed"].value)
                self.draw()
                if start - last_text >= 2.0:  # texts for screen readers, every 2 s at most
                    self.refresh_text()
                    last_text = start
                if self.pg.diverged:
                    self.running = False
                    self._set_play_button(False)
                    self.refresh_text()
                    self._announce("Training diverged; press Reset.")
                    return
                spent = time.perf_counter() - start
                await asyncio.sleep(max(0.002, 1.0 / self.max_fps - spent))
            self.running = False  # the widgets were closed
        except asyncio.CancelledError:
            if self.image.comm is not None:
                self.draw()  # the frame of the epoch it stopped at
            raise

    # -- copy as code --------------------------------------------------------------------
    def code(self) -> str:
        """The nnlib script that reproduces the current network and run."""
        return playground_code(self.pg)

    def show_code(self) -> None:
        """Show the script under the app, ready to select and copy (the Copy as code button)."""
        self.code_view.value = (
            '<pre role="region" aria-label="nnlib code of this run" tabindex="0" '
            f'style="margin: 0.5em 0; user-select: text">{html.escape(self.code())}</pre>'
        )

    # -- benchmarks ----------------------------------------------------------------------
    def bench_settings(self) -> Iterable[dict[str, Any]]:
        return [
            {"lr": 0.01},
            {"optimizer": "Momentum"},
            {"dataset": "spirals", "layers": 3, "width": 8},
            {"dataset": "moons", "layers": 2, "width": 4},
        ]

    def bench_actions(self) -> dict[str, Any]:
        """What the benchmark times besides setting changes: one frame (an epoch + a redraw)."""
        return {"one frame: epoch + redraw": self.step}
