"""glassbox: deep learning on NumPy with every formula in sight.

    >>> import glassbox as gb
    >>> x = gb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])

Where things are: ``core`` (Tensor, autodiff engine), ``ops`` (every differentiable op,
forward and backward side by side), ``nn`` (layers, losses, init), ``optim``, ``data``,
``training`` (fit, callbacks, checkpoints), ``models`` (the zoo), ``cli``.
"""
from .allocator import tune_on_import as _tune_allocator
from .blas_tuning import tune_on_import as _tune_blas

_tune_allocator()  # reuse freed array memory across training steps (see allocator.py)
_tune_blas()  # AVX-512 GEMM kernels where NumPy's OpenBLAS misreads the CPU (see blas_tuning.py)

from . import backend, cuda, data, models, nn, optim, training  # noqa: E402
from .core import (
    Function, Tensor, arange, as_tensor, empty, empty_like, enable_grad, eye, from_dlpack,
    from_numpy, full, full_like, is_grad_enabled, linspace, no_grad, ones, ones_like, rand,
    rand_like, randint, randint_like, randn, randn_like, set_grad_enabled, tensor, zeros,
    zeros_like,
)
from .core.dtypes import *  # noqa: E402,F401,F403 - gb.float32, gb.int64, gb.bool, ...
from .core.functions import *  # noqa: E402,F401,F403 - gb.exp, gb.sum, gb.flatten, ...
from .errors import (
    AxisError, CheckpointError, DataError, DatasetNotFoundError, GlassboxError, GlassboxRuntimeError,
    GlassboxTypeError, InvalidArgumentError, ShapeError, TrainingDivergedError,
)
from .device import device
from .gradcheck import GradcheckError, gradcheck
from .ops.elementwise import maximum, minimum, where
from .ops.shape import cat, concatenate, pad, stack
from .random import manual_seed
from .serialization import load, save
from .summary import summary
from .training import evaluate, fit, predict
from .training.checkpoint import load_checkpoint, save_checkpoint

__version__ = "0.1.0"
