"""``glassbox predict`` and ``load_classifier``: images in, classes and probabilities out."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from glassbox.cli.main import main
from glassbox.data.idx import read_idx
from glassbox.data.mnist import BUNDLED_DIR
from glassbox.training.classifier import load_classifier


@pytest.fixture(scope="module")
def default_model(tmp_path_factory):
    """The README's model: the defaults, trained on the bundled sample (a few seconds)."""
    out = tmp_path_factory.mktemp("default") / "run"
    assert main(["train", "--data", str(BUNDLED_DIR), "--out", str(out), "--seed", "0", "-q"]) == 0
    return out / "checkpoint.npz"


@pytest.fixture(scope="module")
def test_digits():
    x = read_idx(BUNDLED_DIR / "t10k-images-idx3-ubyte.gz")
    y = read_idx(BUNDLED_DIR / "t10k-labels-idx1-ubyte.gz")
    return x, y.astype(np.int64)


def _run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_100_test_digits_as_png_agree_with_evaluate(default_model, test_digits, tmp_path, capsys):
    from glassbox.cli.evaluate import loss_and_logits
    from glassbox.cli.common import load_model

    x, y = test_digits
    folder = tmp_path / "png"
    folder.mkdir()
    for i in range(100):
        Image.fromarray(x[i]).save(folder / f"{i:03d}.png")
    out = json.loads(_run(capsys, ["predict", str(default_model), str(folder), "--json", "--top", "3"]))
    assert [e["file"] for e in out] == [str(folder / f"{i:03d}.png") for i in range(100)]
    assert set(out[0]) >= {"file", "label", "probability", "top"}
    assert len(out[0]["top"]) == 3 and out[0]["top"][0]["label"] == out[0]["label"]
    assert all(e["notes"] == [] for e in out)  # MNIST-shaped PNGs need no conversion
    predicted = np.array([e["label"] for e in out])
    model, _ = load_model(default_model)
    _, logits = loss_and_logits(model, x[:100, None].astype(np.float32) / 255, y[:100], 100)
    np.testing.assert_array_equal(predicted, logits.argmax(axis=1))  # what evaluate computes
    assert (predicted == y[:100]).sum() >= 95
    probs = np.array([e["probability"] for e in out])
    assert np.all((0 < probs) & (probs <= 1))


def test_conversions_are_noted(default_model, test_digits, tmp_path, capsys):
    x, y = test_digits
    Image.fromarray(255 - x[0]).save(tmp_path / "ink_on_paper.png")
    Image.fromarray(np.stack([x[1], x[1] // 2, x[1]], axis=-1)).save(tmp_path / "colour.png")
    Image.fromarray(x[2]).resize((84, 84), Image.BILINEAR).save(tmp_path / "big.jpg", quality=95)
    np.save(tmp_path / "arr.npy", x[3])
    text = _run(capsys, ["predict", str(default_model), str(tmp_path)])
    lines = text.splitlines()
    assert any("inverted to light on dark" in ln for ln in lines)
    assert any("colour image (RGB) converted to grey" in ln for ln in lines)
    assert any("resized from 84×84 to 28×28" in ln for ln in lines)
    out = json.loads(_run(capsys, ["predict", str(default_model), str(tmp_path), "--json"]))
    got = {e["file"].rsplit("/", 1)[1]: e["label"] for e in out}
    assert got == {"arr.npy": y[3], "big.jpg": y[2], "colour.png": y[1], "ink_on_paper.png": y[0]}


def test_python_counterpart(default_model, test_digits):
    x, y = test_digits
    clf = load_classifier(default_model)
    classes, probs = clf.predict(x[:50].astype(np.float32) / 255)  # (N, 28, 28) works too
    assert classes.shape == (50,) and probs.shape == (50,) and (classes == y[:50]).mean() >= 0.9
    p = clf.probabilities(x[:5, None].astype(np.float32) / 255)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert clf.dataset == "mnist" and clf.class_names[7] == "7"
    with pytest.raises(ValueError, match=r"shape \(1, 28, 28\).*\(3, 32, 32\)"):
        clf.predict(np.zeros((3, 32, 32), np.float32))


def test_fashion_class_names(idx_dir, tmp_path, capsys):
    (idx_dir.parent / "fashion-mnist").symlink_to(idx_dir)
    out = tmp_path / "f"
    _run(capsys, ["train", "--data", str(idx_dir.parent / "fashion-mnist"), "--out", str(out),
                  "--epochs", "1", "--hidden", "16", "-q", "--seed", "0"])
    x = read_idx(idx_dir / "t10k-images-idx3-ubyte.gz")
    np.save(tmp_path / "one.npy", x[0])
    result = json.loads(_run(capsys, ["predict", str(out), str(tmp_path / "one.npy"), "--json", "--top", "10"]))
    names = {t["label"] for t in result[0]["top"]}
    assert names == {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                     "Sneaker", "Bag", "Ankle boot"}


@pytest.mark.parametrize("make, needle", [
    (lambda d: (d / "notes.txt").write_text("hello"), "is not an image (expected PNG, JPEG or .npy)"),
    (lambda d: (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nxxxx"), "is not an image"),
    (lambda d: np.save(d / "cube.npy", np.zeros((2, 3, 4))), "expected one grey image"),
    (lambda d: None, "no such file or folder"),
])
def test_bad_inputs_are_one_line(default_model, tmp_path, capsys, make, needle):
    make(tmp_path)
    target = next(iter(tmp_path.iterdir()), tmp_path / "missing.png")
    with pytest.raises(SystemExit) as info:
        main(["predict", str(default_model), str(target)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_checkpoint_and_empty_folder(default_model, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["predict", str(tmp_path / "none.npz"), str(tmp_path)])
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["predict", str(default_model), str(tmp_path)])
    assert "holds no image files" in capsys.readouterr().err


def test_evaluate_refuses_a_checkpoint_from_another_dataset(default_model, capsys):
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(default_model), "--dataset", "fashion-mnist"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "was trained on mnist, not fashion-mnist" in err and err.count("\n") == 1
