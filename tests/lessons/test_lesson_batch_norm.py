"""The batch-norm lesson's findings: BN trains at learning rates where the plain deep net
diverges or stalls, and reaches a lower loss in the same number of steps."""
from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from glassbox import nn
from glassbox.lessons import batch_norm as lesson


def test_deep_mlp_structure():
    plain, normed = lesson.deep_mlp(False), lesson.deep_mlp(True)
    assert sum(isinstance(m, nn.Linear) for m in plain) == lesson.DEPTH
    assert sum(isinstance(m, nn.BatchNorm1d) for m in normed) == lesson.DEPTH - 1
    assert not any(isinstance(m, nn.BatchNorm1d) for m in plain)


def test_batch_norm_findings(tmp_path):
    root = os.environ.get("GLASSBOX_DATA")
    if not root or not (Path(root) / "mnist-5k").is_dir():
        pytest.skip("real MNIST data not found: set GLASSBOX_DATA to the folder holding mnist-5k/")
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    assert v["largest_lr_bn"] > v["largest_lr_plain"] > 0
    assert v["lrs_only_bn_trains"]                       # some lr where only BN trains
    plain_at = v["final_loss_plain"][v["lrs_only_bn_trains"][-1]]
    assert plain_at >= lesson.TRAINS_BELOW or not math.isfinite(plain_at)
    assert v["best_loss_bn"] < 0.6 * v["best_loss_plain"]   # lower loss in the same steps
    assert all(p.exists() for p in result.figures)
