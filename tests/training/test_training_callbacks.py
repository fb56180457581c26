from __future__ import annotations

import io

import pytest

from glassbox import nn
from glassbox.optim import SGD
from glassbox.training import Callback, History, LambdaCallback, ProgressBar, fit


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_train_begin(self, logs):
        self.events.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs):
        self.events.append(("epoch_begin", epoch))

    def on_batch_begin(self, batch, logs):
        self.events.append(("batch_begin", batch))

    def on_after_backward(self, batch, logs):
        # gradients exist here and the step has not been taken yet
        grads = [p.grad for p in self.model.parameters()]
        self.events.append(("after_backward", batch, all(g is not None for g in grads)))

    def on_batch_end(self, batch, logs):
        self.events.append(("batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs):
        self.events.append(("train_end",))


def test_hooks_called_in_order_with_logs(data, tiny_mlp):
    x, y = data
    x, y = x[:40], y[:40]
    model = tiny_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    rec = Recorder()
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=(x, y), epochs=2, batch_size=16,
        callbacks=[rec], verbose=0, seed=0)
    names = [e[0] for e in rec.events]
    per_batch = ["batch_begin", "after_backward", "batch_end"]
    per_epoch = ["epoch_begin"] + per_batch * 3 + ["epoch_end"]  # 40 samples / 16 = 3 batches
    assert names == ["train_begin"] + per_epoch * 2 + ["train_end"]
    assert all(e[2] for e in rec.events if e[0] == "after_backward")
    batch_ends = [e for e in rec.events if e[0] == "batch_end"]
    assert [e[1] for e in batch_ends] == [0, 1, 2, 0, 1, 2]
    assert [e[2]["seen"] for e in batch_ends[:3]] == [16, 32, 40]
    assert all({"loss", "accuracy", "size"} <= set(e[2]) for e in batch_ends)
    epoch_ends = [e for e in rec.events if e[0] == "epoch_end"]
    assert [e[1] for e in epoch_ends] == [0, 1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} == set(epoch_ends[0][2])
    # the running loss after the last batch is the epoch's loss
    assert batch_ends[2][2]["loss"] == pytest.approx(epoch_ends[0][2]["loss"])


def test_callbacks_see_model_optimizer_and_history(data, tiny_mlp):
    x, y = data
    model = tiny_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    seen = []

    class Look(Callback):
        def on_epoch_end(self, epoch, logs):
            # History is updated before the user's callbacks run
            seen.append((self.model is model, self.optimizer is opt,
                         len(self.trainer.history.epoch), self.trainer.epochs))

    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, callbacks=[Look()], verbose=0)
    assert seen == [(True, True, 1, 2), (True, True, 2, 2)]


def test_stop_training_after_epoch_and_mid_epoch(data, tiny_mlp):
    x, y = data
    model = tiny_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    ends = []

    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                self.trainer.stop_training = True

    cb = LambdaCallback(on_train_end=lambda logs: ends.append(logs))
    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=10, callbacks=[StopAfterTwo(), cb], verbose=0)
    assert h.epoch == [0, 1] and len(h.history["loss"]) == 2
    assert ends == [{"epochs_run": 2}]

    batches = []

    class StopAtBatch(Callback):
        def on_batch_end(self, batch, logs):
            batches.append(batch)
            if batch == 2:
                self.trainer.stop_training = True

    h = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=5, batch_size=10,
            callbacks=[StopAtBatch()], verbose=0)
    assert batches == [0, 1, 2] and h.epoch == [0]


def test_lambda_callback_validation_and_call():
    calls = []
    cb = LambdaCallback(on_epoch_end=lambda e, logs: calls.append(e))
    cb.on_epoch_end(3, {})
    assert calls == [3]
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_epoch_finish=lambda e, l: None)
    with pytest.raises(TypeError, match="callable"):
        LambdaCallback(on_epoch_end=3)


