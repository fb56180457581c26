"""Argument checks, written once, that read as sentences.

Every public function and class of glassbox checks its arguments here, so every message
has one style (Keras's): what was expected, what was received, and where.

    check.positive_int(batch_size=32, where="fit")              -> 32
    check.number(lr=0.1, low=0.0, where="SGD")                  -> 0.1
    check.number(momentum=0.9, low=0.0, high=1.0, high_open=True, where="SGD")
    check.one_of(reduction="mean", choices=("mean", "sum", "none"), where="cross_entropy")
    check.axis(-1, ndim=2, where="softmax")                     -> 1
    check.shape(x, ndim=4, where="Conv2d")

Each helper takes the checked value as its single keyword argument (its name is the
argument's name in the message) and returns the value, normalised.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import AxisError, GlassboxTypeError, InvalidArgumentError, ShapeError


def _one(kwargs: dict[str, Any], helper: str) -> tuple[str, Any]:
    if len(kwargs) != 1:
        raise TypeError(f"check.{helper} takes exactly one keyword argument, got {sorted(kwargs)}")
    return next(iter(kwargs.items()))


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def invalid(name: str, expected: str, value: Any, where: str | None = None,
            error: type[Exception] = InvalidArgumentError) -> Exception:
    """The one message format: ``where: Received an invalid value for `name`, expected …``."""
    return error(f"{_prefix(where)}Received an invalid value for `{name}`, expected {expected}. "
                 f"Received: {name}={value!r}")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) \
        and type(value).__name__ != "bool_"


def number(*, where: str | None = None, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, finite: bool = True,
           **kwargs: Any) -> float:
    """A real number (not a bool) in [low, high]; ``low_open``/``high_open`` exclude the ends."""
    name, value = _one(kwargs, "number")
    expected = _describe_range(low, high, low_open, high_open)
    if not _is_real(value):
        raise invalid(name, expected, value, where)
    x = float(value)
    if math.isnan(x) or (finite and math.isinf(x)):
        raise invalid(name, expected, value, where)
    if low is not None and (x < low or (low_open and x == low)):
        raise invalid(name, expected, value, where)
    if high is not None and (x > high or (high_open and x == high)):
        raise invalid(name, expected, value, where)
    return x


def _describe_range(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a number {'<' if high_open else '<='} {high:g}"
    return f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def integer(*, where: str | None = None, low: int | None = None, high: int | None = None,
            **kwargs: Any) -> int:
    """An integer (not a bool, not a float) in [low, high]."""
    name, value = _one(kwargs, "integer")
    if low is not None and high is not None:
        expected = f"an integer in [{low}, {high}]"
    elif low is not None:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
    else:
        expected = "an integer"
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise invalid(name, expected, value, where)
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(name, expected, value, where)
    return int(value)


def positive_int(*, where: str | None = None, **kwargs: Any) -> int:
    """An integer >= 1."""
    name, value = _one(kwargs, "positive_int")
    return integer(where=where, low=1, **{name: value})


def non_negative_int(*, where: str | None = None, **kwargs: Any) -> int:
    """An integer >= 0."""
    name, value = _one(kwargs, "non_negative_int")
    return integer(where=where, low=0, **{name: value})


def probability(*, where: str | None = None, high_open: bool = False, **kwargs: Any) -> float:
    """A number in [0, 1] (or [0, 1) with ``high_open``)."""
    name, value = _one(kwargs, "probability")
    return number(where=where, low=0.0, high=1.0, high_open=high_open, **{name: value})


def sequence(*, length: int, each: Any, where: str | None = None, expected: str | None = None,
             **kwargs: Any) -> tuple[Any, ...]:
    """A sequence of ``length`` items, each checked by ``each(where=..., name=item)`` (e.g.
    ``partial(check.number, low=0, high=1, high_open=True)``); returned as a tuple.

    The message names the whole value: ``betas=(0.9, 1.2)``, not one item of it."""
    name, value = _one(kwargs, "sequence")
    want = expected or f"a sequence of {length} values"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise invalid(name, want, value, where)
    items = tuple(value)
    if len(items) != length:
        raise invalid(name, want, value, where)
    try:
        return tuple(each(where=where, **{name: v}) for v in items)
    except (InvalidArgumentError, GlassboxTypeError):
        raise invalid(name, want, value, where) from None


def one_of(*, choices: Iterable[Any], where: str | None = None, **kwargs: Any) -> Any:
    """One of ``choices`` (compared with ==)."""
    name, value = _one(kwargs, "one_of")
    choices = tuple(choices)
    if value not in choices:
        raise invalid(name, "one of " + ", ".join(repr(c) for c in choices), value, where)
    return value


def boolean(*, where: str | None = None, **kwargs: Any) -> bool:
    """``True`` or ``False`` (NumPy bools too)."""
    name, value = _one(kwargs, "boolean")
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise invalid(name, "True or False", value, where, GlassboxTypeError)
    return bool(value)


def identifier(*, where: str | None = None, expected: str = "a Python identifier",
               **kwargs: Any) -> str:
    """A string that is a Python identifier (a name that can become an attribute)."""
    name, value = _one(kwargs, "identifier")
    if not isinstance(value, str) or not value.isidentifier():
        raise invalid(name, expected, value, where)
    return value


def axis(dim: Any, ndim: int, where: str | None = None, name: str = "dim") -> int:
    """A dimension index in [-ndim, ndim - 1], returned non-negative (PyTorch's rule)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise GlassboxTypeError(f"{_prefix(where)}`{name}` must be an integer, got {dim!r}")
    size = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -size <= dim < size:
        raise AxisError(f"{_prefix(where)}Dimension out of range (expected to be in range of "
                        f"[{-size}, {size - 1}], but got {dim}) for a {ndim}-d input")
    return int(dim) % size


def axes(dims: Any, ndim: int, where: str | None = None, name: str = "dim") -> tuple[int, ...] | None:
    """``None`` (all axes), one axis, or a sequence of distinct axes, normalised."""
    if dims is None:
        return None
    seq = dims if isinstance(dims, (tuple, list)) else (dims,)
    out = tuple(axis(d, ndim, where, name) for d in seq)
    if len(set(out)) != len(out):
        raise AxisError(f"{_prefix(where)}`{name}` repeats an axis: {dims!r}")
    return out


def shape(x: Any, *, ndim: int | Sequence[int] | None = None, where: str | None = None,
          name: str = "input", expected: str | None = None) -> tuple[int, ...]:
    """``x``'s shape, checked to have ``ndim`` dimensions (one of them, if a sequence)."""
    actual = tuple(getattr(x, "shape", ()))
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim or ())
    if allowed and len(actual) not in allowed:
        want = expected or " or ".join(f"{n}-d" for n in allowed)
        raise ShapeError(f"{_prefix(where)}expected {name} of {want}, got shape {actual}")
    return actual


