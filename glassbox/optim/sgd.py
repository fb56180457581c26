"""``SGD``: stochastic gradient descent, optionally with (Nesterov) momentum.

Without momentum this is the course's plain SGD (course notes, "优化算法"):

    m_t = g_t,   V_t = 1
    w_{t+1} = w_t − lr · g_t

With ``momentum`` μ > 0 it keeps PyTorch's *velocity* form, which sums past gradients
instead of averaging them (compare ``glassbox.optim.Momentum``, the course's averaged
form):

    v_1 = g_1                                     (first step: no dampening)
    v_t = μ · v_{t−1} + (1 − dampening) · g_t      (t > 1)
    d_t = g_t + μ · v_t     if nesterov  else  v_t
    w_{t+1} = w_t − lr · d_t

``weight_decay`` λ adds λ·w_t to g_t first (L2 regularization).

PyTorch-style pseudocode of one step for one parameter::

    g = p.grad + weight_decay * p
    if momentum != 0:
        buf = g.clone() if t == 1 else buf.mul_(momentum).add_(g, alpha=1 - dampening)
        g = g.add(buf, alpha=momentum) if nesterov else buf
    p.sub_(lr * g)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from ..errors import InvalidArgumentError
from .optimizer import FLAG, NON_NEGATIVE, UNIT_INTERVAL, Optimizer, ParamsT


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening and Nesterov momentum.

    Args:
        params: tensors to optimize, or parameter-group dicts.
        lr: learning rate (≥ 0).
        momentum: momentum factor μ (≥ 0, PyTorch's rule); 0 means plain SGD. μ ≥ 1 is
            accepted, as in PyTorch, with an ``OptimizerWarning``: the velocity then never
            forgets a gradient and grows without bound.
        dampening: scales the new gradient in the velocity (in [0, 1]); not applied on
            the first step, as in PyTorch.
        nesterov: use g + μ·v instead of v (needs momentum > 0 and dampening = 0).
        weight_decay: L2 penalty λ; the gradient becomes g + λ·w.
    """

    rules = {**Optimizer.rules, "momentum": NON_NEGATIVE, "dampening": UNIT_INTERVAL,
             "nesterov": FLAG}
    buffers = {"momentum_buffer": "momentum"}
    suspicious = {"momentum": (lambda mu: mu >= 1.0,
                               "momentum={value!r} ≥ 1: the velocity v_t = μ·v_(t−1) + g_t then never "
                               "forgets a gradient and grows without bound, so training diverges. "
                               "PyTorch accepts it; use momentum in [0, 1), e.g. 0.9")}

    def __init__(self, params: ParamsT | Iterable[Any], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0.0 or group["dampening"] != 0.0):
            raise InvalidArgumentError(
                "SGD: Nesterov momentum needs momentum > 0 and dampening = 0. Received: "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        xp = backend.xp
        lr = group["lr"]
        mu = group["momentum"]
        if mu == 0.0:
            xp.multiply(g, lr, out=tmp)
            xp.subtract(w, tmp, out=w)
            return
        v = state.get("momentum_buffer")
        if v is None:  # momentum was switched on after this parameter's first step
            v = state["momentum_buffer"] = xp.array(g, dtype=w.dtype, copy=True)
        elif state["step"] == 1:
            xp.copyto(v, g)  # v_1 = g_1
        else:
            v *= mu
            damp = group["dampening"]
            if damp == 0.0:
                v += g
            else:
                xp.multiply(g, 1.0 - damp, out=tmp)
                v += tmp
        if group["nesterov"]:
            xp.multiply(v, mu, out=tmp)
            tmp += g
            tmp *= lr
        else:
            xp.multiply(v, lr, out=tmp)
        xp.subtract(w, tmp, out=w)
