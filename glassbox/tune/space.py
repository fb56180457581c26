"""Search spaces: the distributions hyperparameters are drawn from.

The course's advice for random search is to sample each hyperparameter on the scale
where equal steps matter equally:

* the learning rate α spans decades, so draw its exponent uniformly:
  r ~ U(log₁₀ low, log₁₀ high), α = 10ʳ                          (``LogUniform``)
* a momentum / averaging β in [0.9, 0.999] averages over about 1/(1 − β) steps, and
  that count is what matters, so draw 1 − β log-uniformly in [0.001, 0.1]:
  r ~ U(log₁₀(1 − high), log₁₀(1 − low)), β = 1 − 10ʳ             (``OneMinusLogUniform``)
* anything else on its own scale: ``Uniform``, ``IntUniform``, ``Choice``.

Each numeric distribution maps its range onto a "search axis" t (log₁₀ α, log₁₀(1 − β) or
the value itself) where it is uniform; ``zoom`` narrows the range on that axis around a
set of good values, which is what coarse-to-fine search does between rounds.
A space is a dict ``{name: distribution or constant}``; constants are passed through.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "Distribution", "Uniform", "LogUniform", "OneMinusLogUniform", "log_uniform_beta",
    "IntUniform", "Choice", "sample_space", "space_to_dict", "space_from_dict",
]


def _number(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


class Distribution:
    """Base class of the hyperparameter distributions."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def sample_many(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.array([self.sample(rng) for _ in range(size)])

    def zoom(self, values: Sequence[Any], margin: float = 0.25, min_fraction: float = 0.1) -> "Distribution":
        """A narrower distribution around ``values`` (see ``_Continuous.zoom``)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


class _Continuous(Distribution):
    """Uniform on the search axis t = forward(value) between forward(low) and forward(high)."""

    log = False

    def __init__(self, low: float, high: float) -> None:
        where = type(self).__name__
        self.low, self.high = _number(low, "low", where), _number(high, "high", where)
        if not self.low < self.high:
            raise ValueError(f"{where}: need low < high, got low={low!r}, high={high!r}")
        self._check()

    def _check(self) -> None: ...

    def forward(self, value: Any) -> Any:
        return value

    def inverse(self, t: Any) -> Any:
        return t

    @property
    def axis_range(self) -> tuple[float, float]:
        a, b = float(self.forward(self.low)), float(self.forward(self.high))
        return (a, b) if a <= b else (b, a)

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.sample_many(rng, 1)[0])

    def sample_many(self, rng: np.random.Generator, size: int) -> np.ndarray:
        a, b = self.axis_range
        values = self.inverse(rng.uniform(a, b, size=size))
        return np.clip(values, self.low, self.high)  # guard the ends against rounding

    def zoom(self, values: Sequence[Any], margin: float = 0.25, min_fraction: float = 0.1) -> "_Continuous":
        """The same kind of distribution over the span of ``values`` on the search axis,
        widened by ``margin`` × that span on each side and to at least ``min_fraction`` of the
        current width, and kept inside the current range."""
        if len(values) == 0:
            raise ValueError(f"{type(self).__name__}.zoom: got no values")
        t = np.asarray(self.forward(np.asarray(values, dtype=np.float64)), dtype=np.float64)
        a, b = self.axis_range
        width = b - a
        lo, hi = float(t.min()), float(t.max())
        lo, hi = lo - margin * (hi - lo), hi + margin * (hi - lo)
        if hi - lo < min_fraction * width:
            mid = (lo + hi) / 2
            lo, hi = mid - min_fraction * width / 2, mid + min_fraction * width / 2
        if lo < a:  # slide the window back inside the current range, keeping its width
            lo, hi = a, min(b, hi + (a - lo))
        if hi > b:
            lo, hi = max(a, lo - (hi - b)), b
        ends = sorted(float(v) for v in self.inverse(np.array([lo, hi])))
        return self._rebuild(max(ends[0], self.low), min(ends[1], self.high))

    def _rebuild(self, low: float, high: float) -> "_Continuous":
        return type(self)(low, high)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "low": self.low, "high": self.high}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.low:g}, {self.high:g})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]


class Uniform(_Continuous):
    """x ~ U(low, high)."""


class LogUniform(_Continuous):
    """x = 10ʳ with r ~ U(log₁₀ low, log₁₀ high): every decade gets the same share of
    samples. The course's choice for the learning rate."""

    log = True

    def _check(self) -> None:
        if self.low <= 0:
            raise ValueError(f"LogUniform: low must be > 0, got {self.low!r}")

    def forward(self, value: Any) -> Any:
        return np.log10(value)

    def inverse(self, t: Any) -> Any:
        return np.power(10.0, t)


