"""``explain``: a model's forward formulas and backprop gradients, with its shapes filled in.

The course notes write a network layer by layer, one column per sample (m samples side by
side), layer l computing

    Z[l] = W[l]·A[l-1] + b[l]        A[l] = g(Z[l])

and backpropagation running the same layers in reverse:

    dZ[l] = dA[l] ⊙ g'(Z[l])    dW[l] = (1/m)·dZ[l]·A[l-1]ᵀ    db[l] = (1/m)·Σ dZ[l]    dA[l-1] = W[l]ᵀ·dZ[l]

``explain(model, (1, 28, 28))`` prints exactly these lines for a concrete model, with its
weight shapes and activation sizes (found by one forward pass with hooks, as ``summary``
does), for Linear, Conv2d (the output-size formula with the numbers put in), pooling,
batch norm, dropout, activations (g and g'), Flatten / padding, and the loss. Here d⋯
means ∂ℓ/∂⋯ for one sample's loss ℓ, so the 1/m of the cost J = (1/m) Σ ℓ appears in
dW and db (glassbox's ``loss.backward()`` folds it into dZ instead: the same numbers).
Convolution volumes are written n_H×n_W×n_C as in the notes (glassbox stores (m, C, H, W)).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import nn
from . import validate as check
from .core.tensor import Tensor
from .nn import functional as F
from .nn.activation import Activation
from .nn.module import Module
from .nn.utils import record_calls
from .ops import conv as _conv

LOSSES = ("cross-entropy", "mse", "none")


@dataclass
class LayerExplanation:
    """One layer: its name and type, the forward lines and the backward lines."""

    name: str
    layer_type: str
    forward: list[str]
    backward: list[str]


@dataclass
class Explanation:
    """What ``explain`` found; ``str()`` is the printed text."""

    model_name: str
    input_shape: tuple[int, ...]
    layers: list[LayerExplanation]
    loss_forward: list[str] = field(default_factory=list)
    loss_backward: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.model_name}: input {_volume(self.input_shape)} per sample, m samples per batch",
               "(one column per sample; d⋯ = ∂ℓ/∂⋯ for one sample, so 1/m appears in dW and db)",
               "", "Forward pass"]
        for layer in self.layers:
            out.append(f"  {_title(layer)}")
            out += [f"      {line}" for line in layer.forward]
        if self.loss_forward:
            out.append("  loss")
            out += [f"      {line}" for line in self.loss_forward]
        out += ["", "Backward pass (backprop: from the loss back to the input)"]
        if self.loss_backward:
            out.append("  loss")
            out += [f"      {line}" for line in self.loss_backward]
        for layer in reversed(self.layers):
            if layer.backward:
                out.append(f"  {_title(layer)}")
                out += [f"      {line}" for line in layer.backward]
        if self.notes:
            out += ["", *self.notes]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _title(layer: LayerExplanation) -> str:
    return f"{layer.name} ({layer.layer_type})" if layer.name else layer.layer_type


# ---------------------------------------------------------------- shapes as the notes write them
def _volume(shape: Sequence[int]) -> str:
    """A per-sample shape: (C, H, W) → "H×W×C"; (n,) → "n"."""
    shape = tuple(shape)
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    return "×".join(str(n) for n in shape) or "1"


def _act(shape: Sequence[int]) -> str:
    """An activation of m samples: a vector of n per sample → "(n, m)"; a volume → "H×W×C"."""
    shape = tuple(shape)
    if len(shape) == 1:
        return f"({shape[0]}, m)"
    return _volume(shape)


def _d(symbol: str) -> str:
    return "d" + symbol


# ------------------------------------------------------------------------- per-layer formulas
Lines = tuple[list[str], list[str]]
Formula = Callable[["_Walker", Module, tuple, tuple], Optional[Lines]]
_FORMULAS: dict[type, Formula] = {}


def register(*layer_types: type) -> Callable[[Formula], Formula]:
    """Register ``fn(walker, module, in_shape, out_shape) -> (forward lines, backward lines)``
    as the formulas of ``layer_types`` (and their subclasses); returning None leaves the layer
    out. A new layer adds itself with ``@explain.register(MyLayer)``."""
    def add(fn: Formula) -> Formula:
        for layer_type in layer_types:
            _FORMULAS[layer_type] = fn
        return fn
    return add


def formula_for(module: Module) -> Formula | None:
    """The registered formulas of ``module``'s type or its nearest registered base class."""
    for cls in type(module).__mro__:
        if cls in _FORMULAS:
            return _FORMULAS[cls]
    return None


