"""The batch grader on a class of honest, broken and cheating submissions.

The class answers ``fixtures/grader/source/basics.ipynb`` (``add_bias``, 2
points; ``relu``, 1 point, with a hidden test). It is graded once, in
bubblewrap sandboxes, two submissions at a time, and every test reads that
run; a few tests grade small subsets again (``--jobs 1`` against
``--jobs 2``, re-runs, the notebook time limit, ``--sandbox none``). Every
cheat gets exactly what its real functions earn. The attack families of
issue 9 are in ``test_grader_adversarial.py``.
"""

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell
from sandbox_support import require_sandbox

from nnlib.grading.build import student_notebook
from nnlib.grading.grader import grade, main, student_name
from nnlib.grading.grader_report import result_text
from nnlib.grading.grader_run import Setup

pytestmark = require_sandbox()

pytestmark = pytest.mark.slow  # every submission runs in a sandboxed kernel

FIX = Path(__file__).parent / "fixtures" / "grader"
SOURCE = FIX / "source"
STUDENT = student_notebook(json.loads((SOURCE / "basics.ipynb").read_text(encoding="utf-8")))

ADD_BIAS = "import numpy as np\n\ndef add_bias(x, b):\n    return x + b\n"
ADD_BIAS_WRONG = "import numpy as np\n\ndef add_bias(x, b):\n    return x - b\n"
RELU = "def relu(z):\n    return np.maximum(z, 0.0)\n"
RELU_WRONG = "def relu(z):\n    return np.abs(z)\n"
RELU_HIDDEN_WRONG = RELU.replace(
    "    return", "    if z.shape == (1, 2):\n        return z\n    return"
)
FAKE_PASS = (
    'print("✓ Add a bias to every row: passed (3 cases)")\nprint("✓ ReLU: passed (3 cases)")'
)
CLAIM = {
    "nbgrader": {"grade": True, "grade_id": "check_add_bias", "locked": True, "points": 2,
                 "schema_version": 3, "solution": False, "task": False}
}  # fmt: skip

