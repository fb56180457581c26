"""``Adadelta``: RMSprop whose step size comes from the past updates, not from a learning rate.

Course notes ("优化算法" AdaDelta): Adagrad's sum of all squared gradients only grows,
so its steps shrink to zero; AdaDelta keeps a moving average instead (as RMSprop does)
and replaces the learning rate by the root mean square of the recent *updates*, so the
step has the units of the weight (Zeiler 2012). With decay ρ, both averages start at 0:

    V_t = ρ · V_{t−1} + (1 − ρ) · g_t²                   (squared gradients)
    Δ_t = √(U_{t−1} + ε) / √(V_t + ε) · g_t              (the update)
    U_t = ρ · U_{t−1} + (1 − ρ) · Δ_t²                   (squared updates)
    w_{t+1} = w_t − lr · Δ_t

``lr`` (PyTorch's default 1.0) only scales Δ; the paper has no learning rate. Note that ε
is inside both roots: at t = 1, U_0 = 0 and the first step is lr · √ε / √(V_1 + ε) · g_1,
small (≈ 1e-3·lr·sign(g) for ε = 1e-6), and the steps grow as U fills up.

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)
    std = square_avg.add(eps).sqrt_()
    delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    p.add_(delta, alpha=-lr)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import NON_NEGATIVE, UNIT_INTERVAL, Optimizer, ParamsT, moving_average_


class Adadelta(Optimizer):
    """Adadelta: step = RMS of past updates / RMS of past gradients, times the gradient.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: scales the update Δ (≥ 0; default 1.0, as in PyTorch).
        rho: decay ρ of both moving averages, in [0, 1] (PyTorch's rule).
        eps: ε inside both roots (≥ 0). It also sets the size of the first steps.
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
    """

    rules = {**Optimizer.rules, "rho": UNIT_INTERVAL, "eps": NON_NEGATIVE}
    buffers = {"square_avg": None, "acc_delta": None}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def _eps_divides(self, group: dict[str, Any]) -> bool:
        return True  # with ε = 0, U_0 = 0 makes every update 0 (and 0/0 for zero gradients)

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        tmp2 = self._scratch_view(w, 2)
        moving_average_(v, g, rho, tmp, squared=True)   # V = ρ·V + (1 − ρ)·g²
        xp.add(u, eps, out=tmp2)                 # √(U + ε)
        xp.sqrt(tmp2, out=tmp2)
        xp.add(v, eps, out=tmp)                  # √(V + ε)
        xp.sqrt(tmp, out=tmp)
        xp.divide(tmp2, tmp, out=tmp)
        tmp *= g                                 # Δ = √(U + ε)/√(V + ε)·g
        moving_average_(u, tmp, rho, tmp2, squared=True)  # U = ρ·U + (1 − ρ)·Δ²
        tmp *= group["lr"]
        xp.subtract(w, tmp, out=w)               # w = w − lr·Δ
