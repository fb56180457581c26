"""The shared test harness (tests/helpers.py) itself: t64's options, the kink-avoiding sampler."""
import numpy as np

from helpers import away_from_kinks, t64


def test_t64_is_float64_and_takes_both_spellings_of_requires_grad():
    assert t64([1, 2]).dtype == np.float64 and t64([1, 2]).requires_grad
    assert not t64([1.0], False).requires_grad
    assert not t64([1.0], requires_grad=False).requires_grad
    assert t64([1.0], False, requires_grad=True).requires_grad  # the explicit keyword wins
    assert t64(np.float32(0.1)).item() == float(np.float32(0.1))


def test_away_from_kinks_keeps_the_margin_and_is_seeded():
    x = away_from_kinks((200,), seed=3, kinks=(0.0, 1.0), margin=0.1)
    assert np.abs(x).min() >= 0.1 - 1e-12 and np.abs(x - 1.0).min() >= 0.1 - 1e-12
    np.testing.assert_array_equal(x, away_from_kinks((200,), seed=3, kinks=(0.0, 1.0), margin=0.1))
    assert not np.array_equal(x, away_from_kinks((200,), seed=4, kinks=(0.0, 1.0), margin=0.1))
