"""Array transforms for preparing data: one-hot labels and feature scaling.

All functions take NumPy arrays or Tensors and return the same kind they got.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..core.tensor import Tensor
from ..errors import (DataError, GlassboxRuntimeError, GlassboxTypeError, InvalidArgumentError,
                      ShapeError)

Axis = int | tuple[int, ...] | None


def _split(x: Any) -> tuple[np.ndarray, bool]:
    if isinstance(x, Tensor):
        return backend.to_numpy(x.data), True
    return np.asarray(x), False


def _back(arr: np.ndarray, as_tensor: bool) -> Any:
    return Tensor._from_op(backend.xp.asarray(arr), None) if as_tensor else arr


def one_hot(labels: Any, num_classes: int, dtype: Any = np.float32) -> Any:
    """Encode integer class labels as rows of the identity: ``out[..., k] = [label == k]``.

    Args:
        labels: integer array of any shape with values in ``[0, num_classes)``.
        num_classes: ``C``, the length of each one-hot row.

    Returns:
        array of shape ``labels.shape + (C,)``.
    """
    y, as_tensor = _split(labels)
    if y.dtype.kind not in "iu":
        raise GlassboxTypeError(f"one_hot: labels must be integers, got dtype {y.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise InvalidArgumentError(f"one_hot: num_classes must be a positive integer, got {num_classes!r}")
    bad = (y < 0) | (y >= num_classes)
    if bad.any():
        where = np.argwhere(bad)[0]
        pos = tuple(int(i) for i in where)
        raise DataError(
            f"one_hot: label {int(y[pos])} at index {pos if len(pos) != 1 else pos[0]} is outside "
            f"[0, {num_classes}) ({int(bad.sum())} labels out of range in total)"
        )
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None].astype(np.intp), 1, axis=-1)
    return _back(out, as_tensor)


def normalize(x: Any, mean: Any, std: Any) -> Any:
    """``(x - mean) / std`` with broadcasting; ``std`` must be positive everywhere."""
    arr, as_tensor = _split(x)
    mean = np.asarray(mean, dtype=arr.dtype if arr.dtype.kind == "f" else np.float32)
    std = np.asarray(std, dtype=mean.dtype)
    if not (std > 0).all():
        raise InvalidArgumentError(f"normalize: std must be > 0 everywhere, got min {std.min()!r}")
    out = (arr - mean) / std
    return _back(out, as_tensor)


class Standardizer:
    """Scale features to zero mean and unit variance using statistics of the training data.

    ``fit(x_train)`` stores ``mu = mean(x)`` and ``sigma = std(x)`` over ``axis``;
    ``transform(x) = (x - mu) / sigma``. Fit on the training set only and apply the
    same ``mu, sigma`` to validation and test data, so no information leaks from them.

    A feature that is constant in the training data (σ = 0 up to rounding, e.g. the border
    pixels of MNIST) gets the scale σ = 1, as in scikit-learn's ``StandardScaler``: it is
    only centred. Dividing by a tiny floor instead would send every test value that differs
    from the training constant to ±1e7 (MNIST: test loss 741 instead of 0.32). "Constant"
    is scikit-learn's test: var ≤ n·ε·var + (n·|mean|·ε)², ε the float64 machine epsilon,
    n the number of values averaged (the bound on the rounding error of the variance).

    Args:
        axis: axes averaged over. ``0`` (default): one statistic per feature.
            ``None``: one global mean and std. ``(0, 2, 3)``: per channel of NCHW images.
        eps: floor on ``sigma`` for features that vary, but very little (constant ones get 1).
    """

    def __init__(self, axis: Axis = 0, eps: float = 1e-7) -> None:
        self.axis = axis
        self.eps = float(eps)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: Any) -> "Standardizer":
        arr, _ = _split(x)
        if arr.dtype.kind not in "fiu":
            raise GlassboxTypeError(f"Standardizer.fit: needs numeric data, got dtype {arr.dtype}")
        if arr.size == 0:
            raise InvalidArgumentError(f"Standardizer.fit: got an empty array of shape {arr.shape}")
        # accumulate in float64: float32 sums over 60k x 784 values lose digits
        mean = arr.mean(axis=self.axis, keepdims=True, dtype=np.float64)
        var = arr.var(axis=self.axis, keepdims=True, dtype=np.float64)
        n = arr.size // mean.size
        eps = np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * np.abs(mean) * eps) ** 2
        std = np.where(constant, 1.0, np.maximum(np.sqrt(var), self.eps))
        out_dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
        self.mean = mean.astype(out_dtype)
        self.std = std.astype(out_dtype)
        return self

    def transform(self, x: Any) -> Any:
        if self.mean is None or self.std is None:
            raise GlassboxRuntimeError("Standardizer.transform: call fit(x_train) first")
        arr, as_tensor = _split(x)
        if arr.ndim != self.mean.ndim or any(
            m != 1 and m != a for m, a in zip(self.mean.shape, arr.shape)
        ):
            raise ShapeError(
                f"Standardizer.transform: fitted on data with statistics of shape {self.mean.shape}, "
                f"cannot apply to an array of shape {arr.shape}"
            )
        return _back((arr - self.mean) / self.std, as_tensor)

    def fit_transform(self, x: Any) -> Any:
        return self.fit(x).transform(x)

    def inverse_transform(self, z: Any) -> Any:
        if self.mean is None or self.std is None:
            raise GlassboxRuntimeError("Standardizer.inverse_transform: call fit(x_train) first")
        arr, as_tensor = _split(z)
        return _back(arr * self.std + self.mean, as_tensor)

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild this standardizer (arrays as nested lists for JSON)."""
        if self.mean is None or self.std is None:
            raise GlassboxRuntimeError("Standardizer.state: not fitted yet")
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {"axis": axis, "eps": self.eps, "dtype": str(self.mean.dtype),
                "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Standardizer":
        axis = tuple(state["axis"]) if isinstance(state["axis"], list) else state["axis"]
        s = cls(axis=axis, eps=state["eps"])
        s.mean = np.asarray(state["mean"], dtype=state["dtype"])
        s.std = np.asarray(state["std"], dtype=state["dtype"])
        return s


def standardize(x_train: Any, *others: Any, axis: Axis = 0) -> tuple[Any, ...]:
    """Fit a ``Standardizer`` on ``x_train`` and apply it to ``x_train`` and each of ``others``."""
    s = Standardizer(axis=axis).fit(x_train)
    return tuple(s.transform(x) for x in (x_train, *others))
