"""Chapter experiments: the runs behind the course's tables, figures and apps.

Pure NumPy on top of the core (``nnlib.mlp``, ``nnlib.fit``, ``nnlib.optim``,
...); nothing here draws or imports matplotlib. Each module is named by its
topic and returns plain results (arrays, numbers, ``History`` objects) that the
figures of ``nnlib.plots`` and the apps of ``nnlib.widgets`` take:

================  ==============================================================
module            what it computes
================  ==============================================================
backprop          a neuron's computational graph; the cost of a gradient
descent           gradient descent on a quadratic bowl and on a line fit
nonlinearity      activation curves, vanishing zones, dead units, linear collapse
initialization    what a batch looks like inside a fresh network; comparison runs
init_names        nnlib's initializers next to their torch and Keras names
optimizer_race    optimizers racing on 2-D surfaces (``surfaces``); step sizes
gradient_flow     per-layer gradient norms of deep nets; the exploding sine run
cures             batch norm, layer norm and residual connections in a deep net
decision          a model evaluated on a grid of 2-D points
playground        the capstone's live playground, an epoch at a time (``Playground``)
playground_data   its 2-D data sets and input features (``playground_data``)
playground_code   its copy as code: nnlib code that replays a run
digits            the capstone's handwritten-digits recipe
regularization    the overfitting task and its cures, measured (``experiments.regularization``)
learning_rate     curvature, schedules as curves, scheduled and warm-up runs on the digits
================  ==============================================================

Where the loop itself is the lesson (comparing initializers, sweeping learning
rates), the chapter writes it out over ``nnlib.fit`` instead.
"""

from . import learning_rate, regularization  # noqa: F401  (modules: experiments.regularization)
from .backprop import (
    ComputationGraph,
    GraphNode,
    GraphPass,
    format_value,
    measure_gradient_cost,
    neuron_graph,
    numerical_parameter_gradients,
)
from .cures import (
    CURE_RUN,
    CURES,
    NORMS,
    CureProfile,
    CureRun,
    batch_mode_accuracy,
    cure_profile,
    cures_table,
    deep_net,
    image_share,
    train_cure,
)
from .decision import (
    decision_grid,
    grid_points,
    to_probabilities,
)
from .descent import (
    LOSS_FLOOR,
    DescentRun,
    line_gd_path,
    line_loss_grid,
    line_minimum,
    minibatch_gradients,
    quadratic_descent,
)
from .digits import train_digits
from .gradient_flow import (
    ACTIVATIONS,
    DEEP_NET_INITIALIZERS,
    INITS,
    SINE_RUN,
    activation_slopes,
    dead_layers,
    digits_batch,
    layer_grad_norms,
    shrink_per_layer,
    sine_data,
    sine_run,
    standardized_digits,
)
from .init_names import (
    INIT_NAME_MAP,
    init_names_table,
)
from .initialization import (
    COMPARISON_SCHEMES,
    INIT_CHOICES,
    INITIALIZERS,
    InitProfile,
    InitRun,
    comparison_table,
    distinct_units,
    init_name,
    init_profile,
    profile_table,
)
from .nonlinearity import (
    ACTIVATION_NAMES,
    DeadUnitCounter,
    activation_curves,
    collapse_linear,
    count_dead_units,
    dead_unit_masks,
    describe_intervals,
    vanishing_intervals,
    vanishing_mask,
)
from .optimizer_race import (
    BIAS_VARIANTS,
    OPTIMIZERS,
    PointModule,
    Run,
    UncorrectedAdam,
    bias_correction_steps,
    constant_gradient_steps,
    make_optimizer,
    race,
    race_table,
    run_optimizer,
    tune_lrs,
)
from .playground import (
    Playground,
)
from .playground_code import playground_code
from .playground_data import (
    PLAYGROUND_DATASETS,
    feature_columns,
    playground_data,
)
from .surfaces import (
    SURFACES,
    Surface,
    get_surface,
    rosenbrock,
    saddle,
    tilted_valley,
    valley,
)

__all__ = [
    "GraphNode",
    "GraphPass",
    "ComputationGraph",
    "neuron_graph",
    "format_value",
    "numerical_parameter_gradients",
    "measure_gradient_cost",
    "grid_points",
    "decision_grid",
    "to_probabilities",
    "LOSS_FLOOR",
    "DescentRun",
    "quadratic_descent",
    "line_loss_grid",
    "line_minimum",
    "line_gd_path",
    "minibatch_gradients",
    "ACTIVATIONS",
    "INITS",
    "DEEP_NET_INITIALIZERS",
    "standardized_digits",
    "digits_batch",
    "layer_grad_norms",
    "activation_slopes",
    "shrink_per_layer",
    "SINE_RUN",
    "sine_data",
    "sine_run",
    "dead_layers",
    "NORMS",
    "CURES",
    "CURE_RUN",
    "deep_net",
    "CureProfile",
    "cure_profile",
    "CureRun",
    "train_cure",
    "batch_mode_accuracy",
    "image_share",
    "cures_table",
    "INIT_NAME_MAP",
    "init_names_table",
    "INIT_CHOICES",
    "COMPARISON_SCHEMES",
    "INITIALIZERS",
    "init_name",
    "distinct_units",
    "InitProfile",
    "init_profile",
    "profile_table",
    "InitRun",
    "comparison_table",
    "ACTIVATION_NAMES",
    "activation_curves",
    "vanishing_mask",
    "vanishing_intervals",
    "describe_intervals",
    "collapse_linear",
    "dead_unit_masks",
    "count_dead_units",
    "DeadUnitCounter",
    "OPTIMIZERS",
    "PointModule",
    "make_optimizer",
    "Run",
    "run_optimizer",
    "race",
    "tune_lrs",
    "race_table",
    "constant_gradient_steps",
    "UncorrectedAdam",
    "BIAS_VARIANTS",
    "bias_correction_steps",
    "PLAYGROUND_DATASETS",
    "playground_data",
    "feature_columns",
    "Playground",
    "playground_code",
    "train_digits",
    "Surface",
    "valley",
    "tilted_valley",
    "rosenbrock",
    "saddle",
    "SURFACES",
    "get_surface",
]
