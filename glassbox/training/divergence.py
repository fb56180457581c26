"""``DivergenceDetector``: stop (or warn) when the training loss explodes or stops being a number,
and say why, naming the epoch, the step, the learning rate and the likely cause.

Course notes ("学习率"): with too large a learning rate gradient descent overshoots the
minimum and the loss *grows*, step after step, until it overflows. A NaN loss is the
end of that road, but a run can also finish without one (Adam at lr 1000 on MNIST ends
with a test loss of 3e11), so the detector watches the size of the loss too.

Every training step ``fit`` hands it the batch loss L_t. With L_1 the loss of the first
step (the untrained model's) and an exponential moving average

    S_1 = L_1,    S_t = S_{t−1} + α · (L_t − S_{t−1})        (α = ``smoothing``, 0.1)

the loss has **exploded** when S_t > ``factor`` · L_1 (default 1000: three orders of
magnitude; healthy runs only go down from L_1, and a noisy batch moves S by α of its
excess). The average keeps one unlucky batch from stopping a run; an explosion gets
there within a few steps. It costs a few float operations per step.

When the loss is **not finite** (NaN or inf) the detector looks at the batch first:

1. NaN/inf in the batch's inputs or targets → ``DataError`` naming the array, the count
   and the index: a problem of the data, not of the learning rate.
2. NaN/inf in the model's parameters → the previous update broke them
   (``TrainingDivergedError`` naming the parameters): a learning rate too large, an
   ``eps=0``, an exploding gradient.
3. Otherwise the forward pass overflowed or the loss is numerically unstable (log of 0):
   ``TrainingDivergedError`` says which, from how the loss had moved before.

``action="raise"`` (default) stops with ``TrainingDivergedError``; ``action="warn"``
issues a ``DivergenceWarning`` once and lets training go on (a non-finite loss always
stops: its gradients would turn every weight into NaN). ``fit`` uses a default detector;
pass your own in ``callbacks`` to change its settings, e.g.
``fit(..., callbacks=[DivergenceDetector(factor=1e4, action="warn")])``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterable

from .. import validate as check
from ..errors import DataError, TrainingDivergedError
from .callbacks import Callback
from .data_checks import non_finite_report


class DivergenceWarning(UserWarning):
    """The training loss exploded (issued by ``DivergenceDetector(action="warn")``)."""


def _lr_of(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups and "lr" in groups[0]:
        return float(groups[0]["lr"])
    return None


class DivergenceDetector(Callback):
    """Watch the training loss for explosions and NaN/inf; stop or warn with the cause.

    Args:
        factor: the loss has exploded when its moving average exceeds ``factor`` × its
            first value (> 1).
        smoothing: α of the moving average, in (0, 1]; 1 compares every single batch.
        action: ``"raise"`` (``TrainingDivergedError``) or ``"warn"`` (``DivergenceWarning``).

    After training, ``events`` lists what was found (dicts with epoch, step, kind, message).
    """

    def __init__(self, factor: float = 1e3, smoothing: float = 0.1, action: str = "raise") -> None:
        where = "DivergenceDetector"
        self.factor = check.number(factor=factor, low=1.0, low_open=True, where=where)
        self.smoothing = check.number(smoothing=smoothing, low=0.0, high=1.0, low_open=True,
                                      where=where)
        self.action = check.one_of(action=action, choices=("raise", "warn"), where=where)
        self.reset()

    def reset(self) -> None:
        self.start: float | None = None
        self.average = math.nan
        self.limit = math.inf
        self.events: list[dict[str, Any]] = []
        self._warned = False

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.reset()

    # ------------------------------------------------------------ per step
    def check(self, value: float, x: Any = None, y: Any = None) -> None:
        """Take the step's loss; raise (or warn) when it is non-finite or has exploded."""
        if value - value != 0.0:  # NaN or ±inf, without a function call
            raise self._non_finite(value, x, y)
        if self.start is None:
            self.start = self.average = value
            self.limit = self.factor * value if value > 0.0 else math.inf
            return
        self.average += self.smoothing * (value - self.average)
        if self.average > self.limit:
            self._exploded(value)

    # ------------------------------------------------------------- reports
    def _where(self) -> str:
        t = self.trainer
        if t is None:
            return "in fit"
        lr = _lr_of(t.optimizer)
        return (f"at epoch {t.epoch + 1}, step {t.step + 1}"
                + (f" (lr={lr:g})" if lr is not None else ""))

    def _lr_hint(self) -> str:
        lr = _lr_of(self.trainer.optimizer) if self.trainer is not None else None
        return ("try a smaller learning rate" + (f" (e.g. lr={lr / 10:.2g}, 10× smaller)" if lr else "")
                + ", gradient clipping, or batch normalization")

    def _likely_cause(self) -> str:
        """A hyperparameter the optimizer warned about (SGD momentum ≥ 1, eps = 0, ...) is
        the likely cause when there is one; else the learning rate."""
        optimizer = self.trainer.optimizer if self.trainer is not None else None
        mistakes = getattr(optimizer, "hyperparameter_mistakes", lambda: [])()
        if mistakes:
            return f"Likely cause: {mistakes[0]}"
        return f"Likely cause: the learning rate is too large; {self._lr_hint()}"

    def _record(self, kind: str, message: str) -> None:
        t = self.trainer
        self.events.append({"epoch": None if t is None else t.epoch,
                            "step": None if t is None else t.step, "kind": kind, "message": message})

    def _exploded(self, value: float) -> None:
        message = (f"loss exploded to {value:.4g} {self._where()}: the training diverged: its "
                   f"moving average {self.average:.4g} is {self.average / self.start:.3g}× its "
                   f"start {self.start:.4g} (the limit is {self.factor:g}×). {self._likely_cause()}")
        self._record("exploded", message)
        if self.action == "raise":
            raise TrainingDivergedError(message)
        if not self._warned:
            self._warned = True
            warnings.warn(message, DivergenceWarning, stacklevel=3)

    def _non_finite(self, value: float, x: Any, y: Any) -> Exception:
        where = self._where()
        bad_data = [r for r in (non_finite_report(x, "x") if x is not None else None,
                                non_finite_report(y, "y") if y is not None else None) if r]
        if bad_data:
            message = (f"loss became {value} {where} because this batch's data is not "
                       f"finite: {'; '.join(bad_data)} (indices within the batch). This is a "
                       "problem of the data, not of the learning rate: remove or impute those "
                       "values before training")
            self._record("data", message)
            return DataError(message)
        model = self.trainer.model if self.trainer is not None else None
        bad = [n for n, p in model.named_parameters() if non_finite_report(p, n)] if model else []
        if bad:
            cause = (f"the parameters {', '.join(bad[:5])}{' …' if len(bad) > 5 else ''} hold "
                     f"NaN/inf: the previous update broke them (gradients overflowed). "
                     f"{self._likely_cause()}")
        elif _largest_weight(model) > 1e4:
            cause = (f"the weights have grown to |w| = {_largest_weight(model):.3g}, so the forward "
                     f"pass overflowed. {self._likely_cause()}")
        elif self.start is not None and self.start > 0 and self.average > 10.0 * self.start:
            cause = (f"the loss had grown to {self.average / self.start:.3g}× its start "
                     f"{self.start:.4g} before it overflowed. {self._likely_cause()}")
        else:
            cause = ("the inputs and weights are finite and the loss had not grown before"
                     + (f" (start {self.start:.4g}, recent {self.average:.4g})" if self.start else "")
                     + ", so the forward pass or the loss is numerically unstable: a log of 0 "
                     "(a loss on probabilities instead of logits), a division by 0, an exp that "
                     f"overflows. If the learning rate is large, {self._lr_hint()}")
        message = f"loss became {value} {where}: the training diverged: {cause}"
        self._record("non-finite", message)
        return TrainingDivergedError(message)


def _largest_weight(model: Any) -> float:
    if model is None:
        return 0.0
    sizes = [float(abs(p.data).max()) for p in model.parameters() if p.data.size]
    return max(sizes, default=0.0)


def detector_for(callbacks: Iterable[Callback]) -> DivergenceDetector:
    """The ``DivergenceDetector`` among ``callbacks``, or a default one."""
    for cb in callbacks:
        if isinstance(cb, DivergenceDetector):
            return cb
    return DivergenceDetector()
