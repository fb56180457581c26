"""Random and coarse-to-fine search on cheap synthetic objectives: finding the optimum,
seeding, zooming, failures, the table, JSON round trips and checkpoint pruning."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassbox import nn
from glassbox.training import TrainingDivergedError
from glassbox.tune import (
    Choice, IntUniform, LogUniform, OneMinusLogUniform, TuneResult, coarse_to_fine, random_search,
    zoom_space,
)


def bowl(params):
    """Best at lr = 10^-2.5; the score only depends on the exponent."""
    return {"score": -(np.log10(params["lr"]) + 2.5) ** 2, "log_lr": float(np.log10(params["lr"]))}


def test_random_search_finds_the_optimum_of_a_cheap_objective():
    result = random_search(bowl, {"lr": LogUniform(1e-5, 1.0)}, trials=64, seed=0)
    assert len(result.trials) == 64
    best = result.best
    assert abs(np.log10(best.params["lr"]) + 2.5) < 0.2
    assert best.score == max(t.score for t in result.trials)


def test_ranked_is_sorted_and_minimize_flips_it():
    result = random_search(bowl, {"lr": LogUniform(1e-5, 1.0)}, trials=20, seed=1)
    scores = [t.score for t in result.ranked()]
    assert scores == sorted(scores, reverse=True)
    low = random_search(bowl, {"lr": LogUniform(1e-5, 1.0)}, trials=20, seed=1, maximize=False)
    assert [t.params for t in low.trials] == [t.params for t in result.trials]
    assert low.best.score == min(scores)


def test_same_seed_same_trials():
    space = {"lr": LogUniform(1e-4, 1e-1), "beta": OneMinusLogUniform(0.9, 0.999), "act": Choice(["a", "b"])}
    a = random_search(bowl, space, trials=6, seed=3)
    b = random_search(bowl, space, trials=6, seed=3)
    c = random_search(bowl, space, trials=6, seed=4)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    ca = coarse_to_fine(bowl, space, 5, rounds=3, seed=3)
    cb = coarse_to_fine(bowl, space, 5, rounds=3, seed=3)
    assert [t.params for t in ca.trials] == [t.params for t in cb.trials]


def test_coarse_to_fine_narrows_around_the_best():
    space = {"lr": LogUniform(1e-6, 1.0), "units": IntUniform(8, 512)}
    result = coarse_to_fine(bowl, space, trials_per_round=16, rounds=3, seed=0, top_k=4)
    assert len(result.trials) == 48 and len(result.spaces) == 3
    widths = [np.log10(s["lr"].high / s["lr"].low) for s in result.spaces]
    assert widths[0] == pytest.approx(6) and widths[1] < widths[0] and widths[2] < widths[1]
    for r in (1, 2):  # every zoomed range brackets the optimum 10^-2.5 …
        assert result.spaces[r]["lr"].low < 10 ** -2.5 < result.spaces[r]["lr"].high
        # … and the round's trials were drawn from it
        lrs = [t.params["lr"] for t in result.trials if t.round == r]
        assert all(result.spaces[r]["lr"].low <= v <= result.spaces[r]["lr"].high for v in lrs)
    plain = random_search(bowl, space, trials=48, seed=0)
    assert result.best.score >= plain.best.score  # zooming helps on a smooth bowl
    assert abs(np.log10(result.best.params["lr"]) + 2.5) < 0.05


def test_zoom_space_spans_the_top_trials_in_log_space():
    space = {"lr": LogUniform(1e-5, 1.0), "act": Choice(["relu", "tanh", "sigmoid"]), "epochs": 2}
    z = zoom_space(space, [{"lr": 1e-3, "act": "tanh"}, {"lr": 1e-2, "act": "relu"}], margin=0.0)
    assert z["lr"].low == pytest.approx(1e-3) and z["lr"].high == pytest.approx(1e-2)
    assert z["act"].options == ["relu", "tanh"] and z["epochs"] == 2


def test_diverged_and_nan_trials_are_recorded_and_ranked_last():
    def objective(p):
        if p["lr"] > 0.1:
            raise TrainingDivergedError("loss became nan")
        return {"score": float("nan") if p["lr"] < 1e-3 else -p["lr"]}

    result = random_search(objective, {"lr": LogUniform(1e-4, 1.0)}, trials=30, seed=0)
    statuses = [t.status for t in result.ranked()]
    assert {"ok", "diverged", "failed"} <= set(statuses)
    first_bad = statuses.index(next(s for s in statuses if s != "ok"))
    assert all(s != "ok" for s in statuses[first_bad:])
    assert result.best.ok and result.best.params["lr"] < 0.1
    assert "diverged" in result.table()


def test_objective_errors_propagate_and_bad_returns_are_explained():
    with pytest.raises(ZeroDivisionError):
        random_search(lambda p: 1 / 0, {"lr": LogUniform(1e-3, 1)}, trials=1, seed=0)
    with pytest.raises(TypeError, match="dict with a 'score'"):
        random_search(lambda p: 0.5, {"lr": LogUniform(1e-3, 1)}, trials=1, seed=0)
    with pytest.raises(ValueError, match=r"random_search: .*`trials`, expected a positive integer"):
        random_search(bowl, {"lr": LogUniform(1e-3, 1)}, trials=0)
    with pytest.raises(ValueError, match="keep must be one of"):
        random_search(bowl, {"lr": LogUniform(1e-3, 1)}, trials=1, keep="some")


def test_table_lists_trials_best_first():
    result = random_search(bowl, {"lr": LogUniform(1e-5, 1.0)}, trials=5, seed=2)
    lines = result.table().splitlines()
    assert lines[0].split()[:4] == ["rank", "trial", "lr", "score"] and "log_lr" in lines[0]
    assert len(lines) == 6
    ranks = [int(line.split()[0]) for line in lines[1:]]
    trial_numbers = [int(line.split()[1]) for line in lines[1:]]
    assert ranks == [1, 2, 3, 4, 5]
    assert trial_numbers == [t.number for t in result.ranked()]


def test_json_round_trip(tmp_path):
    space = {"lr": LogUniform(1e-5, 1.0), "beta": OneMinusLogUniform(0.9, 0.999)}
    result = coarse_to_fine(lambda p: {**bowl(p), "history": {"epoch": [0], "history": {"loss": [1.5]}}},
                            space, 4, rounds=2, seed=0, out_dir=tmp_path)
    path = tmp_path / "results.json"
    assert path.exists() and not list(tmp_path.glob(".*tmp"))  # atomic: no leftovers
    data = json.loads(path.read_text())
    assert data["best"]["number"] == result.best.number
    assert [t["number"] for t in data["trials"]] == [t.number for t in result.ranked()]
    back = TuneResult.load(path)
    assert [(t.number, t.params, t.score, t.round) for t in back.trials] == \
        [(t.number, t.params, t.score, t.round) for t in result.trials]
    assert back.spaces == result.spaces and back.best.number == result.best.number
    assert back.trials[0].history == {"epoch": [0], "history": {"loss": [1.5]}}
    assert back.table() == result.table()


def _model_objective(p):
    model = nn.Linear(2, 2)
    return {"score": -abs(np.log10(p["lr"]) + 2), "model": model}


@pytest.mark.parametrize("keep,expected", [("all", 6), ("best", 1), ("none", 0)])
def test_keep_prunes_checkpoints(tmp_path, keep, expected):
    result = random_search(_model_objective, {"lr": LogUniform(1e-4, 1.0)}, trials=6, seed=0,
                           out_dir=tmp_path, keep=keep)
    folders = sorted(p.name for p in tmp_path.glob("trial-*"))
    assert len(folders) == expected
    if keep == "best":
        assert folders == [f"trial-{result.best.number:03d}"]
        assert result.best.checkpoint and (tmp_path / folders[0] / "checkpoint.npz").exists()
    with_ckpt = [t for t in result.trials if t.checkpoint]
    assert len(with_ckpt) == expected
    assert result.best_model is not None  # the best model is kept in memory either way