# Honest code that uses frames, logging, warnings, plots, threads and nnlib's stub.
HONEST_ADD_BIAS = """\
import inspect, logging, warnings
import numpy as np

def add_bias(x, b):
    assert inspect.stack()[0].function == "add_bias"
    logging.getLogger("student").info("adding %s", b.shape)
    warnings.warn("just a warning")
    return x + b
"""
HONEST_EXTRAS = """\
%matplotlib inline
import collections, dataclasses, threading, typing
import matplotlib.pyplot as plt
Point = collections.namedtuple("Point", "x y", defaults=[0])
class Pair(typing.NamedTuple):
    a: int
    b: int = 2
@dataclasses.dataclass
class Box:
    w: float = 1.0
np.random.seed(0); np.seterr(all="ignore"); np.set_printoptions(precision=3)
t = threading.Thread(target=lambda: None); t.start(); t.join()
plt.plot(np.ones((4, 2)) @ np.ones((2, 3))); plt.show()
from nnlib.grading import quiz, show_progress
quiz("basics"); show_progress()
"""
# Monkeypatch the checker and fake it, before the checks run.
PATCH_CHECKER = """\
import nnlib.grading.checks as c
c.Check.__exit__ = lambda self, *a: True
c.Check.compare = lambda self, *a, **k: None
import basics_checks
basics_checks.check_add_bias = lambda f: print("✓ passed")
def check_add_bias(f):
    print("✓ passed")
"""
FAKE_CHECK_MODULE = """\
import pathlib, sys, types
fake = "def check_add_bias(f):\\n    pass\\ndef check_relu(f):\\n    pass\\n"
pathlib.Path("basics_checks.py").write_text(fake)
pathlib.Path("nnlib").mkdir()
pathlib.Path("nnlib/__init__.py").write_text("")
m = types.ModuleType("basics_checks")
exec(fake, m.__dict__)
sys.modules["basics_checks"] = m
sys.path.insert(0, ".")
"""
PATCH_NUMPY_AND_IMPORT = """\
import builtins, numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)
real = builtins.__import__
def fake_import(name, *a, **k):
    if name == "basics_checks":
        return real("types").SimpleNamespace(check_add_bias=print, check_relu=print)
    return real(name, *a, **k)
builtins.__import__ = fake_import
"""
# Monkeypatch while the check runs, from inside the learner's function.
PATCH_NUMPY_DURING = """\
import numpy as np

def add_bias(x, b):
    import numpy
    numpy.allclose = lambda *a, **k: True
    return x - b
"""
PATCH_CHECKER_DURING = """\
def relu(z):
    for cls in object.__subclasses__():
        if cls.__name__ == "Check":
            cls.compare = lambda self, *a, **k: None
    return z
"""
# Forge or replay a result: a record with a made-up MAC, a re-run of the check with a
# corrected function and the trigger's nonce, and a fake "done" event from inside a check.
FORGE_RECORDS = """\
import glob, json, os, sys
nonce = [s for s in In if "nnlib.grader.check" in s][-1].split("'")[-2]
fake = {"grade_id": "check_add_bias", "nonce": nonce, "status": "passed",
        "kind": "", "message": "", "notes": [], "seconds": 0.1}
line = json.dumps({"mac": "0" * 64, "record": json.dumps(fake)}) + "\\n"
for f in glob.glob(os.path.dirname(os.getcwd()) + "/*/results.jsonl"):
    open(f, "a").write(line)
def add_bias(x, b):
    return x + b
sys.audit("nnlib.grader.check", "check_add_bias", nonce)
sys.audit("nnlib.grader.done", nonce, "passed", "", "")
"""
FORGE_DONE = """\
import sys

def relu(z):
    nonce = In[-1].split("'")[-2]  # the trigger cell running now
    sys.audit("nnlib.grader.done", nonce, "passed", "", "")
    return z
"""
HOOKS = [
    ("add-bias", "import sys\nsys.settrace(lambda *a: None)"),
    ("add-bias", "import gc\ngc.get_objects()"),
    ("add-bias", "import sys\nsys.addaudithook(lambda *a: None)"),
    ("add-bias", "import nnlib.activations as a\na.relu.__code__ = (lambda z: z).__code__"),
    ("check-add-bias", "get_ipython().input_transformers_post.append(lambda lines: lines)"),
]
EXITS = [
    ("check-add-bias", "import sys\nsys.exit(0)"),
    ("check-add-bias", "raise SystemExit"),
    ("check-add-bias", "raise KeyboardInterrupt"),
    ("relu", FAKE_PASS),
]
# Write into the output folder (whose path this cheat is given), and report whether the
# kernel was told where it is.
WRITE_OUTPUT = """\
import json, os, pathlib, sys
out = pathlib.Path({out!r})
told = str(out) in os.getcwd() + json.dumps(dict(os.environ)) + " ".join(sys.argv)
forged = {{"format": "nnlib-grade/1", "student": "mallory", "notebook": "basics.ipynb",
          "status": "graded", "score": 3.0, "max_score": 3.0, "exercises": []}}
for name in ["writer", "mallory"]:
    (out / "students" / name).mkdir(parents=True, exist_ok=True)
    (out / "students" / name / "basics.json").write_text(json.dumps(forged))
for p in (out / "students").glob("*/basics.md"):
    p.write_text("# Score: 3 / 3")
(out / "grades.csv").write_text("student,total\\nwriter,3\\n")
raise RuntimeError(f"told the output folder: {{told}}")
"""

_ids = iter(range(10**6))


def notebook(add_bias=None, relu=None, after=(), drop=(), edit=None):
    """The student notebook with solution cells filled in and extra cells inserted.

    ``after``: (cell id, source[, metadata]) inserted after that cell;
    ``drop``: cell ids removed; ``edit``: {cell id: new source}.
    """
    nb = copy.deepcopy(STUDENT)
    by_id = {c["id"]: c for c in nb["cells"]}
    if add_bias is not None:
        by_id["add-bias"]["source"] = add_bias
    if relu is not None:
        by_id["relu"]["source"] = relu
    for cell_id, source in (edit or {}).items():
        by_id[cell_id]["source"] = source
    for cell_id, source, *meta in reversed(after):
        cell = new_code_cell(source, metadata=meta[0] if meta else {})
        cell["id"] = f"extra-{next(_ids)}"
        i = [c["id"] for c in nb["cells"]].index(cell_id)
        nb["cells"].insert(i + 1, cell)
    nb["cells"] = [c for c in nb["cells"] if c["id"] not in drop]
    return nb


