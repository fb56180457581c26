"""The optimizers lesson's findings: Adam beats plain SGD on the narrow valley; momentum's forms."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.lessons import optimizers as lesson
from glassbox.optim import SGD, Adam


@pytest.fixture(scope="module")
def values(tmp_path_factory):
    result = lesson.run(quick=True, out=tmp_path_factory.mktemp("optimizers"))
    assert all(p.exists() for p in result.figures)
    return result.values


def test_adam_reaches_the_quadratic_minimum_in_fewer_steps_than_sgd(values):
    steps = values["steps_quadratic"]
    assert values["sgd_lr_quadratic"] < 2 / 100  # SGD at (nearly) its largest stable rate
    assert steps["SGD"] is not None and steps["Adam"] is not None
    assert steps["Adam"] < steps["SGD"]
    assert steps["Momentum (EMA)"] < steps["SGD"] and steps["Nesterov"] < steps["SGD"]
    # above 2/λ_max plain SGD blows up, while momentum at that rate converges
    assert values["sgd_at_0.05_diverges"]
    assert steps["Momentum (EMA)"] is not None


def test_momentum_forms(values):
    # Momentum(lr=a, β) ≡ SGD(lr=a(1−β), momentum=β), step for step
    assert values["ema_vs_velocity_max_diff"] < 1e-12
    assert values["steps_quadratic"]["Momentum (EMA)"] == values["steps_quadratic"]["SGD momentum"]
    # on a steady gradient both warm up as 1 − β^t
    assert values["velocity_first_step_ratio"] == pytest.approx(1 - 0.9, rel=1e-9)
    assert values["ema_first_step_ratio"] == pytest.approx(1 - 0.9, rel=1e-9)
    assert values["velocity_step_ratio_at_50"] == pytest.approx(1 - 0.9 ** 50, rel=1e-9)
    assert values["velocity_step_ratio_at_50"] > 0.99


def test_rosenbrock_race_reaches_the_minimum(values):
    steps = values["steps_rosenbrock"]
    assert steps["Momentum (EMA)"] is not None and steps["SGD"] is not None
    assert steps["Momentum (EMA)"] < steps["SGD"]


def test_steps_to_converge_needs_the_loss_to_stay_low():
    assert lesson.steps_to_converge(np.array([5, 1e-5, 1, 1e-5, 1e-6]), 4) == 3
    assert lesson.steps_to_converge(np.array([5, 1e-5, 1]), 2) is None
    assert lesson.steps_to_converge(np.array([5, np.inf]), 1) is None


def test_descend_follows_the_gradient_formula():
    path, vals = lesson.descend(lambda p: SGD(p, lr=0.01), lesson.quadratic, (2.0, 1.0), 3)
    x, y = 2.0, 1.0
    for k in range(1, 4):
        x, y = x - 0.01 * x, y - 0.01 * 100 * y
        assert np.allclose(path[k], [x, y])
    assert vals[-1] == pytest.approx(0.5 * (x * x + 100 * y * y))
    _, adam_vals = lesson.descend(lambda p: Adam(p, lr=0.1), lesson.rosenbrock, (-1.5, 2.0), 10)
    assert np.all(np.isfinite(adam_vals))
