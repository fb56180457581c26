"""``Module``: the base of every layer and model.

A module holds parameters and sub-modules as attributes; assigning a ``Parameter``
or a ``Module`` to an attribute registers it, so ``parameters()``, ``state_dict()``,
``train()``/``eval()`` and ``zero_grad()`` reach everything inside.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .. import backend
from .. import device as _device
from ..core.tensor import Tensor
from ..errors import GlassboxRuntimeError, GlassboxTypeError
from .parameter import Parameter


def _buffer_array(value: Any, old: Any) -> Any:
    """A buffer's array: a tensor's data, a device array as it is, anything else through
    NumPy — placed on the device of the buffer it replaces (``old``), else where new
    parameters go (``backend.xp``, NumPy unless ``backend.use`` chose the device)."""
    if isinstance(value, Tensor):
        value = value.data
    elif backend.is_host(value):
        value = np.asarray(value)
    if old is not None:
        return backend.to_device(value, _device.of_array(old))
    return value if backend.xp is np else backend.xp.asarray(value)


class Module:
    """Base class for layers and models: override ``forward``; call the module to run it."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            self._buffers[name] = _buffer_array(value, self._buffers[name])
            object.__setattr__(self, name, self._buffers[name])
            return
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (``None`` records an absent optional parameter)."""
        if param is None:
            object.__setattr__(self, name, None)
            self._parameters.pop(name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """A non-trainable array saved in ``state_dict`` (e.g. batch norm's running mean)."""
        array = _buffer_array(value, None)
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is None:
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    # ------------------------------------------------------------------ devices
    def cuda(self, device: Any = None) -> "Module":
        return self.to("cuda" if device is None else device)

    def cpu(self) -> "Module":
        return self.to("cpu")

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward``; a NumPy (or backend) array argument is wrapped as an untracked
        Tensor first (floating data in the dtype of the module's parameters)."""
        if any(isinstance(a, (np.ndarray, backend.xp.ndarray)) for a in args):
            args = tuple(self._wrap_input(a) for a in args)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def _wrap_input(self, value: Any) -> Any:
        if not isinstance(value, (np.ndarray, backend.xp.ndarray)):
            return value
        array = backend.xp.asarray(value)
        if array.dtype.kind == "f":
            param = next(self.parameters(), None)
            dtype = param.dtype if param is not None and param.dtype.kind == "f" else np.float32
            array = array.astype(dtype, copy=False)
        return Tensor._from_op(array, None)

    def register_forward_hook(self, hook: Any) -> "RemovableHandle":
        """Call ``hook(module, inputs, output)`` after every forward; it may return a new output.
        Returns a handle whose ``remove()`` unregisters it (``summary`` uses this)."""
        key = object()
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # ---------------------------------------------------------------- traversal
    def children(self) -> Iterator["Module"]:
        yield from self._modules.values()

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        yield from self._modules.items()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if id(value) not in seen:  # a shared parameter is listed once
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) of this module and (``recurse``) its sub-modules."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Any]]:
        """(dotted name, array) of every buffer (e.g. ``bn1.running_mean``)."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at the dotted path ``target`` ("layer1.0.conv1"); "" is ``self``."""
        module: Module = self
        done: list[str] = []
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                where = ".".join(done) or type(self).__name__
                raise AttributeError(f"get_submodule: {where} has no sub-module {part!r} "
                                     f"(it has: {list(module._modules)})")
            module = child
            done.append(part)
        return module

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn(module)`` on every sub-module (children first) and on ``self``, e.g. to
        initialize weights; returns ``self``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # -------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> "Module":
        """Training mode: dropout drops, batch norm uses batch statistics."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: deterministic (dropout off, batch norm's running statistics)."""
        return self.train(False)

    @contextmanager
    def eval_mode(self) -> Iterator["Module"]:
        """``with model.eval_mode():`` runs in evaluation mode, then gives every sub-module
        back its own previous mode (also when the block raises)."""
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            yield self
        finally:
            for module, mode in modes:
                object.__setattr__(module, "training", mode)

    # ------------------------------------------------------------ dtype / device
    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> "Module":
        """``model.to(np.float64)`` casts every floating parameter and buffer;
        ``model.to("cuda")``/``model.to(gb.device("cpu"))`` moves them to the device. Both
        happen in place and keep the Parameter objects, so an optimizer built before keeps
        working (its state follows on its next ``step()``). Returns ``self``, as PyTorch."""
        for arg in args:
            if _is_dtype(arg):
                dtype = arg
            else:
                device = arg
        if dtype is not None:
            self._cast_floating(np.dtype(dtype))
        if device is not None:
            self._move_to(device)
        return self

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    def _cast_floating(self, dtype: np.dtype) -> None:
        if dtype.kind != "f":
            raise GlassboxTypeError(f"{type(self).__name__}.to: expected a floating dtype, got {dtype}")
        for param in self.parameters():
            if param.data.dtype.kind == "f" and param.data.dtype != dtype:
                param.data = param.data.astype(dtype)
                if param.grad is not None:
                    param.grad = None
        for module in self.modules():
            for name, buf in list(module._buffers.items()):
                if buf is not None and buf.dtype.kind == "f" and buf.dtype != dtype:
                    module._buffers[name] = buf.astype(dtype)
                    object.__setattr__(module, name, module._buffers[name])

    def _move_to(self, device: Any) -> None:
        _device.move_module(self, device)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (False) or unfreeze (True) every parameter of this module."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # --------------------------------------------------------------- state dict
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Every parameter and buffer by dotted name, as NumPy arrays (copies)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for module_name, module in self.named_modules():
            items = list(module._parameters.items()) + list(module._buffers.items())
            for name, value in items:
                array = value.numpy() if isinstance(value, Tensor) else backend.to_host(value)
                state[f"{module_name}.{name}" if module_name else name] = array.copy()
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers in place, checking names and shapes."""
        own = self._state_targets()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        mismatched = [
            f"{k}: checkpoint {tuple(np.shape(state[k]))} vs model {own[k].shape}"
            for k in own if k in state and tuple(np.shape(state[k])) != own[k].shape
        ]
        if mismatched:
            raise ValueError(
                f"load_state_dict for {type(self).__name__}: shape mismatch for "
                + "; ".join(mismatched)
            )
        for key, target in own.items():
            if key in state:
                value = state[key]
                value = value.data if isinstance(value, Tensor) else value
                target[...] = backend.to_device(value, _device.of_array(target))

    def _state_targets(self) -> dict[str, np.ndarray]:
        targets: dict[str, np.ndarray] = {}
        for module_name, module in self.named_modules():
            for name, param in module._parameters.items():
                targets[f"{module_name}.{name}" if module_name else name] = param.data
            for name, buf in module._buffers.items():
                targets[f"{module_name}.{name}" if module_name else name] = buf
        return targets

    # --------------------------------------------------------------------- repr
    #: The layer's hyperparameters (PyTorch's name for the list), shown by the default
    #: ``extra_repr`` as ``name=value``.
    __constants__: tuple[str, ...] = ()

    def extra_repr(self) -> str:
        """The text inside ``repr``'s parentheses: ``name=value`` for each name in
        ``__constants__`` (``inplace`` only when True, as PyTorch prints it)."""
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__constants__
                         if name != "inplace" or getattr(self, name))

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _is_dtype(value: Any) -> bool:
    """A NumPy dtype, type or name ("float64"), as opposed to a device ("cpu", gb.device)."""
    if isinstance(value, str):
        return value not in ("cpu", "cuda") and not value.startswith(("cpu:", "cuda:"))
    return isinstance(value, (np.dtype, type))


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` takes the hook away again."""

    def __init__(self, registry: dict, key: object) -> None:
        self.registry, self.key = registry, key

    def remove(self) -> None:
        self.registry.pop(self.key, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
