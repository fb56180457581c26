"""The stateless layer: every layer's computation and its argument checks (``torch.nn.functional``).

A module such as ``nn.Linear`` holds parameters and options and its ``forward`` is one call
into a function here, passing itself as ``where`` so that an error names the layer::

    F.linear(x, self.weight, self.bias, where=self)

Each function checks its arguments (through ``glassbox.validate``, one message style), then
applies the ops of ``glassbox.ops``, where the formulas and their gradients live. Names,
signatures and defaults are PyTorch's; ``where`` (keyword-only) is glassbox's addition.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np

from .. import backend
from .. import validate as check
from ..core.tensor import Tensor
from ..errors import DataError, GlassboxTypeError, InvalidArgumentError, ShapeError
from ..ops import activation as _act
from ..ops import conv as _conv
from ..ops import conv_transpose as _convt
from ..ops import dropout as _dropout
from ..ops import embedding as _embedding
from ..ops import layer_norm as _layer_norm
from ..ops import loss as _loss
from ..ops import metric as _metric
from ..ops import normalization as _norm
from ..ops import pooling as _pool
from ..ops import shape as _shape
from ..ops import upsample as _upsample
from ..ops.linalg import Linear as _Linear
from . import mining as _mining

Where = Any  # a Module (named by its repr), a string, or None (the function's own name)


def name_of(where: Where, default: str) -> str:
    """How an error message names the caller: a leaf Module by its repr (``Linear(in_features=3,
    …)``), a container by its class name, a string as is, None as the function's name."""
    if where is None:
        return default
    if isinstance(where, str):
        return where
    return type(where).__name__ if getattr(where, "_modules", None) else repr(where)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _array(x: Any) -> Any:
    """The raw array of a Tensor, or ``x`` as a backend array (None stays None)."""
    if x is None or isinstance(x, Tensor):
        return None if x is None else x.data
    if hasattr(x, "shape") and hasattr(x, "dtype"):  # already an array (NumPy or device)
        return x
    return backend.xp.asarray(x)


# ================================================================== linear and activations
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None, *, where: Where = None) -> Tensor:
    """Z = X·Wᵀ + b (the course's Z = W·A_prev + b, one sample per row); X (*, in), W (out, in)."""
    owner = name_of(where, "linear")
    input = _as_tensor(input)
    if weight.ndim != 2:
        raise ShapeError(f"{owner}: expected weight of shape (out_features, in_features), "
                         f"got shape {tuple(weight.shape)}")
    in_features = weight.shape[1]
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise ShapeError(f"{owner}: expected input of shape (batch, {in_features}), "
                         f"got shape {tuple(input.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"{owner}: expected bias of shape ({weight.shape[0]},), got shape {tuple(bias.shape)}")
    return _Linear.apply(input, weight) if bias is None else _Linear.apply(input, weight, bias)


def sigmoid(input: Tensor) -> Tensor:
    """σ(z) = 1/(1 + e⁻ᶻ)."""
    return _act.Sigmoid.apply(_as_tensor(input))


def tanh(input: Tensor) -> Tensor:
    """tanh(z) = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ)."""
    return _act.Tanh.apply(_as_tensor(input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, z). ``inplace`` is accepted for PyTorch's signature; a new tensor is returned."""
    return _act.ReLU.apply(_as_tensor(input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False, *,
               where: Where = None) -> Tensor:
    """z for z > 0, α·z otherwise (α = negative_slope)."""
    alpha = check.number(negative_slope=negative_slope, where=name_of(where, "leaky_relu"))
    return _act.LeakyReLU.apply(_as_tensor(input), negative_slope=alpha)


GELU_APPROXIMATIONS = ("none", "tanh")


def gelu(input: Tensor, approximate: str = "none", *, where: Where = None) -> Tensor:
    """z·Φ(z) = ½z(1 + erf(z/√2)); ``approximate="tanh"``: ½z(1 + tanh(√(2/π)(z + 0.044715z³)))."""
    check.one_of(approximate=approximate, choices=GELU_APPROXIMATIONS, where=name_of(where, "gelu"))
    return _act.GELU.apply(_as_tensor(input), approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """z·σ(z) (swish)."""
    return _act.SiLU.apply(_as_tensor(input))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False, *, where: Where = None) -> Tensor:
    """z for z > 0, α(eᶻ − 1) otherwise."""
    alpha = check.number(alpha=alpha, where=name_of(where, "elu"))
    return _act.ELU.apply(_as_tensor(input), alpha=alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0, *, where: Where = None) -> Tensor:
    """(1/β)·log(1 + e^{βz}), and z where βz > threshold."""
    owner = name_of(where, "softplus")
    beta = check.number(beta=beta, low=0.0, low_open=True, where=owner)
    threshold = check.number(threshold=threshold, where=owner)
    return _act.Softplus.apply(_as_tensor(input), beta=beta, threshold=threshold)


def _softmax_dim(dim: Any, axis: Any, ndim: int, owner: str) -> int:
    if axis is not None:  # glassbox's NumPy-style spelling
        dim = axis
    if dim is None:  # PyTorch's legacy implicit choice, with PyTorch's warning
        warnings.warn(f"{owner}: implicit dimension choice is deprecated; pass dim= explicitly",
                      UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return check.axis(dim, ndim, where=owner)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None, *, axis: int | None = None,
            where: Where = None) -> Tensor:
    """softmax(z)ⱼ = e^{zⱼ}/Σₖ e^{zₖ} along ``dim`` (computed as e^{zⱼ − max z}/…)."""
    x = _as_tensor(input) if dtype is None else _as_tensor(input).astype(dtype)
    d = _softmax_dim(dim, axis, x.ndim, name_of(where, "softmax"))
    return _act.Softmax.apply(x, axis=d)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None, *, axis: int | None = None,
                where: Where = None) -> Tensor:
    """log softmax(z)ⱼ = zⱼ − LSE(z) along ``dim``."""
    x = _as_tensor(input) if dtype is None else _as_tensor(input).astype(dtype)
    d = _softmax_dim(dim, axis, x.ndim, name_of(where, "log_softmax"))
    return _act.LogSoftmax.apply(x, axis=d)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1, *, where: Where = None) -> Tensor:
    """Merge dimensions ``start_dim`` … ``end_dim`` into one (``torch.flatten``)."""
    owner = name_of(where, "flatten")
    x = _as_tensor(input)
    if x.ndim == 0:
        return x.reshape(1)
    at = f"{owner} on input of shape {tuple(x.shape)}"
    start = check.axis(start_dim, x.ndim, where=at, name="start_dim")
    end = check.axis(end_dim, x.ndim, where=at, name="end_dim")
    if start > end:
        raise InvalidArgumentError(f"{owner}: start_dim {start_dim} comes after end_dim {end_dim} "
                                   f"for an input of shape {tuple(x.shape)}")
    shape = tuple(x.shape)
    return x.reshape(*shape[:start], int(math.prod(shape[start:end + 1])), *shape[end + 1:])


# ================================================================================= losses
def _reduction(reduction: str, owner: str) -> str:
    return _loss.check_reduction(reduction, owner)


def _class_weight(weight: Any, num_classes: int, owner: str) -> Any:
    if weight is None:
        return None
    w = _array(weight)
    if w.shape != (num_classes,):
        raise ShapeError(f"{owner}: expected weight of shape ({num_classes},), one per class, "
                         f"got shape {tuple(w.shape)}")
    return w


def _rows_and_classes(input: Tensor, target: Any, owner: str, what: str) -> tuple[Tensor, Any, Any]:
    """(N, C) or (N, C, d₁, …) scores → (M, C) rows, the targets as rows, and how to give
    ``reduction="none"`` its shape back (None for 2-D input)."""
    x = _as_tensor(input)
    y = _array(target)
    if x.ndim < 2:
        raise ShapeError(f"{owner}: expected {what} of shape (batch, classes) or (batch, classes, d1, ...), "
                         f"got shape {tuple(x.shape)}")
    n, classes = x.shape[0], x.shape[1]
    if n == 0:
        raise ShapeError(f"{owner}: expected at least one row of {what}, got shape {tuple(x.shape)}")
    soft = y.dtype.kind == "f"
    expected_y = tuple(x.shape) if soft else (n, *x.shape[2:])
    if tuple(y.shape) != expected_y:
        if soft or y.ndim == x.ndim:
            detail = "probabilities of the input's shape" if soft else "class indices of shape"
            raise ShapeError(f"{owner}: expected target {detail} {expected_y}, got shape {tuple(y.shape)}")
        raise ShapeError(f"{owner}: expected target class indices of shape {expected_y} for {what} of "
                         f"shape {tuple(x.shape)}, got shape {tuple(y.shape)}")
    if x.ndim == 2:
        return x, y, None
    perm = (0, *range(2, x.ndim), 1)  # classes last, then one row per position
    rows = x.permute(*perm).reshape(-1, classes)
    y_rows = y.transpose(perm).reshape(-1, classes) if soft else y.reshape(-1)
    return rows, y_rows, (n, *x.shape[2:])


def _unflatten(loss: Tensor, shape: Any, reduction: str) -> Tensor:
    return loss.reshape(*shape) if shape is not None and reduction == "none" else loss


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0, *, where: Where = None) -> Tensor:
    """Softmax + cross-entropy from logits (fused): L = −Σⱼ qⱼ log softmax(z)ⱼ, ∂L/∂z = ŷ − y.

    ``input`` (N, C) or (N, C, d₁, …) logits; ``target`` class indices (N,)/(N, d₁, …) or class
    probabilities of the input's shape. ``weight`` (C,) weighs each class (the mean divides by
    Σ w[yᵢ]); rows whose label is ``ignore_index`` count for nothing; ``label_smoothing`` ε
    mixes the target with the uniform distribution: q = (1 − ε)·y + ε/C.
    """
    owner = name_of(where, "cross_entropy")
    _reduction(reduction, owner)
    eps = check.probability(label_smoothing=label_smoothing, where=owner)
    ignore = check.integer(ignore_index=ignore_index, where=owner)
    rows, y, shape = _rows_and_classes(input, target, owner, "logits")
    classes = rows.shape[1]
    w = _class_weight(weight, classes, owner)
    ignored = y.ndim == 1 and _loss.check_class_labels(y, classes, owner, ignore)
    out = _loss.SoftmaxCrossEntropy.apply(rows, Tensor._from_op(y, None), weight=w,
                                          ignore_index=ignore if ignored else None,
                                          label_smoothing=eps, reduction=reduction)
    return _unflatten(out, shape, reduction)


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean", *,
             where: Where = None) -> Tensor:
    """Negative log-likelihood L = −w[y]·log_probs[y] of class indices under log-probabilities
    (a ``log_softmax`` output), (N, C) or (N, C, d₁, …); options as ``cross_entropy``."""
    owner = name_of(where, "nll_loss")
    _reduction(reduction, owner)
    ignore = check.integer(ignore_index=ignore_index, where=owner)
    rows, y, shape = _rows_and_classes(input, target, owner, "log-probabilities")
    if y.ndim != 1:
        raise ShapeError(f"{owner}: expected class indices as target, got probabilities of shape {tuple(y.shape)}")
    classes = rows.shape[1]
    ignored = _loss.check_class_labels(y, classes, owner, ignore)
    out = _loss.NegativeLogLikelihood.apply(rows, Tensor._from_op(y, None),
                                            weight=_class_weight(weight, classes, owner),
                                            ignore_index=ignore if ignored else None,
                                            reduction=reduction)
    return _unflatten(out, shape, reduction)


