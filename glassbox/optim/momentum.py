"""``Momentum``: SGD with momentum in the course's exponential-moving-average form.

The course (notes, "优化算法" SGDM, and the Deep Learning Specialization's "动量梯度下降")
averages the gradients with an exponentially weighted moving average of decay β and
steps along that average:

    m_t = β · m_{t−1} + (1 − β) · g_t,   m_0 = 0,   V_t = 1
    w_{t+1} = w_t − lr · m_t

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    m.mul_(beta).add_(g, alpha=1 - beta)
    p.sub_(lr * m)

How it relates to PyTorch's ``SGD(momentum=μ)`` (``glassbox.optim.SGD``), whose velocity
sums the gradients instead, v_1 = g_1, v_t = μ·v_{t−1} + g_t:

* Unrolled, v_t = Σ_k μ^{t−k} g_k and m_t = (1 − β) Σ_k β^{t−k} g_k, so with μ = β the
  average is a fixed fraction of the velocity, m_t = (1 − β) · v_t, at *every* step
  (the first included, since m_1 = (1 − β) g_1 and v_1 = g_1). Hence lr·m_t equals
  lr'·v_t when lr = lr' / (1 − β): ``Momentum(lr=a, beta=β)`` takes exactly the steps of
  ``SGD(lr=a·(1 − β), momentum=β)``, and ``SGD(lr=b, momentum=β)`` those of
  ``Momentum(lr=b / (1 − β), beta=β)``.
* ``SGD(momentum=β, dampening=β)`` scales new gradients by (1 − β) like the average,
  but PyTorch skips dampening on the first step (v_1 = g_1), so g_1 keeps weight
  β^{t−1} instead of (1 − β)·β^{t−1}: the two agree only up to a term
  β^t · g_1 that fades geometrically (it is ≈ 0.35·g_1 after 10 steps with β = 0.9).
* In practice: on a steady gradient g the velocity grows to g / (1 − μ), so PyTorch's
  momentum multiplies the effective learning rate by 1 / (1 − μ) (10× for μ = 0.9),
  while the averaged form keeps the step at lr·g whatever β is. A learning rate tuned
  for the course's form must be multiplied by (1 − β) before it is used with
  ``SGD(momentum=β)`` (0.1 becomes 0.01 for β = 0.9), and one tuned for PyTorch's form
  divided by (1 − β) for this class; reusing it unchanged makes the steps 10× too
  large (or small). In the averaged form β and lr can be tuned independently. Also, m_0 = 0 makes the first steps of the averaged form small
  ((1 − β)·lr·g at t = 1): unlike Adam it applies no bias correction.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import UNIT_HALF_OPEN, Optimizer, ParamsT, moving_average_


class Momentum(Optimizer):
    """Gradient descent along an exponential moving average of the gradients.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate (≥ 0).
        beta: decay β of the moving average, in [0, 1); 0 is plain SGD. 0.9 averages
            over roughly the last 1 / (1 − β) = 10 gradients.
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
    """

    # β is a moving-average decay: β ≥ 1 would give the new gradient a weight 1 − β ≤ 0
    rules = {**Optimizer.rules, "beta": UNIT_HALF_OPEN}
    buffers = {"exp_avg": None}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float, beta: float = 0.9,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, beta=beta, weight_decay=weight_decay)

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        m = state["exp_avg"]
        moving_average_(m, g, group["beta"], tmp)  # m = β·m + (1 − β)·g
        xp.multiply(m, group["lr"], out=tmp)
        xp.subtract(w, tmp, out=w)                 # w = w − lr·m
