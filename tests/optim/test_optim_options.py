"""Adadelta, Adam/AdamW ``amsgrad``, RMSprop ``centered`` and Adagrad ``lr_decay``: three
steps of each against its formula written out literally (float64), plus one scalar case
worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from glassbox.optim import Adadelta, Adagrad, Adam, AdamW, RMSprop


def _close(got, ref):
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ Adadelta
def _adadelta_literal(w0, grads, lr=1.0, rho=0.9, eps=1e-6, l2=0.0):
    w, V, U, out = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for g in grads:
        g = g + l2 * w
        V = rho * V + (1 - rho) * g ** 2
        delta = np.sqrt(U + eps) / np.sqrt(V + eps) * g
        U = rho * U + (1 - rho) * delta ** 2
        w = w - lr * delta
        out.append(w)
    return out


def test_adadelta_three_steps(run_steps, w0, grads):
    _close(run_steps(Adadelta, w0, grads), _adadelta_literal(w0, grads))
    _close(run_steps(Adadelta, w0, grads, lr=0.5, rho=0.5, eps=0.1, weight_decay=0.2),
           _adadelta_literal(w0, grads, lr=0.5, rho=0.5, eps=0.1, l2=0.2))


def test_adadelta_by_hand():
    # w0 = 1, g = 2, ρ = 0.5, ε = 0.25, lr = 1:
    # V1 = 0.5·4 = 2, Δ1 = √0.25/√2.25 · 2 = 0.5/1.5·2 = 2/3, U1 = 0.5·4/9 = 2/9, w1 = 1/3
    # V2 = 0.5·2 + 0.5·4 = 3, Δ2 = √(2/9 + 1/4)/√3.25 · 2, w2 = w1 − Δ2
    got = _run_scalar(Adadelta, 1.0, [2.0, 2.0], rho=0.5, eps=0.25)
    assert got[0] == pytest.approx(1 / 3, rel=1e-12)
    assert got[1] == pytest.approx(1 / 3 - math.sqrt(2 / 9 + 0.25) / math.sqrt(3.25) * 2, rel=1e-12)


def test_adadelta_defaults_are_pytorchs():
    opt = Adadelta([_param()])
    assert {k: opt.defaults[k] for k in ("lr", "rho", "eps", "weight_decay")} == \
        {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}


# ------------------------------------------------------------------ amsgrad
def _adam_literal(w0, grads, lr, b1=0.9, b2=0.999, eps=1e-8, amsgrad=False, decoupled=0.0):
    w, m, V, Vmax, out = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), np.zeros_like(w0), []
    for t, g in enumerate(grads, start=1):
        w = w - lr * decoupled * w
        m = b1 * m + (1 - b1) * g
        V = b2 * V + (1 - b2) * g ** 2
        Vmax = np.maximum(Vmax, V)
        denom = np.sqrt((Vmax if amsgrad else V) / (1 - b2 ** t)) + eps
        w = w - lr * (m / (1 - b1 ** t)) / denom
        out.append(w)
    return out


def test_amsgrad_three_steps(run_steps, w0, grads):
    # β2 = 0.5 forgets fast, so V falls below its maximum and amsgrad differs from Adam
    got = run_steps(Adam, w0, grads, lr=0.1, betas=(0.8, 0.5), amsgrad=True)
    _close(got, _adam_literal(w0, grads, 0.1, 0.8, 0.5, amsgrad=True))
    plain = run_steps(Adam, w0, grads, lr=0.1, betas=(0.8, 0.5))
    assert not np.allclose(got[-1], plain[-1])
    got_w = run_steps(AdamW, w0, grads, lr=0.1, betas=(0.8, 0.5), amsgrad=True, weight_decay=0.1)
    _close(got_w, _adam_literal(w0, grads, 0.1, 0.8, 0.5, amsgrad=True, decoupled=0.1))


def test_amsgrad_by_hand():
    # β1 = 0, β2 = 0.5, ε = 0, lr = 1, g = 2, 1: V1 = 2, V2 = 0.5·2 + 0.5·1 = 1.5; Vmax2 = 2; V̂max2 = 2/0.75
    # step 2 = 1 / √(2/0.75) (amsgrad) vs 1 / √(1.5/0.75) = 1/√2 (Adam)
    with pytest.warns(UserWarning, match="eps=0"):
        got = _run_scalar(Adam, 0.0, [2.0, 1.0], lr=1.0, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    assert got[0] == pytest.approx(-1.0, rel=1e-12)
    assert got[1] - got[0] == pytest.approx(-1 / math.sqrt(2 / 0.75), rel=1e-12)


def test_amsgrad_state_round_trip():
    p = _param()
    opt = Adam([p], lr=0.1, amsgrad=True)
    p.grad = _param(2.0)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["amsgrad"] is True
    assert "max_exp_avg_sq" in sd["state"][0]
    opt2 = Adam([_param()], lr=0.1, amsgrad=True)
    opt2.load_state_dict(sd)
    # a state dict saved before amsgrad existed still loads (the option is off there)
    old = Adam([_param()], lr=0.1)
    sd_old = old.state_dict()
    del sd_old["param_groups"][0]["amsgrad"]
    Adam([_param()], lr=0.1).load_state_dict(sd_old)


# ------------------------------------------------------------------ centered RMSprop
def _rmsprop_literal(w0, grads, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
    w, V, gbar, b, out = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), np.zeros_like(w0), []
    for g in grads:
        V = alpha * V + (1 - alpha) * g ** 2
        gbar = alpha * gbar + (1 - alpha) * g
        denom = np.sqrt(V - gbar ** 2 if centered else V) + eps
        d = g / denom
        if momentum:
            b = momentum * b + d
            d = b
        w = w - lr * d
        out.append(w)
    return out


def test_centered_rmsprop_three_steps(run_steps, w0, grads):
    got = run_steps(RMSprop, w0, grads, lr=0.01, alpha=0.9, centered=True)
    _close(got, _rmsprop_literal(w0, grads, 0.01, alpha=0.9, centered=True))
    got_m = run_steps(RMSprop, w0, grads, lr=0.01, alpha=0.9, centered=True, momentum=0.5)
    _close(got_m, _rmsprop_literal(w0, grads, 0.01, alpha=0.9, centered=True, momentum=0.5))
    plain = run_steps(RMSprop, w0, grads, lr=0.01, alpha=0.9)
    assert not np.allclose(got[-1], plain[-1])


def test_centered_rmsprop_by_hand():
    # α = 0.5, ε = 0, lr = 1, g = 2: V1 = 2, ḡ1 = 1, √(V − ḡ²) = 1 → w1 = w0 − 2
    # g = 4: V2 = 1 + 8 = 9, ḡ2 = 0.5 + 2 = 2.5, √(9 − 6.25) = √2.75 → w2 = w1 − 4/√2.75
    with pytest.warns(UserWarning, match="eps=0"):
        got = _run_scalar(RMSprop, 0.0, [2.0, 4.0], lr=1.0, alpha=0.5, eps=0.0, centered=True)
    assert got[0] == pytest.approx(-2.0, rel=1e-12)
    assert got[1] == pytest.approx(-2.0 - 4 / math.sqrt(2.75), rel=1e-12)


# ------------------------------------------------------------------ Adagrad lr_decay
def test_adagrad_lr_decay_three_steps(run_steps, w0, grads):
    w, S, ref = w0.copy(), np.zeros_like(w0), []
    for t, g in enumerate(grads, start=1):
        S = S + g ** 2
        w = w - 0.1 / (1 + (t - 1) * 0.5) * g / (np.sqrt(S) + 1e-10)
        ref.append(w)
    _close(run_steps(Adagrad, w0, grads, lr=0.1, lr_decay=0.5), ref)


def test_adagrad_lr_decay_by_hand():
    # g = 1 each step, lr = 1, lr_decay = 1: S_t = t, steps 1/√1, (1/2)/√2, (1/3)/√3
    got = _run_scalar(Adagrad, 0.0, [1.0, 1.0, 1.0], lr=1.0, lr_decay=1.0, eps=1e-300)
    assert got[2] == pytest.approx(-(1 + 0.5 / math.sqrt(2) + 1 / (3 * math.sqrt(3))), rel=1e-12)


def test_adagrad_signature_is_pytorchs():
    import inspect
    names = list(inspect.signature(Adagrad).parameters)
    assert names == ["params", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"]


# ------------------------------------------------------------------ helpers
def _param(value=0.0):
    import glassbox as gb
    return gb.Tensor(np.array([value]), requires_grad=True, dtype=np.float64)


def _run_scalar(cls, w0, gs, **kw):
    import glassbox as gb
    p = gb.Tensor(np.array([w0]), requires_grad=True, dtype=np.float64)
    opt = cls([p], **kw)
    out = []
    for g in gs:
        p.grad = gb.Tensor(np.array([g]), dtype=np.float64)
        opt.step()
        out.append(float(p.data[0]))
    return out
