"""Writing an output folder all at once: build in a temporary sibling, then swap.

An interrupted or failed run never leaves a half-written or half-updated set:
the old folder stays as it was until the new one is complete.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd


MARKER = ".evalkit-output"  # marks a folder evalkit made, so a later run may replace it
# Siblings of an output folder while it is being replaced: ``.<name>.tmp-<pid>-<random>`` (the new set being
# written), ``.<name>.old-<pid>`` (the previous set between the two renames of the swap) and
# ``.<name>.del-<pid>`` (the previous set being removed).  Each holds the marker until it is removed.
_SIBLING = re.compile(r"(?:(?P<kind>tmp)-(?P<pid>[0-9]+)-[A-Za-z0-9_]+|(?P<kind2>old|del)-(?P<pid2>[0-9]+))\Z")

log = logging.getLogger("evalkit.output")


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def check_target(target: Path, *, protect: Iterable[Path] = (), what: str = "output folder") -> None:
    """Refuse an output location that evalkit must not replace: a file, a folder without evalkit's
    marker that already holds something, the working directory or one of its parents, or a folder
    holding the project's inputs.  Raises UserError (exit 1) naming the path and the fix.

    Only the marker proves that evalkit made a folder: a ``manifest.json`` may be anyone's.
    """
    from .errors import Pos, Problem, UserError
    from .load.yamlnodes import display_path

    target = Path(target).resolve()
    shown = display_path(target)

    def refuse(message: str, fix: str = f"choose another {what} (e.g. --out out)") -> None:
        raise UserError([Problem(Pos(shown), f"{message}: {fix}", "unsafe-output")])

    if target.exists() and not target.is_dir():
        refuse(f"the {what} is a file")
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        refuse(f"the {what} is the working directory or one of its parents, and would be replaced")
    for p in protect:
        p = Path(p).resolve()
        if p == target or target in p.parents:
            refuse(f"the {what} holds the project's input {display_path(p)}, and would be replaced")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        if (target / "manifest.json").exists():
            refuse(f"the {what} holds a manifest.json but no {MARKER} marker, so evalkit cannot tell that it "
                   "made every file in it",
                   f"if it is an older evalkit output, delete the folder (or create an empty file {MARKER} in it "
                   f"to let evalkit replace it as a whole); otherwise choose another {what} (e.g. --out out)")
        refuse(f"the {what} already holds files that evalkit did not write")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running (unknown counts as running: nothing is removed)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _stale_siblings(target: Path) -> list[tuple[str, Path]]:
    """``(kind, path)`` of the siblings left by runs on ``target`` that were killed: only names of
    our pattern, real folders (no links) that hold the marker (or nothing), whose process is gone."""
    prefix = f".{target.name}."
    out = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return out
    for e in entries:
        m = _SIBLING.match(e.name[len(prefix):]) if e.name.startswith(prefix) else None
        if m is None or not e.is_dir(follow_symlinks=False) or _alive(int(m["pid"] or m["pid2"])):
            continue
        path = Path(e.path)
        try:
            ours = (path / MARKER).is_file() or not any(path.iterdir())
        except OSError:
            continue
        if ours:
            out.append((m["kind"] or m["kind2"], path))
    return sorted(out, key=lambda kp: kp[1].name)


def recover(target: Path) -> None:
    """Finish what a killed run left beside ``target``: put the previous output back when the run was
    killed between the two renames of the swap (``target`` missing, ``.<name>.old-<pid>`` present),
    and remove the temporary folders of dead runs.  Each action is noted on the ``evalkit`` logger."""
    from .load.yamlnodes import display_path

    target = Path(target).resolve()
    stale = _stale_siblings(target)
    if not stale:
        return
    olds = [p for kind, p in stale if kind == "old"]
    if olds and not os.path.lexists(target):
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        newest.rename(target)
        stale = [(k, p) for k, p in stale if p != newest]
        log.warning("restored %s from %s: an earlier run was interrupted while replacing it",
                    display_path(target), newest.name)
    for _, p in stale:
        _remove_tree(p)
    if stale:
        log.warning("removed %d folder(s) left beside %s by interrupted runs (%s)", len(stale),
                    display_path(target), ", ".join(p.name for _, p in stale))


def _remove_tree(path: Path) -> None:
    """Remove a folder of ours, its marker last: a removal cut short leaves a folder still recognised as ours."""
    for e in list(os.scandir(path)):
        if e.name == MARKER:
            continue
        if e.is_dir(follow_symlinks=False):
            shutil.rmtree(e.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(e.path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path / MARKER)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def _write_marker(folder: Path) -> None:
    (folder / MARKER).write_text("made by evalkit: `evalkit run` replaces this folder as a whole\n",
                                 encoding="utf-8")


#: Files other commands add to a run's output folder (compare, audit, plan, collect status, sensitivity).
#: A command that replaces the folder carries them over when it does not write them itself, so commands
#: writing into one folder never delete each other's outputs; every other file it does not write is
#: dropped, and both lists are returned to be said on the terminal.
OTHER_COMMANDS = ("compare.csv", "compare-correlations.csv", "compare.html", "audit-*.csv", "plan-*.csv",
                  "*/plan-*.html", "collect-status-*.csv", "robustness.csv", "sobol.csv", "*/robustness.html",
                  "*/audit.html", "explore.html")


def _carry_over(old: Path, new: Path, keep: Iterable[str], changes: dict | None) -> None:
    """Copy into ``new`` the files of ``old`` matching ``keep`` that ``new`` lacks; note kept and dropped files."""
    import fnmatch

    kept, dropped = [], []
    for src in sorted(old.rglob("*")):
        if src.is_dir() or src.is_symlink() or src.name == MARKER:
            continue
        rel = src.relative_to(old).as_posix()
        dst = new / rel
        if dst.exists():
            continue
        if any(fnmatch.fnmatchcase(rel, pat) for pat in keep):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            kept.append(rel)
        else:
            dropped.append(rel)
    if changes is not None:
        changes["kept"], changes["dropped"] = kept, dropped


@contextlib.contextmanager
def staged_folder(target: Path, *, merge: bool = False, protect: Iterable[Path] = (),
                  keep: Iterable[str] = (), changes: dict | None = None) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` as a whole.

    An interrupted earlier swap is recovered first (:func:`recover`), then
    ``target`` is checked (:func:`check_target`): evalkit replaces only folders
    it made.  Any exception in the block (a page, a table, a workbook, a worker
    process) removes the temporary folder and leaves ``target`` as it was.
    With ``merge=True`` the files written are moved into the existing folder one
    by one instead (each an atomic rename; other files stay), for commands such
    as ``compare`` that add tables to a run's output.
    Without ``merge``, files of the old folder matching a pattern of ``keep`` (``OTHER_COMMANDS``) that the
    block did not write are carried over; ``changes`` (a dict) receives ``kept`` and ``dropped``: the
    relative paths carried over, and those of the old folder that the new one no longer has.
    """
    target = Path(target).resolve()
    recover(target)
    check_target(target, protect=protect)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; the output is for people to read
        _write_marker(tmp)  # first: a run killed from here on leaves a folder a later run may remove
        yield tmp
    except BaseException:
        _remove_tree(tmp)
        raise
    if merge and target.is_dir():
        for src in sorted(tmp.rglob("*")):
            dst = target / src.relative_to(tmp)
            if src.is_dir():
                dst.mkdir(exist_ok=True)
            elif src.name != MARKER or not dst.exists():
                os.replace(src, dst)
        _remove_tree(tmp)
        return
    old = None
    if target.is_dir():
        try:
            _carry_over(target, tmp, keep, changes)
        except BaseException:
            _remove_tree(tmp)
            raise
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            _remove_tree(old)
        target.rename(old)
    tmp.rename(target)  # a kill before this line leaves old-<pid>: the next run puts it back
    if old is not None:
        trash = old.with_name(f".{target.name}.del-{os.getpid()}")
        old.rename(trash)
        _remove_tree(trash)


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file by a temporary sibling and a rename (readable like any new file)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write one file by a temporary sibling and a rename (readable like any new file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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


# OWASP's rule against formula injection: a spreadsheet reads a text cell starting with one of these as a
# formula (=HYPERLINK(...) runs when the file is opened), so such text gets a leading apostrophe; a number
# written as text ("-3.5", "+2") is what a spreadsheet reads as a number anyway and is left as it is.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_LEAD_PATTERN = "[=+\\-@\t\r]"
_LEAD_RE = re.compile(_LEAD_PATTERN)


def safe_text(value):
    """``value`` with text neutralised for a spreadsheet: ``'`` prefixed to text starting with
    = + - @ tab or CR (unless the text is a plain number); numbers and everything else unchanged.
    Every text cell evalkit writes to a CSV or XLSX file goes through here (or :func:`safe_frame`)."""
    if isinstance(value, str) and value[:1] in FORMULA_LEAD and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def unescape_text(value):
    """The text :func:`safe_text` was given, for a reader of evalkit's own files (a template's codes)."""
    if isinstance(value, str) and value[:1] == "'" and safe_text(value[1:]) == value:
        return value[1:]
    return value


def _leading(s: pd.Series) -> np.ndarray:
    """Which cells of a text column start as a formula would (``s.str.match(_LEAD_PATTERN, na=False)``): the
    pattern tried once per distinct value (a table's texts are mostly codes and names, repeated)."""
    codes, distinct = pd.factorize(s, use_na_sentinel=True)
    hit = np.fromiter((isinstance(v, str) and _LEAD_RE.match(v) is not None for v in distinct), dtype=bool,
                      count=len(distinct))
    return np.append(hit, False)[codes]  # code -1 (missing): last


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column name passed through :func:`safe_text` (numeric and
    boolean columns untouched; a copy only where something changes)."""
    out = df
    for k, col in enumerate(df.columns):
        s = df.iloc[:, k]
        if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
            continue
        lead = _leading(s)
        if lead.any():
            if out is df:
                out = df.copy()
            fixed = s.astype(object).copy()
            fixed[lead] = [safe_text(v) for v in s[lead]]
            out.isetitem(k, fixed)
    names = [safe_text(c) for c in df.columns]
    if names != list(df.columns):
        out = out.copy() if out is df else out
        out.columns = names
    return out


CSV_ENCODING = "utf-8-sig"  # UTF-8 with a BOM: Excel on Chinese Windows reads it as UTF-8 (not GB18030)


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of ``df`` as evalkit writes every table: text neutralised (:func:`safe_frame`),
    floats round-trip exact (pandas writes Python's repr), NaN as empty, ``\\n`` line ends."""
    return safe_frame(df).to_csv(index=False, lineterminator="\n")


def csv_pieces(df: pd.DataFrame, rows: int = 2000) -> Iterator[str]:
    """:func:`csv_text` of ``df`` in pieces of ``rows`` rows, the header with the first: joined, the same
    text (pandas writes each row by itself), and a caller can stop between pieces and go on later."""
    safe = safe_frame(df)
    if not len(safe):
        yield safe.to_csv(index=False, lineterminator="\n")
        return
    for start in range(0, len(safe), rows):
        yield safe.iloc[start:start + rows].to_csv(index=False, header=start == 0, lineterminator="\n")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (:func:`csv_text`), UTF-8 with a BOM; the one CSV writer of evalkit's outputs."""
    Path(path).write_bytes(csv_text(df).encode(CSV_ENCODING))


def write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    """:func:`write_csv` into a folder that other files share: a temporary sibling, then a rename."""
    write_bytes_atomic(path, csv_text(df).encode(CSV_ENCODING))


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


# ------------------------------------------------------------------ reproducible workbooks

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold: "no time"
_CORE_DATES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def stamp() -> "datetime.datetime | None":
    """The time to stamp into outputs: ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set, else None.

    Without it evalkit writes no times into its files, so that the same inputs give the same bytes."""
    import datetime

    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(text), tz=datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):
        from .errors import CommandError

        raise CommandError(f"SOURCE_DATE_EPOCH={text!r} is not a whole number of seconds since 1970-01-01 UTC")


