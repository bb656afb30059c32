"""Project-wide pytest set-up (applies to tests/ and to the notebooks nbval runs).

Learner progress goes to a temporary file and the learner id is fixed: nbval's
kernels inherit this process's environment, so executing the notebooks under
test never touches a real learner's progress, and quiz options show in one order.
"""

import os
import tempfile
from pathlib import Path

import pytest

_PROGRESS_DIR = tempfile.mkdtemp(prefix="nnlib-test-progress-")
os.environ["NNLIB_PROGRESS_FILE"] = os.path.join(_PROGRESS_DIR, "progress.json")
# A fixed learner id: the quiz options appear in the same order on every machine, so the
# stored outputs of the notebooks nbval compares do not depend on who ran them.
os.environ["NNLIB_LEARNER_ID"] = "nnlib-tests"

# Notebooks that are test inputs, not course material.
collect_ignore_glob = ["tests/*/fixtures/*"]


# -- markers by location (registered in pyproject.toml) ------------------------------
# So a contributor can run the fast part alone:
#     python -m pytest -m "not notebooks and not browser and not binder and not slow"
# Tests that are slow for other reasons carry @pytest.mark.slow in their own file.
_ROOT = Path(__file__).resolve().parent
_BY_LOCATION = [
    (lambda path: path.suffix == ".ipynb", pytest.mark.notebooks),  # nbval's cells
    (lambda path: path.is_relative_to(_ROOT / "tests" / "browser"), pytest.mark.browser),
    (lambda path: path == _ROOT / "tests" / "test_binder.py", pytest.mark.binder),
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(item.path).resolve()
        for applies, mark in _BY_LOCATION:
            if applies(path):
                item.add_marker(mark)
