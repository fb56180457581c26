"""``Adagrad``: per-coordinate learning rates from the sum of all squared gradients.

Course notes ("优化算法"): the first moment is the gradient itself and the second
moment accumulates every squared gradient seen so far,

    m_t = g_t,   V_t = Σ_{τ=1..t} g_τ²
    w_{t+1} = w_t − lr · g_t / √V_t

so coordinates that have had large gradients take ever smaller steps. As in PyTorch a
small ε is added to the root (to avoid 0/0 on coordinates that never moved) and the
sum may start at ``initial_accumulator_value`` instead of 0:

    V_0 = initial_accumulator_value
    V_t = V_{t−1} + g_t²
    w_{t+1} = w_t − lr_t · g_t / (√V_t + ε),   lr_t = lr / (1 + (t − 1) · lr_decay)

(``lr_decay`` = 0 by default, then lr_t = lr.)

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    V.addcmul_(g, g)
    p.addcdiv_(g, V.sqrt().add_(eps), value=-clr)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import NON_NEGATIVE, Optimizer, ParamsT


class Adagrad(Optimizer):
    """Adagrad: divide each coordinate's step by the root of its summed squared gradients.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate (≥ 0).
        lr_decay: the rate at step t is lr / (1 + (t − 1)·lr_decay) (≥ 0).
        eps: added to √V for numerical stability (≥ 0).
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
        initial_accumulator_value: starting value V_0 of the sum (≥ 0).
    """

    rules = {**Optimizer.rules, "lr_decay": NON_NEGATIVE, "eps": NON_NEGATIVE,
             "initial_accumulator_value": NON_NEGATIVE}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value)

    def _eps_divides(self, group: dict[str, Any]) -> bool:
        return group["initial_accumulator_value"] == 0.0  # V = 0 until a gradient is nonzero

    def _init_state(self, w: Any, group: dict[str, Any]) -> dict[str, Any]:
        return {"sum": backend.xp.full_like(w, group["initial_accumulator_value"])}

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        v = state["sum"]
        xp.multiply(g, g, out=tmp)
        v += tmp                                 # V = V + g²
        xp.sqrt(v, out=tmp)
        tmp += group["eps"]                      # √V + ε
        xp.divide(g, tmp, out=tmp)
        tmp *= group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        xp.subtract(w, tmp, out=w)               # w = w − lr_t·g/(√V + ε)
