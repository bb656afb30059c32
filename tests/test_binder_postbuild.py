"""The Binder image holds no solutions and no quiz sources (``binder/postBuild`` removes them).

``binder/postBuild`` runs on a temporary copy of the repository (what
repo2docker copies in); the result is scanned. The tests that execute the
solution notebooks keep using the repository itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from test_binder import COPY_IGNORE, _dockerfile

ROOT = Path(__file__).resolve().parents[1]
POSTBUILD = ROOT / "binder" / "postBuild"


# Idioms a solution shares with any NumPy code; finding them elsewhere reveals nothing.
GENERIC_LINES = {"rng = np.random.default_rng(seed)"}


def solution_lines() -> set[str]:
    """The lines of every solution region of the course's source notebooks (long ones)."""
    lines = set()
    for path in (ROOT / "exercises" / "source").glob("[0-9]*.ipynb"):
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            inside = False
            for line in "".join(cell["source"]).splitlines():
                if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                    inside = "BEGIN" in line
                elif inside and len(line.strip()) >= 30:
                    lines.add(line.strip())
    return lines - GENERIC_LINES


def test_postbuild_is_an_executable_bash_script():
    assert POSTBUILD.read_text().startswith("#!/usr/bin/env bash")
    assert os.access(POSTBUILD, os.X_OK), "repo2docker runs binder/postBuild only if executable"


def test_postbuild_removes_solutions_and_quiz_sources(tmp_path):
    assert (ROOT / "exercises" / "source" / "quizzes").is_dir()  # what there is to remove
    image = tmp_path / "repo"
    shutil.copytree(ROOT, image, ignore=COPY_IGNORE)
    proc = subprocess.run(
        ["bash", str(image / "binder" / "postBuild")],
        cwd=tmp_path,  # repo2docker runs it from the repository, but it must not depend on it
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr

    assert not (image / "exercises" / "source").exists()
    assert not (image / "tests").exists()  # other correct answers to every exercise
    secrets = solution_lines()
    assert len(secrets) > 50
    # the library computes what the course teaches (that is its point), so it is not
    # scanned; every notebook, script and text file around it is
    leaks = [
        (p.relative_to(image), line)
        for p in image.rglob("*")
        if p.suffix in (".ipynb", ".py", ".json", ".md", ".txt", ".cfg")
        and p.is_file()
        and p.relative_to(image).parts[0] != "nnlib"
        for line in secrets
        if line in p.read_text("utf-8", errors="replace")
    ]
    assert not leaks, leaks[:10]
    quiz_sources = [p for p in image.rglob("ch0*.json") if "quizzes" in p.parts]
    assert not quiz_sources, quiz_sources
    # what learners need is still there
    assert list((image / "course").glob("[0-9]*.ipynb"))
    assert list((image / "exercises").glob("[0-9]*.ipynb"))
    assert (image / "nnlib" / "grading" / "quizbank.json").is_file()


def test_repo2docker_runs_postbuild_after_installing_the_requirements():
    dockerfile = _dockerfile()
    install = dockerfile.find('pip install --no-cache-dir -r "binder/requirements.txt"')
    postbuild = dockerfile.find("RUN ./binder/postBuild")
    assert install != -1 and postbuild > install
