"""Optimizers: the update rules of the course, each one ``step()`` over the parameters.

    >>> opt = glassbox.optim.Adam(model.parameters(), lr=1e-3)
    >>> opt.zero_grad(); loss.backward(); opt.step()
"""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .momentum import Momentum
from .optimizer import Optimizer, OptimizerWarning
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "OptimizerWarning", "SGD", "Momentum", "Adagrad", "Adadelta", "RMSprop",
           "Adam", "AdamW"]

from . import lr_scheduler
from .lr_scheduler import (
    ConstantLR, CosineAnnealingLR, ExponentialLR, InverseTimeDecay, LambdaLR, LinearLR,
    LinearWarmup, LRScheduler, MultiStepLR, ReduceLROnPlateau, SequentialLR, StepLR,
)

__all__ += [
    "lr_scheduler", "LRScheduler", "LambdaLR", "ConstantLR", "StepLR", "MultiStepLR",
    "ExponentialLR", "InverseTimeDecay", "CosineAnnealingLR", "LinearLR", "LinearWarmup",
    "SequentialLR", "ReduceLROnPlateau",
]
