"""Values and units files -> :class:`evalkit.panel.Panel`, every problem located by row.

Values come in long form (``unit, year, indicator, value``; extra columns such
as ``note`` ignored; an optional ``status`` column marks provisional rows) or
wide form (``unit, year`` and one column per indicator or raw variable), as
CSV (UTF-8 with or without BOM, else GB18030) or XLSX.  Row numbers in
messages are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, did_you_mean, quote
from ..panel import PROVISIONAL, Panel
from ..tree import Tree
from ..unitids import RESERVED_UNIT_IDS, id_problem
from .yamlnodes import display_path

MISSING_TOKENS = ("", "NA", "N/A", "na", "-", "—", "NaN", "nan")
#: Largest magnitude a value may have: beyond it a cell is a typo or a wrong unit (1e308 would
#: overflow the first variance computed from it).
VALUE_LIMIT = 1e18
# headers a researcher's sheet commonly uses for the unit and the year: offered in the message when
# the values file has no unit/year column (the fix is a data.columns mapping in the project file)
UNIT_HEADER_GUESSES = ("省份", "地区", "城市", "省", "市", "单位", "region", "province", "city", "country", "iso3",
                       "code", "id", "name", "economy")
YEAR_HEADER_GUESSES = ("年份", "时间", "年度", "年", "year", "time", "period", "date")
ROWS_PER_KIND = 20
LONG_COLUMNS = ("unit", "year", "indicator", "value")
STATUS_VALUES = ("", "final", "provisional")


@dataclass(frozen=True, eq=False)
class Units:
    """The units table in file order: ids as text, names, groups."""

    table: pd.DataFrame  # id, name_zh, name_en, group (+ group_zh, group_en, lat, lon, neighbours when given)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.table["id"])

    @classmethod
    def from_ids(cls, ids) -> "Units":
        """Units named by their ids, no group (a project without a units file)."""
        ids = list(ids)
        return cls(pd.DataFrame({"id": ids, "name_zh": ids, "name_en": ids, "group": [""] * len(ids)}))

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
        return unit_id if name == unit_id else f"{name} {unit_id}"


# --------------------------------------------------------------------------- files


def read_table(path: Path, problems: Problems, *, sheet: str | None = None) -> pd.DataFrame | None:
    """Read a CSV or XLSX file as text columns (no type guessing: ids stay text).

    ``sheet`` names the worksheet of an XLSX file (default: the first).  The
    header row is checked first, in one linear pass: a repeated header is
    reported with its columns (pandas renames repeats one by one, in quadratic time).
    """
    file = display_path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from .xlsx import read_xlsx_table  # bounded: sizes checked before inflating, cells read faithfully

        df = read_xlsx_table(path, file, problems, sheet=sheet)
        if df is None:
            return None
    elif suffix in (".csv", ".txt", ""):
        enc = _encoding(path, problems)
        if enc is None:
            return None
        head = _csv_header(path, enc, file, problems)
        if head is None:
            return None
        try:
            # index_col=False: a first data row with one value too many must not silently turn the
            # first column into the index (every value would shift one column to the left)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=enc,
                                 skipinitialspace=True, index_col=False)
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                line = _first_long_row(path, enc, len(df.columns))
                problems.add(Pos(file, line), f"row {line} has more values than the {len(df.columns)} columns named "
                             "in row 1: remove the extra values (a stray comma?) or name their column", "bad-csv")
                return None
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
        # column by column, each distinct text stripped once; done as soon as no row can be blank
        blank = np.ones(len(df), bool)
        for c in range(df.shape[1]):
            codes, uniq = pd.factorize(df.iloc[:, c], use_na_sentinel=False)
            blank &= np.array([str(x).strip() == "" for x in uniq], dtype=bool)[codes]
            if not blank.any():
                break
        if blank.any():
            df = df[~blank]
    if len(df) == 0:
        problems.add(Pos(file, 1), "the file has a header but no data rows", "header-only")
        return None
    return df


def _first_long_row(path: Path, encoding: str, n_columns: int) -> int:
    """Spreadsheet row (physical line) of the first CSV record with more than ``n_columns`` fields."""
    import csv

    with open(path, newline="", encoding=encoding, errors="replace") as f:
        reader = csv.reader(f, skipinitialspace=True)
        for record in reader:
            if len(record) > n_columns:
                return reader.line_num
    return 1
def _csv_header(path: Path, enc: str, file: str, problems: Problems) -> list[str] | None:
    """The header row of a CSV, read in one linear pass; None (reported) when it repeats a column or
    when nothing follows it."""
    import csv

    csv.field_size_limit(1 << 30)  # a header line may be long; it is read once, linearly
    with open(path, encoding=enc, newline="") as f:
        reader = csv.reader(f, skipinitialspace=True)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return []  # pandas reports it, with its line
        if not _header_ok(header, file, problems):
            return None
        if not any(row and any(c.strip() for c in row) for row in _first_rows(reader)):
            problems.add(Pos(file, 1), "the file has a header but no data rows", "header-only")
            return None
    return header


def _first_rows(reader, n: int = 1000):
    """Up to ``n`` rows after the header (enough to know whether any data follows)."""
    import csv

    try:
        for k, row in enumerate(reader):
            yield row
            if k >= n:
                return
    except csv.Error:
        yield ["?"]  # a parse error: there is something; pandas reports it, with its line


def _header_ok(header: list[str], file: str, problems: Problems) -> bool:
    """No header given twice (after trimming; an empty header is allowed: pandas names it)."""
    names = [str(h).strip() for h in header]
    filled = [h for h in names if h]
    if len(set(filled)) == len(filled):  # the usual case: one pass, no bookkeeping
        return True
    from collections import Counter

    repeated = {h for h, n in Counter(filled).items() if n > 1}
    seen: dict[str, list[int]] = {}
    for k, h in enumerate(names, 1):
        if h in repeated:
            seen.setdefault(h, []).append(k)
    dups = list(seen.items())
    for h, cols in dups[:ROWS_PER_KIND]:
        shown = ", ".join(map(str, cols[:5])) + (f" … ({len(cols)} in all)" if len(cols) > 5 else "")
        problems.add(Pos(file, 1), f"column {quote(h)} is given {len(cols)} times (columns {shown}): keep one, or "
                     "rename the others", "duplicate-column")
    if len(dups) > ROWS_PER_KIND:
        problems.add(Pos(file, 1), f"... and {len(dups) - ROWS_PER_KIND} more repeated columns", "duplicate-column-more",
                     count=len(dups) - ROWS_PER_KIND)
    return False


def _encoding(path: Path, problems: Problems) -> str | None:
    """utf-8-sig when the bytes decode as UTF-8, else GB18030 (Excel on Chinese Windows).

    The file is decoded in blocks and the text thrown away: a check of a large file costs
    one block of memory, not the file and its decoded copy.
    """
    file = display_path(path)
    try:
        bad = _first_undecodable(path, "utf-8")
    except OSError as e:
        problems.add(Pos(file), f"cannot read the file: {e.strerror}", "file-unreadable")
        return None
    if bad == -2:
        problems.add(Pos(file, 1), "the file is empty: it needs a header row and data rows", "empty-file")
        return None
    if bad == -1:
        return "utf-8-sig"
    if _first_undecodable(path, "gb18030") == -1:
        return "gb18030"
    line = _count_newlines(path, bad) + 1
    problems.add(Pos(file, line), "the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8", "undecodable")
    return None


_BLOCK = 1 << 24


def _first_undecodable(path: Path, encoding: str) -> int:
    """Byte offset of the first byte that does not decode; -1 when all decode, -2 when the file
    holds only white space."""
    import codecs

    dec = codecs.getincrementaldecoder(encoding)()
    offset, blank = 0, True
    with open(path, "rb") as f:
        while True:
            block = f.read(_BLOCK)
            final = not block
            try:
                dec.decode(block, final)
            except UnicodeDecodeError as e:
                # the decoder may hold back the bytes of an unfinished character from the previous block
                return offset - len(dec.getstate()[0]) + e.start
            if final:
                return -2 if blank else -1
            blank = blank and not block.strip()
            offset += len(block)


def _count_newlines(path: Path, upto: int) -> int:
    n = 0
    with open(path, "rb") as f:
        while upto > 0:
            block = f.read(min(_BLOCK, upto))
            if not block:
                break
            n += block.count(b"\n")
            upto -= len(block)
    return n


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


def load_units(path: Path | pd.DataFrame, problems: Problems, *, file: str | None = None) -> Units | None:
    """The units file (or a DataFrame with its columns, named ``file`` in messages)."""
    df = path if isinstance(path, pd.DataFrame) else read_table(path, problems)
    if df is None:
        return None
    file = file or display_path(path)
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
        why = id_problem(uid)
        if why is not None:
            code = "reserved-unit-id" if uid.lower() in RESERVED_UNIT_IDS else "bad-unit-id"
            problems.add(Pos(file, row), f"unit id {quote(uid)} {why}", code)
            ok = False
            continue
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
    ok = _check_places(df, file, row_of, problems) and ok
    if not ok:
        return None
    keep = need + [c for c in ("group_zh", "group_en", "lat", "lon", "neighbours") if c in df.columns]
    out = df[keep].reset_index(drop=True)
    for c in ("lat", "lon"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c].replace({t: "" for t in MISSING_TOKENS}).replace("", np.nan))
    return Units(out)


def _check_places(df: pd.DataFrame, file: str, row_of: list[int], problems: Problems) -> bool:
    """Optional place columns: ``lat, lon`` (degrees; both or neither, a row may leave both
    empty) and ``neighbours`` (ids separated by ';'), used by the spatial analysis only."""
    ok = True
    has = [c for c in ("lat", "lon") if c in df.columns]
    if len(has) == 1:
        other = "lon" if has[0] == "lat" else "lat"
        problems.add(Pos(file, 1), f"the units file has column {has[0]} but not {other}: give both "
                     "(decimal degrees) or neither", "missing-column")
        return False
    if has:
        for i, (la, lo) in enumerate(zip(df["lat"].tolist(), df["lon"].tolist())):
            la, lo = ("" if v in MISSING_TOKENS else v for v in (la, lo))
            if (la == "") != (lo == ""):
                problems.add(Pos(file, row_of[i]), "give both lat and lon, or leave both empty", "bad-value")
                ok = False
                continue
            for name, v, lim in (("lat", la, 90.0), ("lon", lo, 180.0)):
                if v == "":
                    continue
                try:
                    f = float(v)
                except ValueError:
                    f = float("nan")
                if not (abs(f) <= lim):
                    problems.add(Pos(file, row_of[i]), f"{name} {quote(v)} is not a number of degrees in "
                                 f"[-{lim:g}, {lim:g}] (decimal degrees, e.g. 31.23)", "bad-value")
                    ok = False
    if "neighbours" in df.columns:
        known = set(df["id"].tolist())
        for i, cell in enumerate(df["neighbours"].tolist()):
            for nb in (t.strip() for t in str(cell).split(";")):
                if nb and nb not in known:
                    problems.add(Pos(file, row_of[i]), f"neighbour {quote(nb)} is not a unit id of this file"
                                 f"{did_you_mean(nb, known)}", "unknown-unit")
                    ok = False
    return ok


# --------------------------------------------------------------------------- values


# year texts the typed reader knows as categories: any other spelling ("2020.0", " 2020 ", 1850 ...)
# sends the file down the text path, which reads it as today
_YEAR_TEXTS = tuple(str(y) for y in range(1900, 2201))
# pandas 3 parses floats as Python does; pandas 2's default parser may miss by an ulp on long
# digit strings, its round-trip parser (deprecated in 3) does not
_ROUND_TRIP = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def _read_long_typed(path: Path, ind_columns: tuple[str, ...], units: "Units | None",
                     columns: Mapping[str, str] | None, year: int | None) -> pd.DataFrame | None:
    """A clean CSV (long, or wide with a column per indicator) read with types, or None: the
    caller then reads it as text, cell by cell, as it always did.

    Values are parsed as float64 by the CSV parser (missing tokens -> NaN), indicators
    (and units, when a units file gives them) as categoricals over the known ids, years over
    the texts 1900..2200, any other column as text: no Python object per value cell and no
    per-row Python, about the time and memory of a bare ``pandas.read_csv``.  None whenever
    a cell could need the text path: one the parser cannot read as a number (or an infinite
    one), an id or year spelled other than as known (unknown, padded, empty: a blank row),
    a parser warning, a column not read, a mapped year.  What is left is checked by the same
    code on the same texts (the categories are the cells as written), so the panel and every
    message are those of the text path; the parser's numbers are Python's ``float`` of the
    cell (tests/unit/test_load_typed.py compares the two paths).
    """
    if year is not None or path.suffix.lower() not in (".csv", ".txt", ""):
        return None
    # UTF-8 first, without a separate pass over the file: the reader decodes every cell strictly
    # (a value cell's bytes must parse as a number), so a file that is not UTF-8 raises; only then
    # is the encoding looked for (GB18030: read again with it)
    try:
        return _read_long_typed_as(path, "utf-8-sig", ind_columns, units, columns)
    except UnicodeDecodeError:
        pass
    enc = _encoding(path, Problems())
    if enc != "gb18030":
        return None
    try:
        return _read_long_typed_as(path, enc, ind_columns, units, columns)
    except UnicodeDecodeError:
        return None


def _read_long_typed_as(path: Path, enc: str, ind_columns: tuple[str, ...], units: "Units | None",
                        columns: Mapping[str, str] | None) -> pd.DataFrame | None:
    """:func:`_read_long_typed` in a given encoding (UnicodeDecodeError when it is not that)."""
    scratch = Problems()
    try:
        head = _csv_header(path, enc, display_path(path), scratch)
    except OSError:
        return None
    if not head:
        return None
    names = [str(h).strip() for h in head]
    if any(not n for n in names):
        return None
    mapped = _map_columns(pd.DataFrame(columns=names), "", columns or {}, None, scratch)
    if mapped is None or scratch.items:  # a column not read, a mapping that fails ...
        return None
    role = dict(zip(names, mapped.columns))
    roles = set(role.values())
    if {"indicator", "value"} <= roles:  # long: one value column
        numeric = [n for n, r in role.items() if r == "value"]
    elif "indicator" in roles or "value" in roles or not {"unit", "year"} <= roles:
        return None
    else:  # wide: a column per indicator (any other column: the text path names it)
        numeric = [n for n, r in role.items() if r not in ("unit", "year", "status", "note")]
        if not numeric or any(n not in ind_columns for n in numeric):
            return None
    dtypes: dict[str, object] = {}
    for name, r in role.items():
        if name in numeric:
            dtypes[name] = "float64"
        elif r == "indicator":
            dtypes[name] = pd.CategoricalDtype(pd.Index(list(ind_columns), dtype=object))
        elif r == "year":
            dtypes[name] = pd.CategoricalDtype(pd.Index(list(_YEAR_TEXTS), dtype=object))
        elif r == "unit" and units is not None:
            dtypes[name] = pd.CategoricalDtype(pd.Index(list(units.ids), dtype=object))
        else:
            dtypes[name] = str
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = pd.read_csv(path, header=0, names=names, dtype=dtypes, encoding=enc, index_col=False,
                             skipinitialspace=True, keep_default_na=False,
                             na_values={n: list(MISSING_TOKENS) for n in numeric}, **_ROUND_TRIP)
    except UnicodeDecodeError:
        raise
    except (ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None  # a cell that is not a number, a malformed line ...: the text path says which
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught) or len(df) == 0:
        return None
    df.columns = list(mapped.columns)
    if any(np.isinf(df[n].to_numpy()).any() for n in (role[n] for n in numeric)):
        return None
    # an id or year not among the categories (unknown, padded, empty: a blank row has an empty
    # indicator) is code -1
    if any((df[c].cat.codes.to_numpy() < 0).any() for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)):
        return None
    return df




def load_values(path: Path | pd.DataFrame, tree: Tree, units: Units | None, years: tuple[int, ...] | None,
                problems: Problems, *, years_pos: Pos | None = None, columns: Mapping[str, str] | None = None,
                sheet: str | None = None, year: int | None = None, file: str | None = None) -> Panel | None:
    """Read the values file into a panel: units (file order) × years × columns.

    Columns are the tree's leaves (derived ones left empty, computed later)
    followed by its variables.  ``columns`` maps roles (unit, year, indicator,
    value, status) to the file's own headers; ``year`` is the year of a file
    without a year column; ``units`` None takes the units from the file, in
    order of first appearance.  ``years``: None (the years with data), ``(first,
    last)`` (a range: years in it without data are left out) or three or more
    editions (exactly those).  Rows outside ``years`` are left out with one
    warning per year.  ``path`` may be a DataFrame (``file`` names it in messages;
    row numbers are then the frame's own positions).
    """
    leaf_ids = tree.leaf_ids
    ind_columns = leaf_ids + tuple(v.id for v in tree.variables)
    derived = {n.id for n in tree.derived}
    networked = {n.id for n in tree.networked}
    typed = None
    if isinstance(path, pd.DataFrame):
        df = path
        file = file or "values"
    else:
        file = display_path(path)
        typed = _read_long_typed(path, ind_columns, units, columns, year)
        df = typed if typed is not None else read_table(path, problems, sheet=sheet)
    if df is None:
        return None
    n_before = len(problems.errors)

    if typed is None:
        df = _map_columns(df, file, columns or {}, year, problems)
        if df is None:
            return None
    if "indicator" in df.columns and "value" in df.columns:
        long = df
        status = long["status"] if "status" in long.columns else None
        rows = long.index.to_numpy()  # position in the file (blank rows skipped): row = index + 2
    elif "indicator" in df.columns or "value" in df.columns:
        problems.add(Pos(file, 1), "long form needs both an indicator and a value column", "missing-column")
        return None
    else:
        value_cols = [c for c in df.columns if c not in ("unit", "year", "status", "note")]
        bad = [c for c in value_cols if c not in ind_columns]
        for c in bad:
            problems.add(Pos(file, 1), f"column {quote(c)} is neither an indicator nor a variable of the framework"
                         f"{did_you_mean(c, ind_columns)}", "unknown-indicator")
        value_cols = [c for c in value_cols if c in ind_columns]
        n, k = len(df), len(value_cols)
        long = pd.DataFrame({
            "unit": _repeat(df["unit"], k),
            "year": _repeat(df["year"], k),
            # codes into the column names: no text per cell
            "indicator": pd.Categorical.from_codes(np.tile(np.arange(k, dtype=np.int32), n),
                                                   dtype=pd.CategoricalDtype(pd.Index(value_cols, dtype=object))),
            "value": (df[value_cols].to_numpy(dtype=np.float64) if typed is not None else df[value_cols].to_numpy())
            .reshape(-1) if value_cols else np.array([], dtype=object),
        })
        status = (pd.Series(np.repeat(df["status"].to_numpy(), len(value_cols)))
                  if "status" in df.columns else None)
        rows = np.repeat(df.index.to_numpy(), len(value_cols))

    # years first: rows outside the project's years are left out before anything else is checked.
    # Each distinct year text is read once (ynum_t, yok_t); rows take theirs through ycode.
    ycode, ytext = _factorize_stripped(long["year"])
    ynum_t, yok_t = _year_numbers(ytext)
    bad_y = np.flatnonzero(~yok_t[ycode]) if len(ytext) else np.zeros(0, np.int64)
    if len(bad_y):
        _report_rows(problems, file, rows[bad_y],
                     lambda i: f"year {quote(ytext[ycode[_idx(rows, i)]])} is not a whole number", "bad-year")
    editions = years is not None and len(years) >= 3
    if years is not None and len(ytext):
        inside_t = np.isin(ynum_t, years) if editions else (ynum_t >= years[0]) & (ynum_t <= years[-1])
        # texts present in the rows only (a typed read's categories name every year it knows)
        out_t = yok_t & ~inside_t & (np.bincount(ycode, minlength=len(ytext)) > 0)
        if out_t.any():
            outside = out_t[ycode]
            span = ", ".join(map(str, years)) if editions else f"{years[0]}–{years[-1]}"
            for yv in np.unique(ynum_t[out_t].astype(np.int64)):
                in_year = rows[np.isin(ycode, np.flatnonzero(out_t & (ynum_t == yv)))]
                c = len(np.unique(in_year))  # file rows (a wide row holds several cells)
                problems.warn_text(Pos(file, int(in_year.min()) + 2), "year-outside", "warn_rows_outside", n=c,
                                   year=int(yv), span=span)
            keep = ~outside
            long = long[keep]
            rows = rows[keep]
            status = status[keep] if status is not None else None
            ycode, ytext = _factorize_stripped(long["year"])
            ynum_t, yok_t = _year_numbers(ytext)

    # Distinct texts are stripped once each (a large file repeats a few thousand ids millions of times);
    # ucode[k] indexes utext for long-table row k, and so on.
    ucode, utext = _factorize_stripped(long["unit"])
    icode, itext = _factorize_stripped(long["indicator"])

    def unit_of(k: int) -> str:
        return utext[ucode[k]]

    def ind_of(k: int) -> str:
        return itext[icode[k]]

    def year_of(k: int) -> str:
        return ytext[ycode[k]]

    # units
    if units is None:
        units = _units_from_values(utext, ucode, rows, file, problems)
        if units is None:
            return None
        label = units.label
        where = "the values file"
    else:
        label = units.label
        where = "the units file"
    u = pd.Index(units.ids).get_indexer(utext).astype(np.int32)[ucode] if len(utext) else np.zeros(0, np.int32)
    bad_u = np.flatnonzero(u < 0)
    if len(bad_u):
        _report_rows(problems, file, rows[bad_u],
                     lambda i: f"unit {quote(unit_of(_idx(rows, i)))} is not in {where}"
                     f"{did_you_mean(unit_of(_idx(rows, i)), units.ids)}", "unknown-unit")

    # indicators
    ind_pos = pd.Index(ind_columns).get_indexer(itext)
    for k, name in enumerate(itext):
        if name in derived:
            ind_pos[k] = -2
        elif name in networked:
            ind_pos[k] = -3
    j = ind_pos.astype(np.int32)[icode] if len(itext) else np.zeros(0, np.int32)
    bad_j = np.flatnonzero(j == -1)
    if len(bad_j):
        _report_rows(problems, file, rows[bad_j],
                     lambda i: f"indicator {quote(ind_of(_idx(rows, i)))} is not in the framework"
                     f"{did_you_mean(ind_of(_idx(rows, i)), ind_columns)}", "unknown-indicator")
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

    # values
    if long["value"].dtype == np.float64:  # read typed: every NaN was a missing token, nothing infinite
        val = long["value"].to_numpy()
        is_missing = np.isnan(val)
        raw = val
    else:
        raw = long["value"].to_numpy(dtype=object)
        val, is_missing = _parse_values(raw)
    bad_v = np.flatnonzero(~is_missing & ~np.isfinite(val))
    if len(bad_v):
        def msg(i: int) -> str:
            k = _idx(rows, i, bad_v)
            return (f"value {quote(str(raw[k]).strip())} for {label(unit_of(k))} / {year_of(k)} / {ind_of(k)} "
                    "is not a number (write missing values as empty, NA or -)")

        _report_rows(problems, file, rows[bad_v], msg, "not-a-number")
    with np.errstate(invalid="ignore"):
        huge = np.flatnonzero(np.isfinite(val) & (np.abs(val) > VALUE_LIMIT))
    if len(huge):
        def msg_huge(i: int) -> str:
            k = _idx(rows, i, huge)
            return (f"value {val[k]:g} for {label(unit_of(k))} / {year_of(k)} / {ind_of(k)} is beyond "
                    f"±{VALUE_LIMIT:.0e}: check the cell and its unit of measurement")

        _report_rows(problems, file, rows[huge], msg_huge, "value-out-of-range")

    # the panel's years: those with at least one value (a range's empty years are left out, named once)
    has_value = (u >= 0) & (j >= 0) & np.isfinite(val)
    seen_t = np.bincount(ycode[has_value], minlength=len(ytext)) > 0 if len(ytext) else np.zeros(0, bool)
    with_data = sorted(set(ynum_t[seen_t & yok_t].astype(np.int64).tolist()))
    del has_value
    if editions:
        empty = [y for y in years if y not in with_data]
        if empty:
            problems.add(years_pos or Pos(file), f"the project's editions include {', '.join(map(str, empty))}, "
                         f"which {'has' if len(empty) == 1 else 'have'} no data in {file}: remove "
                         f"{'it' if len(empty) == 1 else 'them'} from years, or add the values", "year-without-data")
        year_list = tuple(int(y) for y in years)
    else:
        if not with_data:
            if len(problems.errors) == n_before:
                span = f" in the project's years [{years[0]}, {years[-1]}]" if years is not None else ""
                problems.add(years_pos or Pos(file, 2), f"no value at all{span} in {file}", "year-without-data")
            return None
        first, last = (years[0], years[-1]) if years is not None else (with_data[0], with_data[-1])
        empty = [y for y in range(first, last + 1) if y not in with_data]
        if empty:
            problems.warn_text(years_pos or Pos(file), "year-without-data", "warn_years_without_data",
                               years=_year_list(empty), file=file)
        year_list = tuple(with_data)
    # the panel year of each distinct year text, then one gather (not a hash lookup per row)
    t_t = pd.Index(year_list).get_indexer(np.where(yok_t, np.nan_to_num(ynum_t), -1).astype(np.int64))
    t = t_t.astype(np.int32)[ycode] if len(ytext) else np.zeros(0, np.int32)

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
    all_ok = bool(ok.all())  # the usual case: no masked copies of the per-row arrays
    # duplicates among rows that otherwise parse; key = the cell's flat position in the panel
    n_y, n_c = len(year_list), len(ind_columns)
    key = u.astype(np.int64)
    key *= n_y
    key += t
    key *= n_c
    key += j
    key_in = key if all_ok else key[ok]
    has_dup = bool((np.bincount(key_in, minlength=len(units.ids) * n_y * n_c) > 1).any()) if len(key_in) else False
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
            return (f"{label(unit_of(k))} / {year_of(k)} / {ind_of(k)} is given twice (first at row "
                    f"{rows[f] + 2}): keep one row")

        _report_rows(problems, file, rows[dup_rows], dmsg, "duplicate-row")

    if len(problems.errors) > n_before:
        return None

    values = np.full((len(units.ids), n_y, n_c), np.nan)
    flags = np.zeros(values.shape, np.uint8)
    row_of = np.full(values.shape, -1, np.int64)
    # one scatter per array through the flat positions (the arrays are C-contiguous: ravel is a view)
    pick = slice(None) if all_ok else ok
    values.ravel()[key_in] = val[pick]
    if prov.any():
        flags.ravel()[key_in] = np.where(prov[pick], PROVISIONAL, 0)
    row_of.ravel()[key_in] = rows[pick] + 2

    # an indicator (or a variable a formula needs) with no data at all
    needed = [c for c in ind_columns if c not in derived and c not in networked]
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
        k = ind_columns.index(c)
        if not np.isfinite(values[:, :, k]).any():
            what = "variable" if c in var_ids else "indicator"
            # no row to point at: point at the definition in the tree (the fix is in either file)
            where_ = tree.by_id[c].pos if c in tree.by_id else next(v.pos for v in tree.variables if v.id == c)
            problems.add(where_, f"{what} '{c}' has no data at all in {file}: add its values, or remove it from the "
                         "framework", "no-data")
    if len(problems.errors) > n_before:
        return None
    return Panel(values=values, units=units.ids, years=year_list, columns=ind_columns, flags=flags, rows=row_of)


def _repeat(col: pd.Series, k: int):
    """Each cell of ``col`` k times (a categorical stays one: its codes are repeated, not its texts)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(np.repeat(col.cat.codes.to_numpy(), k), dtype=col.dtype)
    return np.repeat(col.to_numpy(), k)


def _year_numbers(ytext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(number, is_whole)`` of each distinct year text (NaN, False for text that is not a number)."""
    num = pd.to_numeric(pd.Series(ytext, dtype=object), errors="coerce").to_numpy(dtype=np.float64) \
        if len(ytext) else np.zeros(0)
    return num, np.isfinite(num) & (np.mod(np.nan_to_num(num), 1) == 0)


def _year_list(ys: list[int]) -> str:
    return ", ".join(map(str, ys))


def _map_columns(df: pd.DataFrame, file: str, mapping: Mapping[str, str], year: int | None,
                 problems: Problems) -> pd.DataFrame | None:
    """Rename the file's own headers to the roles unit, year, indicator, value, status.

    Mapped headers must exist; unmapped roles are found by name, ignoring case.
    A missing unit or year column is reported with the headers found and the
    ``data.columns`` mapping that would fix it.
    """
    found = [str(c) for c in df.columns]
    by_lower = {c.lower(): c for c in found}
    rename: dict[str, str] = {}
    ok = True
    for role, header in mapping.items():
        h = header if header in found else by_lower.get(str(header).lower())
        if h is None:
            problems.add(Pos(file, 1), f"data.columns.{role} names {quote(header)}, which is not a header of the "
                         f"file (found: {', '.join(found[:30])}{' …' if len(found) > 30 else ''})", "missing-column")
            ok = False
        else:
            rename[h] = role
    if not ok:
        return None
    for role in ("unit", "year", "indicator", "value", "status"):
        if role not in mapping and role in by_lower and by_lower[role] not in rename:
            rename[by_lower[role]] = role
    # a column named like a mapped role means something else in this file (单位 as "unit" of measure ...):
    # it is not read, and the warning says so
    unused = [c for c in found if c not in rename and c.lower() in mapping]
    for c in unused:
        problems.warn(Pos(file, 1), f"column {quote(c)} is not read: data.columns.{c.lower()} names "
                      f"{quote(mapping[c.lower()])}", "column-not-read")
    df = df.drop(columns=unused).rename(columns=rename)
    if year is not None:
        if "year" in df.columns:
            problems.add(Pos(file, 1), f"the file has a year column ({[k for k, v in rename.items() if v == 'year'][0]}), "
                         f"and data.year is {year}: give one or the other", "year-twice")
            return None
        df = df.assign(year=str(year))
    missing = [r for r in ("unit", "year") if r not in df.columns]
    if missing:
        guess = {}
        for role, options in (("unit", UNIT_HEADER_GUESSES), ("year", YEAR_HEADER_GUESSES)):
            if role in missing:
                hit = next((c for o in options for c in found if c.lower() == o.lower()), None)
                guess[role] = hit or (found[0] if role == "unit" and found else "<header>")
        fix = ", ".join(f"{k}: {v}" for k, v in guess.items())
        hint = ("; a file without a year column: data: {year: 2023}" if "year" in missing else "")
        problems.add(Pos(file, 1), f"the values file has no {' and no '.join(missing)} column (found: "
                     f"{', '.join(found[:30])}{' …' if len(found) > 30 else ''}): map the file's own headers in the "
                     f"project file, e.g. data: {{columns: {{{fix}}}}}{hint}", "missing-column")
        return None
    return df


def _units_from_values(utext: np.ndarray, ucode: np.ndarray, rows: np.ndarray, file: str,
                       problems: Problems) -> Units | None:
    """Units named by their ids, in order of first appearance (no units file): each id checked once."""
    # factorize numbers texts in order of first appearance: code order is file order
    codes, first_k = np.unique(ucode, return_index=True)
    ids: list[str] = []
    seen: dict[str, tuple[str, int]] = {}
    ok = True
    for code, k in zip(codes, first_k):
        uid = utext[code]
        row = int(rows[k]) + 2
        if uid in ids:
            continue  # two spellings stripping to the same text
        why = id_problem(uid)
        if why is not None:
            problems.add(Pos(file, row), f"unit id {quote(uid)} {why}",
                         "reserved-unit-id" if uid.lower() in RESERVED_UNIT_IDS else "bad-unit-id")
            ok = False
            continue
        low = uid.lower()
        if low in seen:
            problems.add(Pos(file, row), f"unit ids {quote(seen[low][0])} (row {seen[low][1]}) and {quote(uid)} differ "
                         "only in case: they would collide as file names; write one spelling", "duplicate-unit")
            ok = False
            continue
        seen[low] = (uid, row)
        ids.append(uid)
    return Units.from_ids(ids) if ok else None


def _factorize_stripped(col) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)`` of a column read as text: ``texts[codes[k]]`` is row k, stripped.

    Each distinct value is stripped once; two spellings that strip to the same
    text keep separate codes (harmless: callers map texts, not codes).
    """
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype) and not col.hasnans:
        # read typed: the categories are the texts, the codes (int8/int16) index them; no copy per row
        return col.cat.codes.to_numpy(), np.array([str(x).strip() for x in col.cat.categories], dtype=object)
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
