"""LSTM, GRU, LSTMCell, GRUCell with PyTorch's gates, parameters and state-dict names: forward
against NumPy loops, gradcheck (fixed and hypothesis shapes), stacking, directions,
batch_first, unbatched input, initial states, dropout between layers, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def sig(z):
    return 1 / (1 + np.exp(-z))


def np_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    g = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    n = h.shape[-1]
    i, f, gg, o = sig(g[:, :n]), sig(g[:, n:2 * n]), np.tanh(g[:, 2 * n:3 * n]), sig(g[:, 3 * n:])
    c = f * c + i * gg
    return o * np.tanh(c), c


def np_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    n = h.shape[-1]
    r, z = sig(gi[:, :n] + gh[:, :n]), sig(gi[:, n:2 * n] + gh[:, n:2 * n])
    cand = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
    return (1 - z) * cand + z * h


def np_rnn(m, x, h0=None, c0=None):
    """(L, N, in) through m's layers and directions with its parameters, in NumPy."""
    lstm = isinstance(m, nn.LSTM)
    d = 2 if m.bidirectional else 1
    length, n = x.shape[:2]
    hs, cs = [], []
    seq = x
    for layer in range(m.num_layers):
        outs = []
        for direction in range(d):
            sfx = f"_l{layer}" + ("_reverse" if direction else "")
            w = [getattr(m, f"{name}{sfx}").numpy() for name in ("weight_ih", "weight_hh")]
            b = [getattr(m, f"{name}{sfx}").numpy() if m.bias else 0.0 for name in ("bias_ih", "bias_hh")]
            k = layer * d + direction
            h = np.zeros((n, m.hidden_size)) if h0 is None else h0[k]
            c = np.zeros((n, m.hidden_size)) if c0 is None else c0[k]
            out = np.zeros((length, n, m.hidden_size))
            for t in (range(length) if direction == 0 else range(length - 1, -1, -1)):
                if lstm:
                    h, c = np_lstm_cell(seq[t], h, c, w[0], w[1], b[0], b[1])
                else:
                    h = np_gru_cell(seq[t], h, w[0], w[1], b[0], b[1])
                out[t] = h
            outs.append(out)
            hs.append(h)
            cs.append(c)
        seq = np.concatenate(outs, axis=2)
    return seq, np.stack(hs), np.stack(cs)


def build(cls, *args, **kw):
    gb.manual_seed(0)
    return cls(*args, dtype=np.float64, **kw)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
@pytest.mark.parametrize("layers, bidirectional, bias", [(1, False, True), (2, True, True), (2, False, False)])
def test_forward_matches_numpy(cls, layers, bidirectional, bias):
    m = build(cls, 3, 4, num_layers=layers, bidirectional=bidirectional, bias=bias)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    out, state = m(t64(x))
    want, hn, cn = np_rnn(m, x)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    h = state[0] if cls is nn.LSTM else state
    np.testing.assert_allclose(h.numpy(), hn, atol=1e-12)
    if cls is nn.LSTM:
        np.testing.assert_allclose(state[1].numpy(), cn, atol=1e-12)
    d = 2 if bidirectional else 1
    assert out.shape == (5, 2, d * 4) and h.shape == (d * layers, 2, 4)


