"""examples/pytorch_mnist.py (PyTorch's MNIST example in glassbox) runs: one batch of
training and one of testing on the bundled digits."""
from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pytorch_mnist.py"


def test_pytorch_mnist_example_runs_a_few_steps(capsys):
    spec = importlib.util.spec_from_file_location("pytorch_mnist", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accuracy = module.main(["--dry-run", "--epochs", "1", "--no-cuda"])
    out = capsys.readouterr().out
    assert "Train Epoch: 1 [0/" in out and "Test set: Average loss:" in out
    assert 0.0 <= accuracy <= 1.0
