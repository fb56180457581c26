"""The classification objective and the optimizer factory it uses."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox import optim
from glassbox.models import get_model
from glassbox.tune import ClassificationObjective, LogUniform, make_optimizer, random_search


def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28×28 images whose label says whether the left or the right half is brighter."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 28, 28)).astype(np.float32) * 0.5
    y = rng.integers(0, 2, n)
    x[np.arange(n), 0, :, :14] += 0.5 * (y == 0)[:, None, None]
    x[np.arange(n), 0, :, 14:] += 0.5 * (y == 1)[:, None, None]
    return x, y.astype(np.int64)


@pytest.fixture(scope="module")
def objective():
    return ClassificationObjective(halves(256, 0), halves(128, 1), model="shallow-mlp",
                                   model_kwargs={"hidden": 16, "num_classes": 2},
                                   optimizer="sgd", epochs=2, batch_size=32, seed=0)


def test_scores_on_validation_and_is_reproducible(objective):
    a = objective({"lr": 0.1})
    b = objective({"lr": 0.1})
    assert a["score"] == b["score"] == a["history"].history["val_accuracy"][-1]
    assert a["score"] > 0.9  # a good lr learns the task in 2 epochs
    assert a["epochs"] == 2 and set(a) >= {"val_loss", "train_loss", "model", "optimizer"}
    slow = objective({"lr": 1e-5})
    assert slow["score"] < a["score"]  # the lr matters, so there is something to tune


def test_test_accuracy_uses_the_given_model(objective):
    out = objective({"lr": 0.1})
    test = ClassificationObjective.test_accuracy(out["model"], halves(100, 2))
    assert 0.9 < test["accuracy"] <= 1.0 and test["loss"] > 0


def test_random_search_with_the_objective_prefers_a_working_lr(objective):
    result = random_search(objective, {"lr": LogUniform(1e-5, 1.0)}, trials=4, seed=0)
    assert result.best.score == max(t.score for t in result.trials if t.ok)
    assert result.best_model is not None


@pytest.mark.parametrize("name,hp,cls,check", [
    ("sgd", {"lr": 0.1, "momentum": 0.5}, optim.SGD, {"momentum": 0.5}),
    ("nesterov", {"lr": 0.01}, optim.SGD, {"nesterov": True, "momentum": 0.9}),
    ("momentum", {"lr": 0.1, "momentum": 0.99}, optim.Momentum, {"beta": 0.99}),
    ("adam", {"lr": 1e-3, "beta1": 0.95, "beta2": 0.9999}, optim.Adam, {"betas": (0.95, 0.9999)}),
    ("rmsprop", {"lr": 1e-3, "beta2": 0.9}, optim.RMSprop, {"alpha": 0.9}),
    ("adagrad", {"lr": 0.02, "weight_decay": 1e-4}, optim.Adagrad, {"weight_decay": 1e-4}),
])
def test_make_optimizer_maps_hyperparameters(name, hp, cls, check):
    model = get_model("softmax-regression", in_features=4, num_classes=2)
    opt = make_optimizer(name, model.parameters(), hp)
    assert type(opt) is cls and opt.param_groups[0]["lr"] == hp["lr"]
    for key, value in check.items():
        got = opt.param_groups[0][key]
        assert (tuple(got) if isinstance(got, list) else got) == value


def test_make_optimizer_and_objective_errors():
    params = get_model("softmax-regression", in_features=4, num_classes=2).parameters()
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", params, {"lr": 1})
    with pytest.raises(ValueError, match="need.*'lr'"):
        make_optimizer("sgd", params, {"momentum": 0.9})
    with pytest.raises(ValueError, match=r"adam does not take \['momentum'\]"):
        make_optimizer("adam", params, {"lr": 1e-3, "momentum": 0.9})
    with pytest.raises(ValueError, match="unknown model 'perceptron'"):
        ClassificationObjective(halves(4, 0), halves(4, 1), model="perceptron")
    with pytest.raises(ValueError, match="val must be a non-empty pair"):
        ClassificationObjective(halves(4, 0), (np.zeros((0, 1, 28, 28)), np.zeros(0)))
