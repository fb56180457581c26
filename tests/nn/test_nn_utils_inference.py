"""nn.utils.inference, the one batched no-grad forward that predict, embed, evaluate's report,
summary and explain share: same outputs for every kind of input, eval mode restored, no graph."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.data import DataLoader, TensorDataset
from glassbox.errors import DataError, InvalidArgumentError, ShapeError
from glassbox.nn.utils import inference
from glassbox.training import predict


def model():
    gb.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2))


X = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)


def test_outputs_match_one_eval_forward_for_arrays_lists_tensors_and_loaders():
    m = model()
    m.eval()
    with gb.no_grad():
        want = m(gb.Tensor(X)).numpy()
    m.train()
    loader = DataLoader(TensorDataset(X, np.zeros(7)), batch_size=3)
    for x, bs in ((X, 3), (X.tolist(), 2), (gb.Tensor(X), 1000), (loader, 1), (iter([X[:4], X[4:]]), 5)):
        np.testing.assert_allclose(np.asarray(inference(m, x, bs)), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(predict(m, X, batch_size=3), want, rtol=1e-6, atol=1e-6)
    assert isinstance(predict(m, X), np.ndarray)


def test_modes_are_restored_and_no_graph_is_recorded():
    m = model()
    m[2].eval()  # a mixed state: only the dropout in eval
    out = inference(m, X, 4)
    assert m.training and m[1].training and not m[2].training
    assert not isinstance(out, gb.Tensor) and out.shape == (7, 2)
    # eval mode: dropout off and batch norm's running statistics untouched
    before = m[1].running_mean.copy()
    np.testing.assert_array_equal(np.asarray(inference(m, X, 4)), np.asarray(out))
    np.testing.assert_array_equal(m[1].running_mean, before)
    assert inference(lambda t: t * 2.0, X[:2]).tolist() == (X[:2] * 2).tolist()  # any callable


def test_errors_name_the_caller():
    m = model()
    with pytest.raises(ShapeError, match="predict: x must have a batch dimension"):
        predict(m, np.float32(1.0))
    with pytest.raises(ShapeError, match="inference: x must have a batch dimension"):
        inference(m, np.float32(1.0))
    with pytest.raises(DataError, match="embed: got no inputs"):
        inference(m, iter([]), where="embed")
    with pytest.raises(InvalidArgumentError, match=r"predict: .*`batch_size`.*batch_size=0"):
        predict(m, X, batch_size=0)
    with pytest.raises(DataError, match="predict"):
        predict(m, np.full((2, 3), np.nan))
