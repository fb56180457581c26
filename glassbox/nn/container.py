"""Containers: ``Sequential`` (layers applied in order), ``ModuleList``, ``ModuleDict``,
``ParameterList``; and ``Flatten``."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import GlassboxTypeError
from . import functional as F
from . import fusion
from .module import Module
from .parameter import Parameter


class Sequential(Module):
    """Applies its layers in order: ``Sequential(Linear(784, 256), ReLU(), Linear(256, 10))``.

    Layers are named "0", "1", … (or by the keys of an ``OrderedDict``). An error inside a
    layer is re-raised naming that layer, so a wrong input width says where it happened.
    """

    def __init__(self, *layers: Module | "OrderedDict[str, Module]") -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            for i, layer in enumerate(layers):
                self.add_module(str(i), _module(layer, "Sequential", i))

    def forward(self, x: Any) -> Any:
        names, layers = list(self._modules), list(self._modules.values())
        i = 0
        while i < len(layers):  # runs rewritten where exact: see nn/fusion.py
            name, layer = names[i], layers[i]
            try:
                x, run = fusion.forward_fused(layers, i, x)
                if not run:
                    x, run = layer(x), 1
                i += run
            except (ValueError, TypeError) as exc:
                if getattr(exc, "_glassbox_located", False):
                    raise
                try:
                    located = type(exc)(f"in layer '{name}' ({type(layer).__name__}) of Sequential: {exc}")
                except Exception:  # an exception type that takes other arguments
                    raise exc from None
                located._glassbox_located = True  # type: ignore[attr-defined]
                raise located from exc
        return x

    def __getitem__(self, index: int | slice) -> Module:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), layer)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (unlike a plain Python list)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), _module(module, "ModuleList", len(self._modules)))
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[index]) if isinstance(index, slice) else items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[index]
        self.add_module(key, _module(module, "ModuleList", key))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


def _module(value: Any, owner: str, key: Any) -> Module:
    if not isinstance(value, Module):
        raise GlassboxTypeError(f"{owner}: item {key!r} is a {type(value).__name__}, not a Module")
    return value


class ModuleDict(Module):
    """Named sub-modules in insertion order, registered (``ModuleDict({"conv": …, "fc": …})``);
    the keys become parameter-name prefixes (``conv.weight``)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _key(self, key: Any) -> str:
        if not isinstance(key, str) or not key or "." in key:
            raise check.invalid("key", "a non-empty string without dots", key, type(self).__name__)
        return key

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"{type(self).__name__}: no module named {key!r}; keys: {list(self._modules)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(self._key(key), _module(module, type(self).__name__, key))

    def __delitem__(self, key: str) -> None:
        self[key]  # the KeyError names the keys
        delattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        for key, module in (modules.items() if isinstance(modules, Mapping) else modules):
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]


class ParameterList(Module):
    """A list of Parameters, registered as "0", "1", … (a plain list would hide them from
    ``parameters()`` and the optimizer)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        param = value if isinstance(value, Parameter) else Parameter(value)
        self.register_parameter(str(len(self._parameters)), param)
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, index: int) -> Parameter:
        return list(self._parameters.values())[index]

    def __setitem__(self, index: int, value: Any) -> None:
        key = list(self._parameters)[index]
        self.register_parameter(key, value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter of shape {tuple(p.shape)}" for k, p in self._parameters.items())


class Flatten(Module):
    """Flattens dimensions ``start_dim`` … ``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    __constants__ = ("start_dim", "end_dim")

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim, where=self)
