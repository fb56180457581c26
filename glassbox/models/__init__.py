"""The model zoo: the course's networks, from linear regression to ResNet.

Build one by function (``models.lenet5()``) or by name (``models.get_model("lenet5")``,
which the CLI's ``--model`` uses). Every builder returns an untrained ``nn.Module`` whose
last layer outputs logits.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import nn
from .alexnet import AlexNet, alexnet
from .autoencoder import AutoEncoder, DenoisingAutoEncoder, autoencoder
from .inception import inception_small
from .lenet import ZeroPad2d, cnn, lenet5
from .linear_models import LinearRegression, LogisticRegression, SoftmaxRegression
from .mlp import mlp, shallow_mlp
from .resnet import ResNet, resnet18, resnet50, resnet_small
from .siamese import (
    BalancedBatchSampler, EmbeddingNet, embed, embedding_net, identify, nearest_labels, verify,
)
from .vgg import VGG, vgg16


def softmax_regression(in_features: int = 784, num_classes: int = 10) -> SoftmaxRegression:
    """``SoftmaxRegression`` with MNIST defaults (784 inputs, 10 classes), for the registry."""
    return SoftmaxRegression(in_features, num_classes)


MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp,
    "shallow-mlp": shallow_mlp,
    "softmax-regression": softmax_regression,
    "lenet5": lenet5,
    "cnn": cnn,
    "resnet-small": resnet_small,
    "inception-small": inception_small,
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
}


def available_models() -> list[str]:
    """The names ``get_model`` accepts."""
    return sorted(MODELS)


def build_from_config(config: dict[str, Any]) -> nn.Module:
    """The model a checkpoint's ``config`` describes: ``get_model(config["name"], **kwargs)``
    (JSON lists in the kwargs become the tuples the builders take)."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in (config.get("kwargs") or {}).items()}
    return get_model(config["name"], **kwargs)


# What the command line (which trains on 1×28×28 digits with 10 classes) does with each
# model. ImageNet-shaped models either get constructor arguments that make them fit,
# stated in ``DIGIT_ADAPTATIONS`` (and shown by ``glassbox summary`` / ``train``), or are
# refused before they are built, with the reason in ``NOT_FOR_DIGITS``.
DIGIT_ADAPTATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "resnet18": ({"in_channels": 1, "num_classes": 10},
                 "the ImageNet ResNet-18 adapted to 1×28×28 digits: in_channels=1, num_classes=10 "
                 "(its 7×7/2 stem and 3×3/2 max pool leave 7×7 maps; 11.2 M parameters, slow on a CPU)"),
}
NOT_FOR_DIGITS: dict[str, str] = {
    "alexnet": "AlexNet is built for 3×224×224 ImageNet images: on 1×28×28 digits its 11×11/4 "
               "convolution and three max pools shrink the maps to nothing",
    "vgg16": "VGG-16 is built for 3×224×224 ImageNet images: its five 2×2 max pools take 28×28 "
             "digits down to 0×0",
}


def trainable_models() -> list[str]:
    """The names the command line trains on 1×28×28 digits (every ``MODELS`` entry except
    those in ``NOT_FOR_DIGITS``)."""
    return sorted(set(MODELS) - set(NOT_FOR_DIGITS))


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` (underscores and case are ignored:
    "resnet_small" == "resnet-small"), passing ``kwargs`` to its builder."""
    key = str(name).strip().lower().replace("_", "-")
    if key not in MODELS:
        raise ValueError(
            f"get_model: unknown model {name!r}; choose one of: {', '.join(available_models())}"
        )
    return MODELS[key](**kwargs)


# EmbeddingNet (unit-norm embeddings) and the autoencoders (reconstructions) do not output
# class logits, so they are not in MODELS, whose builders the CLI trains with cross-entropy.
__all__ = [
    "MODELS", "available_models", "get_model", "build_from_config", "trainable_models", "DIGIT_ADAPTATIONS", "NOT_FOR_DIGITS",
    "mlp", "shallow_mlp", "softmax_regression",
    "LinearRegression", "LogisticRegression", "SoftmaxRegression",
    "lenet5", "cnn", "ZeroPad2d", "alexnet", "AlexNet", "vgg16", "VGG",
    "resnet18", "resnet50", "resnet_small", "ResNet", "inception_small",
    "EmbeddingNet", "embedding_net", "embed", "verify", "identify", "nearest_labels",
    "BalancedBatchSampler",
    "AutoEncoder", "DenoisingAutoEncoder", "autoencoder",
]
