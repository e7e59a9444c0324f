"""Worker processes that end with their parent.

A pool's workers (scorecards with ``--jobs``, the sensitivity draws) are forked
children; when the parent is killed (SIGKILL gives it no chance to stop them)
they would live on and keep writing into a folder nobody will use.  Each
worker calls :func:`die_with_parent` from the pool's initializer.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    """End this process when process ``parent`` ends.

    On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``.  Everywhere
    (and should prctl be unavailable) a daemon thread checks every
    ``WATCH_SECONDS`` that the parent is still ours (``getppid``) and exits
    otherwise: a child whose parent died is re-parented to init or a subreaper.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the watch below still works
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="evalkit-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # no cleanup: the parent's run is gone, and its temporary folder with it


_FORKED: dict[int, tuple] = {}


def _call_forked(key: int, parent: int):
    fn, args, kwargs = _FORKED[key]
    return fn(*args, **kwargs)


def forked(fn, *args, **kwargs):
    """Start ``fn(*args, **kwargs)`` in a forked child process and return a function that waits for its
    result (raising what it raised); None where processes are not forked (other systems than Linux: the
    caller then calls ``fn`` itself).  The call travels by the fork, not pickled: only the result is sent back."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    if not sys.platform.startswith("linux") or "fork" not in mp.get_all_start_methods():
        return None  # forking a process that uses system frameworks is unsafe on macOS; none on Windows
    key = len(_FORKED) + 1
    while key in _FORKED:
        key += 1
    _FORKED[key] = (fn, args, kwargs)
    try:  # a pool of one forks its process during submit: the child has the call in _FORKED
        pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"), initializer=die_with_parent,
                                   initargs=(os.getpid(),))
        future = pool.submit(_call_forked, key, os.getpid())
    finally:
        del _FORKED[key]

    def wait():
        try:
            return future.result()
        finally:
            pool.shutdown()

    return wait
