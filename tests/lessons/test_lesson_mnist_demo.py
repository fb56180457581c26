"""The MNIST demo's findings: with one large lr the monitor warns about the output layer;
the output layer's own lr 0.1 removes the warning and trains well (quick subset: ≥ 85 %)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from glassbox.lessons import mnist_demo as lesson


def test_mnist_demo_findings(tmp_path):
    root = os.environ.get("GLASSBOX_DATA")
    if not root or not (Path(root) / "mnist-5k").is_dir():
        pytest.skip("real MNIST data not found: set GLASSBOX_DATA to the folder holding mnist-5k/")
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    # one learning rate for all layers: the warning names the output layer (and only it)
    assert v["same_lr_output_warning"]
    assert {layer for _, layer, _ in v["same_lr_warnings"]} == {"5 (Linear, weight 10×128, output layer)"}
    assert "model[5].parameters()" in v["same_lr_first_warning"]
    # the notes' fix: no warnings, much better training
    assert v["fixed_warnings"] == []
    assert v["fixed_final_accuracy"] >= 0.85
    assert v["fixed_final_accuracy"] > v["same_lr_final_accuracy"] + 0.1
    losses = v["fixed_losses"]
    assert all(b < a for a, b in zip(losses, losses[1:]))   # the printed loss falls every epoch
    assert len(result.rows) == lesson.EPOCHS
    assert all(p.exists() for p in result.figures)
