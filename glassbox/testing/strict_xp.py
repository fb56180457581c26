"""A strict stand-in for CuPy, so the GPU code path is tested on machines without a GPU.

It is NumPy underneath, but its array type, :class:`ndarray`, is its own and behaves like
``cupy.ndarray`` where CuPy is stricter than NumPy:

* **No implicit conversion to NumPy.** ``numpy.asarray(a)`` raises ``TypeError`` (CuPy's
  message), NumPy ufuncs refuse it, and mixing it with a ``numpy.ndarray`` in an operator
  or a function raises. The only ways back are :func:`asnumpy`, ``a.get()`` and the
  scalar conversions (``item()``, ``float(a)``, ``bool(a)``, ``tolist()``), and each of
  those is counted in :data:`transfers` — so a test can count device→host round trips.
* **Reductions give 0-d arrays**, never NumPy scalars.
* **What CuPy lacks is missing here too**: ``errstate``/``seterr``/``geterr``,
  ``as_strided(writeable=)``, ``ndarray.flags.writeable``/``setflags``, ``__array_interface__``,
  and every function not in the explicit list below.

Select it as device ``"cuda"`` with ``glassbox.backend.set_cuda_module("strict")`` (or make
it the default with ``backend.use("strict")``). It is slow (every call is wrapped): use tiny
sizes.
"""
from __future__ import annotations

import types
from typing import Any

import numpy as _np

#: device↔host copies so far: ``to_host`` (asnumpy/get/item/float/bool/int/tolist/repr)
#: and ``to_device`` (asarray/array of host data)
transfers = {"to_host": 0, "to_device": 0}

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


def reset_transfers() -> None:
    transfers["to_host"] = transfers["to_device"] = 0


def _unsupported(value: Any) -> TypeError:
    return TypeError(f"Unsupported type {type(value)} (strict_xp, like CuPy, does not mix "
                     "with host numpy.ndarray; move it with asarray() first)")


