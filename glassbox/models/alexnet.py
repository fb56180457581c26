"""AlexNet (Krizhevsky et al., 2012) in torchvision's single-GPU layout."""
from __future__ import annotations

from .. import nn


class AlexNet(nn.Module):
    """Five convs (11×11/4, 5×5, 3×3 ×3) with ReLU and 3×3/2 max pooling, then three
    fully connected layers with dropout:

        224×224×3 ─conv 11×11/4, 64, pad 2→ 55×55×64 ─pool→ 27×27×64
                  ─conv 5×5, 192, pad 2→ 27×27×192 ─pool→ 13×13×192
                  ─conv 3×3, 384 → conv 3×3, 256 → conv 3×3, 256 (same) ─pool→ 6×6×256
                  ─adaptive avg-pool 6×6→ 9,216 ─fc→ 4,096 ─fc→ 4,096 ─fc→ num_classes

    61,100,840 parameters with 1000 classes (the same count as torchvision's ``alexnet``).
    The paper's local response normalisation is left out, as torchvision does.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def alexnet(num_classes: int = 1000, dropout: float = 0.5) -> AlexNet:
    """Builds :class:`AlexNet` (untrained)."""
    return AlexNet(num_classes, dropout)
