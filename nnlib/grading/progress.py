"""Learner progress: which exercises pass and which quiz questions were answered.

Progress lives in one small JSON file in the learner's own folder:
``~/.nnlib/progress.json``, or the path in the environment variable
``NNLIB_PROGRESS_FILE`` (tests and CI set it). nnlib never writes inside its
own package directory.

The file is written atomically (a temporary file in the same folder, then
``os.replace``), so a crash mid-write never leaves half a file. A missing file
is empty progress. A corrupt file is moved aside to
``progress.json.corrupt-<timestamp>``, progress starts fresh, and a one-line
note says so once per process. Nothing here ever raises into a notebook: when
the file cannot be written, a note is printed once and the notebook goes on.

Notes go to stdout, not stderr: nbgrader gives zero points to a check cell
that writes anything to stderr.

The file also holds the learner's id, ``learner_id``: a random string made
the first time it is asked for, which seeds the order in which each quiz
question shows its options (so two learners see different orders, and one
learner always the same). The environment variable ``NNLIB_LEARNER_ID``
overrides it; tests and notebook execution set it, so stored notebook outputs
are the same on every machine.

File layout (``version`` 1)::

    {"version": 1, "learner_id": "3f9c0a1b2d4e5f60",
     "exercises": {"ch01": {"dense_forward": {"passed": true, "attempts": 3,
                                              "updated": "2024-05-01T10:00:00"}}},
     "quizzes":   {"ch01": {"q1": {"correct": true, "attempts": 2,
                                   "updated": "2024-05-01T10:05:00"}}}}

An exercise's ``passed`` is its latest result; a quiz question's ``correct``
stays true once the learner has found the right answer.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

ENV_VAR = "NNLIB_PROGRESS_FILE"
LEARNER_ENV_VAR = "NNLIB_LEARNER_ID"
VERSION = 1

_session_learner: str | None = None  # the id made in this process, if it could not be saved

_said: set[str] = set()  # one-time notes already printed in this process


def _note_once(key: str, message: str) -> None:
    if key not in _said:
        _said.add(key)
        print(message)


def progress_path() -> Path:
    """Where progress is stored: ``$NNLIB_PROGRESS_FILE`` or ``~/.nnlib/progress.json``."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".nnlib" / "progress.json"


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "exercises": {}, "quizzes": {}}


def _valid(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return False
    for section in ("exercises", "quizzes"):
        chapters = data.get(section)
        if not isinstance(chapters, dict):
            return False
        for entries in chapters.values():
            if not isinstance(entries, dict) or not all(
                isinstance(e, dict) for e in entries.values()
            ):
                return False
    return True


def _move_aside(path: Path) -> Path | None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, backup)
    except OSError:
        return None
    return backup


def load_progress() -> dict[str, Any]:
    """Read the progress file; missing = empty, corrupt = backed up and empty."""
    path = progress_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty()
    except OSError as err:
        _note_once("unreadable", f"nnlib: could not read your progress file {path} ({err}).")
        return _empty()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if _valid(data):
        return data
    backup = _move_aside(path)
    where = f"kept a copy as {backup.name}" if backup else "could not move it aside"
    _note_once(
        "corrupt",
        f"nnlib: your progress file {path} was damaged; {where} and started fresh.",
    )
    return _empty()


def _inside_package(path: Path) -> bool:
    package_dir = Path(__file__).resolve().parents[1]
    try:
        path.resolve().relative_to(package_dir)
    except ValueError:
        return False
    return True


def save_progress(data: dict[str, Any]) -> bool:
    """Write ``data`` atomically; returns False (after a one-time note) on failure."""
    path = progress_path()
    if _inside_package(path):
        _note_once("package", f"nnlib: not saving progress inside the nnlib package ({path}).")
        return False
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return True
    except OSError as err:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        _note_once("unwritable", f"nnlib: could not save your progress to {path} ({err}).")
        return False


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def record_exercise(chapter: str, exercise_id: str, passed: bool) -> None:
    """Record the latest result of an exercise's check (and count the attempt)."""
    data = load_progress()
    entries = data["exercises"].setdefault(chapter, {})
    old = entries.get(exercise_id, {})
    entries[exercise_id] = {
        "passed": bool(passed),
        "attempts": _int(old.get("attempts", 0)) + 1,
        "updated": _now(),
    }
    save_progress(data)


def record_quiz(chapter: str, question_id: str, correct: bool, attempts: int) -> None:
    """Record a quiz answer; once correct, a question stays answered correctly."""
    data = load_progress()
    entries = data["quizzes"].setdefault(chapter, {})
    old = entries.get(question_id, {})
    if old.get("correct"):
        return
    entries[question_id] = {"correct": bool(correct), "attempts": int(attempts), "updated": _now()}
    save_progress(data)


