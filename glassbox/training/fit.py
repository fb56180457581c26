"""Keras-style training: ``fit``, ``evaluate`` and ``predict`` over mini-batches.

One training step is the course's mini-batch gradient descent:

    ŷ = f(x; w)                 forward pass:  out = model(x)
    L = (1/m) Σᵢ ℓ(ŷᵢ, yᵢ)      the batch loss: loss = loss_fn(out, y)
    ∂L/∂w                       backward pass: optimizer.zero_grad(); loss.backward()
    w ← w − η · (update)        optimizer.step()

The epoch's loss is the sample-weighted mean of the batch losses; its accuracy is the
share of samples whose largest logit is the true class (one ``argmax`` per batch).
"""
from __future__ import annotations

import math
import time
import warnings
from typing import Any, Iterable

import numpy as np

from .. import backend
from ..core.grad_mode import no_grad
from ..device import batch_to, host_numbers, of_module
from ..nn.utils import inference
from ..core.tensor import Tensor
from ..random import manual_seed
from .callbacks import Callback, CallbackList, History
from .progress import ProgressBar
from ..errors import (DataError, GlassboxTypeError, InvalidArgumentError,
                      TrainingDivergedError)
from .. import validate as check
from . import divergence
from .data_checks import BoundaryCheck, check_finite, check_outputs
from .data_checks import count_correct as _count_correct




# ------------------------------------------------------------------ data helpers
def _is_loader(data: Any) -> bool:
    return not isinstance(data, (tuple, list, np.ndarray, Tensor)) and hasattr(data, "__iter__")


def as_loader(data: Any, batch_size: int | None, shuffle: bool, seed: int | None = None,
              where: str = "fit") -> Any:
    """``data`` as something that yields ``(x, y)`` batches.

    A loader (any iterable of batches, e.g. a ``DataLoader``) is used as is; a pair
    ``(x, y)`` of arrays or Tensors is wrapped in ``TensorDataset`` + ``DataLoader``.
    """
    from ..data import DataLoader, TensorDataset  # the data package imports training-free code

    if _is_loader(data):
        return data
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise GlassboxTypeError(
            f"{where}: data must be a DataLoader or a pair (x, y) of arrays/Tensors, "
            f"got {type(data).__name__}" + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
        )
    x, y = data
    if len(x) != len(y):
        raise DataError(f"{where}: x has {len(x)} samples but y has {len(y)}")
    if len(x) == 0:
        raise DataError(f"{where}: got an empty dataset")
    return DataLoader(TensorDataset(x, y), batch_size=batch_size or 32, shuffle=shuffle, seed=seed)


def _step_numbers(loss: Tensor, counted: Any) -> tuple[float, int | None]:
    """The batch loss and correct count as Python numbers, in one device→host copy."""
    if loss.size != 1:
        loss.item()  # raises the usual "item(): ..." error
    value, c = host_numbers(loss.data, counted)
    return value, (None if c is None else int(c))


def _correct(out: Tensor, y: Tensor, track_acc: bool | None) -> Any:
    """The batch's correct count left on the device (fetched with the loss), or None;
    whether the targets are multi-hot (a host test) is decided on the first batch."""
    if track_acc is False:
        return None
    return _count_correct(out.data, y.data, lazy=True, multi_hot=False if track_acc else None)


def _reraise(exc: Exception, context: str) -> None:
    """Raise the same kind of exception with ``context`` (where in the loop) before its message.

    Only the plain built-in types are rebuilt; subclasses may need other arguments, so
    they propagate unchanged."""
    if type(exc) in (ValueError, TypeError, IndexError):
        raise type(exc)(f"{context}: {exc}") from exc
    raise exc