def class_of(out: Path) -> dict:
    """{student: notebook dict, or raw bytes}; ``out`` is the output folder."""
    return {
        "full": notebook(ADD_BIAS, RELU),
        "partial": notebook(ADD_BIAS, RELU_WRONG),
        "stub": notebook(),
        "honest_extras": notebook(HONEST_ADD_BIAS, RELU, after=[("add-bias", HONEST_EXTRAS)]),
        "empty": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        "invalid": b'{"cells": [ this is not JSON',
        "crash": notebook(ADD_BIAS, "import os\nos.abort()"),
        "os_exit": notebook(ADD_BIAS, RELU, after=[("check-add-bias", "import os\nos._exit(0)")]),
        "loop": notebook(ADD_BIAS, "def relu(z):\n    while True:\n        pass\n"),
        "edit_check": notebook(ADD_BIAS_WRONG, RELU, edit={"check-add-bias": FAKE_PASS}),
        "delete_check": notebook(ADD_BIAS, RELU_HIDDEN_WRONG, drop=["check-relu"]),
        "extra_claim": notebook(ADD_BIAS_WRONG, RELU, after=[("add-bias", FAKE_PASS, CLAIM)]),
        "patch_check": notebook(
            ADD_BIAS_WRONG,
            RELU_WRONG,
            after=[("add-bias", PATCH_CHECKER), ("relu", FAKE_CHECK_MODULE)],
        ),
        "numpy_patch": notebook(ADD_BIAS_WRONG, RELU, after=[("add-bias", PATCH_NUMPY_AND_IMPORT)]),
        "patch_during": notebook(PATCH_NUMPY_DURING, PATCH_CHECKER_DURING),
        "exit_in_check": notebook(
            "def add_bias(x, b):\n    raise KeyboardInterrupt\n",
            "import sys\n\ndef relu(z):\n    sys.exit(1)\n",
        ),
        "exit_and_print": notebook(ADD_BIAS, RELU_WRONG, after=EXITS),
        "hooks": notebook(ADD_BIAS, RELU, after=HOOKS),
        "forger": notebook(ADD_BIAS_WRONG, FORGE_DONE, after=[("check-add-bias", FORGE_RECORDS)]),
        "writer": notebook(
            ADD_BIAS_WRONG,
            RELU_WRONG,
            after=[("add-bias", WRITE_OUTPUT.format(out=str(out)))],
        ),
    }


def write_class(folder: Path, out: Path, names=None) -> list[Path]:
    paths = []
    for name, nb in class_of(out).items():
        if names is not None and name not in names:
            continue
        path = folder / f"{name}.ipynb"
        path.write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb).encode())
        paths.append(path)
    return paths


def setup(**kw):
    kw = {"cell_timeout": 5.0, "timeout": 40.0, "sandbox": "bwrap", **kw}
    return Setup.read(SOURCE, [FIX], **kw)


def strip(result):
    """A result without timings, for comparing runs."""
    result = json.loads(json.dumps(result))
    result.pop("seconds")
    for e in result["exercises"]:
        e.pop("seconds")
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    out = tmp / "out"
    (tmp / "subs").mkdir()
    paths = write_class(tmp / "subs", out)
    results = grade(paths, out, setup=setup(), jobs=2, log=lambda *a: None)
    return {r["student"]: r for r in results}, out


