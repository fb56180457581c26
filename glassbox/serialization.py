"""``gb.save(state_dict, path)`` / ``gb.load(path)``: weights in files other tools read.

* ``.safetensors`` (the safetensors format, through the ``safetensors`` library's NumPy
  API): a JSON header of names, dtypes and shapes, then the raw little-endian bytes.
  PyTorch reads it with ``safetensors.torch.load_file(path)``; with glassbox's
  PyTorch-identical ``state_dict`` keys the result goes straight into
  ``model.load_state_dict(...)``, and a PyTorch user's file loads here the same way.
* any other suffix: a NumPy ``.npz`` of plain arrays, written and read without pickle.

These files hold weights only. Resuming training (optimizer state, epoch, history) is the
job of the ``.npz`` training checkpoint: ``save_checkpoint`` / ``load_checkpoint``.

Unlike ``torch.save``, which pickles any object, ``save`` takes a state dict — a mapping
of names to arrays or Tensors, e.g. ``model.state_dict()`` — and ``load`` returns one
(name → NumPy array). Nothing is ever unpickled, so loading an untrusted file runs no code.
"""
from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .core.tensor import Tensor
from .errors import CheckpointError, GlassboxTypeError

SAFETENSORS_SUFFIX = ".safetensors"


def _is_safetensors(path: Path) -> bool:
    return path.suffix.lower() == SAFETENSORS_SUFFIX


def _arrays(obj: Any, where: str) -> "OrderedDict[str, np.ndarray]":
    """The state dict as contiguous NumPy arrays, checked."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict) and not isinstance(obj, Mapping):
        raise GlassboxTypeError(
            f"{where}: got a {type(obj).__name__}; save its weights with "
            f"{where}(model.state_dict(), path) (load them back with "
            f"model.load_state_dict(gb.load(path)))")
    if not isinstance(obj, Mapping):
        raise GlassboxTypeError(f"{where}: expected a state dict (a mapping of names to arrays), "
                                f"got {type(obj).__name__}")
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    for key, value in obj.items():
        if not isinstance(key, str):
            raise GlassboxTypeError(f"{where}: state dict keys must be strings, got {key!r}")
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype == object:
            raise GlassboxTypeError(f"{where}: {key!r} is not a numeric array "
                                    f"(got {type(value).__name__})")
        out[key] = array if array.flags.c_contiguous else array.copy(order="C")  # (keeps 0-d)
    return out


def save(obj: Mapping[str, Any], path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> Path:
    """Write a state dict (name → array or Tensor) to ``path``; returns the path.

    ``.safetensors`` files get ``metadata`` in their header (strings only; ``format``
    defaults to "pt", which PyTorch tooling expects for PyTorch-named weights); other
    suffixes give a pickle-free ``.npz``. The file is written atomically (a crash never
    leaves half a file under ``path``).
    """
    from .training.atomic import atomic_write

    target = Path(os.fspath(path))
    arrays = _arrays(obj, "save")
    if _is_safetensors(target):
        from safetensors.numpy import save as to_bytes

        header = {"format": "pt", **{str(k): str(v) for k, v in (metadata or {}).items()}}
        blob = to_bytes(dict(arrays), metadata=header)
        atomic_write(target, lambda fh: fh.write(blob))
    else:
        atomic_write(target, lambda fh: np.savez(fh, **arrays))
    return target


def load(path: str | os.PathLike) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by ``save`` (or by PyTorch's safetensors, or ``np.savez``).

    Returns name → NumPy array, in the order the file stores them. Raises
    ``FileNotFoundError`` for a missing file and ``CheckpointError`` for one that is not a
    valid safetensors / npz file.
    """
    source = Path(os.fspath(path))
    if not source.is_file():
        raise FileNotFoundError(f"load: no such file: {source}")
    try:
        if _is_safetensors(source):
            from safetensors.numpy import load_file

            return OrderedDict(load_file(str(source)))
        with np.load(source, allow_pickle=False) as data:
            return OrderedDict((k, data[k]) for k in data.files)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"load: {source} is not a valid .npz file ({exc})") from None
    except ValueError as exc:  # pickled object arrays are refused by allow_pickle=False
        raise CheckpointError(f"load: {source} cannot be read without unpickling ({exc}); "
                              f"gb.load reads plain arrays only") from None
    except Exception as exc:  # safetensors raises its own SafetensorError for a bad header
        if type(exc).__name__ == "SafetensorError":
            raise CheckpointError(f"load: {source} is not a valid .safetensors file ({exc})") from None
        raise


def safetensors_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The string metadata in a ``.safetensors`` file's header (``{}`` when there is none)."""
    from safetensors import safe_open

    with safe_open(os.fspath(path), framework="numpy") as fh:
        return dict(fh.metadata() or {})


__all__ = ["save", "load", "safetensors_metadata"]
