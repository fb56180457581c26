"""Image files as model inputs: PNG / JPEG (through Pillow) and ``.npy`` arrays.

``load_image(path)`` returns one grey image as float32 in [0, 1], shape ``(28, 28)`` by
default, shaped like MNIST: light strokes on a dark background. Every conversion it makes
is reported in the notes it returns (nothing happens silently):

* colour (RGB, palette, CMYK) → grey by ITU-R 601 luma L = 0.299 R + 0.587 G + 0.114 B,
  Pillow's "L" conversion; an alpha channel is composited over white first;
* any other size → padded to a square with the background (so the digit is not
  stretched), then resized with a bilinear filter;
* dark-on-light (a digit drawn in ink on paper: the border is brighter than 0.5 on
  average) → inverted, x ← 1 − x, to MNIST's light-on-dark.

``.npy`` files hold one image, ``(H, W)`` or ``(1, H, W)``; integer arrays are read as
0..255, float arrays as 0..1.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy")


def _from_npy(path: Path) -> tuple[np.ndarray, list[str]]:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise DataError(f"{path} holds several arrays (.npz); give one image per .npy file")
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or arr.size == 0:
        raise DataError(f"{path}: expected one grey image of shape (H, W) or (1, H, W), got shape {arr.shape}")
    if arr.dtype.kind in "iub":
        return arr.astype(np.float32) / 255.0, []
    if arr.dtype.kind != "f":
        raise DataError(f"{path}: expected a numeric image, got dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise DataError(f"{path} contains NaN or infinite pixels")
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise DataError(f"{path}: float pixels must lie in [0, 1], got [{arr.min():g}, {arr.max():g}]")
    return arr, []


def _from_picture(path: Path) -> tuple[np.ndarray, list[str]]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            image = img.copy()
    except UnidentifiedImageError:
        raise DataError(f"{path} is not an image (expected PNG, JPEG or .npy)") from None
    except OSError as exc:
        raise DataError(f"{path} is not a readable image ({exc})") from None
    notes = []
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
        notes.append("transparent pixels composited over white")
    if image.mode not in ("L", "1", "I", "I;16", "F"):
        rgb = np.asarray(image.convert("RGB"))
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])):
            notes.append(f"colour image ({image.mode}) converted to grey")
        image = image.convert("L")
    if image.mode in ("I", "I;16", "F"):
        arr = np.asarray(image, dtype=np.float32)
        top = 65535.0 if arr.max() > 255 else 255.0
        return np.clip(arr / top, 0.0, 1.0), notes
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0, notes


def _square_and_resize(arr: np.ndarray, size: tuple[int, int], background: float) -> np.ndarray:
    from PIL import Image

    h, w = arr.shape
    side = max(h, w)
    square = np.full((side, side), background, dtype=np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = arr
    resized = Image.fromarray(square, mode="F").resize((size[1], size[0]), Image.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def load_image(path: str | os.PathLike, size: tuple[int, int] = (28, 28),
               invert: bool | None = None) -> tuple[np.ndarray, list[str]]:
    """One image file as a float32 array of shape ``size`` in [0, 1], light on dark, and
    the notes saying what was converted (see the module docstring).

    Args:
        path: a PNG, JPEG (or anything Pillow reads) or ``.npy`` file.
        size: (height, width) the model takes.
        invert: True/False forces/forbids the dark-on-light inversion; None decides from
            the border's brightness.

    Raises:
        FileNotFoundError: no such file.
        DataError: the file is not an image, or not a usable one.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an image file")
    arr, notes = (_from_npy if path.suffix.lower() == ".npy" else _from_picture)(path)
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    dark_on_light = bool(border.mean() > 0.5) if invert is None else bool(invert)
    if arr.shape != tuple(size):
        notes.append(f"resized from {arr.shape[0]}×{arr.shape[1]} to {size[0]}×{size[1]}")
        arr = _square_and_resize(arr, size, float(np.median(border)))
    if dark_on_light:
        arr = 1.0 - arr
        notes.append("dark on light: inverted to light on dark, as the training digits are")
    return arr.astype(np.float32), notes


def image_files(paths: list[str | os.PathLike]) -> list[Path]:
    """The files to read: each file as given, each folder's image files (sorted by name)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise DataError(f"{p} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return files
