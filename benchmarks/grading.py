"""Time the batch grader on a class of 20 submissions: sandboxed, unsandboxed, and the old grader.

    python benchmarks/grading.py [--submissions 20] [--jobs 1 2] [--baseline af3a947]

The class answers the source notebooks in ``exercises/source`` when it has
any with auto-graded checks, else the test fixture
``tests/grading/fixtures/grader/source``: half the submissions are the source
notebook itself (full marks), half the student notebook with the first half of
its exercises solved (partial). The table gives the wall time of the whole batch
and per submission for ``--sandbox bwrap`` (the default), ``--sandbox none``,
and the grader of commit ``--baseline`` (the in-kernel agent this design
replaced, run from a ``git archive`` of that commit in the same run), the
ratio to the baseline, and whether every score came out as expected.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from nnlib.grading.build import student_notebook
from nnlib.grading.grader import grade
from nnlib.grading.grader_run import Setup

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "grading" / "fixtures" / "grader" / "source"


def source_folder() -> Path:
    """The repository's exercises/source if it has graded notebooks, else the fixture."""
    real = ROOT / "exercises" / "source"
    try:
        Setup.read(real, [real.parent])
        return real
    except (OSError, ValueError, SyntaxError):
        return FIXTURE


def partial(nb: dict) -> dict:
    """The student notebook with the solutions of the first half of its exercises put back."""
    student = student_notebook(nb)
    solved = [
        i
        for i, c in enumerate(nb["cells"])
        if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code"
    ]
    for i in solved[: len(solved) // 2]:
        student["cells"][i] = copy.deepcopy(nb["cells"][i])
    return student


def make_class(source: Path, folder: Path, n: int) -> list[tuple[Path, str]]:
    """``n`` submissions cycling over the source notebooks; (path, "full" | "partial")."""
    notebooks = sorted(source.glob("*.ipynb"))
    made = []
    for k in range(n):
        src = notebooks[k % len(notebooks)]
        nb = json.loads(src.read_text(encoding="utf-8"))
        kind = "full" if k % 2 == 0 else "partial"
        path = folder / f"student{k:02d}" / src.name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb if kind == "full" else partial(nb)), encoding="utf-8")
        made.append((path, kind))
    return made


def run_baseline(rev: str, paths: list[Path], source: Path, out: Path, jobs: int) -> dict:
    """Grade with the nnlib of commit ``rev`` in a subprocess; {submission: score, max}."""
    code = out.parent / f"baseline-{rev}"
    if not code.exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "nnlib"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(code, filter="data")
    env = {**os.environ, "PYTHONPATH": str(code)}
    argv = [sys.executable, "-m", "nnlib.grading.grader", *map(str, paths), "--out", str(out)]
    argv += ["--source", str(source), "--jobs", str(jobs)]
    subprocess.run(argv, env=env, check=False, capture_output=True)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    return {r["student"]: (float(r["total"]), float(r["max_score"])) for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline", default="af3a947", help="commit of the old grader")
    args = parser.parse_args()
    source = source_folder()
    with tempfile.TemporaryDirectory(prefix="nnlib-grade-bench-") as tmp:
        made = make_class(source, Path(tmp) / "subs", args.submissions)
        paths = [p for p, _ in made]
        kinds = {str(p): kind for p, kind in made}
        print(
            f"grading {len(paths)} submissions (full and partial) from {source.relative_to(ROOT)}"
        )
        print()
        print(
            "| grader | jobs | total (s) | per submission (s) | vs. baseline | scores as expected |"
        )
        print("|---|---:|---:|---:|---:|:---:|")
        for jobs in args.jobs:
            started = time.perf_counter()
            scores = run_baseline(args.baseline, paths, source, Path(tmp) / f"base{jobs}", jobs)
            base = time.perf_counter() - started
            ok = len(scores) == len(paths) and all(
                (scores[p.parent.name][0] == scores[p.parent.name][1]) == (kinds[str(p)] == "full")
                for p in paths
            )
            print(
                f"| old in-kernel agent ({args.baseline}) | {jobs} | {base:.1f} | "
                f"{base / len(paths):.2f} | 1.00 | {'yes' if ok else 'NO'} |"
            )
            for mode in ("none", "bwrap"):
                setup = Setup.read(source, [source.parent], cell_timeout=60, timeout=300,
                                   sandbox=mode)  # fmt: skip
                started = time.perf_counter()
                results = grade(
                    paths, Path(tmp) / f"out-{mode}{jobs}", setup=setup, jobs=jobs,
                    log=lambda *a: None,
                )  # fmt: skip
                took = time.perf_counter() - started
                ok = all(
                    (r["score"] == r["max_score"]) == (kinds[r["submission"]] == "full")
                    and r["status"] == "graded"
                    for r in results
                )
                print(
                    f"| --sandbox {mode} | {jobs} | {took:.1f} | {took / len(paths):.2f} | "
                    f"{took / base:.2f} | {'yes' if ok else 'NO'} |"
                )


if __name__ == "__main__":
    main()
