"""Helpers around modules (PyTorch's ``torch.nn.utils``): gradient clipping, and the one
batched inference loop (eval mode, no graph) that ``predict``, ``embed``, ``summary`` and
``explain`` share."""
from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any, Iterable

from .. import backend
from .. import validate as check
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..errors import DataError, InvalidArgumentError, ShapeError


def _grads(parameters: Any) -> list[Any]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their total norm is at most ``max_norm``:

        ‖g‖ = (Σ_params Σᵢ |gᵢ|^p)^(1/p)   (p = norm_type; inf: maxᵢ |gᵢ|)
        g ← g · min(1, max_norm / (‖g‖ + 1e-6))

    The direction of the step is kept, only its length is capped (exploding gradients).
    Returns the total norm before clipping, as a 0-d Tensor (PyTorch's behaviour).
    """
    max_norm = check.number(max_norm=max_norm, low=0.0, where="clip_grad_norm_")
    norm_type = check.number(norm_type=norm_type, low=0.0, low_open=True, finite=False,
                             where="clip_grad_norm_")
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    xp = backend.xp
    if math.isinf(norm_type):
        total = max(float(xp.abs(g.data).max()) for g in grads)
    else:
        total = sum(float((xp.abs(g.data.astype(xp.float64)) ** norm_type).sum())
                    for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise InvalidArgumentError(f"clip_grad_norm_: the total norm of order {norm_type:g} of the "
                                   f"gradients is non-finite ({total}), so it cannot be clipped")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g.data *= g.data.dtype.type(coef)
    return Tensor(total)


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clip every gradient element into [−clip_value, clip_value] in place."""
    c = check.number(clip_value=clip_value, low=0.0, where="clip_grad_value_")
    for g in _grads(parameters):
        backend.xp.clip(g.data, -c, c, out=g.data)


def _batches(x: Any, batch_size: int, where: str) -> Iterable[Any]:
    if isinstance(x, (Tensor, list, tuple)) or hasattr(x, "shape"):
        data = x.data if isinstance(x, Tensor) else backend.xp.asarray(x)
        if data.ndim == 0:
            raise ShapeError(f"{where}: x must have a batch dimension, got a scalar")
        return (data[i:i + batch_size] for i in range(0, len(data), batch_size))
    return (b[0] if isinstance(b, (tuple, list)) else b for b in x)  # a loader


def inference(model: Any, x: Any, batch_size: int = 1000, *, where: str = "inference") -> Any:
    """``model``'s outputs for every row of ``x``, concatenated into one backend array.

    ``x`` is an array, nested list or Tensor (cut into consecutive batches of ``batch_size``)
    or an iterable of batches (``(x, ...)`` tuples or bare inputs, e.g. a DataLoader). Each
    batch is moved to the model's device; the model runs in eval mode (``Module.eval_mode``:
    every sub-module's own mode is restored after) and without recording a graph. ``model``
    may be any callable from a Tensor to a Tensor. ``where`` names the caller in errors.
    """
    from ..device import CPU, batch_to, of_module

    batch_size = check.positive_int(batch_size=batch_size, where=where)
    is_module = hasattr(model, "eval_mode")
    mode = model.eval_mode() if is_module else nullcontext()
    dev = of_module(model) if is_module else CPU
    outputs = []
    with mode, no_grad():
        for xb in _batches(x, batch_size, where):
            (xb,) = batch_to(dev, xb if isinstance(xb, Tensor) else Tensor(xb))
            out = model(xb)
            outputs.append(out.data if isinstance(out, Tensor) else backend.xp.asarray(out))
    if not outputs:
        raise DataError(f"{where}: got no inputs")
    return outputs[0] if len(outputs) == 1 else backend.array_module(outputs[0]).concatenate(outputs)


def record_calls(model: Any, x: Any, leaves_only: bool = False) -> tuple[list[tuple[Any, Any, Any]], Any]:
    """Run ``model(x)`` once in eval mode without a graph, recording ``(module, inputs,
    output)`` for every sub-module call in the order they finish (``leaves_only``: only the
    modules without children). Hooks are removed and modes restored afterwards, also when
    the forward raises. Returns (calls, output); ``summary`` and ``explain`` build on it."""
    calls: list[tuple[Any, Any, Any]] = []
    modules = [m for m in model.modules() if not (leaves_only and m._modules)]
    handles = [m.register_forward_hook(lambda mod, inputs, out: calls.append((mod, inputs, out)))
               for m in modules]
    try:
        with model.eval_mode(), no_grad():
            out = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return calls, out


__all__ = ["clip_grad_norm_", "clip_grad_value_", "inference", "record_calls"]
