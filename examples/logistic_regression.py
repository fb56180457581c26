"""Logistic regression: ŷ = σ(Xw + b), binary cross-entropy, gradient descent.

Task: tell the digit 0 from the digit 1 on real MNIST (the shared 5,000-digit sample, or
a download). The gradient of the cross-entropy through the sigmoid is simply ŷ − y.

    python examples/logistic_regression.py
"""
import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.models import LogisticRegression

gb.manual_seed(0)
(x_train, y_train), (x_test, y_test) = load_mnist(flatten=True)
keep_train, keep_test = y_train <= 1, y_test <= 1
x_train, y_train = x_train[keep_train], y_train[keep_train].astype(np.float32)
x_test, y_test = x_test[keep_test], y_test[keep_test]

model = LogisticRegression(in_features=784)
history = gb.fit(model, nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=0.5),
                 (x_train, y_train), epochs=3, batch_size=64, verbose=2, seed=0)
predicted = model.predict(gb.Tensor(x_test)).numpy()
print(f"test accuracy, 0 vs 1: {(predicted == y_test).mean():.4f} on {len(y_test)} digits")
