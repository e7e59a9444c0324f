"""``evalkit collect merge``: check returned template workbooks and update the long-form values file.

Each workbook's year, department and column → indicator mapping are read from
its hidden ``_evalkit`` sheet, never from header text; the visible layout is
then checked against that record.  Every problem names the workbook, sheet
and cell: ``2024_gov.xlsx!数据!D17: message``.

Errors (exit 1; nothing is written, the values file stays as it was):

- ``bad-workbook``       the file cannot be opened as an XLSX workbook;
- ``not-a-template``     no (or an unreadable) ``_evalkit`` sheet: not made by ``collect templates``;
- ``bad-layout``         the data sheet is missing (renamed or deleted);
- ``header-changed``     a header cell differs from the template (a column inserted, deleted, moved or renamed);
- ``column-added``       a header cell right of the template's last column;
- ``row-added``          a city code that was not in the template, or values in a row without a code;
- ``row-deleted``        a city of the template has no row any more;
- ``row-duplicated``     a city code on two rows;
- ``unknown-unit`` / ``unknown-indicator``  the template names a city / indicator the project no longer has;
- ``not-a-number``       text, a boolean or an error value (``#DIV/0!``) in a value cell; numeric text
                         (" 12.5") is read as the number; missing values are empty cells (``NA``, ``-`` and the
                         other missing tokens of the values file are accepted too).  A date typed into a
                         value cell is stored by Excel as a day number: only the plausible range catches it;
- ``out-of-range``       a value outside the plausible range (:func:`evalkit.collect.plausible_bounds`:
                         goalposts widened by their span; "%" within [0, 100]; counts ≥ 0);
- ``conflicting-files``  the same city / year / indicator given by two workbooks with different values;
- ``duplicate-row``      (in the values file) the same city / year / indicator on two rows.

Warnings (the values are written; each is reported):

- ``jump``               a value more than ``max_jump`` times (default 3) larger or smaller than last
                         year's value in the values file (skipped when last year's value is 0 or missing);
                         an error with ``strict=True`` (``--strict``);
- ``value-changed``      a value already in the values file is replaced by a different one; every such
                         cell is also listed in the conflict report (``merge-conflicts.csv``: unit, name,
                         year, indicator, old, new, file, cell);
- ``year-outside``       the workbook's year is outside the project's ``years``;
- ``empty-workbook``     a workbook gives no value at all.

An empty cell never erases a value already on file.  Rows reordered
within the data sheet are fine (cities are matched by code).  The values file keeps its
rows, their order, their text and any extra columns (``status``, ``note``);
new rows are appended in units-file order, then year, then the tree's order.
The values file and the report are each written to a temporary file and
renamed into place; the workbooks are only read — with a small zipfile + expat
reader of cell values (:class:`_Book`) rather than openpyxl's read-only mode,
which is 5–10 times slower per cell and would put 10 workbooks of 3,000 cities
× 20 indicators (each beside last year's value) well past 30 s.

Source: README.md "Command line" (collect merge), "File formats by example"; issue "evalkit collect".
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, quote
from ..load.yamlnodes import display_path
from ..output import safe_frame, unescape_text
from . import (FIRST_ROW, FORMAT, SHEET_DATA, SHEET_META, CollectInputs, Item, ValuesFile, cell_pos, check_year,
               collectable, fmt, load_collect_inputs, read_values_file, to_number)

MAX_JUMP = 3.0
REPORT_NAME = "merge-conflicts.csv"
REPORT_COLUMNS = ["unit", "name", "year", "indicator", "old", "new", "file", "cell"]


@dataclass(eq=False)
class Returned:
    """The values one workbook gives: parallel lists, one entry per non-empty value cell."""

    file: str  # as displayed
    year: int
    department: str
    sheet: str
    units: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # "D17"


@dataclass(frozen=True)
class MergeSummary:
    into: Path
    report: Path
    files: int
    added: int  # new rows
    filled: int  # existing rows whose value was empty
    updated: int  # existing values replaced (listed in the report)
    unchanged: int
    written: bool
    warnings: tuple = ()


def _norm_header(v: object) -> str:
    return "" if v is None else str(v).replace("\r\n", "\n").replace("\r", "\n").strip()


def _code(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unescape_text(str(v).strip())  # a code such as '-a1 was written neutralised (safe_text)


class _Book:
    """A minimal streaming reader of cell values in an XLSX package (zipfile + expat).

    openpyxl's read-only ``iter_rows(values_only=True)`` reads about 20,000 cells/s
    here (it builds a Python object per cell with its style); this reader keeps only
    what merge needs — each cell's value by row and column — and reads 5-10 times
    faster, which is what keeps 10 workbooks × 3,000 cities × 200 indicators under
    30 s.  Values come as openpyxl would give them with ``data_only=True``:
    numbers as float, text as str (shared, inline or formula strings), booleans as
    bool, error values as their text ("#DIV/0!"); a formula gives its cached value.
    """

    def __init__(self, path: Path) -> None:
        import zipfile
        from xml.etree import ElementTree

        self.zip = zipfile.ZipFile(path)
        names = set(self.zip.namelist())
        wb = ElementTree.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.endswith("Relationship")}
        self.sheets: dict[str, str] = {}
        for sh in wb.iter():
            if sh.tag.endswith("}sheet") or sh.tag == "sheet":
                rid = next((v for k, v in sh.attrib.items() if k.endswith("}id")), None)
                t = target.get(rid, "")
                part = t.lstrip("/") if t.startswith("/") else "xl/" + t
                self.sheets[sh.get("name", "")] = _normpath(part)
        self.shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            self.shared = _shared_strings(self.zip.read("xl/sharedStrings.xml"))

    @property
    def sheetnames(self) -> list[str]:
        return list(self.sheets)

    def rows(self, sheet: str) -> list[tuple[int, list]]:
        """(row number, values by column from A) of every row that has a cell."""
        return _sheet_rows(self.zip.read(self.sheets[sheet]), self.shared)

    def close(self) -> None:
        self.zip.close()


def _normpath(part: str) -> str:
    out: list[str] = []
    for seg in part.split("/"):
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    return "/".join(out)


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _shared_strings(data: bytes) -> list[str]:
    import xml.parsers.expat

    out: list[str] = []
    parts: list[str] = []
    state = {"t": False, "rph": 0}
    p = xml.parsers.expat.ParserCreate()
    p.buffer_text = True

    def start(name, attrs):
        name = _local(name)
        if name == "si":
            parts.clear()
        elif name == "t":
            state["t"] = state["rph"] == 0
        elif name == "rPh":  # phonetic guide text is not part of the value
            state["rph"] += 1

    def end(name):
        name = _local(name)
        if name == "si":
            out.append("".join(parts))
        elif name == "t":
            state["t"] = False
        elif name == "rPh":
            state["rph"] -= 1

    def chars(text):
        if state["t"]:
            parts.append(text)

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return out


_COL_INDEX: dict[str, int] = {}


def _col(ref: str) -> int:
    """0-based column of a cell reference ('AB17' -> 27)."""
    letters = ref.rstrip("0123456789")
    k = _COL_INDEX.get(letters)
    if k is None:
        k = 0
        for ch in letters.upper():
            k = k * 26 + ord(ch) - 64
        k -= 1
        _COL_INDEX[letters] = k
    return k


_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"([^>]*)>(?:<v>([^<]*)</v>|<is><t(?: [^>]*)?>([^<]*)</t></is>)</c>')
_TYPE = re.compile(rb'\st="(\w+)"')
_PREFIXED = re.compile(rb"<\w+:c[\s>]")
_COL_BYTES: dict[bytes, int] = {}


def _sheet_rows(data: bytes, shared: list[str]) -> list[tuple[int, list]]:
    """(row number, values from column A) of each row of a sheet part.

    The common case — every cell written as ``<c r="C17" ...><v>…</v></c>`` or an
    inline string, no namespace prefix (openpyxl, Excel, LibreOffice) — is read
    with one regular expression; the number of cells matched is checked against the
    number of non-empty cells in the part, and anything else (formulas, rich text,
    prefixed tags, cells without ``r``) goes to the expat parser.
    """
    if _PREFIXED.search(data) is None:
        rows: dict[int, list] = {}
        n = 0
        for m in _CELL.finditer(data):
            n += 1
            letters, r, attrs, v, inline = m.groups()
            if not v and not inline:
                continue  # empty text: nothing
            if v is not None:
                t = _TYPE.search(attrs) if b"t=" in attrs else None
                t = t.group(1) if t is not None else b"n"
                if t == b"n":
                    try:
                        value: object = float(v)
                    except ValueError:
                        value = v.decode("utf-8")
                elif t == b"s":
                    value = shared[int(v)]
                elif t == b"b":
                    value = v.strip() in (b"1", b"true")
                else:  # str (formula text), e (error), d (ISO date)
                    value = _unescape(v.decode("utf-8"))
            else:
                value = _unescape(inline.decode("utf-8"))
            cells = rows.get(int(r))
            if cells is None:
                cells = rows[int(r)] = []
            k = _COL_BYTES.get(letters)
            if k is None:
                k = _COL_BYTES[letters] = _col(letters.decode())
            if len(cells) <= k:
                cells.extend([None] * (k + 1 - len(cells)))
            cells[k] = value
        if n == data.count(b"</c>"):
            return sorted(rows.items())
    return _sheet_rows_expat(data, shared)


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


def _sheet_rows_expat(data: bytes, shared: list[str]) -> list[tuple[int, list]]:
    """The general case of :func:`_sheet_rows`, parsed with expat."""
    import xml.parsers.expat

    rows: list[tuple[int, list]] = []
    buf: list[str] = []
    row_no = 0
    cells: list = []
    col = -1
    typ = "n"
    capture = False
    rph = 0

    def start(name, attrs):
        nonlocal row_no, cells, col, typ, capture, rph
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = attrs.get("r")
            col = _col(ref) if ref else col + 1
            typ = attrs.get("t", "n")
            buf.clear()
        elif name == "v":
            capture = True
        elif name == "row":
            r = attrs.get("r")
            row_no = int(r) if r else row_no + 1
            cells = []
            col = -1
        elif name == "t":
            capture = typ == "inlineStr" and not rph
        elif name == "rPh":  # phonetic guide text is not part of the value
            rph += 1

    def end(name):
        nonlocal capture, rph
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            if not buf:  # an empty cell, or empty text: nothing (as in the regular-expression path)
                return
            text = "".join(buf) if len(buf) != 1 else buf[0]
            if typ == "n":
                try:
                    value: object = float(text)
                except ValueError:
                    value = text
            elif typ == "s":
                value = shared[int(text)]
            elif typ == "b":
                value = text.strip() in ("1", "true")
            else:  # str (formula text), inlineStr, e (error), d (ISO date)
                value = text
            if len(cells) <= col:
                cells.extend([None] * (col + 1 - len(cells)))
            cells[col] = value
        elif name == "v" or name == "t":
            capture = False
        elif name == "row":
            rows.append((row_no, cells))
        elif name == "rPh":
            rph -= 1

    def chars(text):
        if capture:
            buf.append(text)

    p = xml.parsers.expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return rows


def read_meta(rows: list[tuple[int, list]]) -> dict:
    """The ``_evalkit`` sheet as a dict: scalar keys, ``columns`` and ``units`` lists."""
    meta: dict = {"columns": [], "units": []}
    for _, row in rows:
        if not row or row[0] is None:
            continue
        key = str(row[0])
        rest = list(row[1:])
        if key == "column":
            c, role, item_id, h1, h2 = (rest + [None] * 5)[:5]
            meta["columns"].append((int(float(c)), str(role), str(item_id or ""), _norm_header(h1),
                                    _norm_header(h2)))
        elif key == "unit":
            meta["units"].append((_code(rest[0]), str(rest[1] or "") if len(rest) > 1 else ""))
        else:
            meta[key] = rest
    return meta


def read_returned(path: Path, *, inputs: CollectInputs, items: dict[str, Item], values: ValuesFile,
                  problems: Problems, max_jump: float = MAX_JUMP, strict: bool = False) -> Returned | None:
    """Read one returned workbook and check it; problems are located to cells. ``None`` when unusable."""
    from openpyxl.utils import get_column_letter

    path = Path(path)
    file = display_path(path)
    try:
        wb = _Book(path)
    except Exception as e:  # a broken zip, a missing part, malformed XML: not an xlsx workbook
        problems.add(Pos(file), f"cannot read the workbook: {str(e)[:120]} (return the .xlsx template, saved as "
                     "Excel workbook .xlsx)", "bad-workbook")
        return None
    try:
        if SHEET_META not in wb.sheetnames:
            problems.add(Pos(file), f"no hidden '{SHEET_META}' sheet: this is not a template made by `evalkit collect "
                         "templates` (fill in the template itself rather than a copy of its cells)", "not-a-template")
            return None
        try:
            meta = read_meta(wb.rows(SHEET_META))
            fmt_ok = meta.get("format", [None])[0] == FORMAT
            year = int(meta["year"][0])
            dept = str(meta["department"][0])
            sheet = str(meta.get("data_sheet", [SHEET_DATA])[0])
            first_row = int(meta.get("first_row", [FIRST_ROW])[0])
        except Exception:  # unreadable part or values of the wrong kind: a damaged record
            fmt_ok, meta = False, {"columns": [], "units": []}
        if not fmt_ok or not meta["columns"] or not meta["units"]:
            problems.add(Pos(file), f"the hidden '{SHEET_META}' sheet is damaged or of another format (expected "
                         f"{FORMAT}): make a new template and copy the values into it", "not-a-template")
            return None
        check_year(year, inputs.project, problems, Pos(file))
        if sheet not in wb.sheetnames:
            problems.add(Pos(file), f"sheet '{sheet}' is missing (renamed or deleted?): found "
                         f"{', '.join(repr(s) for s in wb.sheetnames if s != SHEET_META)}; keep the template's "
                         "sheets as they are", "bad-layout")
            return None
        try:
            data_rows = wb.rows(sheet)
        except Exception as e:  # malformed sheet XML
            problems.add(Pos(file), f"cannot read sheet '{sheet}': {str(e)[:120]} (save the workbook again as .xlsx)",
                         "bad-workbook")
            return None
        return _read_data(data_rows, file=file, sheet=sheet, year=year, dept=dept, first_row=first_row, meta=meta,
                          inputs=inputs, items=items, values=values, problems=problems, max_jump=max_jump,
                          strict=strict, letter=get_column_letter)
    finally:
        wb.close()


def _read_data(data_rows: list[tuple[int, list]], *, file, sheet, year, dept, first_row, meta, inputs, items, values,
               problems, max_jump, strict, letter) -> Returned | None:
    """Check the data sheet against the recorded layout and collect its values (see the module docstring)."""
    n_before = len(problems.errors)
    labels = inputs.labels
    columns = meta["columns"]
    recorded = [u for u, _ in meta["units"]]
    recorded_set = set(recorded)
    last_col = max(c for c, *_ in columns)
    value_cols = [(c, item_id) for c, role, item_id, _, _ in columns if role == "value"]
    code_col = next((c for c, role, *_ in columns if role == "code"), 1)

    # the template's cities and indicators must still be the project's
    for u in recorded:
        if u not in labels:
            problems.add(cell_pos(file, sheet), f"city {quote(u)} of the template is not in the units file "
                         f"{display_path(inputs.project.units)}: was the template made for another project?",
                         "unknown-unit")
    for c, item_id in value_cols:
        if item_id not in items:
            problems.add(cell_pos(file, sheet, c, 2), f"indicator {quote(item_id)} of the template is not collected "
                         "by the framework (unknown, or now derived by a formula): was the template made for another "
                         "version of the framework?", "unknown-indicator")
    if len(problems.errors) > n_before:
        return None

    by_number = {r: row for r, row in data_rows if r < first_row}
    header: list[list] = [by_number.get(r, []) for r in range(1, first_row)]
    rows = [(r, row) for r, row in data_rows if r >= first_row]
    # header rows: every recorded header text, and nothing to their right
    mismatches = []
    for c, role, item_id, h1, h2 in columns:
        for r, expected in ((1, h1), (2, h2)):
            got = _norm_header(header[r - 1][c - 1] if len(header[r - 1]) >= c else None)
            if got != expected:
                mismatches.append((c, r, got, expected))
    if mismatches:
        c, r, got, expected = mismatches[0]
        more = len(mismatches) - 1
        problems.add(cell_pos(file, sheet, c, r), f"header changed: found {quote(got.replace(chr(10), ' / '))}, "
                     f"expected {quote(expected.replace(chr(10), ' / '))}"
                     + (f" ({more} more header cells differ)" if more else "")
                     + "; do not insert, delete, move or rename columns: undo the change or use a fresh template",
                     "header-changed")
    for r, hrow in enumerate(header if not mismatches else (), 1):
        for c in range(last_col + 1, len(hrow) + 1):
            if _norm_header(hrow[c - 1]):
                problems.add(cell_pos(file, sheet, c, r), f"column added: {quote(_norm_header(hrow[c - 1]))} is right "
                             "of the template's last column; remove it (notes go in a separate file)", "column-added")
                break
    if len(problems.errors) > n_before:
        return None

    out = Returned(file=file, year=year, department=dept, sheet=sheet)
    seen: dict[str, int] = {}
    lo_hi = {item_id: items[item_id].bounds for _, item_id in value_cols}
    units_of = {item_id: items[item_id].unit for _, item_id in value_cols}
    prev_year = year - 1
    # one pass over the cells; the common case (a float, or nothing) stays on the fast path
    vcols = [(c - 1, item_id, lo_hi[item_id], letter(c)) for c, item_id in value_cols]
    index, numbers = values.index, values.numbers
    o_units, o_items, o_values, o_cells = out.units, out.items, out.values, out.cells
    lo_jump, hi_jump = 1 / max_jump, max_jump
    for r, row in rows:
        n = len(row)
        code = _code(row[code_col - 1]) if n >= code_col else ""
        if not code or code not in recorded_set or code in seen:
            _bad_row(problems, row, code, r, file=file, sheet=sheet, code_col=code_col, vcols=vcols,
                     recorded=recorded_set, seen=seen, labels=labels)
            continue
        seen[code] = r
        for k, item_id, (lo, hi), col_letter in vcols:
            v = row[k] if k < n else None
            if v is None:
                continue
            x = v if type(v) is float else to_number(v)
            if x is None:
                problems.add(cell_pos(file, sheet, k + 1, r), f"value {quote(v)} for {labels.get(code, code)} / "
                             f"{year} / {item_id} is not a number: write numbers only (no units, no remarks); leave "
                             "missing values empty", "not-a-number")
                continue
            if x != x:  # NaN: a missing token
                continue
            if not lo <= x <= hi:
                problems.add(cell_pos(file, sheet, k + 1, r), f"value {fmt(x)} for {labels.get(code, code)} / "
                             f"{year} / {item_id} is outside the plausible range [{fmt(lo)}, {fmt(hi)}] (unit "
                             f"{units_of[item_id] or '—'}): check the unit and the decimal point", "out-of-range")
                continue
            j = index.get((code, prev_year, item_id))
            if j is not None:
                prev = numbers[j]
                if prev == prev and prev != 0 and not lo_jump <= x / prev <= hi_jump:
                    problems.add(cell_pos(file, sheet, k + 1, r),
                                 f"value {fmt(x)} for {labels.get(code, code)} / {year} / {item_id} is "
                                 f"{_times(x / prev)} last year's {fmt(float(prev))} (more than a factor "
                                 f"{fmt(max_jump)}): check it", "jump", "error" if strict else "warning")
            o_units.append(code)
            o_items.append(item_id)
            o_values.append(x)
            o_cells.append(f"{col_letter}{r}")
    missing = [u for u in recorded if u not in seen]
    for u in missing:
        problems.add(cell_pos(file, sheet), f"row deleted: city {labels.get(u, u)} of the template has no row; "
                     "rows must not be deleted (leave its cells empty instead)", "row-deleted")
    if len(problems.errors) > n_before:
        # cities are matched by code, so the cells read are still reliable: keep them for the
        # cross-file check (the merge fails anyway), rather than hiding other workbooks' conflicts
        return out
    if not out.values:
        problems.warn(Pos(file), "the workbook gives no value at all: was the right file sent back?", "empty-workbook")
    return out


def _num_text(x: float) -> str:
    """A finite float as written to the values file: 12 for 12.0, else repr (round-trip exact)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _bad_row(problems, row, code, r, *, file, sheet, code_col, vcols, recorded, seen, labels) -> None:
    """A row without a code (an error only when it has values), with a code not in the template, or twice."""
    if not code:
        n = len(row)
        if any(row[k] is not None and not (isinstance(row[k], str) and not row[k].strip())
               for k, *_ in vcols if k < n):
            problems.add(cell_pos(file, sheet, code_col, r), "row added: values in a row without a city code; "
                         "fill in the template's rows only", "row-added")
    elif code not in recorded:
        problems.add(cell_pos(file, sheet, code_col, r), f"row added: city code {quote(code)} was not in the "
                     "template (rows must not be added, and codes not changed)", "row-added")
    else:
        problems.add(cell_pos(file, sheet, code_col, r), f"row duplicated: city {labels.get(code, code)} is also "
                     f"on row {seen[code]}; keep one row per city", "row-duplicated")


