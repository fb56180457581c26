"""fit(resume=...) + ModelCheckpoint: an interrupted run continues bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import DataLoader, TensorDataset
from glassbox.data.augment import AugmentedLoader, RandomShift
from glassbox.errors import CheckpointError
from glassbox.optim.lr_scheduler import CosineAnnealingLR
from glassbox.training import Callback, fit
from glassbox.training.checkpoint import load_checkpoint, save_checkpoint
from glassbox.training.early_stopping import EarlyStopping
from glassbox.training.lr_callback import LRSchedulerCallback
from glassbox.training.model_checkpoint import ModelCheckpoint

rng = np.random.default_rng(0)
X = rng.random((120, 1, 28, 28)).astype(np.float32)
Y = rng.integers(0, 10, 120)
VAL = (X[:20], Y[:20])


class Interrupt(Exception):
    pass


class KillAt(Callback):
    """Stands for a crash: raises at a given optimizer step (12 steps per epoch here)."""

    def __init__(self, step: int) -> None:
        self.at = step

    def on_batch_end(self, batch, logs):
        if self.trainer.global_step == self.at:
            raise Interrupt


def _setup(augment=True):
    gb.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 10))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = LRSchedulerCallback(CosineAnnealingLR(opt, T_max=48), per="batch")
    data = DataLoader(TensorDataset(X, Y), batch_size=10, shuffle=True, seed=1)
    if augment:
        data = AugmentedLoader(data, RandomShift(1), seed=2)
    return model, opt, sched, data


def _run(folder=None, every=None, kill=None, resume=None, extra=(), augment=True):
    model, opt, sched, data = _setup(augment)
    cbs = [sched, *extra]
    if folder is not None:
        cbs.append(ModelCheckpoint(folder, monitor="val_loss", every_n_steps=every))
    if kill is not None:
        cbs.append(KillAt(kill))
    history = fit(model, nn.CrossEntropyLoss(), opt, data, val_data=VAL, epochs=4, callbacks=cbs,
                  verbose=0, resume=resume)
    return model, opt, history


def _assert_same(a, b):
    (ma, oa, ha), (mb, ob, hb) = a, b
    for (name, wa), wb in zip(ma.state_dict().items(), mb.state_dict().values()):
        np.testing.assert_array_equal(wa, wb, err_msg=name)
    assert [g["lr"] for g in oa.param_groups] == [g["lr"] for g in ob.param_groups]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert ha.history[key] == hb.history[key], key
    assert ha.epoch == hb.epoch


@pytest.mark.parametrize("every, kill", [(None, 30), (5, 30), (5, 36), (None, 13), (1, 2)])
def test_resume_is_bit_identical(tmp_path, every, kill):
    reference = _run()
    with pytest.raises(Interrupt):
        _run(tmp_path, every, kill)
    resumed = _run(tmp_path, every, resume=tmp_path)  # a folder means its last.npz
    _assert_same(reference, resumed)


def test_resume_plain_arrays_and_early_stopping_state(tmp_path):
    def run(kill=None, resume=None):
        gb.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        opt = optim.SGD(model.parameters(), lr=0.5)
        stop = EarlyStopping("val_loss", patience=1)
        cbs = [stop, ModelCheckpoint(tmp_path, monitor="val_loss")] + ([KillAt(kill)] if kill else [])
        h = fit(model, nn.CrossEntropyLoss(), opt, (X, Y), val_data=VAL, epochs=6, batch_size=16,
                callbacks=cbs, verbose=0, seed=5, resume=resume)
        return model, stop, h

    m1, s1, h1 = run()
    with pytest.raises(Interrupt):
        run(kill=9)  # in epoch 2 (8 steps per epoch)
    m2, s2, h2 = run(resume=tmp_path / "last.npz")
    assert h1.history["val_loss"] == h2.history["val_loss"] and s1.best_epoch == s2.best_epoch
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        np.testing.assert_array_equal(a, b)  # the best weights were restored in both


def test_resuming_a_finished_run_trains_no_more(tmp_path):
    first = _run(tmp_path)
    again = _run(tmp_path, resume=tmp_path / "last.npz")
    _assert_same(first, again)
    assert len(again[2].epoch) == 4


def test_resume_needs_the_same_callbacks(tmp_path):
    with pytest.raises(Interrupt):
        _run(tmp_path, kill=15)
    model, opt, _, data = _setup()
    with pytest.raises(CheckpointError, match=r"LRSchedulerCallback#0.*same callbacks"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=4, verbose=0,
            callbacks=[ModelCheckpoint(tmp_path, monitor=None)], resume=tmp_path)
    plain = tmp_path / "plain.npz"
    save_checkpoint(plain, model, opt)
    with pytest.raises(CheckpointError, match="holds no training state"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=4, verbose=0, resume=plain)


def test_loading_is_all_or_nothing(tmp_path):
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(gb.Tensor(np.ones((2, 4), np.float32))).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.npz", model, opt)
    gb.manual_seed(1)
    other = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    before = {k: v.copy() for k, v in other.state_dict().items()}
    partial = optim.Adam(list(other.parameters())[:2], lr=0.1)  # fits the model, not the optimizer
    with pytest.raises(CheckpointError, match="does not fit the optimizer .*model was left unchanged"):
        load_checkpoint(tmp_path / "c.npz", model=other, optimizer=partial)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(CheckpointError, match="Adam optimizer, not of a SGD"):
        load_checkpoint(tmp_path / "c.npz", model=other, optimizer=optim.SGD(other.parameters(), lr=1))
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_save_failure_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    from glassbox.training import checkpoint as ckpt_mod

    model = nn.Linear(2, 2)
    path = save_checkpoint(tmp_path / "m.npz", model)
    old = path.read_bytes()

    def full(path, write):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt_mod, "atomic_write", full)
    with pytest.raises(OSError, match=r"could not write the checkpoint .*m.npz: No space left on device "
                                      r"\(the previous m.npz is intact\)"):
        save_checkpoint(path, model)
    assert path.read_bytes() == old


def test_dataloader_state_mid_epoch_continues_the_same_order():
    data = TensorDataset(np.arange(23.0), np.arange(23))
    ref = DataLoader(data, batch_size=4, shuffle=True, seed=1)
    expected = [b[1].data.tolist() for _ in range(3) for b in ref]
    first = DataLoader(data, batch_size=4, shuffle=True, seed=1)
    it = iter(first)
    got = [next(it)[1].data.tolist() for _ in range(2)]
    second = DataLoader(data, batch_size=4, shuffle=True, seed=42)
    second.load_state_dict(first.state_dict())
    got += [b[1].data.tolist() for _ in range(2) for b in second]
    third = DataLoader(data, batch_size=4, shuffle=True, seed=7)
    third.load_state_dict(second.state_dict())  # at an epoch boundary
    got += [b[1].data.tolist() for b in third]
    assert got == expected  # 2 + 4 batches of epoch 1, then epochs 2 and 3 (6 batches each)
