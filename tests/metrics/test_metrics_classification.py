"""accuracy, top-k, confusion matrix, precision/recall/F1 against hand counts and a loop reference."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox.metrics import (
    UndefinedMetricWarning, accuracy, confusion_matrix, f1_score, precision, precision_recall_f1,
    recall, top_k_accuracy,
)

# 7 samples, 3 classes.   true: 0 0 1 1 2 2 2   pred: 0 1 1 1 2 0 1
T = [0, 0, 1, 1, 2, 2, 2]
P = [0, 1, 1, 1, 2, 0, 1]
# class 0: TP=1 (i=0), FP=1 (i=5), FN=1 (i=1)  -> P=1/2 R=1/2 F=2/(2+1+1)=1/2
# class 1: TP=2 (i=2,3), FP=2 (i=1,6), FN=0    -> P=1/2 R=1   F=4/(4+2)=2/3
# class 2: TP=1 (i=4), FP=0, FN=2 (i=5,6)      -> P=1   R=1/3 F=2/(2+2)=1/2
HAND_P = [1 / 2, 1 / 2, 1.0]
HAND_R = [1 / 2, 1.0, 1 / 3]
HAND_F = [1 / 2, 2 / 3, 1 / 2]


def test_accuracy_counts_matches():
    assert accuracy(T, P) == pytest.approx(4 / 7)  # i = 0, 2, 3, 4
    assert accuracy([], []) == 0.0
    assert accuracy(gb.tensor([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(2 / 3)


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(T, P)
    expected = np.array([[1, 1, 0],
                         [0, 2, 0],
                         [1, 1, 1]])
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == len(T) and np.trace(cm) == 4
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(T))  # rows: support
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(P))  # columns: predicted counts
    wide = confusion_matrix(T, P, num_classes=5)
    assert wide.shape == (5, 5) and wide[3:].sum() == 0 and wide[:, 3:].sum() == 0


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="confusion_matrix.*same length.*3 and 2"):
        confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="num_classes=2.*class id 2"):
        confusion_matrix([0, 1, 2], [0, 1, 1], num_classes=2)
    with pytest.raises(ValueError, match=">= 0"):
        confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match=r"1-D.*\(2, 2\)"):
        confusion_matrix([[0, 1], [1, 0]], [0, 1])


def test_per_class_precision_recall_f1_by_hand():
    p, r, f = precision_recall_f1(T, P)
    np.testing.assert_allclose(p, HAND_P)
    np.testing.assert_allclose(r, HAND_R)
    np.testing.assert_allclose(f, HAND_F)
    np.testing.assert_allclose(precision(T, P), HAND_P)
    np.testing.assert_allclose(recall(T, P), HAND_R)
    np.testing.assert_allclose(f1_score(T, P), HAND_F)


def test_averages_by_hand():
    assert precision(T, P, "macro") == pytest.approx(2 / 3)          # (1/2 + 1/2 + 1) / 3
    assert recall(T, P, "macro") == pytest.approx(11 / 18)           # (1/2 + 1 + 1/3) / 3
    assert f1_score(T, P, "macro") == pytest.approx(5 / 9)           # (1/2 + 2/3 + 1/2) / 3
    # weighted by support (2, 2, 3) / 7
    assert precision(T, P, "weighted") == pytest.approx((2 * .5 + 2 * .5 + 3 * 1) / 7)
    assert recall(T, P, "weighted") == pytest.approx((2 * .5 + 2 * 1 + 3 / 3) / 7)
    assert f1_score(T, P, "weighted") == pytest.approx((2 * .5 + 2 * 2 / 3 + 3 * .5) / 7)
    # micro pools TP=4, TP+FP=7, TP+FN=7
    assert precision_recall_f1(T, P, "micro") == pytest.approx((4 / 7, 4 / 7, 4 / 7))


def test_f1_is_harmonic_mean_where_defined():
    p, r, f = precision_recall_f1(T, P)
    np.testing.assert_allclose(f, 2 * p * r / (p + r))


# Zero division, scikit-learn's rules. true: 0 0 1 1, pred: 0 0 0 0, and a class 2 nobody uses.
ZT, ZP = [0, 0, 1, 1], [0, 0, 0, 0]
# class 0: TP=2 FP=2 FN=0 -> P=1/2 R=1 F=4/6
# class 1: TP=0 FP=0 FN=2 -> P=0/0 (never predicted), R=0, F=0/(0+0+2)=0 (defined: no 0/0)
# class 2: TP=FP=FN=0     -> P, R and F all 0/0 (neither present nor predicted)


@pytest.mark.parametrize("zd", [0.0, 1.0])
def test_zero_division_values(zd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an explicit value never warns
        p, r, f = precision_recall_f1(ZT, ZP, num_classes=3, zero_division=zd)
    np.testing.assert_allclose(p, [1 / 2, zd, zd])
    np.testing.assert_allclose(r, [1.0, 0.0, zd])
    np.testing.assert_allclose(f, [2 / 3, 0.0, zd])
    # explicit num_classes averages over all 3 classes
    assert precision(ZT, ZP, "macro", num_classes=3, zero_division=zd) == pytest.approx((0.5 + 2 * zd) / 3)
    # without it only classes seen in y_true or y_pred (0 and 1) are averaged, like sklearn's labels=None
    assert precision(ZT, ZP, "macro", zero_division=zd) == pytest.approx((0.5 + zd) / 2)
    assert f1_score(ZT, ZP, "macro", zero_division=zd) == pytest.approx((2 / 3 + 0) / 2)


def test_zero_division_nan_is_left_out_of_averages():
    p = precision(ZT, ZP, average=None, zero_division=np.nan)
    assert p[0] == 0.5 and np.isnan(p[1])
    assert precision(ZT, ZP, "macro", zero_division=np.nan) == pytest.approx(0.5)


def test_warn_gives_zero_and_warns_only_for_the_metric_asked():
    with pytest.warns(UndefinedMetricWarning, match="Precision is ill-defined.*no predicted samples"):
        p = precision(ZT, ZP)
    np.testing.assert_allclose(p, [0.5, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(recall(ZT, ZP), [1.0, 0.0])   # recall's denominators are 2 and 2
        np.testing.assert_allclose(f1_score(ZT, ZP), [2 / 3, 0.0])  # F1 of class 1 is 0/2, not 0/0
    with pytest.warns(UndefinedMetricWarning, match="F-score is ill-defined.*no true nor predicted"):
        f = f1_score(ZT, ZP, num_classes=3)
    np.testing.assert_allclose(f, [2 / 3, 0.0, 0.0])
    with pytest.warns(UndefinedMetricWarning, match="Recall is ill-defined.*no true samples"):
        recall([0, 0], [0, 1])  # class 1 predicted but never present


def test_bad_average_and_zero_division():
    with pytest.raises(ValueError, match="average must be one of"):
        precision_recall_f1(T, P, average="binary")
    with pytest.raises(ValueError, match="zero_division must be"):
        precision_recall_f1(T, P, zero_division=0.5)


def test_top_k_accuracy_by_hand():
    scores = np.array([[0.1, 0.5, 0.3, 0.1],   # true 2: rank 2 (only class 1 higher)
                       [0.7, 0.1, 0.1, 0.1],   # true 0: rank 1
                       [0.4, 0.3, 0.2, 0.1],   # true 3: rank 4
                       [0.1, 0.2, 0.3, 0.4]])  # true 2: rank 2
    y = [2, 0, 3, 2]
    assert top_k_accuracy(y, scores, k=1) == pytest.approx(1 / 4)
    assert top_k_accuracy(y, scores, k=2) == pytest.approx(3 / 4)
    assert top_k_accuracy(y, scores, k=3) == pytest.approx(3 / 4)
    assert top_k_accuracy(y, scores, k=4) == 1.0
    assert top_k_accuracy(y, gb.tensor(scores), k=1) == accuracy(y, scores.argmax(1))
    with pytest.raises(ValueError, match="class id 3.*2 columns"):
        top_k_accuracy([3], np.zeros((1, 2)), k=1)
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_k_accuracy(y, scores, k=0)


def _loop_reference(t, p, k):
    P, R, F = [], [], []
    for c in range(k):
        tp = sum(1 for a, b in zip(t, p) if a == c and b == c)
        fp = sum(1 for a, b in zip(t, p) if a != c and b == c)
        fn = sum(1 for a, b in zip(t, p) if a == c and b != c)
        P.append(tp / (tp + fp) if tp + fp else 0.0)
        R.append(tp / (tp + fn) if tp + fn else 0.0)
        F.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return P, R, F


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.just(k),
    st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=40))))
def test_matches_loop_reference_and_micro_equals_accuracy(case):
    k, pairs = case
    t = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    got = precision_recall_f1(t, p, num_classes=k, zero_division=0.0)
    for g, ref in zip(got, _loop_reference(t, p, k)):
        np.testing.assert_allclose(g, ref)
    acc = accuracy(t, p)
    np.testing.assert_allclose(precision_recall_f1(t, p, "micro", num_classes=k, zero_division=0.0), [acc] * 3)
    cm = confusion_matrix(t, p, num_classes=k)
    assert cm.sum() == len(t) and np.trace(cm) == np.sum(t == p)
