"""Multi-task learning: one shared body, several heads, one weighted sum of the task losses.

Course notes (multi-task learning): the tasks share the lower layers, which learn features
useful to all of them, and each task keeps its own output layer. Training minimizes one
cost that merges the task losses:

    J = Σₖ wₖ · Lₖ(ŷₖ, yₖ)            ŷₖ = headₖ(body(x))

Since J is a sum, ∂J/∂θ = Σₖ wₖ · ∂Lₖ/∂θ: the shared body receives the weighted sum of
every task's gradient, each head only its own task's (scaled by wₖ). The weights set how
much each task pulls on the shared features; a loss on a larger scale (e.g. a sum, or a
10-way cross-entropy next to a binary one) may need a smaller weight.

A multi-label problem ("is there a car, is there a bus" for one image) is the special case
of one head with L sigmoid outputs and ``BCEWithLogitsLoss``: see ``examples/multilabel.py``.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import GlassboxTypeError
from .container import ModuleDict
from .module import Module

__all__ = ["HeadDict", "MultiHead", "MultiTaskLoss"]

TASK_NAME = "a Python identifier (it becomes part of parameter names such as heads.<task>.weight)"


class HeadDict(ModuleDict):
    """The heads of a ``MultiHead``: a ``ModuleDict`` whose keys are task names."""

    def __init__(self, modules: Mapping[str, Module]) -> None:
        super().__init__()
        for name, module in modules.items():
            if not isinstance(module, Module):
                raise GlassboxTypeError(f"MultiHead: head {name!r} must be a Module, got {type(module).__name__}")
            self[check.identifier(task=name, where="MultiHead", expected=TASK_NAME)] = module

    def __getitem__(self, name: str) -> Module:
        if name not in self._modules:
            raise KeyError(f"MultiHead: no head named {name!r}; heads: {list(self._modules)}")
        return self._modules[name]

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._modules)

    def items(self) -> list[tuple[str, Module]]:  # type: ignore[override]
        return list(self._modules.items())


class MultiHead(Module):
    """``body`` shared by every task, then one head per task; returns ``{task: head(body(x))}``.

        model = MultiHead(body, {"digit": nn.Linear(128, 10), "big": nn.Linear(128, 1)})
        out = model(x)            # {"digit": (N, 10) logits, "big": (N, 1) logits}

    The body runs once per batch; its output feeds every head, so in backward the body's
    gradient is the sum of the heads' contributions (the engine accumulates them).
    """

    def __init__(self, body: Module, heads: Mapping[str, Module]) -> None:
        super().__init__()
        if not isinstance(body, Module):
            raise TypeError(f"MultiHead: body must be a Module, got {type(body).__name__}")
        if not isinstance(heads, Mapping) or not heads:
            raise ValueError(f"MultiHead: heads must be a non-empty dict {{task name: Module}}, got {heads!r}")
        self.body = body
        self.heads = HeadDict(heads)

    def forward(self, x: Any) -> dict[str, Tensor]:
        features = self.body(x)
        return {name: head(features) for name, head in self.heads.items()}


class MultiTaskLoss:
    """J = Σₖ wₖ · Lₖ(outputs[k], targets[k]) over the tasks named in ``losses``.

    Args:
        losses: ``{task: loss_fn}``, each ``loss_fn(output, target)`` → scalar Tensor.
        weights: ``{task: wₖ}``; tasks left out get weight 1.

    Calling it with the dicts of outputs (from ``MultiHead``) and of targets returns the
    total as a Tensor (call ``backward()`` on it) and keeps the plain values for logging in
    ``last``: ``{"total": J, task: Lₖ (unweighted), ...}``. Outputs for tasks without a
    loss are ignored (e.g. an auxiliary head you only look at).
    """

    def __init__(self, losses: Mapping[str, Callable[[Any, Any], Tensor]],
                 weights: Mapping[str, float] | None = None) -> None:
        if not isinstance(losses, Mapping) or not losses:
            raise ValueError(f"MultiTaskLoss: losses must be a non-empty dict {{task: loss_fn}}, got {losses!r}")
        for name, fn in losses.items():
            check.identifier(task=name, where="MultiTaskLoss", expected=TASK_NAME)
            if not callable(fn):
                raise TypeError(f"MultiTaskLoss: the loss of task {name!r} must be callable, "
                                f"got {type(fn).__name__}")
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(losses))
        if unknown:
            raise ValueError(f"MultiTaskLoss: weights for unknown task(s) {unknown}; tasks: {list(losses)}")
        self.losses = dict(losses)
        self.weights = {name: check.number(**{f"weights[{name!r}]": weights.get(name, 1.0)}, low=0.0,
                                     where="MultiTaskLoss") for name in losses}
        self.last: dict[str, float] = {}

    def __call__(self, outputs: Mapping[str, Any], targets: Mapping[str, Any]) -> Tensor:
        for what, d in (("outputs", outputs), ("targets", targets)):
            if not isinstance(d, Mapping):
                raise TypeError(f"MultiTaskLoss: {what} must be a dict {{task: value}}, got {type(d).__name__}")
            missing = [name for name in self.losses if name not in d]
            if missing:
                raise KeyError(f"MultiTaskLoss: {what} lack task(s) {missing}; got {list(d)}")
        total: Tensor | None = None
        last: dict[str, float] = {}
        for name, fn in self.losses.items():
            loss = fn(outputs[name], targets[name])
            if not isinstance(loss, Tensor) or loss.size != 1:
                raise ValueError(f"MultiTaskLoss: the loss of task {name!r} must return a scalar Tensor, "
                                 f"got {type(loss).__name__} of shape {getattr(loss, 'shape', None)}")
            last[name] = float(loss.item())
            w = self.weights[name]
            term = loss if w == 1.0 else loss * w
            total = term if total is None else total + term
        assert total is not None
        last["total"] = float(total.item())
        self.last = last
        return total

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:g}·{name}" for name, w in self.weights.items())
        return f"MultiTaskLoss({parts})"
