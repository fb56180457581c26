"""Recurrent layers with PyTorch's names, parameters and state-dict keys: ``LSTM``, ``GRU``,
``LSTMCell``, ``GRUCell``. Each ``forward`` is one call into ``nn.functional`` (``F.lstm``,
``F.gru``, ``F.lstm_cell``, ``F.gru_cell``, where the gate formulas are written out)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import InvalidArgumentError
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _Gated(Module):
    """What every recurrent layer and cell checks and how it starts: input_size, hidden_size,
    bias, and all parameters uniform in (−1/√H, 1/√H) as in PyTorch."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool) -> None:
        super().__init__()
        where = type(self).__name__
        self.input_size = check.positive_int(input_size=input_size, where=where)
        self.hidden_size = check.positive_int(hidden_size=hidden_size, where=where)
        self.bias = check.boolean(bias=bias, where=where)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)


class _RNNBase(_Gated):
    """The parameters every recurrent layer has: per layer k and direction, ``weight_ih_l{k}``
    (G·H, in), ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H,) (suffix
    ``_reverse`` for the backward direction), G the number of gates, all uniform in
    (−1/√H, 1/√H) as in PyTorch."""

    #: options ``repr`` shows only when they differ from these defaults (PyTorch's style)
    _repr_defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                      "bidirectional": False}

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: type = np.float32) -> None:
        super().__init__(input_size, hidden_size, bias)
        where = type(self).__name__
        self.num_layers = check.positive_int(num_layers=num_layers, where=where)
        self.batch_first = check.boolean(batch_first=batch_first, where=where)
        self.dropout = check.probability(dropout=dropout, where=where)
        self.bidirectional = check.boolean(bidirectional=bidirectional, where=where)
        directions = 2 if bidirectional else 1
        self._flat_names: list[str] = []
        rows = self.gates * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (rows, width)), ("weight_hh", (rows, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype=dtype), dtype=dtype))
                    self._flat_names.append(name + suffix)
        self.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + "".join(
            f", {k}={getattr(self, k)}" for k, d in self._repr_defaults.items() if getattr(self, k) != d)

    @property
    def all_weights(self) -> list[Tensor]:
        """The parameters in PyTorch's flat order (what ``F.lstm``/``F.gru`` take)."""
        return [getattr(self, name) for name in self._flat_names]

    def _args(self) -> tuple[Any, ...]:
        return (self.all_weights, self.bias, self.num_layers, self.dropout, self.training,
                self.bidirectional, self.batch_first)


class LSTM(_RNNBase):
    """Long short-term memory over a sequence (see ``F.lstm_cell`` for the gates i, f, g, o).

    Input (L, N, H_in) — (N, L, H_in) with ``batch_first`` — or unbatched (L, H_in);
    ``forward(input, (h_0, c_0))`` (zeros when omitted) returns
    (output (L, N, D·H), (h_n, c_n) each (D·num_layers, N, H)), D = 2 if bidirectional.
    ``proj_size`` is not implemented (only 0).
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype: type = np.float32) -> None:
        if proj_size != 0:
            raise InvalidArgumentError(f"LSTM: `proj_size` other than 0 is not implemented. "
                                       f"Received: proj_size={proj_size!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        out, h, c = F.lstm(input, hx, *self._args(), where=self)
        return out, (h, c)


class GRU(_RNNBase):
    """Gated recurrent unit over a sequence (see ``F.gru_cell`` for the gates r, z, n).

    Shapes as ``LSTM``; ``forward(input, h_0=None)`` returns (output, h_n)."""

    gates = 3

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        return F.gru(input, hx, *self._args(), where=self)


class _CellBase(_Gated):
    """``weight_ih`` (G·H, in), ``weight_hh`` (G·H, H), ``bias_ih``/``bias_hh`` (G·H,), uniform
    in (−1/√H, 1/√H)."""

    __constants__ = ("input_size", "hidden_size", "bias")

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: type = np.float32) -> None:
        super().__init__(input_size, hidden_size, bias)
        rows = self.gates * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype), dtype=dtype)
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype), dtype=dtype)
        for name in ("bias_ih", "bias_hh"):
            self.register_parameter(name, Parameter(np.empty(rows, dtype=dtype), dtype=dtype) if bias else None)
        self.reset_parameters()

    def _zeros(self, input: Tensor) -> Tensor:
        x = F._as_tensor(input)
        return Tensor(np.zeros(x.shape[:-1] + (self.hidden_size,), dtype=x.dtype), dtype=x.dtype)


class LSTMCell(_CellBase):
    """One LSTM step: ``forward(input (N, in), (h, c))`` → (h', c') (zeros when hx is None)."""

    gates = 4

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        h, c = (self._zeros(input), self._zeros(input)) if hx is None else hx
        return F.lstm_cell(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(_CellBase):
    """One GRU step: ``forward(input (N, in), h)`` → h' (zeros when h is None)."""

    gates = 3

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        h = self._zeros(input) if hx is None else hx
        return F.gru_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


__all__ = ["LSTM", "GRU", "LSTMCell", "GRUCell"]
