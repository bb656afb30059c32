"""The training loop: ``fit`` a model to data in mini-batches, and read what happened.

One training step on a batch ``(xb, yb)`` is the four lines every chapter
builds, and :func:`train_step` is exactly them::

    out = model.forward(xb)                 # (B, C) predictions
    loss = loss_fn.forward(out, yb)         # a float
    model.backward(loss_fn.backward())      # fills every p.grad
    optimizer.step()                        # p.data -= ... in place

:func:`fit` repeats it over the rows of ``X`` for a number of epochs. All
else a run does is a callback (``nnlib.callbacks``) that ``train_step`` and
``fit`` call at fixed points: weight penalties (``regularizer=``), gradient
clipping (``clip_norm=``, ``clip_value=``), the learning-rate schedule
(``scheduler=``), the printed progress (``verbose=``), the stop when the loss
or the gradient stops being finite (``on_nonfinite=``, the exploding-gradient
case), and the :class:`History` of the run: per epoch the mean loss, the
metrics, the gradient norms and the validation results.

``History``, the callbacks and the ``TrainingDiverged*`` warning and error
live in ``nnlib.callbacks`` (``GradientClipping`` in ``nnlib.clip``),
``accuracy`` in ``nnlib.metrics``, ``named_parameters`` in ``nnlib.module``;
they are re-exported here.

Conventions: arrays are batch-first (``X`` is ``(N, D)``, one example a row);
epochs and batches are numbered from 1 in ``History.epoch``, in callbacks and
in messages ("epoch 1" is the first pass over the data).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._utils import RngLike, as_rng
from .callbacks import (
    Callback,
    CallbackList,
    History,
    LearningRateScheduler,
    ProgressPrinter,
    StopTraining,
    TerminateOnNaN,
    TrainingDivergedError,
    TrainingDivergedWarning,
)
from .clip import GradientClipping
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
    "StopTraining",
    "GradientClipping",
    "TerminateOnNaN",
    "LearningRateScheduler",
    "ProgressPrinter",
    "TrainingDivergedWarning",
    "TrainingDivergedError",
]


# -- one step -------------------------------------------------------------------
def train_step(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    xb: ArrayLike,
    yb: ArrayLike,
    callbacks: Iterable[Any] | CallbackList = (),
) -> float:
    """One gradient step on one batch: forward, loss, backward, step.

    Returns the batch's loss, computed before the step.

    Parameters
    ----------
    model, loss_fn, optimizer
        The optimizer must have been built on ``model.parameters()``.
    xb : array, shape (B, D)
    yb : array, shape (B, ...) as the loss expects
    callbacks : iterable of Callback, optional
        Their batch hooks run inside the step: ``penalty`` (added to the loss),
        ``on_before_backward``, ``on_after_backward`` (for example
        ``[L2(1e-3), GradientClipping(clip_norm=1.0)]``) and ``on_train_batch_end``.
        A hook that raises :class:`~nnlib.callbacks.StopTraining` stops the step
        before the update.

    Returns
    -------
    float
        The loss including any penalty. When it is NaN or infinite the step is
        skipped (the parameters keep their values, ``on_train_batch_end`` is not
        called): test ``math.isfinite(loss)``.

    Examples
    --------
    A loop of your own, with an L2 penalty and clipping (a ``CallbackList``
    built once saves sorting the hooks on every call):

    >>> hooks = CallbackList([L2(1e-3), GradientClipping(clip_norm=1.0)])
    >>> for xb, yb in batches:
    ...     loss = train_step(model, loss_fn, opt, xb, yb, hooks)
    """
    hooks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(callbacks)
    xb, yb = np.asarray(xb), np.asarray(yb)
    out = model.forward(xb)  # (B, C) predictions
    loss = loss_fn.forward(out, yb) + hooks.penalty(model)  # + weight penalties, if any
    hooks.on_before_backward(loss)  # where TerminateOnNaN stops a NaN loss
    if not math.isfinite(loss):  # a NaN or infinite loss would ruin every weight
        return loss
    model.backward(loss_fn.backward())  # fills every p.grad
    hooks.on_after_backward(model)  # penalty gradients, clipping
    optimizer.step()  # p.data -= lr * p.grad, or the optimizer's own rule
    hooks.on_train_batch_end(out, yb, loss)
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


# -- the loop --------------------------------------------------------------------
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

    Every epoch visits the rows of ``X`` in batches and calls :func:`train_step`
    on each. The keywords after ``metrics`` are callbacks (``nnlib.callbacks``)
    in disguise; they run first, in the order listed, then ``callbacks``.

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
        ``clip_grad_norm``): a :class:`~nnlib.clip.GradientClipping` callback.
        ``grad_norm`` records the norm before clipping.
    scheduler : optional
        A learning-rate schedule; its ``step()`` is called once after each epoch
        (a :class:`~nnlib.callbacks.LearningRateScheduler` callback).
    callbacks : iterable
        :class:`Callback` objects or functions ``f(epoch, logs)``; an
        ``on_epoch_end`` returning ``True`` stops training after that epoch.
    on_nonfinite : {"stop", "raise"}
        When the loss or the gradient norm becomes NaN or infinite, the update
        of that batch is not applied and training stops: with ``"stop"`` a
        :class:`TrainingDivergedWarning` is issued and ``stop_reason`` explains
        it; with ``"raise"`` a :class:`TrainingDivergedError` is raised
        (a :class:`~nnlib.callbacks.TerminateOnNaN` callback).
    verbose : bool, int or file
        ``True``: print one line per epoch; an int k: every k-th epoch (and the
        last); a file-like object: one line per epoch written to it (a
        :class:`~nnlib.callbacks.ProgressPrinter` callback).

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
    epochs = _check_int(epochs, "epochs")
    bs = len(X) if batch_size is None else min(_check_int(batch_size, "batch_size"), len(X))
    gen = as_rng(rng) if shuffle and bs < len(X) else None  # a full batch needs no shuffling
    record = _Recorder(model, loss_fn, optimizer, metrics, validation_data, regularizer)
    history = record.start(epochs, bs, len(X))
    hooks = CallbackList(
        [
            *([regularizer] if regularizer is not None else []),  # its gradient is in grad_norm
            record,  # keeps the History: sums over batches, an entry per epoch
            TerminateOnNaN(on_nonfinite),
            *_clipping(clip_norm, clip_value),
            *([LearningRateScheduler(scheduler)] if scheduler is not None else []),
            *CallbackList(callbacks).callbacks,
            *_printer(verbose, epochs),
        ]
    )
    was_training = model.training
    model.train()
    try:
        with np.errstate(**_quiet_overflow()):
            hooks.on_train_begin(model)
            for epoch in range(1, epochs + 1):
                try:
                    hooks.on_epoch_begin(epoch)
                    for xb, yb in _batches(X, y, bs, gen):
                        train_step(model, loss_fn, optimizer, xb, yb, hooks)
                except StopTraining as stop:  # the update in progress was not applied
                    history.stop_reason = f"Training stopped at epoch {epoch}, {stop}"
                stopped_by = hooks.on_epoch_end(epoch, record.end_epoch())
                if stopped_by and epoch < epochs and history.stop_reason is None:
                    who = ", ".join(stopped_by)
                    history.stop_reason = f"stopped by callback ({who}) after epoch {epoch}"
                if history.stop_reason is not None:
                    break
    finally:
        model.train(was_training)
    history.stopped_early = history.stop_reason is not None
    hooks.on_train_end(history)
    return history


# -- fit's helpers ---------------------------------------------------------------
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


def _batches(
    X: np.ndarray, y: np.ndarray, bs: int, gen: np.random.Generator | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The epoch's batches ``(xb (B, D), yb)``: in a new random order when ``gen`` is given."""
    if bs >= len(X):
        yield X, y  # full batch: X itself, no copy
        return
    if gen is not None:
        order = gen.permutation(len(X))  # (N,) a new order each epoch
        X, y = X[order], y[order]
    for s in range(0, len(X), bs):
        yield X[s : s + bs], y[s : s + bs]  # views, no copies


