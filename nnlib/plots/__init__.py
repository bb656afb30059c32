"""Figures of the course (matplotlib, loaded only when this package is imported).

Figures only: every function takes results (arrays, ``History`` objects, trained
models, the runs of ``nnlib.experiments``) and draws them; none trains a
network. Each chapter's figures live in their own module
(``nnlib.plots.ch01_forward``, ...), ``common`` holds the helpers they share and
``_style`` the palette; every public name is also reachable from here
(``nnlib.plots.plot_decision_boundary``).
"""

from ._style import (
    CLASS_COLORS,
    CMAP_DIVERGING,
    CMAP_SEQUENTIAL,
    PALETTE,
    freeze_layout,
    new_figure,
    register_notebook_display,
    to_png,
)
from .capstone import (
    confusion_matrix_figure,
    digits_samples_figure,
    loss_accuracy_figure,
    misclassified_figure,
)
from .ch01_forward import (
    loss_vs_probability,
    network_diagram,
    neuron_diagram,
    predictions_vs_targets,
    softmax_bars,
)
from .ch02_backprop import (
    GraphArtists,
    plot_computational_graph,
    plot_gradient_cost,
)
from .ch03_descent import (
    batch_cost_figure,
    bowl_axes,
    bowl_regimes_figure,
    clip_path,
    curve_axes,
    early_stopping_figure,
    line_contours,
    lr_loss_curves_figure,
    lr_regimes_figure,
    minibatch_gradients_figure,
    sgd_paths_figure,
    update_step_figure,
)
from .ch04_activations import (
    activation_grid_figure,
    dead_units_figure,
    decision_panels_figure,
    gradient_decay_figure,
    softmax_scaling_figure,
)
from .ch05_init import (
    INIT_COLORS,
    HistogramColumns,
    column_labels,
    comparison_curves_figure,
    draw_histogram_panels,
    init_profile_figure,
    layer_histograms_figure,
    unit_weights_figure,
    value_range,
)
from .ch06_optimizers import (
    GAP_FLOOR,
    OPTIMIZER_COLORS,
    bias_correction_figure,
    draw_surface,
    lr_sweep_figure,
    race_figure,
    training_curves_figure,
)
from .ch07_gradients import (
    RUN_COLORS,
    clipping_runs_figure,
    grad_norms_figure,
    log_limits,
    sine_fits_figure,
)
from .common import (
    binary_cmap,
    loss_curve,
    plot_decision_boundary,
    scatter_classes,
    show_grid,
    update_scatter_classes,
)
from .cures import CURE_COLORS, cure_profiles_figure
from .learning_rate import (
    SCHEDULE_COLORS,
    batch_size_lr_figure,
    curvature_runs_figure,
    lr_range_figure,
    schedule_curves_figure,
    warmup_figure,
)
from .regularization import (
    boundaries_figure,
    curves_figure,
    data_size_figure,
    decay_figure,
    draw_boundary,
    overfitting_figure,
    stopping_point_figure,
    strength_sweep_figure,
    weight_sizes_figure,
)

__all__ = [
    "CURE_COLORS",
    "cure_profiles_figure",
    "SCHEDULE_COLORS",
    "batch_size_lr_figure",
    "curvature_runs_figure",
    "lr_range_figure",
    "schedule_curves_figure",
    "warmup_figure",
    "boundaries_figure",
    "curves_figure",
    "data_size_figure",
    "decay_figure",
    "draw_boundary",
    "overfitting_figure",
    "stopping_point_figure",
    "strength_sweep_figure",
    "weight_sizes_figure",
    "CLASS_COLORS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "PALETTE",
    "freeze_layout",
    "new_figure",
    "register_notebook_display",
    "to_png",
    "digits_samples_figure",
    "loss_accuracy_figure",
    "confusion_matrix_figure",
    "misclassified_figure",
    "neuron_diagram",
    "network_diagram",
    "predictions_vs_targets",
    "softmax_bars",
    "loss_vs_probability",
    "GraphArtists",
    "plot_computational_graph",
    "plot_gradient_cost",
    "clip_path",
    "curve_axes",
    "bowl_axes",
    "line_contours",
    "update_step_figure",
    "lr_regimes_figure",
    "lr_loss_curves_figure",
    "bowl_regimes_figure",
    "minibatch_gradients_figure",
    "batch_cost_figure",
    "sgd_paths_figure",
    "early_stopping_figure",
    "activation_grid_figure",
    "gradient_decay_figure",
    "decision_panels_figure",
    "dead_units_figure",
    "softmax_scaling_figure",
    "INIT_COLORS",
    "unit_weights_figure",
    "init_profile_figure",
    "HistogramColumns",
    "value_range",
    "draw_histogram_panels",
    "column_labels",
    "layer_histograms_figure",
    "comparison_curves_figure",
    "OPTIMIZER_COLORS",
    "GAP_FLOOR",
    "draw_surface",
    "race_figure",
    "bias_correction_figure",
    "lr_sweep_figure",
    "training_curves_figure",
    "RUN_COLORS",
    "log_limits",
    "grad_norms_figure",
    "clipping_runs_figure",
    "sine_fits_figure",
    "binary_cmap",
    "show_grid",
    "scatter_classes",
    "update_scatter_classes",
    "loss_curve",
    "plot_decision_boundary",
]

register_notebook_display()  # figures show as pictures in Jupyter, no pyplot needed
