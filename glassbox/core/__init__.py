"""The autodiff core: ``Tensor``, the ``Function`` base of ops, the backward engine."""
from .creation import (
    arange, empty, empty_like, eye, full, full_like, linspace, ones, ones_like, rand, rand_like,
    randint, randint_like, randn, randn_like, zeros, zeros_like,
)
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, as_tensor, from_dlpack, from_numpy, tensor

__all__ = [
    "Tensor", "tensor", "as_tensor", "from_numpy", "from_dlpack", "Function", "no_grad",
    "enable_grad", "set_grad_enabled", "is_grad_enabled", "zeros", "ones", "full", "empty",
    "eye", "arange", "linspace", "rand", "randn", "randint", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
]
