"""The activations lesson's findings: σ' ≤ 1/4 makes deep sigmoid gradients vanish; ReLU trains."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox import nn
from glassbox.lessons import activations as lesson


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lesson.run(quick=True, out=tmp_path_factory.mktemp("activations"))


def test_derivative_peaks(result):
    slopes = result.values["max_derivative"]
    assert slopes["sigmoid"] == pytest.approx(0.25, abs=1e-4)
    assert slopes["tanh"] == pytest.approx(1.0, abs=1e-4)
    assert slopes["relu"] == 1.0 and slopes["leaky_relu"] == 1.0


def test_sigmoid_gradients_vanish_towards_the_input_relu_ones_do_not(result):
    v = result.values
    sig = np.array(v["grad_norms"]["sigmoid"])
    assert v["sigmoid_monotone"] and np.all(np.diff(sig) > 0)
    # σ' ≤ 1/4: about 4× less per layer; demand at least 4× every 2 layers (2× per layer)
    assert v["sigmoid_shrink_per_layer"] >= 2.0
    assert v["sigmoid_last_over_first"] > 4.0 ** 4
    assert v["relu_max_over_min"] < 10.0


def test_relu_trains_the_deep_net_sigmoid_does_not(result):
    acc, loss = result.values["accuracy"], result.values["final_loss"]
    assert acc["relu"] > acc["sigmoid"] + 0.3
    assert loss["relu"] < 0.5 * loss["sigmoid"]
    assert len(result.figures) == 3 and all(p.exists() for p in result.figures)


def test_derivative_by_autodiff_matches_the_formulas():
    z = np.linspace(-4, 4, 81, dtype=np.float32) + 0.013  # keep off ReLU's kink at 0
    a, d = lesson.derivative(nn.Sigmoid, z)
    assert np.allclose(d, a * (1 - a), atol=1e-6)
    a, d = lesson.derivative(nn.Tanh, z)
    assert np.allclose(d, 1 - a * a, atol=1e-6)
    _, d = lesson.derivative(nn.LeakyReLU, z)
    assert np.allclose(d, np.where(z > 0, 1.0, 0.01))
