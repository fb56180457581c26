"""What every lesson returns, and how findings are printed.

A lesson is a small module in ``glassbox/lessons/`` that a learner can read top to
bottom. It defines ``NAME`` (the command-line name), ``SUMMARY`` (one line) and
``run(quick: bool = False, out: Path | None = None) -> LessonResult``: it runs the
experiment, measures, and returns its findings as a small table plus the key numbers
that its test asserts. With ``out`` and the ``plot`` extra it also writes PNG figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class LessonResult:
    """The outcome of one lesson run.

    Attributes:
        name: the lesson's command-line name.
        headline: one sentence stating the finding, with numbers.
        columns: the findings table's column titles.
        rows: the findings table, one list per row (numbers or strings).
        values: the key measured numbers by name (what the lesson's test asserts).
        figures: PNG files written (empty without ``out`` or without matplotlib).
    """

    name: str
    headline: str
    columns: list[str]
    rows: list[list[Any]]
    values: dict[str, Any] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)

    def table(self) -> str:
        """The findings as an aligned text table."""
        cells = [[_fmt(c) for c in row] for row in self.rows]
        widths = [max(len(str(col)), *(len(r[i]) for r in cells)) if cells else len(str(col))
                  for i, col in enumerate(self.columns)]
        line = "  ".join(str(c).ljust(w) for c, w in zip(self.columns, widths))
        rule = "  ".join("-" * w for w in widths)
        body = ["  ".join(c.rjust(w) if _is_number(c) else c.ljust(w) for c, w in zip(r, widths))
                for r in cells]
        return "\n".join([line, rule, *body])

    def __str__(self) -> str:
        text = f"{self.name}: {self.headline}\n\n{self.table()}"
        if self.figures:
            text += "\n\nfigures:\n" + "\n".join(f"  {p}" for p in self.figures)
        return text


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.4f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def figure_path(out: Path | None, filename: str) -> Path | None:
    """Where a lesson's figure goes, or None when no figures are wanted / possible."""
    if out is None:
        return None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    Path(out).mkdir(parents=True, exist_ok=True)
    return Path(out) / filename
