"""Data-parallel throughput: 1 rank against 2 ranks, glassbox DDP and (if installed) PyTorch DDP.

    python bench/distributed.py                 # MLP and cnn, 3 interleaved repeats
    python bench/distributed.py --models mlp --steps 200 --repeats 5

Every run is its own ``mpirun -n {1,2}`` job with one BLAS thread per rank (glassbox:
OPENBLAS_NUM_THREADS=1; PyTorch: torch.set_num_threads(1), gloo backend over loopback).
The jobs are interleaved (glassbox 1, 2, PyTorch 1, 2, then again) so that the load from
other processes on a shared machine hits every contender alike, and the median is kept.

Work per step: per-rank batch 64 of synthetic 1×28×28 images, forward + backward + SGD
momentum update. One rank is the plain model (no wrapper); two ranks wrap it in DDP, and
the throughput counted is global (2 × 64 images per step).

Communication share of the 2-rank step time, measured two ways:
* ``sync`` − ``no_sync``: the same 2-rank job also times steps inside ``ddp.no_sync()``
  (both cores busy, no allreduce); (t_sync − t_no_sync) / t_sync is what communication
  adds to a step, whatever overlaps.
* ``in MPI`` (glassbox only): the seconds rank 0 spent inside the DDP reducer (packing,
  Iallreduce, progress tests, the final wait) per step, over the step time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PER_RANK = 64


# ----------------------------------------------------------------------- workers
def _batches(rank: int, image: bool, count: int = 8):
    import numpy as np

    rng = np.random.default_rng(rank)
    shape = (PER_RANK, 1, 28, 28) if image else (PER_RANK, 784)
    return [(rng.random(shape, dtype=np.float32), rng.integers(0, 10, PER_RANK)) for _ in range(count)]


def _time_steps(step, steps: int, barrier) -> float:
    barrier()
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    barrier()
    return time.perf_counter() - start


def worker_glassbox(model_name: str, steps: int) -> dict:
    import glassbox as gb
    from glassbox import distributed as dist
    from glassbox import nn, optim
    from glassbox.models import cnn, mlp

    p = dist.init()
    gb.manual_seed(0)
    model = cnn() if model_name == "cnn" else mlp()
    net = dist.DistributedDataParallel(model) if p > 1 else model
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    data = [(gb.Tensor(x), gb.Tensor(y)) for x, y in _batches(dist.rank(), model_name == "cnn")]

    def step(i: int) -> None:
        x, y = data[i % len(data)]
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    for i in range(5):
        step(i)
    result = {"world_size": p}
    if p > 1:
        net.comm_time = net.wait_time = 0.0
    t = _time_steps(step, steps, dist.barrier)
    result["img_per_s"] = steps * PER_RANK * p / t
    result["step_ms"] = 1e3 * t / steps
    if p > 1:
        result["in_mpi_ms"] = 1e3 * net.comm_time / steps
        result["wait_ms"] = 1e3 * net.wait_time / steps
        result["buckets"] = len(net.buckets)
        with net.no_sync():
            result["no_sync_step_ms"] = 1e3 * _time_steps(step, steps, dist.barrier) / steps
    return result


def worker_torch(model_name: str, steps: int) -> dict:
    import torch
    import torch.distributed as tdist
    from torch import nn

    torch.set_num_threads(1)
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", 0))
    p = int(os.environ.get("OMPI_COMM_WORLD_SIZE", 1))
    torch.manual_seed(0)
    if model_name == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, 10))
    else:
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
    net = model
    barrier = lambda: None  # noqa: E731
    if p > 1:
        tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{os.environ['BENCH_PORT']}",
                                 rank=rank, world_size=p)
        net = nn.parallel.DistributedDataParallel(model)
        barrier = tdist.barrier
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in _batches(rank, model_name == "cnn")]

    def step(i: int) -> None:
        x, y = data[i % len(data)]
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    for i in range(5):
        step(i)
    t = _time_steps(step, steps, barrier)
    result = {"world_size": p, "img_per_s": steps * PER_RANK * p / t, "step_ms": 1e3 * t / steps}
    if p > 1:
        with net.no_sync():
            result["no_sync_step_ms"] = 1e3 * _time_steps(step, steps, barrier) / steps
        tdist.destroy_process_group()
    return result


# ------------------------------------------------------------------------ driver
def run_job(library: str, model: str, nproc: int, steps: int, port: int) -> dict:
    from glassbox.distributed import launch

    env = launch.rank_environment(nproc, {**os.environ, "BENCH_PORT": str(port),
                                          "GLOO_SOCKET_IFNAME": "lo",
                                          "PYTHONPATH": str(ROOT)})
    for name in launch.THREAD_VARIABLES:
        env[name] = "1"
    program = [sys.executable, str(Path(__file__).resolve()), "--worker", library,
               "--models", model, "--steps", str(steps)]
    out = subprocess.run(launch.mpirun_command(nproc, program), env=env, capture_output=True,
                         text=True, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{library} {model} -n {nproc} failed:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per job (default 300 for mlp, 30 for cnn)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fn = worker_glassbox if args.worker == "glassbox" else worker_torch
        result = fn(args.models, args.steps)
        if int(os.environ.get("OMPI_COMM_WORLD_RANK", 0)) == 0:
            print("RESULT " + json.dumps(result), flush=True)
        return

    libraries = ["glassbox"]
    if not args.no_torch:
        try:
            import torch  # noqa: F401
            libraries.append("torch")
        except ImportError:
            print("PyTorch not installed: glassbox only (pip install torch==2.13.0)")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    runs: dict[tuple[str, str, int], list[dict]] = {}
    port = 29500 + os.getpid() % 1000
    for repeat in range(args.repeats):
        for model in args.models.split(","):
            steps = args.steps or (300 if model == "mlp" else 30)
            for library in libraries:
                for nproc in (1, 2):
                    port += 1
                    runs.setdefault((library, model, nproc), []).append(
                        run_job(library, model, nproc, steps, port))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
    print(f"\nper-rank batch {PER_RANK}, SGD momentum, 1 BLAS thread per rank, median of {args.repeats}")
    print(f"{'library':9s} {'model':5s} {'1 rank img/s':>13s} {'2 ranks img/s':>14s} {'speed-up':>9s} "
          f"{'step ms':>8s} {'no_sync ms':>10s} {'comm share':>10s} {'in MPI':>7s}")
    for (library, model, nproc), rs in runs.items():
        if nproc != 2:
            continue
        one = runs[(library, model, 1)]
        sync, nosync = med(rs, "step_ms"), med(rs, "no_sync_step_ms")
        in_mpi = f"{med(rs, 'in_mpi_ms') / sync:6.0%}" if "in_mpi_ms" in rs[0] else "    —"
        print(f"{library:9s} {model:5s} {med(one, 'img_per_s'):13,.0f} {med(rs, 'img_per_s'):14,.0f} "
              f"{med(rs, 'img_per_s') / med(one, 'img_per_s'):8.2f}× {sync:8.2f} {nosync:10.2f} "
              f"{(sync - nosync) / sync:10.0%} {in_mpi}")
    print("\nraw:", json.dumps({f"{k[0]}-{k[1]}-{k[2]}": v for k, v in runs.items()}))


if __name__ == "__main__":
    main()
