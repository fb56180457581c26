"""``GradientMonitor``: per-layer gradient norms and update sizes, with warnings by layer name.

Course notes ("梯度消失和梯度爆炸"): in a deep net the backpropagated gradient is a
product of one factor per layer, roughly W⁽ˡ⁾ᵀ·g'(z⁽ˡ⁾) each; factors below 1 (small
weights, saturated sigmoids with g' ≤ 1/4) shrink it geometrically toward the input
(vanishing: the first layers stop learning), factors above 1 blow it up (exploding). The
MNIST demo of the notes warns "output-layer gradient too large" and fixes it with a
smaller learning rate for the output layer alone.

The first ``first_steps`` optimizer steps (default 20) and then one step in ``every`` the
monitor records, per layer l (a module that owns
parameters, named as in ``model.named_modules()``; its weight and bias together):

    gradient norm   ‖g_l‖ = √(Σ_params Σ g²)                    (``norms``)
    update ratio    ‖Δθ_l‖ / ‖θ_l‖  = ‖θ_l(after) − θ_l(before)‖ / ‖θ_l(before)‖   (``update_ratios``)

The update ratio needs the weights before the step: on a monitored step only, the
monitor copies the parameters in ``on_after_backward`` (gradients ready, step not yet
taken) and compares in ``on_batch_end`` (step taken). Other steps cost nothing.

Criteria (relative ones: absolute gradient norms depend on the loss scale, the batch
size and the layer's size, so a fixed threshold that suits one net is wrong for the next):

* vanishing: for ``window`` monitored steps in a row, ‖g_l‖ < ``vanish_ratio`` × the
  largest layer's norm at that step (default 1e-3: in healthy nets layers sit within
  one or two decades of each other; measured ≥ 0.02 on the default MLP and LeNet-5), or
  ‖g_l‖ < ``vanish_threshold`` (default 1e-12, a gradient that float32 updates lose).
* exploding, any of:
    - a non-finite gradient;
    - the median update ratio of the last ``window`` checks (at least 3) exceeds
      ``max_update_ratio`` (default 0.5: every step rewrites half of the layer's weights).
      The classic healthy value is about 1e-3. Measured on mnist-5k: the default MLP
      with SGD 0.1 / Adam 1e-3 stays below 0.015 (median) and 0.06 (single steps);
      single steps near 1 happen in the first few steps of healthy SGD runs (LeNet-5,
      lr 0.1), hence the median; SGD lr 1 on the MLP (which kills it) reaches 9, lr 3
      (NaN after 10 steps) reaches 100+;
    - a jump: ‖g_l‖ > ``jump_factor`` × the median of its previous ``window`` values
      (default 20; mini-batch noise moved it by at most 3.6× on the MLP, 6× on LeNet-5,
      against 10⁴× when the learning rate is far too large);
    - ‖g_l‖ > ``explode_threshold`` when you set one (off by default).

Watching every one of the first steps matters: a learning rate far too large blows the
net up within a handful of steps (SGD lr 10 on a small MLP: loss 3000× its start at step
3), which a monitor that looks only at steps 0, 10, 20 … sees too late, if at all.

After an explosion the dead units (ReLUs that never fire again, weights that overflowed)
have gradients of 0: that is the aftermath of the explosion, not a vanishing gradient, so
once any layer was reported exploding no layer is reported vanishing.

Each warning names the layer, says what was measured and suggests fixes; it is raised
once per (layer, kind) with ``warnings.warn(..., GradientWarning)`` and kept in
``warnings`` (dicts with step, epoch, layer, kind, value, message);
``history.history["gradient_warnings"]`` counts the new warnings per epoch.
``plot_gradient_norms(monitor.norms, path, steps=monitor.steps)`` draws the norms.
"""
from __future__ import annotations

import math
import warnings as _warnings
from typing import Any

import numpy as np

from .. import backend
from .callbacks import Callback
from .monitor import non_negative


class GradientWarning(UserWarning):
    """A layer's gradients vanish or explode (issued by ``GradientMonitor``)."""


_VANISH_HINT = ("the layers before it barely learn. Try: He (ReLU) or Xavier (tanh/sigmoid) "
                "initialization instead of a small fixed scale; ReLU instead of sigmoid/tanh in "
                "deep stacks; batch normalization; fewer layers or residual connections")
_EXPLODE_HINT = ("lower the learning rate, for the whole model or only for this layer through "
                 "a parameter group, e.g. SGD([{{'params': other_params}}, {{'params': {layer}"
                 ".parameters(), 'lr': 0.1}}], lr=...); check the initialization (He for ReLU, "
                 "Xavier for tanh/sigmoid); add batch normalization; clip the gradients")


