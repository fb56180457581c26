"""VGG-16 (Simonyan & Zisserman, 2014): only 3×3 same convs and 2×2/2 max pools."""
from __future__ import annotations

from .. import nn

# Configuration "D": channel counts of the 13 convs, "M" = max-pool 2×2/2.
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                512, 512, 512, "M", 512, 512, 512, "M")


class VGG(nn.Module):
    """Conv stack from ``config`` → adaptive avg-pool 7×7 → fc 4,096 → fc 4,096 → fc classes.

    At 224×224 each pool halves the side (224 → 112 → 56 → 28 → 14 → 7), so the classifier
    sees 7×7×512 = 25,088 features.
    """

    def __init__(self, config=VGG16_CONFIG, num_classes: int = 1000, batch_norm: bool = False,
                 dropout: float = 0.5, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2, stride=2))
                continue
            layers.append(nn.Conv2d(channels, item, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(item))
            layers.append(nn.ReLU())
            channels = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def vgg16(num_classes: int = 1000, batch_norm: bool = False, dropout: float = 0.5) -> VGG:
    """VGG-16: 13 convs + 3 fc = 16 weight layers; 138,357,544 parameters with 1000 classes
    (138,365,992 with batch norm), matching torchvision's ``vgg16`` / ``vgg16_bn``."""
    return VGG(VGG16_CONFIG, num_classes, batch_norm, dropout)
