"""gb.save / gb.load: state dicts as .safetensors (read by PyTorch) or pickle-free .npz.

The PyTorch-named files here are made with the safetensors library itself (its NumPy
API), as a PyTorch user's ``safetensors.torch.save_file(model.state_dict(), path)`` would
lay them out, so no PyTorch is needed; the expected outputs are computed with NumPy."""
from __future__ import annotations

import numpy as np
import pytest

safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import models, nn  # noqa: E402
from glassbox.serialization import safetensors_metadata  # noqa: E402

# torchvision.models.resnet18().state_dict(): names and shapes, in torchvision's order
# (conv1/bn1 stem; layer1..layer4 of two BasicBlocks with conv1, bn1, conv2, bn2 and, in the
# first block of layers 2-4, downsample = Sequential(1×1 conv, BatchNorm2d); fc).
TORCHVISION_RESNET18 = [
    ("conv1.weight", (64, 3, 7, 7)),
    ("bn1.weight", (64,)),
    ("bn1.bias", (64,)),
    ("bn1.running_mean", (64,)),
    ("bn1.running_var", (64,)),
    ("bn1.num_batches_tracked", ()),
    ("layer1.0.conv1.weight", (64, 64, 3, 3)),
    ("layer1.0.bn1.weight", (64,)),
    ("layer1.0.bn1.bias", (64,)),
    ("layer1.0.bn1.running_mean", (64,)),
    ("layer1.0.bn1.running_var", (64,)),
    ("layer1.0.bn1.num_batches_tracked", ()),
    ("layer1.0.conv2.weight", (64, 64, 3, 3)),
    ("layer1.0.bn2.weight", (64,)),
    ("layer1.0.bn2.bias", (64,)),
    ("layer1.0.bn2.running_mean", (64,)),
    ("layer1.0.bn2.running_var", (64,)),
    ("layer1.0.bn2.num_batches_tracked", ()),
    ("layer1.1.conv1.weight", (64, 64, 3, 3)),
    ("layer1.1.bn1.weight", (64,)),
    ("layer1.1.bn1.bias", (64,)),
    ("layer1.1.bn1.running_mean", (64,)),
    ("layer1.1.bn1.running_var", (64,)),
    ("layer1.1.bn1.num_batches_tracked", ()),
    ("layer1.1.conv2.weight", (64, 64, 3, 3)),
    ("layer1.1.bn2.weight", (64,)),
    ("layer1.1.bn2.bias", (64,)),
    ("layer1.1.bn2.running_mean", (64,)),
    ("layer1.1.bn2.running_var", (64,)),
    ("layer1.1.bn2.num_batches_tracked", ()),
    ("layer2.0.conv1.weight", (128, 64, 3, 3)),
    ("layer2.0.bn1.weight", (128,)),
    ("layer2.0.bn1.bias", (128,)),
    ("layer2.0.bn1.running_mean", (128,)),
    ("layer2.0.bn1.running_var", (128,)),
    ("layer2.0.bn1.num_batches_tracked", ()),
    ("layer2.0.conv2.weight", (128, 128, 3, 3)),
    ("layer2.0.bn2.weight", (128,)),
    ("layer2.0.bn2.bias", (128,)),
    ("layer2.0.bn2.running_mean", (128,)),
    ("layer2.0.bn2.running_var", (128,)),
    ("layer2.0.bn2.num_batches_tracked", ()),
    ("layer2.0.downsample.0.weight", (128, 64, 1, 1)),
    ("layer2.0.downsample.1.weight", (128,)),
    ("layer2.0.downsample.1.bias", (128,)),
    ("layer2.0.downsample.1.running_mean", (128,)),
    ("layer2.0.downsample.1.running_var", (128,)),
    ("layer2.0.downsample.1.num_batches_tracked", ()),
    ("layer2.1.conv1.weight", (128, 128, 3, 3)),
    ("layer2.1.bn1.weight", (128,)),
    ("layer2.1.bn1.bias", (128,)),
    ("layer2.1.bn1.running_mean", (128,)),
    ("layer2.1.bn1.running_var", (128,)),
    ("layer2.1.bn1.num_batches_tracked", ()),
    ("layer2.1.conv2.weight", (128, 128, 3, 3)),
    ("layer2.1.bn2.weight", (128,)),
    ("layer2.1.bn2.bias", (128,)),
    ("layer2.1.bn2.running_mean", (128,)),
    ("layer2.1.bn2.running_var", (128,)),
    ("layer2.1.bn2.num_batches_tracked", ()),
    ("layer3.0.conv1.weight", (256, 128, 3, 3)),
    ("layer3.0.bn1.weight", (256,)),
    ("layer3.0.bn1.bias", (256,)),
    ("layer3.0.bn1.running_mean", (256,)),
    ("layer3.0.bn1.running_var", (256,)),
    ("layer3.0.bn1.num_batches_tracked", ()),
    ("layer3.0.conv2.weight", (256, 256, 3, 3)),
    ("layer3.0.bn2.weight", (256,)),
    ("layer3.0.bn2.bias", (256,)),
    ("layer3.0.bn2.running_mean", (256,)),
    ("layer3.0.bn2.running_var", (256,)),
    ("layer3.0.bn2.num_batches_tracked", ()),
    ("layer3.0.downsample.0.weight", (256, 128, 1, 1)),
    ("layer3.0.downsample.1.weight", (256,)),
    ("layer3.0.downsample.1.bias", (256,)),
    ("layer3.0.downsample.1.running_mean", (256,)),
    ("layer3.0.downsample.1.running_var", (256,)),
    ("layer3.0.downsample.1.num_batches_tracked", ()),
    ("layer3.1.conv1.weight", (256, 256, 3, 3)),
    ("layer3.1.bn1.weight", (256,)),
    ("layer3.1.bn1.bias", (256,)),
    ("layer3.1.bn1.running_mean", (256,)),
    ("layer3.1.bn1.running_var", (256,)),
    ("layer3.1.bn1.num_batches_tracked", ()),
    ("layer3.1.conv2.weight", (256, 256, 3, 3)),
    ("layer3.1.bn2.weight", (256,)),
    ("layer3.1.bn2.bias", (256,)),
    ("layer3.1.bn2.running_mean", (256,)),
    ("layer3.1.bn2.running_var", (256,)),
    ("layer3.1.bn2.num_batches_tracked", ()),
    ("layer4.0.conv1.weight", (512, 256, 3, 3)),
    ("layer4.0.bn1.weight", (512,)),
    ("layer4.0.bn1.bias", (512,)),
    ("layer4.0.bn1.running_mean", (512,)),
    ("layer4.0.bn1.running_var", (512,)),
    ("layer4.0.bn1.num_batches_tracked", ()),
    ("layer4.0.conv2.weight", (512, 512, 3, 3)),
    ("layer4.0.bn2.weight", (512,)),
    ("layer4.0.bn2.bias", (512,)),
    ("layer4.0.bn2.running_mean", (512,)),
    ("layer4.0.bn2.running_var", (512,)),
    ("layer4.0.bn2.num_batches_tracked", ()),
    ("layer4.0.downsample.0.weight", (512, 256, 1, 1)),
    ("layer4.0.downsample.1.weight", (512,)),
    ("layer4.0.downsample.1.bias", (512,)),
    ("layer4.0.downsample.1.running_mean", (512,)),
    ("layer4.0.downsample.1.running_var", (512,)),
    ("layer4.0.downsample.1.num_batches_tracked", ()),
    ("layer4.1.conv1.weight", (512, 512, 3, 3)),
    ("layer4.1.bn1.weight", (512,)),
    ("layer4.1.bn1.bias", (512,)),
    ("layer4.1.bn1.running_mean", (512,)),
    ("layer4.1.bn1.running_var", (512,)),
    ("layer4.1.bn1.num_batches_tracked", ()),
    ("layer4.1.conv2.weight", (512, 512, 3, 3)),
    ("layer4.1.bn2.weight", (512,)),
    ("layer4.1.bn2.bias", (512,)),
    ("layer4.1.bn2.running_mean", (512,)),
    ("layer4.1.bn2.running_var", (512,)),
    ("layer4.1.bn2.num_batches_tracked", ()),
    ("fc.weight", (1000, 512)),
    ("fc.bias", (1000,)),
]


