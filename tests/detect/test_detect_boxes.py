"""Box conversions, IoU and NMS on hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.detect import (batched_nms, box_iou, center_to_corners, corners_to_center, nms,
                             shape_iou, to_absolute, to_relative)


def test_corners_center_by_hand():
    corners = np.array([[2.0, 4.0, 6.0, 10.0]])
    np.testing.assert_allclose(corners_to_center(corners), [[4.0, 7.0, 4.0, 6.0]])
    np.testing.assert_allclose(center_to_corners([[4.0, 7.0, 4.0, 6.0]]), corners)


def test_relative_absolute_non_square_image():
    rel = np.array([0.5, 0.25, 1.0, 0.5])
    absolute = to_absolute(rel, (200, 100))  # (width, height)
    np.testing.assert_allclose(absolute, [100, 25, 200, 50])
    np.testing.assert_allclose(to_relative(absolute, (200, 100)), rel)
    np.testing.assert_allclose(to_absolute(rel, 64), rel * 64)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_round_trips(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1, (n, 2))
    corners = np.concatenate([xy, xy + rng.uniform(0.01, 1, (n, 2))], axis=1)
    np.testing.assert_allclose(center_to_corners(corners_to_center(corners)), corners, atol=1e-12)
    np.testing.assert_allclose(to_relative(to_absolute(corners, (37, 53)), (37, 53)), corners, atol=1e-12)


def test_bad_boxes_name_the_function():
    with pytest.raises(ValueError, match="corners_to_center.*last axis of 4"):
        corners_to_center(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="to_absolute.*positive"):
        to_absolute([0, 0, 1, 1], 0)


@pytest.mark.parametrize("a, b, expected", [
    ((0, 0, 2, 2), (3, 3, 5, 5), 0.0),             # apart
    ((0, 0, 1, 1), (1, 0, 2, 1), 0.0),             # sharing only an edge
    ((0, 0, 4, 4), (1, 1, 3, 3), 4 / 16),          # containment: inner area / outer area
    ((1, 2, 5, 7), (1, 2, 5, 7), 1.0),             # identical
    ((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7),           # ∩ = 1×1, ∪ = 4 + 4 − 1
    ((0, 0, 2, 1), (1, 0, 4, 1), 1 / 4),           # ∩ = 1, ∪ = 2 + 3 − 1
])
def test_iou_hand_cases(a, b, expected):
    got = box_iou(np.array([a], dtype=np.float64), np.array([b], dtype=np.float64))
    assert got.shape == (1, 1)
    assert got[0, 0] == pytest.approx(expected)
    assert box_iou(np.array([b], float), np.array([a], float))[0, 0] == pytest.approx(expected)


def test_iou_pairwise_matrix_matches_pair_by_pair():
    rng = np.random.default_rng(0)

    def random_boxes(n):
        x, y = np.sort(rng.uniform(0, 10, (2, n, 2)), axis=2)
        return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)

    a, b = random_boxes(5), random_boxes(3)
    m = box_iou(a, b)
    assert m.shape == (5, 3)
    for i in range(5):
        for j in range(3):
            assert m[i, j] == pytest.approx(box_iou(a[i:i + 1], b[j:j + 1])[0, 0])
    assert np.all((m >= 0) & (m <= 1))


def test_iou_empty_and_degenerate():
    assert box_iou(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    assert box_iou([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0.0  # zero area: 0, not NaN


def test_shape_iou_centred():
    # (h, w) = (3, 1) against (1, 3): the centred boxes cross in a 1×1 square, ∪ = 3 + 3 − 1
    assert shape_iou([[3, 1]], [[1, 3]])[0, 0] == pytest.approx(1 / 5)
    assert shape_iou([[2, 2]], [[1, 1]])[0, 0] == pytest.approx(1 / 4)


# scores .9 .8 .7 .95; IoU(0,1) = 81/119 ≈ .68, IoU(3,0) = 50/150 = .33, IoU(3,1) = 54/146 ≈ .37
BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [5, 0, 15, 10]], float)
SCORES = np.array([0.9, 0.8, 0.7, 0.95])


def test_nms_fixed_case():
    np.testing.assert_array_equal(nms(BOXES, SCORES, 0.5), [3, 0, 2])  # 1 dies under 0
    np.testing.assert_array_equal(nms(BOXES, SCORES, 0.3), [3, 2])     # 3 now removes 0 and 1
    np.testing.assert_array_equal(nms(BOXES, SCORES, 1.0), [3, 0, 1, 2])


def test_batched_nms_only_within_a_class():
    classes = np.array([0, 0, 0, 1])
    # box 3 is alone in class 1, so it cannot remove 0; 0 still removes 1
    np.testing.assert_array_equal(batched_nms(BOXES, SCORES, classes, 0.3), [3, 0, 2])


def test_nms_empty_and_bad_input():
    assert nms(np.zeros((0, 4)), np.zeros(0)).shape == (0,)
    assert batched_nms(np.zeros((0, 4)), [], []).shape == (0,)
    with pytest.raises(ValueError, match="nms.*scores"):
        nms(BOXES, SCORES[:2])
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(BOXES, SCORES, 1.5)
