"""Data augmentation: exact geometry on synthetic images, seeding, statistics, the loader wrapper."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox import Tensor
from glassbox.data import DataLoader, TensorDataset
from glassbox.data.augment import (
    AugmentedLoader, BrightnessContrast, Compose, GaussianNoise, RandomCrop, RandomHorizontalFlip,
    RandomRotation, RandomShift, default_digit_augmentation, rotate, shift,
)

ALL = [
    RandomShift(2), RandomCrop(3), RandomRotation(15), RandomRotation(15, mode="nearest"),
    RandomHorizontalFlip(0.5), GaussianNoise(0.1), BrightnessContrast(0.3, 0.3),
    default_digit_augmentation(),
]


def batch(n: int = 8, c: int = 1, h: int = 12, w: int = 10, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed).random((n, c, h, w)).astype(dtype)


def dot_images(n: int, h: int, w: int, at: tuple[int, int]) -> np.ndarray:
    x = np.zeros((n, 1, h, w), np.float32)
    x[:, 0, at[0], at[1]] = 1.0
    return x


# ------------------------------------------------------------------ shape, dtype, seeding
@pytest.mark.parametrize("t", ALL, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_preserved(t, dtype):
    x = batch(5, 2, 9, 11, dtype=dtype)
    out = t(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == dtype


@pytest.mark.parametrize("t", ALL, ids=repr)
def test_same_seed_same_batch_other_seed_differs(t):
    x = batch(16)
    a = t(x, np.random.default_rng(7))
    b = t(x, np.random.default_rng(7))
    c = t(x, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("t", ALL, ids=repr)
def test_input_is_not_modified(t):
    x = batch(4)
    before = x.copy()
    t(x, np.random.default_rng(0))
    np.testing.assert_array_equal(x, before)


def test_tensor_in_tensor_out():
    x = batch(3)
    out = RandomShift(1)(Tensor(x), np.random.default_rng(0))
    assert isinstance(out, Tensor) and out.shape == x.shape


def test_bad_input_errors_name_the_transform():
    with pytest.raises(ValueError, match=r"RandomShift.*\(N, C, H, W\).*\(3, 4\)"):
        RandomShift(1)(np.zeros((3, 4), np.float32), np.random.default_rng(0))
    with pytest.raises(TypeError, match="GaussianNoise.*float"):
        GaussianNoise(0.1)(np.zeros((1, 1, 2, 2), np.uint8), np.random.default_rng(0))
    with pytest.raises(TypeError, match="RandomCrop.*Generator"):
        RandomCrop(1)(batch(1), rng=42)
    with pytest.raises(ValueError, match="RandomShift.*max_shift"):
        RandomShift(-1)
    with pytest.raises(ValueError, match="RandomHorizontalFlip.*p"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="rotate.*mode"):
        rotate(batch(1), 10, mode="cubic")


# ------------------------------------------------------------------------------- shift
@pytest.mark.parametrize("dy,dx", [(0, 0), (2, 0), (0, -3), (-1, 2), (3, 3)])
def test_shift_moves_a_single_pixel_by_exactly_k(dy, dx):
    x = dot_images(1, 10, 9, (5, 4))
    out = shift(x, dy, dx)
    assert out.sum() == 1.0
    assert np.argwhere(out[0, 0]).tolist() == [[5 + dy, 4 + dx]]


def test_shift_zero_fills_and_drops_what_leaves():
    x = np.ones((1, 1, 4, 5), np.float32)
    out = shift(x, 1, -2)
    assert out[0, 0, 0].sum() == 0 and out[0, 0, :, -2:].sum() == 0
    assert out.sum() == 3 * 3
    assert shift(x, 10, 0).sum() == 0  # everything left the image


def test_random_shift_per_sample_within_max_shift():
    n, k = 200, 2
    x = dot_images(n, 11, 11, (5, 5))
    out = RandomShift(k)(x, np.random.default_rng(0))
    where = np.argwhere(out[:, 0] == 1.0)  # (sample, row, col)
    assert len(where) == n and np.array_equal(where[:, 0], np.arange(n))  # no pixel lost
    d = where[:, 1:] - 5
    assert np.abs(d).max() == k
    assert len({tuple(v) for v in d}) == (2 * k + 1) ** 2  # all 25 offsets occur in 200 draws


# ------------------------------------------------------------------------------- crop
def test_random_crop_is_a_window_of_the_padded_image():
    p = 3
    x = batch(30, 2, 8, 7, seed=1)
    out = RandomCrop(p)(x, np.random.default_rng(0))
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    offsets = set()
    for i in range(len(x)):
        hits = [(t, l) for t in range(2 * p + 1) for l in range(2 * p + 1)
                if np.array_equal(out[i], padded[i, :, t:t + 8, l:l + 7])]
        assert hits, f"sample {i} is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 5  # the offsets really vary


def test_random_crop_zero_padding_is_identity():
    x = batch(4)
    np.testing.assert_array_equal(RandomCrop(0)(x, np.random.default_rng(0)), x)


# ---------------------------------------------------------------------------- rotation
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_rotation_by_zero_is_identity(mode):
    x = batch(4, 3, 9, 13)
    np.testing.assert_allclose(rotate(x, 0.0, mode), x, atol=1e-6)
    np.testing.assert_allclose(RandomRotation(0.0, mode)(x, np.random.default_rng(0)), x, atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("size", [6, 7, 28])
def test_rotation_by_90_matches_rot90(mode, size):
    x = batch(3, 2, size, size)
    np.testing.assert_allclose(rotate(x, 90, mode), np.rot90(x, 1, axes=(-2, -1)), atol=1e-5)
    np.testing.assert_allclose(rotate(x, -90, mode), np.rot90(x, -1, axes=(-2, -1)), atol=1e-5)
    np.testing.assert_allclose(rotate(x, 180, mode), x[..., ::-1, ::-1], atol=1e-5)


def test_rotation_per_sample_angles():
    x = batch(3, 1, 8, 8)
    out = rotate(x, np.array([0.0, 90.0, 180.0]))
    np.testing.assert_allclose(out[0], x[0], atol=1e-6)
    np.testing.assert_allclose(out[1], np.rot90(x[1], 1, axes=(-2, -1)), atol=1e-5)
    np.testing.assert_allclose(out[2], x[2, :, ::-1, ::-1], atol=1e-5)


def test_bilinear_rotation_moves_a_pixel_along_the_circle():
    # A dot 4 px right of the centre of a 9×9 image, turned 30° counter-clockwise, lands
    # (in bilinear mass) at centre + 4·(−sin 30°, cos 30°) in (row, col).
    x = dot_images(1, 9, 9, (4, 8))
    out = rotate(x, 30.0)[0, 0].astype(np.float64)
    rows, cols = np.mgrid[0:9, 0:9]
    mass = out.sum()
    assert 0.8 < mass < 1.2
    com = (float((rows * out).sum() / mass), float((cols * out).sum() / mass))
    np.testing.assert_allclose(com, (4 - 4 * np.sin(np.pi / 6), 4 + 4 * np.cos(np.pi / 6)), atol=0.35)


def test_random_rotation_angles_stay_in_range():
    # A 1-pixel-wide horizontal bar through the centre; after a rotation by θ its pixels
    # stay near the line of slope tan θ, so |θ| ≤ 10° keeps the ends within ~1 row of the middle.
    x = np.zeros((50, 1, 21, 21), np.float32)
    x[:, 0, 10, :] = 1.0
    out = RandomRotation(10.0)(x, np.random.default_rng(0))
    rows = np.argwhere(out[:, 0] > 0.5)[:, 1]
    assert np.abs(rows - 10).max() <= 2
    wide = RandomRotation(60.0)(x, np.random.default_rng(0))
    assert np.abs(np.argwhere(wide[:, 0] > 0.5)[:, 1] - 10).max() > 4


def test_rotation_keeps_values_in_input_range():
    x = batch(16, 1, 28, 28)
    out = RandomRotation(30)(x, np.random.default_rng(1))
    assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6


# -------------------------------------------------------------------------------- flip
def test_flip_always_and_never():
    x = batch(5)
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x, np.random.default_rng(0)), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x, np.random.default_rng(0)), x)


def test_flip_half_the_samples():
    x = batch(400, 1, 4, 4)
    out = RandomHorizontalFlip(0.5)(x, np.random.default_rng(0))
    flipped = np.array([np.array_equal(o, xi[..., ::-1]) for o, xi in zip(out, x)])
    same = np.array([np.array_equal(o, xi) for o, xi in zip(out, x)])
    assert np.all(flipped ^ same)
    assert 160 < flipped.sum() < 240  # Binomial(400, 0.5): ±4 σ


def test_default_digit_pipeline_never_flips():
    names = [type(t).__name__ for t in default_digit_augmentation().transforms]
    assert "RandomHorizontalFlip" not in names
    assert names  # and it does augment something


# ---------------------------------------------------------------------- noise, jitter
def test_gaussian_noise_statistics_without_clip():
    x = np.full((64, 1, 32, 32), 0.5, np.float32)
    out = GaussianNoise(0.1, clip=False)(x, np.random.default_rng(0))
    eps = (out - x).astype(np.float64)
    assert abs(eps.mean()) < 3 * 0.1 / np.sqrt(eps.size)
    assert abs(eps.std() - 0.1) < 0.002


def test_gaussian_noise_clips_to_unit_range():
    x = batch(8)
    out = GaussianNoise(0.5)(x, np.random.default_rng(0))
    assert out.min() == 0.0 and out.max() == 1.0  # noise this large hits both bounds


def test_brightness_contrast_range_and_effect():
    x = batch(64, 1, 10, 10)
    out = BrightnessContrast(0.5, 0.5)(x, np.random.default_rng(0))
    assert out.min() >= 0.0 and out.max() <= 1.0
    ratio = out.mean(axis=(1, 2, 3)) / x.mean(axis=(1, 2, 3))
    assert ratio.std() > 0.05  # each image got its own factors


def test_brightness_only_scales_and_contrast_only_keeps_mean():
    x = 0.25 + 0.5 * batch(32, 1, 6, 6)  # in [0.25, 0.75]: small factors never clip
    b = BrightnessContrast(brightness=0.2, contrast=0.0)(x, np.random.default_rng(0))
    factors = b.reshape(32, -1) / x.reshape(32, -1)
    np.testing.assert_allclose(factors, factors[:, :1] * np.ones_like(factors), rtol=1e-5)
    assert np.all((factors[:, 0] >= 0.8 - 1e-6) & (factors[:, 0] <= 1.2 + 1e-6))
    c = BrightnessContrast(brightness=0.0, contrast=0.3)(x, np.random.default_rng(0))
    np.testing.assert_allclose(c.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-6)


# ----------------------------------------------------------------------------- compose
def test_compose_applies_in_order_with_one_generator():
    x = dot_images(1, 9, 9, (4, 4))
    out = Compose([lambda a, rng: shift(a, 1, 0), lambda a, rng: shift(a, 0, 2)])(x, np.random.default_rng(0))
    assert np.argwhere(out[0, 0]).tolist() == [[5, 6]]
    t = Compose([RandomShift(1), GaussianNoise(0.05)])
    rng = np.random.default_rng(3)
    expected = GaussianNoise(0.05)(RandomShift(1)(batch(), rng), rng)
    np.testing.assert_array_equal(t(batch(), np.random.default_rng(3)), expected)


# ------------------------------------------------------------------------------ loader
def test_augmented_loader_yields_transformed_tensors_and_repeats_with_seed():
    x = batch(20, 1, 6, 6)
    y = np.arange(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=False)
    aug = AugmentedLoader(loader, RandomHorizontalFlip(1.0), seed=0)
    assert len(aug) == len(loader) == 3
    batches = list(aug)
    assert all(isinstance(b[0], Tensor) and isinstance(b[1], Tensor) for b in batches)
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), x[..., ::-1])
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    noisy = lambda s: [b[0].data for b in AugmentedLoader(loader, GaussianNoise(0.1), seed=s)]
    np.testing.assert_array_equal(np.concatenate(noisy(1)), np.concatenate(noisy(1)))
    assert not np.array_equal(np.concatenate(noisy(1)), np.concatenate(noisy(2)))


def test_augmented_loader_trains_with_fit():
    from glassbox import nn, optim
    from glassbox.training import fit

    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :, :3].sum(axis=(1, 2)) > x[:, 0, :, 3:].sum(axis=(1, 2))).astype(np.int64)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    loader = AugmentedLoader(DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0),
                             RandomShift(1), seed=0)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                  epochs=2, verbose=0, seed=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
