"""nnlib: a small, readable NumPy library for learning how neural networks are trained.

The public face of the library. Layers, activations, losses and the training
loop are importable from here (``nnlib.Linear``, ``nnlib.CrossEntropyLoss``,
``nnlib.fit``); initializers live in ``nnlib.init``, optimizers, clipping and
learning-rate schedules in ``nnlib.optim`` (schedules also in
``nnlib.schedules``), and the rest in their own modules: ``nnlib.activations``
(pure functions and derivatives), ``nnlib.gradcheck``, ``nnlib.datasets``,
``nnlib.diagnostics``. Figures and apps (``nnlib.plots``, ``nnlib.widgets``)
and grading (``nnlib.grading``) are imported only when you ask for them, so
``import nnlib`` loads NumPy and nothing heavier.

Conventions: rows are examples (``x`` has shape ``(N, D)``); ``Linear`` holds
``W`` of shape ``(in, out)`` and ``b`` of shape ``(out,)``; float64 unless
the model and data are float32.
"""

from . import activations, init, losses
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Swish, Tanh
from .layers import Dropout, Linear, Sequential
from .losses import L1, L2, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm
from .residual import Residual

__version__ = "0.1.0"

__all__ = [
    # building blocks
    "Module",
    "Parameter",
    "Linear",
    "Dropout",
    "Sequential",
    "BatchNorm1d",
    "LayerNorm",
    "Residual",
    # activation layers
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Swish",
    "Softmax",
    # losses and penalties
    "Loss",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1",
    "L2",
    # training
    "fit",
    "train_step",
    "predict",
    "accuracy",
    "History",
    "Callback",
    "TrainingDivergedWarning",
    "TrainingDivergedError",
    # modules
    "activations",
    "datasets",
    "diagnostics",
    "gradcheck",
    "init",
    "losses",
    "optim",
    "schedules",
    "training",
]

# Imported on first use, so ``import nnlib`` stays close to the cost of
# ``import numpy``: ``nnlib.fit``, ``nnlib.optim.Adam`` and
# ``from nnlib import fit`` work as usual.
_LAZY_MODULES = ("datasets", "diagnostics", "gradcheck", "optim", "schedules", "training")
_LAZY_NAMES = {
    name: "training"
    for name in (
        "Callback",
        "History",
        "TrainingDivergedError",
        "TrainingDivergedWarning",
        "accuracy",
        "fit",
        "predict",
        "train_step",
    )
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
