"""Checkpoints: weights, optimizer state and training progress in one ``.npz`` file.

The format cannot run code when loaded (it is read with ``allow_pickle=False``): a
plain NumPy ``.npz`` archive holding

* ``model/<parameter or buffer name>``: the model's ``state_dict()`` arrays;
* ``optim/<index>/<state name>``: the optimizer's per-parameter arrays (e.g. Adam's
  moments), parameters numbered as in ``optimizer.state_dict()``;
* ``extra/<key>``: array values of ``extra``;
* ``trainer/...``: arrays inside the trainer state (e.g. early stopping's best weights);
* ``__meta__``: UTF-8 JSON (as a uint8 array) with the format version, the model's
  class name and ``config`` (how to rebuild it, e.g. ``{"name": "mlp", "kwargs": {...}}``),
  the optimizer's class, parameter groups and scalar state (step counts), the epoch,
  the history, the global random generator's state, the other ``extra`` values, and a
  SHA-256 of all arrays so that silent corruption is detected.

Writes are atomic (see ``atomic.py``). Every problem on loading is a ``CheckpointError``
naming the file and what is wrong.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..random import get_rng_state, set_rng_state
from .atomic import _json_default, atomic_write
from .callbacks import History
from ..errors import CheckpointError

FORMAT = "glassbox-checkpoint"
FORMAT_VERSION = 1
META_KEY = "__meta__"




@dataclass
class Checkpoint:
    """What ``load_checkpoint`` read. ``model_state`` can go to ``model.load_state_dict``,
    ``optimizer_state`` to ``optimizer.load_state_dict``."""

    path: Path
    model_state: "OrderedDict[str, np.ndarray]"
    optimizer_state: dict[str, Any] | None = None
    epoch: int | None = None
    history: History | None = None
    config: dict[str, Any] | None = None
    rng_state: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def restore_rng(self) -> None:
        """Put the global random generator back in the state it had when saved."""
        if self.rng_state is None:
            raise CheckpointError(f"{self.path}: the checkpoint holds no random generator state")
        set_rng_state(self.rng_state)


# ------------------------------------------------------------------- helpers
def _glassbox_version() -> str | None:
    import glassbox  # late: glassbox/__init__ may still be importing this module

    return getattr(glassbox, "__version__", None)


def _payload_hash(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode("utf-8") + b"\0" + a.dtype.str.encode() + b"\0"
                 + repr(a.shape).encode() + b"\0")
        h.update(a.data if a.size else b"")
    return h.hexdigest()


def _history_dict(history: Any) -> dict[str, Any] | None:
    if history is None:
        return None
    if isinstance(history, History):
        return history.to_dict()
    if isinstance(history, dict):
        if "history" in history and isinstance(history["history"], dict):
            return {"epoch": list(history.get("epoch", [])), "history": dict(history["history"])}
        n = max((len(v) for v in history.values()), default=0)
        return {"epoch": list(range(n)), "history": dict(history)}
    raise TypeError(f"save_checkpoint: history must be a History or a dict, got {type(history).__name__}")


def _to_numpy(value: Any) -> np.ndarray:
    from .. import backend

    return np.asarray(backend.to_numpy(value))


def _collect(model: Any, optimizer: Any, extra: dict[str, Any] | None
             ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays to store and the JSON-able parts of the optimizer and ``extra``."""
    arrays: dict[str, np.ndarray] = {}
    for name, value in model.state_dict().items():
        arrays[f"model/{name}"] = _to_numpy(value)
    json_parts: dict[str, Any] = {}
    if optimizer is not None:
        sd = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for idx, entries in sd["state"].items():
            for key, value in entries.items():
                if hasattr(value, "shape") and not isinstance(value, np.generic):
                    arrays[f"optim/{int(idx)}/{key}"] = _to_numpy(value)
                else:
                    scalars.setdefault(str(int(idx)), {})[key] = value
        json_parts["optimizer"] = {
            "class": type(optimizer).__name__,
            "param_groups": sd["param_groups"],
            "scalars": scalars,
        }
    extra_json: dict[str, Any] = {}
    for key, value in (extra or {}).items():
        if not isinstance(key, str) or "/" in key:
            raise ValueError(f"save_checkpoint: extra keys must be strings without '/', got {key!r}")
        if isinstance(value, np.ndarray):
            arrays[f"extra/{key}"] = value
        else:
            extra_json[key] = value
    json_parts["extra"] = extra_json
    for name, a in arrays.items():
        if a.dtype.hasobject:
            raise TypeError(f"save_checkpoint: {name} has dtype object, which the format cannot hold")
    return arrays, json_parts


