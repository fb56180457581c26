"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``).

The course's "learning rate decay" (学习率衰减): start with a larger step and shrink it
as training goes on, so the early epochs move fast and the late ones settle into the
minimum instead of bouncing around it.

Usage, one ``step()`` per epoch (or per batch, for schedules counted in batches)::

    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(...)          # uses optimizer.param_groups[i]["lr"]
        scheduler.step()

As in PyTorch, the first scheduler built over an optimizer stores each group's rate as
``group["initial_lr"]`` (the *base* rate η₀ of that group); every scheduler reads η₀ from
there, so schedulers built one after another over the same optimizer (a warm-up and the
decay that follows, the parts of a ``SequentialLR``) all see the same η₀, whatever order
they are built in. From then on a scheduler sets

    group["lr"] = η₀ · factor(t)        t = ``last_epoch``, the number of ``step()`` calls

so groups with different base rates (e.g. a smaller rate for the output layer) keep
their ratio. Every schedule below is that closed-form ``factor(t)`` (written in its
docstring); ``ReduceLROnPlateau`` is the exception: it reacts to a metric. Building a
scheduler already sets the rate for t = 0.

``state_dict()`` / ``load_state_dict()`` (one implementation, shared by every scheduler,
``ReduceLROnPlateau`` included) hold plain numbers (JSON-able, so a checkpoint's
``extra`` can carry them); the optimizer's own state dict holds the current rates and
``initial_lr``. To resume, build the scheduler with ``last_epoch=t`` over an optimizer whose
groups carry ``initial_lr`` (PyTorch's rule), or load its state dict.
"""
from __future__ import annotations

import bisect
import math
from functools import partial
from typing import Any, Callable, Sequence

from .. import validate as check
from ..errors import GlassboxTypeError, InvalidArgumentError

__all__ = [
    "LRScheduler", "LambdaLR", "ConstantLR", "StepLR", "MultiStepLR", "ExponentialLR",
    "InverseTimeDecay", "CosineAnnealingLR", "LinearLR", "LinearWarmup", "SequentialLR",
    "OneCycleLR", "ReduceLROnPlateau",
]

_POSITIVE = partial(check.number, low=0.0, low_open=True)
_NON_NEGATIVE = partial(check.number, low=0.0)


def _param_groups(optimizer: Any, cls: str) -> list[dict[str, Any]]:
    groups = getattr(optimizer, "param_groups", None)
    if not groups or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise GlassboxTypeError(f"{cls}: expected an optimizer whose param_groups each have an "
                                f"'lr', got {type(optimizer).__name__}")
    return groups


def _initial_lrs(optimizer: Any, cls: str, last_epoch: int) -> list[float]:
    """Each group's η₀: ``initial_lr``, set from ``lr`` by the first scheduler (PyTorch's rule)."""
    groups = _param_groups(optimizer, cls)
    check.integer(last_epoch=last_epoch, low=-1, where=cls)
    for i, group in enumerate(groups):
        if last_epoch == -1:
            group.setdefault("initial_lr", float(group["lr"]))
        elif "initial_lr" not in group:
            raise InvalidArgumentError(
                f"{cls}: param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                f"(last_epoch={last_epoch}): load the optimizer's state dict first, or build "
                "with last_epoch=-1")
    return [float(g["initial_lr"]) for g in groups]


class LRScheduler:
    """Base class: subclasses define ``factor(t)``, the multiplier of each group's base rate.

    Args:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` this sets.
        last_epoch: −1 for a new schedule; t to resume at step t + 1 (PyTorch's convention;
            the groups must then carry ``initial_lr``).

    Attributes:
        base_lrs: each group's ``initial_lr`` (η₀).
        last_epoch: t, the number of ``step()`` calls (0 right after construction).
    """

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        self.base_lrs = _initial_lrs(optimizer, type(self).__name__, last_epoch)
        self.last_epoch = last_epoch
        self.step()

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
            raise InvalidArgumentError(
                f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups but "
                f"the scheduler was built for {len(lrs)}")
        for group, lr in zip(groups, lrs):
            group["lr"] = float(lr)
        self._last_lr = [float(lr) for lr in lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` (or the constructor) set, one per group."""
        return list(self._last_lr)

    # -------------------------------------------------------------- state dict
    def state_dict(self) -> dict[str, Any]:
        """Plain-data state: every attribute but the optimizer and functions (``LambdaLR``'s
        lambdas are not included, as in PyTorch); child schedulers as their state dicts."""
        return {k: _plain(v) for k, v in self.__dict__.items()
                if k != "optimizer" and not callable(v) and not k.startswith("_sched")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``; does not change the optimizer's current rates."""
        unknown = sorted(set(state) - set(self.state_dict()))
        if unknown:
            raise InvalidArgumentError(
                f"{type(self).__name__}.load_state_dict: unknown entries {unknown}")
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

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        groups = _param_groups(optimizer, "LambdaLR")
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
        if len(fns) != len(groups) or not all(callable(f) for f in fns):
            raise InvalidArgumentError(
                f"LambdaLR: lr_lambda must be a function or a list of {len(groups)} functions "
                f"(one per parameter group), got {lr_lambda!r}")
        self._sched_fns = fns
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        return [base * float(fn(t)) for base, fn in zip(self.base_lrs, self._sched_fns)]


