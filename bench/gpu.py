"""GPU training throughput: glassbox on CuPy against PyTorch on CUDA, on the same machine.

MLP, LeNet-5, ``cnn`` and ``resnet-small`` (the zoo's models; the PyTorch twins are
translated layer by layer from them, with the same initial weights, and checked to give
the same outputs first), training at batch 128 and 512: float32, Adam(1e-3), softmax
cross-entropy, synthetic MNIST-shaped batches already on the GPU. Every step ends with
``loss.item()`` in both frameworks, as a training loop that logs its loss does, so each
step is timed to its end on the GPU. The contenders run interleaved (a, b, a, b, ...)
and the median of ``--repeats`` runs is reported. For ``resnet-small`` glassbox on the
CPU (NumPy) is timed too, for the GPU/CPU speed-up.

    python bench/gpu.py                          # a GPU, CuPy (pip install glassbox[gpu]), torch CUDA
    python bench/gpu.py --json gpu.json          # also write the figures as JSON

Without a GPU it runs on the strict stand-in, as a check that the script works — the
numbers then measure NumPy through a wrapper and mean nothing:

    python bench/gpu.py --backend strict --batch-sizes 8 --batches 2 --repeats 1
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import glassbox as gb  # noqa: E402
from glassbox import backend, models, nn, optim  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import batches_of, training_step  # noqa: E402

MODELS = {"mlp": "mlp", "lenet5": "lenet5", "cnn": "cnn", "resnet-small": "resnet-small"}
IMAGE_MODELS = {"lenet5", "cnn", "resnet-small"}
LR = 1e-3
Step = Callable[[int], None]


# ----------------------------------------------------------------------- glassbox
def synthetic(n: int, image: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n, 1, 28, 28) if image else (n, 784)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def build(name: str, seed: int = 0) -> nn.Module:
    gb.manual_seed(seed)
    return models.get_model(MODELS[name])


def glassbox_step(model: nn.Module, device: str, x: np.ndarray, y: np.ndarray,
                  batch: int) -> Step:
    """One Adam training step per call on ``device``; batches prepared there beforehand."""
    model.to(device)
    model.train()
    opt = optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    xs, ys = batches_of(x, y, batch, lambda a: gb.tensor(a).to(device))
    return training_step(model, loss_fn, opt, xs, ys, fetch_loss=True)


# ------------------------------------------------------------------------ PyTorch
def to_torch(module: nn.Module) -> Any:
    """The PyTorch twin of a glassbox model, with a copy of its weights and buffers."""
    import torch
    from torch import nn as tnn

    def pair(v: Any) -> Any:
        return tuple(v) if isinstance(v, (tuple, list)) else v

    def convert(m: nn.Module) -> Any:
        kind = type(m).__name__
        if kind == "Sequential":
            return tnn.Sequential(*[convert(c) for c in m.children()])
        if kind == "Linear":
            return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
        if kind == "Conv2d":
            return tnn.Conv2d(m.in_channels, m.out_channels, pair(m.kernel_size),
                              stride=pair(m.stride), padding=pair(m.padding),
                              dilation=pair(getattr(m, "dilation", 1)), bias=m.bias is not None)
        if kind in ("BatchNorm2d", "BatchNorm1d"):
            return getattr(tnn, kind)(m.num_features, eps=m.eps, momentum=m.momentum)
        if kind == "ReLU":
            return tnn.ReLU()
        if kind == "Tanh":
            return tnn.Tanh()
        if kind == "Flatten":
            return tnn.Flatten()
        if kind in ("Dropout", "Dropout2d"):
            return getattr(tnn, kind)(m.p)
        if kind == "MaxPool2d":
            return tnn.MaxPool2d(m.kernel_size, m.stride, m.padding)
        if kind == "AvgPool2d":
            return tnn.AvgPool2d(m.kernel_size, m.stride, m.padding)
        if kind == "AdaptiveAvgPool2d":
            return tnn.AdaptiveAvgPool2d(m.output_size)
        if kind == "Identity":
            return tnn.Identity()
        if kind == "ZeroPad2d":
            return tnn.ZeroPad2d(m.padding)
        if kind == "ResidualBlock":
            return TorchResidual(m, convert)
        if kind == "ResNet":
            return TorchResNet(m, convert)
        raise TypeError(f"bench/gpu.py: no PyTorch twin for layer {kind}")

    class TorchResidual(tnn.Module):
        def __init__(self, m: Any, conv: Any) -> None:
            super().__init__()
            self.conv1, self.bn1 = conv(m.conv1), conv(m.bn1)
            self.conv2, self.bn2 = conv(m.conv2), conv(m.bn2)
            self.shortcut = None if m.downsample is None else conv(m.downsample)

        def forward(self, x: Any) -> Any:
            z = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(z + (x if self.shortcut is None else self.shortcut(x)))

    class TorchResNet(tnn.Module):
        def __init__(self, m: Any, conv: Any) -> None:
            super().__init__()
            self.stem = tnn.Sequential(conv(m.conv1), conv(m.bn1), conv(m.relu), conv(m.maxpool))
            self.stages = tnn.Sequential(*[conv(getattr(m, f"layer{i + 1}"))
                                           for i in range(m.num_stages)])
            self.head = tnn.Sequential(conv(m.avgpool), conv(m.flatten), conv(m.fc))

        def forward(self, x: Any) -> Any:
            return self.head(self.stages(self.stem(x)))

    twin = convert(module)
    ours = [v for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")]
    theirs = [v for k, v in twin.state_dict().items() if not k.endswith("num_batches_tracked")]
    if len(ours) != len(theirs) or any(a.shape != tuple(b.shape) for a, b in zip(ours, theirs)):
        raise RuntimeError("bench/gpu.py: the PyTorch twin's parameters do not line up")
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            b.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    return twin


def torch_step(twin: Any, device: str, x: np.ndarray, y: np.ndarray, batch: int) -> Step:
    import torch

    twin.to(device)
    twin.train()
    opt = torch.optim.Adam(twin.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xs, ys = batches_of(x, y, batch, lambda a: torch.from_numpy(a).to(device))
    return training_step(twin, loss_fn, opt, xs, ys, fetch_loss=True)


def same_outputs(model: nn.Module, twin: Any, device: str, torch_device: str,
                 x: np.ndarray) -> float:
    """max |glassbox − PyTorch| of the eval-mode logits: the twins are the same network."""
    import torch

    model.to(device).eval()
    twin.to(torch_device).eval()
    ours = gb.predict(model, x)
    with torch.no_grad():
        theirs = twin(torch.from_numpy(x).to(torch_device)).cpu().numpy()
    return float(np.abs(ours - theirs).max())


# ------------------------------------------------------------------------- timing
def interleaved(steps: dict[str, tuple[Step, int]], batch: int, warmup: int,
                repeats: int) -> dict[str, float]:
    """Median img/s of each (step, timed steps) contender, the runs interleaved."""
    for step, _ in steps.values():
        for i in range(warmup):
            step(i)
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, (step, count) in steps.items():
            start = time.perf_counter()
            for i in range(count):
                step(i)
            rates[name].append(count * batch / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def torch_cuda() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "PyTorch is not installed"
    if not torch.cuda.is_available():
        return False, f"PyTorch {torch.__version__} sees no CUDA device"
    return True, f"PyTorch {torch.__version__}, {torch.cuda.get_device_name(0)}"


def machine(args: argparse.Namespace) -> dict[str, Any]:
    info = {"gpu": gb.cuda.get_device_name(), "backend": args.backend,
            "python": platform.python_version(), "numpy": np.__version__,
            "cpu": platform.processor() or platform.machine()}
    if args.backend == "cupy":
        import cupy

        info["cupy"] = cupy.__version__
    return info


def run(args: argparse.Namespace) -> dict[str, Any]:
    hint = "run with --backend strict to check the script without one"
    try:
        backend.set_cuda_module(args.backend)
    except gb.GlassboxRuntimeError as exc:
        raise SystemExit(f"bench/gpu.py: no GPU at hand: {exc}; {hint}") from None
    if not gb.cuda.is_available():
        raise SystemExit(f"bench/gpu.py: no GPU at hand (CuPy sees no device); {hint}")
    has_torch, torch_note = torch_cuda()
    torch_device = "cuda" if has_torch else args.torch_device
    if torch_device == "cpu":
        try:
            import torch  # noqa: F401
            torch_note += "; PyTorch compared on the CPU (--torch-device cpu): plumbing only"
        except ImportError:
            torch_device = None
    elif not has_torch:
        torch_device = None
    result: dict[str, Any] = {"machine": machine(args), "pytorch": torch_note, "runs": []}
    print(f"glassbox on {result['machine']['gpu']} ({args.backend}); {torch_note}")
    if args.backend == "strict":
        print("  (strict stand-in: NumPy through a wrapper, no GPU — these numbers mean nothing)")
    for name in args.models:
        for batch in args.batch_sizes:
            x, y = synthetic(batch * args.distinct, name in IMAGE_MODELS)
            steps: dict[str, tuple[Step, int]] = {
                "glassbox (cuda)": (glassbox_step(build(name), "cuda", x, y, batch), args.batches)}
            entry: dict[str, Any] = {"model": name, "batch": batch}
            if torch_device is not None:
                twin = to_torch(build(name))
                entry["max_abs_output_diff"] = same_outputs(build(name), twin, "cuda",
                                                            torch_device, x[:batch])
                steps[f"pytorch ({torch_device})"] = (
                    torch_step(twin, torch_device, x, y, batch), args.batches)
            if name in args.cpu_baseline:
                steps["glassbox (cpu)"] = (glassbox_step(build(name), "cpu", x, y, batch),
                                           args.cpu_batches)
            rates = interleaved(steps, batch, args.warmup, args.repeats)
            entry["img_per_s"] = rates
            gpu = rates["glassbox (cuda)"]
            ratios = {f"glassbox (cuda) / {k}": gpu / v for k, v in rates.items()
                      if k != "glassbox (cuda)"}
            entry["ratios"] = ratios
            result["runs"].append(entry)
            print(f"{name}, batch {batch}:")
            for k, v in rates.items():
                print(f"  {k:20s} {v:12,.0f} img/s")
            for k, v in ratios.items():
                print(f"  ratio {k}: {v:.2f}")
            if "max_abs_output_diff" in entry:
                print(f"  same network: max |glassbox - pytorch| of the logits "
                      f"{entry['max_abs_output_diff']:.2e}")
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=("cupy", "strict"), default="cupy",
                   help="what device 'cuda' is: CuPy (a GPU), or the strict stand-in (no GPU)")
    p.add_argument("--models", default=",".join(MODELS),
                   type=lambda s: [m.strip() for m in s.split(",") if m.strip()])
    p.add_argument("--batch-sizes", default="128,512",
                   type=lambda s: [int(b) for b in s.split(",")])
    p.add_argument("--batches", type=int, default=20, help="timed GPU steps per repeat")
    p.add_argument("--cpu-batches", type=int, default=3, help="timed CPU steps per repeat")
    p.add_argument("--cpu-baseline", default="resnet-small",
                   type=lambda s: [m.strip() for m in s.split(",") if m.strip()],
                   help="models also timed with glassbox on the CPU ('' for none)")
    p.add_argument("--distinct", type=int, default=4, help="distinct batches cycled through")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--torch-device", choices=("none", "cpu"), default="none",
                   help="without PyTorch CUDA: 'cpu' still runs the PyTorch twins on the CPU")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures here")
    args = p.parse_args(argv)
    unknown = [m for m in args.models + args.cpu_baseline if m not in MODELS]
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    result = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