def _clipping(clip_norm: float | None, clip_value: float | None) -> list[Callback]:
    if clip_norm is None and clip_value is None:
        return []
    return [GradientClipping(clip_norm, clip_value)]


def _printer(verbose: Any, epochs: int) -> list[Callback]:
    """``verbose`` as a callback: ``True`` every epoch, an int k every k-th, a file every epoch."""
    if hasattr(verbose, "write"):
        return [ProgressPrinter(epochs, 1, file=verbose)]
    if not isinstance(verbose, (bool, int, np.integer)):
        raise TypeError(
            f"verbose must be a bool, an int (print every k epochs) or a file; got {verbose!r}"
        )
    return [ProgressPrinter(epochs, int(verbose))] if verbose > 0 else []


def _quiet_overflow() -> dict[str, str]:
    """Silence NumPy's overflow warnings on the way to a diverged loss (unless set to raise).

    ``TerminateOnNaN`` reports the divergence once, clearly, instead.
    """
    return {k: "ignore" for k in ("over", "invalid") if np.geterr()[k] == "warn"}


def _parameter_keys(model: Module, params: list[Parameter]) -> list[str]:
    named = named_parameters(model)
    same = len(named) == len(params) and all(
        p.owner is q.owner and p.name == q.name for (_, q), p in zip(named, params, strict=True)
    )
    return [k for k, _ in named] if same else [f"{i}.{p.name}" for i, p in enumerate(params)]


