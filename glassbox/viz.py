"""``graph``: draw the computation graph that produced a tensor (Graphviz DOT).

The course notes draw every network as a computation graph: values flow forward through
operations, and backpropagation walks the same graph in reverse. glassbox builds that graph
as it computes: each tensor made by an op keeps the op (``tensor._ctx``, a ``Function``),
and each op keeps its inputs (``fn.parents``). ``graph(loss)`` reads it back:

    >>> loss = nn.CrossEntropyLoss()(model(x), y)
    >>> g = viz.graph(loss, params=dict(model.named_parameters()))
    >>> print(g.to_dot())          # always available: Graphviz DOT text
    >>> g.render("graph.svg")      # needs the Graphviz ``dot`` program

Call it *before* ``loss.backward()``: backward frees the graph (unless
``retain_graph=True``), and a freed graph has nothing left to draw.

Nodes: ops are boxes labelled with the op's name (``Linear``, ``ReLU``,
``SoftmaxCrossEntropy``...); tensors are ellipses labelled with their shape and dtype.
Leaves that require grad (what the optimizer updates) are filled blue and, when
``params`` maps names to them, named (``0.weight``); other leaves (the data) are grey;
the tensor ``graph`` started from is filled orange.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .core.tensor import Tensor


@dataclass
class GraphNode:
    """One node: ``kind`` is "op" or "tensor"; ``label`` its text (lines joined by "\\n")."""

    id: str
    kind: str
    label: str
    style: dict[str, str] = field(default_factory=dict)


@dataclass
class Graph:
    """The nodes and edges (``(from_id, to_id)``, in the direction values flow)."""

    nodes: list[GraphNode]
    edges: list[tuple[str, str]]

    @property
    def op_names(self) -> list[str]:
        """The op nodes' names, from the output back to the inputs."""
        return [n.label for n in self.nodes if n.kind == "op"]

    def to_dot(self, name: str = "computation_graph", rankdir: str = "LR") -> str:
        """The graph as Graphviz DOT text (inputs on the left, the output on the right)."""
        lines = [f"digraph {_quote(name)} {{",
                 f"  rankdir={rankdir};",
                 '  node [fontname="Helvetica", fontsize=10];']
        for node in reversed(self.nodes):  # inputs first reads more naturally in the file
            attrs = {"label": node.label, **node.style}
            text = ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())
            lines.append(f"  {node.id} [{text}];")
        for src, dst in reversed(self.edges):
            lines.append(f"  {src} -> {dst};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Draw the graph with Graphviz's ``dot`` into ``path`` (format from the suffix:
        svg, png, pdf; or ``format=``). Raises RuntimeError when ``dot`` is not installed."""
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "svg").lower()
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"Graph.render: format must be svg, png or pdf, got {fmt!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(
                "Graph.render: the Graphviz 'dot' program was not found on PATH; install "
                "Graphviz (e.g. 'apt install graphviz' or 'brew install graphviz'), or save "
                "Graph.to_dot() to a .dot file and render it elsewhere")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            subprocess.run([dot, f"-T{fmt}", "-o", str(tmp)], input=self.to_dot().encode(),
                           check=True, capture_output=True)
            os.replace(tmp, path)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"Graph.render: dot failed: {exc.stderr.decode(errors='replace').strip()}") from None
        finally:
            if tmp.exists():
                tmp.unlink()
        return path

    def __str__(self) -> str:
        return self.to_dot()


_OP_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee"}
_PARAM_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#a8d0f0"}
_DATA_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#f4f4f4"}
_ROOT_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#f8c471"}
_TENSOR_STYLE = {"shape": "ellipse"}


def graph(tensor: Tensor, params: Mapping[str, Tensor] | None = None) -> Graph:
    """The computation graph that produced ``tensor``, walked back through ``_ctx.parents``.

    Args:
        tensor: usually the loss, before ``backward()``.
        params: optional ``{name: parameter}``, e.g. ``dict(model.named_parameters())``,
            to name the parameter leaves.

    Raises:
        TypeError: ``tensor`` is not a Tensor.
        RuntimeError: the graph was already freed by ``backward()``.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"viz.graph: expected a Tensor, got {type(tensor).__name__}")
    names = {id(p): name for name, p in (params or {}).items()}
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []
    ids: dict[int, str] = {}

    def tensor_id(t: Tensor) -> str:
        if id(t) not in ids:
            ids[id(t)] = f"t{len(ids)}"
        return ids[id(t)]

    # Iterative depth-first walk (a deep network would overflow Python's recursion).
    stack = [tensor]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        tid = tensor_id(t)
        nodes.append(GraphNode(tid, "tensor", _tensor_label(t, names.get(id(t))),
                               dict(_style_of(t, t is tensor))))
        fn = t._ctx
        if fn is None:
            continue
        if getattr(fn, "name", "") == "FreedGraph":
            raise RuntimeError(
                "viz.graph: this graph was freed by backward(); call viz.graph() before "
                "backward(), or pass retain_graph=True to backward()")
        oid = f"op{tid[1:]}"
        nodes.append(GraphNode(oid, "op", fn.name, dict(_OP_STYLE)))
        edges.append((oid, tid))
        for parent in reversed(fn.parents):  # to_dot reverses: the inputs keep their order
            edges.append((tensor_id(parent), oid))
            stack.append(parent)
    return Graph(nodes, edges)


def _tensor_label(t: Tensor, name: str | None) -> str:
    shape = "(" + ", ".join(str(n) for n in t.shape) + ("," if t.ndim == 1 else "") + ")"
    text = f"{shape} {t.dtype}"
    return f"{name}\n{text}" if name else text


def _style_of(t: Tensor, is_root: bool) -> dict[str, str]:
    if is_root:
        return _ROOT_STYLE
    if t._ctx is None:
        return _PARAM_STYLE if t.requires_grad else _DATA_STYLE
    return _TENSOR_STYLE


def _quote(value: str) -> str:
    """A DOT string literal; line breaks become DOT's centred "\\n"."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


__all__ = ["graph", "Graph", "GraphNode"]
