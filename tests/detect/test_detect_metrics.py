"""VOC-style AP/mAP: perfect predictions, a hand-computed ranking, interpolation."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.detect import average_precision, mean_average_precision


def test_average_precision_all_point_interpolation():
    # points (r, p): (.5, 1), (1, .5) → .5·1 + .5·.5
    assert average_precision([0.5, 1.0], [1.0, 0.5]) == pytest.approx(0.75)
    # a dip is filled by the best precision to its right: (.25, .5) → 1 because of (.5, 1)
    assert average_precision([0.25, 0.5], [0.5, 1.0]) == pytest.approx(0.5)
    assert average_precision([], []) == 0.0


def test_perfect_predictions_give_one():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (4, 3, 2))
    gt_boxes = [np.concatenate([p, p + rng.uniform(5, 15, (3, 2))], axis=1) for p in xy]
    gt_classes = [rng.integers(0, 4, 3) for _ in range(4)]
    dets = [{"boxes": b, "classes": c, "scores": rng.uniform(0.5, 1, 3)} for b, c in zip(gt_boxes, gt_classes)]
    result = mean_average_precision(dets, gt_boxes, gt_classes, num_classes=4)
    present = np.unique(np.concatenate(gt_classes))
    assert result["map"] == pytest.approx(1.0)
    np.testing.assert_allclose(result["ap"][present], 1.0)


def test_hand_computed_case():
    # class 0: 3 true boxes (2 in image A, 1 in B). Ranked detections:
    #   .9 A on g1 → TP;  .8 A on g1 again (IoU .82, g1 taken) → FP;
    #   .7 B on g3 (IoU .82) → TP;  .6 B on nothing → FP;  g2 is never found.
    #   precision 1, 1/2, 2/3, 1/2; recall 1/3, 1/3, 2/3, 2/3
    #   AP = 1/3·1 + 1/3·2/3 = 5/9
    # class 1: one true box in B. Ranked: .95 in A (wrong image) → FP; .5 in B → TP
    #   precision 0, 1/2; recall 0, 1 → AP = 1/2
    # class 2: no true boxes → NaN, left out of the mean
    gt_boxes = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]]),
                np.array([[0, 0, 10, 10], [40, 40, 50, 50], [0, 0, 0, 0]])]
    gt_classes = [np.array([0, 0]), np.array([0, 1, -1])]
    dets = [
        {"boxes": np.array([[0, 0, 10, 10], [1, 0, 11, 10], [40, 40, 50, 50]]),
         "scores": np.array([0.9, 0.8, 0.95]), "classes": np.array([0, 0, 1])},
        {"boxes": np.array([[0, 1, 10, 11], [50, 50, 60, 60], [40, 40, 50, 50]]),
         "scores": np.array([0.7, 0.6, 0.5]), "classes": np.array([0, 0, 1])},
    ]
    result = mean_average_precision(dets, gt_boxes, gt_classes, num_classes=3)
    assert result["ap"][0] == pytest.approx(5 / 9)
    assert result["ap"][1] == pytest.approx(0.5)
    assert np.isnan(result["ap"][2])
    np.testing.assert_array_equal(result["num_gt"], [3, 1, 0])
    assert result["map"] == pytest.approx((5 / 9 + 0.5) / 2)
    # a stricter IoU threshold turns the .82 matches into misses: class 0 keeps only g1
    strict = mean_average_precision(dets, gt_boxes, gt_classes, 3, iou_threshold=0.9)
    assert strict["ap"][0] == pytest.approx(1 / 3)


def test_no_detections_and_mismatched_lengths():
    empty = {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "classes": np.zeros(0, int)}
    result = mean_average_precision([empty], [np.array([[0, 0, 5, 5]])], [np.array([1])], 2)
    assert result["ap"][1] == 0.0 and result["map"] == 0.0
    with pytest.raises(ValueError, match="mean_average_precision"):
        mean_average_precision([empty, empty], [np.zeros((0, 4))], [np.zeros(0)], 2)
