"""``glassbox.onnx.load(path)``: an ONNX file back as a glassbox module.

The result, an ``OnnxModule``, runs the graph node by node with glassbox ops, so it is
differentiable and trainable like any model: ``fit`` it, ``backward`` through it, read its
``state_dict``. Initializers in weight positions (Gemm/MatMul/Conv/ConvTranspose weights and
biases, normalization scales and shifts) become ``Parameter``s, batch norm's running mean
and variance buffers, everything else (shapes, axes, scalars) constants. Their ONNX names,
which ``export`` takes from ``state_dict`` keys, become the module's names again — dotted
names as nested sub-modules — so a round trip keeps ``state_dict()`` keys and values.

The ops read are the ones ``export`` writes (opset 13-17 semantics), plus ``Flatten`` and
``Dropout`` as other exporters write them:

    Gemm (α = β = 1, transB = 1 → the fused Linear op; otherwise matmuls), MatMul, Add, Sub,
    Mul, Div, Neg, Pow, Exp, Log, Sqrt, Abs, Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softplus
    (log(1 + eˣ)), Greater (constant), Softmax,
    LogSoftmax, Conv, ConvTranspose, MaxPool, AveragePool (count_include_pad = 1, or no
    padding), GlobalAveragePool, BatchNormalization (inference), LayerNormalization
    (μ, σ² over the last axes: (x − μ)/√(σ² + ε)·γ + β), Dropout/Identity, Reshape,
    Flatten, Transpose, Concat, Squeeze, Unsqueeze, Slice, Pad (constant), Resize (nearest,
    integer scales), ReduceSum/Mean/Max/Min, Clip, Max, Where, Cast.

Anything else raises ``UnsupportedOperatorError`` naming the ONNX op and its node.
"""
from __future__ import annotations

import os
import re
from typing import Any, Callable

import numpy as np

from ..core.tensor import Tensor
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..ops import activation as act
from ..ops import conv_transpose as convt
from ..ops import elementwise as elem
from ..ops import reduction as red
from ..ops import shape as shp
from ..ops.conv import Conv2d
from ..ops.linalg import Linear, MatMul
from ..ops.normalization import BatchNorm
from ..ops.pooling import AvgPool2d, MaxPool2d
from ..ops.upsample import UpsampleNearest
from .export import UnsupportedOperatorError, _require_onnx

# (op type, input position) whose initializer is a trainable weight / a running statistic
_PARAM_SLOTS = {("Gemm", 1), ("Gemm", 2), ("MatMul", 1), ("Conv", 1), ("Conv", 2),
                ("ConvTranspose", 1), ("ConvTranspose", 2), ("BatchNormalization", 1),
                ("BatchNormalization", 2), ("LayerNormalization", 1), ("LayerNormalization", 2)}
_BUFFER_SLOTS = {("BatchNormalization", 3), ("BatchNormalization", 4)}


class _Holder(Module):
    """An empty module that only holds parameters, buffers and sub-modules by name."""

    def forward(self, *args: Any) -> Any:  # pragma: no cover - never called
        raise NotImplementedError


def _module_path(name: str) -> list[str]:
    """ONNX value name → attribute path: dots nest, other non-identifier characters become _."""
    return [re.sub(r"\W", "_", part) or "_" for part in name.split(".")]


