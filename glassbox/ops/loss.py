"""Fused losses whose gradient is simpler (and numerically safer) than their parts'.

* Softmax + cross-entropy from logits z:  L = −Σⱼ yⱼ log softmax(z)ⱼ,
  ∂L/∂z = ŷ − y  (ŷ = softmax(z)); averaged over m rows: (ŷ − y)/m.
* Sigmoid + binary cross-entropy from logits:
  L = −[y log σ(z) + (1 − y) log(1 − σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|}),
  ∂L/∂z = σ(z) − y.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from .activation import stable_sigmoid

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_class_labels(target: Any, num_classes: int, where: str) -> None:
    """Reject labels outside [0, num_classes) by naming the offending value."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{where}: class labels must be integers, got dtype {target.dtype}")
    if not target.size:
        return
    low, high = backend.value_range(target)  # no device round trip for loader batches
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        raise ValueError(
            f"{where}: label {int(bad)} is outside [0, {num_classes}) for {num_classes} classes"
        )


def _reduce(losses: Any, reduction: str) -> Any:
    check_reduction(reduction)
    if reduction == "mean":  # sum / n: same value, without ndarray.mean's Python-level overhead
        return losses.sum() / losses.dtype.type(max(losses.size, 1))
    if reduction == "sum":
        return losses.sum()
    return losses


