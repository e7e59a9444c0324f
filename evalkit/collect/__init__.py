"""Data collection from departments: templates out, returned workbooks in, coverage.

Why: the values of one city come from a dozen departments (finance, data
bureau, transport, health ...), each with its own spreadsheets and its own
statistical caliber (统计口径).  ``evalkit collect`` sends every department one
workbook holding exactly the indicators it reports, for every city, with the
definitions stated once for everyone; reads the returned workbooks back with
every problem located to a cell (``gov.xlsx!数据!D17: message``); and says who
still owes what.

- :mod:`.templates`  ``evalkit collect templates``: one XLSX per department.
- :mod:`.merge`      ``evalkit collect merge``: check the returned workbooks, update the values file.
- :mod:`.status`     ``evalkit collect status``: which department owes which indicators for which cities.

This module holds what the three share: what is collected (:class:`Item`),
who reports it (:class:`Department`), the plausible range of a value, the
workbook layout constants and the reader of a long-form values file.

Source: README.md "Command line" (collect), "File formats by example"; issue "evalkit collect".
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Pos, Problems
from ..load.data import MISSING_TOKENS, Units, _encoding, load_units, read_table
from ..load.project import load_project
from ..load.tree import load_tree
from ..load.yamlnodes import display_path
from ..project import Project
from ..tree import Names, Tree

# ------------------------------------------------------------------ workbook layout (shared by writer and reader)

FORMAT = "evalkit-collect/1"
SHEET_HELP = "说明"  # instructions (zh + en)
SHEET_DATA = "数据"  # the data sheet: city code, city name, value and reference columns
SHEET_DEFS = "定义"  # definitions: caliber, unit, direction, plausible range
SHEET_META = "_evalkit"  # veryHidden: year, department, column -> indicator id, recorded city codes
HEADER_ROWS = 2  # row 1: name (zh / en), row 2: unit · id; data start on row 3
FIRST_ROW = HEADER_ROWS + 1
CODE_COL, NAME_COL = 1, 2  # A, B
BY_OPTIONS = ("source", "domain")
UNASSIGNED = Names("未指定报送部门", "No reporting department given")

#: Units of measurement read as counts (never negative) when no goalposts are given.
COUNT_UNITS = ("个", "张", "人", "次", "万次", "件", "户", "家", "所", "台", "辆", "条", "项", "座", "名", "门",
               "套", "部", "万人", "万件", "天", "工作日", "分钟", "小时")


@dataclass(frozen=True, slots=True)
class Item:
    """One column to collect: a non-derived leaf indicator or a raw variable used by formulas."""

    id: str
    kind: str  # "indicator" | "variable"
    name: Names
    unit: str
    source: Names | None
    description: Names | None = None
    direction: str | None = None
    target: tuple[float, float] | None = None
    goalposts: tuple[float, float] | None = None
    domain: str | None = None  # the root's child above it (for a variable: above the first formula using it)
    used_by: tuple[str, ...] = ()  # derived indicators whose formula uses this variable

    @property
    def bounds(self) -> tuple[float, float]:
        return plausible_bounds(self.unit, self.goalposts)


@dataclass(frozen=True, slots=True)
class Department:
    """Who reports a set of items: a source department (or a domain with ``--by domain``)."""

    key: str  # file-name safe: "municipal-finance-bureau", "gov", "unassigned"
    name: Names
    items: tuple[Item, ...] = field(default=())


def plausible_bounds(unit: str, goalposts: tuple[float, float] | None) -> tuple[float, float]:
    """The range of values ``merge`` accepts (and the templates' data validation enforces).

    - goalposts [lo, hi]: widened by their span, [lo − (hi − lo), hi + (hi − lo)];
      kept ≥ 0 when lo ≥ 0 (a non-negative quantity stays non-negative), and
      ≤ 100 for a "%" unit when 0 ≤ lo and hi ≤ 100 (a share);
    - no goalposts, unit "%": [0, 100];
    - no goalposts, a count unit (:data:`COUNT_UNITS`, e.g. 个, 张, 人, 万次): [0, +inf);
    - otherwise unbounded (−inf, +inf).

    A value outside is an error in ``merge``: a real value beyond it means the
    tree's goalposts are wrong and should be widened there.
    """
    unit = (unit or "").strip()
    if goalposts is not None:
        lo, hi = float(goalposts[0]), float(goalposts[1])
        span = hi - lo
        a, b = lo - span, hi + span
        if lo >= 0:
            a = max(a, 0.0)
            if unit == "%" and hi <= 100:
                b = min(b, 100.0)
        return a, b
    if unit == "%":
        return 0.0, 100.0
    if unit in COUNT_UNITS:
        return 0.0, math.inf
    return -math.inf, math.inf


def collectable(tree: Tree) -> tuple[Item, ...]:
    """Items to collect, in the tree's leaf order then the variables' order; derived leaves are computed, not asked,
    and network indicators (``from_network``) come from the relations file."""
    from ..prepare.derived import parse_formula

    out: list[Item] = []
    users: dict[str, list[str]] = {}
    for leaf in tree.leaves:
        if leaf.formula is not None:
            for name in parse_formula(leaf.formula).names:
                users.setdefault(name, []).append(leaf.id)
            continue
        if leaf.from_network is not None:
            continue
        out.append(Item(id=leaf.id, kind="indicator", name=leaf.name, unit=leaf.unit or "", source=leaf.source,
                        description=leaf.description, direction=leaf.direction, target=leaf.target,
                        goalposts=leaf.goalposts, domain=tree.domain_of(leaf.id)))
    for v in tree.variables:
        used = tuple(users.get(v.id, ()))
        out.append(Item(id=v.id, kind="variable", name=v.name, unit=v.unit or "", source=v.source,
                        domain=tree.domain_of(used[0]) if used else None, used_by=used))
    return tuple(out)


def slug(text: str) -> str:
    """Lower-case ASCII file-name part: 'Municipal finance bureau' -> 'municipal-finance-bureau'."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60].strip("-")


def departments(tree: Tree, *, by: str = "source") -> tuple[Department, ...]:
    """Items grouped by reporting department (``by="source"``) or by domain, in order of first appearance.

    A department's key is the slug of its English name (or, lacking one, a hash of
    the Chinese name); items without a source go to the key ``unassigned``.
    """
    if by not in BY_OPTIONS:
        raise ValueError(f"by must be one of {BY_OPTIONS}, got {by!r}")
    groups: dict[str, tuple[Names, list[Item]]] = {}
    for item in collectable(tree):
        if by == "source":
            name = item.source or UNASSIGNED
            key = "unassigned" if item.source is None else (
                slug(name.en) or "dept-" + hashlib.sha1(name.zh.encode()).hexdigest()[:8])
        else:
            dom = tree.by_id.get(item.domain) if item.domain else None
            name = dom.name if dom is not None else Names("公式变量", "Formula variables")
            key = item.domain or "variables"
        if key not in groups:
            groups[key] = (name, [])
        groups[key][1].append(item)
    return tuple(Department(k, n, tuple(items)) for k, (n, items) in groups.items())


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True, eq=False)
class CollectInputs:
    """What collection needs: the project, its tree and units (not the values panel, which may be incomplete)."""

    project: Project
    tree: Tree
    units: Units

    @property
    def labels(self) -> dict[str, str]:
        """Unit id -> '苏州 320500' (never a name alone)."""
        t = self.units.table
        return {u: f"{n} {u}" for u, n in zip(t["id"], t["name_zh"])}


