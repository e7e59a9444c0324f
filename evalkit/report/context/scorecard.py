"""One city's page (the scorecard): headline, domains, chain diagnosis, indicators, data quality."""

from __future__ import annotations

import math
import re
from itertools import islice
from typing import Mapping

import numpy as np

from ...tree import STAGES, Node
from .. import charts
from ..charts import ALL, CITY, GROUP, Series
from ...i18n import t
from .common import common_context
from .formatting import DASH, delta_rank, delta_score, fmt_pct, fmt_rank, fmt_measure, fmt_raw, fmt_score, fmt_signed, ok
from .network import partners_context
from .prepared import impute_how, IMPUTE_STEPS, Prepared, screened, treat_methods
from .sections import _attainment, _bod, _coordination, _efficiency, _obstacles, _robustness


def diagnose_chain(stages: Mapping[str, float], averages: Mapping[str, float], *, gap: float, lang: str) -> str:
    """A plain-language reading of an input → process → output → outcome chain.

    Rules (``gap`` = 15 points on a 0–100 scale), first match wins:
    a missing stage → incomplete; input − outcome ≥ gap → strong input, weak
    outcome; outcome − input ≥ gap → efficient; spread < gap/1.5 → balanced
    (above / below the average); every stage above (below) its all-units
    average → say so and name the relatively weakest; process (output) the
    weakest relative to its average and ≥ gap/2 behind the others → process
    bottleneck (weak output); else the weakest link.  "Weakest" compares each
    stage with the all-units average of that stage (d = s − avg), since stage
    averages differ; without averages, raw scores.  A sentence on how many
    stages beat the average follows.
    """
    present = [s for s in STAGES if s in stages]
    if not present:
        return t("no_stages", lang)
    vals = {s: stages[s] for s in present}
    if any(not ok(v) for v in vals.values()) or len(present) < 2:
        return t("dx_incomplete", lang)
    out: list[str] = []
    has_avg = all(ok(averages.get(s)) for s in present)
    d = {s: vals[s] - averages[s] for s in present} if has_avg else dict(vals)
    above = sum(1 for s in present if has_avg and vals[s] > averages[s])
    mean_self = sum(vals.values()) / len(vals)
    mean_avg = sum(averages[s] for s in present) / len(present) if has_avg else None
    lo_s = min(present, key=lambda s: d[s])
    others = [d[s] for s in present if s != lo_s]
    behind = (sum(others) / len(others) - d[lo_s]) if others else 0.0
    spread = max(vals.values()) - min(vals.values())

    def weakest(key: str) -> str:
        diff = fmt_signed(d[lo_s]) if has_avg else DASH
        return t(key, lang, stage=t(f"stage_{lo_s}", lang), score=f"{vals[lo_s]:.1f}", diff=diff)

    if "input" in vals and "outcome" in vals and vals["input"] - vals["outcome"] >= gap:
        out.append(t("dx_strong_input", lang, gap=f"{vals['input'] - vals['outcome']:.1f}"))
    elif "input" in vals and "outcome" in vals and vals["outcome"] - vals["input"] >= gap:
        out.append(t("dx_efficient", lang, gap=f"{vals['outcome'] - vals['input']:.1f}"))
    elif spread < gap / 1.5:
        if mean_avg is None:
            out.append(t("dx_balanced", lang))
        else:
            out.append(t("dx_balanced_high" if mean_self >= mean_avg else "dx_balanced_low", lang))
    elif has_avg and all(d[s] >= 0 for s in present):
        out.append(weakest("dx_all_above"))
    elif has_avg and all(d[s] < 0 for s in present):
        out.append(weakest("dx_all_below"))
    elif lo_s == "process" and behind >= gap / 2:
        out.append(t("dx_process", lang))
    elif lo_s == "output" and behind >= gap / 2:
        out.append(t("dx_output", lang))
    else:
        out.append(weakest("dx_weakest"))
    if has_avg and 0 < above < len(present):
        out.append(t("dx_above_avg", lang, k=above, n=len(present)))
    elif has_avg and not out[0].startswith((t("dx_all_above", lang)[:6], t("dx_all_below", lang)[:6])):
        out.append(t("dx_above_avg", lang, k=above, n=len(present)))
    return " ".join(out) if lang == "en" else "".join(out)


def _domain_stages(domain: Node) -> list[Node]:
    """The domain's children that carry a stage, in input → outcome order."""
    kids = [c for c in domain.children if c.stage in STAGES]
    return sorted(kids, key=lambda c: STAGES.index(c.stage))