def _save_stored(wb, buf) -> None:
    """``wb.save(buf)`` with the entries stored uncompressed: :func:`save_workbook` compresses them once, as
    it rewrites them (openpyxl would compress each a first time)."""
    import datetime
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    if wb.read_only:
        raise TypeError("Workbook is read-only")
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED, allowZip64=True)).save()


def save_workbook(wb, path: Path) -> Path:
    """Save an openpyxl workbook with reproducible bytes: the zip entries in openpyxl's order with a
    fixed time, and the document's created/modified times left out (openpyxl stamps the save time) —
    or both set to ``SOURCE_DATE_EPOCH`` when it is set (:func:`stamp`)."""
    import io
    import zipfile

    buf = io.BytesIO()
    _save_stored(wb, buf)  # first: a write-only workbook holds open sheet files until it is saved
    when = stamp()
    date_time = _ZIP_EPOCH if when is None or when.year < 1980 else when.timetuple()[:6]
    iso = None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    path = Path(path)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(b"" if iso is None else
                                       (lambda m: m.group(0).split(b">", 1)[0] + b">" + iso + b"</dcterms:"
                                        + m.group(1) + b">"), data)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return path


# ------------------------------------------------------------------ fast streamed worksheet rows

_XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # openpyxl refuses these in a cell
_XLSX_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_XLSX_NUMBERS = frozenset((int, float, np.float64, np.int64))
_XLSX_COLUMNS: list[str] = []


