"""The computations of chapter 5 (weight initialization): networks, layer profiles, a comparison.

Everything here returns numbers and arrays; the figures drawn from them are in
``nnlib.plots.ch05_init``. Initializers are named by *specs*: a name from
``nnlib.init`` with optional keyword arguments, the way a learner would write
the call::

    "he_normal"                  # nnlib.init.he_normal
    "normal(std=0.01)"           # nnlib.init.normal with std=0.01: "too small"
    "constant(val=0.1)"          # every weight 0.1

Arrays are batch-first: ``X`` is ``(N, D)``; ``Linear`` weights are ``(in, out)``,
so hidden unit ``j`` of a layer owns column ``W[:, j]``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import init as nn_init
from .. import optim
from ..activations import get as get_activation
from ..datasets import load_digits, train_test_split
from ..diagnostics import layer_outputs, layer_statistics
from ..layers import Linear, Sequential
from ..losses import CrossEntropyLoss
from ..module import Module
from ..training import History, TrainingDivergedWarning, accuracy, fit, predict

__all__ = [
    "INIT_CHOICES",
    "COMPARISON_SCHEMES",
    "parse_initializer",
    "init_mlp",
    "distinct_units",
    "InitProfile",
    "init_profile",
    "profile_table",
    "digits_task",
    "InitRun",
    "compare_initializers",
    "comparison_table",
]

#: Dropdown entries of the chapter's app: (label, spec). Every nnlib.init name that
#: makes sense for a weight matrix, plus "normal" at two hand-picked scales.
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

#: The five starts the chapter's results table compares: label -> spec.
COMPARISON_SCHEMES: dict[str, str] = {
    "zero": "zeros",
    "too small": "normal(std=0.01)",
    "too large": "normal(std=1.0)",
    "Xavier": "xavier_normal",
    "He": "he_normal",
}

_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$")


def _parse_value(text: str) -> Any:
    text = text.strip().strip("'\"")
    try:
        return float(text)
    except ValueError:
        return text


def parse_initializer(spec: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """The initializer a spec names, as ``f(shape, rng=..., dtype=...) -> array``.

    Parameters
    ----------
    spec : str or callable
        ``"he_normal"``, or a name with keyword arguments, ``"normal(std=0.01)"``,
        ``"kaiming_normal(nonlinearity=tanh)"``. A callable is returned unchanged.

    Returns
    -------
    callable
        A function of ``shape`` (and ``rng``, ``dtype``) that ``Linear(init=...)`` accepts.

    Examples
    --------
    >>> parse_initializer("normal(std=0.01)")((2, 3), rng=0).shape
    (2, 3)
    """
    if callable(spec):
        return spec
    match = _SPEC.match(str(spec))
    if match is None:
        raise ValueError(f"cannot read the initializer {spec!r}; write e.g. 'normal(std=0.01)'")
    name, args = match.groups()
    fn = nn_init.get(name)  # raises with the list of valid names
    kwargs = {}
    for item in filter(None, (a.strip() for a in (args or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{spec!r}: write keyword arguments as key=value; got {item!r}")
        kwargs[key.strip()] = _parse_value(value)
    return partial(fn, **kwargs) if kwargs else fn


def init_mlp(
    n_in: int,
    n_out: int,
    depth: int,
    width: int,
    activation: str = "tanh",
    init: str | Callable[..., np.ndarray] = "xavier_normal",
    rng: int | np.random.Generator | None = 0,
    dtype: Any = np.float64,
) -> Sequential:
    """``depth`` hidden layers of ``width`` units, every weight matrix from the same initializer.

    ``Linear(n_in, width), act, Linear(width, width), act, ..., Linear(width, n_out)``:
    ``depth + 1`` weight matrices, all drawn by ``init`` (the output layer too, so
    that ``"zeros"`` really means all-zero weights); every bias starts at 0.

    Parameters
    ----------
    n_in, n_out : int
        Input features and outputs (logits).
    depth : int
        Number of hidden layers, >= 1.
    width : int
        Units per hidden layer.
    activation : str
        Name for ``nnlib.activations.get`` (``"tanh"``, ``"relu"``, ``"sigmoid"``).
    init : str or callable
        A spec for :func:`parse_initializer`.
    rng : int or Generator
        Seeds all weights (one stream, so the same seed gives the same network).
    dtype : np.float64 or np.float32

    Returns
    -------
    Sequential
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1; got {depth}")
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    fn = parse_initializer(init)
    layers: list[Module] = []
    fan_in = n_in
    for _ in range(depth):
        layers += [Linear(fan_in, width, init=fn, rng=gen, dtype=dtype), get_activation(activation)]
        fan_in = width
    layers.append(Linear(fan_in, n_out, init=fn, rng=gen, dtype=dtype))
    return Sequential(*layers)


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
        ``Linear, act, Linear, act, ..., Linear`` (as :func:`init_mlp` builds).
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


