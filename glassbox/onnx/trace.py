"""Tracing one forward pass: the graph autodiff records, plus what it does not keep.

With gradients on, every op a forward pass applies records a node (its ``Function``) whose
``parents`` are its input tensors; walking back from the output gives the whole computation
in order (``core.engine.topological_order``). Two things the graph does not keep are
needed to write it out elsewhere, and the tracer collects them while the pass runs:

* each op's keyword parameters (a convolution's stride and padding, a softmax's axis, batch
  norm's running statistics...), exactly as the op received them;
* the layer each op ran in: the dotted name of the innermost module whose forward was
  running (``layer1.0.conv1``), for error messages and node names.

Values an op used that no gradient flows into (constants, frozen weights, anything computed
only from them) are leaves of the graph: the exporter writes them as constants.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..core.engine import topological_order
from ..core.function import Function
from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor
from ..nn.module import Module


@dataclass
class Step:
    """One op of the traced forward pass.

    Attributes:
        op: the ``Function`` node; ``op.name`` is its class name ("Conv2d").
        inputs: its input tensors (graph values or leaves), in order.
        output: the tensor it produced.
        params: the keyword parameters it was applied with.
        layer: "name (Type)" of the module it ran in, e.g. "layer1.0.conv1 (Conv2d)".
    """

    op: Function
    inputs: tuple[Tensor, ...]
    output: Tensor
    params: dict[str, Any] = field(default_factory=dict)
    layer: str = ""


@dataclass
class Trace:
    """The steps of one forward pass, in an order where every input comes first."""

    inputs: list[Tensor]
    outputs: list[Tensor]
    steps: list[Step]


class _Recorder:
    def __init__(self, model: Module) -> None:
        self.names = {id(m): (name, type(m).__name__) for name, m in model.named_modules()}
        self.stack: list[Module] = [model]
        self.records: dict[int, tuple[Function, dict[str, Any], str]] = {}

    def layer(self) -> str:
        module = self.stack[-1]
        name, kind = self.names.get(id(module), ("?", type(module).__name__))
        return f"{name or '<model>'} ({kind})"


@contextmanager
def _recording(model: Module) -> Iterator[_Recorder]:
    """Temporarily wrap ``Function.apply`` (to keep each node's parameters and layer) and
    ``Module.__call__`` (to know which layer is running); both are restored afterwards."""
    rec = _Recorder(model)
    original_apply = Function.__dict__["apply"]
    original_call = Module.__call__

    def apply(cls: type, *inputs: Tensor, **params: Any) -> Tensor:
        out = original_apply.__func__(cls, *inputs, **params)
        if out._ctx is not None:
            rec.records[id(out._ctx)] = (out._ctx, params, rec.layer())
        return out

    def call(self: Module, *args: Any, **kwargs: Any) -> Any:
        rec.stack.append(self)
        try:
            return original_call(self, *args, **kwargs)
        finally:
            rec.stack.pop()

    Function.apply = classmethod(apply)  # type: ignore[method-assign, assignment]
    Module.__call__ = call  # type: ignore[method-assign]
    try:
        yield rec
    finally:
        Function.apply = original_apply  # type: ignore[method-assign]
        Module.__call__ = original_call  # type: ignore[method-assign]


def _flatten_outputs(out: Any, where: str) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)) and out and all(isinstance(t, Tensor) for t in out):
        return list(out)
    raise TypeError(f"{where}: the model must return a Tensor or a tuple of Tensors, "
                    f"got {type(out).__name__}")


def trace(model: Module, inputs: list[Tensor], where: str = "trace") -> Trace:
    """Run ``model(*inputs)`` once with gradients on and return its ops in order.

    The inputs are marked ``requires_grad`` (on detached copies), so every op that depends
    on them is recorded even when the model's weights are frozen.
    """
    traced_inputs = [Tensor._from_op(t.data, None).requires_grad_() for t in inputs]
    with enable_grad(), _recording(model) as rec:
        outputs = _flatten_outputs(model(*traced_inputs), where)
    steps: list[Step] = []
    seen: set[int] = set()
    for root in outputs:
        if root._ctx is None:
            continue
        for node in topological_order(root):
            if id(node) in seen:
                continue
            seen.add(id(node))
            fn = node._ctx
            record = rec.records.get(id(fn))
            params, layer = ({}, "?") if record is None or record[0] is not fn else record[1:]
            steps.append(Step(fn, tuple(fn.parents), node, dict(params), layer))
    return Trace(traced_inputs, outputs, steps)


__all__ = ["Step", "Trace", "trace"]
