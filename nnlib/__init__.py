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

from . import (
    activations,
    datasets,
    diagnostics,
    gradcheck,
    init,
    losses,
    optim,
    schedules,
    training,
)
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Swish, Tanh
from .layers import Dropout, Linear, Sequential
from .losses import L1, L2, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .module import Module, Parameter
from .training import (
    Callback,
    History,
    TrainingDivergedError,
    TrainingDivergedWarning,
    accuracy,
    fit,
    predict,
    train_step,
)

__version__ = "0.1.0"

__all__ = [
    # building blocks
    "Module",
    "Parameter",
    "Linear",
    "Dropout",
    "Sequential",
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
