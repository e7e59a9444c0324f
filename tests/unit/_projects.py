"""Tiny projects for pipeline tests, built from Python values.

Two ways in:

* :func:`write_project` writes a real project folder (tree.yaml, scheme.yaml,
  values.csv, units.csv, evalkit.yaml) in a temporary directory, so a test goes
  through the loaders exactly like a user; :func:`load` also reads it back.
* :func:`inputs_in_memory` builds :class:`evalkit.load.Inputs` directly from
  :class:`evalkit.tree.Node` objects, an array and a scheme (no files): the
  property tests use it to build many random projects quickly.

Tree shorthand: ``node("idx", node("A", leaf("a1"), leaf("a2", "cost")), ...)``
returns plain dicts (the YAML mapping) for :func:`write_project`;
:func:`to_node` turns the same dicts into frozen ``Node`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.load.yamlnodes import NoAliasDumper  # evalkit refuses YAML aliases

from evalkit.errors import Pos
from evalkit.load import Inputs, load_inputs
from evalkit.load.data import Units
from evalkit.panel import Panel
from evalkit.project import Project, Settings
from evalkit.scheme import Scheme, Weighting
from evalkit.tree import Names, Node, Tree

# --------------------------------------------------------------------------- tree shorthand


def node(id: str, *children: dict, **extra: Any) -> dict:
    """An inner node as its YAML mapping."""
    return {"id": id, "name": {"zh": id, "en": id}, "children": list(children), **extra}


def leaf(id: str, direction: str = "benefit", **extra: Any) -> dict:
    """A leaf indicator as its YAML mapping."""
    return {"id": id, "name": {"zh": id, "en": id}, "direction": direction, **extra}


def leaf_ids(tree: dict) -> list[str]:
    """Leaf ids in the tree's (pre-order) order: the panel's axis 2."""
    if "children" not in tree:
        return [tree["id"]]
    return [i for c in tree["children"] for i in leaf_ids(c)]


def to_node(d: dict, stage: str | None = None) -> Node:
    """The frozen :class:`Node` of a shorthand mapping."""
    stage = d.get("stage", stage)
    target = d.get("target")
    if target is not None and not isinstance(target, (list, tuple)):
        target = (float(target), float(target))
    return Node(
        id=d["id"], name=Names(d["id"], d["id"]),
        children=tuple(to_node(c, stage) for c in d.get("children", ())),
        direction=d.get("direction"), target=tuple(target) if target is not None else None,
        goalposts=tuple(d["goalposts"]) if d.get("goalposts") else None,
        stage=stage, aggregate=d.get("aggregate"),
    )


# --------------------------------------------------------------------------- files


def _units_rows(units: Sequence[str], groups: Sequence[str] | None) -> list[dict]:
    groups = list(groups) if groups is not None else ["G"] * len(units)
    return [{"id": u, "name_zh": f"城市{u}", "name_en": f"City {u}", "group": g} for u, g in zip(units, groups)]


def write_project(folder: Path, *, tree: dict, values: np.ndarray, units: Sequence[str], years: Sequence[int],
                  scheme: Mapping | None = None, groups: Sequence[str] | None = None,
                  status: np.ndarray | None = None, **project: Any) -> Path:
    """Write a project folder; ``values[u, t, j]`` follows ``units``, ``years`` and the tree's leaves.

    NaN cells are left out of values.csv (missing).  ``status`` (same shape, str)
    adds a status column (``"provisional"`` marks a provisional cell).  Extra
    keywords go into evalkit.yaml as they are (``normalize={...}``, ``grades=...``).
    Returns the path of evalkit.yaml.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = leaf_ids(tree)
    values = np.asarray(values, dtype=float)
    assert values.shape == (len(units), len(years), len(ids)), values.shape
    (folder / "tree.yaml").write_text(yaml.dump(tree, Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    scheme = scheme if scheme is not None else {"default": {"method": "equal"}}
    (folder / "scheme.yaml").write_text(yaml.dump(dict(scheme), Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False,
                                                                       default_flow_style=None),
                                        encoding="utf-8")
    rows = []
    for u, unit in enumerate(units):
        for t, year in enumerate(years):
            for j, ind in enumerate(ids):
                v = values[u, t, j]
                if np.isnan(v):
                    continue
                row = {"unit": unit, "year": year, "indicator": ind, "value": repr(float(v))}
                if status is not None:
                    row["status"] = status[u, t, j]
                rows.append(row)
    pd.DataFrame(rows).to_csv(folder / "values.csv", index=False)
    pd.DataFrame(_units_rows(units, groups)).to_csv(folder / "units.csv", index=False)
    doc = {"title": {"zh": "测试", "en": "Test"}, "framework": "tree.yaml", "weights": "scheme.yaml",
           "data": {"values": "values.csv", "units": "units.csv"}, "years": [min(years), max(years)],
           "output": "out", **project}
    path = folder / "evalkit.yaml"
    path.write_text(yaml.dump(doc, Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(folder: Path, **kwargs: Any) -> Inputs:
    """:func:`write_project` then read it back through the loaders."""
    return load_inputs(write_project(folder, **kwargs))


# --------------------------------------------------------------------------- in memory


def inputs_in_memory(tree: dict | Node, values: np.ndarray, *, units: Sequence[str] | None = None,
                     years: Sequence[int] | None = None, scheme: Scheme | None = None,
                     settings: Settings | None = None, groups: Sequence[str] | None = None,
                     grades: tuple = ()) -> Inputs:
    """:class:`Inputs` without files: the tree, a (U, Y, L) array, a scheme and settings."""
    root = tree if isinstance(tree, Node) else to_node(tree)
    t = Tree(root)
    values = np.asarray(values, dtype=float)
    U, Y, L = values.shape
    assert L == len(t.leaves), (L, len(t.leaves))
    units = tuple(units) if units is not None else tuple(f"u{i:04d}" for i in range(U))
    years = tuple(years) if years is not None else tuple(range(2001, 2001 + Y))
    panel = Panel(values=values, units=units, years=years, columns=t.leaf_ids)
    table = pd.DataFrame(_units_rows(units, groups))
    here = Path("<memory>")
    project = Project(file=here, title=Names("测试", "Test"), framework=here, weights=here, values=here,
                      units=here, years=(years[0], years[-1]), settings=settings or Settings(), grades=grades,
                      pos={"prepare": Pos("<memory>", 1)})
    return Inputs(project=project, tree=t, scheme=scheme or Scheme(default=Weighting("equal")),
                  units=Units(table), panel=panel, targets=None)