def _xlsx_column(k: int) -> str:
    """The letters of column ``k`` (1-based), cached."""
    while len(_XLSX_COLUMNS) < k:
        n, s = len(_XLSX_COLUMNS) + 1, ""
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(65 + r) + s
        _XLSX_COLUMNS.append(s)
    return _XLSX_COLUMNS[k - 1]


def _xlsx_text(s: str) -> str | None:
    """``<is><t>…</t></is>`` of a text as openpyxl writes it, or None when openpyxl would treat it
    otherwise (a formula, an error code, too long, an illegal character)."""
    if len(s) > 32767 or (len(s) > 1 and s[0] == "=") or s in _XLSX_ERRORS or _XLSX_ILLEGAL.search(s):
        return None
    stripped = s.strip()
    space = ' xml:space="preserve"' if stripped and s != stripped else ""
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return f"<is><t{space}>{s}</t></is>"


class Styled:
    """A value and a cell style (an openpyxl ``StyleArray``, e.g. a styled cell's ``_style``, not changed
    afterwards) for a row of :func:`streaming_workbook`'s sheets: written as ``WriteOnlyCell(ws, value)``
    with a copy of that style would be, without making the cell (openpyxl's cells are slow to make)."""

    __slots__ = ("value", "style")

    def __init__(self, value, style) -> None:
        self.value = value
        self.style = style

    def cell(self, ws):
        """The openpyxl cell it stands for."""
        from openpyxl.cell import WriteOnlyCell

        c = WriteOnlyCell(ws, value=self.value)
        c._style = copy.copy(self.style)
        return c


