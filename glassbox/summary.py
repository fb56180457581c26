"""``summary``: a Keras-style table of a model's layers, output shapes and parameter counts.

    >>> from glassbox import models, summary
    >>> result = summary(models.lenet5(), (1, 28, 28))   # prints the table
    >>> result.total_params
    61706

Output shapes come from one forward pass on zeros, recorded by forward hooks; pass
``forward=False`` (or ``input_shape=None``) to list parameters only, e.g. for a 224×224
network whose forward pass would be slow.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .core.tensor import Tensor
from .nn.container import ModuleList, Sequential
from .nn.module import Module
from .nn.utils import record_calls


@dataclass
class SummaryRow:
    """One line of the table.

    ``num_params`` counts the parameters the module holds itself; ``total_params`` also
    counts those of its sub-modules (they differ only for block rows, ``is_block=True``,
    such as a ``ResidualBlock`` whose convs get rows of their own below it).
    """

    name: str
    layer_type: str
    depth: int
    output_shape: tuple[int, ...] | list[tuple[int, ...]] | None
    num_params: int
    total_params: int
    trainable_params: int
    is_block: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.layer_type})" if self.name else self.layer_type


@dataclass
class SummaryResult:
    """The rows and totals of a summary; ``str(result)`` is the table."""

    model_name: str
    input_shape: tuple[int, ...] | None
    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    params_bytes: int
    buffer_elements: int
    output_shape: Any = None
    lines: list[str] = field(default_factory=list, repr=False)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _shape_of(output: Any) -> Any:
    if isinstance(output, (Tensor, np.ndarray)):
        return tuple(int(n) for n in output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    return None


def _is_plain_container(module: Module) -> bool:
    """Sequential / ModuleList only group layers: their children's rows say it all."""
    return isinstance(module, (Sequential, ModuleList))


def _own_params(module: Module, seen: set[int]) -> tuple[int, int]:
    """(all, trainable) elements of the parameters ``module`` holds directly, skipping
    parameters already counted elsewhere (shared weights are counted once)."""
    total = trainable = 0
    for param in module._parameters.values():
        if id(param) in seen:
            continue
        seen.add(id(param))
        total += param.size
        trainable += param.size if param.requires_grad else 0
    return total, trainable


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "--"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return str(tuple(shape))


def _input_dtype(model: Module) -> Any:
    """The dtype of a zero input for ``model``: its first parameter's, else float32."""
    param = next(iter(model.parameters()), None)
    return param.dtype if param is not None else np.float32


def _run_forward(model: Module, input_shape: tuple[int, ...], batch_size: int
                 ) -> tuple[dict[int, Any], Any]:
    """One eval-mode forward on zeros; returns output shape by ``id(module)`` and the
    model's output shape. Modes and hooks are restored even if the forward fails."""
    x = Tensor._from_op(np.zeros((batch_size, *input_shape), dtype=_input_dtype(model)), None)
    try:
        calls, out = record_calls(model, x)
    except (ValueError, TypeError, RuntimeError) as exc:
        message = (f"summary: the forward pass of {type(model).__name__} on an input of "
                   f"shape {(batch_size, *input_shape)} failed: {exc}")
        try:
            located = type(exc)(message)
        except Exception:  # an exception type that takes other arguments
            raise exc from None
        raise located from exc
    shapes = {id(module): _shape_of(output) for module, _, output in calls}
    return shapes, _shape_of(out)


