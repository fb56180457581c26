"""Softmax regression: ŷ = softmax(XW + b), cross-entropy, mini-batch gradient descent.

One linear layer and the fused softmax + cross-entropy loss (gradient ŷ − y) on all ten
MNIST digits.

    python examples/softmax_regression.py
"""
import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.models import SoftmaxRegression

gb.manual_seed(0)
(x_train, y_train), (x_test, y_test) = load_mnist(flatten=True)
model = SoftmaxRegression(in_features=784, num_classes=10)
gb.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
       (x_train, y_train), val_data=(x_test, y_test), epochs=5, batch_size=64, verbose=2, seed=0)
print("test accuracy:", round(gb.evaluate(model, (x_test, y_test))["accuracy"], 4))
