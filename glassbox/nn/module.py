"""``Module``: the base of every layer and model.

A module holds parameters and sub-modules as attributes; assigning a ``Parameter``
or a ``Module`` to an attribute registers it, so ``parameters()``, ``state_dict()``,
``train()``/``eval()`` and ``zero_grad()`` reach everything inside.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from .. import backend
from .. import device as _device
from ..core.tensor import Tensor
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
    def to(self, device: Any) -> "Module":
        """Move every parameter and buffer to ``device`` (``"cpu"``, ``"cuda"``) in place
        and return ``self``. Parameters keep their identity: an optimizer built before
        keeps working, and its state follows on its next ``step()``."""
        return _device.move_module(self, device)

    def cuda(self, device: Any = None) -> "Module":
        return self.to("cuda" if device is None else device)

    def cpu(self) -> "Module":
        return self.to("cpu")

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

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

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if id(param) not in seen:  # a shared parameter is listed once
                    seen.add(id(param))
                    yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self) -> Iterator[tuple[str, Any]]:
        for module_name, module in self.named_modules():
            for name, buf in module._buffers.items():
                yield (f"{module_name}.{name}" if module_name else name), buf

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
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


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
