"""Weight penalties (L2, L1), a regularized loss, and the max-norm constraint.

L2 regularization (course notes, "正则化-L2") adds the squared weights to the cost:

    J(w, b) = (1/m) Σᵢ ℓ(ŷ⁽ⁱ⁾, y⁽ⁱ⁾) + λ/(2m) · Σₗ ‖W⁽ˡ⁾‖²_F
    dW⁽ˡ⁾ = (from backprop) + (λ/m) · W⁽ˡ⁾

so gradient descent becomes W := (1 − ηλ/m)·W − η·(from backprop): every step first
shrinks the weights by the factor (1 − ηλ/m), hence the name *weight decay*.

L2 penalty vs. the optimizers' ``weight_decay``:

* plain SGD: adding λ/(2m)‖W‖² to the loss gives exactly the update of
  ``SGD(..., weight_decay=λ/m)`` (g ← g + (λ/m)·W) and of decoupled decay
  W ← W − η·(λ/m)·W: the three are one and the same step (tested).
* Adam (and RMSprop, Adagrad): the penalty's gradient (λ/m)·W joins g *before* the
  division by √V̂ + ε, so each coordinate's decay is divided by that coordinate's
  gradient scale: weights with large or frequent gradients are decayed *less* than
  quiet ones, and the "decay" no longer means shrinking by a fixed fraction. That is
  why AdamW decouples it: W ← W − η·λ'·W outside the adaptive step, the same shrink for
  every weight (Loshchilov & Hutter).

L1 (λ/m)·Σ|W| pushes weights to exactly 0 (sparse weights); its gradient is (λ/m)·sign(W).

By default only *weights* are penalized, not biases: a parameter counts as a weight when
it has 2 or more dimensions (Linear and Conv2d weights; biases and batch-norm γ/β are
1-D). The course penalizes ‖W‖ only, since the biases are few and do not make the
model more complex.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Union

from .. import backend
from .. import validate as check
from ..core.tensor import Tensor
from ..ops.penalty import AbsSum, SquaredNorm
from .module import Module

Include = Union[None, str, Callable[[str, Tensor], bool]]

__all__ = [
    "l2_penalty", "l1_penalty", "Regularized", "apply_max_norm", "is_weight", "select_parameters",
]


def is_weight(name: str, param: Tensor) -> bool:
    """The default rule: a parameter with 2+ dimensions is a weight (a bias or BN scale is 1-D)."""
    return param.ndim >= 2


def _include_fn(include: Include, where: str) -> Callable[[str, Tensor], bool]:
    if include is None:
        return is_weight
    if include == "all":
        return lambda name, p: True
    if isinstance(include, str):
        pattern = re.compile(include)
        return lambda name, p: pattern.search(name) is not None
    if callable(include):
        return include
    raise TypeError(f"{where}: include must be None (weights only), 'all', a regular expression "
                    f"on parameter names, or a function (name, param) -> bool; got {include!r}")


def select_parameters(params: Any, include: Include = None, key: str | None = None,
                      default: float = 0.0, where: str = "select_parameters"
                      ) -> list[tuple[float, list[tuple[str, Tensor]]]]:
    """Which parameters a penalty or constraint acts on, as ``[(coefficient, [(name, param)])]``.

    ``params`` is a ``Module`` (named parameters), an iterable of Tensors (named
    ``param0``, ``param1``, ...), or an iterable of parameter-group dicts
    ``{"params": [...], key: coefficient}`` where a group's ``key`` entry (e.g. ``"l2"``)
    overrides ``default`` for its parameters. ``include`` picks among them (default:
    weights only, see ``is_weight``).
    """
    keep = _include_fn(include, where)
    if isinstance(params, Module):
        groups: list[tuple[float, list[tuple[str, Tensor]]]] = [(default, list(params.named_parameters()))]
    elif isinstance(params, Tensor):
        groups = [(default, [("param0", params)])]
    else:
        items = list(params)
        if items and all(isinstance(g, Mapping) for g in items):
            groups, i = [], 0
            for g in items:
                if "params" not in g:
                    raise ValueError(f"{where}: a parameter group needs a 'params' entry")
                ps = g["params"]
                ps = [ps] if isinstance(ps, Tensor) else list(ps.parameters() if isinstance(ps, Module) else ps)
                coeff = g.get(key, default) if key else default
                groups.append((check.number(**{key or "coefficient": coeff}, low=0.0, where=where),
                               [(f"param{i + j}", p) for j, p in enumerate(ps)]))
                i += len(ps)
        else:
            groups = [(default, [(f"param{i}", p) for i, p in enumerate(items)])]
    for _, named in groups:
        for name, p in named:
            if not isinstance(p, Tensor):
                raise TypeError(f"{where}: expected Tensors/Parameters, got {type(p).__name__} for {name}")
    return [(c, [(n, p) for n, p in named if keep(n, p)]) for c, named in groups]


def _penalty(op: type[Function], params: Any, lam: float, m: float, include: Include,
             key: str, per_param: Callable[[float, float], float], where: str) -> Tensor:
    lam = check.number(lam=lam, low=0.0, where=where)
    m = check.number(m=m, low=0.0, low_open=True, where=where)  # the examples the loss averages over
    terms = []
    dtype = None
    for coeff, named in select_parameters(params, include, key, lam, where):
        tensors = [p for _, p in named]
        if tensors:
            dtype = dtype or tensors[0].dtype
        if tensors and coeff != 0.0:
            terms.append(op.apply(*tensors, scale=per_param(coeff, m)))
    if not terms:
        return Tensor(0.0, dtype=dtype)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l2_penalty(params: Any, lam: float, m: float = 1, include: Include = None) -> Tensor:
    """The course's L2 term λ/(2m) · Σ ‖W‖²_F, as a Tensor to add to the loss.

    Its gradient is (λ/m)·W for every penalized W. With the default ``m=1`` it is
    λ/2·‖W‖², whose gradient λ·W equals the optimizers' ``weight_decay=λ``.

    Args:
        params: a Module, an iterable of Tensors, or parameter-group dicts whose ``"l2"``
            entry sets that group's λ (see ``select_parameters``).
        lam: λ ≥ 0.
        m: the number of examples the data loss averages over (the batch size).
        include: which parameters: None = weights only (2+ dimensions), "all", a regular
            expression searched in the parameter names, or a function (name, param) -> bool.
    """
    return _penalty(SquaredNorm, params, lam, m, include, "l2", lambda c, m: c / (2.0 * m), "l2_penalty")


def l1_penalty(params: Any, lam: float, m: float = 1, include: Include = None) -> Tensor:
    """The L1 term λ/m · Σ |W|, as a Tensor; gradient (λ/m)·sign(W). Arguments as ``l2_penalty``
    (a group's ``"l1"`` entry sets its λ)."""
    return _penalty(AbsSum, params, lam, m, include, "l1", lambda c, m: c / m, "l1_penalty")


class Regularized:
    """A loss plus weight penalties: ``loss_fn(out, y) + λ₂/(2m)·Σ‖W‖² + λ₁/m·Σ|W|``.

    ``m`` is the batch size, read from the target's first dimension, so with a mean
    loss this is exactly the course's regularized cost J on each mini-batch. With
    ``reduction="sum"`` the data loss is not divided by m, so neither is the penalty (m = 1).

    While the model is in eval mode (``evaluate``, the validation pass of ``fit``) only
    the data loss is returned, so ``val_loss`` stays comparable across λ; the training
    loss that ``fit`` reports includes the penalty.

        loss_fn = Regularized(nn.CrossEntropyLoss(), model, l2=0.01)
        fit(model, loss_fn, optimizer, (x, y))
    """

    def __init__(self, loss_fn: Callable[[Any, Any], Tensor], model: Any, l2: float = 0.0,
                 l1: float = 0.0, include: Include = None) -> None:
        if not callable(loss_fn):
            raise TypeError(f"Regularized: loss_fn must be callable, got {type(loss_fn).__name__}")
        self.loss_fn, self.model = loss_fn, model
        self.l2 = check.number(l2=l2, low=0.0, where="Regularized")
        self.l1 = check.number(l1=l1, low=0.0, where="Regularized")
        self.include = include
        select_parameters(model, include, where="Regularized")  # fail now on bad input

    @property
    def reduction(self) -> str:
        return getattr(self.loss_fn, "reduction", "mean")

    def penalty(self, m: float) -> Tensor:
        total = None
        if self.l2:
            total = l2_penalty(self.model, self.l2, m, self.include)
        if self.l1:
            p1 = l1_penalty(self.model, self.l1, m, self.include)
            total = p1 if total is None else total + p1
        return total if total is not None else Tensor(0.0)

    def __call__(self, out: Any, target: Any) -> Tensor:
        loss = self.loss_fn(out, target)
        if not getattr(self.model, "training", True) or not (self.l2 or self.l1):
            return loss
        m = 1 if self.reduction == "sum" else max(1, len(target))
        return loss + self.penalty(m)

    def __repr__(self) -> str:
        return f"Regularized({self.loss_fn!r}, l2={self.l2:g}, l1={self.l1:g})"


def apply_max_norm(params: Any, max_value: float, include: Include = None, eps: float = 1e-7) -> int:
    """Max-norm constraint: rescale each unit's incoming weight vector to norm ≤ c, in place.

    For a weight W of shape (out, ...) (Linear (out, in), Conv2d (out, in, kh, kw)) row j
    holds unit j's incoming weights:

        w_j ← w_j · min(1, c / (‖w_j‖ + eps))

    Call it after every ``optimizer.step()`` (the ``MaxNorm`` callback does). Returns how
    many rows were rescaled.
    """
    c = check.number(max_value=max_value, low=0.0, low_open=True, where="apply_max_norm")
    xp = backend.xp
    clipped = 0
    for _, named in select_parameters(params, include, where="apply_max_norm"):
        for _, p in named:
            w = p.data
            if w.ndim < 2:
                continue
            axes = tuple(range(1, w.ndim))
            norms = xp.sqrt((w * w).sum(axis=axes, keepdims=True))
            over = norms > c
            n = int(over.sum())
            if n:
                scale = xp.where(over, c / (norms + eps), 1.0).astype(w.dtype)
                w *= scale
                clipped += n
    return clipped
