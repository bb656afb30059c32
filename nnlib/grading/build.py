"""Generate student notebooks and the encoded quiz bank from ``exercises/source/``.

Usage (from the repository root)::

    nnlib-build-exercises            # write exercises/*.ipynb and nnlib/grading/quizbank.json
    nnlib-build-exercises --check    # exit 1, listing what differs, if anything is out of date
    python -m nnlib.grading.build --root PATH

For every ``exercises/source/<name>.ipynb`` the student notebook
``exercises/<name>.ipynb`` is the same notebook with, as nbgrader's
``generate_assignment`` does it:

- every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region replaced by a
  stub at the same indentation (code cells)::

      # YOUR CODE HERE
      raise NotImplementedError("Exercise <grade_id>: not implemented yet")

  or ``YOUR ANSWER HERE`` (Markdown cells); a solution cell without markers
  is replaced whole;
- every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region removed;
- outputs and execution counts cleared, widget state and timing metadata
  dropped, locked cells made non-editable and non-deletable;
- nbgrader metadata kept, so the notebook still works with nbgrader.

The quiz sources ``exercises/source/quizzes/*.json`` are encoded into
``nnlib/grading/quizbank.json`` (see :mod:`nnlib.grading.quizbank`). Output is
deterministic, so ``--check`` can compare it byte for byte with what is
committed.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

CODE_STUB = (
    '# YOUR CODE HERE\nraise NotImplementedError("Exercise {grade_id}: not implemented yet")'
)
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
_DROP_CELL_METADATA = ("execution", "ExecuteTime", "scrolled")
_DROP_NB_METADATA = ("widgets", "celltoolbar")


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def replace_regions(source: str, begin: str, end: str, stub: str | None) -> tuple[str, bool]:
    """Replace each ``begin``..``end`` region (marker lines included) by ``stub``.

    The stub is indented like the begin marker; ``stub=None`` deletes the
    region. Returns the new source and whether a region was found.
    """
    out: list[str] = []
    inside = found = False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested {begin!r} markers")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            if stub is not None:
                out += [indent + s for s in stub.split("\n")]
        elif end in line:
            if not inside:
                raise ValueError(f"{end!r} without {begin!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{begin!r} without {end!r}")
    return "\n".join(out), found


def lint(nb: dict, name: str) -> list[str]:
    """Problems that would break the build or nbgrader (empty list = fine)."""
    errors = []
    seen: set[str] = set()
    for i, cell in enumerate(nb.get("cells", [])):
        meta, src = _nbgrader(cell), _source(cell)
        where = f"{name} cell {i}"
        if meta:
            gid = meta.get("grade_id")
            if not gid or not re.fullmatch(r"[A-Za-z0-9_\-]+", str(gid)):
                errors.append(f"{where}: nbgrader grade_id missing or not [A-Za-z0-9_-]+")
            elif gid in seen:
                errors.append(f"{where}: duplicate grade_id {gid!r}")
            seen.add(gid)
            if meta.get("schema_version") != 3:
                errors.append(f"{where}: nbgrader schema_version must be 3")
            if meta.get("grade") and not isinstance(meta.get("points"), int | float):
                errors.append(f"{where}: grade cell needs numeric points")
        if cell.get("cell_type") == "markdown" and meta.get("solution") and not meta.get("grade"):
            errors.append(f"{where}: a Markdown solution cell must be a (manually) graded cell")
        if BEGIN_SOLUTION in src and not meta.get("solution"):
            errors.append(f"{where}: solution region in a cell without nbgrader solution: true")
        if BEGIN_HIDDEN in src and not meta.get("grade"):
            errors.append(f"{where}: hidden tests in a cell without nbgrader grade: true")
    return errors


def student_notebook(nb: dict) -> dict:
    """The student version of a source notebook (a new dict; ``nb`` is untouched)."""
    nb = copy.deepcopy(nb)
    for key in _DROP_NB_METADATA:
        nb.get("metadata", {}).pop(key, None)
    with_ids = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)
    for i, cell in enumerate(nb["cells"]):
        meta = _nbgrader(cell)
        src = _source(cell)
        gid = meta.get("grade_id") or f"cell{i}"
        if cell["cell_type"] == "code":
            stub = CODE_STUB.format(grade_id=gid)
        else:
            stub = TEXT_STUB
        src, replaced = replace_regions(src, BEGIN_SOLUTION, END_SOLUTION, stub)
        if meta.get("solution") and not replaced:
            src = stub
        src, _ = replace_regions(src, BEGIN_HIDDEN, END_HIDDEN, None)
        cell["source"] = src
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in _DROP_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if meta.get("locked"):
            cell["metadata"]["editable"] = False
            cell["metadata"]["deletable"] = False
        if with_ids and not cell.get("id"):
            cell["id"] = f"cell-{i}"
    return nb


def notebook_text(nb: dict) -> str:
    """Stable JSON text of a notebook, as ``nbformat.write`` produces it."""
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def find_root(start: Path | None = None) -> Path:
    """The nearest folder (upwards from ``start`` or the cwd) with ``exercises/source``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises" / "source").is_dir():
            return folder
    raise FileNotFoundError(
        f"no exercises/source folder in {here} or above: run from the repository or pass --root"
    )


