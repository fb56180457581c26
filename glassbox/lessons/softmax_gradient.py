"""Lesson: the gradient of softmax + cross-entropy is just ŷ − y, and softmax must be computed stably.

Course claim (notes, softmax regression): for logits z, ŷ = softmax(z) and a one-hot
label y, the loss L = −Σⱼ yⱼ log ŷⱼ has the strikingly simple gradient

    ∂L/∂z = ŷ − y            (divided by m when the loss is averaged over m rows)

We check it three ways on random logits, all in float64:

1. the formula ŷ − y, written out with NumPy;
2. glassbox's autodiff (``F.cross_entropy`` + ``backward()``);
3. central differences (L(z + ε) − L(z − ε)) / 2ε, which knows nothing about calculus.

Then the numerical trap: softmax written literally as e^{zⱼ} / Σₖ e^{zₖ} overflows —
e^{1000} is inf in float64 (and anything above e^{88.7} in float32) — and inf/inf is
NaN. Subtracting max z first (the LogSumExp trick) changes nothing mathematically,
because softmax(z − c) = softmax(z), yet keeps every exponent ≤ 0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.tensor import Tensor
from ..nn import functional as F
from .base import LessonResult, figure_path

NAME = "softmax-gradient"
SUMMARY = "softmax + cross-entropy: the gradient ŷ − y three ways, and why softmax needs the max trick"


# --- the two softmaxes -------------------------------------------------------------
def naive_softmax(z: np.ndarray) -> np.ndarray:
    """e^{zⱼ} / Σₖ e^{zₖ}, exactly as written on the blackboard."""
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def stable_softmax(z: np.ndarray) -> np.ndarray:
    """e^{zⱼ − max z} / Σₖ e^{zₖ − max z}: the largest exponent is e⁰ = 1, nothing overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(z: np.ndarray, labels: np.ndarray) -> float:
    """Mean over rows of −log softmax(z)[label] = LSE(z) − z[label], computed stably."""
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse - z[np.arange(len(z)), labels]))


