"""Fused losses whose gradient is simpler (and numerically safer) than their parts'.

* Softmax + cross-entropy from logits z:  L = −Σⱼ qⱼ log softmax(z)ⱼ,
  ∂L/∂z = (Σⱼ qⱼ)·ŷ − q  (ŷ = softmax(z)); for a one-hot q = y this is the course's ŷ − y,
  averaged over m rows: (ŷ − y)/m.
* Sigmoid + binary cross-entropy from logits:
  L = −[p·y log σ(z) + (1 − y) log(1 − σ(z))] = p·y·softplus(−z) + (1 − y)·softplus(z),
  ∂L/∂z = p·y·(σ(z) − 1) + (1 − y)·σ(z)  (= σ(z) − y for pos_weight p = 1).

``ignore_index`` None means no row is ignored (``nn.functional`` passes None when no label
equals it). The target distribution q of a row (``target_distribution``) carries PyTorch's options:
class weights w (row i counts w[yᵢ] times), ``ignore_index`` (a zero row) and label
smoothing ε (q = (1 − ε)·onehot(y) + ε/C). Arguments are checked in ``nn.functional``;
the ops here only compute.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from .. import validate as check
from ..core.function import Function
from ..errors import DataError, GlassboxTypeError
from .activation import stable_sigmoid

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, where: str | None = None) -> str:
    """``reduction`` is one of "mean", "sum", "none"."""
    return check.one_of(reduction=reduction, choices=REDUCTIONS, where=where)


def check_class_labels(target: Any, num_classes: int, where: str,
                       ignore_index: int | None = None) -> bool:
    """Reject labels outside [0, num_classes) by naming the offending value (``ignore_index``
    is allowed anywhere). Returns whether any label is ``ignore_index``; for the usual
    negative ignore_index that is read off the value range, without another device copy."""
    if target.dtype.kind not in "iu":
        raise GlassboxTypeError(f"{where}: class labels must be integers, got dtype {target.dtype}")
    if not target.size:
        return False
    low, high = backend.value_range(target)  # no device round trip for loader batches
    if low >= 0 and high < num_classes:
        return ignore_index is not None and 0 <= ignore_index < num_classes \
            and bool((target == ignore_index).any())
    bad = (target < 0) | (target >= num_classes)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bad.any():
        value = int(target[bad].reshape(-1)[0])
        raise DataError(f"{where}: label {value} is outside [0, {num_classes}) for {num_classes} classes")
    return True  # the only labels out of range are ignore_index


def _reduce(losses: Any, reduction: str, denominator: Any = None) -> Any:
    """Mean (Σ / denominator, default the number of losses), sum, or the losses themselves."""
    if reduction == "mean":  # sum / n: same value, without ndarray.mean's Python-level overhead
        n = max(losses.size, 1) if denominator is None else denominator
        with backend.errstate(invalid="ignore", divide="ignore"):  # 0/0 = nan, as PyTorch
            return losses.sum() / losses.dtype.type(n)
    if reduction == "sum":
        return losses.sum()
    return losses


def _scale_back(grad: Any, rows: Any, reduction: str) -> Any:
    """∂L/∂lossᵢ for each row: 1/rows for mean, 1 for sum, grad itself for none."""
    if reduction == "mean":
        return grad / grad.dtype.type(rows)
    if reduction == "none":
        return grad[:, None]
    return grad


def target_distribution(target: Any, num_classes: int, dtype: Any, weight: Any = None,
                        ignore_index: int | None = None, label_smoothing: float = 0.0) -> tuple[Any, Any]:
    """q (m, C), each row the weights of −log ŷ in that row's loss, and the mean's denominator.

    Class indices y: qᵢ = w[yᵢ]·(1 − ε)·onehot(yᵢ) + ε/C·w, zero for yᵢ = ignore_index;
    the mean divides by Σᵢ w[yᵢ] over the rows kept (PyTorch's rule).
    Probabilities y (m, C): qᵢ = w ⊙ ((1 − ε)·yᵢ + ε/C); the mean divides by m.
    """
    xp = backend.xp
    eps = dtype.type(label_smoothing)
    w = None if weight is None else weight.astype(dtype, copy=False)
    if target.ndim == 2:
        q = target.astype(dtype, copy=True)
        if label_smoothing:
            q *= 1 - eps
            q += eps / num_classes
        if w is not None:
            q *= w
        return q, target.shape[0]
    m = target.shape[0]
    if ignore_index is None:
        rows, labels = xp.arange(m), target
    else:
        keep = target != ignore_index
        rows, labels = xp.arange(m)[keep], target[keep]
    w_y = xp.ones(len(labels), dtype=dtype) if w is None else w[labels]
    q = xp.zeros((m, num_classes), dtype=dtype)
    q[rows, labels] = (1 - eps) * w_y
    if label_smoothing:
        q[rows] += (eps / num_classes) * (xp.ones(num_classes, dtype=dtype) if w is None else w)
    return q, w_y.sum()


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(logits) (m, C) against class indices (m,) or probabilities (m, C).

    Forward: lossᵢ = Σⱼ qᵢⱼ·(LSE(zᵢ) − zᵢⱼ) = −Σⱼ qᵢⱼ log ŷᵢⱼ.
    Backward: ∂lossᵢ/∂zᵢ = (Σⱼ qᵢⱼ)·ŷᵢ − qᵢ, which is ŷᵢ − yᵢ for a one-hot qᵢ = yᵢ.
    The plain case (indices, no weight, no smoothing, nothing ignored) gathers −log ŷᵢ,yᵢ
    directly instead of building q.
    """

    def forward(self, logits: Any, target: Any, weight: Any = None, ignore_index: int | None = None,
                label_smoothing: float = 0.0, reduction: str = "mean") -> Any:
        xp = backend.xp
        m, classes = logits.shape
        self.reduction = reduction
        # LSE(z) = mx + ln s with s = Σ e^{z−mx}; the losses are written in z − mx so that
        # float32 keeps its precision at logits of ±1000.
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        e /= s
        self.probs = e
        log_s = xp.log(s)[:, 0]
        plain = (target.ndim == 1 and weight is None and not label_smoothing
                 and ignore_index is None)
        if plain:
            self.target, self.q, self.denominator = target, None, m
            losses = log_s - shifted[xp.arange(m), target]
        else:
            self.q, self.denominator = target_distribution(target, classes, logits.dtype, weight,
                                                           ignore_index, label_smoothing)
            losses = log_s * self.q.sum(axis=1) - (shifted * self.q).sum(axis=1)
        return _reduce(losses, reduction, self.denominator)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        dz = self.probs
        m = dz.shape[0]
        if self.q is None:
            dz[xp.arange(m), self.target] -= 1  # ŷ − y (probs are not needed again)
        else:
            dz *= self.q.sum(axis=1, keepdims=True)
            dz -= self.q
        dz *= _scale_back(grad, self.denominator, self.reduction)
        return dz, None


class NegativeLogLikelihood(Function):
    """lossᵢ = −Σⱼ qᵢⱼ·log_probs[i, j] = −w[yᵢ]·log_probs[i, yᵢ] (0 for ignored rows);
    ∂lossᵢ/∂log_probs[i, j] = −qᵢⱼ."""

    def forward(self, log_probs: Any, target: Any, weight: Any = None, ignore_index: int | None = None,
                reduction: str = "mean") -> Any:
        xp = backend.xp
        m, classes = log_probs.shape
        self.shape, self.reduction = log_probs.shape, reduction
        if weight is None and ignore_index is None:
            self.target, self.q, self.denominator = target, None, m
            losses = -log_probs[xp.arange(m), target]
        else:
            self.q, self.denominator = target_distribution(target, classes, log_probs.dtype,
                                                           weight, ignore_index)
            losses = -(log_probs * self.q).sum(axis=1)
        return _reduce(losses, reduction, self.denominator)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = backend.xp
        if self.q is None:
            d = xp.zeros(self.shape, dtype=grad.dtype)
            d[xp.arange(self.shape[0]), self.target] = -1
        else:
            d = -self.q
        d *= _scale_back(grad, self.denominator, self.reduction)
        return d, None


def _softplus(x: Any) -> Any:
    """log(1 + eˣ) = max(x, 0) + log(1 + e^{−|x|}), finite for any x."""
    xp = backend.xp
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """lossᵢ = wᵢ·[p·yᵢ·softplus(−zᵢ) + (1 − yᵢ)·softplus(zᵢ)]
    (= max(zᵢ, 0) − zᵢyᵢ + log(1 + e^{−|zᵢ|}) for w = p = 1);
    ∂lossᵢ/∂zᵢ = wᵢ·[p·yᵢ·(σ(zᵢ) − 1) + (1 − yᵢ)·σ(zᵢ)] (= σ(zᵢ) − yᵢ for w = p = 1).

    ``weight`` w rescales each element's loss (broadcast); ``pos_weight`` p (broadcast over
    the last axis, one per class) weighs the positive term, PyTorch's way to trade recall
    for precision on imbalanced labels."""

    def forward(self, logits: Any, target: Any, weight: Any = None, pos_weight: Any = None,
                reduction: str = "mean") -> Any:
        dtype = logits.dtype
        target = target.astype(dtype, copy=False)  # 0/1 integer labels: no float64 upcast
        self.logits, self.target, self.reduction = logits, target, reduction
        self.weight = None if weight is None else weight.astype(dtype, copy=False)
        self.pos_weight = None if pos_weight is None else pos_weight.astype(dtype, copy=False)
        if self.pos_weight is None:
            xp = backend.xp
            losses = xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))
        else:
            losses = self.pos_weight * target * _softplus(-logits) + (1 - target) * _softplus(logits)
        if self.weight is not None:
            losses = losses * self.weight
        return _reduce(losses, reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        sig = stable_sigmoid(self.logits)
        if self.pos_weight is None:
            dz = sig - self.target
        else:
            dz = self.pos_weight * self.target * (sig - 1) + (1 - self.target) * sig
        if self.weight is not None:
            dz = dz * self.weight
        dz *= grad / grad.dtype.type(dz.size) if self.reduction == "mean" else grad
        return dz, None


class BinaryCrossEntropy(Function):
    """lossᵢ = −wᵢ·[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] on probabilities p ∈ [0, 1];
    ∂lossᵢ/∂pᵢ = wᵢ·(pᵢ − yᵢ) / (pᵢ(1 − pᵢ)).

    Logs are clamped at −100 (as PyTorch does) so p = 0 or 1 gives a finite loss;
    prefer ``BinaryCrossEntropyWithLogits``, which never needs the clamp.
    """

    def forward(self, probs: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Any:
        xp = backend.xp
        self.probs, self.target, self.reduction = probs, target, reduction
        self.weight = None if weight is None else weight.astype(probs.dtype, copy=False)
        with backend.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(probs), -100)
            log_q = xp.maximum(xp.log1p(-probs), -100)
        losses = -(target * log_p + (1 - target) * log_q)
        if self.weight is not None:
            losses = losses * self.weight
        return _reduce(losses, reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        p = self.probs
        tiny = p.dtype.type(1e-12)
        dp = (p - self.target) / backend.xp.maximum(p * (1 - p), tiny)
        if self.weight is not None:
            dp = dp * self.weight
        scale = grad / grad.dtype.type(dp.size) if self.reduction == "mean" else grad
        return dp * scale, None


class _PointwiseLoss(Function):
    """lossᵢ = ℓ(ŷᵢ − yᵢ) for every element, reduced;  ∂L/∂ŷ = ℓ'(ŷ − y)·(1/n for "mean"),
    ∂L/∂y = −∂L/∂ŷ. A subclass states ℓ (``_loss``) and ℓ' (``_derivative``) of d = ŷ − y."""

    def forward(self, pred: Any, target: Any, reduction: str = "mean", **options: Any) -> Any:
        self.diff, self.reduction, self.options = pred - target, reduction, options
        return _reduce(self._loss(self.diff), reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        d = self._derivative(self.diff)
        scale = grad / grad.dtype.type(d.size) if self.reduction == "mean" else grad
        d *= scale
        return (d if self.needs_input_grad[0] else None), (-d if self.needs_input_grad[1] else None)

    def _loss(self, d: Any) -> Any:
        raise NotImplementedError

    def _derivative(self, d: Any) -> Any:
        raise NotImplementedError


class MeanSquaredError(_PointwiseLoss):
    """lossᵢ = (ŷᵢ − yᵢ)²;  ∂lossᵢ/∂ŷᵢ = 2(ŷᵢ − yᵢ).  ``half=True`` gives the course's
    ½(y − ŷ)², whose derivative is just ŷ − y."""

    def _loss(self, d: Any) -> Any:
        return d * d * d.dtype.type(0.5 if self.options.get("half") else 1.0)

    def _derivative(self, d: Any) -> Any:
        return d * d.dtype.type(1.0 if self.options.get("half") else 2.0)


class MeanAbsoluteError(_PointwiseLoss):
    """lossᵢ = |ŷᵢ − yᵢ| (L1);  ∂lossᵢ/∂ŷᵢ = sign(ŷᵢ − yᵢ), 0 where ŷᵢ = yᵢ (PyTorch's
    subgradient). Less swayed by outliers than the squared error: every residual pulls
    with the same strength."""

    def _loss(self, d: Any) -> Any:
        return backend.xp.abs(d)

    def _derivative(self, d: Any) -> Any:
        return backend.xp.sign(d)
