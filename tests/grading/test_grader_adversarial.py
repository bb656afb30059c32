"""The batch grader against hostile submissions: one per attack family of issue 9.

One batch (two sandboxes at a time) holds two honest students and one
submission per attack family; each must get exactly what its real functions
earn (``HONEST``), the honest students must lose nothing, ``grades.csv`` must
list everyone, and nothing a submission started may be alive afterwards. The
output-folder, symlink and name-collision attacks are refused before any
grading, and leave the folder as it was.
"""

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sandbox_support import require_sandbox
from test_grader import ADD_BIAS, ADD_BIAS_WRONG, RELU, RELU_WRONG, SOURCE, notebook, setup

from nnlib.grading.grader import Refused, collect, grade, main
from nnlib.grading.grader_sandbox import UID_RANGE

pytestmark = require_sandbox()

# Key theft and forged results: patch the runner found through gc so every call "passes",
# and write forged replies and old-style signed records into every open file descriptor.
FORGER = """\
import gc, json, os, struct
for o in gc.get_objects():
    if type(o).__name__ == "Runner":
        o.op_call = lambda msg, iterate=False: {"ok": True, "result": 1.0, "after": [],
                                                 "kwafter": {}, "warnings": []}
record = json.dumps({"record": json.dumps({"status": "passed"}), "mac": "0" * 64})
for fd in map(int, os.listdir("/proc/self/fd")):
    for data in (struct.pack(">I", 11) + b'{"ok":true}', record.encode()):
        try:
            os.write(fd, data)
        except OSError:
            pass
"""
# Walk the frames of the check (every thread's) and the heap, for `expected` or a Check.
FRAME_WALKER = """\
import gc, sys
import numpy as np

def add_bias(x, b):
    for frame in [sys._getframe(), *sys._current_frames().values()]:
        while frame is not None:
            for name, value in frame.f_locals.items():
                if name == "expected" or type(value).__name__ == "Check":
                    return value
            frame = frame.f_back
    for o in gc.get_objects():
        if type(o).__name__ == "Check":
            o.compare = lambda *a, **k: None
    return x - b

def relu(z):
    return z
"""
# An ndarray subclass that claims to equal anything, and inputs zeroed after the call.
LIAR = """\
import numpy as np

class Liar(np.ndarray):
    def __eq__(self, other):
        return True
    def __array_function__(self, func, types, args, kwargs):
        return True

def add_bias(x, b):
    return (x + b).view(Liar)  # the right values, in a lying subclass

kept = []
def relu(z):
    kept.append(z)
    for old in kept[:-1]:
        old[...] = 0  # zero an earlier call's input, after its mutation test
    return np.zeros_like(z).view(Liar)
"""
# Reading solutions, other submissions and the checks; importing reference code.
READER = """\
import glob, importlib, os, sys
found = []
sys.path += ["/work/venv/lib/python3.11/site-packages", {site!r}, {source!r}, {fix!r}]
sys.path += glob.glob("/sandbox/python/lib*/python3*/site-packages")
sys.path += glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*")
for name in ["nnlib.activations", "nnlib.gradcheck", "basics_checks", "torch", "sklearn",
             "scipy", "nnlib.grading.checks", "IPython", "pytest"]:
    try:
        module = importlib.import_module(name)
    except Exception:
        continue
    if getattr(module, "__file__", None):
        found.append(name)
for pattern in [{source!r} + "/*.ipynb", {subs!r} + "/*.ipynb", "/work/**/*.ipynb",
                "/root/**/*.ipynb", "/home/**/*.ipynb", "/tmp/**/*.ipynb"]:
    for path in glob.glob(pattern, recursive=True):
        if path != "/work/submission.ipynb":
            try:
                open(path).read()
                found.append(path)
            except OSError:
                pass

def relu(z):
    if "nnlib.activations" in found:
        return importlib.import_module("nnlib.activations").relu(z)
    return np.abs(z)

raise RuntimeError(f"found: {{found}}")
"""
# Escape: kill what it can see, fork a daemon and a swarm, write outside its sandbox.
ESCAPER = """\
import os, signal, time
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) not in (os.getpid(), 1):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/usr/bin/sleep", ["sleep", "4242"])
    os._exit(0)
os.wait()
forked = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            os.execv("/usr/bin/sleep", ["sleep", "4243"])
        forked += 1
    except OSError:
        break
wrote = []
for path in [{out!r} + "/grades.csv", {subs!r} + "/full.ipynb", "/tmp/../../{out_name}"]:
    try:
        with open(path, "w") as f:
            f.write("student,total\\nescaper,99\\n")
        wrote.append(path)
    except OSError:
        pass
import socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    network = "reached"
except OSError:
    network = "none"
try:
    hog = bytearray(3 * 2**30)
    memory = "3 GB"
except MemoryError:
    memory = "refused"
raise RuntimeError(f"forked {{forked}}, wrote {{wrote}}, network {{network}}, memory {{memory}}")
"""
NESTED = b'{"cells": [' + b"[" * 1200 + b"]" * 1200 + b"]}"
WEIRD = {
    "cells": [
        {"cell_type": "code", "source": 42, "metadata": {"nbgrader": ["x"]}},
        {"cell_type": 7, "source": ["def add_bias(x, b):\n", "    return x + b\n"]},
        "not a cell",
        {"cell_type": "code", "source": "x = " + "[" * 3000 + "]" * 3000, "metadata": []},
        {"cell_type": "code", "source": "a = 1\x00", "metadata": {}},
    ],
    "metadata": None,
    "nbformat": "four",
}
INJECTED = "\n```\n# Score: 10 / 10\n**Score: 3 / 3**\n\x1b[2J\u202egnissap\r<script>"
INJECT = f"""\
import numpy as np

def add_bias(x, b):
    raise ValueError({INJECTED!r})

raise RuntimeError({INJECTED!r})
"""


