"""Model benchmark: training and inference throughput of the model zoo's convolutional
networks — glassbox against PyTorch CPU (when installed) and, for LeNet-5, the hand-written
NumPy network — the contenders' timed runs interleaved in one process, at each thread count.

    python bench/model.py --model lenet5|cnn|resnet-small [--mode train|inference|both]
                          [--threads 1,2] [--batches 10] [--repeats 5] [--pytorch-isa avx2]

Training: forward + backward + update on synthetic 1×28×28 images, as in the issue: LeNet-5
batch 64 with SGD momentum 0.9, ``cnn`` and ``resnet-small`` batch 128 with Adam(1e-3).
Inference: eval mode under ``no_grad``, batch 256. Each thread count runs in its own
subprocess (OPENBLAS_NUM_THREADS and torch.set_num_threads set alike before anything runs).
Also printed: the model's FLOP per image (2 × multiply-adds of its convolutions and dense
layers; training counted as 3× the forward) and, against a 1024³ float32 GEMM timed in the
same run, the fraction of GEMM peak each contender reaches.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = {"lenet5": 64, "cnn": 128, "resnet-small": 128}
INFER_BATCH = 256


def gemm_gflops(seconds: float = 0.3) -> float:
    """float32 1024³ matmul rate in this process now (GFLOP/s)."""
    import numpy as np

    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, a, out=out)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        np.matmul(a, a, out=out)
        n += 1
    return 2 * 1024**3 * n / (time.perf_counter() - start) / 1e9


def forward_flops(model, in_shape=(1, 1, 28, 28)) -> float:
    """2 × multiply-adds of every Conv2d and Linear op in one forward pass of one image."""
    import numpy as np

    import glassbox as gb
    from glassbox.ops import conv as conv_ops
    from glassbox.ops import linalg

    total = [0.0]
    originals = {cls: cls.forward for cls in (conv_ops.Conv2d, linalg.Linear)}

    def counted(cls):
        def forward(self, x, weight, *args, **kwargs):
            out = originals[cls](self, x, weight, *args, **kwargs)
            per_out = weight[0].size if cls is conv_ops.Conv2d else weight.shape[1]
            total[0] += 2.0 * per_out * out.size
            return out
        return forward

    was_training = model.training
    model.eval()
    try:
        for cls in originals:
            cls.forward = counted(cls)
        with gb.no_grad():
            model(gb.Tensor(np.zeros(in_shape, np.float32)))
    finally:
        for cls, fwd in originals.items():
            cls.forward = fwd
        model.train(was_training)
    return total[0]


def contenders(name: str, mode: str, threads: int) -> dict:
    """Step functions (called with a step index) of each contender."""
    import numpy as np

    sys.path.insert(0, HERE)
    from common import synthetic_mnist, torch_available

    import glassbox as gb
    from glassbox import models, nn, optim

    batch = BATCH[name] if mode == "train" else INFER_BATCH
    x, y = synthetic_mnist(batch * 4, image=True)
    steps = {}
    gb.manual_seed(0)
    model = models.get_model(name)
    if mode == "train":
        opt = (optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if name == "lenet5"
               else optim.Adam(model.parameters(), lr=1e-3))
        steps["glassbox"] = train_step(model, nn.CrossEntropyLoss(), opt, x, y, batch, gb.Tensor)
    else:
        model.eval()
        steps["glassbox"] = infer_step(model, x, batch, gb.Tensor, gb.no_grad)
    if name == "lenet5" and mode == "train":
        from numpy_cnn import LeNet5

        net = LeNet5(0.01, 0.9)
        steps["numpy (by hand)"] = lambda i: net.step(x[(i % 4) * batch:(i % 4 + 1) * batch],
                                                      y[(i % 4) * batch:(i % 4 + 1) * batch])
    if torch_available():
        import torch

        from torch_models import torch_model

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        tm = torch_model(name)
        if mode == "train":
            topt = (torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9) if name == "lenet5"
                    else torch.optim.Adam(tm.parameters(), lr=1e-3))
            steps["pytorch (cpu)"] = train_step(tm, torch.nn.CrossEntropyLoss(), topt, x, y, batch,
                                                torch.from_numpy)
        else:
            tm.eval()
            steps["pytorch (cpu)"] = infer_step(tm, x, batch, torch.from_numpy, torch.no_grad)
    return steps, model, batch


def train_step(model, loss_fn, opt, x, y, batch, wrap):
    xs = [wrap(x[i * batch:(i + 1) * batch]) for i in range(len(x) // batch)]
    ys = [wrap(y[i * batch:(i + 1) * batch]) for i in range(len(x) // batch)]

    def step(i: int) -> None:
        loss = loss_fn(model(xs[i % len(xs)]), ys[i % len(ys)])
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def infer_step(model, x, batch, wrap, no_grad):
    xs = [wrap(x[i * batch:(i + 1) * batch]) for i in range(len(x) // batch)]

    def step(i: int) -> None:
        with no_grad():
            model(xs[i % len(xs)])

    return step


def run_one(name: str, mode: str, threads: int, batches: int, repeats: int) -> None:
    import statistics

    sys.path.insert(0, HERE)
    from common import machine

    steps, model, batch = contenders(name, mode, threads)
    flops = forward_flops(model) * (3 if mode == "train" else 1)
    for step in steps.values():
        for i in range(3):
            step(i)
    rates: dict[str, list[float]] = {k: [] for k in steps}
    peaks = []
    for _ in range(repeats):
        peaks.append(gemm_gflops(0.2))
        for key, step in steps.items():
            start = time.perf_counter()
            for i in range(batches):
                step(i)
            rates[key].append(batches * batch / (time.perf_counter() - start))
    peak = statistics.median(peaks)
    med = {k: statistics.median(v) for k, v in rates.items()}
    load = os.getloadavg()[0]
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    print(f"{name} {mode}, batch {batch}, {threads} thread(s) — {machine()}"
          f"{f', PyTorch capped at {isa}' if isa else ''}; load {load:.1f}; "
          f"{flops / 1e6:.1f} MFLOP/img; GEMM {peak:.0f} GFLOP/s")
    for k, r in med.items():
        print(f"  {k:18s} {r:9,.0f} img/s  (runs {', '.join(f'{v:,.0f}' for v in rates[k])})  "
              f"{r * flops / (peak * 1e9) * 100:5.1f} % of GEMM peak")
    if "pytorch (cpu)" in med:
        print(f"  ratio glassbox / pytorch (cpu): {med['glassbox'] / med['pytorch (cpu)']:.2f}"
              f"  (per repeat: {', '.join(f'{a / b:.2f}' for a, b in zip(rates['glassbox'], rates['pytorch (cpu)']))})")
    if "numpy (by hand)" in med:
        print(f"  ratio glassbox / numpy (by hand): {med['glassbox'] / med['numpy (by hand)']:.2f}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(BATCH), default="cnn")
    parser.add_argument("--mode", choices=("train", "inference", "both"), default="both")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--batches", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (median)")
    parser.add_argument("--pytorch-isa", choices=("native", "avx2"), default="native",
                        help="avx2: cap PyTorch's oneDNN and MKL at AVX2 (ONEDNN_MAX_CPU_ISA, "
                             "MKL_ENABLE_INSTRUCTIONS), like-for-like with OpenBLAS's Haswell kernels")
    parser.add_argument("--_child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    modes = ("train", "inference") if args.mode == "both" else (args.mode,)
    if args._child:
        for mode in modes:
            run_one(args.model, mode, args._child, args.batches, args.repeats)
        return
    for threads in [int(t) for t in args.threads.split(",")]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        if args.pytorch_isa == "avx2":
            env.update(ONEDNN_MAX_CPU_ISA="AVX2", MKL_ENABLE_INSTRUCTIONS="AVX2")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--model", args.model,
                        "--mode", args.mode, "--batches", str(args.batches),
                        "--repeats", str(args.repeats), "--_child", str(threads)],
                       env=env, check=True)


if __name__ == "__main__":
    main()
