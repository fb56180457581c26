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

import contextlib
import sys
from typing import Any, Iterator, NamedTuple

import numpy as np

from .. import backend
from .. import validate as check
from ..errors import AxisError, GlassboxRuntimeError, GlassboxTypeError, InvalidArgumentError, ShapeError
from . import engine
from .grad_mode import _GradMode

DEFAULT_FLOAT = np.float32


def _is_dtype(value: Any) -> bool:
    """Whether ``value`` names a dtype (np.float32, "float64", np.dtype(...)), not a device."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return True
    if isinstance(value, str):
        try:
            np.dtype(value)
        except TypeError:
            return False
        return value not in ("cpu", "cuda") and not value.startswith("cuda:")
    return False


def place(t: "Tensor", device: Any, where: str) -> "Tensor":
    """``t`` (a new leaf) on ``device`` (None: where it is): the creation functions' and
    ``tensor()``'s ``device=``. See ``glassbox.device``."""
    if device is None:
        return t
    return _device.move(t, _device.as_device(device, where=where))


@contextlib.contextmanager
def _write_errors(name: str, t: "Tensor") -> Iterator[None]:
    """NumPy's errors of an in-place write, as glassbox errors naming the op."""
    try:
        yield
    except TypeError as exc:  # numpy's UFuncTypeError: e.g. a float result into an int tensor
        raise GlassboxTypeError(f"{name}: the result cannot be written into a tensor of dtype "
                                f"{t.dtype} ({exc})") from None
    except ValueError as exc:
        if "read-only" in str(exc):
            raise GlassboxRuntimeError(
                f"{name}: this tensor is read-only (an expand()ed broadcast view, where several "
                "elements share one memory location); clone() it first") from None
        raise ShapeError(f"{name}: the result cannot be written into a tensor of shape "
                         f"{tuple(t.shape)} ({exc})") from None
    except IndexError as exc:
        raise AxisError(f"{name}: {exc}") from None


def _ufunc_out(ufunc: str) -> Any:
    """``x = ufunc(x, y)`` written into x's memory, refusing unsafe casts (as PyTorch)."""
    def fast(x: Any, y: Any) -> None:
        getattr(backend.array_module(x), ufunc)(x, y, out=x, casting="same_kind")
    return fast


def _expand_shape(shape: tuple[int, ...], sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """``expand``'s target: -1 keeps the old size; new leading axes must be given."""
    extra = len(sizes) - len(shape)
    if extra < 0:
        raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"tensor's number of dimensions ({len(shape)})")
    out = []
    for i, n in enumerate(sizes):
        n = check.integer(size=n, low=-1, where="expand")
        if n == -1:
            if i < extra:
                raise ShapeError("expand: -1 is not allowed for a new leading dimension")
            n = shape[i - extra]
        out.append(n)
    return tuple(out)


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


class _Size(int):
    """The element count, callable as PyTorch's ``size()`` / ``size(dim)``."""

    shape: tuple[int, ...]

    def __new__(cls, count: int, shape: tuple[int, ...]) -> "_Size":
        obj = super().__new__(cls, count)
        obj.shape = tuple(shape)
        return obj

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if not self.shape:
            raise AxisError(f"size: dimension specified as {dim} but tensor has no dimensions")
        return self.shape[check.axis(dim, len(self.shape), where="size")]


class _MinMax(NamedTuple):
    """``max(dim)``/``min(dim)``'s result, as PyTorch's: the values and where they are."""

    values: "Tensor"
    indices: "Tensor"


