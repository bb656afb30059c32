"""Batch grader for instructors without nbgrader: ``nnlib-grade``.

Usage::

    nnlib-grade SUBMISSION.ipynb... --out DIR [--jobs N] [--source DIR]
                [--checks-path DIR] [--cell-timeout S] [--timeout S]
                [--sandbox bwrap|none] [--memory-mb M] [--replace]
    python -m nnlib.grading.grader ...

A SUBMISSION may also be a folder: every ``*.ipynb`` below it is graded. The
output folder gets ``grades.csv`` (one row per student, a column per
exercise, the total, flags) and ``students/<student>/<notebook>.json`` (the
full result) and ``.md`` (the feedback the student reads); see
:mod:`nnlib.grading.grader_report`. Every submission gets a report, whatever
its file holds, and the batch always ends with a complete ``grades.csv``.

Which notebook, which student
=============================

Submissions are graded against the source notebooks (with solutions and
hidden tests) in ``--source`` (default: ``exercises/source`` of the
repository nnlib is installed from): the one with the same file name
(ignoring case), else the one sharing the most nbgrader ``grade_id`` values
with its cells, else the only one. Check modules outside
``nnlib.grading.exercises`` are imported from ``--checks-path`` (default: the
folder above ``--source``).

The student is the file's stem (``alice.ipynb`` -> ``alice``), or its folder
when the file is named like a source notebook (``alice/ch01.ipynb`` ->
``alice``), reduced to ``[A-Za-z0-9._-]``. Two submissions of one batch with
the same student and notebook, or a submission whose result would replace
one an earlier run stored for another file, are refused unless ``--replace``
is given (then the last in path order wins). A symbolic link, or a file that
resolves outside the folder it was found in, is refused with its reason.
Re-running a batch replaces its own results only and gives the same files.

How a submission is graded
==========================

Each submission runs in a sandbox of its own
(:mod:`nnlib.grading.grader_sandbox`; bubblewrap by default, and the grader
refuses to start where bubblewrap cannot create its namespaces): a fresh
Python process (not a Jupyter kernel) with NumPy, matplotlib and the
standard library, where ``nnlib`` is a stub (``quiz``, ``show_progress`` and
no-op ``check_*``; nothing else of nnlib, and no torch or scikit-learn). Its
code cells run there in order, each under a time limit (``--cell-timeout``,
and ``--timeout`` for the notebook); IPython magics and ``!`` lines become
``pass``, ``display`` and ``get_ipython()`` do nothing.
At each check cell's place (a cell whose nbgrader ``grade_id`` is a
canonical check; a student's version of it is never run, a deleted one is put
back after its solution cell, a second cell claiming it is dropped), the
grader runs the canonical check cell, hidden tests included, in its own
process: the learner's names are stand-ins that send each call's arguments
to the sandbox and get back plain data (arrays without pickle, numbers,
the arguments as they are after the call, exception type and message,
warnings). References, comparisons, the mistake catalogue and the verdict
never leave the grader; the feedback is the message the notebook shows.
Calls travel as scripts (:mod:`nnlib.grading.grader_script`): the check is
first run *recording* (results are placeholders, every test taken as passed,
as for a correct answer) until it needs a result's value; the calls recorded
so far go to the sandbox as one request, which runs them all in order
whatever each returns and answers with every reply; then the check is run
again *replaying* those replies (each call verified equal to the script's;
another call fails the check, never passes it), recording again past them.
A check that only calls and compares (chapters 1 and 4) takes one script;
one that looks at a result before its next calls (a generator's batches, an
optimizer object's ``step``) takes a few more, each sent only after the
replay consumed every earlier result without failing. So the learner's code
sees the calls a correct answer leads to, all of a script before any of its
results is judged, and (before the check, one ``lookup`` request for its
names) nothing else; whether a next script comes tells it only that the
check has not failed so far. ``benchmarks/grading.py`` measures the cost
against the grader this design replaced.

What this protects against (each a case in ``tests/grading/``):

- forged results: nothing the sandbox prints or writes is read, there is no
  key or result file to forge; it can only answer the calls it is asked, so a
  score needs functions whose answers are right.
- tampering with the checks (patching ``Check``, NumPy, builtins, frames,
  lying ``ndarray`` subclasses, mutating inputs later): the checks and their
  inputs are in another process; arrays cross as bytes, so what comes back
  is a plain array, and a changed input is seen as changed.
- reading solutions or importing the reference implementations: the
  sandbox holds no source notebook, check module or nnlib code.
- escaping or attacking others: no network, its own PID namespace and uid,
  resource limits; everything in it dies with it; no other submission, and
  not the output folder, is visible.
- hostile files: any file becomes a report (invalid JSON, deep nesting,
  wrong types, huge, undecodable); feedback text from the learner's code is
  fenced; the output folder is checked before any work and written atomically.

Known limits: the learner's code can still do, inside its sandbox, all it
could do in a notebook (use its CPU share until the time limit, print, fail);
a check is only as good as its cases. ``--sandbox none`` runs the learner's
code as a plain child process of the grader (for machines without user
namespaces): verdicts still come from the grader, but the code can read
and change anything the grader's user can. Those reports and CSV rows say
"NOT SANDBOXED". nbgrader, the other path, runs the check cells in the
learner's own kernel: it suits practice and trusted classes, not stakes
worth cheating for.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .grader_notebook import PACKAGE_DIR, match
from .grader_report import FolderProblem, OutputFolder
from .grader_run import Setup, parse, run_submission
from .grader_sandbox import Limits, bwrap_problem


def default_source() -> Path | None:
    """``exercises/source`` of the repository nnlib lives in, if there is one."""
    folder = PACKAGE_DIR.parent / "exercises" / "source"
    return folder if folder.is_dir() else None


class Refused(Exception):
    """The batch cannot be graded as given (the message says why); nothing was written."""


def collect(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The submission files (absolute) and the refused ones, with their reasons.

    The files given, and every ``*.ipynb`` below a folder given. Symbolic
    links and files that resolve outside the folder they were found in are
    refused.
    """
    found: list[Path] = []
    refused: list[str] = []
    for given in paths:
        given = given.absolute()
        if given.is_symlink():
            refused.append(f"{given}: a symbolic link (give the file itself)")
        elif given.is_dir():
            root = given.resolve()
            for q in sorted(given.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in q.parts:
                    continue
                if any(p.is_symlink() for p in [q, *q.parents] if p.is_relative_to(given)):
                    refused.append(f"{q}: a symbolic link")
                elif not q.resolve().is_relative_to(root):
                    refused.append(f"{q}: resolves outside {given}")
                elif not q.is_file():
                    refused.append(f"{q}: not a regular file")
                else:
                    found.append(q)
        elif given.is_file():
            found.append(given)
        else:
            refused.append(f"{given}: not a file or folder")
    unique = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values()), refused


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def student_name(path: Path, canonical: set[str]) -> str:
    """The student a submission belongs to (see the module docstring)."""
    canonical = {c.lower() for c in canonical}
    by_folder = path.name.lower() in canonical
    return _clean(path.parent.name if by_folder else path.stem)


