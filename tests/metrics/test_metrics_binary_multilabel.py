"""Thresholded binary metrics and multi-label (sigmoid) metrics against hand counts."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from glassbox.metrics import UndefinedMetricWarning, binary_metrics, multilabel_metrics

Y = [1, 1, 1, 0, 0, 0]
S = [0.9, 0.6, 0.3, 0.55, 0.2, 0.1]


def test_binary_threshold_half_by_hand():
    m = binary_metrics(Y, S)
    # predicted positive (>= 0.5): i=0,1,3.  TP = i0,i1; FP = i3; FN = i2; TN = i4,i5
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    json.dumps(m)


def test_lower_threshold_trades_precision_for_recall():
    m = binary_metrics(Y, S, threshold=0.25)
    # positive: i=0,1,2,3 -> TP=3, FP=1, FN=0, TN=2
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 0, 2)
    assert m["precision"] == pytest.approx(3 / 4) and m["recall"] == 1.0
    assert m["f1"] == pytest.approx(6 / 7)  # 2*3 / (2*3 + 1 + 0)
    # the threshold is inclusive: a score equal to it is positive
    assert binary_metrics([1], [0.25], threshold=0.25)["tp"] == 1


def test_binary_logits_with_threshold_zero_and_column_vector():
    logits = np.log(np.array(S) / (1 - np.array(S)))[:, None]  # (n, 1) like Linear(d, 1)
    assert binary_metrics(np.array(Y)[:, None], logits, threshold=0.0) == {
        **binary_metrics(Y, S), "threshold": 0.0}


def test_binary_zero_division():
    with pytest.warns(UndefinedMetricWarning, match="Precision"):
        m = binary_metrics([1, 0], [0.1, 0.2])  # nothing predicted positive
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = binary_metrics([0, 0], [0.1, 0.2], zero_division=1.0)  # no positives anywhere
    assert m["precision"] == m["recall"] == m["f1"] == 1.0 and m["accuracy"] == 1.0


def test_binary_rejects_non_binary_targets():
    with pytest.raises(ValueError, match="binary_metrics.*only 0/1.*2"):
        binary_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        binary_metrics([0, 1, 1], [0.1, 0.2])


def test_multilabel_scikit_learn_doc_example():
    # scikit-learn's f1_score docs: this multilabel case gives per-label F1 [2/3, 1, 2/3]
    yt = [[0, 0, 0], [1, 1, 1], [0, 1, 1]]
    yp = [[0, 0, 0], [1, 1, 1], [1, 1, 0]]
    m = multilabel_metrics(yt, yp)
    f = [m["per_label"][k]["f1"] for k in "012"]
    np.testing.assert_allclose(f, [2 / 3, 1.0, 2 / 3])


def test_multilabel_car_and_bus_by_hand():
    names = ["car", "bus", "person"]
    yt = np.array([[1, 1, 0],    # car and bus at once
                   [1, 0, 1],
                   [0, 1, 0],
                   [0, 0, 0]])
    scores = np.array([[0.9, 0.7, 0.2],   # -> car, bus        (both right)
                       [0.8, 0.6, 0.4],   # -> car, bus        (bus wrong, person missed)
                       [0.3, 0.4, 0.1],   # -> nothing         (bus missed)
                       [0.1, 0.2, 0.7]])  # -> person          (wrong)
    m = multilabel_metrics(yt, scores, label_names=names)
    # car:    TP=2 FP=0 FN=0 -> P=1   R=1   F=1
    # bus:    TP=1 FP=1 FN=1 -> P=1/2 R=1/2 F=2/4=1/2
    # person: TP=0 FP=1 FN=1 -> P=0   R=0   F=0
    car, bus, person = (m["per_label"][n] for n in names)
    assert (car["precision"], car["recall"], car["f1"], car["support"]) == (1.0, 1.0, 1.0, 2)
    assert (bus["precision"], bus["recall"], bus["f1"], bus["support"]) == (0.5, 0.5, 0.5, 2)
    assert (person["precision"], person["recall"], person["f1"]) == (0.0, 0.0, 0.0)
    assert m["macro"]["f1"] == pytest.approx((1 + 0.5 + 0) / 3)
    # micro: TP=3, TP+FP=5, TP+FN=5
    assert m["micro"]["precision"] == pytest.approx(3 / 5)
    assert m["micro"]["recall"] == pytest.approx(3 / 5)
    assert m["micro"]["f1"] == pytest.approx(6 / 10)
    # weighted by support 2, 2, 1
    assert m["weighted"]["f1"] == pytest.approx((2 * 1 + 2 * 0.5 + 1 * 0) / 5)
    assert m["subset_accuracy"] == pytest.approx(1 / 4)   # only row 0 fully right
    assert m["hamming_loss"] == pytest.approx(4 / 12)     # 4 wrong cells of 12
    json.dumps(m)


def test_multilabel_label_never_present_warns_and_shape_errors():
    with pytest.warns(UndefinedMetricWarning, match="Recall"):
        m = multilabel_metrics([[1, 0], [1, 0]], [[0.9, 0.8], [0.9, 0.1]])
    assert m["per_label"]["1"]["recall"] == 0.0 and m["per_label"]["1"]["precision"] == 0.0
    with pytest.raises(ValueError, match=r"multilabel_metrics.*\(2, 2\) and \(2, 3\)"):
        multilabel_metrics([[1, 0], [1, 0]], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 label_names for 2 labels"):
        multilabel_metrics([[1, 0]], [[1, 0]], label_names=["a", "b", "c"])