# -- helpers for layers (nn.functional) --------------------------------------------------
def ints(*, length: int, where: str | None = None, low: int = 0, expected: str | None = None,
         **kwargs: Any) -> tuple[int, ...]:
    """An int (repeated) or ``length`` ints, each >= ``low``: ``padding=1`` → (1, 1, 1, 1)."""
    name, value = _one(kwargs, "ints")
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * length
    if len(items) != length or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                       and v >= low for v in items):
        raise invalid(name, expected or f"an integer >= {low} or {length} of them", value, where)
    return tuple(int(v) for v in items)


def pair(*, where: str | None = None, low: int = 1, **kwargs: Any) -> tuple[int, int]:
    """An int or a pair of ints, as (height, width), each >= ``low``: ``kernel_size=3`` → (3, 3)."""
    name, value = _one(kwargs, "pair")
    return ints(length=2, low=low, where=where, expected=f"an integer >= {low} or a pair of them",
                **{name: value})  # type: ignore[return-value]


def image(x: Any, *, channels: int | None = None, where: str | None = None) -> tuple[int, ...]:
    """A 4-D (N, C, H, W) batch, with ``channels`` channels when given; returns its shape."""
    expected = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    actual = shape(x, ndim=4, where=where, expected=f"a 4-D shape {expected}")
    if channels is not None:
        size(x, dim=1, size=channels, where=where, expected=f"{channels} channels, shape {expected}")
    return actual


def size(x: Any, *, dim: int, size: int, where: str | None = None, name: str = "input",
         expected: str | None = None) -> None:
    """``x.shape[dim] == size``, or a ShapeError naming the expected and the actual shape."""
    actual = tuple(getattr(x, "shape", ()))
    if len(actual) <= dim or actual[dim] != size:
        want = expected or f"size {size} at dimension {dim}"
        raise ShapeError(f"{_prefix(where)}expected {name} of {want}, got shape {actual}")