def scorecard(p: Prepared, unit_id: str, year: int, lang: str) -> dict:
    """Everything one city's page shows, formatted."""
    assert unit_id in p.uidx, unit_id
    u = p.uidx[unit_id]
    y = p.yidx[year]
    info = p.units[u]
    g = int(p.gidx[u])
    tree = p.tree
    root = p.root
    S = p.score[u, y]
    R = p.rank[u, y]
    GR = p.grank[u, y]
    prev = y - 1 if y > 0 else None
    Sp = p.score[u, prev] if prev is not None else None
    Rp = p.rank[u, prev] if prev is not None else None
    lo, hi = p.scale
    city = info.label(lang)
    group_name = info.group_name(lang)
    ctx = common_context(p, lang, year)
    ctx["unit"] = {
        "id": info.id, "name_zh": info.name_zh, "name_en": info.name_en, "label": city,
        "group": group_name, "group_zh": info.group_zh, "group_en": info.group_en,
    }
    ctx["page_title"] = f"{city} · {ctx['year_label']} · {ctx['title']}"
    ctx["root_id"] = tree.root.id

    def ch_s(i: int) -> dict:
        return delta_score(S[i], Sp[i] if Sp is not None else None)

    def ch_r(i: int) -> dict:
        return delta_rank(R[i], Rp[i] if Rp is not None else None, lang)

    n_all = int(p.n_ranked[y])
    n_grp = int(p.n_group[g, y]) if len(p.n_group) else 0
    n_out = int(p.n_insufficient[y])
    cov = p.cov[u, y, root]
    ctx["insufficient"] = insufficient_context(p, u, y, lang, city) if p.insufficient[u, y] else None
    ctx["headline"] = {
        "score": t("insufficient", lang) if p.insufficient[u, y] else fmt_score(S[root]),
        "insufficient": bool(p.insufficient[u, y]),
        "coverage": t("coverage_beside", lang, cov=fmt_pct(cov)) if ok(cov) and cov < 1 - 1e-9 else "",
        "grade": p.grade[u, y] or DASH,
        "has_grade": bool(p.grades) or "grade" in p.inp.results.columns,
        "rank": fmt_rank(R[root]),
        "n": n_all,
        "rank_label": t("not_ranked", lang) if p.insufficient[u, y] else
        t("rank_eligible", lang, n=n_all, k=n_out) if n_out else t("rank_all", lang, n=n_all),
        "group_rank": fmt_rank(GR[root]),
        "group_n": n_grp,
        "group_rank_label": t("not_ranked", lang) if p.insufficient[u, y] else
        t("rank_group", lang, group=group_name, n=n_grp),
        "d_score": ch_s(root),
        "d_rank": ch_r(root),
        "has_previous": prev is not None,
        # editions (2018 -> 2022): the change is since the previous edition, and says which
        "change_label": t("change_since", lang, prev=p.years[prev]) if prev is not None and
        p.years[prev] != year - 1 else t("change", lang),
        "provisional": bool(p.prov[u, y].any() or p.f_prov[u, y].any()),
        "avg_all": fmt_score(p.avg_all[y, root]),
        "avg_group": fmt_score(p.avg_group[g, y, root]),
        "group_avg_label": t("group_avg", lang, group=group_name),
    }

    # domains
    doms = tree.domains
    didx = [p.nidx[d.id] for d in doms]
    dnames = [d.name.get(lang) for d in doms]
    ctx["domains"] = [{
        "id": d.id, "name": dnames[k], "score": fmt_score(S[i]), "rank": fmt_rank(R[i]),
        "group_rank": fmt_rank(GR[i]),
        "avg_group": fmt_score(p.avg_group[g, y, i]), "avg_all": fmt_score(p.avg_all[y, i]),
        "vs_all": delta_score(S[i], p.avg_all[y, i]),
        "d_score": ch_s(i), "d_rank": ch_r(i), "provisional": bool(p.prov[u, y, i]),
    } for k, (d, i) in enumerate(zip(doms, didx))]
    pl = t("prov_mark", lang)
    ser = [Series(t("this_city", lang), [S[i] for i in didx], CITY, provisional=[bool(p.prov[u, y, i]) for i in didx]),
           Series(t("group_avg", lang, group=group_name), [p.avg_group[g, y, i] for i in didx], GROUP, "5 3",
                  "square"),
           Series(t("all_avg", lang), [p.avg_all[y, i] for i in didx], ALL, "2 3", "diamond")]
    ctx["radar"] = charts.radar(dnames, ser, lo=lo, hi=hi, title=t("radar_title", lang, city=city),
                                desc=t("radar_desc", lang, city=city, year=year), uid="radar",
                                prov_label=pl) if len(doms) >= 3 else None
    ctx["domain_bars"] = charts.grouped_bars(dnames, ser, lo=lo, hi=hi, title=t("bars_title", lang, city=city),
                                             desc=t("radar_desc", lang, city=city, year=year),
                                             width=max(420, 100 * len(doms)), uid="dbars",
                                             prov_label=t("prov_mark_bar", lang))

    # full-process chains
    chains = []
    for d in doms:
        st = _domain_stages(d)
        if not st:
            continue
        idx = [p.nidx[s.id] for s in st]
        vals = {s.stage: S[i] for s, i in zip(st, idx)}
        avgs = {s.stage: p.avg_all[y, i] for s, i in zip(st, idx)}
        labels = [t(f"stage_{s.stage}", lang) for s in st]
        cs = [Series(t("this_city", lang), [S[i] for i in idx], CITY, provisional=[bool(p.prov[u, y, i]) for i in idx]),
              Series(t("all_avg", lang), [p.avg_all[y, i] for i in idx], ALL, "2 3", "diamond")]
        chains.append({
            "id": d.id,
            "name": d.name.get(lang),
            "stages": [{"id": s.id, "stage": s.stage, "label": labels[k], "name": s.name.get(lang),
                        "score": fmt_score(S[i]), "avg": fmt_score(p.avg_all[y, i]),
                        "vs_avg": delta_score(S[i], p.avg_all[y, i]), "rank": fmt_rank(R[i]),
                        "d_score": ch_s(i)}
                       for k, (s, i) in enumerate(zip(st, idx))],
            "chart": charts.grouped_bars(labels, cs, lo=lo, hi=hi,
                                         title=t("chain_title", lang, domain=d.name.get(lang)),
                                         desc=t("chain_desc", lang), width=440, height=200,
                                         uid=f"chain-{_safe(d.id)}", prov_label=t("prov_mark_bar", lang)),
            "reading": diagnose_chain(vals, avgs, gap=p.dgap(), lang=lang),
        })
    ctx["chains"] = chains

    # trends: every year of the data up to the report year
    ys = list(range(0, y + 1))
    if len(ys) >= 2:
        tser = [Series(t("composite", lang), [p.score[u, k, root] for k in ys], CITY,
                       provisional=[bool(p.prov[u, k, root]) for k in ys])]
        for k, (d, i) in enumerate(zip(doms, didx)):
            col = charts.PALETTE[(k + 1) % len(charts.PALETTE)]
            tser.append(Series(d.name.get(lang), [p.score[u, j, i] for j in ys], col,
                               ("4 2", "1 2", "6 2 1 2", "")[k % 4], ("square", "diamond", "circle")[k % 3],
                               provisional=[bool(p.prov[u, j, i]) for j in ys]))
        ctx["trend"] = charts.lines([p.years[k] for k in ys], tser, lo=lo, hi=hi,
                                    title=t("trend_title", lang, city=city),
                                    desc=t("trend_desc", lang, first=p.years[ys[0]], last=p.years[ys[-1]]),
                                    width=900, height=260, uid="trend", prov_label=pl)
    else:
        ctx["trend"] = None
    ctx["trend_rows"] = [{"year": p.years[k], "score": fmt_score(p.score[u, k, root]),
                          "rank": fmt_rank(p.rank[u, k, root]), "provisional": bool(p.prov[u, k, root]),
                          "domains": [fmt_score(p.score[u, k, i]) for i in didx]} for k in ys]
    ctx["domain_names"] = dnames

    # strengths and weaknesses (normalised leaf score vs the all-units average)
    li = p.leaf_node_idx
    ls = S[li]
    gaps = ls - p.avg_all[y, li]
    order = [j for j in np.argsort(-np.nan_to_num(gaps, nan=-np.inf)) if ok(gaps[j])]

    def leaf_row(j: int) -> dict:
        n = p.leaves[j]
        i = li[j]
        return {"id": n.id, "name": n.name.get(lang), "domain": p.node_name(tree.domain_of(n.id) or "", lang),
                "raw": fmt_measure(p.raw[u, y, j], n.unit), "measure": n.unit_for(lang), "score": fmt_score(S[i]),
                "avg": fmt_score(p.avg_all[y, i]), "gap": fmt_signed(gaps[j]), "rank": fmt_rank(R[i])}

    ctx["strengths"] = [leaf_row(j) for j in islice((j for j in order if gaps[j] > 0), 5)]
    ctx["weaknesses"] = [leaf_row(j) for j in islice((j for j in reversed(order) if gaps[j] < 0), 5)]

    # the full indicator table, grouped by domain and stage
    ctx["indicator_groups"] = _indicator_groups(p, u, y, lang)
    ctx["ind_print_note"] = t("ind_print_note", lang, n=len(p.leaves))
    ctx["flag_legend"] = [{"code": c, "short": t(f"flag_{c}", lang), "long": t(f"flag_{c}_long", lang)}
                          for c in ("missing", "imputed", "treated", "provisional")]
    ctx["quality"] = unit_quality(p, u, y, lang)

    # optional analysis sections
    ctx["coordination"] = _coordination(p, unit_id, year, lang)
    ctx["obstacles"] = _obstacles(p, unit_id, year, lang, city)
    ctx["efficiency"] = _efficiency(p, unit_id, year, lang)
    ctx["bod"] = _bod(p, unit_id, year, lang)
    ctx["attainment"] = _attainment(p, unit_id, year, lang)
    ctx["robustness"] = _robustness(p, unit_id, year, lang, city, n_all)
    ctx["partners"] = partners_context(p, unit_id, year, lang)  # None without relations
    return ctx