def _split_arrays(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with every array replaced by ``{"__array__": name}``, the arrays moved into
    ``arrays`` under ``prefix/...`` names (so JSON metadata can refer to them)."""
    if isinstance(value, dict):
        return {k: _split_arrays(v, f"{prefix}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_arrays(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic):
        arrays[prefix] = _to_numpy(value)
        return {"__array__": prefix}
    return value


def _join_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Undo ``_split_arrays``."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays) for v in value]
    return value


# ---------------------------------------------------------------------- save
def save_checkpoint(path: str | os.PathLike, model: Any, optimizer: Any = None,
                    epoch: int | None = None, history: Any = None,
                    extra: dict[str, Any] | None = None,
                    config: dict[str, Any] | None = None,
                    trainer_state: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (and optionally the optimizer, epoch, history, extras) to ``path``.

    Args:
        path: the file to write (``.npz`` is the natural suffix; it is not added).
        model: the ``Module`` whose ``state_dict()`` is saved.
        optimizer: its optimizer, to resume training with the same moments/step counts.
        epoch: the number of epochs completed.
        history: a ``History`` (or its ``.history`` dict).
        extra: any further JSON-able values (NumPy arrays are stored as arrays).
        config: how to rebuild the model, e.g. ``{"name": "mlp", "kwargs": {...}}``;
            defaults to ``model.config`` when the model has one.
        trainer_state: ``Trainer.state_dict()`` (``ModelCheckpoint`` passes it), which
            ``fit(resume=...)`` needs to continue the run exactly.

    The global random generator's state is saved too. The write is atomic: when it fails
    (e.g. the disk is full) the ``OSError`` names the file, and an earlier file of that name
    is left intact.
    """
    arrays, parts = _collect(model, optimizer, extra)
    if trainer_state is not None:
        trainer_state = _split_arrays(trainer_state, "trainer", arrays)
    if config is None:
        config = getattr(model, "config", None)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "glassbox_version": _glassbox_version(),
        "model_class": type(model).__name__,
        "config": config,
        "optimizer": parts.get("optimizer"),
        "epoch": None if epoch is None else int(epoch),
        "history": _history_dict(history),
        "rng_state": get_rng_state(),
        "extra": parts["extra"],
        "trainer": trainer_state,
        "sha256": _payload_hash(arrays),
    }
    try:
        meta_bytes = json.dumps(meta, default=_json_default).encode("utf-8")
    except TypeError as exc:
        raise TypeError(f"save_checkpoint: a value cannot be stored as JSON: {exc}") from None
    arrays[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)

    def write(f: Any) -> None:
        np.savez(f, **arrays)

    path = Path(path)
    try:
        return atomic_write(path, write)
    except OSError as exc:  # a full disk, a read-only folder, ...: say which file, and what survived
        kept = f"the previous {path.name} is intact" if path.is_file() else f"no {path.name} was written"
        raise type(exc)(exc.errno, f"could not write the checkpoint {path}: {exc.strerror or exc} "
                                   f"({kept})") from None


def save_weights(path: str | os.PathLike, model: Any, config: dict[str, Any] | None = None) -> Path:
    """Only the model's weights (and its config): a checkpoint without optimizer or history."""
    return save_checkpoint(path, model, config=config)


