"""glassbox's exceptions: one base class, each also the built-in a user would catch.

    try:
        model(x)
    except gb.GlassboxError as err:      # anything glassbox raised on purpose
        ...

Every class subclasses the matching built-in too, so ``except ValueError`` keeps working:

    GlassboxError
    ├── InvalidArgumentError (ValueError)   a bad argument value: lr=-1, momentum=1.5
    │   ├── ShapeError                      a shape that does not fit: names expected and actual
    │   ├── DataError                       bad data at a boundary: NaN inputs, labels out of range
    │   └── CheckpointError                 a missing, corrupt or mismatching checkpoint
    ├── AxisError (IndexError, ValueError)  an axis/dim out of range (PyTorch: IndexError)
    ├── GlassboxTypeError (TypeError)       an argument of the wrong type
    ├── GlassboxRuntimeError (RuntimeError) a wrong state: a tensor modified in place after
    │   │                                   it was saved for backward, backward twice, …
    │   └── TrainingDivergedError           the loss became NaN/inf or exploded
    └── DatasetNotFoundError (FileNotFoundError)
"""
from __future__ import annotations


class GlassboxError(Exception):
    """Base class of every error glassbox raises on purpose."""


class InvalidArgumentError(GlassboxError, ValueError):
    """An argument has a value glassbox cannot use."""


class ShapeError(InvalidArgumentError):
    """An input's shape does not fit the op or layer; the message names both shapes."""


class DataError(InvalidArgumentError):
    """Data given to ``fit``/``evaluate``/a loader is unusable (NaN, inf, labels out of range)."""


class CheckpointError(InvalidArgumentError):
    """A checkpoint file is missing, corrupt, or does not match the model/optimizer."""


class AxisError(GlassboxError, IndexError, ValueError):
    """An axis (``dim``) is out of range for the tensor's number of dimensions."""


class GlassboxTypeError(GlassboxError, TypeError):
    """An argument has the wrong type."""


class GlassboxRuntimeError(GlassboxError, RuntimeError):
    """An operation is not possible in the current state."""


class TrainingDivergedError(GlassboxRuntimeError):
    """Training produced a non-finite or exploding loss."""


class DatasetNotFoundError(GlassboxError, FileNotFoundError):
    """A dataset could not be found in any of the places looked in."""
