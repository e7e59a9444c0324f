"""The command line: the only module that prints or exits.

Exit codes: 0 done; 1 the input has problems (each on its own line on stderr);
2 bad command line (argparse); 3 an internal error (a bug of ours).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

from .version import __version__
from .errors import CommandError, Problem, UserError  # CommandError: re-exported for the commands


def _err(message: str) -> None:
    print(message, file=sys.stderr)


class _NoteHandler(logging.Handler):
    """Notes of the library (the ``evalkit`` logger: e.g. an interrupted swap recovered) as stderr lines."""

    def emit(self, record: logging.LogRecord) -> None:
        _err(f"evalkit: note: {record.getMessage()}")


def _route_notes() -> None:
    logger = logging.getLogger("evalkit")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _print_warnings(problems) -> None:
    for p in sorted(problems, key=Problem.sort_key):
        _err(str(p))


def progress_printer(label: str) -> Callable[[int, int], None]:
    """A one-line progress counter on a terminal; silent when stderr is not a terminal."""
    tty = sys.stderr.isatty()

    def report(done: int, total: int) -> None:
        if tty:
            end = "\n" if done >= total else ""
            print(f"\r{label}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return report


# --------------------------------------------------------------------------- commands


def cmd_validate(args) -> int:
    from .load import load_inputs
    from .pipeline import score
    from .summary import coverage_notes, coverage_summary

    inputs = load_inputs(_project(args))
    result = score(inputs)  # AHP consistency is part of validation
    _print_warnings([*result.notes, *coverage_notes(result)])
    print(coverage_summary(result))
    ys = inputs.panel.years
    span = f"{ys[0]}-{ys[-1]}" if len(ys) == ys[-1] - ys[0] + 1 else ", ".join(map(str, ys))  # editions listed
    print(f"ok: {len(inputs.units.ids)} units, {len(ys)} years "
          f"({span}), {len(inputs.tree.leaves)} indicators under "
          f"{len(inputs.tree.inner)} nodes")
    return 0


def cmd_run(args) -> int:
    from .run import run_project

    summary = run_project(_project(args), out=args.out, years=args.year, lang=args.lang, jobs=args.jobs,
                          pdf=args.pdf, progress=progress_printer("rendering"), warn=_print_warnings,
                          audit=args.audit, tables_only=args.tables_only)
    if args.tables_only:
        print(f"wrote {summary['output']}: tables only (results.csv, weights.csv, results.xlsx ...), no pages"
              + (" (demonstration data)" if summary.get("synthetic") else ""))
        return 0
    print(f"wrote {summary['output']}: {summary['pages']} pages for {', '.join(map(str, summary['years']))}"
          + (" (demonstration data)" if summary.get("synthetic") else ""))
    for failure in summary.get("failures", []):
        _err(f"failed: {failure}")
    return 1 if summary.get("failures") else 0


def cmd_weights(args) -> int:
    from .load import load_inputs
    from .pipeline import score
    from .summary import format_weights, weights_table, weights_wide

    inputs = load_inputs(_project(args))
    result = score(inputs)
    _print_warnings(result.notes)
    lang = args.lang or inputs.project.lang
    fmt = getattr(args, "format", None) or "text"
    if fmt == "text":
        print(weights_table(result, lang=lang))
    else:
        sys.stdout.write(format_weights(weights_wide(result, lang=lang), fmt))
    return 0


def cmd_sensitivity(args) -> int:
    from .run import run_project

    summary = run_project(_project(args), out=args.out, years=args.year, lang=args.lang, jobs=args.jobs,
                          progress=progress_printer("rendering"), warn=_print_warnings,
                          sensitivity={"draws": args.draws, "seed": args.seed,
                                       "progress": progress_printer("draws")})
    sens = summary["sensitivity"]
    print(f"{sens['evaluations']} evaluations over {', '.join(sens['factors'])}; mean absolute rank shift "
          f"{sens['mean_abs_rank_shift']:.2f}")
    print(sens["sobol_text"])
    print(f"wrote {summary['output']}: robustness.csv, sobol.csv and {sens['year']}/robustness.html")
    return 1 if summary.get("failures") else 0


def cmd_compare(args) -> int:
    from .run import compare_project

    summary = compare_project(Path(args.project), weights=args.weights or [], sets=args.set or [], out=args.out,
                              lang=args.lang)
    _print_warnings(summary["warnings"])
    print(summary["text"])
    print(f"wrote {summary['output']}: compare.csv, compare-correlations.csv, compare.html")
    return 0


def cmd_init(args) -> int:
    from .run import init_project

    path = init_project(Path(args.dir))
    print(f"created {path}; run it with: evalkit run {path}")
    return 0


def debug_parent() -> argparse.ArgumentParser:
    """A parent parser accepting ``--debug`` at any level (main reads it from argv)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the traceback of an internal error")
    return p


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

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_, description=help_, parents=[debug])
        sp.set_defaults(func=func)
        return sp

    r = add("run", cmd_run, "validate, score and write results, tables and reports")
    r.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    r.add_argument("--out", help="output folder (default: the project's output)")
    r.add_argument("--year", type=int, action="append", help="report year (repeatable; default: the last year)")
    r.add_argument("--lang", choices=("zh", "en"), help="report language (default: the project's)")
    r.add_argument("--jobs", type=_positive_int, default=1, help="processes for rendering (default 1)")
    pages = r.add_mutually_exclusive_group()  # --tables-only writes no pages for --pdf to print
    pages.add_argument("--pdf", action="store_true", help="also write PDFs (needs the optional extra evalkit[pdf])")
    pages.add_argument("--tables-only", action="store_true",
                   help="write the CSV, XLSX and JSON outputs and no pages (HTML)")
    r.add_argument("--audit", action="store_true", help="also write the statistical audit's tables (audit-*.csv)")

    v = add("validate", cmd_validate, "check every input file and report all problems")
    v.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")

    w = add("weights", cmd_weights, "print the weight table (node, method, local, global, CR)")
    w.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    w.add_argument("--lang", choices=("zh", "en"))
    w.add_argument("--format", choices=("text", "csv", "markdown", "latex"), default="text",
                   help="text (default): the tree for a person to read; csv | markdown | latex: one row per "
                        "indicator with its level-1 and level-2 weights (one column per year with per-year weights)")

    s = add("sensitivity", cmd_sensitivity, "uncertainty and sensitivity analysis of the ranking over the "
            "construction choices declared under sensitivity: in the project")
    s.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    s.add_argument("--draws", type=_positive_int, help="base samples N (evaluations: N x (factors + 2))")
    s.add_argument("--seed", type=int, help="random seed (same seed, same numbers)")
    s.add_argument("--jobs", type=_positive_int, default=1, help="processes (results do not depend on it)")
    s.add_argument("--out", help="output folder (default: the project's output)")
    s.add_argument("--year", type=int, action="append", help="report year (default: the last year)")
    s.add_argument("--lang", choices=("zh", "en"))

    c = add("compare", cmd_compare, "compare weight schemes or method settings: rank and score shifts per unit")
    c.add_argument("project", help="evalkit.yaml")
    c.add_argument("--weights", action="append", metavar="SCHEME.yaml",
                   help="a weight scheme to compare (give two, or one to compare with the project's own)")
    c.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="a setting of variant B, e.g. normalize.method=zscore (repeatable)")
    c.add_argument("--out", help="output folder (default: the project's output)")
    c.add_argument("--lang", choices=("zh", "en"))

    i = add("init", cmd_init, "create a new project to edit, copied from the demo")
    i.add_argument("dir", help="an empty or new folder")

    for name, (func, configure, help_) in EXTRA_COMMANDS.items():
        configure(add(name, func, help_))
    return p