def hostile_class(subs: Path, out: Path) -> dict[str, bytes]:
    site = str(Path(np_file()).parents[1])
    return {
        "full": notebook(ADD_BIAS, RELU),
        "partial": notebook(ADD_BIAS, RELU_WRONG),
        "forger": notebook(ADD_BIAS_WRONG, RELU_WRONG, after=[("add-bias", FORGER)]),
        "frame_walker": notebook(ADD_BIAS_WRONG, FRAME_WALKER),
        "liar": notebook(LIAR, "pass"),
        "reader": notebook(
            ADD_BIAS,
            READER.format(site=site, source=str(SOURCE), fix=str(SOURCE.parent), subs=str(subs)),
        ),
        "escaper": notebook(
            ADD_BIAS,
            RELU,
            after=[("add-bias", ESCAPER.format(out=str(out), subs=str(subs), out_name=out.name))],
        ),
        "nested": NESTED,
        "not_utf8": b'{"cells": [], "x": "\xff\xfe"}',
        "weird": WEIRD,
        "list": b"[]",
        "huge": b'{"cells": [], "pad": "' + b"x" * (21 * 2**20) + b'"}',
        "inject": notebook(INJECT, RELU),
    }


def np_file() -> str:
    import numpy

    return numpy.__file__


HONEST = {  # what each submission's real functions earn (add_bias 2 points, relu 1)
    "full": 3,
    "partial": 2,
    "forger": 0,
    "frame_walker": 0,
    "liar": 2,
    "reader": 2,
    "escaper": 3,
    "nested": 0,
    "not_utf8": 0,
    "weird": 0,
    "list": 0,
    "huge": 0,
    "inject": 1,
}


def sandbox_processes() -> list[str]:
    """Processes of a sandbox uid, or running the escaper's sleeps, still alive."""
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        if UID_RANGE[0] <= uid < UID_RANGE[1] or "sleep 424" in cmdline:
            alive.append(f"{pid} uid {uid}: {cmdline}")
    return alive


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out = tmp / "subs", tmp / "out"
    subs.mkdir()
    paths = []
    for name, nb in hostile_class(subs, out).items():
        path = subs / f"{name}.ipynb"
        path.write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb).encode())
        paths.append(path)
    results = grade(paths, out, setup=setup(), jobs=2, log=lambda *a: None)
    return {r["student"]: r for r in results}, out, subs


