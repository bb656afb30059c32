"""What extends and watches a run of :func:`nnlib.fit`: callbacks, ``History``, divergence.

``fit`` is a short loop over ``train_step``; everything else a run does is a
callback, an object whose hooks the loop calls at fixed points (the names
follow PyTorch Lightning and Keras)::

    on_train_begin(model)
    for each epoch:
        on_epoch_begin(epoch)
        for each batch, in train_step:
            out = model.forward(xb)
            loss = loss_fn.forward(out, yb) + penalty(model)   # summed over callbacks
            on_before_backward(loss)
            model.backward(loss_fn.backward())
            on_after_backward(model)          # between backward and optimizer.step()
            optimizer.step()
            on_train_batch_end(out, yb, loss)
        on_epoch_end(epoch, logs)             # return True to stop after this epoch
    on_train_end(history)

A hook may raise :class:`StopTraining` to end the run at once (the update in
progress is not applied). The callbacks ``fit``'s keywords build:

* ``regularizer=L2(...)``: ``L1`` and ``L2`` (``nnlib.regularizers``) are callbacks
  (``penalty`` and ``on_after_backward``);
* ``clip_norm=``, ``clip_value=``: :class:`~nnlib.clip.GradientClipping`;
* ``on_nonfinite=``: :class:`TerminateOnNaN` (always on);
* ``scheduler=``: :class:`LearningRateScheduler`;
* ``verbose=``: :class:`ProgressPrinter`.

Hooks run in list order. ``fit`` puts its own first (the penalty, the
recorder of the History, ``TerminateOnNaN``, the clipping, the schedule), then
yours, then the printer: gradients are recorded in ``grad_norm`` before they
are clipped, and a penalty passed as ``regularizer=`` is added before both (one
passed in ``callbacks=`` would come after the clipping).

This module also holds :class:`History`, what ``fit`` returns, and the
:class:`TrainingDivergedWarning` and :class:`TrainingDivergedError` of a run
whose loss or gradient stopped being finite. Epochs and batches are numbered
from 1.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import numpy as np

from .module import Module

__all__ = [
    "History",
    "Callback",
    "CallbackList",
    "StopTraining",
    "TerminateOnNaN",
    "LearningRateScheduler",
    "ProgressPrinter",
    "TrainingDivergedWarning",
    "TrainingDivergedError",
]

_ADVICE = (
    "This is the exploding-gradient case: lower the learning rate, use a smaller "
    "initialization, or clip gradients (clip_norm=...)."
)


class StopTraining(Exception):  # a signal, like StopIteration
    """Raised by a callback's hook to end training at once; the message says why.

    ``fit`` catches it: the update in progress is not applied, the epoch is
    recorded (its loss is the failing batch's, the rest NaN) and
    ``History.stop_reason`` reads ``"Training stopped at epoch <e>, <message>"``.
    """


class TrainingDivergedWarning(RuntimeWarning):
    """Issued by :func:`fit` when the loss or gradient became NaN or infinite."""


class TrainingDivergedError(RuntimeError):
    """Raised by :func:`fit` with ``on_nonfinite="raise"``; ``.history`` holds what ran."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


# -- results --------------------------------------------------------------
class History:
    """What :func:`fit` recorded, one entry per epoch (Keras' ``History``).

    Attributes
    ----------
    epoch : list of int
        The epochs that ran, numbered from 1.
    history : dict of str -> list of float
        One list per quantity, each as long as ``epoch``:

        * ``"loss"``: mean training loss over the epoch's batches, weighted by
          batch size, including the regularizer's penalty;
        * one entry per metric (``"accuracy"``), computed from the outputs seen
          during the epoch (before each batch's update, in train mode);
        * ``"grad_norm"``: the global gradient norm ``sqrt(sum_p ||dL/dp||^2)``
          (penalty included, before clipping), averaged over the epoch's batches;
        * ``"lr"``: the optimizer's learning rate during the epoch;
        * ``"val_loss"``, ``"val_accuracy"``, ...: with ``validation_data``,
          measured after the epoch in eval mode.

        An epoch that diverged is recorded too: its loss is the failing batch's
        (NaN or infinite, unless only the gradient overflowed); its other
        entries are NaN.
    layer_grad_norms : list of dict of str -> float
        Per epoch, the norm of each parameter's gradient, averaged over the
        batches, keyed ``"<layer index>.<name>"`` (``"0.W"``, ``"0.b"``, ``"2.W"``).
    stopped_early : bool
        True when training ended before the last epoch.
    stop_reason : str or None
        Why it stopped early, in words.
    params : dict
        ``epochs``, ``batch_size``, ``steps_per_epoch`` and ``n_samples`` of the run.

    Every list in ``history`` is also an attribute: ``h.loss`` is ``h.history["loss"]``.
    """

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {k: [] for k in keys}
        self.layer_grad_norms: list[dict[str, float]] = []
        self.stopped_early: bool = False
        self.stop_reason: str | None = None
        self.params: dict[str, Any] = {}

    def __getattr__(self, name: str) -> list[float]:
        hist = self.__dict__.get("history")
        if hist is not None and name in hist:
            return hist[name]
        recorded = ", ".join(hist) if hist else "nothing"
        raise AttributeError(f"History has no attribute {name!r}; recorded: {recorded}")

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"{key!r} was not recorded; recorded: {', '.join(self.history)}")
        return self.history[key]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.history))

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        parts = [f"epochs={len(self.epoch)}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            values = self.history.get(key)
            if values:
                parts.append(f"{key}={values[0]:.4g}->{values[-1]:.4g}")
        if self.stopped_early:
            parts.append("stopped_early=True")
        return f"History({', '.join(parts)})"


# -- the base class and the dispatcher -------------------------------------------
class Callback:
    """Base class for objects that extend, watch or stop :func:`fit`.

    Override the hooks you need (see the module docstring for when each is
    called); the defaults do nothing. A plain function ``f(epoch, logs)`` works
    as a callback too: it is called like ``on_epoch_end``.
    """

    def on_train_begin(self, model: Module) -> None:
        """Called once before the first epoch, with the model in train mode."""

    def on_epoch_begin(self, epoch: int) -> None:
        """Called before each epoch (numbered from 1)."""

    def penalty(self, model: Module) -> float:
        """A term added to every batch's loss (a weight penalty); 0.0 by default."""
        return 0.0

    def on_before_backward(self, loss: float) -> None:
        """Called with each batch's loss (penalties included), before ``backward``."""

    def on_after_backward(self, model: Module) -> None:
        """Called after ``backward`` filled every ``p.grad``, before ``optimizer.step()``.

        The place to change the gradients: add a penalty's gradient, clip them.
        """

    def on_train_batch_end(self, out: np.ndarray, yb: np.ndarray, loss: float) -> None:
        """Called after each batch's update with its outputs ``out`` (B, C), targets and loss."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch (numbered from 1) with that epoch's entries.

        ``logs`` holds the same keys as ``History.history``. Return ``True`` to
        stop training after this epoch.
        """

    def on_train_end(self, history: History) -> None:
        """Called once when training ends (not when it raises)."""


_HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "penalty",
    "on_before_backward",
    "on_after_backward",
    "on_train_batch_end",
    "on_epoch_end",
    "on_train_end",
)


