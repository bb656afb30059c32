"""Accessibility in a real JupyterLab: axe-core on the exercise notebooks, and the keyboard.

* Every student exercise notebook, as a learner first meets it (Run All stops
  at the first unsolved exercise with its friendly failure), with its quiz
  shown and one question answered: no WCAG 2.1 A/AA violation found by
  axe-core over its content, in the light and the dark theme. (The chapters
  and their apps are audited in ``test_browser_course.py``, after their run.)
* The keyboard alone: a slider app (arrow keys, PageUp, Home/End), its
  dropdown (reached with Tab, changed with ArrowDown) and a quiz answered wrong,
  then right, with the arrow keys, Tab and Enter. After every key the focus is
  still in the cell's output, the active cell has not changed and no cell was
  altered by a JupyterLab shortcut; the value, the picture or the answer changed.
"""

from __future__ import annotations

from pathlib import Path

import labdriver
import nbformat
import pytest

from nnlib.grading import check_answer
from nnlib.grading.quizbank import questions
from nnlib.grading.quizzes import option_order

ROOT = labdriver.ROOT
STUDENT_NOTEBOOKS = sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("[0-9]*.ipynb")
)


def _code_cell(nb: nbformat.NotebookNode, text: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source)


def _options(chapter: str, question_id: str) -> tuple[int, int]:
    """Displayed positions of a wrong option and the right one (verdicts from the grader).

    The widget shows the options in the learner's order (``option_order``; the Lab
    server's kernels inherit this process's ``NNLIB_LEARNER_ID``).
    """
    shown = option_order(chapter, question_id)  # bank indices, in displayed order
    verdicts = [check_answer(chapter, question_id, i)[0] for i in shown]
    return verdicts.index(False), verdicts.index(True)


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: Path(p).stem)
def test_student_exercise_notebook_has_no_wcag_violation(page, lab, audits, path):
    source = nbformat.read(ROOT / path, as_version=4)
    nb = labdriver.Notebook(page, lab, path).open()
    nb.run_all()  # stops at the first exercise, with its "not implemented yet"
    assert nb.problems(kinds=("error",)), f"{path}: no failing check to look at"
    nb.run_cell(_code_cell(source, "quiz("))
    nb.run_cell(_code_cell(source, "show_progress("))
    chapter = "ch" + Path(path).name[:2]
    wrong, _ = _options(chapter, questions(chapter)[0]["id"])
    assert "Not quite" in nb.answer(nb.first_quiz_question(), wrong)
    assert not nb.problems(kinds=("widget",))
    labdriver.assert_accessible(nb, audits)


KEYBOARD_NOTEBOOK = "course/keyboard_check.ipynb"
KEYBOARD_CELLS = [
    "from nnlib import widgets\n\nwidgets.NeuronApp()",
    'from nnlib.grading import quiz\n\nquiz("ch01", "q1")',
]

_JS_PAGE_STATE = """
() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const el = document.activeElement;
  return {
    active: nb.activeCellIndex,
    cells: nb.widgets.map(c => c.model.type).join(","),
    inOutput: !!(el && el.closest('.jp-OutputArea-output')),
    tag: el ? el.tagName.toLowerCase() + (el.type ? ":" + el.type : "") : null,
    text: el ? (el.getAttribute('aria-valuetext') || el.value || el.textContent || "").trim() : "",
  };
}
"""


class Keys:
    """Presses keys and checks, after each, that the focus stayed in the output."""

    def __init__(self, nb: labdriver.Notebook):
        self.nb, self.page = nb, nb.page
        self.start = self.state()

    def state(self) -> dict:
        return self.page.evaluate(_JS_PAGE_STATE)

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        self.page.wait_for_timeout(150)
        now = self.state()
        assert now["inOutput"], f"after {key} the focus left the output: {now}"
        assert now["active"] == self.start["active"], f"after {key} another cell is active"
        assert now["cells"] == self.start["cells"], f"after {key} a cell changed type"
        return now


def _wait_for_change(page, locator, attribute: str, before: str, what: str) -> str:
    page.wait_for_function(
        "([el, attr, before]) => el.getAttribute(attr) !== before",
        arg=[locator.element_handle(), attribute, before],
        timeout=20_000,
    )
    after = locator.get_attribute(attribute)
    assert after != before, what
    return after


def test_keyboard_alone_drives_a_slider_a_dropdown_and_a_quiz(page, lab):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c) for c in KEYBOARD_CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, lab.root / KEYBOARD_NOTEBOOK)
    nb = labdriver.Notebook(page, lab, KEYBOARD_NOTEBOOK).open()
    nb.run_all()
    assert not nb.problems()
    (app,) = nb.apps()
    img = app.locator(":scope > .nnlib-figure > img")

    # The slider: the arrow keys, PageUp, Home and End move it, and the picture follows.
    slider = app.locator(".nnlib-slider input[type=range]").first
    label = app.locator(".nnlib-slider label").first.inner_text()
    assert label and slider.evaluate("el => el.labels[0].textContent") == label
    slider.focus()  # where a learner's Tab or click puts the focus
    keys = Keys(nb)
    for key in ("ArrowRight", "PageUp", "Home", "End", "ArrowLeft"):
        src, alt = img.get_attribute("src"), img.get_attribute("alt")
        now = keys.press(key)
        readout = app.locator(".nnlib-slider .nnlib-readout").first.inner_text()
        assert now["tag"] == "input:range" and now["text"] == readout, (key, now, readout)
        _wait_for_change(page, img, "src", src, f"{key}: the picture did not change")
        _wait_for_change(page, img, "alt", alt, f"{key}: the text alternative did not change")

    # Tab reaches the dropdown; ArrowDown changes the data set and the picture.
    for _ in range(6):
        now = keys.press("Tab")
        if now["tag"].startswith("select"):
            break
    assert now["tag"].startswith("select"), f"Tab never reached the dropdown: {now}"
    select = app.locator(".nnlib-dropdown select")
    before, src = select.input_value(), img.get_attribute("src")
    keys.press("ArrowDown")
    assert select.input_value() != before, "ArrowDown did not change the dropdown"
    _wait_for_change(page, img, "src", src, "the picture did not follow the dropdown")

    # The quiz: one radio group, answered wrong, then right, with arrows, Tab and Enter.
    wrong, right = _options("ch01", "q1")
    question = nb.first_quiz_question()
    radios = question.locator(".nnlib-radio input[type=radio]")
    names = {radios.nth(i).get_attribute("name") for i in range(radios.count())}
    assert len(names) == 1 and names != {""}, f"the options are not one group: {names}"
    feedback = question.locator(":scope > .widget-htmlmath").last
    status = question.locator(".nnlib-live-status")
    assert status.get_attribute("role") == "status"
    radios.nth(0).focus()
    keys = Keys(nb)
    keys.press("Space")  # chooses option A
    position = 0
    for target, verdict in ((wrong, "Not quite"), (right, "Correct (attempt 2)")):
        while position != target:
            keys.press("ArrowDown" if target > position else "ArrowUp")
            position += 1 if target > position else -1
        assert radios.nth(target).is_checked()
        now = keys.press("Tab")
        assert now["tag"].startswith("button") and "Check" in now["text"], (
            f"Tab did not reach Check: {now}"
        )
        shown = feedback.inner_text()
        keys.press("Enter")
        page.wait_for_function(
            "([el, before]) => el.innerText !== before",
            arg=[feedback.element_handle(), shown],
            timeout=20_000,
        )
        assert verdict in feedback.inner_text(), feedback.inner_text()
        assert verdict in status.text_content(), status.text_content()
        keys.press("Shift+Tab")  # back to the chosen option in the group
