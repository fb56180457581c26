"""``glassbox lesson``: list the lessons, or run one and print its findings."""
from __future__ import annotations

import argparse

from .common import CliError, add_subcommand


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = add_subcommand(
        sub, "lesson", run,
        help="run one of the course's experiments and print what it shows",
        description="Run a lesson: an experiment from the course notes, measured and (with "
                    "the plot extra) plotted. 'glassbox lesson list' shows them all.")
    p.add_argument("name", help="lesson name, or 'list'")
    p.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the lesson's PNG figures here (needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    from .. import lessons

    if args.name == "list":
        entries = lessons.available()
        width = max(len(n) for n, _ in entries) if entries else 0
        for name, summary in entries:
            print(f"{name.ljust(width)}  {summary}")
        return 0
    if args.name not in lessons.LESSONS:
        raise CliError(f"unknown lesson {args.name!r}; choose one of: {', '.join(lessons.LESSONS)}")
    if args.out is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            from ..plots import MISSING

            raise CliError(f"--out {args.out}: the figures need matplotlib, which is not installed "
                           f"({MISSING}); run without --out for the findings alone") from None
    print(lessons.run(args.name, quick=args.quick, out=args.out))
    return 0
