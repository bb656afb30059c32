"""Accessible controls for the apps and quizzes: sliders, dropdowns, radio groups, a figure.

Why not ipywidgets' own? In ipywidgets 8.1 (checked with 8.1.9):

* a slider's handle (noUiSlider, ``role="slider"``) has no accessible name: the
  visible description is not linked to it;
* ``FloatLogSlider`` announces the exponent (lr 0.03 is read as "-1.5"),
  ``SelectionSlider`` announces the index, and ``aria-valuenow`` is rounded to
  one decimal; there is no way to set ``aria-valuetext``;
* ``Dropdown`` and ``RadioButtons`` let arrow keys (and single letters) bubble up
  to JupyterLab, whose command-mode shortcuts then move to another cell: focus
  leaves the app; the radio inputs also have an empty ``name``, so each option
  is its own tab stop instead of one group;
* ``Image`` has no ``alt`` text.

So these controls are small `anywidget <https://anywidget.dev>`_ widgets built
on native HTML elements (``<input type="range">``, ``<select>``, radio inputs in
a ``<fieldset>``, ``<img alt>``), which browsers and screen readers already
know. Their Python side mirrors ipywidgets (same class names, ``value``,
``description``, ``options``, ``continuous_update``, ``observe``), so an app
reads the same with either.

Every choice control keeps a list of ``options`` and synchronises only the
chosen position (``index``) and the text labels with the browser; ``value``
lives in Python. A slider is a choice control whose labels are its readouts:
the announced value (``aria-valuetext``) is exactly the visible readout, on a
linear, logarithmic or selection scale alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets

from ._frontend import (
    CSS,
    DROPDOWN_JS,
    FIGURE_JS,
    RADIO_JS,
    SLIDER_JS,
    STATUS_JS,
    TEXT_PAIRS,
    UI_PAIRS,
)

__all__ = [
    "IntSlider",
    "FloatSlider",
    "FloatLogSlider",
    "SelectionSlider",
    "Dropdown",
    "RadioButtons",
    "FigureImage",
    "LiveStatus",
    "TEXT_PAIRS",
    "UI_PAIRS",
]


class _Choice(anywidget.AnyWidget):
    """One value out of ``options``; the browser sees only their labels and the chosen index."""

    _css = CSS
    description = traitlets.Unicode("").tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    index = traitlets.Int(-1).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    value = traitlets.Any(None, allow_none=True)
    _need_value = True  # False: None (nothing chosen yet) is a valid value

    def __init__(self, options: Sequence[Any], value: Any = None, **kwargs: Any) -> None:
        self._values: list[Any] | None = None
        self._setting = False
        kwargs.pop("style", None)  # ipywidgets' description width: ours is always natural
        super().__init__(**kwargs)
        self.set_options(options, value)

    def set_options(self, options: Sequence[Any], value: Any = None) -> None:
        """Replace the options (values, or ``(label, value)`` pairs); select ``value``."""
        pairs = [o if isinstance(o, tuple) else (self.format(o), o) for o in options]
        if not pairs:
            raise ValueError(f"{type(self).__name__} needs at least one option")
        self._values = [v for _, v in pairs]
        self.options = list(options)
        self.labels = [str(t) for t, _ in pairs]
        self.value = self._values[0] if value is None and self._need_value else value
        self._on_value({"new": self.value})  # the index, even when the value did not change

    def format(self, value: Any) -> str:
        return str(value)

    def position(self, value: Any) -> int:
        """The index of ``value`` among the options (a ``TraitError`` names the valid ones)."""
        for i, v in enumerate(self._values):
            if v == value:
                return i
        raise traitlets.TraitError(
            f"{value!r} is not an option of {self.description!r}: {self._values}"
        )

    @traitlets.validate("value")
    def _check_value(self, proposal: dict) -> Any:
        value = proposal["value"]
        if value is None and not self._need_value:
            return None
        self.position(value)  # raises for a value that is not an option
        return value

    @traitlets.observe("value")
    def _on_value(self, change: dict) -> None:
        value = change["new"]
        self._setting = True
        try:
            self.index = -1 if value is None else self.position(value)
        finally:
            self._setting = False

    @traitlets.observe("index")
    def _on_index(self, change: dict) -> None:  # a learner moved the control
        if not self._setting and 0 <= change["new"] < len(self._values):
            self.value = self._values[change["new"]]


class Dropdown(_Choice):
    """A labelled ``<select>``: arrow keys change the value and stay in the control."""

    _esm = DROPDOWN_JS


class RadioButtons(_Choice):
    """One radio group (a ``<fieldset>`` whose legend is the description); ``value`` may be None.

    Tab enters and leaves the group as one stop; the arrow keys choose among the options.
    """

    _esm = RADIO_JS
    _need_value = False


class _Slider(_Choice):
    """A labelled ``<input type="range">`` over the options, announcing ``text`` (the readout)."""

    _esm = SLIDER_JS
    text = traitlets.Unicode("").tag(sync=True)
    continuous_update = traitlets.Bool(True).tag(sync=True)
    readout_format = ".3g"

    def format(self, value: Any) -> str:
        return format(value, self.readout_format)

    @traitlets.observe("value")
    def _on_value(self, change: dict) -> None:
        super()._on_value(change)
        if change["new"] is not None:
            self.text = self.format(change["new"])


class _NumberSlider(_Slider):
    """A slider over evenly spaced steps from ``min`` to ``max``.

    Python may set any value in range (it is kept as set); the browser shows
    the nearest step, and a learner's move picks a step.
    """

    min = traitlets.Float(0.0)
    max = traitlets.Float(1.0)
    step = traitlets.Float(0.1)

    def __init__(self, value, min, max, step, readout_format=None, **kwargs):  # noqa: A002
        if readout_format is not None:
            self.readout_format = readout_format
        super().__init__([value], value, min=min, max=max, step=step, **kwargs)
        self._rebuild()

    @traitlets.observe("min", "max", "step")
    def _rebuild(self, change: dict | None = None) -> None:
        if self._values is None:  # still in __init__
            return
        n = int(np.floor((self.max - self.min) / self.step + 1e-9))
        grid = np.round(self.min + self.step * np.arange(n + 1), 12)
        value = self.value
        self._values = [self._cast(x) for x in self._scale(grid)]  # the range the value must fit
        self.set_options(self._values, value)

    def _scale(self, grid: np.ndarray) -> np.ndarray:
        return grid

    def _unscale(self, x: Any) -> Any:
        return x

    def _cast(self, x: Any) -> Any:
        return float(x)

    def position(self, value: Any) -> int:
        steps = self._unscale(np.asarray(self._values, dtype=float))
        return int(np.argmin(np.abs(steps - self._unscale(float(value)))))

    @traitlets.validate("value")
    def _check_value(self, proposal: dict) -> Any:
        lo, hi = self._values[0], self._values[-1]
        return self._cast(min(max(proposal["value"], lo), hi))


class IntSlider(_NumberSlider):
    """``ipywidgets.IntSlider``'s arguments: ``value``, ``min``, ``max``, ``step``, etc."""

    readout_format = "d"
    min = traitlets.Int(0)
    max = traitlets.Int(100)
    step = traitlets.Int(1)

    def __init__(self, value=0, min=0, max=100, step=1, **kwargs):  # noqa: A002
        super().__init__(value, min, max, step, **kwargs)

    def _cast(self, x: Any) -> Any:
        return int(round(float(x)))


