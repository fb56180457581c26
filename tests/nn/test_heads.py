"""MultiHead and MultiTaskLoss: dict outputs, J = Σ wₖ·Lₖ, its gradient, gradchecks, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn.heads import MultiHead, MultiTaskLoss


def float64(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


def two_task_model(d=5, hidden=4, classes=3, seed=0):
    """tanh body (smooth: no kinks for the finite differences), a class head and a binary head."""
    gb.manual_seed(seed)
    body = nn.Sequential(nn.Linear(d, hidden), nn.Tanh())
    return float64(MultiHead(body, {"cls": nn.Linear(hidden, classes), "bin": nn.Linear(hidden, 1)}))


def batch(n=6, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = gb.Tensor(rng.normal(size=(n, d)), dtype=np.float64)
    targets = {"cls": gb.Tensor(rng.integers(0, classes, n)),
               "bin": gb.Tensor(rng.integers(0, 2, (n, 1)).astype(np.float64), dtype=np.float64)}
    return x, targets


def criterion(w_cls=0.7, w_bin=2.5):
    return MultiTaskLoss({"cls": nn.CrossEntropyLoss(), "bin": nn.BCEWithLogitsLoss()},
                         {"cls": w_cls, "bin": w_bin})


def grads(model):
    return {name: (np.zeros_like(p.data) if p.grad is None else p.grad.numpy().copy())
            for name, p in model.named_parameters()}


def test_forward_runs_the_body_once_and_returns_one_output_per_head():
    model = two_task_model()
    calls = []
    model.body.register_forward_hook(lambda mod, inp, out: calls.append(out.shape))
    x, _ = batch()
    out = model(x)
    assert list(out) == ["cls", "bin"]
    assert out["cls"].shape == (6, 3) and out["bin"].shape == (6, 1)
    assert calls == [(6, 4)]
    features = model.body(x).data
    np.testing.assert_allclose(out["bin"].data, features @ model.heads["bin"].weight.data.T
                               + model.heads["bin"].bias.data)
    assert list(model.state_dict()) == ["body.0.weight", "body.0.bias", "heads.cls.weight",
                                        "heads.cls.bias", "heads.bin.weight", "heads.bin.bias"]


def test_total_is_the_weighted_sum_and_last_keeps_each_task():
    model, loss_fn = two_task_model(), criterion(0.7, 2.5)
    x, y = batch()
    out = model(x)
    total = loss_fn(out, y)
    l_cls = nn.CrossEntropyLoss()(out["cls"], y["cls"]).item()
    l_bin = nn.BCEWithLogitsLoss()(out["bin"], y["bin"]).item()
    assert total.item() == pytest.approx(0.7 * l_cls + 2.5 * l_bin, rel=1e-12)
    assert loss_fn.last == pytest.approx({"cls": l_cls, "bin": l_bin, "total": total.item()}, rel=1e-12)


def test_gradient_of_the_weighted_sum_is_the_weighted_sum_of_gradients():
    x, y = batch()
    model = two_task_model()
    per_task = {}
    for task in ("cls", "bin"):
        model.zero_grad()
        MultiTaskLoss({task: criterion().losses[task]})(model(x), y).backward()
        per_task[task] = grads(model)
    model.zero_grad()
    criterion(0.7, 2.5)(model(x), y).backward()
    total = grads(model)
    for name in total:
        np.testing.assert_allclose(total[name], 0.7 * per_task["cls"][name] + 2.5 * per_task["bin"][name],
                                   rtol=1e-10, atol=1e-14)
    # each head only hears its own task; the shared body hears both
    assert np.abs(per_task["cls"]["heads.bin.weight"]).max() == 0
    assert np.abs(per_task["bin"]["heads.cls.weight"]).max() == 0
    assert np.abs(per_task["cls"]["body.0.weight"]).max() > 0 and np.abs(per_task["bin"]["body.0.weight"]).max() > 0


def test_zero_weight_silences_a_task():
    x, y = batch()
    model = two_task_model()
    out = model(x)
    loss = criterion(1.0, 0.0)(out, y)
    loss.backward()
    assert np.abs(grads(model)["heads.bin.weight"]).max() == 0
    assert np.abs(grads(model)["heads.cls.weight"]).max() > 0
    assert loss.item() == pytest.approx(nn.CrossEntropyLoss()(out["cls"], y["cls"]).item(), rel=1e-12)


def test_gradcheck_fixed_shapes():
    model, loss_fn = two_task_model(), criterion()
    x, y = batch()
    x.requires_grad = True
    params = list(model.parameters())
    gb.gradcheck(lambda *_: loss_fn(model(x), y), x, *params, eps=1e-6, atol=1e-5, rtol=1e-3)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 4), hidden=st.integers(1, 4), classes=st.integers(2, 4),
       w1=st.floats(0.0, 3.0), w2=st.floats(0.0, 3.0), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes_and_weights(n, d, hidden, classes, w1, w2, seed):
    model = two_task_model(d, hidden, classes, seed)
    x, y = batch(n, d, classes, seed)
    loss_fn = criterion(w1, w2)
    gb.gradcheck(lambda *_: loss_fn(model(x), y), *model.parameters(), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_float32_by_default_and_trains_both_tasks():
    gb.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = {"cls": gb.Tensor((x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)),
         "bin": gb.Tensor((x[:, 2:3] > 0).astype(np.float32))}
    model = MultiHead(nn.Sequential(nn.Linear(4, 16), nn.Tanh()),
                      {"cls": nn.Linear(16, 3), "bin": nn.Linear(16, 1)})
    loss_fn = MultiTaskLoss({"cls": nn.CrossEntropyLoss(), "bin": nn.BCEWithLogitsLoss()})
    opt = gb.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = loss_fn(model(gb.Tensor(x)), y)
        assert loss.dtype == np.float32
        first = first or dict(loss_fn.last)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss_fn.last["cls"] < 0.5 * first["cls"] and loss_fn.last["bin"] < 0.5 * first["bin"]


def test_bad_input_is_named():
    body = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="MultiHead: heads must be a non-empty dict"):
        MultiHead(body, {})
    with pytest.raises(TypeError, match="MultiHead: head 'a' must be a Module"):
        MultiHead(body, {"a": lambda z: z})
    with pytest.raises(ValueError, match=r"MultiHead: .*`task`, expected a Python identifier .*"
                                         r"heads.<task>.weight\). Received: task='a.b'"):
        MultiHead(body, {"a.b": nn.Linear(2, 1)})
    with pytest.raises(ValueError, match=r"MultiTaskLoss: .*`task`, expected a Python identifier"):
        MultiTaskLoss({3: lambda o, t: o})
    with pytest.raises(TypeError, match="MultiHead: body must be a Module"):
        MultiHead("body", {"a": nn.Linear(2, 1)})
    with pytest.raises(KeyError, match="no head named 'c'"):
        MultiHead(body, {"a": nn.Linear(2, 1)}).heads["c"]
    with pytest.raises(ValueError, match=r"MultiTaskLoss: .*`weights\['a'\]`, expected a number >= 0. Received: weights\['a'\]=-1"):
        MultiTaskLoss({"a": nn.MSELoss()}, {"a": -1})
    with pytest.raises(ValueError, match=r"unknown task\(s\) \['b'\]"):
        MultiTaskLoss({"a": nn.MSELoss()}, {"b": 1.0})
    with pytest.raises(TypeError, match="the loss of task 'a' must be callable"):
        MultiTaskLoss({"a": 3})
    loss_fn = MultiTaskLoss({"a": nn.MSELoss(), "b": nn.MSELoss()})
    t = gb.Tensor(np.zeros((2, 1)))
    with pytest.raises(KeyError, match=r"targets lack task\(s\) \['b'\]"):
        loss_fn({"a": t, "b": t}, {"a": t})
    with pytest.raises(TypeError, match="outputs must be a dict"):
        loss_fn(t, {"a": t, "b": t})
    with pytest.raises(ValueError, match="must return a scalar Tensor"):
        MultiTaskLoss({"a": nn.MSELoss(reduction="none")})({"a": t}, {"a": t})
