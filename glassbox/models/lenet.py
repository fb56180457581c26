"""LeNet-5 and a small modern CNN for 28×28 grey images (MNIST, Fashion-MNIST)."""
from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..nn import init
from ..nn.padding import ZeroPad2d


def lenet5(num_classes: int = 10, in_channels: int = 1, variant: str = "modern",
           pad_input: bool = True) -> nn.Sequential:
    """LeNet-5 in the course's formulation (every conv-2 map sees all 6 conv-1 maps):

        32×32×C ─conv 5×5, 6 (valid)→ 28×28×6 ─pool 2/2→ 14×14×6
                ─conv 5×5, 16 (valid)→ 10×10×16 ─pool 2/2→ 5×5×16 = 400
                ─fc→ 120 ─fc→ 84 ─fc→ num_classes (logits; softmax inside the loss)

    With 1 input channel and 10 classes it has 61,706 parameters (conv1 156, conv2 2,416,
    fc1 48,120, fc2 10,164, fc3 850).

    Args:
        variant: "classic" — tanh and average pooling as in the 1998 paper (Xavier init);
            "modern" — ReLU and max pooling (He init), which trains faster.
        pad_input: prepend ``ZeroPad2d(2)`` so 28×28 images become the 32×32 the network
            expects; pass False to feed 32×32 images directly.
    """
    if variant not in ("modern", "classic"):
        raise ValueError(f"lenet5: variant must be 'modern' or 'classic', got {variant!r}")
    classic = variant == "classic"
    act = nn.Tanh if classic else nn.ReLU
    pool = nn.AvgPool2d if classic else nn.MaxPool2d
    layers: list[tuple[str, nn.Module]] = []
    if pad_input:
        layers.append(("pad", ZeroPad2d(2)))
    layers += [
        ("conv1", nn.Conv2d(in_channels, 6, 5)), ("act1", act()), ("pool1", pool(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("act2", act()), ("pool2", pool(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 5 * 5, 120)), ("act3", act()),
        ("fc2", nn.Linear(120, 84)), ("act4", act()),
        ("fc3", nn.Linear(84, num_classes)),
    ]
    model = nn.Sequential(OrderedDict(layers))
    if classic:  # tanh layers want Var(w) = 2/(fan_in + fan_out), not He's 2/fan_in
        for name, layer in layers:
            if name.startswith(("conv", "fc")):
                init.xavier_uniform_(layer.weight, gain=init.calculate_gain("tanh"))
    return model


def cnn(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.25) -> nn.Sequential:
    """A small, fast CNN for 28×28 images (Fashion-MNIST test accuracy with Adam(1e-3),
    batch 128: 87.1 %, 89.4 %, 90.0 % after epochs 1–3; ~75–95 s per epoch on 2 CPU cores):

        28×28×C ─conv 3×3, 32 (same) + BN + ReLU→ ─max-pool 2→ 14×14×32
                ─conv 3×3, 64 (same) + BN + ReLU→ ─max-pool 2→ 7×7×64 = 3,136
                ─dropout→ fc 128 + ReLU ─dropout→ fc num_classes

    About 4.2 M multiply-adds per image forward (conv2 is 3.6 M of them), cheap enough to
    train on a CPU with a NumPy convolution. Convs feeding batch norm have no bias: BN's
    β takes its place.
    """
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(32)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, 3, padding=1, bias=False)),
        ("bn2", nn.BatchNorm2d(64)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("drop1", nn.Dropout(dropout)),
        ("fc1", nn.Linear(64 * 7 * 7, 128)), ("relu3", nn.ReLU()),
        ("drop2", nn.Dropout(dropout)),
        ("fc2", nn.Linear(128, num_classes)),
    ]))
