"""The start page's example feedback: a real check, a specific message, no progress written."""

from nnlib.grading import load_progress
from nnlib.grading.demo import example_feedback


def test_example_feedback_names_the_missing_bias_and_records_nothing():
    before = load_progress()
    message = example_feedback()
    assert message.startswith("Dense layer forward pass:")
    assert "forgot the bias" in message
    assert load_progress()["exercises"] == before["exercises"]
