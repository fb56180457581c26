"""ROC curve and AUC: scikit-learn's documented example, hand-counted ties, the
Mann–Whitney identity on random data, and input errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.metrics import roc_auc_score, roc_curve


def test_sklearn_documented_example():
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    fpr, tpr, thr = roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert roc_auc_score(y, s) == pytest.approx(0.75)


def test_ties_make_a_diagonal_step():
    # scores: positives 0.9, 0.5; negatives 0.5, 0.1 → the tie at 0.5 is one point
    y, s = [1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.9, 0.5, 0.1])
    # pairs: (0.9 > 0.5), (0.9 > 0.1), (0.5 = 0.5 → ½), (0.5 > 0.1) → 3.5 / 4
    assert roc_auc_score(y, s) == pytest.approx(0.875)
    assert roc_auc_score([0, 1, 0, 1], [3, 3, 3, 3]) == pytest.approx(0.5)  # all tied


def test_perfect_and_reversed_ranking():
    y = np.array([0, 0, 0, 1, 1])
    s = np.arange(5.0)
    assert roc_auc_score(y, s) == 1.0
    assert roc_auc_score(y, -s) == 0.0
    assert roc_auc_score(y.astype(bool), s) == 1.0


def test_drop_intermediate_keeps_corners_only():
    y = [1, 1, 1, 0, 0, 0]
    fpr, tpr, _ = roc_curve(y, [6, 5, 4, 3, 2, 1])
    # the collinear points along each edge are gone; as in scikit-learn, the first threshold's
    # point (0, 1/3) stays (the rule runs before (0, 0) is prepended)
    np.testing.assert_allclose(fpr, [0, 0, 0, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])
    full = roc_curve(y, [6, 5, 4, 3, 2, 1], drop_intermediate=False)
    assert len(full[0]) == 7


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 10_000), levels=st.integers(2, 6))
def test_auc_equals_mann_whitney(n, seed, levels):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    s = rng.integers(0, levels, n).astype(float)  # few levels: many ties
    pos, neg = s[y == 1], s[y == 0]
    wins = (pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()
    assert roc_auc_score(y, s) == pytest.approx(wins / (len(pos) * len(neg)))
    fpr, tpr, thr = roc_curve(y, s)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0) and np.all(np.diff(thr) < 0)
    # area of the reduced curve is the same
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_score(y, s))


def test_bad_inputs():
    with pytest.raises(ValueError, match="only one class"):
        roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="binary 0/1"):
        roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"same length, got shapes \(3,\) and \(2,\)"):
        roc_curve([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        roc_curve([0, 1], [0.1, np.nan])
