"""The course's first models: linear, logistic and softmax regression.

Each is one ``Linear`` layer; they differ only in how the output is read and in the loss.
All three losses are convex in (W, b), so the weights start at zero (the symmetry problem
of zero init only arises once there are hidden units).
"""
from __future__ import annotations

from ..core.tensor import Tensor
from .. import nn
from ..nn import functional as F
from ..nn import init


def _zero_init(layer: nn.Linear) -> nn.Linear:
    init.zeros_(layer.weight)
    init.zeros_(layer.bias)
    return layer


class LinearRegression(nn.Module):
    """ŷ = Xw + b, fitted by minimising the mean squared error ``MSELoss``.

    Shapes: input (m, in_features) → output (m, out_features); several targets
    (out_features > 1) are fitted at once, each with its own column of W.
    """

    def __init__(self, in_features: int, out_features: int = 1) -> None:
        super().__init__()
        self.linear = _zero_init(nn.Linear(in_features, out_features))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


class LogisticRegression(nn.Module):
    """ŷ = σ(Xw + b): the probability of class 1 for binary classification.

    ``forward`` returns the logit z = Xw + b (shape (m,), one per sample) so that it can
    go straight into ``BCEWithLogitsLoss`` (stable); ``predict_proba`` applies σ and
    ``predict`` thresholds it.
    """

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = _zero_init(nn.Linear(in_features, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).reshape(-1)

    def predict_proba(self, x: Tensor) -> Tensor:
        """σ(Xw + b), shape (m,)."""
        return F.sigmoid(self(x))

    def predict(self, x: Tensor, threshold: float = 0.5) -> Tensor:
        """Class labels 1 where σ(Xw + b) ≥ threshold, else 0 (int64, shape (m,))."""
        return Tensor._from_op((self.predict_proba(x).data >= threshold).astype("int64"), None)


class SoftmaxRegression(nn.Module):
    """ŷ = softmax(XW + b): multinomial logistic regression over ``num_classes`` classes.

    ``forward`` returns the logits XW + b, shape (m, num_classes), for ``CrossEntropyLoss``
    (which applies the softmax); ``predict_proba`` applies it explicitly.
    Images are flattened first, so (m, 1, 28, 28) inputs work with in_features=784.
    """

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear = _zero_init(nn.Linear(in_features, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(self.flatten(x))

    def predict_proba(self, x: Tensor) -> Tensor:
        """softmax(XW + b) along the class axis, shape (m, num_classes)."""
        return F.softmax(self(x), -1)