# ---------------------------------------------------------------------- load
def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every array of the file and the parsed metadata, checked against the stored hash."""
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a folder, not a file")
    try:
        raw = path.read_bytes()
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise CheckpointError(f"{path} is not a glassbox checkpoint (a bare .npy array, not an .npz archive)")
            arrays = {name: npz[name] for name in npz.files}
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001
        # A flipped header bit surfaces as almost anything inside zipfile/numpy
        # (BadZipFile, zlib.error, EOFError, NotImplementedError "strong encryption",
        # RuntimeError "password required", ...): all of them mean a damaged file.
        detail = "" if "pickle" in str(exc) else f": {exc}"  # never suggest unpickling
        raise CheckpointError(
            f"{path} is not a readable checkpoint (truncated or corrupted?){detail}"
        ) from None
    if META_KEY not in arrays:
        raise CheckpointError(f"{path} is not a glassbox checkpoint: it has no '{META_KEY}' entry")
    try:
        meta = json.loads(arrays.pop(META_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: the metadata is corrupted ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a glassbox checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version!r}; this glassbox reads up to "
            f"{FORMAT_VERSION} (upgrade glassbox)"
        )
    digest = _payload_hash(arrays)
    if digest != meta.get("sha256"):
        raise CheckpointError(
            f"{path} is corrupted: the SHA-256 of its arrays is {digest[:16]}..., "
            f"the file says {str(meta.get('sha256'))[:16]}..."
        )
    return arrays, meta


def _optimizer_state(arrays: dict[str, np.ndarray], info: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for idx, scalars in info.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(scalars)
    for name, value in arrays.items():
        if name.startswith("optim/"):
            _, idx, key = name.split("/", 2)
            state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": info["param_groups"]}


def load_checkpoint(path: str | os.PathLike, model: Any = None, optimizer: Any = None,
                    restore_rng: bool = False) -> Checkpoint:
    """Read a checkpoint; load it into ``model`` / ``optimizer`` when given.

    Args:
        path: the file ``save_checkpoint`` wrote.
        model: a model of the same architecture to receive the weights (in place).
        optimizer: an optimizer over that model's parameters to receive its state.
        restore_rng: also put the global random generator back in its saved state
            (to resume training exactly where it stopped).

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: the file is truncated, corrupted or not a checkpoint, or it
            does not fit ``model``/``optimizer`` (the message names the keys and shapes).
    """
    path = Path(path)
    arrays, meta = _read(path)
    model_state = OrderedDict(
        (name[len("model/"):], a) for name, a in arrays.items() if name.startswith("model/")
    )
    opt_info = meta.get("optimizer")
    optimizer_state = _optimizer_state(arrays, opt_info) if opt_info else None
    extra = dict(meta.get("extra") or {})
    extra.update({name[len("extra/"):]: a for name, a in arrays.items() if name.startswith("extra/")})
    if meta.get("trainer") is not None:
        meta["trainer"] = _join_arrays(meta["trainer"], arrays)
    hist = meta.get("history")
    ckpt = Checkpoint(
        path=path, model_state=model_state, optimizer_state=optimizer_state,
        epoch=meta.get("epoch"), history=History.from_dict(hist) if hist else None,
        config=meta.get("config"), rng_state=meta.get("rng_state"), extra=extra, meta=meta,
    )
    if optimizer is not None:  # everything that can be checked before anything changes
        if optimizer_state is None:
            raise CheckpointError(f"{path} holds no optimizer state (saved without an optimizer)")
        saved_class = opt_info.get("class")
        if saved_class != type(optimizer).__name__:
            raise CheckpointError(
                f"{path} holds the state of a {saved_class} optimizer, not of a "
                f"{type(optimizer).__name__}"
            )
    _load_all_or_nothing(path, meta, model, model_state, optimizer, optimizer_state)
    if restore_rng:
        ckpt.restore_rng()
    return ckpt


def _load_all_or_nothing(path: Path, meta: dict[str, Any], model: Any, model_state: Any,
                         optimizer: Any, optimizer_state: Any) -> None:
    """Load the model's and the optimizer's states, or neither: when the second does not
    fit, the first is put back as it was, so a failed load never leaves a half-loaded model."""
    import copy

    before_model = model.state_dict() if model is not None else None  # copies
    before_opt = copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None
    try:
        if model is not None:
            try:
                model.load_state_dict(model_state)
            except (KeyError, ValueError) as exc:
                msg = exc.args[0] if exc.args else str(exc)
                raise CheckpointError(
                    f"{path} does not fit the model {type(model).__name__} (saved from "
                    f"{meta.get('model_class')}): {msg}"
                ) from None
        if optimizer is not None:
            try:
                optimizer.load_state_dict(optimizer_state)
            except (KeyError, ValueError, IndexError, TypeError) as exc:
                msg = exc.args[0] if exc.args else str(exc)
                raise CheckpointError(f"{path} does not fit the optimizer (the model was left "
                                      f"unchanged): {msg}") from None
    except BaseException:
        if before_model is not None:
            model.load_state_dict(before_model)
        if before_opt is not None:
            optimizer.load_state_dict(before_opt)
        raise


def load_weights(path: str | os.PathLike, model: Any) -> Checkpoint:
    """Load only the weights of a checkpoint into ``model``."""
    return load_checkpoint(path, model=model)