@pytest.mark.parametrize("student", list(HONEST))
def test_each_hostile_submission_gets_exactly_its_honest_score(hostile, student):
    results, out, _ = hostile
    assert results[student]["score"] == HONEST[student], results[student]
    saved = json.loads((out / "students" / student / "basics.json").read_text())
    assert saved["score"] == HONEST[student]


def test_honest_students_in_the_batch_lose_nothing(hostile):
    results, out, subs = hostile
    for student in ("full", "partial"):
        r = results[student]
        assert r["status"] == "graded" and r["notes"] == [] and r["errors"] == [], r
    assert json.loads((subs / "full.ipynb").read_text())["cells"]  # not overwritten
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert {r["student"]: r["total"] for r in rows} == {k: f"{v:g}" for k, v in HONEST.items()}
    assert {r["student"]: r["flags"] for r in rows}["full"] == ""


def test_nothing_a_submission_started_is_alive_afterwards(hostile):
    assert sandbox_processes() == []


def test_escaping_processes_stay_in_their_sandbox(hostile):
    results, _, _ = hostile
    (error,) = [e["error"] for e in results["escaper"]["errors"]]
    pattern = r"RuntimeError: forked (\d+), wrote (.*), network (\w+), memory (.*)"
    forked, wrote, network, memory = re.match(pattern, error).groups()
    assert 0 < int(forked) < 64  # the process limit of its own uid
    assert wrote == "[]"  # neither the output folder nor another submission
    assert (network, memory) == ("none", "refused")


def test_solutions_and_reference_code_are_out_of_reach(hostile):
    results, _, _ = hostile
    errors = [e["error"] for e in results["reader"]["errors"]]
    assert errors == ["RuntimeError: found: []"]
    assert "returned |z|" in results["reader"]["exercises"][1]["message"]


def test_lying_arrays_and_later_mutation_change_nothing(hostile):
    results, _, _ = hostile
    add_bias, relu = results["liar"]["exercises"]
    assert add_bias["status"] == "passed"
    assert relu["status"] == "failed" and "wrong values" in relu["message"]


def test_forged_records_and_patched_runners_earn_nothing(hostile):
    results, _, _ = hostile
    assert [e["status"] for e in results["forger"]["exercises"]] != ["passed", "passed"]
    add_bias, _ = results["frame_walker"]["exercises"]
    assert add_bias["status"] == "failed"


def test_hostile_files_become_reports(hostile):
    results, out, _ = hostile
    for student in ("nested", "not_utf8", "list", "huge"):
        assert results[student]["status"] == "invalid notebook", results[student]
        assert (out / "students" / student / "basics.md").is_file()
    assert "nested too deeply" in results["nested"]["notes"][0]
    assert "not UTF-8" in results["not_utf8"]["notes"][0]
    assert "larger than 20 MB" in results["huge"]["notes"][0]
    weird = results["weird"]
    assert weird["status"] == "graded"
    assert any("not text" in n for n in weird["notes"])
    assert any("not a notebook cell" in n for n in weird["notes"])


def test_feedback_escapes_learner_text(hostile):
    results, out, _ = hostile
    assert "ValueError" in results["inject"]["exercises"][0]["message"]
    md = (out / "students" / "inject" / "basics.md").read_text()
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", md)
    fence, outside = None, []  # learner text sits inside fences nothing inside closes
    for line in md.splitlines():
        if fence is None and line.startswith("```"):
            fence = line
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            outside.append(line)
    assert fence is None
    assert [line for line in outside if "Score" in line] == ["**Score: 1 / 3**"]
    assert not [line for line in outside if "10 / 10" in line or "<script>" in line]


# ------------------------------------------------------------------ refused before grading


