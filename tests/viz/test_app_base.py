"""The App base class and the progress bar, driven without a browser."""

import base64
import re

import ipywidgets as widgets
import numpy as np
import pytest

import nnlib
from nnlib.plots import new_figure
from nnlib.widgets import App, ProgressBar


class _Line(App):
    title = "A line"

    def make_controls(self):
        return {
            "slope": widgets.FloatSlider(value=1.0, min=-2, max=2, description="slope"),
            "go": widgets.Button(description="go"),
        }

    def make_figure(self):
        fig, ax = new_figure()
        self.x = np.linspace(0, 1, 20)
        (self.line,) = ax.plot(self.x, self.x)
        ax.set(title="line", xlabel="x", ylabel="y")
        return fig

    def compute(self, slope):
        return {"y": slope * self.x}

    def draw(self, result):
        self.line.set_ydata(result["y"])

    def describe(self, result):
        return f"end value {result['y'][-1]:.2f}"


def test_app_renders_on_creation_and_on_every_change():
    app = _Line()
    first = app.image.value
    assert bytes(first).startswith(b"\x89PNG")
    app.controls["slope"].value = -1.0  # as a learner's drag would
    assert app.image.value != first
    assert app.status.value == "end value -1.00"


def test_set_updates_once_and_returns_the_result():
    app = _Line()
    result = app.set(slope=0.5)
    assert result["y"][-1] == pytest.approx(0.5)
    assert app.values() == {"slope": 0.5}  # buttons have no value


def test_set_rejects_unknown_controls_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"no control \['speed'\].*\['go', 'slope'\]"):
        _Line().set(speed=1)


def test_mimebundle_has_widget_view_and_static_picture_with_alt_text():
    app = _Line()
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "<A line (interactive app; run the notebook to use it)>"
    img = re.fullmatch(
        r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"[^>]*>', bundle["text/html"]
    )
    assert img, bundle["text/html"][:200]
    assert base64.b64decode(img.group(1)) == bytes(app.image.value)
    assert img.group(2) == "A line. end value 1.00"


def test_progress_bar_prints_plain_text_outside_a_notebook(capsys):
    X = np.random.default_rng(0).standard_normal((20, 2))
    y = (X[:, :1] > 0).astype(float)
    model = nnlib.Sequential(nnlib.Linear(2, 1, rng=0))
    opt = nnlib.optim.SGD(model.parameters(), lr=0.1)
    nnlib.fit(model, nnlib.BCEWithLogitsLoss(), opt, X, y, epochs=20, callbacks=[ProgressBar(20)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10  # every tenth of the run
    assert lines[-1].startswith("epoch 20/20  loss ")


def test_progress_bar_rejects_zero_epochs():
    with pytest.raises(ValueError, match="epochs >= 1"):
        ProgressBar(0)
