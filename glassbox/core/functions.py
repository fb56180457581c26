"""PyTorch's ``torch.*`` functions: ``gb.exp(x)``, ``gb.sum(x, dim=1)``, ``gb.flatten(x, 1)``, …

Each is the tensor method of the same name called on its first argument (a tensor, or
anything ``as_tensor`` accepts), so the two spellings can never disagree:
``gb.max(x, dim=1)`` is ``x.max(dim=1)``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from .tensor import Tensor, as_tensor


def _function(name: str) -> Callable[..., Any]:
    method = getattr(Tensor, name)

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(as_tensor(input), name)(*args, **kwargs)

    sig = inspect.signature(method)
    params = list(sig.parameters.values())
    function.__signature__ = sig.replace(parameters=[params[0].replace(name="input"), *params[1:]])
    first = (method.__doc__ or "").strip().split("\n\n")[0]
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}(input, ...)`` = ``input.{name}(...)``. {first}".strip()
    function.__module__ = __name__
    return function


# elementwise
exp, log, sqrt, abs, sign = (_function(n) for n in ("exp", "log", "sqrt", "abs", "sign"))
clamp, clip, pow, neg = _function("clamp"), _function("clip"), _function("pow"), _function("__neg__")
neg.__name__ = neg.__qualname__ = "neg"
relu, sigmoid, tanh = _function("relu"), _function("sigmoid"), _function("tanh")
softmax, log_softmax = _function("softmax"), _function("log_softmax")
add, sub, mul, div = _function("add"), _function("sub"), _function("mul"), _function("div")
matmul = mm = _function("matmul")
# comparisons
eq, ne, lt, le, gt, ge = (_function(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
equal = _function("equal")
# reductions
sum, mean, std, var, norm = (_function(n) for n in ("sum", "mean", "std", "var", "norm"))
max, min, amax, amin = _function("max"), _function("min"), _function("amax"), _function("amin")
argmax, argmin, all, any = _function("argmax"), _function("argmin"), _function("all"), _function("any")
# shape
reshape, flatten, squeeze, unsqueeze = (_function(n) for n in ("reshape", "flatten", "squeeze", "unsqueeze"))
transpose, permute, t = _function("transpose"), _function("permute"), _function("t")
clone, detach, numel = _function("clone"), _function("detach"), _function("numel")


def is_tensor(obj: Any) -> bool:
    """True for a glassbox ``Tensor`` (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


__all__ = [
    "exp", "log", "sqrt", "abs", "sign", "clamp", "clip", "pow", "neg", "relu", "sigmoid", "tanh",
    "softmax", "log_softmax", "add", "sub", "mul", "div", "matmul", "mm", "eq", "ne", "lt", "le",
    "gt", "ge", "equal", "sum", "mean", "std", "var", "norm", "max", "min", "amax", "amin",
    "argmax", "argmin", "all", "any", "reshape", "flatten", "squeeze", "unsqueeze", "transpose",
    "permute", "t", "clone", "detach", "numel", "is_tensor",
]
