"""Interactive apps of the course (ipywidgets + matplotlib, loaded only when imported).

Every app is an :class:`App`: its controls, a ``compute`` that calls the core
and ``nnlib.experiments``, and a ``draw`` that uses ``nnlib.plots``. Each
chapter's apps live in their own module (``nnlib.widgets.ch01_forward``, ...);
every public name is also reachable from here, so a notebook cell reads
``nnlib.widgets.NeuronApp()``.
"""

from ._app import App
from ._progress import ProgressBar
from .ch01_forward import (
    LossCompareApp,
    NeuronApp,
)
from .ch02_backprop import (
    BackpropStepperApp,
)
from .ch03_descent import (
    BatchSizeApp,
    LearningRateApp,
)
from .ch04_activations import (
    ActivationExplorerApp,
    ActivationTrainingApp,
)
from .ch05_init import (
    InitializationApp,
)
from .ch06_optimizers import (
    OptimizerRaceApp,
)
from .ch07_gradients import (
    ClippingApp,
    GradientFlowApp,
)
from .learning_rate import (
    ScheduleApp,
)
from .playground import (
    PlaygroundApp,
)
from .regularization import (
    RegularizationApp,
)

__all__ = [
    "ScheduleApp",
    "RegularizationApp",
    "App",
    "ProgressBar",
    "NeuronApp",
    "LossCompareApp",
    "BackpropStepperApp",
    "LearningRateApp",
    "BatchSizeApp",
    "ActivationExplorerApp",
    "ActivationTrainingApp",
    "InitializationApp",
    "OptimizerRaceApp",
    "GradientFlowApp",
    "ClippingApp",
    "PlaygroundApp",
]
