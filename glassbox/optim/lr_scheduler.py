"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``).

The course's "learning rate decay" (学习率衰减): start with a larger step and shrink it
as training goes on, so the early epochs move fast and the late ones settle into the
minimum instead of bouncing around it.

Usage, one ``step()`` per epoch (or per batch, for schedules counted in batches)::

    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(...)          # uses optimizer.param_groups[i]["lr"]
        scheduler.step()

A scheduler reads each parameter group's learning rate once, when it is built
(the *base* rate η₀ of that group), and from then on sets

    group["lr"] = η₀ · factor(t)        t = number of ``step()`` calls so far

so groups with different base rates (e.g. a smaller rate for the output layer) keep
their ratio. Every schedule below is that closed-form ``factor(t)`` (written in its
docstring); ``ReduceLROnPlateau`` is the exception: it reacts to a metric. Building a
scheduler already sets the rate for t = 0.

``state_dict()`` / ``load_state_dict()`` hold plain numbers (JSON-able, so a
checkpoint's ``extra`` can carry them); the optimizer's own state dict holds the
current rates.
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Sequence

__all__ = [
    "LRScheduler", "LambdaLR", "ConstantLR", "StepLR", "MultiStepLR", "ExponentialLR",
    "InverseTimeDecay", "CosineAnnealingLR", "LinearLR", "LinearWarmup", "SequentialLR",
    "ReduceLROnPlateau",
]


def _number(cls: str, name: str, value: Any, low: float | None = None, low_open: bool = False,
            high: float | None = None, integer: bool = False) -> Any:
    """``value`` checked to be a (integer) number in the given range, else a ValueError naming it."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        kind = "an integer" if integer else "a number"
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if low_open else '≥'} {low:g}")
        if high is not None:
            bounds.append(f"≤ {high:g}")
        raise ValueError(f"{cls}: {name} must be {kind}" + (f" {' and '.join(bounds)}" if bounds else "")
                         + f", got {value!r}")
    return int(value) if integer else float(value)


def _param_groups(optimizer: Any, cls: str) -> list[dict[str, Any]]:
    groups = getattr(optimizer, "param_groups", None)
    if not groups or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{cls}: expected an optimizer whose param_groups each have an 'lr', "
                        f"got {type(optimizer).__name__}")
    return groups


class LRScheduler:
    """Base class: subclasses define ``factor(t)``, the multiplier of each group's base rate.

    Attributes:
        base_lrs: each group's learning rate when the scheduler was built (η₀).
        last_epoch: t, the number of ``step()`` calls (0 right after construction).
    """

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.base_lrs = [float(g["lr"]) for g in _param_groups(optimizer, type(self).__name__)]
        self.last_epoch = 0
        self._apply(self.lr_at(0))

    # ------------------------------------------------------------ the schedule
    def factor(self, t: int) -> float:
        """η_t / η₀ at step t (the same for every group)."""
        raise NotImplementedError

    def lr_at(self, t: int) -> list[float]:
        """Every group's learning rate at step t: η₀ · factor(t)."""
        f = self.factor(t)
        return [base * f for base in self.base_lrs]

    # ---------------------------------------------------------------- stepping
    def step(self) -> None:
        """Advance t by one and set every group's learning rate to its value at t."""
        self.last_epoch += 1
        self._apply(self.lr_at(self.last_epoch))

    def _apply(self, lrs: list[float]) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(lrs):
            raise ValueError(f"{type(self).__name__}: the optimizer has {len(groups)} parameter "
                             f"groups but the scheduler was built for {len(lrs)}")
        for group, lr in zip(groups, lrs):
            group["lr"] = float(lr)
        self._last_lr = [float(lr) for lr in lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` (or the constructor) set, one per group."""
        return list(self._last_lr)

    # -------------------------------------------------------------- state dict
    _not_state = ("optimizer",)

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state (functions such as ``LambdaLR``'s lambdas are not included)."""
        return {k: _plain(v) for k, v in self.__dict__.items()
                if k not in self._not_state and not callable(v) and not k.startswith("_sched")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``; does not change the optimizer's current rates."""
        unknown = sorted(set(state) - set(self.state_dict()))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown entries {unknown}")
        for key, value in state.items():
            setattr(self, key, list(value) if isinstance(value, (list, tuple)) else value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(t={self.last_epoch}, lr={self.get_last_lr()})"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, LRScheduler):
        return value.state_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------ schedules
class LambdaLR(LRScheduler):
    """η_t = η₀ · λ(t) for a function λ of your choice (one per group if a list is given)."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        groups = _param_groups(optimizer, "LambdaLR")
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
        if len(fns) != len(groups) or not all(callable(f) for f in fns):
            raise ValueError(f"LambdaLR: lr_lambda must be a function or a list of {len(groups)} "
                             f"functions (one per parameter group), got {lr_lambda!r}")
        self._sched_fns = fns
        super().__init__(optimizer)

    def lr_at(self, t: int) -> list[float]:
        return [base * float(fn(t)) for base, fn in zip(self.base_lrs, self._sched_fns)]


class ConstantLR(LRScheduler):
    """η_t = η₀ · factor for t < total_iters, then η₀.

    The defaults (factor 1, total_iters 0) give a constant rate η_t = η₀. (PyTorch's
    ``ConstantLR`` defaults to factor 1/3 for 5 steps, a crude warm-up.)
    """

    def __init__(self, optimizer: Any, factor: float = 1.0, total_iters: int = 0) -> None:
        self.const_factor = _number("ConstantLR", "factor", factor, 0.0, True, 1.0)
        self.total_iters = _number("ConstantLR", "total_iters", total_iters, 0, integer=True)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.const_factor if t < self.total_iters else 1.0


class StepLR(LRScheduler):
    """Step decay: η_t = η₀ · γ^⌊t / step_size⌋ (multiply by γ every ``step_size`` steps)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _number("StepLR", "step_size", step_size, 1, integer=True)
        self.gamma = _number("StepLR", "gamma", gamma, 0.0, True)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^k, k = the number of milestones ≤ t (decay by γ at each milestone)."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1) -> None:
        ms = [_number("MultiStepLR", "each milestone", m, 0, integer=True) for m in milestones]
        if ms != sorted(ms):
            raise ValueError(f"MultiStepLR: milestones must be increasing, got {list(milestones)}")
        self.milestones = ms
        self.gamma = _number("MultiStepLR", "gamma", gamma, 0.0, True)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """Exponential decay: η_t = η₀ · γ^t."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = _number("ExponentialLR", "gamma", gamma, 0.0, True)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma ** t


class InverseTimeDecay(LRScheduler):
    """The course's decay: η_t = η₀ / (1 + decay_rate · t / decay_steps).

    With ``decay_steps=1`` and one step per epoch this is α = α₀ / (1 + decay_rate ·
    epoch_num). ``staircase=True`` uses ⌊t / decay_steps⌋ (Keras' ``InverseTimeDecay``).
    """

    def __init__(self, optimizer: Any, decay_rate: float, decay_steps: int = 1,
                 staircase: bool = False) -> None:
        self.decay_rate = _number("InverseTimeDecay", "decay_rate", decay_rate, 0.0)
        self.decay_steps = _number("InverseTimeDecay", "decay_steps", decay_steps, 1, integer=True)
        self.staircase = bool(staircase)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        p = t // self.decay_steps if self.staircase else t / self.decay_steps
        return 1.0 / (1.0 + self.decay_rate * p)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from η₀ to η_min over T_max steps, then held at η_min:

        η_t = η_min + (η₀ − η_min) · ½ · (1 + cos(π · min(t, T_max) / T_max))

    (PyTorch keeps following the cosine back up after T_max; holding is what a
    one-cycle decay over a whole run wants.)
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _number("CosineAnnealingLR", "T_max", T_max, 1, integer=True)
        self.eta_min = _number("CosineAnnealingLR", "eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> list[float]:
        c = 0.5 * (1.0 + math.cos(math.pi * min(t, self.T_max) / self.T_max))
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps:

        factor(t) = start + (end − start) · min(t, total_iters) / total_iters
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor = _number("LinearLR", "start_factor", start_factor, 0.0, True, 1.0)
        self.end_factor = _number("LinearLR", "end_factor", end_factor, 0.0, False, 1.0)
        self.total_iters = _number("LinearLR", "total_iters", total_iters, 1, integer=True)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        s, e = self.start_factor, self.end_factor
        return s + (e - s) * min(t, self.total_iters) / self.total_iters


class SequentialLR(LRScheduler):
    """Schedules one after another: ``schedulers[i]`` runs from ``milestones[i−1]`` on,
    restarted at its own t = 0 there:

        η_t = schedulers[i].lr_at(t − milestones[i−1]),   milestones[i−1] ≤ t < milestones[i]

    The schedulers must be built over the same optimizer (their base rates are the rates
    when the first of them was built). ``ReduceLROnPlateau`` cannot take part.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int]) -> None:
        scheds = list(schedulers)
        if not scheds or len(milestones) != len(scheds) - 1:
            raise ValueError(f"SequentialLR: expected len(milestones) == len(schedulers) − 1, got "
                             f"{len(scheds)} schedulers and {len(milestones)} milestones")
        for s in scheds:
            if not isinstance(s, LRScheduler):
                raise TypeError(f"SequentialLR: {type(s).__name__} is not a closed-form LRScheduler "
                                "(ReduceLROnPlateau cannot be sequenced)")
            if s.optimizer is not optimizer:
                raise ValueError("SequentialLR: every scheduler must belong to the same optimizer")
        ms = [_number("SequentialLR", "each milestone", m, 1, integer=True) for m in milestones]
        if ms != sorted(ms):
            raise ValueError(f"SequentialLR: milestones must be increasing, got {list(milestones)}")
        base = scheds[0].base_lrs
        for s in scheds[1:]:
            s.base_lrs = list(base)  # built later, they saw an already-scheduled lr
        self._sched_children = scheds
        self.milestones = ms
        super().__init__(optimizer)
        self.base_lrs = list(base)
        self._apply(self.lr_at(0))

    def lr_at(self, t: int) -> list[float]:
        i = bisect.bisect_right(self.milestones, t)
        start = self.milestones[i - 1] if i else 0
        return self._sched_children[i].lr_at(t - start)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["children"] = [s.state_dict() for s in self._sched_children]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for s, sd in zip(self._sched_children, state.pop("children", [])):
            s.load_state_dict(sd)
        super().load_state_dict(state)


def LinearWarmup(optimizer: Any, warmup_steps: int, after: LRScheduler | None = None,
                 start_factor: float = 0.1) -> LRScheduler:
    """Linear warm-up over ``warmup_steps`` steps, then ``after`` (or the constant base rate):

        factor(t) = start_factor + (1 − start_factor) · t / warmup_steps     for t < warmup_steps
        η_t = after.lr_at(t − warmup_steps)                                   afterwards

    Build ``after`` first (it reads the base rates), e.g.
    ``LinearWarmup(opt, 5, after=CosineAnnealingLR(opt, T_max=95))``.
    """
    warm = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
    if after is not None:
        warm.base_lrs = list(after.base_lrs)
    after = after if after is not None else ConstantLR(optimizer)
    after.base_lrs = list(warm.base_lrs)
    return SequentialLR(optimizer, [warm, after], [warmup_steps])


# ------------------------------------------------------------------ plateau
class ReduceLROnPlateau:
    """Multiply the rates by ``factor`` when a metric stops improving.

    ``step(metric)`` once per epoch (usually with the validation loss). The metric
    *improves* when it beats the best so far by more than the threshold:

        mode "min", threshold_mode "rel":  metric < best · (1 − threshold)
        mode "min", threshold_mode "abs":  metric < best − threshold
        (mirrored for mode "max")

    After more than ``patience`` steps in a row without improvement every group's rate
    becomes max(lr · factor, min_lr); then ``cooldown`` steps pass before bad steps count
    again. Changes smaller than ``eps`` are skipped. ``min_delta`` (Keras' name) is an
    absolute threshold: it sets ``threshold=min_delta, threshold_mode="abs"``.
    """

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8,
                 min_delta: float | None = None) -> None:
        cls = "ReduceLROnPlateau"
        groups = _param_groups(optimizer, cls)
        if mode not in ("min", "max"):
            raise ValueError(f"{cls}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{cls}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if min_delta is not None:
            threshold, threshold_mode = min_delta, "abs"
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = _number(cls, "factor", factor, 0.0, True)
        if self.factor >= 1.0:
            raise ValueError(f"{cls}: factor must be < 1 (it shrinks the rate), got {factor!r}")
        self.patience = _number(cls, "patience", patience, 0, integer=True)
        self.threshold = _number(cls, "threshold", threshold, 0.0)
        self.cooldown = _number(cls, "cooldown", cooldown, 0, integer=True)
        self.eps = _number(cls, "eps", eps, 0.0)
        mins = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(mins) != len(groups):
            raise ValueError(f"{cls}: min_lr has {len(mins)} values for {len(groups)} parameter groups")
        self.min_lrs = [_number(cls, "min_lr", m, 0.0) for m in mins]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self.num_reductions = 0
        self._last_lr = [float(g["lr"]) for g in groups]

    def is_better(self, current: float, best: float) -> bool:
        if self.mode == "min":
            bound = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return current < bound
        bound = best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return current > bound

    def step(self, metric: float) -> bool:
        """Take one epoch's metric; returns True when the rates were reduced this step."""
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metric must be a number, got {metric!r}") from None
        if math.isnan(current):
            raise ValueError("ReduceLROnPlateau.step: the metric is NaN")
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        reduced = False
        if self.num_bad_epochs > self.patience:
            reduced = self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]
        return reduced

    def _reduce(self) -> bool:
        changed = False
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new
                changed = True
        self.num_reductions += changed
        return changed

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        unknown = sorted(set(state) - set(self.state_dict()))
        if unknown:
            raise ValueError(f"ReduceLROnPlateau.load_state_dict: unknown entries {unknown}")
        for key, value in state.items():
            setattr(self, key, list(value) if isinstance(value, (list, tuple)) else value)

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best:g}, "
                f"bad_epochs={self.num_bad_epochs}, lr={self.get_last_lr()})")
