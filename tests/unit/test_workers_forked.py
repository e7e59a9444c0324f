"""``workers.forked``: a call made in a forked process, its arguments not pickled, its result and errors returned."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from evalkit.workers import _FORKED, forked


def _pid_and_sum(lock, a):
    return os.getpid(), float(np.sum(a))


def _fails(x):
    raise ValueError(f"bad {x}")


def test_result_of_the_call_made_in_another_process():
    lock = threading.Lock()  # cannot be pickled: the call travels by the fork
    a = np.arange(10.0)
    wait = forked(_pid_and_sum, lock, a)
    assert wait is not None and _FORKED == {}
    pid, total = wait()
    assert pid != os.getpid() and total == 45.0


def test_errors_are_raised_by_wait():
    wait = forked(_fails, 3)
    with pytest.raises(ValueError, match="bad 3"):
        wait()


def test_no_fork_outside_linux(monkeypatch):
    import evalkit.workers as W

    monkeypatch.setattr(W.sys, "platform", "darwin")
    assert forked(_pid_and_sum, None, np.ones(2)) is None and _FORKED == {}
