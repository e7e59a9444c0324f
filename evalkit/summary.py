"""Plain-text tables for the terminal: the weight table and the data coverage summary."""

from __future__ import annotations

import numpy as np

from .panel import IMPUTED, TREATED
from .pipeline import Result


def weights_table(result: Result, *, lang: str = "zh") -> str:
    """node, method, local, global, CR — indented by depth, for a person to read."""
    tree = result.tree
    df = result.weights_frame()
    per_year = result.per_year_weights  # then one block of rows a year, the year in the first column
    rows = [(("year",) if per_year else ()) + ("node", "name", "method", "local", "global", "CR (RI table)")]
    for r in df.itertuples(index=False):
        node = tree.by_id[r.node]
        indent = "  " * tree.depth[r.node]
        cr = f"{r.cr:.4f} ({r.ri_table})" if r.ri_table else ""
        rows.append(((str(r.year),) if per_year else ()) + (indent + r.node, node.name.get(lang), r.method,
                                                             f"{r.local_weight:.4f}", f"{r.global_weight:.4f}", cr))
    lines = _columns(rows)
    experts = []
    for node_id, nw in result.weighting.items():
        for e in (nw.details or {}).get("experts") or []:
            experts.append(f"  {node_id}: expert '{e['expert']}' CR {e['cr']:.4f} ({nw.ri_table})")
    if experts:
        lines += ["", "experts' own consistency (the group matrix is what counts):"] + experts
    return "\n".join(lines)


def coverage_summary(result: Result, *, head: str = "data coverage (share of indicator cells present, before "
                     "imputation):", columns: tuple[str, str, str] = ("domain", "imputed", "treated"),
                     names: str | None = None) -> str:
    """Share of cells present, imputed and treated by domain and year, under ``head`` with the ``columns``' words;
    domains by id, or by their name in the language ``names`` (the command line passes its catalogue's words)."""
    tree = result.tree
    x_raw, flags = result.prepared.x_raw, result.prepared.flags
    leaf_ids = tree.leaf_ids
    years = result.years
    rows = [(columns[0], *[str(y) for y in years], columns[1], columns[2])]
    for dom in tree.domains:
        cols = [leaf_ids.index(l) for l in tree.leaves_under(dom.id)]
        present = np.isfinite(x_raw[:, :, cols])
        per_year = present.mean(axis=(0, 2))
        imp = ((flags[:, :, cols] & IMPUTED) > 0).sum()
        trt = ((flags[:, :, cols] & TREATED) > 0).sum()
        label = dom.id if names is None else dom.name.get(names)
        rows.append((label, *[f"{v:.0%}" for v in per_year], str(int(imp)), str(int(trt))))
    return head + "\n" + "\n".join(_columns(rows))


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in rows]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------- the weight table a paper prints

WEIGHT_FORMATS = ("text", "csv", "markdown", "latex")


def weights_wide(result: Result, *, lang: str = "zh") -> "pd.DataFrame":
    """One row per indicator: its level-1 and level-2 ancestors with their weights, its local and global weight.

    Columns: level1, level1_name, level1_weight (its global weight), level2,
    level2_name, level2_weight (its local weight within level 1), indicator,
    name, local_weight, global_weight.  An indicator directly under level 1
    has empty level-2 cells.  With per-year weights (``by: year``) the weight
    columns are replaced by one global-weight column per year
    (``global_<year>``): every weight varies by year then.
    """
    import pandas as pd

    tree = result.tree
    idx = tree.index
    rows = []
    for leaf in tree.leaves:
        chain = tree.ancestors(leaf.id)[:-1][::-1]  # ancestors below the root, top first
        l1 = chain[0] if chain else ""
        l2 = chain[1] if len(chain) > 1 else ""
        row = {"level1": l1, "level1_name": tree.by_id[l1].name.get(lang) if l1 else "",
               "level2": l2, "level2_name": tree.by_id[l2].name.get(lang) if l2 else "",
               "indicator": leaf.id, "name": leaf.name.get(lang)}
        if not result.per_year_weights:
            row = {**row, "level1_weight": result.global_weight[idx[l1]] if l1 else np.nan,
                   "level2_weight": result.local_weight[idx[l2]] if l2 else np.nan,
                   "local_weight": result.local_weight[idx[leaf.id]],
                   "global_weight": result.global_weight[idx[leaf.id]]}
        else:
            for t, y in enumerate(result.years):
                row[f"global_{y}"] = result.global_weight_year[t, idx[leaf.id]]
        rows.append(row)
    df = pd.DataFrame(rows)
    if not result.per_year_weights:
        df = df[["level1", "level1_name", "level1_weight", "level2", "level2_name", "level2_weight", "indicator",
                 "name", "local_weight", "global_weight"]]
    return df


def format_weights(df: "pd.DataFrame", fmt: str, *, digits: int = 4) -> str:
    """The wide weight table as csv (full precision), markdown or latex (``digits`` decimals)."""
    if fmt == "csv":
        return df.to_csv(index=False, lineterminator="\n")
    header = list(df.columns)
    num = [c for c in header if df[c].dtype.kind == "f"]
    body = [[("" if (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}f}") if c in num else str(v)
             for c, v in zip(header, rec)] for rec in df.itertuples(index=False)]
    if fmt == "markdown":
        esc = [[_md(c) for c in r] for r in [header] + body]
        align = ["---:" if c in num else "---" for c in header]
        return "\n".join(["| " + " | ".join(esc[0]) + " |", "| " + " | ".join(align) + " |"]
                         + ["| " + " | ".join(r) + " |" for r in esc[1:]]) + "\n"
    if fmt == "latex":
        spec = "".join("r" if c in num else "l" for c in header)
        lines = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule", " & ".join(_tex(c) for c in header) + " \\\\",
                 "\\midrule"]
        lines += [" & ".join(_tex(c) for c in r) + " \\\\" for r in body]
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r} (allowed: {', '.join(WEIGHT_FORMATS)})")


def _md(text: str) -> str:
    """A markdown table cell: pipes escaped, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
    """A LaTeX table cell with the special characters escaped."""
    return "".join(_TEX.get(ch, ch) for ch in text.replace("\n", " "))
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
    from .errors import Pos, worded
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
            notes.append(worded(pos, "low-coverage-year", "warn_low_year", year=y, median=f"{c['median']:.0%}",
                                low=f"{LOW_YEAR_COVERAGE:.0%}", insufficient=c["insufficient"], n=c["n"],
                                min_cov=f"{min_cov:.0%}"))
        elif c["insufficient"]:
            notes.append(worded(pos, "insufficient-data", "warn_insufficient", year=y, insufficient=c["insufficient"],
                                n=c["n"], min_cov=f"{min_cov:.0%}"))
        if c["renormalised"]:
            notes.append(worded(pos, "renormalised", "warn_renormalised", year=y, renormalised=c["renormalised"],
                                n=c["n"]))
    return notes
