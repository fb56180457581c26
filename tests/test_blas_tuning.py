"""OPENBLAS_CORETYPE is forced to SkylakeX only on AMD CPUs OpenBLAS does not know (Zen 5 and
later) that have every AVX-512 subset its kernels use, only before NumPy loads, and never
over the user's own setting."""
import os
import subprocess
import sys

import pytest

from glassbox import blas_tuning

AVX512 = "fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16"


def cpuinfo(tmp_path, vendor="AuthenticAMD", family=26, flags=AVX512):
    path = tmp_path / "cpuinfo"
    block = f"processor\t: {{}}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nflags\t\t: {flags}\n"
    path.write_text(block.format(0) + "\n" + block.format(1).replace("avx512f", ""))
    return str(path)


def test_parse_reads_the_first_processor(tmp_path):
    with open(cpuinfo(tmp_path)) as f:
        vendor, family, flags = blas_tuning.parse_cpuinfo(f.read())
    assert (vendor, family) == ("AuthenticAMD", 26) and "avx512f" in flags


@pytest.mark.parametrize("vendor, family, flags, expected", [
    ("AuthenticAMD", 26, AVX512, "SkylakeX"),                  # Zen 5: misread as Haswell
    ("AuthenticAMD", 27, AVX512, "SkylakeX"),
    ("AuthenticAMD", 25, AVX512, None),                        # Zen 4: OpenBLAS knows it
    ("AuthenticAMD", 26, AVX512.replace("avx512vl", ""), None),  # a subset missing (a VM)
    ("GenuineIntel", 6, AVX512, None),                         # Intel: detected by model
])
def test_coretype_rule(tmp_path, vendor, family, flags, expected):
    env = {}
    got = blas_tuning.tune_on_import(env, cpuinfo(tmp_path, vendor, family, flags), numpy_loaded=False,
                                     numpy_version=(2, 4))
    assert got == expected
    assert env.get("OPENBLAS_CORETYPE") == expected


@pytest.mark.parametrize("env, numpy_loaded", [
    ({"OPENBLAS_CORETYPE": "Haswell"}, False),   # the user's choice stands
    ({"GLASSBOX_BLAS_TUNING": "0"}, False),      # opted out
    ({}, True),                                  # too late: OpenBLAS already chose
])
def test_left_alone(tmp_path, env, numpy_loaded):
    before = dict(env)
    assert blas_tuning.tune_on_import(env, cpuinfo(tmp_path), numpy_loaded=numpy_loaded,
                                      numpy_version=(2, 4)) is None
    assert env == before


def test_no_cpuinfo_changes_nothing(tmp_path):
    env = {}
    assert blas_tuning.tune_on_import(env, str(tmp_path / "missing"), numpy_loaded=False,
                                      numpy_version=(2, 4)) is None
    assert env == {}


def test_import_glassbox_sets_it_before_numpy_loads():
    code = ("import os, glassbox, numpy\n"
            "from glassbox import blas_tuning\n"
            "with open('/proc/cpuinfo') as f: want = blas_tuning.coretype_for(*blas_tuning.parse_cpuinfo(f.read()))\n"
            "want = want if blas_tuning.numpy_release() <= blas_tuning.LAST_CHECKED_NUMPY else None\n"
            "print(os.environ.get('OPENBLAS_CORETYPE') == want)")
    if not os.path.exists("/proc/cpuinfo"):
        pytest.skip("needs Linux's /proc/cpuinfo")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "GLASSBOX_BLAS_TUNING")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_numpy_newer_than_checked_is_left_alone(tmp_path):
    env = {}
    assert blas_tuning.tune_on_import(env, cpuinfo(tmp_path), numpy_loaded=False, numpy_version=(2, 5)) is None
    assert env == {}
    assert blas_tuning.tune_on_import(env, cpuinfo(tmp_path), numpy_loaded=False, numpy_version=(2, 4)) == "SkylakeX"


def test_numpy_release_reads_the_installed_version():
    import numpy

    assert blas_tuning.numpy_release() == tuple(int(v) for v in numpy.__version__.split(".")[:2])
