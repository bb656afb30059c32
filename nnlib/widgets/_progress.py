"""A progress bar with the live loss, as a callback for ``nnlib.fit``."""

from __future__ import annotations

import sys
from typing import Any


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can be displayed)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class ProgressBar:
    """Show training progress: an ipywidgets bar in a notebook, plain text elsewhere.

    Parameters
    ----------
    epochs : int
        The ``epochs`` passed to ``fit`` (the bar's length).
    every : int
        Refresh the label every ``every`` epochs (the bar itself moves each epoch).

    Examples
    --------
    >>> bar = ProgressBar(200)
    >>> hist = nnlib.fit(model, loss_fn, opt, X, y, epochs=200, callbacks=[bar])  # doctest: +SKIP
    """

    def __init__(self, epochs: int, every: int = 1) -> None:
        if epochs < 1:
            raise ValueError(f"ProgressBar needs epochs >= 1; got {epochs}")
        self.epochs = epochs
        self.every = max(1, every)
        self._bar = None
        self._label = None
        self._last: dict[str, Any] = {}

    def on_train_begin(self, model: Any = None) -> None:
        if _in_kernel():
            import ipywidgets as widgets
            from IPython.display import display

            self._bar = widgets.IntProgress(value=0, min=0, max=self.epochs, description="training")
            self._label = widgets.Label(value="")
            display(widgets.HBox([self._bar, self._label]))

    @staticmethod
    def _format(epoch: int, epochs: int, logs: dict[str, Any]) -> str:
        parts = [f"epoch {epoch}/{epochs}"]
        parts += [f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, (int, float))]
        return "  ".join(parts)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self._last = dict(logs)
        done = epoch  # nnlib.fit numbers epochs from 1
        if self._bar is not None:
            self._bar.value = done
            if done % self.every == 0 or done == self.epochs:
                self._label.value = self._format(done, self.epochs, logs)
        elif done % max(1, self.epochs // 10) == 0 or done == self.epochs:
            print(self._format(done, self.epochs, logs))

    def on_train_end(self, history: Any = None) -> None:
        if self._bar is not None:
            self._bar.bar_style = "success"
