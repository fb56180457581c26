"""A small YOLO-style detector: a conv/BN/LeakyReLU/max-pool stack down to an S×S grid, then
a 1×1 convolution giving B·(5 + C) numbers per cell, reshaped to (N, S, S, B, 5 + C).

With the defaults (64×64 input, widths 16-32-64-128, three 2×2 pools, 101k parameters) the grid is 8×8 and
each cell is 8×8 pixels; the last 3×3 convolutions see ~54 pixels around a cell, enough
for a whole 28-pixel digit.
"""
from __future__ import annotations

from typing import Any, Sequence


from .. import nn
from ..core.tensor import Tensor
from .yolo import check_anchors

DEFAULT_ANCHORS = ((16 / 64, 6 / 64), (15 / 64, 13 / 64))  # (h, w): a tall one ("1"), a squarer one


class TinyYOLO(nn.Module):
    """Args:
        num_classes: C.  anchors: (B, 2) sizes (h, w) relative to the image.
        image_size: input side (square, 1 channel by default); must be divisible by 2**pools.
        widths: channels of the 3×3 conv blocks; each block but the last is followed by a
            2×2 max pool, so the grid is image_size / 2**(len(widths) − 1).
        negative_slope: of the LeakyReLU.
    """

    def __init__(self, num_classes: int = 10, anchors: Any = DEFAULT_ANCHORS,
                 image_size: int = 64, in_channels: int = 1,
                 widths: Sequence[int] = (16, 32, 64, 128), negative_slope: float = 0.1) -> None:
        super().__init__()
        self.anchors = check_anchors(anchors, "TinyYOLO")
        self.num_classes, self.image_size, self.in_channels = int(num_classes), int(image_size), int(in_channels)
        self.widths = tuple(int(w) for w in widths)
        pools = len(self.widths) - 1
        if not self.widths or image_size % (2 ** pools):
            raise ValueError(f"TinyYOLO: image_size {image_size} must be divisible by 2**{pools} "
                             f"(one 2×2 pool after each of the first {pools} conv blocks)")
        self.grid_size = image_size // 2 ** pools
        layers: list[nn.Module] = []
        prev = in_channels
        for k, w in enumerate(self.widths):
            layers += [nn.Conv2d(prev, w, 3, padding="same", bias=False), nn.BatchNorm2d(w),
                       nn.LeakyReLU(negative_slope)]
            if k < pools:
                layers.append(nn.MaxPool2d(2))
            prev = w
        self.features = nn.Sequential(*layers)
        b = len(self.anchors)
        self.head = nn.Conv2d(prev, b * (5 + self.num_classes), 1)
        # start with few confident cells: p_c = σ(−4) ≈ 0.02 (most cells hold no object)
        bias = self.head.bias.data.reshape(b, 5 + self.num_classes)
        bias[:, 0] = -4.0
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, self.image_size, self.image_size):
            raise ValueError(f"TinyYOLO: expected input (N, {self.in_channels}, {self.image_size}, "
                             f"{self.image_size}), got {tuple(x.shape)}")
        out = self.head(self.features(x))                               # (N, B·(5+C), S, S)
        n, s, b = x.shape[0], self.grid_size, len(self.anchors)
        return out.reshape(n, b, 5 + self.num_classes, s, s).permute(0, 3, 4, 1, 2)

    def config(self) -> dict[str, Any]:
        """How to rebuild this model (stored in checkpoints; see ``build_detector``)."""
        return {"name": "tiny-yolo", "kwargs": {
            "num_classes": self.num_classes, "anchors": self.anchors.tolist(),
            "image_size": self.image_size, "in_channels": self.in_channels,
            "widths": list(self.widths), "negative_slope": self.negative_slope}}


def build_detector(config: dict[str, Any]) -> TinyYOLO:
    """A ``TinyYOLO`` from ``config()`` output (e.g. a checkpoint's config)."""
    if not isinstance(config, dict) or config.get("name") != "tiny-yolo":
        raise ValueError(f"build_detector: expected a config with name 'tiny-yolo', got {config!r}")
    return TinyYOLO(**dict(config.get("kwargs") or {}))
