"""The base every slider app of the course is built on.

An app has three parts, kept apart so each can be tested and timed alone:

* ``controls`` -- widgets (sliders and dropdowns from :mod:`nnlib.widgets.controls`,
  ipywidgets buttons) in a dict by name;
* ``compute(**values)`` -- the numbers for one setting of the controls (pure
  NumPy through nnlib; no drawing), returning a dict;
* ``draw(result)`` -- updates ``self.fig`` (a matplotlib ``Figure``) from it.

``update()`` runs the two and sends the figure, rendered to PNG, to a
:class:`~nnlib.widgets.controls.FigureImage`: one round trip per slider move,
no flicker, and the browser test can see the picture change. Unit tests drive
an app without a browser: ``app.set(lr=0.3)`` moves a control exactly as a
learner would and returns the new ``result``.

Accessibility (WCAG 2.1 AA), inherited by every app:

* **Controls** come from :mod:`nnlib.widgets.controls`, not from ipywidgets:
  ``controls.IntSlider``, ``FloatSlider``, ``FloatLogSlider``,
  ``SelectionSlider`` and ``Dropdown`` take ipywidgets' arguments, but their
  label is linked to the control, a slider announces exactly its readout (the
  learning rate 0.03, not its exponent), and arrow keys stay in the control
  instead of moving JupyterLab to another cell. ``ipywidgets.Button`` and
  ``ToggleButtons`` are fine as they are (a button's text is its name).
  ``tests/viz/test_accessibility.py`` fails on an app with an ipywidgets
  slider or dropdown.
* **The picture's text alternative** is ``describe_figure(result)``: a short
  plain-text sentence of what the figure shows *for this result* (the numbers
  a sighted learner reads off it), refreshed on every update as the image's
  ``alt``. Override it in each app; the default is the title followed by the
  plain text of ``describe(result)``. An app that redraws without a new
  ``compute`` (a Train button, say) calls ``self.show(result)``, which sends
  the picture, its ``alt`` and the status line together.

Displayed in a notebook, an app shows its widgets; saved notebooks also keep a
static picture of the first state (an ``<img>`` with its ``alt`` text), so
readers without a kernel, and nbconvert's HTML, still see and hear it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from ..plots import figure_html, to_png
from .controls import FigureImage

__all__ = ["App", "plain_text"]


def plain_text(markup: str) -> str:
    """HTML of a status line as plain text (tags dropped, entities decoded, spaces collapsed)."""
    text = " ".join(html.unescape(re.sub(r"</?[A-Za-z][^>]*>", " ", markup)).split())
    return re.sub(r"\s+([,.;:)])", r"\1", text)


class App:
    """Base class of the course's interactive apps (see the module docstring).

    Subclasses set ``title``, build ``self.controls`` in ``make_controls()``,
    create ``self.fig`` in ``make_figure()`` and implement ``compute`` and
    ``draw``. Controls named in ``live`` redraw while a slider is dragged;
    the others (training apps) wait for the release (``continuous_update=False``).
    """

    title: str = "App"

    def __init__(self) -> None:
        self.controls: dict[str, widgets.Widget] = self.make_controls()
        self.fig = self.make_figure()
        self.image = FigureImage(layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.result: dict[str, Any] = {}
        self._muted = False
        for control in self.controls.values():
            if hasattr(control, "value") and not isinstance(control, widgets.Button):
                control.observe(self._on_change, names="value")
        self.update()

    # -- to implement -------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        raise NotImplementedError

    def make_figure(self):
        raise NotImplementedError

    def compute(self, **values: Any) -> dict[str, Any]:
        raise NotImplementedError

    def draw(self, result: dict[str, Any]) -> None:
        raise NotImplementedError

    def bench_settings(self) -> Iterable[dict[str, Any]]:
        """Control settings a benchmark cycles through (default: none)."""
        return []

    # -- machinery ----------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Current value of every control that has one."""
        return {
            name: c.value
            for name, c in self.controls.items()
            if hasattr(c, "value") and not isinstance(c, widgets.Button)
        }

    def update(self) -> dict[str, Any]:
        """Recompute, redraw and refresh the image; returns the new result."""
        return self.show(self.compute(**self.values()))

    def show(self, result: dict[str, Any]) -> dict[str, Any]:
        """Draw ``result``, send the picture with its text alternative, and the status line."""
        self.result = result
        self.draw(result)
        self.image.value = to_png(self.fig)
        self.image.alt = self.describe_figure(result)
        self.status.value = self.describe(result)
        return result

    def describe(self, result: dict[str, Any]) -> str:
        """One line of HTML under the figure (override to report numbers)."""
        return ""

    def describe_figure(self, result: dict[str, Any]) -> str:
        """The picture's text alternative for ``result``: plain text (override per app)."""
        status = plain_text(self.describe(result))
        return f"{self.title}. {status}" if status else f"{self.title}."

    def set(self, **values: Any) -> dict[str, Any]:
        """Set several controls at once (one update), as a learner would; returns the result."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no control {unknown}; it has {sorted(self.controls)}"
            )
        self._muted = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._muted = False
        return self.update()

    def _on_change(self, change: dict) -> None:
        if not self._muted:
            self.update()

    # -- display ------------------------------------------------------------
    def layout_controls(self) -> widgets.Widget:
        """How the controls are arranged above the figure (override for custom layouts)."""
        return widgets.HBox(
            list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
        )

    @property
    def widget(self) -> widgets.Widget:
        """The whole app as one ipywidgets container."""
        if not hasattr(self, "_widget"):
            header = widgets.HTML(f"<b>{self.title}</b>")
            self._widget = widgets.VBox([header, self.layout_controls(), self.image, self.status])
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["text/plain"] = f"<{self.title} (interactive app; run the notebook to use it)>"
        data["text/html"] = figure_html(self.image.value, self.image.alt)
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.values()})"