def _xlsx_row(ws, values, row_idx: int) -> str | None:
    """The ``<row>`` element openpyxl's write-only sheet writes for ``values``, built as text; None for a
    row holding anything else than numbers, booleans, plain texts and styled cells of those (openpyxl
    then writes it itself)."""
    from openpyxl.cell import Cell  # what openpyxl's WriteOnlyCell() makes

    if type(values) not in (list, tuple) or row_idx in ws.row_dimensions:
        return None
    r = str(row_idx)
    parts = [f'<row r="{r}">']
    styles = ws.parent._cell_styles
    if len(_XLSX_COLUMNS) < len(values):
        _xlsx_column(len(values))
    letters = _XLSX_COLUMNS
    seen: dict[int, str] = {}  # id of a Styled's style (the row holds it) -> its s="…" attribute
    for col, v in enumerate(values):
        style = ""
        kind = type(v)
        if kind is Styled:
            style = seen.get(id(v.style))  # a row's cells share a few styles: each looked up once
            if style is None:
                style = seen[id(v.style)] = f' s="{styles.add(v.style)}"' if any(v.style) else ""
            v = v.value
            if v is None:
                if style:
                    parts.append(f'<c r="{letters[col]}{r}"{style} t="n" />')
                continue
            kind = type(v)
        elif kind is Cell:
            if v.hyperlink is not None or v._comment is not None or v.data_type not in ("n", "s", "b"):
                return None
            if v._style is not None and any(v._style):
                style = f' s="{styles.add(v._style)}"'
            v = v._value
            if v is None:
                if style:
                    parts.append(f'<c r="{letters[col]}{r}"{style} t="n" />')
                continue
            kind = type(v)
        elif v is None:
            continue
        if kind is float or kind is np.float64:
            if v != v or v in (_INF, _NINF):
                return None
            parts.append(f'<c r="{letters[col]}{r}"{style} t="n"><v>{"%.16g" % v}</v></c>')
        elif kind is str:
            if v == "":
                parts.append(f'<c r="{letters[col]}{r}"{style} t="inlineStr" />')
                continue
            body = _xlsx_text(v)
            if body is None:
                return None
            parts.append(f'<c r="{letters[col]}{r}"{style} t="inlineStr">{body}</c>')
        elif kind is bool:
            parts.append(f'<c r="{letters[col]}{r}"{style} t="b"><v>{int(v)}</v></c>')
        elif kind in _XLSX_NUMBERS:
            if v != v or v in (_INF, _NINF):
                return None
            parts.append(f'<c r="{letters[col]}{r}"{style} t="n"><v>{"%.16g" % v}</v></c>')
        else:
            return None
    parts.append("</row>")
    return "".join(parts)


