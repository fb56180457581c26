"""Metric-learning losses: triplet (explicit, batch-hard, batch-all, random mining) and
contrastive; hand-computed values, brute-force mining references and gradient checks."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import Tensor, gradcheck, nn
from glassbox.nn.metric_loss import mine_triplets, triplet_loss, triplet_loss_batch
from helpers import t64



def ref_triplet(a, p, n, margin):
    return np.maximum(((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + margin, 0)


def spread_points(rng, n, d):
    """Points with well-separated pairwise distances and hinge values away from 0."""
    return rng.standard_normal((n, d)) * 2


# ------------------------------------------------------------------ explicit triplets
def test_triplet_zero_when_margin_satisfied():
    a = t64([[0.0, 0.0], [1.0, 1.0]])
    p = t64([[0.1, 0.0], [1.0, 1.2]])
    n = t64([[2.0, 0.0], [-1.0, 1.0]])  # ‖a−n‖² = 4 ≫ ‖a−p‖² + 0.2
    loss = triplet_loss(a, p, n, margin=0.2)
    assert loss.item() == 0.0
    loss.backward()
    assert not a.grad.numpy().any()


def test_triplet_exact_value_hand_computed():
    # d(a,p) = 1, d(a,n) = 0.25, margin 0.2 → 1 − 0.25 + 0.2 = 0.95; second row: 0 + 0.2 − 4 → 0
    a = t64([[0.0, 0.0], [0.0, 0.0]])
    p = t64([[1.0, 0.0], [0.0, 0.0]])
    n = t64([[0.0, 0.5], [2.0, 0.0]])
    per = triplet_loss(a, p, n, margin=0.2, reduction="none")
    np.testing.assert_allclose(per.numpy(), [0.95, 0.0])
    assert triplet_loss(a, p, n, 0.2).item() == pytest.approx(0.475)
    assert triplet_loss(a, p, n, 0.2, reduction="sum").item() == pytest.approx(0.95)
    assert nn.TripletLoss(0.2)(a, p, n).item() == pytest.approx(0.475)


def test_triplet_zero_margin_and_collapse():
    """Without a margin a collapsed embedding (all equal) costs nothing — the reason for α."""
    z = t64(np.zeros((3, 4)))
    assert triplet_loss(z, z, z, margin=0.0).item() == 0.0
    assert triplet_loss(z, z, z, margin=0.2).item() == pytest.approx(0.2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_gradcheck_fixed(reduction):
    rng = np.random.default_rng(0)
    a, p, n = (t64(spread_points(rng, 6, 3)) for _ in range(3))
    vals = ref_triplet(a.numpy(), p.numpy(), n.numpy(), 1.0)
    assert np.all(np.abs(((a.numpy() - p.numpy()) ** 2).sum(1) - ((a.numpy() - n.numpy()) ** 2).sum(1) + 1.0) > 1e-3)
    assert (vals > 0).any() and (vals == 0).any()  # both sides of the hinge are exercised
    np.testing.assert_allclose(triplet_loss(a, p, n, 1.0, "none").numpy(), vals)
    assert gradcheck(lambda a, p, n: triplet_loss(a, p, n, 1.0, reduction), a, p, n)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_triplet_gradcheck_random_shapes(n, d, seed):
    rng = np.random.default_rng(seed)
    a, p, neg = (rng.standard_normal((n, d)) for _ in range(3))
    inner = ((a - p) ** 2).sum(1) - ((a - neg) ** 2).sum(1) + 0.5
    inner_ok = np.abs(inner) > 1e-3  # keep away from the hinge's kink
    if not inner_ok.all():
        return
    assert gradcheck(lambda *t: triplet_loss(*t, margin=0.5), t64(a), t64(p), t64(neg))


def test_triplet_bad_shapes_and_margin():
    a = t64(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"triplet_loss: .*\(3, 2\), \(3, 2\), \(2, 2\)"):
        triplet_loss(a, a, t64(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="`margin`, expected a number >= 0"):
        nn.TripletLoss(margin=-1)
    with pytest.raises(ValueError, match="`mining`, expected one of"):
        nn.TripletLoss(mining="hardest")
    with pytest.raises(TypeError, match=r"takes \(anchor, positive, negative\)"):
        nn.TripletLoss()(a, np.zeros(3))
    with pytest.raises(TypeError, match=r"takes \(embeddings, labels\)"):
        nn.TripletLoss(mining="batch_hard")(a, a, a)


# ------------------------------------------------------------------ mining
def brute_force_batch_hard(e, labels):
    """One Python loop per anchor over every other sample: the reference for the mining."""
    anchors, pos, neg = [], [], []
    for i in range(len(e)):
        best_p, best_n, dp, dn = None, None, -1.0, np.inf
        for j in range(len(e)):
            d = float(((e[i] - e[j]) ** 2).sum())
            if j != i and labels[j] == labels[i] and d > dp:
                best_p, dp = j, d
            if labels[j] != labels[i] and d < dn:
                best_n, dn = j, d
        if best_p is not None and best_n is not None:
            anchors.append(i), pos.append(best_p), neg.append(best_n)
    return np.array(anchors), np.array(pos), np.array(neg)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_hard_selection_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 14)
    labels[-1] = 9  # a class with a single example: it has no positive and is left out
    e = rng.standard_normal((14, 5))
    got = mine_triplets(e, labels, "batch_hard")
    ref = brute_force_batch_hard(e, labels)
    assert 13 not in got[0]
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)
    # and the loss is the explicit triplet loss of those triplets
    a, p, n = ref
    expected = ref_triplet(e[a], e[p], e[n], 0.3).mean()
    assert triplet_loss_batch(t64(e), labels, 0.3).item() == pytest.approx(expected, rel=1e-12)


def test_batch_hard_gradcheck_flows_through_selected_pairs():
    rng = np.random.default_rng(3)
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    e = t64(spread_points(rng, 8, 3))
    d = ((e.numpy()[:, None] - e.numpy()[None]) ** 2).sum(-1)
    gaps = np.diff(np.sort(d[np.triu_indices(8, 1)]))
    assert gaps.min() > 1e-4  # distinct distances: the selection is stable under ±ε
    loss = triplet_loss_batch(e, labels, margin=1.0)
    assert loss.item() > 0
    assert gradcheck(lambda t: triplet_loss_batch(t, labels, margin=1.0), e)
    # rows never picked as anchor/positive/negative of an active triplet get no gradient
    loss.backward()
    a, p, n = mine_triplets(e, labels, "batch_hard")
    active = ref_triplet(e.numpy()[a], e.numpy()[p], e.numpy()[n], 1.0) > 0
    used = np.zeros(8, bool)
    used[np.r_[a[active], p[active], n[active]]] = True
    assert not e.grad.numpy()[~used].any()


@settings(max_examples=15, deadline=None)
@given(classes=st.integers(2, 3), per_class=st.integers(2, 3), d=st.integers(1, 3),
       seed=st.integers(0, 10_000))
def test_batch_hard_gradcheck_random_shapes(classes, per_class, d, seed):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    e = spread_points(rng, len(labels), d)
    dist = ((e[:, None] - e[None]) ** 2).sum(-1)
    if np.diff(np.sort(dist[np.triu_indices(len(e), 1)])).min() < 1e-3:
        return  # near-equal distances: the argmax could flip under ε
    a, p, n = mine_triplets(e, labels, "batch_hard")
    if np.abs(dist[a, p] - dist[a, n] + 0.5).min() < 1e-3:
        return  # at the hinge
    assert gradcheck(lambda t: triplet_loss_batch(t, labels, 0.5), t64(e))


def test_batch_all_equals_loop_over_all_triplets():
    rng = np.random.default_rng(4)
    labels = np.array([0, 0, 1, 1, 1, 2, 2])
    e = spread_points(rng, 7, 3) * 0.4
    losses = []
    for a, p, n in itertools.product(range(7), repeat=3):
        if a != p and labels[a] == labels[p] and labels[n] != labels[a]:
            losses.append(max(((e[a] - e[p]) ** 2).sum() - ((e[a] - e[n]) ** 2).sum() + 0.5, 0))
    losses = np.array(losses)
    assert 0 < (losses > 0).sum() < len(losses)
    got = triplet_loss_batch(t64(e), labels, 0.5, mining="batch_all")
    assert got.item() == pytest.approx(losses.sum() / (losses > 0).sum(), rel=1e-10)
    total = triplet_loss_batch(t64(e), labels, 0.5, mining="batch_all", reduction="sum")
    assert total.item() == pytest.approx(losses.sum(), rel=1e-10)
    assert gradcheck(lambda t: triplet_loss_batch(t, labels, 0.5, mining="batch_all"), t64(e))


def test_random_mining_valid_and_seeded():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 20)
    e = rng.standard_normal((20, 4))
    a, p, n = mine_triplets(e, labels, "random", np.random.default_rng(0))
    assert np.all(labels[a] == labels[p]) and np.all(a != p) and np.all(labels[a] != labels[n])
    again = mine_triplets(e, labels, "random", np.random.default_rng(0))
    for x, y in zip((a, p, n), again):
        np.testing.assert_array_equal(x, y)
    # over many draws every positive of anchor 0 is picked sometimes (a real random choice)
    g = np.random.default_rng(1)
    picks = {int(mine_triplets(e, labels, "random", g)[1][0]) for _ in range(200)}
    first = mine_triplets(e, labels, "random", g)[0][0]
    assert picks == set(np.flatnonzero((labels == labels[first]) & (np.arange(20) != first)))
    l1 = nn.TripletLoss(0.2, mining="random", seed=7)(t64(e), labels).item()
    l2 = nn.TripletLoss(0.2, mining="random", seed=7)(t64(e), labels).item()
    assert l1 == l2


def test_batch_without_valid_anchor_is_an_error():
    e = t64(np.eye(3))
    with pytest.raises(ValueError, match="no anchor has both a positive"):
        triplet_loss_batch(e, [1, 1, 1])
    with pytest.raises(ValueError, match=r"one label per embedding, shape \(3,\)"):
        triplet_loss_batch(e, [0, 1])
    with pytest.raises(ValueError, match="`mining`, expected one of"):
        triplet_loss_batch(e, [0, 0, 1], mining="semi_hard")


# ------------------------------------------------------------------ contrastive
def test_contrastive_hand_computed():
    x1 = t64([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x2 = t64([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0]])  # d = 5, 0.5, 5
    y = np.array([1, 0, 0])
    per = nn.ContrastiveLoss(margin=1.0, reduction="none")(x1, x2, y)
    # same pair: d² = 25; different at d = 0.5 < 1: (1 − 0.5)² = 0.25; different at d = 5 ≥ 1: 0
    np.testing.assert_allclose(per.numpy(), [25.0, 0.25, 0.0])
    assert nn.ContrastiveLoss()(x1, x2, y).item() == pytest.approx(25.25 / 3)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_contrastive_gradcheck_fixed(reduction):
    rng = np.random.default_rng(6)
    x1, x2 = t64(rng.standard_normal((8, 3))), t64(rng.standard_normal((8, 3)))
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    d = np.linalg.norm(x1.numpy() - x2.numpy(), axis=1)
    margin = 2.0
    assert np.abs(d - margin).min() > 1e-3 and ((d < margin) & (y == 0)).any() and ((d > margin) & (y == 0)).any()
    assert gradcheck(lambda a, b: nn.ContrastiveLoss(margin, reduction)(a, b, y), x1, x2)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_contrastive_gradcheck_random_shapes(n, d, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    y = rng.integers(0, 2, n)
    dist = np.linalg.norm(x1 - x2, axis=1)
    if np.abs(dist - 1.5).min() < 1e-3 or dist.min() < 1e-3:
        return
    assert gradcheck(lambda a, b: gb.nn.contrastive_loss(a, b, y, margin=1.5), t64(x1), t64(x2))


def test_contrastive_identical_pair_has_finite_gradient():
    x = t64([[1.0, 2.0]])
    loss = nn.ContrastiveLoss()(x, x.copy().requires_grad_(), [0])
    assert loss.item() == pytest.approx(1.0)  # max(1 − 0, 0)²
    loss.backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_contrastive_bad_inputs():
    x = t64(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"one 0/1 label per pair, shape \(3,\)"):
        nn.ContrastiveLoss()(x, x, [1, 0])
    with pytest.raises(ValueError, match="0 \\(different\\) or 1 \\(same\\)"):
        nn.ContrastiveLoss()(x, x, [1, 0, 2])
    with pytest.raises(ValueError, match=r"both be \(N, d\)"):
        nn.ContrastiveLoss()(x, t64(np.zeros((2, 2))), [1, 0, 1])
    with pytest.raises(ValueError, match="`margin`, expected a number > 0"):
        nn.ContrastiveLoss(margin=0)


# ------------------------------------------------------------------ training
def test_short_training_reduces_triplet_loss():
    """A linear embedding of 4 Gaussian blobs in 10-D, trained with batch-hard triplets."""
    gb.manual_seed(0)
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, 10)) * 0.7
    labels = np.repeat(np.arange(4), 16)
    x = (centers[labels] + rng.standard_normal((64, 10))).astype(np.float32)
    model = nn.Sequential(nn.Linear(10, 8), nn.L2Normalize())
    loss_fn = nn.TripletLoss(margin=0.5, mining="batch_hard")
    opt = gb.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        loss = loss_fn(model(Tensor(x)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
