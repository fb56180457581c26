"""``Adam`` and ``AdamW``: momentum and RMSprop combined, with bias correction.

Course notes ("优化算法" Adam; the Specialization's "Adam优化算法"): keep an exponential
moving average of the gradients (first moment, as in Momentum) and of the squared
gradients (second moment, as in RMSprop), both starting at 0, and undo the pull toward
0 that this start causes by dividing by 1 − β^t:

    m_t = β1 · m_{t−1} + (1 − β1) · g_t          m̂_t = m_t / (1 − β1^t)
    V_t = β2 · V_{t−1} + (1 − β2) · g_t²         V̂_t = V_t / (1 − β2^t)
    w_{t+1} = w_t − lr · m̂_t / (√V̂_t + ε)

Computed as written this costs extra passes over the arrays for m̂ and V̂. The code
folds both corrections into scalars instead. With c1 = 1 − β1^t and c2 = 1 − β2^t,

    lr · (m_t / c1) / (√(V_t / c2) + ε)  =  (lr · √c2 / c1) · m_t / (√V_t + ε · √c2)

(multiply numerator and denominator by √c2), so each step uses the scalar step size
``lr·√c2/c1`` and the denominator ``√V + ε·√c2``: the same update, two passes fewer.

``amsgrad=True`` (Reddi et al., "On the convergence of Adam and beyond", as PyTorch does
it) divides by the largest second moment seen so far instead of the current one, so a
coordinate's step size never grows back after a large gradient:

    V^max_t = max(V^max_{t−1}, V_t),   V^max_0 = 0
    w_{t+1} = w_t − lr · m̂_t / (√(V^max_t / (1 − β2^t)) + ε)

``Adam``'s ``weight_decay`` λ is L2 regularization, g ← g + λ·w, which then gets
divided by √V̂ like the rest of the gradient. ``AdamW`` instead shrinks the weights
directly, w ← w − lr·λ·w, before the Adam step, so the decay is not rescaled per
coordinate ("decoupled weight decay", Loshchilov & Hutter).

PyTorch-style pseudocode of one step for one parameter::

    if adamw: p.mul_(1 - lr * weight_decay)
    else:     g = p.grad + weight_decay * p
    m.mul_(beta1).add_(g, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    if amsgrad: v = torch.maximum(v_max, v, out=v_max)
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    p.addcdiv_(m, v.sqrt().add_(eps * sqrt(c2)), value=-lr * sqrt(c2) / c1)
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import BETAS, FLAG, NON_NEGATIVE, Optimizer, ParamsT, lazy_buffer, moving_average_


class Adam(Optimizer):
    """Adam: bias-corrected moving averages of the gradient and of its square.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate α (≥ 0).
        betas: (β1, β2), the decays of the two averages, each in [0, 1).
        eps: ε added to √V̂ for numerical stability (≥ 0).
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
        amsgrad: divide by the running maximum of V instead of V (see the module docstring).

    ``eps=0`` is accepted (as in PyTorch) with an ``OptimizerWarning``: a weight whose
    gradient is 0 gets 0/0 = NaN.
    """

    rules = {**Optimizer.rules, "betas": BETAS, "eps": NON_NEGATIVE, "amsgrad": FLAG}
    buffers = {"exp_avg": None, "exp_avg_sq": None, "max_exp_avg_sq": "amsgrad"}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def _eps_divides(self, group: dict[str, Any]) -> bool:
        return True

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        beta1, beta2 = group["betas"]
        t = state["step"]
        m = state["exp_avg"]
        v = state["exp_avg_sq"]
        moving_average_(m, g, beta1, tmp)                # m = β1·m + (1 − β1)·g
        moving_average_(v, g, beta2, tmp, squared=True)  # V = β2·V + (1 − β2)·g²
        if group["amsgrad"]:
            v_max = lazy_buffer(state, "max_exp_avg_sq", w)
            xp.maximum(v_max, v, out=v_max)      # V_max = max(V_max, V)
            v = v_max
        c1 = 1.0 - beta1 ** t
        root_c2 = math.sqrt(1.0 - beta2 ** t)
        xp.sqrt(v, out=tmp)                      # √V + ε·√c2
        tmp += group["eps"] * root_c2
        xp.divide(m, tmp, out=tmp)
        tmp *= group["lr"] * root_c2 / c1        # step size lr·√c2/c1
        xp.subtract(w, tmp, out=w)


class AdamW(Adam):
    """Adam with decoupled weight decay: w ← w − lr·λ·w, then the Adam step.

    The arguments are Adam's, except ``weight_decay``: the decoupled decay λ (≥ 0), by
    default 0.01 as in PyTorch.
    """

    _decoupled_weight_decay = True

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