def test_a_damaged_output_folder_is_refused_untouched(tmp_path):
    sub = tmp_path / "full.ipynb"
    sub.write_text(json.dumps(notebook(ADD_BIAS, RELU)))
    damage = {
        "fifo": lambda out: os.mkfifo(out / "grades.csv"),
        "dir_for_file": lambda out: (out / "students" / "full" / "basics.json").mkdir(parents=True),
        "stray": lambda out: (out / "notes.txt").write_text("hi"),
        "bad_result": lambda out: (
            (out / "students" / "bob").mkdir(parents=True),
            (out / "students" / "bob" / "basics.json").write_text("{}"),
        ),
        "link": lambda out: (out / "students").symlink_to(tmp_path),
    }
    for name, make in damage.items():
        out = tmp_path / name
        out.mkdir()
        make(out)
        before = sorted(str(p) for p in out.rglob("*"))
        with pytest.raises(Refused, match="holds what the grader did not write"):
            grade([sub], out, setup=setup(), log=lambda *a: None)
        assert sorted(str(p) for p in out.rglob("*")) == before, name
        assert main([str(sub), "--out", str(out), "--source", str(SOURCE)]) == 2


def test_earlier_results_are_never_lost(tmp_path):
    for name in ("alice", "bob"):
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(notebook(ADD_BIAS, RELU_WRONG)))
    out = tmp_path / "out"
    grade([tmp_path / "alice.ipynb"], out, setup=setup(), log=lambda *a: None)
    grade([tmp_path / "bob.ipynb"], out, setup=setup(), log=lambda *a: None)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "2"), ("bob", "2")]


def test_symlinks_are_refused(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text(json.dumps(notebook(ADD_BIAS, RELU_WRONG)))
    (subs / "mallory.ipynb").symlink_to(SOURCE / "basics.ipynb")  # the solution
    (subs / "bob").mkdir()
    (subs / "bob" / "basics.ipynb").symlink_to(subs / "alice.ipynb")  # another student's file
    os.mkfifo(subs / "pipe.ipynb")  # reading it would hang
    found, refused = collect([subs, subs / "mallory.ipynb"])
    assert found == [subs / "alice.ipynb"]
    assert sum("symbolic link" in r for r in refused) == 3
    assert [r for r in refused if "symbolic" not in r] == [
        f"{subs / 'pipe.ipynb'}: not a regular file"
    ]
    out = tmp_path / "out"
    assert main([str(subs), "--out", str(out), "--source", str(SOURCE)]) == 1
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "2")]


def test_name_collisions_need_replace(tmp_path):
    for folder, code in (("x", RELU_WRONG), ("y", RELU)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "carol.ipynb").write_text(json.dumps(notebook(ADD_BIAS, code)))
    x, y, out = tmp_path / "x" / "carol.ipynb", tmp_path / "y" / "carol.ipynb", tmp_path / "out"
    with pytest.raises(Refused, match="are all student 'carol'"):
        grade([x, y], out, setup=setup(), log=lambda *a: None)
    assert not (out / "students").exists()
    grade([x], out, setup=setup(), log=lambda *a: None)
    with pytest.raises(Refused, match="would replace the result of"):
        grade([y], out, setup=setup(), log=lambda *a: None)
    assert json.loads((out / "students" / "carol" / "basics.json").read_text())["score"] == 2
    (r,) = grade([y], out, setup=setup(), replace=True, log=lambda *a: None)
    assert r["score"] == 3
    assert json.loads((out / "students" / "carol" / "basics.json").read_text())["score"] == 3


def test_killing_the_grader_kills_its_sandboxes(tmp_path):
    sub = tmp_path / "sleeper.ipynb"
    sub.write_text(
        json.dumps(notebook(ADD_BIAS, "import os\nos.execv('/usr/bin/sleep', ['sleep', '4244'])"))
    )
    argv = [sys.executable, "-m", "nnlib.grading.grader", str(sub), "--out", str(tmp_path / "out")]
    grader = subprocess.Popen([*argv, "--source", str(SOURCE)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any("sleep 4244" in p for p in sandbox_processes()):
        assert time.monotonic() < deadline and grader.poll() is None
        time.sleep(0.1)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes() == []
