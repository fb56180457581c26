"""``glassbox evaluate --report``: printed classification report and confused pairs, report.json, PNGs."""
from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest

from glassbox.cli.main import main
from glassbox.data import read_idx

HAS_MPL = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture
def checkpoint(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--hidden", "16", "--epochs", "1",
                 "--batch-size", "16", "--seed", "0", "--quiet"]) == 0
    capsys.readouterr()
    return out / "checkpoint.npz"


def test_report_files_and_json_match_the_printed_numbers(checkpoint, idx_dir, tmp_path, capsys):
    report_dir = tmp_path / "report"
    assert main(["evaluate", str(checkpoint), "--data", str(idx_dir), "--report", str(report_dir)]) == 0
    text = capsys.readouterr().out
    printed = float(re.search(r"test accuracy (\d\.\d{4})", text).group(1))
    printed_loss = float(re.search(r"test loss (\d+\.\d{4})", text).group(1))

    report = json.loads((report_dir / "report.json").read_text())
    assert round(report["test_accuracy"], 4) == printed
    assert round(report["test_loss"], 4) == printed_loss
    assert report["classification_report"]["accuracy"] == pytest.approx(report["test_accuracy"])
    assert report["num_test"] == 200 and report["dataset"] == "mnist"

    cm = np.array(report["confusion_matrix"])
    y = read_idx(idx_dir / "t10k-labels-idx1-ubyte.gz")
    assert cm.shape == (10, 10) and cm.sum() == 200
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y, minlength=10))
    assert np.trace(cm) / 200 == pytest.approx(report["test_accuracy"])
    errors = report["error_analysis"]
    assert errors["num_errors"] == 200 - np.trace(cm)
    for pair in errors["confused_pairs"]:
        assert cm[pair["true"], pair["predicted"]] == pair["count"]

    # the table: one row per class, the averages, and support summing to the test set
    for name in [str(c) for c in range(10)] + ["macro avg", "weighted avg", "accuracy"]:
        assert re.search(rf"^\s*{name}\s", text, re.M), name
    macro_f1 = report["classification_report"]["macro avg"]["f1-score"]
    assert re.search(rf"macro avg\s+\S+\s+\S+\s+{macro_f1:.4f}\s+200", text)
    if errors["num_errors"]:
        assert "most-confused pairs" in text

    expected = {"report.json"} | ({"confusion_matrix.png", "misclassified.png"} if HAS_MPL else set())
    assert {p.name for p in report_dir.iterdir()} == expected   # no temporary files left behind
    for name in expected - {"report.json"}:
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mistakes_show_up_as_confused_pairs(checkpoint, idx_dir, tmp_path, capsys):
    """Relabel the test set so that every 3 is called a 5: 3 → 5 must top the confused pairs."""
    from glassbox.data import write_idx

    bad = tmp_path / "relabelled"
    bad.mkdir()
    for f in idx_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    y = read_idx(idx_dir / "t10k-labels-idx1-ubyte.gz")
    swapped = np.where(y == 5, 3, y).astype(np.uint8)   # true 3s and 5s are now both labelled 3
    write_idx(bad / "t10k-labels-idx1-ubyte.gz", swapped)
    assert main(["evaluate", str(checkpoint), "--data", str(bad), "--report", str(tmp_path / "r")]) == 0
    text = capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    top = report["error_analysis"]["confused_pairs"][0]
    assert (top["true"], top["predicted"]) == (3, 5) and top["count"] >= 15
    assert re.search(r"^\s+3 → 5\s+\d+", text, re.M)


def test_report_path_that_is_a_file_is_a_one_line_error(checkpoint, idx_dir, tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(checkpoint), "--data", str(idx_dir), "--report", str(target)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("glassbox: error: --report") and "not a folder" in err
