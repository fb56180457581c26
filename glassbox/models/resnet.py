"""Residual networks: ResNet-18 (He et al., 2015) and a small one for 28×28 images.

Each ``nn.ResidualBlock`` computes a⁽ˡ⁺²⁾ = g(z⁽ˡ⁺²⁾ + a⁽ˡ⁾) — or g(z⁽ˡ⁺²⁾ + W_s a⁽ˡ⁾) with a
1×1 projection when the shape changes — so a block can learn the identity when the extra
layers do not help.
"""
from __future__ import annotations

from typing import Sequence

from .. import nn


class ResNet(nn.Module):
    """stem → stages of ``ResidualBlock``s (the first of each stage but the first halves the
    side and changes the width) → global average pool → fc."""

    def __init__(self, stem: nn.Module, stem_channels: int, widths: Sequence[int],
                 blocks_per_stage: Sequence[int], num_classes: int) -> None:
        super().__init__()
        if len(widths) != len(blocks_per_stage):
            raise ValueError(
                f"ResNet: got {len(widths)} stage widths but {len(blocks_per_stage)} block counts"
            )
        self.stem = stem
        channels = stem_channels
        for i, (width, blocks) in enumerate(zip(widths, blocks_per_stage)):
            stage = nn.Sequential()
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                stage.append(nn.ResidualBlock(channels, width, stride=stride))
                channels = width
            setattr(self, f"layer{i + 1}", stage)
        self.num_stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.flatten(self.avgpool(x)))


def resnet18(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-18 as in torchvision: 7×7/2 conv (64, no bias) + BN + ReLU + 3×3/2 max pool,
    four stages of two basic blocks (64, 128, 256, 512), global average pool, fc.
    11,689,512 parameters with 3 input channels and 1000 classes."""
    stem = nn.Sequential(
        nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64),
        nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1),
    )
    return ResNet(stem, 64, (64, 128, 256, 512), (2, 2, 2, 2), num_classes)


def resnet_small(num_classes: int = 10, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64),
                 blocks_per_stage: int = 1) -> ResNet:
    """A small ResNet for 28×28 images: 3×3 conv stem (no down-sampling), then one stage per
    width — 28×28×16 → 14×14×32 → 7×7×64 by default — global average pool, fc."""
    stem = nn.Sequential(
        nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]),
        nn.ReLU(),
    )
    return ResNet(stem, widths[0], widths, [blocks_per_stage] * len(widths), num_classes)
