"""Linear / logistic / softmax regression: shapes, and learning by plain gradient descent."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.models import LinearRegression, LogisticRegression, SoftmaxRegression


def _gd_step(model, lr):
    for p in model.parameters():
        p.data -= lr * p.grad.data
    model.zero_grad()


def test_shapes():
    x = gb.randn(7, 3)
    assert LinearRegression(3)(x).shape == (7, 1)
    assert LinearRegression(3, 2)(x).shape == (7, 2)
    assert LogisticRegression(3)(x).shape == (7,)
    assert LogisticRegression(3).predict_proba(x).shape == (7,)
    assert SoftmaxRegression(3, 4)(x).shape == (7, 4)
    assert SoftmaxRegression(784, 10)(gb.randn(2, 1, 28, 28)).shape == (2, 10)


def test_probabilities():
    gb.manual_seed(0)
    model = SoftmaxRegression(3, 4)
    nn.init.normal_(model.linear.weight)
    x = gb.randn(5, 3)
    p = model.predict_proba(x).numpy()
    assert np.allclose(p.sum(axis=1), 1, atol=1e-6) and np.all(p > 0)
    logit = LogisticRegression(3)
    nn.init.normal_(logit.linear.weight)
    z = logit(x).numpy()
    assert np.allclose(logit.predict_proba(x).numpy(), 1 / (1 + np.exp(-z)), atol=1e-6)
    assert np.array_equal(logit.predict(x).numpy(), (z >= 0).astype(np.int64))


def test_parameter_counts():
    assert LinearRegression(3, 2).num_parameters() == 3 * 2 + 2
    assert LogisticRegression(5).num_parameters() == 6
    assert SoftmaxRegression(784, 10).num_parameters() == 7850


def test_input_width_error_names_layer():
    with pytest.raises(ValueError, match="in_features=3"):
        LinearRegression(3)(gb.randn(2, 4))


def test_logistic_regression_separates_blobs():
    rng = np.random.default_rng(0)
    n = 200
    x = np.concatenate([rng.normal((-2, -1), 0.7, (n, 2)), rng.normal((2, 1), 0.7, (n, 2))])
    y = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.float32)
    X, Y = gb.tensor(x.astype(np.float32)), gb.tensor(y)
    model, loss_fn = LogisticRegression(2), nn.BCEWithLogitsLoss()
    first = None
    for _ in range(300):
        loss = loss_fn(model(X), Y)
        first = loss.item() if first is None else first
        loss.backward()
        _gd_step(model, lr=0.5)
    accuracy = (model.predict(X).numpy() == y).mean()
    assert accuracy > 0.95
    assert loss.item() < first / 3


def test_linear_regression_recovers_two_targets():
    rng = np.random.default_rng(1)
    true_w = np.array([[1.5, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype=np.float32)  # (targets, features)
    true_b = np.array([0.7, -0.3], dtype=np.float32)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x @ true_w.T + true_b
    X, Y = gb.tensor(x), gb.tensor(y)
    model, loss_fn = LinearRegression(3, 2), nn.MSELoss()
    for _ in range(400):
        loss_fn(model(X), Y).backward()
        _gd_step(model, lr=0.1)
    assert np.allclose(model.linear.weight.numpy(), true_w, atol=1e-2)
    assert np.allclose(model.linear.bias.numpy(), true_b, atol=1e-2)


def test_softmax_regression_learns_three_blobs():
    rng = np.random.default_rng(2)
    centers = np.array([[0, 3], [3, -2], [-3, -2]])
    labels = np.repeat(np.arange(3), 100)
    x = (centers[labels] + rng.normal(0, 0.8, (300, 2))).astype(np.float32)
    X = gb.tensor(x)
    model, loss_fn = SoftmaxRegression(2, 3), nn.CrossEntropyLoss()
    for _ in range(200):
        loss_fn(model(X), labels).backward()
        _gd_step(model, lr=0.5)
    assert (model(X).numpy().argmax(1) == labels).mean() > 0.95
