"""Multilayer perceptrons: Flatten → (Linear → activation [→ Dropout]) × L → Linear (logits)."""
from __future__ import annotations

from typing import Sequence

from .. import nn
from ..nn import init

# activation name → (layer factory, initializer that suits it)
_ACTIVATIONS = {
    "relu": (nn.ReLU, lambda w: init.kaiming_uniform_(w, nonlinearity="relu")),
    "leaky_relu": (nn.LeakyReLU, lambda w: init.kaiming_uniform_(w, a=0.01, nonlinearity="leaky_relu")),
    "tanh": (nn.Tanh, lambda w: init.xavier_uniform_(w, gain=init.calculate_gain("tanh"))),
    "sigmoid": (nn.Sigmoid, lambda w: init.xavier_uniform_(w)),
}


def mlp(in_features: int = 784, hidden: Sequence[int] = (256, 128), num_classes: int = 10,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """A fully connected network; the default is the course's 784-256-128-10 ReLU MNIST net.

    Each hidden layer computes a⁽ˡ⁾ = g(W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾); the last layer returns the
    logits z⁽ᴸ⁾ (feed them to ``CrossEntropyLoss``, which applies the softmax).

    Weights follow the course's advice: He (Var(w) = 2/fan_in) for ReLU / leaky ReLU,
    Xavier (Var(w) = 2/(fan_in + fan_out)) for tanh / sigmoid; biases start at zero.

    Args:
        in_features: input size after flattening (784 for 28×28 images).
        hidden: widths of the hidden layers (may be empty: softmax regression).
        num_classes: number of output logits.
        activation: "relu", "leaky_relu", "tanh" or "sigmoid".
        dropout: drop probability after each hidden activation (0 disables it).
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"mlp: unknown activation {activation!r}; expected one of {sorted(_ACTIVATIONS)}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp: dropout must be in [0, 1), got {dropout!r}")
    widths = [int(in_features), *(int(h) for h in hidden)]
    make_act, init_weight = _ACTIVATIONS[activation]
    layers: list[nn.Module] = [nn.Flatten()]
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        dense = nn.Linear(fan_in, fan_out)
        init_weight(dense.weight)
        layers += [dense, make_act()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    head = nn.Linear(widths[-1], num_classes)
    init_weight(head.weight)
    layers.append(head)
    return nn.Sequential(*layers)


def shallow_mlp(in_features: int = 784, hidden: int = 128, num_classes: int = 10,
                activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """One hidden layer: Flatten → Linear(in, hidden) → g → Linear(hidden, classes)."""
    return mlp(in_features, (hidden,), num_classes, activation, dropout)