def _has_torchvision_names() -> bool:
    return {k: tuple(v.shape) for k, v in models.resnet18().state_dict().items()} == dict(TORCHVISION_RESNET18)


def _tracks_batches() -> bool:
    return "num_batches_tracked" in nn.BatchNorm2d(2).state_dict()


# The PyTorch-named state dicts (the PyTorch-fluency issue: torchvision's key names and BatchNorm's
# num_batches_tracked) are another helper's work; until they land these tests must fail
# (strict xfail), and from then on they run as plain tests.
needs_torchvision_names = pytest.mark.xfail(
    not _has_torchvision_names(), strict=True,
    reason="models.resnet18() does not have torchvision's state_dict keys yet")
needs_num_batches_tracked = pytest.mark.xfail(
    not _tracks_batches(), strict=True,
    reason="BatchNorm has no num_batches_tracked buffer yet, so a PyTorch file has unexpected keys")


def _rng_state(shapes, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for key, shape in shapes:
        if key.endswith("num_batches_tracked"):
            out[key] = np.asarray(7, dtype=np.int64)
        elif key.endswith("running_var"):
            out[key] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
        else:
            out[key] = (rng.standard_normal(shape) * 0.3).astype(np.float32)
    return out


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_round_trip_is_exact(tmp_path, suffix):
    state = {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "a.count": np.asarray(3, np.int64),
             "b": gb.tensor([1.5, -2.0], dtype=np.float64), "strided": np.arange(10.0, dtype=np.float32)[::2]}
    path = gb.save(state, tmp_path / f"w{suffix}")
    back = gb.load(path)
    assert set(back) == set(state)
    for key, value in state.items():
        want = value.numpy() if isinstance(value, gb.Tensor) else value
        assert back[key].dtype == want.dtype and back[key].shape == want.shape
        np.testing.assert_array_equal(back[key], want)


def test_safetensors_header_and_metadata(tmp_path):
    path = gb.save({"w": np.ones((2, 2), np.float32)}, tmp_path / "w.safetensors", metadata={"epoch": 3})
    assert safetensors_metadata(path) == {"format": "pt", "epoch": "3"}
    with safe_open(str(path), framework="numpy") as fh:
        assert list(fh.keys()) == ["w"] and fh.get_tensor("w").dtype == np.float32


def test_model_state_dict_round_trip_gives_same_outputs(tmp_path):
    gb.manual_seed(0)
    model, other = models.lenet5(), models.lenet5()
    gb.save(model.state_dict(), tmp_path / "lenet.safetensors")
    other.load_state_dict(gb.load(tmp_path / "lenet.safetensors"), strict=True)
    x = gb.Tensor(np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32))
    with gb.no_grad():
        np.testing.assert_array_equal(model.eval()(x).numpy(), other.eval()(x).numpy())


