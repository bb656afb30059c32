"""Time the execution of the whole course: every notebook in course/, in order.

    python benchmarks/course.py

Each notebook runs in a fresh kernel on a temporary copy (the repository's
files are never touched), the way nbval and a learner's "Run All" do.
Prints a table of seconds per notebook and the total; target: the whole
course (chapters 00-08) in under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 90.0


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NNLIB_PROGRESS_FILE"] = str(Path(tmp) / "progress.json")
        course = Path(tmp) / "course"
        shutil.copytree(ROOT / "course", course)
        rows, total = [], 0.0
        for path in sorted(course.glob("*.ipynb")):
            seconds = run(path)
            total += seconds
            rows.append((path.name, seconds))
    print("| notebook | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} |")
    verdict = "within" if total <= TARGET_S else "OVER"
    print(f"| **total** | **{total:.1f}** ({verdict} the {TARGET_S:.0f} s target) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
