"""RMSprop against the notes' formula V_t = β·V_{t−1} + (1 − β)·g², w −= lr·g/√V."""
import numpy as np

from glassbox.optim import RMSprop


def test_three_steps_match_notes(run_steps, w0, grads):
    lr, beta = 0.01, 0.9
    got = run_steps(RMSprop, w0, grads, lr=lr, alpha=beta, eps=0.0)
    g1, g2, g3 = grads
    V1 = (1 - beta) * g1 ** 2                   # V_0 = 0
    w1 = w0 - lr * g1 / np.sqrt(V1)
    V2 = beta * V1 + (1 - beta) * g2 ** 2
    w2 = w1 - lr * g2 / np.sqrt(V2)
    V3 = beta * V2 + (1 - beta) * g3 ** 2
    w3 = w2 - lr * g3 / np.sqrt(V3)
    for a, b in zip(got, [w1, w2, w3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_eps_momentum_and_weight_decay(run_steps, w0, grads):
    lr, alpha, eps, mu, lam = 0.01, 0.99, 1e-2, 0.7, 0.05
    got = run_steps(RMSprop, w0, grads, lr=lr, alpha=alpha, eps=eps, momentum=mu,
                    weight_decay=lam)
    w, V, b = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(grads):
        g = g + lam * w
        V = alpha * V + (1 - alpha) * g ** 2
        b = mu * b + g / (np.sqrt(V) + eps)
        w = w - lr * b
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)
