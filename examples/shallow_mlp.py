"""A shallow network: one hidden layer of 128 ReLU units between the pixels and the softmax.

    python examples/shallow_mlp.py
"""
import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.models import shallow_mlp

gb.manual_seed(0)
(x_train, y_train), (x_test, y_test) = load_mnist(flatten=True)
model = shallow_mlp(in_features=784, hidden=128, num_classes=10)
print(model)
gb.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
       (x_train, y_train), val_data=(x_test, y_test), epochs=5, batch_size=32, verbose=2, seed=0)
print("test accuracy:", round(gb.evaluate(model, (x_test, y_test))["accuracy"], 4))
