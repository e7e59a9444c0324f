"""Worker processes that end with their parent.

A pool's workers (scorecards with ``--jobs``, the sensitivity draws) are forked
children; when the parent is killed (SIGKILL gives it no chance to stop them)
they would live on and keep writing into a folder nobody will use.  Each
worker calls :func:`die_with_parent` from the pool's initializer.
"""

from __future__ import annotations

import contextlib
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


def _call_forked(key: int):
    fn, args, kwargs = _FORKED[key]
    return fn(*args, **kwargs)


def can_fork() -> bool:
    """Whether evalkit forks processes here: on Linux only (forking a process that uses system frameworks is
    unsafe on macOS; Windows has no fork)."""
    import multiprocessing as mp

    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def forked(fn, *args, **kwargs):
    """Start ``fn(*args, **kwargs)`` in a forked child process and return a function that waits for its
    result (raising what it raised); None where processes are not forked (other systems than Linux: the
    caller then calls ``fn`` itself).  The call travels by the fork, not pickled: only the result is sent back."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    if not can_fork():
        return None
    key = len(_FORKED) + 1
    while key in _FORKED:
        key += 1
    _FORKED[key] = (fn, args, kwargs)
    try:  # a pool of one forks its process during submit: the child has the call in _FORKED
        pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"), initializer=die_with_parent,
                                   initargs=(os.getpid(),))
        future = pool.submit(_call_forked, key)
    finally:
        del _FORKED[key]

    def wait():
        try:
            return future.result()
        finally:
            pool.shutdown()

    return wait


class Helper:
    """A process forked early (before the inputs are read) that prepares itself with ``warm()`` — e.g.
    imports scipy — while the parent works, then makes the calls it is sent, one at a time, in order.

    Unlike :func:`forked`, the call's arguments travel pickled (the process exists before they do); the
    pickle is written by a thread, so :meth:`submit` returns at once even while the helper is still warming
    up.  The helper writes no files: ending it (:meth:`close`, or the parent's end) loses nothing.
    """

    def __init__(self, warm) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_helper_main, args=(child, os.getpid(), warm), name="evalkit-helper",
                                 daemon=True)
        self._proc.start()
        child.close()
        self._busy = False

    def submit(self, fn, *args, **kwargs):
        """Send ``fn(*args, **kwargs)`` (``fn`` a module-level function) and return a function that waits for
        its result (raising what it raised); None when the call cannot be pickled (the caller then makes it
        itself) or a call is already pending."""
        import pickle

        if self._busy or self._proc is None:
            return None
        try:
            data = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # e.g. a lambda among the settings: made by the caller instead
            return None
        self._busy = True
        sent: list[BaseException] = []

        def send() -> None:
            try:
                self._conn.send_bytes(data)
            except BaseException as e:  # the helper ended: reported by wait()
                sent.append(e)

        writer = threading.Thread(target=send, name="evalkit-helper-send", daemon=True)
        writer.start()

        def wait():
            writer.join()
            try:
                if sent:
                    raise sent[0]
                ok, value = self._conn.recv()
            except Exception as e:  # ended (EOF), or an answer that cannot be unpickled here
                raise RuntimeError(f"the helper process gave no answer ({type(e).__name__}: {e})") from None
            finally:
                self._busy = False
            if not ok:
                raise value
            return value

        return wait

    def ready(self) -> bool:
        """Whether the answer to the pending call has arrived (:meth:`submit`'s ``wait()`` will not wait)."""
        return self._busy and self._proc is not None and self._conn.poll()

    def close(self) -> None:
        """End the helper (at once: it holds nothing that needs saving)."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        with contextlib.suppress(OSError):
            self._conn.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


def helper(warm) -> Helper | None:
    """A :class:`Helper` warming up with ``warm()``; None where processes are not forked (see :func:`forked`)."""
    if not can_fork():
        return None
    try:
        return Helper(warm)
    except (OSError, AssertionError):  # no process to be had (limits; inside a daemonic process): none
        return None


def _helper_main(conn, parent: int, warm) -> None:
    die_with_parent(parent)
    try:
        warm()
    except Exception:  # the call itself then fails, and says why
        pass
    import pickle

    while True:
        try:
            fn, args, kwargs = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the parent closed its end: done
        try:
            answer = (True, fn(*args, **kwargs))
        except Exception as e:
            answer = (False, e)
        try:
            conn.send(answer)
        except Exception as e:  # an answer (or an error) that cannot be pickled
            conn.send((False, RuntimeError(f"the helper's answer could not be sent back: {type(e).__name__}: {e}")))
