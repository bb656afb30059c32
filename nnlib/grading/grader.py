"""Batch grader for instructors without nbgrader: ``nnlib-grade``.

Usage::

    nnlib-grade SUBMISSION.ipynb... --out DIR [--jobs N] [--source DIR]
                [--checks-path DIR] [--cell-timeout S] [--timeout S]
    python -m nnlib.grading.grader ...

A SUBMISSION may also be a folder: every ``*.ipynb`` below it is graded. The
output folder gets ``grades.csv`` (one row per student, a column per
exercise, the total) and ``students/<student>/<notebook>.json`` (the full
result) and ``.md`` (the feedback the student reads); see
:mod:`nnlib.grading.grader_report`. Each submission always gets a report,
whatever it contains; one broken submission never stops the batch.

Which notebook, which student
=============================

Submissions are graded against the source notebooks (with solutions and
hidden tests) in ``--source`` (default: ``exercises/source`` of the
repository nnlib is installed from). A submission answers the source notebook
with the same file name (ignoring case); otherwise the one sharing the most
nbgrader ``grade_id`` values with its cells; with no overlap, the only source
notebook if there is just one. Check modules that do not live in
``nnlib.grading.exercises`` are found in ``--checks-path`` (default: the
folder above ``--source``).

The student is named by the file's stem (``alice.ipynb`` -> ``alice``), or by
its folder when the file is named like a source notebook or when several
submissions share a stem (``alice/ch01_forward.ipynb`` -> ``alice``); names
are reduced to ``[A-Za-z0-9._-]``, and a name already used for the same
notebook gets ``-2``, ``-3``... in path order. Results are stored per
(student, notebook): re-running a subset replaces those results only, and the
CSV is rebuilt from all results in the folder, so earlier rows stay.

How a submission is run
=======================

Each submission runs in its own kernel (nbclient), started in a new temporary
folder (never the output folder, whose path the kernel is never given) with
a copy of the submission, with a time limit per cell (``--cell-timeout``) and
per notebook (``--timeout``); on overrun, and always at the end, the kernel's
whole process group is killed. The executed notebook is: the grader's setup
cell (:mod:`nnlib.grading.grader_agent`), then the submission's code cells in
order, where every cell whose nbgrader ``grade_id`` is a canonical check
(``grade: true``, ``solution: false``) becomes a trigger for that check: the
submission's version of the cell is never run, a check cell deleted by the
student is put back after the solution cell it belongs to (or at the end),
and a second cell claiming a check's ``grade_id`` is dropped.

Why the scores cannot be forged
===============================

Scores never come from printed text, cell outputs or the notebook's cells.
The setup cell runs before any student code and installs the agent
(:mod:`nnlib.grading.grader_agent`: two audit hooks, which Python cannot
remove). The agent makes a random HMAC key and hands it to the grader in a
private file, which the grader deletes before it sends the next cell; the key
is never in a cell, an output or the history. A trigger cell carries only the
check's ``grade_id`` and a fresh random nonce. On a trigger the agent undoes
what the notebook changed in builtins, ``sys``, NumPy, nnlib's core and every
other module loaded before the submission, imports ``nnlib.grading`` and the
check modules fresh from the sources the grader read at the start of the
batch, runs the canonical check code (hidden tests included) with the
learner's names in a thread of its own, and signs the outcome. The grader
reads the results file right after that trigger cell and takes the first
correctly signed record carrying the cell's nonce; anything else is ignored.

What each cheat meets (each one is a case in ``tests/grading/test_grader.py``):

- printing "✓ ... passed": text is never read; no signed record, no credit.
- editing or deleting a check cell, or a cell claiming its ``grade_id``: the
  canonical check runs anyway, at the check cell's place.
- a fake ``check_<id>`` in the notebook, a fake check module in
  ``sys.modules`` or as a file in the working folder, ``Check.__exit__ = ...``
  on the notebook's copy of nnlib: checks are imported fresh, with no notebook
  folder on ``sys.path`` and every module imported by the notebook hidden.
- monkeypatching NumPy (``np.allclose = ...``), builtins or ``__import__``:
  undone before the check (the feedback says so). Done from inside the
  learner's function while the check runs (NumPy, or the check's own
  ``Check`` class found through ``object.__subclasses__()``): detected after
  the check, "tampering", no credit.
- writing a results line with a made-up MAC, re-running a check from a later
  cell, or calling the agent's "done" event: ignored, or "tampering".
- ``sys.exit``, ``raise SystemExit`` or ``KeyboardInterrupt`` in a cell: the
  checks still run; raised by the learner's function, that check fails.
  ``os._exit``, ``os.abort``, a crashed kernel: the checks that already ran
  keep their results, the rest score zero ("kernel died").
- an infinite loop: the time limit kills the kernel ("timed out").
- audit hooks, ``sys.settrace``/``setprofile``, ``gc.get_objects`` and
  friends, ``sys._current_frames``: refused (the cell fails). IPython input
  or AST transformers: "tampering" for every later check.
- writing into the output folder: the kernel is not told where it is (not in
  its environment, arguments or working folder); if it finds it anyway, the
  grader restores every file it owns at the end, moves files it did not write
  to ``rejected/`` and builds the CSV from the results it holds in memory.
- invalid JSON, an empty notebook, an untouched stub: a report with zero.

Known limits
============

The kernel runs as the grader's own OS user, and one Python process gives no
real isolation. A student who studies this grader could still win with
``ctypes`` (raw memory access), by editing the grader's files on disk, by
reading the grader's command line in ``/proc`` (to find the output folder;
the damage is repaired, not prevented), with a process that escapes the
kernel's process group, by exhausting memory or disk (no resource limits are
set), with a Python signal handler that captures the agent's frame while it
runs in the main thread, by monkeypatching the checker from inside the
learner's function and undoing it before the check ends, or by rebinding,
from inside that function, a name the hidden tests read from the notebook
(``np``). For high-stakes grading, run the grader in a container or as a
separate user, and read the "tampering" flags of ``grades.csv``. For check
authors: checks run in a thread that is not the main thread (no ``signal``),
and a check module should import what it needs at the top (an import inside
a function, run while the check runs, sees the notebook's modules).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .grader_kernel import Setup, run_submission
from .grader_notebook import PACKAGE_DIR, match
from .grader_report import OutputFolder


def default_source() -> Path | None:
    """``exercises/source`` of the repository nnlib lives in, if there is one."""
    folder = PACKAGE_DIR.parent / "exercises" / "source"
    return folder if folder.is_dir() else None


def collect(paths: list[Path]) -> list[Path]:
    """The submission files: the files given, and every ``*.ipynb`` below a folder given."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            found.append(p)
    unique = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def student_names(paths: list[Path], notebooks: list[str | None], canonical: set[str]) -> list[str]:
    """A name per submission (see the module docstring), unique per notebook."""
    stems = Counter(p.stem for p in paths)
    canonical = {c.lower() for c in canonical}
    names = []
    for p in paths:
        by_folder = p.name.lower() in canonical or stems[p.stem] > 1
        names.append(_clean(p.resolve().parent.name if by_folder else p.stem))
    taken: Counter = Counter()
    order = sorted(range(len(paths)), key=lambda i: str(paths[i]))
    unique = list(names)
    for i in order:
        key = (names[i], notebooks[i])
        taken[key] += 1
        if taken[key] > 1:
            unique[i] = f"{names[i]}-{taken[key]}"
    return unique