class _Walker:
    """Turns the recorded (module, input shape, output shape) calls into formulas, keeping
    the layer index l and the name of the value flowing between layers."""

    def __init__(self) -> None:
        self.l = 0
        self.symbol = "X"

    def _input(self) -> str:
        return "A[0]" if self.symbol == "X" else self.symbol

    def step(self, module: Module, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Lines | None:
        fn = formula_for(module)
        if fn is not None:
            return fn(self, module, in_shape, out_shape)
        x = self.symbol
        name = type(module).__name__
        self.symbol = f"{name}({x})"
        return ([f"{self.symbol}: {_act(in_shape)} → {_act(out_shape)} (explain has no formula for {name})"],
                [f"{_d(x)}: backprop through {name}"])


@register(nn.Identity)
def _identity(w: _Walker, m: Module, in_shape: tuple, out_shape: tuple) -> None:
    return None


# -- layers with weights
@register(nn.Linear)
def _linear(w: _Walker, m: nn.Linear, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w._input()
    w.l += 1
    l, n_out, n_in = w.l, m.out_features, m.in_features
    z = f"Z[{l}]"
    w.symbol = z
    bias = m.bias is not None
    fwd = [f"{z} = W[{l}]·{x}" + (f" + b[{l}]" if bias else ""),
           f"W[{l}] is ({n_out}, {n_in})" + (f", b[{l}] ({n_out},)" if bias else ", no bias")
           + f";  {x} {_act(in_shape)} → {z} {_act(out_shape)}"]
    bwd = [f"dW[{l}] = (1/m)·dZ[{l}]·{x}ᵀ    ({n_out}, m)·(m, {n_in}) → ({n_out}, {n_in}), like W[{l}]"]
    if bias:
        bwd.append(f"db[{l}] = (1/m)·Σ dZ[{l}]    (summed over the m samples) → ({n_out},)")
    bwd.append(f"{_d(x)} = W[{l}]ᵀ·dZ[{l}]    ({n_in}, {n_out})·({n_out}, m) → ({n_in}, m)"
               + ("    (only needed when the input itself wants a gradient)" if x == "A[0]" else ""))
    return fwd, bwd


@register(nn.Conv2d)
def _conv2d(w: _Walker, m: nn.Conv2d, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w._input()
    w.l += 1
    l = w.l
    c_in, h, wd = in_shape
    c_out, oh, ow = out_shape
    (fh, fw), (sh, sw), (dh, dw) = m.kernel_size, m.stride, m.dilation
    (pt, pb), (pl, pr) = _conv.resolve_padding(m.padding, (h, wd), m.kernel_size, m.stride, repr(m),
                                               m.dilation)
    z = f"Z[{l}]"
    w.symbol = z
    bias = m.bias is not None
    fwd = [f"{z} = W[{l}] ∗ {x}" + (f" + b[{l}]" if bias else "")
           + f"    ({c_out} filters of {fh}×{fw}×{c_in}; ∗ slides each over {x}, stride {sh}, padding {pt})",
           f"W[{l}] is {tuple(m.weight.shape)} (n_C, n_C_prev, f, f)"
           + (f", b[{l}] ({c_out},)" if bias else ", no bias"),
           _size_line("n_H", h, pt + pb, fh, sh, oh, d=dh)]
    if (wd, pl + pr, fw, sw, dw) != (h, pt + pb, fh, sh, dh):
        fwd.append(_size_line("n_W", wd, pl + pr, fw, sw, ow, d=dw))
    else:
        fwd.append(f"n_W = {ow} likewise")
    fwd.append(f"{x} {_volume(in_shape)} → {z} {_volume(out_shape)}")
    bwd = [f"dW[{l}] = (1/m)·Σ_samples Σ_(h,w) dZ[{l}][h,w,c] · ({fh}×{fw}×{c_in} window of {x} at (h,w))"
           f" → {tuple(m.weight.shape)}"]
    if bias:
        bwd.append(f"db[{l}] = (1/m)·Σ dZ[{l}] over the samples and the {oh}×{ow} positions → ({c_out},)")
    bwd.append(f"{_d(x)} = Σ_(h,w,c) W[{l}][c] · dZ[{l}][h,w,c] added onto the window at (h,w)"
               f"    (a full convolution with the flipped filters) → {_volume(in_shape)}"
               + ("    (only needed when the input itself wants a gradient)" if x == "A[0]" else ""))
    return fwd, bwd


def _batch_norm_lines(w: _Walker, m: Any, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w._input()
    l = w.l
    y = f"Z̃[{l}]"
    w.symbol = y
    n = "m" if len(in_shape) == 1 else f"(m·{in_shape[1]}·{in_shape[2]})"
    over = "the m samples" if len(in_shape) == 1 else f"the m samples and the {in_shape[1]}×{in_shape[2]} positions"
    c = m.num_features
    fwd = [f"μ = (1/{n})·Σ {x},   σ² = (1/{n})·Σ ({x} − μ)²    per channel, over {over}",
           f"Ẑ = ({x} − μ)/√(σ² + ε),   {y} = γ[{l}] ⊙ Ẑ + β[{l}]    (ε = {m.eps:g})",
           f"γ[{l}] and β[{l}] are ({c},);  at test time μ, σ² are the running averages",
           f"{x} {_act(in_shape)} → {y} {_act(out_shape)}"]
    bwd = [f"dβ[{l}] = (1/m)·Σ d{y},   dγ[{l}] = (1/m)·Σ d{y} ⊙ Ẑ    → ({c},)",
           f"dẐ = γ[{l}] ⊙ d{y}",
           f"{_d(x)} = (1/√(σ² + ε))·(dẐ − mean(dẐ) − Ẑ ⊙ mean(dẐ ⊙ Ẑ))    (means over {over})"]
    return fwd, bwd


register(nn.BatchNorm1d, nn.BatchNorm2d)(_batch_norm_lines)


@register(nn.LayerNorm)
def _layer_norm(w: _Walker, m: nn.LayerNorm, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w._input()
    l = w.l
    y = f"Z̃[{l}]"
    w.symbol = y
    shape = "×".join(map(str, m.normalized_shape))
    fwd = [f"μ, σ² of each sample over its last {shape} values;  Ẑ = ({x} − μ)/√(σ² + ε),  "
           f"{y} = γ ⊙ Ẑ + β    (ε = {m.eps:g}; the same at test time)",
           f"{x} {_act(in_shape)} → {y} {_act(out_shape)}"]
    bwd = [f"dẐ = γ ⊙ d{y};  {_d(x)} = (1/√(σ² + ε))·(dẐ − mean(dẐ) − Ẑ ⊙ mean(dẐ ⊙ Ẑ))    "
           f"(means over each sample's {shape} values)"]
    return fwd, bwd


# -- activations: every nn.activation.Activation states its g and g'
@register(Activation)
def _activation(w: _Walker, m: Activation, in_shape: tuple, out_shape: tuple) -> Lines:
    z = w._input()
    a = f"A[{w.l}]"
    w.symbol = a
    return ([f"{a} = g({z}),  g = {type(m).__name__}: {m.formula}    {_act(in_shape)}"],
            [f"{_d(z)} = {_d(a)} ⊙ g'({z}),  {m.derivative}"])


@register(nn.Softmax)
def _softmax(w: _Walker, m: Any, in_shape: tuple, out_shape: tuple) -> Lines:
    z = w._input()
    a = f"A[{w.l}]"
    w.symbol = a
    log = isinstance(m, nn.LogSoftmax)
    fwd = [f"{a} = {'log ' if log else ''}softmax({z}):  "
           + ("Z_k − log Σ_j e^(Z_j)" if log else "e^(Z_k) / Σ_j e^(Z_j)") + f"    {_act(in_shape)}"]
    bwd = [f"{_d(z)} = {_d(a)} − softmax({z}) · Σ_k {_d(a)}_k" if log
           else f"{_d(z)} = {a} ⊙ ({_d(a)} − Σ_k {_d(a)}_k·{a}_k)    (the softmax Jacobian diag(a) − a·aᵀ)"]
    return fwd, bwd


# -- layers without weights
def _pool_symbols(w: _Walker) -> tuple[str, str]:
    """The pooling layer's input symbol and its output P[l], which the next layer reads."""
    x = w._input()
    w.symbol = f"P[{w.l}]"
    return x, w.symbol


@register(nn.MaxPool2d, nn.AvgPool2d)
def _pool(w: _Walker, m: Any, in_shape: tuple, out_shape: tuple) -> Lines:
    x, p_sym = _pool_symbols(w)
    c, h, wd = in_shape
    _, oh, ow = out_shape
    is_max = isinstance(m, nn.MaxPool2d)
    dh, dw = check.pair(dilation=m.dilation, where=repr(m)) if is_max else (1, 1)
    (fh, fw), (sh, sw), ((pt, pb), (pl, pr)) = F.pool_args((h, wd), m.kernel_size, m.stride,
                                                           m.padding, repr(m), (dh, dw))
    kind = "max" if is_max else "average"
    same = (wd, fw, sw, pl + pr, ow, dw) == (h, fh, sh, pt + pb, oh, dh)
    spread = "" if (dh, dw) == (1, 1) else f" with cells {dh} apart (dilation)"
    fwd = [f"{p_sym} = {kind} of each {fh}×{fw} window{spread} of {x}, stride {sh}    (no parameters)",
           _size_line("n_H", h, pt + pb, fh, sh, oh, m.ceil_mode, dh) + (f";  n_W = {ow} likewise" if same else "")]
    if not same:
        fwd.append(_size_line("n_W", wd, pl + pr, fw, sw, ow, m.ceil_mode, dw))
    fwd.append(f"{x} {_volume(in_shape)} → {p_sym} {_volume(out_shape)}    (n_C = {c} stays)")
    if is_max:
        bwd = [f"{_d(x)} = d{p_sym} sent to the position of each window's maximum, 0 elsewhere"]
    else:
        bwd = [f"{_d(x)} = d{p_sym}/{fh * fw} to each of the {fh * fw} pixels of its window"]
    return fwd, bwd


@register(nn.AdaptiveAvgPool2d)
def _adaptive_pool(w: _Walker, m: Any, in_shape: tuple, out_shape: tuple) -> Lines:
    x, p_sym = _pool_symbols(w)
    c, h, wd = in_shape
    _, oh, ow = out_shape
    kh, kw = h // oh, wd // ow
    return ([f"{p_sym} = average of each {kh}×{kw} block of {x}: {_volume(in_shape)} → {_volume(out_shape)}"],
            [f"{_d(x)} = d{p_sym}/{kh * kw} to each of the {kh * kw} pixels of its block"])


@register(nn.Dropout)
def _dropout(w: _Walker, m: nn.Dropout, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w._input()
    keep = 1.0 - m.p
    d = f"D[{w.l}]"
    unit = "unit" if not isinstance(m, nn.Dropout2d) else "feature map"
    return ([f"{d} = (random numbers < keep_prob = {keep:g}), one per {unit};  "
             f"{x} = {x} ⊙ {d} / {keep:g}    (training only; the identity at test time)"],
            [f"{_d(x)} = {_d(x)} ⊙ {d} / {keep:g}    (the same mask)"])


@register(nn.Flatten)
def _flatten(w: _Walker, m: nn.Flatten, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w.symbol
    out = "A[0]" if x == "X" else f"F[{w.l}]"
    w.symbol = out
    size = int(np.prod(in_shape))
    return ([f"{out} = flatten({x}): {_volume(in_shape)} → ({size}, m)"],
            [f"{_d(x)} = d{out} reshaped back to {_volume(in_shape)}"] if x != "X" else [])


@register(nn.ConstantPad2d)
def _zero_pad(w: _Walker, m: Any, in_shape: tuple, out_shape: tuple) -> Lines:
    x = w.symbol
    out = "A[0]" if x == "X" else x
    w.symbol = out
    left, right, top, bottom = m.padding
    p = str(left) if len(set(m.padding)) == 1 else f"(left {left}, right {right}, top {top}, bottom {bottom})"
    what = "zeros" if m.value == 0 else f"values {m.value:g}"
    return ([f"{out} = {x} with p = {p} {what} on every side: {_volume(in_shape)} → {_volume(out_shape)}"],
            [f"{_d(x)} = d{out} without its {p}-pixel border"] if x != "X" else [])


def _size_line(axis: str, n: int, pad_total: int, f: int, s: int, out: int, ceil: bool = False,
               d: int = 1) -> str:
    """The output-size formula with the numbers put in: ⌊(n + 2p − f)/s⌋ + 1, rounded up with
    ``ceil`` (pooling's ceil_mode), f → d·(f − 1) + 1 with dilation d."""
    p = f"{pad_total // 2}" if pad_total % 2 == 0 else f"{pad_total}/2"
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    if d == 1:
        symbols, numbers = f"{axis}_prev + 2p − f", f"{n} + 2·{p} − {f}"
    else:
        symbols, numbers = f"{axis}_prev + 2p − d·(f − 1) − 1", f"{n} + 2·{p} − {d}·({f} − 1) − 1"
    span = n + pad_total - d * (f - 1) - 1
    value = (-(-span // s) if ceil else span // s) + 1
    text = f"{axis} = {left}({symbols})/s{right} + 1 = {left}({numbers})/{s}{right} + 1 = {value}"
    if value != out:  # ceil_mode: PyTorch drops a last window that would start in the padding
        text += f" − 1 = {out}    (the last window would start in the padding: dropped)"
    return text


def _loss_lines(loss: str, z: str, shape: tuple) -> tuple[list[str], list[str]]:
    if loss == "cross-entropy":
        return ([f"Ŷ = softmax({z}):  Ŷ_k = e^(Z_k) / Σ_j e^(Z_j)    {_act(shape)}",
                 "J = −(1/m)·Σ_samples Σ_k Y_k·log Ŷ_k    (Y one-hot; softmax + cross-entropy)"],
                [f"{_d(z)} = Ŷ − Y    {_act(shape)}    (softmax and cross-entropy differentiated together)"])
    if loss == "mse":
        return ([f"Ŷ = {z};  J = (1/m)·Σ_samples ‖Ŷ − Y‖²    {_act(shape)}"],
                [f"{_d(z)} = 2·(Ŷ − Y)    {_act(shape)}"])
    return [], []


def explain(model: Module, input_shape: int | Sequence[int] = (1, 28, 28), loss: str = "cross-entropy",
            print_fn: Any = print, name: str | None = None) -> Explanation:
    """Print (and return) ``model``'s forward formulas and backprop gradients with its shapes.

    Args:
        model: an ``nn.Module``; its leaf layers are explained in the order they run.
        input_shape: the shape of ONE sample, e.g. (1, 28, 28) or 784.
        loss: "cross-entropy" (softmax + cross-entropy on the logits), "mse" or "none".
        print_fn: called with the text; ``None`` prints nothing.
        name: the model's name in the title (default: its class name).
    """
    if not isinstance(model, Module):
        raise TypeError(f"explain: expected an nn.Module, got {type(model).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"explain: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    shape = (int(input_shape),) if np.isscalar(input_shape) else tuple(int(n) for n in input_shape)
    if not shape or any(n <= 0 for n in shape):
        raise ValueError(f"explain: input_shape must be positive sizes, got {input_shape!r}")

    calls = _record_calls(model, shape)
    walker = _Walker()
    names = {id(mod): name for name, mod in model.named_modules()}
    layers = []
    for module, in_shape, out_shape in calls:
        lines = walker.step(module, in_shape, out_shape)
        if lines is not None:
            layers.append(LayerExplanation(names.get(id(module), ""), type(module).__name__, *lines))
    out_shape = calls[-1][2] if calls else shape
    loss_fwd, loss_bwd = _loss_lines(loss, walker._input(), out_shape)
    notes = []
    hidden = [n for n, mod in model.named_modules()
              if mod._modules and n and not isinstance(mod, (nn.Sequential, nn.ModuleList))]
    if hidden:
        notes.append("note: the blocks " + ", ".join(hidden) + " also combine their layers' outputs "
                     "(e.g. skip connections or concatenation), which is not shown above.")
    result = Explanation(name or type(model).__name__, shape, layers, loss_fwd, loss_bwd, notes)
    if print_fn is not None:
        print_fn(str(result))
    return result


def _record_calls(model: Module, shape: tuple[int, ...]) -> list[tuple[Module, tuple, tuple]]:
    """(leaf module, per-sample input shape, per-sample output shape) in the order they ran,
    from one eval-mode forward pass on zeros (``nn.utils.record_calls``)."""
    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None else np.float32
    x = Tensor._from_op(np.zeros((1, *shape), dtype=dtype), None)
    try:
        calls, _ = record_calls(model, x, leaves_only=True)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise ValueError(f"explain: the forward pass of {type(model).__name__} on one sample of "
                         f"shape {shape} failed: {exc}") from exc
    out = []
    for module, inputs, output in calls:
        first = inputs[0] if isinstance(inputs, (tuple, list)) and inputs else inputs
        if isinstance(first, Tensor) and isinstance(output, Tensor):
            out.append((module, tuple(first.shape[1:]), tuple(output.shape[1:])))
    return out


__all__ = ["explain", "Explanation", "LayerExplanation", "register", "formula_for"]
