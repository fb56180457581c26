"""Residual networks: ResNet-18 and ResNet-50 (He et al., 2015) and a small one for 28×28 images.

Each residual block computes a⁽ˡ⁺²⁾ = g(z⁽ˡ⁺²⁾ + a⁽ˡ⁾) — or g(z⁽ˡ⁺²⁾ + W_s a⁽ˡ⁾) with a
1×1 projection when the shape changes — so a block can learn the identity when the extra
layers do not help. Attribute names (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ``fc``) are torchvision's, so state_dict keys match
``torchvision.models.resnet18/resnet50`` one for one.
"""
from __future__ import annotations

from typing import Sequence, Type

from .. import nn

Block = Type[nn.Module]


class ResNet(nn.Module):
    """conv1 → bn1 → relu → maxpool → stages ``layer1``… of residual blocks (the first of each
    stage but the first halves the side; stage i has width ``widths[i]``·block.expansion
    channels) → global average pool → fc.

    Args:
        block: ``nn.BasicBlock`` (ResNet-18/34) or ``nn.Bottleneck`` (ResNet-50/101/152).
        layers: blocks per stage, e.g. (2, 2, 2, 2) for ResNet-18, (3, 4, 6, 3) for ResNet-50.
        num_classes, in_channels: of the classifier and of the input.
        widths: the stages' base widths (torchvision: 64, 128, 256, 512).
        stem: "imagenet" (7×7/2 conv + 3×3/2 max pool, for 224×224) or "small" (3×3 conv, no
            down-sampling, for 28×28 or 32×32 images; ``maxpool`` is the identity).
    """

    def __init__(self, block: Block, layers: Sequence[int], num_classes: int = 1000,
                 in_channels: int = 3, widths: Sequence[int] = (64, 128, 256, 512),
                 stem: str = "imagenet") -> None:
        super().__init__()
        if len(widths) != len(layers):
            raise ValueError(f"ResNet: got {len(widths)} stage widths but {len(layers)} block counts")
        if stem not in ("imagenet", "small"):
            raise ValueError(f"ResNet: stem must be 'imagenet' or 'small', got {stem!r}")
        channels = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, channels, 7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1) if stem == "imagenet" else nn.Identity()
        for i, (width, blocks) in enumerate(zip(widths, layers)):
            stage = nn.Sequential()
            for j in range(blocks):
                stage.append(block(channels, width, stride=2 if (i > 0 and j == 0) else 1))
                channels = width * block.expansion
            setattr(self, f"layer{i + 1}", stage)
        self.num_stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.maxpool(nn.fusion.conv_bn(self.conv1, self.bn1, x, self.relu))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.flatten(self.avgpool(x)))


def resnet18(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-18 as in torchvision: 7×7/2 conv (64, no bias) + BN + ReLU + 3×3/2 max pool,
    four stages of two basic blocks (64, 128, 256, 512), global average pool, fc.
    11,689,512 parameters with 3 input channels and 1000 classes."""
    return ResNet(nn.BasicBlock, (2, 2, 2, 2), num_classes, in_channels)


def resnet50(num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-50 as in torchvision (v1.5: the stride in the bottleneck's 3×3 conv): the
    ResNet-18 stem, then 3, 4, 6, 3 bottleneck blocks of widths 64, 128, 256, 512 (outputs
    256, 512, 1024, 2048 channels), global average pool, fc.
    25,557,032 parameters with 3 input channels and 1000 classes."""
    return ResNet(nn.Bottleneck, (3, 4, 6, 3), num_classes, in_channels)


def resnet_small(num_classes: int = 10, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64),
                 blocks_per_stage: int = 1) -> ResNet:
    """A small ResNet for 28×28 images: 3×3 conv stem (no down-sampling), then one stage per
    width — 28×28×16 → 14×14×32 → 7×7×64 by default — global average pool, fc."""
    return ResNet(nn.BasicBlock, [blocks_per_stage] * len(widths), num_classes, in_channels,
                  widths, stem="small")
