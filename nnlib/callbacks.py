"""What watches and records a run of :func:`nnlib.fit`: ``Callback``, ``History``, divergence.

* :class:`History` is what ``fit`` returns: per epoch, the loss, the metrics,
  the gradient norms, the learning rate and the validation results (Keras'
  ``History``);
* :class:`Callback` is the base class of objects ``fit`` calls before, during
  (after every epoch, which may stop training) and after a run; a plain
  function ``f(epoch, logs)`` works as a callback too;
* :class:`TrainingDivergedWarning` and :class:`TrainingDivergedError` are what
  ``fit`` issues or raises when the loss or a gradient stops being finite.

Epochs are numbered from 1, in ``History.epoch`` as in the callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .module import Module

__all__ = ["History", "Callback", "TrainingDivergedWarning", "TrainingDivergedError"]


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


# -- callbacks --------------------------------------------------------------
class Callback:
    """Base class for objects that watch (and may stop) :func:`fit`.

    Override any of the three hooks; the defaults do nothing. A plain function
    ``f(epoch, logs)`` works as a callback too (it is called like
    ``on_epoch_end``).
    """

    def on_train_begin(self, model: Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch (numbered from 1) with that epoch's entries.

        ``logs`` holds the same keys as ``History.history``. Return ``True`` to
        stop training after this epoch.
        """

    def on_train_end(self, history: History) -> None:
        """Called once when training ends (not when it raises)."""


def _split_callbacks(callbacks: Iterable[Any]) -> tuple[list, list, list]:
    """The bound hooks of every callback: (train_begin, epoch_end, train_end) lists."""
    if callable(callbacks) or isinstance(callbacks, Callback):
        callbacks = [callbacks]
    begin, epoch_end, end = [], [], []
    for cb in callbacks:
        hooks = [getattr(cb, n, None) for n in ("on_train_begin", "on_epoch_end", "on_train_end")]
        if any(h is not None for h in hooks):
            for bucket, hook in zip((begin, epoch_end, end), hooks, strict=True):
                if hook is not None:
                    bucket.append(hook)
        elif callable(cb):
            epoch_end.append(cb)
        else:
            raise TypeError(
                "each callback must be a function f(epoch, logs) or an object with "
                f"on_train_begin/on_epoch_end/on_train_end methods; got {cb!r}"
            )
    return begin, epoch_end, end


def _callback_name(hook: Callable) -> str:
    owner = getattr(hook, "__self__", None)
    return type(owner).__name__ if owner is not None else getattr(hook, "__name__", repr(hook))
