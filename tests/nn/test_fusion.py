"""Conv → BatchNorm (→ ReLU) fused at inference: the same output as the modules one by one,
and fused only where that holds (no_grad, eval-mode batch norm, no hooks)."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.nn import fusion
from helpers import t64


def trained_bn(c, affine=True, seed=0):
    rng = np.random.default_rng(seed)
    bn = nn.BatchNorm2d(c, affine=affine).double()
    bn.running_mean[...] = rng.standard_normal(c)
    bn.running_var[...] = rng.uniform(0.5, 2.0, c)
    if affine:
        bn.weight.data[...] = rng.standard_normal(c)
        bn.bias.data[...] = rng.standard_normal(c)
    return bn.eval()


def test_fold_bn_by_hand():
    w = np.ones((2, 1, 1, 1))
    bn = nn.BatchNorm2d(2, eps=0.0).double().eval()
    bn.running_mean[...] = [1.0, 2.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.weight.data[...] = [3.0, 1.0]
    bn.bias.data[...] = [0.5, -1.0]
    weight, bias = fusion.fold_bn(w, np.array([1.0, 0.0]), bn)
    # a = γ/σ = (1.5, 2);  b' = a·b + β − a·μ = (1.5 + 0.5 − 1.5, 0 − 1 − 4)
    np.testing.assert_allclose(weight.ravel(), [1.5, 2.0])
    np.testing.assert_allclose(bias, [0.5, -5.0])


@pytest.mark.parametrize("conv_kw", [dict(padding=1), dict(padding=1, bias=False),
                                     dict(stride=2, padding=0), dict(padding=1, groups=2)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("with_relu", [True, False])
def test_fused_sequential_equals_the_modules(conv_kw, affine, with_relu):
    gb.manual_seed(0)
    layers = [nn.Conv2d(4, 6, 3, **conv_kw).double(), trained_bn(6, affine)]
    if with_relu:
        layers.append(nn.ReLU())
    model = nn.Sequential(*layers).eval()
    x = t64(np.random.default_rng(1).standard_normal((3, 4, 7, 7)), False)
    with gb.no_grad():
        fused = model(x).numpy()
    expected = x
    for layer in layers:   # module by module (gradients on: no fusion)
        expected = layer(expected)
    np.testing.assert_allclose(fused, expected.numpy(), rtol=1e-10, atol=1e-10)


def test_fused_only_where_exact():
    gb.manual_seed(0)
    conv, bn, relu = nn.Conv2d(2, 3, 3).double(), trained_bn(3), nn.ReLU()
    layers = [conv, bn, relu]
    with gb.no_grad():
        assert fusion.fusable_run(layers, 0) == 3
        assert fusion.fusable_run([conv, bn], 0) == 2
        assert fusion.fusable_run([conv, nn.Identity()], 0) == 0
        bn.train()
        assert fusion.fusable_run(layers, 0) == 0          # training BN uses batch stats
        bn.eval()
        handle = relu.register_forward_hook(lambda m, i, o: None)
        assert fusion.fusable_run(layers, 0) == 2          # the hooked ReLU runs by itself
        handle.remove()
        handle = bn.register_forward_hook(lambda m, i, o: None)
        assert fusion.fusable_run(layers, 0) == 0
        handle.remove()
    assert fusion.fusable_run(layers, 0) == 0              # gradients on


def test_hooks_still_fire_in_a_sequential_under_no_grad():
    gb.manual_seed(0)
    bn = trained_bn(3)
    model = nn.Sequential(nn.Conv2d(2, 3, 3).double(), bn, nn.ReLU()).eval()
    seen = []
    bn.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with gb.no_grad():
        model(t64(np.ones((1, 2, 5, 5)), False))
    assert seen == [(1, 3, 3, 3)]


def test_fuse_conv_bn_eval_returns_an_equal_conv():
    gb.manual_seed(0)
    conv, bn = nn.Conv2d(3, 5, 3, padding=1, bias=False).double().eval(), trained_bn(5)
    fused = fusion.fuse_conv_bn_eval(conv, bn)
    assert conv.bias is None and fused.bias is not None
    x = t64(np.random.default_rng(2).standard_normal((2, 3, 6, 6)), False)
    np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="eval mode"):
        fusion.fuse_conv_bn_eval(conv.train(), bn)


def test_resnet_and_cnn_inference_unchanged_by_fusion():
    from glassbox import models

    x = gb.tensor(np.random.default_rng(3).standard_normal((4, 1, 28, 28)).astype(np.float32))
    for name in ("cnn", "resnet-small"):
        gb.manual_seed(0)
        model = models.get_model(name)
        model.train()
        with gb.no_grad():   # a few batches so the running statistics are not the defaults
            for _ in range(2):
                model(x * 2 + 1)
        model.eval()
        with gb.no_grad():
            fused = model(x).numpy()
        unfused = model(x).numpy()   # gradients on: module by module
        np.testing.assert_allclose(fused, unfused, rtol=1e-4, atol=1e-5)


# ReLU → MaxPool2d runs as MaxPool2d → ReLU: identical values and gradients
@pytest.mark.parametrize("pool_kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=2, ceil_mode=True)])
def test_relu_then_pool_equals_pool_then_relu(pool_kw):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 2, 7, 7))
    x[0, 0, :2, :2] = 0.0             # ties at the kink
    x[1, 1] = -np.abs(x[1, 1])        # windows with no positive value
    x[2, 0, :2, :2] = [[0.5, 0.5], [0.5, -1.0]]  # a positive tie
    results = []
    for rewritten in (True, False):
        xt = t64(x)
        model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(**pool_kw))
        if not rewritten:
            model[1].register_forward_hook(lambda m, i, o: None)   # a hook keeps the written order
        out = model(xt)
        (out * t64(rng.standard_normal(out.shape), False)).sum().backward()
        results.append((out.numpy(), xt.grad.numpy()))
        rng = np.random.default_rng(8)
        rng.standard_normal((3, 2, 7, 7))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_pool_first_only_for_plain_modules():
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    assert fusion.pool_first(relu, pool)
    assert not fusion.pool_first(relu, nn.MaxPool2d(2, return_indices=True))
    assert not fusion.pool_first(nn.LeakyReLU(), pool)
    assert not fusion.pool_first(relu, nn.AvgPool2d(2))
    relu.register_forward_hook(lambda m, i, o: None)
    assert not fusion.pool_first(relu, pool)


def test_pool_first_is_what_sequential_runs(monkeypatch):
    order = []
    from glassbox.ops import activation, pooling
    for name, cls in (("relu", activation.ReLU), ("pool", pooling.MaxPool2d)):
        fwd = cls.forward
        monkeypatch.setattr(cls, "forward", lambda self, *a, _f=fwd, _n=name, **k: order.append(_n) or _f(self, *a, **k))
    nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(t64(np.ones((1, 1, 4, 4)), False))
    assert order == ["pool", "relu"]