class CallbackList:
    """Calls each hook of a list of callbacks, in order; what ``fit`` and ``train_step`` use.

    Accepts :class:`Callback` objects, any object with some of the hook methods
    (duck typing), and plain functions ``f(epoch, logs)`` (as ``on_epoch_end``).
    Only the hooks a callback overrides are called, so an empty list costs
    next to nothing per batch.
    """

    def __init__(self, callbacks: Iterable[Any] | Any = ()) -> None:
        if callable(callbacks) or isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        self.hooks: dict[str, list[Callable]] = {name: [] for name in _HOOKS}
        for cb in self.callbacks:
            own = [name for name in _HOOKS if _overrides(cb, name)]
            if own or isinstance(cb, Callback):
                for name in own:
                    self.hooks[name].append(getattr(cb, name))
            elif callable(cb):
                self.hooks["on_epoch_end"].append(cb)
            else:
                raise TypeError(
                    "each callback must be a function f(epoch, logs) or an object with hook "
                    f"methods such as on_epoch_end (see nnlib.callbacks.Callback); got {cb!r}"
                )

    def on_train_begin(self, model: Module) -> None:
        for hook in self.hooks["on_train_begin"]:
            hook(model)

    def on_epoch_begin(self, epoch: int) -> None:
        for hook in self.hooks["on_epoch_begin"]:
            hook(epoch)

    def penalty(self, model: Module) -> float:
        return sum((hook(model) for hook in self.hooks["penalty"]), 0.0)

    def on_before_backward(self, loss: float) -> None:
        for hook in self.hooks["on_before_backward"]:
            hook(loss)

    def on_after_backward(self, model: Module) -> None:
        for hook in self.hooks["on_after_backward"]:
            hook(model)

    def on_train_batch_end(self, out: np.ndarray, yb: np.ndarray, loss: float) -> None:
        for hook in self.hooks["on_train_batch_end"]:
            hook(out, yb, loss)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> list[str]:
        """Calls every ``on_epoch_end`` (each with its own copy of ``logs``).

        Returns the names of the callbacks that asked to stop (returned ``True``).
        """
        return [
            _name(hook) for hook in self.hooks["on_epoch_end"] if hook(epoch, dict(logs)) is True
        ]

    def on_train_end(self, history: History) -> None:
        for hook in self.hooks["on_train_end"]:
            hook(history)


