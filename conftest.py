"""Project-wide pytest set-up (applies to tests/ and to the notebooks nbval runs).

Learner progress goes to a temporary file: nbval's kernels inherit this
process's environment, so executing the notebooks under test never touches a
real learner's progress.
"""

import os
import tempfile

_PROGRESS_DIR = tempfile.mkdtemp(prefix="nnlib-test-progress-")
os.environ["NNLIB_PROGRESS_FILE"] = os.path.join(_PROGRESS_DIR, "progress.json")

# Notebooks that are test inputs, not course material.
collect_ignore_glob = ["tests/*/fixtures/*"]
