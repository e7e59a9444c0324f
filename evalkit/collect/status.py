"""``evalkit collect status``: which department still owes which indicators for which cities.

Coverage of one year in the values file, one row per (department, item):
``department, department_zh, department_en, indicator, name_zh, name_en,
given, owed, total, owed_units`` (``owed_units``: the ids of the cities
without a value, space-separated, in units-file order).  A value counts as
given when its cell holds a number; an empty, ``NA`` or ``-`` cell is owed.

Source: README.md "Command line" (collect status); issue "evalkit collect".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Pos, Problems
from ..load.yamlnodes import display_path
from ..project import Project
from . import check_year, departments, load_collect_inputs, read_values_file

COLUMNS = ["department", "department_zh", "department_en", "indicator", "name_zh", "name_en", "given", "owed",
           "total", "owed_units"]


@dataclass(frozen=True, eq=False)
class Coverage:
    table: pd.DataFrame  # COLUMNS
    labels: dict  # unit id -> '苏州 320500'
    project: Project
    warnings: tuple = ()


def coverage(project_path: Path | None, *, year: int, by: str = "source") -> Coverage:
    """The coverage table of ``year`` (see the module docstring), with unit labels and warnings.

    Raises UserError when the project or the values file has problems.
    """
    problems = Problems()
    inputs = load_collect_inputs(project_path, problems)
    values = read_values_file(inputs.project.values, problems)
    check_year(year, inputs.project, problems, Pos(display_path(inputs.project.file)))
    problems.raise_if_errors()
    codes = [str(u) for u in inputs.units.table["id"]]
    rows = []
    for dept in departments(inputs.tree, by=by):
        for item in dept.items:
            got = np.array([math.isfinite(values.value(u, year, item.id)) for u in codes], dtype=bool)
            owed = [u for u, g in zip(codes, got) if not g]
            rows.append({"department": dept.key, "department_zh": dept.name.zh, "department_en": dept.name.en,
                         "indicator": item.id, "name_zh": item.name.zh, "name_en": item.name.en,
                         "given": int(got.sum()), "owed": len(owed), "total": len(codes),
                         "owed_units": " ".join(owed)})
    return Coverage(pd.DataFrame(rows, columns=COLUMNS), inputs.labels, inputs.project, tuple(problems.warnings))


def format_status(table: pd.DataFrame, labels: dict[str, str], *, year: int, lang: str = "zh",
                  max_units: int = 6) -> str:
    """The coverage table for a terminal, in ``lang``: per department its owed indicators and (the first) cities."""
    from ..i18n import section

    T = section("cst_", lang)
    lines = []
    total = int(table["total"].sum())
    given = int(table["given"].sum())
    share = 100.0 * given / total if total else 100.0
    lines.append(T["head"].format(year=year, given=given, total=total, share=share, owed=total - given,
                                  n_owing=table.loc[table["owed"] > 0, "department"].nunique(),
                                  n_dept=table["department"].nunique()))
    for key, part in table.groupby("department", sort=False):
        name = part.iloc[0]["department_zh" if lang == "zh" else "department_en"]
        owed = part[part["owed"] > 0]
        n_owed = int(part["owed"].sum())
        head = f"{name} ({key}){T['colon']}"
        if owed.empty:
            lines.append(head + T["complete"].format(n=len(part)))
            continue
        lines.append(head + T["owes"].format(owed=n_owed, total=int(part["total"].sum()), k=len(owed), n=len(part)))
        width = max(len(i) for i in owed["indicator"])
        for r in owed.itertuples(index=False):
            units = r.owed_units.split()
            shown = T["sep"].join(labels.get(u, u) for u in units[:max_units])
            more = T["more"].format(n=len(units) - max_units) if len(units) > max_units else ""
            who = T["all"] if r.owed == r.total else shown + more
            iname = r.name_zh if lang == "zh" else r.name_en
            lines.append(f"  {r.indicator:<{width}}  {r.owed:>4}/{r.total}  {iname}{T['colon']}{who}")
    return "\n".join(lines)


def write_status(table: pd.DataFrame, out: Path, *, year: int) -> Path:
    """``collect-status-<year>.csv`` in ``out``, written to a temporary file and renamed."""
    from ..output import recover, write_csv_atomic

    recover(Path(out))  # a run killed while replacing the folder: put it back before adding to it
    path = Path(out) / f"collect-status-{year}.csv"
    write_csv_atomic(table, path)
    return path


__all__ = ["Coverage", "coverage", "format_status", "write_status", "COLUMNS"]