def _overrides(cb: Any, name: str) -> bool:
    """Whether ``cb`` has a ``name`` hook of its own (not ``Callback``'s do-nothing default)."""
    hook = getattr(cb, name, None)
    return callable(hook) and getattr(hook, "__func__", None) is not getattr(Callback, name)


def _name(hook: Callable) -> str:
    owner = getattr(hook, "__self__", None)
    return type(owner).__name__ if owner is not None else getattr(hook, "__name__", repr(hook))


# -- the callbacks fit's keywords build -------------------------------------------
class TerminateOnNaN(Callback):
    """Stop training when the loss or the gradient norm becomes NaN or infinite.

    What ``fit(..., on_nonfinite=...)`` adds to every run (Keras has a callback
    of this name). It raises :class:`StopTraining` from the batch's hook, so the
    bad update is never applied and the parameters keep their last finite
    values; at the end of the run it issues a :class:`TrainingDivergedWarning`
    (``"stop"``) or raises a :class:`TrainingDivergedError` (``"raise"``).

    Parameters
    ----------
    on_nonfinite : {"stop", "raise"}
    """

    def __init__(self, on_nonfinite: str = "stop") -> None:
        if on_nonfinite not in ("stop", "raise"):
            raise ValueError(f"on_nonfinite must be 'stop' or 'raise'; got {on_nonfinite!r}")
        self.on_nonfinite = on_nonfinite
        self.batch = 0
        self.reason: str | None = None
        self._params: tuple[Module | None, list] = (None, [])

    def on_train_begin(self, model: Module) -> None:
        self.reason = None
        self._params = (model, model.parameters())  # looked up once per run

    def on_epoch_begin(self, epoch: int) -> None:
        self.batch = 0

    def on_before_backward(self, loss: float) -> None:
        self.batch += 1
        if not math.isfinite(loss):
            self._stop(f"the loss became {loss}")

    def on_after_backward(self, model: Module) -> None:
        params = self._params[1] if self._params[0] is model else model.parameters()
        total = sum(float(np.vdot(p.grad, p.grad)) for p in params)  # ||dL/dparams||^2
        if not math.isfinite(total):
            self._stop(f"the gradient norm became {math.sqrt(total)}")

    def _stop(self, what: str) -> None:
        self.reason = f"batch {self.batch}: {what} (diverged). {_ADVICE}"
        raise StopTraining(self.reason)

    def on_train_end(self, history: History) -> None:
        if self.reason is None:
            return
        if self.on_nonfinite == "raise":
            raise TrainingDivergedError(history.stop_reason or self.reason, history)
        # stacklevel 4: the warning points at the caller of fit
        warnings.warn(history.stop_reason or self.reason, TrainingDivergedWarning, stacklevel=4)


class LearningRateScheduler(Callback):
    """Call ``scheduler.step()`` after every epoch: what ``fit(..., scheduler=...)`` does.

    Parameters
    ----------
    scheduler : nnlib.schedules.LRScheduler
        Or anything with a ``step()`` method (it changes ``optimizer.lr``).
    """

    def __init__(self, scheduler: Any) -> None:
        if not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"scheduler must have a step() method; got {scheduler!r}")
        self.scheduler = scheduler

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.scheduler.step()


class ProgressPrinter(Callback):
    """Print one line per epoch: what ``fit(..., verbose=...)`` does.

    Parameters
    ----------
    epochs : int
        The run's length (printed as ``epoch 3/20``).
    every : int
        Print every ``every``-th epoch; the last epoch that ran is always printed,
        followed by the reason when training stopped early.
    file : file-like, optional
        Where to write; ``None``: ``sys.stdout``.
    """

    def __init__(self, epochs: int, every: int = 1, file: TextIO | None = None) -> None:
        self.epochs, self.every, self.file = epochs, max(int(every), 1), file
        self._last: tuple[int, dict[str, float]] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self._last = None
        if epoch % self.every == 0 or epoch == self.epochs:
            self._print(self.format(epoch, logs))
        else:
            self._last = (epoch, logs)

    def on_train_end(self, history: History) -> None:
        if history.stop_reason:
            if self._last is not None:
                self._print(self.format(*self._last))
            self._print(history.stop_reason)

    def format(self, epoch: int, logs: dict[str, float]) -> str:
        """``"epoch  3/20  loss 0.4321  accuracy 0.85 ..."`` (without the learning rate)."""
        width = len(str(self.epochs))
        items = "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k != "lr")
        return f"epoch {epoch:>{width}}/{self.epochs}  {items}"

    def _print(self, line: str) -> None:
        print(line, file=self.file or sys.stdout)
