"""Published parameter counts of the ImageNet networks (torchvision's numbers)."""
import gc

import pytest

pytest.importorskip("glassbox.nn.conv")

from glassbox import models  # noqa: E402


def _count_and_free(builder, **kwargs):
    model = builder(**kwargs)
    total = sum(p.size for p in model.parameters())
    del model
    gc.collect()
    return total


def test_alexnet_61_100_840():
    assert _count_and_free(models.alexnet) == 61_100_840


def test_vgg16_138_357_544():
    assert _count_and_free(models.vgg16) == 138_357_544


def test_resnet18_11_689_512():
    assert _count_and_free(models.resnet18) == 11_689_512


def test_num_classes_changes_only_the_head():
    # 512·(1000 − 10) + (1000 − 10) fewer weights in the last Linear
    assert _count_and_free(models.resnet18, num_classes=10) == 11_689_512 - 513 * 990


def test_resnet18_layout():
    model = models.resnet18(num_classes=10)
    blocks = [type(b).__name__ for i in range(1, 5) for b in getattr(model, f"layer{i}")]
    assert blocks == ["ResidualBlock"] * 8
    conv1 = model.conv1
    assert conv1.weight.shape == (64, 3, 7, 7) and conv1.bias is None
    assert model.fc.in_features == 512 and model.fc.out_features == 10


def test_resnet18_forward_on_a_small_image():
    # the adaptive average pool makes the head independent of the input size
    import glassbox as gb
    model = models.resnet18(num_classes=10).eval()
    with gb.no_grad():
        assert model(gb.randn(1, 3, 64, 64)).shape == (1, 10)
