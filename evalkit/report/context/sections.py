"""The optional sections of a city's page: coordination, obstacles, benefit of the doubt, efficiency,
attainment, robustness; each is None when its table is absent."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ...tree import STAGES
from .. import charts
from ...i18n import t
from .formatting import DASH, fmt_pct, fmt_rank, fmt_measure, fmt_score, ok, to_float
from .prepared import Prepared


def _one(p: Prepared, name: str, unit_id: str, year: int) -> list[dict] | None:
    if name not in p.tables:
        return None
    return p.tables[name].get((unit_id, year), [])


def _coordination(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "coordination", unit_id, year)
    if rows is None:
        return None
    r = rows[0] if rows else {}
    all_d = [to_float(x.get("D")) for x in p.table_years["coordination"].get(year, [])]
    all_d = [v for v in all_d if ok(v)]
    dv = to_float(r.get("D"))
    rank = 1 + sum(1 for v in all_d if v > dv) if ok(dv) else None
    lag = r.get("lagging")
    lag_s = "" if lag is None or (isinstance(lag, float) and math.isnan(lag)) else str(lag)
    lag_names = [p.node_name(x.strip(), lang) for x in re.split(r"[;,|]", lag_s) if x.strip()]
    cls = r.get("class_zh" if lang == "zh" else "class_en")
    return {
        "present": bool(rows),
        "D": fmt_score(dv, 3), "C": fmt_score(r.get("C"), 3), "T": fmt_score(r.get("T"), 3),
        "level": fmt_rank(r.get("level")),
        "cls": "" if cls is None or (isinstance(cls, float) and math.isnan(cls)) else str(cls),
        "lagging": "、".join(lag_names) if lang == "zh" else ", ".join(lag_names),
        "avg_D": fmt_score(sum(all_d) / len(all_d), 3) if all_d else DASH,
        "rank": fmt_rank(rank), "n": len(all_d),
    }


def _obstacles(p: Prepared, unit_id: str, year: int, lang: str, city: str) -> dict | None:
    rows = _one(p, "obstacles", unit_id, year)
    if rows is None:
        return None
    by_level: dict[str, list[dict]] = {}
    for r in rows:
        by_level.setdefault(str(r.get("level", "")).lower(), []).append(r)
    ind = sorted(by_level.get("indicator", []), key=lambda r: -to_float(r.get("obstacle")) if ok(r.get("obstacle")) else 1)
    u, y = p.uidx[unit_id], p.yidx[year]
    top = []
    for r in ind[:5]:
        nid = str(r.get("node"))
        n = p.tree.by_id.get(nid)
        j = p.lidx.get(nid)
        top.append({"name": p.node_name(nid, lang),
                    "domain": p.node_name(p.tree.domain_of(nid) or "", lang) if n else "",
                    "share": fmt_pct(r.get("obstacle")),
                    "raw": fmt_measure(p.raw[u, y, j], p.leaves[j].unit) if j is not None else DASH,
                    "measure": n.unit_for(lang) if n else "",
                    "score": fmt_score(p.score[u, y, p.nidx[nid]]) if nid in p.nidx else DASH})
    # domain shares in tree order
    dom_share = {str(r.get("node")): to_float(r.get("obstacle")) for r in by_level.get("domain", [])}
    doms = [d for d in p.tree.domains if d.id in dom_share]
    dlabels = [d.name.get(lang) for d in doms]
    dvals = [dom_share[d.id] for d in doms]
    # stage shares: rows may name stage nodes (gov.input) or stage words (input)
    stage_share: dict[str, float] = {}
    stage_nodes: dict[str, float] = {}
    for r in by_level.get("stage", []):
        nid = str(r.get("node"))
        v = to_float(r.get("obstacle"))
        if not ok(v):
            continue
        n = p.tree.by_id.get(nid)
        st = n.stage if n is not None else (nid if nid in STAGES else None)
        if n is not None:
            stage_nodes[nid] = v
        if st:
            stage_share[st] = stage_share.get(st, 0.0) + v
    slabels = [t(f"stage_{s}", lang) for s in STAGES if s in stage_share]
    svals = [stage_share[s] for s in STAGES if s in stage_share]
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    hi_d = max(dvals + [0.0]) if dvals else 1.0
    hi_s = max(svals + [0.0]) if svals else 1.0
    reading = ""
    if dvals and any(ok(v) for v in dvals):
        k = int(np.nanargmax(np.array(dvals)))
        d = doms[k]
        in_d = {nid: v for nid, v in stage_nodes.items() if p.tree.domain_of(nid) == d.id}
        if in_d:
            best = max(in_d, key=in_d.get)
            reading = t("o_reading", lang, domain=d.name.get(lang), share=pct(dvals[k]),
                        stage=t(f"stage_{p.tree.by_id[best].stage}", lang))
        elif svals:
            reading = t("o_reading", lang, domain=d.name.get(lang), share=pct(dvals[k]),
                        stage=slabels[int(np.argmax(svals))])
        else:
            reading = t("o_reading_short", lang, domain=d.name.get(lang), share=pct(dvals[k]))
    return {
        "present": bool(rows),
        "top": top,
        "domain_chart": charts.hbars(dlabels, dvals, lo=0, hi=max(hi_d, 1e-9) * 1.1,
                                     title=t("o_domain_title", lang, city=city), desc=t("o_by_domain", lang),
                                     fmt=pct, uid="obst-d") if dvals else None,
        "stage_chart": charts.hbars(slabels, svals, lo=0, hi=max(hi_s, 1e-9) * 1.1,
                                    title=t("o_stage_title", lang, city=city), desc=t("o_by_stage", lang),
                                    fmt=pct, color=charts.PALETTE[6], uid="obst-s") if svals else None,
        "domains": [{"name": a, "share": fmt_pct(b)} for a, b in zip(dlabels, dvals)],
        "stages": [{"name": a, "share": fmt_pct(b)} for a, b in zip(slabels, svals)],
        "reading": reading,
    }


def _split_peers(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return [x for x in re.split(r"[;,|\s]+", str(v)) if x]


def _bod(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    """This unit's own benefit-of-the-doubt weights, per bod node (None when no node has them)."""
    rows = _one(p, "bod", unit_id, year)
    if not rows:
        return None
    nodes: dict[str, list[dict]] = {}
    for r in rows:
        nodes.setdefault(str(r.get("node")), []).append(
            {"child": p.node_name(str(r.get("child")), lang), "weight": fmt_pct(to_float(r.get("weight"))),
             "share": fmt_pct(to_float(r.get("share")))})
    return {"nodes": [{"name": p.node_name(n, lang), "rows": rs} for n, rs in nodes.items()]}


