"""EarlyStopping, ModelCheckpoint, CSV/JSON loggers, LR callback, validation_freq, parameter groups."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.optim import SGD, Adam, CosineAnnealingLR, ReduceLROnPlateau, StepLR
from glassbox.training import (
    Callback, CSVLogger, EarlyStopping, JSONLogger, LRSchedulerCallback, ModelCheckpoint, fit,
)
from glassbox.training.checkpoint import load_checkpoint


class Snapshots(Callback):
    """The model's weights after every epoch."""

    def __init__(self):
        self.states = []

    def on_epoch_end(self, epoch, logs):
        self.states.append(self.model.state_dict())


def overfit_setup(seed=0):
    """A wide net on 24 noisy points: the training loss keeps falling, val loss turns up."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(24, 10)).astype(np.float32)
    y = rng.integers(0, 2, 24)
    xv = rng.normal(size=(200, 10)).astype(np.float32)
    yv = rng.integers(0, 2, 200)
    gb.manual_seed(seed)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 2))
    return model, (x, y), (xv, yv)


def test_early_stopping_stops_and_restores_best_epoch_weights():
    model, train, val = overfit_setup()
    snaps = Snapshots()
    es = EarlyStopping(patience=3)
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), 0.01), train, val_data=val,
            epochs=100, batch_size=8, callbacks=[snaps, es], verbose=0, seed=0)
    val_loss = h.history["val_loss"]
    ran = len(h.epoch)
    assert ran < 100                                   # it stopped
    assert es.best_epoch == int(np.argmin(val_loss))   # best = minimum of the recorded val loss
    assert es.stopped_epoch == ran - 1 == es.best_epoch + 3
    assert h.history["stopped_epoch"] == [es.stopped_epoch]
    assert h.history["best_epoch"] == [es.best_epoch]
    assert h.history["loss"][-1] < h.history["loss"][es.best_epoch]  # training loss still fell
    final = model.state_dict()
    for k, v in snaps.states[es.best_epoch].items():
        np.testing.assert_array_equal(final[k], v)     # the best epoch's weights are back
    assert not np.array_equal(final["0.weight"], snaps.states[-1]["0.weight"])


def test_early_stopping_min_delta_mode_and_missing_metric():
    es = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05, restore_best_weights=False)
    assert es.mode == "max"

    class FakeTrainer:
        stop_training = False

    es.trainer = FakeTrainer()
    es.on_train_begin({})
    es.on_epoch_end(0, {"val_accuracy": 0.5})
    es.on_epoch_end(1, {"loss": 1.0})                  # not validated: not counted
    assert not es.trainer.stop_training
    es.on_epoch_end(2, {"val_accuracy": 0.54})         # +0.04 < min_delta: no improvement
    assert es.trainer.stop_training and es.stopped_epoch == 2 and es.best_epoch == 0
    model, train, _ = overfit_setup()
    with pytest.warns(RuntimeWarning, match="never appeared"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, epochs=1,
            callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="EarlyStopping: patience"):
        EarlyStopping(patience=-1)


def test_validation_freq_every_n_epochs(capsys):
    model, train, val = overfit_setup()
    seen = []
    cb = gb.training.LambdaCallback(on_epoch_end=lambda e, logs: seen.append("val_loss" in logs))
    h = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, val_data=val,
            epochs=7, batch_size=8, validation_freq=3, callbacks=[cb], verbose=0)
    assert seen == [False, False, True, False, False, True, False]
    vl = h.history["val_loss"]
    assert len(vl) == 7 and [not math.isnan(v) for v in vl] == seen   # aligned, NaN elsewhere
    h2 = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, val_data=val,
             epochs=3, validation_freq=[1, 3], verbose=0)
    assert [not math.isnan(v) for v in h2.history["val_accuracy"]] == [True, False, True]
    with pytest.raises(ValueError, match="validation_freq"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, validation_freq=0)


def test_model_checkpoint_best_and_last(tmp_path):
    model, train, val = overfit_setup()
    snaps = Snapshots()
    ckpt = ModelCheckpoint(tmp_path / "run")
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), 0.01), train, val_data=val,
            epochs=12, batch_size=8, callbacks=[snaps, ckpt], verbose=0, seed=0)
    best = int(np.argmin(h.history["val_loss"]))
    assert ckpt.best_epoch == best and ckpt.best == pytest.approx(min(h.history["val_loss"]))
    fresh = overfit_setup(1)[0]
    c = load_checkpoint(tmp_path / "run" / "best.npz", fresh)
    assert c.epoch == best + 1
    for k, v in snaps.states[best].items():
        np.testing.assert_array_equal(fresh.state_dict()[k], v)
    c = load_checkpoint(tmp_path / "run" / "last.npz", fresh)
    assert c.epoch == 12 and c.optimizer_state is not None
    np.testing.assert_array_equal(fresh.state_dict()["0.weight"], snaps.states[-1]["0.weight"])
    assert not list((tmp_path / "run").glob("*.tmp"))   # atomic writes leave no temp files


def test_model_checkpoint_templated_file_save_best_only(tmp_path):
    model, train, val = overfit_setup()
    ckpt = ModelCheckpoint(tmp_path / "ep{epoch:02d}-{val_loss:.3f}.npz", save_best_only=True)
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), 0.01), train, val_data=val,
            epochs=10, batch_size=8, callbacks=[ckpt], verbose=0, seed=0)
    vl = h.history["val_loss"]
    improving = [e for e in range(10) if vl[e] < min(vl[:e], default=math.inf)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"ep{e + 1:02d}-{vl[e]:.3f}.npz" for e in improving]
    bad = ModelCheckpoint(tmp_path / "x-{nope}.npz")
    with pytest.raises(ValueError, match="cannot fill the file name"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, callbacks=[bad], verbose=0)


def test_csv_and_json_loggers(tmp_path):
    model, train, val = overfit_setup()
    csv_path, json_path = tmp_path / "log.csv", tmp_path / "log.json"
    h = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, val_data=val,
            epochs=4, validation_freq=2, callbacks=[CSVLogger(csv_path), JSONLogger(json_path)],
            verbose=0)
    rows = list(csv.DictReader(open(csv_path)))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert [r["val_loss"] for r in rows][0] == ""      # not validated: empty cell
    assert float(rows[1]["val_loss"]) == pytest.approx(h.history["val_loss"][1])
    assert [float(r["loss"]) for r in rows] == pytest.approx(h.history["loss"])
    data = json.loads(json_path.read_text())
    assert [e["loss"] for e in data["epochs"]] == pytest.approx(h.history["loss"])
    assert "val_loss" not in data["epochs"][0] and "val_loss" in data["epochs"][3]
    # append: a second run continues the file
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), 0.1), train, epochs=2,
        callbacks=[CSVLogger(csv_path, append=True)], verbose=0)
    assert len(list(csv.DictReader(open(csv_path)))) == 6


def test_lr_callback_per_epoch_records_the_rate_used():
    model, train, val = overfit_setup()
    opt = SGD(model.parameters(), 0.1)
    cb = LRSchedulerCallback(StepLR(opt, step_size=2, gamma=0.5))
    h = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=5, callbacks=[cb], verbose=0)
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert cb.lrs == pytest.approx(h.history["lr"])


def test_lr_callback_per_batch_cosine_matches_formula():
    model, train, _ = overfit_setup()
    opt = SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}], lr=0.1)
    steps = 3 * 2  # 24 samples / batch 8 = 3 batches, 2 epochs
    cb = LRSchedulerCallback(CosineAnnealingLR(opt, T_max=steps), per="batch")
    h = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=2, batch_size=8, callbacks=[cb], verbose=0)
    expected = [0.5 * (1 + math.cos(math.pi * t / steps)) for t in range(steps)]
    assert cb.lrs == pytest.approx([0.1 * f for f in expected])
    assert [g[1] for g in cb.group_lrs] == pytest.approx([0.01 * f for f in expected])
    assert h.history["lr"] == pytest.approx([0.1 * expected[2], 0.1 * expected[5]])  # each epoch's last batch
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # the deferred step at the end


def test_lr_callback_plateau_gets_the_monitored_metric():
    model, train, val = overfit_setup()
    opt = Adam(model.parameters(), 0.01)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    h = fit(model, nn.CrossEntropyLoss(), opt, train, val_data=val, epochs=15, batch_size=8,
            callbacks=[LRSchedulerCallback(sched)], verbose=0, seed=0)
    # replay the val losses through a fresh scheduler: same reductions
    ref = ReduceLROnPlateau(Adam(overfit_setup()[0].parameters(), 0.01), factor=0.5, patience=1)
    expected = []
    for v in h.history["val_loss"]:
        expected.append(ref.optimizer.param_groups[0]["lr"])
        ref.step(v)
    assert h.history["lr"] == pytest.approx(expected)
    assert sched.num_reductions >= 1
    with pytest.raises(ValueError, match="per='epoch'"):
        LRSchedulerCallback(sched, per="batch")


def test_output_layer_learning_rate_via_parameter_groups():
    """The course's fix: a smaller lr (0.1) for the output layer only, through a parameter group."""
    model, train, _ = overfit_setup()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    opt = SGD([{"params": model[0].parameters()},                 # hidden layer: default lr 1.0
               {"params": model[2].parameters(), "lr": 0.1}], lr=1.0)
    x, y = train
    loss = nn.CrossEntropyLoss()(model(gb.Tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    grads = {name: p.grad.data.copy() for name, p in model.named_parameters()}
    opt.step()
    after = model.state_dict()
    for name in ("0.weight", "0.bias"):
        np.testing.assert_allclose(after[name], before[name] - 1.0 * grads[name], rtol=1e-6)
    for name in ("2.weight", "2.bias"):
        np.testing.assert_allclose(after[name], before[name] - 0.1 * grads[name], rtol=1e-6)
