"""OneCycleLR with PyTorch's semantics: rates and momenta against the closed form worked out
by hand, both anneal strategies, three phases, Adam's β₁, several groups, errors."""
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import optim
from glassbox.optim.lr_scheduler import OneCycleLR


def params():
    return [gb.Tensor(np.zeros(2), requires_grad=True)]


def run(scheduler, optimizer, steps, key="lr"):
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0][key])
        scheduler.step()
    return seen


def test_two_phase_cosine_rates_and_momenta_by_hand():
    opt = optim.SGD(params(), lr=0.123, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lo, top, end = 1.0 / 25, 1.0, 1.0 / 25 / 1e4
    cos = lambda a, b, p: b + (a - b) / 2 * (math.cos(math.pi * p) + 1)  # noqa: E731
    # phase 1 ends at 0.3·10 − 1 = 2, phase 2 at 9
    want = [cos(lo, top, t / 2) for t in range(3)] + [cos(top, end, (t - 2) / 7) for t in range(3, 10)]
    got = run(sched, opt, 10)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got[:3], [0.04, 0.52, 1.0], rtol=1e-12)
    assert got[-1] == pytest.approx(4e-6) and opt.param_groups[0]["initial_lr"] == pytest.approx(0.04)
    opt = optim.SGD(params(), lr=0.1, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    momenta = run(sched, opt, 10, key="momentum")
    np.testing.assert_allclose(momenta[:3], [0.95, 0.9, 0.85], rtol=1e-12)
    assert momenta[9] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 11 times; the schedule has total_steps=10"):
        sched.step()


def test_linear_three_phase_and_adam_beta1():
    opt = optim.Adam(params(), lr=1.0, betas=(0.9, 0.99))
    sched = OneCycleLR(opt, max_lr=2.0, epochs=2, steps_per_epoch=5, anneal_strategy="linear",
                       three_phase=True, div_factor=10, final_div_factor=100)
    got = run(sched, opt, 10)
    # phases end at 2, 4 (= 2·0.3·10 − 2) and 9: 0.2 → 2 → 0.2 → 0.002, linearly
    want = [0.2, 1.1, 2.0, 1.1, 0.2] + [0.2 + (0.002 - 0.2) * (t - 4) / 5 for t in range(5, 10)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert opt.param_groups[0]["betas"][1] == 0.99
    betas = OneCycleLR(optim.Adam(params(), betas=(0.9, 0.99)), max_lr=1.0, total_steps=10)
    assert betas.optimizer.param_groups[0]["betas"] == (0.95, 0.99)


def test_groups_keep_their_own_max_lr_and_state_round_trip():
    p1, p2 = params(), params()
    opt = optim.SGD([{"params": p1}, {"params": p2}], lr=0.1, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=[1.0, 0.1], total_steps=20)
    for _ in range(6):
        sched.step()
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs[0] == pytest.approx(10 * lrs[1])
    again = OneCycleLR(optim.SGD([{"params": p1}, {"params": p2}], lr=0.1, momentum=0.9),
                       max_lr=[1.0, 0.1], total_steps=20)
    again.load_state_dict(sched.state_dict())
    sched.step()
    again.step()
    assert again.get_last_lr() == sched.get_last_lr()
    nomo = OneCycleLR(optim.SGD(params(), lr=0.1), max_lr=1.0, total_steps=5, cycle_momentum=False)
    assert nomo.optimizer.param_groups[0]["momentum"] == 0.0


def test_errors():
    opt = optim.SGD(params(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match=r"expected 1 values for max_lr .*got 2"):
        OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5)
    with pytest.raises(ValueError, match=r"OneCycleLR: .*`anneal_strategy`"):
        OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match=r"OneCycleLR: .*`pct_start`.*pct_start=1.5"):
        OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=1.5)
    with pytest.raises(ValueError, match="no momentum or beta1 to cycle"):
        OneCycleLR(optim.Adagrad(params()), max_lr=1.0, total_steps=5)
