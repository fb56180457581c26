"""The whole training path on the strict CuPy stand-in: models, BatchNorm, dropout, every
optimizer, checkpoints and resume, predict, the CLI — and the same numbers as on NumPy."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import glassbox as gb
from glassbox import backend, models, nn, optim
from glassbox.data import DataLoader, TensorDataset
from glassbox.training.checkpoint import load_checkpoint, save_checkpoint

SHAPES = {"mlp": (784,), "lenet5": (1, 28, 28), "cnn": (1, 28, 28), "resnet-small": (1, 28, 28)}


def _data(shape, n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, 10, n)


def _twins(build, seed=0):
    """The same initial model twice: one stays on the CPU, one goes to "cuda"."""
    gb.manual_seed(seed)
    host = build()
    dev = copy.deepcopy(host).to("cuda")
    return host, dev


def _train(model, opt_cls, x, y, steps, seed=1, **opt_kwargs):
    """``steps`` steps of fit on fixed, unshuffled batches of 8."""
    gb.manual_seed(seed)  # the same dropout draws on both devices
    opt = opt_cls(model.parameters(), **opt_kwargs)
    loader = DataLoader(TensorDataset(x[: 8 * steps], y[: 8 * steps]), batch_size=8)
    gb.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, verbose=0)
    return opt


def _assert_same_weights(host, dev, atol=1e-6):
    for (name, a), (_, b) in zip(host.state_dict().items(), dev.state_dict().items()):
        np.testing.assert_allclose(b, a, rtol=0, atol=atol, err_msg=name)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_models_train_on_the_device(cuda, name):
    model = models.get_model(name).to("cuda")
    x, y = _data(SHAPES[name], n=8)
    _train(model, optim.Adam, x, y, steps=1, lr=1e-3)
    assert all(isinstance(p.data, cuda.ndarray) for p in model.parameters())
    assert all(isinstance(b, cuda.ndarray) for _, b in model.named_buffers())


def test_cnn_reaches_the_same_weights_as_on_numpy(cuda):
    """The issue's check: `cnn`, a few steps, float32, within 1e-6."""
    host, dev = _twins(models.cnn)
    x, y = _data(SHAPES["cnn"], n=24)
    _train(host, optim.Adam, x, y, steps=3, lr=1e-3)
    _train(dev, optim.Adam, x, y, steps=3, lr=1e-3)
    assert next(iter(dev.state_dict().values())).dtype == np.float32
    _assert_same_weights(host, dev)


def test_batchnorm_running_statistics_stay_on_the_device(cuda):
    build = lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),  # noqa: E731
                                  nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    host, dev = _twins(build)
    x, y = _data((1, 28, 28))
    _train(host, optim.SGD, x, y, steps=2, lr=0.1)
    _train(dev, optim.SGD, x, y, steps=2, lr=0.1)
    bn = dev[1]
    assert isinstance(bn.running_mean, cuda.ndarray) and isinstance(bn.running_var, cuda.ndarray)
    _assert_same_weights(host, dev)
    np.testing.assert_allclose(gb.predict(dev, x), gb.predict(host, x), rtol=0, atol=1e-6)


def test_dropout_masks_are_drawn_on_the_device(cuda):
    host, dev = _twins(lambda: models.mlp(hidden=(32,), dropout=0.5))
    x, y = _data((784,))
    _train(host, optim.SGD, x, y, steps=2, lr=0.1)
    cuda.reset_transfers()
    _train(dev, optim.SGD, x, y, steps=2, lr=0.1)
    # host→device: only the batches (x and y, per step); the masks were made on the device
    assert cuda.transfers["to_device"] == 2 * 2
    _assert_same_weights(host, dev)  # and from the same stream as on the CPU


