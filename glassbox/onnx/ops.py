"""Each glassbox op as ONNX nodes (opset 17): one converter per ``Function`` class name.

A converter gets the ``Builder`` (which makes nodes and constants), the traced ``Step``
(the op, its input tensors, its output and its keyword parameters) and the ONNX names of
its inputs, and returns the ONNX name of its output. The mapping, with the formula each
side computes where it is not a plain rename:

    Linear        Z = X·Wᵀ + b        Gemm(X, W, b, transB=1)   (MatMul(X, Wᵀ) + b beyond 2-D)
    Conv2d        Conv(X, W, b; strides, pads [top, left, bottom, right], dilations, group)
    ConvTranspose2d  ConvTranspose(X, W, b; strides, pads, output_padding)
    MaxPool2d / AvgPool2d  MaxPool / AveragePool(count_include_pad=1), GlobalAveragePool
                  when one window covers the whole map
    BatchNorm     BatchNormalization(X, γ, β, running μ, running σ²; ε), eval mode
    UpsampleNearest  Resize(scales [1, 1, k_h, k_w], nearest, asymmetric, floor):
                  Y[i, j] = X[⌊i/k_h⌋, ⌊j/k_w⌋]
    Dropout       Identity (inference)
    Reshape       Reshape with 0 ("copy this axis") for the leading axes that keep their
                  size, so the batch axis stays dynamic
    GELU          0.5·x·(1 + erf(x/√2)) (opset 17 has Erf but no Gelu); tanh form likewise
    SiLU          x·Sigmoid(x);  ELU  Elu(α);  Softplus  Softplus(βx)/β, x where βx > threshold
    LayerNorm     LayerNormalization(X, γ, β; axis, ε)
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .trace import Step

Converter = Callable[["Any", Step, list[str]], str]
CONVERTERS: dict[str, Converter] = {}

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def converts(*names: str) -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        for name in names:
            CONVERTERS[name] = fn
        return fn
    return register


# ------------------------------------------------------------------ elementwise
_SAME_NAME = {
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Neg": "Neg", "Pow": "Pow",
    "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs", "MatMul": "MatMul",
    "ReLU": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Maximum": "Max", "Dropout": "Identity",
}


def _direct(op_type: str) -> Converter:
    def convert(b: Any, step: Step, x: list[str]) -> str:
        inputs = x[:1] if op_type == "Identity" else x  # Dropout: the mask is not an input
        return b.node(op_type, inputs)
    return convert


for _name, _op in _SAME_NAME.items():
    CONVERTERS[_name] = _direct(_op)


@converts("PowScalar")
def _pow_scalar(b: Any, step: Step, x: list[str]) -> str:
    p = step.params["exponent"]
    if p == 2:
        return b.node("Mul", [x[0], x[0]])
    return b.node("Pow", [x[0], b.const(np.asarray(p, dtype=step.inputs[0].dtype), "exponent")])


@converts("LeakyReLU")
def _leaky_relu(b: Any, step: Step, x: list[str]) -> str:
    return b.node("LeakyRelu", x, alpha=float(step.params.get("negative_slope", 0.01)))


@converts("Softmax", "LogSoftmax")
def _softmax(b: Any, step: Step, x: list[str]) -> str:
    return b.node(step.op.name, x, axis=int(step.params.get("axis", -1)))


@converts("GELU", "Gelu")
def _gelu(b: Any, step: Step, x: list[str]) -> str:
    """Exact: 0.5·x·(1 + erf(x/√2));  tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    dtype = step.inputs[0].dtype
    c = lambda v, name: b.const(np.asarray(v, dtype=dtype), name)  # noqa: E731
    approximate = step.params.get("approximate", "none")
    if approximate == "tanh":
        cube = b.node("Mul", [b.node("Mul", [x[0], x[0]]), x[0]])
        inner = b.node("Add", [x[0], b.node("Mul", [cube, c(0.044715, "gelu_k")])])
        core = b.node("Tanh", [b.node("Mul", [inner, c(math.sqrt(2 / math.pi), "gelu_s")])])
    else:
        core = b.node("Erf", [b.node("Div", [x[0], c(math.sqrt(2.0), "sqrt2")])])
    half_x = b.node("Mul", [x[0], c(0.5, "half")])
    return b.node("Mul", [half_x, b.node("Add", [core, c(1.0, "one")])])


