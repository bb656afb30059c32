"""Binder (repo2docker) can build the course, proven without Docker.

1. ``repo2docker --no-build`` prints the Dockerfile Binder would build from
   ``binder/``: it must install ``binder/requirements.txt`` (and with it the
   project, ``-e .``) after the whole repository is copied in, on the Python of
   ``binder/runtime.txt``, and never run ``jupyter lab build``.
2. ``binder/requirements.txt`` asks for compatible ranges of what
   ``pyproject.toml`` needs, pins neither JupyterLab nor the notebook package.
3. A fresh virtual environment built only from ``binder/requirements.txt``
   (run, as repo2docker does, from a copy of the repository) executes every
   course notebook and every exercise solution notebook, in its own kernel.

repo2docker needs no Docker daemon for ``--no-build``. The fresh environment
downloads through pip's cache, so it costs little after the project's own
install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# What repo2docker copies in (the repository); caches and virtual environments are not.
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".*venv*",
    "venv",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "build",
    "dist",
    "browser-screenshots",
)


def _requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0].lower().replace("_", "-")


def _dockerfile() -> str:
    if shutil.which("repo2docker") is None and not _has_module("repo2docker"):
        if os.environ.get("CI"):
            pytest.fail("jupyter-repo2docker is not installed (it is in the [test] extra)")
        pytest.skip("jupyter-repo2docker is not installed (pip install -e '.[test]')")
    # Binder's user: uid 1000 named jovyan (the default is the uid running the test,
    # which repo2docker refuses to build as when it is root).
    cmd = [sys.executable, "-m", "repo2docker", "--no-build", "--user-id", "1000"]
    cmd += ["--user-name", "jovyan", str(ROOT)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, f"repo2docker failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_requirements_are_ranges_of_what_the_project_needs():
    from packaging.requirements import Requirement

    reqs = _requirements()
    assert "-e ." in reqs, "binder/requirements.txt must install the project itself (-e .)"
    named = {_name(r): Requirement(r) for r in reqs if not r.startswith("-")}
    for name in ("numpy", "matplotlib", "ipywidgets", "jupyterlab"):
        assert name in named, f"binder/requirements.txt should give a range for {name}"
    for name, req in named.items():
        ops = {spec.operator for spec in req.specifier}
        assert not ops & {"==", "==="}, f"pinned: {req}; use a compatible range"
        assert ">=" in ops, f"{req}: give a lower bound (the one pyproject.toml has)"
    assert "notebook" not in named, "leave the notebook package to Binder's image"

    # Where both name a package, Binder's range lies within the project's.
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in map(Requirement, project["dependencies"]):
        if dep.name.lower() in named:
            lower = next(s.version for s in named[dep.name.lower()].specifier if s.operator == ">=")
            assert dep.specifier.contains(lower, prereleases=True), (
                f"binder/requirements.txt allows {dep.name} {lower}; pyproject.toml asks {dep}"
            )

    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"binder/runtime.txt should read python-3.X, not {runtime!r}"
    minimum = int(re.search(r">=\s*3\.(\d+)", project["requires-python"]).group(1))
    assert int(match.group(1)) >= minimum


def test_repo2docker_dockerfile_installs_the_project_and_its_requirements():
    dockerfile = _dockerfile()
    runtime = (BINDER / "runtime.txt").read_text().strip()  # python-3.12
    version = runtime.removeprefix("python-")

    # The base environment's lock file, copied in under an escaped name ("." is "-2e").
    unescaped = dockerfile.replace("-2e", ".").replace("-2d", "-")
    assert f"environment.py-{version}-linux" in unescaped, f"the image is not on Python {version}"
    # One environment runs JupyterLab and the kernel, so ipywidgets' prebuilt lab
    # extension, installed by the requirements, is served to the learner's browser.
    assert "ENV KERNEL_PYTHON_PREFIX=${NB_PYTHON_PREFIX}" in dockerfile
    copy_repo = dockerfile.find("src/ ${REPO_DIR}/")
    install = dockerfile.find('bin/pip install --no-cache-dir -r "binder/requirements.txt"')
    assert install != -1, "repo2docker does not install binder/requirements.txt"
    assert copy_repo != -1 and copy_repo < install, (
        "binder/requirements.txt must be installed after the repository is copied in "
        "(its `-e .` installs the project)"
    )
    assert "COPY --chown=1000:1000 src/ ${REPO_DIR}/" in dockerfile  # the learner owns the files
    for forbidden in ("jupyter lab build", "jupyter-lab build", "labextension install"):
        assert forbidden not in dockerfile, f"Binder must not run `{forbidden}`"


# The program the fresh environment runs: execute every notebook given, each in a
# fresh kernel of *this* interpreter (a kernelspec of its own on JUPYTER_PATH),
# then report where nnlib, numpy, matplotlib and ipywidgets came from.
_RUNNER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    spec = Path(os.environ["JUPYTER_PATH"]) / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Binder requirements)", "language": "python"}))

    def run(nb, cwd):
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}}).execute()
        return nb

    failed = []
    for name in sys.argv[1:]:
        path = Path(name)
        start = time.perf_counter()
        try:
            run(nbformat.read(path, as_version=4), path.parent)
            print(f"{time.perf_counter() - start:6.1f} s  {name}", flush=True)
        except CellExecutionError as err:
            failed.append(name)
            print(f"FAILED {name}:\\n{str(err)[:3000]}", flush=True)

    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import json, sys, nnlib, numpy, matplotlib, ipywidgets\\n"
        "print(json.dumps({'python': sys.executable, 'nnlib': nnlib.__file__,"
        " 'numpy': numpy.__version__, 'matplotlib': matplotlib.__version__,"
        " 'ipywidgets': ipywidgets.__version__}))")])
    out = run(probe, Path.cwd()).cells[0].outputs[0]["text"]
    print("KERNEL " + out.strip())
    sys.exit(1 if failed else 0)
    """
)


def test_fresh_venv_from_binder_requirements_runs_the_course(tmp_path):
    start = time.monotonic()
    project = tmp_path / "repo"  # what repo2docker copies into the image
    shutil.copytree(ROOT, project, ignore=COPY_IGNORE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PYTHONNOUSERSITE="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        JUPYTER_PATH=str(tmp_path / "jupyter"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        NNLIB_PROGRESS_FILE=str(tmp_path / "progress" / "progress.json"),
        MPLBACKEND="Agg",
    )
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # As in the Dockerfile: pip install -r binder/requirements.txt, from the repository's root.
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{pip.stderr}"
    installed = time.monotonic()

    notebooks = sorted(project.glob("course/[0-9]*.ipynb")) + sorted(
        project.glob("exercises/source/[0-9]*.ipynb")
    )
    assert notebooks
    runner = tmp_path / "run_notebooks.py"
    runner.write_text(_RUNNER)
    proc = subprocess.run(
        [str(python), str(runner), *(str(p.relative_to(project)) for p in notebooks)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(proc.stdout)
    print(
        f"fresh venv: install {installed - start:.0f} s, "
        f"notebooks {time.monotonic() - installed:.0f} s"
    )
    assert proc.returncode == 0, (
        f"a notebook failed in the Binder venv:\n{proc.stdout}\n{proc.stderr}"
    )

    kernel = json.loads(proc.stdout.split("KERNEL ", 1)[1].splitlines()[0])
    assert Path(kernel["python"]).parent == venv / "bin", kernel  # the fresh venv's kernel ...
    assert Path(kernel["nnlib"]).is_relative_to(project), kernel  # ... and its copy of nnlib
    assert int(kernel["ipywidgets"].split(".")[0]) == 8, kernel