# ----------------------------------------------------------------------------- the comparison
def digits_task(
    test_size: float = 0.3, rng: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The handwritten digits, pixels in [0, 1], split into train and test sets (stratified).

    Returns
    -------
    X_train : (N_train, 64), X_test : (N_test, 64), y_train : (N_train,), y_test : (N_test,)
    """
    X, y = load_digits()
    return train_test_split(X, y, test_size=test_size, rng=rng, stratify=True)


@dataclass
class InitRun:
    """One training run of the comparison.

    Attributes
    ----------
    scheme, spec, activation : str
        Label, initializer spec and hidden activation of the run.
    history : History
        What ``fit`` recorded (per-epoch loss and training accuracy).
    test_accuracy : float
        Accuracy on the held-out digits after the last epoch.
    diverged : bool
        True when the loss became NaN or infinite and ``fit`` stopped.
    """

    scheme: str
    spec: str
    activation: str
    history: History = field(repr=False)
    test_accuracy: float
    diverged: bool

    @property
    def final_loss(self) -> float:
        """Training loss of the last epoch (NaN or inf when the run diverged)."""
        return float(self.history.loss[-1])


class _Offset:
    """Forward ``fit``'s epochs to a progress bar, shifted so several runs share one bar."""

    def __init__(self, bar: Any, offset: int) -> None:
        self.bar, self.offset = bar, offset

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.bar.on_epoch_end(self.offset + epoch, logs)


def compare_initializers(
    schemes: Mapping[str, str] = COMPARISON_SCHEMES,
    activations: Sequence[str] = ("tanh", "relu"),
    *,
    depth: int = 6,
    width: int = 64,
    epochs: int = 10,
    lr: float = 0.01,
    momentum: float = 0.9,
    batch_size: int = 64,
    rng: int = 0,
    progress: Any = None,
) -> dict[str, dict[str, InitRun]]:
    """Train the same network on the digits from each initialization, everything else fixed.

    Every run uses the same architecture (:func:`init_mlp` with ``depth`` hidden
    layers of ``width`` units), the same weight seed, the same data split, the
    same shuffling, SGD with momentum at the same learning rate, and the same
    number of epochs; only the initializer differs.

    Parameters
    ----------
    schemes : mapping of label -> spec
        Default :data:`COMPARISON_SCHEMES` (zero, too small, too large, Xavier, He).
    activations : sequence of str
        One set of runs per hidden activation.
    depth, width, epochs, lr, momentum, batch_size, rng
        The fixed training set-up.
    progress : ProgressBar, optional
        One bar for all runs, of length ``len(schemes) * len(activations) * epochs``.

    Returns
    -------
    dict
        ``results[activation][label]`` is an :class:`InitRun`.
    """
    X_train, X_test, y_train, y_test = digits_task(rng=rng)
    n_classes = int(y_train.max()) + 1
    if progress is not None:
        progress.on_train_begin(None)
    results: dict[str, dict[str, InitRun]] = {}
    offset = 0
    for act in activations:
        results[act] = {}
        for label, spec in schemes.items():
            model = init_mlp(X_train.shape[1], n_classes, depth, width, act, spec, rng=rng)
            opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            callbacks = [_Offset(progress, offset)] if progress is not None else []
            with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", TrainingDivergedWarning)
                hist = fit(
                    model,
                    CrossEntropyLoss(),
                    opt,
                    X_train,
                    y_train,
                    epochs=epochs,
                    batch_size=batch_size,
                    rng=rng,
                    callbacks=callbacks,
                )
                test_acc = accuracy(predict(model, X_test), y_test)
            diverged = hist.stopped_early and not math.isfinite(hist.loss[-1])
            if diverged:
                test_acc = float("nan")
            results[act][label] = InitRun(label, spec, act, hist, test_acc, diverged)
            offset += epochs
            if progress is not None and len(hist.epoch) < epochs:
                progress.on_epoch_end(offset, {"loss": hist.loss[-1]})
    if progress is not None:
        progress.on_train_end(None)
    return results


def comparison_table(results: Mapping[str, Mapping[str, InitRun]]) -> str:
    """A text table of :func:`compare_initializers`: one row per scheme, columns per activation."""
    acts = list(results)
    labels = list(next(iter(results.values())))
    specs = {label: results[acts[0]][label].spec for label in labels}
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
