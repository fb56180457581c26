"""Devices, as in PyTorch: ``gb.device("cpu")``, ``gb.device("cuda")``, ``gb.device("cuda:0")``.

    >>> import glassbox as gb
    >>> dev = gb.device("cuda" if gb.cuda.is_available() else "cpu")
    >>> model = gb.models.MLP(784, [128], 10).to(dev)      # doctest: +SKIP
    >>> x = gb.randn(4, 784).to(dev)                        # doctest: +SKIP

A tensor lives where its array lives: a NumPy array is on ``cpu``, a CuPy array on
``cuda:0`` (in tests without a GPU, the strict stand-in plays CuPy, see
``glassbox.backend.set_cuda_module("strict")``). ``Tensor.to(device)`` copies across
(the gradient flows back across the copy), ``Module.to(device)`` moves parameters and
buffers in place. glassbox drives one GPU: ``cuda:0``.
"""
from __future__ import annotations

from typing import Any

import numpy

from . import backend
from .errors import GlassboxRuntimeError, GlassboxTypeError, InvalidArgumentError

DEVICE_TYPES = ("cpu", "cuda")


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor's memory is: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``,
    ``device("cuda", 0)``. ``.type`` is ``"cpu"`` or ``"cuda"``, ``.index`` the GPU's
    number (``None`` when not given, as in PyTorch)."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise GlassboxTypeError(
                f"glassbox.device: expected a string such as 'cpu' or 'cuda:0', "
                f"got {type!r} of type {builtin_type(type).__name__}"
            )
        name, _, number = type.partition(":")
        if name not in DEVICE_TYPES:
            raise InvalidArgumentError(
                f"glassbox.device: unknown device type {name!r} in {type!r}; "
                f"expected one of {', '.join(DEVICE_TYPES)} (e.g. 'cuda:0')"
            )
        if number:
            if index is not None:
                raise InvalidArgumentError(
                    f"glassbox.device: {type!r} already names an index; got index={index!r} too"
                )
            if not number.isdigit():
                raise InvalidArgumentError(f"glassbox.device: bad device index in {type!r}")
            index = int(number)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise InvalidArgumentError(
                    f"glassbox.device: index must be a non-negative int, got {index!r}"
                )
            if name == "cpu" and index != 0:
                raise InvalidArgumentError(f"glassbox.device: the CPU has index 0 only, got {index}")
            if name == "cuda" and index != 0:
                raise InvalidArgumentError(
                    f"glassbox.device: glassbox drives one GPU, 'cuda:0'; got 'cuda:{index}'"
                )
        self.type, self.index = name, index

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (InvalidArgumentError, GlassboxTypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{extra})"


builtin_type = type
CPU = device("cpu")
CUDA0 = device("cuda", 0)


def as_device(spec: "str | device | None", where: str = "glassbox") -> device:
    """A ``device`` from a string or device; ``"cuda"`` checks that a device module is at
    hand and says how to get one when not."""
    dev = spec if isinstance(spec, device) else device(spec if spec is not None else "cpu")
    if dev.type == "cuda":
        try:
            backend.cuda_module()
        except GlassboxRuntimeError as exc:
            raise GlassboxRuntimeError(
                f"{where}: device {str(dev)!r} asked for, but CUDA is not available: {exc}"
            ) from None
    return dev


def of_array(array: Any) -> device:
    """The device an array lives on."""
    return CPU if backend.is_host(array) else CUDA0


def auto() -> device:
    """``cuda`` when a GPU is available, else ``cpu`` (``--device auto``)."""
    return device("cuda") if is_available() else CPU


# ------------------------------------------------------------------- gb.cuda.*
def is_available() -> bool:
    """True only when CuPy imports and sees a GPU — or in tests, when the strict stand-in
    has been installed as device "cuda" (``backend.set_cuda_module("strict")``)."""
    if backend.cuda_choice() == "strict":
        return backend.cuda_loaded()
    return device_count() > 0


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    if backend.cuda_choice() == "strict":
        return 1 if backend.cuda_loaded() else 0
    try:
        import cupy  # noqa: PLC0415 - optional dependency
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # ImportError, or CUDARuntimeError without a driver/GPU
        return 0


def get_device_name(index: int = 0) -> str:
    """The GPU's name, e.g. ``"NVIDIA H200"`` (``"strict stand-in"`` in tests)."""
    if backend.cuda_choice() == "strict":
        return "strict stand-in (NumPy, no GPU)"
    import cupy  # noqa: PLC0415

    props = cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize() -> None:
    """Wait for the GPU to finish queued work (for timing); nothing to wait for on the CPU."""
    if backend.cuda_loaded() and backend.cuda_choice() == "cupy":
        backend.cuda_module().cuda.Device().synchronize()


# ----------------------------------------------------------- moving a tensor across
def _transfer_class() -> type:
    from .core.function import Function  # noqa: PLC0415 - core imports this module lazily

    class ToDevice(Function):
        """y = x on another device. Backward: ∂L/∂x = ∂L/∂y copied back to x's device."""

        def backward(self, grad: Any) -> Any:
            return backend.to_device(grad, self.source)

    return ToDevice


_ToDevice: type | None = None