def insufficient_context(p: Prepared, u: int, y: int, lang: str, city: str) -> dict:
    """What the top of an insufficient-data scorecard says: the coverage, by domain, and what is missing."""
    doms = p.tree.domains
    cov = p.cov[u, y]
    sep = "；" if lang == "zh" else "; "
    items = sep.join(f"{d.name.get(lang)} {fmt_pct(cov[p.nidx[d.id]], 0)}" for d in doms)
    missing = [d.name.get(lang) for d in doms if not cov[p.nidx[d.id]] > 0]
    below = ok(cov[p.root]) and cov[p.root] < p.min_coverage - 1e-12
    share = ((p.inp.meta.get("method") or {}).get("aggregate") or {}).get("min_share", 2 / 3)
    return {
        "head": t("insufficient_head", lang),
        "text": t("insufficient_text", lang, city=city, year=p.years[y], cov=fmt_pct(cov[p.root]),
                  min=fmt_pct(p.min_coverage, 0)) if below else
        t("insufficient_share", lang, city=city, year=p.years[y], cov=fmt_pct(cov[p.root]), share=fmt_pct(share, 0)),
        "domains": t("insufficient_domains", lang, items=items) if doms else "",
        "missing": t("insufficient_missing", lang, names=("、" if lang == "zh" else ", ").join(missing))
        if missing else "",
        "coverage": fmt_pct(cov[p.root]),
    }


