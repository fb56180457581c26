"""The overfitting lesson's findings on a small MNIST subset: capacity widens the train−test
gap, and regularizers narrow the large net's gap."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from glassbox.lessons import overfitting as lesson


def _need_data():
    root = os.environ.get("GLASSBOX_DATA")
    if not root or not (Path(root) / "mnist-5k").is_dir():
        pytest.skip("real MNIST data not found: set GLASSBOX_DATA to the folder holding mnist-5k/")


def test_subset_is_shuffled_not_the_sorted_head():
    _need_data()
    (x, y), (xt, yt) = lesson.load_data(600, 500)
    assert x.shape == (600, 1, 28, 28) and len(yt) == 500
    assert np.bincount(y, minlength=10).min() >= 40        # all ten digits present


def test_overfitting_findings(tmp_path):
    _need_data()
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    train, gap = v["train_accuracy"], v["gap"]
    # a large net memorizes the small training set
    assert train["2 × 256 (large)"] > 0.99 and v["large_gap"] > 0.05
    # more width, more memorization: the gap grows from 16 to 256 units
    assert gap["1 × 256"] > gap["1 × 16"] + 0.02
    # augmentation narrows the large net's gap AND raises its test accuracy (the lesson's claim)
    aug, base = "large + augmentation", "2 × 256 (large)"
    assert gap[aug] < v["large_gap"] - 0.02
    assert v["test_accuracy"][aug] > v["test_accuracy"][base] + lesson.TEST_TOLERANCE
    assert aug in v["regularizers_helping"]
    assert v["verdicts"][aug] == "narrows the gap, raises test acc"
    # no regularizer is counted as helping while it loses more than the tolerance on test
    for name in v["regularizers_helping"]:
        assert v["test_accuracy"][name] >= v["test_accuracy"][base] - lesson.TEST_TOLERANCE
    assert all(p.exists() for p in result.figures)


def test_verdict_separates_helping_from_losing_test_accuracy():
    base = {"gap": 0.10, "test": 0.90}
    assert lesson.verdict(base, {"gap": 0.03, "test": 0.93}) == "narrows the gap, raises test acc"
    assert lesson.verdict(base, {"gap": 0.05, "test": 0.895}) == "narrows the gap, same test acc"
    assert lesson.verdict(base, {"gap": 0.02, "test": 0.83}) == "narrows the gap, lowers test acc"
    assert lesson.verdict(base, {"gap": 0.12, "test": 0.95}) == "does not narrow the gap"
    assert lesson.helps("narrows the gap, same test acc")
    assert not lesson.helps("narrows the gap, lowers test acc")
