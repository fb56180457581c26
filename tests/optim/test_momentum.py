"""Momentum (the course's EMA form) against its equations and against SGD's velocity form."""
import numpy as np

from glassbox.optim import SGD, Momentum


def test_three_steps_match_notes(run_steps, w0, grads):
    lr, beta = 0.2, 0.9
    got = run_steps(Momentum, w0, grads, lr=lr, beta=beta)
    g1, g2, g3 = grads
    m1 = (1 - beta) * g1                        # m_0 = 0
    w1 = w0 - lr * m1
    m2 = beta * m1 + (1 - beta) * g2
    w2 = w1 - lr * m2
    m3 = beta * m2 + (1 - beta) * g3
    w3 = w2 - lr * m3
    for a, b in zip(got, [w1, w2, w3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_weight_decay(run_steps, w0, grads):
    lr, beta, lam = 0.2, 0.5, 0.1
    got = run_steps(Momentum, w0, grads, lr=lr, beta=beta, weight_decay=lam)
    w, m = w0.copy(), np.zeros_like(w0)
    for t, g in enumerate(grads):
        m = beta * m + (1 - beta) * (g + lam * w)
        w = w - lr * m
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_equals_sgd_velocity_form_with_lr_over_one_minus_beta(run_steps, w0):
    """m_t = (1 − β)·v_t, so Momentum(lr = lr_sgd / (1 − β)) ≡ SGD(lr_sgd, momentum=β)."""
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=w0.shape) for _ in range(20)]
    lr_sgd, beta = 0.003, 0.9
    vel = run_steps(SGD, w0, grads, lr=lr_sgd, momentum=beta, weight_decay=0.05)
    ema = run_steps(Momentum, w0, grads, lr=lr_sgd / (1 - beta), beta=beta, weight_decay=0.05)
    for a, b in zip(ema, vel):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # ... and with the same lr the velocity form moves 1 / (1 − β) = 10× further.
    same_lr = run_steps(SGD, w0, grads, lr=lr_sgd, momentum=beta)
    plain = run_steps(Momentum, w0, grads, lr=lr_sgd, beta=beta)
    for a, b in zip(same_lr, plain):
        np.testing.assert_allclose(a - w0, (b - w0) / (1 - beta), rtol=1e-10)


def test_dampening_beta_differs_only_by_a_fading_first_gradient(w0):
    """SGD(momentum=β, dampening=β) keeps v_1 = g_1, so v_t − m_t = β^t·g_1."""
    import glassbox as gb
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=w0.shape) for _ in range(12)]
    beta = 0.9
    p_ema = gb.Tensor(w0.copy(), requires_grad=True, dtype=np.float64)
    p_sgd = gb.Tensor(w0.copy(), requires_grad=True, dtype=np.float64)
    ema = Momentum([p_ema], lr=0.01, beta=beta)
    sgd = SGD([p_sgd], lr=0.01, momentum=beta, dampening=beta)
    for t, g in enumerate(grads, start=1):
        p_ema.grad = gb.Tensor(g, dtype=np.float64)
        p_sgd.grad = gb.Tensor(g, dtype=np.float64)
        ema.step()
        sgd.step()
        m = ema.state[p_ema]["exp_avg"]
        v = sgd.state[p_sgd]["momentum_buffer"]
        np.testing.assert_allclose(v - m, beta ** t * grads[0], rtol=1e-9, atol=1e-12)
