"""The capstone's handwritten-digits recipe.

:func:`train_digits` trains the chapter's MLP (ReLU, He initialization, Adam,
mini-batches, cross-entropy) on ``nnlib.datasets.digits_split``, standardized
with the training statistics as chapter 5 teaches, and reports its accuracy on
the held-out test digits. Seeded: the same arguments give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..datasets import digits_split
from ..layers import Sequential
from ..losses import CrossEntropyLoss
from ..models import mlp
from ..optim import Adam
from ..training import History, fit, predict

__all__ = ["train_digits"]


def train_digits(
    hidden: Sequence[int] = (128, 64),
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 1e-3,
    rng: int = 0,
    callbacks: Sequence[Any] = (),
) -> tuple[Sequential, History, float]:
    """The chapter's digits recipe: ReLU MLP, He init, Adam, mini-batches, cross-entropy.

    Returns
    -------
    model : Sequential
        64 -> hidden... -> 10, outputs logits.
    history : History
        Training and validation loss and accuracy per epoch.
    test_accuracy : float
        Accuracy on the 450 held-out test digits.
    """
    X_train, X_val, X_test, y_train, y_val, y_test = digits_split(rng=rng, standardized=True)
    model = mlp([64, *hidden, 10], "relu", "he_normal", rng=rng)
    optimizer = Adam(model.parameters(), lr=lr)
    history = fit(
        model, CrossEntropyLoss(), optimizer, X_train, y_train, epochs=epochs,
        batch_size=batch_size, rng=rng, validation_data=(X_val, y_val), callbacks=callbacks,
    )  # fmt: skip
    test_accuracy = float(np.mean(predict(model, X_test).argmax(axis=1) == y_test))
    return model, history, test_accuracy
