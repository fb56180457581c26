"""What the Optimizer base class does for every optimizer: groups, skipping, weight decay,
validation, dtype, state_dict round trips and their errors."""
import io
import json

import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import SGD, Adagrad, Adam, AdamW, Momentum, Optimizer, RMSprop

# (class, keyword arguments) covering every optimizer and its optional state
CONFIGS = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (Momentum, dict(lr=0.1, beta=0.9, weight_decay=0.01)),
    (Adagrad, dict(lr=0.1, initial_accumulator_value=0.1, weight_decay=0.01)),
    (RMSprop, dict(lr=0.01, momentum=0.5, weight_decay=0.01)),
    (RMSprop, dict(lr=0.01)),
    (Adam, dict(lr=0.01, weight_decay=0.01)),
    (AdamW, dict(lr=0.01)),
]
IDS = [f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)]


def _params(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [gb.Tensor(rng.normal(size=s), requires_grad=True, dtype=dtype)
            for s in [(3, 4), (4,), (2, 2)]]


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = gb.Tensor(rng.normal(size=p.shape), dtype=p.dtype)


# ------------------------------------------------------------- the step loop
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_params_without_grad_are_skipped(cls, kw):
    params = _params()
    opt = cls(params, **kw)
    frozen = params[1].data.copy()
    for seed in range(3):
        _set_grads(params, seed)
        params[1].grad = None
        opt.step()
    np.testing.assert_array_equal(params[1].data, frozen)  # weight decay did not touch it
    assert params[1] not in opt.state
    assert opt.state[params[0]]["step"] == 3


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_float32_stays_float32_in_place(cls, kw):
    params = _params(np.float32)
    arrays = [p.data for p in params]
    opt = cls(params, **kw)
    for seed in range(3):
        _set_grads(params, seed)
        opt.step()
    for p, a in zip(params, arrays):
        assert p.data is a, "p.data was rebound; modules holding the array would go stale"
        assert p.dtype == np.float32
    for s in opt.state.values():
        for v in s.values():
            if hasattr(v, "dtype"):
                assert v.dtype == np.float32


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_gradients_are_only_read(cls, kw):
    """A read-only broadcast view as gradient works and is left unchanged."""
    p = gb.Tensor(np.ones((3, 4)), requires_grad=True)
    g = np.broadcast_to(np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32), (3, 4))
    assert not g.flags.writeable
    opt = cls([p], **kw)
    for _ in range(2):
        p.grad = gb.Tensor._from_op(g, None)
        opt.step()
    np.testing.assert_array_equal(g[0], [0.5, -1.0, 2.0, 0.25])
    assert np.all(p.data != 1.0)


def test_zero_grad_sets_none():
    params = _params()
    opt = SGD(params, lr=0.1)
    _set_grads(params, 0)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_closure_is_called_and_its_loss_returned():
    p = gb.Tensor(np.array([2.0]), requires_grad=True)
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(4.0)
    assert p.data[0] == pytest.approx(2.0 - 0.25 * 4.0)


def test_gradient_shape_mismatch_is_reported():
    p = gb.Tensor(np.ones((2, 3)), requires_grad=True)
    p.grad = gb.Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        SGD([p], lr=0.1).step()


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_minimizes_a_quadratic(cls, kw):
    """f(w) = ½ Σ a_i (w_i − c_i)², gradient from backward(); every optimizer gets close."""
    a = gb.Tensor(np.array([1.0, 3.0, 10.0]), dtype=np.float64)
    c = gb.Tensor(np.array([1.0, -2.0, 0.5]), dtype=np.float64)
    p = gb.Tensor(np.zeros(3), requires_grad=True, dtype=np.float64)
    kw = dict(kw, weight_decay=0.0)
    kw["lr"] = {SGD: 0.05, Momentum: 0.05, Adagrad: 0.5, RMSprop: 0.01,
                Adam: 0.05, AdamW: 0.05}[cls]
    opt = cls([p], **kw)
    for _ in range(600):
        opt.zero_grad()
        d = p - c
        loss = (a * d * d).sum() * 0.5
        loss.backward()
        opt.step()
    np.testing.assert_allclose(p.data, c.data, atol=2e-2)