def learner_id() -> str:
    """This learner's id: ``$NNLIB_LEARNER_ID``, else the one in the progress file.

    The first call without either makes a random id and saves it in the
    progress file; when the file cannot be written, the id lasts for this
    process.
    """
    global _session_learner
    override = os.environ.get(LEARNER_ENV_VAR)
    if override:
        return override
    data = load_progress()
    stored = data.get("learner_id")
    if isinstance(stored, str) and stored:
        return stored
    if _session_learner is None:
        _session_learner = secrets.token_hex(8)
    data["learner_id"] = _session_learner
    save_progress(data)
    return _session_learner


def reset_progress() -> None:
    """Forget all progress (the file is replaced by an empty one; the learner id stays)."""
    data = _empty()
    stored = load_progress().get("learner_id")
    if isinstance(stored, str) and stored:
        data["learner_id"] = stored
    save_progress(data)


def _count(entries: dict[str, dict], key: str, known: set[str]) -> int:
    """How many entries have ``key`` true, among the ``known`` ids when there are any."""
    return sum(1 for i, e in entries.items() if e.get(key) and (not known or i in known))


def progress_table() -> list[dict[str, Any]]:
    """One row per chapter: exercises passed/total and quiz questions correct/total.

    Totals come from the exercise registry and the quiz bank; chapters that
    only appear in the progress file are listed too.
    """
    from .quizbank import load_bank
    from .registry import CHAPTERS, chapter_title, list_exercises

    data = load_progress()
    declared: dict[str, set[str]] = {}
    for ex in list_exercises():
        declared.setdefault(ex.chapter, set()).add(ex.id)
    bank = load_bank()["chapters"]
    questions = {ch: {q["id"] for q in c["questions"]} for ch, c in bank.items()}

    chapters = list(CHAPTERS)
    for ch in sorted({*declared, *questions, *data["exercises"], *data["quizzes"]}):
        if ch not in chapters:
            chapters.append(ch)
    rows = []
    for ch in chapters:
        ex_ids = declared.get(ch, set())
        q_ids = questions.get(ch, set())
        done = data["exercises"].get(ch, {})
        answered = data["quizzes"].get(ch, {})
        if not (ex_ids or q_ids or done or answered):
            continue
        rows.append(
            {
                "chapter": ch,
                "title": chapter_title(ch),
                "exercises_passed": _count(done, "passed", ex_ids),
                "exercises_total": len(ex_ids) or len(done),
                "quiz_correct": _count(answered, "correct", q_ids),
                "quiz_total": len(q_ids) or len(answered),
            }
        )
    return rows


def _as_text(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'chapter':<42} {'exercises':>10} {'quiz':>8}"]
    for r in rows:
        name = f"{r['chapter']} {r['title']}"
        ex = f"{r['exercises_passed']}/{r['exercises_total']}"
        qz = f"{r['quiz_correct']}/{r['quiz_total']}"
        lines.append(f"{name:<42} {ex:>10} {qz:>8}")
    return "\n".join(lines)


def _as_html(rows: list[dict[str, Any]]) -> str:
    cells = []
    for r in rows:
        ex_done = r["exercises_total"] and r["exercises_passed"] == r["exercises_total"]
        qz_done = r["quiz_total"] and r["quiz_correct"] == r["quiz_total"]
        cells.append(
            "<tr>"
            f"<td>{html.escape(r['chapter'])}</td><td>{html.escape(r['title'])}</td>"
            f"<td>{r['exercises_passed']} / {r['exercises_total']}{' ✓' if ex_done else ''}</td>"
            f"<td>{r['quiz_correct']} / {r['quiz_total']}{' ✓' if qz_done else ''}</td>"
            "</tr>"
        )
    return (
        "<table><caption>Your progress</caption>"
        "<thead><tr><th>chapter</th><th>title</th><th>exercises passed</th>"
        "<th>quiz answered correctly</th></tr></thead>"
        f"<tbody>{''.join(cells)}</tbody></table>"
    )


def show_progress() -> None:
    """Show the per-chapter progress table: HTML in Jupyter, plain text elsewhere."""
    rows = progress_table()
    try:
        from IPython import get_ipython
        from IPython.display import display

        in_kernel = get_ipython() is not None and hasattr(get_ipython(), "kernel")
    except ImportError:
        in_kernel = False
    if in_kernel:
        display({"text/html": _as_html(rows), "text/plain": _as_text(rows)}, raw=True)
    else:
        print(_as_text(rows))
