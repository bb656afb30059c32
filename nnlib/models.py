"""Ready-made networks: the multilayer perceptron every chapter builds.

``mlp([D, H1, H2, C], "relu", "he_normal", rng=0)`` is the same network as
writing the layers out by hand::

    Sequential(Linear(D, H1), ReLU(), Linear(H1, H2), ReLU(), Linear(H2, C))

Every ``Linear`` draws its weights from one generator, layer by layer from the
input side, so a seed gives the same network every time. The last layer has no
activation: the network outputs raw scores (logits), which the losses
``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` expect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import activations
from ._utils import RngLike, as_rng
from .layers import Dropout, Linear, Sequential
from .module import Module

__all__ = ["mlp"]

Initializer = str | Callable[..., np.ndarray]


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    init: Initializer = "xavier_uniform",
    rng: RngLike = None,
    *,
    output_init: Initializer | None = None,
    dropout: float = 0.0,
    dtype: type | np.dtype = np.float64,
) -> Sequential:
    """An MLP: ``Linear, activation [, Dropout]`` per hidden layer, then a last ``Linear``.

    Parameters
    ----------
    sizes : sequence of int
        ``[D, H1, ..., C]``: input features, the width of every hidden layer,
        outputs. ``len(sizes) - 1`` ``Linear`` layers; ``[D, C]`` is a single
        ``Linear`` (linear or logistic regression).
    activation : str
        A name for ``nnlib.activations.get`` (``"relu"``, ``"tanh"``,
        ``"sigmoid"``, ``"identity"`` for a deep *linear* network, ...).
    init : str or callable
        Initializer of every weight matrix: a name of ``nnlib.init`` or a
        callable such as ``nnlib.init.get("normal", std=0.01)``. Biases start at 0.
    rng : None, int or np.random.Generator
        One stream for all the layers (and the dropout masks).
    output_init : str or callable, optional
        Initializer of the last layer only (default: ``init``).
    dropout : float
        Drop probability of a ``Dropout`` after every hidden activation (0: none).
    dtype : np.float64 or np.float32

    Returns
    -------
    Sequential
        Maps ``(N, D)`` inputs to ``(N, C)`` logits.

    Examples
    --------
    >>> net = mlp([2, 8, 1], "tanh", rng=0)
    >>> [type(layer).__name__ for layer in net]
    ['Linear', 'Tanh', 'Linear']
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least [in_features, out_features]; got sizes={sizes}")
    gen = as_rng(rng)
    layers: list[Module] = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [
            Linear(fan_in, fan_out, init=init, rng=gen, dtype=dtype),
            activations.get(activation),
        ]
        if dropout > 0:
            layers.append(Dropout(dropout, rng=gen))
    last = init if output_init is None else output_init
    layers.append(Linear(sizes[-2], sizes[-1], init=last, rng=gen, dtype=dtype))
    return Sequential(*layers)
