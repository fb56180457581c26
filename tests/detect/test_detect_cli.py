"""``glassbox detect`` with a tiny untrained detector, and the detector model itself."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox import Tensor
from glassbox.cli.main import main
from glassbox.detect import TinyYOLO, build_detector
from glassbox.training.checkpoint import save_checkpoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tiny_model():
    return TinyYOLO(num_classes=10, anchors=[[0.3, 0.1], [0.3, 0.3]], image_size=32, widths=(4, 8))


def test_model_output_shape_config_round_trip_and_errors():
    model = tiny_model()
    out = model(Tensor(np.zeros((2, 1, 32, 32), np.float32)))
    assert out.shape == (2, 16, 16, 2, 15)
    clone = build_detector(model.config())
    clone.load_state_dict(model.state_dict())
    model.eval()
    clone.eval()
    x = Tensor(np.random.default_rng(0).random((1, 1, 32, 32)).astype(np.float32))
    np.testing.assert_allclose(clone(x).data, model(x).data)
    with pytest.raises(ValueError, match=r"TinyYOLO: expected input \(N, 1, 32, 32\)"):
        model(Tensor(np.zeros((1, 1, 28, 28), np.float32)))
    with pytest.raises(ValueError, match="TinyYOLO.*divisible"):
        TinyYOLO(image_size=30, widths=(4, 8, 8))


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "det.npz"
    model = tiny_model()
    save_checkpoint(path, model, config=model.config())
    return path


def test_cli_detect_smoke(checkpoint, tmp_path, capsys):
    mpimg = pytest.importorskip("matplotlib.image")
    img = np.zeros((40, 48), np.float32)  # not the canvas size: resized and padded
    img[8:30, 10:22] = 1.0
    png = tmp_path / "digits.png"
    mpimg.imsave(png, img, cmap="gray", vmin=0, vmax=1)
    out = tmp_path / "result.png"
    assert main(["detect", str(checkpoint), str(png), "--out", str(out), "--threshold", "0",
                 "--max-detections", "3"]) == 0
    text = capsys.readouterr().out
    assert "48×40 image" in text and "detections with score ≥ 0" in text
    lines = [ln for ln in text.splitlines() if ln.strip().startswith("class ")]
    assert 1 <= len(lines) <= 3  # threshold 0 keeps boxes; at most the 3 best are reported
    for ln in lines:  # boxes are reported in the original image's pixels
        coords = [float(part.split("=")[1]) for part in ln.split() if "=" in part]
        assert 0 <= coords[0] <= coords[2] <= 48 and 0 <= coords[1] <= coords[3] <= 40
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("glassbox: error: ") and "Traceback" not in err
    return err


def test_cli_detect_errors(checkpoint, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert "no such image" in _error(capsys, ["detect", str(checkpoint), str(tmp_path / "none.png")])
    not_png = tmp_path / "x.png"
    not_png.write_text("hello")
    assert "cannot read" in _error(capsys, ["detect", str(checkpoint), str(not_png)])
    from glassbox import nn

    other = tmp_path / "mlp.npz"
    save_checkpoint(other, nn.Linear(2, 2), config={"name": "mlp", "kwargs": {}})
    assert "not a detector checkpoint" in _error(capsys, ["detect", str(other), str(not_png)])
    assert "--threshold" in _error(capsys, ["detect", str(checkpoint), str(not_png), "--threshold", "2"])


def test_draw_detections_png_and_errors(tmp_path):
    pytest.importorskip("matplotlib")
    from glassbox.detect.draw import draw_detections

    images = np.zeros((2, 1, 32, 32), np.float32)
    dets = [{"boxes": np.array([[2, 3, 12, 20]]), "classes": np.array([7]), "scores": np.array([0.9])},
            {"boxes": np.zeros((0, 4)), "classes": np.zeros(0, int)}]
    gt = [{"boxes": np.array([[2, 3, 12, 19], [0, 0, 0, 0]]), "classes": np.array([7, -1])},
          {"boxes": np.zeros((0, 4)), "classes": np.zeros(0, int)}]
    path = draw_detections(images, dets, tmp_path / "d.png", ground_truth=gt, title="t")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(ValueError, match="draw_detections: 2 images but 1 detection"):
        draw_detections(images, dets[:1], tmp_path / "e.png")
    with pytest.raises(ValueError, match="draw_detections: expected grey images"):
        draw_detections(np.zeros((2, 3, 8, 8)), dets, tmp_path / "e.png")
