"""Hand-written NumPy reference for the conv benchmarks: im2col convolution, 2×2 max
pooling and dense layers with manual forward and backward — the same math as glassbox,
written the straightforward way (strided-view im2col, one matmul per layer)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int):
    f, c, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    win = sliding_window_view(xp, (k, k), axis=(2, 3))  # N, C, OH, OW, k, k
    n, _, oh, ow = win.shape[:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k)
    out = cols @ w.reshape(f, -1).T + b
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2), (cols, xp.shape, pad)


def conv_backward(dout: np.ndarray, w: np.ndarray, cache):
    cols, padded_shape, pad = cache
    f, c, k, _ = w.shape
    n, _, oh, ow = dout.shape
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (d2.T @ cols).reshape(w.shape)
    db = d2.sum(axis=0)
    dcols = (d2 @ w.reshape(f, -1)).reshape(n, oh, ow, c, k, k)
    dxp = np.zeros(padded_shape, dtype=dout.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + oh, j:j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    dx = dxp[:, :, pad:padded_shape[2] - pad, pad:padded_shape[3] - pad] if pad else dxp
    return dx, dw, db


def maxpool_forward(x: np.ndarray):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    mask = blocks == out[:, :, :, None, :, None]
    return out, mask


def maxpool_backward(dout: np.ndarray, mask: np.ndarray):
    n, c, h2, _, w2, _ = mask.shape
    return (mask * dout[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)


class LeNet5:
    """conv(1→6, 5×5, pad 2)-ReLU-pool, conv(6→16, 5×5)-ReLU-pool, 400-120-84-10, SGD momentum."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)

        def he(*shape: int) -> np.ndarray:
            fan_in = int(np.prod(shape[1:]))
            return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(np.float32)

        self.p = {
            "c1w": he(6, 1, 5, 5), "c1b": np.zeros(6, np.float32),
            "c2w": he(16, 6, 5, 5), "c2b": np.zeros(16, np.float32),
            "f1w": he(120, 400).T.copy(), "f1b": np.zeros(120, np.float32),
            "f2w": he(84, 120).T.copy(), "f2b": np.zeros(84, np.float32),
            "f3w": he(10, 84).T.copy(), "f3b": np.zeros(10, np.float32),
        }
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.lr, self.momentum = lr, momentum

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        p = self.p
        z1, c1 = conv_forward(x, p["c1w"], p["c1b"], 2)
        a1 = np.maximum(z1, 0)
        s1, m1 = maxpool_forward(a1)
        z2, c2 = conv_forward(s1, p["c2w"], p["c2b"], 0)
        a2 = np.maximum(z2, 0)
        s2, m2 = maxpool_forward(a2)
        h0 = s2.reshape(len(x), -1)
        z3 = h0 @ p["f1w"] + p["f1b"]
        h1 = np.maximum(z3, 0)
        z4 = h1 @ p["f2w"] + p["f2b"]
        h2 = np.maximum(z4, 0)
        logits = h2 @ p["f3w"] + p["f3b"]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        m = len(y)
        loss = -np.log(probs[np.arange(m), y]).mean()
        d = probs
        d[np.arange(m), y] -= 1
        d /= m
        g = {"f3w": h2.T @ d, "f3b": d.sum(0)}
        d = (d @ p["f3w"].T) * (z4 > 0)
        g["f2w"], g["f2b"] = h1.T @ d, d.sum(0)
        d = (d @ p["f2w"].T) * (z3 > 0)
        g["f1w"], g["f1b"] = h0.T @ d, d.sum(0)
        d = (d @ p["f1w"].T).reshape(s2.shape)
        d = maxpool_backward(d, m2) * (z2 > 0)
        d, g["c2w"], g["c2b"] = conv_backward(d, p["c2w"], c2)
        d = maxpool_backward(d, m1) * (z1 > 0)
        _, g["c1w"], g["c1b"] = conv_backward(d, p["c1w"], c1)
        for k, grad in g.items():
            v = self.v[k]
            v *= self.momentum
            v += grad
            p[k] -= self.lr * v
        return float(loss)