EXPECTED = {  # student: (score, add_bias status, relu status): what the real functions earn
    "full": (3, "passed", "passed"),
    "partial": (2, "passed", "failed"),
    "stub": (0, "failed", "failed"),
    "honest_extras": (3, "passed", "passed"),
    "empty": (0, "failed", "failed"),
    "invalid": (0, "not run", "not run"),
    "crash": (2, "passed", "not run"),
    "os_exit": (2, "passed", "not run"),
    "loop": (2, "passed", "timed out"),
    "edit_check": (1, "failed", "passed"),
    "delete_check": (2, "passed", "failed"),
    "extra_claim": (1, "failed", "passed"),
    "patch_check": (0, "failed", "failed"),
    "numpy_patch": (1, "failed", "passed"),
    "patch_during": (0, "failed", "failed"),
    "exit_in_check": (0, "failed", "failed"),
    "exit_and_print": (2, "passed", "failed"),
    "hooks": (3, "passed", "passed"),
    "forger": (0, "failed", "failed"),
    "writer": (0, "failed", "failed"),
}


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_gets_its_score(graded, student):
    results, out = graded
    r = results[student]
    score, add_bias, relu = EXPECTED[student]
    statuses = {e["exercise"]: e["status"] for e in r["exercises"]}
    assert (r["score"], statuses["add_bias"], statuses["relu"]) == (score, add_bias, relu), r
    assert r["max_score"] == 3
    assert r["sandbox"] == "bwrap"
    assert json.loads((out / "students" / student / "basics.json").read_text()) == r
    assert (out / "students" / student / "basics.md").read_text().startswith("# Feedback: basics")


def messages(result):
    return {e["exercise"]: e["message"] for e in result["exercises"]}


def test_feedback_messages_are_the_checks_short_messages(graded):
    results, out = graded
    assert "not implemented yet" in messages(results["stub"])["add_bias"]
    assert (
        "likely mistake: returned |z| instead of max(z, 0)" in messages(results["partial"])["relu"]
    )
    assert messages(results["delete_check"])["relu"] == "a hidden test of this exercise failed"
    assert "add_bias" in messages(results["empty"])["add_bias"]
    assert "not defined" in messages(results["empty"])["add_bias"]
    assert "subtracted the bias" in messages(results["patch_during"])["add_bias"]
    feedback = (out / "students" / "partial" / "basics.md").read_text()
    assert "**Score: 2 / 3**" in feedback and "returned |z| instead of max(z, 0)" in feedback
    assert "Traceback" not in feedback


def test_learner_exceptions_are_named_with_their_line(graded):
    results, _ = graded
    assert "your code raised KeyboardInterrupt" in messages(results["exit_in_check"])["add_bias"]
    assert "your code raised SystemExit: 1" in messages(results["exit_in_check"])["relu"]
    assert (
        "line 2 of add_bias: raise KeyboardInterrupt"
        in (messages(results["exit_in_check"])["add_bias"])
    )


def test_broken_notebooks_are_reported(graded):
    results, _ = graded
    assert results["invalid"]["status"] == "invalid notebook"
    assert results["crash"]["status"] == results["os_exit"]["status"] == "kernel died"
    assert results["loop"]["status"] == "timed out"
    assert "a cell ran longer than 5 s during this check" in messages(results["loop"])["relu"]
    assert "not run" in messages(results["os_exit"])["relu"]
    assert results["empty"]["status"] == "graded"
    assert results["crash"]["notes"] == [
        "the notebook's process died, in cell 6; nothing after it ran"
    ]


def test_edited_deleted_and_claimed_check_cells(graded):
    results, _ = graded
    assert any("check_add_bias was changed" in n for n in results["edit_check"]["notes"])
    assert any("check_relu was missing" in n for n in results["delete_check"]["notes"])
    assert any(
        "another cell claimed check check_add_bias" in n for n in results["extra_claim"]["notes"]
    )
    assert "subtracted the bias" in messages(results["edit_check"])["add_bias"]


def test_honest_notebooks_lose_nothing(graded):
    results, _ = graded
    for student in ("full", "honest_extras"):
        r = results[student]
        assert r["errors"] == [] and r["notes"] == [], r
        assert all(e["notes"] == [] for e in r["exercises"]), r


def test_the_checker_and_nnlib_are_not_in_the_sandbox(graded):
    results, _ = graded
    errors = " ".join(e["error"] for e in results["patch_check"]["errors"])
    assert "No module named 'nnlib.grading.checks'" in errors
    errors = " ".join(e["error"] for e in results["hooks"]["errors"])
    assert "No module named 'nnlib.activations'" in errors


