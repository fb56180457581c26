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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import training_step  # noqa: E402
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
    xs, ys = zip(*[(gb.Tensor(x), gb.Tensor(y)) for x, y in _batches(dist.rank(), model_name == "cnn")])
    step = training_step(net, loss_fn, opt, xs, ys)

    for i in range(5):
        step(i)
    result = {"world_size": p, "num_parameters": model.num_parameters()}
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
        result["allreduce_ms"] = _allreduce_ms(model.num_parameters())
    return result


def _allreduce_ms(n: int, calls: int = 50) -> float:
    """Median time of one blocking Allreduce of n float32 (the whole gradient, one bucket)."""
    import numpy as np
    from mpi4py import MPI

    comm, buf, times = MPI.COMM_WORLD, np.ones(n, dtype=np.float32), []
    for _ in range(5):
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(calls):
            comm.Allreduce(MPI.IN_PLACE, buf)
        times.append((time.perf_counter() - start) / calls)
    return 1e3 * statistics.median(times)


# ------------------------------------------------------------------ the model
def ring_allreduce_ms(grad_bytes: float, p: int, bandwidth_gb_s: float, latency_us: float) -> float:
    """Ring allreduce of ``grad_bytes`` over p ranks: 2(p−1) steps, each sending and receiving
    a 1/p chunk, so every rank moves 2(p−1)/p · bytes in each direction:
    T = 2(p−1)·α + 2(p−1)/p · S / β."""
    if p == 1:
        return 0.0
    return 1e3 * (2 * (p - 1) * latency_us * 1e-6 + 2 * (p - 1) / p * grad_bytes / (bandwidth_gb_s * 1e9))


def predict(compute_ms: float, grad_bytes: float, bandwidth_gb_s: float, latency_us: float,
            ranks=(1, 2, 4, 8, 16, 32, 64)) -> list[tuple[int, float, float, float]]:
    """(p, step ms, img/s, speed-up) with no overlap: T(p) = T_compute + T_allreduce(p)."""
    rows = []
    for p in ranks:
        t = compute_ms + ring_allreduce_ms(grad_bytes, p, bandwidth_gb_s, latency_us)
        rows.append((p, t, p * PER_RANK / t * 1e3, p * compute_ms / t))
    return rows


NETWORKS = {"10 GbE (1.25 GB/s, 50 µs)": (1.25, 50.0), "100 Gb/s InfiniBand (12.5 GB/s, 2 µs)": (12.5, 2.0)}


def print_predictions(runs: dict, med) -> None:
    for model in sorted({k[1] for k in runs}):
        one, two = runs.get(("glassbox", model, 1)), runs.get(("glassbox", model, 2))
        if not one or not two:
            continue
        compute = med(one, "step_ms")
        grad_bytes = 4 * two[0]["num_parameters"]
        print(f"\n{model}: measured 1-rank step {compute:.2f} ms (per-rank batch {PER_RANK}), "
              f"gradient {grad_bytes / 1e6:.2f} MB")
        # the check on this machine: shared memory, the measured Allreduce of the gradient
        ar = med(two, "allreduce_ms")
        print(f"  check, 2 ranks here: predicted {compute:.2f} + {ar:.2f} (measured Allreduce of the "
              f"gradient) = {compute + ar:.2f} ms/step; measured {med(two, 'step_ms'):.2f} ms "
              f"(no_sync {med(two, 'no_sync_step_ms'):.2f} ms: the two ranks' compute alone)")
        for name, (bw, lat) in NETWORKS.items():
            print(f"  {name}:")
            for p, t, rate, speedup in predict(compute, grad_bytes, bw, lat):
                print(f"    p={p:3d}  step {t:7.2f} ms  {rate:11,.0f} img/s  speed-up {speedup:6.2f}×"
                      f"  (efficiency {speedup / p:4.0%})")


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
    xs, ys = zip(*[(torch.from_numpy(x), torch.from_numpy(y)) for x, y in _batches(rank, model_name == "cnn")])
    step = training_step(net, loss_fn, opt, xs, ys)

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
    print_predictions(runs, med)
    print("\nraw:", json.dumps({f"{k[0]}-{k[1]}-{k[2]}": v for k, v in runs.items()}))


if __name__ == "__main__":
    main()
