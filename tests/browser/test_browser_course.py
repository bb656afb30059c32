"""The course in a real JupyterLab, driven in headless Chromium as a learner would.

For the start page, every chapter and one exercise (solution) notebook: open
it, wait for an idle kernel, clear the stored outputs, Run All Cells, and find
no error output and no broken widget; then press an arrow key on a slider of
every app and see its figure change (the key-to-new-picture time is reported
at the end of the run); then audit the notebook's content with axe-core in the
light and the dark theme (``test_accessibility.py`` does the student exercise
notebooks and the keyboard). In the student exercise notebook: the untouched
notebook fails with the friendly "not implemented yet"; a wrong and then a
correct implementation typed into the cell get their feedback; a quiz question
answered wrongly, then rightly, shows both explanations.

Fixtures (the server, the browser, screenshots on failure, the skip) are in
``conftest.py``; the page actions in ``labdriver.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import labdriver
import nbformat
import pytest

from nnlib.grading import check_answer
from nnlib.grading.quizbank import questions
from nnlib.grading.quizzes import option_order

ROOT = labdriver.ROOT
# The exercise used for the typed-in checks and the quiz: chapter 1's first one.
EXERCISE = "exercises/01_forward_pass_and_loss.ipynb"
EXERCISE_CHAPTER = "ch01"
EXERCISE_ID = "dense_forward"
WRONG_DENSE = "def dense_forward(x, W, b):\n    return x @ W\n"
RIGHT_DENSE = "def dense_forward(x, W, b):\n    out = x @ W + b  # (N, H)\n    return out\n"
MOVES_PER_APP = 5


def _run_all_notebooks() -> list[str]:
    """The start page, every chapter, and the first exercise solution notebook."""
    solutions = sorted((ROOT / "exercises" / "source").glob("[0-9]*.ipynb"))
    extra = [solutions[0].relative_to(ROOT).as_posix()] if solutions else []
    return labdriver.course_notebooks() + extra


def _describe(problems: list[dict]) -> str:
    return "\n".join(
        f"  cell {p['cell']}: {p['kind']} {p.get('ename') or ''} {p['text'][:600]}"
        for p in problems
    )


@pytest.mark.parametrize(
    "path", _run_all_notebooks(), ids=lambda p: f"{Path(p).parent.name}-{Path(p).stem}"
)
def test_notebook_runs_and_its_apps_respond(page, lab, latencies, audits, path):
    nb = labdriver.Notebook(page, lab, path).open()
    nb.run_all()
    problems = nb.problems()
    assert not problems, f"{path} shows errors after Run All Cells:\n{_describe(problems)}"
    stderr = nb.problems(kinds=("stderr",))
    if stderr:  # warnings are not errors, but worth seeing in the log
        print(f"{path}: stderr output\n{_describe(stderr)}")

    apps = nb.apps()
    if path.startswith("course/"):
        assert apps, f"{path}: no app (a slider with its figure) appeared after Run All Cells"
    for i, app in enumerate(apps):
        name = f"{Path(path).with_suffix('').as_posix()} app {i + 1}"
        keys = ["ArrowRight", "ArrowLeft"] * MOVES_PER_APP
        for key in keys[:MOVES_PER_APP]:
            nb.wait_idle()
            latencies.setdefault(name, []).append(nb.move_slider(app, key))
    problems = nb.problems()
    assert not problems, f"{path} shows errors after the slider moves:\n{_describe(problems)}"
    print(", ".join(f"{k} {v:.1f} s" for k, v in nb.timings.items()))
    alts = nb.picture_alts()
    vague = [alt for alt in alts if len(alt) < 20 or alt == "Image"]
    assert not vague, f"{path}: pictures without a description of their own: {vague}"
    if path.startswith("course/"):
        assert len(alts) >= len(apps), f"{path}: {len(alts)} pictures for {len(apps)} apps"
    labdriver.assert_accessible(nb, audits)


def _cell_index(nb: nbformat.NotebookNode, predicate) -> int:
    return next(i for i, cell in enumerate(nb.cells) if predicate(cell))


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def test_exercise_feedback_and_quiz(page, lab):
    source = nbformat.read(ROOT / EXERCISE, as_version=4)
    solution = _cell_index(source, lambda c: _grade_id(c) == EXERCISE_ID)
    check = _cell_index(source, lambda c: _grade_id(c) == f"check_{EXERCISE_ID}")
    quiz_cell = _cell_index(source, lambda c: c.cell_type == "code" and "quiz(" in c.source)

    nb = labdriver.Notebook(page, lab, EXERCISE).open()

    # Untouched, the notebook stops at the first check, with a message, not a traceback.
    nb.run_all()
    errors = nb.problems(kinds=("error",))
    assert errors, "the student notebook ran without any failing check"
    assert errors[0]["cell"] == check and errors[0]["ename"] == "ExerciseFailed", errors[0]
    shown = nb.output_text(check)
    assert "not implemented yet" in shown, shown
    assert "Traceback" not in shown, shown
    assert not nb.problems(kinds=("widget",))

    # A typical mistake gets its own message ...
    nb.set_cell_source(solution, WRONG_DENSE)
    nb.run_cell(solution)
    shown = nb.run_cell(check)
    assert "✗" in shown and "forgot the bias" in shown, shown
    assert "Traceback" not in shown, shown

    # ... and a correct implementation passes.
    nb.set_cell_source(solution, RIGHT_DENSE)
    nb.run_cell(solution)
    shown = nb.run_cell(check)
    assert "✓" in shown and "passed" in shown, shown

    # The quiz: a wrong answer, then the right one.
    nb.run_cell(quiz_cell)
    first = questions(EXERCISE_CHAPTER)[0]
    verdicts = [
        check_answer(EXERCISE_CHAPTER, first["id"], i)[0] for i in range(len(first["options"]))
    ]
    wrong, right = verdicts.index(False), verdicts.index(True)
    question = nb.first_quiz_question()
    shown = option_order(EXERCISE_CHAPTER, first["id"])  # the kernel's learner id is ours
    feedback = nb.answer(question, shown.index(wrong))
    assert "Not quite" in feedback, feedback
    feedback = nb.answer(question, shown.index(right))
    assert "Correct" in feedback and "attempt 2" in feedback, feedback
    assert not nb.problems(kinds=("widget",))

    # The kernel wrote the learner's progress where the server told it to.
    progress = json.loads(lab.progress_file.read_text())
    assert progress["exercises"][EXERCISE_CHAPTER][EXERCISE_ID]["passed"] is True
    assert progress["quizzes"][EXERCISE_CHAPTER][first["id"]] == {
        **progress["quizzes"][EXERCISE_CHAPTER][first["id"]],
        "correct": True,
        "attempts": 2,
    }
