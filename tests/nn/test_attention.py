"""MultiheadAttention / F.multi_head_attention_forward / F.scaled_dot_product_attention with
PyTorch's semantics: forward against a NumPy reference, gradcheck (fixed and hypothesis
shapes), masks, batch_first, state-dict names, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def reference_mha(q, k, v, w_in, b_in, w_out, b_out, h, additive=None):
    """(L, N, E) inputs; per batch element and head: softmax(QKᵀ/√d + M)V, then out_proj."""
    length, n, e = q.shape
    d = e // h
    out = np.zeros((length, n, e))
    weights = np.zeros((n, h, length, k.shape[0]))
    if additive is not None and additive.ndim == 4:
        additive = np.broadcast_to(additive, weights.shape)
    for b in range(n):
        qp = q[:, b] @ w_in[:e].T + b_in[:e]
        kp = k[:, b] @ w_in[e:2 * e].T + b_in[e:2 * e]
        vp = v[:, b] @ w_in[2 * e:].T + b_in[2 * e:]
        heads = []
        for i in range(h):
            cols = slice(i * d, (i + 1) * d)
            s = qp[:, cols] @ kp[:, cols].T / np.sqrt(d)
            if additive is not None:
                s = s + (additive[b, i] if additive.ndim == 4 else additive)
            a = softmax(s)
            weights[b, i] = a
            heads.append(a @ vp[:, cols])
        out[:, b] = np.concatenate(heads, axis=1) @ w_out.T + b_out
    return out, weights


def layer(e=6, h=2, **kw):
    gb.manual_seed(0)
    m = nn.MultiheadAttention(e, h, dtype=np.float64, **kw)
    m.in_proj_bias.data[:] = np.random.default_rng(9).standard_normal(3 * e)
    m.out_proj.bias.data[:] = 0.1
    return m


def params(m):
    return [p.numpy() for p in (m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias)]


def test_forward_matches_reference_and_weights_average_over_heads():
    m = layer()
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((4, 2, 6)), rng.standard_normal((5, 2, 6)), rng.standard_normal((5, 2, 6))
    out, w = m(t64(q), t64(k), t64(v))
    want, want_w = reference_mha(q, k, v, *params(m), h=2)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), want_w.mean(axis=1), atol=1e-12)
    _, per_head = m(t64(q), t64(k), t64(v), average_attn_weights=False)
    np.testing.assert_allclose(per_head.numpy(), want_w, atol=1e-12)
    assert m(t64(q), t64(k), t64(v), need_weights=False)[1] is None
    np.testing.assert_allclose(w.numpy().sum(axis=-1), 1.0)


def test_masks_batch_first_and_unbatched():
    m = layer()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 6))
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)  # True = may not attend (MHA's rule)
    pad = np.array([[False, False, True], [False, False, False]])  # batch 0's last key is padding
    out, w = m(t64(x), t64(x), t64(x), attn_mask=causal, key_padding_mask=pad, average_attn_weights=False)
    additive = np.where(causal, -np.inf, 0.0)[None, None] + np.where(pad, -np.inf, 0.0)[:, None, None, :]
    want, want_w = reference_mha(x, x, x, *params(m), h=2, additive=additive)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    assert np.all(w.numpy()[0, :, :, 2] == 0) and np.all(np.triu(w.numpy()[1, 0], 1) == 0)
    float_mask = rng.standard_normal((2 * 2, 3, 3))  # (N·h, L, S), added to the scores
    out, _ = m(t64(x), t64(x), t64(x), attn_mask=float_mask)
    want, _ = reference_mha(x, x, x, *params(m), h=2, additive=float_mask.reshape(2, 2, 3, 3))
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    first = layer(batch_first=True)
    got, _ = first(t64(x.transpose(1, 0, 2)), t64(x.transpose(1, 0, 2)), t64(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(got.numpy(), m(t64(x), t64(x), t64(x))[0].numpy().transpose(1, 0, 2), atol=1e-12)
    single, w1 = m(t64(x[:, 0]), t64(x[:, 0]), t64(x[:, 0]))
    assert single.shape == (3, 6) and w1.shape == (3, 3)
    np.testing.assert_allclose(single.numpy(), m(t64(x), t64(x), t64(x))[0].numpy()[:, 0], atol=1e-12)


def test_gradcheck_inputs_and_parameters():
    m = layer(4, 2)
    rng = np.random.default_rng(3)
    q, kv = t64(rng.standard_normal((3, 2, 4))), t64(rng.standard_normal((2, 2, 4)))
    pad = np.array([[False, True], [False, False]])
    fn = lambda a, b, wi, bi, wo, bo: F.multi_head_attention_forward(  # noqa: E731
        a, b, b, 4, 2, wi, bi, None, None, False, 0.0, wo, bo, key_padding_mask=pad)[0]
    assert gb.gradcheck(fn, q, kv, m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias)


@settings(max_examples=10, deadline=None)
@given(h=st.integers(1, 2), d=st.integers(1, 2), length=st.integers(1, 3), source=st.integers(1, 3),
       n=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_random_shapes(h, d, length, source, n, seed):
    e = h * d
    m = layer(e, h)
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal(s) for s in ((length, n, e), (source, n, e), (source, n, e)))
    want, _ = reference_mha(q, k, v, *params(m), h=h)
    np.testing.assert_allclose(m(t64(q), t64(k), t64(v))[0].numpy(), want, atol=1e-11)
    assert gb.gradcheck(lambda a, b, c: m(a, b, c)[0], t64(q), t64(k), t64(v))


def test_scaled_dot_product_attention():
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    out = F.scaled_dot_product_attention(t64(q), t64(k), t64(v))
    np.testing.assert_allclose(out.numpy(), softmax(q @ k.transpose(0, 2, 1) / 2.0) @ v, atol=1e-12)
    allowed = rng.random((3, 5)) > 0.3
    allowed[:, 0] = True  # every query sees at least one key
    out = F.scaled_dot_product_attention(t64(q), t64(k), t64(v), attn_mask=allowed, scale=0.5)
    s = np.where(allowed, q @ k.transpose(0, 2, 1) * 0.5, -np.inf)
    np.testing.assert_allclose(out.numpy(), softmax(s) @ v, atol=1e-12)
    causal = F.scaled_dot_product_attention(t64(q), t64(q), t64(q), is_causal=True).numpy()
    np.testing.assert_allclose(causal[:, 0], q[:, 0], atol=1e-12)  # query 0 sees only key 0
    assert gb.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=allowed),
                        t64(q), t64(k), t64(v))


def test_parameters_and_errors():
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8) and np.all(m.in_proj_bias.numpy() == 0)
    bound = np.sqrt(6 / (24 + 8))  # Xavier-uniform over (3E, E)
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound
    assert list(nn.MultiheadAttention(4, 1, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]
    with pytest.raises(ValueError, match="embed_dim=6 must be divisible by num_heads=4"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="`add_bias_kv` other than False is not implemented"):
        nn.MultiheadAttention(4, 2, add_bias_kv=True)
    x = gb.randn(3, 2, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected query \(L, N, 8\)"):
        m(x, x, gb.randn(3, 2, 4))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 3\) or \(4, 3, 3\), got shape \(2, 2\)"):
        m(x, x, x, attn_mask=np.zeros((2, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 3\)"):
        m(x, x, x, key_padding_mask=np.zeros((3, 2), dtype=bool))
    with pytest.raises(TypeError, match="bool or float mask"):
        m(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="scaled_dot_product_attention: expected query"):
        F.scaled_dot_product_attention(gb.randn(2, 3), gb.randn(2, 4), gb.randn(2, 4))


def test_dropout_only_in_training():
    m = layer(dropout=0.5)
    x = t64(np.random.default_rng(5).standard_normal((4, 1, 6)))
    m.eval()
    want, _ = reference_mha(x.numpy(), x.numpy(), x.numpy(), *params(m), h=2)
    np.testing.assert_allclose(m(x, x, x)[0].numpy(), want, atol=1e-12)
    m.train()
    gb.manual_seed(1)
    assert not np.allclose(m(x, x, x)[0].numpy(), want)
    with pytest.raises(ValueError, match="is_causal needs the causal attn_mask"):
        m(x, x, x, is_causal=True)
