"""Quizzes and failed checks read as plain text in a terminal, nbconvert output or on GitHub."""

import pytest

from nnlib.grading import ExerciseFailed, quiz
from nnlib.grading.exercises import ch01
from nnlib.grading.quizbank import questions


def test_a_quiz_shows_its_questions_and_options_as_plain_text():
    q = quiz("ch01")
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the widget, in Jupyter
    text = bundle["text/plain"]
    assert text == repr(q) and "VBox" not in text
    for question in questions("ch01"):
        assert question["question"] in text
    assert "\n  A. " in text and "\n  B. " in text


def test_one_question_shows_as_plain_text_too():
    one = quiz("ch01", "q2").questions[0]
    text = one._repr_mimebundle_()["text/plain"]
    assert text.splitlines()[1].startswith("  A. ") and "HTMLMath" not in text


def test_a_failed_check_reprs_as_its_message():
    with pytest.raises(ExerciseFailed) as info:
        ch01.check_dense_forward(lambda x, W, b: x @ W)
    text = repr(info.value)
    assert text.startswith("✗ Dense layer forward pass: your out has wrong values")
    assert "ExerciseFailed(" not in text and "likely mistake:" in text
