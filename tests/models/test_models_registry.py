"""get_model: every registered name builds a module; unknown names list the choices."""
import pytest

from glassbox import models, nn

SMALL = ["mlp", "shallow-mlp", "softmax-regression", "lenet5", "cnn", "resnet-small",
         "inception-small"]


def test_registry_names():
    assert set(SMALL) | {"alexnet", "vgg16", "resnet18"} == set(models.available_models())


@pytest.mark.parametrize("name", SMALL)
def test_small_models_build(name):
    if name in ("lenet5", "cnn", "resnet-small", "inception-small"):
        pytest.importorskip("glassbox.nn.conv")
    model = models.get_model(name)
    assert isinstance(model, nn.Module) and model.num_parameters() > 0


def test_kwargs_and_spelling():
    model = models.get_model("Shallow_MLP", hidden=32, num_classes=3)
    assert model.num_parameters() == 784 * 32 + 32 + 32 * 3 + 3


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError) as info:
        models.get_model("lenet6")
    message = str(info.value)
    assert "'lenet6'" in message and "lenet5" in message and "resnet-small" in message
