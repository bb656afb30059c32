"""Every exercise notebook: up to date, runs to the end, and gives no answer away.

Parametrized over the notebooks in ``exercises/source/`` and ``exercises/``, so a
new chapter is picked up without editing this file.

1. **Drift.** Each committed student notebook ``exercises/NN_name.ipynb`` (and the
   quiz bank) is byte for byte what ``nnlib-build-exercises`` generates from its
   source; a student notebook without a source fails too.
2. **Execution.** Each student notebook runs top to bottom in a fresh kernel
   (from ``exercises/``, progress in a temporary file). The only errors allowed
   are in check cells (nbgrader ``grade: true``), each saying "not implemented
   yet"; and every check cell fails that way, so an untouched notebook earns
   nothing.
3. **Answer leaks.** No non-trivial line of a solution (between ``BEGIN
   SOLUTION`` / ``END SOLUTION``) or of hidden tests, no correct quiz option and no
   quiz explanation appears in a student notebook's sources, outputs or metadata
   (committed and executed); the quiz bank stores no explanation and says
   nowhere but in its option lists what the correct option's text is. The
   three questions of the source texts ``000``, ``001`` and ``004`` are in the
   quiz sources, quoted, with their source named.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nnlib.grading.build import expected_files

ROOT = Path(__file__).resolve().parents[2]
STUDENT_DIR = ROOT / "exercises"
SOURCE_DIR = STUDENT_DIR / "source"
QUIZ_DIR = SOURCE_DIR / "quizzes"
BANK = ROOT / "nnlib" / "grading" / "quizbank.json"
SOURCE_TEXTS = ROOT.parent / "shared" / "sources"

STUDENTS = sorted(p.name for p in STUDENT_DIR.glob("*.ipynb"))
SOURCES = sorted(p.name for p in SOURCE_DIR.glob("*.ipynb"))
NAMES = sorted(set(STUDENTS) | set(SOURCES))


def ids(names):
    return [Path(n).stem for n in names]


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source_of(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


# ================================================================ 1. drift


@pytest.fixture(scope="module")
def generated():
    """What the build (``nnlib-build-exercises``, and its ``--check``) would write: {path: text},
    and the problems it found."""
    return expected_files(ROOT)


def test_the_build_reports_no_problems(generated):
    _, errors = generated
    assert errors == [], "\n".join(errors)


def short_diff(expected: str, actual: str, limit: int = 30) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "generated", "committed", lineterm="", n=1
    )
    return "\n".join(list(lines)[:limit])


@pytest.mark.parametrize("name", NAMES, ids=ids(NAMES))
def test_committed_student_notebook_is_what_the_build_generates(name, generated):
    files, _ = generated
    student, source = STUDENT_DIR / name, SOURCE_DIR / name
    assert source.exists(), (
        f"exercises/{name} has no source notebook exercises/source/{name}: delete it, or restore "
        "the source"
    )
    assert student in files, f"the build could not generate exercises/{name} (see the build test)"
    assert student.exists(), f"exercises/{name} is missing: run `nnlib-build-exercises`"
    actual = student.read_text(encoding="utf-8")
    expected = files[student]
    assert actual == expected, (
        f"exercises/{name} differs from what `nnlib-build-exercises` generates (run it and commit "
        f"the result):\n{short_diff(expected, actual)}"
    )


def test_committed_quiz_bank_is_what_the_build_generates(generated):
    files, _ = generated
    assert BANK in files
    assert BANK.read_text(encoding="utf-8") == files[BANK], "run `nnlib-build-exercises`"


# ================================================================ 2. execution


@pytest.fixture(scope="module")
def execute(tmp_path_factory):
    """``execute(name)`` runs the student notebook once in a fresh kernel (cached)."""
    done: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in done:
            tmp = tmp_path_factory.mktemp(Path(name).stem)
            nb = nbformat.read(STUDENT_DIR / name, as_version=4)
            env = {
                "NNLIB_PROGRESS_FILE": str(tmp / "progress.json"),
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
                ),
            }
            old = {k: os.environ.get(k) for k in env}
            os.environ.update(env)  # the kernel inherits this process's environment
            try:
                NotebookClient(
                    nb,
                    timeout=120,
                    kernel_name="python3",
                    allow_errors=True,
                    resources={"metadata": {"path": str(STUDENT_DIR)}},
                ).execute()
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            done[name] = nb
        return done[name]

    return run


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_text(output) -> str:
    parts = [output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])]
    return _ANSI.sub("", "\n".join(parts))


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("name", STUDENTS, ids=ids(STUDENTS))
def test_student_notebook_runs_to_the_end(name, execute):
    nb = execute(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name} has no code cells"
    not_run = [c.get("id") for c in code if c.get("execution_count") is None]
    assert not_run == [], f"cells that did not run: {not_run}"


def execution_problems(nb) -> list[str]:
    """Errors outside check cells, checks failing for another reason, checks that pass."""
    problems = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        where = f"cell {cell.get('id')}"
        errs = errors(cell)
        if not nbgrader(cell).get("grade"):
            problems += [f"{where} (not a check cell) raised:\n{error_text(e)}" for e in errs]
            continue
        if not errs:
            problems.append(f"{where}: the check passed on the untouched stub")
        for e in errs:
            if "not implemented yet" not in error_text(e):
                problems.append(f"{where} failed for another reason:\n{error_text(e)}")
    return problems


@pytest.mark.parametrize("name", STUDENTS, ids=ids(STUDENTS))
def test_only_check_cells_fail_and_only_with_not_implemented_yet(name, execute):
    problems = execution_problems(execute(name))
    assert problems == [], "\n\n".join(problems)


def test_the_execution_test_notices_other_errors():
    """Not vacuous: an error elsewhere, another failure, a passing check are all reported."""
    check = {"nbgrader": {"grade": True, "grade_id": "check_f", "points": 1}}

    def cell(cell_id, metadata, *outputs):
        return {"cell_type": "code", "id": cell_id, "metadata": metadata, "outputs": list(outputs)}

    def error(ename, evalue):
        return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [evalue]}

    stub = "f: not implemented yet — replace the `raise NotImplementedError` line"
    nb = {
        "cells": [
            cell("fine", {}),
            cell("plot", {}, error("NameError", "name 'plt' is not defined")),
            cell("check-a", check, error("ExerciseFailed", stub)),
            cell("check-b", check, error("ImportError", "cannot import name 'check_f'")),
            cell("check-c", check, {"output_type": "stream", "name": "stdout", "text": "✓"}),
        ]
    }
    problems = execution_problems(nb)
    assert [p.split()[1] for p in problems] == ["plot", "check-b", "check-c:"]


@pytest.mark.parametrize("name", STUDENTS, ids=ids(STUDENTS))
def test_a_failed_check_shows_a_short_message_not_a_traceback(name, execute):
    nb = execute(name)
    for cell in nb.cells:
        for e in errors(cell):
            text = error_text(e)
            assert "Traceback" not in text and 'File "' not in text, (cell.get("id"), text)
            assert len(e.get("traceback", [])) <= 6, (cell.get("id"), text)


# ================================================================ 3. answer leaks

_MARKERS = [("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")]
MIN_LINE = 12  # shorter code (`break`, `g *= scale`, `else:`) says nothing by itself


def region_lines(source: str) -> list[str]:
    """The lines strictly between BEGIN/END SOLUTION (or HIDDEN TESTS) markers."""
    lines, inside = [], None
    for line in source.split("\n"):
        if inside is None:
            inside = next((end for begin, end in _MARKERS if begin in line), None)
        elif inside in line:
            inside = None
        else:
            lines.append(line)
    return lines


def code_part(line: str) -> str:
    """A code line without its end-of-line comment (``x = 1  # note``) and outer blanks."""
    return line.split("  #")[0].strip()


def solution_lines(source_nb: dict) -> list[str]:
    """The non-trivial solution and hidden-test lines of a source notebook."""
    found = []
    for cell in source_nb["cells"]:
        for line in region_lines(source_of(cell)):
            code = code_part(line) if cell["cell_type"] == "code" else line.strip()
            if len(code) >= MIN_LINE and not code.startswith("#") and code not in found:
                found.append(code)
    return found


def notebook_texts(nb: dict, outputs_only: bool = False) -> str:
    """Every string a learner can see in a notebook: sources, outputs, widget state."""
    parts = []
    for cell in nb["cells"]:
        if not outputs_only:
            parts.append(source_of(cell))
        for out in cell.get("outputs", []):
            parts.append(source_of({"source": out.get("text", "")}))
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else json.dumps(value))
            parts += out.get("traceback", [])
            parts.append(out.get("evalue", ""))
    parts.append(json.dumps(nb.get("metadata", {}), ensure_ascii=False))
    return _ANSI.sub("", "\n".join(parts))


