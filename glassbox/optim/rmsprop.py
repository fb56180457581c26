"""``RMSprop``: divide the step by a moving root-mean-square of recent gradients.

Course notes ("优化算法" RMSProp; the Specialization's "RMSprop" writes S for V and
puts ε outside the root): the second moment is an exponential moving average of the
squared gradients, with decay β (PyTorch and this class call it ``alpha``):

    m_t = g_t,   V_t = β · V_{t−1} + (1 − β) · g_t²,   V_0 = 0
    w_{t+1} = w_t − lr · g_t / (√V_t + ε)

Unlike Adagrad's sum, the average forgets old gradients, so steps do not shrink to
zero. With ``momentum`` μ > 0 the normalized gradient is accumulated in a velocity
first, as in PyTorch:

    b_t = μ · b_{t−1} + g_t / (√V_t + ε),   b_0 = 0
    w_{t+1} = w_t − lr · b_t

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    V.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    d = g / (V.sqrt() + eps)
    if momentum > 0:
        d = b.mul_(momentum).add_(d)
    p.sub_(lr * d)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import Optimizer, ParamsT


class RMSprop(Optimizer):
    """RMSprop: per-coordinate step sizes from a moving average of squared gradients.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate (≥ 0).
        alpha: decay β of the squared-gradient average, in [0, 1].
        eps: added to √V for numerical stability (≥ 0).
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
        momentum: momentum factor μ (≥ 0) applied to the normalized gradient.
    """

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0) -> None:
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum)

    def _init_state(self, w: Any, group: dict[str, Any]) -> dict[str, Any]:
        xp = backend.xp
        state = {"square_avg": xp.zeros_like(w)}
        if group["momentum"] > 0.0:
            state["momentum_buffer"] = xp.zeros_like(w)
        return state

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        alpha = group["alpha"]
        v = state["square_avg"]
        v *= alpha                               # V = β·V
        xp.multiply(g, 1.0 - alpha, out=tmp)
        tmp *= g
        v += tmp                                 #   + (1 − β)·g²
        xp.sqrt(v, out=tmp)
        tmp += group["eps"]
        xp.divide(g, tmp, out=tmp)               # g / (√V + ε)
        mu = group["momentum"]
        if mu > 0.0:
            b = state.get("momentum_buffer")
            if b is None:  # momentum was switched on after this parameter's first step
                b = state["momentum_buffer"] = xp.zeros_like(w)
            b *= mu
            b += tmp
            xp.multiply(b, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        xp.subtract(w, tmp, out=w)
