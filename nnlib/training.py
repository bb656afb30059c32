"""The training loop: ``fit`` a model to data in mini-batches, and read what happened.

One training step on a batch ``(xb, yb)`` is the four lines every chapter builds::

    out = model.forward(xb)                      # (B, C) predictions
    loss = loss_fn.forward(out, yb)              # a float
    model.backward(loss_fn.backward())           # fills every p.grad
    optimizer.step()                             # p.data -= ... in place

``fit`` repeats it over the rows of ``X`` for a number of epochs and records,
per epoch, the mean loss, the metrics, the gradient norms and the validation
results in a :class:`History`. It stops with a clear message (and never
applies the bad update) when the loss or the gradient stops being finite, the
exploding-gradient case.

What ``fit`` records and calls lives next door and is re-exported here:
``History``, ``Callback`` and the ``TrainingDiverged*`` warning and error in
``nnlib.callbacks``, ``accuracy`` in ``nnlib.metrics``, ``named_parameters``
in ``nnlib.module``.

Conventions: arrays are batch-first (``X`` is ``(N, D)``, one example a row);
epochs and batches are numbered from 1 in ``History.epoch``, in callbacks and
in messages ("epoch 1" is the first pass over the data).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._utils import RngLike, as_rng
from .callbacks import (
    Callback,
    History,
    TrainingDivergedError,
    TrainingDivergedWarning,
    _callback_name,
    _split_callbacks,
)
from .clip import clip_grad_norm, clip_grad_value
from .metrics import _resolve_metrics, accuracy
from .module import Module, Parameter, named_parameters

__all__ = [
    "fit",
    "train_step",
    "predict",
    "accuracy",
    "named_parameters",
    "History",
    "Callback",
    "TrainingDivergedWarning",
    "TrainingDivergedError",
]

_ADVICE = (
    "This is the exploding-gradient case: lower the learning rate, use a smaller "
    "initialization, or clip gradients (clip_norm=...)."
)


# -- small helpers ------------------------------------------------------------
def _parameter_keys(model: Module, params: list[Parameter]) -> list[str]:
    named = named_parameters(model)
    same = len(named) == len(params) and all(
        p.owner is q.owner and p.name == q.name for (_, q), p in zip(named, params, strict=True)
    )
    return [k for k, _ in named] if same else [f"{i}.{p.name}" for i, p in enumerate(params)]


def _check_data(X: ArrayLike, y: ArrayLike, what: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.ndim != 2:
        hint = " (one feature? use X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"{what} expects X of shape (N, D); got shape {X.shape}{hint}")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(
            f"{what} got X with {len(X)} rows but y of shape {y.shape}; "
            "they need the same number of rows (one target per example)"
        )
    if len(X) == 0:
        raise ValueError(f"{what} got no examples (X has 0 rows)")
    return X, y


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    return int(value)


def _verbosity(verbose: Any) -> tuple[int, Any]:
    """``(print every k epochs (0: never), stream or None for sys.stdout)``."""
    if isinstance(verbose, (bool, int, np.integer)):
        return max(int(verbose), 0), None
    if hasattr(verbose, "write"):
        return 1, verbose
    raise TypeError(
        f"verbose must be a bool, an int (print every k epochs) or a file; got {verbose!r}"
    )


# -- one step ---------------------------------------------------------------
def _train_step(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    params: list[Parameter],
    regularizer: Any,
    clip_norm: float | None,
    clip_value: float | None,
    xb: np.ndarray,
    yb: np.ndarray,
    sq: list[float] | None,
) -> tuple[float, np.ndarray, float]:
    """Forward, backward, (clip), step. Returns ``(loss, out, sum of squared grad norms)``.

    ``sq``, when given, receives ``||dL/dp||^2`` per parameter. The step is
    skipped when the loss (or, with ``sq``, the gradient) is not finite.
    """
    out = model.forward(xb)
    loss = loss_fn.forward(out, yb)
    if regularizer is not None:
        loss += regularizer.penalty(params)
    if not math.isfinite(loss):
        return loss, out, math.nan
    model.backward(loss_fn.backward())
    if regularizer is not None:
        regularizer.add_grad(params)
    total = 0.0
    if sq is not None:
        for i, p in enumerate(params):
            g = p.grad
            sq[i] = s = float(np.vdot(g, g))  # ||g||^2, one call per parameter
            total += s
        if not math.isfinite(total):
            return loss, out, total
    if clip_value is not None:
        clip_grad_value(params, clip_value)
    if clip_norm is not None:
        clip_grad_norm(params, clip_norm)
    optimizer.step()
    return loss, out, total


def train_step(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    xb: ArrayLike,
    yb: ArrayLike,
    *,
    regularizer: Any = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
) -> float:
    """One gradient step on one batch; returns the batch's loss (before the step).

    What :func:`fit` does per batch, for widgets that train step by step.

    Parameters
    ----------
    model, loss_fn, optimizer
        The optimizer must have been built on ``model.parameters()``.
    xb : array, shape (B, D)
    yb : array, shape (B, ...) as the loss expects
    regularizer : nnlib.losses.L1 or L2, optional
        Its penalty is added to the returned loss and its gradient to the weights'.
    clip_norm, clip_value : float, optional
        Clip the gradients (by value first, then by global norm) before the step.

    Returns
    -------
    float
        The loss including the penalty. When it is NaN or infinite the step is
        skipped (the parameters keep their values): test ``math.isfinite(loss)``.
    """
    params = model.parameters()
    step_args = (model, loss_fn, optimizer, params, regularizer, clip_norm, clip_value)
    loss, _, _ = _train_step(*step_args, np.asarray(xb), np.asarray(yb), None)
    return loss


def predict(model: Module, X: ArrayLike, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for ``X`` in eval mode (dropout off); the mode is restored after.

    Parameters
    ----------
    X : array, shape (N, D)
    batch_size : int, optional
        Feed the rows in chunks of this size (saves memory); ``None``: all at once.

    Returns
    -------
    out : array, shape (N, C)
    """
    X = np.asarray(X)
    was_training = model.training
    model.eval()
    try:
        if batch_size is None or batch_size >= len(X):
            return model.forward(X)
        bs = _check_int(batch_size, "batch_size")
        return np.concatenate([model.forward(X[s : s + bs]) for s in range(0, len(X), bs)])
    finally:
        model.train(was_training)


