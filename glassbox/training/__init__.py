"""Training: ``fit`` / ``evaluate`` / ``predict``, callbacks, the progress bar and checkpoints."""
from .callbacks import Callback, CallbackList, History, LambdaCallback
from .fit import Trainer, TrainingDivergedError, evaluate, fit, predict
from .progress import ProgressBar

__all__ = [
    "fit", "evaluate", "predict", "Trainer", "TrainingDivergedError",
    "Callback", "CallbackList", "History", "LambdaCallback", "ProgressBar",
]

# --- practitioner's toolkit (issue 4): early stopping, checkpoints, loggers, schedules, gradient health
from .constraints import MaxNorm
from .early_stopping import EarlyStopping
from .gradient_monitor import GradientMonitor, GradientWarning
from .loggers import CSVLogger, JSONLogger
from .lr_callback import LRSchedulerCallback
from .model_checkpoint import ModelCheckpoint

__all__ += [
    "EarlyStopping", "ModelCheckpoint", "CSVLogger", "JSONLogger", "LRSchedulerCallback",
    "GradientMonitor", "GradientWarning", "MaxNorm",
]

# --- no silent wrong answers (issue 10): divergence detection
from .divergence import DivergenceDetector, DivergenceWarning

__all__ += ["DivergenceDetector", "DivergenceWarning"]

# --- interop (issue 15): TensorBoard event files (tensorboardX is imported when training starts)
from .tensorboard import TensorBoard

__all__ += ["TensorBoard"]
