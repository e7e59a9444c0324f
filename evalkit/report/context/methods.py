"""The methods appendix: how the scores of a year were computed, in words and tables."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from ...version import __version__
from ...i18n import catalogue, t
from .formatting import DASH, _fmt_w, ok, _plain
from .prepared import Prepared, PROV_LIST_MAX, RI_TABLES


_IMPUTE_WORDS = ("interpolate", "carry", "group_mean", "group_median", "mean", "median", "panel_mean",
                 "panel_median")


def method_word(word: str, lang: str) -> str:
    """A method's word of the project file (``entropy``, ``combined:mdi``, ``cn_textbook``) in the reader's language.

    A word the catalogue does not know (a method added later) is shown as written.
    """
    cat = catalogue(lang)
    parts = [cat.get(f"mw_{w}", w) for w in str(word).split(":") if w]
    return f"{parts[0]}（{parts[1]}）" if len(parts) == 2 and lang == "zh" else (
        f"{parts[0]} ({parts[1]})" if len(parts) == 2 else "".join(parts))


def _num(v) -> str:
    return f"{float(v):g}" if ok(v) else str(v)


def prep_sentence(p: Prepared, step: str, rec, lang: str) -> str | None:
    """A preparation step of the step log as a sentence of the catalogue (None: not one it knows).

    Readers see what was done in their language, never the parameter names of the project file.
    """
    sep = "、" if lang == "zh" else ", "
    try:
        if step == "derived" and isinstance(rec, (list, tuple)):
            names = [p.node_name(str(d.get("indicator")), lang) for d in rec if isinstance(d, Mapping)]
            return t("m_prep_derived", lang, n=len(names), names=sep.join(names))
        if not isinstance(rec, Mapping):
            return None
        par = rec.get("params") or {}
        if step == "screen":
            return t("m_prep_screen", lang, unit=f"{100 * float(par['min_coverage_unit']):g}%",
                     indicator=f"{100 * float(par['min_coverage_indicator']):g}%",
                     units=len(rec.get("dropped_units") or []), indicators=len(rec.get("dropped_indicators") or []))
        if step == "impute":
            chain = [t(f"m_impute_{w}", lang) if w in _IMPUTE_WORDS else str(w) for w in par.get("chain", [])]
            arrow = " → "
            return t("m_prep_impute", lang, chain=arrow.join(chain), cells=int(rec.get("cells", 0)))
        if step == "treat":
            cols = rec.get("columns") or []
            logs = sum(1 for c in cols if isinstance(c, Mapping) and str(c.get("method", "")).startswith("log"))
            said = t("m_prep_treat", lang, skew=_num(par["skew"]), kurt=_num(par["kurt"]),
                     winmax=_num(par["winmax"]), n=len(cols), cells=int(rec.get("cells", 0)))
            if par.get("log"):
                said += t("m_prep_treat_log", lang, n=logs)
            return said
    except (KeyError, TypeError, ValueError):
        return None
    return None


def method_context(p: Prepared, lang: str, year: int | None = None) -> dict:
    """The methodology appendix of ``year`` (cached: the same for every year unless the weights are per year)."""
    key = (lang, int(year) if year is not None and p.weights_by_year else None)
    if key in p._method_cache:
        return p._method_cache[key]
    meta = p.inp.meta
    m = dict(meta.get("method") or {})
    norm = dict(m.pop("normalize", None) or m.pop("normalise", None) or {})
    agg = dict(m.pop("aggregate", None) or {})
    scheme = m.pop("weights", None) or m.pop("weights_file", None) or m.pop("scheme", None)
    prep = m.pop("preparation", None) or m.pop("prepare", None) or []
    weighting = m.pop("weighting", None) or m.pop("nodes", None) or {}
    scope = str(norm.pop("scope", "panel")) if norm else ""
    scope_text = {"panel": t("m_scope_panel", lang), "year": t("m_scope_year", lang)}.get(scope, scope)
    overrides = [f"{n.name.get(lang)}: {method_word(str(n.aggregate), lang)}" for n in p.tree.nodes if n.aggregate]

    def kv(d: Mapping) -> str:
        # a known option in words of the catalogue (最低权重占比 0.5), an unknown one as written
        cat = catalogue(lang)
        return "; ".join(f"{cat.get('mo_' + str(k), str(k))}{'' if 'mo_' + str(k) in cat else '='}"
                         f"{' ' if 'mo_' + str(k) in cat else ''}{_plain(v)}"
                         for k, v in d.items() if v not in (None, "", [], {}))

    prep_rows = []
    if isinstance(prep, Mapping):      # {step: {params: {...}, cells: n, ...}} as the pipeline records it
        for name, rec in prep.items():
            said = prep_sentence(p, str(name), rec, lang)
            if said is not None:       # a step the catalogue can say in words
                prep_rows.append({"step": t(f"m_step_{name}", lang), "target": "", "params": said})
                continue
            if isinstance(rec, Mapping):
                rec = dict(rec)
                params = rec.pop("params", {})
                facts = {k: v for k, v in rec.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
                text = "; ".join(x for x in (kv(params) if isinstance(params, Mapping) else _plain(params), kv(facts))
                                 if x)
            else:
                text = _plain(rec)
            prep_rows.append({"step": str(name), "target": "", "params": text})
        prep = []
    for st in prep if isinstance(prep, (list, tuple)) else [prep]:
        if isinstance(st, Mapping):
            d = dict(st)
            name = str(d.pop("step", d.pop("name", "")))
            target = d.pop("target", "")
            params = d.pop("params", d)
            prep_rows.append({"step": name, "target": str(target or ""),
                              "params": kv(params) if isinstance(params, Mapping) else str(params)})
        else:
            prep_rows.append({"step": str(st), "target": "", "params": ""})

    weights = []
    ri_used: list[str] = []
    year_weights = p.weights_by_year.get(int(year), p.weights) if year is not None else p.weights
    for n in p.tree.root.walk():
        w = year_weights.get(n.id, {})
        ri = w.get("ri_table")
        ri = "" if ri is None or (isinstance(ri, float) and math.isnan(ri)) else str(ri)
        if ri and ri not in ri_used:
            ri_used.append(ri)
        parent = p.tree.parent.get(n.id)
        method = w.get("method")
        weights.append({
            "id": n.id, "name": n.name.get(lang), "depth": p.tree.depth[n.id], "leaf": n.is_leaf,
            "parent": p.node_name(parent, lang) if parent else "",
            "method": "" if method is None or (isinstance(method, float) and math.isnan(method))
            else method_word(str(method), lang),
            "local": _fmt_w(w.get("local_weight")), "global": _fmt_w(w.get("global_weight")),
            "cr": _fmt_w(w.get("cr")), "ri": method_word(ri, lang) if ri else "",
        })
    ahp = []
    if isinstance(weighting, Mapping):
        for nid, w in weighting.items():
            if not isinstance(w, Mapping) or not ok(w.get("cr")):
                continue
            node = p.tree.by_id.get(str(nid))
            n_children = len(node.children) if node is not None else 0
            ri = str(w.get("ri_table") or "")
            if ri and ri not in ri_used:
                ri_used.append(ri)
            ri_n = RI_TABLES.get(ri, ())
            ahp.append({"name": p.node_name(str(nid), lang), "method": method_word(str(w.get("method") or ""), lang),
                        "n": str(n_children) if n_children else "",
                        "lambda_max": f"{float(w['lambda_max']):.4f}" if ok(w.get("lambda_max")) else "",
                        "cr": f"{float(w['cr']):.4f}", "ri_table": method_word(ri, lang),
                        "ri": f"{ri_n[n_children - 1]:g}" if ri_n and 0 < n_children <= len(ri_n) else ""})
    ri_tables = [{"name": name, "title": t("m_ri_table", lang, name=method_word(name, lang)),
                  "values": [f"{v:g}" for v in RI_TABLES[name]]} for name in ri_used if name in RI_TABLES]

    sources: dict[str, list[str]] = {}
    for n in p.tree.leaves:
        src = n.source.get(lang) if n.source else DASH
        sources.setdefault(src, []).append(n.name.get(lang))
    man = dict(meta.get("manifest") or {})
    version = str(man.get("engine_version") or man.get("version") or man.get("evalkit") or __version__)
    files = man.get("inputs") or man.get("sha256") or man.get("files") or {}
    hashes = []
    if isinstance(files, Mapping):
        for k, v in files.items():
            h = v.get("sha256", "") if isinstance(v, Mapping) else v
            hashes.append({"file": str(k), "sha256": str(h)})
    elif isinstance(files, (list, tuple)):
        for it in files:
            if isinstance(it, Mapping):
                hashes.append({"file": str(it.get("file") or it.get("path") or ""), "sha256": str(it.get("sha256", ""))})
    extra = [{"key": str(k), "value": kv(v) if isinstance(v, Mapping) else _plain(v)} for k, v in m.items()
             if v not in (None, "", [], {})]
    # provisional values used: latest year first, then units-file and tree order
    cells = np.argwhere(p.leaf_prov)
    cells = sorted(cells.tolist(), key=lambda c: (-c[1], c[0], c[2]))
    provisional = [{"unit": p.units[a].label(lang), "year": str(p.years[b]), "indicator": p.leaves[c].name.get(lang)}
                   for a, b, c in cells[:PROV_LIST_MAX]]
    out = {
        "provisional": provisional,
        "provisional_more": t("and_more", lang, n=len(cells) - PROV_LIST_MAX) if len(cells) > PROV_LIST_MAX else "",
        "provisional_total": t("m_prov_total", lang, n=len(cells)) if cells else "",
        "norm_method": method_word(str(norm.pop("method", "")), lang) if norm else "",
        "norm_scope": scope_text,
        "norm_extra": kv(norm) if norm else "",
        "agg_method": method_word(str(agg.pop("method", "")), lang) if agg else "",
        "agg_extra": kv(agg) if agg else "",
        "agg_overrides": overrides,
        # a file name, never where it is installed: the readers of a page have no use for the path
        "scheme": str(scheme or "").replace("\\", "/").rsplit("/", 1)[-1],
        "scale": f"{p.scale[0]:g}–{p.scale[1]:g}",
        "grades": ", ".join(f"{k} ≥ {v:g}" if isinstance(v, (int, float)) else f"{k} ≥ {v}"
                            for k, v in p.grades.items()) or t("m_none", lang),
        "preparation": prep_rows,
        "weights": weights,
        "weights_year": t("m_weights_year", lang, year=int(year)) if (year is not None and p.weights_by_year) else "",
        "ahp": ahp,
        "ri_tables": ri_tables,
        "ri_n": [str(i) for i in range(1, 16)],
        "sources": [{"source": k, "indicators": "、".join(v) if lang == "zh" else "; ".join(v)}
                    for k, v in sources.items()],
        "years": f"{p.years[0]}–{p.years[-1]}" if p.years else "",
        "version": version,
        "hashes": hashes,
        "notes": list(p.inp.notes),
        "extra": extra,
    }
    p._method_cache[key] = out
    return out


def annex_attainment(p: Prepared, year: int, lang: str, most: int = 8) -> list[dict]:
    """Target attainment of the year by indicator: cities with a target, achieved / close / missed, who missed.

    The scorecards show a city's own open targets; the annex sums them up once for the year.
    """
    from .sections import status_of

    rows = p.table_years.get("attainment", {}).get(int(year), [])
    by: dict[str, dict] = {}
    for r in rows:
        if str(r.get("level", "")).lower() != "indicator":
            continue
        nid = str(r.get("node"))
        d = by.setdefault(nid, {"met": 0, "near": 0, "missed": 0, "unknown": 0, "who": []})
        st = status_of(r.get("status"), r.get("attainment"))
        d[st] += 1
        if st == "missed":
            d["who"].append(p.unit_label(str(r.get("unit")), lang))
    sep = "、" if lang == "zh" else ", "
    out = []
    for n in p.tree.leaves:                      # tree order
        d = by.get(n.id)
        if d is None:
            continue
        who = sep.join(d["who"][:most]) + (t("and_more", lang, n=len(d["who"]) - most) if len(d["who"]) > most else "")
        out.append({"name": n.name.get(lang), "domain": p.node_name(p.tree.domain_of(n.id) or "", lang),
                    "n": str(d["met"] + d["near"] + d["missed"] + d["unknown"]), "met": str(d["met"]),
                    "near": str(d["near"]), "missed": str(d["missed"]), "who": who})
    return out
