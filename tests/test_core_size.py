"""The README's size claims match the code: "read in an afternoon", measured."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def core_size():
    spec = importlib.util.spec_from_file_location("core_size", ROOT / "scripts" / "core_size.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_counter_tells_code_from_docstrings_and_comments(tmp_path):
    source = (
        '"""Module docstring."""\n\n# a comment\ndef f(x):\n    """Doc."""\n    return x  # why\n'
    )
    path = tmp_path / "m.py"
    path.write_text(source)
    assert core_size().count(path) == (6, 2)  # `def f(x):` and `return x`


def test_readme_states_the_cores_size_within_15_percent():
    stated = re.search(
        r"is about ([\d,]+) lines of\s+code, flat in `nnlib/` \(([\d,]+) lines", README
    )
    assert stated, "the README's intro states the core's size in lines of code"
    code, lines = number(stated.group(1)), number(stated.group(2))
    tool = core_size()
    measured_lines, measured_code = tool.totals(tool.measure())["core"]
    assert measured_code == pytest.approx(code, rel=0.15), "update the README's core size"
    assert measured_lines == pytest.approx(lines, rel=0.15), "update the README's core size"


def test_readme_layer_table_sizes_within_20_percent():
    tool = core_size()
    measured = tool.totals(tool.measure())
    for layer in tool.LAYERS:
        row = re.search(rf"^\| {layer} \|.*\| ~([\d,]+) \|$", README, re.M)
        assert row, f"the README's layer table has a row for {layer}"
        assert measured[layer][1] == pytest.approx(number(row.group(1)), rel=0.2), layer
