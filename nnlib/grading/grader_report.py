"""What the batch grader writes: per-student JSON and feedback, the class CSV.

Layout of the output folder::

    grades.csv                          one row per student
    students/<student>/<notebook>.json  the full result (see below)
    students/<student>/<notebook>.md    the feedback a student reads

Only the grader writes here (no sandbox sees the folder), every file
atomically (a temporary file in the same folder, then ``os.replace``).
:class:`OutputFolder` refuses, at the start, a folder holding anything the
grader would not have written there (a FIFO, a link, a folder where a file
belongs, an unreadable result), so that a damaged folder is reported before any
work and no earlier result is ever lost; ``grades.csv`` is rebuilt at the end
from every result in the folder, earlier runs' included.

A result JSON (``"format": "nnlib-grade/1"``)::

    {"student": "alice", "submission": "/abs/alice/ch01.ipynb", "sha256": "...",
     "notebook": "ch01.ipynb", "status": "graded", "sandbox": "bwrap",
     "score": 3.0, "max_score": 5.0,
     "exercises": [{"exercise": "dense_forward", "grade_id": "check_dense_forward",
                    "points": 2.0, "score": 0.0, "status": "failed", "kind": "shape",
                    "message": "Dense layer forward pass: your out has shape ...",
                    "notes": [], "seconds": 0.21}, ...],
     "notes": ["check cell check_mse was changed: the original check was run"],
     "errors": [{"cell": 4, "error": "NameError: name 'W' is not defined"}],
     "seconds": 4.2}

``status`` is "graded", "timed out", "kernel died", "invalid notebook",
"unmatched" or "grader error"; an exercise's status is "passed", "failed",
"not run", "timed out" or "kernel died". ``sandbox`` is "bwrap" or "none";
"none" puts "NOT SANDBOXED" into the feedback and the CSV's flags.
Text that came from the learner's code (exception messages) is shown in the
feedback inside code fences longer than any run of backticks in it, with
control and bidirectional-formatting characters replaced.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import tempfile
from pathlib import Path

FORMAT = "nnlib-grade/1"
STUDENTS = "students"
CSV_NAME = "grades.csv"

_STATUS_TEXT = {
    "passed": "passed",
    "failed": "not passed",
    "not run": "not run",
    "timed out": "stopped: time limit",
    "kernel died": "stopped: the kernel died",
    "error": "grader error (your instructor will look at it)",
}
NOT_SANDBOXED = "NOT SANDBOXED"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: object, limit: int = 4000) -> str:
    """Text safe to show: control and bidi characters replaced, cut to ``limit``."""
    return _UNSAFE.sub("\ufffd", str(text))[:limit]


def fenced(text: object) -> list[str]:
    """``text`` as a Markdown code block nothing inside can close."""
    body = plain(text)
    runs = [len(m) for m in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [fence, body, fence]


def _name(text: object) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text))[:100]


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _points(x: float) -> str:
    return f"{x:g}"


def feedback_markdown(result: dict) -> str:
    """The feedback file a student reads (learner text fenced, see the module doc)."""
    title = _name(result.get("notebook") or Path(str(result.get("submission"))).name)
    lines = [f"# Feedback: {title}", "", f"Student: {_name(result.get('student', '?'))}", ""]
    if result.get("sandbox") == "none":
        lines += [f"**{NOT_SANDBOXED}**: graded without the sandbox.", ""]
    lines += [f"**Score: {_points(result['score'])} / {_points(result['max_score'])}**", ""]
    if result["status"] != "graded":
        lines += [f"Grading stopped early: {plain(result['status'])}.", ""]
    for ex in result["exercises"]:
        mark = "✓" if ex["status"] == "passed" else "✗"
        name = _name(ex["exercise"])
        head = f"## {mark} {name} — {_points(ex['score'])} / {_points(ex['points'])}"
        lines += [head, "", _STATUS_TEXT.get(ex["status"], plain(ex["status"])), ""]
        if ex["message"] and ex["status"] != "passed":
            lines += [*fenced(ex["message"]), ""]
        for note in ex.get("notes", []):
            lines += [f"- {plain(note, 300)}"]
        if ex.get("notes"):
            lines.append("")
    if result["notes"]:
        lines += ["## Notes", ""]
        for note in result["notes"]:
            lines += [f"- {plain(note, 300)}"]
        lines.append("")
    if result["errors"]:
        lines += ["## Errors in your cells", ""]
        for e in result["errors"]:
            lines += [f"Cell {int(e['cell'])}:", "", *fenced(e["error"]), ""]
    return "\n".join(lines)


def result_text(result: dict) -> str:
    return json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _valid(data: object) -> bool:
    return (
        isinstance(data, dict)
        and data.get("format") == FORMAT
        and isinstance(data.get("student"), str)
        and isinstance(data.get("exercises"), list)
    )


def grades_csv(results: list[dict]) -> str:
    """One row per student: a column per exercise, the total, the maximum and any flags."""
    notebooks: dict[str, list[str]] = {}
    for r in results:
        ids = [e["exercise"] for e in r["exercises"]]
        nb = r.get("notebook") or ""
        notebooks[nb] = notebooks.get(nb) or ids
    prefix = len([nb for nb, ids in notebooks.items() if ids]) > 1
    columns = [(nb, ex) for nb in sorted(notebooks) for ex in notebooks[nb]]
    names = [f"{Path(nb).stem}:{ex}" if prefix else ex for nb, ex in columns]
    rows: dict[str, dict] = {}
    for r in sorted(results, key=lambda r: (r["student"], r.get("notebook") or "")):
        row = rows.setdefault(r["student"], {"total": 0.0, "max": 0.0, "flags": []})
        for e in r["exercises"]:
            row[(r.get("notebook") or "", e["exercise"])] = e["score"]
            if e["status"] == "error":
                row["flags"].append(f"error ({e['exercise']})")
        row["total"] += r["score"]
        row["max"] += r["max_score"]
        if r["status"] != "graded":
            row["flags"].append(r["status"])
        if r.get("sandbox") == "none":
            row["flags"].append(NOT_SANDBOXED)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *names, "total", "max_score", "flags"])
    for student, row in rows.items():
        cells = [_points(row[c]) if c in row else "" for c in columns]
        flags = "; ".join(dict.fromkeys(row["flags"]))
        writer.writerow([student, *cells, _points(row["total"]), _points(row["max"]), flags])
    return out.getvalue()


def _leftover(name: str) -> bool:
    """A temporary file of :func:`write_atomic` left by a grader that was killed."""
    return name.startswith(".") and name.endswith(".tmp")


class FolderProblem(Exception):
    """The output folder holds something the grader did not write; nothing was changed."""


class OutputFolder:
    """The grader's output folder: checked at the start, results in, the CSV at the end."""

    def __init__(self, root: Path):
        self.root = root.absolute()
        if self.root.is_symlink() or (self.root.exists() and not self.root.is_dir()):
            raise FolderProblem(f"{self.root} is not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self.existing = self._scan()  # relative json path -> result, as found
        self.results: dict[str, dict] = {}  # relative json path -> result, this run

    def _scan(self) -> dict[str, dict]:
        """Every earlier result; FolderProblem on anything the grader would not have written."""
        found: dict[str, dict] = {}
        problems: list[str] = []

        def regular(p: Path) -> bool:
            mode = os.lstat(p).st_mode
            return stat.S_ISREG(mode)

        def directory(p: Path) -> bool:
            return stat.S_ISDIR(os.lstat(p).st_mode)

        for p in sorted(self.root.iterdir()):
            rel = p.relative_to(self.root).as_posix()
            if (p.name == CSV_NAME or _leftover(p.name)) and regular(p):
                continue
            if p.name == STUDENTS and directory(p):
                for student in sorted(p.iterdir()):
                    srel = student.relative_to(self.root).as_posix()
                    if not directory(student) or _name(student.name) != student.name:
                        problems.append(f"{srel} (not a student folder)")
                        continue
                    for f in sorted(student.iterdir()):
                        frel = f.relative_to(self.root).as_posix()
                        if _leftover(f.name) and regular(f):
                            continue
                        if not regular(f) or f.suffix not in (".json", ".md"):
                            problems.append(f"{frel} (not a file the grader writes)")
                        elif f.suffix == ".json":
                            try:
                                item = json.loads(f.read_bytes())
                            except (ValueError, RecursionError, OSError):
                                item = None
                            if not _valid(item):
                                problems.append(f"{frel} (not a result the grader wrote)")
                            else:
                                found[frel] = item
                continue
            problems.append(f"{rel} (not written by the grader)")
        if problems:
            shown = "; ".join(problems[:5]) + (" ..." if len(problems) > 5 else "")
            raise FolderProblem(
                f"the output folder {self.root} holds what the grader did not write: {shown}. "
                "Nothing was graded; move these away or choose another --out folder."
            )
        return found

    @staticmethod
    def rel(student: str, notebook: str) -> str:
        return f"{STUDENTS}/{student}/{Path(notebook).stem}.json"

    def previous(self, student: str, notebook: str) -> dict | None:
        """The result an earlier run stored for this student and notebook, if any."""
        return self.existing.get(self.rel(student, notebook))

    def save(self, result: dict) -> str:
        """Write one result's JSON and feedback; returns the JSON's relative path."""
        rel = self.rel(result["student"], result.get("notebook") or "unmatched.ipynb")
        self.results[rel] = result
        write_atomic(self.root / rel, result_text(result))
        write_atomic((self.root / rel).with_suffix(".md"), feedback_markdown(result))
        return rel

    def finish(self) -> None:
        """Write grades.csv from every result: earlier runs' and this run's."""
        results = {**self.existing, **self.results}
        write_atomic(self.root / CSV_NAME, grades_csv(list(results.values())))
