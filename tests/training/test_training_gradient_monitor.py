"""GradientMonitor: warns by layer name on vanishing / exploding gradients, silent on a healthy MLP."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.models import mlp
from glassbox.nn import init
from glassbox.optim import SGD, Adam
from glassbox.training import GradientMonitor, GradientWarning, TrainingDivergedError, fit


def digits_like(n=320, seed=0):
    """Synthetic 28×28 'images' with 10 learnable classes (a class-dependent mean image + noise)."""
    rng = np.random.default_rng(seed)
    means = rng.random((10, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    x = np.clip(means[y] * 0.8 + rng.normal(0, 0.2, (n, 784)), 0, 1).astype(np.float32)
    return x.reshape(n, 1, 28, 28), y


def train(model, opt, data, epochs=1, **monitor_kw):
    mon = GradientMonitor(**monitor_kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit(model, nn.CrossEntropyLoss(), opt, data, epochs=epochs, batch_size=32,
                callbacks=[mon], verbose=0, seed=0)
        except TrainingDivergedError:
            pass
    messages = [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]
    return mon, messages


def test_vanishing_in_first_layers_of_badly_initialized_deep_sigmoid_net():
    gb.manual_seed(0)
    layers: list[nn.Module] = [nn.Flatten()]
    widths = [784] + [32] * 9
    for a, b in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(a, b)
        init.normal_(lin.weight, 0.0, 0.01)   # far too small for 9 sigmoid layers
        layers += [lin, nn.Sigmoid()]
    layers.append(nn.Linear(32, 10))
    model = nn.Sequential(*layers)
    mon, messages = train(model, SGD(model.parameters(), 0.1), digits_like(), every=1)
    vanishing = [w["layer"] for w in mon.warnings if w["kind"] == "vanishing"]
    assert vanishing and vanishing[0].startswith("1 (Linear")        # the first layer, by name
    assert "1 (Linear, weight 32×784)" in vanishing
    assert "19 (Linear, weight 10×32, output layer)" not in vanishing
    assert not [w for w in mon.warnings if w["kind"] == "exploding"]
    assert len(messages) == len(mon.warnings)
    assert any("vanishing gradient in layer 1 (Linear" in m and "initialization" in m for m in messages)
    norms = mon.norms["1 (Linear, weight 32×784)"]
    assert max(norms) < 1e-6 * max(mon.norms["19 (Linear, weight 10×32, output layer)"])
    assert sum(mon.trainer.history.history["gradient_warnings"]) == len(mon.warnings)


def test_exploding_with_a_far_too_large_learning_rate():
    gb.manual_seed(0)
    model = mlp()
    mon, messages = train(model, SGD(model.parameters(), 3.0), digits_like(), every=1)
    exploding = {w["layer"] for w in mon.warnings if w["kind"] == "exploding"}
    assert "5 (Linear, weight 10×128, output layer)" in exploding
    assert any(m.startswith("GradientMonitor (step") and "exploding" in m and "model[5].parameters()" in m
               and "'lr': 0.1" in m for m in messages)


def _real_mnist(n=None):
    root = os.environ.get("GLASSBOX_DATA")
    if not root or not (Path(root) / "mnist-5k").is_dir():
        pytest.skip("real MNIST data not found: set GLASSBOX_DATA to the folder holding mnist-5k/ "
                    "and fashion-mnist/")
    from glassbox.data import load_mnist

    (x, y), _ = load_mnist(root, download=False, progress=False)
    return (x[:n], y[:n]) if n else (x, y)


@pytest.mark.parametrize("make_opt", [lambda p: Adam(p, 1e-3), lambda p: SGD(p, 0.1)],
                         ids=["adam-1e-3", "sgd-0.1"])
def test_silent_on_the_default_mlp_on_mnist(make_opt):
    gb.manual_seed(0)
    model = mlp()
    mon, messages = train(model, make_opt(model.parameters()), _real_mnist(), every=1)
    assert messages == [] and mon.warnings == []
    assert len(mon.steps) == 157                                # every step of the epoch was checked
    ratios = np.concatenate([np.asarray(r) for r in mon.update_ratios.values()])
    assert 1e-4 < np.median(ratios) < 0.05                      # near the classic ≈1e-3 … 1e-2
    assert mon.trainer.history.history["gradient_warnings"] == [0]


def test_norms_are_per_layer_l2_and_every_n_steps():
    x, y = digits_like(96)
    gb.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 10))

    class Grabber(gb.training.Callback):
        def __init__(self):
            self.norms = []

        def on_after_backward(self, batch, logs):
            ps = list(self.model.parameters())
            self.norms.append([np.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in ps[i:i + 2]))
                               for i in (0, 2)])

    grab = Grabber()
    mon = GradientMonitor(every=2, first_steps=0)
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), (x, y), epochs=2, batch_size=32,
        callbacks=[grab, mon], verbose=0)
    assert mon.steps == [0, 2, 4]
    got = np.array([mon.norms["1 (Linear, weight 8×784)"], mon.norms["3 (Linear, weight 10×8, output layer)"]]).T
    np.testing.assert_allclose(got, np.array(grab.norms)[[0, 2, 4]], rtol=1e-5)
    assert set(mon.param_norms) == {"1.weight", "1.bias", "3.weight", "3.bias"}
    assert all(len(v) == 3 for v in mon.update_ratios.values())
    with pytest.raises(ValueError, match="GradientMonitor: every"):
        GradientMonitor(every=0)


def test_plot_gradient_norms_from_monitor(tmp_path):
    pytest.importorskip("matplotlib")
    from glassbox.plots import plot_gradient_norms

    x, y = digits_like(64)
    model = mlp(hidden=(16,))
    mon = GradientMonitor(every=1)
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), (x, y), epochs=1, batch_size=32,
        callbacks=[mon], verbose=0)
    out = plot_gradient_norms(mon.norms, tmp_path / "g.png", steps=mon.steps)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _blobs(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def test_default_interval_sees_an_explosion_in_the_first_steps_and_no_vanishing_after():
    """SGD lr 10 on a small ReLU MLP explodes at step 3 (loss 3000× its start), then its
    ReLUs die (gradients 0). The default monitor must report the explosion within the
    first steps and must not call the dead layers 'vanishing' later."""
    from glassbox.training import DivergenceDetector

    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    mon = GradientMonitor(warn=False)  # the default interval
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 10.0), _blobs(), epochs=3,
            verbose=0, callbacks=[mon, DivergenceDetector(action="warn")])
    kinds = [(w["step"], w["kind"]) for w in mon.warnings]
    assert kinds and kinds[0][1] == "exploding" and kinds[0][0] < 10, kinds
    assert not [k for k in kinds if k[1] == "vanishing"], kinds
    assert mon.steps[:20] == list(range(20)) and mon.steps[20:22] == [20, 30]
