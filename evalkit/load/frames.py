"""Inputs from pandas DataFrames and dicts: :func:`from_frames`, the same checks as the files.

A researcher holding the values in a DataFrame and the tree and weights as
Python dicts (or YAML files) gets the same validated :class:`Inputs` as from a
project folder, and the same messages, located by the frame's row
(``values[row 12]: ...``: 0-based positions as ``df.iloc``) or by the line of
the YAML the dicts are written as (``tree:7:5: ...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

from ..errors import Pos, Problem, Problems, UserError
from .data import Units, load_units, load_values
from .project import load_project
from .scheme import load_scheme
from .tree import load_tree
from .yamlnodes import NoAliasDumper

# settings keyword -> where it goes in the project mapping
DATA_SETTINGS = ("columns", "sheet", "year", "synthetic")


def from_frames(values: pd.DataFrame, tree: Mapping | str | Path, weights: Mapping | str | Path,
                units: pd.DataFrame | None = None, **settings: Any):
    """Validated :class:`evalkit.load.Inputs` from a values DataFrame, a tree and a weight scheme.

    ``values`` is long (unit, year, indicator, value) or wide (unit, year, one
    column per indicator); ``columns={"unit": "省份", "year": "时间"}`` maps its
    own headers and ``year=2023`` dates a frame without a year column.
    ``tree`` and ``weights`` are the YAML mappings as dicts (or paths of YAML
    files); ``units`` a DataFrame with id, name_zh, name_en, group (default:
    the values' ids).  Other keywords are the project file's keys
    (``years=[2014, 2024]``, ``normalize={"method": "zscore"}``,
    ``report={"min_coverage": 0.6}``, ``grades={...}`` ...).  Raises
    :class:`evalkit.UserError` listing every problem.
    """
    from . import Inputs, _check_project_against_tree

    problems = Problems()
    data: dict[str, Any] = {"values": "values"}
    if units is not None:
        data["units"] = "units"
    for k in DATA_SETTINGS:
        if k in settings:
            data[k] = settings.pop(k)
    project_map = {"framework": "tree", "weights": "weights", "data": data, **settings}
    project = load_project("settings", problems, text=_dump(project_map))

    t = _yaml_input(tree, "tree", problems, load_tree)
    scheme = _yaml_input(weights, "weights", problems, lambda p, pr, **kw: load_scheme(p, t, pr, **kw))
    unit_obj = None
    if units is not None:
        if not isinstance(units, pd.DataFrame):
            problems.add(Pos("units"), "units must be a pandas DataFrame (id, name_zh, name_en, group)", "bad-input")
        else:
            sub = Problems()
            unit_obj = load_units(_as_text(units), sub, file="units")
            problems.extend(_frame_rows(sub.items, "units"))
    panel = None
    if not isinstance(values, pd.DataFrame):
        problems.add(Pos("values"), "values must be a pandas DataFrame", "bad-input")
    elif project is not None and t is not None and (units is None or unit_obj is not None):
        _check_project_against_tree(project, t, problems)
        sub = Problems()
        panel = load_values(_as_text(values), t, unit_obj, project.years, sub, years_pos=project.pos.get("years"),
                            columns=project.data_columns, year=project.data_year, file="values")
        problems.extend(_frame_rows(sub.items, "values"))
        if panel is not None and unit_obj is None:
            unit_obj = Units.from_ids(panel.units)
    problems.raise_if_errors()
    if project is None or t is None or scheme is None or panel is None:  # pragma: no cover - reported above
        raise UserError([Problem(Pos("settings"), "the inputs could not be read", "bad-input")])
    return Inputs(project, t, scheme, unit_obj, panel, None, tuple(problems.warnings))


def _dump(m: Mapping) -> str:
    return yaml.dump(_plain(m), Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False)


def _plain(v: Any) -> Any:
    """Dicts, lists and scalars only (tuples and numpy numbers as YAML knows them)."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Path):
        return str(v)
    return v


def _yaml_input(source, name: str, problems: Problems, loader):
    """A dict (dumped to YAML and read as ``name``) or the path of a YAML file."""
    if isinstance(source, Mapping):
        return loader(name, problems, text=_dump(source))
    if isinstance(source, (str, Path)) and Path(source).is_file():
        return loader(Path(source), problems)
    problems.add(Pos(name), f"{name} must be a dict (the YAML mapping) or the path of a YAML file, got "
                 f"{type(source).__name__}", "bad-input")
    return None


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as the file readers see a table: text cells ('' for missing), positional rows."""
    out = df.reset_index(drop=True).astype(object)
    out = out.where(pd.notna(out), "")
    out = out.map(_text)
    out.columns = [str(c).strip() for c in out.columns]
    return out


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)  # 2020.0 stays a number the year check accepts
    return str(v)


def _frame_rows(items, name: str) -> list[Problem]:
    """``values:14`` (spreadsheet numbering) -> ``values[row 12]`` (the frame's position); header -> columns."""
    out = []
    for p in items:
        if p.pos.file == name and p.pos.line >= 2:
            p = Problem(Pos(f"{name}[row {p.pos.line - 2}]"), p.message, p.code, p.severity, p.count)
        elif p.pos.file == name and p.pos.line == 1:
            p = Problem(Pos(f"{name}[columns]"), p.message, p.code, p.severity, p.count)
        out.append(p)
    return out
