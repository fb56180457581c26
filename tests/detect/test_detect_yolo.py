"""YOLO targets (the course's 3×3×2×8 example), decoding, and the loss."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox import Tensor, gradcheck
from glassbox.detect import decode_predictions, decode_targets, detect, encode_targets, yolo_loss

# (h, w) relative to the image: anchor 1 tall (pedestrian), anchor 2 wide (car)
ANCHORS = np.array([[0.3, 0.1], [0.1, 0.3]])
PEDESTRIAN, CAR, MOTORCYCLE = 0, 1, 2


def corners(x, y, h, w):
    return [x - w / 2, y - h / 2, x + w / 2, y + h / 2]


def test_course_example_3x3_grid_2_anchors_3_classes():
    # both centres in the cell of row 1, column 2 (y in [1/3, 2/3), x in [2/3, 1))
    boxes = [corners(0.8, 0.5, h=0.3, w=0.1), corners(0.75, 0.45, h=0.1, w=0.3)]
    y = encode_targets(boxes, [PEDESTRIAN, CAR], grid_size=3, anchors=ANCHORS, num_classes=3)
    assert y.shape == (3, 3, 2, 8)
    # b_x = 3·0.8 − 2, b_y = 3·0.5 − 1 (within the cell); b_h, b_w relative to the image
    np.testing.assert_allclose(y[1, 2, 0], [1, 0.4, 0.5, 0.3, 0.1, 1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(y[1, 2, 1], [1, 0.25, 0.35, 0.1, 0.3, 0, 1, 0], atol=1e-6)
    others = np.ones((3, 3), bool)
    others[1, 2] = False
    assert np.all(y[others] == 0)  # every other cell: p_c = 0 and nothing else


def test_course_car_only_cell_vector():
    # the notes' y for a cell holding one car: [0 × 8, 1, b_x, b_y, b_h, b_w, 0, 1, 0]
    y = encode_targets([corners(0.5, 0.5, h=0.1, w=0.3)], [CAR], 3, ANCHORS, 3)
    np.testing.assert_allclose(y[1, 1].reshape(16),
                               [0] * 8 + [1, 0.5, 0.5, 0.1, 0.3, 0, 1, 0], atol=1e-6)
    assert y.sum() == pytest.approx(y[1, 1].sum())


def test_batch_padding_and_bad_input():
    boxes = np.array([[corners(0.2, 0.2, 0.3, 0.1), [0, 0, 0, 0]],
                      [corners(0.9, 0.9, 0.1, 0.3), corners(0.1, 0.9, 0.1, 0.3)]])
    classes = np.array([[MOTORCYCLE, -1], [CAR, PEDESTRIAN]])
    y = encode_targets(boxes, classes, 3, ANCHORS, 3)
    assert y.shape == (2, 3, 3, 2, 8)
    assert y[0, ..., 0].sum() == 1 and y[1, ..., 0].sum() == 2
    assert y[0, 0, 0, 0, 5 + MOTORCYCLE] == 1
    with pytest.raises(ValueError, match="encode_targets.*class 3"):
        encode_targets(boxes, np.array([[3, -1], [0, 0]]), 3, ANCHORS, 3)
    with pytest.raises(ValueError, match="anchors"):
        encode_targets(boxes, classes, 3, [[0.1, -1]], 3)


def _layout(seed):
    """Up to 6 boxes in distinct cells of a 4×4 grid, random sizes and classes."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(16, size=6, replace=False)
    cx = (cells % 4 + rng.uniform(0.05, 0.95, 6)) / 4
    cy = (cells // 4 + rng.uniform(0.05, 0.95, 6)) / 4
    h, w = rng.uniform(0.05, 0.5, (2, 6))
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), rng.integers(0, 5, 6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_encode_decode_round_trip(seed):
    boxes, classes = _layout(seed)
    y = encode_targets(boxes, classes, 4, ANCHORS, 5)
    got, p_c, onehot = decode_targets(y)
    keep = p_c[0] == 1
    assert keep.sum() == len(boxes)
    order = np.lexsort(boxes.T[::-1])
    order_got = np.lexsort(got[0][keep].T[::-1])
    np.testing.assert_allclose(got[0][keep][order_got], boxes[order], atol=1e-6)
    np.testing.assert_array_equal(onehot[0][keep].argmax(1)[order_got], classes[order])


def _perfect_logits(y, anchors, big=30.0):
    """Raw outputs t whose decoding is exactly the target y."""
    obj = y[..., 0] > 0
    t = np.zeros_like(y, dtype=np.float64)
    t[..., 0] = np.where(obj, big, -big)
    bxy = np.clip(y[..., 1:3], 1e-9, 1 - 1e-9)
    t[..., 1:3] = np.log(bxy / (1 - bxy))                                   # σ⁻¹
    t[..., 3:5] = np.log(np.where(obj[..., None], y[..., 3:5], 1.0) / anchors)  # ln(b/a)
    t[..., 5:] = big * y[..., 5:]
    return t


@pytest.mark.parametrize("seed", [3, 4])
def test_decode_predictions_then_nms_recovers_boxes(seed):
    boxes, classes = _layout(seed)
    y = encode_targets(boxes, classes, 4, ANCHORS, 5)[None]
    dets = detect(_perfect_logits(y, ANCHORS), ANCHORS, score_threshold=0.5, iou_threshold=0.99)
    d = dets[0]
    assert len(d["boxes"]) == len(boxes) and np.all(d["scores"] > 0.99)
    order, order_got = np.lexsort(boxes.T[::-1]), np.lexsort(d["boxes"].T[::-1])
    np.testing.assert_allclose(d["boxes"][order_got], boxes[order], atol=1e-5)
    np.testing.assert_array_equal(d["classes"][order_got], classes[order])


def test_decode_predictions_formula():
    # one cell, one anchor: zero logits give centre of the cell, the anchor's size, p = ½
    pred = np.zeros((1, 2, 2, 1, 7))
    boxes, obj, probs = decode_predictions(pred, [[0.2, 0.4]])
    np.testing.assert_allclose(boxes[0, 3], [0.75 - 0.2, 0.75 - 0.1, 0.75 + 0.2, 0.75 + 0.1])
    np.testing.assert_allclose(obj, 0.5)
    np.testing.assert_allclose(probs, 0.5)


def test_loss_hand_value():
    # S = 1, B = 1, C = 2, all logits 0; object at the cell centre with b_h = a_h, b_w = a_w·e:
    # BCE(0, 1) = ln 2; box: 5·[(½ − ½)² + (½ − ½)² + (0 − 0)² + (0 − 1)²] = 5; CE = ln 2
    anchors = [[0.2, 0.1]]
    y = np.zeros((1, 1, 1, 1, 7))
    y[0, 0, 0, 0, :6] = [1, 0.5, 0.5, 0.2, 0.1 * np.e, 1]
    pred = Tensor(np.zeros(y.shape), dtype=np.float64, requires_grad=True)
    loss, parts = yolo_loss(pred, y, anchors, lambda_coord=5.0, return_parts=True)
    assert loss.item() == pytest.approx(2 * np.log(2) + 5)
    assert parts == pytest.approx({"objectness": np.log(2), "box": 5.0, "classification": np.log(2)})


def test_loss_no_object_weight_and_empty_batch():
    y = np.zeros((2, 2, 2, 1, 6))
    pred = Tensor(np.zeros(y.shape), dtype=np.float64)
    # 8 empty (cell, anchor) pairs, λ_noobj·ln 2 each, averaged over 2 images
    assert yolo_loss(pred, y, [[0.1, 0.1]], lambda_noobj=0.25).item() == pytest.approx(8 * 0.25 * np.log(2) / 2)


def test_loss_perfect_prediction_is_near_zero():
    boxes, classes = _layout(5)
    y = encode_targets(boxes, classes, 4, ANCHORS, 5)[None]
    pred = Tensor(_perfect_logits(y, ANCHORS), dtype=np.float64)
    loss, parts = yolo_loss(pred, y, ANCHORS, return_parts=True)
    assert parts["box"] < 1e-12 and parts["classification"] < 1e-10 and loss.item() < 1e-9
    worse = _perfect_logits(y, ANCHORS)
    worse[..., 3] += 0.5
    assert yolo_loss(Tensor(worse, dtype=np.float64), y, ANCHORS).item() > 0.5


def test_loss_gradcheck_tiny():
    rng = np.random.default_rng(0)
    anchors = np.array([[0.4, 0.2], [0.2, 0.4]])
    y = encode_targets(np.array([[[0.1, 0.1, 0.3, 0.5], [0.5, 0.6, 0.9, 0.8]]]),
                       np.array([[0, 2]]), 2, anchors, 3)
    y = np.concatenate([y, np.zeros_like(y)])  # second image without objects
    pred = Tensor(rng.normal(size=y.shape), dtype=np.float64, requires_grad=True)
    gradcheck(lambda p: yolo_loss(p, y, anchors, lambda_coord=2.0, lambda_noobj=0.3), pred,
              eps=1e-6, atol=1e-5, rtol=1e-3)


def test_loss_shape_errors():
    with pytest.raises(ValueError, match="yolo_loss"):
        yolo_loss(Tensor(np.zeros((1, 2, 2, 2, 8))), np.zeros((1, 2, 2, 2, 7)), ANCHORS)
    with pytest.raises(ValueError, match="yolo_loss.*anchors"):
        yolo_loss(Tensor(np.zeros((1, 2, 2, 3, 8))), np.zeros((1, 2, 2, 3, 8)), ANCHORS)
