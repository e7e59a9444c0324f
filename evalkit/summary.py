"""Plain-text tables for the terminal: the weight table and the data coverage summary."""

from __future__ import annotations

import numpy as np

from .panel import IMPUTED, TREATED
from .pipeline import Result


def weights_table(result: Result, *, lang: str = "zh") -> str:
    """node, method, local, global, CR — indented by depth, for a person to read."""
    tree = result.tree
    df = result.weights_frame()
    rows = [("node", "name", "method", "local", "global", "CR (RI table)")]
    for r in df.itertuples(index=False):
        node = tree.by_id[r.node]
        indent = "  " * tree.depth[r.node]
        cr = f"{r.cr:.4f} ({r.ri_table})" if r.ri_table else ""
        rows.append((indent + r.node, node.name.get(lang), r.method, f"{r.local_weight:.4f}",
                     f"{r.global_weight:.4f}", cr))
    lines = _columns(rows)
    experts = []
    for node_id, nw in result.weighting.items():
        for e in (nw.details or {}).get("experts") or []:
            experts.append(f"  {node_id}: expert '{e['expert']}' CR {e['cr']:.4f} ({nw.ri_table})")
    if experts:
        lines += ["", "experts' own consistency (the group matrix is what counts):"] + experts
    return "\n".join(lines)


def coverage_summary(result: Result) -> str:
    """Share of cells present, imputed and treated by domain and year."""
    tree = result.tree
    x_raw, flags = result.prepared.x_raw, result.prepared.flags
    leaf_ids = tree.leaf_ids
    years = result.years
    rows = [("domain", *[str(y) for y in years], "imputed", "treated")]
    for dom in tree.domains:
        cols = [leaf_ids.index(l) for l in tree.leaves_under(dom.id)]
        present = np.isfinite(x_raw[:, :, cols])
        per_year = present.mean(axis=(0, 2))
        imp = ((flags[:, :, cols] & IMPUTED) > 0).sum()
        trt = ((flags[:, :, cols] & TREATED) > 0).sum()
        rows.append((dom.id, *[f"{v:.0%}" for v in per_year], str(int(imp)), str(int(trt))))
    return "data coverage (share of indicator cells present, before imputation):\n" + "\n".join(_columns(rows))


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in rows]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
