"""Look inside a network: per-layer activations, gradients and update sizes.

These are the numbers the initialization and vanishing-gradient chapters plot:

* :func:`layer_statistics` runs one forward pass (and, given targets and a
  loss, one backward pass, without updating anything) and returns a
  :class:`LayerStats` per layer: mean, std and histogram of the layer's
  output, the fraction of saturated units (sigmoid, tanh) or dead units
  (ReLU), and the gradient norms of its weights and of its output;
* :func:`grad_norms`, :func:`snapshot` and :func:`update_to_weight_ratio`
  measure gradients and steps per parameter (rule of thumb: an update about
  1e-3 of the weight's size per step is healthy; 1e-1 is too fast, 1e-6 is
  barely learning);
* :class:`DiagnosticsCallback` records all of this once per epoch of ``fit``.

The per-layer functions run in evaluation mode by default (dropout off,
batch norm with its running statistics); ``training=True`` shows the network
as a training step sees it (batch norm with the batch's own statistics), and
leaves the running statistics as they were. A ``Residual`` block counts as
one layer (its output ``x + block(x)``).

Arrays are batch-first: ``x`` is ``(N, D)``. Parameters are keyed
``"<layer index>.<name>"`` (``"0.W"``, ``"2.b"``, ``"3.0.0.W"`` inside a
residual block), as in ``History``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .callbacks import Callback
from .layers import Dropout, Linear
from .module import Module, named_parameters
from .normalization import BatchNorm1d, LayerNorm
from .residual import Residual

__all__ = [
    "LayerStats",
    "layer_kind",
    "layer_outputs",
    "layer_statistics",
    "stats_table",
    "grad_norms",
    "snapshot",
    "update_to_weight_ratio",
    "DiagnosticsCallback",
    "in_mode",
]

# (class, kind) in lookup order; subclasses before their bases would go first
_KINDS: tuple[tuple[type, str], ...] = (
    (Linear, "linear"),
    (Sigmoid, "sigmoid"),
    (Tanh, "tanh"),
    (ReLU, "relu"),
    (LeakyReLU, "leaky_relu"),
    (ELU, "elu"),
    (GELU, "gelu"),
    (SiLU, "silu"),
    (Softmax, "softmax"),
    (Identity, "identity"),
    (Dropout, "dropout"),
    (BatchNorm1d, "batchnorm"),
    (LayerNorm, "layernorm"),
    (Residual, "residual"),
)


def layer_kind(layer: Module) -> str:
    """``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"batchnorm"``, ... or ``"other"``."""
    for cls, kind in _KINDS:
        if isinstance(layer, cls):
            return kind
    return "other"


@dataclass
class LayerStats:
    """Statistics of one layer's output (and gradients) on one batch.

    Attributes
    ----------
    index : int
        Position of the layer in the model.
    name : str
        Class name, e.g. ``"Tanh"``.
    kind : str
        ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``,
        ``"elu"``, ``"gelu"``, ``"silu"``, ``"softmax"``, ``"identity"``,
        ``"dropout"``, ``"batchnorm"``, ``"layernorm"``, ``"residual"`` or ``"other"``.
    shape : tuple of int
        Shape of the output, ``(N, H)``.
    mean, std : float
        Over every entry of the output.
    hist_counts : ndarray of int, shape (bins,)
    hist_edges : ndarray, shape (bins + 1,)
        ``np.histogram`` of the output.
    saturated : float or None
        Sigmoid and tanh only: fraction of entries near an asymptote, where the
        derivative is almost 0. Sigmoid: ``a < eps`` or ``a > 1 - eps``
        (derivative ``s (1 - s) < ~eps``); tanh: ``|a| > 1 - eps`` (derivative
        ``1 - a^2 < ~2 eps``); ``eps = 0.01`` by default.
    dead : float or None
        ReLU only: fraction of units (columns) that output 0 for every example
        of the batch; no gradient flows through them.
    weight_norm : float or None
        ``||W||`` (Frobenius) for layers with a weight matrix.
    grad_norm : float or None
        ``||dL/dW||`` when targets and a loss were given and the layer has ``W``.
    out_grad_norm : float or None
        ``||dL/d(output)||``, the gradient arriving at this layer from above
        (when targets and a loss were given).
    """

    index: int
    name: str
    kind: str
    shape: tuple[int, ...]
    mean: float
    std: float
    hist_counts: np.ndarray = field(repr=False)
    hist_edges: np.ndarray = field(repr=False)
    saturated: float | None = None
    dead: float | None = None
    weight_norm: float | None = None
    grad_norm: float | None = None
    out_grad_norm: float | None = None


_SCALAR_FIELDS = ("mean", "std", "saturated", "dead", "weight_norm", "grad_norm", "out_grad_norm")


def _layers(model: Module) -> list[Module]:
    return list(model.children()) or [model]


@contextmanager
def in_mode(model: Module, training: bool) -> Iterator[None]:
    """Run the block with ``model`` in training or eval mode, then put back its mode and
    the running statistics of its batch-norm layers (a training-mode pass updates them).

    Examples
    --------
    >>> with in_mode(model, training=True):  # doctest: +SKIP
    ...     outs = layer_outputs(model, X, training=True)  # batch statistics, nothing kept
    """
    was_training = model.training
    saved = [
        (m, m.num_batches_tracked, m.running_mean.copy(), m.running_var.copy())
        for m in model.modules()
        if isinstance(m, BatchNorm1d) and m.track_running_stats
    ]
    model.train(bool(training))
    try:
        yield
    finally:
        for m, n, mean, var in saved:
            m.num_batches_tracked = n
            m.running_mean[...] = mean
            m.running_var[...] = var
        model.train(was_training)


def _forward_layers(layers: list[Module], x: ArrayLike) -> list[np.ndarray]:
    h = np.asarray(x)
    outs = []
    for layer in layers:
        h = layer.forward(h)
        outs.append(h)
    return outs


def layer_outputs(model: Module, x: ArrayLike, *, training: bool = False) -> list[np.ndarray]:
    """The output of every layer of ``model`` for the batch ``x``.

    Parameters
    ----------
    x : array, shape (N, D)
    training : bool
        Run in training mode (batch norm normalizes with this batch's statistics,
        dropout is active) instead of eval mode (the default). Either way the
        model's mode and its running statistics are left as they were.

    Returns
    -------
    list of arrays
        ``outs[i]`` is what layer ``i`` returned (``outs[-1]`` is the model's output).
    """
    with in_mode(model, training):
        return _forward_layers(_layers(model), x)


def layer_statistics(
    model: Module,
    x: ArrayLike,
    y: ArrayLike | None = None,
    loss_fn: object | None = None,
    *,
    bins: int = 30,
    hist_range: tuple[float, float] | None = None,
    saturation_eps: float = 0.01,
    training: bool = False,
) -> list[LayerStats]:
    """One :class:`LayerStats` per layer of ``model`` on the batch ``x``.

    Runs a forward pass in eval mode (dropout off, batch norm with its running
    statistics); with ``y`` and ``loss_fn`` also a backward pass, which
    overwrites the layers' ``grads`` like any backward pass but changes no
    parameter. The mode (and batch norm's running statistics) are restored.

    Parameters
    ----------
    model : Module
        Usually a ``Sequential``; its children are the layers.
    x : array, shape (N, D)
    y : array, optional
        Targets for ``loss_fn``.
    loss_fn : Loss, optional
    bins : int
        Histogram bins.
    hist_range : (float, float), optional
        Histogram range, the same for every layer (handy to compare layers);
        default: each output's own min and max.
    saturation_eps : float
        Distance from the asymptote that counts as saturated (see ``LayerStats``).
    training : bool
        Run the passes in training mode: batch norm then uses the batch's own
        statistics, as in a training step (needed to see what it does to a
        freshly initialized network, whose running statistics are still 0 and 1);
        dropout is active too.

    Returns
    -------
    list of LayerStats

    Examples
    --------
    >>> stats = layer_statistics(model, X[:256])
    >>> [round(s.std, 3) for s in stats if s.kind == "tanh"]
    """
    if (y is None) != (loss_fn is None):
        raise ValueError("layer_statistics needs both y and loss_fn for gradients, or neither")
    layers = _layers(model)
    with in_mode(model, training):
        outs = _forward_layers(layers, x)
        out_grads: list[float | None] = [None] * len(layers)
        if loss_fn is not None:
            loss_fn.forward(outs[-1], y)
            dh = loss_fn.backward()
            for i in range(len(layers) - 1, -1, -1):
                out_grads[i] = float(np.linalg.norm(dh))
                dh = layers[i].backward(dh)

    stats = []
    for i, (layer, out) in enumerate(zip(layers, outs, strict=True)):
        kind = layer_kind(layer)
        a = np.asarray(out, dtype=np.float64)
        counts, edges = np.histogram(a, bins=bins, range=hist_range)
        s = LayerStats(
            index=i, name=type(layer).__name__, kind=kind, shape=a.shape,
            mean=float(a.mean()), std=float(a.std()), hist_counts=counts, hist_edges=edges,
            out_grad_norm=out_grads[i],
        )  # fmt: skip
        if kind == "sigmoid":
            s.saturated = float(np.mean((a < saturation_eps) | (a > 1.0 - saturation_eps)))
        elif kind == "tanh":
            s.saturated = float(np.mean(np.abs(a) > 1.0 - saturation_eps))
        elif kind == "relu":
            s.dead = float(np.mean(np.all(a.reshape(len(a), -1) <= 0.0, axis=0)))
        if "W" in layer.params:
            s.weight_norm = float(np.linalg.norm(layer.params["W"]))
            if loss_fn is not None:
                s.grad_norm = float(np.linalg.norm(layer.grads["W"]))
        stats.append(s)
    return stats


def stats_table(stats: list[LayerStats]) -> str:
    """A plain-text table of :func:`layer_statistics`' records, one line per layer."""

    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    header = (
        f"{'#':>2}  {'layer':<12}{'mean':>9}{'std':>9}{'saturated':>10}{'dead':>7}"
        f"{'|W|':>10}{'|dL/dW|':>10}{'|dL/dout|':>11}"
    )
    lines = [header]
    for s in stats:
        lines.append(
            f"{s.index:>2}  {s.name:<12}{s.mean:>9.3f}{s.std:>9.3f}"
            f"{num(s.saturated, '.1%'):>10}{num(s.dead, '.1%'):>7}"
            f"{num(s.weight_norm, '.3g'):>10}{num(s.grad_norm, '.3g'):>10}"
            f"{num(s.out_grad_norm, '.3g'):>11}"
        )
    return "\n".join(lines)


# -- per-parameter measures -------------------------------------------------
def grad_norms(model: Module) -> dict[str, float]:
    """``||p.grad||`` for every parameter with a gradient, keyed like ``"0.W"``."""
    return {
        k: float(np.sqrt(np.vdot(p.grad, p.grad)))
        for k, p in named_parameters(model)
        if p.grad is not None
    }


def snapshot(model: Module) -> dict[str, np.ndarray]:
    """A copy of every parameter, keyed like ``"0.W"`` (to measure an update later)."""
    return {k: p.data.copy() for k, p in named_parameters(model)}


def update_to_weight_ratio(
    model: Module,
    step: Callable[[], object] | None = None,
    *,
    before: dict[str, np.ndarray] | None = None,
    weights_only: bool = True,
) -> dict[str, float]:
    """``||W_after - W_before|| / ||W_before||`` per parameter: how big a step was.

    Either pass ``step``, a function that updates the model (``optimizer.step``
    after a backward pass, or ``lambda: train_step(...)``): it is called
    between two snapshots; or pass ``before=snapshot(model)`` taken earlier
    and the ratio compares it with the parameters now.

    Parameters
    ----------
    model : Module
    step : callable, optional
    before : dict of str -> array, optional
        From :func:`snapshot`.
    weights_only : bool
        Only the weight matrices (``"W"``); biases start at 0, so their ratio
        is meaningless early on.

    Returns
    -------
    dict of str -> float
        Keyed like ``"0.W"``. A parameter that was all zeros gives ``inf`` if
        it moved, ``0.0`` if not.
    """
    if (step is None) == (before is None):
        raise ValueError("update_to_weight_ratio needs exactly one of step or before=")
    if step is not None:
        before = snapshot(model)
        step()
    ratios = {}
    for k, p in named_parameters(model):
        if weights_only and p.name != "W":
            continue
        if k not in before:
            raise KeyError(f"the snapshot has no parameter {k!r}; it has {', '.join(before)}")
        old = before[k]
        change = float(np.linalg.norm(p.data - old))
        size = float(np.linalg.norm(old))
        ratios[k] = change / size if size > 0 else (np.inf if change > 0 else 0.0)
    return ratios


class DiagnosticsCallback(Callback):
    """Record per-layer diagnostics after every ``every``-th epoch of ``fit``.

    Each record holds, keyed like ``"0.W"``:

    * ``grad_norms``: the gradient norms left by the epoch's last batch (for a
      full batch, the epoch's gradient);
    * ``update_ratios``: ``||W_now - W_prev|| / ||W_prev||`` since the previous
      record (one step for full-batch training with ``every=1``);
    * ``weight_norms``: ``||W||``;

    and, when ``x`` is given, ``layer_stats``: :func:`layer_statistics` on the
    fixed probe batch ``x`` (with gradients when ``y`` and ``loss_fn`` are
    given too; that extra backward pass overwrites the grads, not the weights).

    Examples
    --------
    >>> diag = DiagnosticsCallback(x=X[:200])
    >>> fit(model, loss_fn, opt, X, y, epochs=50, callbacks=[diag])
    >>> diag.series("update_ratios")["0.W"]      # (50,) one value per epoch
    >>> diag.stats_series("saturated")            # (50, n_layers)
    """

    def __init__(
        self,
        x: ArrayLike | None = None,
        y: ArrayLike | None = None,
        loss_fn: object | None = None,
        every: int = 1,
        **stats_kwargs: object,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an int >= 1; got {every!r}")
        self.x, self.y, self.loss_fn, self.every = x, y, loss_fn, every
        self.stats_kwargs = stats_kwargs
        self._reset()

    def _reset(self) -> None:
        self.epochs: list[int] = []
        self.grad_norms: list[dict[str, float]] = []
        self.update_ratios: list[dict[str, float]] = []
        self.weight_norms: list[dict[str, float]] = []
        self.layer_stats: list[list[LayerStats]] = []

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self._reset()
        self._before = snapshot(model)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch % self.every:
            return
        model = self.model
        self.epochs.append(epoch)
        self.grad_norms.append(grad_norms(model))
        self.update_ratios.append(update_to_weight_ratio(model, before=self._before))
        self.weight_norms.append(
            {k: float(np.linalg.norm(p.data)) for k, p in named_parameters(model) if p.name == "W"}
        )
        if self.x is not None:
            self.layer_stats.append(
                layer_statistics(model, self.x, self.y, self.loss_fn, **self.stats_kwargs)
            )
        self._before = snapshot(model)

    def series(self, name: str) -> dict[str, np.ndarray]:
        """``{"0.W": array (n_records,), ...}`` for ``"grad_norms"``, ``"update_ratios"``
        or ``"weight_norms"``: one curve per parameter, ready to plot against ``epochs``."""
        if name not in ("grad_norms", "update_ratios", "weight_norms"):
            raise ValueError(
                f"unknown series {name!r}; valid: 'grad_norms', 'update_ratios', 'weight_norms'"
            )
        records = getattr(self, name)
        keys = list(records[0]) if records else []
        return {k: np.array([r.get(k, np.nan) for r in records]) for k in keys}

    def stats_series(self, field: str) -> np.ndarray:
        """One :class:`LayerStats` field over the records: array (n_records, n_layers).

        ``None`` entries (a field that does not apply to a layer) become NaN.
        """
        if field not in _SCALAR_FIELDS:
            raise ValueError(f"unknown field {field!r}; valid: {', '.join(_SCALAR_FIELDS)}")
        return np.array(
            [[np.nan if getattr(s, field) is None else getattr(s, field) for s in rec]
             for rec in self.layer_stats],
            dtype=np.float64,
        )  # fmt: skip