class OneMinusLogUniform(_Continuous):
    """β = 1 − 10ʳ with r ~ U(log₁₀(1 − high), log₁₀(1 − low)): 1 − β is log-uniform.

    For β in [0.9, 0.999] the averaging window 1/(1 − β) is equally likely to be 10–100
    steps as 100–1000 steps; a uniform β would put 90 % of the samples below 0.99.
    """

    log = True

    def _check(self) -> None:
        if not self.high < 1:
            raise ValueError(f"OneMinusLogUniform: high must be < 1 (1 − β > 0), got {self.high!r}")

    def forward(self, value: Any) -> Any:
        return np.log10(1.0 - np.asarray(value, dtype=np.float64))

    def inverse(self, t: Any) -> Any:
        return 1.0 - np.power(10.0, t)


def log_uniform_beta(low: float = 0.9, high: float = 0.999) -> OneMinusLogUniform:
    """β in [low, high] with 1 − β log-uniform (the course's sampler for momentum / Adam's β)."""
    return OneMinusLogUniform(low, high)


class IntUniform(_Continuous):
    """An integer uniform on {low, …, high} (both included)."""

    def _check(self) -> None:
        if self.low != int(self.low) or self.high != int(self.high):
            raise ValueError(f"IntUniform: low and high must be integers, got {self.low!r}, {self.high!r}")
        self.low, self.high = int(self.low), int(self.high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def sample_many(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, size=size)

    def _rebuild(self, low: float, high: float) -> "IntUniform":
        lo, hi = math.floor(low), math.ceil(high)
        if lo == hi:  # keep two values to choose from unless the range has only one
            if hi < self.high:
                hi += 1
            elif lo > self.low:
                lo -= 1
        return IntUniform(lo, hi) if lo < hi else _Fixed(lo)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"IntUniform({self.low}, {self.high})"


class _Fixed(Distribution):
    """A single value (what an integer range zooms to when only one value is left)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def zoom(self, values: Sequence[Any], margin: float = 0.25, min_fraction: float = 0.1) -> "_Fixed":
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Fixed", "value": self.value}

    def __repr__(self) -> str:
        return f"Fixed({self.value!r})"


class Choice(Distribution):
    """One of ``options``, each equally likely."""

    def __init__(self, options: Iterable[Any]) -> None:
        self.options = list(options)
        if not self.options:
            raise ValueError("Choice: needs at least one option")

    def sample(self, rng: np.random.Generator) -> Any:
        value = self.options[int(rng.integers(len(self.options)))]
        return value.item() if isinstance(value, np.generic) else value

    def zoom(self, values: Sequence[Any], margin: float = 0.25, min_fraction: float = 0.1) -> "Choice":
        """Keep the options that occur in ``values`` (in their original order)."""
        kept = [o for o in self.options if any(o == v for v in values)]
        return Choice(kept or self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Choice", "options": list(self.options)}

    def __repr__(self) -> str:
        return f"Choice({self.options!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choice) and self.options == other.options


# ---------------------------------------------------------------------------- spaces
def _check_space(space: Mapping[str, Any], where: str) -> None:
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"{where}: space must be a non-empty dict {{name: distribution}}, got {space!r}")


def sample_space(space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One configuration: every distribution sampled (in the dict's order), constants copied."""
    _check_space(space, "sample_space")
    return {k: (d.sample(rng) if isinstance(d, Distribution) else d) for k, d in space.items()}


def space_to_dict(space: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-friendly description of a space."""
    return {k: (d.to_dict() if isinstance(d, Distribution) else {"type": "Fixed", "value": d})
            for k, d in space.items()}


_TYPES = {"Uniform": Uniform, "LogUniform": LogUniform, "OneMinusLogUniform": OneMinusLogUniform,
          "IntUniform": IntUniform}


def space_from_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of ``space_to_dict``."""
    space: dict[str, Any] = {}
    for k, d in data.items():
        kind = d.get("type")
        if kind in _TYPES:
            space[k] = _TYPES[kind](d["low"], d["high"])
        elif kind == "Choice":
            space[k] = Choice(d["options"])
        elif kind == "Fixed":
            space[k] = d["value"]
        else:
            raise ValueError(f"space_from_dict: unknown distribution type {kind!r} for {k!r}")
    return space
