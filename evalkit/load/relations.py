"""The relations file (city-pair ties) and the relation types of the project file, with located problems.

``relations.csv`` has the columns ``from, to, year, relation, value`` (extra columns such
as ``note`` are ignored), CSV in UTF-8 (with or without BOM) or GB18030, or XLSX, read
like the values file.  One row is one tie of one relation in one year; a relation-year
with no row is not observed (its measures are missing), and in an observed year a pair
without a row has no tie (0).  Row numbers in messages are spreadsheet rows (header = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from ..analysis.network import NetworkMeasures, network_measures
from ..errors import Pos, Problems, did_you_mean, quote
from ..panel import Panel
from ..project import RelationType
from ..tree import Tree
from .data import MISSING_TOKENS, Units, _report_rows, read_table
from .tree import read_names, read_unit
from .yamlnodes import Doc, Key, display_path

COLUMNS = ("from", "to", "year", "relation", "value")
RELATION_KEYS = {
    "name": Key(dict, True, "{zh: 数据共享, en: Data sharing}"),
    "directed": Key(bool, True, "true: a tie goes from one unit to another (A sends to B); false: a tie is mutual"),
    "unit": Key(str, False, "unit of the tie values, e.g. {zh: 次, en: exchanges}"),
}


def read_relation_types(doc: Doc, node: yaml.Node) -> tuple[RelationType, ...] | None:
    """``relations: {data_sharing: {name: {...}, directed: true, unit: {...}}, ...}`` of the project file."""
    m = doc.mapping(node, None, "relations")
    if m is None:
        return None
    out, ok = [], True
    for rid, (knode, vnode) in m.items():
        ident = doc.ident(knode, "relation id")
        spec = doc.mapping(vnode, RELATION_KEYS, f"relation '{rid}'")
        if ident is None or spec is None or "name" not in spec or "directed" not in spec:
            ok = False
            continue
        name = read_names(doc, spec["name"][1], f"the name of relation '{rid}'")
        directed = doc.boolean(spec["directed"][1], f"directed of relation '{rid}'")
        unit, unit_en = read_unit(doc, spec["unit"][1]) if "unit" in spec else ("", None)
        if name is None or directed is None:
            ok = False
            continue
        out.append(RelationType(ident, name, directed, unit, unit_en, doc.pos(knode)))
    if not out and ok:
        doc.error(node, "relations is empty: declare at least one relation, or leave the key out", "empty-value")
        return None
    return tuple(out) if ok else None


@dataclass(frozen=True, eq=False)
class Relations:
    """Tie weights of every relation: ``weights[r, t, i, j]`` from unit i to unit j (symmetric if undirected)."""

    types: tuple[RelationType, ...]
    units: tuple[str, ...]
    years: tuple[int, ...]
    weights: np.ndarray  # (n_relations, n_years, n_units, n_units), 0 = no tie
    observed: np.ndarray  # (n_relations, n_years) bool: the relation has rows in that year
    groups: np.ndarray  # (n_units,) group index of each unit (for the cross-border measures)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.types)

    @cached_property
    def measures(self) -> dict[str, NetworkMeasures]:
        """Relation id -> its network measures (docs/methods.md#network), computed once."""
        return {t.id: network_measures(self.weights[r], directed=t.directed, groups=self.groups,
                                       observed=self.observed[r]) for r, t in enumerate(self.types)}


def load_relations(path: Path, types: tuple[RelationType, ...], units: Units, years: tuple[int, ...],
                   problems: Problems) -> Relations | None:
    """Read and check the relations file; every bad row is reported, located, before ``None`` is returned."""
    df = read_table(path, problems)
    if df is None:
        return None
    file = display_path(path)
    lower = {c.lower(): c for c in df.columns}
    missing = [c for c in COLUMNS if c not in lower]
    if missing:
        problems.add(Pos(file, 1), f"the relations file lacks column{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(missing)} (needs from, to, year, relation, value)", "missing-column")
        return None
    n_before = len(problems.errors)
    by_id = {t.id: r for r, t in enumerate(types)}
    unit_pos = {u: k for k, u in enumerate(units.ids)}
    year_pos = {y: k for k, y in enumerate(years)}
    bad: dict[str, dict[int, str]] = {}

    def flag(code: str, i: int, message: str) -> None:
        bad.setdefault(code, {}).setdefault(i, message)

    cols = [df[lower[c]].astype(str).str.strip().tolist() for c in COLUMNS]
    seen: dict[tuple, int] = {}
    ties: list[tuple[int, int, int, int, float]] = []
    for i, src, dst, year, rel, value in zip(df.index, *cols):
        i = int(i)
        ok = True
        r = by_id.get(rel)
        if r is None:
            flag("unknown-relation", i, f"relation {quote(rel)} is not declared under relations: in the project file"
                 f"{did_you_mean(rel, by_id)}")
            ok = False
        for end, uid in (("from", src), ("to", dst)):
            if uid not in unit_pos:
                flag("unknown-unit", i, f"{end} unit {quote(uid)} is not in the units file"
                     f"{did_you_mean(uid, units.ids)}")
                ok = False
        if src == dst and src in unit_pos:
            flag("self-tie", i, f"{units.label(src)} is tied to itself: a tie joins two different units")
            ok = False
        y = _whole(year)
        if y is None:
            flag("bad-year", i, f"year {quote(year)} is not a whole number")
            ok = False
        elif y not in year_pos:
            flag("year-outside", i, f"year {y} is outside the project's years [{years[0]}, {years[-1]}] (rows are "
                 "never filtered silently: widen years or remove the row)")
            ok = False
        v = None
        if value in MISSING_TOKENS:
            flag("missing-value", i, "the tie has no value: write its weight (0 for a tie recorded as none), or "
                 "remove the row")
            ok = False
        else:
            try:
                v = float(value)
            except ValueError:
                v = None
            if v is None or not np.isfinite(v):
                flag("not-a-number", i, f"value {quote(value)} is not a number")
                ok = False
            elif v < 0:
                flag("negative-value", i, f"value {value} is negative: tie weights are counts or amounts >= 0")
                ok = False
        if not ok:
            continue
        a, b = unit_pos[src], unit_pos[dst]
        if not types[r].directed:
            a, b = min(a, b), max(a, b)
        key = (r, year_pos[y], a, b)
        if key in seen:
            undirected = "" if types[r].directed else f" ({rel} is undirected: {src}–{dst} and {dst}–{src} are one tie)"
            flag("duplicate-row", i, f"the tie {units.label(src)} → {units.label(dst)} of {rel} in {y} is given twice "
                 f"(first at row {seen[key]}){undirected}: keep one row")
            continue
        seen[key] = i + 2
        ties.append((r, year_pos[y], a, b, float(v)))
    for code, rows in bad.items():
        _report_rows(problems, file, np.array(sorted(rows)), lambda k, rows=rows: rows[k], code)
    if len(problems.errors) > n_before:
        return None

    w = np.zeros((len(types), len(years), len(units.ids), len(units.ids)))
    observed = np.zeros((len(types), len(years)), bool)
    if ties:
        r, t, a, b, v = (np.array(x) for x in zip(*ties))
        r, t, a, b = (x.astype(np.int64) for x in (r, t, a, b))
        w[r, t, a, b] = v
        und = ~np.array([types[k].directed for k in r], dtype=bool)
        w[r[und], t[und], b[und], a[und]] = v[und]
        observed[r, t] = True
    return Relations(types, units.ids, tuple(years), w, observed, units.groups)


def _whole(text: str) -> int | None:
    try:
        f = float(text)
    except ValueError:
        return None
    return int(f) if np.isfinite(f) and f == int(f) else None


def check_network_leaves(tree: Tree, types: tuple[RelationType, ...], problems: Problems) -> None:
    """Every ``from_network`` leaf names a relation the project declares (located at the tree's line)."""
    declared = [t.id for t in types]
    for leaf in tree.networked:
        src = leaf.from_network
        if not declared:
            problems.add(src.pos, f"indicator '{leaf.id}' takes its values from relation '{src.relation}', but the "
                         "project has no relations: add data: {relations: relations.csv} and relations: {...} to "
                         "the project file", "no-relations")
        elif src.relation not in declared:
            problems.add(src.pos, f"indicator '{leaf.id}' names relation '{src.relation}', which the project does not "
                         f"declare{did_you_mean(src.relation, declared)}", "unknown-relation")


def check_network_data(tree: Tree, relations: Relations, problems: Problems) -> None:
    """A ``from_network`` leaf whose relation has no row at all would have no value in any year."""
    for leaf in tree.networked:
        src = leaf.from_network
        if src.relation in relations.ids and not relations.observed[relations.ids.index(src.relation)].any():
            problems.add(src.pos, f"indicator '{leaf.id}' takes its values from relation '{src.relation}', which has "
                         "no row in the relations file: add its ties, or remove the indicator", "no-data")


def with_network_values(panel: Panel, tree: Tree, relations: Relations) -> Panel:
    """The panel with each ``from_network`` leaf's column filled from its unit measure (NaN: year not observed)."""
    if not tree.networked:
        return panel
    values = np.array(panel.values)
    for leaf in tree.networked:
        src = leaf.from_network
        values[:, :, panel.column(leaf.id)] = relations.measures[src.relation].unit[src.measure]
    return panel.replace(values=values)
