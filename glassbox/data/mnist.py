"""MNIST and Fashion-MNIST: find the IDX files locally, or download and verify them.

``load_mnist`` looks for a folder holding the four files (each raw or ``.gz``)::

    train-images-idx3-ubyte  train-labels-idx1-ubyte
    t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte

in this order: ``root``, ``root/<name>``, ``$GLASSBOX_DATA/<name>`` (for MNIST
then ``$GLASSBOX_DATA/mnist-5k``, a 5,000-image training sample with the full
test set), then the user cache ``$XDG_CACHE_HOME/glassbox/<name>`` (default
``~/.cache/glassbox/<name>``). If none has them and ``download`` is true, the
official files are fetched into the cache, each checked against its published
MD5 before it is moved into place.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .idx import read_idx
from ..errors import DataError, DatasetNotFoundError

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}

# MD5 of the published .gz files (the values torchvision checks against).
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)

# Indirection so tests can swap the network for a fake.
_urlopen: Callable[..., Any] = urllib.request.urlopen




def _check_name(name: str) -> str:
    if name not in MIRRORS:
        raise ValueError(f"load_mnist: unknown dataset name {name!r}; choose one of {sorted(MIRRORS)}")
    return name


def cache_dir(name: str) -> Path:
    """Where downloads go: ``$XDG_CACHE_HOME/glassbox/<name>`` or ``~/.cache/glassbox/<name>``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "glassbox" / name


def search_dirs(name: str = "mnist", root: str | os.PathLike | None = None) -> list[Path]:
    """The folders ``load_mnist`` looks in, in order."""
    _check_name(name)
    dirs: list[Path] = []
    if root is not None:
        dirs += [Path(root), Path(root) / name]
    env = os.environ.get("GLASSBOX_DATA")
    if env:
        dirs.append(Path(env) / name)
        if name == "mnist":
            dirs.append(Path(env) / "mnist-5k")
    dirs.append(cache_dir(name))
    seen: set[Path] = set()
    return [d for d in dirs if not (d in seen or seen.add(d))]


