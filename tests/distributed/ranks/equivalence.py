"""Run under ``mpirun -n 2``: p ranks × batch B train to the same weights as one process × p·B.

Rank 0 also trains the one-process reference itself (a second copy of the model, the whole
global batch) and compares; every rank prints ``OK <check>`` for each passed check, and a
failed check raises (which aborts the job).
"""
from __future__ import annotations

import sys

import numpy as np

import glassbox as gb
from glassbox import distributed as dist
from glassbox import nn, optim
from glassbox.data import DataLoader, TensorDataset
from glassbox.distributed import ddp as ddp_module

TOL = 1e-5
PER_RANK = 64


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 5))


def bn_net(norm: type) -> nn.Module:
    # no bias before a batch norm: its gradient is exactly 0, so its value is rounding noise
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), norm(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 16, bias=False), norm(16), nn.ReLU(), nn.Linear(16, 5))


def data(n: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(size=(n, *shape)).astype(np.float32), rng.integers(0, 5, size=n)


def weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in model.state_dict().items()}


def rel_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert a.keys() == b.keys(), (a.keys(), b.keys())
    import os
    if os.environ.get("DEBUG_DIFF"):
        for k in a:
            print(k, float(np.abs(a[k] - b[k]).max() / max(np.abs(b[k]).max(), 1e-12)))
    return max(float(np.abs(a[k] - b[k]).max() / max(np.abs(b[k]).max(), 1e-12)) for k in a)


def make_optimizer(name: str, params) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(params, lr=0.05, momentum=0.9)
    return optim.Adam(params, lr=1e-3)


def ok(name: str, diff: float | None = None) -> None:
    extra = "" if diff is None else f" rel_diff={diff:.2e}"
    print(f"OK {name} rank {dist.rank()}{extra}", flush=True)


def check_equal_on_all_ranks(name: str, state: dict[str, np.ndarray]) -> None:
    """Every rank's weights are bit-for-bit rank 0's."""
    mine = np.concatenate([v.ravel() for v in state.values()])
    ref = dist.broadcast_(mine.copy())
    assert np.array_equal(mine, ref), f"{name}: rank {dist.rank()} differs from rank 0"


def train_pair(build, optimizer: str, x: np.ndarray, y: np.ndarray, epochs: int,
               shuffle: bool, convert_sync: bool = False, bucket_cap_mb: float = 25.0) -> None:
    """DDP + DistributedSampler on every rank; rank 0 compares with one process on p·B."""
    p = dist.world_size()
    gb.manual_seed(0)
    model = build()
    reference = build()
    reference.load_state_dict(model.state_dict())
    if convert_sync:
        model = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    opt = make_optimizer(optimizer, model.parameters())
    ds = TensorDataset(x, y)
    sampler = dist.DistributedSampler(ds, shuffle=shuffle, seed=3)
    loader = DataLoader(ds, batch_size=PER_RANK, sampler=sampler)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(ddp(xb), yb).backward()
            opt.step()
    name = f"{build.__name__ if hasattr(build, '__name__') else 'model'}-{optimizer}" \
           f"{'-shuffle' if shuffle else ''}{'-sync' if convert_sync else ''}"
    check_equal_on_all_ranks(name, weights(model))
    if bucket_cap_mb < 1:
        assert len(ddp.buckets) >= 3 and ddp.early_buckets > 0, (ddp.buckets, ddp.early_buckets)
    if dist.rank() == 0:
        ref_opt = make_optimizer(optimizer, reference.parameters())
        n = len(x)
        for epoch in range(epochs):
            order = np.random.default_rng(3 + epoch).permutation(n) if shuffle else np.arange(n)
            for start in range(0, n, p * PER_RANK):
                idx = order[start:start + p * PER_RANK]
                ref_opt.zero_grad()
                loss_fn(reference(gb.Tensor(x[idx])), gb.Tensor(y[idx])).backward()
                ref_opt.step()
        diff = rel_diff(weights(model), weights(reference))
        assert diff <= TOL, f"{name}: relative difference {diff:.3e} > {TOL}"
        ok(name, diff)


def sync_bn_gradient() -> None:
    """SyncBatchNorm's input gradient on each rank's half equals one process's BatchNorm
    gradient on the whole batch, in float64 (the loss being the sum of the ranks' losses),
    and a central difference of the global loss agrees with it."""
    p, r = dist.world_size(), dist.rank()
    rng = np.random.default_rng(11)
    x_all = rng.normal(size=(4 * p, 3, 2, 2))
    v_all = rng.normal(size=x_all.shape)
    mine = slice(4 * r, 4 * r + 4)
    bn = dist.SyncBatchNorm(3, dtype=np.float64)
    bn.weight.data[...] = [0.5, 1.5, -1.0]
    bn.bias.data[...] = [0.1, 0.2, 0.3]

    def local_loss(x_np: np.ndarray) -> float:
        out = bn(gb.Tensor(x_np, dtype=np.float64))
        return float((out.data * v_all[mine]).sum())

    x = gb.Tensor(x_all[mine].copy(), requires_grad=True, dtype=np.float64)
    out = bn(x)
    (out * gb.Tensor(v_all[mine], dtype=np.float64)).sum().backward()
    ref = nn.BatchNorm2d(3, dtype=np.float64)
    ref.weight.data[...] = bn.weight.data
    ref.bias.data[...] = bn.bias.data
    x_ref = gb.Tensor(x_all.copy(), requires_grad=True, dtype=np.float64)
    out_ref = ref(x_ref)
    (out_ref * gb.Tensor(v_all, dtype=np.float64)).sum().backward()
    assert np.allclose(out.data, out_ref.data[mine], rtol=1e-10, atol=1e-12), "SyncBN forward"
    assert np.allclose(x.grad.data, x_ref.grad.data[mine], rtol=1e-8, atol=1e-10), "SyncBN dx"
    local_dgamma = bn.weight.grad.data
    total_dgamma = dist.allreduce_sum(local_dgamma)
    assert np.allclose(total_dgamma, ref.weight.grad.data, rtol=1e-8), "SyncBN dgamma"
    # central differences of the global loss Σ_r L_r in a few coordinates of each rank's x
    eps = 1e-6
    for owner in range(p):
        for index in [(0, 0, 0, 0), (3, 2, 1, 1), (1, 1, 0, 1)]:
            values = []
            for sign in (1, -1):
                xs = x_all[mine].copy()
                if r == owner:
                    xs[index] += sign * eps
                values.append(float(dist.allreduce_sum(local_loss(xs))))
            numeric = (values[0] - values[1]) / (2 * eps)
            analytic = float(dist.broadcast_object(x.grad.data[index], root=owner))
            assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), \
                f"SyncBN gradcheck at rank {owner} {index}: numeric {numeric}, analytic {analytic}"
    ok("syncbn-gradient")


