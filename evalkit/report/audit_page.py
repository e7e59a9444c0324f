"""``<year>/audit.html``: the statistical audit of a year, read from the audit tables.

Per inner node: the heat map of its children's correlations (with each other, with the node
and with the index), the flags in words, Cronbach's alpha and the PCA summary, and each child's
effective importance share against its nominal weight.  The tables are those of
:mod:`evalkit.analysis.audit_tables` (audit-correlations.csv, audit-nodes.csv); the page reads
only the rows of its year.  Self-contained like the other pages (inline CSS and SVG, no script).
Source: docs/methods.md#audit.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from . import charts
from ..i18n import t
from .context.common import page_common
from .templates import environment, templates_dir


def _f3(v: Any) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    return f"{v:.3f}".replace("-", "−") if math.isfinite(v) else "—"


def _pct(v: Any) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    return f"{100 * v:.1f}%" if math.isfinite(v) else "—"


class _Namer:
    """Node ids in the tables' flag texts to the nodes' names in the page's language."""

    def __init__(self, tree, lang: str) -> None:
        plain = {n.id: (n.name.get(lang) or n.id) for n in tree.nodes}
        count: dict[str, int] = {}
        for v in plain.values():
            count[v] = count.get(v, 0) + 1
        # a name used at several places ("投入" under every domain) is told apart by its parent's
        self.names = {nid: (f"{plain[tree.parent[nid]]} · {v}" if count[v] > 1 and tree.parent[nid] else v)
                      for nid, v in plain.items()}
        ids = sorted(self.names, key=len, reverse=True)  # longest first: gov.input before gov
        self.rx = re.compile(r"(?<![\w.])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w.])") if ids else None

    def __call__(self, nid: str) -> str:
        return self.names.get(nid, nid)

    def text(self, s: str) -> str:
        return self.rx.sub(lambda m: self.names[m.group(1)], s) if self.rx and s else s


def audit_context(tree, tables: Mapping[str, pd.DataFrame], year: int, meta: Mapping[str, Any],
                  lang: str) -> dict[str, Any]:
    """The page's variables: one section per inner node, the findings of the year first."""
    from ..version import __version__

    name = _Namer(tree, lang)
    col = f"flag_{lang}"
    corr = tables["audit-correlations"]
    nodes_df = tables["audit-nodes"]
    corr = corr[(corr["scope"] == "year") & (corr["year"] == year)]
    nodes_df = nodes_df[(nodes_df["scope"] == "year") & (nodes_df["year"] == year)]
    root = tree.root.id
    sections = []
    groups: dict[str, list[str]] = {"against": [], "corr": [], "node": []}
    for node in (n for n in tree.root.walk() if not n.is_leaf):  # top down: the index first
        kids = [c.id for c in node.children]
        k = len(kids)
        c = corr[corr["node"] == node.id]
        r = {(a, b): v for a, b, v in zip(c["child"], c["with"], c["pearson"])}
        cols = [name(x) for x in kids] + [t("au_col_parent", lang, node=name(node.id))]
        if node.id != root:
            cols.append(t("au_col_index", lang))
        values = []
        for i, a in enumerate(kids):
            row = [1.0 if a == b else r.get((a, b), r.get((b, a), math.nan)) for b in kids]
            row.append(r.get((a, node.id), math.nan))
            if node.id != root:
                row.append(r.get((a, root), math.nan))
            values.append(row)
        # a correlation flag on a negative r with the node or the index comes first: the part works against it
        against = [name.text(x) for f, rel, v in zip(c[col], c["relation"], c["pearson"]) if f
                   for x in str(f).split("; ") if rel in ("parent", "index") and v < 0 and x == str(f).split("; ")[0]]
        flags = [name.text(x) for f in c[col] if f for x in str(f).split("; ")]
        nd = nodes_df[nodes_df["node"] == node.id].sort_values("component")
        first = nd.iloc[0] if len(nd) else None
        nflags = [name.text(x) for f in nd[col] if isinstance(f, str) and f for x in f.split("; ")]
        children = []
        for rec in nd.to_dict("records"):
            ratio = rec["importance_ratio"]
            children.append({"name": name(rec["child"]), "weight": _pct(rec["weight"]),
                             "share": _pct(rec["importance_share"]), "ratio": _f3(ratio).replace("−", "-")
                             if ratio == ratio else "—", "loading": _f3(rec["loading_pc1"])})
        pcs = [{"n": int(rec["component"]), "eigen": _f3(rec["eigenvalue"]), "share": _pct(rec["variance_share"]),
                "cum": _pct(rec["cumulative_share"]), "above": float(rec["eigenvalue"]) > 1}
               for rec in nd.to_dict("records") if rec["eigenvalue"] == rec["eigenvalue"]]
        all_flags = list(dict.fromkeys(flags + nflags))
        for f in all_flags:
            kind = "against" if f in against else ("corr" if f in flags else "node")
            if f not in (x for xs in groups.values() for x in xs):
                groups[kind].append(f)
        nice = name(node.id)
        sections.append({
            "id": node.id, "name": nice, "k": k,
            "heat": charts.corr_matrix([name(x) for x in kids], cols, values,
                                       title=t("au_heat_title", lang, node=nice, year=year),
                                       desc=t("au_heat_desc", lang), legend=t("au_legend", lang), split=k,
                                       uid=f"au-h{len(sections)}") if k > 1 or values else None,
            "importance": charts.importance_vs_weight(
                [name(x) for x in nd["child"]], list(nd["weight"]), list(nd["importance_share"]),
                title=t("au_imp_title", lang, node=nice, year=year), desc=t("au_imp_desc", lang),
                x_label=t("au_imp_x", lang), y_label=t("au_imp_y", lang), diag_label=t("au_imp_diag", lang),
                uid=f"au-i{len(sections)}") if k > 1 else None,
            "flags": all_flags,
            "alpha": _f3(first["alpha"]) if first is not None and k > 1 else "—",
            "alpha_ok": first is not None and k > 1 and float(first["alpha"]) >= float(meta.get("audit_alpha", 0.7)),
            "n_components": int(first["n_components"]) if first is not None else 0,
            "n_obs": int(first["n_obs_pca"]) if first is not None else 0,
            "pcs": pcs, "children": children,
        })
    title = meta.get("title") or {}
    return {
        **page_common(lang=lang, title=title, synthetic=bool(meta.get("synthetic")),
                      year_label=t("year_n", lang, year=year),
                      page_title=f"{title.get(lang) or ''} · {t('year_n', lang, year=year)} · {t('au_title', lang)}",
                      version=(meta.get("manifest") or {}).get("version", __version__)),
        "coverage_banner": "", "sections": sections,
        "findings": [{"head": t(f"au_group_{k}", lang), "lines": v} for k, v in groups.items() if v],
        "n_obs_note": t("au_obs_note", lang, year=year),
    }


def render_audit_page(out_dir: Path, year: int, tree, tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                      lang: str) -> Path:
    """Write ``<out_dir>/<year>/audit.html``; returns its path."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ctx = audit_context(tree, tables, int(year), meta, lang)
    html = environment(templates_dir()).get_template("audit.html.j2").render(**ctx)
    path = Path(out_dir) / str(int(year)) / "audit.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
