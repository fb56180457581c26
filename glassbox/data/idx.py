"""Read and write IDX files, the binary format of MNIST and Fashion-MNIST.

Layout (all header integers big-endian)::

    byte 0-1   zero
    byte 2     element type code (0x08 uint8, 0x09 int8, 0x0B int16,
               0x0C int32, 0x0D float32, 0x0E float64)
    byte 3     number of dimensions d
    4*d bytes  the size of each dimension, as uint32
    then       prod(sizes) elements, row-major, big-endian

MNIST image files carry the magic number 0x00000803 (2051: uint8, 3-D) and
label files 0x00000801 (2049: uint8, 1-D). Files may be gzip-compressed; that
is recognised from the gzip magic bytes ``1f 8b``, not from the file name.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import DataError, GlassboxTypeError, InvalidArgumentError

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[np.dtype, int] = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22  # bytes per readinto call; keeps a truncated gzip stream countable


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        head = f.read(2)
    if head == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_into(stream: BinaryIO, buf: memoryview) -> tuple[int, bool]:
    """Fill ``buf`` from ``stream``; return (bytes read, whether the gzip stream was cut off)."""
    filled = 0
    total = len(buf)
    while filled < total:
        try:
            n = stream.readinto(buf[filled:min(total, filled + _CHUNK)])
        except EOFError:  # gzip member ended without its end-of-stream marker
            return filled, True
        if not n:
            break
        filled += n
    return filled, False


def _describe_magic(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        kind = " (that is a PNG image)"
    elif head[:1] in (b"{", b"[", b"#") or (head and all(32 <= b < 127 or b in (9, 10, 13) for b in head)):
        kind = " (looks like text)"
    else:
        kind = ""
    return f"0x{head.hex()}{kind}"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a NumPy array of its native type and shape.

    A file whose first dimension is 0 (zero images) is a valid IDX file and gives an empty
    array of that shape, e.g. ``(0, 28, 28)``; loaders that need data (``load_mnist``)
    reject it with a message naming the file.

    Raises:
        DataError (a ValueError): the file is not IDX (magic bytes shown), is truncated (expected and
            actual byte counts shown) or has bytes after the data the header announces.
    """
    path = Path(path)
    with _open(path) as f:
        try:
            head = f.read(4)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"read_idx: {path} is not a readable gzip file: {exc}") from exc
        if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES or head[3] == 0:
            raise DataError(
                f"read_idx: {path} is not an IDX file: expected a magic number 0x0000TTDD "
                f"(TT a type code in {{{', '.join(f'0x{c:02x}' for c in IDX_TYPES)}}}, DD the "
                f"number of dimensions >= 1), found {_describe_magic(head)}"
            )
        dtype, ndim = IDX_TYPES[head[2]], head[3]
        dims_bytes = f.read(4 * ndim)
        if len(dims_bytes) < 4 * ndim:
            raise DataError(
                f"read_idx: {path} is truncated: the header announces {ndim} dimensions "
                f"({4 * ndim} bytes of sizes) but only {len(dims_bytes)} bytes follow the magic number"
            )
        shape = tuple(int(s) for s in np.frombuffer(dims_bytes, dtype=">u4"))
        out = np.empty(shape, dtype=dtype)
        expected = out.nbytes
        try:
            got, cut = _read_into(f, memoryview(out.reshape(-1)).cast("B"))
            extra = len(f.read(1)) if got == expected else 0
        except (OSError, zlib.error) as exc:
            raise DataError(f"read_idx: {path}: corrupt gzip data: {exc}") from exc
    if got < expected:
        how = " (the gzip stream ends early)" if cut else ""
        raise DataError(
            f"read_idx: {path} is truncated{how}: header says shape {shape} of {dtype.name}, "
            f"i.e. {expected} bytes of data, but only {got} bytes are present"
        )
    if extra:
        raise DataError(
            f"read_idx: {path} has more data than its header says: shape {shape} of "
            f"{dtype.name} is {expected} bytes, but the file goes on after that"
        )
    if dtype.byteorder == ">":
        out = out.astype(dtype.newbyteorder("="))
    return out


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file; gzip it when ``compress`` (default: name ends in .gz)."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise GlassboxTypeError(
            f"write_idx: dtype {array.dtype} has no IDX type code; use one of "
            f"{sorted(str(d) for d in _CODES)}"
        )
    if array.ndim == 0 or array.ndim > 255:
        raise InvalidArgumentError(f"write_idx: need 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = array.astype(IDX_TYPES[code], copy=False).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    opener = (lambda p: gzip.open(p, "wb", compresslevel=6)) if compress else (lambda p: open(p, "wb"))
    with opener(path) as f:
        f.write(header)
        f.write(body)
    return path
