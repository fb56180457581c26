"""Reverse-mode differentiation over the dynamic computation graph.

``backward(root)`` visits the nodes that produced ``root`` in reverse
topological order (outputs before the inputs they came from), calls each op's
``backward`` with ∂L/∂out, sums gradients where a value was used more than once,
and sums the gradients of broadcast operands back to their shape. The graph is
walked iteratively, so a network thousands of ops deep does not overflow
Python's stack.

Before any gradient is computed, every node's inputs and output are checked against
the versions noted when the node was recorded (``check_versions``): a tensor that an
op saved for backward and that was changed in place since then (an in-place method,
``t[i] = v``, ``optimizer.step()``) raises PyTorch's error instead of giving a silently
wrong gradient.
"""
from __future__ import annotations

import linecache
import os
from typing import TYPE_CHECKING, Any

from .. import backend
from ..errors import (AxisError, GlassboxError, GlassboxRuntimeError, GlassboxTypeError,
                      InvalidArgumentError, ShapeError)

if TYPE_CHECKING:
    from .tensor import Tensor


def _raised_on_purpose(exc: BaseException) -> bool:
    """True for an error a glassbox op raised itself (a ``raise`` statement in glassbox's
    code, message already written for the user), False for one from inside NumPy."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    code = tb.tb_frame.f_code
    line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
    return code.co_filename.startswith(_PACKAGE) and line.startswith("raise")


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def op_error(name: str, inputs: tuple["Tensor", ...], exc: Exception) -> GlassboxError:
    """A NumPy error inside an op's forward, as the glassbox error that names the op and
    its inputs (so no bare IndexError/ValueError/ZeroDivisionError leaves an op)."""
    text = str(exc)
    if isinstance(exc, IndexError):  # numpy.exceptions.AxisError is one too
        kind: type[GlassboxError] = AxisError
    elif isinstance(exc, TypeError):
        kind = GlassboxTypeError
    elif isinstance(exc, ValueError) and any(w in text for w in ("broadcast", "shape", "mismatch", "size")):
        kind = ShapeError
    else:
        kind = InvalidArgumentError
    described = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in inputs)
    return kind(f"{name}: {text} [inputs: {described}]")


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _owned(grad: Any, stored: set[int]) -> Any:
    """``grad`` made safe to keep as a ``.grad`` that optimizers update in place: a
    writeable array of its own, not a broadcast view and not shared with another tensor
    (``a + b`` hands the very same array to both inputs)."""
    # (CuPy's flags have no ``writeable``: its read-only views are broadcasts, caught by .base)
    if grad.base is not None or id(grad) in stored or not getattr(grad.flags, "writeable", True):
        grad = grad.copy()
    stored.add(id(grad))
    return grad


class _FreedGraph:
    """Stands in for a node's ``Function`` once ``backward()`` has used and freed it."""

    name = "FreedGraph"
    parents: tuple = ()
    is_view = False
    _versions: list = []
    _out_version = 0
    _previous = None

    def backward(self, grad: Any) -> Any:
        raise GlassboxRuntimeError(
            "backward(): this part of the graph was already backpropagated and freed; "
            "pass retain_graph=True to the first backward() to go through it again"
        )


FREED = _FreedGraph()

# Hooks for data-parallel training (``glassbox.distributed.DistributedDataParallel``), which
# starts averaging a bucket of gradients while backward is still computing the others:
# ``hook(leaf)`` runs right after a leaf's ``.grad`` received a contribution (keyed by the
# leaf's ``id``); every ``callback()`` runs once a ``backward()`` has finished.
post_accumulate_grad_hooks: dict[int, Any] = {}
backward_end_callbacks: list[Any] = []


def _saves_memory_of(fn: Any, array: Any) -> bool:
    """Whether op ``fn`` keeps (for its backward) an array that overlaps ``array``'s memory."""
    may_share = getattr(backend.array_module(array), "may_share_memory", None)
    for value in vars(fn).values():
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if v is array or (may_share is not None and type(v) is type(array)
                              and may_share(v, array)):
                return True
    return False


def _version_error(t: "Tensor", role: str, now: int, expected: int) -> GlassboxRuntimeError:
    return GlassboxRuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{t.dtype} tensor of shape {tuple(t.shape)}], which is {role}, "
        f"is at version {now}; expected version {expected} instead. Hint: it was changed in "
        "place (an in-place method such as add_(), t[...] = v, or optimizer.step()) after "
        "the op saved it for backward; call backward() first, or change a clone()."
    )


