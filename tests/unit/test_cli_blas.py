"""The command line starts numpy with one BLAS thread unless the user chose a number."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evalkit.cli import single_threaded_blas

NAMES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture
def clean_env(monkeypatch):
    for n in NAMES:
        monkeypatch.delenv(n, raising=False)
    monkeypatch.delitem(sys.modules, "numpy", raising=False)  # as at the start of `evalkit ...` (restored afterwards)
    return monkeypatch


def test_one_thread_by_default(clean_env):
    import os

    single_threaded_blas()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


@pytest.mark.parametrize("name", NAMES)
def test_the_users_choice_stays(clean_env, name):
    import os

    clean_env.setenv(name, "4")
    single_threaded_blas()
    assert os.environ[name] == "4" and (name == "OPENBLAS_NUM_THREADS" or "OPENBLAS_NUM_THREADS" not in os.environ)


def test_numpy_already_loaded_nothing_changes(monkeypatch):
    import os

    import numpy  # noqa: F401

    for n in NAMES:
        monkeypatch.delenv(n, raising=False)
    single_threaded_blas()
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def test_the_command_lines_numpy_has_one_thread():
    code = ("import sys; from evalkit.cli import single_threaded_blas; single_threaded_blas(); "
            "import numpy, os; print(os.environ['OPENBLAS_NUM_THREADS'])")
    env = {k: v for k, v in __import__("os").environ.items() if k not in NAMES}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "1"