class OnnxModule(Module):
    """A glassbox ``Module`` that runs an ONNX graph with glassbox ops (see the module doc)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        onnx = _require_onnx()
        graph = model.graph
        init_names = {t.name for t in graph.initializer}
        slots: dict[str, str] = {}
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name in init_names:
                    kind = ("param" if (node.op_type, i) in _PARAM_SLOTS
                            else "buffer" if (node.op_type, i) in _BUFFER_SLOTS else "const")
                    slots[name] = max(slots.get(name, "const"), kind, key=("const", "buffer", "param").index)
        object.__setattr__(self, "_constants", {})
        object.__setattr__(self, "_places", {})
        for t in graph.initializer:
            array = onnx.numpy_helper.to_array(t).copy()
            kind = slots.get(t.name, "const")
            if kind == "const" or array.dtype.kind != "f":
                self._constants[t.name] = array
            else:
                self._place(t.name, Parameter(array, dtype=array.dtype) if kind == "param" else array, kind)
        for node in graph.node:  # Constant nodes are constants too
            if node.op_type == "Constant":
                self._constants[node.output[0]] = onnx.numpy_helper.to_array(
                    _attrs(onnx, node)["value"]).copy()
        object.__setattr__(self, "nodes", [n for n in graph.node if n.op_type != "Constant"])
        object.__setattr__(self, "node_attrs", [_attrs(onnx, n) for n in self.nodes])
        object.__setattr__(self, "input_names", [i.name for i in graph.input if i.name not in init_names])
        object.__setattr__(self, "output_names", [o.name for o in graph.output])
        for node in self.nodes:
            if node.op_type not in IMPORTERS:
                raise UnsupportedOperatorError(
                    f"onnx.load: ONNX op {node.op_type} (node {node.name or node.output[0]!r}) has no "
                    f"glassbox mapping; readable ops: {', '.join(sorted(IMPORTERS))}")

    def _place(self, name: str, value: Any, kind: str) -> None:
        path = _module_path(name)
        owner: Module = self
        for part in path[:-1]:
            child = owner._modules.get(part)
            if child is None:
                child = _Holder()
                owner.add_module(part, child)
            owner = child
        if kind == "param":
            owner.register_parameter(path[-1], value)
        else:
            owner.register_buffer(path[-1], value)
        self._places[name] = (owner, path[-1])

    def value(self, name: str) -> Any:
        """An initializer as the node input it is: a Parameter, a buffer Tensor or a constant."""
        if name in self._places:
            owner, attr = self._places[name]
            v = getattr(owner, attr)
            return v if isinstance(v, Tensor) else Tensor._from_op(v, None)
        return Tensor._from_op(self._constants[name], None)

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.input_names):
            raise ValueError(f"OnnxModule: the graph takes {len(self.input_names)} inputs "
                             f"({', '.join(self.input_names)}), got {len(inputs)}")
        env: dict[str, Tensor] = {n: (x if isinstance(x, Tensor) else Tensor(x))
                                  for n, x in zip(self.input_names, inputs)}
        for node, attrs in zip(self.nodes, self.node_attrs):
            args = [None if not n else env[n] if n in env else self.value(n) for n in node.input]
            try:
                env[node.output[0]] = IMPORTERS[node.op_type](args, attrs)
            except (ValueError, TypeError, IndexError) as exc:
                raise type(exc)(f"OnnxModule: node {node.name or node.output[0]!r} "
                                f"({node.op_type}): {exc}") from exc
        outs = [env[n] for n in self.output_names]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def extra_repr(self) -> str:
        return f"{len(self.nodes)} ONNX nodes, inputs {self.input_names}, outputs {self.output_names}"


def _attrs(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def load(path: str | os.PathLike) -> OnnxModule:
    """Read an ONNX file as a glassbox module (eval mode); see the module docstring."""
    onnx = _require_onnx()
    return OnnxModule(onnx.load(os.fspath(path))).eval()


# -------------------------------------------------------------------- the op table
Importer = Callable[[list[Any], dict[str, Any]], Tensor]


def _ints(t: Tensor | None) -> list[int]:
    return [] if t is None else [int(v) for v in np.asarray(t.data).reshape(-1)]


def _gemm(a: list[Any], at: dict[str, Any]) -> Tensor:
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 else None
    alpha, beta = at.get("alpha", 1.0), at.get("beta", 1.0)
    if at.get("transA", 0):
        x = x.transpose()
    if at.get("transB", 0) and alpha == 1.0 and beta == 1.0 and (b is None or b.ndim == 1):
        return Linear.apply(x, w) if b is None else Linear.apply(x, w, b)
    out = MatMul.apply(x, w.transpose() if at.get("transB", 0) else w)
    if alpha != 1.0:
        out = out * alpha
    return out if b is None else out + (b * beta if beta != 1.0 else b)


def _pairs(pads: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX [top, left, bottom, right] → ((top, bottom), (left, right))."""
    pads = pads or [0, 0, 0, 0]
    return (pads[0], pads[2]), (pads[1], pads[3])


def _no_auto_pad(at: dict[str, Any]) -> None:
    mode = at.get("auto_pad", b"NOTSET")
    if (mode.decode() if isinstance(mode, bytes) else mode) not in ("NOTSET", ""):
        raise ValueError(f"auto_pad={mode!r} is not supported (export with explicit pads)")


def _conv(a: list[Any], at: dict[str, Any]) -> Tensor:
    _no_auto_pad(at)
    inputs = [t for t in a[:3] if t is not None]
    return Conv2d.apply(*inputs, stride=tuple(at.get("strides", (1, 1))), padding=_pairs(at.get("pads")),
                        dilation=tuple(at.get("dilations", (1, 1))), groups=int(at.get("group", 1)))