_INF, _NINF = float("inf"), float("-inf")


def _cells(ws, row):
    """A row for openpyxl itself: each :class:`Styled` as the cell it stands for."""
    return (v.cell(ws) if type(v) is Styled else v for v in row)


def streaming_workbook():
    """An openpyxl write-only ``Workbook`` whose sheets write plain rows (numbers, booleans, texts, styled
    cells of those and :class:`Styled` values) as text, byte for byte what openpyxl would write, ten times
    faster; any other row (formulas, dates, hyperlinks, comments ...) goes through openpyxl itself."""
    from openpyxl import LXML, Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    class _Sheet(WriteOnlyWorksheet):
        def _write_rows(self):  # openpyxl's loop, with the rows built as text where they can be
            try:
                xf = self._writer.xf.send(True)
            except StopIteration:
                self._already_saved()
            write = None if LXML else getattr(xf, "_file", None)  # lxml's writer takes no raw text
            with xf.element("sheetData"):
                row_idx = 1
                try:
                    while True:
                        row = (yield)
                        text = _xlsx_row(self, row, row_idx) if write is not None else None
                        if text is None:
                            self._writer.write_row(xf, self._values_to_row(_cells(self, row), row_idx), row_idx)
                        else:
                            write(text)
                        row_idx += 1
                except GeneratorExit:
                    pass
            self._writer.xf.send(None)

    class _Book(Workbook):
        def create_sheet(self, title=None, index=None):
            ws = _Sheet(parent=self, title=title)
            self._add_sheet(sheet=ws, index=index)
            return ws

    return _Book(write_only=True)