def _as_recorded(t: "Tensor", version: int) -> "Tensor":
    """The tensor ``t`` was when an op recorded it at ``version``: an in-place op that
    needed grad re-pointed ``t`` at a new node and left a stand-in for the old value."""
    while t._ctx is not None and t._ctx._out_version > version:
        t = t._ctx._previous
    return t


def check_versions(node: "Tensor") -> None:
    """Raise if an input or the output of ``node``'s op was changed in place since the op
    saved it; re-point inputs that were re-based by an in-place op at their old value."""
    fn = node._ctx
    if node._vc[0] != fn._out_version and _saves_memory_of(fn, node.data):
        raise _version_error(node, f"output 0 of {fn.name}", node._vc[0], fn._out_version)
    parents = fn.parents
    if [p._vc[0] for p in parents] == fn._versions:
        return
    fixed = list(parents)
    for i, (p, recorded) in enumerate(zip(parents, fn._versions)):
        if p._vc[0] == recorded:
            continue
        old = _as_recorded(p, recorded)
        if _saves_memory_of(fn, old.data):
            raise _version_error(p, f"input {i} of {fn.name}", p._vc[0], recorded)
        fixed[i] = old
    fn.parents = tuple(fixed)


def topological_order(root: "Tensor") -> list["Tensor"]:
    """Non-leaf tensors that ``root`` depends on, each after all of its inputs."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        check_versions(node)
        for parent in node._ctx.parents:
            if parent._ctx is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


def backward(root: "Tensor", grad: Any = None, retain_graph: bool = False) -> None:
    from .tensor import Tensor

    if not root.requires_grad:
        raise GlassboxRuntimeError(
            "backward(): this tensor does not require grad and has no graph; "
            "create inputs with requires_grad=True (or use nn.Parameter)"
        )
    if grad is None:
        if root.data.size != 1:
            raise GlassboxRuntimeError(
                f"backward(): grad can be omitted only for a single-element tensor, "
                f"got shape {root.shape}; pass grad= of that shape"
            )
        grad = backend.array_module(root.data).ones_like(root.data)
    else:
        grad = backend.like(grad.data if isinstance(grad, Tensor) else grad, root.data,
                            dtype=root.dtype)
        if grad.shape != root.shape:
            raise ShapeError(f"backward(): grad has shape {grad.shape}, tensor has {root.shape}")

    if root._ctx is None:  # a leaf: its gradient is the seed itself
        root._accumulate(grad.copy())
        return

    grads: dict[int, Any] = {id(root): grad}
    stored: set[int] = set()  # arrays already kept as some tensor's .grad
    for node in reversed(topological_order(root)):
        node_grad = grads.pop(id(node), None)
        fn = node._ctx
        if node._retains_grad and node_grad is not None:
            node._accumulate(_owned(node_grad, stored))
        if node_grad is None:
            continue
        previous = backend.enter((node_grad,), fn.name)  # xp = the module of this node
        try:
            input_grads = fn.backward(node_grad)
        finally:
            backend.leave(previous)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, g in zip(fn.parents, input_grads):
            if g is None or not parent.requires_grad:
                continue
            data = parent.data
            if g.shape != data.shape:
                g = unbroadcast(g, data.shape)
                if g.shape != data.shape:
                    raise GlassboxRuntimeError(
                        f"{fn.name}.backward returned a gradient of shape {g.shape} "
                        f"for an input of shape {data.shape}"
                    )
            if g.dtype is not data.dtype and g.dtype != data.dtype:
                g = g.astype(data.dtype)  # e.g. a float64 constant mixed into a float32 graph
            if parent._ctx is None:
                g = _owned(g, stored)
                if parent.grad is None:
                    parent.grad = Tensor._from_op(g, None)
                else:
                    parent._accumulate(g)
                if post_accumulate_grad_hooks:
                    hook = post_accumulate_grad_hooks.get(id(parent))
                    if hook is not None:
                        hook(parent)
            else:
                key = id(parent)
                grads[key] = g if key not in grads else grads[key] + g
        if not retain_graph:
            # Free the saved intermediates as soon as they are used; the marker left
            # behind makes a second backward through this node an error instead of
            # silently treating the node as a leaf.
            node._ctx = FREED
    for callback in backward_end_callbacks:
        callback()
