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

Version counter: ``apply`` notes each input's version (``Tensor._version``, bumped by
every in-place change); ``backward()`` compares them again and raises if a tensor an op
saved was changed in place in between (see ``engine.check_versions``). An op whose
output is a view of its first input's memory (reshape, transpose, basic indexing) sets
``is_view = True`` so that the view shares the input's version counter (and is re-based
with it when an in-place op that needs grad changes the input).
"""
from __future__ import annotations

import weakref
from typing import Any

from .. import backend
from ..errors import GlassboxError
from .engine import _raised_on_purpose, op_error
from .grad_mode import _GradMode
from .tensor import Tensor


class Function:
    """Base of every differentiable op: subclass with ``forward`` and ``backward``; call
    ``Op.apply(*tensors, **params)``, which runs ``forward`` and records the node."""

    parents: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    is_view: bool = False  # the output shares the first input's memory
    _versions: list[int] = []  # the inputs' versions when the node was recorded
    _out_version: int = 0  # the output's version when it was made (> 0 after an in-place op)
    _previous: Tensor | None = None  # after an in-place op: the stand-in for the old value

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
        except GlassboxError:
            raise
        except (ValueError, TypeError, IndexError, ArithmeticError) as exc:
            if _raised_on_purpose(exc):
                raise
            raise op_error(fn.name, inputs, exc) from exc
        finally:
            backend.leave(previous)
        if _GradMode.enabled and True in needs:
            fn.parents = inputs
            fn._versions = [t._vc[0] for t in inputs]
            result = Tensor._from_op(out, fn)
        else:
            result = Tensor._from_op(out, None)
        if fn.is_view:  # share the version counter; register, so in-place ops can find views
            vc = result._vc = inputs[0]._vc
            fn._params = params
            if len(vc) > 16:
                vc[1:] = [r for r in vc[1:] if r() is not None]
            vc.append(weakref.ref(result))
        return result

    @property
    def name(self) -> str:
        return type(self).__name__
