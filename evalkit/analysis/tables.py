"""The analysis tables of a run (README.md "Command line", the outputs table), built from a scored result.

Each function reads the result's arrays, calls the pure analysis functions and
returns a long DataFrame with the documented columns first.  ``all_tables`` is
what ``evalkit run`` writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..tree import STAGES
from .convergence import beta_convergence, sigma_convergence
from .coordination import coupling_coordination
from .disparity import dagum_gini, disparity_table, theil
from .efficiency import dea, ratio
from .obstacle import group_obstacle, obstacle_degree


def all_tables(result, targets: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    tables = {
        "coordination": coordination_table(result),
        "obstacles": obstacles_table(result),
        "efficiency": efficiency_table(result),
        "disparity": disparity_frame(result),
        "convergence": convergence_table(result),
        "region_groups": region_groups_table(result),
    }
    if targets is not None:
        from .attainment import attainment_table

        tables["attainment"] = attainment_table(result, targets)
    if result.inputs.relations is not None:
        tables["network"] = network_table(result)
        tables["network-units"] = network_units_table(result)
    return {k: v for k, v in tables.items() if v is not None}


def _unit_year(result) -> tuple[np.ndarray, np.ndarray]:
    U, Y = len(result.units), len(result.years)
    uu, yy = np.meshgrid(np.arange(U), np.arange(Y), indexing="ij")
    return np.array(result.units, dtype=object)[uu.ravel()], np.array(result.years)[yy.ravel()]


def _z(result, node_ids: list[str]) -> np.ndarray:
    """(U, Y, k) node scores mapped from the scale onto [0, 1]."""
    lo, hi = result.settings.scale
    idx = [result.tree.index[n] for n in node_ids]
    return (result.scores[:, :, idx] - lo) / (hi - lo)


# --------------------------------------------------------------------------- coordination


def coordination_table(result) -> pd.DataFrame | None:
    """coordination.csv: unit, year, C, T, D, level, class_zh, class_en, lagging (+ traditional C and D)."""
    cfg: dict[str, Any] = dict(result.settings.analysis.get("coordination") or {})
    nodes = cfg.get("nodes") or [c.id for c in result.tree.domains]
    if len(nodes) < 2:
        return None
    U = _z(result, nodes)
    weights = cfg.get("weights")
    a = None
    if weights:
        a = np.array([float(weights.get(n, 0.0)) for n in nodes])
        a = a / a.sum()
    floor = cfg.get("floor")
    res = coupling_coordination(U, a=a, variant=cfg.get("variant", "corrected"), floor=floor)
    trad = coupling_coordination(U, a=a, variant="traditional", floor=floor)
    units, years = _unit_year(result)
    lag = np.asarray(res.lagging).ravel()
    lagging = np.array([nodes[int(i)] if i is not None and i == i and int(i) >= 0 else "" for i in lag], dtype=object)
    return pd.DataFrame({
        "unit": units, "year": years,
        "C": res.C.ravel(), "T": res.T.ravel(), "D": res.D.ravel(),
        "level": pd.array(np.asarray(res.level).ravel(), dtype="Int64"),
        "class_zh": np.asarray(res.class_zh, dtype=object).ravel(),
        "class_en": np.asarray(res.class_en, dtype=object).ravel(),
        "lagging": lagging,
        "C_traditional": trad.C.ravel(), "D_traditional": trad.D.ravel(),
    })


# --------------------------------------------------------------------------- obstacles


def obstacles_table(result) -> pd.DataFrame:
    """obstacles.csv: unit, year, level (indicator | stage | domain), node, obstacle (+ deficit).

    F = each indicator's global weight, I = 1 − z with z the standardisation the
    score used; the stage level sums the indicators by their stage (input …
    outcome) across domains, the domain level by the root's children.
    """
    tree = result.tree
    leaves = tree.leaves
    F = np.array([result.global_weight[tree.index[n.id]] for n in leaves])
    ob = obstacle_degree(result.z, F)
    O = ob.O  # (U, Y, L)
    units, years = _unit_year(result)
    n_uy = len(units)
    frames = []

    def block(level: str, names: list[str], values: np.ndarray) -> pd.DataFrame:
        k = len(names)
        return pd.DataFrame({
            "unit": np.repeat(units, k), "year": np.repeat(years, k),
            "level": level, "node": np.tile(np.array(names, dtype=object), n_uy),
            "obstacle": values.reshape(n_uy, k).ravel(),
        })

    frames.append(block("indicator", list(tree.leaf_ids), O))
    stages = [s for s in STAGES if any(n.stage == s for n in leaves)]
    if stages:
        gi = np.array([stages.index(n.stage) if n.stage in stages else -1 for n in leaves])
        staged = gi >= 0  # leaves outside the stages (e.g. network indicators) have no stage row
        Os = O if staged.all() else O[:, :, staged]
        frames.append(block("stage", stages, group_obstacle(Os, gi[staged], n_groups=len(stages))))
    domains = [d.id for d in tree.domains]
    di = np.array([domains.index(tree.domain_of(n.id)) for n in leaves])
    frames.append(block("domain", domains, group_obstacle(O, di, n_groups=len(domains))))
    out = pd.concat(frames, ignore_index=True)
    deficit = pd.Series(np.asarray(ob.deficit).ravel(), index=pd.MultiIndex.from_arrays([units, years]))
    out["deficit"] = deficit.reindex(pd.MultiIndex.from_arrays([out["unit"], out["year"]])).to_numpy()
    return out.sort_values(["unit", "year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- efficiency


def efficiency_table(result) -> pd.DataFrame | None:
    """efficiency.csv: unit, year, domain, efficiency (DEA CCR), ratio, peers (+ BCC and scale efficiency).

    Per domain and year, across units: inputs = the input stage score, outputs =
    the output and outcome stage scores (configurable under analysis.efficiency),
    all shifted +1 on the scale so a 0 never breaks the LP (docs/methods.md#dea).
    """
    cfg: dict[str, Any] = dict(result.settings.analysis.get("efficiency") or {})
    in_stages = list(cfg.get("inputs", ["input"]))
    out_stages = list(cfg.get("outputs", ["output", "outcome"]))
    tree = result.tree
    lo, _ = result.settings.scale
    units = np.array(result.units, dtype=object)
    frames = []
    for dom in tree.domains:
        by_stage = {c.stage: c.id for c in dom.children if c.stage}
        if not all(s in by_stage for s in in_stages + out_stages):
            continue
        X_all = result.scores[:, :, [tree.index[by_stage[s]] for s in in_stages]] - lo + 1
        Y_all = result.scores[:, :, [tree.index[by_stage[s]] for s in out_stages]] - lo + 1
        rat = ratio(result.scores[:, :, tree.index[by_stage["outcome"]]] - lo + 1,
                    result.scores[:, :, tree.index[by_stage["input"]]] - lo + 1) \
            if "outcome" in by_stage and "input" in by_stage else np.full(X_all.shape[:2], np.nan)
        for t, year in enumerate(result.years):
            X, Yv = X_all[:, t, :], Y_all[:, t, :]
            ccr = dea(X, Yv, model="ccr")
            bcc = dea(X, Yv, model="bcc", peers=False)  # only θ is written
            with np.errstate(invalid="ignore", divide="ignore"):
                scale_eff = ccr.theta / bcc.theta
            frames.append(pd.DataFrame({
                "unit": units, "year": year, "domain": dom.id, "efficiency": ccr.theta, "ratio": rat[:, t],
                "peers": [";".join(units[list(p)]) for p in ccr.peers],
                "efficiency_bcc": bcc.theta, "scale_efficiency": scale_eff}))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- disparity


def _disparity_nodes(result) -> list[str]:
    cfg = result.settings.analysis.get("disparity") or {}
    return list(cfg.get("nodes") or [result.tree.root.id] + [d.id for d in result.tree.domains])


def disparity_frame(result) -> pd.DataFrame:
    """disparity.csv: year, node, theil, theil_within, theil_between, gini, gini_within,
    gini_between, gini_trans, cv — groups are the units' groups (provinces)."""
    nodes = _disparity_nodes(result)
    idx = [result.tree.index[n] for n in nodes]
    Yv = result.scores[:, :, idx]  # (U, Y, k)
    groups = result.unit_groups()
    table = disparity_table(Yv, groups)
    Y, k = Yv.shape[1], Yv.shape[2]
    out = pd.DataFrame({"year": np.repeat(np.array(result.years), k),
                        "node": np.tile(np.array(nodes, dtype=object), Y)})
    for col, v in table.items():
        out[col] = np.asarray(v).reshape(Y, k).ravel()
    return out


def convergence_table(result) -> pd.DataFrame:
    """convergence.csv: per node and year the σ measures, and per node the absolute β-convergence
    regression over the whole period (the same β, se and p on every year row of the node)."""
    nodes = _disparity_nodes(result)
    years = np.array(result.years, dtype=float)
    frames = []
    for nid in nodes:
        S = result.node_scores(nid)
        sig = sigma_convergence(S)
        row = {"year": result.years, "node": nid, "mean": sig.mean, "sd": sig.sd_pop, "cv": sig.cv_pop,
               "sd_log": sig.sd_log_pop, "sigma_converging": np.r_[False, np.asarray(sig.converging, bool)]
               if len(sig.converging) == len(years) - 1 else sig.converging}
        if len(years) >= 2:
            b = beta_convergence(S, years=years)
            row.update({"beta": b.beta, "beta_se": b.se, "beta_p": b.p_value, "beta_speed": b.speed,
                        "beta_half_life": b.half_life, "beta_n": b.n})
        frames.append(pd.DataFrame(row))
    return pd.concat(frames, ignore_index=True)


def region_groups_table(result) -> pd.DataFrame:
    """region_groups.csv: per year, node (as disparity.csv) and group (province) the group's terms.

    Columns: year, node, group, n (units with a score), mean (of those), theil_group
    (T_g, Theil T within the group), theil_share (s_g = n_g μ_g / (n μ)),
    theil_contribution (s_g·T_g; their sum is disparity.csv's theil_within),
    gini_group (Dagum G_jj), min, max (the group's lowest and highest score).
    Groups in units-file order of first appearance; a one-unit group has T_g = G_jj = 0.
    """
    nodes = _disparity_nodes(result)
    table = result.inputs.units.table.set_index("id")
    labels = np.array([str(g) for g in table.loc[list(result.units), "group"]], dtype=object)
    order = list(dict.fromkeys(labels.tolist()))
    rows = []
    for nid in nodes:
        S = result.node_scores(nid)
        for t, year in enumerate(result.years):
            y = S[:, t]
            th = theil(y, labels)
            dg = dagum_gini(y, labels)
            t_at = {g: i for i, g in enumerate(th.groups)}
            g_at = {g: i for i, g in enumerate(dg.groups)}
            for g in order:
                v = y[(labels == g) & ~np.isnan(y)]
                i, j = t_at.get(g), g_at.get(g)
                rows.append((year, nid, g, v.size, v.mean() if v.size else np.nan,
                             th.T_g[i] if i is not None else np.nan,
                             th.score_share[i] if i is not None else np.nan,
                             th.contribution_T[i] if i is not None else np.nan,
                             dg.G_jj[j] if j is not None else np.nan,
                             v.min() if v.size else np.nan, v.max() if v.size else np.nan))
    return pd.DataFrame(rows, columns=["year", "node", "group", "n", "mean", "theil_group", "theil_share",
                                       "theil_contribution", "gini_group", "min", "max"])


# --------------------------------------------------------------------------- network


def network_table(result) -> pd.DataFrame:
    """network.csv: relation, year, then the whole-network measures (observed relation-years only).

    Source: docs/methods.md#network.
    """
    from .network import GRAPH_MEASURES

    rel = result.inputs.relations
    frames = []
    for r, t in enumerate(rel.types):
        obs = rel.observed[r]
        m = rel.measures[t.id].graph
        frames.append(pd.DataFrame({"relation": t.id, "directed": t.directed,
                                    "year": np.array(rel.years)[obs],
                                    **{k: m[k][obs] for k in GRAPH_MEASURES}}))
    df = pd.concat(frames, ignore_index=True)
    for k in ("units", "ties", "components", "isolates"):
        df[k] = df[k].astype(np.int64)
    return df


def network_units_table(result) -> pd.DataFrame:
    """network-units.csv: unit, year, relation, then each unit measure (observed relation-years only)."""
    from .network import UNIT_MEASURES

    rel = result.inputs.relations
    U = len(rel.units)
    frames = []
    for r, t in enumerate(rel.types):
        obs = np.flatnonzero(rel.observed[r])
        m = rel.measures[t.id].unit
        yy, uu = np.meshgrid(obs, np.arange(U), indexing="ij")  # relation, then year, then unit in file order
        frames.append(pd.DataFrame({"unit": np.array(rel.units, dtype=object)[uu.ravel()],
                                    "year": np.array(rel.years)[yy.ravel()], "relation": t.id,
                                    **{k: m[k][uu.ravel(), yy.ravel()] for k in UNIT_MEASURES}}))
    df = pd.concat(frames, ignore_index=True)
    df["degree"] = df["degree"].astype(np.int64)
    return df
