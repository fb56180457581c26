"""viz.graph: the DOT text of a small MLP's loss graph, DOT syntax basics, render / freed-graph errors."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn, viz


def small_mlp_loss():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 2))
    x = gb.Tensor(np.random.default_rng(0).random((4, 5)))
    y = gb.Tensor(np.array([0, 1, 1, 0]))
    return model, nn.CrossEntropyLoss()(model(x), y)


def test_dot_names_the_ops_shapes_and_parameters():
    model, loss = small_mlp_loss()
    g = viz.graph(loss, params=dict(model.named_parameters()))
    assert g.op_names == ["SoftmaxCrossEntropy", "Linear", "Tanh", "Linear"]
    dot = g.to_dot()
    for text in ("(4, 5) float32", "(4, 3) float32", "(4, 2) float32", "(4,) int64",
                 r"0.weight\n(3, 5) float32", r"0.bias\n(3,) float32", r"2.weight\n(2, 3) float32",
                 '"Tanh"', '"SoftmaxCrossEntropy"'):
        assert text in dot, text
    # parameters (leaves requiring grad) are highlighted differently from the data leaf
    declared = re.findall(r'^  (\w+) \[label="([^"]*)"', dot, re.M)
    param_line = next(l for l in dot.splitlines() if "0.weight" in l)
    data_line = next(l for l in dot.splitlines() if "(4, 5) float32" in l)
    assert "#a8d0f0" in param_line and "#a8d0f0" not in data_line
    assert len(declared) == len(g.nodes) == 10 + 4  # x, y, 4 parameters, 3 activations, loss; 4 ops


def test_dot_syntax_basics():
    model, loss = small_mlp_loss()
    g = viz.graph(loss)
    dot = g.to_dot()
    assert dot.startswith('digraph "computation_graph" {') and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}") == 1
    assert dot.count('"') % 2 == 0
    declared = set(re.findall(r"^  (\w+) \[", dot, re.M))
    edges = re.findall(r"^  (\w+) -> (\w+);$", dot, re.M)
    assert len(edges) == len(g.edges) == 3 + 3 + 1 + 2 + 4  # into each Linear, Tanh, the loss; 4 op outputs
    assert all(a in declared and b in declared for a, b in edges)
    # every edge joins a tensor and an op (the graph is bipartite)
    assert all(a.startswith("t") != b.startswith("t") for a, b in edges)


def test_shared_tensor_appears_once_and_long_chains_do_not_recurse():
    x = gb.Tensor(np.ones(3), requires_grad=True)
    y = x * x + x
    g = viz.graph(y.sum())
    assert sum(1 for n in g.nodes if n.kind == "tensor" and n.label == "(3,) float32" and n.style.get("fillcolor") == "#a8d0f0") == 1
    z = x
    for _ in range(3000):
        z = z + 1.0
    assert len(viz.graph(z).op_names) == 3000


def test_errors():
    _, loss = small_mlp_loss()
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.graph(np.ones(3))
    loss.backward()
    with pytest.raises(RuntimeError, match="before backward"):
        viz.graph(loss)


def test_render_without_dot_is_a_clear_error(tmp_path, monkeypatch):
    _, loss = small_mlp_loss()
    g = viz.graph(loss)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz 'dot' program was not found"):
        g.render(tmp_path / "g.svg")
    with pytest.raises(ValueError, match="svg, png or pdf"):
        g.render(tmp_path / "g.gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_render_svg(tmp_path):
    _, loss = small_mlp_loss()
    out = viz.graph(loss).render(tmp_path / "g.svg")
    text = out.read_text()
    assert "<svg" in text and "SoftmaxCrossEntropy" in text
