"""Test helpers shipped with glassbox: ``strict_xp``, a strict CuPy stand-in on NumPy."""
