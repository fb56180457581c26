"""``MaxNorm``: the max-norm weight constraint as a callback (applied after every step)."""
from __future__ import annotations

from typing import Any

from ..nn.regularization import Include, apply_max_norm
from .callbacks import Callback


class MaxNorm(Callback):
    """After each ``optimizer.step()``, rescale every unit's incoming weights to norm ≤ ``max_value``
    (``nn.regularization.apply_max_norm``; weights only by default). ``clipped`` counts the
    rows rescaled so far."""

    def __init__(self, max_value: float, include: Include = None) -> None:
        if not (isinstance(max_value, (int, float)) and max_value > 0):
            raise ValueError(f"MaxNorm: max_value must be a positive number, got {max_value!r}")
        self.max_value, self.include = float(max_value), include
        self.clipped = 0

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        self.clipped += apply_max_norm(self.model, self.max_value, self.include)
