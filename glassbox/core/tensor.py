"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor wraps an array of the active array module (``glassbox.backend.xp``,
NumPy by default). Floating-point data is float32 unless float64 is asked for
with ``dtype=``. When ``requires_grad`` is true, every op applied to it records
a node (its ``Function``) in the computation graph, and ``backward()`` walks
that graph in reverse to fill ``.grad`` of the leaf tensors.

Gradients *accumulate*: each ``backward()`` adds into ``.grad``. Clear them
between steps with ``optimizer.zero_grad()`` or ``model.zero_grad()``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from . import engine

DEFAULT_FLOAT = np.float32


def _as_array(data: Any, dtype: Any = None, copy: bool = False) -> Any:
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.xp if backend.is_host(data) else backend.array_module(data)  # stay on its device
    if dtype is not None:
        return xp.array(data, dtype=dtype, copy=True) if copy else xp.asarray(data, dtype=dtype)
    arr = xp.array(data, copy=True) if copy else xp.asarray(data)
    if arr.dtype.kind == "f" and arr.dtype != DEFAULT_FLOAT:
        arr = arr.astype(DEFAULT_FLOAT)
    return arr


class Tensor:
    """An array with an optional gradient and the graph node that produced it.

    Args:
        data: array-like. Floating data becomes float32 unless ``dtype`` says otherwise;
            integer and boolean data keep their type.
        requires_grad: record operations on this tensor so ``backward()`` can reach it.
        dtype: the element type to store, e.g. ``np.float64`` for gradient checking.

    Attributes:
        grad: ``Tensor`` of ∂L/∂self after ``backward()``, or ``None``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # make ndarray ∘ Tensor call our reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self.data.dtype}"
            )
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._retains_grad = False

    @classmethod
    def _from_op(cls, data: Any, ctx: Any) -> "Tensor":
        """Wrap an op's output array as is (no cast, no copy)."""
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        t._retains_grad = False
        return t

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The ``Function`` node that produced this tensor, or ``None`` for a leaf."""
        return self._ctx

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory on the CPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): tensor has {self.data.size} elements, expected 1")
        return self.data.reshape(-1)[0].item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    # ---------------------------------------------------------------- devices
    @property
    def device(self) -> Any:
        """Where the data lives: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""
        return _device.of_array(self.data)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """``t.to("cuda")``, ``t.to(device)``, ``t.to(other)``, ``t.to(np.float64)``,
        ``t.to("cuda", dtype)``, like ``torch.Tensor.to``: ``t`` itself when nothing
        changes, else a copy that stays in the graph. See ``glassbox.device``."""
        return _device.tensor_to(self, *args, **kwargs)

    def cuda(self, device: Any = None) -> "Tensor":
        """This tensor on the GPU (``to("cuda")``)."""
        return _device.move(self, "cuda" if device is None else device)

    def cpu(self) -> "Tensor":
        """This tensor in host memory (``to("cpu")``)."""
        return _device.move(self, "cpu")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), precision=4, separator=", ", prefix="tensor(")
        extra = ""
        if self.dtype != DEFAULT_FLOAT:
            extra += f", dtype={self.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # -------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute ∂self/∂leaf for every leaf that requires grad, adding into ``leaf.grad``.

        ``grad`` is ∂L/∂self; it may be omitted for a single-element tensor (then 1).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        engine.backward(self, grad, retain_graph)

    def _accumulate(self, grad: Any) -> None:
        if self.grad is None:
            self.grad = Tensor._from_op(grad, None)
        else:  # out of place: ``grad`` may be shared with another input's gradient
            self.grad = Tensor._from_op(self.grad.data + grad, None)

    def retain_grad(self) -> "Tensor":
        """Keep ``.grad`` for this non-leaf tensor too after ``backward()``."""
        self._retains_grad = True
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor._from_op(self.data, None)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require grad, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def astype(self, dtype: Any) -> "Tensor":
        return _elementwise.Cast.apply(self, dtype=np.dtype(dtype))

    def float(self) -> "Tensor":
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        return self.astype(np.float64)

    def copy(self) -> "Tensor":
        """A new leaf tensor with a copy of the data (no graph, no grad)."""
        return Tensor._from_op(self.data.copy(), None)

    # ------------------------------------------------------------ arithmetic
    def _lift(self, other: Any) -> "Tensor":
        """Turn a Python number or array into a constant tensor of this tensor's dtype."""
        if isinstance(other, Tensor):
            return other
        arr = backend.like(other, self.data)  # a constant joins this tensor's device
        if arr.dtype.kind in "fiub" and self.data.dtype.kind == "f":
            arr = arr.astype(self.data.dtype)
        return Tensor._from_op(arr, None)

    def __add__(self, other: Any) -> "Tensor":
        return _arith.Add.apply(self, self._lift(other))

    def __radd__(self, other: Any) -> "Tensor":
        return _arith.Add.apply(self._lift(other), self)

    def __sub__(self, other: Any) -> "Tensor":
        return _arith.Sub.apply(self, self._lift(other))

    def __rsub__(self, other: Any) -> "Tensor":
        return _arith.Sub.apply(self._lift(other), self)

    def __mul__(self, other: Any) -> "Tensor":
        return _arith.Mul.apply(self, self._lift(other))

    def __rmul__(self, other: Any) -> "Tensor":
        return _arith.Mul.apply(self._lift(other), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _arith.Div.apply(self, self._lift(other))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _arith.Div.apply(self._lift(other), self)

    def __neg__(self) -> "Tensor":
        return _arith.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __pow__(self, exponent: Any) -> "Tensor":
        if isinstance(exponent, (int, float, np.number)):
            # a NumPy scalar becomes a Python number so float32 stays float32
            return _arith.PowScalar.apply(self, exponent=np.asarray(exponent).item())
        return _arith.Pow.apply(self, self._lift(exponent))

    def __rpow__(self, base: Any) -> "Tensor":
        return _arith.Pow.apply(self._lift(base), self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _linalg.MatMul.apply(self, self._lift(other))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _linalg.MatMul.apply(self._lift(other), self)

    # Comparisons give boolean tensors outside the graph.
    def _compare(self, other: Any, op: Any) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(op(self.data, other), None)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, backend.xp.equal)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, backend.xp.not_equal)

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, backend.xp.less)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, backend.xp.less_equal)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, backend.xp.greater)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, backend.xp.greater_equal)

    __hash__ = object.__hash__

    # ------------------------------------------------------------ reductions
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction.Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None) -> "Tensor":
        return Tensor._from_op(self.data.argmax(axis=axis), None)

    def argmin(self, axis: Any = None) -> "Tensor":
        return Tensor._from_op(self.data.argmin(axis=axis), None)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _shape.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0) -> "Tensor":
        return self.reshape(*self.shape[:start_dim], -1)

    def transpose(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) == 2:  # PyTorch style: swap two dims (for 2-D, the same as a permutation)
            perm = list(range(self.ndim))
            perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
            axes = tuple(perm)
        return _shape.Transpose.apply(self, axes=axes or None)

    def permute(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _shape.Transpose.apply(self, axes=axes)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, index: Any) -> "Tensor":
        return _shape.GetItem.apply(self, index=_plain_index(index))

    # ----------------------------------------------------------- elementwise
    def exp(self) -> "Tensor":
        return _elementwise.Exp.apply(self)

    def log(self) -> "Tensor":
        return _elementwise.Log.apply(self)

    def sqrt(self) -> "Tensor":
        return _elementwise.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        return _elementwise.Abs.apply(self)

    def clip(self, low: float | None = None, high: float | None = None) -> "Tensor":
        return _elementwise.Clip.apply(self, low=low, high=high)

    clamp = clip

    def relu(self) -> "Tensor":
        return _activation.ReLU.apply(self)

    def sigmoid(self) -> "Tensor":
        return _activation.Sigmoid.apply(self)

    def tanh(self) -> "Tensor":
        return _activation.Tanh.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        return _activation.LeakyReLU.apply(self, negative_slope=negative_slope)

    def softmax(self, axis: int = -1) -> "Tensor":
        return _activation.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return _activation.LogSoftmax.apply(self, axis=axis)


def _plain_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> Tensor:
    """Create a tensor (a copy of ``data``, on ``device`` if given), like ``torch.tensor``."""
    t = Tensor(_as_array(data, dtype, copy=True), requires_grad=requires_grad, dtype=dtype)
    if device is not None:
        t.data = backend.to_device(t.data, _device.as_device(device, where="tensor"))
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Wrap ``data`` as a tensor without copying when it is already an array of that dtype
    (and on ``device``, when given)."""
    t = data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)
    return t if device is None else t.to(device)


# The ops import Tensor, so they are imported after it is defined.
from .. import device as _device  # noqa: E402
from ..ops import activation as _activation  # noqa: E402
from ..ops import arithmetic as _arith  # noqa: E402
from ..ops import elementwise as _elementwise  # noqa: E402
from ..ops import linalg as _linalg  # noqa: E402
from ..ops import reduction as _reduction  # noqa: E402
from ..ops import shape as _shape  # noqa: E402