def quiz_sources() -> list[dict]:
    return [load(p) for p in sorted(QUIZ_DIR.glob("*.json"))]


def quiz_secrets() -> tuple[list[str], list[str]]:
    """(text of every correct option, every explanation) of every quiz source."""
    correct, explanations = [], []
    for src in quiz_sources():
        for q in src["questions"]:
            for option in q["options"]:
                explanations.append(option["explanation"])
                if option["correct"]:
                    correct.append(option["text"])
    return correct, explanations


MIN_OPTION = 12  # a short correct option ("10", "ReLU") may occur in a notebook by chance
ANYWHERE = 25  # a solution line this long leaks wherever it occurs; shorter ones (which
# docstrings and prose may contain by chance: "with s = sigmoid(z)") only as a whole
# line of code or a whole `code span`


def statements(text: str) -> set[str]:
    """Every line of ``text`` (without end-of-line comment) and every `code span`."""
    found = {code_part(line) for line in text.split("\n")}
    return found | set(re.findall(r"`([^`\n]+)`", text))


def leaks(text: str, solution: list[str], correct: list[str], explanations: list[str]) -> list:
    """What of the secrets occurs in ``text``."""
    whole = statements(text)
    found = [
        f"solution line: {s!r}"
        for s in solution
        if s in whole or (len(s) >= ANYWHERE and s in text)
    ]
    found += [f"correct quiz option: {o!r}" for o in correct if len(o) >= MIN_OPTION and o in text]
    found += [f"quiz explanation: {e!r}" for e in explanations if e in text]
    return found