EXTRA_COMMANDS: dict[str, tuple[Callable, Callable, str]] = {}


def register(name: str, help_: str):
    """Decorator for commands defined in other modules: ``@register("plan", "...")``."""

    def deco(configure):
        def wrap(func):
            EXTRA_COMMANDS[name] = (func, configure, help_)
            return func
        return wrap
    return deco


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _project(args) -> Path | None:
    return Path(args.project) if getattr(args, "project", None) else None


def _load_extra_commands() -> None:
    """Import the modules that register further commands (kept out of the core import path)."""
    import importlib

    for mod in ("evalkit.commands",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _route_notes()
    try:
        _load_extra_commands()
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as e:
        for line in e.lines():
            _err(line)
        n = e.n_errors
        _err(f"evalkit: {n} problem{'s' if n != 1 else ''} found; nothing was written")
        return 1
    except CommandError as e:
        _err(f"evalkit: {e}")
        return 1
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except OSError as e:  # a path the user gave cannot be read or written (permissions, a file in the way ...)
        if debug:
            traceback.print_exc()
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        _err(f"{where}cannot read or write here: {e.strerror or e} (check the path and its permissions)")
        _err("evalkit: nothing was written")
        return 1
    except KeyboardInterrupt:
        _err("evalkit: interrupted; nothing was changed in the output folder")
        return 130
    except SystemExit as e:  # argparse
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    except Exception as e:  # a bug of ours
        if debug:
            traceback.print_exc()
        _err(f"evalkit: internal error ({type(e).__name__}: {str(e)[:200]}); this is a bug in evalkit — rerun with "
             "--debug for the traceback and report it")
        return 3


if __name__ == "__main__":  # pragma: no cover
    # `python -m evalkit.cli`: call the imported module's main, not this __main__ copy, whose command
    # registry is a different object from the one the extra commands register into
    from evalkit.cli import main as _main

    sys.exit(_main())
