"""Grade one submission: its cells run in a sandbox, its checks run here.

Used by :mod:`nnlib.grading.grader` (which explains the design). The
submission's code cells run one by one in its sandbox
(:mod:`nnlib.grading.grader_sandbox`); at each check cell's place the
canonical check cell (hidden tests included) runs in the grader's own
process, with the learner's names bound to stand-ins that call into the
sandbox. Nothing the sandbox prints or writes is read; only its answers to
the grader's requests are, as plain data.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import quiet_checks
from .feedback import ExerciseFailed
from .grader_notebook import Canonical, CheckCell, load_canonical, match, plan
from .grader_sandbox import Limits, start
from .grader_script import run_scripted
from .grader_session import ProtocolError, SandboxStopped

FORMAT = "nnlib-grade/1"
MAX_BYTES = 20 * 2**20
NOT_SANDBOXED = "NOT SANDBOXED"


@dataclass
class Setup:
    """Everything a run needs, read once at the start of a batch."""

    canonical: dict[str, Canonical]
    checks_path: list[Path]
    cell_timeout: float = 60.0
    timeout: float = 600.0
    sandbox: str = "bwrap"
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def read(cls, source_dir: Path, checks_path: list[Path], **kw: Any) -> Setup:
        notebooks = sorted(source_dir.glob("*.ipynb"))
        canonical = {p.name: load_canonical(p) for p in notebooks}
        canonical = {k: v for k, v in canonical.items() if v.checks}
        if not canonical:
            raise FileNotFoundError(
                f"no source notebook with auto-graded check cells in {source_dir}"
            )
        for folder in reversed(checks_path):  # the check modules are imported here, not there
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        return cls(canonical, checks_path, **kw)


def exercise_rows(canon: Canonical) -> list[dict]:
    return [
        {
            "exercise": c.exercise,
            "grade_id": c.grade_id,
            "points": c.points,
            "score": 0.0,
            "status": "not run",
            "kind": "",
            "message": "",
            "notes": [],
            "seconds": None,
        }
        for c in canon.checks
    ]


def parse(data: bytes) -> tuple[dict | None, list[str]]:
    """The notebook as a dict with a list of cells (or None) and what was wrong with it."""
    if len(data) > MAX_BYTES:
        return None, [f"the file is larger than {MAX_BYTES // 2**20} MB: not graded"]
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, ["the file is not a readable notebook (not UTF-8 text)"]
    except RecursionError:
        return None, ["the file is not a readable notebook (nested too deeply)"]
    except ValueError as err:
        return None, [f"the file is not a readable notebook (invalid JSON: {str(err)[:80]})"]
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, ["the file is not a readable notebook (no list of cells)"]
    notes, cells = [], []
    for number, cell in enumerate(raw["cells"], 1):
        if not isinstance(cell, dict):
            notes.append(f"cell {number} is not a notebook cell: skipped")
            cells.append({"cell_type": "raw", "source": "", "metadata": {}})
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        if not isinstance(src, str):
            notes.append(f"cell {number} has a source that is not text: skipped")
            src = ""
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        kind = cell.get("cell_type") if isinstance(cell.get("cell_type"), str) else "raw"
        cells.append({"cell_type": kind, "source": src, "metadata": meta})
    return {"cells": cells}, notes


def new_result(filename: str, data: bytes, sandbox: str) -> dict:
    return {
        "format": FORMAT,
        "submission": filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "notebook": None,
        "status": "graded",
        "sandbox": sandbox,
        "score": 0.0,
        "max_score": 0.0,
        "exercises": [],
        "notes": [] if sandbox == "bwrap" else [f"{NOT_SANDBOXED}: graded with --sandbox none"],
        "errors": [],
        "seconds": 0.0,
    }


def run_submission(setup: Setup, data: bytes, filename: str) -> dict:
    """Grade one submission (its bytes and file name); never raises."""
    started = time.monotonic()
    result = new_result(filename, data, setup.sandbox)
    try:
        nb, problems = parse(data)
        result["notes"] += problems
        if nb is None:
            result["status"] = "invalid notebook"
        canon = match(nb, filename, setup.canonical)
        if canon is None:
            if result["status"] == "graded":
                result["status"] = "unmatched"
            result["notes"].append("could not tell which exercise notebook this is")
        else:
            result["notebook"] = canon.name
            result["max_score"] = canon.max_score
            result["exercises"] = exercise_rows(canon)
            if nb is not None:
                _execute(setup, nb, canon, data, result)
    except Exception as err:  # the grader's own failure: still a report
        result["status"] = "grader error"
        result["notes"].append(f"grader error: {type(err).__name__}: {str(err)[:300]}")
    result["score"] = float(sum(e["score"] for e in result["exercises"]))
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _execute(setup: Setup, nb: dict, canon: Canonical, data: bytes, result: dict) -> None:
    steps, notes = plan(nb, canon)
    result["notes"] += notes
    rows = {r["grade_id"]: r for r in result["exercises"]}
    checks = {c.grade_id: c for c in canon.checks}
    session = start(setup.sandbox, "submission.ipynb", data, limits=setup.limits)
    deadline = time.monotonic() + setup.timeout
    where = "during the grader's setup"
    current = None
    try:
        for kind, key, number in steps:
            now = time.monotonic()
            session.deadline = min(now + setup.cell_timeout, deadline)
            over = now + setup.cell_timeout >= deadline
            session.limit_text = (
                f"the notebook ran longer than {setup.timeout:g} s"
                if over
                else f"a cell ran longer than {setup.cell_timeout:g} s"
            )
            if kind == "cell":
                where, current = f"in cell {number}", None
                err = session.run_cell(number, key)
                if err is not None and len(result["errors"]) < 10:
                    text = f"{err.get('type')}: {err.get('message')}"
                    result["errors"].append({"cell": number, "error": text[:300]})
            else:
                current = key
                where = (
                    f"in the check {key}, which the grader put back"
                    if number is None
                    else f"in cell {number}"
                )
                t0 = time.monotonic()
                rows[key].update(_run_check(session, checks[key], canon))
                rows[key]["seconds"] = round(time.monotonic() - t0, 3)
                if rows[key]["status"] == "passed":
                    rows[key]["score"] = rows[key]["points"]
    except SandboxStopped as stop:
        result["status"] = stop.status
        result["notes"].append(f"{stop.why}, {where}; nothing after it ran")
        for row in rows.values():
            if row["grade_id"] == current:
                kind = stop.status.replace(" ", "_")
                row.update(status=stop.status, kind=kind, message=f"{stop.why} during this check")
            elif row["status"] == "not run":
                row.update(message=f"not run: {stop.why} before this check")
    finally:
        session.close()


# ------------------------------------------------------------------ one check


_FREE: dict[str, list[str]] = {}


def free_names(source: str) -> list[str]:
    """Names a check cell reads without defining or importing them (not builtins)."""
    if source not in _FREE:
        tree = ast.parse(source)
        loaded, bound = [], set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    loaded.append(node.id)
                else:
                    bound.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                bound.add(node.name)
        names = [n for n in dict.fromkeys(loaded) if n not in bound]
        _FREE[source] = [n for n in names if not hasattr(builtins, n)]
    return _FREE[source]


def _line(err: BaseException) -> str:
    text = str(err).strip()
    return text.split("\n")[0][:300] if text else ""


def _run_check(session: Any, check: CheckCell, canon: Canonical) -> dict:
    """Run the canonical check cell here against the learner's names; the row's new fields."""
    ns: dict[str, Any] = {"__builtins__": builtins, "__name__": "__nnlib_grade_check__"}
    wanted = []
    for name in free_names(check.source):
        if name in canon.aliases:  # `np` is the grader's NumPy, whatever the notebook did
            ns[name] = importlib.import_module(canon.aliases[name])
        else:
            wanted.append(name)
    try:
        ns.update(session.values(wanted))
    except ProtocolError as err:
        return {"status": "failed", "kind": "protocol", "message": str(err)}
    code = compile(check.source, f"<check {check.grade_id}>", "exec")
    row, scripts = run_scripted(session, lambda: _verdict(code, dict(ns)))
    row["round_trips"] = scripts
    return row


def _verdict(code: Any, ns: dict) -> dict:
    """Run a check cell once (one round of :func:`run_scripted`); the row's new fields."""
    try:
        with quiet_checks():
            exec(code, ns)
    except ExerciseFailed as err:
        kind = err.kind if isinstance(err.kind, str) else "wrong"
        return {"status": "failed", "kind": kind, "message": err.message}
    except NameError as err:
        why = "did you delete or rename the cell that defines it, or not run it?"
        message = f"the check could not run: {_line(err)} ({why})"
        return {"status": "failed", "kind": "missing", "message": message}
    except AssertionError:
        return {"status": "failed", "kind": "hidden_test", "message": _HIDDEN}
    except ProtocolError as err:
        return {"status": "failed", "kind": "protocol", "message": str(err)}
    except Exception as err:
        message = f"the check stopped with {type(err).__name__}: {_line(err)}"
        return {"status": "failed", "kind": "exception", "message": message}
    return {"status": "passed", "kind": "", "message": ""}


_HIDDEN = "a hidden test of this exercise failed"