def _times(ratio: float) -> str:
    if ratio <= 0:
        return f"of the other sign from (ratio {ratio:.3g})"
    return f"{ratio:.3g} times" if ratio >= 1 else f"1/{1 / ratio:.3g} of"


def merge_workbooks(project_path: Path | None, files: Sequence[Path], *, into: Path | None = None,
                    report: Path | None = None, max_jump: float = MAX_JUMP, strict: bool = False,
                    dry_run: bool = False) -> MergeSummary:
    """Check the returned workbooks, then add their values to the long-form values file.

    ``into`` defaults to the project's values file (a missing file is created);
    the conflict report defaults to ``merge-conflicts.csv`` beside it.
    Raises UserError (nothing written) when any error is found; warnings are
    returned in the summary.  See the module docstring for which is which.
    """
    if not max_jump > 1:
        raise ValueError("max_jump must be > 1")
    problems = Problems()
    inputs = load_collect_inputs(project_path, problems)
    into = Path(into) if into is not None else inputs.project.values
    report = Path(report) if report is not None else into.parent / REPORT_NAME
    values = read_values_file(into, problems, must_be_csv=True)
    problems.raise_if_errors()
    items = {it.id: it for it in collectable(inputs.tree)}

    given: dict[tuple[str, int, str], tuple[float, str, str]] = {}  # key -> (value, file, "sheet!cell")
    returned: list[Returned] = []
    for f in files:
        got = read_returned(Path(f), inputs=inputs, items=items, values=values, problems=problems,
                            max_jump=max_jump, strict=strict)
        if got is None:
            continue
        returned.append(got)
        labels = inputs.labels
        for u, ind, x, cell in zip(got.units, got.items, got.values, got.cells):
            key = (u, got.year, ind)
            first = given.get(key)
            if first is None:
                given[key] = (x, got.file, f"{got.sheet}!{cell}")
            elif first[0] != x:
                problems.add(Pos(f"{got.file}!{got.sheet}!{cell}"), f"{labels.get(u, u)} / {got.year} / {ind} is "
                             f"given as {fmt(x)} here and as {fmt(first[0])} in {first[1]}!{first[2]}: the "
                             "departments must agree on one value (if one file replaces the other, merge only the "
                             "newer)", "conflicting-files")
    problems.raise_if_errors()

    # apply
    frame = values.frame
    unit_order = {u: k for k, u in enumerate(inputs.units.table["id"])}
    item_order = {i: k for k, i in enumerate(items)}
    labels = inputs.labels
    new_keys, new_vals = [], []
    updates: dict[int, str] = {}
    conflicts = []
    filled = updated = unchanged = 0
    old_text = frame["value"].astype(str).str.strip().to_numpy() if len(frame) else np.array([], dtype=object)
    from ..load.data import MISSING_TOKENS

    missing_tokens = set(MISSING_TOKENS)
    for key, (x, file, cell) in given.items():
        k = values.index.get(key)
        if k is None:
            new_keys.append(key)
            new_vals.append(x)
            continue
        old = values.numbers[k]
        if old_text[k] in missing_tokens:
            updates[k] = _num_text(x)
            filled += 1
        elif old == x:
            unchanged += 1
        else:
            updates[k] = _num_text(x)
            updated += 1
            u, y, ind = key
            conflicts.append({"unit": u, "name": labels.get(u, u).rsplit(" ", 1)[0], "year": y, "indicator": ind,
                              "old": old_text[k], "new": fmt(x), "file": file, "cell": cell})
            problems.warn(Pos(f"{file}!{cell}"), f"{labels.get(u, u)} / {y} / {ind}: replaces {quote(old_text[k])} in "
                          f"{display_path(into)} (row {k + 2}) with {fmt(x)} (listed in {display_path(report)})",
                          "value-changed")
    conflicts.sort(key=lambda c: (unit_order.get(c["unit"], 1 << 30), c["year"], item_order.get(c["indicator"], 0)))

    written = False
    if not dry_run:
        out = frame.copy()
        if updates:
            idx = np.fromiter(updates.keys(), dtype=np.int64, count=len(updates))
            col = out.columns.get_loc("value")
            vals = out["value"].astype(object).to_numpy(copy=True)
            vals[idx] = list(updates.values())
            out.iloc[:, col] = vals
        if new_keys:
            order = sorted(range(len(new_keys)), key=lambda i: (
                unit_order.get(new_keys[i][0], 1 << 30), new_keys[i][1], item_order.get(new_keys[i][2], 0)))
            add = pd.DataFrame({c: "" for c in out.columns}, index=range(len(order)))
            add["unit"] = [new_keys[i][0] for i in order]
            add["year"] = [str(new_keys[i][1]) for i in order]
            add["indicator"] = [new_keys[i][2] for i in order]
            add["value"] = [_num_text(new_vals[i]) for i in order]
            out = pd.concat([out, add[list(out.columns)]], ignore_index=True)
        rep = pd.DataFrame(conflicts, columns=REPORT_COLUMNS)
        _write_atomic([(out, into, values.encoding), (safe_frame(rep), report, "utf-8-sig")])
        written = True
    return MergeSummary(into=into, report=report, files=len(returned), added=len(new_keys), filled=filled,
                        updated=updated, unchanged=unchanged, written=written, warnings=tuple(problems.warnings))


def _write_atomic(jobs: list[tuple[pd.DataFrame, Path, str]]) -> None:
    """Write every frame to a temporary sibling first, then rename them all into place."""
    temps = []
    try:
        for df, path, enc in jobs:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            temps.append((Path(tmp), path))
            if path.exists():
                shutil.copymode(path, tmp)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            df.to_csv(tmp, index=False, lineterminator="\n", encoding=enc)
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


__all__ = ["merge_workbooks", "read_returned", "MergeSummary", "Returned", "MAX_JUMP", "REPORT_NAME"]
