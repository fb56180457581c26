"""L2/L1 penalties (values, gradients, bias exclusion), Regularized loss, max-norm."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn.regularization import (
    Regularized, apply_max_norm, l1_penalty, l2_penalty, select_parameters,
)
from glassbox.optim import SGD, Adam
from glassbox.training import MaxNorm, fit


def net(seed=0, dtype=np.float64):
    gb.manual_seed(seed)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for p in m.parameters():
        p.data = p.data.astype(dtype)
        p.data += 0.1  # nonzero biases, so excluding them is visible
    return m


def test_l2_value_and_gradient_are_the_course_formulas():
    m = net()
    lam, batch = 0.3, 8
    pen = l2_penalty(m, lam, batch)
    W1, W2 = m[0].weight.data, m[2].weight.data
    assert pen.item() == pytest.approx(lam / (2 * batch) * ((W1 ** 2).sum() + (W2 ** 2).sum()), rel=1e-12)
    pen.backward()
    np.testing.assert_allclose(m[0].weight.grad.data, lam / batch * W1, rtol=1e-12)
    np.testing.assert_allclose(m[2].weight.grad.data, lam / batch * W2, rtol=1e-12)
    assert m[0].bias.grad is None and m[2].bias.grad is None  # biases are not penalized


def test_l1_value_and_gradient():
    m = net()
    pen = l1_penalty(m, 0.5, 4)
    W1, W2 = m[0].weight.data, m[2].weight.data
    assert pen.item() == pytest.approx(0.5 / 4 * (np.abs(W1).sum() + np.abs(W2).sum()), rel=1e-12)
    pen.backward()
    np.testing.assert_allclose(m[0].weight.grad.data, 0.5 / 4 * np.sign(W1))


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), lam=st.floats(0.01, 2.0), m=st.integers(1, 50))
def test_penalties_gradcheck(rows, cols, lam, m):
    rng = np.random.default_rng(rows * 10 + cols)
    w = gb.Tensor(rng.normal(size=(rows, cols)), requires_grad=True, dtype=np.float64)
    v = gb.Tensor(rng.normal(size=(2, rows)), requires_grad=True, dtype=np.float64)
    gb.gradcheck(lambda a, b: l2_penalty([a, b], lam, m), w, v)
    # away from the kink of |w| at 0
    w.data += np.where(w.data >= 0, 0.1, -0.1)
    gb.gradcheck(lambda a: l1_penalty([a], lam, m), w)


def test_selection_include_and_groups():
    m = net()
    names = lambda include: [n for _, g in select_parameters(m, include) for n, _ in g]  # noqa: E731
    assert names(None) == ["0.weight", "2.weight"]
    assert names("all") == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert names(r"^2\.") == ["2.weight", "2.bias"]  # a name filter replaces the weights-only rule
    assert names(lambda n, p: n.endswith("bias")) == ["0.bias", "2.bias"]
    # per-group λ: the first layer at 1.0, the output layer unpenalized
    pen = l2_penalty([{"params": m[0].parameters(), "l2": 1.0}, {"params": m[2].parameters(), "l2": 0.0}],
                     lam=5.0, m=1)
    assert pen.item() == pytest.approx(0.5 * (m[0].weight.data ** 2).sum(), rel=1e-12)
    assert l2_penalty([m[0].bias], 1.0).item() == 0.0  # a bias alone is not a weight
    with pytest.raises(ValueError, match=r"l2_penalty: .*`m`, expected a number > 0. Received: m=0"):
        l2_penalty(m, 1.0, 0)
    with pytest.raises(ValueError, match=r"l2_penalty: .*`lam`, expected a number >= 0. Received: lam=-1.0"):
        l2_penalty(m, -1.0)
    with pytest.raises(ValueError, match=r"l2_penalty: .*`l2`, expected a number >= 0. Received: l2=-2"):
        l2_penalty([{"params": m[0].parameters(), "l2": -2}], lam=1.0)
    with pytest.raises(TypeError, match="include"):
        l2_penalty(m, 1.0, include=3)


def test_sgd_with_l2_loss_equals_sgd_weight_decay():
    """SGD on loss + λ/(2m)‖W‖² (weights and biases) ≡ SGD(weight_decay=λ/m) on the loss."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    y = rng.integers(0, 2, 16)
    lam, m_ = 0.7, 16
    a, b = net(1), net(1)
    opt_a = SGD(a.parameters(), lr=0.2)
    opt_b = SGD(b.parameters(), lr=0.2, weight_decay=lam / m_)
    ce = nn.CrossEntropyLoss()
    for _ in range(5):
        for model, opt, reg in ((a, opt_a, True), (b, opt_b, False)):
            loss = ce(model(gb.Tensor(x, dtype=np.float64)), y)
            if reg:
                loss = loss + l2_penalty(model, lam, m_, include="all")
            opt.zero_grad()
            loss.backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12, atol=1e-14)


