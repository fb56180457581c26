"""The autodiff core: ``Tensor``, the ``Function`` base of ops, the backward engine."""
from .creation import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, as_tensor, tensor

__all__ = [
    "Tensor", "tensor", "as_tensor", "Function", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "zeros", "ones", "full", "zeros_like",
    "ones_like", "randn", "rand", "arange",
]
