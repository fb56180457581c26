"""Without matplotlib, importing glassbox.plots works and drawing fails with a clear message."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import glassbox.plots as plots


@pytest.fixture
def no_matplotlib(monkeypatch):
    # a None entry in sys.modules makes `import matplotlib...` raise ImportError
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends",
                 "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)


CALLS = {
    "plot_history": lambda p: plots.plot_history({"loss": [1.0, 0.5]}, p),
    "plot_lr": lambda p: plots.plot_lr([0.1, 0.01], p),
    "plot_gradient_norms": lambda p: plots.plot_gradient_norms({"w": [1.0]}, p),
    "plot_filters": lambda p: plots.plot_filters(np.zeros((2, 4)), p),
    "plot_confusion_matrix": lambda p: plots.plot_confusion_matrix(np.eye(2), p),
    "plot_misclassified": lambda p: plots.plot_misclassified(np.zeros((1, 4)), [0], [1], p),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_clear_import_error(no_matplotlib, tmp_path, name):
    with pytest.raises(ImportError, match=rf"{name}: install glassbox\[plot\] \(matplotlib\) to draw figures"):
        CALLS[name](tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []  # nothing written
