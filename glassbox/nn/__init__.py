"""Layers, models' building blocks, initializers and losses (PyTorch's ``torch.nn``).

Every layer's computation and argument checks are in ``nn.functional`` (``F``); a module
holds parameters and options, and its ``forward`` calls ``F``.
"""
from . import functional, fusion, init, utils
from .activation import ELU, GELU, SiLU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .attention import MultiheadAttention
from .blocks import BasicBlock, Bottleneck, InceptionBlock, ResidualBlock
from .container import Flatten, ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout, Dropout2d
from .heads import HeadDict, MultiHead, MultiTaskLoss
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .metric_loss import (
    ContrastiveLoss, L2Normalize, TripletLoss, contrastive_loss, triplet_loss, triplet_loss_batch,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .padding import ConstantPad2d, ZeroPad2d
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, GlobalAvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, GRUCell, LSTMCell
from .sparse import Embedding
from .upsample import ConvTranspose2d, Upsample

__all__ = [
    "functional", "init", "utils", "Module", "Parameter",
    # containers
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "Flatten", "Identity",
    # layers
    "Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "MultiheadAttention", "LSTM", "GRU",
    "LSTMCell", "GRUCell", "Upsample", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "GlobalAvgPool2d", "ZeroPad2d", "ConstantPad2d", "BatchNorm1d",
    "BatchNorm2d", "LayerNorm", "Embedding", "Dropout", "Dropout2d",
    # activations
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "SiLU", "ELU", "Softplus", "Softmax",
    "LogSoftmax",
    # losses
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "TripletLoss", "ContrastiveLoss", "L2Normalize", "triplet_loss", "triplet_loss_batch",
    "contrastive_loss",
    # blocks and multi-task learning
    "ResidualBlock", "BasicBlock", "Bottleneck", "InceptionBlock",
    "MultiHead", "MultiTaskLoss", "HeadDict",
]