def _dim_args(where: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """PyTorch's ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims``, whichever was given."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise InvalidArgumentError(f"{where}: got both dim={dim!r} and axis={axis!r}; pass one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def _shape_args(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Tensor:
    """An array with an optional gradient and the graph node that produced it.

    Args:
        data: array-like. Floating data becomes float32 unless ``dtype`` says otherwise;
            integer and boolean data keep their type.
        requires_grad: record operations on this tensor so ``backward()`` can reach it.
        dtype: the element type to store, e.g. ``np.float64`` for gradient checking.

    Attributes:
        grad: ``Tensor`` of ∂L/∂self after ``backward()``, or ``None``.
        data: the raw array. Writing into it directly is not tracked (as in PyTorch);
            use ``t[...] = v``, the in-place methods (``add_``, ``mul_``, …) or
            ``with no_grad(): p -= lr * p.grad``, which bump the version counter.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "_vc", "__weakref__")
    __array_priority__ = 1000  # make ndarray ∘ Tensor call our reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise GlassboxTypeError(
                f"only floating-point tensors can require grad, got dtype {self.data.dtype}"
            )
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._retains_grad = False
        self._vc = [0]

    @classmethod
    def _from_op(cls, data: Any, ctx: Any) -> "Tensor":
        """Wrap an op's output array as is (no cast, no copy)."""
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        t._retains_grad = False
        t._vc = [0]
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
    def size(self) -> "_Size":
        """Both NumPy's and PyTorch's ``size``: as a number, the element count (``t.size``);
        called, the shape (``t.size()``) or one dimension's length (``t.size(dim)``)."""
        return _Size(self.data.size, self.data.shape)

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

    def nelement(self) -> int:
        return int(self.data.size)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The ``Function`` node that produced this tensor, or ``None`` for a leaf."""
        return self._ctx

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (PyTorch's ``_version``)."""
        return self._vc[0]

    def _bump_version(self) -> None:
        """Record an in-place change of the data (optimizers call it after writing ``p.data``)."""
        self._vc[0] += 1

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise GlassboxTypeError("len() of a 0-d tensor")
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory on the CPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise InvalidArgumentError(
                f"item(): a Tensor with {self.data.size} elements cannot be converted to a "
                "Python scalar (expected 1 element)"
            )
        return self.data.reshape(-1)[0].item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
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

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy-2 array protocol: ``np.asarray(t)`` shares the tensor's memory (CPU),
        ``np.array(t)`` and ``np.copy(t)`` copy; ``copy=False`` raises where a copy is needed."""
        arr = self.numpy()
        needs_cast = dtype is not None and np.dtype(dtype) != arr.dtype
        if copy is False and (needs_cast or arr is not self.data):
            raise ValueError("Tensor.__array__(copy=False): the data cannot be shared without "
                             f"a copy (dtype {arr.dtype} -> {dtype}, or the tensor is not on the CPU)")
        if needs_cast:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        """DLPack export (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``), sharing memory."""
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.data.__dlpack_device__()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise GlassboxTypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise InvalidArgumentError(
                f"Boolean value of Tensor with {self.data.size} elements is ambiguous "
                "(use .any() or .all())"
            )
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
        """The same data, cut from the graph (no gradient flows through it). It shares
        memory and version counter with ``self``."""
        t = Tensor._from_op(self.data, None)
        t._vc = self._vc
        return t

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind not in "fc":
            raise GlassboxTypeError(f"only floating-point tensors can require grad, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ---------------------------------------------------------------- dtypes
    def astype(self, dtype: Any) -> "Tensor":
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        return _elementwise.Cast.apply(self, dtype=dtype)

    def type(self, dtype: Any = None) -> Any:
        """Without an argument the dtype's name; with one, ``to(dtype)``."""
        return str(self.dtype) if dtype is None else self.astype(dtype)

    def float(self) -> "Tensor":
        """float32 copy (differentiable)."""
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        """float64 copy (differentiable)."""
        return self.astype(np.float64)

    def half(self) -> "Tensor":
        return self.astype(np.float16)

    def long(self) -> "Tensor":
        """int64 copy."""
        return self.astype(np.int64)

    def int(self) -> "Tensor":
        """int32 copy."""
        return self.astype(np.int32)

    def bool(self) -> "Tensor":
        """Boolean copy (nonzero → True)."""
        return self.astype(np.bool_)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def copy(self) -> "Tensor":
        """A new leaf tensor with a copy of the data (no graph, no grad)."""
        return Tensor._from_op(self.data.copy(), None)

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (gradients flow back to ``self``)."""
        return _elementwise.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        """``self`` when its data is C-contiguous (row-major, no gaps), else a contiguous
        ``clone`` (a transposed or strided view becomes a fresh row-major array)."""
        return self if self.data.flags.c_contiguous else self.clone()

    def masked_fill(self, mask: Any, value: Any) -> "Tensor":
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True, ``self``
        elsewhere; ∂/∂self = 1 where mask is False, 0 where it is True (as PyTorch)."""
        cond = mask.data if isinstance(mask, Tensor) else backend.xp.asarray(mask)
        if cond.dtype != np.bool_:
            raise GlassboxTypeError(f"masked_fill: expected a bool mask, got dtype {cond.dtype}")
        try:
            cond = backend.xp.broadcast_to(cond, self.data.shape)
        except ValueError:
            raise ShapeError(f"masked_fill: mask of shape {tuple(cond.shape)} does not broadcast "
                             f"to the tensor's shape {tuple(self.data.shape)}") from None
        if isinstance(value, Tensor) and value.data.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{tuple(value.data.shape)}")
        fill = value.data.item() if isinstance(value, Tensor) else value
        return _elementwise.where(cond, fill, self)

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
        """−self."""
        return _arith.Neg.apply(self)

    def neg(self) -> "Tensor":
        """−self (PyTorch's method name for unary minus)."""
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

    def add(self, other: Any, alpha: float = 1) -> "Tensor":
        """self + alpha·other."""
        return self + (other if alpha == 1 else self._lift(other) * alpha)

    def sub(self, other: Any, alpha: float = 1) -> "Tensor":
        """self − alpha·other."""
        return self - (other if alpha == 1 else self._lift(other) * alpha)

    def mul(self, other: Any) -> "Tensor":
        """self · other (elementwise, broadcasting)."""
        return self * other

    def div(self, other: Any) -> "Tensor":
        """self / other (elementwise, broadcasting)."""
        return self / other

    def pow(self, exponent: Any) -> "Tensor":
        """selfᵉˣᵖᵒⁿᵉⁿᵗ (a number or a tensor)."""
        return self ** exponent

    def matmul(self, other: Any) -> "Tensor":
        """The matrix product self @ other (batched, as ``numpy.matmul``)."""
        return self @ other

    # Comparisons give boolean tensors outside the graph.
    def _compare(self, other: Any, op: str, name: str) -> "Tensor":
        arg = other.data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_op(getattr(backend.array_module(self.data), op)(self.data, arg), None)
        except (ValueError, TypeError) as exc:
            raise engine.op_error(name, (self, self._lift(other)), exc) from None

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, "equal", "eq")

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, "not_equal", "ne")

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, "less", "lt")

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, "less_equal", "le")

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, "greater", "gt")

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, "greater_equal", "ge")

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other: Any) -> bool:
        """True when both have the same shape and values (``torch.equal``)."""
        other = other.data if isinstance(other, Tensor) else backend.like(other, self.data)
        return self.shape == other.shape and bool((self.data == other).all())

    def __invert__(self) -> "Tensor":
        return Tensor._from_op(~self.data, None)

    def __and__(self, other: Any) -> "Tensor":
        return self._compare(other, "bitwise_and", "and")

    def __or__(self, other: Any) -> "Tensor":
        return self._compare(other, "bitwise_or", "or")

    def __xor__(self, other: Any) -> "Tensor":
        return self._compare(other, "bitwise_xor", "xor")

    __hash__ = object.__hash__

    # ------------------------------------------------------------- in place
    def _inplace(self, name: str, op: Any, others: tuple[Any, ...], fast: Any, **params: Any) -> "Tensor":
        """Run ``op(self, *others)`` and write the result into ``self``'s memory.

        Without autograd (``no_grad``, or nothing requires grad) ``fast(data, *arrays)``
        writes in place. With autograd the op is recorded and ``self`` is re-pointed at
        the new node (a stand-in keeps the old value's place in the graph), as PyTorch
        does. Either way the version counter is bumped."""
        others = tuple(self._lift(o) for o in others)
        if _GradMode.enabled and (self.requires_grad or any(o.requires_grad for o in others)):
            return self._rebase(name, op, others, params)
        with _write_errors(name, self):
            fast(self.data, *[o.data for o in others])
        self._vc[0] += 1
        return self

    def _rebase(self, name: str, op: Any, others: tuple["Tensor", ...], params: dict) -> "Tensor":
        if self.requires_grad and self._ctx is None:
            raise GlassboxRuntimeError(
                f"{name}: a leaf Variable that requires grad is being used in an in-place "
                "operation. (Update parameters inside `with glassbox.no_grad():`.)"
            )
        # A leaf whose memory another live tensor shares (a view, detach()) would leave that
        # tensor's values changed but its graph without the op; a view node likewise.
        if self._ctx.is_view if self._ctx is not None else sys.getrefcount(self._vc) > 2:
            raise GlassboxRuntimeError(
                f"{name}: in-place operation that needs grad on a view of another tensor "
                "(x[i], x.view(...), x.T, x.detach()): glassbox does not rewrite the other "
                "tensor's graph. Write x[i] = x[i] + v on the base tensor, or clone() the view."
            )
        views = [w for w in (r() for r in self._vc[1:]) if w is not None and w is not self]
        if any(w._ctx is None for w in views):
            raise GlassboxRuntimeError(
                f"{name}: a view of this tensor was created in no_grad mode (or before it "
                "required grad), and this tensor is now modified in place with grad mode "
                "enabled; the view cannot follow. Create the view after the in-place op.")
        buf = self.data
        old = Tensor._from_op(buf, self._ctx)
        old.requires_grad = self.requires_grad
        out = op.apply(old, *others, **params)
        fn = out._ctx
        saved_copy = None
        for key, value in vars(fn).items():  # the op must keep the value before the write
            if value is buf:
                saved_copy = buf.copy() if saved_copy is None else saved_copy
                setattr(fn, key, saved_copy)
        with _write_errors(name, self):
            backend.array_module(buf).copyto(buf, out.data, casting="same_kind")
        version = self._vc[0] = self._vc[0] + 1
        old._vc = [version]  # the stand-in's memory was overwritten
        if not engine._saves_memory_of(fn, buf):
            fn._versions[0] = version
        self._adopt(fn, old, version)
        for w in views:  # the views' values changed with self: re-derive them from it
            _regenerate_view(w, version)
        return self

    def _adopt(self, fn: Any, previous: "Tensor", version: int) -> None:
        """Make ``fn`` this tensor's node from ``version`` on; ``previous`` stands in for
        the value before, for the ops that used it earlier (``engine._as_recorded``)."""
        fn._out_version = version
        fn._previous = previous
        self._ctx = fn
        self.requires_grad = True

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        """self += alpha·other, in place."""
        if alpha != 1:
            other = self._lift(other) * alpha
        return self._inplace("add_", _arith.Add, (other,), _ufunc_out("add"))

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        """self −= alpha·other, in place."""
        if alpha != 1:
            other = self._lift(other) * alpha
        return self._inplace("sub_", _arith.Sub, (other,), _ufunc_out("subtract"))

    def mul_(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        return self._inplace("mul_", _arith.Mul, (other,), _ufunc_out("multiply"))

    def div_(self, other: Any) -> "Tensor":
        """self /= other, in place."""
        return self._inplace("div_", _arith.Div, (other,), _ufunc_out("true_divide"))

    def clamp_(self, min: float | None = None, max: float | None = None) -> "Tensor":
        """Clamp into [min, max], in place."""
        def fast(x: Any) -> None:
            backend.array_module(x).clip(x, min, max, out=x)
        return self._inplace("clamp_", _elementwise.Clip, (), fast, low=min, high=max)

    clip_ = clamp_

    def fill_(self, value: Any) -> "Tensor":
        """Set every element to ``value``, in place."""
        return self.copy_(value)

    def zero_(self) -> "Tensor":
        """Set every element to 0, in place."""
        return self.copy_(0)

    def copy_(self, src: Any) -> "Tensor":
        """Copy ``src``'s values (broadcast to this shape) into this tensor, in place."""
        def fast(x: Any, s: Any) -> None:
            backend.array_module(x).copyto(x, s, casting="unsafe")
        return self._inplace("copy_", _shape.SetItem, (src,), fast, index=Ellipsis)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value``, in place, tracked by autograd and the version counter."""
        index = _plain_index(index)

        def fast(x: Any, v: Any) -> None:
            x[index] = v
        self._inplace("__setitem__", _shape.SetItem, (value,), fast, index=index)

    # ------------------------------------------------------------ reductions
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> "Tensor":
        """Σ over ``dim`` (all when None); ``axis``/``keepdims`` are accepted too."""
        dim, keepdim = _dim_args("sum", dim, keepdim, axis, keepdims)
        return _reduction.Sum.apply(self, axis=dim, keepdims=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> "Tensor":
        """Mean over ``dim`` (all when None)."""
        dim, keepdim = _dim_args("mean", dim, keepdim, axis, keepdims)
        return _reduction.Mean.apply(self, axis=dim, keepdims=keepdim)

    def var(self, dim: Any = None, *args: Any, correction: float | None = None,
            keepdim: bool = False, unbiased: bool | None = None, axis: Any = None,
            keepdims: bool | None = None) -> "Tensor":
        """Variance Σ(x − x̄)² / (n − correction); PyTorch's default ``correction=1``
        (Bessel's), ``unbiased=False`` means ``correction=0``. Also ``var(dim, unbiased, keepdim)``."""
        dim, keepdim = _dim_args("var", dim, keepdim, axis, keepdims)
        if args:  # the old positional form var(dim, unbiased, keepdim)
            unbiased = args[0]
            if len(args) > 1:
                keepdim = bool(args[1])
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        return _reduction.Var.apply(self, axis=dim, keepdims=keepdim,
                                    correction=check.number(correction=correction, where="var"))

    def std(self, dim: Any = None, *args: Any, correction: float | None = None,
            keepdim: bool = False, unbiased: bool | None = None, axis: Any = None,
            keepdims: bool | None = None) -> "Tensor":
        """Standard deviation √var (same arguments as ``var``)."""
        check.axes(dim if axis is None else axis, self.ndim, where="std")
        return self.var(dim, *args, correction=correction, keepdim=keepdim, unbiased=unbiased,
                        axis=axis, keepdims=keepdims).sqrt()

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> "Tensor":
        """The p-norm (Σ|x|ᵖ)^(1/p) over ``dim`` (all elements when None); ``p`` is a
        number, ``inf``, ``-inf`` or ``"fro"`` (= 2)."""
        return _reduction.Norm.apply(self, p=p, axis=dim, keepdims=bool(keepdim))

    def _extremum(self, name: str, op: Any, dim: Any, keepdim: bool, axis: Any,
                  keepdims: Any) -> Any:
        if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
            return _elementwise.maximum(self, dim) if name == "max" else _elementwise.minimum(self, dim)
        pytorch_style = dim is not None and not isinstance(dim, (tuple, list))
        dim, keepdim = _dim_args(name, dim, keepdim, axis, keepdims)
        values = op.apply(self, axis=dim, keepdims=keepdim)
        if not pytorch_style:
            return values
        arg = self.argmax if name == "max" else self.argmin
        return _MinMax(values, arg(dim, keepdim))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """The largest value; ``max(dim)`` gives PyTorch's ``(values, indices)``, ``max(axis=)``
        NumPy's values only, ``max(other_tensor)`` the elementwise maximum. The gradient is
        shared equally between tied maxima."""
        return self._extremum("max", _reduction.Max, dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """The smallest value; the same forms as ``max``."""
        return self._extremum("min", _reduction.Min, dim, keepdim, axis, keepdims)

    def amax(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _reduction.Max.apply(self, axis=dim, keepdims=bool(keepdim))

    def amin(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _reduction.Min.apply(self, axis=dim, keepdims=bool(keepdim))

    def _arg(self, name: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> "Tensor":
        dim, keepdim = _dim_args(name, dim, keepdim, axis, keepdims)
        if self.data.size == 0:
            raise InvalidArgumentError(f"{name}(): expected a non-empty tensor, got shape {self.shape}")
        if dim is None:
            out = getattr(self.data, name)()
            out = out.reshape((1,) * self.ndim) if keepdim else out
        else:
            dim = check.axis(dim, self.ndim, where=name)
            out = getattr(self.data, name)(axis=dim, keepdims=keepdim) if self.ndim else self.data * 0
        return Tensor._from_op(backend.array_module(self.data).asarray(out, dtype=np.int64), None)

    def argmax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> "Tensor":
        """Index of the largest value along ``dim`` (of the flattened tensor when None)."""
        return self._arg("argmax", dim, keepdim, axis, keepdims)

    def argmin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> "Tensor":
        """Index of the smallest value along ``dim``."""
        return self._arg("argmin", dim, keepdim, axis, keepdims)

    def all(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        dim = check.axes(dim, self.ndim, where="all")
        return Tensor._from_op(backend.array_module(self.data).asarray(self.data.all(axis=dim, keepdims=keepdim)), None)

    def any(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        dim = check.axes(dim, self.ndim, where="any")
        return Tensor._from_op(backend.array_module(self.data).asarray(self.data.any(axis=dim, keepdims=keepdim)), None)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> "Tensor":
        """The same values in a new shape (one entry may be -1)."""
        return _shape.Reshape.apply(self, shape=_shape_args(shape))

    def view(self, *shape: Any) -> "Tensor":
        """``reshape`` sharing memory (``view(dtype)`` is not supported)."""
        if len(shape) == 1 and _is_dtype(shape[0]):
            raise GlassboxTypeError("view(dtype) is not supported; use to(dtype)")
        return _shape.Reshape.apply(self, shape=_shape_args(shape))

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dims ``start_dim``..``end_dim`` (inclusive) into one, as ``torch.flatten``."""
        n = self.ndim
        if n == 0:
            check.axis(start_dim, 0, where="flatten", name="start_dim")
            check.axis(end_dim, 0, where="flatten", name="end_dim")
            return self.reshape(1)
        start = check.axis(start_dim, n, where="flatten", name="start_dim")
        end = check.axis(end_dim, n, where="flatten", name="end_dim")
        if start > end:
            raise InvalidArgumentError(
                f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
        return self.reshape(*self.shape[:start], -1 if self.data.size else
                            int(np.prod(self.shape[start:end + 1])), *self.shape[end + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        """A new axis of size 1 at ``dim`` (in [-ndim-1, ndim])."""
        dim = check.axis(dim, self.ndim + 1, where="unsqueeze")
        return self.reshape(*self.shape[:dim], 1, *self.shape[dim:])

    def squeeze(self, dim: Any = None) -> "Tensor":
        """Drop axes of size 1 (all of them, or only ``dim`` if it has size 1)."""
        if dim is None:
            return self.reshape(*[n for n in self.shape if n != 1])
        dims = check.axes(dim, self.ndim, where="squeeze") or ()
        if self.ndim == 0:
            return self
        return self.reshape(*[n for i, n in enumerate(self.shape) if not (i in dims and n == 1)])

    def expand(self, *sizes: Any) -> "Tensor":
        """A broadcast view to ``sizes`` (-1 keeps a size); new axes go in front."""
        return _shape.Expand.apply(self, shape=_expand_shape(self.shape, _shape_args(sizes)))

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def broadcast_to(self, *sizes: Any) -> "Tensor":
        return self.expand(*sizes)

    def repeat(self, *repeats: Any) -> "Tensor":
        """Tile the tensor ``repeats[i]`` times along each axis (``torch.Tensor.repeat``)."""
        return _shape.Repeat.apply(self, repeats=_shape_args(repeats))

    def transpose(self, *axes: Any) -> "Tensor":
        """``transpose(dim0, dim1)`` swaps two dims (PyTorch); ``transpose()`` or
        ``transpose(perm)`` permutes like NumPy."""
        axes = _shape_args(axes)
        if len(axes) == 2:
            d0 = check.axis(axes[0], self.ndim, where="transpose", name="dim0")
            d1 = check.axis(axes[1], self.ndim, where="transpose", name="dim1")
            perm = list(range(self.ndim))
            if perm:
                perm[d0], perm[d1] = perm[d1], perm[d0]
            axes = tuple(perm)
        return _shape.Transpose.apply(self, axes=axes if axes or not self.ndim else None)

    def swapaxes(self, axis0: int, axis1: int) -> "Tensor":
        return self.transpose(axis0, axis1)

    def permute(self, *axes: Any) -> "Tensor":
        """Reorder the dims: ``permute(2, 0, 1)``."""
        return _shape.Transpose.apply(self, axes=_shape_args(axes))

    def t(self) -> "Tensor":
        """Transpose of a matrix (≤ 2-D), as ``torch.Tensor.t``."""
        if self.ndim > 2:
            raise ShapeError(f"t(): expects a tensor with <= 2 dimensions, got {self.ndim}-d")
        return self.transpose()

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, index: Any) -> "Tensor":
        return _shape.GetItem.apply(self, index=_plain_index(index))

    # ----------------------------------------------------------- elementwise
    def exp(self) -> "Tensor":
        """eˣ elementwise."""
        return _elementwise.Exp.apply(self)

    def log(self) -> "Tensor":
        """ln x elementwise (natural log)."""
        return _elementwise.Log.apply(self)

    def sqrt(self) -> "Tensor":
        """√x elementwise."""
        return _elementwise.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        """|x| elementwise."""
        return _elementwise.Abs.apply(self)

    def sign(self) -> "Tensor":
        """−1, 0 or 1 by the sign of each element (gradient 0, as PyTorch)."""
        return _elementwise.Sign.apply(self)

    def clip(self, min: float | None = None, max: float | None = None, *,
             low: float | None = None, high: float | None = None) -> "Tensor":
        """Clamp into [min, max] (either may be None; ``low``/``high`` are the same)."""
        return _elementwise.Clip.apply(self, low=low if min is None else min,
                                       high=high if max is None else max)

    clamp = clip

    def relu(self) -> "Tensor":
        """max(x, 0) elementwise."""
        return _activation.ReLU.apply(self)

    def sigmoid(self) -> "Tensor":
        """σ(x) = 1/(1 + e⁻ˣ) elementwise."""
        return _activation.Sigmoid.apply(self)

    def tanh(self) -> "Tensor":
        """tanh(x) elementwise."""
        return _activation.Tanh.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        return _activation.LeakyReLU.apply(self, negative_slope=negative_slope)

    def softmax(self, dim: int | None = None, *, axis: int | None = None) -> "Tensor":
        """softmax along ``dim`` (default the last)."""
        dim = self._one_dim("softmax", dim, axis)
        if not self.data.size:  # empty in, empty out (as PyTorch)
            return self.clone()
        if not self.ndim:
            return self.reshape(1).softmax(0).reshape(())
        return _activation.Softmax.apply(self, axis=dim)

    def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> "Tensor":
        """log softmax along ``dim`` (default the last)."""
        dim = self._one_dim("log_softmax", dim, axis)
        if not self.data.size:
            return self.clone()
        if not self.ndim:
            return self.reshape(1).log_softmax(0).reshape(())
        return _activation.LogSoftmax.apply(self, axis=dim)

    def _one_dim(self, where: str, dim: Any, axis: Any, default: int = -1) -> int:
        dim = _dim_args(where, dim, False, axis, None)[0]
        return check.axis(default if dim is None else dim, self.ndim, where=where)


def _regenerate_view(view: Tensor, version: int) -> None:
    """Re-derive ``view`` (e.g. ``h[0]``) from its base after the base was changed in place
    by an op that needs grad; the old node keeps serving the ops that used it before."""
    fn = view._ctx
    params = getattr(fn, "_params", None)
    if params is None:  # a freed graph: nothing can backpropagate through it any more
        return
    previous = Tensor._from_op(view.data, fn)
    previous._vc = [version]
    fresh = type(fn).apply(fn.parents[0], **params)._ctx
    view._adopt(fresh, previous, version)


def _plain_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Create a tensor (a copy of ``data``), like ``torch.tensor``. Python floats and
    float arrays become float32 unless ``dtype`` says otherwise."""
    if isinstance(dtype, bool):  # the old positional order tensor(data, requires_grad)
        dtype, requires_grad = None, dtype
    t = place(Tensor(_as_array(data, dtype, copy=True), dtype=dtype), device, "tensor")
    return t.requires_grad_(True) if requires_grad else t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Wrap ``data`` as a tensor without copying when it is already an array of that dtype."""
    t = data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)
    return place(t, device, "as_tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and keeping its dtype (``torch.from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise GlassboxTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._from_op(array, None)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing the memory of any DLPack producer (a torch/CuPy/NumPy array)."""
    if isinstance(obj, Tensor):
        return obj
    module = np if getattr(obj, "__dlpack_device__", lambda: (1, 0))()[0] == 1 else backend.cuda_module()
    return Tensor._from_op(module.from_dlpack(obj), None)


# The ops import Tensor, so they are imported after it is defined.
from .. import device as _device  # noqa: E402
from ..ops import activation as _activation  # noqa: E402
from ..ops import arithmetic as _arith  # noqa: E402
from ..ops import elementwise as _elementwise  # noqa: E402
from ..ops import linalg as _linalg  # noqa: E402
from ..ops import reduction as _reduction  # noqa: E402
from ..ops import shape as _shape  # noqa: E402
