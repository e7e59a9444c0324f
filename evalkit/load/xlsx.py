"""Bounded reading of XLSX workbooks: every workbook evalkit reads goes through :class:`Book`.

An XLSX file is a zip of XML parts.  Read naively, a 1 MB workbook whose shared
strings inflate to 1 GB takes gigabytes of memory, and one cell typed into column
XFD of a million rows makes a reader allocate every empty cell to its left.  So:

- the package is checked before any part is inflated: the sizes that the zip's
  directory declares (zipfile never inflates a member past its declared size, and
  a member that lies about it fails its CRC) are capped in total
  (:data:`MAX_UNCOMPRESSED`), and a large part may not inflate more than
  :data:`MAX_RATIO` times its compressed size (real sheets stay far below; a zip
  bomb is near deflate's limit of about 1000);
- a sheet is read within a row and column extent given by the caller (a
  template's own layout; a table's header width); a value beyond it is
  reported, never silently dropped or allocated;
- what a value cell cannot faithfully give is reported with its cell: a
  formula without a stored result, a merged range (only its top-left cell holds
  a value), an error value (``#N/A``) under its own text.

Values come as openpyxl gives them with ``data_only=True``: numbers as float, text
as str (shared, inline or formula strings), booleans as bool, error values as
:class:`ExcelError` (a str); a formula gives its stored result.  The parser is a
small zipfile + expat reader with a regular-expression fast path: openpyxl's
read-only mode builds an object per cell and is 5-10 times slower.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Pos, Problems, quote

MAX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes of XML in all parts together (a 3,000-city template needs ~50 MB)
MAX_RATIO = 200  # largest inflation factor of a part larger than RATIO_FROM
RATIO_FROM = 8 * 1024 * 1024
MAX_PARTS = 10_000
MAX_TABLE_CELLS = 20_000_000  # rows x header columns of a values table read into memory
EXCEL_MAX_ROW, EXCEL_MAX_COL = 1_048_576, 16_384
SHOWN = 20  # cells listed per kind of problem; the rest are counted


class ExcelError(str):
    """An Excel error value (``#N/A``, ``#DIV/0!`` ...), kept as its own text."""


class WorkbookError(Exception):
    """The file cannot be read as a bounded XLSX workbook; the message says why, for the user."""


@dataclass
class SheetCells:
    """The cells of one sheet within a row/column extent, and what could not be read faithfully."""

    rows: list[tuple[int, list]]  # (row number, values by column from A), rows that have a value, in order
    outside: list[tuple[int, int, object]] = field(default_factory=list)  # (row, col, value) beyond the extent
    n_outside: int = 0
    no_value: list[tuple[int, int]] = field(default_factory=list)  # (row, col) formulas without a stored result
    n_no_value: int = 0
    merged: list[str] = field(default_factory=list)  # merged ranges, "B3:D3"

    def add_outside(self, r: int, c: int, v: object) -> None:
        self.n_outside += 1
        if len(self.outside) < SHOWN:
            self.outside.append((r, c, v))

    def add_no_value(self, r: int, c: int) -> None:
        self.n_no_value += 1
        if len(self.no_value) < SHOWN:
            self.no_value.append((r, c))


def letter(col: int) -> str:
    """'A' for column 1, 'XFD' for 16384."""
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_at(file: str, sheet: str, col: int | None = None, row: int | None = None) -> Pos:
    """``book.xlsx!sheet!D17`` as a position."""
    where = f"{file}!{sheet}"
    if col is not None and row is not None:
        where += f"!{letter(col)}{row}"
    return Pos(where)


def check_package(zf: zipfile.ZipFile) -> str | None:
    """Why the package is too large to inflate (a zip bomb or an oversized workbook), or ``None``."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        return f"it holds {len(infos):,} parts, more than a workbook has ({MAX_PARTS:,} at most)"
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return (f"its part {info.filename} inflates from {_size(info.compress_size)} to {_size(info.file_size)} "
                    f"(more than {MAX_RATIO} times): not a workbook saved by a spreadsheet program")
    if total > MAX_UNCOMPRESSED:
        return (f"its parts inflate to {_size(total)}, more than the {_size(MAX_UNCOMPRESSED)} evalkit reads: split "
                "the workbook, or save the values as CSV")
    return None


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


class Book:
    """An XLSX package opened for bounded reading (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        from xml.etree import ElementTree

        self.zip = zipfile.ZipFile(path)
        try:
            why = check_package(self.zip)
            if why:
                raise WorkbookError(why)
            names = set(self.zip.namelist())
            wb = ElementTree.fromstring(self.zip.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
            target = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.endswith("Relationship")}
            self.sheets: dict[str, str] = {}
            self.states: dict[str, str] = {}
            for sh in wb.iter():
                if sh.tag.endswith("}sheet") or sh.tag == "sheet":
                    rid = next((v for k, v in sh.attrib.items() if k.endswith("}id")), None)
                    t = target.get(rid, "")
                    part = t.lstrip("/") if t.startswith("/") else "xl/" + t
                    name = sh.get("name", "")
                    self.sheets[name] = _normpath(part)
                    self.states[name] = sh.get("state", "visible")
            self.shared: list[str] = []
            if "xl/sharedStrings.xml" in names:
                self.shared = _shared_strings(self.zip.read("xl/sharedStrings.xml"))
        except BaseException:
            self.zip.close()
            raise

    @property
    def sheetnames(self) -> list[str]:
        return list(self.sheets)

    def first_visible(self) -> str | None:
        """The sheet a person sees first on opening the workbook (hidden sheets skipped)."""
        return next((s for s in self.sheets if self.states.get(s, "visible") == "visible"), None)

    def cells(self, sheet: str, *, max_row: int = EXCEL_MAX_ROW, max_col: int = EXCEL_MAX_COL) -> SheetCells:
        """The sheet's cells in rows 1..max_row and columns 1..max_col; values beyond are listed, not kept."""
        data = self.zip.read(self.sheets[sheet])
        out = _sheet_cells(data, self.shared, max_row, max_col)
        if b"<mergeCell" in data or b":mergeCell" in data:
            out.merged = [m.decode() for m in _MERGE.findall(data)]
        return out

    def rows(self, sheet: str, *, max_row: int = EXCEL_MAX_ROW, max_col: int = EXCEL_MAX_COL) -> list[tuple[int, list]]:
        return self.cells(sheet, max_row=max_row, max_col=max_col).rows

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "Book":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_book(path: Path, file: str, problems: Problems, fix: str) -> Book | None:
    """:class:`Book` of ``path``, or ``None`` with a located ``bad-workbook`` problem (``fix`` says what to do)."""
    try:
        return Book(path)
    except WorkbookError as e:
        problems.add(Pos(file), f"the workbook is too large to read: {e}", "workbook-too-large")
    except OSError as e:
        problems.add(Pos(file), f"cannot read the file: {e.strerror or e}", "file-unreadable")
    except Exception as e:  # a broken zip, a missing part, malformed XML: not an xlsx workbook
        problems.add(Pos(file), f"cannot read the workbook: {str(e)[:120]} ({fix})", "bad-workbook")
    return None


def report_cells(cells: SheetCells, problems: Problems, file: str, sheet: str, *, extent: str,
                 first_row: int = 1) -> None:
    """Located errors for what a sheet holds but evalkit cannot read faithfully.

    ``extent`` names what bounds the sheet ("the template's columns A:F"); merged
    ranges count when they reach row ``first_row`` or below (the value rows).
    """
    for r, c, v in cells.outside:
        problems.add(cell_at(file, sheet, c, r), f"value {quote(_text(v))} is outside {extent}: move it into the "
                     "table or delete it (notes go in a separate file)", "cell-outside")
    if cells.n_outside > len(cells.outside):
        problems.add(cell_at(file, sheet), f"... and {cells.n_outside - len(cells.outside)} more values outside "
                     f"{extent}", "cell-outside", count=cells.n_outside - len(cells.outside))
    for r, c in cells.no_value:
        problems.add(cell_at(file, sheet, c, r), "formula without a stored value: open and save in Excel, or type "
                     "the value", "formula-no-value")
    if cells.n_no_value > len(cells.no_value):
        problems.add(cell_at(file, sheet), f"... and {cells.n_no_value - len(cells.no_value)} more formulas without "
                     "a stored value", "formula-no-value", count=cells.n_no_value - len(cells.no_value))
    for ref in cells.merged:
        bottom = int(ref.rpartition(":")[2].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 0)
        if bottom >= first_row:
            problems.add(Pos(f"{file}!{sheet}!{ref}"), f"merged cells {ref}: only the top-left cell keeps a value; "
                         "unmerge them and type each value in its own cell", "merged-cells")


def error_message(value: ExcelError) -> str:
    return f"{value}: an Excel error value (fix the formula, or type the value; leave a missing value empty)"


# --------------------------------------------------------------------------- a values table


def read_xlsx_table(path: Path, file: str, problems: Problems, *, sheet: str | None = None) -> pd.DataFrame | None:
    """A sheet (``sheet``, else the first visible one) as text columns, as ``pandas.read_excel(dtype=str)``
    would give them.

    Row 1 is the header; its last non-empty cell bounds the columns read.  The
    frame's index is the spreadsheet row - 2 (so messages name rows as the CSV
    reader does).  Error values keep their text (and are reported with their
    cell), formulas without a stored value, merged ranges and values right of
    the header are errors.
    """
    book = open_book(path, file, problems, "save it again as .xlsx")
    if book is None:
        return None
    with book:
        if sheet is not None and sheet not in book.sheetnames:
            problems.add(Pos(file), f"the workbook has no sheet {quote(sheet)} (sheets: "
                         f"{', '.join(book.sheetnames)}): fix data.sheet in the project file", "missing-sheet")
            return None
        sheet = sheet if sheet is not None else book.first_visible()
        if sheet is None:
            problems.add(Pos(file), "every sheet of the workbook is hidden: unhide the sheet with the values",
                         "bad-workbook")
            return None
        try:
            head = book.cells(sheet, max_row=1)
            width = max((c + 1 for _, row in head.rows for c, v in enumerate(row) if _text(v) != ""), default=0)
            if width == 0:
                problems.add(cell_at(file, sheet, 1, 1), "the first row must hold the column names", "empty-file")
                return None
            cells = book.cells(sheet, max_col=width)
        except Exception as e:  # malformed sheet XML
            problems.add(Pos(file), f"cannot read sheet {quote(sheet)}: {str(e)[:120]} (save it again as .xlsx)",
                         "bad-workbook")
            return None
    last_row = cells.rows[-1][0] if cells.rows else 1
    if last_row * width > MAX_TABLE_CELLS:
        problems.add(cell_at(file, sheet), f"the table spans {last_row:,} rows x {width:,} columns, more than the "
                     f"{MAX_TABLE_CELLS:,} cells evalkit reads from a workbook: save the values as CSV",
                     "workbook-too-large")
        return None
    report_cells(cells, problems, file, sheet, extent=f"the table's columns A:{letter(width)} (row 1 names them)")
    errors = 0
    header: list[str] = []
    body: list[list[str]] = []
    index: list[int] = []
    for r, row in cells.rows:
        texts = [_text(v) for v in row] + [""] * (width - len(row))
        for c, v in enumerate(row):
            if isinstance(v, ExcelError) and errors < SHOWN:
                errors += 1
                problems.add(cell_at(file, sheet, c + 1, r), error_message(v), "excel-error")
        if r == 1:
            header = texts
        else:
            body.append(texts)
            index.append(r - 2)
    columns = _dedup([h if h != "" else f"Unnamed: {k}" for k, h in enumerate(header)])
    return pd.DataFrame(body, columns=columns, index=index, dtype=object)


def _text(v: object) -> str:
    """A cell as pandas' ``read_excel(dtype=str)`` writes it: 12 for 12.0, 'True' for a boolean."""
    if v is None:
        return ""
    if type(v) is float:
        return str(int(v)) if v.is_integer() else str(v)
    return str(v)


def _dedup(names: list[str]) -> list[str]:
    """Repeated column names as pandas makes them unique: 'a', 'a.1', 'a.2'."""
    seen: dict[str, int] = {}
    taken = set(names)
    out = []
    for n in names:
        k = seen.get(n, 0)
        new = n
        if k:
            while f"{n}.{k}" in taken:
                k += 1
            new = f"{n}.{k}"
            taken.add(new)
        seen[n] = k + 1
        out.append(new)
    return out


# --------------------------------------------------------------------------- XML parts


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')


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


def col_index(ref: str) -> int:
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


def _typed(t: str, text: str, shared: list[str]) -> object:
    if t == "n":
        try:
            return float(text)
        except ValueError:
            return text
    if t == "s":
        return shared[int(text)]
    if t == "b":
        return text.strip() in ("1", "true")
    if t == "e":
        return ExcelError(text)
    return text  # str (formula text), inlineStr, d (ISO date)


def _sheet_cells(data: bytes, shared: list[str], max_row: int, max_col: int) -> SheetCells:
    """The cells of a sheet part within the extent (see :meth:`Book.cells`).

    The common case — every cell written as ``<c r="C17" ...><v>…</v></c>`` or an
    inline string, no namespace prefix (openpyxl, Excel, LibreOffice) — is read
    with one regular expression; the number of cells matched is checked against the
    number of non-empty cells in the part, and anything else (formulas, rich text,
    prefixed tags, cells without ``r``) goes to the expat parser.
    """
    if _PREFIXED.search(data) is None:
        out = SheetCells([])
        rows: dict[int, list] = {}
        n = 0
        for m in _CELL.finditer(data):
            n += 1
            letters, r, attrs, v, inline = m.groups()
            if not v and not inline:
                continue  # empty text: nothing
            if v is not None:
                t = _TYPE.search(attrs) if b"t=" in attrs else None
                value = _typed(t.group(1).decode() if t is not None else "n", _unescape(v.decode("utf-8")), shared)
            else:
                value = _unescape(inline.decode("utf-8"))
            k = _COL_BYTES.get(letters)
            if k is None:
                k = _COL_BYTES[letters] = col_index(letters.decode())
            row_no = int(r)
            if k >= max_col or row_no > max_row:
                out.add_outside(row_no, k + 1, value)
                continue
            cells = rows.get(row_no)
            if cells is None:
                cells = rows[row_no] = []
            if len(cells) <= k:
                cells.extend([None] * (k + 1 - len(cells)))
            cells[k] = value
        if n == data.count(b"</c>"):
            out.rows = sorted(rows.items())
            return out
    return _sheet_cells_expat(data, shared, max_row, max_col)


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


def _sheet_cells_expat(data: bytes, shared: list[str], max_row: int, max_col: int) -> SheetCells:
    """The general case of :func:`_sheet_cells`, parsed with expat."""
    import xml.parsers.expat

    out = SheetCells([])
    rows = out.rows
    buf: list[str] = []
    row_no = 0
    cells: list = []
    col = -1
    typ = "n"
    capture = False
    formula = False
    rph = 0

    def start(name, attrs):
        nonlocal row_no, cells, col, typ, capture, rph, formula
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = attrs.get("r")
            col = col_index(ref) if ref else col + 1
            typ = attrs.get("t", "n")
            formula = False
            buf.clear()
        elif name == "v":
            capture = True
        elif name == "f":
            formula = True
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
            # no result stored (no <v>, or an empty one other than a formula's empty text t="str")
            if formula and not buf and typ not in ("str", "inlineStr"):
                if col < max_col and row_no <= max_row:
                    out.add_no_value(row_no, col + 1)
                return
            if not buf:  # an empty cell, or empty text: nothing (as in the regular-expression path)
                return
            value = _typed(typ, "".join(buf) if len(buf) != 1 else buf[0], shared)
            if col >= max_col or row_no > max_row:
                out.add_outside(row_no, col + 1, value)
                return
            if len(cells) <= col:
                cells.extend([None] * (col + 1 - len(cells)))
            cells[col] = value
        elif name == "v" or name == "t":
            capture = False
        elif name == "row":
            if cells:
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
    rows.sort(key=lambda rc: rc[0])
    return out