class ConstantLR(LRScheduler):
    """η_t = η₀ · factor for t < total_iters, then η₀ (PyTorch's defaults: 1/3 for 5 steps).

    ``ConstantLR(opt, factor=1.0, total_iters=0)`` is a constant rate η_t = η₀.
    """

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        where = "ConstantLR"
        self.const_factor = check.number(factor=factor, low=0.0, high=1.0, low_open=True, where=where)
        self.total_iters = check.non_negative_int(total_iters=total_iters, where=where)
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.const_factor if t < self.total_iters else 1.0


class StepLR(LRScheduler):
    """Step decay: η_t = η₀ · γ^⌊t / step_size⌋ (multiply by γ every ``step_size`` steps)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = check.positive_int(step_size=step_size, where="StepLR")
        self.gamma = _POSITIVE(gamma=gamma, where="StepLR")
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^k, k = the number of milestones ≤ t (decay by γ at each milestone)."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        ms = [check.non_negative_int(milestone=m, where="MultiStepLR") for m in milestones]
        if ms != sorted(ms):
            raise InvalidArgumentError(f"MultiStepLR: milestones must be increasing, got {list(milestones)}")
        self.milestones = ms
        self.gamma = _POSITIVE(gamma=gamma, where="MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """Exponential decay: η_t = η₀ · γ^t."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _POSITIVE(gamma=gamma, where="ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** t


