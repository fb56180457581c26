"""One set of hyperparameter rules: declared on each optimizer class, PyTorch's where PyTorch
has one, a warning where PyTorch accepts a value that almost surely breaks training."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassbox as gb
from glassbox.errors import CheckpointError, GlassboxTypeError, InvalidArgumentError
from glassbox.optim import (
    SGD, Adadelta, Adagrad, Adam, AdamW, Momentum, Optimizer, OptimizerWarning, RMSprop,
)

ALL = (SGD, Momentum, Adagrad, Adadelta, RMSprop, Adam, AdamW)


def _p():
    return [gb.Tensor(np.zeros(3), requires_grad=True, dtype=np.float64)]


def test_every_optimizer_declares_a_rule_for_each_hyperparameter():
    for cls in ALL:
        opt = cls(_p(), lr=0.1)
        assert set(opt.defaults) <= set(cls.rules), cls.__name__
    assert not hasattr(__import__("glassbox.optim.optimizer", fromlist=["x"]), "_VALIDATORS")


@pytest.mark.parametrize("cls", ALL)
def test_negative_lr_and_weight_decay_rejected_everywhere(cls):
    with pytest.raises(InvalidArgumentError, match=f"{cls.__name__}: .*`lr`.*lr=-0.1"):
        cls(_p(), lr=-0.1)
    with pytest.raises(InvalidArgumentError, match="weight_decay=-1"):
        cls(_p(), lr=0.1, weight_decay=-1)


def test_sgd_momentum_pytorch_rule_and_warning():
    with pytest.raises(InvalidArgumentError, match="SGD.*momentum=-0.1"):
        SGD(_p(), lr=0.1, momentum=-0.1)
    with pytest.warns(OptimizerWarning, match=r"SGD: momentum=1.5 ≥ 1.*grows without bound"):
        SGD(_p(), lr=0.1, momentum=1.5)
    with pytest.warns(OptimizerWarning, match="momentum=1.0"):
        SGD(_p(), lr=0.1, momentum=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD(_p(), lr=0.1, momentum=0.99)  # fine: no warning


def test_momentum_group_override_is_checked_by_the_same_rule():
    opt = SGD(_p(), lr=0.1)
    with pytest.warns(OptimizerWarning, match="momentum=2.0"):
        opt.add_param_group({"params": _p(), "momentum": 2.0})
    with pytest.raises(InvalidArgumentError, match="momentum=-1"):
        opt.add_param_group({"params": _p(), "momentum": -1})


def test_nesterov_must_be_a_bool_and_needs_momentum():
    with pytest.raises(GlassboxTypeError, match="nesterov=1"):
        SGD(_p(), lr=0.1, momentum=0.9, nesterov=1)
    with pytest.raises(InvalidArgumentError, match="Nesterov momentum needs momentum > 0"):
        SGD(_p(), lr=0.1, nesterov=True)


@pytest.mark.parametrize("betas", [(0.9, 1.0), (1.0, 0.999), (-0.1, 0.9), (0.9,), "ab", 0.9])
def test_adam_betas_in_half_open_unit_interval(betas):
    with pytest.raises(InvalidArgumentError, match=r"Adam: .*`betas`.*\[0, 1\)"):
        Adam(_p(), betas=betas)


@pytest.mark.parametrize("cls", [Adam, AdamW, RMSprop, Adadelta, Adagrad])
def test_eps_zero_warns_where_it_gives_nan(cls):
    with pytest.warns(OptimizerWarning, match=f"{cls.__name__}: eps=0 .*NaN"):
        cls(_p(), eps=0.0)
    with pytest.raises(InvalidArgumentError, match="eps=-1e-08"):
        cls(_p(), eps=-1e-8)


def test_adam_eps_zero_really_gives_nan_on_a_zero_gradient():
    """The warning is about a real failure: a zero gradient and ε = 0 give 0/0."""
    p = _p()[0]
    with pytest.warns(OptimizerWarning):
        opt = Adam([p], eps=0.0)
    p.grad = gb.Tensor(np.zeros(3), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        opt.step()
    assert np.isnan(p.data).all()


def test_adagrad_eps_zero_is_fine_with_a_positive_accumulator():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Adagrad(_p(), eps=0.0, initial_accumulator_value=0.1)


def test_rmsprop_alpha_rule_is_pytorchs_with_a_warning_above_one():
    with pytest.raises(InvalidArgumentError, match="alpha=-0.5"):
        RMSprop(_p(), alpha=-0.5)
    with pytest.warns(OptimizerWarning, match="alpha=1.5 > 1"):
        RMSprop(_p(), alpha=1.5)


def test_adadelta_rho_in_unit_interval():
    with pytest.raises(InvalidArgumentError, match=r"Adadelta: .*`rho`.*\[0, 1\].*rho=1.5"):
        Adadelta(_p(), rho=1.5)


def test_momentum_beta_is_an_average_so_below_one():
    with pytest.raises(InvalidArgumentError, match=r"Momentum: .*\[0, 1\).*beta=1.0"):
        Momentum(_p(), lr=0.1, beta=1.0)


def test_load_state_dict_checks_the_same_rules():
    opt = Adam(_p(), lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["betas"] = [0.9, 1.5]
    with pytest.raises(CheckpointError, match=r"Adam.load_state_dict: parameter group 0: .*betas"):
        Adam(_p(), lr=0.1).load_state_dict(sd)


def test_a_subclass_without_a_rule_is_refused():
    class Mine(Optimizer):
        def __init__(self, params, lr=0.1, gamma=0.5):
            super().__init__(params, lr=lr, weight_decay=0.0, gamma=gamma)

    with pytest.raises(TypeError, match="no rule for hyperparameter `gamma` in Mine.rules"):
        Mine(_p())


def test_a_new_optimizer_declares_its_buffers_and_suspicious_values():
    """A subclass states its state buffers (switched on by a hyperparameter or always) and
    the values to warn about on the class; the base makes, checks and warns."""
    from glassbox.optim.optimizer import NON_NEGATIVE, lazy_buffer, moving_average_

    class Averaged(Optimizer):
        rules = {**Optimizer.rules, "beta": NON_NEGATIVE, "keep_max": gb.validate.boolean}
        buffers = {"avg": None, "max": "keep_max"}
        suspicious = {"beta": (lambda b: b > 1, "beta={value!r} > 1 flips the sign")}

        def __init__(self, params, lr=0.1, beta=0.5, keep_max=False):
            super().__init__(params, lr=lr, weight_decay=0.0, beta=beta, keep_max=keep_max)

        def _update(self, w, g, state, group, tmp):
            moving_average_(state["avg"], g, group["beta"], tmp, squared=True)
            np.maximum(lazy_buffer(state, "max", w), state["avg"], out=state["max"])
            w -= group["lr"] * state["avg"]

    p = _p()
    opt = Averaged(p)
    p[0].grad = gb.Tensor(np.array([2.0, -1.0, 0.0]))
    opt.step()
    np.testing.assert_allclose(opt.state[p[0]]["avg"], [2.0, 0.5, 0.0])  # 0.5·0 + 0.5·g²
    assert set(opt.state[p[0]]) == {"step", "avg", "max"}  # max made lazily, on first need
    assert set(Averaged(_p(), keep_max=True)._init_state(np.zeros(3), {"keep_max": True})) == {"avg", "max"}
    assert set(opt._init_state(np.zeros(3), opt.param_groups[0])) == {"avg"}
    with pytest.warns(OptimizerWarning, match=r"Averaged: beta=1.5 > 1 flips the sign"):
        Averaged(_p(), beta=1.5)
    with pytest.warns(OptimizerWarning):
        loose = Averaged(_p(), beta=2.0)
    assert loose.hyperparameter_mistakes() == ["Averaged: beta=2.0 > 1 flips the sign"]