def test_adam_l2_differs_from_decoupled_decay():
    """Adam divides the penalty's gradient by √V̂: a busy coordinate is barely decayed, a quiet
    one strongly; AdamW shrinks both alike."""
    from glassbox.optim import AdamW

    scale = np.array([[10.0, 0.001]])  # busy, quiet: data gradients ±scale, mean 0

    def run(opt_cls, l2, **kw):
        p = gb.Tensor(np.ones((1, 2)), requires_grad=True, dtype=np.float64)
        opt = opt_cls([p], lr=0.01, **kw)
        for t in range(40):
            loss = (p * gb.Tensor(scale * (-1) ** t, dtype=np.float64)).sum()
            if l2:
                loss = loss + l2_penalty([p], 1.0)  # gradient + 1·w
            opt.zero_grad()
            loss.backward()
            opt.step()
        return p.data[0]

    plain = run(Adam, False)
    l2_effect = plain - run(Adam, True)
    decoupled_effect = plain - run(AdamW, False, weight_decay=1.0)
    assert l2_effect[1] > 5 * l2_effect[0] > 0
    assert 0.5 < decoupled_effect[1] / decoupled_effect[0] < 2.0


def test_regularized_loss_in_fit_and_eval_mode():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, 20)
    m = net()
    ce = nn.CrossEntropyLoss()
    reg = Regularized(ce, m, l2=0.5, l1=0.1)
    out = m(gb.Tensor(x, dtype=np.float64))
    expected = ce(out, y).item() + l2_penalty(m, 0.5, 20).item() + l1_penalty(m, 0.1, 20).item()
    assert reg(out, y).item() == pytest.approx(expected, rel=1e-12)
    m.eval()
    assert reg(out, y).item() == pytest.approx(ce(out, y).item(), rel=1e-12)  # val loss: data only
    m.train()
    # shrinks the weights compared with no penalty
    a, b = net(2, np.float32), net(2, np.float32)
    fit(a, Regularized(ce, a, l2=20.0), SGD(a.parameters(), 0.1), (x.astype(np.float32), y),
        epochs=5, batch_size=20, verbose=0, seed=0)
    fit(b, ce, SGD(b.parameters(), 0.1), (x.astype(np.float32), y), epochs=5, batch_size=20,
        verbose=0, seed=0)
    assert np.linalg.norm(a[0].weight.data) < 0.8 * np.linalg.norm(b[0].weight.data)
    with pytest.raises(ValueError, match=r"Regularized: .*`l2`, expected a number >= 0"):
        Regularized(ce, a, l2=-1)


def test_max_norm_rescales_rows_above_c():
    m = net()
    w = m[0].weight.data
    w[...] = np.array([[3.0, 4.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 10.0], [1.0, 1.0, 1.0]])
    n = apply_max_norm(m, 2.0)
    assert n == 2 + int(np.any(np.linalg.norm(m[2].weight.data, axis=1) > 2))
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), [2.0, 0.1, 2.0, np.sqrt(3)], rtol=1e-6)
    np.testing.assert_allclose(w[0], [1.2, 1.6, 0.0], rtol=1e-6)  # direction kept
    # as a callback after every step, with a large lr that would otherwise grow the weights
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    m32 = net(3, np.float32)
    fit(m32, nn.CrossEntropyLoss(), SGD(m32.parameters(), 5.0), (x, y), epochs=3, batch_size=8,
        verbose=0, callbacks=[MaxNorm(0.5)])
    for layer in (m32[0], m32[2]):
        assert np.linalg.norm(layer.weight.data, axis=1).max() <= 0.5 + 1e-5


def test_apply_max_norm_needs_a_positive_max_value():
    from glassbox.nn.regularization import apply_max_norm

    for bad in (0, -1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match=r"apply_max_norm: .*`max_value`, expected a number > 0"):
            apply_max_norm(net(), bad)
