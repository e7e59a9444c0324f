"""Values and units files -> :class:`evalkit.panel.Panel`, every problem located by row.

Values come in long form (``unit, year, indicator, value``; extra columns such
as ``note`` ignored; an optional ``status`` column marks provisional rows) or
wide form (``unit, year`` and one column per indicator or raw variable), as
CSV (UTF-8 with or without BOM, else GB18030) or XLSX.  Row numbers in
messages are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, did_you_mean, quote
from ..panel import PROVISIONAL, Panel
from ..tree import Tree
from .yamlnodes import display_path

MISSING_TOKENS = ("", "NA", "N/A", "na", "-", "—", "NaN", "nan")
UNIT_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
RESERVED_UNIT_IDS = ("index", "region", "robustness")
ROWS_PER_KIND = 20
LONG_COLUMNS = ("unit", "year", "indicator", "value")
STATUS_VALUES = ("", "final", "provisional")


@dataclass(frozen=True, eq=False)
class Units:
    """The units table in file order: ids as text, names, groups."""

    table: pd.DataFrame  # id, name_zh, name_en, group (+ group_zh, group_en when given)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.table["id"])

    @property
    def groups(self) -> np.ndarray:
        """Group index of each unit (in order of first appearance)."""
        return pd.factorize(self.table["group"])[0]

    def label(self, unit_id: str, lang: str = "zh") -> str:
        """'苏州 320500': a unit is never named without its id."""
        row = self.table.loc[self.table["id"] == unit_id]
        if row.empty:
            return unit_id
        name = row.iloc[0]["name_zh" if lang == "zh" else "name_en"]
        return f"{name} {unit_id}"


# --------------------------------------------------------------------------- files


def read_table(path: Path, problems: Problems) -> pd.DataFrame | None:
    """Read a CSV or XLSX file as text columns (no type guessing: ids stay text)."""
    file = display_path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl")
        except Exception as e:  # openpyxl raises many kinds for broken files
            problems.add(Pos(file), f"cannot read the workbook: {str(e)[:120]} (save it again as .xlsx)",
                         "bad-workbook")
            return None
    elif suffix in (".csv", ".txt", ""):
        enc = _encoding(path, problems)
        if enc is None:
            return None
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=enc,
                             skipinitialspace=True)
        except pd.errors.EmptyDataError:
            problems.add(Pos(file, 1), "the file is empty: it needs a header row and data rows", "empty-file")
            return None
        except pd.errors.ParserError as e:
            m = re.search(r"line (\d+)", str(e))
            line = int(m.group(1)) if m else 1
            problems.add(Pos(file, line), f"cannot parse the CSV: {str(e).splitlines()[-1][:120]}", "bad-csv")
            return None
    else:
        problems.add(Pos(file), f"unknown file type '{suffix}': use .csv or .xlsx", "bad-file-type")
        return None
    df.columns = [str(c).strip() for c in df.columns]
    # rows with every cell empty (Excel leaves them at the end) are skipped; the index keeps each
    # remaining row's position, so messages still name the spreadsheet row (index + 2)
    if len(df):
        blank = (df.apply(lambda c: c.astype(str).str.strip()) == "").all(axis=1)
        if blank.any():
            df = df[~blank]
    if len(df) == 0:
        problems.add(Pos(file, 1), "the file has a header but no data rows", "header-only")
        return None
    return df


def _encoding(path: Path, problems: Problems) -> str | None:
    """utf-8-sig when the bytes decode as UTF-8, else GB18030 (Excel on Chinese Windows)."""
    file = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.add(Pos(file), f"cannot read the file: {e.strerror}", "file-unreadable")
        return None
    if not data.strip():
        problems.add(Pos(file, 1), "the file is empty: it needs a header row and data rows", "empty-file")
        return None
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as e:
        first_bad = e.start
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        line = data[:first_bad].count(b"\n") + 1
        problems.add(Pos(file, line), "the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8",
                     "undecodable")
        return None


def _report_rows(problems: Problems, file: str, rows: np.ndarray, message: Callable[[int], str], code: str) -> None:
    """One problem per bad row, the first ``ROWS_PER_KIND``, then one line counting the rest.

    A row appears once however many of its cells share the problem (wide files repeat rows).
    """
    rows = np.unique(np.asarray(rows))
    for i in rows[:ROWS_PER_KIND]:
        problems.add(Pos(file, int(i) + 2), message(int(i)), code)
    if len(rows) > ROWS_PER_KIND:
        problems.add(Pos(file, int(rows[ROWS_PER_KIND]) + 2),
                     f"... and {len(rows) - ROWS_PER_KIND} more rows with the same problem ({code})", code + "-more",
                     count=len(rows) - ROWS_PER_KIND)


# --------------------------------------------------------------------------- units


def load_units(path: Path, problems: Problems) -> Units | None:
    df = read_table(path, problems)
    if df is None:
        return None
    file = display_path(path)
    need = ["id", "name_zh", "name_en", "group"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        problems.add(Pos(file, 1), f"the units file lacks column{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(missing)} (needs id, name_zh, name_en, group)", "missing-column")
        return None
    df = df.copy()
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    ok = True
    seen: dict[str, int] = {}
    ids, groups = df["id"].tolist(), df["group"].tolist()  # plain lists: no per-cell pandas indexing
    names = {col: df[col].tolist() for col in ("name_zh", "name_en")}
    row_of = [int(k) + 2 for k in df.index]  # spreadsheet rows (blank rows were skipped)
    first_id: dict[int, str] = {}
    for i, uid in enumerate(ids):
        row = row_of[i]
        first_id[row] = uid
        if not UNIT_ID_RE.match(uid) or ".." in uid:
            problems.add(Pos(file, row), f"unit id {quote(uid)} may hold only letters, digits, '_', '.', '-' "
                         "(no '..', no '/'; ids become file names)", "bad-unit-id")
            ok = False
            continue
        if uid.lower() in RESERVED_UNIT_IDS:
            problems.add(Pos(file, row), f"unit id {quote(uid)} is reserved for report pages "
                         f"({', '.join(RESERVED_UNIT_IDS)}): choose another id", "reserved-unit-id")
            ok = False
        low = uid.lower()
        if low in seen:
            first = seen[low]
            same = first_id[first] == uid
            problems.add(Pos(file, row), f"unit id {quote(uid)} is given twice (first at row {first})"
                         + ("" if same else " — ids that differ only in case collide as file names"),
                         "duplicate-unit")
            ok = False
        else:
            seen[low] = row
        for col in ("name_zh", "name_en"):
            if names[col][i] == "":
                problems.add(Pos(file, row), f"unit {uid} has no {col}", "missing-name")
                ok = False
        if groups[i] == "":
            problems.add(Pos(file, row), f"unit {uid} {names['name_zh'][i]} has no group (province or peer "
                         "group)", "missing-group")
            ok = False
    if not ok:
        return None
    keep = need + [c for c in ("group_zh", "group_en") if c in df.columns]
    return Units(df[keep].reset_index(drop=True))


# --------------------------------------------------------------------------- values


def load_values(path: Path, tree: Tree, units: Units, years: tuple[int, int] | None,
                problems: Problems, *, years_pos: Pos | None = None) -> Panel | None:
    """Read the values file into a panel: units (file order) × years × columns.

    Columns are the tree's leaves (derived ones left empty, computed later)
    followed by its variables.
    """
    df = read_table(path, problems)
    if df is None:
        return None
    file = display_path(path)
    n_before = len(problems.errors)
    leaf_ids = tree.leaf_ids
    columns = leaf_ids + tuple(v.id for v in tree.variables)
    derived = {n.id for n in tree.derived}
    networked = {n.id for n in tree.networked}

    lower = {c.lower(): c for c in df.columns}
    if "unit" not in lower or "year" not in lower:
        problems.add(Pos(file, 1), "the values file needs columns unit and year (long form: unit, year, indicator, "
                     "value; wide form: unit, year and one column per indicator)", "missing-column")
        return None
    df = df.rename(columns={lower[k]: k for k in ("unit", "year", "indicator", "value", "status") if k in lower})
    if "indicator" in df.columns and "value" in df.columns:
        long = df
        status = long["status"] if "status" in long.columns else None
        rows = long.index.to_numpy()  # position in the file (blank rows skipped): row = index + 2
    elif "indicator" in df.columns or "value" in df.columns:
        problems.add(Pos(file, 1), "long form needs both an indicator and a value column", "missing-column")
        return None
    else:
        value_cols = [c for c in df.columns if c not in ("unit", "year", "status", "note")]
        bad = [c for c in value_cols if c not in columns]
        for c in bad:
            problems.add(Pos(file, 1), f"column {quote(c)} is neither an indicator nor a variable of the framework"
                         f"{did_you_mean(c, columns)}", "unknown-indicator")
        value_cols = [c for c in value_cols if c in columns]
        n = len(df)
        long = pd.DataFrame({
            "unit": np.repeat(df["unit"].to_numpy(), len(value_cols)),
            "year": np.repeat(df["year"].to_numpy(), len(value_cols)),
            "indicator": np.tile(np.array(value_cols, dtype=object), n),
            "value": df[value_cols].to_numpy().reshape(-1) if value_cols else np.array([], dtype=object),
        })
        status = (pd.Series(np.repeat(df["status"].to_numpy(), len(value_cols)))
                  if "status" in df.columns else None)
        rows = np.repeat(df.index.to_numpy(), len(value_cols))

    # Distinct texts are stripped once each (a large file repeats a few thousand ids millions of times);
    # ucode[k] indexes utext for long-table row k, and so on.
    ucode, utext = _factorize_stripped(long["unit"])
    icode, itext = _factorize_stripped(long["indicator"])
    ycode, ytext = _factorize_stripped(long["year"])

    def unit_of(k: int) -> str:
        return utext[ucode[k]]

    def ind_of(k: int) -> str:
        return itext[icode[k]]

    def year_of(k: int) -> str:
        return ytext[ycode[k]]

    # units
    u = pd.Index(units.ids).get_indexer(utext)[ucode] if len(utext) else np.zeros(0, np.int64)
    bad_u = np.flatnonzero(u < 0)
    if len(bad_u):
        _report_rows(problems, file, rows[bad_u],
                     lambda i: f"unit {quote(unit_of(_idx(rows, i)))} is not in the units file"
                     f"{did_you_mean(unit_of(_idx(rows, i)), units.ids)}", "unknown-unit")

    # indicators
    ind_pos = pd.Index(columns).get_indexer(itext)
    for k, name in enumerate(itext):
        if name in derived:
            ind_pos[k] = -2
        elif name in networked:
            ind_pos[k] = -3
    j = ind_pos[icode] if len(itext) else np.zeros(0, np.int64)
    bad_j = np.flatnonzero(j == -1)
    if len(bad_j):
        _report_rows(problems, file, rows[bad_j],
                     lambda i: f"indicator {quote(ind_of(_idx(rows, i)))} is not in the framework"
                     f"{did_you_mean(ind_of(_idx(rows, i)), columns)}", "unknown-indicator")
    der_j = np.flatnonzero(j == -2)
    if len(der_j):
        _report_rows(problems, file, rows[der_j],
                     lambda i: f"indicator {quote(ind_of(_idx(rows, i)))} is derived (it has a formula): give its "
                     "variables instead of its value", "derived-given")
    net_j = np.flatnonzero(j == -3)
    if len(net_j):
        _report_rows(problems, file, rows[net_j],
                     lambda i: f"indicator {quote(ind_of(_idx(rows, i)))} takes its values from the relations file "
                     "(from_network): remove its rows from the values file", "network-given")

    # years
    year_num = pd.to_numeric(pd.Series(ytext, dtype=object), errors="coerce").to_numpy(dtype=np.float64)[ycode] \
        if len(ytext) else np.zeros(0)
    bad_y = np.flatnonzero(~np.isfinite(year_num) | (np.mod(year_num, 1) != 0))
    if len(bad_y):
        _report_rows(problems, file, rows[bad_y],
                     lambda i: f"year {quote(year_of(_idx(rows, i)))} is not a whole number", "bad-year")
    good_year = np.isfinite(year_num) & (np.mod(np.nan_to_num(year_num), 1) == 0)
    if years is not None:
        outside = np.flatnonzero(good_year & ((year_num < years[0]) | (year_num > years[1])))
        if len(outside):
            _report_rows(problems, file, rows[outside],
                         lambda i: f"year {int(year_num[_idx(rows, i)])} is outside the project's years "
                         f"[{years[0]}, {years[1]}] (rows are never filtered silently: widen years or remove the "
                         "row)", "year-outside")
        first, last = years
    else:
        ys_ok = year_num[good_year]
        if len(ys_ok) == 0:
            problems.add(Pos(file, 2), "no valid year in the values file", "bad-year")
            return None
        first, last = int(ys_ok.min()), int(ys_ok.max())
    year_list = tuple(range(first, last + 1))
    t = np.where(good_year, np.nan_to_num(year_num) - first, -1).astype(np.int64)
    t[(t < 0) | (t >= len(year_list))] = -1

    # values
    raw = long["value"].to_numpy(dtype=object)
    val, is_missing = _parse_values(raw)
    bad_v = np.flatnonzero(~is_missing & ~np.isfinite(val))
    if len(bad_v):
        def msg(i: int) -> str:
            k = _idx(rows, i, bad_v)
            return (f"value {quote(str(raw[k]).strip())} for {units.label(unit_of(k))} / {year_of(k)} / {ind_of(k)} "
                    "is not a number (write missing values as empty, NA or -)")

        _report_rows(problems, file, rows[bad_v], msg, "not-a-number")

    # status
    prov = np.zeros(len(long), bool)
    if status is not None:
        scode, stext = _factorize_stripped(status)
        stext = np.array([x.lower() for x in stext], dtype=object)
        st_ok = np.isin(stext, STATUS_VALUES)
        bad_s = np.flatnonzero(~st_ok[scode]) if len(stext) else np.zeros(0, np.int64)
        if len(bad_s):
            _report_rows(problems, file, rows[bad_s],
                         lambda i: f"status {quote(stext[scode[_idx(rows, i)]])} is not one of provisional, final "
                         "(or empty)", "bad-status")
        prov = (stext == "provisional")[scode] if len(stext) else prov

    ok = (u >= 0) & (j >= 0) & (t >= 0)
    # duplicates among rows that otherwise parse
    n_y, n_c = len(year_list), len(columns)
    key = (u.astype(np.int64) * n_y + t) * n_c + j
    has_dup = bool((np.bincount(key[ok], minlength=len(units.ids) * n_y * n_c) > 1).any()) if ok.any() else False
    if has_dup:  # sort only when there is something to report (a sort of millions of rows costs)
        key_ok = np.where(ok, key, -1)
        order = np.argsort(key_ok, kind="stable")
        ks = key_ok[order]
        dup = np.flatnonzero((ks[1:] == ks[:-1]) & (ks[1:] >= 0)) + 1
        # the first occurrence of each duplicated key, for the message: the start of its run in sort order
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        run_start = starts[np.searchsorted(starts, dup, side="right") - 1]
        dup_long, first_long = order[dup], order[run_start]
        by_row = np.argsort(dup_long, kind="stable")
        dup_rows, first_of = dup_long[by_row], first_long[by_row]

        def dmsg(i: int) -> str:
            k = _idx(rows, i, dup_rows)
            f = first_of[np.searchsorted(dup_rows, k)]
            return (f"{units.label(unit_of(k))} / {year_of(k)} / {ind_of(k)} is given twice (first at row "
                    f"{rows[f] + 2}): keep one row")

        _report_rows(problems, file, rows[dup_rows], dmsg, "duplicate-row")

    if len(problems.errors) > n_before:
        return None

    values = np.full((len(units.ids), n_y, n_c), np.nan)
    flags = np.zeros(values.shape, np.uint8)
    row_of = np.full(values.shape, -1, np.int64)
    values[u[ok], t[ok], j[ok]] = val[ok]
    flags[u[ok], t[ok], j[ok]] = np.where(prov[ok], PROVISIONAL, 0)
    row_of[u[ok], t[ok], j[ok]] = rows[ok] + 2

    # an indicator (or a variable a formula needs) with no data at all
    needed = [c for c in columns if c not in derived and c not in networked]
    used_vars = set()
    from ..prepare.derived import FormulaError, parse_formula

    for leaf in tree.derived:
        try:
            used_vars |= set(parse_formula(leaf.formula).names)
        except FormulaError:  # already reported by the tree loader
            continue
    var_ids = {v.id for v in tree.variables}
    for c in needed:
        if c in var_ids and c not in used_vars:
            continue
        k = columns.index(c)
        if not np.isfinite(values[:, :, k]).any():
            what = "variable" if c in var_ids else "indicator"
            # no row to point at: point at the definition in the tree (the fix is in either file)
            where = tree.by_id[c].pos if c in tree.by_id else next(v.pos for v in tree.variables if v.id == c)
            problems.add(where, f"{what} '{c}' has no data at all in {file}: add its values, or remove it from the "
                         "framework", "no-data")
    # a year without a single value would be scored from imputations alone: never silently
    empty = [y for y, has in zip(year_list, np.isfinite(values).any(axis=(0, 2))) if not has]
    if empty and years is not None:
        shown = ", ".join(map(str, empty))
        problems.add(years_pos or Pos(file), f"the project's years [{years[0]}, {years[1]}] include {shown}, which "
                     f"{'has' if len(empty) == 1 else 'have'} no data in {file}: narrow years to the years with data",
                     "year-without-data")
    elif empty:
        problems.warn(Pos(file), f"no data at all for {', '.join(map(str, empty))} (between years that have data): "
                      "those years get no scores; nothing is imputed for them", "year-without-data")
    if len(problems.errors) > n_before:
        return None
    return Panel(values=values, units=units.ids, years=year_list, columns=columns, flags=flags, rows=row_of)


def _factorize_stripped(col) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)`` of a column read as text: ``texts[codes[k]]`` is row k, stripped.

    Each distinct value is stripped once; two spellings that strip to the same
    text keep separate codes (harmless: callers map texts, not codes).
    """
    # a Series factorizes faster than its object array (pandas knows its cells are strings)
    values = col if isinstance(col, pd.Series) else np.asarray(col, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    texts = np.array(["" if _is_na(x) else str(x).strip() for x in uniques], dtype=object)
    return codes, texts


def _is_na(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def _parse_values(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, is_missing)`` of a text column: missing tokens -> NaN, numbers as Python's ``float``
    reads them, anything else -> NaN with ``is_missing`` False (the caller reports it).

    The cheap path (one C-level ``float`` per cell) runs first; only a column holding
    something it cannot read, or a missing token written with spaces, takes the slow path.
    """
    is_missing = pd.Series(raw, dtype=object).isin(MISSING_TOKENS).to_numpy()
    try:
        return np.where(is_missing, "nan", raw).astype(np.float64), is_missing
    except (ValueError, TypeError):
        pass
    codes, texts = _factorize_stripped(raw)
    missing_t = np.isin(texts, MISSING_TOKENS)
    val_t = np.array([np.nan if m else _float_or_nan(x) for x, m in zip(texts, missing_t)], dtype=np.float64)
    return val_t[codes], missing_t[codes]


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _idx(rows: np.ndarray, row: int, subset: np.ndarray | None = None) -> int:
    """Position in the long table of the first entry coming from source row ``row``."""
    if subset is not None:
        hit = subset[rows[subset] == row]
        if len(hit):
            return int(hit[0])
    return int(np.flatnonzero(rows == row)[0])


def load_targets(path: Path, tree: Tree, units: Units, years: tuple[int, ...], problems: Problems) -> pd.DataFrame | None:
    """Targets file (long: unit, year, indicator, target) checked like values."""
    df = read_table(path, problems)
    if df is None:
        return None
    file = display_path(path)
    need = ("unit", "year", "indicator", "target")
    missing = [c for c in need if c not in df.columns]
    if missing:
        problems.add(Pos(file, 1), f"the targets file lacks column(s) {', '.join(missing)} "
                     "(needs unit, year, indicator, target)", "missing-column")
        return None
    leaves = set(tree.leaf_ids)
    out = []
    seen: dict[tuple, int] = {}
    n_before = len(problems.errors)
    unit_set = set(units.ids)
    for i, r in zip(df.index, df[list(need)].itertuples(index=False)):
        row = int(i) + 2
        uid, yr, ind, tv = (str(x).strip() for x in r)
        if uid not in unit_set:
            problems.add(Pos(file, row), f"unit {quote(uid)} is not in the units file{did_you_mean(uid, unit_set)}",
                         "unknown-unit")
            continue
        if ind not in leaves:
            problems.add(Pos(file, row), f"indicator {quote(ind)} is not in the framework{did_you_mean(ind, leaves)}",
                         "unknown-indicator")
            continue
        try:
            y = int(yr)
        except ValueError:
            problems.add(Pos(file, row), f"year {quote(yr)} is not a whole number", "bad-year")
            continue
        if y not in years:
            problems.add(Pos(file, row), f"year {y} is outside the project's years", "year-outside")
            continue
        if tv in MISSING_TOKENS:
            continue
        try:
            v = float(tv)
        except ValueError:
            problems.add(Pos(file, row), f"target {quote(tv)} is not a number", "not-a-number")
            continue
        k = (uid, y, ind)
        if k in seen:
            problems.add(Pos(file, row), f"{units.label(uid)} / {y} / {ind} has two targets (first at row {seen[k]})",
                         "duplicate-row")
            continue
        seen[k] = row
        out.append((uid, y, ind, v))
    if len(problems.errors) > n_before:
        return None
    return pd.DataFrame(out, columns=["unit", "year", "indicator", "target"])
