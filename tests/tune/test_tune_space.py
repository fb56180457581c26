"""Search-space distributions: the right scale (KS tests), ranges, seeding, zooming, JSON."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.tune import (
    Choice, IntUniform, LogUniform, OneMinusLogUniform, Uniform, log_uniform_beta, sample_space,
    space_from_dict, space_to_dict,
)

N = 20_000
# Kolmogorov–Smirnov: P(√n·D > 1.95) ≈ 0.001 for a sample from the hypothesised CDF.
KS_CRIT = 1.95 / np.sqrt(N)


def ks_uniform(u: np.ndarray, a: float, b: float) -> float:
    """D = sup |F_n(t) − F(t)| of a sample against U(a, b)."""
    s = np.sort((np.asarray(u, dtype=np.float64) - a) / (b - a))
    i = np.arange(1, len(s) + 1)
    return float(max((i / len(s) - s).max(), (s - (i - 1) / len(s)).max()))


def test_ks_helper_detects_non_uniform():
    rng = np.random.default_rng(0)
    assert ks_uniform(rng.uniform(0, 1, N), 0, 1) < KS_CRIT
    assert ks_uniform(rng.uniform(0, 1, N) ** 2, 0, 1) > 10 * KS_CRIT


def test_log_uniform_exponent_is_uniform():
    x = LogUniform(1e-4, 1e-1).sample_many(np.random.default_rng(0), N)
    assert x.min() >= 1e-4 and x.max() <= 1e-1
    assert ks_uniform(np.log10(x), -4, -1) < KS_CRIT
    # each decade gets a third of the samples (± 4 binomial σ)
    decades = np.histogram(np.log10(x), bins=[-4, -3, -2, -1])[0] / N
    np.testing.assert_allclose(decades, 1 / 3, atol=4 * np.sqrt(2 / 9 / N))


def test_a_plain_uniform_lr_would_fail_the_log_test():
    x = Uniform(1e-4, 1e-1).sample_many(np.random.default_rng(0), N)
    assert ks_uniform(np.log10(x), -4, -1) > 10 * KS_CRIT
    assert abs((x < 1e-2).mean() - 0.099) < 0.01  # a uniform draw puts 90 % in the top decade


def test_single_samples_match_batch_sampling_scale():
    rng = np.random.default_rng(1)
    d = LogUniform(1e-6, 1.0)
    x = np.array([d.sample(rng) for _ in range(4000)])
    assert isinstance(d.sample(rng), float)
    assert ks_uniform(np.log10(x), -6, 0) < 1.95 / np.sqrt(4000)


def test_one_minus_beta_is_log_uniform_and_beta_in_range():
    beta = log_uniform_beta(0.9, 0.999).sample_many(np.random.default_rng(0), N)
    assert beta.min() >= 0.9 and beta.max() <= 0.999
    assert ks_uniform(np.log10(1 - beta), -3, -1) < KS_CRIT
    # half the draws average over more than 100 steps (β > 0.99); a uniform β gives 10 %
    assert abs((beta > 0.99).mean() - 0.5) < 0.015
    assert ks_uniform(beta, 0.9, 0.999) > 10 * KS_CRIT


def test_uniform_int_and_choice():
    rng = np.random.default_rng(0)
    u = Uniform(-2.0, 3.0).sample_many(rng, N)
    assert ks_uniform(u, -2, 3) < KS_CRIT
    k = IntUniform(2, 5).sample_many(rng, N)
    assert set(np.unique(k)) == {2, 3, 4, 5}
    np.testing.assert_allclose(np.bincount(k)[2:] / N, 0.25, atol=0.015)
    c = [Choice(["relu", "tanh", "sigmoid"]).sample(rng) for _ in range(3000)]
    assert {v: c.count(v) for v in set(c)}.keys() == {"relu", "tanh", "sigmoid"}
    assert all(800 < c.count(v) < 1200 for v in set(c))


def test_sampling_is_reproducible_by_seed():
    space = {"lr": LogUniform(1e-4, 1e-1), "beta": log_uniform_beta(), "units": IntUniform(16, 256),
             "act": Choice(["relu", "tanh"]), "dropout": Uniform(0, 0.5), "epochs": 3}
    a = [sample_space(space, np.random.default_rng(5)) for _ in range(3)]
    b = [sample_space(space, np.random.default_rng(5)) for _ in range(3)]
    assert a == b
    assert sample_space(space, np.random.default_rng(6)) != a[0]
    assert a[0]["epochs"] == 3  # constants pass through


@pytest.mark.parametrize("bad,match", [
    (lambda: LogUniform(0, 1), "LogUniform: low must be > 0"),
    (lambda: LogUniform(1e-1, 1e-4), "need low < high"),
    (lambda: OneMinusLogUniform(0.9, 1.0), "high must be < 1"),
    (lambda: IntUniform(1.5, 4), "integers"),
    (lambda: Uniform(0, float("nan")), "finite"),
    (lambda: Choice([]), "at least one"),
])
def test_bad_ranges_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


# --------------------------------------------------------------------------- zoom
def test_log_zoom_works_in_decades():
    d = LogUniform(1e-5, 1.0)
    z = d.zoom([1e-3, 1e-2], margin=0.5)
    # span 1 decade on the log axis, plus 0.5 decade each side
    np.testing.assert_allclose(np.log10([z.low, z.high]), [-3.5, -1.5], atol=1e-9)
    assert isinstance(z, LogUniform)


def test_zoom_stays_inside_and_keeps_a_minimum_width():
    d = LogUniform(1e-4, 1e-1)
    z = d.zoom([1e-4, 1e-4], margin=0.25, min_fraction=0.2)  # all at the lower edge
    assert z.low == pytest.approx(1e-4)
    np.testing.assert_allclose(np.log10(z.high) - np.log10(z.low), 0.2 * 3, atol=1e-9)
    beta = OneMinusLogUniform(0.9, 0.999).zoom([0.99, 0.995], margin=0.0)
    assert beta.low == pytest.approx(0.99) and beta.high == pytest.approx(0.995)
    u = Uniform(0, 10).zoom([9.5, 9.9], margin=1.0)
    assert u.high == 10 and 0 < u.low < 9.5


def test_int_and_choice_zoom():
    z = IntUniform(1, 100).zoom([40, 60], margin=0.0)
    assert (z.low, z.high) == (40, 60)
    assert Choice(["a", "b", "c"]).zoom(["c", "a"]).options == ["a", "c"]


def test_space_json_round_trip():
    space = {"lr": LogUniform(1e-4, 1e-1), "beta": OneMinusLogUniform(0.9, 0.999),
             "n": IntUniform(1, 3), "p": Uniform(0, 1), "act": Choice(["relu", "tanh"]), "fixed": 7}
    import json
    back = space_from_dict(json.loads(json.dumps(space_to_dict(space))))
    assert back == space
