"""Siamese tools: EmbeddingNet (unit-norm output), embed/verify/identify on hand-made
vectors with an identity model, the P×K balanced sampler, and one short training."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import Tensor, nn
from glassbox.models import BalancedBatchSampler, EmbeddingNet, embed, identify, verify


def identity(x):
    return x


def test_embedding_net_outputs_unit_vectors():
    gb.manual_seed(0)
    model = EmbeddingNet(embedding_dim=16)
    x = np.random.default_rng(0).random((5, 1, 28, 28)).astype(np.float32)
    out = model(Tensor(x))
    assert out.shape == (5, 16) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), 1.0, rtol=1e-5)
    out.sum().backward()  # the whole network is differentiable end to end
    assert all(p.grad is not None for p in model.parameters())


def test_embedding_net_errors():
    with pytest.raises(ValueError, match=r"EmbeddingNet: embedding_dim must be a positive integer, got 0"):
        EmbeddingNet(embedding_dim=0)
    with pytest.raises(ValueError, match=r"expected images of shape \(N, C, 28, 28\), got \(2, 784\)"):
        EmbeddingNet()(Tensor(np.zeros((2, 784), np.float32)))


def test_embed_restores_training_mode_and_batches():
    gb.manual_seed(0)
    model = EmbeddingNet(8)
    x = np.random.default_rng(1).random((7, 1, 28, 28)).astype(np.float32)
    model.train()
    small = embed(model, x, batch_size=3)
    whole = embed(model, x, batch_size=100)
    assert model.training and all(m.training for m in model.modules())
    np.testing.assert_allclose(small, whole, rtol=1e-5, atol=1e-6)  # eval mode: batch-independent


def test_verify_on_hand_made_vectors():
    a = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]])
    b = np.array([[0.0, 0.5], [1.0, 2.0], [0.0, 0.0]])  # squared distances 0.25, 1, 9
    same, dist = verify(identity, a, b, threshold=1.0)
    np.testing.assert_allclose(dist, [0.25, 1.0, 9.0])
    np.testing.assert_array_equal(same, [True, True, False])
    with pytest.raises(ValueError, match="a has 3 inputs but b has 2"):
        verify(identity, a, b[:2], 1.0)


def test_identify_nearest_on_hand_made_vectors():
    gallery = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = np.array([7, 3, 5])
    queries = np.array([[1.0, 1.0], [9.0, 2.0], [-1.0, 8.0], [6.0, 0.0]])
    np.testing.assert_array_equal(identify(identity, queries, gallery, labels), [7, 3, 5, 3])


def test_identify_k_votes_and_tie_break():
    # gallery on a line: labels by position
    gallery = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    labels = np.array([1, 1, 2, 2, 2])
    q = np.array([[0.2], [2.6], [1.4], [1.6]])
    # k=3: 0.2 → {0,1,2} labels 1,1,2 → 1; 2.6 → {3,2,1} 2,2,1 → 2
    # 1.4 → {1,2,0} = 1,2,1 → 1; 1.6 → {2,1,3} = 2,1,2 → 2
    np.testing.assert_array_equal(identify(identity, q, gallery, labels, k=3), [1, 2, 1, 2])
    # k=2, one vote each: the nearest label wins the tie
    np.testing.assert_array_equal(identify(identity, q, gallery, labels, k=2), [1, 2, 1, 2])
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 5\], got 6"):
        identify(identity, q, gallery, labels, k=6)
    with pytest.raises(ValueError, match=r"one label per gallery image, shape \(5,\)"):
        identify(identity, q, gallery, labels[:4])


@settings(max_examples=15, deadline=None)
@given(q=st.integers(1, 8), g=st.integers(1, 8), k=st.integers(1, 4), seed=st.integers(0, 1000))
def test_identify_matches_brute_force(q, g, k, seed):
    k = min(k, g)
    rng = np.random.default_rng(seed)
    queries, gallery = rng.standard_normal((q, 3)), rng.standard_normal((g, 3))
    labels = rng.integers(0, 3, g)
    got = identify(identity, queries, gallery, labels, k=k)
    for i in range(q):
        d = ((gallery - queries[i]) ** 2).sum(1)
        near = np.argsort(d)[:k]
        counts = {}
        for rank, j in enumerate(near):  # (count, −first rank) decides
            c, first = counts.get(labels[j], (0, rank))
            counts[labels[j]] = (c + 1, first)
        best = max(counts, key=lambda lab: (counts[lab][0], -counts[lab][1]))
        assert got[i] == best


def test_balanced_sampler_batches():
    labels = np.repeat(np.arange(6), [12, 9, 8, 4, 3, 1])  # classes 4 and 5 are too small
    sampler = BalancedBatchSampler(labels, classes_per_batch=3, samples_per_class=4, seed=0)
    batches = list(sampler)
    # chunks of 4 per class: 3, 2, 2, 1; two rounds of 3 distinct classes fit (Σ min(c, 2) = 7 ≥ 6),
    # three do not (Σ min(c, 3) = 8 < 9)
    assert len(batches) == len(sampler) == 2
    seen = np.concatenate(batches)
    assert len(np.unique(seen)) == len(seen)  # no example twice in an epoch
    for b in batches:
        classes, counts = np.unique(labels[b], return_counts=True)
        assert len(classes) == 3 and np.all(counts == 4)
    assert list(map(list, BalancedBatchSampler(labels, 3, 4, seed=0))) == list(map(list, batches))
    with pytest.raises(ValueError, match="only 2 class"):
        BalancedBatchSampler(labels, classes_per_batch=3, samples_per_class=9)
    with pytest.raises(ValueError, match="samples_per_class >= 2"):
        BalancedBatchSampler(labels, 3, 1)


def test_short_training_on_real_digits_reduces_triplet_loss():
    """A few batch-all steps of EmbeddingNet on 60 MNIST digits 0-2 lower the triplet loss."""
    try:
        (x, y), _ = gb.data.load_mnist(download=False, progress=False)
    except gb.data.DatasetNotFoundError:
        pytest.skip("MNIST files not found")
    gb.manual_seed(0)
    idx = np.concatenate([np.flatnonzero(y == c)[:20] for c in range(3)])
    x, y = x[idx], y[idx]
    model = EmbeddingNet(16, channels=(8, 16), hidden=32)
    loss_fn = nn.TripletLoss(margin=0.5, mining="batch_all")
    opt = gb.optim.Adam(model.parameters(), lr=3e-3)
    total = nn.TripletLoss(margin=0.5, mining="batch_all", reduction="sum")
    before = total(Tensor(embed(model, x)), y).item()
    for _ in range(15):
        loss = loss_fn(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = total(Tensor(embed(model, x)), y).item()
    assert after < 0.7 * before


# ------------------------------------------------------------ SupCon loss and pseudo-classes
from glassbox.models.siamese import (  # noqa: E402
    DIHEDRAL, dihedral_pseudo_classes, supervised_contrastive_loss,
)
from glassbox.nn import functional as F  # noqa: E402


def test_supcon_keeps_its_old_import_path():
    """The computation moved to nn.functional (tests/nn/test_supcon.py); the name stays."""
    assert supervised_contrastive_loss is F.supervised_contrastive_loss



def test_dihedral_transforms_form_a_group_of_8():
    key = np.random.default_rng(0).random((1, 1, 4, 4))
    images = [t(key) for t in DIHEDRAL]
    assert len({im.tobytes() for im in images}) == 8  # all different on an asymmetric key
    for tg in DIHEDRAL:  # closed under composition
        for th in DIHEDRAL:
            assert any(np.array_equal(tg(th(key)), im) for im in images)


def test_dihedral_pseudo_classes_merge_symmetric_shapes():
    rng = np.random.default_rng(0)
    x = rng.random((6, 1, 5, 5)).astype(np.float32)
    y = np.array([0, 0, 1, 1, 2, 2])
    # class 0: no symmetry → 8 classes; class 1: half-turn symmetric → 4; class 2: all of D4 → 1
    x8, y8 = dihedral_pseudo_classes(x, y, {1: (2,), 2: range(8)})
    assert x8.shape == (48, 1, 5, 5) and x8.dtype == np.float32 and y8.shape == (48,)
    assert y8.max() + 1 == 8 + 4 + 1
    block = y8.reshape(8, 6)  # block[g, i]: label of transform g of image i
    np.testing.assert_array_equal(block[:, 0], block[:, 1])  # same class, same transform
    assert len(set(block[:, 0])) == 8
    np.testing.assert_array_equal(block[0, 2:4], block[2, 2:4])  # 1 turned 180° stays class 1
    assert block[0, 2] != block[1, 2]  # but a quarter turn is a new class
    assert len(set(block[:, 4])) == 1
    np.testing.assert_array_equal(x8[6 * 1 + 3], np.rot90(x[3], 1, (1, 2)))  # g = 1: 90° turn
    with pytest.raises(ValueError, match="expected square images"):
        dihedral_pseudo_classes(x[:, :, :4], y, {})