def unit_quality(p: Prepared, u: int, y: int, lang: str) -> dict:
    """The scorecard's data-quality section for unit ``u`` up to year index ``y``.

    Per domain × year: the shares of the unit's indicator cells reported (a value
    as given), imputed, treated and provisional (each over the domain's leaves);
    for the report year the imputed and treated cells with how (imputation step
    re-derived from the recorded chain, treatment method from the treat record)
    and the provisional ones; and what screening set aside.
    """
    tree = p.tree
    years = list(range(0, y + 1))
    rows = []
    groups = [(d.name.get(lang), [p.lidx[n] for n in tree.leaves_under(d.id)]) for d in tree.domains]
    groups.append((t("total", lang), list(range(len(p.leaves)))))
    for k, (name, cols) in enumerate(groups):
        cells = []
        n = max(len(cols), 1)
        # counts for every year at once (one reduction per flag, not one per year)
        rep_y = (~np.isnan(p.raw[u, : y + 1][:, cols])).sum(axis=1)
        imp_y = p.f_imp[u, : y + 1][:, cols].sum(axis=1)
        trt_y = p.f_trt[u, : y + 1][:, cols].sum(axis=1)
        prv_y = p.leaf_prov[u, : y + 1][:, cols].sum(axis=1)
        for j in years:
            rep, imp, trt, prv = int(rep_y[j]), int(imp_y[j]), int(trt_y[j]), int(prv_y[j])
            cells.append({"year": p.years[j], "reported": fmt_pct(rep / n, 0), "full": rep == len(cols),
                          "imputed": fmt_pct(imp / n, 0) if imp else "", "treated": fmt_pct(trt / n, 0) if trt else "",
                          "provisional": fmt_pct(prv / n, 0) if prv else ""})
        rows.append({"name": name, "cells": cells, "total": k == len(groups) - 1})
    tm = treat_methods(p)
    imputed, treated, prov = [], [], []
    for j, n in enumerate(p.leaves):
        name = n.name.get(lang)
        dom = p.node_name(tree.domain_of(n.id) or "", lang)
        used = p.used[u, y, j] if p.used is not None else math.nan
        if p.f_imp[u, y, j]:
            how = impute_how(p, u, y, j)
            imputed.append({"name": name, "domain": dom, "how": t(f"how_{how}", lang) if how in IMPUTE_STEPS
                            else (how or t("how_unknown", lang)), "value": fmt_measure(used, n.unit), "measure": n.unit_for(lang)})
        if p.f_trt[u, y, j]:
            how = tm.get(n.id, "")
            treated.append({"name": name, "domain": dom,
                            "how": t(f"how_{how}", lang) if how in ("winsorise", "log_ct") else (how or t("how_unknown", lang)),
                            "raw": fmt_measure(p.raw[u, y, j], n.unit), "measure": n.unit_for(lang),
                            "value": (fmt_raw(used) if how == "log_ct" else fmt_measure(used, n.unit)) + (t("log_scale", lang) if how == "log_ct" and ok(used) else "")})
        if p.leaf_prov[u, y, j]:
            prov.append({"name": name, "domain": dom, "where": f"（{dom}）" if lang == "zh" else f" ({dom})",
                         "raw": fmt_measure(p.raw[u, y, j], n.unit), "measure": n.unit_for(lang)})
    return {"years": [p.years[j] for j in years], "rows": rows, "imputed": imputed, "treated": treated,
            "provisional": prov, "screen": screened(p, lang, p.unit_ids[u]), "has_used": p.used is not None,
            "legend": t("q_unit_legend", lang), "t_imputed": t("q_imputed_cells", lang, year=p.years[y]),
            "t_treated": t("q_treated_cells", lang, year=p.years[y]), "t_prov": t("q_prov_cells", lang, year=p.years[y])}


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", s)


