"""A small GoogLeNet-style network built from two Inception blocks, for 28×28 images."""
from __future__ import annotations

from collections import OrderedDict

from .. import nn


def inception_small(num_classes: int = 10, in_channels: int = 1) -> nn.Sequential:
    """stem → Inception → pool → Inception → global average pool → fc.

        28×28×C ─conv 3×3, 32 + BN + ReLU→ ─max-pool 2→ 14×14×32
                ─Inception(1×1 16 | 1×1 16→3×3 24 | 1×1 4→5×5 8 | pool→1×1 8)→ 14×14×56
                ─max-pool 2→ 7×7×56
                ─Inception(1×1 32 | 1×1 24→3×3 48 | 1×1 8→5×5 16 | pool→1×1 16)→ 7×7×112
                ─global avg-pool→ 112 ─fc→ num_classes

    Each block runs the four branches side by side and concatenates them along channels;
    the 1×1 "bottleneck" convs before the 3×3 and 5×5 keep the cost low.
    """
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(32)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("inception1", nn.InceptionBlock(32, 16, 16, 24, 4, 8, 8)),
        ("pool2", nn.MaxPool2d(2)),
        ("inception2", nn.InceptionBlock(56, 32, 24, 48, 8, 16, 16)),
        ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
        ("fc", nn.Linear(112, num_classes)),
    ]))
