"""Learning-rate schedules: each lr sequence against its formula computed by hand."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import (
    SGD, Adam, ConstantLR, CosineAnnealingLR, ExponentialLR, InverseTimeDecay, LambdaLR, LinearLR,
    LinearWarmup, MultiStepLR, ReduceLROnPlateau, SequentialLR, StepLR,
)


def make_opt(lrs=(0.1,)):
    groups = [{"params": [gb.Tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


def run(sched, n):
    """[lr of every group at t = 0, 1, ..., n−1] (one step between entries)."""
    out = [[g["lr"] for g in sched.optimizer.param_groups]]
    for _ in range(n - 1):
        sched.step()
        out.append([g["lr"] for g in sched.optimizer.param_groups])
    return np.array(out)


def test_step_lr():
    s = StepLR(make_opt(), step_size=3, gamma=0.5)
    expected = [0.1 * 0.5 ** (t // 3) for t in range(10)]
    np.testing.assert_allclose(run(s, 10)[:, 0], expected, rtol=1e-12)
    assert s.get_last_lr() == [pytest.approx(0.1 * 0.5 ** 3)]


def test_multistep_lr():
    s = MultiStepLR(make_opt(), milestones=[2, 5], gamma=0.1)
    np.testing.assert_allclose(run(s, 7)[:, 0], [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)


def test_exponential_lr():
    s = ExponentialLR(make_opt(), gamma=0.9)
    np.testing.assert_allclose(run(s, 6)[:, 0], [0.1 * 0.9 ** t for t in range(6)], rtol=1e-12)


def test_inverse_time_decay_is_the_course_formula():
    # α = α₀ / (1 + decay_rate · epoch_num): α₀ = 0.2, decay 1 → 0.2, 0.1, 0.0667, 0.05
    s = InverseTimeDecay(make_opt((0.2,)), decay_rate=1.0)
    np.testing.assert_allclose(run(s, 4)[:, 0], [0.2, 0.1, 0.2 / 3, 0.05], rtol=1e-12)
    st = InverseTimeDecay(make_opt((0.2,)), decay_rate=0.5, decay_steps=2, staircase=True)
    np.testing.assert_allclose(run(st, 5)[:, 0], [0.2, 0.2, 0.2 / 1.5, 0.2 / 1.5, 0.1], rtol=1e-12)


def test_cosine_annealing_is_pytorchs_closed_form():
    s = CosineAnnealingLR(make_opt(), T_max=4, eta_min=0.01)
    expected = [0.01 + 0.09 * 0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(9)]
    got = run(s, 9)[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # down to η_min at T_max, back up to η₀ at 2·T_max, as in PyTorch
    assert got[0] == pytest.approx(0.1) and got[4] == pytest.approx(0.01) and got[8] == pytest.approx(0.1)


def test_constant_lambda_linear():
    np.testing.assert_allclose(run(ConstantLR(make_opt()), 7)[:, 0], [0.1 / 3] * 5 + [0.1] * 2)
    np.testing.assert_allclose(run(ConstantLR(make_opt(), 1.0, 0), 4)[:, 0], [0.1] * 4)
    np.testing.assert_allclose(run(ConstantLR(make_opt(), factor=0.5, total_iters=2), 4)[:, 0],
                               [0.05, 0.05, 0.1, 0.1])
    np.testing.assert_allclose(run(LambdaLR(make_opt(), lambda t: 1 / (t + 1)), 4)[:, 0],
                               [0.1, 0.05, 0.1 / 3, 0.025], rtol=1e-12)
    np.testing.assert_allclose(run(LinearLR(make_opt(), 0.25, 1.0, 3), 5)[:, 0],
                               [0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-12)


def test_per_group_base_rates_scale_separately():
    s = StepLR(make_opt((0.1, 1.0)), step_size=1, gamma=0.5)
    got = run(s, 4)
    np.testing.assert_allclose(got[:, 0], [0.1, 0.05, 0.025, 0.0125])
    np.testing.assert_allclose(got[:, 1], [1.0, 0.5, 0.25, 0.125])
    lam = LambdaLR(make_opt((0.1, 1.0)), [lambda t: 1.0, lambda t: 0.5 ** t])
    np.testing.assert_allclose(run(lam, 3), [[0.1, 1.0], [0.1, 0.5], [0.1, 0.25]])


def test_warmup_then_cosine():
    opt = make_opt((0.1, 0.01))
    after = CosineAnnealingLR(opt, T_max=4)
    s = LinearWarmup(opt, 2, after=after, start_factor=0.5)
    got = run(s, 8)
    cos = [0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(6)]
    expected = np.array([0.5, 0.75] + cos)
    np.testing.assert_allclose(got[:, 0], 0.1 * expected, rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], 0.01 * expected, rtol=1e-12)
    # plain warm-up, then constant; and SequentialLR built in the natural order
    np.testing.assert_allclose(run(LinearWarmup(make_opt(), 4, start_factor=0.25), 6)[:, 0],
                               [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1], rtol=1e-12)
    opt = make_opt()
    seq = SequentialLR(opt, [LinearLR(opt, 0.5, 1.0, 2), ExponentialLR(opt, 0.5)], milestones=[2])
    np.testing.assert_allclose(run(seq, 5)[:, 0], [0.05, 0.075, 0.1, 0.05, 0.025], rtol=1e-12)


def test_plateau_patience_threshold_cooldown():
    def lrs_for(metrics, **kw):
        opt = make_opt((0.1, 1.0))
        s = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, min_delta=0.01,
                              min_lr=[0.0, 0.3], **kw)
        reduced = [s.step(m) for m in metrics]
        return reduced, s
    # 0.995 and 0.999 do not beat 1.0 by more than 0.01: bad epochs 1, 2, 3; the third
    # (> patience 2) halves the rates; then the count restarts.
    flat = [1.0, 0.995, 0.999, 0.998, 1.0, 1.0, 1.0, 1.0, 1.0]
    reduced, s = lrs_for(flat)
    assert [i for i, r in enumerate(reduced) if r] == [3, 6]
    # cooldown 1: the epoch right after a reduction does not count → next reduction one later
    reduced, s = lrs_for(flat, cooldown=1)
    assert [i for i, r in enumerate(reduced) if r] == [3, 7]
    assert s.get_last_lr() == [pytest.approx(0.025), pytest.approx(0.3)]  # min_lr floors group 1
    # an improvement resets the count
    reduced, s = lrs_for([1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0])
    assert [i for i, r in enumerate(reduced) if r] == [6]
    assert s.best == 0.5


def test_plateau_max_mode_relative_threshold():
    opt = make_opt()
    s = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1)
    assert not s.step(0.5)
    assert s.step(0.54)          # needs > 0.5·1.1 = 0.55
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    assert not s.step(0.61)      # > 0.55: better
    with pytest.raises(ValueError, match="NaN"):
        s.step(float("nan"))


def test_state_dict_round_trip_through_json():
    opt = make_opt((0.1, 0.2))
    s = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        s.step()
    state = json.loads(json.dumps(s.state_dict()))
    opt2 = make_opt((0.1, 0.2))
    s2 = StepLR(opt2, step_size=2, gamma=0.5)
    s2.load_state_dict(state)
    s.step(), s2.step()
    assert s2.get_last_lr() == s.get_last_lr() and s2.last_epoch == 4
    p = ReduceLROnPlateau(make_opt(), patience=1)
    p.step(1.0), p.step(2.0)
    p2 = ReduceLROnPlateau(make_opt(), patience=1)
    p2.load_state_dict(json.loads(json.dumps(p.state_dict())))
    assert p2.best == 1.0 and p2.num_bad_epochs == 1
    with pytest.raises(ValueError, match="unknown"):
        s2.load_state_dict({"bogus": 1})


def test_bad_arguments_name_the_scheduler():
    with pytest.raises(ValueError, match="StepLR: .*`step_size`.*step_size=0"):
        StepLR(make_opt(), step_size=0)
    with pytest.raises(ValueError, match="ExponentialLR: .*`gamma`.*gamma=-1"):
        ExponentialLR(make_opt(), gamma=-1)
    with pytest.raises(TypeError, match="CosineAnnealingLR.*param_groups"):
        CosineAnnealingLR(object(), T_max=3)
    with pytest.raises(ValueError, match="MultiStepLR: milestones must be increasing"):
        MultiStepLR(make_opt(), [5, 2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau: .*`mode`.*mode='up'"):
        ReduceLROnPlateau(make_opt(), mode="up")
    with pytest.raises(ValueError, match="ReduceLROnPlateau: .*`factor`.*factor=1.0"):
        ReduceLROnPlateau(make_opt(), factor=1.0)


def test_scheduler_drives_adam_lr():
    p = gb.Tensor(np.zeros(1), requires_grad=True, dtype=np.float64)
    opt = Adam([p], lr=0.1)
    s = StepLR(opt, 1, 0.5)
    for _ in range(2):
        s.step()
    p.grad = gb.Tensor(np.ones(1), dtype=np.float64)
    opt.step()
    assert p.data[0] == pytest.approx(-0.025, rel=1e-6)  # Adam's first step moves by ≈ lr


# ------------------------------------------------------- initial_lr, as in PyTorch
def test_first_scheduler_stores_initial_lr_in_each_group():
    opt = make_opt((0.1, 0.2))
    StepLR(opt, step_size=1, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    s2 = ExponentialLR(opt, gamma=0.9)  # built after: still reads η₀ = initial_lr
    assert s2.base_lrs == [0.1, 0.2]
    assert "initial_lr" in opt.state_dict()["param_groups"][0]


@pytest.mark.parametrize("order", ["warm first", "decay first"])
def test_sequential_lr_does_not_depend_on_construction_order(order):
    opt = make_opt((0.1, 0.01))
    if order == "warm first":
        warm = LinearLR(opt, 0.5, 1.0, 2)
        decay = ExponentialLR(opt, 0.5)
    else:
        decay = ExponentialLR(opt, 0.5)
        decay.step(), decay.step()  # even after it has moved the rates
        warm = LinearLR(opt, 0.5, 1.0, 2)
    got = run(SequentialLR(opt, [warm, decay], milestones=[2]), 5)
    expected = np.array([0.5, 0.75, 1.0, 0.5, 0.25])
    np.testing.assert_allclose(got[:, 0], 0.1 * expected, rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], 0.01 * expected, rtol=1e-12)


def test_linear_warmup_after_built_before_or_after_the_lr_changed():
    for steps_before in (0, 3):
        opt = make_opt()
        after = StepLR(opt, step_size=1, gamma=0.5)
        for _ in range(steps_before):
            after.step()
        got = run(LinearWarmup(opt, 2, after=after, start_factor=0.5), 5)[:, 0]
        np.testing.assert_allclose(got, [0.05, 0.075, 0.1, 0.05, 0.025], rtol=1e-12)


def test_resume_with_last_epoch_needs_initial_lr():
    with pytest.raises(ValueError, match=r"StepLR: param 'initial_lr' is not specified in "
                                         r"param_groups\[0\]"):
        StepLR(make_opt(), step_size=2, last_epoch=3)
    opt = make_opt()
    s = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        s.step()
    resumed_opt = make_opt()
    resumed_opt.load_state_dict(opt.state_dict())  # carries initial_lr
    r = StepLR(resumed_opt, step_size=2, gamma=0.5, last_epoch=3)
    s.step()
    assert r.last_epoch == s.last_epoch == 4
    assert r.get_last_lr() == s.get_last_lr() == [pytest.approx(0.025)]


def test_one_state_dict_implementation_for_every_scheduler():
    from glassbox.optim.lr_scheduler import LRScheduler
    assert issubclass(ReduceLROnPlateau, LRScheduler)
    for cls in (StepLR, ReduceLROnPlateau, SequentialLR):
        assert "state_dict" not in cls.__dict__ or cls is SequentialLR
    opt = make_opt()
    seq = SequentialLR(opt, [LinearLR(opt, 0.5, 1.0, 2), ExponentialLR(opt, 0.5)], milestones=[2])
    for _ in range(3):
        seq.step()
    state = json.loads(json.dumps(seq.state_dict()))
    opt2 = make_opt()
    seq2 = SequentialLR(opt2, [LinearLR(opt2, 0.5, 1.0, 2), ExponentialLR(opt2, 0.5)], milestones=[2])
    seq2.load_state_dict(state)
    seq.step(), seq2.step()
    assert seq2.get_last_lr() == seq.get_last_lr() and seq2.last_epoch == 4


def test_plateau_cannot_be_sequenced():
    opt = make_opt()
    with pytest.raises(TypeError, match="ReduceLROnPlateau cannot be sequenced"):
        SequentialLR(opt, [StepLR(opt, 1), ReduceLROnPlateau(opt)], milestones=[2])
