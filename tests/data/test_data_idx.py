import gzip

import numpy as np
import pytest

from glassbox.data import read_idx, write_idx


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "dtype,shape",
    [(np.uint8, (7, 28, 28)), (np.uint8, (13,)), (np.int8, (3, 4)), (np.int16, (5, 2)),
     (np.int32, (2, 3, 4, 5)), (np.float32, (6,)), (np.float64, (2, 2))],
)
def test_round_trip(tmp_path, gz, dtype, shape):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape).astype(dtype)
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    p = write_idx(tmp_path / ("f.gz" if gz else "f"), a)
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == gz
    b = read_idx(p)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    assert b.shape == shape
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable


def test_header_layout_is_the_mnist_one(tmp_path):
    a = np.zeros((3, 28, 28), np.uint8)
    raw = write_idx(tmp_path / "x", a).read_bytes()
    assert raw[:4] == (2051).to_bytes(4, "big")
    assert raw[4:16] == b"".join(n.to_bytes(4, "big") for n in (3, 28, 28))
    assert len(raw) == 16 + a.size
    labels = write_idx(tmp_path / "y", np.arange(5, dtype=np.uint8)).read_bytes()
    assert labels[:4] == (2049).to_bytes(4, "big")


def test_gzip_detected_by_magic_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_raw = write_idx(tmp_path / "raw.gz", a, compress=False)
    raw_named_gz = write_idx(tmp_path / "plain", a, compress=True)
    np.testing.assert_array_equal(read_idx(gz_named_raw), a)
    np.testing.assert_array_equal(read_idx(raw_named_gz), a)


def test_png_is_rejected_with_the_magic_found(tmp_path):
    p = tmp_path / "image.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ValueError, match=r"not an IDX file.*0x89504e47.*PNG") as e:
        read_idx(p)
    assert str(p) in str(e.value)


def test_text_file_is_rejected(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello world, this is not data\n")
    with pytest.raises(ValueError, match=r"not an IDX file.*0x68656c6c.*text"):
        read_idx(p)


@pytest.mark.parametrize("head", [b"", b"\x00\x00", b"\x00\x00\x07\x01", b"\x00\x00\x08\x00", b"\x01\x00\x08\x01"])
def test_bad_magic(tmp_path, head):
    p = tmp_path / "bad"
    p.write_bytes(head + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(p)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data_names_file_and_counts(tmp_path, gz):
    a = np.arange(2 * 28 * 28, dtype=np.int64).astype(np.uint8).reshape(2, 28, 28)
    raw = write_idx(tmp_path / "full", a).read_bytes()
    cut = raw[:-100]
    p = tmp_path / "cut"
    p.write_bytes(gzip.compress(cut) if gz else cut)
    with pytest.raises(ValueError, match=r"truncated") as e:
        read_idx(p)
    msg = str(e.value)
    assert str(p) in msg and str(a.size) in msg and str(a.size - 100) in msg


def test_truncated_gzip_stream(tmp_path):
    a = np.random.default_rng(1).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    full = write_idx(tmp_path / "full.gz", a).read_bytes()
    p = tmp_path / "cut.gz"
    p.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match=r"truncated \(the gzip stream ends early\).*39200 bytes"):
        read_idx(p)


def test_truncated_header(tmp_path):
    p = tmp_path / "h"
    p.write_bytes(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big"))
    with pytest.raises(ValueError, match=r"truncated.*3 dimensions"):
        read_idx(p)


def test_trailing_bytes_are_an_error(tmp_path):
    p = write_idx(tmp_path / "x", np.zeros(4, np.uint8))
    p.write_bytes(p.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match="more data than its header"):
        read_idx(p)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="no IDX type code"):
        write_idx(tmp_path / "x", np.zeros(3, np.uint16))


def test_corrupt_gzip_is_a_value_error(tmp_path):
    good = write_idx(tmp_path / "g.gz", np.arange(4000, dtype=np.int32)).read_bytes()
    p = tmp_path / "bad.gz"
    p.write_bytes(good[:20] + bytes(b ^ 0x5A for b in good[20:]))
    with pytest.raises(ValueError, match=str(p).replace("\\", "\\\\")):
        read_idx(p)
    p.write_bytes(b"\x1f\x8b" + b"garbage" * 3)
    with pytest.raises(ValueError, match="gzip"):
        read_idx(p)
