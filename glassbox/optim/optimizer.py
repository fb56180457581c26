"""``Optimizer``: the shared machinery every update rule plugs into.

All the optimizers of the course follow one template (course notes, "优化算法"):

    1. g_t = ∂loss/∂w_t                         (the gradient, from ``backward()``)
    2. m_t = φ(g_1, ..., g_t)                   (first moment, "一阶动量")
       V_t = ψ(g_1, ..., g_t)                   (second moment, "二阶动量")
    3. η_t = lr · m_t / √V_t                    (the descent step)
    4. w_{t+1} = w_t − η_t

Only step 2–4 differ between SGD, Momentum, Adagrad, RMSprop and Adam, so the base
class owns everything else: the loop over parameter groups and parameters (skipping
parameters whose ``grad`` is ``None``), the step counter ``t``, weight decay,
hyperparameter validation, ``zero_grad`` and the ``state_dict`` round trip. A subclass
declares on the class its hyperparameters' ``rules``, its ``buffers`` (per-parameter state,
zeros like the weight; override ``_init_state`` for other starting values) and its
``suspicious`` values, and writes one method:

    _update(w, g, state, group, tmp)   # one in-place update of the array ``w``

built from ``moving_average_`` and ``lazy_buffer`` where it can.

Weight decay (λ = ``weight_decay``) comes in two flavours, picked by the class
attribute ``_decoupled_weight_decay``:

    L2 (default, as in PyTorch's SGD/Adam/...):  g ← g + λ·w     before the update
    decoupled (AdamW):                           w ← w − lr·λ·w  before the update

Speed: parameters are updated in place (``p.data`` is never rebound, so modules and
checkpoints that hold the array see the new values), every per-parameter buffer is
allocated once, and each update is a short chain of ufuncs writing into a scratch
buffer with ``out=``, so a step allocates nothing. Hyperparameters are stored as Python
floats so they never promote float32 arrays to float64. Gradient arrays are only read:
they may be read-only broadcast views or shared between tensors.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import device as _device
from .. import validate as check
from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor
from ..errors import CheckpointError, GlassboxTypeError, InvalidArgumentError, ShapeError

ParamsT = Iterable[Tensor] | Iterable[Mapping[str, Any]]


# ----------------------------------------------------------------- validation
# A rule checks one hyperparameter: ``rule(where="Adam", betas=(0.9, 0.999)) -> value``, raising
# InvalidArgumentError (a ValueError) that names the optimizer, the value and what was expected.
# Each optimizer class declares its rules in ``rules`` (PyTorch's rule where PyTorch has one);
# values PyTorch accepts but that are almost surely a mistake get an ``OptimizerWarning``
# from ``_check_group``.
Rule = Callable[..., Any]
NON_NEGATIVE: Rule = partial(check.number, low=0.0)
UNIT_INTERVAL: Rule = partial(check.number, low=0.0, high=1.0)
UNIT_HALF_OPEN: Rule = partial(check.number, low=0.0, high=1.0, high_open=True)
BETAS: Rule = partial(check.sequence, length=2, each=UNIT_HALF_OPEN,
                      expected="a pair (beta1, beta2) of numbers, each in [0, 1)")
FLAG: Rule = check.boolean


class OptimizerWarning(UserWarning):
    """A hyperparameter PyTorch accepts but that almost surely breaks training."""


def warn_hyperparameter(where: str, message: str) -> None:
    warnings.warn(f"{where}: {message}", OptimizerWarning, stacklevel=4)


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a hyperparameter (tuples become lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------- the updates' building blocks
def moving_average_(avg: Any, x: Any, beta: float, tmp: Any, squared: bool = False) -> None:
    """avg ← β·avg + (1 − β)·x, or (1 − β)·x² with ``squared``, in place (``tmp`` is overwritten):
    the exponentially weighted average of Momentum, RMSprop, Adam and Adadelta."""
    avg *= beta
    backend.xp.multiply(x, 1.0 - beta, out=tmp)
    if squared:
        tmp *= x
    avg += tmp


def lazy_buffer(state: dict[str, Any], name: str, w: Any) -> Any:
    """``state[name]``, created as zeros shaped like ``w`` when missing (an option such as
    momentum was switched on after this parameter's first step)."""
    buf = state.get(name)
    if buf is None:
        buf = state[name] = backend.xp.zeros_like(w)
    return buf


# ---------------------------------------------------------------- the base class
class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors to optimize, or an iterable of dicts
            ``{"params": [...], "lr": 0.1, ...}`` (parameter groups), each of which may
            override any hyperparameter for its own parameters.
        **defaults: the hyperparameters a group gets when it does not set them.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of tensors) and
            every hyperparameter of the optimizer. Change e.g. ``group["lr"]`` to
            change the learning rate of that group from the next step on.
        state: ``{parameter: {name: array or number}}``, filled on a parameter's
            first update. Every entry holds ``"step"``, the number of updates ``t``.
    """

    #: The rule of every hyperparameter this optimizer takes (subclasses extend it).
    rules: ClassVar[dict[str, Rule]] = {"lr": NON_NEGATIVE, "weight_decay": NON_NEGATIVE}

    #: The per-parameter buffers, zeros shaped like the weight, each with the hyperparameter
    #: that switches it on (None: always), e.g. ``{"exp_avg": None, "max_exp_avg_sq": "amsgrad"}``.
    buffers: ClassVar[dict[str, str | None]] = {}

    #: Values PyTorch accepts that almost surely break training, ``{name: (is_bad, why)}``:
    #: ``is_bad(value)`` true gets an ``OptimizerWarning`` saying ``why`` (``{value!r}`` filled in).
    suspicious: ClassVar[dict[str, tuple[Callable[[Any], bool], str]]] = {}

    #: ``True`` for AdamW-style weight decay ``w ← w − lr·λ·w``; ``False`` for L2 ``g ← g + λ·w``.
    _decoupled_weight_decay: bool = False

    def __init__(self, params: ParamsT, **defaults: Any) -> None:
        name = type(self).__name__
        for key in defaults:
            if key not in self.rules:
                raise GlassboxTypeError(f"{name}: no rule for hyperparameter `{key}` in {name}.rules")
        if "lr" not in defaults or "weight_decay" not in defaults:
            raise GlassboxTypeError(f"{name}: every optimizer needs `lr` and `weight_decay`")
        self.defaults: dict[str, Any] = {k: self._checked(k, v) for k, v in defaults.items()}
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        # Scratch arrays for the updates: one flat pool per (dtype, slot) sized for the
        # largest parameter, shared by all parameters (updates run one after another),
        # so the extra memory is one parameter's worth, not a copy of the model.
        self._pools: dict[tuple[str, int], Any] = {}
        self._scratch: dict[Tensor, list[Any]] = {}  # per parameter: views into the pools

        if isinstance(params, Tensor):
            raise GlassboxTypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, got a single "
                "Tensor (wrap it in a list)"
            )
        if isinstance(params, Mapping):
            raise GlassboxTypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, got one dict "
                "(wrap it in a list)"
            )
        groups = list(params)
        if not groups:
            raise InvalidArgumentError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters, with optional hyperparameters of its own.

        Hyperparameters the group does not set are taken from ``defaults``. A parameter
        may belong to only one group.
        """
        name = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise GlassboxTypeError(f"{name}: a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise InvalidArgumentError(f"{name}: a parameter group needs a 'params' entry")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise GlassboxTypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if p.dtype.kind not in "fc":
                raise GlassboxTypeError(f"{name}: can only optimize floating-point tensors, got "
                                f"dtype {p.dtype}")
            if not p.is_leaf:
                raise InvalidArgumentError(f"{name}: can't optimize a non-leaf Tensor (one computed "
                                 "by an op); optimize the leaves it came from")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise InvalidArgumentError(f"{name}: a parameter appears twice in the same group")
        if seen.intersection(ids):
            raise InvalidArgumentError(f"{name}: some parameters appear in more than one parameter group")

        group: dict[str, Any] = {"params": params}
        for key, value in param_group.items():
            if key == "params":
                continue
            if key not in self.defaults:
                raise InvalidArgumentError(
                    f"{name}: unknown hyperparameter `{key}` in a parameter group; "
                    f"{name} has: {', '.join(self.defaults)}"
                )
            group[key] = self._checked(key, value)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _checked(self, key: str, value: Any) -> Any:
        """``value`` checked by this class's rule for ``key`` (and normalised: floats, tuples)."""
        return self.rules[key](where=type(self).__name__, **{key: value})

    def _check_group(self, group: dict[str, Any]) -> None:
        """Checks that involve several hyperparameters (extend when needed), then one
        ``OptimizerWarning`` per value that PyTorch accepts but that almost surely breaks
        training (``_mistakes``)."""
        for message in self._mistakes(group):
            warn_hyperparameter(type(self).__name__, message)

    def _mistakes(self, group: dict[str, Any]) -> list[str]:
        """What is almost surely wrong with ``group``'s values: the class's ``suspicious``
        values, and ``eps = 0`` where ``_eps_divides`` says ε is all that keeps a zero
        gradient from dividing 0 by 0 (PyTorch accepts it; the weight becomes NaN)."""
        found = [why.format(value=group[name]) for name, (is_bad, why) in self.suspicious.items()
                 if is_bad(group[name])]
        if self._eps_divides(group) and group.get("eps") == 0.0:
            found.append("eps=0 divides 0 by 0 for every weight whose gradient (and running "
                         "average) is 0, which turns those weights into NaN in one step. PyTorch "
                         f"accepts eps=0, but use eps > 0 (default {self.default_eps()!r})")
        return found

    def hyperparameter_mistakes(self) -> list[str]:
        """Every ``OptimizerWarning`` this optimizer's current groups deserve (the divergence
        detector names them as the likely cause)."""
        return [f"{type(self).__name__}: {m}" for g in self.param_groups for m in self._mistakes(g)]

    def _eps_divides(self, group: dict[str, Any]) -> bool:
        """True when the update divides by (something that is 0 for a zero gradient) + ε."""
        return False

    @classmethod
    def default_eps(cls) -> Any:
        import inspect
        return inspect.signature(cls.__init__).parameters["eps"].default

    # -------------------------------------------------------------------- step
    def zero_grad(self) -> None:
        """Forget all gradients (``p.grad = None``) before the next ``backward()``."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once.

        ``closure`` (optional) re-evaluates the model and returns the loss; it is called
        with gradient recording on, before the update, and its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        on_device = backend.cuda_loaded()
        states = self.state
        scratch = self._scratch
        decoupled = self._decoupled_weight_decay
        update = self._update
        for group in self.param_groups:
            wd = group["weight_decay"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                w = p.data
                g = grad.data
                if g.shape != w.shape:
                    raise ShapeError(
                        f"{type(self).__name__}: gradient of shape {g.shape} does not "
                        f"match its parameter of shape {w.shape}"
                    )
                with backend.using((w, g), type(self).__name__) as xp:  # on w's device
                    state = states.get(p)
                    if state is None:
                        state = states[p] = {"step": 0, **self._init_state(w, group)}
                    elif on_device:  # the model moved (Module.to): the state follows
                        _device.follow(state, w)
                    bufs = scratch.get(p)
                    if bufs is None or (on_device and type(bufs[0]) is not type(w)):
                        bufs = scratch[p] = [self._scratch_view(w, 0), None]
                    state["step"] += 1
                    if wd != 0.0:
                        if decoupled:  # w ← w − lr·λ·w
                            xp.multiply(w, 1.0 - group["lr"] * wd, out=w)
                        else:  # g ← g + λ·w, into a buffer: the gradient array is read-only
                            dbuf = bufs[1]
                            if dbuf is None:
                                dbuf = bufs[1] = self._scratch_view(w, 1)
                            xp.multiply(w, wd, out=dbuf)
                            xp.add(dbuf, g, out=dbuf)
                            g = dbuf
                    update(w, g, state, group, bufs[0])
                p._bump_version()  # w changed in place: a graph that saved it must not backprop
        return loss

    def _scratch_view(self, w: Any, slot: int) -> Any:
        """A scratch array shaped like ``w``: a view into the shared pool ``slot``."""
        key = (w.dtype.str, slot, type(w))  # one pool per dtype and device
        pool = self._pools.get(key)
        if pool is None or pool.size < w.size:
            size = max(p.data.size for g in self.param_groups for p in g["params"]
                       if p.data.dtype == w.dtype)
            pool = self._pools[key] = backend.xp.empty(max(size, w.size), dtype=w.dtype)
            # views into the old, smaller pool would keep it alive: drop them (rebuilt lazily)
            stale = [p for p, bufs in self._scratch.items()
                     if any(b is not None and b.dtype == w.dtype and type(b) is type(w)
                            for b in bufs)]
            for p in stale:
                del self._scratch[p]
        return pool[: w.size].reshape(w.shape)

    # ------------------------------------------------------- subclass interface
    def _init_state(self, w: Any, group: dict[str, Any]) -> dict[str, Any]:
        """The per-parameter state before the first update (``"step"`` is added by the base):
        the ``buffers`` that ``group`` switches on."""
        xp = backend.xp
        return {name: xp.zeros_like(w) for name, option in self.buffers.items()
                if option is None or group[option]}

    def _update(self, w: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                tmp: Any) -> None:
        """Update the array ``w`` in place given its gradient ``g`` (weight decay applied).

        ``state["step"]`` is already ``t`` (1 on the first update). ``tmp`` is a scratch
        array shaped like ``w`` that the update may overwrite freely. ``g`` must not be
        written to.
        """
        raise NotImplementedError

    # -------------------------------------------------------------- state dict
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data, for checkpoints.

        Returns ``{"state": {index: {name: ndarray or number}}, "param_groups": [...]}``.
        Parameters are numbered 0, 1, 2, ... in group order; each group lists its
        parameters' indices under ``"params"`` and its hyperparameters as plain numbers
        (``betas`` as a list). Arrays are copies, so later steps do not change them.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s is None:
                    continue
                state[index[id(p)]] = {
                    k: (backend.to_numpy(v).copy() if hasattr(v, "shape") and not
                        isinstance(v, np.generic) else _plain(v))
                    for k, v in s.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (possibly after a JSON/npz round trip).

        The optimizer must have been built over the same parameters: the number of
        groups, the number of parameters in each and the shape of every state array must
        match, or a ``CheckpointError`` (a ValueError) says what differs. Nothing changes unless the whole
        dict is valid. Hyperparameters are taken from the loaded groups.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise CheckpointError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups' entries")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise CheckpointError(
                f"{name}.load_state_dict: the loaded state has {len(saved_groups)} parameter "
                f"group(s), this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        new_groups = []
        for i, (saved, own) in enumerate(zip(saved_groups, self.param_groups)):
            saved_params = list(saved.get("params", []))
            if len(saved_params) != len(own["params"]):
                raise CheckpointError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved_params)} "
                    f"parameter(s) in the loaded state, {len(own['params'])} in this optimizer"
                )
            group: dict[str, Any] = {"params": own["params"]}
            for key in self.defaults:
                if key not in saved and isinstance(self.defaults[key], bool):
                    group[key] = self.defaults[key]  # an option added later (amsgrad): off
                    continue
                if key not in saved:
                    raise CheckpointError(f"{name}.load_state_dict: parameter group {i} lacks "
                                     f"hyperparameter `{key}`")
                try:
                    group[key] = self._checked(key, saved[key])
                except (ValueError, TypeError) as exc:
                    raise CheckpointError(f"{name}.load_state_dict: parameter group {i}: {exc}") from None
            for key, value in saved.items():  # extra entries (e.g. a scheduler's) pass through
                if key not in group:
                    group[key] = value
            self._check_group(group)
            new_groups.append(group)
            for idx, p in zip(saved_params, own["params"]):
                by_index[int(idx)] = (p, group)

        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, saved in dict(state_dict["state"]).items():
            idx = int(key)
            if idx not in by_index:
                raise CheckpointError(f"{name}.load_state_dict: state for parameter {idx}, which "
                                 "no parameter group lists")
            p, group = by_index[idx]
            with backend.using((p.data,), name) as xp:  # the state goes to p's device
                expected = {"step": 0, **self._init_state(p.data, group)}
            missing = set(expected) - set(saved)
            extra = set(saved) - set(expected)
            if missing or extra:
                raise CheckpointError(
                    f"{name}.load_state_dict: state of parameter {idx} has entries "
                    f"{sorted(saved)}, expected {sorted(expected)}"
                )
            entry: dict[str, Any] = {}
            for k, ref in expected.items():
                value = saved[k]
                if hasattr(ref, "shape"):
                    shape = tuple(getattr(value, "shape", ()))
                    if shape != ref.shape:
                        raise CheckpointError(
                            f"{name}.load_state_dict: state '{k}' of parameter {idx} has "
                            f"shape {shape}, expected {tuple(ref.shape)} (the parameter's shape)"
                        )
                    entry[k] = xp.asarray(np.array(backend.to_host(value), dtype=p.dtype))
                else:
                    if hasattr(value, "shape") and tuple(value.shape) != ():
                        raise CheckpointError(f"{name}.load_state_dict: state '{k}' of parameter "
                                         f"{idx} should be a number, got shape {value.shape}")
                    number = value.item() if hasattr(value, "item") else value
                    entry[k] = int(number) if isinstance(ref, int) else float(number)
            new_state[p] = entry

        for own, group in zip(self.param_groups, new_groups):
            own.clear()
            own.update(group)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key, value in group.items():
                if key != "params":
                    lines.append(f"    {key}: {value}")
        lines.append(")")
        return "\n".join(lines)