def _conv_transpose(a: list[Any], at: dict[str, Any]) -> Tensor:
    _no_auto_pad(at)
    pads = at.get("pads") or [0, 0, 0, 0]
    if pads[0] != pads[2] or pads[1] != pads[3]:
        raise ValueError(f"asymmetric ConvTranspose pads {pads} are not supported")
    inputs = [t for t in a[:3] if t is not None]
    return convt.ConvTranspose2d.apply(*inputs, stride=tuple(at.get("strides", (1, 1))),
                                       padding=(pads[0], pads[1]),
                                       output_padding=tuple(at.get("output_padding", (0, 0))),
                                       dilation=tuple(at.get("dilations", (1, 1))),
                                       groups=int(at.get("group", 1)))


def _pool(op: Any) -> Importer:
    def convert(a: list[Any], at: dict[str, Any]) -> Tensor:
        _no_auto_pad(at)
        pads = _pairs(at.get("pads"))
        kernel = tuple(at["kernel_shape"])
        options: dict[str, Any] = dict(ceil_mode=bool(at.get("ceil_mode", 0)))
        if op is AvgPool2d:
            options["count_include_pad"] = bool(at.get("count_include_pad", 0))
        elif tuple(at.get("dilations", (1, 1))) != (1, 1):
            options["dilation"] = tuple(at["dilations"])
        return op.apply(a[0], kernel=kernel, stride=tuple(at.get("strides", kernel)), padding=pads,
                        **options)
    return convert


def _global_avg(a: list[Any], at: dict[str, Any]) -> Tensor:
    kernel = tuple(a[0].shape[2:])
    return AvgPool2d.apply(a[0], kernel=kernel, stride=kernel, padding=((0, 0), (0, 0)))


def _batch_norm(a: list[Any], at: dict[str, Any]) -> Tensor:
    x, scale, bias, mean, var = a[:5]
    return BatchNorm.apply(x, scale, bias, mean=mean.data, var=var.data,
                           eps=float(at.get("epsilon", 1e-5)), training=False)


