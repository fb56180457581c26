"""glassbox.onnx.load: ONNX files back as glassbox modules — the zoo and every exported op
round-trip with the same outputs and state_dict, gradients flow through the imported
module, and a graph written by another exporter's conventions matches onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import nn, optim  # noqa: E402
from glassbox.onnx import OnnxModule, UnsupportedOperatorError, export, load  # noqa: E402

from test_export import OPS, ZOO, _glassbox, _Lambda, calibrate_batch_norm, zoo_model  # noqa: E402


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_round_trip_same_outputs_and_state_dict(name, tmp_path):
    model, shape, rng = zoo_model(name)
    calibrate_batch_norm(model, rng.random((4,) + shape, dtype=np.float32))
    export(model, np.zeros((1,) + shape, np.float32), tmp_path / "m.onnx")
    imported = load(tmp_path / "m.onnx")
    assert isinstance(imported, OnnxModule) and not imported.training
    x = rng.random((3,) + shape, dtype=np.float32)
    # float32 rounding only: the zoo model runs Conv→BN fused at inference (nn/fusion.py), the
    # imported graph node by node
    np.testing.assert_allclose(_glassbox(imported, x), _glassbox(model, x), rtol=1e-5, atol=1e-5)
    # num_batches_tracked (PyTorch's BatchNorm step counter) takes no part in the forward pass
    ours = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    theirs = imported.state_dict()
    assert set(theirs) == set(ours)
    for key, value in ours.items():
        np.testing.assert_array_equal(theirs[key], value)
    assert imported.num_parameters() == model.num_parameters()


@pytest.mark.parametrize("name", list(OPS))
def test_exported_ops_read_back(name, tmp_path):
    gb.manual_seed(1)
    fn, shape, layers = OPS[name]
    model = _Lambda(fn, **layers)
    rng = np.random.default_rng(2)
    export(model, rng.standard_normal((2,) + shape).astype(np.float32), tmp_path / "op.onnx")
    imported = load(tmp_path / "op.onnx")
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    np.testing.assert_allclose(_glassbox(imported, x), _glassbox(model, x), rtol=1e-6, atol=1e-6)


def test_gradients_and_training_through_the_imported_module(tmp_path):
    gb.manual_seed(0)
    model = gb.models.lenet5()
    export(model, np.zeros((1, 1, 28, 28), np.float32), tmp_path / "l.onnx")
    imported = load(tmp_path / "l.onnx").train()
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 8)
    loss_fn = nn.CrossEntropyLoss()
    for net in (model, imported):
        net.zero_grad()
        loss_fn(net(gb.Tensor(x)), gb.Tensor(y)).backward()
    grads = {k: p.grad.numpy() for k, p in imported.named_parameters()}
    for key, p in model.named_parameters():
        np.testing.assert_allclose(grads[key], p.grad.numpy(), rtol=1e-5, atol=1e-7)
    # the same training steps give the same losses as the original model
    losses = [gb.fit(net, loss_fn, optim.SGD(net.parameters(), lr=0.01), (x, y), epochs=3, batch_size=8,
                     verbose=0).history["loss"] for net in (model, imported)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    assert losses[1][-1] < losses[1][0]


def _foreign_graph() -> onnx.ModelProto:
    """Conventions of other exporters: anonymous initializer names, a Constant node, Flatten,
    Gemm with transB, Dropout, Squeeze/Unsqueeze with axes inputs."""
    rng = np.random.default_rng(5)
    w = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "onnx::Conv_7")
    fc = numpy_helper.from_array(rng.standard_normal((3, 36)).astype(np.float32), "onnx::Gemm_9")
    fb = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc.bias")
    axes = helper.make_node("Constant", [], ["axes"], value=numpy_helper.from_array(np.array([1], np.int64)))
    nodes = [
        helper.make_node("Conv", ["x", "onnx::Conv_7"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Dropout", ["p"], ["d"]),
        helper.make_node("Flatten", ["d"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "onnx::Gemm_9", "fc.bias"], ["g"], transB=1, alpha=1.0, beta=1.0),
        axes,
        helper.make_node("Unsqueeze", ["g", "axes"], ["u"]),
        helper.make_node("Squeeze", ["u", "axes"], ["s"]),
        helper.make_node("LogSoftmax", ["s"], ["y"], axis=1),
    ]
    graph = helper.make_graph(nodes, "foreign", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], [w, fc, fb])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def test_a_foreign_graph_matches_onnxruntime(tmp_path):
    path = tmp_path / "foreign.onnx"
    onnx.save(_foreign_graph(), str(path))
    imported = load(path)
    assert {"onnx__Conv_7", "onnx__Gemm_9", "fc.bias"} == set(imported.state_dict())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(6).random((5, 2, 8, 8), dtype=np.float32)
    np.testing.assert_allclose(_glassbox(imported, x), sess.run(None, {"x": x})[0], rtol=1e-5, atol=1e-5)


def test_unsupported_onnx_op_is_named(tmp_path):
    graph = helper.make_graph([helper.make_node("Erf", ["x"], ["y"], name="gelu/erf")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "e.onnx"))
    with pytest.raises(UnsupportedOperatorError, match=r"ONNX op Erf \(node 'gelu/erf'\)"):
        load(tmp_path / "e.onnx")


def test_wrong_number_of_inputs(tmp_path):
    export(nn.Linear(3, 2), np.zeros((1, 3), np.float32), tmp_path / "l.onnx")
    with pytest.raises(ValueError, match="takes 1 inputs"):
        load(tmp_path / "l.onnx")(gb.zeros(1, 3), gb.zeros(1, 3))
