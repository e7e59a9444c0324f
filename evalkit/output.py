"""Writing an output folder all at once: build in a temporary sibling, then swap.

An interrupted or failed run never leaves a half-written or half-updated set:
the old folder stays as it was until the new one is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd


MARKER = ".evalkit-output"  # marks a folder evalkit made, so a later run may replace it


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def check_target(target: Path, *, protect: Iterable[Path] = (), what: str = "output folder") -> None:
    """Refuse an output location that evalkit must not replace: a file, a folder evalkit did not
    make that already holds something, the working directory or one of its parents, or a folder
    holding the project's inputs.  Raises UserError (exit 1) naming the path and the fix."""
    from .errors import Pos, Problem, UserError
    from .load.yamlnodes import display_path

    target = Path(target).resolve()
    shown = display_path(target)

    def refuse(message: str) -> None:
        raise UserError([Problem(Pos(shown), f"{message}: choose another {what} (e.g. --out out)", "unsafe-output")])

    if target.exists() and not target.is_dir():
        refuse(f"the {what} is a file")
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        refuse(f"the {what} is the working directory or one of its parents, and would be replaced")
    for p in protect:
        p = Path(p).resolve()
        if p == target or target in p.parents:
            refuse(f"the {what} holds the project's input {display_path(p)}, and would be replaced")
    if target.is_dir() and any(target.iterdir()) and not ((target / MARKER).exists()
                                                          or (target / "manifest.json").exists()):
        refuse(f"the {what} already holds files that evalkit did not write")


@contextlib.contextmanager
def staged_folder(target: Path, *, merge: bool = False, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` as a whole.

    ``target`` is checked first (:func:`check_target`): evalkit replaces only
    folders it made.  With ``merge=True`` the files written are moved into the
    existing folder one by one instead (each an atomic rename; other files
    stay), for commands such as ``compare`` that add tables to a run's output.
    """
    target = Path(target).resolve()
    check_target(target, protect=protect)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; the output is for people to read
    try:
        yield tmp
        (tmp / MARKER).write_text("made by evalkit: `evalkit run` replaces this folder as a whole\n",
                                  encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if merge and target.is_dir():
        for src in sorted(tmp.rglob("*")):
            dst = target / src.relative_to(tmp)
            if src.is_dir():
                dst.mkdir(exist_ok=True)
            else:
                os.replace(src, dst)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file by a temporary sibling and a rename (readable like any new file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV with floats written round-trip exact (pandas writes Python's repr); NaN as empty."""
    df.to_csv(path, index=False, lineterminator="\n")


def write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")


def _json_default(o):
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"not JSON-able: {type(o).__name__}")
