"""Loading: YAML definitions and data files, read with located problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Pos, Problems
from ..panel import Panel
from ..project import Project
from ..scheme import Scheme
from ..tree import Tree
from .data import Units, load_targets, load_units, load_values
from .project import demo_project_path, load_project
from .relations import Relations, check_network_data, check_network_leaves, load_relations, with_network_values
from .scheme import load_scheme
from .tree import load_tree


@dataclass(frozen=True, eq=False)
class Inputs:
    """Everything a run reads, validated together."""

    project: Project
    tree: Tree
    scheme: Scheme
    units: Units
    panel: Panel
    targets: pd.DataFrame | None
    warnings: tuple = ()
    relations: Relations | None = None  # city-pair ties, when the project has data.relations


def load_inputs(project_path: Path | None, problems: Problems | None = None) -> Inputs:
    """Read and cross-check every input; raises one UserError listing all problems."""
    problems = problems if problems is not None else Problems()
    project = load_project(project_path, problems)
    tree = scheme = units = panel = targets = relations = None
    if project is not None:
        tree = load_tree(project.framework, problems)
        scheme = load_scheme(project.weights, tree, problems)
        units = load_units(project.units, problems) if project.units is not None else None
        if tree is not None:
            _check_project_against_tree(project, tree, problems)
        if tree is not None and (units is not None or project.units is None):
            panel = load_values(project.values, tree, units, project.years, problems,
                                years_pos=project.pos.get("years"), columns=project.data_columns,
                                sheet=project.data_sheet, year=project.data_year)
            if panel is not None and units is None:  # no units file: the values file's ids, in file order
                units = Units.from_ids(panel.units)
        if units is not None:
            _check_file_names(units, project, problems)
            _check_spatial(project, units, problems)
            if panel is not None and project.targets is not None:
                targets = load_targets(project.targets, tree, units, panel.years, problems)
        if tree is not None:
            check_network_leaves(tree, project.relation_types, problems)
        years = panel.years if panel is not None else (
            tuple(range(project.years[0], project.years[1] + 1)) if project.years else None)
        if units is not None and years and project.relations is not None and project.relation_types:
            relations = load_relations(project.relations, project.relation_types, units, years, problems)
            if relations is not None and tree is not None:
                check_network_data(tree, relations, problems)
            if relations is not None and panel is not None and not problems.errors:
                panel = with_network_values(panel, tree, relations)
    problems.raise_if_errors()
    return Inputs(project, tree, scheme, units, panel, targets, tuple(problems.warnings), relations=relations)


def _check_file_names(units: Units, project: Project, problems: Problems) -> None:
    """Two ids whose page file names would coincide (an id spelled like another's derived name)."""
    from ..unitids import unit_file_stem
    from .yamlnodes import display_path

    seen: dict[str, str] = {}
    for uid in units.ids:
        stem = unit_file_stem(uid).lower()
        if stem in seen and seen[stem] != uid:
            where = project.units if project.units is not None else project.values
            problems.add(Pos(display_path(where)), f"unit ids {seen[stem]!r} and {uid!r} would both be written as "
                         f"{unit_file_stem(uid)}.html: rename one", "file-name-collision")
        seen.setdefault(stem, uid)
def _check_spatial(project: Project, units: Units, problems: Problems) -> None:
    """analysis.spatial's weights need the units file's place columns."""
    pos = project.pos
    sp = project.settings.analysis.get("spatial") or {}
    ucols = set(units.table.columns)
    if sp.get("weights") in ("knn", "inverse_distance") and not {"lat", "lon"} <= ucols:
        problems.add(pos["analysis"], f"analysis.spatial.weights is {sp['weights']}, which needs lat and lon "
                     "columns in the units file (decimal degrees)", "missing-column")
    if sp.get("weights") == "contiguity" and "neighbours" not in ucols:
        problems.add(pos["analysis"], "analysis.spatial.weights is contiguity, which needs a neighbours column in "
                     "the units file (neighbouring unit ids separated by ';')", "missing-column")


def _check_project_against_tree(project: Project, tree: Tree, problems: Problems) -> None:
    from ..errors import did_you_mean

    pos = project.pos
    leaves = set(tree.leaf_ids)
    prep = project.settings.prepare
    for ind in (prep.get("impute", {}) or {}).get("indicators", {}):
        if ind not in leaves and ind not in {v.id for v in tree.variables}:
            problems.add(pos["prepare"], f"prepare.impute names unknown indicator '{ind}'{did_you_mean(ind, leaves)}",
                         "unknown-indicator")
    for key in ("indicators", "exclude"):
        for ind in (prep.get("treat", {}) or {}).get(key, []):
            if ind not in leaves:
                problems.add(pos["prepare"], f"prepare.treat.{key} names unknown indicator '{ind}'"
                             f"{did_you_mean(ind, leaves)}", "unknown-indicator")
    analysis = project.settings.analysis
    coord = analysis.get("coordination") or {}
    for nid in coord.get("nodes") or []:
        if nid not in tree.by_id:
            problems.add(pos["analysis"], f"analysis.coordination names unknown node '{nid}'"
                         f"{did_you_mean(nid, tree.by_id)}", "unknown-node")
    systems = coord.get("nodes") or [d.id for d in tree.domains]
    weights = coord.get("weights")
    for nid in weights if isinstance(weights, dict) else {}:
        if nid not in systems:
            problems.add(pos["analysis"], f"analysis.coordination.weights names '{nid}', which is not one of the "
                         f"coordinated nodes{did_you_mean(nid, systems)}", "unknown-node")
    eff = analysis.get("efficiency") or {}
    from ..tree import STAGES

    for key in ("inputs", "outputs"):
        for nid in eff.get(key) or []:
            if nid not in STAGES and nid not in tree.by_id:
                problems.add(pos["analysis"], f"analysis.efficiency.{key} names '{nid}', neither a stage "
                             f"({', '.join(STAGES)}) nor a node or indicator{did_you_mean(nid, tree.by_id)}",
                             "unknown-node")
    for nid in (analysis.get("disparity") or {}).get("nodes") or []:
        if nid not in tree.by_id:
            problems.add(pos["analysis"], f"analysis.disparity names unknown node '{nid}'"
                         f"{did_you_mean(nid, tree.by_id)}", "unknown-node")
    if project.settings.normalize == "goalpost":
        lacking = [n.id for n in tree.leaves if n.goalposts is None]
        if lacking:
            problems.warn(pos.get("normalize", pos.get("framework")),
                          f"normalize: goalpost, but {len(lacking)} indicator(s) have no goalposts and fall back to "
                          f"minmax: {', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}", "no-goalposts")


__all__ = ["Inputs", "load_inputs", "load_project", "load_tree", "load_scheme", "load_units", "load_values",
           "demo_project_path", "Units", "Relations"]
