"""nnlib: a small, readable NumPy library for learning how neural networks are trained.

The public face of the library. Layers, activations, losses, the MLP builder,
the training loop and the learning-rate range test are importable from here (``nnlib.Linear``,
``nnlib.CrossEntropyLoss``, ``nnlib.mlp``, ``nnlib.fit``); initializers live in
``nnlib.init``, optimizers, clipping and learning-rate schedules in
``nnlib.optim`` (schedules also in ``nnlib.schedules``), and the rest in their
own modules: ``nnlib.activations`` (f, f' and the layers), ``nnlib.gradcheck``,
``nnlib.datasets``, ``nnlib.metrics``, ``nnlib.diagnostics``. This core imports
NumPy and the standard library only.

The layers above it are imported when you ask for them: ``nnlib.experiments``
(the chapters' runs), ``nnlib.plots`` (figures, matplotlib), ``nnlib.widgets``
(apps, ipywidgets) and ``nnlib.grading``, so ``import nnlib`` loads neither
matplotlib nor ipywidgets.

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
    metrics,
    optim,
    schedules,
    training,
)
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Swish, Tanh
from .callbacks import (
    Callback,
    History,
    LearningRateScheduler,
    ProgressPrinter,
    StopTraining,
    TerminateOnNaN,
    TrainingDivergedError,
    TrainingDivergedWarning,
)
from .clip import GradientClipping
from .layers import Dropout, Linear, Sequential
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .lr_range import lr_range_test
from .metrics import accuracy
from .models import mlp
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm
from .regularizers import L1, L2
from .residual import Residual
from .training import fit, predict, train_step

__version__ = "0.1.0"

__all__ = [
    # building blocks
    "Module",
    "Parameter",
    "Linear",
    "Dropout",
    "Sequential",
    "mlp",
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
    "lr_range_test",
    "accuracy",
    "History",
    "Callback",
    "StopTraining",
    "GradientClipping",
    "TerminateOnNaN",
    "LearningRateScheduler",
    "ProgressPrinter",
    "TrainingDivergedWarning",
    "TrainingDivergedError",
    # modules
    "activations",
    "datasets",
    "diagnostics",
    "gradcheck",
    "init",
    "losses",
    "metrics",
    "optim",
    "schedules",
    "training",
]