def _same_shape(input: Tensor, target: Tensor, owner: str, what: str = "input") -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(f"{owner}: expected target of the same shape as the {what}, {tuple(input.shape)}, "
                         f"got shape {tuple(target.shape)}")


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", *, half: bool = False, where: Where = None) -> Tensor:
    """(ŷ − y)² averaged (or summed); ``half=True`` gives the course's ½(y − ŷ)²."""
    owner = name_of(where, "mse_loss")
    _reduction(reduction, owner)
    x, y = _as_tensor(input), _as_tensor(target)
    _same_shape(x, y, owner, "prediction")
    return _loss.MeanSquaredError.apply(x, y, reduction=reduction, half=bool(half))


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", *, where: Where = None) -> Tensor:
    """|ŷ − y| averaged (or summed): the mean absolute error; gradient sign(ŷ − y)."""
    owner = name_of(where, "l1_loss")
    _reduction(reduction, owner)
    x, y = _as_tensor(input), _as_tensor(target)
    _same_shape(x, y, owner, "prediction")
    return _loss.MeanAbsoluteError.apply(x, y, reduction=reduction)


def one_hot(tensor: Any, num_classes: int = -1, *, where: Where = None) -> Tensor:
    """(*) integer class labels → (*, num_classes) int64 with a 1 at each label (PyTorch's
    ``F.one_hot``); ``num_classes=-1`` takes max(label) + 1. Not differentiable (integers)."""
    owner = name_of(where, "one_hot")
    labels = _array(tensor)
    if labels.dtype.kind not in "iu":
        raise GlassboxTypeError(f"{owner}: expected integer class labels, got dtype {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise DataError(f"{owner}: class labels must be >= 0, got {int(labels.min())}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
        if num_classes == 0:
            raise DataError(f"{owner}: cannot infer num_classes from an empty tensor; pass num_classes")
    else:
        num_classes = check.positive_int(num_classes=num_classes, where=owner)
        if labels.size and labels.max() >= num_classes:
            raise DataError(f"{owner}: class label {int(labels.max())} is out of range for "
                            f"num_classes={num_classes}")
    xp = backend.array_module(labels)
    return Tensor(xp.eye(num_classes, dtype=np.int64)[labels], dtype=np.int64)


def _broadcast_weight(weight: Any, shape: tuple[int, ...], owner: str, name: str) -> Any:
    if weight is None:
        return None
    w = _array(weight)
    try:
        np.broadcast_shapes(tuple(w.shape), shape)
    except ValueError:
        raise ShapeError(f"{owner}: expected {name} broadcastable to the input's shape {shape}, "
                         f"got shape {tuple(w.shape)}") from None
    return w


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean", *, where: Where = None) -> Tensor:
    """−w·[y log p + (1 − y) log(1 − p)] on probabilities p (after a sigmoid)."""
    owner = name_of(where, "binary_cross_entropy")
    _reduction(reduction, owner)
    x, y = _as_tensor(input), _as_tensor(target)
    _same_shape(x, y, owner)
    probs = x.data
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise DataError(f"{owner}: expected probabilities in [0, 1] as input (got values from "
                        f"{float(probs.min())} to {float(probs.max())}); apply sigmoid first or "
                        f"use binary_cross_entropy_with_logits")
    w = _broadcast_weight(weight, tuple(x.shape), owner, "weight")
    return _loss.BinaryCrossEntropy.apply(x, y, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None, *,
                                     where: Where = None) -> Tensor:
    """Sigmoid + binary cross-entropy from logits, stable for any z:
    −w·[p·y log σ(z) + (1 − y) log(1 − σ(z))]; gradient σ(z) − y for w = p = 1.
    ``pos_weight`` p: one weight per class (broadcast over the last dimension)."""
    owner = name_of(where, "binary_cross_entropy_with_logits")
    _reduction(reduction, owner)
    x, y = _as_tensor(input), _as_tensor(target)
    _same_shape(x, y, owner, "logits")
    w = _broadcast_weight(weight, tuple(x.shape), owner, "weight")
    p = _broadcast_weight(pos_weight, tuple(x.shape), owner, "pos_weight")
    return _loss.BinaryCrossEntropyWithLogits.apply(x, y, weight=w, pos_weight=p, reduction=reduction)


# ======================================================================== metric learning
def _margin(margin: float, owner: str) -> float:
    return check.number(margin=margin, low=0.0, where=owner)


def triplet_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 0.2,
                 reduction: str = "mean", *, where: Where = None) -> Tensor:
    """ℓᵢ = max(‖aᵢ − pᵢ‖² − ‖aᵢ − nᵢ‖² + α, 0) for rows of (N, d) embeddings (FaceNet).

    Built from subtraction, squares, sums and ReLU, whose gradients are each checked, so
    ∂ℓᵢ/∂aᵢ = 2(nᵢ − pᵢ), ∂ℓᵢ/∂pᵢ = 2(pᵢ − aᵢ), ∂ℓᵢ/∂nᵢ = 2(aᵢ − nᵢ) where ℓᵢ > 0, else 0.
    """
    owner = name_of(where, "triplet_loss")
    _reduction(reduction, owner)
    margin = _margin(margin, owner)
    shapes = [tuple(t.shape) for t in (anchor, positive, negative)]
    if len(shapes[0]) != 2 or len(set(shapes)) != 1:
        raise ShapeError(f"{owner}: expected anchor, positive and negative all of shape (N, d), "
                         f"got shapes {shapes[0]}, {shapes[1]}, {shapes[2]}")
    d_ap = ((anchor - positive) ** 2).sum(axis=1)
    d_an = ((anchor - negative) ** 2).sum(axis=1)
    return _loss._reduce(_act.ReLU.apply(d_ap - d_an + margin), reduction)


