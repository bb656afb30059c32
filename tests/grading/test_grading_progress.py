"""Learner progress: location, atomic writes, missing and corrupt files, the table."""

import json
import os
from pathlib import Path

import pytest

from nnlib.grading import progress
from nnlib.grading.progress import (
    load_progress,
    progress_path,
    progress_table,
    record_exercise,
    record_quiz,
    reset_progress,
    show_progress,
)


def test_env_var_sets_the_path(progress_file):
    assert progress_path() == progress_file
    record_exercise("ch01", "dense_forward", True)
    assert progress_file.exists()


def test_default_path_is_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(progress.ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress_path() == Path(tmp_path) / ".nnlib" / "progress.json"


def test_missing_file_is_empty_progress(progress_file, capsys):
    assert not progress_file.exists()
    data = load_progress()
    assert data["exercises"] == {} and data["quizzes"] == {}
    assert capsys.readouterr().out == ""
    assert not progress_file.exists(), "reading must not create the file"


def test_record_exercise_keeps_latest_result_and_counts_attempts():
    record_exercise("ch01", "mse", False)
    record_exercise("ch01", "mse", True)
    entry = load_progress()["exercises"]["ch01"]["mse"]
    assert entry["passed"] is True and entry["attempts"] == 2
    record_exercise("ch01", "mse", False)
    assert load_progress()["exercises"]["ch01"]["mse"]["passed"] is False


def test_quiz_answer_stays_correct_once_found():
    record_quiz("ch02", "q1", False, 1)
    record_quiz("ch02", "q1", True, 2)
    record_quiz("ch02", "q1", False, 1)
    entry = load_progress()["quizzes"]["ch02"]["q1"]
    assert entry == {**entry, "correct": True, "attempts": 2}


def test_write_is_atomic_via_replace_in_the_same_folder(progress_file, monkeypatch):
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(progress.os, "replace", spy)
    record_exercise("ch01", "a", True)
    ((src, dst),) = calls
    assert dst == progress_file and src.parent == progress_file.parent and src != dst
    assert not src.exists()
    assert sorted(p.name for p in progress_file.parent.iterdir()) == ["progress.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(progress_file, monkeypatch, capsys):
    record_exercise("ch01", "a", True)
    before = progress_file.read_text()

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(progress.os, "replace", broken)
    record_exercise("ch01", "b", True)  # must not raise
    assert progress_file.read_text() == before
    assert sorted(p.name for p in progress_file.parent.iterdir()) == ["progress.json"]
    assert "could not save" in capsys.readouterr().out


def test_file_is_stable_json(progress_file):
    record_exercise("ch01", "b", True)
    record_exercise("ch01", "a", True)
    text = progress_file.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2]", '{"version": 99}', ""])
def test_corrupt_file_is_backed_up_and_progress_starts_fresh(progress_file, capsys, garbage):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(garbage)
    assert load_progress()["exercises"] == {}
    backups = list(progress_file.parent.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == garbage
    out = capsys.readouterr().out
    assert "damaged" in out and backups[0].name in out
    record_exercise("ch01", "a", True)
    assert load_progress()["exercises"]["ch01"]["a"]["passed"] is True


def test_corruption_is_reported_once_per_process(progress_file, capsys):
    progress_file.parent.mkdir(parents=True)
    for _ in range(3):
        progress_file.write_text("{oops")
        load_progress()
    assert capsys.readouterr().out.count("damaged") == 1
    assert len(list(progress_file.parent.glob("progress.json.corrupt-*"))) == 3


def test_corruption_note_goes_to_stdout_not_stderr(progress_file, capsys):
    # nbgrader gives zero points to a check cell that writes to stderr.
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("{oops")
    record_exercise("ch01", "a", True)
    assert capsys.readouterr().err == ""


def test_never_writes_inside_the_package(monkeypatch, capsys):
    inside = Path(progress.__file__).parent / "progress.json"
    monkeypatch.setenv(progress.ENV_VAR, str(inside))
    record_exercise("ch01", "a", True)
    assert not inside.exists()
    assert "not saving progress inside" in capsys.readouterr().out


def test_reset_progress():
    record_exercise("ch01", "a", True)
    reset_progress()
    assert load_progress()["exercises"] == {}


def test_table_counts_against_the_registry_and_quiz_bank():
    from nnlib.grading import list_exercises
    from nnlib.grading.quizbank import questions

    declared = [e.id for e in list_exercises("ch03")]  # the chapter's check module
    assert "sgd_step" in declared and "minibatches" in declared
    record_exercise("ch03", "sgd_step", True)
    record_exercise("ch03", "minibatches", False)
    record_quiz("ch03", "q1", True, 1)
    row = next(r for r in progress_table() if r["chapter"] == "ch03")
    assert row["title"] == "Gradient descent"
    assert (row["exercises_passed"], row["exercises_total"]) == (1, len(declared))
    assert (row["quiz_correct"], row["quiz_total"]) == (1, len(questions("ch03")))


def test_show_progress_prints_text_outside_jupyter(capsys):
    from nnlib.grading.quizbank import questions

    record_quiz("ch01", "q1", True, 1)
    show_progress()
    out = capsys.readouterr().out
    assert "ch01 Forward pass and loss" in out and f"1/{len(questions('ch01'))}" in out


def test_show_progress_html():
    record_quiz("ch01", "q1", True, 1)
    html = progress._as_html(progress_table())
    assert "<table" in html and "Forward pass and loss" in html
