"""``glassbox tune`` end to end on a tiny synthetic IDX dataset."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassbox.cli.main import main
from glassbox.data import write_idx


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    for stem, n in (("train", 80), ("t10k", 30)):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        images[np.arange(n), labels * 2, :] = 255  # a bright row per class: learnable
        write_idx(folder / f"{stem}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{stem}-labels-idx1-ubyte.gz", labels)
    return folder


def test_tune_smoke(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["tune", "--data", str(idx_dir), "--trials", "2", "--epochs", "1", "--batch-size", "16",
                 "--optimizer", "sgd", "--lr-range", "1e-3,1", "--seed", "3", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "rank" in text and "test accuracy" in text and "val accuracy" in text
    data = json.loads((out / "results.json").read_text())
    assert len(data["trials"]) == 2
    scores = [t["score"] for t in data["trials"] if t["status"] == "ok"]
    assert scores == sorted(scores, reverse=True)
    assert all(1e-3 <= t["params"]["lr"] <= 1 for t in data["trials"])
    assert 0 <= data["info"]["test"]["accuracy"] <= 1
    assert data["spaces"][0]["lr"] == {"type": "LogUniform", "low": 1e-3, "high": 1.0}
    assert (out / "results.txt").read_text().splitlines()[0].split()[:3] == ["rank", "trial", "lr"]
    assert [p.name for p in out.glob("trial-*")] == [f"trial-{data['best']['number']:03d}"]  # --keep best


def test_tune_coarse_to_fine_with_beta_and_keep_none(idx_dir, tmp_path):
    out = tmp_path / "run"
    assert main(["tune", "--data", str(idx_dir), "--trials", "2", "--rounds", "2", "--epochs", "1",
                 "--beta-range", "0.9,0.999", "--keep", "none", "--quiet", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert len(data["trials"]) == 4 and len(data["spaces"]) == 2
    assert {t["round"] for t in data["trials"]} == {0, 1}
    assert all(0.9 <= t["params"]["beta1"] <= 0.999 for t in data["trials"])
    assert not list(out.glob("trial-*"))


@pytest.mark.parametrize("args,message", [
    (["--lr-range", "0.1"], "--lr-range expects LOW,HIGH"),
    (["--lr-range", "1e-1,1e-4"], "LOW < HIGH"),
    (["--trials", "0"], "--trials must be at least 1"),
    (["--optimizer", "adagrad", "--beta-range", "0.9,0.99"], "--beta-range does not apply to adagrad"),
])
def test_tune_bad_arguments(idx_dir, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        main(["tune", "--data", str(idx_dir), "--out", str(tmp_path / "r"), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