TRIPLET_MINING = ("batch_hard", "batch_all", "random")


def triplet_loss_batch(embeddings: Tensor, labels: Any, margin: float = 0.2,
                       mining: str = "batch_hard", reduction: str = "mean",
                       generator: np.random.Generator | None = None, *, where: Where = None) -> Tensor:
    """Triplet loss over triplets mined from a batch of (N, d) embeddings with class ``labels``.

    Args:
        mining: "batch_hard" (hardest positive and negative per anchor), "random" (one of
            each at random, drawn from ``generator``) or "batch_all" (every valid triplet;
            "mean" is over those with a positive loss).
        reduction: "mean" or "sum" ("none" too, except for "batch_all").

    Anchors without a positive or a negative in the batch are left out; a batch where no
    anchor has both is an error (sample several examples of several classes per batch).
    """
    owner = name_of(where, "triplet_loss_batch")
    _reduction(reduction, owner)
    margin = _margin(margin, owner)
    check.one_of(mining=mining, choices=TRIPLET_MINING, where=owner)
    check.shape(embeddings, ndim=2, where=owner, name="embeddings", expected="(N, d)")
    y = _array(labels)
    if tuple(y.shape) != (embeddings.shape[0],):
        raise ShapeError(f"{owner}: expected one label per embedding, shape ({embeddings.shape[0]},), "
                         f"got shape {tuple(y.shape)}")
    pos, neg = _mining.triplet_masks(y)
    if not (pos.any(axis=1) & neg.any(axis=1)).any():
        raise DataError(
            f"{owner}: no anchor has both a positive (same label) and a negative in this batch of "
            f"{len(y)} with {len(backend.xp.unique(y))} distinct label(s); use balanced batches of "
            "P classes x K >= 2 examples")
    if mining == "batch_all":
        if reduction == "none":
            raise InvalidArgumentError(f"{owner}: reduction 'none' is not defined for mining='batch_all'")
        return _mining.batch_all_loss(embeddings, pos, neg, margin, reduction)
    a, p, n = _mining.mine_triplets(embeddings, y, mining, generator)
    return triplet_loss(embeddings[a], embeddings[p], embeddings[n], margin, reduction, where=where)


def contrastive_loss(x1: Tensor, x2: Tensor, y: Any, margin: float = 1.0, reduction: str = "mean",
                     *, where: Where = None) -> Tensor:
    """ℓ = y·d² + (1 − y)·max(margin − d, 0)² with d = ‖x₁ − x₂‖; **y = 1 for a same pair**."""
    owner = name_of(where, "contrastive_loss")
    _reduction(reduction, owner)
    margin = check.number(margin=margin, low=0.0, low_open=True, where=owner)
    if len(x1.shape) != 2 or tuple(x1.shape) != tuple(x2.shape):
        raise ShapeError(f"{owner}: x1 and x2 must both be (N, d), got shapes {tuple(x1.shape)} "
                         f"and {tuple(x2.shape)}")
    labels = y if isinstance(y, Tensor) else Tensor(_array(y))
    if tuple(labels.shape) != (x1.shape[0],):
        raise ShapeError(f"{owner}: y must hold one 0/1 label per pair, shape ({x1.shape[0]},), "
                         f"got shape {tuple(labels.shape)}")
    values = labels.data
    if values.size and not bool(((values == 0) | (values == 1)).all()):
        raise DataError(f"{owner}: y must be 0 (different) or 1 (same); got the values "
                        f"{sorted(set(backend.to_host(values).ravel().tolist()))[:5]}")
    return _metric.Contrastive.apply(_as_tensor(x1), _as_tensor(x2), labels, margin=margin,
                                     reduction=reduction)


