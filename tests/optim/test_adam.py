"""Adam and AdamW against the notes' bias-corrected formula, written out literally."""
import numpy as np

import glassbox as gb
from glassbox.optim import Adam, AdamW


def _adam_literal(w0, grads, lr, b1, b2, eps, l2=0.0, decoupled=0.0):
    """The notes' equations, one line each, in float64."""
    w, m, V, out = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for t, g in enumerate(grads, start=1):
        w = w - lr * decoupled * w
        g = g + l2 * w
        m = b1 * m + (1 - b1) * g
        V = b2 * V + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        V_hat = V / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(V_hat) + eps)
        out.append(w)
    return out


def test_three_steps_match_notes(run_steps, w0, grads):
    got = run_steps(Adam, w0, grads, lr=0.01)
    ref = _adam_literal(w0, grads, 0.01, 0.9, 0.999, 1e-8)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_first_step_is_lr_times_sign_of_gradient(run_steps, w0, grads):
    """m̂_1 = g_1 and V̂_1 = g_1², so the first step is lr·sign(g) (eps = 0)."""
    got = run_steps(Adam, w0, grads[:1], lr=0.01, eps=0.0)
    np.testing.assert_allclose(got[0], w0 - 0.01 * np.sign(grads[0]), rtol=1e-12)


def test_large_eps_where_folding_it_matters(run_steps, w0, grads):
    """A large ε makes the ε·√(1 − β2^t) folding visible if it were wrong."""
    got = run_steps(Adam, w0, grads, lr=0.1, betas=(0.8, 0.95), eps=0.5)
    ref = _adam_literal(w0, grads, 0.1, 0.8, 0.95, 0.5)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_l2_weight_decay(run_steps, w0, grads):
    got = run_steps(Adam, w0, grads, lr=0.05, weight_decay=0.1)
    ref = _adam_literal(w0, grads, 0.05, 0.9, 0.999, 1e-8, l2=0.1)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_adamw_decoupled_weight_decay(run_steps, w0, grads):
    got = run_steps(AdamW, w0, grads, lr=0.05, weight_decay=0.1)
    ref = _adam_literal(w0, grads, 0.05, 0.9, 0.999, 1e-8, decoupled=0.1)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    coupled = run_steps(Adam, w0, grads, lr=0.05, weight_decay=0.1)
    assert not np.allclose(got[-1], coupled[-1])


def test_adam_reaches_minimum_of_elongated_quadratic():
    """f(w) = ½(w₀² + 1000·w₁²): curvatures 1 and 1000; plain SGD at a stable lr crawls."""
    a = gb.Tensor(np.array([1.0, 1000.0]), dtype=np.float64)
    p = gb.Tensor(np.array([3.0, -2.0]), requires_grad=True, dtype=np.float64)
    opt = Adam([p], lr=0.05)
    for _ in range(1500):
        opt.zero_grad()
        loss = (a * p * p).sum() * 0.5
        loss.backward()
        opt.step()
    np.testing.assert_allclose(p.data, [0.0, 0.0], atol=1e-3)
