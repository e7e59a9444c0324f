"""The regional page's network and productivity parts: maps of the ties between cities, the network's
evolution (network.csv) and the Malmquist index of DEA on raw indicators (malmquist.csv).

Each part is empty (the page shows nothing new) when its inputs are absent: a project without
relations has no ties, a run without raw-indicator DEA no malmquist.csv.  Maps place the cities by
their coordinates with the LISA map's projection; the tie between two cities is the weight of both
directions (report/context/network.py).  Source: docs/methods.md#network, #malmquist; Färe,
Grosskopf, Norris & Zhang (1994) AER 84(1):66–83 (MI = EC · TC).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import charts
from .charts import MapNode, Series
from .context.formatting import ok
from .context.network import views_of
from .context.prepared import prepared
from ..i18n import t

HUBS = 5                 # hubs marked on a map: the highest PageRank
EDGES_PER_UNIT = 1.5     # a map draws at most round(1.5 · n) ties, the strongest
FILLS = ("#56b4e9", "#009e73", "#cc79a7", "#f0e442", "#0072b2", "#e69f00", "#999999", "#882255")
MALMQUIST_EXTREMES = 3   # units named with the largest and the smallest MI


def shown_ties(w: np.ndarray, max_edges: int) -> tuple[list[tuple[int, int, float]], int, float]:
    """The ties a map draws from a symmetric (n, n) weight matrix: all of them when there are at most
    ``max_edges``, else the ``max_edges`` strongest (equal weights in pair order). Returns
    ([(i, j, w)] with i < j, the number of ties, the share of the total tie weight drawn)."""
    i, j = np.triu_indices(w.shape[0], 1)
    v = w[i, j]
    keep = v > 0
    i, j, v = i[keep], j[keep], v[keep]
    order = np.lexsort((np.arange(v.size), -v))[:max_edges]
    total = float(v.sum())
    share = float(v[order].sum()) / total if total > 0 else float("nan")
    return [(int(i[k]), int(j[k]), float(v[k])) for k in order], int(v.size), share


def hubs(pagerank: np.ndarray, k: int = HUBS) -> list[int]:
    """The ``k`` units of highest PageRank (NaN last, equal values in unit order)."""
    pr = np.where(np.isfinite(pagerank), pagerank, -np.inf)
    order = np.lexsort((np.arange(pr.size), -pr))
    return [int(u) for u in order[:k] if np.isfinite(pr[u])]


def network_context(inp: Any, years: Sequence[int], year: int, lang: str, L: Mapping[str, str],
                    names: Any) -> dict:
    """Maps of the report year (one per relation), the evolution charts and the year's table."""
    units = [str(u) for u in inp.units["id"]]
    views = views_of(prepared(inp))  # built once for the run (the scorecards use them too)
    if not views:
        return {"network": None}
    groups = list(dict.fromkeys(str(names.rows[u].get("group") or "") for u in units))
    fill = {g: FILLS[k % len(FILLS)] for k, g in enumerate(groups)}
    gof = [str(names.rows[u].get("group") or "") for u in units]
    legend = [(names.group(g, lang), fill[g]) for g in groups]
    max_edges = max(10, round(EDGES_PER_UNIT * len(units)))
    graph = inp.tables.get("network")
    maps, rows = [], []
    for r, v in enumerate(views):
        name = v.name.get(lang) or v.id
        if int(year) not in v.years:
            continue
        k = v.years.index(int(year))
        ties, m, share = shown_ties(v.w[k], max_edges)
        hub = hubs(v.pagerank[k])
        nodes = []
        for ui, u in enumerate(units):
            row = names.rows[u]
            lat, lon = row.get("lat"), row.get("lon")
            nodes.append(MapNode(names.label(u, lang), float(lon) if ok(lon) else float("nan"),
                                 float(lat) if ok(lat) else float("nan"), fill[gof[ui]], f"{u}.html", ui in hub))
        g = graph[(graph["relation"].astype(str) == v.id) & (graph["year"].astype(int) == int(year))] \
            if graph is not None else None
        gr = g.iloc[0] if g is not None and len(g) else {}
        sep = "、" if lang == "zh" else ", "
        rows.append({"id": v.id, "name": name, "ties": str(int(gr["ties"])) if ok(gr.get("ties")) else str(m),
                     "density": f"{float(gr['density']):.3f}" if ok(gr.get("density")) else "—",
                     "cross": f"{100 * float(gr['cross_share']):.1f}%" if ok(gr.get("cross_share")) else "—",
                     "hubs": sep.join(names.label(units[h], lang) for h in hub)})
        if not any(ok(n.lon) and ok(n.lat) for n in nodes):  # no coordinates: the table only
            continue
        edges = [(i, j, w, gof[i] != gof[j]) for i, j, w in ties]
        rule = t("nw_rule_top", lang, shown=len(ties), m=m, share=f"{100 * share:.0f}%") if len(ties) < m \
            else t("nw_rule_all", lang, m=m)
        title = t("nw_map_title", lang, name=name, year=year)
        maps.append({"id": v.id, "name": name, "caption": rule, "chart": charts.network_map(
            nodes, edges, title=title, desc=t("nw_map_desc", lang, rule=rule), legend=legend,
            edge_labels=(L["nw_leg_within"], L["nw_leg_cross"], t("nw_leg_hub", lang, k=HUBS)), uid=f"nw-map-{r}")})
    evolution = []
    if graph is not None and len(years) > 1:
        pal = charts.PALETTE
        for col, key in (("density", "nw_density_chart"), ("cross_share", "nw_cross_chart")):
            series = []
            for r, v in enumerate(views):
                d = graph[graph["relation"].astype(str) == v.id]
                by = {int(y): float(x) for y, x in zip(d["year"], d[col])}
                series.append(Series(v.name.get(lang) or v.id, [by.get(int(y), float("nan")) for y in years],
                                     color=pal[r % len(pal)], marker=("circle", "square", "diamond")[r % 3],
                                     dash=("", "4 2", "1 2")[r % 3]))
            if any(ok(x) for s in series for x in s.values):
                evolution.append({"title": L[key], "chart": charts.lines(
                    [int(y) for y in years], series, lo=0.0, hi=1.0, title=L[key], desc=L[key + "_desc"],
                    width=460, height=220, fit=True, uid=f"nw-{col}")})
    if not maps and not evolution and not rows:
        return {"network": None}
    return {"network": {"maps": maps, "rows": rows, "evolution": evolution,
                        "note": t("nw_region_note", lang, k=HUBS)}}


