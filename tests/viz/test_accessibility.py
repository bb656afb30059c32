"""Accessibility of the apps without a browser: what the browser test relies on.

Every app's controls come from ``nnlib.widgets.controls`` (labelled, announcing
their readout, keeping arrow keys), and its picture carries a text alternative
that follows the state it shows. The browser test (``tests/browser``) checks
the same in JupyterLab with axe-core and the keyboard.
"""

import inspect
import re

import ipywidgets
import numpy as np
import pytest

from nnlib import widgets
from nnlib.widgets import controls

APPS = [
    cls
    for cls in vars(widgets).values()
    if inspect.isclass(cls) and issubclass(cls, widgets.App) and cls is not widgets.App
]


@pytest.fixture(scope="module", params=APPS, ids=lambda cls: cls.__name__)
def app(request):
    return request.param()


def test_every_app_of_the_course_is_checked():
    assert len(APPS) >= 14
    assert widgets.PlaygroundApp in APPS and widgets.LearningRateApp in APPS


def test_controls_are_accessible_ones_with_names(app):
    for name, control in app.controls.items():
        if isinstance(control, controls._Choice):
            assert control.description.strip(), f"{name} has no label"
            assert 0 <= control.index < len(control.labels), name
        else:  # buttons name themselves by their text
            assert isinstance(
                control, (ipywidgets.Button, ipywidgets.ToggleButton, ipywidgets.ToggleButtons)
            ), f"{type(app).__name__}.{name} is a {type(control).__name__}"
            assert control.description or getattr(control, "options", None), name


def test_sliders_announce_their_readout_not_a_position(app):
    for name, control in app.controls.items():
        if isinstance(control, controls._Slider):
            assert control.text == control.format(control.value), name
            # a move in the browser (a new index) announces the option's own label
            control.index = (control.index + 1) % len(control.labels)
            assert control.text == control.labels[control.index], name


def test_the_picture_has_a_text_alternative_that_follows_the_state(app):
    first = app.image.alt
    assert first.startswith(app.title) or len(first) > 40, first
    assert not re.search(r"</?[A-Za-z][^>]*>|&\w+;", first), f"alt text is plain text: {first}"
    alts = {first}
    for setting in list(app.bench_settings())[:3]:
        values = {k: v for k, v in setting.items() if k in app.controls}
        app.set(**values)
        alts.add(app.image.alt)
    assert len(alts) > 1, f"{type(app).__name__}: the alt text never changes: {first}"


def test_log_slider_reads_out_the_value_not_the_exponent():
    lr = controls.FloatLogSlider(value=0.03, base=10, min=-4, max=0, step=0.1, description="lr")
    assert lr.value == 0.03 and lr.text == "0.03"
    assert lr.labels[lr.index] == "0.0316"  # the nearest step, 10^-1.5
    lr.index += 1  # the learner presses ArrowRight
    assert lr.value == pytest.approx(10**-1.4) and lr.text == "0.0398"
    lr.value = 5.0  # beyond the range: kept at its end, as ipywidgets does
    assert lr.value == 1.0 and lr.index == len(lr.labels) - 1


def test_selection_slider_announces_the_option_itself():
    batch = controls.SelectionSlider(options=[1, 2, 5, 10, 20], value=10, description="batch")
    assert batch.labels == ["1", "2", "5", "10", "20"]
    assert batch.index == 3 and batch.text == "10"
    l2 = controls.SelectionSlider(options=[0.0, 1e-4, 0.01], value=1e-4, description="L2")
    assert l2.text == "0.0001"


def test_int_and_float_sliders_round_to_their_steps():
    steps = controls.IntSlider(value=30, min=5, max=100, step=5, description="steps")
    assert steps.labels[0] == "5" and steps.labels[-1] == "100" and steps.text == "30"
    noise = controls.FloatSlider(value=0.2, min=0.0, max=0.5, step=0.05, description="noise")
    assert noise.labels == [f"{x:.2f}" for x in np.linspace(0, 0.5, 11)]
    noise.index = 3
    assert noise.value == 0.15


def test_dropdown_and_radio_buttons_take_only_their_options():
    dataset = controls.Dropdown(options=[("two moons", "moons"), ("xor", "xor")], value="xor")
    assert dataset.labels == ["two moons", "xor"] and dataset.index == 1
    with pytest.raises(Exception, match="not an option"):
        dataset.value = "spirals"
    answer = controls.RadioButtons(options=[("A. yes", 0), ("B. no", 1)], description="Answer")
    assert answer.value is None and answer.index == -1
    answer.index = 1  # the learner picks B
    assert answer.value == 1


def test_quiz_options_are_one_radio_group_and_the_verdict_is_announced():
    from nnlib.grading.quizbank import check_answer
    from nnlib.grading.quizzes import QuizQuestion

    q = QuizQuestion("ch02", "q2", number=1, total=3)
    assert isinstance(q.choices, controls.RadioButtons)
    assert q.choices.description == "Your answer (question 1 of 3):"
    assert q.widget.children.index(q.announcement) > q.widget.children.index(q.check_button)
    verdicts = [check_answer("ch02", "q2", i)[0] for i in q.order]  # in the order shown
    q.choices.index = verdicts.index(False)  # as the browser sets it after an arrow key
    q.check_button.click()
    assert q.announcement.value.startswith("✗ Not quite. Option ")
    q.choices.index = verdicts.index(True)
    q.check_button.click()
    assert q.announcement.value.startswith("✓ Correct (attempt 2). Option ")
    # the text keeps the theme's colour; only the stripe beside it is coloured
    assert "color" not in q.feedback.value


def test_a_failed_check_headline_is_bold_without_a_colour():
    from nnlib.grading.feedback import ExerciseFailed

    first, *rest = ExerciseFailed("dense_forward: wrong values\nhint")._render_traceback_()
    assert first == "\x1b[1m✗ dense_forward: wrong values\x1b[0m"  # SGR 1 (bold) only
    assert rest == ["hint"]