def _layer_norm(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    axes = tuple(range(int(at.get("axis", -1)) % x.ndim, x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    out = centred / (var + float(at.get("epsilon", 1e-5))).sqrt()
    out = out * a[1]
    return out + a[2] if len(a) > 2 and a[2] is not None else out


def _reshape(a: list[Any], at: dict[str, Any]) -> Tensor:
    x, shape = a[0], _ints(a[1])
    if not at.get("allowzero", 0):
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return shp.Reshape.apply(x, shape=tuple(shape))


def _flatten(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    axis = int(at.get("axis", 1)) % (x.ndim + 1)
    lead = int(np.prod(x.shape[:axis], dtype=np.int64))
    return shp.Reshape.apply(x, shape=(lead, -1))


def _squeeze(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    axes = _ints(a[1]) if len(a) > 1 and a[1] is not None else [i for i, n in enumerate(x.shape) if n == 1]
    drop = {ax % x.ndim for ax in axes}
    return shp.Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in drop))


def _unsqueeze(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    out_ndim = x.ndim + len(_ints(a[1]))
    new = sorted(ax % out_ndim for ax in _ints(a[1]))
    dims, it = [], iter(x.shape)
    for i in range(out_ndim):
        dims.append(1 if i in new else next(it))
    return shp.Reshape.apply(x, shape=tuple(dims))


def _slice(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    starts, ends = _ints(a[1]), _ints(a[2])
    axes = _ints(a[3]) if len(a) > 3 and a[3] is not None else list(range(len(starts)))
    steps = _ints(a[4]) if len(a) > 4 and a[4] is not None else [1] * len(starts)
    index: list[Any] = [slice(None)] * x.ndim
    big = 2**62
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[ax % x.ndim] = slice(s, None if abs(e) >= big and (e > 0) == (st > 0) else e, st)
    return shp.GetItem.apply(x, index=tuple(index))


def _pad(a: list[Any], at: dict[str, Any]) -> Tensor:
    mode = at.get("mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
        raise ValueError(f"Pad mode {mode!r} is not supported (only constant)")
    pads, x = _ints(a[1]), a[0]
    value = float(np.asarray(a[2].data)) if len(a) > 2 and a[2] is not None else 0.0
    return shp.Pad.apply(x, pad_width=tuple(zip(pads[:x.ndim], pads[x.ndim:])), value=value)


def _resize(a: list[Any], at: dict[str, Any]) -> Tensor:
    x = a[0]
    mode = at.get("mode", b"nearest")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "nearest":
        raise ValueError(f"Resize mode {mode!r} is not supported (only nearest)")
    if len(a) > 2 and a[2] is not None and a[2].size:
        scales = [float(s) for s in np.asarray(a[2].data)]
    else:
        scales = [o / i for o, i in zip(_ints(a[3]), x.shape)]
    if scales[:2] != [1.0, 1.0] or any(s != int(s) or s < 1 for s in scales[2:]):
        raise ValueError(f"Resize scales {scales} are not supported (integer upsampling of H, W only)")
    return UpsampleNearest.apply(x, scale=(int(scales[2]), int(scales[3])))


def _reduce(op: Any, axes_input: bool = False) -> Importer:
    def convert(a: list[Any], at: dict[str, Any]) -> Tensor:
        axes = (_ints(a[1]) if len(a) > 1 and a[1] is not None else None) if axes_input else at.get("axes")
        axes = None if not axes else tuple(int(v) for v in axes)
        return op.apply(a[0], axis=axes, keepdims=bool(at.get("keepdims", 1)))
    return convert


def _clip(a: list[Any], at: dict[str, Any]) -> Tensor:
    bound = lambda i: float(np.asarray(a[i].data)) if len(a) > i and a[i] is not None else None  # noqa: E731
    return elem.Clip.apply(a[0], low=bound(1), high=bound(2))


def _cast(a: list[Any], at: dict[str, Any]) -> Tensor:
    onnx = _require_onnx()
    return elem.Cast.apply(a[0], dtype=np.dtype(onnx.helper.tensor_dtype_to_np_dtype(at["to"])))


IMPORTERS: dict[str, Importer] = {
    "Gemm": _gemm,
    "MatMul": lambda a, at: MatMul.apply(a[0], a[1]),
    "Add": lambda a, at: a[0] + a[1],
    "Sub": lambda a, at: a[0] - a[1],
    "Mul": lambda a, at: a[0] * a[1],
    "Div": lambda a, at: a[0] / a[1],
    "Neg": lambda a, at: -a[0],
    "Pow": lambda a, at: a[0] ** (float(np.asarray(a[1].data)) if a[1].size == 1 and a[1].grad_fn is None
                                  and not a[1].requires_grad else a[1]),
    "Exp": lambda a, at: a[0].exp(),
    "Log": lambda a, at: a[0].log(),
    "Sqrt": lambda a, at: a[0].sqrt(),
    "Abs": lambda a, at: a[0].abs(),
    "Relu": lambda a, at: act.ReLU.apply(a[0]),
    "Sigmoid": lambda a, at: act.Sigmoid.apply(a[0]),
    "Tanh": lambda a, at: act.Tanh.apply(a[0]),
    "LeakyRelu": lambda a, at: act.LeakyReLU.apply(a[0], negative_slope=float(at.get("alpha", 0.01))),
    "Elu": lambda a, at: _elu(a[0], float(at.get("alpha", 1.0))),
    "Softplus": lambda a, at: (a[0].exp() + 1.0).log(),
    "Softmax": lambda a, at: act.Softmax.apply(a[0], axis=int(at.get("axis", -1))),
    "LogSoftmax": lambda a, at: act.LogSoftmax.apply(a[0], axis=int(at.get("axis", -1))),
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _pool(MaxPool2d),
    "AveragePool": _pool(AvgPool2d),
    "GlobalAveragePool": _global_avg,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Identity": lambda a, at: a[0],
    "Dropout": lambda a, at: a[0],
    "Reshape": _reshape,
    "Flatten": _flatten,
    "Transpose": lambda a, at: shp.Transpose.apply(a[0], axes=tuple(at["perm"]) if "perm" in at else None),
    "Concat": lambda a, at: shp.Concatenate.apply(*a, axis=int(at["axis"])),
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Pad": _pad,
    "Resize": _resize,
    "ReduceSum": _reduce(red.Sum, axes_input=True),
    "ReduceMean": _reduce(red.Mean),
    "ReduceMax": _reduce(red.Max),
    "ReduceMin": _reduce(red.Min),
    "Clip": _clip,
    "Max": lambda a, at: elem.maximum(a[0], a[1]) if len(a) == 2 else _unsupported("Max of 3+ inputs"),
    "Where": lambda a, at: elem.where(a[0].data.astype(bool), a[1], a[2]),
    "Cast": _cast,
    "Greater": lambda a, at: Tensor._from_op(a[0].data > a[1].data, None),
}


def _elu(x: Tensor, alpha: float) -> Tensor:
    """x for x > 0, α(eˣ − 1) otherwise, from where/exp/clip (differentiable)."""
    return elem.where(x.data > 0, x, (x.clip(None, 0.0).exp() - 1.0) * alpha)


def _unsupported(what: str) -> Tensor:
    raise ValueError(f"{what} is not supported")


__all__ = ["load", "OnnxModule", "IMPORTERS"]
