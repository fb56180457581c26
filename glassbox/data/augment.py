"""Data augmentation: random, label-preserving changes to image batches ``(N, C, H, W)``.

Every transform is called as ``transform(x, rng)`` on a whole mini-batch: ``x`` is a
float array (or Tensor) of shape ``(N, C, H, W)`` and ``rng`` a ``np.random.Generator``.
Each sample gets its own random parameters (one shift, one angle, ... per image, shared
by its channels), all drawn in one vectorized call, so the same generator state gives
the same augmented batch. The output has the input's shape and dtype.

The geometric transforms are gathers: for every output pixel p we compute the source
pixel it reads (the inverse map), then fetch all of them with one fancy index::

    shift by (dy, dx):     out[i, j] = x[i − dy, j − dx]           (zero outside the image)
    rotate by θ:           src = c + R(−θ)(p − c),  c = the image centre
    bilinear sampling:     out = Σ over the 4 neighbours q of src: (1−|Δi|)(1−|Δj|) · x[q]

Horizontal flips are never for digits: a mirrored 2, 3, 5 or 7 is no longer that digit
(and a few become other symbols), so flipping would teach the model wrong labels. They are
meant for data whose classes are mirror-symmetric (e.g. Fashion-MNIST's shirts and shoes):
``glassbox train`` flips Fashion-MNIST images for its convolutional models by default.

To train with augmentation wrap a loader: ``AugmentedLoader(DataLoader(...), transform,
seed=0)`` yields ``(transform(x), y)``; pass it to ``fit`` as the training data.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .. import backend
from ..core.tensor import Tensor

__all__ = [
    "Transform", "Compose", "RandomShift", "RandomCrop", "RandomRotation",
    "RandomHorizontalFlip", "GaussianNoise", "BrightnessContrast",
    "AugmentedLoader", "shift", "rotate", "default_digit_augmentation",
]


# --------------------------------------------------------------------------- helpers
def _as_batch(x: Any, where: str) -> tuple[np.ndarray, Any]:
    """``x`` as a float NumPy array (N, C, H, W), and its origin: the Tensor's device, or
    None for an array. (Augmentation runs on the host: a batch from a host loader is
    augmented before ``fit``'s one copy to the device.)"""
    origin = x.device if isinstance(x, Tensor) else None
    arr = backend.to_numpy(x.data) if origin is not None else np.asarray(x)
    if arr.ndim != 4:
        raise ValueError(f"{where}: expected an image batch of shape (N, C, H, W), got shape {arr.shape}")
    if arr.dtype.kind != "f":
        raise TypeError(f"{where}: expected a float image batch, got dtype {arr.dtype}")
    return arr, origin


def _back(arr: np.ndarray, origin: Any) -> Any:
    """The augmented batch where it came from (a Tensor back on its device)."""
    return Tensor._from_op(backend.to_device(arr, origin), None) if origin is not None else arr


def _rng(rng: np.random.Generator | None, where: str) -> np.random.Generator:
    if rng is None:
        from ..random import default_generator
        return default_generator()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _nonneg_int(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _nonneg_float(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value >= 0 \
            or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _per_sample(values: Any, n: int, name: str, where: str) -> np.ndarray:
    v = np.asarray(values)
    if v.ndim == 0:
        v = np.full(n, v)
    if v.shape != (n,):
        raise ValueError(f"{where}: {name} must be a scalar or one value per sample ({n}), got shape {v.shape}")
    return v


def _window(padded: np.ndarray, top: np.ndarray, left: np.ndarray, h: int, w: int) -> np.ndarray:
    """``out[n] = padded[n, :, top[n]:top[n]+h, left[n]:left[n]+w]`` with one fancy index."""
    n = padded.shape[0]
    rows = top[:, None] + np.arange(h)                 # (N, H)
    cols = left[:, None] + np.arange(w)                # (N, W)
    return padded[np.arange(n)[:, None, None, None], np.arange(padded.shape[1])[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


# ------------------------------------------------------------------------ functional
def shift(x: Any, dy: Any, dx: Any) -> Any:
    """Translate each image by whole pixels: ``out[i, j] = x[i − dy, j − dx]``, zeros enter.

    ``dy``/``dx`` are ints or one int per sample (positive = down / right).
    """
    where = "shift"
    arr, origin = _as_batch(x, where)
    n, _, h, w = arr.shape
    dy = _per_sample(dy, n, "dy", where).astype(np.int64)
    dx = _per_sample(dx, n, "dx", where).astype(np.int64)
    k = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    k_h, k_w = min(k, h), min(k, w)  # a shift of a whole side or more leaves only zeros
    dy, dx = np.clip(dy, -k_h, k_h), np.clip(dx, -k_w, k_w)
    padded = np.pad(arr, ((0, 0), (0, 0), (k_h, k_h), (k_w, k_w)))
    return _back(_window(padded, k_h - dy, k_w - dx, h, w), origin)


def rotate(x: Any, degrees: Any, mode: str = "bilinear") -> Any:
    """Rotate each image counter-clockwise by ``degrees`` (scalar or one per sample) about
    its centre ``c = ((H−1)/2, (W−1)/2)``; pixels that come from outside are 0.

    Inverse map, with y pointing up (y = c_i − i, x = j − c_j)::

        x_src =  x cos θ + y sin θ,     y_src = −x sin θ + y cos θ

    ``mode`` "bilinear" weights the four neighbours of the source point, "nearest" takes
    the closest one. Rotating a square image by 90° equals ``np.rot90`` on the last two axes.
    """
    where = "rotate"
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"{where}: mode must be 'bilinear' or 'nearest', got {mode!r}")
    arr, origin = _as_batch(x, where)
    n, c, h, w = arr.shape
    theta = np.deg2rad(_per_sample(degrees, n, "degrees", where).astype(np.float64))
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    ci, cj = (h - 1) / 2.0, (w - 1) / 2.0
    yo = (ci - np.arange(h, dtype=np.float64))[None, :, None]   # (1, H, 1)
    xo = (np.arange(w, dtype=np.float64) - cj)[None, None, :]   # (1, 1, W)
    src_j = xo * cos + yo * sin + cj                            # (N, H, W)
    src_i = ci - (-xo * sin + yo * cos)
    # A two-pixel zero border: clipping a corner index into [−2, H] (rows) and [−2, W]
    # (columns) sends every neighbour that lies outside the image onto the border, where it
    # reads 0, and keeps the +1 neighbours inside the padded array.
    hp, wp = h + 4, w + 4
    flat = np.pad(arr, ((0, 0), (0, 0), (2, 2), (2, 2))).reshape(-1)
    base = (np.arange(n) * (c * hp * wp))[:, None, None, None] + (np.arange(c) * (hp * wp))[None, :, None, None]

    def corner(ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        pix = (np.clip(ii, -2, h) + 2) * wp + (np.clip(jj, -2, w) + 2)    # (N, H, W)
        return base + pix[:, None]                                        # (N, C, H, W)

    if mode == "nearest":
        out = np.take(flat, corner(np.rint(src_i).astype(np.int64), np.rint(src_j).astype(np.int64)))
    else:
        # The tiny nudge keeps points that land within float noise below a grid line
        # (e.g. 2.9999999999 after a 90° turn) on that grid point; their weight error is ≤ 1e-6.
        i0, j0 = np.floor(src_i + 1e-6), np.floor(src_j + 1e-6)
        fi = (src_i - i0).astype(arr.dtype)[:, None]
        fj = (src_j - j0).astype(arr.dtype)[:, None]
        k = corner(i0.astype(np.int64), j0.astype(np.int64))
        top = np.take(flat, k) * (1 - fj) + np.take(flat, k + 1) * fj
        bottom = np.take(flat, k + wp) * (1 - fj) + np.take(flat, k + wp + 1) * fj
        out = top * (1 - fi) + bottom * fi
    return _back(out.astype(arr.dtype, copy=False), origin)


# ------------------------------------------------------------------------ transforms
class Transform:
    """Base class: ``transform(x, rng)`` → augmented batch of the same shape and dtype."""

    def __call__(self, x: Any, rng: np.random.Generator | None = None) -> Any:
        arr, origin = _as_batch(x, type(self).__name__)
        out = self.apply(arr, _rng(rng, type(self).__name__))
        return _back(out.astype(arr.dtype, copy=False), origin)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply ``transforms`` in order, all drawing from the same generator."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")
        self.transforms = transforms

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


class RandomShift(Transform):
    """Translate each image by (dy, dx), each drawn uniformly from the integers in
    [−max_shift, max_shift]; the uncovered border is filled with 0."""

    def __init__(self, max_shift: int = 2) -> None:
        self.max_shift = _nonneg_int(max_shift, "max_shift", "RandomShift")

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k = self.max_shift
        d = rng.integers(-k, k + 1, size=(2, x.shape[0]))
        return shift(x, d[0], d[1])


class RandomCrop(Transform):
    """Zero-pad every side by ``padding``, then cut an H×W window at a random offset
    (top, left each uniform in [0, 2·padding]): a shift by up to ``padding`` pixels."""

    def __init__(self, padding: int = 2) -> None:
        self.padding = _nonneg_int(padding, "padding", "RandomCrop")

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.padding
        n, _, h, w = x.shape
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        top, left = rng.integers(0, 2 * p + 1, size=(2, n))
        return _window(padded, top, left, h, w)


class RandomRotation(Transform):
    """Rotate each image by an angle drawn uniformly from [−degrees, degrees] (see ``rotate``)."""

    def __init__(self, degrees: float = 10.0, mode: str = "bilinear") -> None:
        self.degrees = _nonneg_float(degrees, "degrees", "RandomRotation")
        if mode not in ("bilinear", "nearest"):
            raise ValueError(f"RandomRotation: mode must be 'bilinear' or 'nearest', got {mode!r}")
        self.mode = mode

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        angles = rng.uniform(-self.degrees, self.degrees, size=x.shape[0])
        return rotate(x, angles, self.mode)


class RandomHorizontalFlip(Transform):
    """Mirror each image left–right (``x[..., ::-1]``) with probability ``p``.

    Not for digits (see the module docstring); ``glassbox train`` uses it on Fashion-MNIST.
    """

    def __init__(self, p: float = 0.5) -> None:
        if not isinstance(p, (int, float, np.number)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p!r}")
        self.p = float(p)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flip = rng.random(x.shape[0]) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)


class GaussianNoise(Transform):
    """Add i.i.d. noise ε ~ N(0, std²) to every pixel; with ``clip`` the result is
    clipped to [0, 1] (the range of ``load_mnist`` images)."""

    def __init__(self, std: float = 0.05, clip: bool = True) -> None:
        self.std = _nonneg_float(std, "std", "GaussianNoise")
        self.clip = bool(clip)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noise = rng.standard_normal(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
        out = x + self.std * noise
        return np.clip(out, 0.0, 1.0, out=out) if self.clip else out


class BrightnessContrast(Transform):
    """Per image: contrast factor a ~ U[1 − contrast, 1 + contrast] about the image's mean
    m, then brightness factor b ~ U[1 − brightness, 1 + brightness]; clipped to [0, 1]::

        out = clip(b · (m + a · (x − m)), 0, 1)
    """

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2) -> None:
        self.brightness = _nonneg_float(brightness, "brightness", "BrightnessContrast")
        self.contrast = _nonneg_float(contrast, "contrast", "BrightnessContrast")
        if self.brightness > 1 or self.contrast > 1:
            raise ValueError(f"BrightnessContrast: brightness and contrast must be <= 1, got "
                             f"{self.brightness} and {self.contrast}")

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = x.shape[0]
        b = rng.uniform(1 - self.brightness, 1 + self.brightness, size=n).astype(x.dtype)[:, None, None, None]
        a = rng.uniform(1 - self.contrast, 1 + self.contrast, size=n).astype(x.dtype)[:, None, None, None]
        m = x.mean(axis=(1, 2, 3), keepdims=True)
        out = b * (m + a * (x - m))
        return np.clip(out, 0.0, 1.0, out=out)


def default_digit_augmentation() -> Compose:
    """Small rotations (±10°) and shifts (±2 px): handwriting varies this much.
    No flips (they turn digits into non-digits)."""
    return Compose([RandomRotation(10.0), RandomShift(2)])


# ---------------------------------------------------------------------------- loader
class AugmentedLoader:
    """Wrap a loader of ``(x, y)`` batches so it yields ``(transform(x), y)`` as Tensors.

    The transform draws from this wrapper's own generator (``seed``), so the same seed
    and the same underlying loader give the same augmented epochs. ``len()`` is the
    wrapped loader's. The wrapped loader is not changed.
    """

    def __init__(self, loader: Iterable[Any], transform: Any, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        if not callable(transform):
            raise TypeError(f"AugmentedLoader: transform must be callable, got {type(transform).__name__}")
        if seed is not None and generator is not None:
            raise ValueError("AugmentedLoader: pass either seed or generator, not both")
        if generator is None:
            if seed is None:
                from ..random import default_generator
                seed = int(default_generator().integers(2**63))
            generator = np.random.default_rng(seed)
        self.loader, self.transform, self.generator = loader, transform, generator

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for batch in self.loader:
            if not isinstance(batch, (tuple, list)) or len(batch) < 1:
                raise ValueError(f"AugmentedLoader: each batch must be a tuple (x, ...), got {type(batch).__name__}")
            x, *rest = batch
            arr = backend.to_numpy(x.data) if isinstance(x, Tensor) else np.asarray(x)
            out = self.transform(arr, self.generator)
            rest = [r if isinstance(r, Tensor) else Tensor._from_op(backend.xp.asarray(r), None) for r in rest]
            yield (Tensor._from_op(backend.xp.asarray(out), None), *rest)

    def state_dict(self) -> dict[str, Any]:
        """The wrapped loader's state and this wrapper's generator state (for resuming)."""
        inner = getattr(self.loader, "state_dict", None)
        return {"loader": inner() if inner is not None else None,
                "generator": self.generator.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("loader") is not None:
            self.loader.load_state_dict(state["loader"])  # type: ignore[attr-defined]
        self.generator.bit_generator.state = state["generator"]

    def __repr__(self) -> str:
        return f"AugmentedLoader({self.loader!r}, {self.transform!r})"