# -- the loop -----------------------------------------------------------------
def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    X: ArrayLike,
    y: ArrayLike,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng: RngLike = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    metrics: Sequence[str | Callable] = ("accuracy",),
    regularizer: Any = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    scheduler: Any = None,
    callbacks: Iterable[Any] = (),
    on_nonfinite: str = "stop",
    verbose: bool | int | Any = False,
) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Module
        Usually a ``Sequential``. Put in train mode during training; its mode
        is restored at the end.
    loss_fn : Loss
        For example ``BCEWithLogitsLoss()``; ``loss_fn.forward(out, yb)`` must
        accept the model's output and a slice of ``y``.
    optimizer : Optimizer
        Built on ``model.parameters()``; ``step()`` is called once per batch.
    X : array, shape (N, D)
    y : array, shape (N, ...)
        Targets, one per row of ``X`` (shape as ``loss_fn`` expects: ``(N, 1)``
        for ``BCEWithLogitsLoss`` on a ``(N, 1)`` output, ``(N,)`` labels for
        ``CrossEntropyLoss``).
    epochs : int
        Passes over the data, >= 1.
    batch_size : int or None
        Rows per step: 1 is stochastic gradient descent, ``None`` (or >= N) is
        full-batch gradient descent (one step per epoch, no copy of ``X``). The
        last, smaller batch of an epoch is kept.
    shuffle : bool
        Visit the rows in a new random order each epoch (drawn from ``rng``).
        Skipped for full batches, whose gradient does not depend on the order.
    rng : int, Generator or None
        Source of the shuffling order.
    validation_data : (X_val, y_val), optional
        Evaluated after every epoch in eval mode: ``val_loss`` and ``val_<metric>``.
    metrics : sequence of str or callable
        ``"accuracy"`` (argmax over C for ``(N, C)`` outputs; for one output
        column ``> 0`` with ``BCEWithLogitsLoss``, else ``> 0.5``; skipped for
        ``MSELoss``), or functions ``f(out, y) -> float`` (a batch mean,
        recorded under ``f.__name__``). ``()`` records none.
    regularizer : nnlib.losses.L1 or L2, optional
        Its penalty is added to the reported loss (and to ``val_loss``) and its
        gradient to the weights' after each backward pass.
    clip_norm, clip_value : float, optional
        Clip the gradients before each step (``clip_grad_value`` first, then
        ``clip_grad_norm``). ``grad_norm`` records the norm before clipping.
    scheduler : optional
        A learning-rate schedule; its ``step()`` is called once after each epoch.
    callbacks : iterable
        Functions ``f(epoch, logs)`` or :class:`Callback` objects; an
        ``on_epoch_end`` returning ``True`` stops training.
    on_nonfinite : {"stop", "raise"}
        When the loss or the gradient norm becomes NaN or infinite, the update
        of that batch is not applied and training stops: with ``"stop"`` a
        :class:`TrainingDivergedWarning` is issued and ``stop_reason`` explains
        it; with ``"raise"`` a :class:`TrainingDivergedError` is raised.
    verbose : bool, int or file
        ``True``: print one line per epoch; an int k: every k-th epoch (and the
        last); a file-like object: one line per epoch written to it.

    Returns
    -------
    History
        See :class:`History`; ``grad_norm`` is the mean over the epoch's batches.

    Examples
    --------
    >>> X, y = make_moons(200, noise=0.1)
    >>> model = Sequential(Linear(2, 16), Tanh(), Linear(16, 16), Tanh(), Linear(16, 1))
    >>> opt = Adam(model.parameters(), lr=0.01)
    >>> h = fit(model, BCEWithLogitsLoss(), opt, X, y.reshape(-1, 1), epochs=300)
    >>> h.accuracy[-1] > 0.95
    True
    """
    X, y = _check_data(X, y, "fit")
    n = len(X)
    epochs = _check_int(epochs, "epochs")
    bs = n if batch_size is None else min(_check_int(batch_size, "batch_size"), n)
    if on_nonfinite not in ("stop", "raise"):
        raise ValueError(f"on_nonfinite must be 'stop' or 'raise'; got {on_nonfinite!r}")
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be > 0; got {value!r}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val, y_val = _check_data(*validation_data, "fit's validation_data")
    metric_fns = _resolve_metrics(metrics, loss_fn)
    print_every, stream = _verbosity(verbose)
    begin_hooks, epoch_hooks, end_hooks = _split_callbacks(callbacks)

    params = model.parameters()
    keys = _parameter_keys(model, params)
    gen = as_rng(rng) if shuffle and bs < n else None  # a full batch needs no shuffling
    has_lr = hasattr(optimizer, "lr")
    names = ["loss", *(m for m, _ in metric_fns), "grad_norm"] + (["lr"] if has_lr else [])
    val_names = ["val_loss", *(f"val_{m}" for m, _ in metric_fns)]
    history = History(names + val_names if validation_data is not None else names)
    history.params = {"epochs": epochs, "batch_size": bs, "n_samples": n,
                      "steps_per_epoch": math.ceil(n / bs)}  # fmt: skip
    step_args = (model, loss_fn, optimizer, params, regularizer, clip_norm, clip_value)
    was_training = model.training
    # Overflow on the way to a diverged loss is reported once, clearly, below (unless the
    # caller asked NumPy to raise on it), instead of as a stream of RuntimeWarnings.
    quiet = {k: "ignore" for k in ("over", "invalid") if np.geterr()[k] == "warn"}
    model.train()
    try:
        with np.errstate(**quiet):
            for hook in begin_hooks:
                hook(model)
            for epoch in range(1, epochs + 1):
                lr = float(optimizer.lr) if has_lr else None
                logs, layer_norms, failure = _train_epoch(step_args, X, y, bs, gen, metric_fns)
                if has_lr:
                    logs["lr"] = lr
                if validation_data is not None:
                    logs.update(
                        _evaluate(step_args, X_val, y_val, metric_fns)
                        if failure is None
                        else dict.fromkeys(val_names, math.nan)
                    )
                history.epoch.append(epoch)
                for k, v in logs.items():
                    history.history[k].append(v)
                history.layer_grad_norms.append(dict(zip(keys, layer_norms, strict=True)))
                if failure is None and scheduler is not None:
                    scheduler.step()
                stop_by = [_callback_name(h) for h in epoch_hooks if h(epoch, dict(logs)) is True]
                if print_every and (epoch % print_every == 0 or epoch == epochs or failure):
                    print(_format_line(epoch, epochs, logs), file=stream or sys.stdout)

                if failure is not None:
                    history.stopped_early = True
                    history.stop_reason = f"Training stopped at epoch {epoch}, {failure}"
                    if on_nonfinite == "raise":
                        raise TrainingDivergedError(history.stop_reason, history)
                    warnings.warn(history.stop_reason, TrainingDivergedWarning, stacklevel=2)
                    break
                if stop_by and epoch < epochs:
                    history.stopped_early = True
                    who = ", ".join(stop_by)
                    history.stop_reason = f"stopped by callback ({who}) after epoch {epoch}"
                    break
    finally:
        model.train(was_training)
    if print_every and history.stop_reason:
        print(history.stop_reason, file=stream or sys.stdout)
    for hook in end_hooks:
        hook(history)
    return history


def _train_epoch(
    step_args: tuple,
    X: np.ndarray,
    y: np.ndarray,
    bs: int,
    gen: np.random.Generator | None,
    metric_fns: list[tuple[str, Callable]],
) -> tuple[dict[str, float], list[float], str | None]:
    """One pass over the data: ``(logs, per-parameter grad norms, failure or None)``.

    ``logs`` has the mean loss, the metrics and ``grad_norm``. On a
    non-finite loss or gradient the epoch ends at once (that batch's update
    is not applied) and ``failure`` says where and what.
    """
    n = len(X)
    n_params = len(step_args[3])
    if gen is not None:
        order = gen.permutation(n)  # (N,) a new order each epoch
        X, y = X[order], y[order]
    sq = [0.0] * n_params  # squared gradient norm per parameter, written by _train_step
    loss_sum = norm_sum = 0.0
    layer_sums = [0.0] * n_params
    metric_sums = [0.0] * len(metric_fns)
    starts = range(0, n, bs)
    for batch, s in enumerate(starts, start=1):
        xb, yb = (X, y) if bs == n else (X[s : s + bs], y[s : s + bs])  # views, no copies
        loss, out, total = _train_step(*step_args, xb, yb, sq)
        if not math.isfinite(total):
            what = (
                f"the loss became {loss}"
                if not math.isfinite(loss)
                else f"the gradient norm became {math.sqrt(total)}"
            )
            logs = {"loss": loss, **{m: math.nan for m, _ in metric_fns}, "grad_norm": math.nan}
            return logs, [math.nan] * n_params, f"batch {batch}: {what} (diverged). {_ADVICE}"
        loss_sum += loss * len(xb)
        norm_sum += math.sqrt(total)
        for i in range(n_params):
            layer_sums[i] += math.sqrt(sq[i])
        for j, (_, f) in enumerate(metric_fns):
            metric_sums[j] += f(out, yb)
    k = len(starts)
    logs = {"loss": loss_sum / n}
    for (m, _), total_m in zip(metric_fns, metric_sums, strict=True):
        logs[m] = total_m / n
    logs["grad_norm"] = norm_sum / k
    return logs, [v / k for v in layer_sums], None


def _evaluate(
    step_args: tuple,
    X: np.ndarray,
    y: np.ndarray,
    metric_fns: list[tuple[str, Callable]],
) -> dict[str, float]:
    """``val_loss`` (penalty included) and ``val_<metric>`` of the whole set, in eval mode."""
    model, loss_fn, _, params, regularizer, _, _ = step_args
    model.eval()
    try:
        out = model.forward(X)
    finally:
        model.train()
    loss = loss_fn.forward(out, y)
    if regularizer is not None:
        loss += regularizer.penalty(params)
    logs = {"val_loss": loss}
    for m, f in metric_fns:
        logs[f"val_{m}"] = f(out, y) / len(X)
    return logs


def _format_line(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    width = len(str(epochs))
    items = "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k != "lr")
    return f"epoch {epoch:>{width}}/{epochs}  {items}"