def _guess_notebook(data: bytes, path: Path, setup: Setup) -> str | None:
    try:
        nb = json.loads(data)
    except ValueError:
        nb = None
    canon = match(nb, path.name, setup.canonical)
    return canon.name if canon else None


def grade(
    submissions: list[Path],
    out: Path,
    *,
    setup: Setup,
    jobs: int = 1,
    log=print,  # noqa: ANN001
) -> list[dict]:
    """Grade ``submissions`` into ``out``; returns the results (also written to ``out``)."""
    folder = OutputFolder(out)
    data = {}
    for p in submissions:
        try:
            data[p] = p.read_bytes()  # read now: nothing a submission does can change them
        except OSError as err:
            data[p] = f"unreadable: {err}".encode()
    notebooks = [_guess_notebook(data[p], p, setup) for p in submissions]
    names = student_names(submissions, notebooks, set(setup.canonical))
    results: list[dict] = []
    started = time.monotonic()

    def one(i: int) -> dict:
        p = submissions[i]
        try:
            result = run_submission(setup, data[p], p.name)
        except Exception as err:  # run_submission does not raise; belt and braces
            result = {
                "format": "nnlib-grade/1",
                "submission": p.name,
                "status": "grader error",
                "notebook": notebooks[i],
                "score": 0.0,
                "max_score": 0.0,
                "exercises": [],
                "notes": [f"grader error: {err}"],
                "errors": [],
                "seconds": 0.0,
            }
        result["submission"] = str(p)
        return {"student": names[i], **result}

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, i) for i in range(len(submissions))]
        for n, future in enumerate(as_completed(futures), 1):
            result = future.result()
            results.append(result)
            try:
                folder.save(result)
            except OSError as err:  # the CSV still gets this result
                log(f"warning: could not write the result of {result['submission']}: {err}")
            log(
                f"[{n}/{len(submissions)}] {result['student']:<16} "
                f"{result.get('notebook') or '?':<24} {result['score']:g}/{result['max_score']:g}"
                f"  {result['status']}  ({result['seconds']:.1f} s)"
            )
    for warning in folder.finish():
        log(f"warning: {warning}")
    log(f"graded {len(results)} submissions in {time.monotonic() - started:.1f} s -> {out}")
    order = {p: i for i, p in enumerate(map(str, submissions))}
    return sorted(results, key=lambda r: order[r["submission"]])


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``nnlib-grade``."""
    parser = argparse.ArgumentParser(
        prog="nnlib-grade",
        description="Grade submitted exercise notebooks against the canonical checks.",
    )
    parser.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help="submitted .ipynb files or folders of them",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="folder of source notebooks (default: the repository's exercises/source)",
    )
    parser.add_argument(
        "--checks-path",
        type=Path,
        action="append",
        default=None,
        help="folder with check modules outside nnlib (default: the folder "
        "above --source); repeatable",
    )
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per notebook")
    args = parser.parse_args(argv)
    source = args.source or default_source()
    if source is None or not source.is_dir():
        print("no source notebooks: pass --source DIR", file=sys.stderr)
        return 2
    checks_path = [p.resolve() for p in (args.checks_path or [source.resolve().parent])]
    try:
        setup = Setup.read(
            source.resolve(), checks_path, cell_timeout=args.cell_timeout, timeout=args.timeout
        )
    except (OSError, ValueError, SyntaxError) as err:
        print(f"cannot read the source notebooks: {err}", file=sys.stderr)
        return 2
    submissions = collect(args.submissions)
    if not submissions:
        print("no submissions found", file=sys.stderr)
        return 2
    results = grade(submissions, args.out, setup=setup, jobs=args.jobs)
    broken = [r for r in results if r["status"] == "grader error"]
    broken += [r for r in results if any(e["status"] == "error" for e in r["exercises"])]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
