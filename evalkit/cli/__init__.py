"""The command line: the only package that prints or exits.

Exit codes: 0 done; 1 the input has problems (each on its own line on stderr);
2 bad command line (argparse); 3 an internal error (a bug of ours).

Each command is a :class:`~evalkit.cli.common.Command` defined in the module of its group
(``run.py``, ``inspect.py``, ``init.py``, ``collect.py``, ``imports.py``, ``plan.py``) and listed
once in :func:`commands`, in the order ``evalkit --help`` shows them.  The command modules import
the library inside their command functions, so ``evalkit --help`` stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from typing import Sequence

from ..errors import CommandError, UserError
from ..version import __version__
from .common import Command, debug_parent, err, route_notes


def commands() -> tuple[Command, ...]:
    """Every command, in the order of ``evalkit --help``: the one registry of the command line."""
    from . import collect, explore, imports, init, inspect, plan, run

    return (run.RUN, inspect.VALIDATE, inspect.WEIGHTS, run.SENSITIVITY, run.COMPARE, init.INIT, collect.COLLECT,
            imports.IMPORT, plan.PLAN, run.AUDIT, explore.EXPLORE)


def build_parser() -> argparse.ArgumentParser:
    debug = debug_parent()
    p = argparse.ArgumentParser(
        prog="evalkit", parents=[debug],
        description="Score indicator data for many units and years into weighted composite scores and "
                    "per-unit performance reports.",
        epilog="PROJECT defaults to the bundled demo (which writes ./out). Exit codes: 0 done, 1 input problems, "
               "2 bad command line, 3 internal error.")
    p.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands():
        sp = sub.add_parser(command.name, help=command.help, description=command.help, parents=[debug])
        sp.set_defaults(func=command.run)
        command.configure(sp)
    return p


def single_threaded_blas() -> None:
    """One BLAS thread unless the user chose (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` ...): evalkit's
    matrices are small, and a BLAS thread pool costs more to start and keep spinning than it saves (and
    competes with ``--jobs`` processes); also the same sums on any number of cores.  Only before numpy loads."""
    if "numpy" in sys.modules:
        return
    names = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    if not any(os.environ.get(n) for n in names):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    single_threaded_blas()
    debug = "--debug" in argv
    route_notes()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as e:
        for line in e.lines():
            err(line)
        n = e.n_errors
        err(f"evalkit: {n} problem{'s' if n != 1 else ''} found; nothing was written")
        return 1
    except CommandError as e:
        err(f"evalkit: {e}")
        return 1
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except OSError as e:  # a path the user gave cannot be read or written (permissions, a file in the way ...)
        if debug:
            traceback.print_exc()
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        err(f"{where}cannot read or write here: {e.strerror or e} (check the path and its permissions)")
        err("evalkit: nothing was written")
        return 1
    except KeyboardInterrupt:
        err("evalkit: interrupted; nothing was changed in the output folder")
        return 130
    except SystemExit as e:  # argparse
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    except Exception as e:  # a bug of ours
        if debug:
            traceback.print_exc()
        err(f"evalkit: internal error ({type(e).__name__}: {str(e)[:200]}); this is a bug in evalkit — rerun with "
            "--debug for the traceback and report it")
        return 3


def entry() -> None:
    """The ``evalkit`` command and ``python -m evalkit``: :func:`main`, then the process ends at once.

    Every output file is closed by then; stdout, stderr and the logging handlers are flushed, and the
    interpreter's teardown (freeing each table, array and template one by one: a tenth of a second after
    a run) is skipped.  A ``SystemExit`` (argparse's exit 2) or an exception leaves the ordinary way, and
    so does every run under a profiler or tracer (cProfile, coverage: they write their data at exit).
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader has gone (`evalkit ... | head`; main closed the stream)
            pass
        except OSError as e:  # a full disk, an I/O error: the output is incomplete
            with contextlib.suppress(OSError):
                os.write(2, f"evalkit: the output could not be written: {e}\n".encode())
            code = code or 1
    os._exit(code)