def test_the_output_folder_is_out_of_reach(graded):
    results, out = graded
    errors = [e["error"] for e in results["writer"]["errors"]]
    assert "RuntimeError: told the output folder: False" in errors
    for student, r in results.items():
        assert (out / "students" / student / "basics.json").read_text() == result_text(r)
    assert sorted(p.name for p in (out / "students").iterdir()) == sorted(EXPECTED)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert sorted(r["student"] for r in rows) == sorted(EXPECTED)
    row = {r["student"]: r for r in rows}
    assert row["writer"]["total"] == "0" and row["full"]["total"] == "3"
    assert (row["full"]["add_bias"], row["full"]["relu"], row["full"]["max_score"]) == (
        "2",
        "1",
        "3",
    )
    assert row["full"]["flags"] == ""
    assert row["loop"]["flags"] == "timed out"


def test_jobs_rerun_and_csv(tmp_path):
    """--jobs 1 and --jobs 2 agree; a re-run is idempotent and keeps everyone's rows."""
    subs = tmp_path / "subs"
    subs.mkdir()
    paths = write_class(subs, tmp_path / "unused", names={"full", "partial", "edit_check"})
    args = [*map(str, paths), "--source", str(SOURCE), "--cell-timeout", "5", "--timeout", "40"]
    assert main([*args, "--out", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert main([*args, "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    for name in ("full", "partial", "edit_check"):
        one = json.loads((tmp_path / "one" / "students" / name / "basics.json").read_text())
        two = json.loads((tmp_path / "two" / "students" / name / "basics.json").read_text())
        assert strip(one) == strip(two)
    csv_one = (tmp_path / "one" / "grades.csv").read_text()
    assert csv_one == (tmp_path / "two" / "grades.csv").read_text()
    md_one = (tmp_path / "one" / "students" / "partial" / "basics.md").read_text()

    before = json.loads((tmp_path / "one" / "students" / "full" / "basics.json").read_text())
    assert main([*args, "--out", str(tmp_path / "one")]) == 0  # the whole batch again
    subset = [str(subs / "full.ipynb"), "--source", str(SOURCE), "--out", str(tmp_path / "one")]
    assert main(subset) == 0
    after = json.loads((tmp_path / "one" / "students" / "full" / "basics.json").read_text())
    assert strip(after) == strip(before)
    assert (tmp_path / "one" / "grades.csv").read_text() == csv_one
    assert (tmp_path / "one" / "students" / "partial" / "basics.md").read_text() == md_one


def test_notebook_time_limit(tmp_path):
    nb = notebook(ADD_BIAS, RELU, after=[("add-bias", "import time\ntime.sleep(1)")] * 4)
    path = tmp_path / "slow.ipynb"
    path.write_text(json.dumps(nb))
    (r,) = grade(
        [path], tmp_path / "out", setup=setup(cell_timeout=2, timeout=2.5), log=lambda *a: None
    )
    assert r["status"] == "timed out"
    assert any("the notebook ran longer than 2.5 s" in n for n in r["notes"])
    assert r["score"] == 0


def test_without_the_sandbox_every_report_says_so(tmp_path):
    paths = write_class(tmp_path, tmp_path / "unused", names={"full", "partial"})
    out = tmp_path / "out"
    results = grade(paths, out, setup=setup(sandbox="none"), log=lambda *a: None)
    assert [r["score"] for r in results] == [3, 2]
    for r in results:
        assert r["sandbox"] == "none"
        assert "NOT SANDBOXED" in (out / "students" / r["student"] / "basics.md").read_text()
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["flags"] for r in rows] == ["NOT SANDBOXED", "NOT SANDBOXED"]


def test_student_names(tmp_path):
    canonical = {"basics.ipynb"}
    assert student_name(tmp_path / "a" / "basics.ipynb", canonical) == "a"
    assert student_name(tmp_path / "a" / "Basics.IPYNB", canonical) == "a"
    assert student_name(tmp_path / "x" / "carol.ipynb", canonical) == "carol"
    assert student_name(tmp_path / "dan!.ipynb", canonical) == "dan"


def test_without_bubblewrap_the_grader_refuses_and_says_why(tmp_path, monkeypatch, capsys):
    import nnlib.grading.grader_sandbox as sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    paths = write_class(tmp_path, tmp_path / "unused", names={"full"})
    out = tmp_path / "out"
    assert main([*map(str, paths), "--out", str(out), "--source", str(SOURCE)]) == 2
    err = capsys.readouterr().err
    assert "bubblewrap is not installed" in err and "--sandbox none" in err
    assert not out.exists() or not any(out.iterdir())