def test_non_callback_rejected(data, tiny_mlp):
    x, y = data
    model = tiny_mlp()
    with pytest.raises(TypeError, match="Callback instances"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (x, y),
            callbacks=[lambda: None], verbose=0)


def test_history_round_trip_dict():
    h = History()
    h.on_epoch_end(0, {"loss": 1.0})
    h.on_epoch_end(1, {"loss": 0.5})
    again = History.from_dict(h.to_dict())
    assert again.history == {"loss": [1.0, 0.5]} and again.epoch == [0, 1]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _train(model, x, y, bar, epochs=2):
    return fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (x, y),
               epochs=epochs, batch_size=20, callbacks=[bar], verbose=0, seed=0)


def test_progress_not_a_terminal_prints_only_epoch_lines(data, tiny_mlp):
    x, y = data
    out = io.StringIO()  # isatty() is False, like a pipe or CI log
    _train(tiny_mlp(), x, y, ProgressBar(verbose=1, stream=out))
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2") and lines[1].startswith("Epoch 2/2")
    assert "loss" in lines[0] and "acc" in lines[0] and "img/s" in lines[0]


def test_progress_on_a_terminal_redraws_in_place(data, tiny_mlp):
    x, y = data
    out = _Tty()
    bar = ProgressBar(verbose=1, stream=out, refresh=0.0)  # draw every batch
    _train(tiny_mlp(), x, y, bar, epochs=1)
    text = out.getvalue()
    draws = text.split("\r")[1:]
    assert len(draws) >= 10  # 200 samples / 20 = 10 batches, then the summary
    assert any("1/10" in d for d in draws) and "10/10" in draws[-3] and "loss" in draws[-3]
    assert text.endswith("\n") and text.count("\n") == 1  # the bar's line is replaced, not kept
    assert draws[-1].startswith("Epoch 1/1") and "val" not in draws[-1]


def test_progress_fits_the_width(data, tiny_mlp):
    x, y = data
    out = _Tty()
    _train(tiny_mlp(), x, y, ProgressBar(verbose=1, stream=out, refresh=0.0, width=60), epochs=1)
    bars = [d for d in out.getvalue().split("\r") if "|" in d]
    assert bars and all(len(d.rstrip("\n")) <= 60 for d in bars)  # never wraps in a 60-column terminal


def test_progress_throttles_redraws(data, tiny_mlp):
    x, y = data
    out = _Tty()
    _train(tiny_mlp(), x, y, ProgressBar(verbose=1, stream=out, refresh=3600.0), epochs=1)
    # tqdm draws the empty bar, then (throttled) nothing until it closes and the summary comes
    assert out.getvalue().count("\r") <= 4


def test_progress_verbose_levels(data, tiny_mlp):
    x, y = data
    quiet, summary = _Tty(), _Tty()
    _train(tiny_mlp(), x, y, ProgressBar(verbose=0, stream=quiet))
    _train(tiny_mlp(), x, y, ProgressBar(verbose=2, stream=summary))
    assert quiet.getvalue() == ""
    assert "\r" not in summary.getvalue() and len(summary.getvalue().splitlines()) == 2
    with pytest.raises(ValueError, match="verbose"):
        ProgressBar(verbose=3)


def test_progress_val_label(data, tiny_mlp):
    x, y = data
    out = io.StringIO()
    fit(tiny_mlp(), nn.CrossEntropyLoss(), SGD(tiny_mlp().parameters(), lr=0.1), (x, y),
        val_data=(x, y), callbacks=[ProgressBar(stream=out, val_label="test")], verbose=0)
    assert "test_loss" in out.getvalue() and "test_acc" in out.getvalue()


def test_fit_verbose_default_writes_to_stdout(data, tiny_mlp, capsys):
    x, y = data
    model = tiny_mlp()
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (x, y), epochs=1)
    assert capsys.readouterr().out.startswith("Epoch 1/1")
    model = tiny_mlp()
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (x, y), epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
