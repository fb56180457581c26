"""The layers and options added for PyTorch fluency: formulas from hand-computed values,
gradients checked, defaults pinned."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import away_from_kinks, check_op, t64

import glassbox as gb
from glassbox import models, nn
from glassbox.nn import functional as F


def _phi(z):
    return np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))(z)


@pytest.mark.parametrize("fn, ref, kinks", [
    (F.gelu, lambda z: z * _phi(z), ()),
    (lambda x: F.gelu(x, approximate="tanh"),
     lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))), ()),
    (F.silu, lambda z: z / (1 + np.exp(-z)), ()),
    (F.elu, lambda z: np.where(z > 0, z, np.expm1(z)), (0.0,)),
    (lambda x: F.elu(x, 0.5), lambda z: np.where(z > 0, z, 0.5 * np.expm1(z)), (0.0,)),
    (F.softplus, lambda z: np.log1p(np.exp(z)), ()),
    (lambda x: F.softplus(x, 2.0, 1.0), lambda z: np.where(2 * z > 1, z, np.log1p(np.exp(2 * z)) / 2), (0.5,)),
])
def test_activations_match_formula_and_gradcheck(fn, ref, kinks):
    check_op(fn, ref, [(4, 5)], kinks=kinks)


def test_gelu_hand_values_and_defaults():
    # GELU(1) = Φ(1) = 0.8413447460685429; GELU(−1) = −(1 − Φ(1))
    out = nn.GELU()(t64([1.0, -1.0, 0.0])).numpy()
    np.testing.assert_allclose(out, [0.8413447460685429, -0.15865525393145707, 0.0], rtol=1e-12)
    assert nn.GELU().approximate == "none" and nn.ELU().alpha == 1.0
    assert (nn.Softplus().beta, nn.Softplus().threshold) == (1.0, 20.0)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")(t64([1.0]))


def test_layer_norm_formula_gradcheck_and_defaults():
    ln = nn.LayerNorm(4, dtype=np.float64)
    assert ln.eps == 1e-5 and ln.weight.shape == (4,) and ln.bias.shape == (4,)
    x = np.array([[1.0, 2.0, 3.0, 6.0]])  # μ = 3, σ² = 3.5
    np.testing.assert_allclose(ln(t64(x)).numpy(), (x - 3) / np.sqrt(3.5 + 1e-5), rtol=1e-12)
    xt = t64(away_from_kinks((3, 2, 4), 1))
    ln.weight.data[:] = [0.5, 1.5, -1.0, 2.0]
    assert gb.gradcheck(lambda a, w, b: F.layer_norm(a, 4, w, b), xt, ln.weight, ln.bias)
    assert gb.gradcheck(lambda a: F.layer_norm(a, (2, 4)), xt)
    with pytest.raises(ValueError, match=r"LayerNorm\(.*\(\*, 4\).*\(2, 3\)"):
        ln(t64(np.zeros((2, 3))))


def test_embedding_lookup_gradient_and_padding_idx():
    emb = nn.Embedding(5, 3, padding_idx=0, dtype=np.float64)
    assert np.all(emb.weight.numpy()[0] == 0)
    idx = np.array([[1, 0], [1, 4]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[1, 0], emb.weight.numpy()[1])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 2, 0, 0, 1])  # row 1 used twice
    plain = nn.Embedding(5, 3, dtype=np.float64)
    assert gb.gradcheck(lambda w: F.embedding(idx, w), plain.weight)
    with pytest.raises(ValueError, match=r"index 5 is outside \[0, 5\)"):
        plain(np.array([5]))


def _log_softmax(z):
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_cross_entropy_options_against_hand_formulas():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3))
    y = np.array([0, 2, -100, 1])
    w = np.array([1.0, 2.0, 0.5])
    lp = _log_softmax(z)
    keep = y != -100
    nll = -lp[np.arange(4)[keep], y[keep]]
    # weight: Σ w[yᵢ]·nllᵢ / Σ w[yᵢ]
    expected = (w[y[keep]] * nll).sum() / w[y[keep]].sum()
    assert F.cross_entropy(t64(z), y, weight=w).item() == pytest.approx(expected, rel=1e-12)
    # label smoothing ε: (1 − ε)·nll + ε/C·(−Σ_c log p_c), mean over kept rows
    eps = 0.1
    smooth = (1 - eps) * nll + eps / 3 * (-lp[keep].sum(axis=1))
    assert F.cross_entropy(t64(z), y, label_smoothing=eps).item() == pytest.approx(smooth.mean(), rel=1e-12)
    none = F.cross_entropy(t64(z), y, reduction="none").numpy()
    assert none[2] == 0 and none[0] == pytest.approx(nll[0])
    for kw in (dict(weight=w), dict(label_smoothing=0.2), dict(weight=w, label_smoothing=0.2), {}):
        assert gb.gradcheck(lambda t: F.cross_entropy(t, y, **kw), t64(z))
    # defaults pinned
    loss = nn.CrossEntropyLoss()
    assert (loss.ignore_index, loss.label_smoothing, loss.reduction, loss.weight) == (-100, 0.0, "mean", None)


def test_cross_entropy_on_nchw_logits_equals_rows():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2, 3, 2, 2))
    y = rng.integers(0, 3, (2, 2, 2))
    rows = z.transpose(0, 2, 3, 1).reshape(-1, 3)
    per_pixel = F.cross_entropy(t64(z), y, reduction="none")
    assert per_pixel.shape == (2, 2, 2)
    np.testing.assert_allclose(per_pixel.numpy().ravel(),
                               -_log_softmax(rows)[np.arange(8), y.transpose(0, 1, 2).ravel()], rtol=1e-12)
    assert gb.gradcheck(lambda t: F.cross_entropy(t, y, label_smoothing=0.1), t64(z))
    assert gb.gradcheck(lambda t: F.nll_loss(F.log_softmax(t, dim=1), y), t64(z))


def test_fast_path_equals_general_path():
    z = np.random.default_rng(2).standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    fast = F.cross_entropy(t64(z), y).item()
    general = F.cross_entropy(t64(z), y, weight=np.ones(4)).item()  # builds the target distribution
    assert fast == pytest.approx(general, rel=1e-14)


def test_empty_batch_raises():
    with pytest.raises(ValueError, match="at least one row"):
        F.cross_entropy(gb.Tensor(np.zeros((0, 3))), np.zeros(0, dtype=np.int64))


def test_nll_loss_weight_and_ignore_index():
    lp = _log_softmax(np.random.default_rng(3).standard_normal((3, 4)))
    y = np.array([1, 3, 1])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    expected = -(w[y] * lp[np.arange(3), y]).sum() / w[y].sum()
    assert nn.NLLLoss(weight=w)(t64(lp), y).item() == pytest.approx(expected, rel=1e-12)
    assert nn.NLLLoss(ignore_index=3)(t64(lp), y).item() == pytest.approx(-lp[[0, 2], [1, 1]].mean())


def test_bce_with_logits_pos_weight():
    z = np.array([[0.3, -1.2], [2.0, 0.1]])
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    p = np.array([3.0, 0.5])
    s = 1 / (1 + np.exp(-z))
    expected = -(p * y * np.log(s) + (1 - y) * np.log(1 - s)).mean()
    loss = nn.BCEWithLogitsLoss(pos_weight=p)
    assert loss(t64(z), y).item() == pytest.approx(expected, rel=1e-12)
    assert gb.gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y, pos_weight=p), t64(z))


def test_batchnorm_momentum_none_is_the_cumulative_average_and_counts_batches():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((6, 2)) + i for i in range(3)]
    for b in batches:
        bn(t64(b, grad=False))
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean(axis=0) for b in batches], axis=0))
    assert int(bn.num_batches_tracked) == 3 and bn.num_batches_tracked.dtype == np.int64
    assert nn.BatchNorm2d(3).momentum == 0.1


def test_batchnorm_without_running_stats_and_frozen():
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    assert set(bn.state_dict()) == {"weight", "bias"}
    x = gb.randn(5, 2)
    bn.eval()
    np.testing.assert_allclose(bn(x).numpy().mean(axis=0), 0, atol=1e-6)  # batch statistics in eval too
    frozen = nn.BatchNorm1d(2).requires_grad_(False)
    frozen.train()
    frozen(gb.randn(8, 2) + 5)
    np.testing.assert_array_equal(frozen.running_mean, [0, 0])
    assert int(frozen.num_batches_tracked) == 0


def test_module_dict_parameter_list_and_module_helpers():
    d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert list(d) == ["a", "b"] and "a.weight" in d.state_dict()
    pl = nn.ParameterList([np.zeros(2), np.ones(3)])
    assert [p.shape for p in pl.parameters()] == [(2,), (3,)]
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.get_submodule("1") is model[1]
    assert [n for n, _ in model.named_buffers()] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Sequential"]
    weight = model[0].weight
    model.to(np.float64)
    assert model[0].weight is weight and weight.dtype == np.float64 and model[1].running_mean.dtype == np.float64
    model.train()
    with model.eval_mode():
        assert not model.training and not model[1].training
    assert model.training and model[1].training
    assert model(np.zeros((4, 2))).shape == (4, 3)  # a NumPy array is wrapped


def test_flatten_names_layer_and_shape():
    with pytest.raises(IndexError, match=r"Flatten\(start_dim=5, end_dim=-1\).*\(2, 3\)"):
        nn.Flatten(5)(gb.randn(2, 3))
    assert nn.Flatten(1, 2)(gb.randn(2, 3, 4, 5)).shape == (2, 12, 5)


def test_clip_grad_norm_and_value():
    a, b = t64([3.0, 0.0]), t64([0.0, 4.0])
    a.grad, b.grad = t64([3.0, 0.0], False), t64([0.0, 4.0], False)
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [3 / (5 + 1e-6), 0])
    nn.utils.clip_grad_value_([b], 0.5)
    assert b.grad.numpy().max() <= 0.5


def test_resnet_state_dict_keys_are_torchvisions():
    def block_keys(prefix, convs, downsample):
        keys = []
        for i in range(1, convs + 1):
            keys += [f"{prefix}.conv{i}.weight"] + [f"{prefix}.bn{i}.{k}" for k in BN]
        if downsample:
            keys += [f"{prefix}.downsample.0.weight"] + [f"{prefix}.downsample.1.{k}" for k in BN]
        return keys

    BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    for build, convs, layers in ((models.resnet18, 2, (2, 2, 2, 2)), (models.resnet50, 3, (3, 4, 6, 3))):
        expected = ["conv1.weight"] + [f"bn1.{k}" for k in BN]
        for stage, n in enumerate(layers, start=1):
            for j in range(n):
                expected += block_keys(f"layer{stage}.{j}", convs, j == 0 and (stage > 1 or convs == 3))
        expected += ["fc.weight", "fc.bias"]
        assert list(build().state_dict()) == expected
    assert models.resnet50().num_parameters() == 25_557_032


def test_vgg_and_alexnet_keys_are_torchvisions():
    keys = list(models.alexnet().state_dict())
    assert keys == [f"features.{i}.{k}" for i in (0, 3, 6, 8, 10) for k in ("weight", "bias")] + \
        [f"classifier.{i}.{k}" for i in (1, 4, 6) for k in ("weight", "bias")]
    vgg = list(models.vgg16().state_dict())
    convs = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
    assert vgg == [f"features.{i}.{k}" for i in convs for k in ("weight", "bias")] + \
        [f"classifier.{i}.{k}" for i in (0, 3, 6) for k in ("weight", "bias")]


def test_explain_finds_formulas_by_type():
    from glassbox.explain import explain
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU(), nn.MaxPool2d(2, padding="valid"),
                          nn.Flatten(), nn.Linear(2 * 13 * 13, 10))
    text = str(explain(model, (1, 28, 28), print_fn=None))
    assert "g = GELU: g(z) = z·Φ(z)" in text and "⌊(26 + 2·0 − 2)/2⌋ + 1 = 13" in text
