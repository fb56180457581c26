"""A ready-made objective: train a classifier with given hyperparameters, score it on a
validation split.

The score is the validation accuracy after the last epoch, never the test accuracy:
choosing hyperparameters on the test set would make its accuracy an optimistic estimate.
The best configuration's test accuracy is measured once, at the end (``test_accuracy``).
Every trial starts from the same seed (same initial weights, same batch order), so two
trials differ only in their hyperparameters.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = ["OPTIMIZERS", "make_optimizer", "ClassificationObjective"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
# Hyperparameter names an objective understands besides the optimizer's: the rest are
# passed to the optimizer.
TRAINING_KEYS = ("batch_size", "epochs")


def make_optimizer(name: str, parameters: Any, hp: Mapping[str, Any]) -> Any:
    """Build optimizer ``name`` from hyperparameters ``hp``.

    Keys: ``lr`` (required), ``weight_decay``, and per optimizer ``momentum`` (sgd,
    nesterov: μ; momentum: its β), ``beta1``/``beta2`` (adam, adamw), ``alpha`` or
    ``beta2`` (rmsprop's decay), ``eps``.
    """
    from .. import optim

    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if "lr" not in hp:
        raise ValueError(f"make_optimizer: the hyperparameters need an 'lr', got {sorted(hp)}")
    lr, wd = float(hp["lr"]), float(hp.get("weight_decay", 0.0))
    allowed = {"lr", "weight_decay", *TRAINING_KEYS}
    if key == "sgd":
        allowed |= {"momentum"}
        opt = optim.SGD(parameters, lr=lr, momentum=float(hp.get("momentum", 0.0)), weight_decay=wd)
    elif key == "nesterov":
        allowed |= {"momentum"}
        opt = optim.SGD(parameters, lr=lr, momentum=float(hp.get("momentum", 0.9)), nesterov=True, weight_decay=wd)
    elif key == "momentum":
        allowed |= {"momentum"}
        opt = optim.Momentum(parameters, lr=lr, beta=float(hp.get("momentum", 0.9)), weight_decay=wd)
    elif key == "adagrad":
        allowed |= {"eps"}
        opt = optim.Adagrad(parameters, lr=lr, eps=float(hp.get("eps", 1e-10)), weight_decay=wd)
    elif key == "rmsprop":
        allowed |= {"alpha", "beta2", "eps", "momentum"}
        alpha = float(hp.get("alpha", hp.get("beta2", 0.99)))
        opt = optim.RMSprop(parameters, lr=lr, alpha=alpha, eps=float(hp.get("eps", 1e-8)),
                            momentum=float(hp.get("momentum", 0.0)), weight_decay=wd)
    else:
        allowed |= {"beta1", "beta2", "eps"}
        cls = optim.Adam if key == "adam" else optim.AdamW
        extra = {"weight_decay": wd} if "weight_decay" in hp else {}  # else each class's default
        opt = cls(parameters, lr=lr, betas=(float(hp.get("beta1", 0.9)), float(hp.get("beta2", 0.999))),
                  eps=float(hp.get("eps", 1e-8)), **extra)
    unknown = sorted(set(hp) - allowed)
    if unknown:
        raise ValueError(f"make_optimizer: {key} does not take {unknown}; it takes {sorted(allowed)}")
    return opt


class ClassificationObjective:
    """``objective(params)``: build ``model`` by name, train it with ``fit`` for ``epochs`` on
    ``train``, return the validation accuracy as the score.

    Args:
        train, val: ``(x, y)`` arrays (e.g. from ``train_val_split``).
        model: a ``glassbox.models`` name; ``model_kwargs`` go to its builder.
        optimizer: one of ``OPTIMIZERS``; its hyperparameters come from ``params`` (see
            ``make_optimizer``), with ``fixed`` filling in the ones not searched.
        epochs, batch_size: the training budget of each trial (``params`` may override them).
        seed: the seed of every trial (initial weights and batch order).

    The returned dict has ``score`` (= ``val_accuracy``), ``val_loss``, ``train_loss``,
    ``train_accuracy``, ``epochs``, ``history``, ``model`` and ``optimizer``.
    """

    def __init__(self, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                 model: str = "mlp", optimizer: str = "adam", epochs: int = 2, batch_size: int = 32,
                 seed: int = 0, model_kwargs: Mapping[str, Any] | None = None,
                 fixed: Mapping[str, Any] | None = None) -> None:
        from ..models import available_models

        key = str(model).strip().lower().replace("_", "-")
        if key not in available_models():
            raise ValueError(f"ClassificationObjective: unknown model {model!r}; choose one of "
                             f"{', '.join(available_models())}")
        if str(optimizer).lower() not in OPTIMIZERS:
            raise ValueError(f"ClassificationObjective: unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        for name, pair in (("train", train), ("val", val)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or len(pair[0]) != len(pair[1]) or len(pair[0]) == 0:
                raise ValueError(f"ClassificationObjective: {name} must be a non-empty pair (x, y) of equal length")
        self.train, self.val = (train[0], train[1]), (val[0], val[1])
        self.model, self.optimizer = key, str(optimizer).lower()
        self.epochs, self.batch_size, self.seed = int(epochs), int(batch_size), int(seed)
        self.model_kwargs = dict(model_kwargs or {})
        self.fixed = dict(fixed or {})

    def build(self, params: Mapping[str, Any]) -> tuple[Any, Any]:
        """A fresh model (seeded) and its optimizer for ``params``."""
        from .. import manual_seed
        from ..models import get_model

        hp = {**self.fixed, **params}
        manual_seed(self.seed)
        model = get_model(self.model, **self.model_kwargs)
        return model, make_optimizer(self.optimizer, model.parameters(), hp)

    def __call__(self, params: Mapping[str, Any]) -> dict[str, Any]:
        from .. import nn
        from ..training import fit

        hp = {**self.fixed, **params}
        model, optimizer = self.build(params)
        epochs = int(hp.get("epochs", self.epochs))
        history = fit(model, nn.CrossEntropyLoss(), optimizer, self.train, val_data=self.val,
                      epochs=epochs, batch_size=int(hp.get("batch_size", self.batch_size)),
                      verbose=0, seed=self.seed)
        h = history.history
        return {
            "score": h["val_accuracy"][-1], "val_loss": h["val_loss"][-1],
            "train_loss": h["loss"][-1], "train_accuracy": h.get("accuracy", [None])[-1],
            "epochs": len(history.epoch), "history": history, "model": model, "optimizer": optimizer,
        }

    @staticmethod
    def test_accuracy(model: Any, test: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
        """Loss and accuracy of a trained ``model`` on the held-out test set."""
        from .. import nn
        from ..training import evaluate

        return evaluate(model, test, nn.CrossEntropyLoss())
