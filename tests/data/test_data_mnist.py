import hashlib
import io
import urllib.error
import urllib.request

import numpy as np
import pytest

from glassbox.data import DatasetNotFoundError, load_mnist, search_dirs, write_idx
from glassbox.data import mnist as mnist_mod

STEMS = list(mnist_mod.FILES.values())


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach the internet fails the test; file:// URLs still work."""
    real = urllib.request.urlopen

    def guarded(url, *args, **kwargs):
        if not str(url).startswith("file:"):
            raise AssertionError(f"test tried to reach the network: {url}")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(mnist_mod, "_urlopen", guarded)


def test_loads_synthetic_folder_shapes_and_scaling(tmp_path, isolated_env, make_mnist):
    arrays = make_mnist(tmp_path / "d", n_train=20, n_test=10)
    (x, y), (xt, yt) = load_mnist(tmp_path / "d", download=False)
    assert x.shape == (20, 1, 28, 28) and xt.shape == (10, 1, 28, 28)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x[:, 0] * 255, arrays["train-images-idx3-ubyte"], atol=1e-4)
    np.testing.assert_array_equal(yt, arrays["t10k-labels-idx1-ubyte"])
    (xf, _), (xtf, _) = load_mnist(tmp_path / "d", download=False, flatten=True)
    assert xf.shape == (20, 784) and xtf.shape == (10, 784)
    np.testing.assert_array_equal(xf, x.reshape(20, -1))


def test_raw_files_work_too(tmp_path, isolated_env, make_mnist):
    make_mnist(tmp_path / "raw", gz=False, n_train=3)
    (x, _), _ = load_mnist(tmp_path / "raw", download=False)
    assert len(x) == 3


def test_search_order(tmp_path, isolated_env, make_mnist, monkeypatch):
    env = tmp_path / "env"
    monkeypatch.setenv("GLASSBOX_DATA", str(env))
    root = tmp_path / "root"
    # each candidate folder gets a distinct training-set size so we can tell which one loaded
    assert len(load_mnist(download=False, progress=False)[0][0]) == 5000  # the bundled sample
    make_mnist(isolated_env / "glassbox" / "mnist", n_train=5)
    assert len(load_mnist(download=False)[0][0]) == 5  # cache beats the bundle
    make_mnist(env / "mnist-5k", n_train=6)
    assert len(load_mnist(download=False)[0][0]) == 6  # $GLASSBOX_DATA/mnist-5k beats the cache
    make_mnist(env / "mnist", n_train=7)
    assert len(load_mnist(download=False)[0][0]) == 7  # $GLASSBOX_DATA/mnist beats mnist-5k
    make_mnist(root / "mnist-5k", n_train=10)
    assert len(load_mnist(root, download=False)[0][0]) == 10  # root/mnist-5k
    make_mnist(root / "mnist", n_train=8)
    assert len(load_mnist(root, download=False)[0][0]) == 8  # root/<name>
    make_mnist(root, n_train=9)
    assert len(load_mnist(root, download=False)[0][0]) == 9  # root itself first
    assert search_dirs("mnist", root) == [root, root / "mnist", root / "mnist-5k"]
    assert search_dirs("mnist") == [env / "mnist", env / "mnist-5k", isolated_env / "glassbox" / "mnist"]


def test_a_named_folder_is_never_replaced_by_another(tmp_path, isolated_env, make_mnist, monkeypatch):
    # $GLASSBOX_DATA and the cache hold data, and the bundle is there: a typo in root is still an error
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "env"))
    make_mnist(tmp_path / "env" / "mnist")
    make_mnist(isolated_env / "glassbox" / "mnist")
    with pytest.raises(DatasetNotFoundError, match="not found in the folder you named") as e:
        load_mnist(tmp_path / "tpyo")
    assert str(tmp_path / "tpyo") in str(e.value) and "no such folder" in str(e.value)
    assert str(tmp_path / "env") not in str(e.value)


