"""gradcheck itself: it passes on correct gradients, FAILS loudly on a wrong backward, and
warns when given float32 inputs."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import GradcheckError, Tensor, gradcheck


class WrongSquare(gb.Function):
    """z = x² with a deliberately wrong derivative (x instead of 2x) at every element."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return grad * self.x


class OffByOneElement(gb.Function):
    """z = 3x, but the gradient of one element (index (1, 2)) is dropped."""

    def forward(self, x):
        return 3 * x

    def backward(self, grad):
        g = 3 * grad
        g[1, 2] = 0.0
        return g


def test_gradcheck_passes_on_correct_gradient():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda t: (t * t).sum(axis=1), x) is True


def test_gradcheck_accepts_plain_arrays():
    assert gradcheck(lambda t: t.exp(), np.array([0.1, -0.4, 0.7]))


def test_gradcheck_fails_on_wrong_backward():
    x = Tensor(np.random.default_rng(1).uniform(0.5, 2, (2, 3)), requires_grad=True, dtype=np.float64)
    with pytest.raises(GradcheckError, match=r"input 0 of shape \(2, 3\) at index \(\d, \d\)"):
        gradcheck(lambda t: WrongSquare.apply(t), x)
    assert gradcheck(lambda t: WrongSquare.apply(t), x, raise_exception=False) is False


def test_gradcheck_names_the_wrong_index():
    x = Tensor(np.ones((3, 4)), requires_grad=True, dtype=np.float64)
    with pytest.raises(GradcheckError, match=r"at index \(1, 2\).*1 of 12 elements"):
        gradcheck(lambda t: OffByOneElement.apply(t), x)
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_names_the_right_input():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    b = Tensor([3.0, 4.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda u, v: u * 2 + WrongSquare.apply(v), a, b)


def test_gradcheck_warns_on_float32():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda t: t * 2, x, atol=1e-2, rtol=1e-2, eps=1e-2)


def test_gradcheck_non_contiguous_input():
    data = np.random.default_rng(2).standard_normal((4, 3)).T
    x = Tensor(data, requires_grad=True, dtype=np.float64)
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda t: t * t, x)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: WrongSquare.apply(t) + 0 * t, Tensor(data + 3, requires_grad=True, dtype=np.float64))


def test_gradcheck_skips_inputs_without_grad():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    c = Tensor([3.0, 4.0], dtype=np.float64)
    assert gradcheck(lambda u, v: u * v, a, c)
    assert c.grad is None