def _indicator_groups(p: Prepared, u: int, y: int, lang: str) -> list[dict]:
    tree = p.tree
    S, R = p.score[u, y], p.rank[u, y]
    Sp = p.score[u, y - 1] if y > 0 else None
    groups = []
    for d in tree.domains:
        blocks: list[tuple[str, list[Node]]] = []
        stage_nodes = _domain_stages(d)
        covered: set[str] = set()
        for s in stage_nodes:
            leaves = [n for n in s.walk() if n.is_leaf]
            covered.update(n.id for n in leaves)
            blocks.append((f"{t('stage_' + s.stage, lang)} · {s.name.get(lang)}"
                           if s.name.get(lang) != t("stage_" + s.stage, lang) else t("stage_" + s.stage, lang),
                           leaves))
        rest = [n for n in d.walk() if n.is_leaf and n.id not in covered]
        if rest:
            blocks.append((t("no_stage", lang) if stage_nodes else "", rest))
        # the printed card keeps, per domain, the strongest indicator and the two weakest, by their gap to the
        # all-units average (the measure of the strengths and weaknesses; the weakest may be above it when
        # every indicator of the domain is); the screen shows every row
        leaves_d = [n for _, ls in blocks for n in ls]
        li = np.array([p.nidx[n.id] for n in leaves_d], dtype=int)
        gap = S[li] - p.avg_all[y, li]
        known = [k for k in np.argsort(np.nan_to_num(gap, nan=np.inf), kind="stable") if ok(gap[k])]
        brief = {leaves_d[k].id for k in known[:2]} | {leaves_d[k].id for k in known[2:][-1:]}
        above = int(np.sum(gap[np.isfinite(gap)] > 0))
        out_blocks = []
        for label, leaves in blocks:
            rows = []
            for n in leaves:
                j = p.lidx[n.id]
                i = p.nidx[n.id]
                flags = []
                if not ok(p.raw[u, y, j]):
                    flags.append("missing")
                if p.f_imp[u, y, j]:
                    flags.append("imputed")
                if p.f_trt[u, y, j]:
                    flags.append("treated")
                if p.f_prov[u, y, j] or p.prov[u, y, i]:
                    flags.append("provisional")
                rows.append({"id": n.id, "brief": n.id in brief, "name": n.name.get(lang),
                             "raw": fmt_measure(p.raw[u, y, j], n.unit),
                             "measure": n.unit_for(lang), "score": fmt_score(S[i]), "rank": fmt_rank(R[i]),
                             "d_score": delta_score(S[i], Sp[i] if Sp is not None else None),
                             "flags": [{"code": f, "short": t(f"flag_{f}", lang), "long": t(f"flag_{f}_long", lang)}
                                       for f in flags]})
            out_blocks.append({"label": label, "rows": rows})
        groups.append({"id": d.id, "name": d.name.get(lang), "score": fmt_score(S[p.nidx[d.id]]),
                       "blocks": out_blocks,
                       "above": t("ind_above", lang, k=above, n=len(leaves_d)) if len(known) else ""})
    return groups
