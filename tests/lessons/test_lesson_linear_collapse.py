"""The linear-collapse lesson's findings: no activation → one linear layer; ReLU bends."""
from __future__ import annotations

import numpy as np

from glassbox import nn
from glassbox.core.tensor import Tensor
from glassbox.lessons import linear_collapse as lesson
from glassbox.random import manual_seed


def test_deep_linear_net_collapses_and_cannot_fit_the_moons(tmp_path):
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    assert v["collapse_max_rel_diff"] <= 1e-5
    assert v["collapsed_weight_shape"] == (2, 2)
    # depth without activations buys nothing: within a few points of logistic regression
    assert abs(v["acc_deep_linear"] - v["acc_linear"]) <= 0.04
    assert v["acc_linear"] < 0.93  # no straight line separates the moons
    assert v["acc_relu"] > v["acc_linear"] + 0.08
    assert all(p.exists() for p in result.figures)


def test_collapse_formula_on_an_untrained_net():
    manual_seed(3)
    model = lesson.deep_net(None, layers=4, classes=3)
    W, b = lesson.collapse(model)
    x = np.random.default_rng(0).normal(size=(50, 2))
    out = model(Tensor(x, dtype=np.float64)).numpy()
    assert W.shape == (3, 2) and b.shape == (3,)
    assert np.abs(out - (x @ W.T + b)).max() < 1e-10
    # with an activation in between the same fold is wrong
    relu_model = lesson.deep_net(nn.ReLU, layers=4, classes=3)
    W, b = lesson.collapse(relu_model)
    relu_out = relu_model(Tensor(x, dtype=np.float64)).numpy()
    assert np.abs(relu_out - (x @ W.T + b)).max() > 1e-3
