"""Digit canvases: deterministic by seed, boxes inside the canvas and around the ink."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.detect import make_canvases
from glassbox.detect.synthetic import resize_matrix


def fake_digits(n=40, seed=0):
    """Solid 16×12 blocks on a 28×28 ground whose brightness encodes the class: (c + 1)/10."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 28, 28), np.float32)
    images[:, 6:22, 8:20] = ((labels + 1) / 10)[:, None, None]
    return images, labels


def test_same_seed_same_canvases_other_seed_differs():
    images, labels = fake_digits()
    a = make_canvases(images, labels, 20, seed=7)
    b = make_canvases(images, labels, 20, seed=7)
    c = make_canvases(images, labels, 20, seed=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_shapes_counts_and_boxes_inside():
    images, labels = fake_digits()
    x, boxes, classes = make_canvases(images, labels, 50, size=64, max_digits=3, seed=1)
    assert x.shape == (50, 1, 64, 64) and x.dtype == np.float32
    assert boxes.shape == (50, 3, 4) and classes.shape == (50, 3)
    counts = (classes >= 0).sum(axis=1)
    assert counts.min() >= 1 and counts.max() <= 3 and len(np.unique(counts)) > 1
    real = boxes[classes >= 0]
    assert np.all(real >= 0) and np.all(real <= 64)
    assert np.all(real[:, 2] > real[:, 0]) and np.all(real[:, 3] > real[:, 1])
    assert np.all(boxes[classes < 0] == 0)
    # padding only at the end of each row
    assert np.all(np.diff((classes >= 0).astype(int), axis=1) <= 0)


def test_boxes_match_the_pixels_and_labels():
    images, labels = fake_digits()
    thr = 0.03  # not a value the blurred edges hit exactly
    x, boxes, classes = make_canvases(images, labels, 40, seed=2, max_iou=0.0, ink_threshold=thr)
    for img, bs, cs in zip(x[:, 0], boxes, classes):
        covered = np.zeros_like(img, dtype=bool)
        for (x1, y1, x2, y2), c in zip(bs.astype(int), cs):
            if c < 0:
                continue
            covered[y1:y2, x1:x2] = True
            inside = img[y1:y2, x1:x2]
            # the tight box touches ink on all four sides
            assert inside[0].max() > thr and inside[-1].max() > thr
            assert inside[:, 0].max() > thr and inside[:, -1].max() > thr
            # the box's middle shows its own digit's brightness: the label is the right one
            assert img[(y1 + y2) // 2, (x1 + x2) // 2] == pytest.approx((c + 1) / 10, abs=1e-5)
        assert not np.any((img > thr) & ~covered)  # no ink outside the boxes


def test_overlap_is_limited():
    images, labels = fake_digits()
    from glassbox.detect import box_iou

    _, boxes, classes = make_canvases(images, labels, 60, seed=3, max_iou=0.1)
    for bs, cs in zip(boxes, classes):
        real = bs[cs >= 0].astype(np.float64)
        iou = box_iou(real, real)
        np.fill_diagonal(iou, 0)
        assert iou.max() <= 0.1 + 1e-9


def test_real_mnist_digits_if_available():
    from glassbox.data import load_mnist
    from glassbox.data.mnist import DatasetNotFoundError

    try:
        (_, _), (xt, yt) = load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available")
    x, boxes, classes = make_canvases(xt[:200], yt[:200], 30, seed=0, min_digits=1, max_digits=1)
    for img, (x1, y1, x2, y2) in zip(x[:, 0], boxes[:, 0].astype(int)):
        ys, xs = np.nonzero(img > 0.3)  # one digit: its box is exactly the ink's extent
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x1, y1, x2, y2)
        h = y2 - y1
        assert 7 <= h <= 28


def test_resize_matrix_rows_sum_to_one_and_identity():
    r = resize_matrix(28, 17)
    np.testing.assert_allclose(r.sum(axis=1), 1.0)
    np.testing.assert_allclose(resize_matrix(5, 5), np.eye(5))


def test_bad_arguments():
    images, labels = fake_digits()
    with pytest.raises(ValueError, match="make_canvases.*max_scale"):
        make_canvases(images, labels, 2, size=20, max_scale=28)
    with pytest.raises(ValueError, match="make_canvases"):
        make_canvases(images, labels[:3], 2)
