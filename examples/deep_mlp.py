"""A deep network in ten lines: 784-256-128-10 with ReLU, Adam, cross-entropy.

    python examples/deep_mlp.py
"""
import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist

gb.manual_seed(0)
(x_train, y_train), (x_test, y_test) = load_mnist(flatten=True)
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = optim.Adam(model.parameters(), lr=1e-3)
gb.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train),
       val_data=(x_test, y_test), epochs=4, batch_size=32, verbose=2, seed=0)
print("test accuracy:", round(gb.evaluate(model, (x_test, y_test))["accuracy"], 4))
