"""The device model: gb.device, gb.cuda, Tensor.to/cuda/cpu/device, Module.to."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox as gb
from glassbox import backend, nn, optim


# ------------------------------------------------------------------ gb.device
@pytest.mark.parametrize("spec, kind, index, text", [
    ("cpu", "cpu", None, "cpu"), ("cuda", "cuda", None, "cuda"),
    ("cuda:0", "cuda", 0, "cuda:0"), (gb.device("cuda", 0), "cuda", 0, "cuda:0"),
])
def test_device_parses_like_pytorch(spec, kind, index, text):
    dev = gb.device(spec)
    assert (dev.type, dev.index, str(dev)) == (kind, index, text)
    assert dev == text and gb.device(text) == dev and hash(gb.device(text)) == hash(dev)


def test_device_repr_and_inequality():
    assert repr(gb.device("cuda:0")) == "device(type='cuda', index=0)"
    assert gb.device("cpu") != gb.device("cuda") and gb.device("cuda") != gb.device("cuda:0")


@pytest.mark.parametrize("spec, error", [
    ("gpu", gb.InvalidArgumentError), ("cuda:1", gb.InvalidArgumentError),
    ("cuda:x", gb.InvalidArgumentError), (3, gb.GlassboxTypeError),
])
def test_bad_devices_are_named(spec, error):
    with pytest.raises(error, match="glassbox.device"):
        gb.device(spec)


def test_cuda_not_available_without_cupy_or_stand_in():
    backend.reset()
    try:
        import cupy  # noqa: F401
    except ImportError:  # the CI machines have no CuPy
        assert gb.cuda.is_available() is False and gb.cuda.device_count() == 0
        with pytest.raises(gb.GlassboxRuntimeError, match="CUDA is not available"):
            gb.zeros(2).to("cuda")


def test_stand_in_counts_as_available(cuda):
    assert gb.cuda.is_available() and gb.cuda.device_count() == 1
    assert "stand-in" in gb.cuda.get_device_name()


# --------------------------------------------------------------------- Tensor
def test_tensor_to_cuda_and_back(cuda):
    t = gb.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.device == gb.device("cpu")
    d = t.to("cuda")
    assert isinstance(d.data, cuda.ndarray) and d.device == gb.device("cuda:0")
    assert d.cuda() is d and t.cpu() is t and t.to("cpu") is t
    back = d.cpu()
    assert type(back.data) is np.ndarray and np.array_equal(back.numpy(), t.numpy())
    assert d.to(gb.device("cpu")).device.type == "cpu"


def test_tensor_to_dtype_and_other(cuda):
    t = gb.tensor([1.0, 2.0])
    assert t.to(np.float64).dtype == np.float64
    d = t.to("cuda", np.float64)
    assert d.device.type == "cuda" and d.dtype == np.float64
    assert t.to(d).device.type == "cuda" and t.to(d).dtype == np.float64
    assert t.to(device="cuda", dtype=np.float32).device.type == "cuda"
    with pytest.raises(gb.GlassboxTypeError, match="Tensor.to"):
        t.to("cuda", np.float32, "extra")


def test_gradient_flows_back_across_to(cuda):
    x = gb.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x.to("cuda") * 2.0).sum()
    assert y.device.type == "cuda"
    y.backward()
    assert type(x.grad.data) is np.ndarray
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_mixing_devices_is_a_clear_error(cuda):
    a, b = gb.ones(3), gb.ones(3).to("cuda")
    with pytest.raises(gb.GlassboxRuntimeError, match="same device"):
        a + b


def test_ops_on_device_stay_on_device(cuda):
    x = gb.randn(4, 5).to("cuda").requires_grad_()
    y = (x.exp() * x - 1).relu().mean()
    y.backward()
    assert isinstance(y.data, cuda.ndarray) and isinstance(x.grad.data, cuda.ndarray)
    # python constants join the tensor's device, outside an op the default stays NumPy
    assert backend.xp is np


# --------------------------------------------------------------------- Module
def test_module_to_moves_parameters_and_buffers_in_place(cuda):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(model.parameters())
    assert model.to("cuda") is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(isinstance(p.data, cuda.ndarray) for p in params)
    assert all(isinstance(b, cuda.ndarray) for _, b in model.named_buffers())
    model.cpu()
    assert all(type(p.data) is np.ndarray for p in params)
    assert all(type(b) is np.ndarray for _, b in model.named_buffers())


def test_state_dict_is_host_and_loads_onto_the_models_device(cuda):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to("cuda")
    state = model.state_dict()
    assert all(type(v) is np.ndarray for v in state.values())
    other = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to("cuda")
    other.load_state_dict(state)
    for (_, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b)
    assert all(isinstance(p.data, cuda.ndarray) for p in other.parameters())


def test_optimizer_built_before_to_follows_the_model(cuda):
    gb.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    x, y = gb.randn(5, 3), gb.randn(5, 2)
    ((model(x) - y) ** 2).mean().backward()
    opt.step()  # state created on the host
    model.to("cuda")
    opt.zero_grad()
    ((model(x.to("cuda")) - y.to("cuda")) ** 2).mean().backward()
    opt.step()  # the state follows the parameters onto the device
    for state in opt.state.values():
        assert isinstance(state["exp_avg"], cuda.ndarray)
    assert all(isinstance(p.data, cuda.ndarray) for p in model.parameters())


def test_init_draws_on_the_tensors_device_from_the_same_stream(cuda):
    from glassbox.nn import init

    host = gb.zeros(4, 6)
    dev = gb.zeros(4, 6).to("cuda")
    for fill in (init.kaiming_normal_, init.xavier_uniform_):
        gb.manual_seed(3)
        fill(host)
        cuda.reset_transfers()
        gb.manual_seed(3)
        fill(dev)
        assert cuda.transfers["to_device"] == 0  # drawn on the device, not copied over
        np.testing.assert_array_equal(dev.numpy(), host.numpy())


@pytest.mark.parametrize("make", [
    lambda d: gb.zeros(2, 3, device=d), lambda d: gb.ones((2, 3), device=d),
    lambda d: gb.full((2, 3), 1.5, device=d), lambda d: gb.arange(6, device=d),
    lambda d: gb.randn(2, 3, device=d), lambda d: gb.rand(2, 3, device=d),
    lambda d: gb.tensor([[1.0, 2.0]], device=d), lambda d: gb.as_tensor(np.ones(3), device=d),
    lambda d: gb.zeros_like(gb.ones(2, device=d)), lambda d: gb.ones_like(gb.ones(2), device=d),
], ids=["zeros", "ones", "full", "arange", "randn", "rand", "tensor", "as_tensor",
        "zeros_like-follows", "ones_like-device"])
def test_creation_functions_take_device(cuda, make):
    gb.manual_seed(4)
    host = make("cpu")
    cuda.reset_transfers()
    gb.manual_seed(4)
    dev = make("cuda")
    assert dev.device == gb.device("cuda:0") and host.device == gb.device("cpu")
    assert dev.dtype == host.dtype
    np.testing.assert_array_equal(dev.numpy(), host.numpy())  # random ones: the same stream


def test_random_creation_draws_on_the_device(cuda):
    cuda.reset_transfers()
    gb.randn(100, device="cuda")
    gb.rand(100, device="cuda")
    assert cuda.transfers["to_device"] == 0


def test_device_keyword_is_checked():
    with pytest.raises(gb.InvalidArgumentError, match="glassbox.device"):
        gb.zeros(2, device="tpu")
