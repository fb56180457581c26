"""The initialization lesson's findings: zeros stay symmetric, small/large scales collapse or
explode the activations, He/Xavier keep them steady and train."""
from __future__ import annotations

import numpy as np

from glassbox.lessons import initialization as lesson


def test_initialization_findings(tmp_path):
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    # He keeps the ReLU activations' spread within a factor ~3 over 10 layers...
    assert v["he_relu_std_ratio"] < 3
    assert v["xavier_tanh_std_ratio"] < 5
    # ...while N(0, 0.01²) shrinks it by orders of magnitude and N(0, 1) blows it up
    relu_small = v["stds"]["relu/N(0, 0.01²)"]
    assert relu_small[-1] < 1e-6 * relu_small[0]
    assert v["small_tanh_last_std"] < 1e-6
    relu_large = v["stds"]["relu/N(0, 1)"]
    assert relu_large[-1] > 1e4 * relu_large[0]
    assert v["large_tanh_saturated"] > 0.5
    # zeros: the hidden units never become different, and nothing is learned
    assert v["zeros_unit_spread"] == 0.0
    acc = v["train_accuracy"]
    assert acc["relu/zeros"] < 0.4 and acc["tanh/zeros"] < 0.4
    # the right scale trains; the wrong ones do not
    assert acc["relu/He"] > 0.9 and acc["tanh/Xavier"] > 0.9
    assert acc["relu/N(0, 0.01²)"] < 0.4 and acc["relu/N(0, 1)"] < 0.5
    assert v["final_loss"]["relu/He"] < v["final_loss"]["relu/Xavier"]
    # the zero-init rows' max/min std is 0/0: reported as undefined, not as a number
    zero_rows = [r for r in result.rows if r[1] == "zeros"]
    assert len(zero_rows) == 2 and all(r[5] == "undefined (all zero)" for r in zero_rows)
    assert len(result.rows) == 10 and len(result.figures) == 2
    assert all(p.exists() for p in result.figures)


def test_unit_spread_detects_broken_symmetry():
    net = lesson.deep_net([4, 5, 5, 3], "tanh", "zeros")
    assert lesson.unit_spread(net) == 0.0
    net[0].weight.data[2, 1] = 0.5
    assert np.isclose(lesson.unit_spread(net), 0.5)


def test_std_ratio_handles_zero_stds():
    assert lesson._std_ratio([0.0, 0.0, 0.0]) == "undefined (all zero)"
    assert lesson._std_ratio([1.0, 0.0]) == float("inf")
    assert np.isclose(lesson._std_ratio([0.5, 2.0, 1.0]), 4.0)
