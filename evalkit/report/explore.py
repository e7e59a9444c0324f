"""``explore.html``: the interactive weight explorer, one self-contained page.

The page re-scores in the browser: the report years' leaf scores (the normalised z on the
project's scale) and the "reported" mask are inlined as JSON, and the page's script
(``reports/explore_engine.js``) implements the engine's arithmetic and geometric means
exactly as :mod:`evalkit.aggregate` does (missing children renormalised, ``min_share``, the
geometric shift, the hull clip), then the coverage rule of :func:`evalkit.pipeline.score`
(``report.min_coverage``) and the ranks of :meth:`Result.ranks`.  With every node's weights
fixed, its numbers are those of ``evalkit.rescore(result, {"weights.nodes.<id>": {"method":
"fixed", "weights": {...}}, "aggregate.method": ...})``.

No network: the CSS and scripts are inline, the data is JSON in a
``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped (so no text of the
data can close the element).  Source: docs/methods.md#arithmetic, #geometric, #equal-fixed,
#coverage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from ..unitids import unit_label
from ..i18n import catalogue, t
from .context.common import page_common
from .templates import environment, templates_dir

#: the aggregations the page computes (in plain JS, as evalkit/aggregate.py does)
METHODS = ("arithmetic", "geometric")


class ExploreError(ValueError):
    """The project uses something the page cannot recompute (named in the message)."""


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def explore_data(result, years: list[int], lang: str) -> dict[str, Any]:
    """The JSON the page reads: tree, weights, leaf scores and reported mask of ``years``."""
    from ..panel import IMPUTED

    tree = result.tree
    settings = result.settings
    for node in tree.inner:
        if node.aggregate is not None and node.aggregate not in METHODS:
            raise ExploreError(f"'{node.id}' aggregates with {node.aggregate}: the explorer recomputes "
                               f"{' and '.join(METHODS)} means only")
    if settings.unbounded_leaves():
        raise ExploreError("unclipped z-scores leave the scale: the explorer needs scores on the scale")
    lo, hi = (float(v) for v in settings.scale)
    leaf_pos = {lid: j for j, lid in enumerate(tree.leaf_ids)}
    nodes = []
    for node in tree.nodes:
        entry: dict[str, Any] = {"id": node.id, "name": node.name.get(lang) or node.id,
                                 "parent": tree.parent[node.id]}
        if node.is_leaf:
            entry["leaf"] = leaf_pos[node.id]
        else:
            entry["children"] = [tree.index[c.id] for c in node.children]
            entry["agg"] = node.aggregate
            # the zero handling of a geometric mean here: the node's own, else the project's (node_aggregate)
            entry["shift"] = float(node.geometric_shift if node.geometric_shift is not None
                                   else settings.geometric_shift)
            entry["w"] = [float(result.local_weight[tree.index[c.id]]) for c in node.children]
            entry["under"] = [leaf_pos[x] for x in tree.leaves_under(node.id)]
        nodes.append(entry)
    table = result.inputs.units.table.set_index("id")
    units = []
    for uid in result.units:
        zh = str(table.at[uid, "name_zh"]) if "name_zh" in table.columns else ""
        en = str(table.at[uid, "name_en"]) if "name_en" in table.columns else ""
        name = (en or zh) if lang == "en" else (zh or en)
        name = "" if name in ("nan", "None") else name
        units.append({"id": str(uid), "label": unit_label(name, uid)})
    leaf_cols = [tree.index[lid] for lid in tree.leaf_ids]
    reported = np.isfinite(result.prepared.x_raw) & ((result.prepared.flags & IMPUTED) == 0)
    data = {}
    for y in years:
        ti = result.years.index(y)
        s = result.scores[:, ti, :][:, leaf_cols]
        data[str(y)] = {"s": [_num(v) for v in s.ravel()],
                        "r": reported[:, ti, :].astype(np.int8).ravel().tolist()}
    project_method = settings.aggregate if settings.aggregate in METHODS else "arithmetic"
    return {
        "lang": lang, "title": result.inputs.project.title.get(lang) or "",
        "scale": [lo, hi], "min_share": float(settings.min_share),
        "min_coverage": float(result.inputs.project.min_coverage), "rank_round": settings.rank_round,
        "method": project_method, "methods": list(METHODS), "years": [int(y) for y in years],
        "root": tree.index[tree.root.id], "domains": [tree.index[d.id] for d in tree.domains],
        "n_leaves": len(tree.leaf_ids), "nodes": nodes, "units": units, "data": data,
        "per_year_weights": bool(result.per_year_weights),
    }


def json_for_script(obj: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left to close it."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def render_explore(result, years: list[int], lang: str) -> str:
    """The whole page as a string."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    from ..version import __version__

    data = explore_data(result, years, lang)
    tdir = templates_dir()
    L = catalogue(lang)
    texts = {k: v for k, v in L.items() if k.startswith("ex_")}
    title = {"zh": result.inputs.project.title.zh, "en": result.inputs.project.title.en}
    ctx = {
        **page_common(lang=lang, title=title, synthetic=bool(result.inputs.project.synthetic),
                      year_label=", ".join(str(y) for y in years),
                      page_title=f"{title.get(lang) or ''} · {t('ex_title', lang)}", version=__version__),
        "back_href": f"{years[-1]}/index.html",
        "domain_names": [d.name.get(lang) or d.id for d in result.tree.domains],
        "data_json": json_for_script(data), "texts_json": json_for_script(texts),
        "engine_js": Markup((tdir / "explore_engine.js").read_text(encoding="utf-8")),
        "ui_js": Markup((tdir / "explore_ui.js").read_text(encoding="utf-8")),
    }
    notes = []
    if data["per_year_weights"]:
        notes.append(t("ex_note_per_year", lang))
    if result.settings.aggregate not in METHODS:
        notes.append(t("ex_note_method", lang, m=result.settings.aggregate))
    ctx["notes"] = notes
    return environment(tdir).get_template("explore.html.j2").render(**ctx)


def write_explore(result, out_dir: Path, years: list[int], lang: str) -> Path:
    path = Path(out_dir) / "explore.html"
    path.write_text(render_explore(result, years, lang), encoding="utf-8")
    return path
