from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.optim import SGD, Adam
from glassbox.random import default_generator, get_rng_state
from glassbox.training import fit
from glassbox.training.checkpoint import (
    CheckpointError, load_checkpoint, load_weights, save_checkpoint, save_weights,
)


def _step(model, opt, x, y):
    opt.zero_grad()
    nn.CrossEntropyLoss()(model(gb.tensor(x)), gb.tensor(y)).backward()
    opt.step()


def _weights(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def test_round_trip_weights_optimizer_epoch_history_rng(tmp_path, data, tiny_mlp):
    x, y = data
    model = tiny_mlp(seed=1)
    opt = Adam(model.parameters(), lr=0.01)
    history = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, verbose=0, seed=0)
    path = tmp_path / "run" / "ckpt.npz"  # the folder is created
    gb.manual_seed(99)
    rng_before = get_rng_state()
    save_checkpoint(path, model, opt, epoch=2, history=history,
                    extra={"note": "hi", "mask": np.arange(3)}, config={"name": "tiny"})
    expected_draw = default_generator().random(4)

    # the reference: one more step of the original
    xb, yb = x[:16], y[:16]
    _step(model, opt, xb, yb)
    after_ref = _weights(model)

    # a fresh model and optimizer restored from the file take the very same step
    fresh = tiny_mlp(seed=2)
    fresh_opt = Adam(fresh.parameters(), lr=0.5)
    gb.manual_seed(12345)
    ckpt = load_checkpoint(path, fresh, fresh_opt, restore_rng=True)
    assert ckpt.epoch == 2 and ckpt.config == {"name": "tiny"}
    assert ckpt.history.history == history.history and ckpt.history.epoch == history.epoch
    assert ckpt.extra["note"] == "hi"
    np.testing.assert_array_equal(ckpt.extra["mask"], np.arange(3))
    assert ckpt.rng_state == rng_before
    np.testing.assert_array_equal(default_generator().random(4), expected_draw)
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    _step(fresh, fresh_opt, xb, yb)
    for k, v in _weights(fresh).items():
        np.testing.assert_array_equal(v, after_ref[k])


def test_file_format_is_plain_npz_without_pickles(tmp_path, tiny_mlp):
    model = tiny_mlp()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    path = save_checkpoint(tmp_path / "c.npz", model, opt, epoch=1)
    with np.load(path, allow_pickle=False) as npz:
        names = set(npz.files)
        meta = json.loads(npz["__meta__"].tobytes().decode("utf-8"))
        assert npz["__meta__"].dtype == np.uint8
        assert all(npz[n].dtype != object for n in names)
    assert {"model/0.weight", "model/0.bias", "model/2.weight", "model/2.bias"} <= names
    assert meta["format_version"] == 1 and meta["model_class"] == "Sequential"
    assert meta["optimizer"]["class"] == "SGD" and meta["epoch"] == 1
    assert len(meta["sha256"]) == 64
    assert os.listdir(tmp_path) == ["c.npz"]  # no temp file left behind


def test_optimizer_arrays_and_scalars_are_stored(tmp_path, data, tiny_mlp):
    x, y = data
    model = tiny_mlp()
    opt = Adam(model.parameters(), lr=0.01)
    _step(model, opt, x[:8], y[:8])
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    with np.load(path, allow_pickle=False) as npz:
        assert "optim/0/exp_avg" in npz.files and "optim/3/exp_avg_sq" in npz.files
    state = load_checkpoint(path).optimizer_state
    assert state["state"][0]["step"] == 1
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_atomic_write_keeps_old_file_on_failure(tmp_path, tiny_mlp, monkeypatch):
    model = tiny_mlp()
    path = tmp_path / "c.npz"
    save_checkpoint(path, model, epoch=1)
    old = path.read_bytes()
    real_savez = np.savez

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")  # some bytes reach the temp file, then it fails
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, tiny_mlp(seed=3), epoch=2)
    monkeypatch.setattr(np, "savez", real_savez)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["c.npz"]
    assert load_checkpoint(path).epoch == 1


def test_truncated_file_gives_checkpoint_error(tmp_path, tiny_mlp):
    path = save_checkpoint(tmp_path / "c.npz", tiny_mlp())
    raw = path.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10, 10):
        path.write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match=str(path)) as info:
            load_checkpoint(path)
        assert "truncated or corrupted" in str(info.value)


