"""Training: ``fit`` / ``evaluate`` / ``predict``, callbacks, the progress bar and checkpoints."""
from .callbacks import Callback, CallbackList, History, LambdaCallback
from .fit import Trainer, TrainingDivergedError, evaluate, fit, predict
from .progress import ProgressBar

__all__ = [
    "fit", "evaluate", "predict", "Trainer", "TrainingDivergedError",
    "Callback", "CallbackList", "History", "LambdaCallback", "ProgressBar",
]
