"""Lessons: the course notes' claims as runnable, measured, plotted experiments.

``glassbox lesson list`` shows them; ``glassbox lesson NAME [--quick] [--out DIR]`` runs
one. From Python: ``glassbox.lessons.run("softmax-gradient", quick=True)``.
Each lesson is a module here that reads top to bottom; see ``base.py`` for the contract.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .base import LessonResult

# command-line name → module, in teaching order
LESSONS: dict[str, str] = {
    "softmax-gradient": "softmax_gradient",
    "linear-collapse": "linear_collapse",
    "activations": "activations",
    "optimizers": "optimizers",
    "learning-rate": "learning_rate",
    "initialization": "initialization",
    "overfitting": "overfitting",
    "batch-norm": "batch_norm",
    "mnist-demo": "mnist_demo",
}


def load(name: str) -> ModuleType:
    """The lesson module for ``name``; a clear error lists the lessons otherwise."""
    if name not in LESSONS:
        raise ValueError(f"unknown lesson {name!r}; choose one of: {', '.join(LESSONS)}")
    return importlib.import_module(f"{__name__}.{LESSONS[name]}")


def available() -> list[tuple[str, str]]:
    """(name, one-line summary) of every lesson whose module exists."""
    found = []
    for name in LESSONS:
        try:
            found.append((name, load(name).SUMMARY))
        except ModuleNotFoundError:
            continue
    return found


def run(name: str, quick: bool = False, out: str | Path | None = None) -> LessonResult:
    """Run lesson ``name``; ``quick`` finishes in seconds; ``out`` receives PNG figures."""
    return load(name).run(quick=quick, out=Path(out) if out is not None else None)


__all__ = ["LESSONS", "LessonResult", "available", "load", "run"]