def test_pytorch_named_mlp_file_loads_strictly(tmp_path):
    """torch.nn.Sequential(Linear(4, 5), ReLU(), Linear(5, 3)) has keys 0.*, 2.*."""
    rng = np.random.default_rng(1)
    w0, b0 = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    w2, b2 = rng.standard_normal((3, 5)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    save_file({"0.weight": w0, "0.bias": b0, "2.weight": w2, "2.bias": b2},
              str(tmp_path / "torch_mlp.safetensors"), metadata={"format": "pt"})
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    model.load_state_dict(gb.load(tmp_path / "torch_mlp.safetensors"), strict=True)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    want = np.maximum(x @ w0.T + b0, 0) @ w2.T + b2
    with gb.no_grad():
        np.testing.assert_allclose(model(gb.Tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def _conv_ref(x, w, b, pad):
    """Cross-correlation in float64 with NumPy's sliding windows: y = Σ w·window + b."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", win, w.astype(np.float64)) + b[None, :, None, None]


@needs_num_batches_tracked
def test_pytorch_named_conv_bn_file_loads_strictly(tmp_path):
    """torch.nn.Sequential(Conv2d(2, 3, 3, padding=1), BatchNorm2d(3), ReLU(), Flatten(),
    Linear(48, 4)): its state dict, num_batches_tracked included, loads with strict=True."""
    shapes = [("0.weight", (3, 2, 3, 3)), ("0.bias", (3,)), ("1.weight", (3,)), ("1.bias", (3,)),
              ("1.running_mean", (3,)), ("1.running_var", (3,)), ("1.num_batches_tracked", ()),
              ("4.weight", (4, 48)), ("4.bias", (4,))]
    state = _rng_state(shapes, seed=2)
    save_file(state, str(tmp_path / "torch_cnn.safetensors"), metadata={"format": "pt"})
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(48, 4))
    model.load_state_dict(gb.load(tmp_path / "torch_cnn.safetensors"), strict=True)
    x = np.random.default_rng(3).random((2, 2, 4, 4), dtype=np.float32)
    z = _conv_ref(x, state["0.weight"], state["0.bias"], 1)
    channel = lambda v: v[None, :, None, None]  # noqa: E731
    z = (z - channel(state["1.running_mean"])) / np.sqrt(channel(state["1.running_var"]) + 1e-5)
    z = z * channel(state["1.weight"]) + channel(state["1.bias"])
    want = np.maximum(z, 0).reshape(2, -1) @ state["4.weight"].T + state["4.bias"]
    with gb.no_grad():
        np.testing.assert_allclose(model.eval()(gb.Tensor(x)).numpy(), want, rtol=1e-4, atol=1e-5)


@needs_torchvision_names
def test_glassbox_resnet18_file_has_torchvision_keys_and_shapes(tmp_path):
    path = gb.save(models.resnet18().state_dict(), tmp_path / "resnet18.safetensors")
    with safe_open(str(path), framework="numpy") as fh:
        written = {key: tuple(fh.get_slice(key).get_shape()) for key in fh.keys()}
    assert written == dict(TORCHVISION_RESNET18)


@needs_torchvision_names
def test_torchvision_named_resnet18_file_loads_strictly(tmp_path):
    state = _rng_state(TORCHVISION_RESNET18)
    save_file(state, str(tmp_path / "tv.safetensors"), metadata={"format": "pt"})
    model = models.resnet18()
    model.load_state_dict(gb.load(tmp_path / "tv.safetensors"), strict=True)
    own = model.state_dict()
    for key, value in state.items():
        np.testing.assert_array_equal(own[key], value)


def test_bad_input(tmp_path):
    with pytest.raises(gb.GlassboxTypeError, match=r"model.state_dict\(\)"):
        gb.save(models.mlp(), tmp_path / "m.safetensors")
    with pytest.raises(gb.GlassboxTypeError, match="mapping"):
        gb.save([np.ones(2)], tmp_path / "m.npz")
    with pytest.raises(gb.GlassboxTypeError, match="not a numeric array"):
        gb.save({"x": {"nested": 1}}, tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        gb.load(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(gb.CheckpointError, match="not a valid .safetensors"):
        gb.load(tmp_path / "junk.safetensors")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(gb.CheckpointError):
        gb.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "pickled.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(gb.CheckpointError, match="unpickling"):
        gb.load(tmp_path / "pickled.npz")
