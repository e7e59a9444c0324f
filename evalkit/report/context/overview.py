"""The overview page of a year: ranking, heatmap, movers, data quality."""

from __future__ import annotations

import math

import numpy as np

from ...unitids import unit_file_stem
from .. import charts
from ...i18n import t
from ..links import page_links
from .common import common_context
from .formatting import DASH, delta_rank, delta_score, fmt_pct, fmt_rank, fmt_score, ok
from .prepared import Prepared, screened
from .sections import status_of


HEATMAP_MAX_UNITS = 150


def extra_pages(p: Prepared, year: int, lang: str) -> list[dict]:
    """The year's other pages the overview links to, in one list (``href``, ``text``, ``kind``).

    A page is listed only when it exists beside the overview: the regional page (with the disparity table),
    the robustness page (this run's sensitivity year, or one kept from an earlier ``sensitivity``), the
    methods annex (every year), and the pages other commands wrote into the folder before this run
    (``meta["other_pages"]``: ``compare.html`` …). The list and its order are :data:`links.PAGES`; a command
    adding a page later rewrites it (:func:`links.relink_overviews`).
    """
    kinds = {"methods"}  # every run writes the year's methods annex beside its overview
    if p.inp.tables.get("disparity") is not None:
        kinds.add("region")
    rob = p.inp.tables.get("robustness")
    others = set(p.inp.meta.get("other_pages") or ())
    if (rob is not None and len(rob) and "year" in rob and (rob["year"].astype(int) == int(year)).any()) \
            or f"{year}/robustness.html" in others:
        kinds.add("robustness")
    for kind, name in (("compare", "compare.html"), ("explore", "explore.html"), ("audit", f"{year}/audit.html")):
        if name in others:
            kinds.add(kind)
    return page_links(kinds, lang)


def overview(p: Prepared, year: int, lang: str) -> dict:
    """The year's index page: league table, heat map, province averages, data quality."""
    y = p.yidx[year]
    root = p.root
    tree = p.tree
    ctx = common_context(p, lang, year)
    ctx["page_title"] = f"{ctx['title']} · {ctx['year_label']} · {t('overview', lang)}"
    doms = tree.domains
    didx = [p.nidx[d.id] for d in doms]
    ctx["domain_names"] = [d.name.get(lang) for d in doms]
    S = p.score[:, y]
    R = p.rank[:, y, root]
    order = sorted(range(len(p.units)), key=lambda i: (R[i] if ok(R[i]) else math.inf,
                                                       -S[i, root] if ok(S[i, root]) else math.inf, i))
    missed = None
    if "attainment" in p.tables:
        missed = {}
        for (uid, yr), rows in p.tables["attainment"].items():
            if yr == year:
                missed[uid] = sum(1 for r in rows if status_of(r.get("status"), r.get("attainment")) == "missed")
    ctx["has_targets"] = missed is not None
    ctx["has_grade"] = bool(p.grades) or "grade" in p.inp.results.columns
    league = []
    apart = []
    for i in order:
        info = p.units[i]
        if p.insufficient[i, y]:  # listed apart: not ranked, no score
            cov = p.cov[i, y]
            apart.append({"id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang),
                          "group": info.group_name(lang), "coverage": fmt_pct(cov[root]),
                          "domains": [fmt_pct(cov[k], 0) for k in didx]})
            continue
        league.append({
            "id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang), "name": info.name(lang),
            "group": info.group_name(lang),
            "rank": fmt_rank(R[i]), "score": fmt_score(S[i, root]),
            "domains": [fmt_score(S[i, k]) for k in didx],
            "grade": p.grade[i, y] or DASH,
            "d_rank": delta_rank(R[i], p.rank[i, y - 1, root] if y > 0 else None, lang),
            "missed": str(missed.get(info.id, 0)) if missed is not None else "",
            "provisional": bool(p.unit_prov[i, y]),
        })
    ctx["league"] = league
    ctx["insufficient_units"] = apart
    ctx["insufficient_head"] = t("insufficient_list_head", lang, n=len(apart))
    ctx["insufficient_note"] = t("insufficient_list_note", lang, min=fmt_pct(p.min_coverage, 0))
    ctx["n_units"] = len(p.units)
    # the regional page is rendered with the overview whenever the disparity table is there
    ctx["region_link"] = ({"href": "region.html", "text": t("region_link", lang)}
                          if p.inp.tables.get("disparity") is not None else None)
    ctx["extra_pages"] = extra_pages(p, year, lang)
    if missed is not None:
        n_missed = sum(1 for v in missed.values() if v > 0)
        ctx["missed_summary"] = t("missed_summary", lang, n=n_missed, total=len(missed))
    else:
        ctx["missed_summary"] = ""
    # provisional notice
    prov_units = [i for i in range(len(p.units)) if p.unit_prov[i, y]]
    if prov_units:
        names = [p.units[i].label(lang) for i in prov_units[:12]]
        more = len(prov_units) - len(names)
        ctx["provisional_notice"] = t("prov_notice", lang, year=year, n=len(prov_units),
                                      names=("、" if lang == "zh" else ", ").join(names)
                                      + (t("and_more", lang, n=more) if more else ""))
    else:
        ctx["provisional_notice"] = ""
    ctx["n_provisional"] = len(prov_units)
    ctx.update(_movers(p, y, lang))
    if len(p.units) <= HEATMAP_MAX_UNITS and doms:
        ctx["heatmap"] = charts.heatmap([p.units[i].label(lang) for i in order], ctx["domain_names"],
                                        [[S[i, k] for k in didx] for i in order], lo=p.scale[0], hi=p.scale[1],
                                        title=t("heat_title", lang, year=year), desc=t("heat_desc", lang),
                                        row_links=[f"{unit_file_stem(p.units[i].id)}.html" for i in order], uid="heat")
        ctx["heatmap_note"] = ""
    else:
        ctx["heatmap"] = None
        ctx["heatmap_note"] = t("heat_too_many", lang, n=len(p.units))
    groups = []
    for gi, gname in enumerate(p.groups):
        first = next(x for x in p.units if x.group == gname)
        groups.append({"name": first.group_name(lang), "n": str(int(np.sum(p.gidx == gi))),
                       "score": fmt_score(p.avg_group[gi, y, root]),
                       "domains": [fmt_score(p.avg_group[gi, y, k]) for k in didx]})
    groups.append({"name": t("all_avg_generic", lang), "n": str(len(p.units)), "score": fmt_score(p.avg_all[y, root]),
                   "domains": [fmt_score(p.avg_all[y, k]) for k in didx], "total": True})
    ctx["groups"] = groups
    # data quality: share of cells by domain (this year)
    quality = []
    tot = np.zeros(5)
    for d in doms:
        cols = [p.lidx[n] for n in tree.leaves_under(d.id)]
        raw = p.raw[:, y, cols]
        cells = raw.size
        miss = int(np.sum(np.isnan(raw)))
        imp = int(np.sum(p.f_imp[:, y, cols]))
        trt = int(np.sum(p.f_trt[:, y, cols]))
        prv = int(np.sum(p.leaf_prov[:, y, cols]))
        tot += (cells, miss, imp, trt, prv)
        quality.append(_quality_row(d.name.get(lang), cells, miss, imp, trt, prv))
    quality.append(_quality_row(t("total", lang), *tot) | {"total": True})
    ctx["quality"] = quality
    ctx["screen"] = screened(p, lang)
    ctx["synthetic_note"] = p.synthetic
    return ctx