def expected_files(root: Path) -> tuple[dict[Path, str], list[str]]:
    """What the build writes (path -> text), and the problems found on the way."""
    from .quizbank import dumps_bank, encode_bank, read_sources

    source_dir = root / "exercises" / "source"
    files: dict[Path, str] = {}
    errors: list[str] = []
    for path in sorted(source_dir.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        problems = lint(nb, path.name)
        if problems:
            errors += problems
            continue
        try:
            files[root / "exercises" / path.name] = notebook_text(student_notebook(nb))
        except ValueError as err:
            errors.append(f"{path.name}: {err}")
    quiz_dir = source_dir / "quizzes"
    if quiz_dir.is_dir() and any(quiz_dir.glob("*.json")):
        try:
            bank = encode_bank(read_sources(quiz_dir))
            files[root / "nnlib" / "grading" / "quizbank.json"] = dumps_bank(bank)
        except ValueError as err:
            errors.append(str(err))
    return files, errors


def stale_notebooks(root: Path) -> list[Path]:
    """Student notebooks in ``exercises/`` whose source notebook no longer exists."""
    sources = {p.name for p in (root / "exercises" / "source").glob("*.ipynb")}
    return [p for p in sorted((root / "exercises").glob("*.ipynb")) if p.name not in sources]


def build(root: Path, check: bool = False) -> tuple[list[Path], list[str]]:
    """Write (or with ``check``, only compare) the generated files.

    Returns the files that differed from what is generated (and, when not
    checking, were rewritten) and the problems found.
    """
    files, errors = expected_files(root)
    differ = []
    for path, text in files.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            differ.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return differ + stale_notebooks(root), errors


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``nnlib-build-exercises``."""
    parser = argparse.ArgumentParser(
        prog="nnlib-build-exercises",
        description="Generate student notebooks in exercises/ and nnlib/grading/quizbank.json "
        "from exercises/source/.",
    )
    parser.add_argument("--root", type=Path, help="repository root (default: found from the cwd)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the generated files that are out of date",
    )
    args = parser.parse_args(argv)
    try:
        root = find_root(args.root) if args.root is None else args.root.resolve()
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    differ, errors = build(root, check=args.check)
    for err in errors:
        print(f"error: {err}", file=sys.stderr)
    stale = set(stale_notebooks(root))
    for path in differ:
        rel = path.relative_to(root)
        if path in stale:
            print(f"stale (no source notebook): {rel}")
        elif args.check:
            print(f"out of date: {rel}")
        else:
            print(f"wrote {rel}")
    if args.check and differ:
        print("run `nnlib-build-exercises` and commit the result", file=sys.stderr)
    if errors:
        return 2
    if args.check and differ:
        return 1
    if not differ:
        print("all generated files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
