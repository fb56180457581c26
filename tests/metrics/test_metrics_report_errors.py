"""classification_report (dict + text) and error_analysis (confused pairs, confident mistakes)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import glassbox as gb
from glassbox.metrics import (
    classification_report, error_analysis, format_classification_report, to_probabilities,
)

T = [0, 0, 1, 1, 2, 2, 2]
P = [0, 1, 1, 1, 2, 0, 1]  # per-class P = 1/2, 1/2, 1; R = 1/2, 1, 1/3; F = 1/2, 2/3, 1/2


def test_report_values_and_names():
    r = classification_report(T, P, class_names=["cat", "dog", "car"])
    assert list(r) == ["cat", "dog", "car", "accuracy", "macro avg", "weighted avg"]
    assert r["dog"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1-score": 2 / 3, "support": 2})
    assert r["car"]["recall"] == pytest.approx(1 / 3) and r["car"]["support"] == 3
    assert r["accuracy"] == pytest.approx(4 / 7)
    assert r["macro avg"]["f1-score"] == pytest.approx(5 / 9)
    assert r["weighted avg"]["precision"] == pytest.approx(5 / 7)
    assert r["macro avg"]["support"] == 7
    json.dumps(r)


def test_report_lists_only_seen_classes_without_names():
    r = classification_report([0, 2, 2], [0, 2, 0], zero_division=0.0)
    assert [k for k in r if k.isdigit()] == ["0", "2"]  # class 1 never appears
    assert r["macro avg"]["precision"] == pytest.approx((1 / 2 + 1) / 2)
    with pytest.raises(ValueError, match="num_classes=2 but 3 class_names"):
        classification_report(T, P, class_names=["a", "b", "c"], num_classes=2)


def test_format_table():
    text = format_classification_report(classification_report(T, P, class_names=["cat", "dog", "car"]))
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["cat", "0.5000", "0.5000", "0.5000", "2"]
    assert lines[3].split() == ["dog", "0.5000", "1.0000", "0.6667", "2"]
    acc = next(line for line in lines if line.strip().startswith("accuracy"))
    assert acc.split() == ["accuracy", "0.5714", "7"]
    assert any(line.split()[:2] == ["macro", "avg"] and line.split()[4] == "0.5556" for line in lines)


def _probs():
    # 6 samples, 3 classes; argmax and the row maximum chosen by hand
    return np.array([[0.80, 0.10, 0.10],   # true 0, pred 0  right
                     [0.20, 0.70, 0.10],   # true 0, pred 1  wrong, conf .70
                     [0.05, 0.90, 0.05],   # true 0, pred 1  wrong, conf .90
                     [0.10, 0.30, 0.60],   # true 1, pred 2  wrong, conf .60
                     [0.10, 0.20, 0.70],   # true 2, pred 2  right
                     [0.50, 0.25, 0.25]])  # true 2, pred 0  wrong, conf .50


def test_error_analysis_pairs_and_examples():
    y = [0, 0, 0, 1, 2, 2]
    out = error_analysis(y, _probs(), top_pairs=2, top_examples=3)
    assert out["num_samples"] == 6 and out["num_errors"] == 4
    assert out["error_rate"] == pytest.approx(4 / 6)
    # (0 -> 1) happens twice, the others once; ties go by (true, predicted): (1 -> 2) before (2 -> 0)
    assert [(p["true"], p["predicted"], p["count"]) for p in out["confused_pairs"]] == [(0, 1, 2), (1, 2, 1)]
    assert out["confused_pairs"][0]["fraction_of_true"] == pytest.approx(2 / 3)
    ex = out["confident_errors"]
    assert [(e["index"], e["true"], e["predicted"]) for e in ex] == [(2, 0, 1), (1, 0, 1), (3, 1, 2)]
    assert [e["confidence"] for e in ex] == pytest.approx([0.9, 0.7, 0.6])
    assert ex[0]["true_probability"] == pytest.approx(0.05)
    assert out["per_class_error_rate"] == pytest.approx([2 / 3, 1.0, 1 / 2])
    # plain Python types only: survives a JSON round trip unchanged
    assert json.loads(json.dumps(out)) == out


def test_error_analysis_accepts_logits_and_names():
    probs = _probs()
    logits = gb.tensor(np.log(probs) + 3.0)  # same softmax
    a = error_analysis([0, 0, 0, 1, 2, 2], logits, class_names=["a", "b", "c"])
    b = error_analysis([0, 0, 0, 1, 2, 2], probs)
    assert [e["index"] for e in a["confident_errors"]] == [e["index"] for e in b["confident_errors"]]
    assert [e["confidence"] for e in a["confident_errors"]] == pytest.approx(
        [e["confidence"] for e in b["confident_errors"]], rel=1e-5)
    assert a["confused_pairs"][0]["true_name"] == "a" and a["confused_pairs"][0]["predicted_name"] == "b"
    assert len(a["confused_pairs"]) == 3  # all off-diagonal cells that are non-zero


def test_to_probabilities():
    p = _probs()
    assert to_probabilities(p) is not None and np.allclose(to_probabilities(p), p)
    z = np.array([[1000.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(to_probabilities(z), [[1.0, 0.0], [0.5, 0.5]])


def test_error_analysis_no_errors_and_bad_input():
    out = error_analysis([0, 1], np.eye(2))
    assert out["num_errors"] == 0 and out["confused_pairs"] == [] and out["confident_errors"] == []
    with pytest.raises(ValueError, match="error_analysis: 3 labels for 2 rows"):
        error_analysis([0, 1, 1], np.eye(2))
    with pytest.raises(ValueError, match="class id 2 but scores has only 2 columns"):
        error_analysis([0, 2], np.eye(2))


def test_confident_errors_match_a_full_sort_with_ties():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=300).round(2)  # rounding makes many tied confidences
    probs /= probs.sum(axis=1, keepdims=True)
    y = rng.integers(0, 4, 300)
    out = error_analysis(y, probs, top_examples=20)
    pred, conf = probs.argmax(1), probs.max(1)
    ref = sorted((i for i in range(300) if pred[i] != y[i]), key=lambda i: (-conf[i], i))[:20]
    assert [e["index"] for e in out["confident_errors"]] == ref
