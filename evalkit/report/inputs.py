"""What the report renderer receives: the project's tables, already computed.

The pipeline builds one :class:`ReportInput` per run; the renderer only reads
it.  Tables are pandas DataFrames with the columns of the CSV files of the
same name (README.md "Command line", the outputs table), so a report can also be rebuilt from an output
folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from ..tree import Tree


@dataclass(frozen=True, eq=False)
class ReportInput:
    tree: Tree
    # id, name_zh, name_en, group (+ optional group_zh, group_en); units-file order
    units: pd.DataFrame
    # results.csv: unit, year, node, score, rank, group_rank, then optional
    # grade, imputed_share, provisional (bool), ... ; every node incl. leaves
    results: pd.DataFrame
    # weights.csv: node, parent, method, local_weight, global_weight, cr, ri_table
    weights: pd.DataFrame
    # raw indicator values, long: unit, year, indicator, value (NaN = missing),
    # imputed (bool), treated (bool), provisional (bool); leaves only
    raw: pd.DataFrame
    # title {zh, en}; scale (lo, hi); grades {A: 85, ...} or {}; synthetic (bool);
    # years (all years in the data, ascending); method: dict describing the run
    # (normalize, aggregate, weights scheme file, preparation steps, per-node
    # weighting with AHP CR and RI table), manifest: engine version + sha256 of inputs
    meta: Mapping[str, Any]
    # optional analysis tables (README.md "Command line", the outputs table); None when not computed
    tables: Mapping[str, pd.DataFrame | None] = field(default_factory=dict)
    # human-readable warnings of the run (strings), shown in the appendix
    notes: tuple[str, ...] = ()
    # city-pair ties of the relations file, when the project has one: relation, year, from, to, value
    # (observed relation-years only; an undirected tie once, from the earlier unit of the units file);
    # the relation types (id, name {zh, en}, directed, unit {zh, en}) are meta["relations"]
    ties: pd.DataFrame | None = None