@pytest.mark.parametrize("opt_cls, kwargs", [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (optim.Momentum, {"lr": 0.1}),
    (optim.Adagrad, {"lr": 0.1}),
    (optim.RMSprop, {"lr": 0.01}),
    (optim.Adam, {"lr": 0.01, "weight_decay": 1e-3}),
    (optim.AdamW, {"lr": 0.01}),
], ids=lambda v: getattr(v, "__name__", None) or ",".join(v))
def test_every_optimizer_updates_on_the_device_like_on_numpy(cuda, opt_cls, kwargs):
    host, dev = _twins(lambda: models.mlp(hidden=(16,)))
    x, y = _data((784,), n=24)
    _train(host, opt_cls, x, y, steps=3, **kwargs)
    opt = _train(dev, opt_cls, x, y, steps=3, **kwargs)
    for state in opt.state.values():
        assert all(isinstance(v, cuda.ndarray) for v in state.values() if hasattr(v, "shape"))
    _assert_same_weights(host, dev)


def test_checkpoint_is_host_arrays_and_resumes_on_the_device(cuda, tmp_path):
    x, y = _data((784,), n=32)
    gb.manual_seed(0)
    model = models.mlp(hidden=(16,)).to("cuda")
    opt = _train(model, optim.Adam, x, y, steps=2, lr=0.01)
    path = save_checkpoint(tmp_path / "ck.npz", model, opt, epoch=1)
    with np.load(path) as npz:  # a plain NumPy file: no device arrays inside
        assert all(npz[k].dtype.kind in "fiub" for k in npz.files)
    # resume on the device, and keep training: the same as never stopping
    gb.manual_seed(5)
    resumed = models.mlp(hidden=(16,)).to("cuda")
    resumed_opt = optim.Adam(resumed.parameters(), lr=0.01)
    load_checkpoint(path, resumed, resumed_opt)
    assert all(isinstance(p.data, cuda.ndarray) for p in resumed.parameters())
    for o, m in ((opt, model), (resumed_opt, resumed)):
        loader = DataLoader(TensorDataset(x[16:], y[16:]), batch_size=8)
        gb.fit(m, nn.CrossEntropyLoss(), o, loader, epochs=1, verbose=0)
    _assert_same_weights(model, resumed, atol=0)
    # and a checkpoint written on the device loads into a CPU model
    cpu_model = models.mlp(hidden=(16,))
    load_checkpoint(path, cpu_model)
    assert all(type(p.data) is np.ndarray for p in cpu_model.parameters())


def test_predict_and_evaluate_on_the_device(cuda):
    host, dev = _twins(models.lenet5)
    x, y = _data(SHAPES["lenet5"], n=10)
    out = gb.predict(dev, x, batch_size=4)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, gb.predict(host, x, batch_size=4), rtol=0, atol=1e-6)
    a, b = gb.evaluate(dev, (x, y), nn.CrossEntropyLoss()), gb.evaluate(host, (x, y), nn.CrossEntropyLoss())
    assert a == pytest.approx(b, abs=1e-6)


@pytest.mark.parametrize("on_device_loader", [False, True])
def test_a_training_step_makes_at_most_one_device_to_host_copy(cuda, on_device_loader):
    """The logged loss (with the batch's correct count, in the same copy) and nothing else."""
    gb.manual_seed(0)
    model = models.cnn().to("cuda")
    x, y = _data(SHAPES["cnn"], n=24)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                        device="cuda" if on_device_loader else None)
    steps = []

    class Count(gb.training.Callback):
        def on_batch_begin(self, step, logs):
            self.before = cuda.transfers["to_host"]

        def on_batch_end(self, step, logs):
            steps.append(cuda.transfers["to_host"] - self.before)

    gb.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), loader,
           epochs=1, verbose=0, callbacks=[Count()])
    assert steps == [1, 1, 1]


def test_dataloader_device_option(cuda):
    x, y = _data((4,), n=6)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=3, device="cuda")))
    assert xb.device.type == "cuda" and yb.device.type == "cuda" and yb.dtype == np.int64