def _efficiency(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "efficiency", unit_id, year)
    if rows is None:
        return None
    order = {d.id: k for k, d in enumerate(p.tree.domains)}
    rows = sorted(rows, key=lambda r: order.get(str(r.get("domain")), 99))
    out = []
    for r in rows:
        e = to_float(r.get("efficiency"))
        out.append({"domain": p.node_name(str(r.get("domain")), lang), "efficiency": fmt_score(e, 3),
                    "efficient": ok(e) and e >= 1 - 1e-9, "ratio": fmt_score(r.get("ratio"), 2),
                    "peers": ", ".join(p.unit_label(x, lang) for x in _split_peers(r.get("peers")))})
    return {"present": bool(rows), "rows": out}


ATTAIN_MAX = 12  # target rows on a scorecard (open ones first)
ATTAIN_PRINT = 5  # of which the printed card shows the first (reports/style.css, #attainment)

_STATUS = {
    "met": ("met", "achieved", "done", "ok", "green", "reached", "达标", "完成", "已完成"),
    "near": ("near", "close", "amber", "yellow", "partial", "at_risk", "接近", "基本完成"),
    "missed": ("missed", "miss", "not_met", "red", "behind", "fail", "failed", "未完成", "未达标"),
}


def status_of(status: Any, attainment: Any) -> str:
    """Traffic-light class: met | near | missed | unknown (status text first, else attainment ≥ 1 / ≥ 0.9).

    The attainment is rounded to the whole percent it is shown with first: a row reading 100 % is met,
    whatever an older table's status text says.
    """
    s = "" if status is None or (isinstance(status, float) and math.isnan(status)) else str(status).strip().lower()
    a = round(float(attainment), 2) if ok(attainment) else math.nan
    if ok(a) and a >= 1:
        return "met"
    for k, words in _STATUS.items():
        if s in words:
            return k
    if ok(a):
        return "near" if a >= 0.9 else "missed"
    return "unknown"


