"""Every text colour the course defines reads at 4.5:1 in JupyterLab Light and Dark.

The colours of JupyterLab's themes are read from the installed JupyterLab's own
theme stylesheets (``share/jupyter/lab/themes``), not copied here, and each
``var(--name, fallback)`` of the course's CSS is resolved in each theme.
Colours with transparency are laid over the background they sit on, as a
browser draws them. The contrast ratio is WCAG 2.1's: (L1 + 0.05) / (L2 + 0.05)
of the relative luminances.

What the course colours:

* its controls (``nnlib.widgets.controls.TEXT_PAIRS`` and ``UI_PAIRS``);
* quiz feedback, app titles and status lines, and a failed check's headline set
  no colour of their own: they are written in the theme's text colour, on the
  notebook's background or on JupyterLab's error background (the tests below
  check that they stay uncoloured);
* text inside figures: drawn on the figures' white background, in
  ``nnlib.plots.TEXT_COLORS`` or in black.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest
from matplotlib.colors import to_rgba
from matplotlib.text import Text

from nnlib import plots, widgets
from nnlib.widgets import controls

THEME_FILES = {
    "JupyterLab Light": "theme-light-extension",
    "JupyterLab Dark": "theme-dark-extension",
}
# Where the output of a cell may sit: the notebook's background, or a selected cell's.
OUTPUT_BACKGROUNDS = ["var(--jp-layout-color0)", "var(--jp-notebook-select-background)"]
# The theme's text colours that JupyterLab and ipywidgets use for outputs and widgets.
THEME_TEXT = ["var(--jp-content-font-color1)", "var(--jp-ui-font-color1)"]
TEXT_RATIO, UI_RATIO = 4.5, 3.0


def _theme_dir() -> Path | None:
    for prefix in (sys.prefix, *sys.path):
        path = Path(prefix) / "share" / "jupyter" / "lab" / "themes" / "@jupyterlab"
        if path.is_dir():
            return path
    return None


@pytest.fixture(scope="module", params=list(THEME_FILES), ids=["light", "dark"])
def theme(request) -> dict[str, str]:
    """The CSS variables a JupyterLab theme defines (name -> value)."""
    folder = _theme_dir()
    assert folder is not None, "JupyterLab's theme stylesheets are not installed"
    css = (folder / THEME_FILES[request.param] / "index.css").read_text()
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;}]+)", css))


def resolve(value: str, variables: dict[str, str], depth: int = 0) -> tuple[float, ...]:
    """A CSS colour (maybe ``var(--x, fallback)``) as RGBA in 0..1, in one theme."""
    value = value.strip()
    assert depth < 20, f"a cycle of variables at {value}"
    var = re.fullmatch(r"var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)", value)
    if var:
        name, fallback = var.groups()
        if name in variables:
            return resolve(variables[name], variables, depth + 1)
        assert fallback is not None, f"{name} is not defined by the theme and has no fallback"
        return resolve(fallback, variables, depth + 1)
    rgba = re.fullmatch(r"rgba?\(([^)]*)\)", value)
    if rgba:
        parts = [float(p) for p in re.split(r"[,\s/]+", rgba.group(1).strip()) if p]
        return (*[p / 255 for p in parts[:3]], parts[3] if len(parts) > 3 else 1.0)
    return to_rgba(value)


def over(fg: tuple[float, ...], bg: tuple[float, ...]) -> tuple[float, ...]:
    """``fg`` laid over an opaque ``bg`` (alpha compositing)."""
    a = fg[3]
    return (*[a * f + (1 - a) * b for f, b in zip(fg[:3], bg[:3], strict=True)], 1.0)


def luminance(rgb: tuple[float, ...]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    hi, lo = sorted([luminance(fg), luminance(bg)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def ratio_in(theme: dict[str, str], fg: str, bg: str, under: str | None = None) -> float:
    """Contrast of CSS colours ``fg`` on ``bg`` (``bg`` itself laid over ``under``)."""
    page = resolve("var(--jp-layout-color0)", theme)
    base = over(resolve(under, theme), page) if under else page
    back = over(resolve(bg, theme), base)
    return contrast(over(resolve(fg, theme), back), back)


def test_the_contrast_formula_on_known_pairs():
    white, black = to_rgba("white"), to_rgba("black")
    assert contrast(black, white) == pytest.approx(21.0)
    assert contrast(to_rgba("#767676"), white) == pytest.approx(4.54, abs=0.01)  # AA's edge
    assert contrast(over((0, 0, 0, 0.5), white), white) == pytest.approx(3.98, abs=0.01)


def test_the_theme_variables_the_course_relies_on_exist(theme):
    for name in ("--jp-layout-color0", "--jp-content-font-color1", "--jp-brand-color1",
                 "--jp-rendermime-error-background", "--jp-ui-font-color1"):  # fmt: skip
        assert name in theme, name


@pytest.mark.parametrize("name", list(controls.TEXT_PAIRS))
def test_control_text_reads_at_4_5(theme, name):
    fg, bg = controls.TEXT_PAIRS[name]
    for under in OUTPUT_BACKGROUNDS:
        ratio = ratio_in(theme, fg, bg, under)
        assert ratio >= TEXT_RATIO, f"{name}: {ratio:.2f}:1 on {under}"


@pytest.mark.parametrize("name", list(controls.UI_PAIRS))
def test_control_parts_one_must_see_read_at_3(theme, name):
    fg, bg = controls.UI_PAIRS[name]
    for under in OUTPUT_BACKGROUNDS:
        ratio = ratio_in(theme, fg, bg, under)
        assert ratio >= UI_RATIO, f"{name}: {ratio:.2f}:1 on {under}"


def test_feedback_and_status_text_in_the_theme_colour_reads_at_4_5(theme):
    for fg in THEME_TEXT:
        for bg in OUTPUT_BACKGROUNDS:
            assert ratio_in(theme, fg, bg) >= TEXT_RATIO, (fg, bg)


def test_a_failed_check_headline_reads_at_4_5_on_the_error_background(theme):
    for fg in THEME_TEXT:
        ratio = ratio_in(theme, fg, "var(--jp-rendermime-error-background)")
        assert ratio >= TEXT_RATIO, f"{fg} on the error background: {ratio:.2f}:1"


def test_the_old_colours_would_fail_this_test():
    """The colours issue 15 reported: the test can tell them apart."""
    light, dark = (
        dict(re.findall(r"(--[\w-]+)\s*:\s*([^;}]+)", (_theme_dir() / f / "index.css").read_text()))
        for f in THEME_FILES.values()
    )
    assert ratio_in(dark, "#0072B2", "var(--jp-layout-color0)") < TEXT_RATIO  # "✓ Correct"
    assert ratio_in(light, "#D55E00", "var(--jp-layout-color0)") < TEXT_RATIO  # "✗ Not quite."
    red = "rgb(178, 43, 49)"  # JupyterLab Dark's bold red (ansi-red-intense) of the old headline
    assert ratio_in(dark, red, "var(--jp-rendermime-error-background)") < 2.5


def test_course_text_sets_no_colour_of_its_own():
    """Feedback, status lines and headlines inherit the theme's text colour (checked above)."""
    from nnlib.grading.feedback import ExerciseFailed
    from nnlib.grading.quizbank import check_answer
    from nnlib.grading.quizzes import QuizQuestion

    q = QuizQuestion("ch01", "q1")
    for i in range(len(q.choices.options)):
        q.choices.value = i
        q.check_button.click()
        assert "color" not in q.feedback.value, q.feedback.value
        assert check_answer("ch01", "q1", i)[0] == ("Correct" in q.feedback.value)
    assert "color" not in q.prompt.value
    headline = ExerciseFailed("a message")._render_traceback_()[0]
    assert re.findall(r"\x1b\[([\d;]*)m", headline) == ["1", "0"]  # bold, then reset: no colour


