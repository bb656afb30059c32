"""Re-execute the course notebooks in place, so their stored outputs match the code.

    python scripts/execute_notebooks.py                 # course/ and exercises/source/
    python scripts/execute_notebooks.py course/03_*.ipynb

Each notebook runs top to bottom in a fresh kernel from its own folder, with
widget state stored (so a saved notebook shows its apps) and learner progress
written to a throw-away file (never into your own progress). Prints how long
each notebook took; exits non-zero if any cell raised.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["course/*.ipynb", "exercises/source/*.ipynb"]


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; returns the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", help="notebooks (default: course and solution notebooks)"
    )
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.paths] or sorted(
        p for pattern in DEFAULT for p in ROOT.glob(pattern)
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NNLIB_PROGRESS_FILE"] = str(Path(tmp) / "progress.json")
        os.environ["NNLIB_LEARNER_ID"] = "nnlib-tests"  # as conftest.py: same quiz order
        failed = 0
        total = 0.0
        for path in paths:
            try:
                seconds = execute(path.resolve())
            except CellExecutionError as err:
                failed += 1
                print(f"FAILED {path}:\n{str(err)[:2000]}", file=sys.stderr)
                continue
            total += seconds
            print(f"{seconds:7.1f} s  {path}")
        print(f"{total:7.1f} s  total ({len(paths) - failed} notebooks)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
