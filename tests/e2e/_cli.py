"""Running the command line from tests: in-process (fast, the same code path) or in a subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

EVALKIT = [sys.executable, "-m", "evalkit.cli"]


def run_cli(*args: str, cwd: Path, subprocess_: bool = False) -> subprocess.CompletedProcess:
    """The CLI on ``args`` in ``cwd``: in a subprocess, or ``evalkit.cli.main`` in-process."""
    if subprocess_:
        return subprocess.run(EVALKIT + list(args), cwd=cwd, capture_output=True, text=True, timeout=300)
    from evalkit.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def fill_template(path: Path, value=None, out: Path | None = None) -> dict[str, float]:
    """Fill the single value column of a one-indicator collection template: last year's value (or ``value``)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["数据"]
    got = {}
    for r in range(3, ws.max_row + 1):
        prev = ws.cell(r, 4).value
        v = value if value is not None else (prev if prev is not None else 1.0)
        ws.cell(r, 3).value = v
        got[ws.cell(r, 1).value] = v
    wb.save(out or path)
    return got
