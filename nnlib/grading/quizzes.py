"""Quiz widgets: choose an option, press Check, read why it is right or wrong.

In a notebook, one line shows a chapter's quiz (make it the cell's last line)::

    from nnlib.grading import quiz
    quiz("ch01")          # every question of chapter 1
    quiz("ch01", "q2")    # one question

Each question is a :class:`QuizQuestion`: the question (Markdown: `code`,
**bold**, $math$), one radio group of options (Tab enters the group, the arrow
keys choose an option without leaving it, Tab again reaches the Check button,
Enter or Space presses it), and a feedback area that shows the explanation of
the chosen option; screen readers announce the verdict (a ``role="status"``
region). Retrying is allowed; every check is recorded in the learner's
progress (correct or not, and the number of attempts).

ipywidgets is imported only when a quiz is built. Answers are checked by
:func:`nnlib.grading.quizbank.check_answer`, so nothing in the widget state
or the notebook reveals which option is correct before it is chosen.

Each learner sees the options in an order of their own (:func:`option_order`),
seeded by the learner id of :func:`nnlib.grading.progress.learner_id`; a
radio button's value is the option's index in the bank, not its position on
the screen, so an answer is graded by the option chosen, whatever the order.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from .progress import learner_id, record_quiz
from .quizbank import check_answer, get_question, questions

# Okabe-Ito colours, for the stripe beside the feedback only: no colour passes
# 4.5:1 as text on both JupyterLab's light and dark backgrounds, so the text keeps
# the theme's own colour, and the words "Correct" / "Not quite" carry the meaning.
_RIGHT = "#0072B2"
_WRONG = "#D55E00"
_LETTERS = "ABCDEFGH"


def markdown_inline(text: str) -> str:
    """A small Markdown subset to HTML: paragraphs, `code`, **bold**, *italic*.

    ``$...$`` math is left alone for the widget's MathJax typesetting.
    """
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        s = html.escape(para, quote=False)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)
        s = re.sub(r"(?<![\w*$\\])\*([^*\s][^*]*)\*(?![\w*])", r"<i>\1</i>", s)
        out.append("<p>" + s.replace("\n", "<br>") + "</p>")
    return "".join(out)


def source_line(source: str) -> str:
    """The attribution shown above a question quoted from the source material."""
    return f"From the source text “{source}”"


def option_order(chapter: str, question_id: str, learner: str | None = None) -> list[int]:
    """The bank indices of a question's options in the order ``learner`` sees them.

    The order sorts the options by a hash of the learner id, the question and
    the option's text: the same for one learner every time, a different
    shuffle for another learner. ``learner`` defaults to :func:`learner_id`.
    """
    who = learner_id() if learner is None else learner
    texts = get_question(chapter, question_id)["options"]

    def key(i: int) -> bytes:
        return hashlib.sha256("\x1f".join([who, chapter, question_id, texts[i]]).encode()).digest()

    return sorted(range(len(texts)), key=key)


class QuizQuestion:
    """One question as a widget (``.widget``), with a testable check callback.

    Attributes
    ----------
    choices : nnlib.widgets.controls.RadioButtons
        ``.value`` is the chosen option's index in the bank (``None`` before a
        choice); the buttons show the options in :attr:`order`.
    order : list of int
        The bank indices of the options, in the order shown.
    check_button : ipywidgets.Button
    feedback : ipywidgets.HTMLMath
        Empty until Check is pressed; then the explanation of the chosen option.
    announcement : nnlib.widgets.controls.LiveStatus
        The same verdict as plain text, read out by screen readers when it changes.
    attempts : int
        Checks with an option chosen, so far.
    correct : bool
        Whether the learner has found the correct option.
    last_explanation : str
        Plain text of the explanation last shown.
    """

    def __init__(self, chapter: str, question_id: str, number: int | None = None, total: int = 1):
        import ipywidgets as w

        from ..widgets import controls

        self.chapter = chapter
        self.question_id = question_id
        self.attempts = 0
        self.correct = False
        self.last_explanation = ""
        q = get_question(chapter, question_id)
        self._options = list(q["options"])
        self.order = option_order(chapter, question_id)

        heading = "Question"
        if number is not None and total > 1:
            heading = f"Question {number} of {total}"
        parts = [f"<b>{heading}</b>"]
        if q.get("source"):
            parts.append(f"<p><i>{html.escape(source_line(q['source']), quote=False)}</i></p>")
        parts.append(markdown_inline(q["question"]))
        self.prompt = w.HTMLMath(value="".join(parts))
        self.choices = controls.RadioButtons(
            options=[
                (f"{_LETTERS[pos]}. {self._options[i]}", i) for pos, i in enumerate(self.order)
            ],
            value=None,
            description=f"Your answer ({heading.lower()}):",
        )
        self.check_button = w.Button(
            description="Check",
            button_style="primary",
            tooltip="Check your answer",
            icon="check",
        )
        self.check_button.on_click(self._on_check)
        self.feedback = w.HTMLMath(value="")
        self.announcement = controls.LiveStatus()
        self.widget = w.VBox(
            [self.prompt, self.choices, self.check_button, self.feedback, self.announcement],
            layout=w.Layout(
                border="1px solid var(--jp-border-color2, #bbb)",
                padding="6px 12px",
                margin="8px 0",
            ),
        )

    def _on_check(self, _button: Any = None) -> None:
        """The Check button's handler: show the chosen option's explanation, record it."""
        index = self.choices.value
        if index is None:
            self.feedback.value = "<p>Choose an option first, then press <b>Check</b>.</p>"
            self.announcement.value = "Choose an option first, then press Check."
            return
        self.attempts += 1
        correct, explanation = check_answer(self.chapter, self.question_id, index)
        self.correct = self.correct or correct
        self.last_explanation = explanation
        body = markdown_inline(explanation)
        if correct:
            tries = "first try" if self.attempts == 1 else f"attempt {self.attempts}"
            head, colour, tail = f"✓ Correct ({tries}).", _RIGHT, ""
        else:
            head, colour = "✗ Not quite.", _WRONG
            tail = "<p><i>Pick another option and check again.</i></p>"
        letter = _LETTERS[self.order.index(index)]  # as shown to this learner
        self.feedback.value = (
            f'<div style="border-left: 4px solid {colour}; padding-left: 8px">'
            f"<b>{head}</b> Option {letter}: {body}{tail}</div>"
        )
        spoken = re.sub(r"[`*]", "", explanation)  # Markdown marks are not read out
        self.announcement.value = f"{head} Option {letter}: {spoken}"
        record_quiz(self.chapter, self.question_id, correct, self.attempts)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # the widget for Jupyter; plain text (not "VBox(children=...)") for everything else
        return {**(self.widget._repr_mimebundle_(**kwargs) or {}), "text/plain": repr(self)}

    def __repr__(self) -> str:
        q = get_question(self.chapter, self.question_id)
        opts = "\n".join(
            f"  {_LETTERS[pos]}. {self._options[i]}" for pos, i in enumerate(self.order)
        )
        return f"{q['question']}\n{opts}"


class Quiz:
    """Several :class:`QuizQuestion` widgets stacked (``.questions``, ``.widget``)."""

    def __init__(self, chapter: str, question_ids: list[str]):
        import ipywidgets as w

        n = len(question_ids)
        self.chapter = chapter
        self.questions = [
            QuizQuestion(chapter, qid, number=i + 1, total=n) for i, qid in enumerate(question_ids)
        ]
        self.widget = w.VBox([q.widget for q in self.questions])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # the widget for Jupyter; plain text (not "VBox(children=...)") for everything else
        return {**(self.widget._repr_mimebundle_(**kwargs) or {}), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return "\n\n".join(repr(q) for q in self.questions)


def quiz(chapter: str, question_id: str | None = None) -> Quiz:
    """Build a chapter's quiz, or one of its questions, as a widget.

    Make the call the last line of its cell so Jupyter displays the result.

    Parameters
    ----------
    chapter : str
        Chapter id, e.g. ``"ch01"``.
    question_id : str, optional
        One question's id (``"q2"``); all of the chapter's questions when omitted.
    """
    if question_id is not None:
        get_question(chapter, question_id)  # a clear KeyError for a wrong id
        return Quiz(chapter, [question_id])
    return Quiz(chapter, [q["id"] for q in questions(chapter)])