def supervised_contrastive_loss(embeddings: Tensor, labels: Any, temperature: float = 0.1, *,
                                where: Where = None) -> Tensor:
    """Supervised contrastive (SupCon) loss of a batch of unit-norm (M, d) embeddings zᵢ:

        ℓᵢ = −(1/|P(i)|) Σ_{p ∈ P(i)} log( exp(zᵢ·z_p/τ) / Σ_{a ≠ i} exp(zᵢ·z_a/τ) ),

    P(i) = the other rows with label i's label; the loss is the mean of ℓᵢ over the rows
    that have a positive. Every row is pulled towards all its positives and pushed from every
    other row at once (a softmax over the batch, not one triplet), which trains better than
    batch-hard triplets on small data. With labels = instance ids of two augmented views of
    each image it is the NT-Xent loss of SimCLR. Built from matmul, log-softmax, products and
    sums, whose gradients are each checked.
    """
    owner = name_of(where, "supervised_contrastive_loss")
    z = _as_tensor(embeddings)
    check.shape(z, ndim=2, where=owner, name="embeddings", expected="(M, d)")
    temperature = check.number(temperature=temperature, low=0.0, low_open=True, where=owner)
    m = z.shape[0]
    y = _array(labels)
    if tuple(y.shape) != (m,):
        raise ShapeError(f"{owner}: expected one label per embedding, shape ({m},), got shape "
                         f"{tuple(y.shape)}")
    xp = backend.xp
    eye = xp.eye(m, dtype=bool)
    pos = (y[:, None] == y[None, :]) & ~eye
    has = pos.sum(axis=1)
    if not has.any():
        raise DataError(f"{owner}: no row has a positive (another row with its label) in this "
                        "batch; sample several examples of a class per batch")
    # a row is never its own candidate: a logit of −10⁴ gives it weight e^(−10⁴) ≈ 0
    mask = xp.where(eye, -1e4, 0).astype(z.dtype)
    logits = (z @ z.T) * (1.0 / temperature) + mask
    weights = (pos / xp.maximum(has, 1)[:, None]).astype(z.dtype)  # 1/|P(i)| on positives
    return -((logits.log_softmax(axis=1) * weights).sum()) * (1.0 / int((has > 0).sum()))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, *,
              where: Where = None) -> Tensor:
    """x / max(‖x‖₂, ε) along ``dim`` (only p = 2): embeddings on the unit sphere."""
    owner = name_of(where, "normalize")
    if p != 2:
        raise InvalidArgumentError(f"{owner}: only the Euclidean norm is implemented, expected p=2. Received: p={p!r}")
    x = _as_tensor(input)
    d = check.axis(dim, x.ndim, where=owner)
    eps = check.number(eps=eps, low=0.0, where=owner)
    return _metric.l2_normalize(x, d, eps)


# ================================================================ convolution and pooling
def _unsupported(owner: str, **options: Any) -> None:
    """Options PyTorch has that these ops do not implement yet: only their defaults."""
    defaults = {"return_indices": False}
    for name, value in options.items():
        if value != defaults[name]:
            raise InvalidArgumentError(f"{owner}: `{name}` other than {defaults[name]!r} is not "
                                       f"implemented. Received: {name}={value!r}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1, *, where: Where = None) -> Tensor:
    """2-D convolution of x (N, C, H, W) with weight (out, C, kh, kw), plus bias (out,).

    ``padding``: "valid" (none), "same" (output ⌈n/s⌉ per side, TensorFlow-style: for an
    odd total the extra row/column goes to the bottom/right; also for stride > 1), an int,
    or (ph, pw). Output size per side: ⌊(n + 2p − f)/s⌋ + 1.
    """
    owner = name_of(where, "conv2d")
    x = _as_tensor(input)
    check.shape(weight, ndim=4, where=owner, name="weight", expected="(out, in, kh, kw)")
    out_c, in_per_group, kh, kw = weight.shape
    groups = check.positive_int(groups=groups, where=owner)
    in_c = in_per_group * groups
    check.image(x, channels=in_c, where=owner)
    _conv.check_groups(in_c, out_c, groups, owner)
    stride_hw = check.pair(stride=stride, where=owner)
    dilation_hw = check.pair(dilation=dilation, where=owner)
    pads = _conv.resolve_padding(padding, x.shape[2:], (kh, kw), stride_hw, owner, dilation_hw)
    _conv.check_fits(x.shape[2:], (kh, kw), pads, owner, dilation_hw)
    if bias is not None:
        check.shape(bias, ndim=1, where=owner, name="bias", expected=f"({out_c},)")
        check.size(bias, dim=0, size=out_c, where=owner, name="bias", expected=f"shape ({out_c},)")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return _conv.Conv2d.apply(*inputs, stride=stride_hw, padding=pads, dilation=dilation_hw,
                              groups=groups)


def _conv1d_args(stride: Any, padding: Any, dilation: Any, owner: str) -> tuple[Any, Any, Any]:
    """A 1-D conv's (stride, padding, dilation) as the (1, ·) pairs of the 2-D conv it runs as."""
    (s,) = check.ints(stride=stride, length=1, low=1, where=owner)
    (d,) = check.ints(dilation=dilation, length=1, low=1, where=owner)
    if isinstance(padding, str):
        return (1, s), padding, (1, d)
    (p,) = check.ints(padding=padding, length=1, low=0, where=owner,
                      expected='"valid", "same", or an integer >= 0')
    return (1, s), (0, p), (1, d)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1, *, where: Where = None) -> Tensor:
    """1-D convolution of x (N, C, L) with weight (out, C/groups, k), plus bias (out,):
    out[n, o, t] = b[o] + Σ_c Σ_j W[o, c, j]·x[n, c, t·s + j·d − p]. Computed as the 2-D
    convolution of the (N, C, 1, L) image with a 1×k kernel (same im2col, same gradients).
    Output length ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1."""
    owner = name_of(where, "conv1d")
    x = _as_tensor(input)
    check.shape(x, ndim=3, where=owner, expected="a 3-D shape (N, C, L)")
    check.shape(weight, ndim=3, where=owner, name="weight", expected="(out, in/groups, k)")
    stride_2d, padding_2d, dilation_2d = _conv1d_args(stride, padding, dilation, owner)
    n, c, length = x.shape
    out_c, c_g, k = weight.shape
    out = conv2d(x.reshape(n, c, 1, length), weight.reshape(out_c, c_g, 1, k), bias, stride_2d,
                 padding_2d, dilation_2d, groups, where=owner)
    return out.reshape(n, out_c, out.shape[3])


