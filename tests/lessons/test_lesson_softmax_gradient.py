"""The softmax-gradient lesson's findings: ŷ − y is the gradient; the naive softmax overflows."""
from __future__ import annotations

import numpy as np

from glassbox.lessons import softmax_gradient as lesson


def test_formula_matches_autodiff_and_central_differences(tmp_path):
    result = lesson.run(quick=True, out=tmp_path)
    v = result.values
    assert v["max_diff_autodiff"] < 1e-6
    assert v["max_diff_numeric"] < 1e-5
    assert v["max_row_sum"] < 1e-12
    assert result.name == "softmax-gradient" and "NaN" in result.headline
    for path in result.figures:
        assert path.exists() and path.stat().st_size > 0


def test_naive_softmax_overflows_where_the_stable_one_is_exact():
    v = lesson.run(quick=True).values
    assert v["naive_finite_at_1000"] is False
    assert v["stable_finite_at_1000"] is True
    assert v["stable_error_at_1000"] < 1e-12
    assert v["glassbox_finite_at_1000"] is True
    # e^x overflows float32 above ln(3.4e38) ≈ 88.7 and float64 above ln(1.8e308) ≈ 709.8
    assert v["overflow_logit_float32"] == 89
    assert v["overflow_logit_float64"] == 710


def test_the_three_gradients_agree_on_other_logits():
    rng = np.random.default_rng(5)
    z = rng.normal(0, 5, size=(4, 7))
    labels = rng.integers(0, 7, size=4)
    formula = lesson.analytic_gradient(z, labels)
    assert np.abs(formula - lesson.autodiff_gradient(z, labels)).max() < 1e-12
    assert np.abs(formula - lesson.numerical_gradient(z, labels)).max() < 1e-6
    # a wrong formula (forgetting the 1/m of the mean) is caught by the same comparison
    assert np.abs(formula * len(z) - lesson.numerical_gradient(z, labels)).max() > 1e-2