# ------------------------------------------------------------ wrapping and unwrapping
def _wrap(value: Any) -> Any:
    """NumPy results → strict arrays (NumPy scalars become 0-d arrays, as in CuPy)."""
    if isinstance(value, _np.ndarray):
        out = ndarray.__new__(ndarray)
        out._a = value
        return out
    if isinstance(value, _np.generic):
        return _wrap(_np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    """Strict arrays → their NumPy arrays; host ``numpy.ndarray`` refused (as CuPy does)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, _np.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _unwrap_index(index: Any) -> Any:
    """Indices may be strict arrays, or host integer/boolean arrays (CuPy copies those)."""
    if isinstance(index, ndarray):
        return index._a
    if isinstance(index, tuple):
        return tuple(_unwrap_index(i) for i in index)
    return index


def _call(fn: Any, args: Any, kwargs: Any) -> Any:
    out = kwargs.get("out")
    result = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    if isinstance(out, ndarray):
        return out
    return _wrap(result)


class _Flags:
    """CuPy's ``flags``: contiguity and ownership, no ``writeable``."""

    def __init__(self, a: _np.ndarray) -> None:
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.flags.owndata

    def __getitem__(self, key: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[key]


# ----------------------------------------------------------------------- ndarray
class ndarray:  # noqa: N801 - CuPy's name
    """A device array stand-in: a NumPy array inside, CuPy's manners outside."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # NumPy ufuncs and numpy.ndarray operators refuse us
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape: Any, dtype: Any = float) -> None:
        self._a = _np.empty(shape, dtype=dtype)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_IMPLICIT)

    # --- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: _wrap(self._a.T))

    @property
    def base(self) -> Any:
        return None if self._a.base is None else _wrap(_np.asarray(self._a.base))

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._a)

    def __getitem__(self, index: Any) -> Any:
        return _wrap(self._a[_unwrap_index(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self._a[_unwrap_index(index)] = _unwrap(value)

    # --- the only ways back to the host, each counted
    def get(self) -> _np.ndarray:
        transfers["to_host"] += 1
        return self._a.copy()

    def item(self) -> Any:
        transfers["to_host"] += 1
        return self._a.item()

    def tolist(self) -> Any:
        transfers["to_host"] += 1
        return self._a.tolist()

    def _scalar(self, kind: Any) -> Any:
        if self._a.size != 1:
            raise TypeError(f"only size-1 arrays can be converted to Python scalars, got shape "
                            f"{self._a.shape}")
        transfers["to_host"] += 1
        return kind(self._a.reshape(-1)[0])

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __bool__(self) -> bool:
        return self._scalar(bool)

    def __index__(self) -> int:
        if self._a.dtype.kind not in "iu" or self._a.ndim:
            raise TypeError("only 0-d integer arrays can be used as an index")
        return self._scalar(int)

    def __complex__(self) -> complex:
        return self._scalar(complex)

    def __repr__(self) -> str:
        transfers["to_host"] += 1
        return repr(self._a)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(self._scalar(float), spec) if self._a.size == 1 else repr(self)

    def __reduce__(self) -> Any:  # pickling (copy.deepcopy, multiprocessing) keeps the type
        return (_wrap, (self._a.copy(),))

    def __deepcopy__(self, memo: Any) -> "ndarray":
        return _wrap(self._a.copy())

    def __copy__(self) -> "ndarray":
        return _wrap(self._a.copy())

    # --- in-place methods
    def fill(self, value: Any) -> None:
        self._a.fill(_unwrap(value))


def _operand(value: Any) -> Any:
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (_np.ndarray, list, tuple)):
        raise _unsupported(value)
    return value


def _binary(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        return _wrap(getattr(self._a, name)(_operand(other)))
    op.__name__ = name
    return op


def _inplace(name: str) -> Any:
    def op(self: ndarray, other: Any) -> ndarray:
        getattr(self._a, name)(_operand(other))
        return self
    op.__name__ = name
    return op


def _unary(name: str) -> Any:
    def op(self: ndarray) -> Any:
        return _wrap(getattr(self._a, name)())
    op.__name__ = name
    return op


def _method(name: str) -> Any:
    def method(self: ndarray, *args: Any, **kwargs: Any) -> Any:
        return _call(getattr(self._a, name), args, kwargs)
    method.__name__ = name
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and",
              "or", "xor", "lshift", "rshift"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _binary(f"__r{_name}__"))
    setattr(ndarray, f"__i{_name}__", _inplace(f"__i{_name}__"))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _unary(f"__{_name}__"))
for _name in ("sum", "mean", "max", "min", "argmax", "argmin", "prod", "var", "std", "any",
              "all", "cumsum", "reshape", "transpose", "swapaxes", "squeeze", "ravel",
              "flatten", "astype", "copy", "clip", "dot", "take", "repeat", "nonzero", "sort",
              "argsort", "round", "view", "conj", "trace", "diagonal", "argpartition",
              "partition"):
    setattr(ndarray, _name, _method(_name))


# --------------------------------------------------------------- module functions
class _Ufunc:
    """A NumPy ufunc with CuPy's interface (CuPy ≥ 13 has ``at``/``reduce``/... too)."""

    def __init__(self, ufunc: _np.ufunc) -> None:
        self._u = ufunc
        self.__name__ = self.name = ufunc.__name__
        self.nin, self.nout, self.nargs = ufunc.nin, ufunc.nout, ufunc.nargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._u, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name not in ("at", "reduce", "accumulate", "outer", "reduceat"):
            raise AttributeError(name)
        method = getattr(self._u, name)
        return lambda *args, **kwargs: _call(method, args, kwargs)

    def __repr__(self) -> str:
        return f"<strict_xp ufunc {self.name!r}>"


def _function(name: str, source: Any = _np) -> Any:
    fn = getattr(source, name)
    if isinstance(fn, _np.ufunc):
        return _Ufunc(fn)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return _call(fn, args, kwargs)
    wrapped.__name__ = name
    wrapped.__doc__ = f"strict_xp.{name}: numpy.{name} on strict arrays (see the module)."
    return wrapped


# What CuPy has and glassbox may call. Anything else is missing, on purpose.
_FUNCTIONS = """
abs absolute add all allclose amax amin any arange arccos arcsin arctan arctan2 argmax argmin
argpartition argsort argwhere around array_equal atleast_1d atleast_2d bincount broadcast_arrays
broadcast_to ceil clip column_stack concatenate copysign cos cosh count_nonzero cumprod cumsum
diag diagonal diff divide dot dsplit dstack einsum empty empty_like equal exp exp2 expand_dims
expm1 eye flatnonzero flip fliplr flipud floor floor_divide fmax fmin fmod full full_like greater
greater_equal hsplit hstack hypot identity inner isclose isfinite isinf isnan kron less less_equal
linspace log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor
matmul max maximum mean median min minimum mod moveaxis multiply nan_to_num nanmax nanmean nanmin
nansum negative nonzero not_equal ones ones_like outer pad partition percentile power prod ptp
put_along_axis ravel reciprocal remainder repeat reshape rint roll rollaxis rot90 round sign
signbit sin sinh sort split sqrt square squeeze stack std subtract sum swapaxes take
take_along_axis tan tanh tensordot tile trace transpose tril triu true_divide trunc unique
unravel_index var vdot vsplit vstack where zeros zeros_like
""".split()

_PASSTHROUGH = """
bool_ complex64 complex128 dtype e euler_gamma finfo float16 float32 float64 iinfo inf int8 int16
int32 int64 intp isscalar issubdtype nan newaxis pi promote_types result_type uint uint8 uint16
uint32 uint64 can_cast ndim shape size
""".split()

for _name in _FUNCTIONS:
    globals()[_name] = _function(_name)
for _name in _PASSTHROUGH:
    globals()[_name] = getattr(_np, _name)


def _host(a: Any) -> Any:
    """Host data to copy over: NumPy arrays and (nested) lists; strict arrays inside a list
    are unwrapped."""
    if isinstance(a, _np.ndarray):
        return a
    if isinstance(a, (list, tuple)):
        return type(a)(_host(v) for v in a)
    return a._a if isinstance(a, ndarray) else a


def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    """To the device: strict arrays pass through (cast if asked), host data is copied over."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == _np.dtype(dtype) else a.astype(dtype)
    transfers["to_device"] += 1
    return _wrap(_np.array(_host(a), dtype=dtype, order=order or "K"))


def array(a: Any, dtype: Any = None, copy: bool = True, order: Any = "K", ndmin: int = 0) -> ndarray:
    if isinstance(a, ndarray):
        return _wrap(_np.array(a._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    transfers["to_device"] += 1
    return _wrap(_np.array(_host(a), dtype=dtype, order=order, ndmin=ndmin))


asanyarray = asarray


def ascontiguousarray(a: Any, dtype: Any = None) -> ndarray:
    if not isinstance(a, ndarray):
        raise _unsupported(a)
    return _wrap(_np.ascontiguousarray(a._a, dtype=dtype))


def copyto(dst: ndarray, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    _np.copyto(_unwrap(dst), _operand(src), casting=casting, where=_unwrap(where))


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None) -> _np.ndarray:
    """Device → host (counted)."""
    if isinstance(a, ndarray):
        transfers["to_host"] += 1
        return _np.array(a._a, order=order, copy=True)
    return _np.asarray(a, order=order)


def get_array_module(*args: Any) -> types.ModuleType:
    import sys  # noqa: PLC0415

    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else _np


# ------------------------------------------------------------------ sub-namespaces
def _as_strided(x: ndarray, shape: Any = None, strides: Any = None) -> ndarray:
    """CuPy's signature: no ``subok``, no ``writeable``."""
    if not isinstance(x, ndarray):
        raise _unsupported(x)
    return _wrap(_np.lib.stride_tricks.as_strided(x._a, shape, strides))


lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))

