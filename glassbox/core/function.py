"""``Function``: the base of every differentiable op.

An op is a small class with ``forward`` and ``backward`` side by side:

* ``forward(self, *arrays, **params)`` receives the raw arrays of its tensor
  inputs, saves on ``self`` whatever the backward pass needs, and returns the
  output array.
* ``backward(self, grad)`` receives ∂L/∂out and returns ∂L/∂input for each
  tensor input (a tuple, or a single array for one input; ``None`` where no
  gradient is needed). ``self.needs_input_grad[i]`` says which ones are.

Gradients of broadcast operands are *not* reduced here: the engine sums them
back to each input's shape in one central place (``engine.unbroadcast``).
"""
from __future__ import annotations

from typing import Any

from .. import backend
from .grad_mode import _GradMode
from .tensor import Tensor


class Function:
    """Base of every differentiable op: subclass with ``forward`` and ``backward``; call
    ``Op.apply(*tensors, **params)``, which runs ``forward`` and records the node."""

    parents: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()

    def forward(self, *arrays: Any, **params: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays; record the node if a gradient is needed."""
        fn = cls()
        needs = tuple([t.requires_grad for t in inputs])
        fn.needs_input_grad = needs
        arrays = [t.data for t in inputs]
        previous = backend.enter(arrays, cls.__name__)  # xp = the inputs' module (device)
        try:
            out = fn.forward(*arrays, **params)
            xp = backend.xp
            if type(out) is not xp.ndarray and not isinstance(out, xp.ndarray):
                out = xp.asarray(out)  # full reductions give NumPy scalars
        finally:
            backend.leave(previous)
        if _GradMode.enabled and True in needs:
            fn.parents = inputs
            return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)

    @property
    def name(self) -> str:
        return type(self).__name__