def test_bad_labels_on_the_device_still_raise(cuda):
    model = models.mlp(hidden=(8,)).to("cuda")
    x = gb.tensor(np.zeros((2, 784), np.float32)).to("cuda")
    with pytest.raises(ValueError, match="label 12 is outside"):
        nn.CrossEntropyLoss()(model(x), gb.tensor([1, 12]).to("cuda"))
    # a device array of unknown range costs one copy, and is still checked
    bad = backend.cuda_module().asarray(np.array([3, -1]))
    with pytest.raises(ValueError, match="label -1 is outside"):
        nn.CrossEntropyLoss()(model(x), gb.Tensor(bad))


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def tiny_idx(tmp_path):
    from glassbox.data import write_idx

    rng = np.random.default_rng(0)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for split, n in (("train", 60), ("t10k", 40)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  rng.integers(0, 255, size=(n, 28, 28)).astype(np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def _train_cli(folder, out, device):
    from glassbox.cli.main import main

    return main(["train", "--data", str(folder), "--out", str(out), "--hidden", "8",
                 "--epochs", "1", "--batch-size", "20", "--augment", "0", "--quiet",
                 "--seed", "3", "--device", device])


def test_cli_train_device_cuda_and_auto(cuda, tiny_idx, tmp_path):
    import json

    assert _train_cli(tiny_idx, tmp_path / "c", "cuda") == 0
    assert _train_cli(tiny_idx, tmp_path / "a", "auto") == 0  # the stand-in counts as a GPU
    backend.reset()
    assert _train_cli(tiny_idx, tmp_path / "p", "cpu") == 0
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in "cap"]
    assert [m["device"] for m in metrics] == ["cuda", "cuda", "cpu"]
    # the same seed gives the same run on either device
    assert metrics[0]["test_loss"] == pytest.approx(metrics[2]["test_loss"], abs=1e-6)
    assert metrics[0]["test_accuracy"] == metrics[2]["test_accuracy"]


def test_cli_train_device_cuda_without_a_gpu_is_a_clear_error(tiny_idx, tmp_path, capsys):
    backend.reset()
    if gb.cuda.is_available():
        pytest.skip("a GPU is at hand")
    with pytest.raises(SystemExit) as exc:
        _train_cli(tiny_idx, tmp_path / "x", "cuda")
    assert exc.value.code != 0
    assert "CUDA is not available" in capsys.readouterr().err


@pytest.mark.parametrize("options", [
    ["--model", "mlp", "--hidden", "8", "--l2", "1e-4", "--val-split", "0.2",
     "--early-stopping", "1", "--augment", "1"],
    ["--model", "cnn", "--optimizer", "sgd", "--momentum", "0.9", "--schedule", "constant"],
    ["--model", "lenet5", "--plot"],
], ids=["mlp-l2-earlystop-augment", "cnn-sgd", "lenet5-plot"])
def test_cli_train_options_on_the_device(cuda, tiny_idx, tmp_path, options):
    from glassbox.cli.main import main

    if "--plot" in options:
        pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    assert main(["train", "--data", str(tiny_idx), "--out", str(out), "--epochs", "2",
                 "--batch-size", "20", "--quiet", "--seed", "3", "--device", "cuda",
                 *options]) == 0
    assert main(["evaluate", str(out / "checkpoint.npz"), "--data", str(tiny_idx)]) == 0


def test_augmentation_returns_the_batch_on_its_device(cuda):
    from glassbox.data.augment import RandomShift

    x = gb.tensor(np.random.default_rng(0).random((2, 1, 6, 6), dtype=np.float32))
    gb.manual_seed(1)
    host = RandomShift(1)(x, np.random.default_rng(2))
    dev = RandomShift(1)(x.to("cuda"), np.random.default_rng(2))
    assert host.device.type == "cpu" and dev.device.type == "cuda"
    np.testing.assert_array_equal(dev.numpy(), host.numpy())


def test_concatenate_costs_no_round_trip(cuda):
    a = gb.randn(2, 3, device="cuda").requires_grad_()
    b = gb.randn(2, 5, device="cuda").requires_grad_()
    cuda.reset_transfers()
    out = gb.cat([a, b], 1)
    out.backward(gb.ones(2, 8, device="cuda"))
    assert cuda.transfers["to_host"] == 0 and a.grad.shape == (2, 3) and b.grad.shape == (2, 5)
