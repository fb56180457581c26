"""summary(): rows, output shapes, totals, frozen counts; the model is left as it was."""
import numpy as np
import pytest

from glassbox import nn
from glassbox.models import lenet5, mlp, resnet_small
from glassbox.summary import summary


class TwoBranch(nn.Module):
    """A block with its own parameter and sub-modules, and a module shared twice."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.left = nn.Linear(3, 4)
        self.shared = nn.Linear(4, 4)

    def forward(self, x):
        return self.shared(self.shared(self.left(x))) * self.scale


def _silent(model, shape, **kw):
    lines = []
    result = summary(model, shape, print_fn=lines.append, **kw)
    return result, lines


def test_mlp_rows_shapes_and_totals():
    model = mlp()
    result, lines = _silent(model, (1, 28, 28), batch_size=2)
    assert [r.layer_type for r in result.rows] == [
        "Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [r.output_shape for r in result.rows] == [
        (2, 784), (2, 256), (2, 256), (2, 128), (2, 128), (2, 10)]
    expected = sum(p.size for p in model.parameters())
    assert result.total_params == expected == sum(r.num_params for r in result.rows)
    assert result.trainable_params == expected and result.non_trainable_params == 0
    assert result.output_shape == (2, 10)
    assert lines == str(result).splitlines()
    assert "Total params: 235,146" in str(result)
    assert "(2, 256)" in str(result)


def test_frozen_submodule_is_non_trainable():
    model = mlp()
    model[1].requires_grad_(False)  # first Linear: 784·256 + 256
    result, _ = _silent(model, (784,))
    assert result.non_trainable_params == 784 * 256 + 256
    assert result.trainable_params == result.total_params - (784 * 256 + 256)
    assert "Non-trainable params: 200,960" in str(result)


def test_mode_and_hooks_restored():
    model = mlp(dropout=0.5) if hasattr(nn, "Dropout") else mlp()
    model.train()
    model[2].eval()  # a mixed state must survive
    _silent(model, (784,))
    assert model.training and not model[2].training and model[1].training
    assert all(not m._forward_hooks for m in model.modules())


def test_no_forward_lists_params_only():
    model = mlp()
    for kw in ({"forward": False}, {}):
        result, lines = _silent(model, (784,) if kw else None, **kw)
        assert all(r.output_shape is None for r in result.rows)
        assert result.total_params == 235_146
        assert "Output Shape" not in lines[2]


def test_blocks_own_params_and_shared_modules_counted_once():
    model = nn.Sequential(TwoBranch(), nn.ReLU())
    result, _ = _silent(model, (3,))
    by_name = {r.name: r for r in result.rows}
    assert set(by_name) == {"0", "0.left", "0.shared", "1"}
    block = by_name["0"]
    assert block.is_block and block.num_params == 4
    assert block.total_params == 4 + 16 + 20 == result.total_params
    assert sum(r.num_params for r in result.rows) == result.total_params
    assert by_name["0.shared"].output_shape == (1, 4)
    assert by_name["0"].depth == 0 and by_name["0.left"].depth == 1


def test_single_layer_model():
    result, _ = _silent(nn.Linear(3, 5), 3)
    assert len(result.rows) == 1 and result.rows[0].output_shape == (1, 5)
    assert result.total_params == 20


def test_bad_input_shape_error_names_model():
    with pytest.raises(ValueError, match="summary: the forward pass of Sequential"):
        _silent(mlp(), (10,))
    with pytest.raises(ValueError, match="positive"):
        _silent(mlp(), (0, 784))
    with pytest.raises(TypeError, match="nn.Module"):
        summary("not a model", (3,))


def test_lenet5_summary():
    pytest.importorskip("glassbox.nn.conv")
    result, _ = _silent(lenet5(), (1, 28, 28), batch_size=2)
    shapes = {r.name: r.output_shape for r in result.rows}
    assert shapes["pad"] == (2, 1, 32, 32)
    assert shapes["conv1"] == (2, 6, 28, 28) and shapes["pool1"] == (2, 6, 14, 14)
    assert shapes["conv2"] == (2, 16, 10, 10) and shapes["pool2"] == (2, 16, 5, 5)
    assert shapes["fc3"] == (2, 10)
    assert result.total_params == 61_706


def test_resnet_small_block_rows_and_buffers():
    pytest.importorskip("glassbox.nn.conv")
    if not hasattr(nn, "ResidualBlock"):
        pytest.skip("ResidualBlock not available yet")
    model = resnet_small()
    result, _ = _silent(model, (1, 28, 28))
    blocks = [r for r in result.rows if r.layer_type == "ResidualBlock"]
    assert [b.output_shape for b in blocks] == [(1, 16, 28, 28), (1, 32, 14, 14), (1, 64, 7, 7)]
    assert sum(r.num_params for r in result.rows) == result.total_params
    assert result.buffer_elements > 0
    depths = {r.name: r.depth for r in result.rows}
    assert depths["conv1"] == depths["layer1.0"] == depths["fc"] == 0
    assert depths["layer1.0.conv1"] == depths["layer3.0.bn2"] == 1
    collapsed, _ = _silent(model, (1, 28, 28), max_depth=0)
    assert all(r.depth == 0 for r in collapsed.rows)
    assert "layer1.0.conv1" not in {r.name for r in collapsed.rows}
    assert collapsed.total_params == result.total_params
    model.layer1.requires_grad_(False)
    frozen = sum(p.size for p in model.layer1.parameters())
    assert _silent(model, None)[0].non_trainable_params == frozen > 0