def move(t: Any, dev: "str | device") -> Any:
    """``t`` on device ``dev``: ``t`` itself when it is already there, else a copy that
    stays in the graph (the gradient is copied back), like ``torch.Tensor.to``."""
    global _ToDevice
    from .core.grad_mode import _GradMode  # noqa: PLC0415
    from .core.tensor import Tensor  # noqa: PLC0415

    target = as_device(dev, where="Tensor.to")
    if of_array(t.data).type == target.type:
        return t
    data = backend.to_device(t.data, target)
    if not (t.requires_grad and _GradMode.enabled):
        return Tensor._from_op(data, None)
    if _ToDevice is None:
        _ToDevice = _transfer_class()
    fn = _ToDevice()
    fn.source = of_array(t.data)
    fn.needs_input_grad = (True,)
    fn.parents = (t,)
    return Tensor._from_op(data, fn)


def move_module(module: Any, dev: "str | device") -> Any:
    """Move every parameter (and its gradient) and buffer of ``module`` to ``dev`` in
    place. Parameters keep their identity, so an optimizer built before still updates
    them; its state follows on its next ``step()``."""
    target = as_device(dev, where=f"{type(module).__name__}.to")
    for sub in module.modules():
        for p in sub._parameters.values():
            if p is None:
                continue
            p.data = backend.to_device(p.data, target)
            if p.grad is not None:
                p.grad.data = backend.to_device(p.grad.data, target)
        for name, buf in list(sub._buffers.items()):
            if buf is None:
                continue
            moved = backend.to_device(buf, target)
            sub._buffers[name] = moved
            object.__setattr__(sub, name, moved)
    return module


def follow(state: dict, reference: Any) -> None:
    """Move the arrays in ``state`` (an optimizer's per-parameter dict) in place to the
    device of ``reference`` (its parameter) — how optimizer state follows ``Module.to``."""
    target = of_array(reference)
    for key, value in state.items():
        if isinstance(value, (int, float, numpy.generic)) or not hasattr(value, "shape"):
            continue  # step counters and other numbers stay Python/NumPy scalars
        if of_array(value) != target:
            state[key] = backend.to_device(value, target)


def _looks_like_device(arg: Any) -> bool:
    return isinstance(arg, device) or (
        isinstance(arg, str) and arg.partition(":")[0] in DEVICE_TYPES)


def tensor_to(t: Any, *args: Any, **kwargs: Any) -> Any:
    """``Tensor.to``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``;
    keywords ``device=``, ``dtype=`` (``non_blocking=``/``copy=`` accepted, as in PyTorch)."""
    from .core.tensor import Tensor  # noqa: PLC0415

    dev, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise GlassboxTypeError(f"Tensor.to: unexpected keyword argument(s) {sorted(kwargs)}")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dev, dtype = other.device, other.dtype
    elif rest and (rest[0] is None or _looks_like_device(rest[0])):
        dev = rest.pop(0)
    if rest and dtype is None:
        dtype = rest.pop(0)
    if rest:
        raise GlassboxTypeError(f"Tensor.to: unexpected argument(s) {rest!r}")
    out = t if dev is None else move(t, dev)
    if dtype is not None and numpy.dtype(dtype) != out.dtype:
        out = out.astype(dtype)
    if copy and out is t:
        out = t.copy()
    return out


# ------------------------------------------------------------ the training loop's helpers
def of_module(module: Any) -> device:
    """The device of a model: where its first parameter (or buffer) is; ``cpu`` if none."""
    for p in module.parameters():
        return of_array(p.data)
    for _, buf in module.named_buffers():
        return of_array(buf)
    return CPU


def batch_to(dev: device, *tensors: Any) -> tuple[Any, ...]:
    """Each tensor of a batch on ``dev`` — one host→device copy per tensor that is not
    there yet (labels copied over also remember their range, see ``backend.value_range``)."""
    if dev.type == "cpu" and not backend.cuda_loaded():
        return tensors
    return tuple(move(t, dev) for t in tensors)


def host_numbers(*values: Any) -> list[Any]:
    """Scalars (0-d/1-element arrays, or ``None``) as Python numbers, with at most one
    device→host copy for all of them together: the training step's one round trip."""
    on_device = [v for v in values if v is not None and not backend.is_host(v)]
    fetched: list[Any] = []
    if on_device:
        module = backend.cuda_module()
        stacked = module.stack([v.reshape(()).astype(numpy.float64) for v in on_device])
        fetched = backend.to_host(stacked).tolist()
    out, k = [], 0
    for v in values:
        if v is None:
            out.append(None)
        elif backend.is_host(v):
            out.append(numpy.asarray(v).item())
        else:
            out.append(fetched[k])
            k += 1
    return out


def resolve(spec: "str | device") -> device:
    """``--device``: ``"auto"`` is ``cuda`` when a GPU is available, else ``cpu``;
    ``"cuda"`` without one is a clear error."""
    if spec == "auto":
        return auto()
    return as_device(spec, where="--device")


def module_for(spec: "str | device | None", where: str = "glassbox") -> Any:
    """The array module that makes new arrays for ``device=spec``: NumPy for ``"cpu"``,
    the device module for ``"cuda"``, and ``backend.xp`` (the default) for ``None``."""
    if spec is None:
        return backend.xp
    dev = as_device(spec, where=where)
    return numpy if dev.type == "cpu" else backend.cuda_module()