class InverseTimeDecay(LRScheduler):
    """The course's decay: η_t = η₀ / (1 + decay_rate · t / decay_steps).

    With ``decay_steps=1`` and one step per epoch this is α = α₀ / (1 + decay_rate ·
    epoch_num). ``staircase=True`` uses ⌊t / decay_steps⌋ (Keras' ``InverseTimeDecay``).
    """

    def __init__(self, optimizer: Any, decay_rate: float, decay_steps: int = 1,
                 staircase: bool = False, last_epoch: int = -1) -> None:
        self.decay_rate = _NON_NEGATIVE(decay_rate=decay_rate, where="InverseTimeDecay")
        self.decay_steps = check.positive_int(decay_steps=decay_steps, where="InverseTimeDecay")
        self.staircase = check.boolean(staircase=staircase, where="InverseTimeDecay")
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        p = t // self.decay_steps if self.staircase else t / self.decay_steps
        return 1.0 / (1.0 + self.decay_rate * p)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from η₀ to η_min over T_max steps (PyTorch's closed form):

        η_t = η_min + (η₀ − η_min) · ½ · (1 + cos(π · t / T_max))

    After T_max the cosine rises again (period 2·T_max), as in PyTorch; to decay once
    over a whole run, set T_max to the number of steps of the run.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = check.positive_int(T_max=T_max, where="CosineAnnealingLR")
        self.eta_min = _NON_NEGATIVE(eta_min=eta_min, where="CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        c = 0.5 * (1.0 + math.cos(math.pi * t / self.T_max))
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps:

        factor(t) = start + (end − start) · min(t, total_iters) / total_iters
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        where = "LinearLR"
        self.start_factor = check.number(start_factor=start_factor, low=0.0, low_open=True,
                                         high=1.0, where=where)
        self.end_factor = check.number(end_factor=end_factor, low=0.0, high=1.0, where=where)
        self.total_iters = check.positive_int(total_iters=total_iters, where=where)
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        s, e = self.start_factor, self.end_factor
        return s + (e - s) * min(t, self.total_iters) / self.total_iters


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin; PyTorch's ``OneCycleLR``), stepped once per batch:
    the rate rises from η₀ = max_lr/div_factor to max_lr over the first ``pct_start`` of the
    ``total_steps``, then falls to η_min = η₀/final_div_factor; momentum (SGD's ``momentum``
    or Adam's β₁) moves the other way, max_momentum → base_momentum → max_momentum.

    Phase k runs from step a to step b (two phases: a = 0, b = pct_start·T − 1, then to
    T − 1; ``three_phase``: η₀ → max_lr, back to η₀ by 2·pct_start·T − 2, then to η_min),
    and inside it, with p = (t − a)/(b − a),

        cos:     η_t = end + (start − end)·½·(1 + cos(π·p))
        linear:  η_t = start + (end − start)·p

    The groups' ``initial_lr`` becomes η₀ (their ``lr`` is replaced, as in PyTorch);
    stepping past ``total_steps`` is an error.
    """

    def __init__(self, optimizer: Any, max_lr: float | Sequence[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float = 0.85, max_momentum: float = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1) -> None:
        where = "OneCycleLR"
        groups = _param_groups(optimizer, where)
        if total_steps is not None:
            self.total_steps = check.positive_int(total_steps=total_steps, where=where)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (check.positive_int(epochs=epochs, where=where)
                                * check.positive_int(steps_per_epoch=steps_per_epoch, where=where))
        else:
            raise InvalidArgumentError(f"{where}: give total_steps, or epochs and steps_per_epoch")
        maxes = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(maxes) != len(groups):
            raise InvalidArgumentError(f"{where}: expected {len(groups)} values for max_lr (one per "
                                       f"parameter group), got {len(maxes)}")
        self.max_lrs = [_POSITIVE(max_lr=m, where=where) for m in maxes]
        self.pct_start = check.number(pct_start=pct_start, low=0.0, high=1.0, where=where)
        self.anneal_strategy = check.one_of(anneal_strategy=anneal_strategy, choices=("cos", "linear"),
                                            where=where)
        div = _POSITIVE(div_factor=div_factor, where=where)
        final_div = _POSITIVE(final_div_factor=final_div_factor, where=where)
        self.three_phase = check.boolean(three_phase=three_phase, where=where)
        self.cycle_momentum = check.boolean(cycle_momentum=cycle_momentum, where=where)
        self.base_momentum = check.number(base_momentum=base_momentum, low=0.0, high=1.0, where=where)
        self.max_momentum = check.number(max_momentum=max_momentum, low=0.0, high=1.0, where=where)
        self._momentum_key = "betas" if "betas" in groups[0] else "momentum" if "momentum" in groups[0] else None
        if self.cycle_momentum and self._momentum_key is None:
            raise InvalidArgumentError(f"{where}: the optimizer has no momentum or beta1 to cycle; "
                                       "pass cycle_momentum=False")
        if last_epoch == -1:
            for group, m in zip(groups, self.max_lrs):
                group["initial_lr"] = m / div
        self.min_lrs = [float(g.get("initial_lr", m / div)) / final_div for g, m in zip(groups, self.max_lrs)]
        super().__init__(optimizer, last_epoch)

    def _phases(self) -> list[tuple[float, int, int]]:
        """(end step, index of the start value, of the end value) per phase, values being
        (η₀, max_lr, η_min) for the rate and (max, base, max) for momentum."""
        first = float(self.pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if self.three_phase:
            return [(first, 0, 1), (float(2 * self.pct_start * self.total_steps) - 2, 1, 0), (last, 0, 2)]
        return [(first, 0, 1), (last, 1, 2)]

    def _anneal(self, t: int, values: Sequence[float]) -> float:
        start_step = 0.0
        phases = self._phases()
        for i, (end_step, a, b) in enumerate(phases):
            if t <= end_step or i == len(phases) - 1:
                span = end_step - start_step
                p = (t - start_step) / span if span > 0 else 1.0
                start, end = values[a], values[b]
                if self.anneal_strategy == "cos":
                    return end + (start - end) / 2.0 * (math.cos(math.pi * p) + 1)
                return start + (end - start) * p
            start_step = end_step
        raise AssertionError("unreachable")

    def lr_at(self, t: int) -> list[float]:
        if t > self.total_steps:
            raise InvalidArgumentError(f"OneCycleLR: tried to step {t} times; the schedule has "
                                       f"total_steps={self.total_steps}")
        return [self._anneal(t, (base, top, low))
                for base, top, low in zip(self.base_lrs, self.max_lrs, self.min_lrs)]

    def momentum_at(self, t: int) -> float:
        """The momentum (β₁ for Adam) at step t: max → base while the rate rises, back after."""
        top, low = self.max_momentum, self.base_momentum
        return self._anneal(t, (top, low, top))

    def step(self) -> None:
        super().step()
        if self.cycle_momentum:
            m = self.momentum_at(self.last_epoch)
            for group in self.optimizer.param_groups:
                if self._momentum_key == "betas":
                    group["betas"] = (m, group["betas"][1])
                else:
                    group["momentum"] = m


class SequentialLR(LRScheduler):
    """Schedules one after another: ``schedulers[i]`` runs from ``milestones[i−1]`` on,
    restarted at its own t = 0 there:

        η_t = schedulers[i].lr_at(t − milestones[i−1]),   milestones[i−1] ≤ t < milestones[i]

    The schedulers must be built over the same optimizer; all of them read the groups'
    ``initial_lr``, so the order they were built in does not matter.
    ``ReduceLROnPlateau`` cannot take part.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        scheds = list(schedulers)
        if not scheds or len(milestones) != len(scheds) - 1:
            raise InvalidArgumentError(
                f"SequentialLR: expected len(milestones) == len(schedulers) − 1, got "
                f"{len(scheds)} schedulers and {len(milestones)} milestones")
        for s in scheds:
            if not isinstance(s, LRScheduler) or isinstance(s, ReduceLROnPlateau):
                raise GlassboxTypeError(
                    f"SequentialLR: {type(s).__name__} is not a closed-form LRScheduler "
                    "(ReduceLROnPlateau cannot be sequenced)")
            if s.optimizer is not optimizer:
                raise InvalidArgumentError("SequentialLR: every scheduler must belong to the same optimizer")
        ms = [check.positive_int(milestone=m, where="SequentialLR") for m in milestones]
        if ms != sorted(ms):
            raise InvalidArgumentError(f"SequentialLR: milestones must be increasing, got {list(milestones)}")
        self._sched_children = scheds
        self.milestones = ms
        super().__init__(optimizer, last_epoch)

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

    A ``SequentialLR`` of ``LinearLR`` and ``after``, e.g.
    ``LinearWarmup(opt, 5, after=CosineAnnealingLR(opt, T_max=95))``.
    """
    warm = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
    after = after if after is not None else ConstantLR(optimizer, factor=1.0, total_iters=0)
    return SequentialLR(optimizer, [warm, after], [warmup_steps])


# ------------------------------------------------------------------ plateau
class ReduceLROnPlateau(LRScheduler):
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
        check.one_of(mode=mode, choices=("min", "max"), where=cls)
        check.one_of(threshold_mode=threshold_mode, choices=("rel", "abs"), where=cls)
        if min_delta is not None:
            threshold, threshold_mode = min_delta, "abs"
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        # it shrinks the rate: factor in (0, 1)
        self.factor = check.number(factor=factor, low=0.0, high=1.0, low_open=True, high_open=True,
                                   where=cls)
        self.patience = check.non_negative_int(patience=patience, where=cls)
        self.threshold = _NON_NEGATIVE(threshold=threshold, where=cls)
        self.cooldown = check.non_negative_int(cooldown=cooldown, where=cls)
        self.eps = _NON_NEGATIVE(eps=eps, where=cls)
        mins = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(mins) != len(groups):
            raise InvalidArgumentError(f"{cls}: min_lr has {len(mins)} values for {len(groups)} "
                                       "parameter groups")
        self.min_lrs = [_NON_NEGATIVE(min_lr=m, where=cls) for m in mins]
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
            raise GlassboxTypeError(f"ReduceLROnPlateau.step: metric must be a number, got "
                                    f"{metric!r}") from None
        if math.isnan(current):
            raise InvalidArgumentError("ReduceLROnPlateau.step: the metric is NaN")
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

    def lr_at(self, t: int) -> list[float]:
        raise GlassboxTypeError("ReduceLROnPlateau has no closed-form schedule: it follows a metric")

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best:g}, "
                f"bad_epochs={self.num_bad_epochs}, lr={self.get_last_lr()})")
