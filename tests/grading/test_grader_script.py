"""How checks travel: one script of calls per exercise, fixed before any result is seen."""

import json

import pytest
from sandbox_support import require_sandbox
from test_grader import ADD_BIAS, ADD_BIAS_WRONG, RELU, notebook, setup

from nnlib.grading.checks import RECORDING
from nnlib.grading.grader import grade
from nnlib.grading.grader_script import Boundary, Placeholder, Round

# add_bias logs every call it receives; relu answers correctly only when add_bias got all
# three of the check's calls. Per call, a wrong add_bias sees one call (the check stops at
# its failure) and so learns its verdict; with a script it sees all three whatever it returns.
PROBE = """\
import numpy as np
seen = []

def add_bias(x, b):
    seen.append((x.shape, float(x.sum())))
    return x {op} b

def relu(z):
    return np.maximum(z, 0.0) if len(seen) == 3 else z
"""


def rows(tmp_path, name, nb):
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    (result,) = grade([path], tmp_path / f"out-{name}", setup=setup(), log=lambda *a: None)
    return {e["exercise"]: e for e in result["exercises"]}


@require_sandbox()
def test_a_correct_submission_takes_one_round_trip_per_exercise(tmp_path):
    got = rows(tmp_path, "full", notebook(add_bias=ADD_BIAS, relu=RELU))
    assert {k: (e["status"], e["round_trips"]) for k, e in got.items()} == {
        "add_bias": ("passed", 1),
        "relu": ("passed", 1),
    }


@require_sandbox()
def test_a_wrong_answer_gets_one_script_too_and_fails(tmp_path):
    got = rows(tmp_path, "wrong", notebook(add_bias=ADD_BIAS_WRONG, relu=RELU))
    assert got["add_bias"]["status"] == "failed" and got["add_bias"]["round_trips"] == 1
    assert "subtracted the bias" in got["add_bias"]["message"]


@require_sandbox()
@pytest.mark.parametrize("op, verdict", [("+", "passed"), ("-", "failed")])
def test_learner_code_cannot_see_how_the_check_judged_it(tmp_path, op, verdict):
    source = PROBE.format(op=op)
    nb = notebook(add_bias=source, relu="")
    got = rows(tmp_path, f"probe{op == '+'}", nb)
    assert got["add_bias"]["status"] == verdict
    # the calls add_bias saw were the same whether it was right or wrong
    assert got["relu"]["status"] == "passed"


def test_any_use_of_an_unknown_result_ends_the_recording():
    ph = Placeholder()
    for use in (
        lambda: isinstance(ph, list),
        lambda: float(ph),
        lambda: ph.shape,
        lambda: len(ph),
        lambda: ph == 1,
        lambda: list(ph),
    ):
        with pytest.raises(Boundary):
            use()


class _Replayed:
    table = None


def test_a_call_other_than_the_scripts_next_one_diverges():
    from nnlib.grading.grader_script import Diverged

    rnd = Round(_Replayed(), [('{"a":1}', {"ok": True}, {"a": 1})], None)
    with pytest.raises(Diverged):
        rnd.request({"a": 2}, (), {})
    rnd = Round(_Replayed(), [('{"a":1}', {"ok": True, "x": 1}, {"a": 1})], None)
    assert rnd.request({"a": 1}, (), {}) == ({"ok": True, "x": 1}, None)
    reply, placeholder = rnd.request({"a": 3}, (), {})  # past the script: recorded
    assert reply is None and type(placeholder) is Placeholder and rnd.new == [{"a": 3}]
    assert RECORDING.get() is rnd
    rnd.stop_recording()
    assert RECORDING.get() is None