def test_no_network_falls_back_to_the_bundled_sample(isolated_env, monkeypatch, capsys):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(mnist_mod, "_urlopen", offline)
    (x, y), (xt, yt) = load_mnist()
    assert x.shape == (5000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("load_mnist: no network (") and "offline" in err[-1]
    assert "bundled 5,000-digit sample" in err[-1] and "10,000 test digits" in err[-1]
    assert "the full set downloads when a network is reachable" in err[-1]
    assert not (isolated_env / "glassbox" / "mnist").exists() or not any(
        p.suffix == ".part" for p in (isolated_env / "glassbox" / "mnist").iterdir())
    # without downloads it goes to the bundle at once, and says why
    load_mnist(download=False)
    assert "downloads are off" in capsys.readouterr().err
    source = mnist_mod.locate_mnist(download=False)
    assert source.kind == "bundled" and source.is_sample and source.folder == mnist_mod.BUNDLED_DIR
    # no fallback asked for: the not-found message
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        load_mnist(download=False, bundled=False)


def test_the_bundle_is_the_shared_sample_byte_for_byte(data_root):
    for stem in STEMS:
        assert (mnist_mod.BUNDLED_DIR / f"{stem}.gz").read_bytes() == (data_root / "mnist-5k" / f"{stem}.gz").read_bytes()
    # and the test half is the official test set
    for fname in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        digest = hashlib.md5((mnist_mod.BUNDLED_DIR / fname).read_bytes()).hexdigest()
        assert digest == mnist_mod.MD5["mnist"][fname]


def test_a_damaged_bundle_is_an_error(tmp_path, isolated_env, monkeypatch):
    import shutil

    from glassbox.errors import DataError

    copy = tmp_path / "bundle"
    shutil.copytree(mnist_mod.BUNDLED_DIR, copy)
    damaged = bytearray((copy / "t10k-labels-idx1-ubyte.gz").read_bytes())
    damaged[-1] ^= 1
    (copy / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(damaged))
    monkeypatch.setattr(mnist_mod, "BUNDLED_DIR", copy)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz is damaged .*reinstall"):
        load_mnist(download=False)
    (copy / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="lacks"):
        load_mnist(download=False)


def test_glassbox_mirror_replaces_the_mirrors(monkeypatch):
    monkeypatch.setenv("GLASSBOX_MIRROR", "http://127.0.0.1:9/m")
    assert mnist_mod.mirrors("fashion-mnist") == ["http://127.0.0.1:9/m/"]
    monkeypatch.delenv("GLASSBOX_MIRROR")
    assert mnist_mod.mirrors("mnist") == mnist_mod.MIRRORS["mnist"]


def test_fashion_does_not_use_mnist_5k(tmp_path, isolated_env, make_mnist, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    make_mnist(tmp_path / "mnist-5k")
    assert tmp_path / "mnist-5k" not in search_dirs("fashion-mnist")
    with pytest.raises(DatasetNotFoundError):
        load_mnist(name="fashion-mnist", download=False)
    make_mnist(tmp_path / "fashion-mnist", n_train=4)
    assert len(load_mnist(name="fashion-mnist", download=False)[0][1]) == 4


def test_not_found_lists_every_folder(tmp_path, isolated_env, make_mnist, monkeypatch):
    env = tmp_path / "env"
    monkeypatch.setenv("GLASSBOX_DATA", str(env))
    partial = env / "mnist"
    make_mnist(partial)
    (partial / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError) as e:
        load_mnist(download=False, bundled=False)
    msg = str(e.value)
    assert isinstance(e.value, FileNotFoundError)
    for d in search_dirs("mnist"):
        assert str(d) in msg
    assert "missing t10k-labels-idx1-ubyte" in msg  # the partial folder says what it lacks
    assert "GLASSBOX_DATA" in msg and "train-images-idx3-ubyte" in msg


def test_unknown_name(isolated_env):
    with pytest.raises(ValueError, match="unknown dataset name 'kmnist'"):
        load_mnist(name="kmnist")


def test_image_label_count_mismatch(tmp_path, isolated_env, make_mnist):
    make_mnist(tmp_path, n_train=12)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match=r"12 images but .*train-labels.* 11 labels"):
        load_mnist(tmp_path, download=False)


def test_wrong_file_kind_is_reported(tmp_path, isolated_env, make_mnist):
    make_mnist(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((10, 28), np.uint8))
    with pytest.raises(ValueError, match=r"t10k-images.*shape \(N, 28, 28\).*\(10, 28\)"):
        load_mnist(tmp_path, download=False)
    make_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(10, 12, np.uint8))
    with pytest.raises(ValueError, match="label 12"):
        load_mnist(tmp_path, download=False)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist(tmp_path, download=False)


# ------------------------------------------------------------------ download
@pytest.fixture
def fake_server(tmp_path, make_mnist, monkeypatch):
    """A folder served through file:// URLs as the only mirror, with its MD5s registered."""
    served = tmp_path / "served"
    make_mnist(served, n_train=15, n_test=5)
    md5 = {f"{s}.gz": hashlib.md5((served / f"{s}.gz").read_bytes()).hexdigest() for s in STEMS}
    monkeypatch.setitem(mnist_mod.MIRRORS, "mnist", [served.as_uri() + "/"])
    monkeypatch.setitem(mnist_mod.MD5, "mnist", md5)
    return served