def load_collect_inputs(project_path: Path | None, problems: Problems) -> CollectInputs:
    """Read the project, the tree and the units; raises one UserError listing all problems."""
    project = load_project(project_path, problems)
    tree = units = None
    if project is not None:
        tree = load_tree(project.framework, problems)
        if project.units is None:
            problems.add(project.pos.get("data", Pos(display_path(project.file), 1)),
                         "collection works city by city from a units file: add data.units (id, name_zh, name_en, "
                         "group) to the project", "missing-units")
        else:
            units = load_units(project.units, problems)
    problems.raise_if_errors()
    return CollectInputs(project, tree, units)


def check_year(year: int, project: Project, problems: Problems, pos: Pos) -> None:
    """A collection year outside the project's ``years`` is allowed, with a warning (run would refuse the rows)."""
    ys = project.years
    if ys is not None and not (year in ys if project.editions else ys[0] <= year <= ys[-1]):
        shown = ", ".join(map(str, ys)) if project.editions else f"{ys[0]}, {ys[-1]}"
        problems.warn_text(pos, "year-outside", "warn_collect_year_outside", year=year, shown=shown,
                           file=display_path(project.file))


# ------------------------------------------------------------------ the long-form values file


def to_number(value: object) -> float | None:
    """A cell's number: float for numbers and numeric text, NaN for missing tokens, None for anything else."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if text in MISSING_TOKENS:
            return math.nan
        try:
            v = float(text)
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


@dataclass(eq=False)
class ValuesFile:
    """A long-form values file as text (every column kept as written) plus a parsed index.

    ``frame`` holds the rows as read (strings); ``index`` maps (unit, year,
    indicator) to the row position; ``numbers`` is the parsed value column
    (NaN: missing; an unparsable text stays NaN and is kept as written).
    """

    path: Path
    frame: pd.DataFrame
    index: dict[tuple[str, int, str], int]
    numbers: np.ndarray
    encoding: str = "utf-8"
    exists: bool = True

    def value(self, unit: str, year: int, indicator: str) -> float:
        k = self.index.get((unit, year, indicator))
        return math.nan if k is None else float(self.numbers[k])


def read_values_file(path: Path, problems: Problems, *, must_be_csv: bool = False) -> ValuesFile | None:
    """Read the project's long-form values file for collection (a missing file is an empty one).

    Errors: a wide-form file (collection writes long form), an XLSX file when
    ``must_be_csv`` (merge rewrites the file as CSV), the same unit/year/indicator
    given twice.  Values that are not numbers are left to ``evalkit validate``.
    """
    file = display_path(path)
    cols = ["unit", "year", "indicator", "value"]
    if not path.exists():
        return ValuesFile(path, pd.DataFrame(columns=cols, dtype=object), {}, np.zeros(0), "utf-8", exists=False)
    if must_be_csv and path.suffix.lower() not in (".csv", ".txt", ""):
        problems.add(Pos(file), "merge rewrites the values file as CSV: pass --into FILE.csv (the XLSX file is "
                     "read by `evalkit run`, but collection keeps values in a long-form CSV)", "values-not-csv")
        return None
    encoding = "utf-8"
    if path.suffix.lower() in (".csv", ".txt", ""):
        sub = Problems()
        enc = _encoding(path, sub)
        if enc is None:
            if any(p.code == "empty-file" for p in sub.items):  # an empty file: start a new one
                return ValuesFile(path, pd.DataFrame(columns=cols, dtype=object), {}, np.zeros(0), "utf-8")
            problems.extend(sub.items)
            return None
        encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else ("utf-8" if enc == "utf-8-sig"
                                                                                  else enc)
    sub = Problems()
    df = read_table(path, sub)
    if df is None:
        if [p.code for p in sub.items] == ["header-only"]:
            df = pd.read_csv(path, dtype=str, nrows=0, encoding=encoding)
            df.columns = [str(c).strip() for c in df.columns]
        else:
            problems.extend(sub.items)
            return None
    lower = {c.lower(): c for c in df.columns}
    missing = [c for c in cols if c not in lower]
    if missing:
        problems.add(Pos(file, 1), "collection keeps values in long form (columns unit, year, indicator, value); "
                     f"this file lacks {', '.join(missing)}: convert it, or pass --into a new long-form file",
                     "values-not-long")
        return None
    df = df.rename(columns={lower[c]: c for c in cols})
    units = df["unit"].astype(str).str.strip().to_numpy()
    years = pd.to_numeric(df["year"].astype(str).str.strip(), errors="coerce").to_numpy()
    inds = df["indicator"].astype(str).str.strip().to_numpy()
    vals = df["value"].astype(str).str.strip()
    miss = vals.isin(MISSING_TOKENS).to_numpy()
    numbers = pd.to_numeric(vals.where(~miss, None), errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(years)  # a bad year is left to `evalkit validate`
    rows = np.flatnonzero(ok)
    keys = list(zip(units[ok].tolist(), years[ok].astype(np.int64).tolist(), inds[ok].tolist()))
    index: dict[tuple[str, int, str], int] = dict(zip(reversed(keys), reversed(rows.tolist())))  # first wins
    if len(index) < len(keys):
        n_before = len(problems.errors)
        seen: dict[tuple[str, int, str], int] = {}
        for i, key in zip(rows.tolist(), keys):
            first = seen.setdefault(key, i)
            if first != i:
                problems.add(Pos(file, i + 2), f"{key[0]} / {key[1]} / {key[2]} is given twice (first at row "
                             f"{first + 2}): keep one row before merging", "duplicate-row")
        if len(problems.errors) > n_before:
            return None
    return ValuesFile(path, df, index, numbers, encoding)


def fmt(x: float) -> str:
    """A number as people write it: 12.5, 3, 1e+20; '' for missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


__all__ = ["Item", "Department", "CollectInputs", "ValuesFile", "plausible_bounds", "collectable", "departments",
           "load_collect_inputs", "read_values_file", "to_number", "fmt", "slug"]
