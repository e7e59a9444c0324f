"""``evalkit collect merge``: check returned template workbooks and update the long-form values file.

Each workbook's year, department and column → indicator mapping are read from
its hidden ``_evalkit`` sheet, never from header text; the visible layout is
then checked against that record.  Every problem names the workbook, sheet
and cell: ``2024_gov.xlsx!数据!D17: message``.

Errors (exit 1; nothing is written, the values file stays as it was):

- ``bad-workbook``       the file cannot be opened as an XLSX workbook;
- ``workbook-too-large`` the parts inflate past what evalkit reads (a zip bomb or an oversized workbook);
- ``not-a-template``     no (or an unreadable) ``_evalkit`` sheet: not made by ``collect templates``;
- ``damaged-template``   a field of the ``_evalkit`` record is out of the template's own layout (a year
                         outside 1000-9999, ``first_row`` other than 3, column numbers with gaps or repeats,
                         a repeated city code ...), named by its cell;
- ``cell-outside``       a value right of the template's last column or far below its rows;
- ``formula-no-value``   a formula whose result was never stored (written by a program, not saved by Excel);
- ``merged-cells``       a merged range reaching the value rows (only its top-left cell keeps a value);
- ``bad-layout``         the data sheet is missing (renamed or deleted);
- ``header-changed``     a header cell differs from the template (a column inserted, deleted, moved or renamed);
- ``column-added``       a header cell right of the template's last column;
- ``row-added``          a city code that was not in the template, or values in a row without a code;
- ``row-deleted``        a city of the template has no row any more;
- ``row-duplicated``     a city code on two rows;
- ``unknown-unit`` / ``unknown-indicator``  the template names a city / indicator the project no longer has;
- ``not-a-number``       text, a boolean or an error value (``#DIV/0!``, named as such) in a value cell; numeric text
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
reader of cell values (:class:`evalkit.load.xlsx.Book`, which also bounds what a
workbook may inflate to and which cells are read) rather than openpyxl's read-only mode,
which is 5–10 times slower per cell and would put 10 workbooks of 3,000 cities
× 20 indicators (each beside last year's value) well past 30 s.

Source: README.md "Command line" (collect merge), "File formats by example"; issue "evalkit collect".
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, quote, worded
from ..load.xlsx import EXCEL_MAX_COL, ExcelError, cell_at, error_message, letter, open_book, report_cells
from ..load.yamlnodes import display_path
from ..output import safe_frame, unescape_text
from . import (FIRST_ROW, FORMAT, SHEET_DATA, SHEET_META, CollectInputs, Item, ValuesFile, check_year,
               collectable, fmt, load_collect_inputs, read_values_file, to_number)

MAX_JUMP = 3.0
ROW_SLACK = 1000  # rows read below the template's city rows (blank rows a department may insert)
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
    lang: str = "zh"  # the project's report language


def _norm_header(v: object) -> str:
    return "" if v is None else str(v).replace("\r\n", "\n").replace("\r", "\n").strip()


def _code(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unescape_text(str(v).strip())  # a code such as '-a1 was written neutralised (safe_text)


ROLES = ("code", "name", "value", "reference")


def read_meta(rows: list[tuple[int, list]], file: str, problems: Problems) -> dict | None:
    """The ``_evalkit`` sheet as a dict (scalar keys, ``columns`` and ``units`` lists), every field checked.

    The record drives how the data sheet is read, so a tampered or damaged field is
    a located error (``book.xlsx!_evalkit!B5``), never a crash or an unbounded read:
    the year within the years evalkit accepts, ``first_row`` the format's own
    (two header rows), columns numbered 1..n without gaps or repeats with known
    roles and one city-code column, city codes present and distinct.
    """
    meta: dict = {"columns": [], "units": []}
    where: dict[str, int] = {}
    n_before = len(problems.errors)

    def bad(r: int, col: int, message: str) -> None:
        problems.add(cell_at(file, SHEET_META, col, r), f"the template's hidden record is damaged: {message}; make a "
                     "new template with `evalkit collect templates` and copy the values into it", "damaged-template")

    def whole(r: int, col: int, v: object, what: str, lo: int, hi: int) -> int | None:
        x = v if isinstance(v, float) else to_number(v) if isinstance(v, str) else None
        if x is None or x != x or not lo <= x <= hi or x != int(x):
            shown = f"{v:g}" if isinstance(v, float) else quote(v)
            bad(r, col, f"{what} {shown} is not a whole number in [{lo}, {hi}]")
            return None
        return int(x)

    seen_cols: set[int] = set()
    seen_units: set[str] = set()
    for r, row in rows:
        if not row or row[0] is None:
            continue
        key = str(row[0])
        rest = list(row[1:])
        if key == "column":
            c, role, item_id, h1, h2 = (rest + [None] * 5)[:5]
            k = whole(r, 2, c, "column", 1, EXCEL_MAX_COL)
            if k is None:
                continue
            if k in seen_cols:
                bad(r, 2, f"column {k} is recorded twice")
                continue
            seen_cols.add(k)
            if str(role) not in ROLES:
                bad(r, 3, f"column role {quote(role)} is not one of {', '.join(ROLES)}")
                continue
            if str(role) in ("value", "reference") and not str(item_id or "").strip():
                bad(r, 4, f"the {role} column {k} names no indicator")
                continue
            meta["columns"].append((k, str(role), str(item_id or ""), _norm_header(h1), _norm_header(h2)))
        elif key == "unit":
            code = _code(rest[0]) if rest else ""
            if not code:
                bad(r, 2, "a city record has no code")
                continue
            if code in seen_units:
                bad(r, 2, f"city {quote(code)} is recorded twice")
                continue
            seen_units.add(code)
            meta["units"].append((code, str(rest[1] or "") if len(rest) > 1 else ""))
        else:
            meta[key] = rest
            where[key] = r
    if meta.get("format", [None])[0] != FORMAT or not meta["columns"] or not meta["units"]:
        return None  # not (or no longer) a record of this format: reported by the caller
    absent = [key for key in ("year", "department", "first_row") if not meta.get(key) or meta[key][0] is None]
    for key in absent:
        problems.add(cell_at(file, SHEET_META), f"the template's hidden record has no {key}: make a new template "
                     "and copy the values into it", "damaged-template")
    if absent:
        return None
    from ..load.project import YEAR_RANGE

    meta["year"] = whole(where["year"], 2, meta["year"][0], "year", int(YEAR_RANGE.lo), int(YEAR_RANGE.hi))
    meta["first_row"] = whole(where["first_row"], 2, meta["first_row"][0], "first_row", FIRST_ROW, FIRST_ROW)
    meta["department"] = str(meta["department"][0]).strip()
    if not meta["department"]:
        bad(where["department"], 2, "the department is empty")
    sheet = meta.get("data_sheet", [SHEET_DATA])
    meta["data_sheet"] = str(sheet[0]).strip() if sheet and sheet[0] is not None else ""
    if not meta["data_sheet"] or meta["data_sheet"] == SHEET_META:
        bad(where.get("data_sheet", 1), 2, f"the data sheet name {quote(meta['data_sheet'])} is not usable")
    n = len(meta["columns"])
    if seen_cols != set(range(1, n + 1)):
        gap = min(set(range(1, n + 1)) - seen_cols)
        bad(where.get("first_row", 1), 1, f"the {n} column records do not number the columns 1..{n} "
            f"(column {gap} is missing)")
    codes = [c for c, role, *_ in meta["columns"] if role == "code"]
    if len(codes) != 1:
        bad(where.get("first_row", 1), 1, f"{len(codes)} city-code columns are recorded (the template has one)")
    if not any(role == "value" for _, role, *_ in meta["columns"]):
        bad(where.get("first_row", 1), 1, "no value column is recorded")
    if len(problems.errors) > n_before:
        return None
    return meta


def read_returned(path: Path, *, inputs: CollectInputs, items: dict[str, Item], values: ValuesFile,
                  problems: Problems, max_jump: float = MAX_JUMP, strict: bool = False) -> Returned | None:
    """Read one returned workbook and check it; problems are located to cells. ``None`` when unusable."""
    path = Path(path)
    file = display_path(path)
    wb = open_book(path, file, problems, "return the .xlsx template, saved as Excel workbook .xlsx")
    if wb is None:
        return None
    with wb:
        if SHEET_META not in wb.sheetnames:
            problems.add(Pos(file), f"no hidden '{SHEET_META}' sheet: this is not a template made by `evalkit collect "
                         "templates` (fill in the template itself rather than a copy of its cells)", "not-a-template")
            return None
        n_before = len(problems.errors)
        try:
            meta = read_meta(wb.rows(SHEET_META), file, problems)
        except Exception:  # an unreadable part: a damaged record
            meta = None
        if meta is None:
            if len(problems.errors) == n_before:
                problems.add(Pos(file), f"the hidden '{SHEET_META}' sheet is damaged or of another format (expected "
                             f"{FORMAT}): make a new template and copy the values into it", "not-a-template")
            return None
        year, dept, sheet, first_row = meta["year"], meta["department"], meta["data_sheet"], meta["first_row"]
        check_year(year, inputs.project, problems, Pos(file))
        if sheet not in wb.sheetnames:
            problems.add(Pos(file), f"sheet '{sheet}' is missing (renamed or deleted?): found "
                         f"{', '.join(repr(s) for s in wb.sheetnames if s != SHEET_META)}; keep the template's "
                         "sheets as they are", "bad-layout")
            return None
        # the template's own extent bounds what is read: its columns, and its rows with room for blank
        # rows inserted between them (cities are matched by code, so moved rows are fine)
        last_col = len(meta["columns"])
        max_row = first_row + 2 * len(meta["units"]) + ROW_SLACK
        try:
            cells = wb.cells(sheet, max_row=max_row, max_col=last_col)
        except Exception as e:  # malformed sheet XML
            problems.add(Pos(file), f"cannot read sheet '{sheet}': {str(e)[:120]} (save the workbook again as .xlsx)",
                         "bad-workbook")
            return None
    # a header cell right of the template's last column is a column added
    added = [(r, c, v) for r, c, v in cells.outside if r < first_row]
    cells.outside = [o for o in cells.outside if o[0] >= first_row]
    cells.n_outside -= len(added)
    report_cells(cells, problems, file, sheet, first_row=first_row,
                 extent=f"the template (columns A:{letter(last_col)}, rows 1-{max_row})")
    return _read_data(cells.rows, file=file, sheet=sheet, year=year, dept=dept, first_row=first_row, meta=meta,
                      inputs=inputs, items=items, values=values, problems=problems, max_jump=max_jump,
                      strict=strict, added=added)


def _read_data(data_rows: list[tuple[int, list]], *, file, sheet, year, dept, first_row, meta, inputs, items, values,
               problems, max_jump, strict, added=()) -> Returned | None:
    """Check the data sheet against the recorded layout and collect its values (see the module docstring)."""
    n_before = len(problems.errors)
    labels = inputs.labels
    columns = meta["columns"]
    recorded = [u for u, _ in meta["units"]]
    recorded_set = set(recorded)
    value_cols = [(c, item_id) for c, role, item_id, _, _ in columns if role == "value"]
    code_col = next((c for c, role, *_ in columns if role == "code"), 1)

    # the template's cities and indicators must still be the project's
    for u in recorded:
        if u not in labels:
            problems.add(cell_at(file, sheet), f"city {quote(u)} of the template is not in the units file "
                         f"{display_path(inputs.project.units)}: was the template made for another project?",
                         "unknown-unit")
    for c, item_id in value_cols:
        if item_id not in items:
            problems.add(cell_at(file, sheet, c, 2), f"indicator {quote(item_id)} of the template is not collected "
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
        problems.add(cell_at(file, sheet, c, r), f"header changed: found {quote(got.replace(chr(10), ' / '))}, "
                     f"expected {quote(expected.replace(chr(10), ' / '))}"
                     + (f" ({more} more header cells differ)" if more else "")
                     + "; do not insert, delete, move or rename columns: undo the change or use a fresh template",
                     "header-changed")
    for r in sorted({r for r, _, _ in added}) if not mismatches else ():  # header problems: one report
        c, v = min((c, v) for rr, c, v in added if rr == r)
        problems.add(cell_at(file, sheet, c, r), f"column added: {quote(_norm_header(v))} is right of the "
                     "template's last column; remove it (notes go in a separate file)", "column-added")
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
            if x is None and isinstance(v, ExcelError):
                problems.add(cell_at(file, sheet, k + 1, r), f"{error_message(v)}, for {labels.get(code, code)} / "
                             f"{year} / {item_id}", "not-a-number")
                continue
            if x is None:
                problems.add(cell_at(file, sheet, k + 1, r), f"value {quote(v)} for {labels.get(code, code)} / "
                             f"{year} / {item_id} is not a number: write numbers only (no units, no remarks); leave "
                             "missing values empty", "not-a-number")
                continue
            if x != x:  # NaN: a missing token
                continue
            if not lo <= x <= hi:
                problems.add(cell_at(file, sheet, k + 1, r), f"value {fmt(x)} for {labels.get(code, code)} / "
                             f"{year} / {item_id} is outside the plausible range [{fmt(lo)}, {fmt(hi)}] (unit "
                             f"{units_of[item_id] or '—'}): check the unit and the decimal point", "out-of-range")
                continue
            j = index.get((code, prev_year, item_id))
            if j is not None:
                prev = numbers[j]
                if prev == prev and prev != 0 and not lo_jump <= x / prev <= hi_jump:
                    problems.extend([worded(cell_at(file, sheet, k + 1, r), "jump", "warn_jump",
                                            "error" if strict else "warning", value=fmt(x),
                                            label=labels.get(code, code), year=year, item=item_id,
                                            ratio=f"{x / prev:.3g}", prev=fmt(float(prev)), factor=fmt(max_jump))])
            o_units.append(code)
            o_items.append(item_id)
            o_values.append(x)
            o_cells.append(f"{col_letter}{r}")
    missing = [u for u in recorded if u not in seen]
    for u in missing:
        problems.add(cell_at(file, sheet), f"row deleted: city {labels.get(u, u)} of the template has no row; "
                     "rows must not be deleted (leave its cells empty instead)", "row-deleted")
    if len(problems.errors) > n_before:
        # cities are matched by code, so the cells read are still reliable: keep them for the
        # cross-file check (the merge fails anyway), rather than hiding other workbooks' conflicts
        return out
    if not out.values:
        problems.warn_text(Pos(file), "empty-workbook", "warn_empty_workbook")
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
            problems.add(cell_at(file, sheet, code_col, r), "row added: values in a row without a city code; "
                         "fill in the template's rows only", "row-added")
    elif code not in recorded:
        problems.add(cell_at(file, sheet, code_col, r), f"row added: city code {quote(code)} was not in the "
                     "template (rows must not be added, and codes not changed)", "row-added")
    else:
        problems.add(cell_at(file, sheet, code_col, r), f"row duplicated: city {labels.get(code, code)} is also "
                     f"on row {seen[code]}; keep one row per city", "row-duplicated")


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
            problems.warn_text(Pos(f"{file}!{cell}"), "value-changed", "warn_value_changed", label=labels.get(u, u),
                               year=y, item=ind, old=quote(old_text[k]), into=display_path(into), row=k + 2,
                               new=fmt(x), report=display_path(report))
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
                        updated=updated, unchanged=unchanged, written=written, warnings=tuple(problems.warnings),
                        lang=inputs.project.lang)


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
