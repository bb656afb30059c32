"""Weight initialization: starts of the same network, seen from inside and compared.

Everything here returns numbers and arrays; the figures drawn from them are in
``nnlib.plots.ch05_init``. Initializers with arguments are built with
``nnlib.init.get``, the way a learner would write the call::

    "he_normal"                          # nnlib.init.he_normal
    init.get("normal", std=0.01)         # nnlib.init.normal with std=0.01: "too small"
    init.get("constant", val=0.1)        # every weight 0.1

Arrays are batch-first: ``X`` is ``(N, D)``; ``Linear`` weights are ``(in, out)``,
so hidden unit ``j`` of a layer owns column ``W[:, j]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .. import init as nn_init
from ..diagnostics import layer_outputs, layer_statistics
from ..layers import Sequential
from ..losses import CrossEntropyLoss
from ..training import History

__all__ = [
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
]

#: Dropdown entries of the chapter's app: (label, key). Every nnlib.init name that
#: makes sense for a weight matrix, plus "normal" at two hand-picked scales;
#: :data:`INITIALIZERS` maps each key to its initializer.
INIT_CHOICES: list[tuple[str, str]] = [
    ("zeros", "zeros"),
    ("constant(val=0.1)", "constant(val=0.1)"),
    ("normal(std=0.01): too small", "normal(std=0.01)"),
    ("normal(std=1.0): too large", "normal(std=1.0)"),
    ("xavier_uniform (= glorot_uniform)", "xavier_uniform"),
    ("xavier_normal (= glorot_normal)", "xavier_normal"),
    ("lecun_uniform", "lecun_uniform"),
    ("lecun_normal", "lecun_normal"),
    ("kaiming_uniform (= he_uniform)", "kaiming_uniform"),
    ("kaiming_normal (= he_normal)", "kaiming_normal"),
]
#: Key of :data:`INIT_CHOICES` -> initializer (a name of ``nnlib.init`` or a bound one).
INITIALIZERS: dict[str, str | Callable[..., np.ndarray]] = {
    key: key for _, key in INIT_CHOICES if "(" not in key
} | {
    "constant(val=0.1)": nn_init.get("constant", val=0.1),
    "normal(std=0.01)": nn_init.get("normal", std=0.01),
    "normal(std=1.0)": nn_init.get("normal", std=1.0),
}
#: The five starts the chapter's results table compares: label -> initializer.
COMPARISON_SCHEMES: dict[str, str | Callable[..., np.ndarray]] = {
    "zero": "zeros",
    "too small": nn_init.get("normal", std=0.01),
    "too large": nn_init.get("normal", std=1.0),
    "Xavier": "xavier_normal",
    "He": "he_normal",
}


def init_name(initializer: str | Callable[..., np.ndarray]) -> str:
    """How an initializer reads in a table: ``"he_normal"``, ``"normal(std=0.01)"``."""
    return initializer if isinstance(initializer, str) else initializer.__name__


def distinct_units(W: ArrayLike, rtol: float = 1e-7, atol: float = 1e-10) -> int:
    """How many different hidden units a weight matrix holds: its distinct columns.

    Parameters
    ----------
    W : array, shape (in, out)
        Column ``j`` is the incoming weights of unit ``j``.

    Returns
    -------
    int
        1 when every unit is a copy of the first, ``out`` when all differ.
    """
    W = np.asarray(W)  # (in, out)
    diff = np.abs(W[:, :, None] - W[:, None, :])  # (in, out, out)
    same = np.all(diff <= atol + rtol * np.abs(W[:, None, :]), axis=0)  # (out, out)
    has_twin_before = np.tril(same, -1).any(axis=1)  # (out,) a copy of an earlier unit
    return int(np.count_nonzero(~has_twin_before))


# ----------------------------------------------------------------------------- layer profiles
@dataclass
class InitProfile:
    """What one batch looks like inside a freshly initialized network, layer by layer.

    Hidden layer ``l`` (``l = 1 .. depth``) is the ``l``-th ``Linear`` and its activation.

    Attributes
    ----------
    activation : str
        Kind of the hidden activations (``"tanh"``, ``"relu"``, ...).
    act_std : ndarray, shape (depth,)
        Standard deviation of hidden layer ``l``'s output over the batch.
    grad_norm : ndarray, shape (depth,)
        ``||dL/dW_l||`` of the weights feeding hidden layer ``l``.
    saturated : ndarray, shape (depth,)
        Fraction of tanh/sigmoid outputs near their asymptotes (NaN for other kinds).
    activations : list of ndarray, shape (N, width) each
        The outputs themselves (for histograms).
    weight_grads : list of ndarray, shape (in, width) each
        The gradients ``dL/dW_l`` themselves.
    loss : float
        The loss of the batch.
    """

    activation: str
    act_std: np.ndarray
    grad_norm: np.ndarray
    saturated: np.ndarray
    activations: list[np.ndarray] = field(repr=False)
    weight_grads: list[np.ndarray] = field(repr=False)
    loss: float = math.nan


def init_profile(model: Sequential, X: ArrayLike, y: ArrayLike) -> InitProfile:
    """Run one forward and backward pass (no update) and collect per-layer numbers.

    The statistics come from :func:`nnlib.diagnostics.layer_statistics` with a
    cross-entropy loss on ``(X, y)``; the model's weights are not changed.

    Parameters
    ----------
    model : Sequential
        ``Linear, act, Linear, act, ..., Linear`` (as ``nnlib.mlp`` builds).
    X : array, shape (N, D)
    y : array of int, shape (N,)

    Returns
    -------
    InitProfile
    """
    layers = list(model.children())
    loss_fn = CrossEntropyLoss()
    with np.errstate(over="ignore", invalid="ignore"):
        stats = layer_statistics(model, X, y, loss_fn, bins=1)
        outs = layer_outputs(model, X)
        loss = loss_fn.forward(outs[-1], y)
    act_idx = [s.index for s in stats[:-1] if s.kind != "linear"]
    lin_idx = [s.index for s in stats[:-1] if s.kind == "linear"]
    sat = [stats[i].saturated for i in act_idx]
    return InitProfile(
        activation=stats[act_idx[0]].kind if act_idx else "identity",
        act_std=np.array([stats[i].std for i in act_idx]),
        grad_norm=np.array([stats[i].grad_norm for i in lin_idx]),
        saturated=np.array([np.nan if s is None else s for s in sat]),
        activations=[outs[i] for i in act_idx],
        weight_grads=[layers[i].grads["W"].copy() for i in lin_idx],
        loss=float(loss),
    )


def profile_table(profiles: Mapping[str, InitProfile], what: str = "act_std") -> str:
    """A text table, one row per profile and one column per hidden layer.

    Parameters
    ----------
    profiles : mapping of label -> InitProfile
    what : {"act_std", "grad_norm", "saturated"}
        The quantity to tabulate.
    """
    if what not in ("act_std", "grad_norm", "saturated"):
        raise ValueError(f"what must be 'act_std', 'grad_norm' or 'saturated'; got {what!r}")
    depth = max(len(getattr(p, what)) for p in profiles.values())
    width = max(len(k) for k in profiles)
    head = f"{'layer':<{width}}" + "".join(f"{l:>9}" for l in range(1, depth + 1))
    rows = [head]
    for label, p in profiles.items():
        values = getattr(p, what)
        cells = "".join(f"{v:>9.1%}" if what == "saturated" else f"{v:>9.2g}" for v in values)
        rows.append(f"{label:<{width}}{cells}")
    return "\n".join(rows)


@dataclass
class InitRun:
    """One training run of the comparison.

    Attributes
    ----------
    scheme, activation : str
        Label of the initialization and the hidden activation of the run.
    history : History
        What ``fit`` recorded (per-epoch loss and training accuracy).
    test_accuracy : float
        Accuracy on the held-out digits after the last epoch (NaN when the run diverged).
    """

    scheme: str
    activation: str
    history: History = field(repr=False)
    test_accuracy: float

    def __post_init__(self) -> None:
        if self.diverged:
            self.test_accuracy = math.nan

    @property
    def diverged(self) -> bool:
        """True when the loss became NaN or infinite and ``fit`` stopped."""
        return self.history.stopped_early and not math.isfinite(self.history.loss[-1])

    @property
    def final_loss(self) -> float:
        """Training loss of the last epoch (NaN or inf when the run diverged)."""
        return float(self.history.loss[-1])


def comparison_table(
    results: Mapping[str, Mapping[str, InitRun]],
    schemes: Mapping[str, str | Callable[..., np.ndarray]] = COMPARISON_SCHEMES,
) -> str:
    """A text table of the comparison: one row per scheme, two columns per activation.

    Parameters
    ----------
    results : mapping
        ``results[activation][label]`` is an :class:`InitRun`.
    schemes : mapping of label -> initializer
        Where the "spec" column's names come from (default :data:`COMPARISON_SCHEMES`).
    """
    acts = list(results)
    labels = list(next(iter(results.values())))
    specs = {label: init_name(schemes[label]) if label in schemes else "" for label in labels}
    lw = max(len("initialization"), *(len(k) for k in labels))
    sw = max(len("spec"), *(len(s) for s in specs.values()))
    head = f"{'initialization':<{lw}}  {'spec':<{sw}}"
    head += "".join(f" | {act + ': loss':>12} {'test acc':>9}" for act in acts)
    rows = [head, "-" * len(head)]
    for label in labels:
        line = f"{label:<{lw}}  {specs[label]:<{sw}}"
        for act in acts:
            run = results[act][label]
            if run.diverged:
                line += f" | {'diverged':>12} {'-':>9}"
            else:
                line += f" | {run.final_loss:>12.3f} {run.test_accuracy:>9.1%}"
        rows.append(line)
    return "\n".join(rows)