def test_figure_text_colours_read_at_4_5_on_white():
    white = to_rgba("white")
    for name, colour in plots.TEXT_COLORS.items():
        assert contrast(to_rgba(colour), white) >= TEXT_RATIO, name
    assert plots.text_color(plots.PALETTE["vermillion"]) == plots.TEXT_COLORS["vermillion"]


def _check_uncoloured_html_text(app) -> None:
    """An app's HTML text keeps the theme's colour; only hidden colour swatches are coloured."""
    import ipywidgets

    boxes = [app.widget]
    while boxes:
        box = boxes.pop()
        boxes.extend(getattr(box, "children", ()))
        if isinstance(box, ipywidgets.HTML):
            for tag in re.findall(r"<[^>]*color[^>]*>", box.value):
                assert "aria-hidden='true'" in tag or 'aria-hidden="true"' in tag, box.value


APPS = [
    cls
    for cls in vars(widgets).values()
    if inspect.isclass(cls) and issubclass(cls, widgets.App) and cls is not widgets.App
]


@pytest.mark.parametrize("cls", APPS, ids=lambda c: c.__name__)
def test_every_text_an_app_draws_reads_at_4_5(cls):
    app = cls()
    if app.fig is None:  # pictures painted with NumPy (the playground) hold no text at all
        _check_uncoloured_html_text(app)
        return
    seen = 0
    for setting in [{}, *app.bench_settings()]:
        app.set(**{k: v for k, v in setting.items() if k in app.controls})
        for text in app.fig.findobj(Text):
            if not (text.get_visible() and text.get_text().strip()):
                continue
            patch = text.get_bbox_patch()
            back = patch.get_facecolor() if patch is not None else (
                text.axes.get_facecolor() if text.axes else app.fig.get_facecolor()
            )  # fmt: skip
            ratio = contrast(over(to_rgba(text.get_color()), back), back)
            assert ratio >= TEXT_RATIO, f"{text.get_text()!r} in {text.get_color()}: {ratio:.2f}"
            seen += 1
    assert seen > 0
