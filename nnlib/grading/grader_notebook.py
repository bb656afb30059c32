"""The canonical notebooks and the notebook the batch grader actually runs.

A canonical notebook is a source notebook of ``exercises/source`` (solutions
and hidden tests included); its auto-graded cells (nbgrader ``grade: true``,
``solution: false``) are the checks. :func:`plan` turns a submission
into the steps to run: its code cells (in its sandbox) and, at every check
cell's place, the canonical check (in the grader; see :mod:`nnlib.grading.grader`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import BEGIN_HIDDEN, END_HIDDEN, replace_regions

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # .../nnlib


@dataclass(frozen=True)
class CheckCell:
    """One auto-graded cell of a canonical notebook (nbgrader grade=true, solution=false)."""

    grade_id: str
    exercise: str  # the solution cell's grade_id before it, else grade_id without "check_"
    points: float
    source: str  # hidden tests included
    student_source: str  # as the student notebook shows it (hidden tests removed)
    imports: str  # the leading import statements
    body: str  # the rest, padded so line numbers match the source
    modules: tuple[str, ...]  # modules the imports load


@dataclass
class Canonical:
    """A source notebook of exercises/source/: what a submission is graded against."""

    name: str
    checks: list[CheckCell]
    solutions: list[str]  # grade_ids of solution cells, in order
    after: dict[str, str | None]  # check grade_id -> solution grade_id it follows
    aliases: dict[str, str]  # `import numpy as np` anywhere -> {"np": "numpy"}

    @property
    def grade_ids(self) -> set[str]:
        return {c.grade_id for c in self.checks} | set(self.solutions)

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _nbgrader(cell: Any) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg if isinstance(nbg, dict) else {}


def _grade_id(cell: Any) -> str | None:
    gid = _nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _split_imports(source: str) -> tuple[str, str, tuple[str, ...]]:
    """Leading import statements, the rest (line numbers kept), and the modules imported."""
    tree = ast.parse(source)
    lines = source.split("\n")
    end, modules = 0, []
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
        else:
            break
        end = node.end_lineno or end
    imports = "\n".join(lines[:end])
    body = "\n" * end + "\n".join(lines[end:])
    return imports, body, tuple(modules)


def _aliases(sources: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    found[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0]
                    )
    return found


def load_canonical(path: Path) -> Canonical:
    """Read one source notebook's auto-graded check cells."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    checks, solutions, after, code = [], [], {}, []
    last_solution = None
    for cell in nb.get("cells", []):
        meta = _nbgrader(cell)
        src = _source(cell)
        if cell.get("cell_type") == "code":
            code.append(src)
        gid = meta.get("grade_id")
        if not gid:
            continue
        if meta.get("solution"):
            solutions.append(gid)
            last_solution = gid
        elif meta.get("grade") and cell.get("cell_type") == "code":
            imports, body, modules = _split_imports(src)
            student, _ = replace_regions(src, BEGIN_HIDDEN, END_HIDDEN, None)
            exercise = last_solution or re.sub(r"^check_", "", gid)
            points = float(meta.get("points", 0) or 0)
            checks.append(CheckCell(gid, exercise, points, src, student, imports, body, modules))
            after[gid] = last_solution
    return Canonical(path.name, checks, solutions, after, _aliases(code))


def match(nb: Any, filename: str, canonical: dict[str, Canonical]) -> Canonical | None:
    """The canonical notebook a submission answers.

    Same file name (ignoring case) first; otherwise the one sharing the most
    nbgrader ``grade_id`` values with the submission's cells; with no overlap
    at all, the only canonical notebook if there is just one.
    """
    by_name = {k.lower(): v for k, v in canonical.items()}
    if filename.lower() in by_name:
        return by_name[filename.lower()]
    ids = set()
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        ids = {_grade_id(c) for c in nb["cells"] if isinstance(c, dict)}
    scored = sorted(((len(ids & c.grade_ids), c.name) for c in canonical.values()), reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return canonical[scored[0][1]]
    return next(iter(canonical.values())) if len(canonical) == 1 else None


def plan(nb: Any, canon: Canonical) -> tuple[list[tuple], list[str]]:
    """What to run for a submission, in order, and notes for the student.

    Steps are ``("cell", source, number)`` for the submission's code cells
    (``number`` counts its cells from 1) and ``("check", grade_id, number)``
    for each canonical check, at its check cell's place (``number`` None for
    a check cell the student deleted, put back after its solution cell or at
    the end). A submission's own version of a check cell is never run, and
    a second cell claiming a check's ``grade_id`` is dropped.
    """
    checks = {c.grade_id: c for c in canon.checks}
    notes: list[str] = []
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    present = {_grade_id(c) for c in cells} & set(checks)
    missing = [c for c in canon.checks if c.grade_id not in present]
    out: list[tuple] = []
    seen: set[str] = set()
    for number, cell in enumerate(cells, 1):
        gid = _grade_id(cell)
        if gid in checks:
            if gid in seen:
                notes.append(f"another cell claimed check {gid}: it was not run")
                continue
            seen.add(gid)
            if _source(cell).strip() not in (
                checks[gid].student_source.strip(),
                checks[gid].source.strip(),
            ):
                notes.append(f"check cell {gid} was changed: the original check was run")
            out.append(("check", gid, number))
            continue
        if cell.get("cell_type") == "code":
            out.append(("cell", _source(cell), number))
        for c in [c for c in missing if gid and canon.after.get(c.grade_id) == gid]:
            notes.append(f"check cell {c.grade_id} was missing: it was put back after {gid}")
            out.append(("check", c.grade_id, None))
            missing.remove(c)
    for c in missing:
        notes.append(f"check cell {c.grade_id} was missing: it was run at the end")
        out.append(("check", c.grade_id, None))
    return out, notes