def _read(path: Path) -> bytes:
    """The file's first 50 MB; a link, FIFO or device gives an unreadable "notebook"."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as err:
        return f"unreadable: {err}".encode()
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"unreadable: not a regular file"
        return f.read(50 * 2**20 + 1)


def _notebook_of(data: bytes, path: Path, setup: Setup) -> str | None:
    nb, _ = parse(data)
    canon = match(nb, path.name, setup.canonical)
    return canon.name if canon else None


def grade(
    submissions: list[Path],
    out: Path,
    *,
    setup: Setup,
    jobs: int = 1,
    replace: bool = False,
    log=print,  # noqa: ANN001
) -> list[dict]:
    """Grade ``submissions`` into ``out``; returns the results (also written to ``out``).

    Raises :class:`Refused` (before grading anything) when the sandbox cannot
    start, the output folder is damaged, or names collide without ``replace``.
    """
    if setup.sandbox == "bwrap":
        problem = bwrap_problem()
        if problem:
            raise Refused(
                f"cannot sandbox the submissions: {problem}. Fix that, or pass "
                "--sandbox none to grade without a sandbox (every report then says "
                "NOT SANDBOXED)."
            )
    try:
        folder = OutputFolder(out)
    except (FolderProblem, OSError) as err:
        raise Refused(str(err)) from None
    submissions = [p.absolute() for p in submissions]
    data = {p: _read(p) for p in submissions}  # read once, now: nothing changes them later
    keys = [
        (student_name(p, set(setup.canonical)), _notebook_of(data[p], p, setup))
        for p in submissions
    ]
    chosen = _resolve_collisions(submissions, keys, folder, replace)
    results: list[dict] = []
    started = time.monotonic()

    def one(i: int) -> dict:
        p = submissions[i]
        result = run_submission(setup, data[p], p.name)
        result["submission"] = str(p)
        return {"student": keys[i][0], **result}

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, i) for i in chosen]
        for n, future in enumerate(as_completed(futures), 1):
            result = future.result()
            results.append(result)
            try:
                folder.save(result)
            except OSError as err:  # the CSV still gets this result
                log(f"warning: could not write the result of {result['submission']}: {err}")
            log(
                f"[{n}/{len(chosen)}] {result['student']:<16} "
                f"{result.get('notebook') or '?':<24} {result['score']:g}/{result['max_score']:g}"
                f"  {result['status']}  ({result['seconds']:.1f} s)"
            )
    folder.finish()
    log(f"graded {len(results)} submissions in {time.monotonic() - started:.1f} s -> {out}")
    order = {str(p): i for i, p in enumerate(submissions)}
    return sorted(results, key=lambda r: order[r["submission"]])


def _resolve_collisions(
    paths: list[Path], keys: list[tuple[str, str | None]], folder: OutputFolder, replace: bool
) -> list[int]:
    """Indices to grade; Refused on a collision unless ``replace`` (then the last path wins)."""
    problems = []
    by_key: dict[tuple, list[int]] = {}
    for i in sorted(range(len(paths)), key=lambda i: str(paths[i])):
        by_key.setdefault(keys[i], []).append(i)
    chosen = []
    for (student, notebook), idx in by_key.items():
        if len(idx) > 1:
            names = ", ".join(str(paths[i]) for i in idx)
            problems.append(
                f"{names} are all student {student!r} for {notebook or 'an unknown notebook'}"
            )
        i = idx[-1]
        old = folder.previous(student, notebook or "unmatched.ipynb")
        if old is not None and old.get("submission") != str(paths[i]):
            problems.append(
                f"{paths[i]} would replace the result of {old.get('submission')} "
                f"(student {student!r}, {notebook})"
            )
        chosen.append(i)
    if problems and not replace:
        raise Refused(
            "name collisions: " + "; ".join(problems) + ". Rename the files, or pass --replace."
        )
    return sorted(chosen)


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
    parser.add_argument(
        "--sandbox",
        choices=("bwrap", "none"),
        default="bwrap",
        help="bwrap (default): each submission in a bubblewrap sandbox; none: a plain "
        "child process, and every report says NOT SANDBOXED",
    )
    parser.add_argument("--memory-mb", type=int, default=2048, help="memory per submission")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="let a submission replace the result of another file with the same student "
        "and notebook (the last in path order wins)",
    )
    args = parser.parse_args(argv)
    source = args.source or default_source()
    if source is None or not source.is_dir():
        print("no source notebooks: pass --source DIR", file=sys.stderr)
        return 2
    checks_path = [p.resolve() for p in (args.checks_path or [source.resolve().parent])]
    try:
        setup = Setup.read(
            source.resolve(),
            checks_path,
            cell_timeout=args.cell_timeout,
            timeout=args.timeout,
            sandbox=args.sandbox,
            limits=Limits(
                memory_mb=args.memory_mb, cpu_seconds=int(args.timeout + args.cell_timeout) + 30
            ),
        )
    except (OSError, ValueError, SyntaxError) as err:
        print(f"cannot read the source notebooks: {err}", file=sys.stderr)
        return 2
    submissions, refused = collect(args.submissions)
    for reason in refused:
        print(f"refused: {reason}", file=sys.stderr)
    if not submissions:
        print("no submissions found", file=sys.stderr)
        return 2
    try:
        results = grade(submissions, args.out, setup=setup, jobs=args.jobs, replace=args.replace)
    except Refused as err:
        print(f"nnlib-grade: {err}", file=sys.stderr)
        return 2
    broken = [r for r in results if r["status"] == "grader error"]
    return 1 if broken or refused else 0


if __name__ == "__main__":
    sys.exit(main())
