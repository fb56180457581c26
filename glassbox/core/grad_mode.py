"""Switching graph recording on and off (``no_grad``, ``enable_grad``)."""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


class _GradMode:
    enabled: bool = True


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward()`` walks."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager / decorator that sets graph recording on or off, then restores it."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = True

    def __enter__(self) -> None:
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _GradMode.enabled = self.prev

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Ops inside record no graph: use it for inference and parameter updates.
    Works as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``."""

    def __new__(cls, fn: Callable | None = None):
        if fn is not None:  # used as a bare decorator
            return cls()(fn)
        return super().__new__(cls)

    def __init__(self, fn: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn graph recording back on inside a ``no_grad`` block (also ``@enable_grad``)."""

    def __new__(cls, fn: Callable | None = None):
        if fn is not None:
            return cls()(fn)
        return super().__new__(cls)

    def __init__(self, fn: Callable | None = None) -> None:
        super().__init__(True)