def _lr_of(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups and "lr" in groups[0]:
        return float(groups[0]["lr"])
    return None


def _split_batch(batch: Any, where: str) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise InvalidArgumentError(
            f"{where}: each batch must be a pair (x, y), got "
            + (f"{len(batch)} items" if isinstance(batch, (tuple, list)) else type(batch).__name__)
        )
    x, y = batch
    return (x if isinstance(x, Tensor) else Tensor(x)), (y if isinstance(y, Tensor) else Tensor(y))


def _validation_schedule(freq: Any) -> Any:
    """``validation_freq`` as a test on the 0-based epoch: an int N validates after epochs
    N, 2N, ... (1-based, as in Keras); a collection lists the 1-based epochs."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1:
        n = int(freq)
        return lambda epoch: (epoch + 1) % n == 0
    if isinstance(freq, (list, tuple, set, frozenset, range)):
        chosen = {int(e) for e in freq}
        return lambda epoch: epoch + 1 in chosen
    raise InvalidArgumentError(f"fit: validation_freq must be a positive integer or a collection of "
                     f"1-based epochs, got {freq!r}")


def _resume_path(resume: Any) -> Any:
    """``resume`` as a checkpoint path: a folder means its ``last.npz``."""
    from pathlib import Path

    from .checkpoint import Checkpoint

    if isinstance(resume, Checkpoint):
        return resume.path
    path = Path(resume)
    return path / "last.npz" if path.is_dir() else path


# What the divergence detector carries from step to step (its reference loss and average).
_DIVERGENCE_STATE = ("start", "average", "limit")


# ---------------------------------------------------------------------- trainer
class Trainer:
    """Runs the training loop; callbacks reach it as ``callback.trainer``.

    Attributes callbacks may use: ``model``, ``loss_fn``, ``optimizer``, ``history``,
    ``epoch`` (0-based, current), ``epochs`` (total), ``step`` (0-based batch index in
    the epoch), ``steps`` (batches per epoch, or None when unknown), ``global_step``
    (optimizer steps taken in the whole run), ``train_loader``, and
    ``stop_training``: set it to True to stop after the current batch.

    ``state_dict()`` is what a checkpoint needs besides the model, the optimizer and the
    global random state to continue the run bit for bit: where in the run it is (epoch,
    batch), the epoch's running sums, the loader's position and the callbacks' states.
    """

    def __init__(self, model: Any, loss_fn: Any, optimizer: Any,
                 callbacks: Iterable[Callback] = (), verbose: int = 1, distributed: bool = False) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_model, self.dist, self.world_size = model, None, 1  # train_model: what the loop calls
        if distributed:  # data parallel over MPI ranks: glassbox/distributed/training.py
            from ..distributed.training import DistributedContext

            self.dist = DistributedContext(model)
            self.model, self.train_model = self.dist.model, self.dist.ddp
            self.world_size = self.dist.world_size
            callbacks, verbose = self.dist.callbacks(callbacks, verbose)
        self.history = History()
        self.stop_training = False
        self.epoch = 0
        self.epochs = 0
        self.step = 0
        self.steps: int | None = None
        self.global_step = 0
        self.train_loader: Any = None
        self._in_epoch = False
        self._epoch_done = False
        self._sums: dict[str, Any] = {}
        extra = [ProgressBar(verbose)] if verbose else []
        if any(isinstance(cb, ProgressBar) for cb in callbacks):
            extra = []  # the caller brought its own
        self.callbacks = CallbackList([self.history, *extra, *callbacks], self)
        self.divergence = divergence.detector_for(callbacks)  # checks every step's loss
        self.divergence.set_trainer(self)

    # ------------------------------------------------------------ resumable state
    def _stateful_callbacks(self) -> dict[str, Callback]:
        """The callbacks that have a state, keyed ``ClassName#k`` (k-th of its class)."""
        keyed: dict[str, Callback] = {}
        counts: dict[str, int] = {}
        for cb in self.callbacks.callbacks:
            if cb is self.history or type(cb).state_dict is Callback.state_dict:
                continue
            name = type(cb).__name__
            keyed[f"{name}#{counts.get(name, 0)}"] = cb
            counts[name] = counts.get(name, 0) + 1
        return keyed

    def state_dict(self) -> dict[str, Any]:
        """Where the run is (JSON-friendly); see the class docstring."""
        loader_state = getattr(self.train_loader, "state_dict", None)
        mid = self._in_epoch and loader_state is not None
        return {
            "epoch": self.epoch if mid else self.epoch + (1 if self._epoch_done else 0),
            "step": self.step + 1 if mid else 0,
            "epochs": self.epochs,
            "global_step": self.global_step,
            "sums": dict(self._sums) if mid else {},
            "loader": loader_state() if loader_state is not None else None,
            "stopped": bool(self.stop_training),
            "finished": bool(self.stop_training) or (self._epoch_done and self.epoch + 1 >= self.epochs),
            "callbacks": {k: cb.state_dict() for k, cb in self._stateful_callbacks().items()},
            "divergence": {k: getattr(self.divergence, k) for k in _DIVERGENCE_STATE},
        }

    def _restore(self, resume: Any) -> tuple[int, int]:
        """Load a checkpoint written during training (weights, optimizer, history, loader,
        callbacks, random state); returns the epoch and the batch to continue at."""
        from .checkpoint import CheckpointError, load_checkpoint

        path = _resume_path(resume)
        ckpt = load_checkpoint(path, self.model, self.optimizer)
        state = ckpt.meta.get("trainer")
        if not isinstance(state, dict):
            raise CheckpointError(f"fit: {path} holds no training state (saved by save_checkpoint "
                                  "outside fit?); resume from a ModelCheckpoint file such as last.npz")
        if ckpt.history is not None:
            self.history.history, self.history.epoch = ckpt.history.history, ckpt.history.epoch
        mine = self._stateful_callbacks()
        lost = sorted(set(state["callbacks"]) - set(mine))
        if lost:
            raise CheckpointError(
                f"fit: {path} holds the state of {', '.join(lost)}, but this fit has no such "
                "callback: pass the same callbacks as the interrupted run")
        for key, cb_state in state["callbacks"].items():
            if cb_state is not None:
                mine[key].load_state_dict(cb_state)
        epoch, step = int(state["epoch"]), int(state["step"])
        if state.get("stopped"):  # a callback ended that run (early stopping): it stays ended
            epoch, step = max(epoch, self.epochs), 0
        restore_loader = getattr(self.train_loader, "load_state_dict", None)
        if state.get("loader") is not None and restore_loader is not None:
            restore_loader(state["loader"])
        elif step:
            raise CheckpointError(f"fit: {path} was saved in the middle of epoch {epoch + 1}, but the "
                                  "training data has no load_state_dict to continue from there")
        elif restore_loader is None:
            warnings.warn("fit: the training data has no state_dict/load_state_dict, so the resumed "
                          "run cannot repeat the interrupted run's data order", RuntimeWarning, stacklevel=3)
        for key, value in (state.get("divergence") or {}).items():
            if key in _DIVERGENCE_STATE:  # the explosion test keeps its reference loss
                setattr(self.divergence, key, value)
        self.global_step = int(state["global_step"])
        self._sums = dict(state.get("sums") or {})
        ckpt.restore_rng()  # last: building the loaders above may have drawn from it
        return epoch, step

    # ------------------------------------------------------------------ the loop
    def fit(self, train_data: Any, val_data: Any = None, epochs: int = 1,
            batch_size: int | None = None, seed: int | None = None,
            validation_freq: Any = 1, resume: Any = None, val_name: str = "val") -> History:
        validate = _validation_schedule(validation_freq)
        if not isinstance(val_name, str) or not val_name.isidentifier():
            raise ValueError(f"fit: val_name must be a name such as 'val' or 'test', got {val_name!r}")
        check.non_negative_int(epochs=epochs, where="fit")
        if batch_size is not None:
            check.positive_int(batch_size=batch_size, where="fit")
        if batch_size is not None and _is_loader(train_data):
            raise InvalidArgumentError("fit: batch_size is only for (x, y) data; a DataLoader has its own")
        if seed is not None:
            manual_seed(seed)
        train_loader = (as_loader(train_data, batch_size, shuffle=True, seed=seed) if self.dist is None
                        else self.dist.train_loader(train_data, batch_size, seed))
        self.train_loader = train_loader
        val_loader = None
        if val_data is not None:
            val_loader = as_loader(val_data, max(batch_size or 0, 1000), shuffle=False, where="fit (val_data)")
        self.data_check = BoundaryCheck(train_loader, "fit", val_loader)  # NaN/inf once; labels at step 1
        self.divergence.reset()
        try:
            self.steps = len(train_loader)
        except TypeError:
            self.steps = None
        self.epochs = int(epochs)
        self.stop_training = False
        self._epoch_done = False
        cbs = self.callbacks
        cbs.call("on_train_begin", {})
        first_epoch, first_step = self._restore(resume) if resume is not None else (0, 0)
        for epoch in range(first_epoch, self.epochs):
            self.epoch = epoch
            self._epoch_done = False
            cbs.call("on_epoch_begin", epoch, {"resumed_at_step": first_step} if first_step else {})
            start = time.perf_counter()
            if self.dist is not None:
                self.dist.begin_epoch(train_loader, epoch)
            logs = self._train_epoch(train_loader, epoch, first_step)
            first_step = 0
            if self.dist is not None:
                logs = self.dist.average_logs(logs)
            if val_loader is not None and validate(epoch):
                val = (evaluate(self.model, val_loader, self.loss_fn) if self.dist is None
                       else self.dist.evaluate(self.model, val_data, self.loss_fn, val_loader.batch_size))
                logs.update({f"{val_name}_{k}": v for k, v in val.items()})
            lr = _lr_of(self.optimizer)
            if lr is not None:
                logs["lr"] = lr
            logs["time"] = time.perf_counter() - start
            self._epoch_done = True
            cbs.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        cbs.call("on_train_end", {"epochs_run": len(self.history.epoch)})
        return self.history

    def _train_epoch(self, loader: Any, epoch: int, first_step: int = 0) -> dict[str, Any]:
        model, loss_fn, optimizer, cbs = self.train_model, self.loss_fn, self.optimizer, self.callbacks
        model.train()
        batch_begin, after_backward, batch_end = (
            cbs.has("on_batch_begin"), cbs.has("on_after_backward"), cbs.has("on_batch_end"))
        summed = getattr(loss_fn, "reduction", "mean") == "sum"
        sums = self._sums if first_step else {}
        loss_sum, seen, correct = sums.get("loss_sum", 0.0), sums.get("seen", 0), sums.get("correct", 0)
        track_acc: bool | None = sums.get("track_acc")  # decided on the first batch
        self._in_epoch = True
        step = first_step - 1
        dev = of_module(model)
        for step, batch in enumerate(loader, start=first_step):
            self.step = step
            x, y = batch_to(dev, *_split_batch(batch, "fit"))  # once per step, onto the model
            if batch_begin:
                cbs.call("on_batch_begin", step, {"size": len(x)})
            try:
                out = model(x)
                if self.data_check.pending:
                    self.data_check.first_output(out, y)
                loss = loss_fn(out, y)
            except (ValueError, TypeError, IndexError) as exc:
                _reraise(exc, f"fit: epoch {epoch + 1}, step {step + 1}")
            value, c = _step_numbers(loss, _correct(out, y, track_acc))  # the one round trip
            self.divergence.check(value, x, y)
            optimizer.zero_grad()
            loss.backward()
            if after_backward:
                cbs.call("on_after_backward", step, {"loss": value})
            optimizer.step()
            self.global_step += 1

            n = len(x)
            loss_sum += value if summed else value * n
            seen += n
            if track_acc is not False:
                track_acc = c is not None
                if track_acc:
                    correct += c
            self._sums = {"loss_sum": loss_sum, "seen": seen, "correct": correct, "track_acc": track_acc}
            if batch_end:
                logs = {"size": n, "seen": seen, "loss": loss_sum / seen}
                if track_acc:
                    logs["accuracy"] = correct / seen
                cbs.call("on_batch_end", step, logs)
            if self.stop_training:
                break
        self._in_epoch = False
        if seen == 0:
            raise DataError("fit: the training data yielded no batches")
        logs = {"loss": loss_sum / seen}
        if track_acc:
            logs["accuracy"] = correct / seen
        return logs


# ----------------------------------------------------------------- public API
def fit(model: Any, loss_fn: Any, optimizer: Any, train_data: Any, val_data: Any = None,
        epochs: int = 1, batch_size: int | None = None, callbacks: Iterable[Callback] = (),
        verbose: int = 1, seed: int | None = None, validation_freq: Any = 1,
        resume: Any = None, val_name: str = "val", distributed: bool = False) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; returns the ``History``.

    Args:
        model: a ``Module`` mapping a batch ``x`` to outputs (logits for classification).
        loss_fn: ``loss_fn(outputs, y)`` → scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: an optimizer over ``model.parameters()``.
        train_data: a ``DataLoader`` or a pair ``(x, y)`` of arrays/Tensors (then batched
            by ``batch_size``, default 32, and reshuffled every epoch).
        val_data: the same kinds; evaluated after every epoch (``val_loss``, ``val_accuracy``).
        epochs: number of passes over the training data.
        batch_size: only with ``(x, y)`` data.
        callbacks: ``Callback`` objects (see ``glassbox.training.callbacks``).
        verbose: 0 silent, 1 progress bar + epoch lines, 2 epoch lines only.
        seed: if given, reseeds the global generator (``glassbox.manual_seed``) and the
            shuffling, so the same seed and initial weights give the same numbers.
        validation_freq: validate every N epochs (after epochs N, 2N, ...), or a collection
            of 1-based epochs to validate after. Skipped epochs have no ``val_*`` logs (so
            callbacks ignore them) and NaN in the history, which stays one value per epoch.
        resume: a checkpoint written by ``ModelCheckpoint`` during an earlier call (a file,
            or its folder for ``last.npz``): loads the weights, optimizer, history, the
            callbacks' states (schedulers, early stopping, checkpointing), the loader's
            position and the random state, and continues at the epoch and batch where it
            was saved, up to ``epochs``. With the same data, model and callbacks the result
            is bit-identical to a run that was never interrupted. A finished run trains no more.
        val_name: the prefix of the ``val_data`` metrics in the logs and the history:
            ``"test"`` when ``val_data`` is the test set (``test_loss``, ``test_accuracy``).
        distributed: data-parallel training over the ranks of an MPI job
            (``glassbox.distributed``): ``batch_size`` is per rank, the logged figures are
            global, only rank 0 prints and checkpoints, an error on one rank aborts all.

    ``history.history`` holds per epoch ``loss``, ``accuracy`` (for class logits with
    integer or one-hot labels), ``val_loss``/``val_accuracy``, ``lr`` and ``time`` (s).

    Raises:
        TrainingDivergedError: the loss became NaN or infinite, or exploded (see
            ``training/divergence.py``; names the epoch and step, 1-based, the learning rate
            and the likely cause).
        DataError: NaN/inf in the data or labels outside the model's classes (see
            ``training/data_checks.py``; checked once per call, on the whole arrays).
    """
    trainer = Trainer(model, loss_fn, optimizer, callbacks, verbose, distributed)
    if trainer.dist is not None:
        return trainer.dist.run(trainer.fit, train_data, val_data, epochs, batch_size, seed,
                                validation_freq, resume, val_name)
    return trainer.fit(train_data, val_data, epochs, batch_size, seed, validation_freq, resume, val_name)


def evaluate(model: Any, data: Any, loss_fn: Any = None, batch_size: int = 1000) -> dict[str, float]:
    """Mean loss (if ``loss_fn`` is given) and accuracy of ``model`` on ``data``.

    Runs in eval mode without recording a graph, and restores the previous train/eval
    mode of every sub-module afterwards. ``data`` is a loader or a pair ``(x, y)``.
    """
    check.positive_int(batch_size=batch_size, where="evaluate")
    loader = as_loader(data, batch_size, shuffle=False, where="evaluate")
    data_check = BoundaryCheck(loader, "evaluate")
    summed = getattr(loss_fn, "reduction", "mean") == "sum"
    loss_sum, seen, correct = 0.0, 0, 0
    track_acc: bool | None = None
    dev = of_module(model)
    with model.eval_mode(), no_grad():
        for step, batch in enumerate(loader):
            x, y = batch_to(dev, *_split_batch(batch, "evaluate"))
            try:
                out = model(x)
                if data_check.pending:
                    data_check.first_output(out, y)
                if data_check.per_batch:
                    data_check.batch(x, y, out, step)
                check_outputs(out, model, f"evaluate: batch {step + 1}")
                loss = loss_fn(out, y) if loss_fn is not None else None
            except (ValueError, TypeError, IndexError) as exc:
                _reraise(exc, f"evaluate: batch {step + 1}")
            counted = _correct(out, y, track_acc)
            if loss is not None:
                value, c = _step_numbers(loss, counted)  # one device→host copy per batch
                loss_sum += value if summed else value * len(x)
            else:
                c = host_numbers(counted)[0]
            seen += len(x)
            if track_acc is not False:
                track_acc = c is not None
                if track_acc:
                    correct += int(c)
    if seen == 0:
        raise DataError("evaluate: the data yielded no batches")
    result: dict[str, float] = {}
    if loss_fn is not None:
        result["loss"] = loss_sum / seen
    if track_acc:
        result["accuracy"] = correct / seen
    return result


def predict(model: Any, x: Any, batch_size: int = 1000) -> np.ndarray:
    """The model's outputs (e.g. logits) for every row of ``x``, as one NumPy array.

    ``x`` is an array/Tensor (cut into consecutive batches of ``batch_size``) or a loader
    whose batches are ``(x, ...)`` tuples or bare inputs. Eval mode, no graph.
    """
    check.positive_int(batch_size=batch_size, where="predict")
    if not _is_loader(x):
        x = x if isinstance(x, Tensor) else np.asarray(x)
        if x.ndim > 0:
            check_finite(x.data if isinstance(x, Tensor) else x, "x", "predict")
    return backend.to_numpy(inference(model, x, batch_size, where="predict"))
