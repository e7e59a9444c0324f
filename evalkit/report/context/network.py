"""The network data the pages show: pair weights, each city's partners, its ranks and their change.

Read from the run's ``ReportInput``: the ties (``ties``: relation, year, from, to, value),
the relation types (``meta["relations"]``) and network-units.csv (strength, PageRank), so
every rank agrees with the CSV.  The tie between two cities is the weight of both
directions together, w_ij + w_ji (for an undirected relation, its one weight): a city's
ties then add up to its strength (in + out for a directed relation).  Ranks are
competition ranks among all cities of the year, 1 = largest: rank_i = 1 + #{j: v_j > v_i}
(equal values share the better place).  Source: docs/methods.md#network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...i18n import t
from .formatting import DASH, MINUS, delta_rank, fmt_pct, fmt_raw, ok

TOP_PARTNERS = 5


@dataclass(frozen=True, eq=False)
class RelationView:
    """One relation over its observed years: ``w[k, i, j]`` the tie of units i and j (both directions) in
    ``years[k]``; ``strength``, ``pagerank`` and their ranks are (n_years, n_units)."""

    id: str
    name: Mapping[str, str]
    unit: Mapping[str, str]
    directed: bool
    years: tuple[int, ...]
    w: np.ndarray
    strength: np.ndarray
    pagerank: np.ndarray
    rank_strength: np.ndarray
    rank_pagerank: np.ndarray


def competition_rank(v: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = largest, equal values share the better place, NaN stays NaN:
    rank_i = 1 + #{j : v_j > v_i}."""
    v = np.asarray(v, dtype=np.float64)
    a = np.where(np.isnan(v), -np.inf, v)
    r = 1.0 + (a[..., None, :] > a[..., :, None]).sum(axis=-1)
    return np.where(np.isnan(v), np.nan, r)


def pair_weights(ties: pd.DataFrame, units: Sequence[str], relation: str,
                 years: Sequence[int]) -> np.ndarray:
    """(n_years, n, n) symmetric tie weights w_ij + w_ji of ``relation`` in ``years`` (0 = no tie)."""
    uidx = {u: i for i, u in enumerate(units)}
    yidx = {int(y): k for k, y in enumerate(years)}
    n = len(units)
    w = np.zeros((len(years), n, n))
    d = ties[ties["relation"].astype(str) == relation]
    i = d["from"].astype(str).map(uidx)
    j = d["to"].astype(str).map(uidx)
    k = d["year"].astype(int).map(yidx)
    keep = i.notna() & j.notna() & k.notna()
    np.add.at(w, (k[keep].astype(int).to_numpy(), i[keep].astype(int).to_numpy(), j[keep].astype(int).to_numpy()),
              pd.to_numeric(d["value"][keep]).to_numpy(dtype=np.float64))
    return w + np.swapaxes(w, 1, 2)


def relation_views(inp: Any, units: Sequence[str]) -> list[RelationView]:
    """Every relation of ``inp`` (a ReportInput) over its observed years; [] without relations."""
    types = inp.meta.get("relations") or []
    ties = inp.ties
    nu = (inp.tables or {}).get("network-units")
    if not types or ties is None or nu is None:
        return []
    uidx = {u: i for i, u in enumerate(units)}
    out = []
    for rt in types:
        rid = str(rt["id"])
        d = nu[nu["relation"].astype(str) == rid]
        years = tuple(sorted({int(y) for y in d["year"]}))
        yidx = {y: k for k, y in enumerate(years)}
        s = np.full((len(years), len(units)), np.nan)
        pr = s.copy()
        ui = d["unit"].astype(str).map(uidx)
        keep = ui.notna()
        yi = d["year"].astype(int).map(yidx)[keep].to_numpy(dtype=int)
        ui = ui[keep].to_numpy(dtype=int)
        s[yi, ui] = pd.to_numeric(d["strength"][keep]).to_numpy(dtype=np.float64)
        pr[yi, ui] = pd.to_numeric(d["pagerank"][keep]).to_numpy(dtype=np.float64)
        out.append(RelationView(rid, dict(rt.get("name") or {}), dict(rt.get("unit") or {}), bool(rt.get("directed")),
                                years, pair_weights(ties, units, rid, years), s, pr, competition_rank(s),
                                competition_rank(pr)))
    return out


def top_partners(w: np.ndarray, i: int, k: int = TOP_PARTNERS) -> list[tuple[int, float]]:
    """The ``k`` strongest ties of unit i in one year's (n, n) pair weights: (partner, weight), the strongest
    first, equal weights in unit order; partners without a tie are left out."""
    row = np.asarray(w[i], dtype=np.float64)
    order = np.lexsort((np.arange(row.size), -row))
    return [(int(j), float(row[j])) for j in order[:k] if row[j] > 0]


