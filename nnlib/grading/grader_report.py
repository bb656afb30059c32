"""What the batch grader writes: per-student JSON and feedback, the class CSV.

Layout of the output folder::

    grades.csv                          one row per student
    students/<student>/<notebook>.json  the full result (see below)
    students/<student>/<notebook>.md    the feedback a student reads

Every file is written atomically (a temporary file in the same folder, then
``os.replace``). :class:`OutputFolder` remembers what it found and what it
wrote, so that at the end of a batch it can undo anything else that changed
in the folder meanwhile, and it rebuilds ``grades.csv`` from every result
(earlier runs' included) without reading back what a submission could have
touched.

A result JSON (``"format": "nnlib-grade/1"``)::

    {"student": "alice", "submission": "alice/ch01.ipynb", "sha256": "...",
     "notebook": "ch01.ipynb", "status": "graded", "score": 3.0, "max_score": 5.0,
     "exercises": [{"exercise": "dense_forward", "grade_id": "check_dense_forward",
                    "points": 2.0, "score": 0.0, "status": "failed", "kind": "shape",
                    "message": "Dense layer forward pass: your out has shape ...",
                    "notes": [], "seconds": 0.21}, ...],
     "notes": ["check cell check_mse was changed: the original check was run"],
     "errors": [{"cell": 4, "error": "NameError: name 'W' is not defined"}],
     "seconds": 4.2}

``status`` is "graded", "timed out", "kernel died", "invalid notebook",
"unmatched" or "grader error"; an exercise's status is "passed", "failed",
"not run", "timed out", "kernel died", "tampering" or "error" (the grader's
own failure).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
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
    "tampering": "no credit: the notebook interfered with grading",
    "error": "grader error (your instructor will look at it)",
}


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
    """The feedback file a student reads."""
    title = result.get("notebook") or result.get("submission")
    lines = [
        f"# Feedback: {title}",
        "",
        f"Student: {result.get('student', '?')}",
        "",
        f"**Score: {_points(result['score'])} / {_points(result['max_score'])}**",
        "",
    ]
    if result["status"] != "graded":
        lines += [f"Grading stopped early: {result['status']}.", ""]
    for ex in result["exercises"]:
        mark = "✓" if ex["status"] == "passed" else "✗"
        head = f"## {mark} {ex['exercise']} — {_points(ex['score'])} / {_points(ex['points'])}"
        lines += [head, "", _STATUS_TEXT.get(ex["status"], ex["status"]), ""]
        if ex["message"] and ex["status"] != "passed":
            lines += ["```", ex["message"], "```", ""]
        lines += [f"- {note}" for note in ex.get("notes", [])]
        if ex.get("notes"):
            lines.append("")
    if result["notes"]:
        lines += ["## Notes", "", *[f"- {n}" for n in result["notes"]], ""]
    if result["errors"]:
        lines += ["## Errors in your cells", ""]
        lines += [f"- cell {e['cell']}: `{e['error']}`" for e in result["errors"]]
        lines.append("")
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
            if e["status"] in ("tampering", "error"):
                row["flags"].append(f"{e['status']} ({e['exercise']})")
        row["total"] += r["score"]
        row["max"] += r["max_score"]
        if r["status"] != "graded":
            row["flags"].append(r["status"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *names, "total", "max_score", "flags"])
    for student, row in rows.items():
        cells = [_points(row[c]) if c in row else "" for c in columns]
        flags = "; ".join(dict.fromkeys(row["flags"]))
        writer.writerow([student, *cells, _points(row["total"]), _points(row["max"]), flags])
    return out.getvalue()


class OutputFolder:
    """The grader's output folder: results in, repairs and the CSV at the end."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.before = self._read_ours()  # relative path -> bytes, as found at the start
        self.written: dict[str, bytes] = {}
        self.results: dict[str, dict] = {}  # relative json path -> result, this run

    def _ours(self) -> list[Path]:
        folder = self.root / STUDENTS
        found = [self.root / CSV_NAME] if (self.root / CSV_NAME).is_file() else []
        if folder.is_dir() and not folder.is_symlink():
            found += [p for p in folder.glob("*/*") if p.suffix in (".json", ".md")]
        return found

    def _read_ours(self) -> dict[str, bytes]:
        out = {}
        for p in self._ours():
            try:
                out[p.relative_to(self.root).as_posix()] = p.read_bytes()
            except OSError:
                pass
        return out

    def _write(self, rel: str, text: str | bytes) -> None:
        path = self.root / rel
        for parent in [self.root / STUDENTS, path.parent]:
            if parent.is_symlink():  # never follow a link planted in our folder
                parent.unlink()
        write_atomic(path, text)
        self.written[rel] = text.encode("utf-8") if isinstance(text, str) else text

    def save(self, result: dict) -> str:
        """Write one result's JSON and feedback; returns the JSON's relative path."""
        stem = Path(result.get("notebook") or result["submission"]).stem
        base = f"{STUDENTS}/{result['student']}/{stem}"
        self.results[f"{base}.json"] = result
        self._write(f"{base}.json", result_text(result))
        self._write(f"{base}.md", feedback_markdown(result))
        return f"{base}.json"

    def finish(self) -> list[str]:
        """Repair the folder, write grades.csv; returns warnings about what was repaired."""
        warnings = []
        now = self._read_ours()
        for rel, data in {**self.before, **self.written}.items():
            if rel == CSV_NAME:
                continue
            if now.get(rel) != data:
                try:
                    self._write(rel, data)
                    warnings.append(f"{rel} was changed during grading: restored")
                except OSError as err:
                    warnings.append(f"{rel} was changed during grading; restoring failed: {err}")
        stray = [r for r in now if r not in self.before and r not in self.written and r != CSV_NAME]
        jail = self.root / "rejected" / time.strftime("%Y%m%d-%H%M%S")
        for rel in stray:
            try:
                (jail / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(self.root / rel), str(jail / rel))
                warnings.append(f"{rel} appeared during grading, not written by the grader: moved")
                (self.root / rel).parent.rmdir()  # gone if it is now empty
            except OSError:
                pass
        results = {}
        for rel, data in self.before.items():
            if rel.endswith(".json"):
                try:
                    item = json.loads(data)
                except ValueError:
                    continue
                if _valid(item):
                    results[rel] = item
        results.update(self.results)
        self._write(CSV_NAME, grades_csv(list(results.values())))
        return warnings
