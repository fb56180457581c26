"""Callbacks: code that ``fit`` calls at fixed points of the training loop.

The loop calls, in this order::

    on_train_begin(logs)
    for each epoch:
        on_epoch_begin(epoch, logs)
        for each batch:
            on_batch_begin(batch, logs)
            (forward, loss, zero_grad, backward)
            on_after_backward(batch, logs)      # gradients are fresh: clip / inspect them here
            (optimizer.step())
            on_batch_end(batch, logs)           # logs: running loss / accuracy of the epoch
        (validation)
        on_epoch_end(epoch, logs)               # logs: the epoch's metrics, val_* included
    on_train_end(logs)

``epoch`` and ``batch`` are 0-based. At each hook the callbacks run in the order given,
except that those with a higher ``order`` run later (``ModelCheckpoint`` has order 100: it
saves after the schedulers and early stopping have updated their state for the batch or
epoch, so a resumed run continues from exactly that state). Every callback sees the running ``Trainer``
as ``self.trainer`` (with ``.model``, ``.optimizer``, ``.history``, ``.epoch``, ...)
and, for short, ``self.model`` and ``self.optimizer``. To end training early a callback sets
``self.trainer.stop_training = True``; the loop stops after the current batch
(when set in a batch hook) or epoch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .fit import Trainer

HOOKS = (
    "on_train_begin", "on_epoch_begin", "on_batch_begin", "on_after_backward",
    "on_batch_end", "on_epoch_end", "on_train_end",
)


class Callback:
    """Base class: override any of the hooks; the defaults do nothing.

    A callback whose state matters for resuming training (a scheduler's position, the
    best value seen so far) returns it from ``state_dict()`` (JSON-friendly) and takes it
    back in ``load_state_dict()``; ``fit(resume=...)`` restores it after ``on_train_begin``.
    """

    trainer: "Trainer | None" = None
    order: int = 0

    def state_dict(self) -> dict[str, Any] | None:
        """What a checkpoint must hold to resume this callback; None: nothing."""
        return None

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back what ``state_dict`` returned."""

    def set_trainer(self, trainer: "Trainer") -> None:
        self.trainer = trainer

    @property
    def model(self) -> Any:
        return None if self.trainer is None else self.trainer.model

    @property
    def optimizer(self) -> Any:
        return None if self.trainer is None else self.trainer.optimizer

    def on_train_begin(self, logs: dict[str, Any]) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_after_backward(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_train_end(self, logs: dict[str, Any]) -> None: ...


def _overrides(cb: Callback, hook: str) -> bool:
    """True when ``cb`` defines ``hook`` itself (in its class or, like LambdaCallback, per instance)."""
    return hook in vars(cb) or getattr(type(cb), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Dispatches each hook to the callbacks that override it (in the order given).

    Only callbacks that define a hook are called for it, so an unused per-batch hook
    costs nothing in the training loop.
    """

    def __init__(self, callbacks: Iterable[Callback], trainer: "Trainer") -> None:
        self.callbacks = sorted(callbacks, key=lambda cb: getattr(cb, "order", 0))  # stable
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"fit: callbacks must be Callback instances, got {type(cb).__name__}"
                )
            cb.set_trainer(trainer)
        self.by_hook = {
            hook: [getattr(cb, hook) for cb in self.callbacks if _overrides(cb, hook)]
            for hook in HOOKS
        }

    def has(self, hook: str) -> bool:
        return bool(self.by_hook[hook])

    def call(self, hook: str, *args: Any) -> None:
        for fn in self.by_hook[hook]:
            fn(*args)


class History(Callback):
    """Records every epoch's metrics; ``fit`` returns it.

    Attributes:
        history: ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``, one
            value per epoch (keys appear when the metric exists).
        epoch: the 0-based indices of the recorded epochs.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    order = -100  # first, so that the callbacks after it see the epoch in the history

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        known = set(self.history)
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self._pad_validation(known)

    def _pad_validation(self, known: set[str]) -> None:
        """Keep every list one value per epoch: NaN for the epochs without the metric (e.g.
        not validated: appended to the lists in ``known``, put in front of lists that just
        appeared)."""
        import math

        n = len(self.epoch)
        for key, values in self.history.items():
            if len(values) < n:
                if key in known:
                    values.append(math.nan)
                else:
                    values[:0] = [math.nan] * (n - len(values))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): ``{"epoch": [...], "history": {...}}``."""
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        h = cls()
        h.epoch = [int(e) for e in data.get("epoch", [])]
        h.history = {k: list(v) for k, v in data.get("history", {}).items()}
        return h

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``.

    Each keyword is one of the hook names; the function gets the hook's arguments.
    """

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        unknown = sorted(set(hooks) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; expected some of {list(HOOKS)}")
        for name, fn in hooks.items():
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {type(fn).__name__}")
            setattr(self, name, fn)  # instance attribute shadows the no-op method
