"""``gb.cuda``: is a GPU at hand? (PyTorch's ``torch.cuda`` names.)

    >>> import glassbox as gb
    >>> gb.cuda.is_available()          # True only when CuPy imports and sees a GPU
    False
"""
from .device import device_count, get_device_name, is_available, synchronize

__all__ = ["device_count", "get_device_name", "is_available", "synchronize"]
