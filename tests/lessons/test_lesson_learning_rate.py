"""The learning-rate lesson's findings on mnist-5k (quick mode: 1,000 images, 2 epochs)."""
from __future__ import annotations

import math

import pytest

from glassbox.data import DatasetNotFoundError, load_mnist
from glassbox.lessons import learning_rate as lesson

try:
    load_mnist(download=False, progress=False)
    HAVE_MNIST = True
except DatasetNotFoundError:
    HAVE_MNIST = False

pytestmark = pytest.mark.skipif(not HAVE_MNIST, reason="mnist-5k not found (set GLASSBOX_DATA)")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lesson.run(quick=True, out=tmp_path_factory.mktemp("learning_rate"))


def test_too_small_crawls_and_too_large_diverges(result):
    v = result.values
    small, right, large = v["too small"], v["right"], v["too large"]
    assert not small["diverged"] and not right["diverged"]
    assert small["final_loss"] > right["final_loss"] + 0.5
    assert small["final_loss"] > 0.9 * math.log(10)  # hardly better than guessing
    assert large["diverged"] and "diverged" in v["diverged_message"]
    assert right["test_acc"] > 0.7


def test_schedules_train(result):
    v = result.values
    for name in ("step decay", "cosine"):
        assert not v[name]["diverged"]
        assert v[name]["final_loss"] < v["too small"]["final_loss"]
        assert v[name]["test_acc"] > 0.7


def test_range_test_suggestion_lies_in_the_stable_range(result):
    v = result.values
    suggested = v["range_test"]["suggested"]
    assert lesson.SMALL < suggested < lesson.LARGE
    assert suggested <= v["range_test"]["lr_at_min"]
    pick = v["range-test pick"]
    assert not pick["diverged"]
    assert pick["final_loss"] < v["too small"]["final_loss"]
    assert len(result.figures) == 1 and result.figures[0].exists()
