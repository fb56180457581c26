"""SGD against the update equations written out by hand in float64."""
import numpy as np
import pytest

from glassbox.optim import SGD


def test_plain_sgd_three_steps_match_notes(run_steps, w0, grads):
    lr = 0.1
    got = run_steps(SGD, w0, grads, lr=lr)
    w = w0.copy()
    for t, g in enumerate(grads):
        w = w - lr * g                          # w_{t+1} = w_t − lr·g_t
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_momentum_velocity_form_three_steps(run_steps, w0, grads):
    lr, mu = 0.1, 0.9
    got = run_steps(SGD, w0, grads, lr=lr, momentum=mu)
    g1, g2, g3 = grads
    v1 = g1
    w1 = w0 - lr * v1
    v2 = mu * v1 + g2
    w2 = w1 - lr * v2
    v3 = mu * v2 + g3
    w3 = w2 - lr * v3
    for a, b in zip(got, [w1, w2, w3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_dampening_skipped_on_first_step(run_steps, w0, grads):
    lr, mu, d = 0.05, 0.8, 0.3
    got = run_steps(SGD, w0, grads, lr=lr, momentum=mu, dampening=d)
    g1, g2, g3 = grads
    v1 = g1                                     # no dampening on step 1 (PyTorch)
    v2 = mu * v1 + (1 - d) * g2
    v3 = mu * v2 + (1 - d) * g3
    w = w0 - lr * v1
    np.testing.assert_allclose(got[0], w, rtol=1e-12)
    w = w - lr * v2
    np.testing.assert_allclose(got[1], w, rtol=1e-12)
    w = w - lr * v3
    np.testing.assert_allclose(got[2], w, rtol=1e-12)


def test_nesterov_three_steps(run_steps, w0, grads):
    lr, mu = 0.1, 0.9
    got = run_steps(SGD, w0, grads, lr=lr, momentum=mu, nesterov=True)
    w, v = w0.copy(), None
    for t, g in enumerate(grads):
        v = g.copy() if v is None else mu * v + g
        w = w - lr * (g + mu * v)
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_weight_decay_adds_lambda_w_to_gradient(run_steps, w0, grads):
    lr, mu, lam = 0.1, 0.5, 0.01
    got = run_steps(SGD, w0, grads, lr=lr, momentum=mu, weight_decay=lam)
    w, v = w0.copy(), None
    for t, g in enumerate(grads):
        g = g + lam * w
        v = g if v is None else mu * v + g
        w = w - lr * v
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_nesterov_needs_momentum_and_no_dampening(w0):
    import glassbox as gb
    p = gb.Tensor(w0, requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="dampening=0.1"):
        SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
