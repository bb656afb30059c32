"""Time the batch grader on a class of 20 submissions, with 1 and with 2 jobs.

    python benchmarks/grading.py [--submissions 20] [--jobs 1 2]

The class answers the source notebooks in ``exercises/source`` when it has
any with auto-graded checks, else the test fixture
``tests/grading/fixtures/grader/source``: half the submissions are the source
notebook itself (full marks), half the student notebook with the first half of
its exercises solved (partial). Each submission runs in its own kernel; the table
gives the wall time of the whole batch and per submission, and checks that
every score came out as expected.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

from nnlib.grading.build import student_notebook
from nnlib.grading.grader import grade
from nnlib.grading.grader_kernel import Setup

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    source = source_folder()
    setup = Setup.read(source, [source.parent], cell_timeout=60, timeout=300)
    with tempfile.TemporaryDirectory(prefix="nnlib-grade-bench-") as tmp:
        made = make_class(source, Path(tmp) / "subs", args.submissions)
        paths = [p for p, _ in made]
        kinds = {str(p): kind for p, kind in made}
        print(
            f"grading {len(paths)} submissions (full and partial) of "
            f"{', '.join(sorted(setup.canonical))} from {source.relative_to(ROOT)}"
        )
        print()
        print("| jobs | total (s) | per submission (s) | scores as expected |")
        print("|---:|---:|---:|:---:|")
        for jobs in args.jobs:
            started = time.perf_counter()
            results = grade(
                paths, Path(tmp) / f"out{jobs}", setup=setup, jobs=jobs, log=lambda *a: None
            )
            took = time.perf_counter() - started
            ok = all(
                (r["score"] == r["max_score"]) == (kinds[r["submission"]] == "full")
                and r["status"] == "graded"
                for r in results
            )
            print(f"| {jobs} | {took:.1f} | {took / len(paths):.2f} | {'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    main()