def _find_file(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The dataset files present in ``folder`` and the names of those missing."""
    found, missing = {}, []
    for key, stem in FILES.items():
        path = _find_file(folder, stem)
        if path is None:
            missing.append(stem)
        else:
            found[key] = path
    return found, missing


def _progress(label: str, done: int, total: int | None, start: float) -> None:
    mb = done / 1e6
    rate = mb / max(time.perf_counter() - start, 1e-9)
    if total:
        frac = done / total
        bar = "#" * int(30 * frac)
        msg = f"\r{label} [{bar:<30}] {100 * frac:5.1f}% {mb:6.1f}/{total / 1e6:.1f} MB {rate:5.1f} MB/s"
    else:
        msg = f"\r{label} {mb:6.1f} MB {rate:5.1f} MB/s"
    sys.stderr.write(msg)
    sys.stderr.flush()


def download_file(url: str, dest: Path, md5: str | None, progress: bool = True, timeout: float = 30.0) -> Path:
    """Fetch ``url`` into ``dest`` atomically: write a temp file beside it, check its MD5, rename.

    On any failure the temp file is removed and ``dest`` is left untouched.

    Raises:
        ValueError: the downloaded bytes do not have the expected MD5.
        OSError: the download itself failed (``urllib.error.URLError`` is one).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.md5()
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length") if getattr(resp, "headers", None) else None
            total = int(length) if length else None
            done, start, last = 0, time.perf_counter(), 0.0
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                now = time.perf_counter()
                if progress and now - last > 0.1:
                    _progress(dest.name, done, total, start)
                    last = now
            if progress:
                _progress(dest.name, done, total, start)
                sys.stderr.write("\n")
        if md5 is not None and digest.hexdigest() != md5:
            raise ValueError(
                f"checksum mismatch for {url}: expected MD5 {md5}, got {digest.hexdigest()} ({done} bytes)"
            )
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def download_mnist(name: str = "mnist", folder: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Download the four files of ``name`` into ``folder`` (default: the cache), trying each mirror.

    Files already present are kept. Raises ``DatasetNotFoundError`` with every mirror's
    failure when a file cannot be had from any of them.
    """
    _check_name(name)
    folder = Path(folder) if folder is not None else cache_dir(name)
    for stem in FILES.values():
        if _find_file(folder, stem) is not None:
            continue
        fname = f"{stem}.gz"
        errors = []
        for mirror in MIRRORS[name]:
            url = mirror + fname
            try:
                download_file(url, folder / fname, MD5[name][fname], progress=progress)
                break
            except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError is an OSError
                errors.append(f"{url}: {exc}")
        else:
            raise DatasetNotFoundError(
                f"could not download {fname} of {name} into {folder}:\n  " + "\n  ".join(errors)
            )
    return folder


def _not_found_message(name: str, dirs: list[Path], notes: dict[Path, str], extra: str = "") -> str:
    lines = [f"{name} not found. Looked in:"]
    for d in dirs:
        lines.append(f"  {d}  ({notes.get(d, 'missing')})")
    lines.append(
        "Put the four files (" + ", ".join(FILES.values()) + ", each raw or .gz) in one of these "
        "folders, pass load_mnist(root=...), or set GLASSBOX_DATA to a folder holding "
        f"{name}/" + (" or mnist-5k/" if name == "mnist" else "") + "."
    )
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def locate_mnist(name: str = "mnist", root: str | os.PathLike | None = None, download: bool = True,
                 progress: bool = True) -> dict[str, Path]:
    """Paths of the four files of ``name``, searching (and downloading) as ``load_mnist`` does."""
    dirs = search_dirs(name, root)
    notes: dict[Path, str] = {}
    for d in dirs:
        if not d.is_dir():
            notes[d] = "no such folder"
            continue
        found, missing = find_files(d)
        if not missing:
            return found
        notes[d] = "missing " + ", ".join(missing)
    if not download:
        raise DatasetNotFoundError(_not_found_message(name, dirs, notes, "download=False, so nothing was fetched."))
    try:
        folder = download_mnist(name, cache_dir(name), progress=progress)
    except DatasetNotFoundError as exc:
        raise DatasetNotFoundError(_not_found_message(name, dirs, notes, f"Download failed: {exc}")) from None
    return find_files(folder)[0]


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"load_mnist: {images_path} should hold uint8 images of shape (N, 28, 28), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"load_mnist: {labels_path} should hold uint8 labels of shape (N,), got {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the counts must match"
        )
    if len(images) == 0:  # a valid IDX file (read_idx returns the empty array), but no data set
        raise DataError(f"load_mnist: {images_path} holds 0 images (an IDX file of shape "
                        f"{images.shape}): nothing to train or test on")
    if len(labels) and labels.max() >= NUM_CLASSES:
        raise ValueError(f"load_mnist: {labels_path} has label {int(labels.max())}, expected 0..{NUM_CLASSES - 1}")
    return images, labels


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    x = images.astype(np.float32)
    np.divide(x, np.float32(255), out=x)  # in place: one float32 buffer, no temporaries
    return x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *IMAGE_SHAPE)


def load_mnist(
    root: str | os.PathLike | None = None,
    name: str = "mnist",
    download: bool = True,
    flatten: bool = False,
    progress: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST or Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Images are float32 in [0, 1] of shape ``(N, 1, 28, 28)`` (``(N, 784)`` with
    ``flatten=True``); labels are int64 in 0..9. See the module docstring for where
    the files are looked for. Note that with ``GLASSBOX_DATA`` pointing at the
    shared test data, ``name="mnist"`` finds the 5,000-image training sample.

    Raises:
        DatasetNotFoundError: no folder holds the files and they could not be downloaded;
            the message lists every folder searched.
        ValueError: a file is not valid IDX, or images and labels do not match.
    """
    _check_name(name)
    paths = locate_mnist(name, root, download, progress)
    x_train, y_train = _read_split(paths["train_images"], paths["train_labels"])
    x_test, y_test = _read_split(paths["test_images"], paths["test_labels"])
    return (
        (_to_float(x_train, flatten), y_train.astype(np.int64)),
        (_to_float(x_test, flatten), y_test.astype(np.int64)),
    )