def _access(name: str) -> str:
    """Python that reaches module ``name`` from ``model``: "1" -> model[1], "features.0" -> model.features[0]."""
    text = "model"
    for part in name.split(".") if name else []:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text


def _sq(a: Any) -> float:
    flat = a.ravel()
    return float(backend.array_module(a).vdot(flat, flat))  # on a's device, then one number


class GradientMonitor(Callback):
    """Watch per-layer gradient norms and update/weight ratios; warn by layer name.

    Args:
        every: after the first steps, monitor one optimizer step in ``every`` (counted over
            the whole run).
        first_steps: monitor every one of the first ``first_steps`` steps (explosions
            happen early).
        window: monitored steps a vanishing gradient must persist, and the history length
            the jump test compares with.
        vanish_ratio: a layer vanishes below this fraction of the largest layer's norm.
        vanish_threshold: or below this absolute norm.
        max_update_ratio: warn when the median ‖Δθ‖/‖θ‖ over the window exceeds it.
        jump_factor: warn when a norm exceeds this multiple of its recent median.
        explode_threshold: warn when a norm exceeds this value (None: off).
        warn: issue Python warnings (False: only record them).
    """

    def __init__(self, every: int = 10, window: int = 5, first_steps: int = 20,
                 vanish_ratio: float = 1e-3,
                 vanish_threshold: float = 1e-12, max_update_ratio: float = 0.5,
                 jump_factor: float = 20.0, explode_threshold: float | None = None,
                 warn: bool = True) -> None:
        where = "GradientMonitor"
        self.every = non_negative(every, "every", where, integer=True)
        self.window = non_negative(window, "window", where, integer=True)
        if self.every < 1 or self.window < 1:
            raise ValueError(f"{where}: every and window must be at least 1, got {every!r}, {window!r}")
        self.first_steps = non_negative(first_steps, "first_steps", where, integer=True)
        self.vanish_ratio = non_negative(vanish_ratio, "vanish_ratio", where)
        self.vanish_threshold = non_negative(vanish_threshold, "vanish_threshold", where)
        self.max_update_ratio = non_negative(max_update_ratio, "max_update_ratio", where)
        self.jump_factor = non_negative(jump_factor, "jump_factor", where)
        self.explode_threshold = (None if explode_threshold is None
                                  else non_negative(explode_threshold, "explode_threshold", where))
        self.warn = bool(warn)
        self.global_step = 0
        self.steps: list[int] = []
        self.norms: dict[str, list[float]] = {}
        self.param_norms: dict[str, list[float]] = {}
        self.update_ratios: dict[str, list[float]] = {}
        self.warnings: list[dict[str, Any]] = []
        self._warned: set[tuple[str, str]] = set()
        self._snapshot: list[list[Any]] | None = None
        self._layers: list[tuple[str, str, list[tuple[str, Any]]]] | None = None

    # ----------------------------------------------------------------- layers
    def _find_layers(self) -> list[tuple[str, str, list[tuple[str, Any]]]]:
        """(module name, label, [(parameter name, parameter)]) per module that owns parameters."""
        layers = []
        for name, module in self.model.named_modules():
            own = [(f"{name}.{pn}" if name else pn, p) for pn, p in module._parameters.items()
                   if p is not None and p.requires_grad]
            if own:
                shape = next((tuple(p.shape) for _, p in own if p.ndim >= 2), None)
                detail = f", weight {'×'.join(map(str, shape))}" if shape else ""
                layers.append((name, f"{name or '<model>'} ({type(module).__name__}{detail})", own))
        if layers:
            n, label, own = layers[-1]
            layers[-1] = (n, label[:-1] + ", output layer)", own)
        return layers

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._layers = self._find_layers()
        self._epoch_warnings = 0
        self._snapshot = None

    # ------------------------------------------------------------- measuring
    def on_after_backward(self, batch: int, logs: dict[str, Any]) -> None:
        if self.global_step % self.every and self.global_step >= self.first_steps:
            return
        step_norms: list[float] = []
        for name, label, params in self._layers:
            total = 0.0
            for pname, p in params:
                sq = _sq(p.grad.data) if p.grad is not None else 0.0
                self.param_norms.setdefault(pname, []).append(math.sqrt(sq) if math.isfinite(sq) else math.inf)
                total += sq
            step_norms.append(math.sqrt(total) if math.isfinite(total) else math.inf)
        self.steps.append(self.global_step)
        for (_, label, _), v in zip(self._layers, step_norms):
            self.norms.setdefault(label, []).append(v)
        self._snapshot = [[p.data.copy() for _, p in params] for _, _, params in self._layers]

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self._snapshot is not None:
            for (_, label, params), before in zip(self._layers, self._snapshot):
                delta = sum(_sq(p.data - b) for (_, p), b in zip(params, before))
                size = sum(_sq(b) for b in before)
                ratio = math.sqrt(delta / size) if size > 0 else math.nan
                self.update_ratios.setdefault(label, []).append(ratio)
            self._snapshot = None
            self._check()
        self.global_step += 1

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.trainer.history.history.setdefault("gradient_warnings", []).append(self._epoch_warnings)
        self._epoch_warnings = 0

    # --------------------------------------------------------------- checking
    def _check(self) -> None:
        step = self.steps[-1]
        current = {label: self.norms[label][-1] for _, label, _ in self._layers}
        finite = [v for v in current.values() if math.isfinite(v)]
        top = max(finite, default=0.0)
        top_label = max(current, key=lambda k: current[k] if math.isfinite(current[k]) else -1.0)
        for name, label, _ in self._layers:
            norm = current[label]
            history = self.norms[label]
            fix = _EXPLODE_HINT.format(layer=_access(name))
            if not math.isfinite(norm):
                self._emit(step, label, "exploding", norm,
                           f"non-finite gradient (‖g‖ = {norm}) in layer {label}; " + fix)
                continue
            ratios = [r for r in self.update_ratios[label][-self.window:] if r == r]
            ratio = float(np.median(ratios)) if len(ratios) >= min(3, self.window) else math.nan
            if ratio > self.max_update_ratio:
                self._emit(step, label, "exploding", ratio,
                           f"exploding updates in layer {label}: over the last {len(ratios)} checks "
                           f"a step changed its weights by ‖Δw‖/‖w‖ = {ratio:.3g} (median; warn "
                           f"above {self.max_update_ratio:g}, healthy ≈ 1e-3), gradient norm "
                           f"{norm:.3g}; " + fix)
            prev = history[-1 - self.window:-1]
            if len(prev) == self.window:
                med = float(np.median(prev))
                if med > 0 and norm > self.jump_factor * med:
                    self._emit(step, label, "exploding", norm,
                               f"exploding gradient in layer {label}: its norm jumped to {norm:.3g}, "
                               f"{norm / med:.1f}× its recent median {med:.3g}; " + fix)
            if self.explode_threshold is not None and norm > self.explode_threshold:
                self._emit(step, label, "exploding", norm,
                           f"gradient too large in layer {label}: ‖g‖ = {norm:.3g} > "
                           f"{self.explode_threshold:g}; " + fix)
            exploded = any(kind == "exploding" for _, kind in self._warned)
            if len(history) >= self.window and label != top_label and not exploded:
                recent = range(len(history) - self.window, len(history))
                tops = [max((v[i] for v in self.norms.values() if math.isfinite(v[i])), default=0.0)
                        for i in recent]
                if all(history[i] < self.vanish_ratio * t or history[i] < self.vanish_threshold
                       for i, t in zip(recent, tops)):
                    self._emit(step, label, "vanishing", norm,
                               f"vanishing gradient in layer {label}: for {self.window} checks its "
                               f"norm stayed below {self.vanish_ratio:g}× the largest layer's (now "
                               f"{norm:.3g} vs {top:.3g} in {top_label}), so " + _VANISH_HINT)

    def _emit(self, step: int, label: str, kind: str, value: float, message: str) -> None:
        if (label, kind) in self._warned:
            return
        self._warned.add((label, kind))
        epoch = self.trainer.epoch if self.trainer is not None else None
        text = f"GradientMonitor (step {step}" + (f", epoch {epoch + 1}" if epoch is not None else "") + f"): {message}"
        self.warnings.append({"step": step, "epoch": epoch, "layer": label, "kind": kind,
                              "value": value, "message": text})
        self._epoch_warnings += 1
        if self.warn:
            _warnings.warn(text, GradientWarning, stacklevel=2)

    def summary(self) -> str:
        """One line per layer: last gradient norm and update ratio."""
        lines = []
        for _, label, _ in self._layers or []:
            g = self.norms.get(label, [math.nan])[-1]
            r = self.update_ratios.get(label, [math.nan])[-1]
            lines.append(f"{label}: ‖g‖ {g:.3g}, ‖Δw‖/‖w‖ {r:.3g}")
        return "\n".join(lines)