linalg = types.SimpleNamespace(**{
    name: _function(name, _np.linalg)
    for name in ("norm", "svd", "qr", "inv", "pinv", "det", "slogdet", "solve", "eigh",
                 "eigvalsh", "cholesky", "lstsq", "matrix_power")
})


class Generator:
    """CuPy's ``random.Generator`` subset: draws on the device (here: a NumPy generator)."""

    def __init__(self, seed: Any = None) -> None:
        self._g = seed if isinstance(seed, _np.random.Generator) else _np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = _np.float64) -> ndarray:
        return _wrap(_np.asarray(self._g.random(size, dtype=dtype)))

    def standard_normal(self, size: Any = None, dtype: Any = _np.float64) -> ndarray:
        return _wrap(_np.asarray(self._g.standard_normal(size, dtype=dtype)))

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> ndarray:
        return _wrap(_np.asarray(self._g.normal(loc, scale, size)))

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None,
                dtype: Any = _np.float64) -> ndarray:
        return _wrap(_np.asarray(self._g.uniform(low, high, size)).astype(dtype))

    def integers(self, low: int, high: Any = None, size: Any = None, dtype: Any = _np.int64,
                 endpoint: bool = False) -> ndarray:
        return _wrap(_np.asarray(self._g.integers(low, high, size, dtype=dtype, endpoint=endpoint)))

    def permutation(self, x: Any) -> ndarray:
        return _wrap(self._g.permutation(_unwrap(x)))

    def binomial(self, n: Any, p: Any, size: Any = None) -> ndarray:
        return _wrap(_np.asarray(self._g.binomial(_unwrap(n), _unwrap(p), size)))


def _default_rng(seed: Any = None) -> Generator:
    return Generator(seed)


random = types.SimpleNamespace(
    default_rng=_default_rng, Generator=Generator,
    rand=lambda *shape: _wrap(_np.random.rand(*shape)),
    randn=lambda *shape: _wrap(_np.random.randn(*shape)),
    seed=_np.random.seed,
)

__all__ = sorted(set(_FUNCTIONS) | set(_PASSTHROUGH) | {
    "ndarray", "asarray", "array", "asanyarray", "ascontiguousarray", "copyto", "asnumpy",
    "get_array_module", "lib", "linalg", "random", "transfers", "reset_transfers"})
