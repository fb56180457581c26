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

``centered=True`` (Graves 2013, as in PyTorch) also averages the gradients themselves and
divides by an estimate of their standard deviation instead of their root mean square:

    ḡ_t = β · ḡ_{t−1} + (1 − β) · g_t,   ḡ_0 = 0
    w_{t+1} = w_t − lr · g_t / (√(V_t − ḡ_t²) + ε)

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    V.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    if centered:
        gbar.mul_(alpha).add_(g, alpha=1 - alpha)
        d = g / ((V - gbar * gbar).sqrt() + eps)
    else:
        d = g / (V.sqrt() + eps)
    if momentum > 0:
        d = b.mul_(momentum).add_(d)
    p.sub_(lr * d)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import FLAG, NON_NEGATIVE, Optimizer, ParamsT, lazy_buffer, moving_average_


class RMSprop(Optimizer):
    """RMSprop: per-coordinate step sizes from a moving average of squared gradients.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate (≥ 0).
        alpha: decay β of the squared-gradient average (≥ 0, PyTorch's rule; above 1 the
            new gradient gets a negative weight, so that warns).
        eps: added to √V for numerical stability (≥ 0).
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
        momentum: momentum factor μ (≥ 0) applied to the normalized gradient.
        centered: divide by √(V − ḡ²) (the gradient's variance) instead of √V.
    """

    rules = {**Optimizer.rules, "alpha": NON_NEGATIVE, "eps": NON_NEGATIVE,
             "momentum": NON_NEGATIVE, "centered": FLAG}
    buffers = {"square_avg": None, "momentum_buffer": "momentum", "grad_avg": "centered"}
    suspicious = {"alpha": (lambda alpha: alpha > 1.0,
                            "alpha={value!r} > 1 gives the new squared gradient the negative weight "
                            "1 − alpha, so V can turn negative and √V NaN. PyTorch accepts it; use "
                            "alpha in [0, 1], e.g. 0.99")}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def _eps_divides(self, group: dict[str, Any]) -> bool:
        return True

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        alpha = group["alpha"]
        v = state["square_avg"]
        moving_average_(v, g, alpha, tmp, squared=True)  # V = β·V + (1 − β)·g²
        if group["centered"]:
            gbar = lazy_buffer(state, "grad_avg", w)
            moving_average_(gbar, g, alpha, tmp)        # ḡ = β·ḡ + (1 − β)·g
            xp.multiply(gbar, gbar, out=tmp)
            xp.subtract(v, tmp, out=tmp)         # V − ḡ²
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(v, out=tmp)
        tmp += group["eps"]
        xp.divide(g, tmp, out=tmp)               # g / (√V + ε)
        mu = group["momentum"]
        if mu > 0.0:
            b = lazy_buffer(state, "momentum_buffer", w)
            b *= mu
            b += tmp
            xp.multiply(b, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        xp.subtract(w, tmp, out=w)
