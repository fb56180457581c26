"""Every layer and loss, forward and backward, on the strict stand-in against NumPy: the
same outputs and gradients. A layer that only works on NumPy fails here."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.ops import conv as _conv


def _x(*shape, low=-1.0, high=1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def _labels(n, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, n)


class _OpConv(nn.Module):
    """The conv op's dilation and groups (not all are on nn.Conv2d yet)."""

    def __init__(self, c_in, c_out, groups=1, **params):
        super().__init__()
        self.weight = nn.Parameter(_x(c_out, c_in // groups, 3, 3, seed=7))
        self.params = {"groups": groups, **params}

    def forward(self, x):
        return _conv.Conv2d.apply(x, self.weight, **self.params)


# (id, layer builder, float inputs (get gradients), other arguments (targets), train mode)
LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), [_x(4, 5)], [], True),
    ("conv", lambda: nn.Conv2d(2, 3, 3, padding=1), [_x(2, 2, 6, 6)], [], True),
    ("conv-stride2", lambda: nn.Conv2d(2, 3, 3, stride=2), [_x(2, 2, 7, 7)], [], True),
    ("conv-dilation", lambda: _OpConv(2, 2, dilation=(2, 2)), [_x(1, 2, 7, 7)], [], True),
    ("conv-groups", lambda: _OpConv(4, 4, groups=2, padding=((1, 1), (1, 1))), [_x(1, 4, 5, 5)],
     [], True),
    ("conv-1x1-stride2", lambda: nn.Conv2d(3, 2, 1, stride=2), [_x(2, 3, 5, 5)], [], True),
    ("conv-transpose", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
                                                  output_padding=1), [_x(2, 2, 4, 4)], [], True),
    ("maxpool", lambda: nn.MaxPool2d(2), [_x(2, 2, 6, 6)], [], True),
    ("maxpool-overlap", lambda: nn.MaxPool2d(3, stride=2, padding=1), [_x(2, 2, 7, 7)], [], True),
    ("avgpool", lambda: nn.AvgPool2d(2), [_x(2, 2, 6, 6)], [], True),
    ("avgpool-pad", lambda: nn.AvgPool2d(3, stride=2, padding=1), [_x(2, 2, 7, 7)], [], True),
    ("adaptive-1", lambda: nn.AdaptiveAvgPool2d(1), [_x(2, 3, 5, 5)], [], True),
    ("adaptive-3", lambda: nn.AdaptiveAvgPool2d(3), [_x(2, 3, 6, 6)], [], True),
    ("global-avg", lambda: nn.GlobalAvgPool2d(), [_x(2, 3, 4, 4)], [], True),
    ("batchnorm1d", lambda: nn.BatchNorm1d(5), [_x(4, 5)], [], True),
    ("batchnorm1d-eval", lambda: nn.BatchNorm1d(5), [_x(4, 5)], [], False),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), [_x(2, 3, 4, 4)], [], True),
    ("dropout", lambda: nn.Dropout(0.3), [_x(6, 7)], [], True),
    ("dropout2d", lambda: nn.Dropout2d(0.5), [_x(3, 4, 2, 2)], [], True),
    ("relu", nn.ReLU, [_x(3, 4)], [], True),
    ("leaky-relu", lambda: nn.LeakyReLU(0.1), [_x(3, 4)], [], True),
    ("sigmoid", nn.Sigmoid, [_x(3, 4, low=-30, high=30)], [], True),
    ("tanh", nn.Tanh, [_x(3, 4)], [], True),
    ("softmax", lambda: nn.Softmax(dim=1), [_x(3, 4, low=-50, high=50)], [], True),
    ("log-softmax", lambda: nn.LogSoftmax(dim=1), [_x(3, 4, low=-50, high=50)], [], True),
    ("flatten", nn.Flatten, [_x(2, 3, 2, 2)], [], True),
    ("identity", nn.Identity, [_x(2, 3)], [], True),
    ("l2-normalize", nn.L2Normalize, [_x(3, 4)], [], True),
    ("upsample-nearest", lambda: nn.Upsample(scale_factor=2), [_x(1, 2, 3, 3)], [], True),
    ("residual", lambda: nn.ResidualBlock(2, 4, stride=2), [_x(2, 2, 6, 6)], [], True),
    ("basic-block", lambda: nn.BasicBlock(3, 3), [_x(2, 3, 5, 5)], [], True),
    ("inception", lambda: nn.InceptionBlock(3, 2, 2, 3, 1, 2, 2), [_x(1, 3, 6, 6)], [], True),
    ("cross-entropy", nn.CrossEntropyLoss, [_x(5, 4, low=-9, high=9)], [_labels(5, 4)], True),
    ("cross-entropy-sum", lambda: nn.CrossEntropyLoss(reduction="sum"), [_x(5, 4)],
     [_labels(5, 4)], True),
    ("nll", nn.NLLLoss, [np.log(np.full((5, 4), 0.25, np.float32))], [_labels(5, 4)], True),
    ("mse", nn.MSELoss, [_x(4, 3)], [_x(4, 3, seed=2)], True),
    ("bce", nn.BCELoss, [_x(4, 3, low=0.01, high=0.99)], [(_x(4, 3, seed=3) > 0).astype(np.float32)],
     True),
    ("bce-logits", nn.BCEWithLogitsLoss, [_x(4, 3, low=-40, high=40)],
     [(_x(4, 3, seed=3) > 0).astype(np.float32)], True),
    ("contrastive", nn.ContrastiveLoss, [_x(4, 3), _x(4, 3, seed=4)],
     [np.array([0, 1, 1, 0])], True),
    ("triplet", nn.TripletLoss, [_x(4, 3), _x(4, 3, seed=4), _x(4, 3, seed=5)], [], True),
]


def _run(layer, device, floats, others, train, seed):
    layer.train(train)
    inputs = [gb.tensor(a, requires_grad=True) for a in floats]
    moved = [t.to(device) for t in inputs]
    extra = [gb.tensor(a).to(device) for a in others]
    gb.manual_seed(seed)
    out = layer(*moved, *extra)
    assert out.device.type == device
    grad = gb.tensor(np.random.default_rng(9).standard_normal(out.shape).astype(out.dtype))
    out.backward(grad.to(device))
    grads = [t.grad.numpy() for t in inputs] + [p.grad.numpy() for p in layer.parameters()]
    buffers = [gb.backend.to_host(b) for _, b in layer.named_buffers()]
    return out.numpy(), grads, buffers


@pytest.mark.parametrize("case", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_agrees_with_numpy_on_the_device(cuda, case):
    _, build, floats, others, train = case
    gb.manual_seed(0)
    host = build()
    dev = copy.deepcopy(host).to("cuda")
    expected = _run(host, "cpu", floats, others, train, seed=5)
    got = _run(dev, "cuda", floats, others, train, seed=5)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6, atol=1e-6)
    for g, e in zip(got[1] + got[2], expected[1] + expected[2]):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)
    assert all(isinstance(p.data, cuda.ndarray) for p in dev.parameters())