def test_initial_states_batch_first_and_unbatched():
    m = build(nn.LSTM, 3, 4, num_layers=2)
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    out, (h, c) = m(t64(x), (t64(h0), t64(c0)))
    want, hn, cn = np_rnn(m, x, h0, c0)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), cn, atol=1e-12)
    first = build(nn.LSTM, 3, 4, num_layers=2, batch_first=True)
    got, _ = first(t64(x.transpose(1, 0, 2)), (t64(h0), t64(c0)))
    np.testing.assert_allclose(got.numpy(), want.transpose(1, 0, 2), atol=1e-12)
    g = build(nn.GRU, 3, 4)
    single, hs = g(t64(x[:, 0]))
    assert single.shape == (4, 4) and hs.shape == (1, 4)
    np.testing.assert_allclose(single.numpy(), np_rnn(g, x[:, :1])[0][:, 0], atol=1e-12)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_gradcheck_inputs_states_and_weights(cls):
    m = build(cls, 2, 3, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    x, h0 = t64(rng.standard_normal((3, 2, 2))), t64(rng.standard_normal((4, 2, 3)))
    weights = m.all_weights
    if cls is nn.LSTM:
        c0 = t64(rng.standard_normal((4, 2, 3)))
        fn = lambda a, h, c, *w: F.lstm(a, (h, c), list(w), True, 2, 0.0, False, True, False)[0]  # noqa: E731
        assert gb.gradcheck(fn, x, h0, c0, *weights)
    else:
        fn = lambda a, h, *w: F.gru(a, h, list(w), True, 2, 0.0, False, True, False)[0]  # noqa: E731
        assert gb.gradcheck(fn, x, h0, *weights)


@settings(max_examples=10, deadline=None)
@given(cls=st.sampled_from([nn.LSTM, nn.GRU]), length=st.integers(1, 4), n=st.integers(1, 2),
       size_in=st.integers(1, 3), hidden=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_random_shapes(cls, length, n, size_in, hidden, seed):
    m = build(cls, size_in, hidden)
    x = np.random.default_rng(seed).standard_normal((length, n, size_in))
    np.testing.assert_allclose(m(t64(x))[0].numpy(), np_rnn(m, x)[0], atol=1e-12)
    assert gb.gradcheck(lambda a: m(a)[0], t64(x))


def test_cells():
    rng = np.random.default_rng(4)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    lc = build(nn.LSTMCell, 3, 4)
    h1, c1 = lc(t64(x), (t64(h), t64(c)))
    wh, wc = np_lstm_cell(x, h, c, *(p.numpy() for p in (lc.weight_ih, lc.weight_hh, lc.bias_ih, lc.bias_hh)))
    np.testing.assert_allclose(h1.numpy(), wh, atol=1e-12)
    np.testing.assert_allclose(c1.numpy(), wc, atol=1e-12)
    gc = build(nn.GRUCell, 3, 4)
    np.testing.assert_allclose(gc(t64(x)).numpy(), np_gru_cell(
        x, np.zeros((2, 4)), *(p.numpy() for p in (gc.weight_ih, gc.weight_hh, gc.bias_ih, gc.bias_hh))), atol=1e-12)
    assert gb.gradcheck(lambda a, b: gc(a, b), t64(x), t64(h))
    assert list(lc.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert lc.weight_ih.shape == (16, 3) and gc.weight_hh.shape == (12, 4)


def test_parameters_repr_dropout_and_errors():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = list(m.state_dict())
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4] == "weight_ih_l0_reverse" and m.weight_ih_l1.shape == (16, 8)
    assert max(np.abs(p.numpy()).max() for p in m.parameters()) <= 0.5  # U(−1/√H, 1/√H)
    assert repr(nn.GRU(3, 4, batch_first=True)) == "GRU(3, 4, batch_first=True)"
    drop = build(nn.GRU, 3, 4, num_layers=2, dropout=0.5)
    x = t64(np.random.default_rng(5).standard_normal((4, 2, 3)))
    drop.eval()
    np.testing.assert_allclose(drop(x)[0].numpy(), np_rnn(drop, x.numpy())[0], atol=1e-12)
    drop.train()
    assert not np.allclose(drop(x)[0].numpy(), np_rnn(drop, x.numpy())[0])
    with pytest.raises(ValueError, match=r"LSTM\(3, 4.*expected input of shape \(L, N, H_in\)"):
        nn.LSTM(3, 4)(gb.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"initial state of shape \(1, 2, 4\), got shape \(1, 3, 4\)"):
        nn.GRU(3, 4)(gb.randn(5, 2, 3), gb.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"GRU: .*`hidden_size`"):
        nn.GRU(3, 0)