def conv_transpose_args(in_hw: Any, kernel: Any, stride: Any, padding: Any, output_padding: Any,
                        owner: str, dilation: Any = 1
                        ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Check (stride, padding, output_padding, dilation) of a transposed conv and that the
    output is non-empty; returns them as pairs."""
    stride_hw = check.pair(stride=stride, where=owner)
    pads = check.pair(padding=padding, low=0, where=owner)
    out_pads = check.pair(output_padding=output_padding, low=0, where=owner)
    dilation_hw = check.pair(dilation=dilation, where=owner)
    if any(op >= s and op >= d for op, s, d in zip(out_pads, stride_hw, dilation_hw)):
        raise InvalidArgumentError(f"{owner}: output_padding {out_pads} must be smaller than the "
                                   f"stride {stride_hw} or the dilation {dilation_hw} in each direction")
    if in_hw is not None:
        out = [_convt.conv_transpose_out_size(n, f, s, p, op, d)
               for n, f, s, p, op, d in zip(in_hw, kernel, stride_hw, pads, out_pads, dilation_hw)]
        if min(out) < 1:
            raise ShapeError(
                f"{owner}: output size (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding = "
                f"{tuple(out)} is empty for input {tuple(in_hw)}, kernel {tuple(kernel)}, stride "
                f"{stride_hw}, padding {pads}, output_padding {out_pads}, dilation {dilation_hw}")
    return stride_hw, pads, out_pads, dilation_hw


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     *, where: Where = None) -> Tensor:
    """Transposed convolution of x (N, in, H, W) with weight (in, out/groups, kh, kw), plus
    bias (out,).

    The adjoint of ``conv2d`` with the same weight, stride, padding, dilation and groups.
    Output size per side: (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding, with
    output_padding < s or < d.
    """
    owner = name_of(where, "conv_transpose2d")
    x = _as_tensor(input)
    check.shape(weight, ndim=4, where=owner, name="weight", expected="(in, out/groups, kh, kw)")
    groups = check.positive_int(groups=groups, where=owner)
    in_c, out_c = weight.shape[0], weight.shape[1] * groups
    check.image(x, channels=in_c, where=owner)
    _conv.check_groups(in_c, out_c, groups, owner)
    stride_hw, pads, out_pads, dilation_hw = conv_transpose_args(
        x.shape[2:], weight.shape[2:], stride, padding, output_padding, owner, dilation)
    if bias is not None:
        check.shape(bias, ndim=1, where=owner, name="bias", expected=f"({out_c},)")
        check.size(bias, dim=0, size=out_c, where=owner, name="bias", expected=f"shape ({out_c},)")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return _convt.ConvTranspose2d.apply(*inputs, stride=stride_hw, padding=pads,
                                        output_padding=out_pads, dilation=dilation_hw, groups=groups)


def pool_args(in_hw: Any, kernel_size: Any, stride: Any, padding: Any, owner: str,
              dilation: Any = (1, 1)) -> tuple[tuple[int, int], tuple[int, int], Any]:
    """(kernel, stride, ((top, bottom), (left, right))) of a pooling layer, checked; ``in_hw``
    None checks the arguments alone (at a layer's construction)."""
    kernel = check.pair(kernel_size=kernel_size, where=owner)
    stride_hw = kernel if stride is None else check.pair(stride=stride, where=owner)
    pads = _conv.resolve_padding(padding, in_hw or kernel, kernel, stride_hw, owner, dilation)
    if not isinstance(padding, str) and any(p > k // 2 for (p, _), k in zip(pads, kernel)):
        raise InvalidArgumentError(f"{owner}: padding {padding!r} must be at most half the kernel {kernel}")
    if in_hw is not None:
        _conv.check_fits(in_hw, kernel, pads, owner, dilation)
    return kernel, stride_hw, pads


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False, *,
               where: Where = None) -> Tensor:
    """Max over each kernel_size window (stride defaults to kernel_size); ``dilation`` d puts
    the window's cells d apart; ``return_indices=True`` returns (output, indices), the flat
    r·W + c position of each window's max in its (H, W) plane (int64), as PyTorch."""
    owner = name_of(where, "max_pool2d")
    x = _as_tensor(input)
    ceil_mode = check.boolean(ceil_mode=ceil_mode, where=owner)
    return_indices = check.boolean(return_indices=return_indices, where=owner)
    dilation_hw = check.pair(dilation=dilation, where=owner)
    check.image(x, where=owner)
    kernel, stride_hw, pads = pool_args(x.shape[2:], kernel_size, stride, padding, owner, dilation_hw)
    out = _pool.MaxPool2d.apply(x, kernel=kernel, stride=stride_hw, padding=pads, ceil_mode=ceil_mode,
                                dilation=dilation_hw)
    if not return_indices:
        return out
    indices = _pool.max_pool_indices(x.data, kernel, stride_hw, pads, ceil_mode, dilation_hw)
    return out, Tensor(indices, dtype=indices.dtype)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, where: Where = None) -> Tensor:
    """Mean over each kernel_size window; zero padding counts (count_include_pad=True)."""
    owner = name_of(where, "avg_pool2d")
    x = _as_tensor(input)
    if divisor_override is not None:
        divisor_override = check.positive_int(divisor_override=divisor_override, where=owner)
    ceil_mode = check.boolean(ceil_mode=ceil_mode, where=owner)
    count_include_pad = check.boolean(count_include_pad=count_include_pad, where=owner)
    check.image(x, where=owner)
    kernel, stride_hw, pads = pool_args(x.shape[2:], kernel_size, stride, padding, owner)
    return _pool.AvgPool2d.apply(x, kernel=kernel, stride=stride_hw, padding=pads, ceil_mode=ceil_mode,
                                 count_include_pad=count_include_pad, divisor_override=divisor_override)


def _output_hw(output_size: Any, in_hw: Sequence[int], owner: str) -> tuple[int, int]:
    items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(items) != 2:
        raise check.invalid("output_size", "an int or a pair (None keeps the input's size)", output_size, owner)
    sizes = tuple(n if item is None else item for item, n in zip(items, in_hw))
    return check.pair(output_size=sizes, where=owner)


def adaptive_avg_pool2d(input: Tensor, output_size: Any, *, where: Where = None) -> Tensor:
    """Average-pool to a fixed (OH, OW) with PyTorch's bins (row r covers
    ⌊r·H/OH⌋ … ⌈(r + 1)·H/OH⌉, any sizes); 1 is global average pooling (N, C, 1, 1)."""
    owner = name_of(where, "adaptive_avg_pool2d")
    x = _as_tensor(input)
    check.image(x, where=owner)
    (h, w), (oh, ow) = x.shape[2:], _output_hw(output_size, x.shape[2:], owner)
    if h % oh or w % ow:
        return _pool.AdaptiveAvgPool2d.apply(x, output_size=(oh, ow))
    kernel = (h // oh, w // ow)  # evenly dividing: a plain avg_pool2d, kernel = stride
    return _pool.AvgPool2d.apply(x, kernel=kernel, stride=kernel, padding=((0, 0), (0, 0)))


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False, *,
                        where: Where = None) -> Tensor:
    """Max-pool to a fixed (OH, OW) with PyTorch's adaptive bins (as ``adaptive_avg_pool2d``)."""
    owner = name_of(where, "adaptive_max_pool2d")
    _unsupported(owner, return_indices=return_indices)
    x = _as_tensor(input)
    check.image(x, where=owner)
    return _pool.AdaptiveMaxPool2d.apply(x, output_size=_output_hw(output_size, x.shape[2:], owner))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0, *,
        where: Where = None) -> Tensor:
    """Pad the last dimensions with ``value``; ``pad`` is (left, right, top, bottom, …) from the
    last dimension backwards, as in PyTorch. Only ``mode="constant"``."""
    owner = name_of(where, "pad")
    check.one_of(mode=mode, choices=("constant",), where=owner)
    x = _as_tensor(input)
    widths = tuple(pad)
    if len(widths) % 2 or len(widths) // 2 > x.ndim or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0 for p in widths):
        raise check.invalid("pad", f"an even number (at most {2 * x.ndim}) of non-negative ints", pad, owner)
    pairs = [(int(widths[i]), int(widths[i + 1])) for i in range(0, len(widths), 2)]
    pad_width = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    return _shape.pad(x, pad_width, value=value)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: Any = None, *, where: Where = None) -> Tensor:
    """Enlarge x (N, C, H, W) to (N, C, k_h·H, k_w·W) by copying each pixel into a k_h×k_w block.

    Give ``scale_factor`` (a positive int k or a pair) or ``size`` (a multiple of the input's
    size). Only ``mode="nearest"``.
    """
    owner = name_of(where, "upsample")
    check.one_of(mode=mode, choices=("nearest",), where=owner)
    x = _as_tensor(input)
    check.image(x, where=owner)
    if (size is None) == (scale_factor is None):
        raise InvalidArgumentError(f"{owner}: expected exactly one of `size` and `scale_factor`. "
                                   f"Received: size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        oh, ow = check.pair(size=size, where=owner)
        h, w = x.shape[2:]
        if oh % h or ow % w:
            raise ShapeError(f"{owner}: size {oh}×{ow} is not a multiple of the input size {h}×{w}")
        scale = (oh // h, ow // w)
    else:
        scale = check.pair(scale_factor=scale_factor, where=owner)
    return _upsample.UpsampleNearest.apply(x, scale=scale)


interpolate = upsample


# ======================================================================= normalization
def batch_norm(input: Tensor, running_mean: Any, running_var: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5, *, num_batches_tracked: Any = None, where: Where = None) -> Tensor:
    """Batch normalization over axis 1 (channels) of (N, C), (N, C, L) or (N, C, H, W).

    Training: normalize with the batch's μ and biased σ², and update the running averages
    in place: running ← (1 − momentum)·running + momentum·batch (the variance update uses
    the unbiased m/(m − 1)·σ², as PyTorch). ``momentum=None``: the cumulative average, with
    momentum = 1/t at the t-th batch (t from ``num_batches_tracked``, a 0-d array that is
    incremented in place). Eval: normalize with the running averages.
    ``running_mean``/``running_var`` may be None in training (no running update), and in
    eval too (then the batch's statistics are used, as PyTorch's track_running_stats=False).
    """
    owner = name_of(where, "batch_norm")
    x = _as_tensor(input)
    running_mean, running_var = _array(running_mean), _array(running_var)
    if x.ndim < 2:
        raise ShapeError(f"{owner}: expected input of shape (N, C, ...), got shape {tuple(x.shape)}")
    if momentum is not None:
        momentum = check.number(momentum=momentum, low=0.0, high=1.0, where=owner)
    eps = check.number(eps=eps, low=0.0, where=owner)
    channels = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"{owner}: expected {name} of shape ({channels},), got shape {tuple(t.shape)}")
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        m = x.data.size // channels
        if m <= 1 and training:
            raise ShapeError(f"{owner}: training needs more than one value per channel, got input "
                             f"of shape {tuple(x.shape)}")
        mean, var = _norm.batch_stats(x.data)
        if training:
            _update_running(running_mean, running_var, mean, var, m, momentum, num_batches_tracked)
    else:
        mean, var = running_mean, running_var
    if weight is None and bias is not None:
        weight = Tensor(backend.xp.ones(channels, dtype=x.dtype), dtype=x.dtype)
    inputs = [x] + [t for t in (weight, bias) if t is not None]
    return _norm.BatchNorm.apply(*inputs, mean=mean, var=var, eps=eps, training=use_batch)


def _update_running(running_mean: Any, running_var: Any, mean: Any, var: Any, m: int,
                    momentum: float | None, num_batches_tracked: Any) -> None:
    """running ← (1 − α)·running + α·batch, α = momentum, or 1/t for the cumulative average."""
    if num_batches_tracked is not None:
        num_batches_tracked += 1
    if momentum is None:
        count = int(num_batches_tracked) if num_batches_tracked is not None else 1
        momentum = 1.0 / max(count, 1)
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += (momentum * m / (m - 1)) * var


def _normalized_shape(normalized_shape: Any, owner: str) -> tuple[int, ...]:
    shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
    if not shape:
        raise check.invalid("normalized_shape", "a positive int or a non-empty tuple of them",
                            normalized_shape, owner)
    return tuple(check.positive_int(normalized_shape=n, where=owner) for n in shape)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5, *, where: Where = None) -> Tensor:
    """Normalize every sample over its last ``len(normalized_shape)`` dimensions, then γ ⊙ ẑ + β."""
    owner = name_of(where, "layer_norm")
    x = _as_tensor(input)
    shape = _normalized_shape(normalized_shape, owner)
    eps = check.number(eps=eps, low=0.0, where=owner)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ShapeError(f"{owner}: expected input of shape (*, {', '.join(map(str, shape))}), "
                         f"got shape {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"{owner}: expected {name} of shape {shape}, got shape {tuple(t.shape)}")
    if weight is None and bias is not None:
        weight = Tensor(backend.xp.ones(shape, dtype=x.dtype), dtype=x.dtype)
    inputs = [x] + [t for t in (weight, bias) if t is not None]
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return _layer_norm.LayerNorm.apply(*inputs, axes=axes, eps=eps)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None, max_norm: Any = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False, *,
              where: Where = None) -> Tensor:
    """Rows of the (num_embeddings, d) table ``weight`` for integer indices of any shape:
    output (*, d). ``padding_idx``'s row gets no gradient.

    ``max_norm`` c: the used rows whose ``norm_type``-norm exceeds c are first rescaled to
    norm c **in place** (PyTorch's semantics; outside the graph). ``scale_grad_by_freq``:
    each row's gradient is divided by how often its index occurs in ``input``.
    """
    owner = name_of(where, "embedding")
    check.shape(weight, ndim=2, where=owner, name="weight", expected="(num_embeddings, embedding_dim)")
    scale_grad_by_freq = check.boolean(scale_grad_by_freq=scale_grad_by_freq, where=owner)
    if sparse:
        raise InvalidArgumentError(f"{owner}: `sparse` gradients are not implemented (the "
                                   f"gradient is a dense table). Received: sparse={sparse!r}")
    indices = _array(input)
    num = weight.shape[0]
    if indices.dtype.kind not in "iu":
        raise GlassboxTypeError(f"{owner}: expected integer indices as input, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].reshape(-1)[0]
        raise DataError(f"{owner}: index {int(bad)} is outside [0, {num}) for a table of {num} embeddings")
    if padding_idx is not None:
        padding_idx = check.integer(padding_idx=padding_idx, low=-num, high=num - 1, where=owner) % num
    if max_norm is not None:
        max_norm = check.number(max_norm=max_norm, low=0.0, where=owner)
        norm_type = check.number(norm_type=norm_type, low=0.0, low_open=True, finite=False, where=owner)
        if indices.size and _embedding.renorm_rows_(weight.data, indices, max_norm, norm_type):
            weight._bump_version()  # changed in place: a graph that saved it must not backprop
    return _embedding.Embedding.apply(weight, indices=indices, padding_idx=padding_idx,
                                      scale_grad_by_freq=scale_grad_by_freq)


# ============================================================================ attention
def _attention_mask(mask: Any, dtype: Any, owner: str, name: str, allowed_when_true: bool) -> Any:
    """A bool mask as the additive −inf/0 mask of the scores; a float mask as it is."""
    m = _array(mask)
    if m.dtype == np.bool_:
        blocked = m if not allowed_when_true else ~m
        return backend.array_module(m).where(blocked, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise GlassboxTypeError(f"{owner}: `{name}` must be a bool or float mask, got dtype {m.dtype}")
    return m.astype(dtype)


def _attend(q: Tensor, k: Tensor, v: Tensor, additive: Any, dropout_p: float, scale: float
            ) -> tuple[Tensor, Tensor]:
    """softmax(q·kᵀ·scale + mask) (the weights A) and A·v, over the last two dimensions."""
    scores = (q @ k.transpose(-2, -1)) * scale
    if additive is not None:
        scores = scores + Tensor(additive, dtype=scores.dtype)
    weights = _act.Softmax.apply(scores, axis=scores.ndim - 1)
    dropped = dropout(weights, dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, *, where: Where = None) -> Tensor:
    """Attention(Q, K, V) = softmax(Q·Kᵀ/√d + M)·V for Q (…, L, d), K (…, S, d), V (…, S, d_v).

    ``attn_mask`` (broadcast to (…, L, S)): bool, **True where a query may attend** (PyTorch's
    rule for this function), or a float mask added to the scores; ``is_causal``: query i sees
    keys 0 … i only. ``dropout_p`` drops attention weights (always, as PyTorch: pass 0 in eval).
    """
    owner = name_of(where, "scaled_dot_product_attention")
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"{owner}: expected query (…, L, d), key (…, S, d) and value (…, S, d_v), "
                         f"got shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    dropout_p = check.probability(dropout_p=dropout_p, where=owner)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else check.number(scale=scale, where=owner)
    additive = None
    if attn_mask is not None:
        additive = _attention_mask(attn_mask, q.dtype, owner, "attn_mask", allowed_when_true=True)
    if check.boolean(is_causal=is_causal, where=owner):
        if attn_mask is not None:
            raise InvalidArgumentError(f"{owner}: give attn_mask or is_causal, not both")
        length, source = q.shape[-2], k.shape[-2]
        additive = np.where(np.tril(np.ones((length, source), dtype=bool)), 0.0, -np.inf).astype(q.dtype)
        additive = backend.like(additive, q.data)
    return _attend(q, k, v, additive, dropout_p, scale)[0]


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor, in_proj_bias: Tensor | None, bias_k: Any, bias_v: Any,
        add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
        training: bool = True, key_padding_mask: Any = None, need_weights: bool = True,
        attn_mask: Any = None, use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True, is_causal: bool = False, *,
        where: Where = None) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention (Vaswani et al.), PyTorch's ``F.multi_head_attention_forward``:
    inputs (L, N, E) sequence-first (or unbatched (L, E)); with h heads of d = E/h,

        [Q K V] = [query key value]·W_inᵀ + b_in,   split into h heads of d columns
        headᵢ = softmax(Qᵢ·Kᵢᵀ/√d + M)·Vᵢ,          out = [head₁ … head_h]·W_outᵀ + b_out

    ``attn_mask`` (L, S) or (N·h, L, S): bool **True = may not attend** (MultiheadAttention's
    rule, the opposite of ``scaled_dot_product_attention``'s), or float added to the scores;
    ``key_padding_mask`` (N, S): True marks padding keys. Returns (out, weights): weights
    (N, L, S) averaged over the heads (``average_attn_weights``), (N, h, L, S) otherwise, or
    None without ``need_weights``. bias_k/bias_v, add_zero_attn, separate projection weights
    and static_k/v are not implemented (only their defaults).
    """
    owner = name_of(where, "multi_head_attention_forward")
    for name, value_, default in (("bias_k", bias_k, None), ("bias_v", bias_v, None),
                                  ("add_zero_attn", add_zero_attn, False),
                                  ("use_separate_proj_weight", use_separate_proj_weight, False),
                                  ("static_k", static_k, None), ("static_v", static_v, None)):
        if (value_ is not None) if default is None else bool(value_) != default:
            raise InvalidArgumentError(f"{owner}: `{name}` is not implemented (only {default!r})")
    q_in, k_in, v_in = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    unbatched = q_in.ndim == 2
    if unbatched:
        q_in, k_in, v_in = (t.reshape(t.shape[0], 1, t.shape[1]) for t in (q_in, k_in, v_in))
    e = check.positive_int(embed_dim_to_check=embed_dim_to_check, where=owner)
    h = check.positive_int(num_heads=num_heads, where=owner)
    if q_in.ndim != 3 or k_in.ndim != 3 or v_in.ndim != 3 or q_in.shape[2] != e or k_in.shape[2] != e \
            or v_in.shape[2] != e or k_in.shape[:2] != v_in.shape[:2] or q_in.shape[1] != k_in.shape[1]:
        raise ShapeError(f"{owner}: expected query (L, N, {e}), key and value (S, N, {e}) (or "
                         f"unbatched (L, {e}), (S, {e})), got shapes {tuple(query.shape)}, "
                         f"{tuple(key.shape)}, {tuple(value.shape)}")
    if e % h:
        raise InvalidArgumentError(f"{owner}: embed_dim={e} must be divisible by num_heads={h}")
    d = e // h
    length, n, source = q_in.shape[0], q_in.shape[1], k_in.shape[0]
    check.shape(in_proj_weight, ndim=2, where=owner, name="in_proj_weight", expected=f"(3·{e}, {e})")
    check.size(in_proj_weight, dim=0, size=3 * e, where=owner, name="in_proj_weight",
               expected=f"shape ({3 * e}, {e})")
    dropout_p = check.probability(dropout_p=dropout_p, where=owner)

    def heads(x: Tensor, i: int, rows: int) -> Tensor:  # (rows, N, E) → (N, h, rows, d)
        b = None if in_proj_bias is None else in_proj_bias[i * e:(i + 1) * e]
        z = linear(x, in_proj_weight[i * e:(i + 1) * e], b, where=owner)
        return z.reshape(rows, n, h, d).permute(1, 2, 0, 3)

    q, k, v = heads(q_in, 0, length), heads(k_in, 1, source), heads(v_in, 2, source)
    additive = None
    if attn_mask is not None:
        mask = _attention_mask(attn_mask, q.dtype, owner, "attn_mask", allowed_when_true=False)
        if mask.shape == (length, source):
            additive = mask
        elif mask.shape == (n * h, length, source):
            additive = mask.reshape(n, h, length, source)
        else:
            raise ShapeError(f"{owner}: expected attn_mask of shape ({length}, {source}) or "
                             f"({n * h}, {length}, {source}), got shape {tuple(mask.shape)}")
    elif check.boolean(is_causal=is_causal, where=owner):
        raise InvalidArgumentError(f"{owner}: is_causal needs the causal attn_mask too (PyTorch's rule)")
    if key_padding_mask is not None:
        pad = _attention_mask(key_padding_mask, q.dtype, owner, "key_padding_mask", allowed_when_true=False)
        if pad.shape != (n, source):
            raise ShapeError(f"{owner}: expected key_padding_mask of shape ({n}, {source}), got "
                             f"shape {tuple(pad.shape)}")
        pad = pad.reshape(n, 1, 1, source)
        additive = pad if additive is None else additive + pad
    out, weights = _attend(q, k, v, additive, dropout_p if training else 0.0, 1.0 / math.sqrt(d))
    out = out.permute(2, 0, 1, 3).reshape(length, n, e)  # heads side by side again
    out = linear(out, out_proj_weight, out_proj_bias, where=owner)
    if not need_weights:
        weights = None
    elif average_attn_weights:
        weights = weights.mean(axis=1)
    if unbatched:
        out = out.reshape(length, e)
        weights = None if weights is None else weights.reshape(weights.shape[1:])
    return out, weights


# ======================================================================= recurrent layers
def lstm_cell(input: Tensor, hx: Tensor, cx: Tensor, w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step (PyTorch's gate order i, f, g, o), x (N, in), h and c (N, H):

        [i f g o] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,   i, f, o = σ(·),  g = tanh(·)
        c' = f ⊙ c + i ⊙ g,     h' = o ⊙ tanh(c')

    Built from linear, sigmoid, tanh, products and sums, whose gradients are each checked."""
    gates = linear(input, w_ih, b_ih, where="lstm_cell") + linear(hx, w_hh, b_hh, where="lstm_cell")
    n = hx.shape[-1]
    i, f = sigmoid(gates[..., :n]), sigmoid(gates[..., n:2 * n])
    g, o = tanh(gates[..., 2 * n:3 * n]), sigmoid(gates[..., 3 * n:])
    c = f * cx + i * g
    return o * tanh(c), c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (PyTorch's gate order r, z, n), x (N, in), h (N, H):

        r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr),   z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
        n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h"""
    gi = linear(input, w_ih, b_ih, where="gru_cell")
    gh = linear(hx, w_hh, b_hh, where="gru_cell")
    n = hx.shape[-1]
    r = sigmoid(gi[..., :n] + gh[..., :n])
    z = sigmoid(gi[..., n:2 * n] + gh[..., n:2 * n])
    candidate = tanh(gi[..., 2 * n:] + r * gh[..., 2 * n:])
    return (1.0 - z) * candidate + z * hx


def _recurrent(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool, num_layers: int,
               dropout_p: float, train: bool, bidirectional: bool, batch_first: bool, lstm: bool,
               owner: str) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """The layers × directions × time loop shared by ``lstm`` and ``gru``: each layer reads
    the previous layer's per-step outputs (both directions side by side), dropout between
    layers in training. Returns (output, final h per layer·direction, final c likewise)."""
    x = _as_tensor(input)
    if x.ndim not in (2, 3):
        raise ShapeError(f"{owner}: expected input of shape (L, N, H_in) (or (N, L, H_in) with "
                         f"batch_first, or unbatched (L, H_in)), got shape {tuple(x.shape)}")
    unbatched = x.ndim == 2
    if unbatched:
        x = x.reshape(x.shape[0], 1, x.shape[1])
    elif batch_first:
        x = x.transpose(0, 1)
    directions = 2 if bidirectional else 1
    per_cell = 4 if has_biases else 2
    if len(params) != num_layers * directions * per_cell:
        raise InvalidArgumentError(f"{owner}: expected {num_layers * directions * per_cell} "
                                   f"parameter tensors, got {len(params)}")
    length, n = x.shape[0], x.shape[1]
    hidden = params[1].shape[1]
    states = list(hx) if lstm else [hx]
    initial = []
    for state in states:
        if state is None:
            initial.append(None)
            continue
        t = _as_tensor(state)
        t = t.reshape(t.shape[0], 1, t.shape[-1]) if unbatched else t
        if tuple(t.shape) != (num_layers * directions, n, hidden):
            raise ShapeError(f"{owner}: expected an initial state of shape "
                             f"({num_layers * directions}, {n}, {hidden}), got shape {tuple(t.shape)}")
        initial.append(t)
    zeros = Tensor(backend.xp.zeros((n, hidden), dtype=x.dtype), dtype=x.dtype)
    steps = [x[t] for t in range(length)]
    h_n: list[Tensor] = []
    c_n: list[Tensor] = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            w = list(params[k * per_cell:(k + 1) * per_cell]) + [None, None]
            h = zeros if initial[0] is None else initial[0][k]
            c = zeros if not lstm or initial[1] is None else initial[1][k]
            order = range(length) if direction == 0 else range(length - 1, -1, -1)
            seq: list[Tensor] = [zeros] * length
            for t in order:
                if lstm:
                    h, c = lstm_cell(steps[t], h, c, w[0], w[1], w[2], w[3])
                else:
                    h = gru_cell(steps[t], h, w[0], w[1], w[2], w[3])
                seq[t] = h
            outputs.append(seq)
            h_n.append(h)
            c_n.append(c)
        steps = outputs[0] if directions == 1 else [_shape.cat([a, b], axis=1) for a, b in zip(*outputs)]
        if train and dropout_p > 0 and layer < num_layers - 1:
            steps = [dropout(s, dropout_p) for s in steps]
    out = _shape.stack(steps, axis=0)
    if unbatched:
        out = out.reshape(length, out.shape[-1])
    elif batch_first:
        out = out.transpose(0, 1)
    return out, h_n, c_n


def _final_state(states: list[Tensor], unbatched: bool) -> Tensor:
    out = _shape.stack(states, axis=0)
    return out.reshape(out.shape[0], out.shape[-1]) if unbatched else out


def lstm(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool = True,
         num_layers: int = 1, dropout: float = 0.0, train: bool = True, bidirectional: bool = False,
         batch_first: bool = False, *, where: Where = None) -> tuple[Tensor, Tensor, Tensor]:
    """A (stacked, optionally bidirectional) LSTM over a sequence, PyTorch's ``torch.lstm``:
    ``lstm_cell`` at every step. ``hx`` is (h₀, c₀), each (D·num_layers, N, H), or (None, None)
    for zeros; ``params`` per layer and direction [W_ih, W_hh, b_ih, b_hh]. Returns
    (output (L, N, D·H), h_n, c_n)."""
    owner = name_of(where, "lstm")
    hx = (None, None) if hx is None else hx
    dropout_p = check.probability(dropout=dropout, where=owner)
    out, h_n, c_n = _recurrent(input, hx, params, has_biases, num_layers, dropout_p, train,
                               bidirectional, batch_first, True, owner)
    unbatched = _as_tensor(input).ndim == 2
    return out, _final_state(h_n, unbatched), _final_state(c_n, unbatched)


def gru(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool = True,
        num_layers: int = 1, dropout: float = 0.0, train: bool = True, bidirectional: bool = False,
        batch_first: bool = False, *, where: Where = None) -> tuple[Tensor, Tensor]:
    """A (stacked, optionally bidirectional) GRU over a sequence, PyTorch's ``torch.gru``:
    ``gru_cell`` at every step; ``hx`` (D·num_layers, N, H) or None. Returns (output, h_n)."""
    owner = name_of(where, "gru")
    dropout_p = check.probability(dropout=dropout, where=owner)
    out, h_n, _ = _recurrent(input, hx, params, has_biases, num_layers, dropout_p, train,
                             bidirectional, batch_first, False, owner)
    return out, _final_state(h_n, _as_tensor(input).ndim == 2)


# ============================================================================== dropout
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            where: Where = None) -> Tensor:
    """Inverted dropout: in training zero each unit with probability p and scale the rest
    by 1/(1 − p); identity when not training."""
    p = check.probability(p=p, where=name_of(where, "dropout"))
    x = _as_tensor(input)
    if not training or p == 0.0:
        return x
    return _dropout.Dropout.apply(x, mask=_dropout.dropout_mask(x.shape, p, x.dtype, like=x.data))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              where: Where = None) -> Tensor:
    """Channel dropout for (N, C, H, W): whole feature maps are zeroed together."""
    owner = name_of(where, "dropout2d")
    p = check.probability(p=p, where=owner)
    x = _as_tensor(input)
    check.image(x, where=owner)
    if not training or p == 0.0:
        return x
    mask = _dropout.dropout_mask((x.shape[0], x.shape[1], 1, 1), p, x.dtype, like=x.data)
    return _dropout.Dropout.apply(x, mask=mask)