def summary(model: Module, input_shape: int | Sequence[int] | None = None, batch_size: int = 1,
            print_fn: Callable[[str], Any] | None = print, forward: bool = True,
            max_depth: int | None = None) -> SummaryResult:
    """Print (and return) a table of ``model``'s layers.

    Args:
        model: any ``nn.Module``.
        input_shape: the shape of ONE sample, without the batch axis, e.g. (1, 28, 28)
            or 784. ``None`` skips the forward pass (no output shapes).
        batch_size: the batch size of the zeros fed through the model.
        print_fn: called with each line of the table; ``None`` prints nothing.
        forward: False lists the parameters without running the model.
        max_depth: hide rows nested deeper than this inside blocks (0 shows a
            ``ResidualBlock`` as one row); the totals still count everything.

    Rows: every leaf layer, and every composite block that is not a plain ``Sequential`` /
    ``ModuleList`` (indented by depth, its children below it). Totals count each parameter
    once: trainable ones have ``requires_grad=True``, frozen ones are non-trainable.
    Buffers (batch norm's running statistics) are not parameters and are reported apart.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    if batch_size < 1:
        raise ValueError(f"summary: batch_size must be at least 1, got {batch_size}")
    shape: tuple[int, ...] | None = None
    if input_shape is not None:
        shape = (int(input_shape),) if np.isscalar(input_shape) else tuple(int(n) for n in input_shape)
        if any(n <= 0 for n in shape):
            raise ValueError(f"summary: input_shape must be positive sizes, got {shape}")

    shapes: dict[int, Any] = {}
    model_out = None
    if forward and shape is not None:
        shapes, model_out = _run_forward(model, shape, batch_size)

    rows: list[SummaryRow] = []
    seen: set[int] = set()
    shown: set[str] = set()  # names of the rows so far: a row is indented once per shown ancestor
    for name, module in model.named_modules():
        has_children = bool(module._modules)
        own, own_trainable = _own_params(module, seen)
        is_root = name == ""
        if has_children and own == 0 and (is_root or _is_plain_container(module)):
            continue
        parts = name.split(".")
        depth = sum(".".join(parts[:k]) in shown for k in range(1, len(parts)))
        if max_depth is not None and depth > max_depth:
            continue
        shown.add(name)
        subtree = sum(p.size for p in module.parameters())
        subtree_trainable = sum(p.size for p in module.parameters() if p.requires_grad)
        rows.append(SummaryRow(
            name=name, layer_type=type(module).__name__,
            depth=depth,
            output_shape=shapes.get(id(module)),
            num_params=own,
            total_params=subtree if has_children else own,
            trainable_params=subtree_trainable if has_children else own_trainable,
            is_block=has_children,
        ))

    params = list(model.parameters())
    total = sum(p.size for p in params)
    trainable = sum(p.size for p in params if p.requires_grad)
    result = SummaryResult(
        model_name=type(model).__name__, input_shape=shape, rows=rows,
        total_params=total, trainable_params=trainable, non_trainable_params=total - trainable,
        params_bytes=sum(p.data.nbytes for p in params),
        buffer_elements=sum(int(np.size(b)) for _, b in model.named_buffers()),
        output_shape=model_out,
    )
    result.lines = _render(result, show_shapes=bool(shapes))
    if print_fn is not None:
        for line in result.lines:
            print_fn(line)
    return result


def _render(result: SummaryResult, show_shapes: bool) -> list[str]:
    labels = ["  " * row.depth + row.label for row in result.rows]
    shape_texts = [_format_shape(row.output_shape) for row in result.rows]
    param_texts = [f"{row.total_params:,}" for row in result.rows]
    headers = ("Layer (type)", "Output Shape", "Param #")
    w_label = max([len(headers[0])] + [len(s) for s in labels])
    w_shape = max([len(headers[1])] + [len(s) for s in shape_texts])
    w_param = max([len(headers[2])] + [len(s) for s in param_texts])

    def line(label: str, shape: str, params: str) -> str:
        cells = [label.ljust(w_label)]
        if show_shapes:
            cells.append(shape.ljust(w_shape))
        cells.append(params.rjust(w_param))
        return "  ".join(cells).rstrip()

    width = len(line(headers[0], headers[1], headers[2]))
    title = f'Model: "{result.model_name}"'
    if result.input_shape is not None:
        title += f"  input {_format_shape(result.input_shape)} per sample"
    lines = [title, "=" * width, line(*headers), "=" * width]
    lines += [line(lab, shp, prm) for lab, shp, prm in zip(labels, shape_texts, param_texts)]
    lines += ["=" * width,
              f"Total params: {result.total_params:,}",
              f"Trainable params: {result.trainable_params:,}",
              f"Non-trainable params: {result.non_trainable_params:,}",
              f"Params size (MB): {result.params_bytes / 2**20:.2f}"]
    if result.buffer_elements:
        lines.append(f"Buffers (not learned, e.g. running statistics): {result.buffer_elements:,}")
    if show_shapes and result.output_shape is not None:
        lines.append(f"Output shape: {_format_shape(result.output_shape)}")
    lines.append("=" * width)
    return lines