# ----------------------------------------------------------- parameter groups
def test_groups_with_different_lrs():
    """The course's MNIST fix: the output layer gets lr 0.1, the rest the default."""
    hidden, out = _params(np.float64)[:2]
    h0, o0 = hidden.data.copy(), out.data.copy()
    opt = SGD([{"params": [hidden]}, {"params": [out], "lr": 0.1}], lr=0.01, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.0  # filled from the defaults
    _set_grads([hidden, out], 0)
    gh, go = hidden.grad.data.copy(), out.grad.data.copy()
    opt.step()
    np.testing.assert_allclose(hidden.data, h0 - 0.01 * gh, rtol=1e-12)
    np.testing.assert_allclose(out.data, o0 - 0.1 * go, rtol=1e-12)


def test_changing_group_lr_takes_effect_next_step():
    p = gb.Tensor(np.zeros(2), requires_grad=True, dtype=np.float64)
    opt = SGD([p], lr=0.1)
    p.grad = gb.Tensor(np.ones(2), dtype=np.float64)
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    np.testing.assert_allclose(p.data, [-0.6, -0.6])


def test_add_param_group_and_its_errors():
    a, b, c = _params()
    opt = Adam([a], lr=0.01)
    opt.add_param_group({"params": b, "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["betas"] == (0.5, 0.9)
    assert opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="unknown hyperparameter `learning_rate`"):
        opt.add_param_group({"params": [c], "learning_rate": 0.1})
    with pytest.raises(ValueError, match="betas"):
        opt.add_param_group({"params": [c], "betas": (0.9, 1.0)})
    with pytest.raises(ValueError, match="twice"):
        SGD([a, a], lr=0.1)


def test_bad_params_arguments():
    p = _params()[0]
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ndarray"):
        SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2], lr=0.1)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("make,text", [
    (lambda p: SGD(p, lr=-1), "SGD: Received an invalid value for `lr`, expected a number "
                              ">= 0. Received: lr=-1"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "momentum=-0.5"),
    (lambda p: SGD(p, lr=0.1, dampening=1.5), "dampening=1.5"),
    (lambda p: SGD(p, lr="0.1"), "lr='0.1'"),
    (lambda p: SGD(p, lr=float("nan")), "lr=nan"),
    (lambda p: Momentum(p, lr=0.1, beta=1.0), "beta=1.0"),
    (lambda p: Adagrad(p, eps=-1e-10), "eps=-1e-10"),
    (lambda p: Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value=-1"),
    (lambda p: RMSprop(p, alpha=-0.01), "alpha=-0.01"),
    (lambda p: Adagrad(p, lr_decay=-1), "lr_decay=-1"),
    (lambda p: RMSprop(p, weight_decay=-0.1), "weight_decay=-0.1"),
    (lambda p: Adam(p, betas=(0.9, 1.2)), r"betas=\(0.9, 1.2\)"),
    (lambda p: Adam(p, betas=0.9), "betas=0.9"),
    (lambda p: AdamW(p, lr=-0.001), "lr=-0.001"),
])
def test_invalid_hyperparameters(make, text):
    with pytest.raises(ValueError, match=text.replace("(", r"\(").replace(")", r"\)")
                       if "\\" not in text else text):
        make(_params()[:1])


def test_hyperparameters_are_python_floats():
    """np.float64 hyperparameters would upcast float32 arrays; they are converted."""
    opt = Adam(_params()[:1], lr=np.float64(1e-3), betas=(np.float64(0.9), 0.999))
    g = opt.param_groups[0]
    assert type(g["lr"]) is float and all(type(b) is float for b in g["betas"])


# ------------------------------------------------------------ state dicts
def _json_npz_round_trip(sd):
    """What a checkpoint does: arrays into an .npz, everything else through JSON."""
    arrays, meta = {}, {"param_groups": sd["param_groups"], "state": {}}
    for idx, s in sd["state"].items():
        meta["state"][idx] = {}
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                arrays[f"{idx}/{k}"] = v
            else:
                meta["state"][idx][k] = v
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    npz = np.load(buf)
    meta = json.loads(json.dumps(meta))
    for name in npz.files:
        idx, k = name.split("/")
        meta["state"][idx][k] = npz[name]
    return meta


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
@pytest.mark.parametrize("through_files", [False, True])
def test_state_dict_round_trip_reproduces_next_step(cls, kw, through_files):
    params = _params(np.float32, seed=1)
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": kw["lr"] * 2}], **kw)
    for seed in range(3):
        _set_grads(params, seed)
        opt.step()
    sd = opt.state_dict()
    saved_weights = [p.data.copy() for p in params]

    # the original continues ...
    _set_grads(params, 10)
    opt.step()
    expected = [p.data.copy() for p in params]

    # ... and a fresh optimizer over copies of the saved weights must do the same
    clones = [gb.Tensor(w.copy(), requires_grad=True) for w in saved_weights]
    fresh = cls([{"params": clones[:2]}, {"params": clones[2:]}], **kw)
    fresh.load_state_dict(_json_npz_round_trip(sd) if through_files else sd)
    assert fresh.param_groups[1]["lr"] == kw["lr"] * 2  # hyperparameters come from the dict
    _set_grads(clones, 10)
    fresh.step()
    for a, b in zip(expected, [p.data for p in clones]):
        np.testing.assert_array_equal(a, b)
        assert b.dtype == np.float32


def test_state_dict_is_plain_data_and_a_snapshot():
    params = _params()
    opt = Adam(params, lr=0.01)
    _set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    json.dumps(sd["param_groups"])  # hyperparameters are JSON-ready
    assert sd["param_groups"][0]["params"] == [0, 1, 2]
    assert set(sd["state"]) == {0, 1, 2}
    assert sd["state"][0]["step"] == 1 and isinstance(sd["state"][0]["step"], int)
    before = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def _stepped(cls=Adam, params=None, **kw):
    params = params if params is not None else _params()
    opt = cls(params, lr=0.01, **kw)
    _set_grads(params, 0)
    opt.step()
    return opt


def test_load_rejects_group_count_mismatch():
    sd = _stepped().state_dict()
    a, b, c = _params()
    other = Adam([{"params": [a, b]}, {"params": [c]}], lr=0.01)
    with pytest.raises(ValueError, match="1 parameter group.*this optimizer has 2"):
        other.load_state_dict(sd)


def test_load_rejects_group_size_mismatch():
    sd = _stepped().state_dict()
    with pytest.raises(ValueError, match="group 0 has 3 parameter.*2 in this optimizer"):
        Adam(_params()[:2], lr=0.01).load_state_dict(sd)


def test_load_rejects_state_shape_mismatch_and_changes_nothing():
    sd = _stepped().state_dict()
    shapes = [(3, 4), (5,), (2, 2)]
    params = [gb.Tensor(np.zeros(s), requires_grad=True) for s in shapes]
    opt = _stepped(params=params)
    before = {k: v.copy() for k, v in opt.state[params[0]].items() if hasattr(v, "copy")}
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 1 has shape \(4,\), "
                                         r"expected \(5,\)"):
        opt.load_state_dict(sd)
    np.testing.assert_array_equal(opt.state[params[0]]["exp_avg"], before["exp_avg"])


