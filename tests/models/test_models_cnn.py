"""LeNet-5 and the small CNNs for 28×28 images: layouts, parameter counts, forward shapes."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn

pytest.importorskip("glassbox.nn.conv")

from glassbox.models import cnn, inception_small, lenet5, resnet_small  # noqa: E402
from glassbox.models.lenet import ZeroPad2d  # noqa: E402


def _forward(model, x):
    model.eval()
    with gb.no_grad():
        return model(x)


def test_lenet5_parameter_count_per_layer():
    model = lenet5()
    counts = {name: sum(p.size for p in m.parameters())
              for name, m in model.named_children() if name.startswith(("conv", "fc"))}
    assert counts == {"conv1": 156, "conv2": 2_416, "fc1": 48_120, "fc2": 10_164, "fc3": 850}
    assert model.num_parameters() == 61_706
    assert lenet5(variant="classic").num_parameters() == 61_706


def test_lenet5_classic_vs_modern():
    modern, classic = lenet5(variant="modern"), lenet5(variant="classic")
    kinds = lambda m: {type(layer).__name__ for layer in m}  # noqa: E731
    assert {"ReLU", "MaxPool2d"} <= kinds(modern) and not {"Tanh", "AvgPool2d"} & kinds(modern)
    assert {"Tanh", "AvgPool2d"} <= kinds(classic) and not {"ReLU", "MaxPool2d"} & kinds(classic)
    with pytest.raises(ValueError, match="variant"):
        lenet5(variant="1989")


def test_lenet5_forward_shapes():
    gb.manual_seed(0)
    assert _forward(lenet5(), gb.randn(2, 1, 28, 28)).shape == (2, 10)
    assert _forward(lenet5(variant="classic"), gb.randn(2, 1, 28, 28)).shape == (2, 10)
    unpadded = lenet5(num_classes=5, in_channels=3, pad_input=False)
    assert _forward(unpadded, gb.randn(2, 3, 32, 32)).shape == (2, 5)
    assert not any(isinstance(m, ZeroPad2d) for m in unpadded)


def test_zero_pad():
    x = gb.randn(2, 3, 4, 5, requires_grad=True)
    y = ZeroPad2d(2)(x)
    assert y.shape == (2, 3, 8, 9)
    assert np.array_equal(y.numpy()[:, :, 2:-2, 2:-2], x.numpy())
    assert y.numpy()[:, :, :2].sum() == 0
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.ones(x.shape, dtype=np.float32))
    with pytest.raises(ValueError, match="ZeroPad2d"):
        ZeroPad2d(1)(gb.randn(3, 4))


@pytest.mark.parametrize("builder", [cnn, resnet_small, inception_small])
def test_small_cnn_forward_shapes(builder):
    gb.manual_seed(0)
    model = builder(num_classes=7, in_channels=1)
    assert _forward(model, gb.randn(3, 1, 28, 28)).shape == (3, 7)
    model.train()
    assert model(gb.randn(2, 1, 28, 28)).shape == (2, 7)


def test_small_cnns_train_one_step():
    # gradients reach every parameter (no detached branch) and a step lowers the loss
    gb.manual_seed(1)
    x, y = gb.randn(8, 1, 28, 28), np.arange(8) % 10
    for model in (cnn(), resnet_small(), inception_small()):
        model.train()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, f"{type(model).__name__}: no gradient for {missing}"


def test_cnn_cost_budget():
    # the default CNN must stay cheap enough to train on a CPU: count its conv/fc MACs
    model = cnn()
    convs = [m for m in model if type(m).__name__ == "Conv2d"]
    macs = 28 * 28 * convs[0].weight.size + 14 * 14 * convs[1].weight.size + 64 * 7 * 7 * 128 + 1280
    assert macs < 5e6
    assert model.num_parameters() < 500_000
