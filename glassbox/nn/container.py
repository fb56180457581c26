"""Containers: ``Sequential`` (layers applied in order), ``ModuleList``, ``Flatten``."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator

from ..core.tensor import Tensor
from .module import Module


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
                if not isinstance(layer, Module):
                    raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a Module")
                self.add_module(str(i), layer)

    def forward(self, x: Any) -> Any:
        for name, layer in self._modules.items():
            try:
                x = layer(x)
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
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Flatten(Module):
    """Flattens axes ``start_dim``… into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(*x.shape[: self.start_dim], -1)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