# --- the three gradients -----------------------------------------------------------
def analytic_gradient(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(ŷ − y) / m: the formula from the notes."""
    y = np.eye(z.shape[1])[labels]
    return (stable_softmax(z) - y) / len(z)


def autodiff_gradient(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """What glassbox's backward pass computes for the fused loss."""
    logits = Tensor(z.copy(), requires_grad=True, dtype=np.float64)
    F.cross_entropy(logits, labels).backward()
    return logits.grad.numpy()


def numerical_gradient(z: np.ndarray, labels: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences, one logit at a time; error O(ε²) plus rounding ~1e-16/ε."""
    grad = np.zeros_like(z)
    z = z.copy()
    for i in np.ndindex(z.shape):
        saved = z[i]
        z[i] = saved + eps
        plus = cross_entropy(z, labels)
        z[i] = saved - eps
        minus = cross_entropy(z, labels)
        z[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def overflow_threshold(dtype: type) -> int:
    """The smallest integer logit c at which the naive softmax of [c, 0] stops being finite."""
    for c in range(1, 2000):
        with np.errstate(over="ignore", invalid="ignore"):
            p = naive_softmax(np.array([c, 0.0], dtype=dtype))
        if not np.all(np.isfinite(p)):
            return c
    return -1


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    rng = np.random.default_rng(0)
    m, classes = (8, 5) if quick else (64, 10)
    # Logits of a few units, like an untrained network's; labels at random.
    z = rng.normal(0.0, 3.0, size=(m, classes))
    labels = rng.integers(0, classes, size=m)

    g_formula = analytic_gradient(z, labels)
    g_autodiff = autodiff_gradient(z, labels)
    g_numeric = numerical_gradient(z, labels)
    # Notice: formula and autodiff agree to rounding (~1e-17), they are the same arithmetic;
    # central differences agree to ~1e-10, the error of the finite-difference estimate.
    diff_autodiff = float(np.abs(g_formula - g_autodiff).max())
    diff_numeric = float(np.abs(g_formula - g_numeric).max())
    # Each row of ŷ − y sums to 0: probability moves from the wrong classes to the right one.
    row_sum = float(np.abs(g_formula.sum(axis=1)).max())

    # --- overflow: logits around 1000 ----------------------------------------------
    big = np.array([1000.0, 999.0, 998.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive_big = naive_softmax(big)          # e^1000 = inf, inf/inf = nan
    stable_big = stable_softmax(big)
    # Shifting all logits changes nothing, so the right answer is softmax([2, 1, 0]).
    reference = naive_softmax(np.array([2.0, 1.0, 0.0]))
    naive_finite = bool(np.all(np.isfinite(naive_big)))
    stable_error = float(np.abs(stable_big - reference).max())
    # glassbox's loss uses the stable form, so its loss and gradient stay finite too.
    logits = Tensor(big[None, :].copy(), requires_grad=True, dtype=np.float64)
    loss_big = F.cross_entropy(logits, np.array([0]))
    loss_big.backward()
    glassbox_finite = bool(np.isfinite(loss_big.item()) and np.all(np.isfinite(logits.grad.numpy())))
    t32, t64 = overflow_threshold(np.float32), overflow_threshold(np.float64)

    rows = [
        ["max |ŷ−y − autodiff|", diff_autodiff],
        ["max |ŷ−y − central differences|", diff_numeric],
        ["max |row sum of ŷ−y|", row_sum],
        ["naive softmax([1000, 999, 998])", str(np.round(naive_big, 4))],
        ["stable softmax([1000, 999, 998])", str(np.round(stable_big, 4))],
        ["max |stable − softmax([2, 1, 0])|", stable_error],
        ["glassbox CE at logits 1000 finite", str(glassbox_finite)],
        ["naive overflow from logit (float32)", t32],
        ["naive overflow from logit (float64)", t64],
    ]
    values = {
        "max_diff_autodiff": diff_autodiff,
        "max_diff_numeric": diff_numeric,
        "max_row_sum": row_sum,
        "naive_finite_at_1000": naive_finite,
        "stable_finite_at_1000": bool(np.all(np.isfinite(stable_big))),
        "stable_error_at_1000": stable_error,
        "glassbox_finite_at_1000": glassbox_finite,
        "overflow_logit_float32": t32,
        "overflow_logit_float64": t64,
    }
    headline = (
        f"ŷ − y matches autodiff to {diff_autodiff:.1e} and central differences to "
        f"{diff_numeric:.1e} ({m}×{classes} logits); the naive softmax gives NaN at logits "
        f"of 1000 (overflow from {t32} in float32, {t64} in float64) while the max-shifted "
        f"one is exact to {stable_error:.0e}"
    )
    result = LessonResult(NAME, headline, ["check", "value"], rows, values)

    path = figure_path(out, "softmax_gradient.png")
    if path is not None:
        result.figures.append(_figure(path, g_formula[0], g_autodiff[0], g_numeric[0], labels[0]))
    return result


def _figure(path: Path, formula: np.ndarray, autodiff: np.ndarray, numeric: np.ndarray,
            label: int) -> Path:
    from ..plots._mpl import new_figure, save_png

    fig = new_figure("softmax-gradient", figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    k = np.arange(len(formula))
    width = 0.27
    for shift, vals, name in ((-width, formula, "ŷ − y (formula)"), (0, autodiff, "autodiff"),
                              (width, numeric, "central differences")):
        ax1.bar(k + shift, vals, width, label=name)
    ax1.axhline(0, color="black", lw=0.6)
    ax1.set_xticks(k)
    ax1.set_xlabel(f"class (true class {label}: the only negative bar)")
    ax1.set_ylabel("∂L/∂z for one sample")
    ax1.set_title("three gradients of softmax + cross-entropy")
    ax1.legend(fontsize=8)

    # Softmax probability of the top class for logits s·[1, 0.5, 0] as the scale s grows.
    scales = np.logspace(0, 3.3, 200)
    z = scales[:, None] * np.array([1.0, 0.5, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_softmax(z)[:, 0]
    stable = stable_softmax(z)[:, 0]
    ax2.plot(scales, stable, lw=3, alpha=0.5, label="stable (subtract max z)")
    ax2.plot(scales, naive, "--", label="naive e^z / Σe^z")
    broke = scales[~np.isfinite(naive)]
    if len(broke):
        ax2.axvline(broke[0], color="red", lw=0.8)
        ax2.text(broke[0], 0.75, f"naive is NaN from s≈{broke[0]:.0f}\n(e^z overflows float64)  ",
                 color="red", fontsize=8, ha="right")
    ax2.set_xscale("log")
    ax2.set_xlabel("logit scale s  (z = s·[1, 0.5, 0])")
    ax2.set_ylabel("softmax(z)₀")
    ax2.set_title("naive vs stable softmax")
    ax2.legend(fontsize=8, loc="lower left")
    return save_png(fig, path)