class _Recorder(Callback):
    """The callback that keeps ``fit``'s History: sums over the batches, an entry per epoch.

    Per batch it adds up the loss and the metrics (weighted by batch size) and
    the gradient norms (before clipping); after each epoch, :meth:`end_epoch`
    turns the sums into means, evaluates ``validation_data`` and appends them.
    """

    def __init__(
        self,
        model: Module,
        loss_fn: Any,
        optimizer: Any,
        metrics: Sequence[str | Callable],
        validation_data: tuple[ArrayLike, ArrayLike] | None,
        regularizer: Any,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.regularizer = regularizer
        self.metric_fns = _resolve_metrics(metrics, loss_fn)
        self.val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            self.val = _check_data(*validation_data, "fit's validation_data")
        self.params = model.parameters()
        self.keys = _parameter_keys(model, self.params)

    def start(self, epochs: int, batch_size: int, n: int) -> History:
        names = ["loss", *(m for m, _ in self.metric_fns), "grad_norm"]
        names += ["lr"] if hasattr(self.optimizer, "lr") else []
        if self.val is not None:
            names += ["val_loss", *(f"val_{m}" for m, _ in self.metric_fns)]
        self.history = History(names)
        self.history.params = {"epochs": epochs, "batch_size": batch_size, "n_samples": n,
                               "steps_per_epoch": math.ceil(n / batch_size)}  # fmt: skip
        return self.history

    def on_epoch_begin(self, epoch: int) -> None:
        self.epoch = epoch
        self.lr = float(self.optimizer.lr) if hasattr(self.optimizer, "lr") else None
        self.rows = self.steps = 0
        self.loss_sum = self.norm_sum = 0.0
        self.metric_sums = [0.0] * len(self.metric_fns)
        self.layer_sums = [0.0] * len(self.params)
        self.failed_loss: float | None = None  # set while a batch is in progress

    def on_before_backward(self, loss: float) -> None:
        self.failed_loss = loss  # cleared when the batch's update is done

    def on_after_backward(self, model: Module) -> None:
        sq = [float(np.vdot(p.grad, p.grad)) for p in self.params]  # ||dL/dp||^2 each
        self.norm_sum += math.sqrt(sum(sq))
        for i, s in enumerate(sq):
            self.layer_sums[i] += math.sqrt(s)

    def on_train_batch_end(self, out: np.ndarray, yb: np.ndarray, loss: float) -> None:
        self.failed_loss = None
        self.rows += len(yb)
        self.steps += 1
        self.loss_sum += loss * len(yb)
        for j, (_, f) in enumerate(self.metric_fns):
            self.metric_sums[j] += f(out, yb)

    def end_epoch(self) -> dict[str, float]:
        """Append the epoch's entries to the History and return them (``logs``).

        An epoch cut short (a diverged batch) records that batch's loss and NaN
        for everything else.
        """
        if self.failed_loss is not None or self.steps == 0:
            values = {"loss": math.nan if self.failed_loss is None else self.failed_loss}
            layer_norms = [math.nan] * len(self.params)
        else:
            values = {"loss": self.loss_sum / self.rows, "grad_norm": self.norm_sum / self.steps}
            for (m, _), total in zip(self.metric_fns, self.metric_sums, strict=True):
                values[m] = total / self.rows
            values.update(self._validate())
            layer_norms = [s / self.steps for s in self.layer_sums]
        values["lr"] = self.lr
        logs = {k: values.get(k, math.nan) for k in self.history.history}
        self.history.epoch.append(self.epoch)
        for k, v in logs.items():
            self.history.history[k].append(v)
        self.history.layer_grad_norms.append(dict(zip(self.keys, layer_norms, strict=True)))
        return logs

    def _validate(self) -> dict[str, float]:
        """``val_loss`` (penalty included) and ``val_<metric>`` of the whole set, in eval mode."""
        if self.val is None:
            return {}
        X, y = self.val
        out = predict(self.model, X)
        loss = self.loss_fn.forward(out, y)
        if self.regularizer is not None:
            loss += self.regularizer.penalty(self.params)
        logs = {"val_loss": loss}
        for m, f in self.metric_fns:
            logs[f"val_{m}"] = f(out, y) / len(X)
        return logs
