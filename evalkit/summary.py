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


from .project import LOW_YEAR_COVERAGE  # noqa: E402  (a year below it: every page says so)


def year_coverage(result: Result) -> dict[int, dict]:
    """Per year: median root coverage, insufficient units, units scored from fewer than all leaves."""
    root = result.tree.index[result.tree.root.id]
    cov = result.coverage[:, :, root]
    insufficient = result.insufficient()
    scored = np.isfinite(result.scores[:, :, root])
    renormalised = scored & ~np.isfinite(result.prepared.x).all(axis=2)
    out = {}
    for t, y in enumerate(result.years):
        out[y] = {"median": float(np.median(cov[:, t])) if cov.shape[0] else 0.0,
                  "insufficient": int(insufficient[:, t].sum()), "n": int(cov.shape[0]),
                  "renormalised": int(renormalised[:, t].sum()), "low": False}
        out[y]["low"] = out[y]["median"] < LOW_YEAR_COVERAGE
    return out


def coverage_notes(result: Result, years: list[int] | None = None) -> list:
    """Warnings about thin data: a year whose median coverage is low, unit-years with insufficient data,
    unit-years scored from only some of their indicators (weights renormalised, nothing imputed)."""
    from .errors import Pos, Problem
    from .load.yamlnodes import display_path

    project = result.inputs.project
    from pathlib import Path

    in_memory = project.file == Path("")  # evalkit.from_frames: the settings are the "file"
    pos = project.pos.get("years") or Pos("settings" if in_memory else display_path(project.file))
    min_cov = project.min_coverage
    notes = []
    for y, c in year_coverage(result).items():
        if years is not None and y not in years:
            continue
        if c["low"]:
            notes.append(Problem(pos, f"{y}: median coverage is {c['median']:.0%} (below {LOW_YEAR_COVERAGE:.0%}): the "
                                 f"year looks incompletely collected; {c['insufficient']} of {c['n']} units have "
                                 f"insufficient data (coverage below report.min_coverage {min_cov:.0%}, or too "
                                 "little data in a domain) and get no score; every report page of the year says so",
                                 "low-coverage-year", "warning"))
        elif c["insufficient"]:
            notes.append(Problem(pos, f"{y}: {c['insufficient']} of {c['n']} units have insufficient data (coverage "
                                 f"below report.min_coverage {min_cov:.0%}, or too little data in a domain): no "
                                 "score, rank or grade",
                                 "insufficient-data", "warning"))
        if c["renormalised"]:
            notes.append(Problem(pos, f"{y}: {c['renormalised']} of {c['n']} units are scored without some of their "
                                 "indicators (missing values, weights renormalised): see the coverage column of "
                                 "results.csv", "renormalised", "warning"))
    return notes
