"""The allocator tuning applies on Linux/glibc and can be switched off."""
from __future__ import annotations

import sys

import pytest

from glassbox import allocator


def test_opt_out_leaves_the_allocator_alone(monkeypatch):
    monkeypatch.setenv("GLASSBOX_MALLOC_TUNING", "0")
    assert allocator.tune_on_import() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_thresholds_are_raised_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not a glibc system")
    assert allocator.tune_allocator() is True


def test_other_platforms_are_left_alone(monkeypatch):
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.tune_allocator() is False
