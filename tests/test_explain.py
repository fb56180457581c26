"""explain / glassbox explain: the notes' formulas with the model's own shapes filled in."""
from __future__ import annotations

from collections import OrderedDict

import pytest

from glassbox import models, nn
from glassbox.cli.main import main
from glassbox.explain import explain


def text_of(model, shape=(1, 28, 28), **kw):
    return str(explain(model, shape, print_fn=None, **kw))


def test_mlp_shapes_and_gradients():
    text = text_of(models.mlp())
    assert "A[0] = flatten(X): 28×28×1 → (784, m)" in text
    assert "Z[1] = W[1]·A[0] + b[1]" in text
    assert "W[1] is (256, 784), b[1] (256,)" in text
    assert "W[2] is (128, 256)" in text and "W[3] is (10, 128), b[3] (10,)" in text
    assert "dZ[1] = dA[1] ⊙ g'(Z[1])" in text and "g'(z) = 1 if z > 0 else 0" in text
    assert "dW[1] = (1/m)·dZ[1]·A[0]ᵀ" in text and "db[1] = (1/m)·Σ dZ[1]" in text
    assert "dA[0] = W[1]ᵀ·dZ[1]" in text
    assert "Ŷ = softmax(Z[3])" in text and "dZ[3] = Ŷ − Y    (10, m)" in text
    # backprop runs in reverse: the loss gradient comes before the last layer's, which comes before the first's
    back = text.split("Backward pass")[1]
    assert back.index("dZ[3] = Ŷ − Y") < back.index("dW[3]") < back.index("dW[2]") < back.index("dW[1]")


def test_mlp_follows_the_architecture():
    text = text_of(models.mlp(hidden=(64,), activation="tanh", dropout=0.2))
    assert "W[1] is (64, 784)" in text and "W[2] is (10, 64)" in text and "W[3]" not in text
    assert "g'(z) = 1 − tanh²(z)" in text
    assert "D[1] = (random numbers < keep_prob = 0.8)" in text and "dA[1] = dA[1] ⊙ D[1] / 0.8" in text


def test_lenet5_conv_output_sizes():
    text = text_of(models.lenet5())
    assert "A[0] = X with p = 2 zeros on every side: 28×28×1 → 32×32×1" in text
    assert "⌊(32 + 2·0 − 5)/1⌋ + 1 = 28" in text          # conv1
    assert "⌊(28 + 2·0 − 2)/2⌋ + 1 = 14" in text          # pool1
    assert "⌊(14 + 2·0 − 5)/1⌋ + 1 = 10" in text          # conv2
    assert "⌊(10 + 2·0 − 2)/2⌋ + 1 = 5" in text           # pool2
    assert "W[1] is (6, 1, 5, 5)" in text and "W[2] is (16, 6, 5, 5)" in text
    assert "F[2] = flatten(P[2]): 5×5×16 → (400, m)" in text and "W[3] is (120, 400)" in text
    assert "dA[2] = dP[2] sent to the position of each window's maximum" in text
    assert "dZ[5] = Ŷ − Y" in text


def test_padding_stride_batch_norm_and_avg_pool():
    model = nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 8, 3, stride=2, padding=1)), ("bn", nn.BatchNorm2d(8)),
        ("act", nn.Sigmoid()), ("pool", nn.AvgPool2d(2)), ("flat", nn.Flatten()),
        ("fc", nn.Linear(8 * 4 * 4, 5, bias=False)), ("bn1", nn.BatchNorm1d(5))]))
    text = text_of(model, (3, 16, 16), loss="mse")
    assert "⌊(16 + 2·1 − 3)/2⌋ + 1 = 8" in text
    assert "μ = (1/(m·8·8))·Σ Z[1]" in text and "Z̃[1] = γ[1] ⊙ Ẑ + β[1]" in text
    assert "A[1] = g(Z̃[1])" in text and "A ⊙ (1 − A)" in text
    assert "dA[1] = dP[1]/4 to each of the 4 pixels" in text
    assert "W[2] is (5, 128), no bias" in text and "db[2]" not in text
    assert "dZ̃[2] = 2·(Ŷ − Y)" in text


def test_output_size_lines_honour_ceil_mode_and_dilation():
    """The size line states the formula the layer really used, and its result is the shape
    the layer really produced."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, dilation=2), nn.ReLU(),
                          nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
                          nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True), nn.ReLU(),
                          nn.MaxPool2d(2))
    text = text_of(model, (1, 11, 11))
    assert "⌊(n_H_prev + 2p − d·(f − 1) − 1)/s⌋ + 1 = ⌊(11 + 2·1 − 2·(3 − 1) − 1)/1⌋ + 1 = 9" in text
    assert "⌈(n_H_prev + 2p − f)/s⌉ + 1 = ⌈(9 + 2·0 − 2)/2⌉ + 1 = 5;  n_W = 5 likewise" in text
    # 5 + 2·1 − 2 = 5: ⌈5/2⌉ + 1 = 4, but the 4th window would start in the padding: 3
    assert "⌈(5 + 2·1 − 2)/2⌉ + 1 = 4 − 1 = 3    (the last window would start in the padding" in text
    assert "⌊(3 + 2·0 − 2)/2⌋ + 1 = 1" in text  # floor mode unchanged
    assert model(__import__("glassbox").zeros(1, 1, 11, 11)).shape == (1, 2, 1, 1)


def test_errors():
    with pytest.raises(ValueError, match="explain: the forward pass of Sequential on one sample of shape"):
        explain(models.lenet5(), (1, 5, 5), print_fn=None)
    with pytest.raises(ValueError, match="loss must be one of"):
        explain(models.mlp(), loss="hinge", print_fn=None)
    with pytest.raises(TypeError, match="expected an nn.Module"):
        explain("mlp", print_fn=None)


def test_cli(capsys):
    assert main(["explain", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lenet5: input 28×28×1") and "= 28" in out and "dZ[5] = Ŷ − Y" in out
    with pytest.raises(SystemExit) as exc:
        main(["explain", "mlp", "--input-shape", "1,x"])
    assert exc.value.code == 2
    assert "--input-shape" in capsys.readouterr().err


def test_dilated_max_pool_size_line_uses_the_dilated_window():
    from glassbox import nn
    from glassbox.explain import explain

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, dilation=2))
    lines = []
    explain(model, (1, 12, 12), print_fn=lambda *a: lines.append(" ".join(map(str, a))))
    text = "\n".join(lines)
    assert "⌊(10 + 2·0 − 2·(2 − 1) − 1)/2⌋ + 1 = 4" in text and "dropped" not in text
    assert "cells 2 apart" in text