class FloatSlider(_NumberSlider):
    """``ipywidgets.FloatSlider``'s arguments (``readout_format`` as for ``format``: ".2f")."""

    readout_format = ".2f"

    def __init__(self, value=0.0, min=0.0, max=1.0, step=0.1, **kwargs):  # noqa: A002
        super().__init__(value, min, max, step, **kwargs)


class FloatLogSlider(_NumberSlider):
    """``ipywidgets.FloatLogSlider``'s arguments: ``min``, ``max``, ``step`` are exponents.

    The slider moves in even steps of the exponent of ``base``, but reads out
    and announces the value itself (``0.03``, not ``-1.5``).
    """

    base = traitlets.Float(10.0)

    def __init__(self, value=1.0, base=10.0, min=0.0, max=4.0, step=0.1, **kwargs):  # noqa: A002
        super().__init__(value, min, max, step, base=base, **kwargs)

    def _scale(self, grid: np.ndarray) -> np.ndarray:
        return self.base**grid

    def _unscale(self, x: Any) -> Any:
        return np.log(x) / np.log(self.base)


class SelectionSlider(_Slider):
    """``ipywidgets.SelectionSlider``: a slider over ``options``, announcing the option itself."""

    def format(self, value: Any) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)


class FigureImage(anywidget.AnyWidget):
    """A PNG picture with a text alternative (``alt``) that changes with what it shows."""

    _esm = FIGURE_JS
    _css = CSS
    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)


class LiveStatus(anywidget.AnyWidget):
    """Text read out by screen readers each time it changes (``role="status"``), not shown."""

    _esm = STATUS_JS
    _css = CSS
    value = traitlets.Unicode("").tag(sync=True)