def test_flipped_bytes_give_checkpoint_error(tmp_path, tiny_mlp):
    model = tiny_mlp(hidden=64)
    path = save_checkpoint(tmp_path / "c.npz", model)
    raw = path.read_bytes()
    original = load_checkpoint(path).model_state
    # flips inside the stored arrays (weights or metadata) are always detected
    weight = model.state_dict()["0.weight"].tobytes()
    start = raw.find(weight)
    assert start > 0
    meta_at = raw.find(b'"format": "glassbox-checkpoint"')
    assert meta_at > 0
    for pos in (start, start + len(weight) // 2, start + len(weight) - 1, meta_at + 3):
        bad = bytearray(raw)
        bad[pos] ^= 0x5A
        path.write_bytes(bytes(bad))
        with pytest.raises(CheckpointError, match=str(path)):
            load_checkpoint(path)
    # anywhere else (zip headers, timestamps): an error, or — if the flip hit a field that
    # carries no data — exactly the original arrays, never silently different numbers
    for pos in np.random.default_rng(0).integers(0, len(raw), 200):
        bad = bytearray(raw)
        bad[pos] ^= 0x5A
        path.write_bytes(bytes(bad))
        try:
            state = load_checkpoint(path).model_state
        except CheckpointError as exc:
            assert str(path) in str(exc)
        else:
            assert list(state) == list(original)
            for k, v in state.items():
                np.testing.assert_array_equal(v, original[k])


def test_hash_catches_corruption_the_zip_cannot(tmp_path, tiny_mlp):
    # rewrite one weight inside a valid archive (fresh CRCs): only the SHA-256 notices
    path = save_checkpoint(tmp_path / "c.npz", tiny_mlp())
    with np.load(path, allow_pickle=False) as npz:
        arrays = {n: npz[n] for n in npz.files}
    arrays["model/0.bias"] = arrays["model/0.bias"] + 1
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match="corrupted: the SHA-256"):
        load_checkpoint(path)


def test_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.npz"):
        load_checkpoint(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(3))
    with pytest.raises(CheckpointError, match="no '__meta__' entry"):
        load_checkpoint(plain)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_checkpoint(tmp_path / "missing.npz")
    with zipfile.ZipFile(tmp_path / "pickle.npz", "w") as z:  # an object array needs pickle
        import io
        buf = io.BytesIO()
        np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        z.writestr("__meta__.npy", buf.getvalue())
    with pytest.raises(CheckpointError, match="pickle.npz"):
        load_checkpoint(tmp_path / "pickle.npz")


def test_wrong_architecture_names_keys_and_shapes(tmp_path, tiny_mlp):
    path = save_checkpoint(tmp_path / "c.npz", tiny_mlp(hidden=8))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, tiny_mlp(hidden=16))
    msg = str(info.value)
    assert str(path) in msg and "0.weight: checkpoint (8, 2) vs model (16, 2)" in msg
    deeper = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, deeper)
    assert "missing keys ['4.weight', '4.bias']" in str(info.value)


def test_optimizer_mismatches(tmp_path, data, tiny_mlp):
    x, y = data
    model = tiny_mlp()
    path = save_checkpoint(tmp_path / "weights.npz", model)
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(path, model, SGD(model.parameters(), lr=0.1))
    opt = Adam(model.parameters())
    _step(model, opt, x[:8], y[:8])
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    with pytest.raises(CheckpointError, match="state of a Adam optimizer, not of a SGD"):
        load_checkpoint(path, model, SGD(model.parameters(), lr=0.1))
    other = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2), nn.ReLU(), nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match="does not fit the optimizer"):
        load_checkpoint(path, None, Adam(other.parameters()))


def test_save_and_load_weights(tmp_path, tiny_mlp):
    model = tiny_mlp(seed=4)
    path = save_weights(tmp_path / "w.npz", model, config={"name": "tiny"})
    fresh = tiny_mlp(seed=5)
    ckpt = load_weights(path, fresh)
    assert ckpt.optimizer_state is None and ckpt.config == {"name": "tiny"}
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v, model.state_dict()[k])


def test_bad_extra_values(tmp_path, tiny_mlp):
    with pytest.raises(TypeError, match="JSON"):
        save_checkpoint(tmp_path / "c.npz", tiny_mlp(), extra={"f": object()})
    with pytest.raises(ValueError, match="without '/'"):
        save_checkpoint(tmp_path / "c.npz", tiny_mlp(), extra={"a/b": 1})
    assert not (tmp_path / "c.npz").exists()


def test_a_text_file_is_rejected_without_unpickling_advice(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("garbage\n")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(bad)
    assert "not a readable checkpoint" in str(info.value)
    assert "pickle" not in str(info.value)