@converts("Clip")
def _clip(b: Any, step: Step, x: list[str]) -> str:
    dtype = step.inputs[0].dtype
    bounds = [b.const(np.asarray(v, dtype=dtype), name) if v is not None else ""
              for v, name in ((step.params.get("low"), "clip_low"), (step.params.get("high"), "clip_high"))]
    return b.node("Clip", [x[0], *bounds])


@converts("Where")
def _where(b: Any, step: Step, x: list[str]) -> str:
    cond = b.const(np.asarray(step.params["cond"], dtype=bool), "cond")
    return b.node("Where", [cond, x[0], x[1]])


@converts("Cast")
def _cast(b: Any, step: Step, x: list[str]) -> str:
    return b.node("Cast", x, to=b.onnx_dtype(step.params["dtype"]))


# ---------------------------------------------------------------------- layers
@converts("Linear")
def _linear(b: Any, step: Step, x: list[str]) -> str:
    if step.inputs[0].ndim == 2:
        return b.node("Gemm", x, transB=1)
    out = b.node("MatMul", [x[0], b.node("Transpose", [x[1]], perm=[1, 0])])
    return b.node("Add", [out, x[2]]) if len(x) > 2 else out


def _pads(padding: Any) -> list[int]:
    """((top, bottom), (left, right)) → ONNX's [top, left, bottom, right]."""
    (top, bottom), (left, right) = padding
    return [int(top), int(left), int(bottom), int(right)]


@converts("Conv2d")
def _conv(b: Any, step: Step, x: list[str]) -> str:
    p = step.params
    return b.node("Conv", x, kernel_shape=list(step.inputs[1].shape[2:]),
                  strides=list(p.get("stride", (1, 1))), pads=_pads(p.get("padding", ((0, 0), (0, 0)))),
                  dilations=list(p.get("dilation", (1, 1))), group=int(p.get("groups", 1)))


@converts("ConvTranspose2d")
def _conv_transpose(b: Any, step: Step, x: list[str]) -> str:
    p = step.params
    ph, pw = p.get("padding", (0, 0))
    attrs: dict[str, Any] = dict(
        kernel_shape=list(step.inputs[1].shape[2:]), strides=list(p.get("stride", (1, 1))),
        pads=[int(ph), int(pw), int(ph), int(pw)], output_padding=list(p.get("output_padding", (0, 0))),
        dilations=list(p.get("dilation", (1, 1))), group=int(p.get("groups", 1)))
    return b.node("ConvTranspose", x, **attrs)


@converts("MaxPool2d", "AvgPool2d")
def _pool(b: Any, step: Step, x: list[str]) -> str:
    p = step.params
    kernel, stride, padding = p.get("kernel", (2, 2)), p.get("stride", (2, 2)), p.get("padding", ((0, 0), (0, 0)))
    is_avg = step.op.name == "AvgPool2d"
    no_pad = all(v == 0 for pair in padding for v in pair)
    if is_avg and no_pad and tuple(kernel) == tuple(step.inputs[0].shape[2:]):
        return b.node("GlobalAveragePool", x)
    attrs: dict[str, Any] = dict(kernel_shape=list(kernel), strides=list(stride), pads=_pads(padding))
    if p.get("ceil_mode"):
        attrs["ceil_mode"] = 1
    if is_avg:
        if p.get("divisor_override") is not None:
            b.fail(step, "divisor_override has no ONNX AveragePool equivalent")
        attrs["count_include_pad"] = int(p.get("count_include_pad", True))
    elif tuple(p.get("dilation", (1, 1))) != (1, 1):
        attrs["dilations"] = list(p["dilation"])
    return b.node("AveragePool" if is_avg else "MaxPool", x, **attrs)


