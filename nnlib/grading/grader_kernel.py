"""Run one submission in its own kernel and collect its verified check results.

Used by :mod:`nnlib.grading.grader` (which explains the design). The kernel
runs the grader's setup cell (:mod:`nnlib.grading.grader_agent`), then the
cells :func:`nnlib.grading.grader_notebook.graded_cells` made of the
submission, one by one with nbclient, under a time limit per cell and per
notebook; after each trigger cell the grader reads the agent's signed record
for that cell's nonce. Outputs are not kept: nothing printed is ever read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell

from .grader_notebook import (
    PACKAGE_DIR,
    Canonical,
    graded_cells,
    load_canonical,
    match,
    module_sources,
)

AGENT_FILE = Path(__file__).with_name("grader_agent.py")
MAX_RESULTS_BYTES = 16 * 2**20

#: Top-level modules of the kernel's own machinery: never snapshot or restored.
MACHINERY = (
    "__main__ __mp_main__ IPython ipykernel ipykernel_launcher jupyter_client jupyter_core "
    "zmq tornado traitlets comm debugpy prompt_toolkit pygments ipython_pygments_lexers "
    "matplotlib_inline jedi parso stack_data executing pure_eval asttokens decorator pexpect "
    "ptyprocess wcwidth psutil platformdirs nest_asyncio ipywidgets widgetsnbextension asyncio "
    "concurrent logging _pydevd_bundle _pydev_bundle pydevd"
).split()

SETUP_TEMPLATE = """\
def _nnlib_grade_setup(folder):
    import builtins, json, os
    with open(os.path.join(folder, "agent.py"), encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    namespace = {{"__builtins__": dict(vars(builtins)), "__name__": "nnlib_grade_agent"}}
    exec(compile(source, "<nnlib-grade agent>", "exec"), namespace)
    namespace["install"](config)


_nnlib_grade_setup({folder!r})
del _nnlib_grade_setup
"""


@dataclass
class Setup:
    """Everything a run needs, read once at the start of a batch."""

    canonical: dict[str, Canonical]
    checks_path: list[Path]
    agent_source: str = field(repr=False)
    sources: dict[str, list] = field(repr=False)
    cell_timeout: float = 60.0
    timeout: float = 600.0
    kernel_name: str = "python3"
    startup_timeout: float = 60.0

    @classmethod
    def read(cls, source_dir: Path, checks_path: list[Path], **kw: Any) -> Setup:
        notebooks = sorted(source_dir.glob("*.ipynb"))
        canonical = {p.name: load_canonical(p) for p in notebooks}
        canonical = {k: v for k, v in canonical.items() if v.checks}
        if not canonical:
            raise FileNotFoundError(
                f"no source notebook with auto-graded check cells in {source_dir}"
            )
        text = AGENT_FILE.read_text(encoding="utf-8")
        return cls(canonical, checks_path, text, module_sources(checks_path), **kw)

    def fresh_modules(self) -> list[str]:
        """Modules imported anew for every check: nnlib.grading and the check folders' modules."""
        local = {
            name.split(".")[0]
            for name, (f, _, _) in self.sources.items()
            if not Path(f).is_relative_to(PACKAGE_DIR)
        }
        return ["nnlib.grading", *sorted(local)]


class _Client(NotebookClient):
    """Keeps no outputs: the grader needs only the execute replies and its own records."""

    def output(self, outs, msg, display_id, cell_index):
        return None


def _read_records(path: Path, key: bytes) -> dict[str, dict]:
    """Records with a valid MAC, by nonce (the first one wins)."""
    found: dict[str, dict] = {}
    try:
        with path.open("rb") as f:  # the notebook could have filled it with junk: read a bit
            lines = f.read(MAX_RESULTS_BYTES).decode("utf-8", "replace").splitlines()
    except OSError:
        return found
    for line in lines:
        try:
            item = json.loads(line)
            text, mac = item["record"], item["mac"]
            good = hmac.new(key, text.encode(), "sha256").hexdigest()
            if isinstance(mac, str) and hmac.compare_digest(mac, good):
                record = json.loads(text)
                found.setdefault(record["nonce"], record)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def _kill_group(pgid: int | None) -> None:
    if pgid and pgid != os.getpgid(0):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _remove_tree(path: Path) -> None:
    def retry(func, p, _exc):
        try:
            os.chmod(p if os.path.isdir(p) else os.path.dirname(p), 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


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


def _parse(data: bytes) -> tuple[Any, str | None]:
    """The notebook (or None) and what was wrong with it, if anything."""
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except ValueError as err:  # not UTF-8, not JSON
        return None, f"the file is not a readable notebook ({type(err).__name__})"
    try:
        return nbformat.reads(text, as_version=4), None
    except Exception as err:
        if isinstance(raw, dict) and isinstance(raw.get("cells"), list):
            return (
                raw,
                f"the notebook does not follow the notebook format ({err!s:.80}): graded as is",
            )
        return None, f"the file is not a readable notebook ({type(err).__name__})"


def run_submission(setup: Setup, data: bytes, filename: str) -> dict:
    """Grade one submission (its bytes and file name); never raises."""
    started = time.monotonic()
    result: dict[str, Any] = {
        "format": "nnlib-grade/1",
        "submission": filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "notebook": None,
        "status": "graded",
        "score": 0.0,
        "max_score": 0.0,
        "exercises": [],
        "notes": [],
        "errors": [],
        "seconds": 0.0,
    }
    nb, problem = _parse(data)
    if problem:
        result["notes"].append(problem)
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
            try:
                _execute(setup, nb, canon, filename, data, result)
            except Exception as err:  # the grader's own failure: still a report
                result["status"] = "grader error"
                result["notes"].append(f"grader error: {type(err).__name__}: {err}")
    result["score"] = float(sum(e["score"] for e in result["exercises"]))
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _execute(setup: Setup, nb: Any, canon: Canonical, filename: str, data: bytes, result: dict):
    root = Path(tempfile.mkdtemp(prefix="nnlib-grade-"))
    private = root / secrets.token_hex(16)
    work = root / "work"
    private.mkdir(mode=0o700)
    work.mkdir()
    try:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name) or "submission.ipynb"
        (work / safe).write_bytes(data)
        _run_kernel(setup, nb, canon, root, private, work, result)
    finally:
        _remove_tree(root)


def _config(setup: Setup, canon: Canonical, private: Path) -> dict:
    """What the agent needs (see :mod:`nnlib.grading.grader_agent`)."""
    checks = {
        c.grade_id: {
            "imports": c.imports,
            "body": c.body,
            "aliases": canon.aliases,
            "filename": f"<check {c.grade_id}>",
        }
        for c in canon.checks
    }
    return {
        "key_file": str(private / "key"),
        "results_file": str(private / "results.jsonl"),
        "checks": checks,
        "sources": setup.sources,
        "machinery": MACHINERY,
        "fresh": setup.fresh_modules(),
        "preload": ["numpy", "nnlib", *sorted({m for c in canon.checks for m in c.modules})],
    }


def _kernel_env(setup: Setup, root: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PWD", "OLDPWD")}
    path = [str(p) for p in setup.checks_path] + [str(PACKAGE_DIR.parent)]
    env.update(
        PYTHONPATH=os.pathsep.join(path + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        NNLIB_PROGRESS_FILE=str(work / ".nnlib" / "progress.json"),
        IPYTHONDIR=str(root / "ipython"),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


class _Run:
    """One kernel run: the nbclient hooks and what they learn."""

    def __init__(self, setup: Setup, canon: Canonical, private: Path, result: dict):
        self.setup, self.private, self.result = setup, private, result
        self.rows = {r["grade_id"]: r for r in result["exercises"]}
        self.nonces = {c.grade_id: secrets.token_hex(16) for c in canon.checks}
        self.key: bytes | None = None
        self.deadline: float | None = None
        self.cell: int | None = None
        self.pgid: int | None = None

    def timeout_for(self, cell: Any) -> float:
        """Per cell, and never past the notebook's deadline (set after the setup cell)."""
        if self.deadline is None:
            return self.setup.cell_timeout
        return max(1.0, min(self.setup.cell_timeout, self.deadline - time.monotonic()))

    def executed(self, cell: Any, cell_index: int, execute_reply: dict | None) -> None:
        content = (execute_reply or {}).get("content", {})
        if cell_index == 0:  # the setup cell: no student code has run yet
            if content.get("status") != "ok":
                raise RuntimeError(f"setup failed: {content.get('ename')}: {content.get('evalue')}")
            key_file = self.private / "key"
            self.key = bytes.fromhex(key_file.read_text())
            key_file.unlink()
            self.deadline = time.monotonic() + self.setup.timeout
            return
        gid = cell.metadata.get("nnlib_grade")
        if gid is None:
            errors = self.result["errors"]
            if content.get("status") == "error" and len(errors) < 10:
                text = f"{content.get('ename')}: {content.get('evalue')}"
                errors.append({"cell": cell.metadata.get("nnlib_cell"), "error": text[:300]})
            return
        records = _read_records(self.private / "results.jsonl", self.key or b"")
        record, row = records.get(self.nonces[gid]), self.rows[gid]
        if record is None or record.get("grade_id") != gid:
            message = "the check did not report: the notebook interfered with the grader"
            row.update(status="tampering", kind="tampering", message=message)
            return
        status = record["status"]
        status = status if status in ("passed", "failed", "tampering", "error") else "error"
        row.update(status=status, kind=record.get("kind", ""), message=record.get("message", ""))
        row.update(notes=list(record.get("notes", [])), seconds=record.get("seconds"))
        row["score"] = row["points"] if status == "passed" else 0.0

    def stopped(self, graded: Any, status: str, why: str) -> None:
        """Mark the check running now and every later one as stopped by ``why``."""
        meta = graded.cells[self.cell].metadata if self.cell is not None else {}
        if not self.cell:  # the setup cell: the grader's problem, not the student's
            status, where = "grader error", "during the grader's setup"
        elif meta.get("nnlib_cell"):
            where = f"in cell {meta['nnlib_cell']}"
        else:
            where = f"in the check {meta.get('nnlib_grade')}, which the grader put back"
        self.result["status"] = status
        self.result["notes"].append(f"{why}, {where}; nothing after it ran")
        for row in self.rows.values():
            if row["grade_id"] == meta.get("nnlib_grade"):
                kind = status.replace(" ", "_")
                row.update(status=status, kind=kind, message=f"{why} during this check")
            elif row["status"] == "not run":
                row.update(message=f"not run: {why} before this check")


def _run_kernel(setup: Setup, nb, canon, root: Path, private: Path, work: Path, result: dict):
    run = _Run(setup, canon, private, result)
    cells, notes = graded_cells(nb, canon, run.nonces)
    result["notes"] += notes
    (private / "agent.py").write_text(setup.agent_source, encoding="utf-8")
    (private / "config.json").write_text(json.dumps(_config(setup, canon, private)))
    setup_cell = new_code_cell(SETUP_TEMPLATE.format(folder=str(private)))
    graded = nbformat.v4.new_notebook(cells=[setup_cell, *cells])
    client = _Client(
        graded,
        timeout=setup.cell_timeout,
        timeout_func=run.timeout_for,
        kernel_name=setup.kernel_name,
        allow_errors=True,
        startup_timeout=setup.startup_timeout,
        shutdown_kernel="immediate",
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(work)}},
    )
    client.on_cell_start = lambda cell, cell_index: setattr(run, "cell", cell_index)
    client.on_cell_executed = run.executed
    client.on_notebook_start = lambda notebook: setattr(
        run, "pgid", getattr(getattr(client.km, "provisioner", None), "pgid", None)
    )

    async def drive() -> None:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        async with client.async_setup_kernel(env=_kernel_env(setup, root, work), **quiet):
            for index, cell in enumerate(graded.cells):
                await client.async_execute_cell(cell, index, execution_count=index + 1)

    try:
        asyncio.run(drive())
    except CellTimeoutError:
        over = run.deadline is not None and time.monotonic() >= run.deadline - 0.5
        limit = setup.timeout if over else setup.cell_timeout
        what = "the notebook" if over else "a cell"
        run.stopped(graded, "timed out", f"{what} ran longer than {limit:g} s")
    except DeadKernelError:
        run.stopped(
            graded, "kernel died", "the kernel died (the notebook crashed or exited Python)"
        )
    finally:
        _kill_group(run.pgid)
