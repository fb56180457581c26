"""Element types under PyTorch's names: ``gb.float32``, ``gb.int64``, ``gb.bool``, …

They are NumPy's scalar types, so ``t.dtype == gb.float32`` and ``np.zeros(3, gb.int64)``
both work, and ``gb.zeros(2, dtype=gb.float64)`` is the same as ``dtype=np.float64``.
"""
from __future__ import annotations

import numpy as np

float16 = half = np.float16
float32 = float = np.float32
float64 = double = np.float64
int8 = np.int8
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool = np.bool_  # noqa: A001 - PyTorch's name
complex64 = np.complex64
complex128 = np.complex128

__all__ = ["float16", "half", "float32", "float", "float64", "double", "int8", "int16", "short",
           "int32", "int", "int64", "long", "uint8", "bool", "complex64", "complex128"]
