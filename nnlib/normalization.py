"""Normalization layers: ``BatchNorm1d`` (over the batch) and ``LayerNorm`` (over the features).

Both standardize their input, ``xhat = (x - mean) / sqrt(var + eps)``, then
scale and shift it with learnable ``gamma`` and ``beta``::

    out = gamma * xhat + beta

They differ in which numbers the mean and variance are taken over. For a batch
``x`` of shape ``(N, D)`` (batch-first rows, as everywhere in nnlib):

* ``BatchNorm1d`` normalizes each *column* (a feature, over the N examples of
  the batch), so an example's output depends on the rest of its batch; it keeps
  running averages of the statistics to use at evaluation time;
* ``LayerNorm`` normalizes each *row* (an example, over its D features), so it
  behaves the same in training and evaluation and for any batch size.

Parameter names. nnlib calls the scale and shift ``gamma`` and ``beta``, the
letters of the formula (PyTorch calls them ``weight`` and ``bias``). The
penalties ``nnlib.losses.L1``/``L2`` act on parameters named ``"W"`` only, so
they leave ``gamma`` and ``beta`` alone, as they leave biases alone (the usual
choice: pulling ``gamma`` towards 0 would only fight the normalization, whose
point is a signal of a useful scale). An optimizer's ``weight_decay`` (like
torch's) applies to every parameter it is given, these included.

The backward passes use the compact form derived in ``BatchNorm1d.backward``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt

from ._utils import check_float_dtype, float_dtype
from .module import Module

__all__ = ["BatchNorm1d", "LayerNorm"]


def _check_positive_int(owner: str, name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer; got {n!r}")
    return int(n)


def _check_eps(owner: str, eps: object) -> float:
    if isinstance(eps, bool) or not isinstance(eps, Real) or not 0.0 < float(eps) < np.inf:
        raise ValueError(f"{owner}: eps must be a positive number; got {eps!r}")
    return float(eps)


class BatchNorm1d(Module):
    """Batch normalization (Ioffe and Szegedy, 2015): normalize every feature over the batch.

    In training mode each column of ``x`` is standardized with the mean and the
    (biased) variance of the batch, then scaled and shifted::

        mu   = mean(x, axis=0)                  (D,)
        var  = mean((x - mu) ** 2, axis=0)      (D,)   divides by N
        xhat = (x - mu) / sqrt(var + eps)       (N, D)
        out  = gamma * xhat + beta              (N, D)

    and the running estimates used in evaluation are updated (torch's
    convention: ``momentum`` is the weight of the *new* batch)::

        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var  = (1 - momentum) * running_var  + momentum * var * N / (N - 1)

    The running variance is the unbiased estimate (divides by N - 1). In
    evaluation mode (``model.eval()``) ``running_mean`` and ``running_var``
    replace ``mu`` and ``var``: the layer is then a fixed affine map, and an
    example gets the same output alone or in any batch.

    Parameters
    ----------
    num_features : int
        ``D``, the number of columns of the input.
    eps : float
        Added to the variance before the square root (> 0).
    momentum : float in [0, 1] or None
        Weight of the current batch in the running averages; ``None`` gives the
        plain average of every batch seen so far (weight ``1 / batches``).
    affine : bool
        Learn ``gamma`` (starts at 1) and ``beta`` (starts at 0), or not (then
        ``out = xhat``).
    track_running_stats : bool
        Keep running averages (default). If False, the layer normalizes with the
        batch's statistics in evaluation mode too, as torch does.
    dtype : np.float64 (default) or np.float32
        Dtype of the parameters and running statistics.

    Attributes
    ----------
    params : dict
        ``"gamma"``, ``"beta"``: (num_features,), when ``affine``.
    grads : dict
        Same keys and shapes, written by ``backward``.
    running_mean, running_var : ndarray, shape (num_features,), or None
        Start at 0 and 1; ``None`` when ``track_running_stats=False``.
    num_batches_tracked : int
        Training batches seen (used when ``momentum=None``).

    Notes
    -----
    * Batch statistics need at least 2 examples per batch: with one, every
      ``xhat`` would be 0. Training on a batch of 1 raises a ``ValueError``, as
      in torch. Small batches (a handful of examples) give noisy statistics, and
      the noise is different in training and in evaluation.
    * A ``Linear`` layer just before batch norm does not need its bias: the
      subtraction of ``mu`` removes it, and ``beta`` takes its role
      (``Linear(D, H, bias=False)``).
    * nnlib names the parameters ``gamma``/``beta`` (torch: ``weight``/``bias``);
      ``L1``/``L2`` penalties skip them (see the module docstring).
    * The running statistics keep the dtype the layer was made with; in
      evaluation they are cast to the dtype of the computation, so a float32
      model (``Sequential.astype(np.float32)``) gives float32 outputs.

    Examples
    --------
    >>> bn = BatchNorm1d(3)
    >>> out = bn(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    >>> out.round(3)
    array([[-1.,  0.,  1.],
           [ 1.,  0., -1.]])
    >>> bn.running_mean, bn.running_var  # batch mean (2, 2, 2), unbiased variance (2, 0, 2)
    (array([0.2, 0.2, 0.2]), array([1.1, 0.9, 1.1]))
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: npt.DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.num_features = _check_positive_int("BatchNorm1d", "num_features", num_features)
        self.eps = _check_eps("BatchNorm1d", eps)
        if momentum is not None and (
            isinstance(momentum, bool)
            or not isinstance(momentum, Real)
            or not 0.0 <= float(momentum) <= 1.0
        ):
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None; got {momentum!r}")
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dtype = check_float_dtype(dtype)
        D = self.num_features
        if self.affine:
            self.params["gamma"] = np.ones(D, dtype=dtype)  # (D,)
            self.params["beta"] = np.zeros(D, dtype=dtype)  # (D,)
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        if self.track_running_stats:
            self.running_mean = np.zeros(D, dtype=dtype)  # (D,)
            self.running_var = np.ones(D, dtype=dtype)  # (D,)
        self.num_batches_tracked = 0
        self._cache = None  # (xhat, inv_std, used batch statistics?) of the last forward

    def reset_running_stats(self) -> None:
        """Running mean back to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
        self.num_batches_tracked = 0

    def _uses_batch_stats(self) -> bool:
        return self.training or not self.track_running_stats

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize every column of ``x`` (see the class docstring for the formulas).

        Parameters
        ----------
        x : ndarray, shape (N, num_features)
            ``N >= 2`` when batch statistics are used (training mode).

        Returns
        -------
        out : ndarray, shape (N, num_features)
        """
        x = np.asarray(x)
        D = self.num_features
        if x.ndim != 2 or x.shape[1] != D:
            hint = "; a single example must be a row of a 2-D batch: x.reshape(1, -1)"
            raise ValueError(
                f"{self!r} got input of shape {x.shape}; expected (N, {D})"
                + (hint if x.ndim == 1 else "")
            )
        N = x.shape[0]
        batch_stats = self._uses_batch_stats()
        if batch_stats:
            if N < 2:
                raise ValueError(
                    f"{self!r} got a batch of {N} example(s) in training mode: batch "
                    "statistics need at least 2 examples (with one, x - mean is 0). Use "
                    "batches of 2 or more (with fit, a batch_size that does not leave a "
                    "last batch of one row), or call model.eval() to use the running "
                    "statistics."
                )
            mu = x.mean(axis=0)  # (D,)
            xc = x - mu  # (N, D)
            var = (xc * xc).mean(axis=0)  # (D,) biased: divides by N
            if self.training and self.track_running_stats:
                self._update_running_stats(mu, var, N)
        else:
            dt = float_dtype(x, *self.params.values())
            mu = self.running_mean.astype(dt, copy=False)  # (D,)
            var = self.running_var.astype(dt, copy=False)  # (D,)
            xc = x - mu  # (N, D)
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (D,)
        xhat = xc * inv_std  # (N, D)
        self._cache = (xhat, inv_std, batch_stats)
        if not self.affine:
            return xhat
        return self.params["gamma"] * xhat + self.params["beta"]  # (N, D)

    def _update_running_stats(self, mu: np.ndarray, var: np.ndarray, N: int) -> None:
        """``running = (1 - m) * running + m * batch`` in place; unbiased batch variance."""
        self.num_batches_tracked += 1
        m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mu
        self.running_var *= 1.0 - m
        self.running_var += m * var * (N / (N - 1))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients of batch norm, with ``dx`` in one expression.

        With batch statistics (training mode)::

            dgamma = sum(dout * xhat, axis=0)            (D,)
            dbeta  = sum(dout, axis=0)                   (D,)
            dxhat  = dout * gamma                        (N, D)
            dx = (dxhat - mean(dxhat, axis=0) - xhat * mean(dxhat * xhat, axis=0)) / std

        where ``std = sqrt(var + eps)`` and means run over the batch (axis 0).
        Multiplying through by N gives the form of the original paper's
        appendix: ``dx = (N * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)) / (N * std)``.

        Derivation, for one column (drop the column index; sums over rows i)::

            xhat_i = (x_i - mu) / std,  mu = mean(x),  std = sqrt(mean((x - mu)**2) + eps)
            dmu/dx_j  = 1 / N
            dstd/dx_j = (1 / (2 std)) * (2 / N) * (x_j - mu) = xhat_j / N
                        (the term through mu vanishes: sum_i (x_i - mu) = 0)
            dxhat_i/dx_j = (delta_ij - 1/N) / std - (x_i - mu) / std**2 * dstd/dx_j
                         = (delta_ij - 1/N - xhat_i * xhat_j / N) / std
            dx_j = sum_i dxhat_i * dxhat_i/dx_j
                 = (dxhat_j - mean(dxhat) - xhat_j * mean(dxhat * xhat)) / std

        The two subtracted terms are the paths through ``mu`` and through
        ``var``: forget them and you get ``dxhat / std``, which is the correct
        gradient only in evaluation mode, where mean and variance are constants::

            dx = dxhat / sqrt(running_var + eps)

        Parameters
        ----------
        dout : ndarray, shape (N, num_features)
            Gradient of the loss with respect to ``out``.

        Returns
        -------
        dx : ndarray, shape (N, num_features)
        """
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward was called before forward")
        xhat, inv_std, batch_stats = self._cache
        dout = np.asarray(dout)
        if dout.shape != xhat.shape:
            raise ValueError(
                f"{self!r}.backward got dout of shape {dout.shape}; expected {xhat.shape}, "
                "the shape of forward's output"
            )
        if self.affine:
            self.grads["gamma"] = (dout * xhat).sum(axis=0)  # (D,)
            self.grads["beta"] = dout.sum(axis=0)  # (D,)
            dxhat = dout * self.params["gamma"]  # (N, D)
        else:
            dxhat = dout
        if not batch_stats:
            return dxhat * inv_std  # (N, D) mean and variance were constants
        return inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))  # (N, D)

    def extra_repr(self) -> str:
        text = f"{self.num_features}"
        defaults = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)!r}"
        return text


class LayerNorm(Module):
    """Layer normalization (Ba, Kiros and Hinton, 2016): normalize every example over its features.

    For ``x`` of shape ``(N, D)`` and ``normalized_shape = D``::

        mu   = mean(x, axis=1)                  (N, 1)
        var  = mean((x - mu) ** 2, axis=1)      (N, 1)   divides by D
        xhat = (x - mu) / sqrt(var + eps)       (N, D)
        out  = gamma * xhat + beta              (N, D)   gamma, beta: (D,)

    Each row is normalized on its own, so the layer does not depend on the
    batch: the same in training and evaluation, fine with a batch of one.
    With ``normalized_shape = (d1, d2, ...)`` the statistics are taken over
    the last ``len(normalized_shape)`` axes, as in torch.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape of the input that is normalized (``D`` for ``(N, D)``).
    eps : float
        Added to the variance before the square root (> 0).
    elementwise_affine : bool
        Learn ``gamma`` (starts at 1) and ``beta`` (starts at 0), or not.
    bias : bool
        With ``elementwise_affine``, learn ``beta`` too (default) or only ``gamma``.
    dtype : np.float64 (default) or np.float32
        Dtype of the parameters.

    Attributes
    ----------
    params : dict
        ``"gamma"``, ``"beta"``: ``normalized_shape``, when ``elementwise_affine``.
    grads : dict
        Same keys and shapes, written by ``backward``.

    Examples
    --------
    >>> ln = LayerNorm(3)
    >>> ln(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])).round(3)
    array([[-1.225,  0.   ,  1.225],
           [-0.707, -0.707,  1.414]])
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: npt.DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        shape = normalized_shape
        if not isinstance(shape, (tuple, list)):
            shape = (shape,)
        if len(shape) == 0:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis; got ()")
        self.normalized_shape = tuple(
            _check_positive_int("LayerNorm", "normalized_shape", n) for n in shape
        )
        self.eps = _check_eps("LayerNorm", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = check_float_dtype(dtype)
        if self.elementwise_affine:
            self.params["gamma"] = np.ones(self.normalized_shape, dtype=dtype)
            if bias:
                self.params["beta"] = np.zeros(self.normalized_shape, dtype=dtype)
        self._cache = None  # (xhat, inv_std) of the last forward

    def _axes(self, ndim: int) -> tuple[int, ...]:
        """The normalized (trailing) axes of an input with ``ndim`` dimensions."""
        return tuple(range(ndim - len(self.normalized_shape), ndim))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize every example over its last ``len(normalized_shape)`` axes.

        Parameters
        ----------
        x : ndarray, shape (N, *normalized_shape)

        Returns
        -------
        out : ndarray, same shape as ``x``
        """
        x = np.asarray(x)
        k = len(self.normalized_shape)
        if x.ndim <= k or x.shape[-k:] != self.normalized_shape:
            expected = ", ".join(str(n) for n in ("N", *self.normalized_shape))
            hint = (
                "; a single example must be a row of a 2-D batch: x.reshape(1, -1)"
                if x.ndim == k and x.shape == self.normalized_shape
                else ""
            )
            raise ValueError(f"{self!r} got input of shape {x.shape}; expected ({expected}){hint}")
        axes = self._axes(x.ndim)
        mu = x.mean(axis=axes, keepdims=True)  # (N, 1)
        xc = x - mu  # (N, D)
        var = (xc * xc).mean(axis=axes, keepdims=True)  # (N, 1) biased: divides by D
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (N, 1)
        xhat = xc * inv_std  # (N, D)
        self._cache = (xhat, inv_std)
        out = xhat
        if "gamma" in self.params:
            out = self.params["gamma"] * out  # (N, D)
        if "beta" in self.params:
            out = out + self.params["beta"]  # (N, D)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients of layer norm: batch norm's formula with rows and columns swapped.

        For ``(N, D)`` inputs (means over the features, axis 1)::

            dgamma = sum(dout * xhat, axis=0)            (D,)
            dbeta  = sum(dout, axis=0)                   (D,)
            dxhat  = dout * gamma                        (N, D)
            dx = (dxhat - mean(dxhat, axis=1) - xhat * mean(dxhat * xhat, axis=1)) / std

        with ``std = sqrt(var + eps)`` of each row, shape (N, 1). The derivation
        is the one in ``BatchNorm1d.backward``, with the mean and variance taken
        over an example's features instead of over the batch.

        Parameters
        ----------
        dout : ndarray, same shape as forward's output

        Returns
        -------
        dx : ndarray, same shape as ``x``
        """
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward was called before forward")
        xhat, inv_std = self._cache
        dout = np.asarray(dout)
        if dout.shape != xhat.shape:
            raise ValueError(
                f"{self!r}.backward got dout of shape {dout.shape}; expected {xhat.shape}, "
                "the shape of forward's output"
            )
        axes = self._axes(xhat.ndim)  # the normalized axes
        batch_axes = tuple(range(xhat.ndim - len(axes)))  # the others
        dxhat = dout
        if "gamma" in self.params:
            self.grads["gamma"] = (dout * xhat).sum(axis=batch_axes)  # (D,)
            dxhat = dout * self.params["gamma"]  # (N, D)
        if "beta" in self.params:
            self.grads["beta"] = dout.sum(axis=batch_axes)  # (D,)
        return inv_std * (
            dxhat
            - dxhat.mean(axis=axes, keepdims=True)
            - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
        )  # (N, D)

    def extra_repr(self) -> str:
        shape = self.normalized_shape
        text = f"{shape[0]}" if len(shape) == 1 else f"{shape}"
        if self.eps != 1e-5:
            text += f", eps={self.eps!r}"
        if not self.elementwise_affine:
            text += ", elementwise_affine=False"
        elif "beta" not in self.params:
            text += ", bias=False"
        return text
