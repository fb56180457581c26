"""Layers, models' building blocks, initializers and losses (PyTorch's ``torch.nn``)."""
from . import functional, init
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import Flatten, ModuleList, Sequential
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "functional", "init", "Module", "Parameter", "Linear", "Identity", "Sequential",
    "ModuleList", "Flatten", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
]

# --- convolutional layers (issue 3) are exported below ---
from .blocks import BasicBlock, InceptionBlock, ResidualBlock
from .conv import Conv2d
from .dropout import Dropout, Dropout2d
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool2d, MaxPool2d

__all__ += [
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "GlobalAvgPool2d",
    "BatchNorm1d", "BatchNorm2d", "Dropout", "Dropout2d",
    "ResidualBlock", "BasicBlock", "InceptionBlock",
]

# --- decoder layers (issue 5, autoencoders) ---
from .upsample import ConvTranspose2d, Upsample

__all__ += ["Upsample", "ConvTranspose2d"]

# --- metric learning (issue 5: Siamese networks) ---
from .metric_loss import (
    ContrastiveLoss, L2Normalize, TripletLoss, contrastive_loss, triplet_loss, triplet_loss_batch,
)

__all__ += [
    "TripletLoss", "ContrastiveLoss", "L2Normalize", "triplet_loss", "triplet_loss_batch",
    "contrastive_loss",
]

# --- multi-task learning (issue 4: practitioner's toolkit) ---
from .heads import HeadDict, MultiHead, MultiTaskLoss

__all__ += ["MultiHead", "MultiTaskLoss", "HeadDict"]
