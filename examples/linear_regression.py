"""Linear regression with several targets, trained by plain gradient descent.

ŷ = Xw + b, cost J = ½·mean((ŷ − y)²); each step w := w − α·∂J/∂w. We draw data from a
known linear map plus noise and watch gradient descent recover it.

    python examples/linear_regression.py
"""
import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.models import LinearRegression

gb.manual_seed(0)
rng = np.random.default_rng(0)
true_w = np.array([[2.0, -1.0], [0.5, 3.0], [-1.5, 0.0]], dtype=np.float32)  # 3 features → 2 targets
true_b = np.array([1.0, -2.0], dtype=np.float32)
x = rng.standard_normal((500, 3)).astype(np.float32)
y = x @ true_w + true_b + 0.05 * rng.standard_normal((500, 2)).astype(np.float32)

model = LinearRegression(in_features=3, out_features=2)
loss_fn = nn.MSELoss(half=True)  # the course's ½(y − ŷ)²
optimizer = optim.SGD(model.parameters(), lr=0.1)  # full-batch gradient descent
X, Y = gb.Tensor(x), gb.Tensor(y)
for step in range(201):
    loss = loss_fn(model(X), Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step:3d}  cost {loss.item():.5f}")

learned_w = model.linear.weight.numpy().T
print("learned w:\n", learned_w.round(3), "\ntrue w:\n", true_w)
print("learned b:", model.linear.bias.numpy().round(3), " true b:", true_b)
