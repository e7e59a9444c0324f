"""What every command shares: printing warnings and progress, the project argument, the ``Command`` record."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import CommandError, Problem  # CommandError: re-exported for the commands

__all__ = ["Command", "CommandError", "debug_parent", "err", "positive_int", "print_warnings", "progress_printer", "say_carried",
           "project_path", "route_notes"]


@dataclass(frozen=True)
class Command:
    """One command: its word, one-line help, ``configure(parser)`` adding its arguments, ``run(args)`` -> exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def err(message: str) -> None:
    print(message, file=sys.stderr)


class _NoteHandler(logging.Handler):
    """Notes of the library (the ``evalkit`` logger: e.g. an interrupted swap recovered) as stderr lines."""

    def emit(self, record: logging.LogRecord) -> None:
        err(f"evalkit: note: {record.getMessage()}")


def route_notes() -> None:
    logger = logging.getLogger("evalkit")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def print_warnings(problems, lang: str = "en") -> None:
    """Warnings on stderr, each in ``lang`` where the catalogue words it (:meth:`Problem.worded`)."""
    for p in sorted(problems, key=Problem.sort_key):
        err(p.worded(lang))


def _short_list(paths: list[str], most: int = 8) -> str:
    """Paths for one line: a folder with many files as ``2023/ (42)``; at most ``most`` entries."""
    groups: dict[str, list[str]] = {}
    for p in paths:
        head = p.split("/", 1)[0] + "/" if "/" in p else p
        groups.setdefault(head, []).append(p)
    items = [(g[0] if len(g) <= 2 and not k.endswith("/") else
              (", ".join(g) if len(g) <= 2 else f"{k} ({len(g)})")) for k, g in groups.items()]
    shown = ", ".join(items[:most])
    return shown + (f", … (+{len(items) - most})" if len(items) > most else "")


def say_carried(summary: dict) -> None:
    """On stderr: the other commands' files a run kept, and the files of the old folder it no longer has."""
    from ..i18n import t

    lang = summary.get("lang", "en")
    if summary.get("kept"):
        err(t("cli_kept", lang, files=_short_list(summary["kept"])))
    if summary.get("dropped"):
        err(t("cli_dropped", lang, n=len(summary["dropped"]), files=_short_list(summary["dropped"])))


def progress_printer(label: str) -> Callable[[int, int], None]:
    """A one-line progress bar on a terminal; silent when stderr is not a terminal (piped) and in CI."""
    import os

    tty = sys.stderr.isatty() and not os.environ.get("CI")

    def report(done: int, total: int) -> None:
        if tty:
            end = "\n" if done >= total else ""
            filled = int(24 * done / total) if total else 24
            bar = "█" * filled + "·" * (24 - filled)
            print(f"\r{label} {bar} {done}/{total}", end=end, file=sys.stderr, flush=True)

    return report


def debug_parent() -> argparse.ArgumentParser:
    """A parent parser accepting ``--debug`` at any level (main reads it from argv)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the traceback of an internal error")
    return p


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def project_path(args) -> Path | None:
    """The PROJECT argument, None for the bundled demo."""
    return Path(args.project) if getattr(args, "project", None) else None
