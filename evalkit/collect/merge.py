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
- ``not-a-number``       text (or a date, a boolean) in a value cell; missing values are empty cells
                         (``NA``, ``-`` and the other missing tokens of the values file are accepted too);
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
renamed into place; the workbooks are only read.

Source: SPEC.md "Command line" (collect merge), "Data files"; issue "evalkit collect".
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, UserError, quote
from ..load.yamlnodes import display_path
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
    return str(v).strip()


def read_meta(ws) -> dict:
    """The ``_evalkit`` sheet as a dict: scalar keys, ``columns`` and ``units`` lists."""
    meta: dict = {"columns": [], "units": []}
    for row in ws.iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        key = str(row[0])
        rest = list(row[1:])
        if key == "column":
            c, role, item_id, h1, h2 = (rest + [None] * 5)[:5]
            meta["columns"].append((int(c), str(role), str(item_id or ""), _norm_header(h1), _norm_header(h2)))
        elif key == "unit":
            meta["units"].append((_code(rest[0]), str(rest[1] or "") if len(rest) > 1 else ""))
        else:
            meta[key] = rest
    return meta


def read_returned(path: Path, *, inputs: CollectInputs, items: dict[str, Item], values: ValuesFile,
                  problems: Problems, max_jump: float = MAX_JUMP, strict: bool = False) -> Returned | None:
    """Read one returned workbook and check it; problems are located to cells. ``None`` when unusable."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    path = Path(path)
    file = display_path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for broken or foreign files
        problems.add(Pos(file), f"cannot read the workbook: {str(e)[:120]} (return the .xlsx template, saved as "
                     "Excel workbook .xlsx)", "bad-workbook")
        return None
    try:
        if SHEET_META not in wb.sheetnames:
            problems.add(Pos(file), f"no hidden '{SHEET_META}' sheet: this is not a template made by `evalkit collect "
                         "templates` (fill in the template itself rather than a copy of its cells)", "not-a-template")
            return None
        meta = read_meta(wb[SHEET_META])
        try:
            fmt_ok = meta.get("format", [None])[0] == FORMAT
            year = int(meta["year"][0])
            dept = str(meta["department"][0])
            sheet = str(meta.get("data_sheet", [SHEET_DATA])[0])
            first_row = int(meta.get("first_row", [FIRST_ROW])[0])
        except (KeyError, IndexError, TypeError, ValueError):
            fmt_ok = False
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
        return _read_data(wb[sheet], file=file, sheet=sheet, year=year, dept=dept, first_row=first_row, meta=meta,
                          inputs=inputs, items=items, values=values, problems=problems, max_jump=max_jump,
                          strict=strict, letter=get_column_letter)
    finally:
        wb.close()


def _read_data(ws, *, file, sheet, year, dept, first_row, meta, inputs, items, values, problems, max_jump, strict,
               letter) -> Returned | None:
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

    rows = ws.iter_rows(values_only=True)
    header: list[tuple] = []
    for _ in range(first_row - 1):
        header.append(tuple(next(rows, ()) or ()))
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
    for r, row in enumerate(rows, first_row):
        code = _code(row[code_col - 1]) if len(row) >= code_col else ""
        cells = [(c, item_id, row[c - 1] if len(row) >= c else None) for c, item_id in value_cols]
        has_values = any(v is not None and not (isinstance(v, str) and not v.strip()) for _, _, v in cells)
        if not code:
            if has_values:
                problems.add(cell_pos(file, sheet, code_col, r), "row added: values in a row without a city code; "
                             "fill in the template's rows only", "row-added")
            continue
        if code not in recorded_set:
            problems.add(cell_pos(file, sheet, code_col, r), f"row added: city code {quote(code)} was not in the "
                         "template (rows must not be added, and codes not changed)", "row-added")
            continue
        if code in seen:
            problems.add(cell_pos(file, sheet, code_col, r), f"row duplicated: city {labels.get(code, code)} is also "
                         f"on row {seen[code]}; keep one row per city", "row-duplicated")
            continue
        seen[code] = r
        label = labels.get(code, code)
        for c, item_id, v in cells:
            x = to_number(v)
            if x is None:
                problems.add(cell_pos(file, sheet, c, r), f"value {quote(v)} for {label} / {year} / {item_id} is "
                             "not a number: write numbers only (no units, no remarks); leave missing values empty",
                             "not-a-number")
                continue
            if math.isnan(x):
                continue
            lo, hi = lo_hi[item_id]
            if not lo <= x <= hi:
                rng = f"[{fmt(lo)}, {fmt(hi)}]"
                problems.add(cell_pos(file, sheet, c, r), f"value {fmt(x)} for {label} / {year} / {item_id} is "
                             f"outside the plausible range {rng} (unit {units_of[item_id] or '—'}): check the unit "
                             "and the decimal point", "out-of-range")
                continue
            prev = values.value(code, prev_year, item_id)
            if math.isfinite(prev) and prev != 0:
                ratio = x / prev
                if not (1 / max_jump <= ratio <= max_jump):
                    problems.add(cell_pos(file, sheet, c, r),
                                 f"value {fmt(x)} for {label} / {year} / {item_id} is {_times(ratio)} last year's "
                                 f"{fmt(prev)} (more than a factor {fmt(max_jump)}): check it",
                                 "jump", "error" if strict else "warning")
            out.units.append(code)
            out.items.append(item_id)
            out.values.append(x)
            out.cells.append(f"{letter(c)}{r}")
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
            updates[k] = fmt(x)
            filled += 1
        elif old == x:
            unchanged += 1
        else:
            updates[k] = fmt(x)
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
            add["value"] = [fmt(new_vals[i]) for i in order]
            out = pd.concat([out, add[list(out.columns)]], ignore_index=True)
        rep = pd.DataFrame(conflicts, columns=REPORT_COLUMNS)
        _write_atomic([(out, into, values.encoding), (rep, report, "utf-8-sig")])
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