@pytest.mark.parametrize("name", SOURCES, ids=ids(SOURCES))
def test_every_source_notebook_has_solutions_to_hide(name):
    assert solution_lines(load(SOURCE_DIR / name)), f"{name}: no solution lines found"


@pytest.mark.parametrize("name", STUDENTS, ids=ids(STUDENTS))
def test_committed_student_notebook_leaks_no_answer(name):
    source = SOURCE_DIR / name
    solution = solution_lines(load(source)) if source.exists() else []
    correct, explanations = quiz_secrets()
    text = notebook_texts(load(STUDENT_DIR / name))
    assert leaks(text, solution, correct, explanations) == []


@pytest.mark.parametrize("name", STUDENTS, ids=ids(STUDENTS))
def test_executed_student_notebook_leaks_no_answer(name, execute):
    """After a run: outputs and widget state hold no solution line and no explanation.

    The widget state lists every option (that is what the learner chooses from),
    so the correct option's text is there, unmarked; explanations are not.
    """
    source = SOURCE_DIR / name
    solution = solution_lines(load(source)) if source.exists() else []
    _, explanations = quiz_secrets()
    nb = json.loads(nbformat.writes(execute(name)))
    assert leaks(notebook_texts(nb, outputs_only=True), solution, [], explanations) == []


def test_the_leak_scan_finds_planted_answers():
    """Not vacuous: a solution line, a correct option and an explanation are all caught."""
    name = SOURCES[0]
    solution = solution_lines(load(SOURCE_DIR / name))
    correct, explanations = quiz_secrets()
    long_option = next(o for o in correct if len(o) >= MIN_OPTION)
    nb = load(STUDENT_DIR / name)
    nb["cells"][0]["source"] = f"{source_of(nb['cells'][0])}\n    {solution[0]}  # copied"
    nb["cells"][-1]["source"] = f"Hint: {long_option}"
    nb["cells"].append(
        {
            "cell_type": "code",
            "id": "planted",
            "metadata": {},
            "execution_count": 1,
            "source": "",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": explanations[-1]}],
        }
    )
    found = leaks(notebook_texts(nb), solution, correct, explanations)
    assert {f.split(":")[0] for f in found} == {
        "solution line",
        "correct quiz option",
        "quiz explanation",
    }


def test_quiz_bank_stores_no_answer_or_explanation():
    text = BANK.read_text(encoding="utf-8")
    assert '"correct"' not in text and '"explanation"' not in text
    bank = json.loads(text)
    # What the bank stores besides the texts the learner sees (question, options, source):
    hidden = json.dumps(
        [
            {k: v for k, v in q.items() if k not in ("question", "options", "source")}
            for chapter in bank["chapters"].values()
            for q in chapter["questions"]
        ],
        ensure_ascii=False,
    )
    questions = "\n".join(
        q["question"] for chapter in bank["chapters"].values() for q in chapter["questions"]
    )
    correct, explanations = quiz_secrets()
    for e in explanations:
        assert e not in text, e
        for start in range(0, max(1, len(e) - 24), 8):  # not even a piece of one
            assert e[start : start + 24] not in hidden, e
    # Nothing but the option lists holds a correct option's text: not the hashes or
    # salts, and no question gives its own answer away.
    assert [o for o in correct if len(o) >= MIN_OPTION and o in hidden + questions] == []


def _source_quiz(prefix: str) -> tuple[str, str]:
    """(title without its section number, the quiz question) of a source text."""
    (path,) = SOURCE_TEXTS.glob(f"{prefix}_*.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    title = re.sub(r"^\d+(\.\d+)*\.\s+", "", lines[0]).strip()
    marker = lines.index("Now answer the exercise about the content:")
    question = next(line for line in lines[marker + 1 :] if line.strip())
    return title, question.strip()


@pytest.mark.parametrize("prefix", ["000", "001", "004"])
def test_source_quiz_question_is_quoted_with_its_source(prefix):
    if not SOURCE_TEXTS.is_dir():
        pytest.skip("the source texts (../shared/sources) are not beside the repository")
    title, question = _source_quiz(prefix)
    plain = [
        (src["chapter"], q) for src in quiz_sources() for q in src["questions"]
        if q["question"] == question
    ]  # fmt: skip
    assert len(plain) == 1, f"{question!r} is not (exactly once) in exercises/source/quizzes"
    chapter, q = plain[0]
    assert q.get("source") == title, f"{chapter} {q['id']}: the source is not named"
    assert sum(o["correct"] for o in q["options"]) == 1 and len(q["options"]) == 4
    encoded = [e for e in load(BANK)["chapters"][chapter]["questions"] if e["id"] == q["id"]]
    assert encoded and encoded[0]["question"] == question and encoded[0]["source"] == title