def malmquist_summary(m: pd.DataFrame, upto: int) -> list[dict]:
    """Per domain and consecutive year pair (up to ``upto``): the geometric means of MI, EC and TC over the
    units with all three finite and > 0, their number, and the units of largest / smallest MI.

    The geometric mean is the mean a ratio index calls for (Färe et al. 1994): exp(mean ln MI)."""
    if m is None or not len(m):
        return []
    d = m[m["year"].astype(int) <= int(upto)].copy()
    for c in ("mi", "ec", "tc"):
        d[c] = pd.to_numeric(d[c], errors="coerce")
    out = []
    for (dom, y0, y1), g in d.groupby(["domain", "year_from", "year"], sort=True):
        v = g[(g[["mi", "ec", "tc"]] > 0).all(axis=1) & np.isfinite(g[["mi", "ec", "tc"]]).all(axis=1)]
        gm = {c: float(np.exp(np.log(v[c]).mean())) if len(v) else float("nan") for c in ("mi", "ec", "tc")}
        srt = v.assign(_u=v["unit"].astype(str)).sort_values(["mi", "_u"], ascending=[False, True])
        top = list(zip(srt["unit"].astype(str), srt["mi"]))[:MALMQUIST_EXTREMES]
        low = list(zip(srt["unit"].astype(str), srt["mi"]))[::-1][:MALMQUIST_EXTREMES]
        out.append({"domain": str(dom), "year_from": int(y0), "year": int(y1), "n": len(v), **gm,
                    "top": top, "low": low})
    return out


def malmquist_context(inp: Any, year: int, lang: str, names: Any, node_name: Any) -> dict:
    """The regional page's Malmquist table (None without malmquist.csv)."""
    rows = malmquist_summary(inp.tables.get("malmquist"), int(year))
    if not rows:
        return {"malmquist": None}

    def c(v: float) -> dict:
        return {"s": f"{v:.3f}" if ok(v) else "—", "v": repr(float(v)) if ok(v) else ""}

    def who(items: list[tuple[str, float]]) -> str:
        sep = "；" if lang == "zh" else "; "
        return sep.join(f"{names.label(u, lang)} {x:.3f}" for u, x in items)

    doms = list(dict.fromkeys(r["domain"] for r in rows))
    out = [{"domain": node_name(r["domain"]), "period": f"{r['year_from']}–{r['year']}", "n": r["n"],
            "cells": [c(r["mi"]), c(r["ec"]), c(r["tc"])], "top": who(r["top"]), "low": who(r["low"]),
            "current": r["year"] == int(year)} for r in rows]
    frontier = ""
    m = inp.tables.get("malmquist")
    if "frontier" in m.columns and len(m):
        frontier = str(m["frontier"].iloc[0])
    eff = inp.tables.get("efficiency")
    ids = [c[len("slack_"):] for c in eff.columns if c.startswith("slack_")] if eff is not None else []
    sep = "、" if lang == "zh" else ", "
    scope = t("mq_scope", lang, domain=sep.join(node_name(d) for d in doms),
              indicators=sep.join(node_name(i) for i in ids)) if ids else ""
    return {"malmquist": {"rows": out, "one_domain": len(doms) == 1, "scope": scope,
                          "note": t("mq_note", lang, k=MALMQUIST_EXTREMES,
                                    frontier=t("mq_global" if frontier == "global" else "mq_contemporaneous",
                                               lang))}}


__all__ = ["EDGES_PER_UNIT", "HUBS", "hubs", "malmquist_context", "malmquist_summary", "network_context",
           "shown_ties"]
