"""Data checks at the boundary of ``fit``, ``evaluate`` and ``predict``: bad data is named
as a data problem, before it can become a wrong number or be blamed on the learning rate.

What is checked, and when (each array once per call, never per training batch):

* **Non-finite values.** ``x`` and float ``y`` must be finite. One dot product x·x over the
  whole array decides it (NaN and ±inf propagate through it; one that overflows only sends
  us to the exact count), so a clean array costs one BLAS read: 0.26 ms for 6,400 MNIST
  images, 0.3 % of one epoch of the MLP (``bench/mlp_train.py --fit``).
  A bad one raises ``DataError`` naming the array, how many NaN/inf values it holds and
  the first one's index.
* **Labels outside the model's classes.** Integer labels must lie in [0, C) for a model
  with C outputs. C is the width of the first batch's output, so the whole ``y`` is
  checked once, right after the first forward pass and before the loss sees it.
* **Targets for accuracy.** ``accuracy`` is the share of rows whose largest logit is the
  true class: it needs integer labels or one-hot/probability rows. Multi-hot rows (several
  1s, multi-label data) get no argmax accuracy (``count_correct`` returns None).

Loaders that do not expose their arrays (anything but a ``DataLoader`` over a
``TensorDataset`` or a ``Subset`` of one) are checked batch by batch in ``evaluate`` and
``predict``, which are not the training hot path; in ``fit`` a non-finite loss sends the
divergence detector (``divergence.py``) to look at the batch first.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..core.tensor import Tensor
from ..errors import DataError


def _numpy(a: Any) -> np.ndarray:
    if isinstance(a, Tensor):
        return backend.to_numpy(a.data)
    return a if isinstance(a, np.ndarray) else np.asarray(a)


def _index(flat: int, shape: tuple[int, ...]) -> Any:
    pos = np.unravel_index(flat, shape)
    return int(pos[0]) if len(pos) == 1 else tuple(int(i) for i in pos)


def non_finite_report(a: Any, name: str) -> str | None:
    """``None`` when ``a`` is finite (or not floating point); else what is wrong, e.g.
    ``"x has 3 NaN and 1 inf values out of 7840 (the first at index (2, 17))"``."""
    arr = _numpy(a)
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return None
    flat = arr.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.vdot(flat, flat)):  # the one (BLAS) pass a clean array costs
            return None
    bad = ~np.isfinite(arr)
    count = int(np.count_nonzero(bad))
    if count == 0:  # the sum overflowed; every value is finite
        return None
    nan = int(np.count_nonzero(np.isnan(arr)))
    first = _index(int(np.argmax(bad.ravel())), arr.shape)
    return (f"{name} has {nan} NaN and {count - nan} inf values out of {arr.size} "
            f"(the first at index {first})")


def check_finite(a: Any, name: str, where: str) -> None:
    """Raise ``DataError`` when ``a`` holds NaN or inf, naming ``name``, the counts and where."""
    report = non_finite_report(a, name)
    if report is not None:
        raise DataError(f"{where}: {report}. This is a problem of the data, not of the training: "
                        f"remove or impute those values (e.g. np.nan_to_num, or drop the rows "
                        f"with np.isfinite({name}).all(axis=1)) before calling {where}")


def check_labels(y: Any, num_classes: int, where: str, name: str = "y") -> None:
    """Integer labels must be class indices in [0, num_classes); else ``DataError`` naming them."""
    arr = _numpy(y)
    if arr.dtype.kind not in "iu" or arr.size == 0:
        return
    low, high = int(arr.min()), int(arr.max())
    if low >= 0 and high < num_classes:
        return
    bad = (arr < 0) | (arr >= num_classes)
    values = np.unique(arr[bad])
    shown = ", ".join(str(int(v)) for v in values[:10]) + (", ..." if len(values) > 10 else "")
    first = _index(int(np.argmax(bad.ravel())), arr.shape)
    raise DataError(
        f"{where}: {name} has {int(np.count_nonzero(bad))} labels outside the model's "
        f"{num_classes} classes [0, {num_classes}): {shown} (the first at index {first}). "
        f"Either the labels are wrong or the model's output layer needs more units "
        f"(labels run from {low} to {high})")


def is_multi_hot(y: np.ndarray) -> bool:
    """Rows of 0/1 targets where some row has more (or fewer) than one 1: multi-label data."""
    if y.ndim != 2 or y.dtype.kind not in "fiub" or y.size == 0:
        return False
    sums = y.sum(axis=1, dtype=np.float64)
    if float(np.abs(sums - 1.0).max()) < 1e-5:  # one-hot or probability rows
        return False
    return bool(((y == 0) | (y == 1)).all())


def count_correct(out: Any, y: Any, lazy: bool = False, multi_hot: bool | None = None) -> Any:
    """How many rows of logits ``out`` (N, C) put their maximum on the label; ``None`` when
    argmax accuracy means nothing here (not class logits, multi-hot targets).

    ``lazy=True`` leaves the count as a 0-d array on the arrays' device (``fit`` fetches it
    with the loss, in one copy); ``multi_hot`` is the answer of the multi-hot test when the
    caller knows it already (the test looks at ``y`` on the host)."""
    if out.ndim != 2 or out.shape[1] < 2:
        return None
    if y.ndim == 1 and y.dtype.kind in "iu":
        count = (out.argmax(axis=1) == y).sum()
    elif y.shape == out.shape:  # one-hot / probability targets
        if is_multi_hot(backend.to_numpy(y)) if multi_hot is None else multi_hot:
            return None
        count = (out.argmax(axis=1) == y.argmax(axis=1)).sum()
    else:
        return None
    return count if lazy else int(count)


def _dataset_arrays(loader: Any) -> tuple[np.ndarray, ...] | None:
    """The (x, y, ...) arrays behind a ``DataLoader`` over a ``TensorDataset`` (or a ``Subset``
    of one), else None. For a Subset, the whole underlying arrays."""
    ds = getattr(loader, "dataset", None)
    while ds is not None and not hasattr(ds, "arrays"):
        ds = getattr(ds, "dataset", None)
    arrays = getattr(ds, "arrays", None)
    return tuple(arrays) if isinstance(arrays, tuple) and len(arrays) >= 1 else None


class BoundaryCheck:
    """The checks of one ``fit``/``evaluate`` call over one loader.

    Built at the boundary: checks the loader's arrays for NaN/inf once. After the first
    forward pass, ``first_output(out, y)`` checks the labels against the output width
    (``pending`` is True until then). For loaders without arrays, ``batch(x, y)`` checks each
    batch instead (``per_batch`` is True); ``evaluate`` calls it, ``fit`` does not.
    """

    def __init__(self, loader: Any, where: str, val_loader: Any = None) -> None:
        self.where = where
        self.arrays = _dataset_arrays(loader)
        self.per_batch = self.arrays is None
        self.pending = True
        # fit's validation data is checked at the start too, not after a wasted epoch
        self.val_arrays = _dataset_arrays(val_loader) if val_loader is not None else None
        for arrays, label in ((self.arrays, where), (self.val_arrays, f"{where} (val_data)")):
            for a, name in zip(arrays or (), ("x", "y")):
                check_finite(a, name, label)

    def first_output(self, out: Any, y: Any) -> None:
        """Once, after the first forward pass: the labels against the model's C outputs."""
        self.pending = False
        shape = tuple(out.shape)
        if len(shape) == 2 and shape[1] >= 2:
            labels = self.arrays[1] if self.arrays is not None and len(self.arrays) > 1 else y
            check_labels(labels, shape[1], self.where)
            if self.val_arrays is not None and len(self.val_arrays) > 1:
                check_labels(self.val_arrays[1], shape[1], f"{self.where} (val_data)")

    def batch(self, x: Any, y: Any, out: Any, step: int) -> None:
        """Per batch, for loaders without arrays: the inputs, targets, labels and outputs."""
        where = f"{self.where} (batch {step + 1})"
        check_finite(x, "x", where)
        check_finite(y, "y", where)
        shape = tuple(out.shape)
        if len(shape) == 2 and shape[1] >= 2:
            check_labels(y, shape[1], where)


def check_outputs(out: Any, model: Any, where: str) -> None:
    """Finite inputs gave non-finite outputs: the model itself is broken (NaN weights)."""
    report = non_finite_report(out, "the model's output")
    if report is None:
        return
    bad = [name for name, p in model.named_parameters() if non_finite_report(p, name)]
    cause = (f"its parameters {', '.join(bad[:5])} hold NaN/inf values (a diverged training?)"
             if bad else "an activation overflowed")
    from ..errors import GlassboxRuntimeError
    raise GlassboxRuntimeError(f"{where}: {report} although the inputs are finite: {cause}. "
                               "No accuracy is reported from NaN outputs")