def _quality_row(name: str, cells: float, miss: float, imp: float, trt: float, prv: float) -> dict:
    c = max(cells, 1)
    return {"name": name, "cells": f"{int(cells):,}", "missing": fmt_pct(miss / c), "imputed": fmt_pct(imp / c),
            "treated": fmt_pct(trt / c), "provisional": fmt_pct(prv / c), "n_provisional": str(int(prv))}


MOVERS = 5
SLOPE_MAX_UNITS = 150


def _movers(p: Prepared, y: int, lang: str) -> dict:
    """The overview's "most improved" lists and the rank-change slope chart.

    Top ``MOVERS`` units by composite score change and by rank change (places
    gained) since the previous year, improvements only, ties broken by the
    other change and then units-file order.  None in the first year.
    """
    root = p.root
    if y == 0:
        return {"has_previous": False, "movers_score": [], "movers_rank": [], "slope": None,
                "movers_note": t("movers_first_year", lang, year=p.years[0])}
    S, Sp = p.score[:, y, root], p.score[:, y - 1, root]
    R, Rp = p.rank[:, y, root], p.rank[:, y - 1, root]
    n = len(p.units)
    ds = np.round(np.where(np.isfinite(S) & np.isfinite(Sp), S - Sp, np.nan), 9)   # float noise makes no order
    dr = np.where(np.isfinite(R) & np.isfinite(Rp), Rp - R, np.nan)

    def row(i: int) -> dict:
        info = p.units[i]
        return {"id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang),
                "score": fmt_score(S[i]), "prev_score": fmt_score(Sp[i]), "d_score": delta_score(S[i], Sp[i]),
                "rank": fmt_rank(R[i]), "prev_rank": fmt_rank(Rp[i]), "d_rank": delta_rank(R[i], Rp[i], lang),
                "provisional": bool(p.unit_prov[i, y])}

    by_score = sorted((i for i in range(n) if ok(ds[i]) and round(ds[i], 1) > 0),
                      key=lambda i: (-ds[i], -(dr[i] if ok(dr[i]) else -math.inf), i))[:MOVERS]
    by_rank = sorted((i for i in range(n) if ok(dr[i]) and dr[i] > 0),
                     key=lambda i: (-dr[i], -(ds[i] if ok(ds[i]) else -math.inf), i))[:MOVERS]
    down = sorted((i for i in range(n) if ok(dr[i]) and dr[i] < 0), key=lambda i: (dr[i], i))[:MOVERS]
    year, prev = p.years[y], p.years[y - 1]
    slope = None
    if 1 < n <= SLOPE_MAX_UNITS:
        slope = charts.slope([x.label(lang) for x in p.units], list(Rp), list(R), years=(str(prev), str(year)),
                             title=t("slope_title", lang, prev=prev, year=year),
                             desc=t("slope_desc", lang, prev=prev, year=year, k=MOVERS),
                             highlight=by_rank + down, provisional=[bool(v) for v in p.unit_prov[:, y]],
                             prov_label=t("prov_mark", lang),
                             legend=(t("slope_up", lang), t("slope_down", lang), t("slope_same", lang)),
                             uid="slope")
    return {"has_previous": True, "movers_score": [row(i) for i in by_score], "movers_rank": [row(i) for i in by_rank],
            "slope": slope, "movers_note": "", "prev_year": prev,
            "movers_score_head": t("movers_score", lang, prev=prev), "movers_rank_head": t("movers_rank", lang, prev=prev),
            "movers_none": t("movers_none", lang)}