def _attainment(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "attainment", unit_id, year)
    if rows is None:
        return None
    sev = {"missed": 0, "near": 1, "unknown": 2, "met": 3}

    def row(r: dict, st: str, a: float) -> dict:
        nid = str(r.get("node"))
        n = p.tree.by_id.get(nid)
        name = p.node_name(nid, lang)
        dom = p.tree.domain_of(nid) if n is not None else None
        if n is not None and not n.is_leaf and dom and dom != nid:
            name = f"{p.node_name(dom, lang)} · {name}"          # 交通 · 过程, not a bare 过程
        return {"name": name, "level": str(r.get("level", "") or ""),
                "actual": fmt_measure(r.get("actual"), n.unit if n is not None else ""),
                "target": fmt_measure(r.get("target"), n.unit if n is not None else ""),
                "measure": n.unit_for(lang) if n is not None and n.is_leaf else "",
                "attainment": fmt_pct(a, 0), "status": st, "status_text": t(f"a_{st}", lang)}

    items = []  # (severity, attainment, row, status, attainment): sorted, then only the rows shown formatted
    for r in rows:
        st = status_of(r.get("status"), r.get("attainment"))
        a = to_float(r.get("attainment"))
        items.append((sev[st], a if ok(a) else math.inf, r, st, a))
    items.sort(key=lambda x: (x[0], x[1]))
    # the page lists the targets themselves (indicators; a table without them: every row), open ones
    # first, at most ATTAIN_MAX: the node rows only average them ("—" as actual and target), and the
    # year's full picture is in the methods annex and attainment.csv
    leaf_rows = [x for x in items if str(x[2].get("level", "") or "").lower() == "indicator"] or items
    n_met = sum(1 for x in leaf_rows if x[3] == "met")
    n_missed = sum(1 for x in leaf_rows if x[3] == "missed")
    shown = [row(x[2], x[3], x[4]) for x in leaf_rows[:ATTAIN_MAX]]
    rest = len(leaf_rows) - len(shown)
    return {"present": bool(rows), "rows": shown,
            "more": t("a_more", lang, n=rest) if rest > 0 else "",
            "more_print": t("a_more_print", lang, n=len(leaf_rows) - ATTAIN_PRINT, k=len(shown))
            if len(leaf_rows) > ATTAIN_PRINT else "",
            "summary": t("a_summary", lang, n=len(leaf_rows), met=n_met, missed=n_missed)}


def _robustness(p: Prepared, unit_id: str, year: int, lang: str, city: str, n_all: int) -> dict | None:
    rows = _one(p, "robustness", unit_id, year)
    if rows is None:
        return None
    r = rows[0] if rows else {}
    nom, med, lo, hi = (to_float(r.get(k)) for k in ("nominal_rank", "median_rank", "rank_p05", "rank_p95"))
    n = max(n_all, len(p.table_years["robustness"].get(year, [])), 2)
    # ranks are whole places: widen a fractional percentile outwards, so that "at least 90 %" stays true
    lo_i = float(math.floor(lo + 1e-9)) if ok(lo) else lo
    hi_i = float(math.ceil(hi - 1e-9)) if ok(hi) else hi
    # ranks are discrete: at least 90 % of the draws lie in [p05, p95], widened or not
    med_s = fmt_score(med, 1) if ok(med) and med != int(med) else fmt_rank(med)
    sentence = t("r_sentence", lang, rank=fmt_rank(nom), lo=fmt_rank(lo_i), hi=fmt_rank(hi_i),
                 median=med_s) if rows else ""
    return {
        "present": bool(rows),
        "sentence": sentence,
        "nominal": fmt_rank(nom), "median": med_s,
        "lo": fmt_rank(lo_i), "hi": fmt_rank(hi_i),
        "interval": f"{fmt_rank(lo_i)}–{fmt_rank(hi_i)}",
        "p_top5": fmt_pct(r.get("p_top5"), 0), "p_bottom5": fmt_pct(r.get("p_bottom5"), 0),
        "chart": charts.rank_interval([(city, nom, lo_i, hi_i, med)], n_units=n,
                                      title=t("r_title", lang, city=city), desc=t("r_desc", lang),
                                      legend=(t("r_leg_dot", lang), t("r_leg_bar", lang), t("r_leg_tick", lang)),
                                      uid="rankint") if rows else None,
        "page_href": "robustness.html",
    }