def test_download_into_cache_then_reuse(isolated_env, fake_server, capsys):
    (x, y), (xt, yt) = load_mnist()
    assert x.shape == (15, 1, 28, 28) and len(yt) == 5
    cache = isolated_env / "glassbox" / "mnist"
    for s in STEMS:
        assert (cache / f"{s}.gz").read_bytes() == (fake_server / f"{s}.gz").read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{s}.gz" for s in STEMS)  # no temp files
    assert "100.0%" in capsys.readouterr().err  # a progress bar was drawn
    for s in STEMS:
        (fake_server / f"{s}.gz").unlink()  # the second load must come from the cache
    (x2, _), _ = load_mnist(progress=False)
    np.testing.assert_array_equal(x2, x)


def test_download_tries_next_mirror(isolated_env, fake_server, monkeypatch):
    calls = []
    real = mnist_mod._urlopen

    def flaky(url, *args, **kwargs):
        calls.append(url)
        if "dead.invalid" in url:
            raise urllib.error.URLError("no route to host")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(mnist_mod, "_urlopen", flaky)
    monkeypatch.setitem(mnist_mod.MIRRORS, "mnist", ["http://dead.invalid/"] + mnist_mod.MIRRORS["mnist"])
    (x, _), _ = load_mnist(progress=False)
    assert len(x) == 15
    assert sum("dead.invalid" in c for c in calls) == 4 and len(calls) == 8


def test_checksum_mismatch_leaves_no_file(isolated_env, fake_server, monkeypatch):
    bad = dict(mnist_mod.MD5["mnist"])
    bad["train-labels-idx1-ubyte.gz"] = "0" * 32
    monkeypatch.setitem(mnist_mod.MD5, "mnist", bad)
    with pytest.raises(DatasetNotFoundError, match=r"checksum mismatch.*expected MD5 0{32}") as e:
        load_mnist(progress=False, bundled=False)
    assert str(isolated_env / "glassbox" / "mnist") in str(e.value)
    cache = isolated_env / "glassbox" / "mnist"
    names = sorted(p.name for p in cache.iterdir())
    assert "train-labels-idx1-ubyte.gz" not in names
    assert not any(n.endswith(".part") for n in names)
    assert names == ["train-images-idx3-ubyte.gz"]  # files before the bad one were verified and kept
    source = mnist_mod.locate_mnist(progress=False)  # with the fallback: the bundle, and why
    assert source.kind == "bundled" and "checksum mismatch" in source.note


def test_interrupted_download_leaves_no_file(isolated_env, tmp_path, monkeypatch):
    class Broken(io.BytesIO):
        headers = {"Content-Length": "1000"}

        def read(self, n=-1):
            if self.tell() >= 100:
                raise ConnectionResetError("connection dropped")
            return super().read(min(n, 50))

    monkeypatch.setattr(mnist_mod, "_urlopen", lambda url, timeout=None: Broken(b"x" * 1000))
    dest = tmp_path / "out" / "file.gz"
    with pytest.raises(ConnectionResetError):
        mnist_mod.download_file("http://fake/file.gz", dest, md5=None, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_offline_error_lists_folders_and_failures(tmp_path, isolated_env, monkeypatch):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(mnist_mod, "_urlopen", offline)
    with pytest.raises(DatasetNotFoundError) as e:
        load_mnist(name="fashion-mnist", progress=False)  # no bundled Fashion-MNIST
    msg = str(e.value)
    assert "Download failed" in msg and "offline" in msg and "fashion-mnist.s3-website" in msg
    for d in search_dirs("fashion-mnist"):
        assert str(d) in msg


def test_published_md5_table_matches_shared_test_files(data_root):
    # the shared mnist-5k test files are byte-identical to the official MNIST test files
    for fname in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        digest = hashlib.md5((data_root / "mnist-5k" / fname).read_bytes()).hexdigest()
        assert digest == mnist_mod.MD5["mnist"][fname]


# ------------------------------------------------------------------ real data
def test_real_mnist_5k(data_root, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(data_root))
    (x, y), (xt, yt) = load_mnist(download=False)
    assert x.shape == (5000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, 500))
    assert x.min() == 0.0 and x.max() == 1.0 and xt.min() == 0.0 and xt.max() == 1.0
    assert set(np.unique(yt).tolist()) == set(range(10))


def test_real_fashion_mnist_loads(data_root, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(data_root))
    (x, y), (xt, yt) = load_mnist(name="fashion-mnist", download=False, flatten=True)
    assert x.shape == (60000, 784) and xt.shape == (10000, 784) and len(y) == 60000 and len(yt) == 10000
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 6000))
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_cache_falls_back_to_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist_mod.cache_dir("fashion-mnist") == tmp_path / ".cache" / "glassbox" / "fashion-mnist"
