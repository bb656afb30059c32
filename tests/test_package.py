"""The package's public face: what ``import nnlib`` loads, exports and promises."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnlib

CORE_MODULES = [
    "nnlib",
    "nnlib.activations",
    "nnlib.layers",
    "nnlib.losses",
    "nnlib.init",
    "nnlib.optim",
    "nnlib.schedules",
    "nnlib.training",
    "nnlib.gradcheck",
    "nnlib.datasets",
    "nnlib.diagnostics",
    "nnlib.fused",
    "nnlib.callbacks",
    "nnlib.clip",
    "nnlib.metrics",
    "nnlib.regularizers",
    "nnlib.models",
    "nnlib.experiments",
    "nnlib._digits",
]
HEAVY = ["matplotlib", "ipywidgets", "IPython", "nbformat", "nbclient", "scipy", "sklearn"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_numpy_only(module):
    code = (
        f"import sys, {module}\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing {module} also loaded: {out.stdout.strip()}"


def test_all_names_exist():
    for name in nnlib.__all__:
        assert hasattr(nnlib, name), name


@pytest.mark.parametrize(
    "name",
    [
        "Linear",
        "Sequential",
        "Dropout",
        "ReLU",
        "Tanh",
        "Sigmoid",
        "Softmax",
        "MSELoss",
        "BCELoss",
        "BCEWithLogitsLoss",
        "CrossEntropyLoss",
        "fit",
        "History",
    ],
)
def test_public_classes_importable_from_top_level(name):
    assert name in nnlib.__all__


def test_initializers_and_optimizers_live_in_their_modules():
    assert callable(nnlib.init.he_normal)
    assert callable(nnlib.optim.Adam)
    assert callable(nnlib.optim.clip_grad_norm)


def test_version_is_the_one_pyproject_declares():
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert nnlib.__version__ == declared
