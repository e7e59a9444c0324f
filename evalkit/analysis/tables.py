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
from .disparity import PAIR_COLUMNS, dagum_gini, dagum_pairs, disparity_table, theil
from .efficiency import ratio
from .obstacle import group_obstacle, obstacle_degree


def all_tables(result, targets: pd.DataFrame | None = None, *, jobs: int = 1,
               meanwhile=None, helper=None) -> dict[str, pd.DataFrame]:
    """Every table ``evalkit run`` writes.  ``jobs`` > 1: the DEA tables (scipy's LP solver: its import and
    a linear programme per unit-domain-year) are computed in a forked process meanwhile (the same numbers),
    and ``meanwhile(done)`` (other work of the caller; ``done`` the tables made so far, to read) is called
    before waiting for them.  ``helper`` (a :class:`evalkit.workers.Helper` that has imported scipy): every
    table that needs scipy (DEA, convergence, spatial) is made there instead, pickled there and back."""
    # coupling coordination and DEA read scores as shares of the scale: not with unclipped z-scores
    on_scale = result.scores_on_scale()
    pending = None
    elsewhere = None  # the scipy tables, made by the helper
    if helper is not None:
        elsewhere = helper.submit(_scipy_tables, result, on_scale)
    if elsewhere is None and on_scale and jobs > 1:
        from ..workers import forked

        pending = forked(_efficiency_pair, result)
    coordination = coordination_table(result) if on_scale else None
    obstacles = obstacles_table(result)
    early = {"disparity": disparity_frame(result), "dagum-pairs": dagum_pairs_table(result),
             "region_groups": region_groups_table(result), "density": density_table(result)}
    if elsewhere is not None:
        more = _later_tables(result, targets)
        if meanwhile is not None:
            meanwhile(_present({"coordination": coordination, "obstacles": obstacles, **early, **more}))
        try:
            scipy_tables = elsewhere()
        except Exception:  # made here instead: what fails there fails here as with jobs=1 (a user error too)
            scipy_tables = _scipy_tables(result, on_scale)
    else:
        scipy_tables = {"convergence": convergence_table(result), "spatial": spatial_tables(result)}
        if pending is not None and meanwhile is not None:
            meanwhile(_present({"coordination": coordination, "obstacles": obstacles, **early,
                                "convergence": scipy_tables["convergence"], **scipy_tables["spatial"]}))
        scipy_tables["efficiency"] = (pending() if pending is not None else _efficiency_pair(result)) \
            if on_scale else {"efficiency": None}
        more = _later_tables(result, targets)
    # the files' order: coordination, obstacles, efficiency (and malmquist), the regional tables, the rest
    rest = {"disparity": early["disparity"], "dagum-pairs": early["dagum-pairs"],
            "convergence": scipy_tables["convergence"], "region_groups": early["region_groups"],
            "density": early["density"], **scipy_tables["spatial"]}
    return _present({"coordination": coordination, "obstacles": obstacles, **scipy_tables["efficiency"], **rest,
                     **more})