def unit_network(views: Sequence[RelationView], i: int, year: int, groups: Sequence[str]) -> list[dict]:
    """Per relation, unit i's position in ``year``: partners [(j, weight, share of strength, cross)], strength,
    PageRank and their ranks, and the previous observed year's (None when there is none). A relation
    not observed in ``year`` gives ``{"observed": False}``."""
    out = []
    for v in views:
        if year not in v.years:
            out.append({"view": v, "observed": False})
            continue
        k = v.years.index(year)
        prev = max((y for y in v.years if y < year), default=None)
        kp = v.years.index(prev) if prev is not None else None
        s = v.strength[k, i]
        parts = [(j, wt, wt / s if ok(s) and s > 0 else float("nan"), groups[j] != groups[i])
                 for j, wt in top_partners(v.w[k], i)]
        out.append({"view": v, "observed": True, "year": year, "prev": prev, "partners": parts,
                    "strength": s, "rank_s": v.rank_strength[k, i], "pagerank": v.pagerank[k, i],
                    "rank_pr": v.rank_pagerank[k, i], "n": int(np.isfinite(v.strength[k]).sum()),
                    "strength_prev": v.strength[kp, i] if kp is not None else float("nan"),
                    "rank_s_prev": v.rank_strength[kp, i] if kp is not None else float("nan"),
                    "rank_pr_prev": v.rank_pagerank[kp, i] if kp is not None else float("nan")})
    return out


def views_of(p: Any) -> list[RelationView]:
    """The relation views of a Prepared, built once."""
    v = getattr(p, "_relation_views", None)
    if v is None:
        v = relation_views(p.inp, p.unit_ids)
        p._relation_views = v
    return v


def partners_context(p: Any, unit_id: str, year: int, lang: str) -> dict | None:
    """The scorecard's partners section; None when the project has no relations."""
    views = views_of(p)
    if not views:
        return None
    i = p.uidx[unit_id]
    groups = [x.group for x in p.units]
    rels = []
    for r in unit_network(views, i, int(year), groups):
        v = r["view"]
        head = {"id": v.id, "name": v.name.get(lang) or v.id, "unit": v.unit.get(lang) or ""}
        if not r["observed"]:
            rels.append({**head, "observed": False, "rows": [], "note": t("nw_not_observed", lang, year=year)})
            continue
        rows = [{"id": p.unit_ids[j], "name": p.unit_label(p.unit_ids[j], lang), "weight": fmt_weight(wt),
                 "share": fmt_pct(sh, 0), "cross": cross} for j, wt, sh, cross in r["partners"]]
        has_prev = r["prev"] is not None
        rels.append({
            **head, "observed": True, "rows": rows, "n": r["n"],
            "strength": fmt_weight(r["strength"]), "rank_s": _rank(r["rank_s"]), "pagerank": f"{r['pagerank']:.4f}"
            if ok(r["pagerank"]) else DASH, "rank_pr": _rank(r["rank_pr"]),
            "d_strength": _signed(r["strength"] - r["strength_prev"]) if has_prev else DASH,
            "d_strength_pct": _signed_pct((r["strength"] - r["strength_prev"]) / r["strength_prev"])
            if has_prev and ok(r["strength_prev"]) and r["strength_prev"] > 0 else "",
            "d_rank_s": delta_rank(r["rank_s"], r["rank_s_prev"], lang),
            "d_rank_pr": delta_rank(r["rank_pr"], r["rank_pr_prev"], lang),
            "prev": r["prev"] if has_prev else "",
            "note": "" if rows else t("nw_no_ties", lang, year=year)})
    return {"relations": rels, "year": int(year),
            "prev_note": _prev_note(rels, lang)}


def fmt_weight(v: float) -> str:
    """A tie weight or strength: whole numbers (counts, the usual case) with thousands separators, else
    as raw values are shown."""
    if ok(v) and float(v) == round(float(v)) and abs(float(v)) < 1e15:
        return f"{float(v):,.0f}"
    return fmt_raw(v)


def _signed(v: float) -> str:
    return DASH if not ok(v) else ("+" if v > 0 else MINUS if v < 0 else "") + fmt_weight(abs(v))


def _signed_pct(v: float) -> str:
    return DASH if not ok(v) else ("+" if v > 0 else MINUS if v < 0 else "") + fmt_pct(abs(v), 0)


def _rank(v: float) -> str:
    return str(int(v)) if ok(v) else DASH


def _prev_note(rels: list[dict], lang: str) -> str:
    prevs = sorted({r["prev"] for r in rels if r.get("observed") and r.get("prev")})
    return t("nw_change_since", lang, years="、".join(map(str, prevs)) if lang == "zh"
             else ", ".join(map(str, prevs))) if prevs else t("nw_no_prev", lang)


__all__ = ["RelationView", "TOP_PARTNERS", "competition_rank", "pair_weights", "partners_context",
           "relation_views", "top_partners", "unit_network", "views_of"]
