"""``glassbox``: the command-line entry point (``glassbox.cli.main:main``).

Bad input (missing or malformed data, an unknown model, a corrupted checkpoint, ...)
ends with one ``glassbox: error: ...`` message on stderr and exit status 2, not a
traceback; a diverged training run exits with status 1. Set ``GLASSBOX_DEBUG=1`` to
get the full traceback instead.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from . import evaluate, summary, train, tune
from . import detect, lesson
from . import explain, predict
from . import export
from .common import CliError, Formatter


class _Parser(argparse.ArgumentParser):
    """Usage mistakes also end in a single ``glassbox: error:`` line (plus a --help hint)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"glassbox: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(
        prog="glassbox", formatter_class=Formatter,
        description="glassbox: deep learning on NumPy with every formula in sight. "
                    "Train, evaluate and inspect models on MNIST and Fashion-MNIST.",
        epilog="Run 'glassbox COMMAND --help' for the options of each command.")
    parser.add_argument("--version", action="version", version=f"glassbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    train.add_parser(sub)
    evaluate.add_parser(sub)
    summary.add_parser(sub)
    tune.add_parser(sub)
    detect.add_parser(sub)
    lesson.add_parser(sub)
    explain.add_parser(sub)
    predict.add_parser(sub)
    export.add_parser(sub)
    return parser


def _fail(exc: BaseException, code: int) -> None:
    if isinstance(exc, KeyError) and exc.args:
        message = str(exc.args[0])
    elif isinstance(exc, OSError) and exc.strerror and exc.filename is None and len(exc.args) == 2:
        message = exc.strerror  # our own OSErrors carry the whole sentence there
    else:
        message = str(exc)
    sys.stdout.flush()
    sys.stderr.write(f"glassbox: error: {message}\n")
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns 0 on success.

    Errors raise ``SystemExit`` with status 2 (bad input) or 1 (training diverged).
    """
    from ..data import DatasetNotFoundError
    from ..training import TrainingDivergedError
    from ..training.checkpoint import CheckpointError

    args = build_parser().parse_args(argv)
    if os.environ.get("GLASSBOX_DEBUG"):
        return args.func(args)
    try:
        return args.func(args)
    except BrokenPipeError:  # `glassbox ... | head`: the reader left; stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        raise SystemExit(141) from None
    except KeyboardInterrupt:
        sys.stderr.write("\nglassbox: interrupted\n")
        raise SystemExit(130) from None
    except TrainingDivergedError as exc:
        _fail(exc, 1)
    except (CliError, DatasetNotFoundError, CheckpointError, OSError, ValueError) as exc:
        _fail(exc, 2)
    return 0


if __name__ == "__main__":  # python -m glassbox.cli.main
    sys.exit(main())