def _present(tables: dict[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """The tables that were made (None: not for this project)."""
    return {k: v for k, v in tables.items() if v is not None}


def _later_tables(result, targets: pd.DataFrame | None) -> dict[str, pd.DataFrame | None]:
    """attainment (with targets), bod, network and network-units (with relations): in this order."""
    tables = {}
    if targets is not None:
        from .attainment import attainment_table

        tables["attainment"] = attainment_table(result, targets)
    tables["bod"] = bod_table(result)
    if result.inputs.relations is not None:
        tables["network"] = network_table(result)
        tables["network-units"] = network_units_table(result)
    return tables


def _scipy_tables(result, on_scale: bool) -> dict:
    """The tables that need scipy (its import is most of their cost): DEA (``efficiency``: efficiency.csv and
    malmquist.csv), convergence.csv and the spatial tables, for a helper process that imported scipy."""
    return {"efficiency": _efficiency_pair(result) if on_scale else {"efficiency": None},
            "convergence": convergence_table(result), "spatial": spatial_tables(result)}


def warm_scipy() -> None:
    """Import what :func:`_scipy_tables` needs (most of its cost), e.g. in a helper process started early."""
    import scipy.optimize  # noqa: F401  (linprog: DEA)
    import scipy.special  # noqa: F401  (stdtr, ndtr: convergence and Moran's p-values)

    from . import dea_models, spatial  # noqa: F401


def bod_table(result) -> pd.DataFrame | None:
    """bod.csv: unit, year, node, child, weight, share — each unit's own benefit-of-the-doubt weights.

    ``weight`` is the unit's LP weight on the child (normalised to sum 1 over
    the node's children), ``share`` the child's part of the unit's score.
    None when no node has bod weights.
    """
    frames = []
    units, years = _unit_year(result)
    for node_id, nw in result.weighting.items():
        if nw.method != "bod":
            continue
        uw = np.asarray(nw.details["unit_weights"], dtype=float)  # (U, Y, k)
        us = np.asarray(nw.details["unit_share"], dtype=float)
        k = uw.shape[2]
        frames.append(pd.DataFrame({
            "unit": np.repeat(units, k), "year": np.repeat(years, k), "node": node_id,
            "child": np.tile(np.array(nw.children, dtype=object), len(units)),
            "weight": uw.reshape(-1), "share": us.reshape(-1),
        }))
    return pd.concat(frames, ignore_index=True) if frames else None
def _efficiency_pair(result) -> dict[str, pd.DataFrame | None]:
    t = efficiency_tables(result)
    out: dict[str, pd.DataFrame | None] = {"efficiency": t.get("efficiency")}
    if "malmquist" in t:
        out["malmquist"] = t["malmquist"]
    return out


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
    """coordination.csv: unit, year, C, T, D, level, class_zh, class_en, lagging (+ traditional C and D),
    then the coupling stage by C (stage_zh, stage_en), the relative development degree
    E = U_min / U_max (relative_development), the leading node and the development type
    (development_zh, development_en: synchronous, or which node lags).

    T weights (analysis.coordination.weights): equal (default), composite (the composite's
    own weights of the nodes, renormalised over them) or a mapping node → weight.
    """
    from .coordination import SYNC_E, coupling_stage, relative_development

    cfg: dict[str, Any] = dict(result.settings.analysis.get("coordination") or {})
    nodes = cfg.get("nodes") or [c.id for c in result.tree.domains]
    if len(nodes) < 2:
        return None
    U = _z(result, nodes)
    weights = cfg.get("weights")
    a = None
    if weights == "composite":
        a = np.array([float(result.global_weight[result.tree.index[n]]) for n in nodes])
        a = a / a.sum()
    elif isinstance(weights, dict) and weights:
        a = np.array([float(weights.get(n, 0.0)) for n in nodes])
        a = a / a.sum()
    floor = cfg.get("floor")
    res = coupling_coordination(U, a=a, variant=cfg.get("variant", "corrected"), floor=floor)
    trad = coupling_coordination(U, a=a, variant="traditional", floor=floor)
    units, years = _unit_year(result)
    ids = np.array(list(nodes) + [""], dtype=object)  # index −1 (a NaN row) names nothing
    lag = np.asarray(res.lagging).ravel()
    lagging = np.array([nodes[int(i)] if i is not None and i == i and int(i) >= 0 else "" for i in lag], dtype=object)
    stage_zh, stage_en = coupling_stage(res.C)
    Ufl = np.maximum(U, float(floor)) if floor is not None else U
    rd = relative_development(Ufl, threshold=SYNC_E)
    E = rd.E.ravel()
    names = [result.tree.by_id[n].name for n in nodes]
    zh_of = np.array([f"{nm.zh}滞后型" for nm in names] + [""], dtype=object)  # index −1: a NaN row
    en_of = np.array([f"{nm.en} lags" for nm in names] + [""], dtype=object)
    sync = rd.synchronous.ravel()
    rl = rd.lagging.ravel()
    dev_zh = np.where(np.isnan(E), "", np.where(sync, "同步发展", zh_of[rl]))
    dev_en = np.where(np.isnan(E), "", np.where(sync, "synchronous", en_of[rl]))
    return pd.DataFrame({
        "unit": units, "year": years,
        "C": res.C.ravel(), "T": res.T.ravel(), "D": res.D.ravel(),
        "level": pd.array(np.asarray(res.level).ravel(), dtype="Int64"),
        "class_zh": np.asarray(res.class_zh, dtype=object).ravel(),
        "class_en": np.asarray(res.class_en, dtype=object).ravel(),
        "lagging": lagging,
        "C_traditional": trad.C.ravel(), "D_traditional": trad.D.ravel(),
        "stage_zh": np.asarray(stage_zh, dtype=object).ravel(), "stage_en": np.asarray(stage_en, dtype=object).ravel(),
        "relative_development": E, "leading": ids[rd.leading.ravel()],
        "development_zh": dev_zh.astype(object), "development_en": dev_en.astype(object),
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
    cols = [tree.index[n.id] for n in leaves]
    # per-year weights (by: year): each year's obstacles use that year's weights
    F = result.global_weight[cols] if result.global_weight_year is None else result.global_weight_year[:, cols]
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
        if (gi >= 0).all():
            frames.append(block("stage", stages, group_obstacle(O, gi, n_groups=len(stages))))
        else:  # indicators without a stage take no part in the stage level
            staged = gi >= 0
            frames.append(block("stage", stages, group_obstacle(O[..., staged], gi[staged], n_groups=len(stages))))
    domains = [d.id for d in tree.domains]
    di = np.array([domains.index(tree.domain_of(n.id)) for n in leaves])
    frames.append(block("domain", domains, group_obstacle(O, di, n_groups=len(domains))))
    out = pd.concat(frames, ignore_index=True)
    deficit = pd.Series(np.asarray(ob.deficit).ravel(), index=pd.MultiIndex.from_arrays([units, years]))
    out["deficit"] = deficit.reindex(pd.MultiIndex.from_arrays([out["unit"], out["year"]])).to_numpy()
    return out.sort_values(["unit", "year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- efficiency


def efficiency_table(result) -> pd.DataFrame | None:
    """efficiency.csv: unit, year, domain, efficiency, ratio, peers, model (+ more by mode).

    analysis.efficiency names either stages or node / indicator ids:

    - stages (default inputs [input], outputs [output, outcome]): per domain and year,
      across units, the range directional model on the stage scores (shift-free, VRS;
      model ``rdm``); ratio = outcome / input stage score, each shifted +1 on the scale.
    - ids: one DEA of those values (leaves: as reported, imputed where missing; nodes:
      scores) per year (frontier: year) or against all years pooled (frontier: pooled):
      efficiency (CCR, chosen orientation), efficiency_bcc, scale_efficiency, the
      second-phase slacks ``slack_<id>`` of the CCR model, super_efficiency
      (Andersen–Petersen, CCR, against the year's other units), sbm (with sbm: true); ratio = first output / first input;
      domain = the domain holding every id, else the root (docs/methods.md#dea).
    """
    tables = efficiency_tables(result)
    return tables.get("efficiency")


def _efficiency_mode(result) -> tuple[dict[str, Any], list[str], list[str], bool]:
    cfg: dict[str, Any] = dict(result.settings.analysis.get("efficiency") or {})
    ins = list(cfg.get("inputs", ["input"]))
    outs = list(cfg.get("outputs", ["output", "outcome"]))
    staged = all(t in STAGES for t in ins + outs)
    return cfg, ins, outs, staged


def _raw_values(result, ids: list[str]) -> np.ndarray:
    """(U, Y, k) values of the ids: leaves as reported (imputed where missing), nodes as scored."""
    tree = result.tree
    leaf_pos = {lid: j for j, lid in enumerate(tree.leaf_ids)}
    cols = []
    for nid in ids:
        if nid in leaf_pos:
            j = leaf_pos[nid]
            raw, used = result.prepared.x_raw[:, :, j], result.prepared.x[:, :, j]
            cols.append(np.where(np.isfinite(raw), raw, used))
        else:
            cols.append(result.scores[:, :, tree.index[nid]])
    return np.stack(cols, axis=-1)


def efficiency_tables(result) -> dict[str, pd.DataFrame]:
    """efficiency.csv and (ids with ≥ 2 years, malmquist not false) malmquist.csv."""
    from .dea_models import malmquist, radial, rdm, sbm, super_efficiency

    cfg, ins, outs, staged = _efficiency_mode(result)
    tree = result.tree
    lo, _ = result.settings.scale
    units = np.array(result.units, dtype=object)
    frames = []
    if staged:
        for dom in tree.domains:
            by_stage = {c.stage: c.id for c in dom.children if c.stage}
            if not all(st in by_stage for st in ins + outs):
                continue
            X_all = result.scores[:, :, [tree.index[by_stage[st]] for st in ins]]
            Y_all = result.scores[:, :, [tree.index[by_stage[st]] for st in outs]]
            rat = ratio(result.scores[:, :, tree.index[by_stage["outcome"]]] - lo + 1,
                        result.scores[:, :, tree.index[by_stage["input"]]] - lo + 1) \
                if "outcome" in by_stage and "input" in by_stage else np.full(X_all.shape[:2], np.nan)
            for t, year in enumerate(result.years):
                r = rdm(X_all[:, t, :], Y_all[:, t, :])
                frames.append(pd.DataFrame({
                    "unit": units, "year": year, "domain": dom.id, "efficiency": r.efficiency, "ratio": rat[:, t],
                    "peers": [";".join(units[list(p)]) for p in r.peers], "model": "rdm"}))
        return {"efficiency": pd.concat(frames, ignore_index=True)} if frames else {}
    orient = cfg.get("orientation", "input")
    pooled = cfg.get("frontier", "year") == "pooled"
    doms = {tree.domain_of(n) for n in ins + outs}
    domain = doms.pop() if len(doms) == 1 and None not in doms else tree.root.id
    X_all, Y_all = _raw_values(result, ins), _raw_values(result, outs)
    U, T = X_all.shape[:2]
    Xp, Yp = X_all.reshape(U * T, -1), Y_all.reshape(U * T, -1)
    ref_names = np.array([f"{u}@{y}" for u in units for y in result.years], dtype=object)
    for t, year in enumerate(result.years):
        X, Y = X_all[:, t, :], Y_all[:, t, :]
        kw = {"Xref": Xp, "Yref": Yp} if pooled else {}
        names = ref_names if pooled else units
        ccr = radial(X, Y, rts="crs", orientation=orient, **kw)
        bcc = radial(X, Y, rts="vrs", orientation=orient, slacks=False, **kw)
        with np.errstate(invalid="ignore", divide="ignore"):
            row = {"unit": units, "year": year, "domain": domain, "efficiency": ccr.efficiency,
                   "ratio": Y[:, 0] / X[:, 0], "peers": [";".join(names[list(p)]) for p in ccr.peers],
                   "model": "ccr", "orientation": orient, "frontier": "pooled" if pooled else "year",
                   "efficiency_bcc": bcc.efficiency, "scale_efficiency": ccr.efficiency / bcc.efficiency}
        for i, nid in enumerate(ins):
            row[f"slack_{nid}"] = ccr.slack_x[:, i]
        for i, nid in enumerate(outs):
            row[f"slack_{nid}"] = ccr.slack_y[:, i]
        if cfg.get("super", True):
            row["super_efficiency"] = super_efficiency(X, Y, rts="crs", orientation=orient).efficiency
        if cfg.get("sbm", False):
            row["sbm"] = sbm(X, Y, rts="crs", **kw).rho
        frames.append(pd.DataFrame(row))
    out = {"efficiency": pd.concat(frames, ignore_index=True)}
    if T >= 2 and cfg.get("malmquist", True):
        mframes = []
        for t in range(T - 1):
            m = malmquist(X_all[:, t, :], Y_all[:, t, :], X_all[:, t + 1, :], Y_all[:, t + 1, :],
                          orientation=orient, frontier="global" if pooled else "contemporaneous",
                          Xpool=Xp, Ypool=Yp)
            mframes.append(pd.DataFrame({"unit": units, "year_from": result.years[t], "year": result.years[t + 1],
                                         "domain": domain, "mi": m.mi, "ec": m.ec, "tc": m.tc, "pec": m.pec,
                                         "sec": m.sec, "frontier": m.frontier, "orientation": orient}))
        out["malmquist"] = pd.concat(mframes, ignore_index=True)
    return out


# --------------------------------------------------------------------------- disparity


def _disparity_nodes(result) -> list[str]:
    cfg = result.settings.analysis.get("disparity") or {}
    return list(cfg.get("nodes") or [result.tree.root.id] + [d.id for d in result.tree.domains])


def disparity_frame(result) -> pd.DataFrame:
    """disparity.csv: year, node, theil, theil_within, theil_between, gini, gini_within,
    gini_between, gini_trans, cv, then theil_l (+ within, between), the Dagum shares
    gini_within_pct, gini_between_pct, gini_trans_pct (% of G) and the unit counts
    n_units, n_dropped_theil, n_dropped_theil_l — groups are the units' groups (provinces)."""
    nodes = _disparity_nodes(result)
    idx = [result.tree.index[n] for n in nodes]
    Yv = result.scores[:, :, idx]  # (U, Y, k)
    groups = result.unit_groups()
    table = disparity_table(Yv, groups)
    Y, k = Yv.shape[1], Yv.shape[2]
    out = pd.DataFrame({"year": np.repeat(np.array(result.years), k),
                        "node": np.tile(np.array(nodes, dtype=object), Y)})
    for col, v in table.items():
        v = np.asarray(v).reshape(Y, k).ravel()
        out[col] = v.astype(np.int64) if col.startswith("n_") else v
    return out


def dagum_pairs_table(result) -> pd.DataFrame | None:
    """dagum-pairs.csv: year, node (as disparity.csv) and every pair of groups j ≠ h (j the
    richer): n_j, n_h, mean_j, mean_h, G_jh, D_jh, d_jh, p_jh, contribution_nb,
    contribution_t (their sums over the pairs are disparity.csv's gini_between, gini_trans)."""
    nodes = _disparity_nodes(result)
    table = result.inputs.units.table.set_index("id")
    groups = np.array([str(g) for g in table.loc[list(result.units), "group"]], dtype=object)
    rows = []
    for nid in nodes:
        S = result.node_scores(nid)
        for t, year in enumerate(result.years):
            rows.extend((year, nid, *r) for r in dagum_pairs(S[:, t], groups))
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["year", "node", *PAIR_COLUMNS])


CONVERGENCE_COLUMNS = ("analysis", "year", "node", "group", "year_from", "mean", "sd", "cv", "sd_log",
                       "sigma_converging", "sigma_trend", "sigma_trend_se", "sigma_trend_p", "beta", "beta_se",
                       "beta_p", "beta_speed", "beta_half_life", "beta_n", "beta_r2", "fixed_effects")


def convergence_table(result) -> pd.DataFrame:
    """convergence.csv, one row per analysis (``analysis`` column):

    - ``sigma``: one row per node and year — mean, sd, cv, sd_log, sigma_converging
      (CV fell since the year before);
    - ``sigma_trend``: one row per node, the σ test: sigma_trend = OLS slope of the CV on
      the year, sigma_trend_se, sigma_trend_p (two-sided t, n − 2 df; NaN under 3 years);
    - ``beta_absolute``: one row per node, growth from year_from to year regressed on the
      initial level across units (Barro–Sala-i-Martin);
    - ``beta_conditional``: the same with one intercept per group (fixed_effects = group);
    - ``beta_panel``: year-on-year growth on the level with unit and year fixed effects
      (fixed_effects = unit+year; needs 3 years);
    - ``beta_club``: absolute β within each group (``group``), a club-convergence check.

    β columns keep their names (beta, beta_se, beta_p, beta_speed, beta_half_life, beta_n)
    and are empty on σ rows; σ columns are empty on β rows.
    """
    from .convergence import beta_conditional, beta_panel, sigma_trend

    nodes = _disparity_nodes(result)
    years = np.array(result.years, dtype=float)
    table = result.inputs.units.table.set_index("id")
    labels = np.array([str(g) for g in table.loc[list(result.units), "group"]], dtype=object)
    y0, y1 = result.years[0], result.years[-1]
    frames = []

    def brow(kind: str, nid: str, b, group: str = "", fe: str = "") -> dict:
        return {"analysis": kind, "year": y1, "node": nid, "group": group, "year_from": y0, "beta": b.beta,
                "beta_se": b.se, "beta_p": b.p_value, "beta_speed": b.speed, "beta_half_life": b.half_life,
                "beta_n": b.n, "beta_r2": b.r2, "fixed_effects": fe}

    for nid in nodes:
        S = result.node_scores(nid)
        sig = sigma_convergence(S)
        conv = np.r_[False, np.asarray(sig.converging, bool)] if len(sig.converging) == len(years) - 1 \
            else sig.converging
        st = sigma_trend(sig.cv_pop, years)
        frames.append(pd.DataFrame({"analysis": "sigma", "year": result.years, "node": nid, "group": "",
                                    "mean": sig.mean, "sd": sig.sd_pop, "cv": sig.cv_pop, "sd_log": sig.sd_log_pop,
                                    "sigma_converging": conv}))
        beta_rows = [{"analysis": "sigma_trend", "year": y1, "node": nid, "group": "", "year_from": y0,
                      "sigma_trend": st.slope, "sigma_trend_se": st.se, "sigma_trend_p": st.p_value}]
        if len(years) >= 2:
            b = beta_convergence(S, years=years, groups=labels)
            beta_rows.append(brow("beta_absolute", nid, b))
            beta_rows.append(brow("beta_conditional", nid, beta_conditional(S, labels, years=years), fe="group"))
            if len(years) >= 3:
                beta_rows.append(brow("beta_panel", nid, beta_panel(S, years=years), fe="unit+year"))
            for g, bg in (b.groups or {}).items():
                beta_rows.append(brow("beta_club", nid, bg, group=str(g)))
        frames.append(pd.DataFrame(beta_rows))
    out = pd.concat(frames, ignore_index=True)
    for c in CONVERGENCE_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    out["sigma_converging"] = out["sigma_converging"].astype("boolean")
    out["beta_n"] = out["beta_n"].astype("Int64")
    out["year_from"] = out["year_from"].astype("Int64")
    out["fixed_effects"] = out["fixed_effects"].astype(object).fillna("")  # all-empty with a single year: floats
    return out[list(CONVERGENCE_COLUMNS)]


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


def density_table(result, *, points: int = 101, bw: str = "scott") -> pd.DataFrame:
    """density.csv: year, node (as disparity.csv), x, density, bandwidth, bw_method, n.

    Gaussian kernel density of the units' scores per year and node on ``points``
    equally spaced x over the scale (the same grid every year, so curves overlay);
    bandwidth by Scott's rule σ̂ n^{-1/5} (scipy's gaussian_kde default).
    """
    from .density import kde

    nodes = _disparity_nodes(result)
    lo, hi = result.settings.scale
    grid = np.linspace(float(lo), float(hi), points)
    frames = []
    for nid in nodes:
        S = result.node_scores(nid)
        for t, year in enumerate(result.years):
            k = kde(S[:, t], grid, bw=bw)
            frames.append(pd.DataFrame({"year": year, "node": nid, "x": grid, "density": k.density,
                                        "bandwidth": k.bandwidth, "bw_method": bw, "n": k.n}))
    return pd.concat(frames, ignore_index=True)


QUADRANTS = {1: ("HH", "高-高"), 2: ("LH", "低-高"), 3: ("LL", "低-低"), 4: ("HL", "高-低")}


def spatial_weights(result) -> tuple[np.ndarray, np.ndarray, dict[str, Any]] | None:
    """(W over the placed units, their positions in result.units, resolved settings), or None
    when the units file has neither lat/lon nor neighbours."""
    from .spatial import contiguity_weights, distance_weights

    cfg: dict[str, Any] = dict(result.settings.analysis.get("spatial") or {})
    table = result.inputs.units.table.set_index("id").loc[list(result.units)]
    has_xy = {"lat", "lon"} <= set(table.columns)
    has_nb = "neighbours" in table.columns
    kind = cfg.get("weights") or ("contiguity" if has_nb else "knn" if has_xy else None)
    if kind is None or (kind == "contiguity" and not has_nb) or (kind != "contiguity" and not has_xy):
        return None
    k = int(cfg.get("k", 4))
    if kind == "contiguity":
        at = np.arange(len(result.units))
        nbs = [[t.strip() for t in str(v).split(";") if t.strip() and str(v) != "nan"] for v in table["neighbours"]]
        W = contiguity_weights(list(result.units), nbs)
    else:
        lat, lon = table["lat"].to_numpy(dtype=float), table["lon"].to_numpy(dtype=float)
        at = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if at.size < 3:
            return None
        k = min(k, at.size - 1)
        W = distance_weights(lat[at], lon[at], kind=kind, k=k)
    resolved = {"weights": kind, "k": k if kind == "knn" else None, "permutations": int(cfg.get("permutations", 999)),
                "seed": int(cfg.get("seed", 20240601)), "alpha": float(cfg.get("alpha", 0.05))}
    return W, at, resolved


def spatial_tables(result) -> dict[str, pd.DataFrame]:
    """spatial.csv and spatial-units.csv (units with coordinates or neighbours only).

    spatial.csv: year, node (as disparity.csv), moran_i, expected_i, z_norm, p_norm, p_sim,
    n, weights, k, permutations, seed. spatial-units.csv: unit, year, node, z (score − mean),
    lag (W z), local_i, p_sim, quadrant (HH, LH, LL, HL), cluster (the quadrant where
    p_sim < alpha, else ns), cluster_zh (高-高, 低-高, 低-低, 高-低, 不显著). W is
    row-standardised; a unit without a score that year is left out and W re-row-standardised
    over the others. Every cross-section uses the same seed, so reruns give the same p-values.
    """
    from .spatial import _row_standardise, lisa, moran

    sw = spatial_weights(result)
    if sw is None:
        return {}
    W0, at, cfg = sw
    units = np.array(result.units, dtype=object)[at]
    P, seed, alpha = cfg["permutations"], cfg["seed"], cfg["alpha"]
    glob, local = [], []
    for nid in _disparity_nodes(result):
        S = result.node_scores(nid)[at]
        for t, year in enumerate(result.years):
            y = S[:, t]
            ok = np.isfinite(y)
            W = _row_standardise(W0[np.ix_(ok, ok)])
            g = moran(y[ok], W, permutations=P, seed=seed)
            glob.append((year, nid, g.I, g.expected, g.z_norm, g.p_norm, g.p_sim, g.n, cfg["weights"], cfg["k"],
                         P, seed))
            lo = lisa(y[ok], W, permutations=P, seed=seed)
            for u, z, lag, Ii, p, q in zip(units[ok], lo.z, lo.lag, lo.Is, lo.p_sim, lo.quadrant):
                en, zh = QUADRANTS.get(int(q), ("", ""))
                sig = bool(p == p and p < alpha and en)
                local.append((u, year, nid, z, lag, Ii, p, en, en if sig else "ns", zh if sig else "不显著"))
    return {
        "spatial": pd.DataFrame(glob, columns=["year", "node", "moran_i", "expected_i", "z_norm", "p_norm", "p_sim",
                                               "n", "weights", "k", "permutations", "seed"]).astype({"k": "Int64"}),
        "spatial-units": pd.DataFrame(local, columns=["unit", "year", "node", "z", "lag", "local_i", "p_sim",
                                                      "quadrant", "cluster", "cluster_zh"]),
    }


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
