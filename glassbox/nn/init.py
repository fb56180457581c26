"""Weight initializers. Each fills a tensor in place from the global generator
(``glassbox.manual_seed``) and returns it.

Course advice: the variance of a layer's outputs is fan_in·Var(w) times that of its
inputs, so pick Var(w) to keep it near 1 —
* He / Kaiming, Var(w) = 2/fan_in, for ReLU layers (ReLU zeroes half of its inputs);
* Xavier / Glorot, Var(w) = 2/(fan_in + fan_out), for tanh and sigmoid layers;
* never all zeros for weights: every unit of a layer would stay identical (symmetry
  is never broken); zeros are right for biases.
"""
from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..core.tensor import Tensor

GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def calculate_gain(nonlinearity: str, negative_slope: float = 0.01) -> float:
    """The factor that keeps activations' variance stable through ``nonlinearity``."""
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity not in GAINS:
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
            f"expected one of {sorted(GAINS) + ['leaky_relu']}"
        )
    return GAINS[nonlinearity]


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in, fan_out of a weight: (out, in) for dense, (out, in, kh, kw) for conv."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in/out need a weight with at least 2 axes, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _generator(tensor: Tensor) -> Any:
    """The global generator, drawing on the tensor's device (see ``backend.generator``)."""
    return backend.generator(backend.array_module(tensor.data))


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor.data[...] = backend.like(values, tensor.data, dtype=tensor.dtype)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """w ~ U(a, b)."""
    return _fill(tensor, _generator(tensor).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """w ~ N(mean, std²)."""
    # mean + std·N(0, 1): NumPy's normal() in the same stream, and CuPy's generator has it
    return _fill(tensor, mean + std * _generator(tensor).standard_normal(tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    tensor.data[...] = 0
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    tensor.data[...] = 1
    return tensor


def constant_(tensor: Tensor, value: float) -> Tensor:
    tensor.data[...] = value
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot: w ~ U(−a, a), a = gain·√(6/(fan_in + fan_out)), so Var(w) = gain²·2/(fan_in + fan_out).
    Use it for tanh / sigmoid layers."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot: w ~ N(0, σ²), σ = gain·√(2/(fan_in + fan_out)). Use it for tanh / sigmoid layers."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "relu") -> Tensor:
    """He: w ~ U(−b, b), b = √3·gain/√fan, so Var(w) = 2/fan_in for ReLU. Use it for ReLU layers."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "relu") -> Tensor:
    """He: w ~ N(0, σ²), σ = gain/√fan = √(2/fan_in) for ReLU. Use it for ReLU layers."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


# Short names, as some courses use them.
he_normal_ = kaiming_normal_
he_uniform_ = kaiming_uniform_
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
