"""``export(model, example_input, path)``: a glassbox model as an ONNX file (opset 17).

How: one forward pass on ``example_input`` is traced (``trace.py``: the graph autodiff
records, with each op's parameters and layer); every op becomes ONNX nodes (``ops.py``);
parameters and buffers become initializers named by their ``state_dict`` keys; the batch
axis (axis 0) of the input and output is dynamic ("batch"). The model runs in eval mode
(dropout off, batch norm's running statistics) and its mode is restored afterwards. The
file is checked with ``onnx.checker`` (full check, with shape inference) before it is
written.

Spatial sizes are fixed by the example: padding "same" and pooling windows are resolved
for its H×W.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ..core.tensor import Tensor
from ..errors import GlassboxRuntimeError
from ..nn.module import Module
from .ops import CONVERTERS
from .trace import Step, trace

OPSET = 17
IR_VERSION = 8  # the IR of opset 17, readable by every onnxruntime since 1.13


def _contiguous(value: Any) -> np.ndarray:
    """A C-contiguous array (np.ascontiguousarray would turn a 0-d scalar into 1-d)."""
    array = np.asarray(value)
    return array if array.flags.c_contiguous else array.copy(order="C")


class UnsupportedOperatorError(GlassboxRuntimeError):
    """An op of the traced model has no ONNX mapping (the message names it and its layer)."""


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("glassbox.onnx needs the onnx package: pip install 'glassbox[onnx]'") from None
    return onnx


class Builder:
    """Collects ONNX nodes and initializers while the converters run."""

    def __init__(self, onnx: Any, param_names: dict[int, str]) -> None:
        self.onnx = onnx
        self.param_names = param_names
        self.nodes: list[Any] = []
        self.initializers: dict[str, Any] = {}
        self.array_names: dict[int, str] = {}
        self._keep: list[Any] = []  # arrays whose id() names them stay alive
        self.count = 0
        self.step: Step | None = None

    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def onnx_dtype(self, dtype: Any) -> int:
        return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def node(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        """Add one node; returns the name of its (single) output."""
        layer = self.step.layer if self.step is not None else ""
        out = self.fresh(op_type.lower())
        name = f"{layer.split(' ')[0]}/{op_type}_{self.count}" if layer else f"{op_type}_{self.count}"
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], name=name,
                                                     doc_string=layer, **attrs))
        return out

    def const(self, value: Any, hint: str) -> str:
        """A new constant (initializer) holding ``value``."""
        name = self.fresh(hint)
        self.initializers[name] = self.onnx.numpy_helper.from_array(_contiguous(value), name)
        return name

    def array(self, value: Any, hint: str) -> str:
        """The initializer of an array that may be a parameter or buffer (then named by its
        state_dict key, written once however often it is used)."""
        key = id(value)
        if key in self.array_names:
            return self.array_names[key]
        name = self.param_names.get(key)
        if name is None or name in self.initializers:
            name = self.fresh(hint)
        self.initializers[name] = self.onnx.numpy_helper.from_array(
            _contiguous(value), name)
        self.array_names[key] = name
        self._keep.append(value)
        return name

    def fail(self, step: Step, why: str) -> None:
        raise UnsupportedOperatorError(f"onnx.export: op {step.op.name} in layer {step.layer}: {why}")


def _param_names(model: Module) -> dict[int, str]:
    """id(array) → state_dict key, for parameters (their ``.data``) and buffers."""
    names: dict[int, str] = {}
    for name, p in model.named_parameters():
        names.setdefault(id(p.data), name)
    for name, buf in model.named_buffers():
        names.setdefault(id(buf), name)
    return names


def _as_inputs(example_input: Any) -> list[Tensor]:
    items = example_input if isinstance(example_input, (tuple, list)) else [example_input]
    tensors = [t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in items]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"onnx.export: example input {i} is a scalar; give a batch "
                             f"(N, ...) so the batch axis can be dynamic")
    return tensors


def _value_info(onnx: Any, name: str, t: Tensor, dynamic_batch: bool) -> Any:
    shape: list[Any] = list(t.shape)
    if dynamic_batch and shape:
        shape[0] = "batch"
    return onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(t.dtype), shape)


def to_onnx(model: Module, example_input: Any, input_names: Sequence[str] | None = None,
            output_names: Sequence[str] | None = None, dynamic_batch: bool = True,
            check: bool = True) -> Any:
    """The ``onnx.ModelProto`` of ``model`` traced on ``example_input`` (see ``export``)."""
    onnx = _require_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: model must be an nn.Module, got {type(model).__name__}")
    inputs = _as_inputs(example_input)
    was_training = model.training
    model.eval()
    try:
        traced = trace(model, inputs, where="onnx.export")
    finally:
        model.train(was_training)
    in_names = list(input_names or (["input"] if len(inputs) == 1 else [f"input_{i}" for i in range(len(inputs))]))
    outs = traced.outputs
    out_names = list(output_names or (["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]))
    if len(in_names) != len(inputs) or len(out_names) != len(outs):
        raise ValueError(f"onnx.export: got {len(in_names)} input names for {len(inputs)} inputs "
                         f"and {len(out_names)} output names for {len(outs)} outputs")
    b = Builder(onnx, _param_names(model))
    values: dict[int, str] = {id(t): n for t, n in zip(traced.inputs, in_names)}
    for step in traced.steps:
        converter = CONVERTERS.get(step.op.name)
        if converter is None:
            raise UnsupportedOperatorError(
                f"onnx.export: op {step.op.name} (in layer {step.layer}) has no ONNX mapping; "
                f"exportable ops: {', '.join(sorted(CONVERTERS))}")
        b.step = step
        names = [values.get(id(t)) or b.array(t.data, "const") for t in step.inputs]
        values[id(step.output)] = converter(b, step, names)
    b.step = None
    for t, name in zip(outs, out_names):
        source = values.get(id(t)) or b.array(t.data, "const")
        b.nodes.append(onnx.helper.make_node("Identity", [source], [name], name=f"{name}/Identity"))
    graph = onnx.helper.make_graph(
        b.nodes, type(model).__name__,
        [_value_info(onnx, n, t, dynamic_batch) for t, n in zip(traced.inputs, in_names)],
        [_value_info(onnx, n, t, dynamic_batch) for t, n in zip(outs, out_names)],
        initializer=list(b.initializers.values()))
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="glassbox", ir_version=IR_VERSION)
    if check:
        onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: Module, example_input: Any, path: str | os.PathLike, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, dynamic_batch: bool = True) -> Any:
    """Write ``model`` as an ONNX file (opset 17) traced on ``example_input``; like
    ``torch.onnx.export(model, args, f)``.

    Args:
        model: the ``nn.Module`` (run in eval mode for the trace; its mode is restored).
        example_input: a batch (N, ...) as a Tensor or array, or a tuple of them for a
            model with several inputs. Its values do not matter, its shape does: every
            size but the batch axis is fixed in the file.
        path: the .onnx file to write.
        input_names / output_names: graph value names (default "input" and "output").
        dynamic_batch: make axis 0 of inputs and outputs the symbolic size "batch".

    Returns the ``onnx.ModelProto`` (already checked with ``onnx.checker``).

    Raises:
        UnsupportedOperatorError: an op without ONNX mapping, naming it and its layer.
    """
    onnx = _require_onnx()
    proto = to_onnx(model, example_input, input_names, output_names, dynamic_batch)
    onnx.save(proto, os.fspath(path))
    return proto


__all__ = ["export", "to_onnx", "UnsupportedOperatorError", "OPSET"]