def sync_bn_running_stats() -> None:
    """The running averages of SyncBatchNorm over several steps equal one process's BatchNorm
    on the whole batches: momentum 0.3 and momentum=None (the cumulative average 1/t), and
    track_running_stats=False trains without any."""
    p, r = dist.world_size(), dist.rank()
    rng = np.random.default_rng(12)
    batches = [rng.normal(loc=t, size=(3 * p, 2, 2, 2)) for t in range(4)]
    for momentum in (0.3, None):
        bn = dist.SyncBatchNorm(2, momentum=momentum, dtype=np.float64)
        ref = nn.BatchNorm2d(2, momentum=momentum, dtype=np.float64)
        for x_all in batches:
            bn(gb.Tensor(x_all[3 * r:3 * r + 3], dtype=np.float64))
            ref(gb.Tensor(x_all, dtype=np.float64))
        for name in ("running_mean", "running_var"):
            assert np.allclose(getattr(bn, name), getattr(ref, name), rtol=1e-12, atol=1e-14), \
                f"SyncBN {name} momentum={momentum}"
        assert int(bn.num_batches_tracked) == int(ref.num_batches_tracked) == 4
    cumulative = np.mean([x.mean(axis=(0, 2, 3)) for x in batches], axis=0)
    assert np.allclose(bn.running_mean, cumulative, rtol=1e-12), "momentum=None is the mean of the batch means"
    free = dist.SyncBatchNorm(2, track_running_stats=False, dtype=np.float64)
    out = free(gb.Tensor(batches[0][3 * r:3 * r + 3], dtype=np.float64))
    ref = nn.BatchNorm2d(2, track_running_stats=False, dtype=np.float64)(gb.Tensor(batches[0], dtype=np.float64))
    assert free.running_mean is None and np.allclose(out.data, ref.data[3 * r:3 * r + 3]), "SyncBN untracked"
    ok("syncbn-running-stats")


def fit_distributed() -> None:
    """``fit(..., distributed=True)`` on (x, y) arrays matches the one-process reference and
    reports exact global validation figures."""
    p = dist.world_size()
    x, y = data(640, (20,))
    xv, yv = data(101, (20,))  # odd: the ranks' shards differ in size
    gb.manual_seed(0)
    model = mlp()
    reference = mlp()
    reference.load_state_dict(model.state_dict())
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = gb.training.fit(model, loss_fn, opt, (x, y), val_data=(xv, yv), epochs=2,
                              batch_size=PER_RANK, seed=5, verbose=0, distributed=True)
    check_equal_on_all_ranks("fit", weights(model))
    if dist.rank() == 0:
        ref_opt = optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
        for epoch in range(2):
            order = np.random.default_rng(5 + epoch).permutation(len(x))
            for start in range(0, len(x), p * PER_RANK):
                idx = order[start:start + p * PER_RANK]
                ref_opt.zero_grad()
                loss_fn(reference(gb.Tensor(x[idx])), gb.Tensor(y[idx])).backward()
                ref_opt.step()
        diff = rel_diff(weights(model), weights(reference))
        assert diff <= TOL, f"fit: relative difference {diff:.3e}"
        val = gb.training.evaluate(model, (xv, yv), loss_fn)
        assert history.history["val_accuracy"][-1] == val["accuracy"], (history.history, val)
        assert abs(history.history["val_loss"][-1] - val["loss"]) < 1e-6
        ok("fit", diff)


def main() -> None:
    assert dist.world_size() >= 2, "run me under mpirun -n 2"
    x, y = data(640, (20,))
    for optimizer in ("sgd", "adam"):
        train_pair(mlp, optimizer, x, y, epochs=1, shuffle=False)
    train_pair(mlp, "adam", x, y, epochs=2, shuffle=True)
    # several buckets, started during backward (overlap path)
    ddp_module.FIRST_BUCKET_BYTES = 256
    for optimizer in ("sgd", "adam"):
        xi, yi = data(512, (2, 6, 6))
        train_pair(bn_cnn, optimizer, xi, yi, epochs=1,
                   shuffle=True, convert_sync=True, bucket_cap_mb=0.00005)
    ddp_module.FIRST_BUCKET_BYTES = 1024 * 1024
    sync_bn_gradient()
    sync_bn_running_stats()
    fit_distributed()
    print(f"ALL OK rank {dist.rank()}", flush=True)


def _bn(c: int) -> nn.Module:
    return nn.BatchNorm1d(c) if c == 16 else nn.BatchNorm2d(c)


def bn_cnn() -> nn.Module:
    return bn_net(_bn)


if __name__ == "__main__":
    dist.init()
    main()
    sys.exit(0)