def test_load_rejects_state_of_another_optimizer():
    sd = _stepped(SGD, momentum=0.9).state_dict()
    with pytest.raises(ValueError, match="expected.*exp_avg"):
        Adam(_params(), lr=0.01).load_state_dict({"state": sd["state"], "param_groups": [
            dict(sd["param_groups"][0], betas=[0.9, 0.999], eps=1e-8)]})
    with pytest.raises(ValueError, match="lacks hyperparameter `betas`"):
        Adam(_params(), lr=0.01).load_state_dict(sd)


def test_load_rejects_invalid_hyperparameters_and_malformed_dicts():
    sd = _stepped().state_dict()
    sd["param_groups"][0]["lr"] = -3
    with pytest.raises(ValueError, match="lr=-3"):
        Adam(_params(), lr=0.01).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        Adam(_params(), lr=0.01).load_state_dict({"state": {}})


def test_base_class_needs_an_update_rule():
    p = _params()[0]
    opt = Optimizer([p], lr=0.1, weight_decay=0.0)
    p.grad = gb.Tensor(np.ones(p.shape))
    with pytest.raises(NotImplementedError):
        opt.step()


def test_scratch_pool_grows_for_a_bigger_group_added_later():
    """Scratch space is shared between parameters; a larger parameter added after some
    steps, and mixed dtypes, must still get correct updates."""
    small = gb.Tensor(np.ones(3), requires_grad=True, dtype=np.float64)
    other = gb.Tensor(np.ones(2), requires_grad=True)  # float32
    opt = SGD([small, other], lr=0.1, weight_decay=0.5)
    small.grad = gb.Tensor(np.full(3, 2.0), dtype=np.float64)
    other.grad = gb.Tensor(np.full(2, 2.0))
    opt.step()
    big = gb.Tensor(np.ones((4, 5)), requires_grad=True, dtype=np.float64)
    opt.add_param_group({"params": [big], "lr": 0.2})
    big.grad = gb.Tensor(np.full((4, 5), 3.0), dtype=np.float64)
    opt.step()
    w = 1.0 - 0.1 * (2.0 + 0.5 * 1.0)
    w = w - 0.1 * (2.0 + 0.5 * w)
    np.testing.assert_allclose(small.data, np.full(3, w), rtol=1e-12)
    np.testing.assert_allclose(other.data, np.full(2, w), rtol=1e-6)
    np.testing.assert_allclose(big.data, np.full((4, 5), 1.0 - 0.2 * (3.0 + 0.5)), rtol=1e-12)
    assert other.dtype == np.float32
