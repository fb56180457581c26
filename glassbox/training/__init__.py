"""Training: ``fit`` / ``evaluate`` / ``predict``, callbacks, the progress bar, checkpoints
(resumable: ``ModelCheckpoint`` + ``fit(resume=...)``) and ``load_classifier``."""
from .callbacks import Callback, CallbackList, History, LambdaCallback
from .classifier import Classifier, Prediction, load_classifier
from .constraints import MaxNorm
from .divergence import DivergenceDetector, DivergenceWarning
from .early_stopping import EarlyStopping
from .fit import Trainer, TrainingDivergedError, evaluate, fit, predict
from .gradient_monitor import GradientMonitor, GradientWarning
from .loggers import CSVLogger, JSONLogger
from .lr_callback import LRSchedulerCallback
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .tensorboard import TensorBoard  # tensorboardX is imported when training starts

__all__ = [
    "fit", "evaluate", "predict", "Trainer", "TrainingDivergedError",
    "Callback", "CallbackList", "History", "LambdaCallback", "ProgressBar",
    "EarlyStopping", "ModelCheckpoint", "CSVLogger", "JSONLogger", "LRSchedulerCallback",
    "GradientMonitor", "GradientWarning", "MaxNorm",
    "DivergenceDetector", "DivergenceWarning",
    "Classifier", "Prediction", "load_classifier", "TensorBoard",
]