@converts("BatchNorm")
def _batch_norm(b: Any, step: Step, x: list[str]) -> str:
    p = step.params
    if p.get("training", False):
        b.fail(step, "BatchNorm in training mode (batch statistics) cannot be exported; "
                     "call model.eval() first")
    channels = step.inputs[0].shape[1]
    dtype = step.inputs[0].dtype
    weight = x[1] if len(x) > 1 else b.const(np.ones(channels, dtype=dtype), "bn_scale")
    bias = x[2] if len(x) > 2 else b.const(np.zeros(channels, dtype=dtype), "bn_bias")
    mean = b.array(np.asarray(p["mean"]).astype(dtype, copy=False), "running_mean")
    var = b.array(np.asarray(p["var"]).astype(dtype, copy=False), "running_var")
    return b.node("BatchNormalization", [x[0], weight, bias, mean, var],
                  epsilon=float(p.get("eps", 1e-5)))


@converts("LayerNorm", "LayerNormalization")
def _layer_norm(b: Any, step: Step, x: list[str]) -> str:
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β over the trailing ``axes``; ONNX normalizes from ``axis`` on."""
    p = step.params
    ndim = step.inputs[0].ndim
    axes = sorted(int(a) % ndim for a in p.get("axes", (-1,)))
    if axes != list(range(axes[0], ndim)):
        b.fail(step, f"LayerNormalization normalizes trailing axes only, got axes {tuple(p.get('axes'))}")
    dtype = step.inputs[0].dtype
    weight = x[1] if len(x) > 1 else b.const(np.ones(step.inputs[0].shape[axes[0]:], dtype=dtype), "ln_scale")
    inputs = [x[0], weight] + ([x[2]] if len(x) > 2 else [])
    return b.node("LayerNormalization", inputs, axis=axes[0], epsilon=float(p.get("eps", 1e-5)))


@converts("SiLU")
def _silu(b: Any, step: Step, x: list[str]) -> str:
    """z·σ(z)."""
    return b.node("Mul", [x[0], b.node("Sigmoid", x)])


@converts("ELU")
def _elu(b: Any, step: Step, x: list[str]) -> str:
    return b.node("Elu", x, alpha=float(step.params.get("alpha", 1.0)))


@converts("Softplus")
def _softplus(b: Any, step: Step, x: list[str]) -> str:
    """(1/β)·log(1 + e^{βz}), and z where βz > threshold (as glassbox and PyTorch do)."""
    beta, threshold = float(step.params.get("beta", 1.0)), float(step.params.get("threshold", 20.0))
    dtype = step.inputs[0].dtype
    c = lambda v, name: b.const(np.asarray(v, dtype=dtype), name)  # noqa: E731
    bz = x[0] if beta == 1.0 else b.node("Mul", [x[0], c(beta, "beta")])
    soft = b.node("Softplus", [bz])
    if beta != 1.0:
        soft = b.node("Div", [soft, c(beta, "beta")])
    return b.node("Where", [b.node("Greater", [bz, c(threshold, "threshold")]), x[0], soft])


@converts("UpsampleNearest")
def _upsample(b: Any, step: Step, x: list[str]) -> str:
    kh, kw = step.params.get("scale", (2, 2))
    scales = b.const(np.asarray([1, 1, kh, kw], dtype=np.float32), "scales")
    return b.node("Resize", [x[0], "", scales], mode="nearest",
                  coordinate_transformation_mode="asymmetric", nearest_mode="floor")


# ----------------------------------------------------------------------- shapes
@converts("Reshape")
def _reshape(b: Any, step: Step, x: list[str]) -> str:
    """Target shape with 0 ("keep the input's size") on the leading axes that keep their
    size — the batch axis among them — so another batch size still works; when the batch
    axis is merged into the first output axis, that axis is written as −1."""
    in_shape, out_shape = step.inputs[0].shape, step.output.shape
    spec = [int(d) for d in out_shape]
    kept = 0
    while kept < min(len(in_shape), len(out_shape)) and in_shape[kept] == out_shape[kept]:
        spec[kept] = 0
        kept += 1
    if kept == 0 and spec:
        spec[0] = -1
    return b.node("Reshape", [x[0], b.const(np.asarray(spec, dtype=np.int64), "shape")])


@converts("Transpose")
def _transpose(b: Any, step: Step, x: list[str]) -> str:
    axes = step.params.get("axes")
    ndim = step.inputs[0].ndim
    perm = list(axes) if axes is not None else list(reversed(range(ndim)))
    return b.node("Transpose", x, perm=[a % ndim for a in perm])


@converts("Concatenate")
def _concat(b: Any, step: Step, x: list[str]) -> str:
    return b.node("Concat", x, axis=int(step.params.get("axis", 0)))


@converts("Stack")
def _stack(b: Any, step: Step, x: list[str]) -> str:
    axis = int(step.params.get("axis", 0)) % step.output.ndim
    axes = b.const(np.asarray([axis], dtype=np.int64), "axes")
    return b.node("Concat", [b.node("Unsqueeze", [v, axes]) for v in x], axis=axis)


@converts("Pad")
def _pad(b: Any, step: Step, x: list[str]) -> str:
    widths = step.params["pad_width"]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    value = b.const(np.asarray(step.params.get("value", 0.0), dtype=step.inputs[0].dtype), "pad_value")
    return b.node("Pad", [x[0], b.const(np.asarray(pads, dtype=np.int64), "pads"), value], mode="constant")


@converts("GetItem")
def _getitem(b: Any, step: Step, x: list[str]) -> str:
    """Basic indexing (ints, slices, None, ...) as Slice, then Squeeze (ints), Unsqueeze (None)."""
    index = step.params["index"]
    parts = list(index) if isinstance(index, tuple) else [index]
    if not all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts):
        b.fail(step, "GetItem with an advanced (array or boolean) index cannot be exported; "
                     "only ints, slices, None and ... are supported")
    ndim = step.inputs[0].ndim
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        used = sum(1 for p in parts if p is not None and p is not Ellipsis)
        parts[at:at + 1] = [slice(None)] * (ndim - used)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    in_axis = out_axis = 0
    for p in parts:
        if p is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(p, slice):
            st = 1 if p.step is None else int(p.step)
            if not (p.start in (None, 0) and p.stop is None and st == 1):
                starts.append((0 if st > 0 else INT64_MAX) if p.start is None else int(p.start))
                ends.append((INT64_MAX if st > 0 else INT64_MIN) if p.stop is None else int(p.stop))
                axes.append(in_axis)
                steps.append(st)
            out_axis += 1
        else:
            k = int(p)
            starts.append(k)
            ends.append(k + 1 if k != -1 else INT64_MAX)
            axes.append(in_axis)
            steps.append(1)
            squeeze.append(in_axis)
        in_axis += 1
    out = x[0]
    if axes:
        ints = lambda v, name: b.const(np.asarray(v, dtype=np.int64), name)  # noqa: E731
        out = b.node("Slice", [out, ints(starts, "starts"), ints(ends, "ends"), ints(axes, "axes"),
                               ints(steps, "steps")])
    if squeeze:
        out = b.node("Squeeze", [out, b.const(np.asarray(squeeze, dtype=np.int64), "axes")])
    if unsqueeze:
        out = b.node("Unsqueeze", [out, b.const(np.asarray(unsqueeze, dtype=np.int64), "axes")])
    return out if out != x[0] else b.node("Identity", [out])


# ------------------------------------------------------------------- reductions
@converts("Sum", "Mean", "Max", "Min")
def _reduce(b: Any, step: Step, x: list[str]) -> str:
    axes = [int(a) for a in getattr(step.op, "axes", range(step.inputs[0].ndim))]
    keepdims = int(bool(step.params.get("keepdims", False)))
    if step.op.name == "Sum":  # opset 13+: ReduceSum takes the axes as an input
        return b.node("ReduceSum", [x[0], b.const(np.asarray(axes, dtype=np.int64), "axes")],
                      keepdims=keepdims)
    return b.node("Reduce" + step.op.name, x, axes=axes, keepdims=keepdims)


__all__ = ["CONVERTERS", "converts"]
