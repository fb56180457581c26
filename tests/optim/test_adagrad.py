"""Adagrad against the notes' formula V_t = Σ g_τ², w −= lr·g/√V."""
import numpy as np

from glassbox.optim import Adagrad


def test_three_steps_match_notes(run_steps, w0, grads):
    lr = 0.5
    got = run_steps(Adagrad, w0, grads, lr=lr, eps=0.0)
    w = w0.copy()
    for t in range(3):
        V = sum(grads[k] ** 2 for k in range(t + 1))      # Σ_{τ ≤ t} g_τ²
        w = w - lr * grads[t] / np.sqrt(V)
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_eps_initial_accumulator_and_weight_decay(run_steps, w0, grads):
    lr, eps, v0, lam = 0.1, 1e-3, 0.5, 0.02
    got = run_steps(Adagrad, w0, grads, lr=lr, eps=eps, initial_accumulator_value=v0,
                    weight_decay=lam)
    w, V = w0.copy(), np.full_like(w0, v0)
    for t, g in enumerate(grads):
        g = g + lam * w
        V = V + g ** 2
        w = w - lr * g / (np.sqrt(V) + eps)
        np.testing.assert_allclose(got[t], w, rtol=1e-12, atol=1e-12)


def test_zero_gradient_coordinate_does_not_produce_nan(run_steps, w0, grads):
    g = [x.copy() for x in grads]
    for x in g:
        x[0, 0] = 0.0
    got = run_steps(Adagrad, w0, g, lr=0.1)
    assert np.isfinite(got[-1]).all()
    assert got[-1][0, 0] == w0[0, 0]