def _scale_back(grad: Any, rows: int, reduction: str) -> Any:
    """∂L/∂lossᵢ for each row: 1/m for mean, 1 for sum, grad itself for none."""
    if reduction == "mean":
        return grad / grad.dtype.type(rows)
    if reduction == "none":
        return grad[:, None]
    return grad


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(logits) against class indices (m,) or class probabilities (m, C).

    Forward: lossᵢ = LSE(zᵢ) − Σⱼ yᵢⱼ zᵢⱼ.  Backward: ∂L/∂zᵢ = (ŷᵢ − yᵢ) · ∂L/∂lossᵢ.
    """

    def forward(self, logits: Any, target: Any, reduction: str = "mean") -> Any:
        xp = backend.xp
        if logits.ndim != 2:
            raise ValueError(
                f"cross_entropy: logits must have shape (batch, classes), got {logits.shape}"
            )
        m, classes = logits.shape
        self.reduction, self.target = reduction, target
        # LSE(z) = m + ln s with m = max z, s = Σ e^{z−m}; the losses below are written in
        # z − m so that float32 keeps its precision at logits of ±1000.
        m_max = logits.max(axis=1, keepdims=True)
        shifted = logits - m_max
        e = xp.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        self.probs = e / s
        log_s = xp.log(s)[:, 0]
        if target.ndim == 1:
            if target.shape[0] != m:
                raise ValueError(
                    f"cross_entropy: {m} rows of logits but {target.shape[0]} labels"
                )
            check_class_labels(target, classes, "cross_entropy")
            losses = log_s - shifted[xp.arange(m), target]
        else:
            if target.shape != logits.shape:
                raise ValueError(
                    f"cross_entropy: one-hot/probability targets must have the logits' shape "
                    f"{logits.shape}, got {target.shape}"
                )
            target = self.target = target.astype(logits.dtype, copy=False)  # no float64 upcast
            # LSE − Σⱼ yⱼzⱼ = ln s − Σⱼ yⱼ(zⱼ − m) + m(1 − Σⱼ yⱼ); the last term is 0 for one-hot y
            losses = log_s - (shifted * target).sum(axis=1) + m_max[:, 0] * (1 - target.sum(axis=1))
        return _reduce(losses, reduction)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        dz = self.probs.copy()  # ŷ
        m = dz.shape[0]
        if self.target.ndim == 1:
            dz[xp.arange(m), self.target] -= 1
        else:
            dz -= self.target
        dz *= _scale_back(grad, m, self.reduction)
        return dz, None


class BinaryCrossEntropyWithLogits(Function):
    """lossᵢ = max(zᵢ, 0) − zᵢyᵢ + log(1 + e^{−|zᵢ|});  ∂lossᵢ/∂zᵢ = σ(zᵢ) − yᵢ."""

    def forward(self, logits: Any, target: Any, reduction: str = "mean") -> Any:
        xp = backend.xp
        if target.shape != logits.shape:
            raise ValueError(
                f"binary_cross_entropy_with_logits: target shape {target.shape} "
                f"differs from logits shape {logits.shape}"
            )
        target = target.astype(logits.dtype, copy=False)  # 0/1 integer labels: no float64 upcast
        self.logits, self.target, self.reduction = logits, target, reduction
        losses = xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))
        return _reduce(losses, reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        dz = stable_sigmoid(self.logits) - self.target
        if self.reduction == "mean":
            dz *= grad / grad.dtype.type(dz.size)
        else:
            dz *= grad
        return dz, None


class BinaryCrossEntropy(Function):
    """lossᵢ = −[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] on probabilities p ∈ [0, 1];
    ∂lossᵢ/∂pᵢ = (pᵢ − yᵢ) / (pᵢ(1 − pᵢ)).

    Logs are clamped at −100 (as PyTorch does) so p = 0 or 1 gives a finite loss;
    prefer ``BinaryCrossEntropyWithLogits``, which never needs the clamp.
    """

    def forward(self, probs: Any, target: Any, reduction: str = "mean") -> Any:
        xp = backend.xp
        if target.shape != probs.shape:
            raise ValueError(
                f"binary_cross_entropy: target shape {target.shape} differs from input shape {probs.shape}"
            )
        if probs.size and (probs.min() < 0 or probs.max() > 1):
            raise ValueError(
                "binary_cross_entropy: inputs must be probabilities in [0, 1] "
                f"(got values from {float(probs.min())} to {float(probs.max())}); "
                "apply sigmoid first or use binary_cross_entropy_with_logits"
            )
        self.probs, self.target, self.reduction = probs, target, reduction
        with backend.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(probs), -100)
            log_q = xp.maximum(xp.log1p(-probs), -100)
        return _reduce(-(target * log_p + (1 - target) * log_q), reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        p = self.probs
        tiny = p.dtype.type(1e-12)
        dp = (p - self.target) / backend.xp.maximum(p * (1 - p), tiny)
        scale = grad / grad.dtype.type(dp.size) if self.reduction == "mean" else grad
        return dp * scale, None


class MeanSquaredError(Function):
    """lossᵢ = (ŷᵢ − yᵢ)²;  ∂lossᵢ/∂ŷᵢ = 2(ŷᵢ − yᵢ).  ``half=True`` gives the course's
    ½(y − ŷ)², whose derivative is just ŷ − y."""

    def forward(self, pred: Any, target: Any, reduction: str = "mean", half: bool = False) -> Any:
        if target.shape != pred.shape:
            raise ValueError(
                f"mse_loss: target shape {target.shape} differs from prediction shape {pred.shape}"
            )
        self.diff, self.reduction = pred - target, reduction
        self.factor = 0.5 if half else 1.0
        return _reduce(self.diff * self.diff * pred.dtype.type(self.factor), reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        d = self.diff * self.diff.dtype.type(2 * self.factor)
        scale = grad / grad.dtype.type(d.size) if self.reduction == "mean" else grad
        d *= scale
        return (d if self.needs_input_grad[0] else None), (-d if self.needs_input_grad[1] else None)


class NegativeLogLikelihood(Function):
    """lossᵢ = −log_probs[i, yᵢ] for log-probabilities (from ``log_softmax``);
    ∂lossᵢ/∂log_probs[i, j] = −[j = yᵢ]."""

    def forward(self, log_probs: Any, target: Any, reduction: str = "mean") -> Any:
        xp = backend.xp
        if log_probs.ndim != 2 or target.shape != (log_probs.shape[0],):
            raise ValueError(
                f"nll_loss: expected log-probabilities (batch, classes) and labels (batch,), "
                f"got {log_probs.shape} and {target.shape}"
            )
        check_class_labels(target, log_probs.shape[1], "nll_loss")
        self.shape, self.target, self.reduction = log_probs.shape, target, reduction
        return _reduce(-log_probs[xp.arange(len(target)), target], reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = backend.xp
        m = self.shape[0]
        d = xp.zeros(self.shape, dtype=grad.dtype)
        d[xp.arange(m), self.target] = -1
        d *= _scale_back(grad, m, self.reduction)
        return d, None
