"""``workers.Helper``: a process started early that warms up, then makes the calls sent to it (pickled);
and the tables made by it equal, bit for bit, those made in the process itself."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.tables import _scipy_tables as _real_scipy_tables
from evalkit.workers import Helper, helper

WARMED: list[str] = []


def _warm() -> None:
    WARMED.append("yes")  # in the helper's memory only


def _pid_warm_and_sum(a):
    return os.getpid(), list(WARMED), float(np.sum(a))


def _fails(x):
    raise ValueError(f"bad {x}")


def test_the_call_is_made_in_the_warmed_process_and_answered():
    h = helper(_warm)
    assert isinstance(h, Helper)
    try:
        wait = h.submit(_pid_warm_and_sum, np.arange(10.0))
        assert wait is not None
        pid, warmed, total = wait()
        assert pid != os.getpid() and warmed == ["yes"] and total == 45.0 and WARMED == []
        assert not h.ready()  # answered: nothing pending
        again = h.submit(_pid_warm_and_sum, np.ones(3))
        assert again()[2] == 3.0  # one call after the other
    finally:
        h.close()


def test_errors_are_raised_by_wait_and_unpicklable_calls_are_refused():
    h = helper(_warm)
    try:
        assert h.submit(lambda: 1) is None  # the caller makes such a call itself
        wait = h.submit(_fails, 3)
        with pytest.raises(ValueError, match="bad 3"):
            wait()
    finally:
        h.close()


def test_close_ends_the_process_and_refuses_more_calls():
    h = helper(_warm)
    proc = h._proc
    h.close()
    assert not proc.is_alive() and h.submit(_pid_warm_and_sum, np.ones(1)) is None
    h.close()  # twice: nothing happens


def test_no_helper_outside_linux(monkeypatch):
    import evalkit.workers as W

    monkeypatch.setattr(W.sys, "platform", "darwin")
    assert helper(_warm) is None


_MADE: list[int] = []   # the pids that made the scipy tables (the helper's own list is in its process)


def _counted_scipy_tables(*args, **kwargs):
    _MADE.append(os.getpid())
    return _real_scipy_tables(*args, **kwargs)


def test_tables_made_by_the_helper_equal_those_made_here(monkeypatch):
    import evalkit.analysis.tables as tables
    from evalkit.analysis.tables import all_tables, warm_scipy
    from evalkit.load import load_inputs
    from evalkit.pipeline import score

    inputs = load_inputs(None)  # the bundled demo: DEA, convergence and spatial tables
    result = score(inputs)
    here = all_tables(result, inputs.targets)
    seen: list[list[str]] = []
    h = helper(warm_scipy)
    _MADE.clear()
    monkeypatch.setattr(tables, "_scipy_tables", _counted_scipy_tables)  # pickled by name: the helper runs it too
    try:
        there = all_tables(result, inputs.targets, jobs=2, helper=h, meanwhile=lambda done: seen.append(list(done)))
    finally:
        h.close()
    assert _MADE == []  # this process made none of them: the helper did (the fallback was not needed)
    assert list(there) == list(here)  # the same tables in the same order (the files' order)
    for name, df in here.items():
        pd.testing.assert_frame_equal(there[name], df, check_exact=True)
    assert {"efficiency", "convergence", "spatial"} <= set(here) and len(seen) == 1
    assert not {"efficiency", "convergence", "spatial"} & set(seen[0]) and "obstacles" in seen[0]


def test_a_helper_that_died_leaves_the_tables_to_this_process():
    from evalkit.analysis.tables import all_tables, warm_scipy
    from evalkit.load import load_inputs
    from evalkit.pipeline import score

    inputs = load_inputs(None)
    result = score(inputs)
    here = all_tables(result, inputs.targets)
    h = helper(warm_scipy)
    try:
        h._proc.kill()  # e.g. killed by the system: no answer will come
        h._proc.join()
        wait = h.submit(_pid_warm_and_sum, np.ones(2))
        with pytest.raises(RuntimeError, match="helper process gave no answer"):
            wait()
        there = all_tables(result, inputs.targets, jobs=2, helper=h)
    finally:
        h.close()
    assert list(there) == list(here)
    for name, df in here.items():
        pd.testing.assert_frame_equal(there[name], df, check_exact=True)
