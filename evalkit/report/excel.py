"""results.xlsx: one sheet per tree level, the weights (with CR and RI table), the raw values and their flags.

Layout of a level sheet: one row per unit-year (unit id, name, group, year),
then for each node of the level two columns, score and rank, under a merged
header cell naming the node; two header rows are frozen, and the id columns.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .context import RI_TABLES, ok, prepared
from .i18n import t
from .inputs import ReportInput


def _cell(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


MAX_ROWS_ALL_YEARS = 2000  # unit-years; above it the workbook holds the report years only (results.csv has all)


def write_results_xlsx(inp: ReportInput, path: Path, *, lang: str = "zh", years: list[int] | None = None) -> Path:
    """Write results.xlsx (openpyxl, write-only mode: rows are streamed) and return its path.

    Every year is included while units × years ≤ ``MAX_ROWS_ALL_YEARS``; a larger
    panel (the HDI's 195 countries × 33 years) gets the report ``years`` only,
    so that writing a spreadsheet does not dominate the run; results.csv always
    holds every year.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    p = prepared(inp)
    tree = p.tree
    shown = [(yi, y) for yi, y in enumerate(p.years)
             if years is None or len(p.units) * len(p.years) <= MAX_ROWS_ALL_YEARS or y in years]
    wb = Workbook(write_only=True)
    head_font = Font(bold=True, color="1F3B5A")
    head_fill = PatternFill("solid", fgColor="EEF1F5")
    thin = Border(bottom=Side(style="thin", color="1F3B5A"))
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def header(ws, values, *, last: bool = True) -> list:
        out = []
        for v in values:
            c = WriteOnlyCell(ws, value=v)
            c.font, c.fill, c.alignment = head_font, head_fill, center
            if last:
                c.border = thin
            out.append(c)
        return out

    def number(ws, v, fmt: str):
        c = WriteOnlyCell(ws, value=v)
        c.number_format = fmt
        return c

    id_heads = [t("code", lang), t("unit", lang), t("province", lang), t("year", lang)]
    for depth, level in enumerate(tree.levels):
        ws = wb.create_sheet(t("x_level", lang, n=depth)[:31])
        ncols = len(id_heads) + 2 * len(level)
        for c, wdt in enumerate([10, 14, 10, 7] + [11] * (2 * len(level)), start=1):
            ws.column_dimensions[get_column_letter(c)].width = wdt
        ws.freeze_panes = f"{get_column_letter(len(id_heads) + 1)}3"
        row1 = id_heads + [x for n in level for x in (f"{n.name.get(lang)} ({n.id})", "")]
        row2 = [""] * len(id_heads) + [x for _ in level for x in (t("score", lang), t("rank", lang))]
        ws.append(header(ws, row1, last=False))
        ws.append(header(ws, row2))
        idx = [p.nidx[n.id] for n in level]
        for ui, info in enumerate(p.units):
            for yi, year in shown:
                row = [info.id, info.name(lang), info.group_name(lang), year]
                for k in idx:
                    s = p.score[ui, yi, k]
                    rk = p.rank[ui, yi, k]
                    row += [number(ws, float(s) if ok(s) else None, "0.00"), int(rk) if ok(rk) else None]
                ws.append(row)
        assert len(row1) == ncols

    # weights
    ws = wb.create_sheet(t("x_weights", lang)[:31])
    for c, wdt in zip("ABCDEFGH", (20, 40, 16, 14, 12, 12, 10, 16)):
        ws.column_dimensions[c].width = wdt
    ws.freeze_panes = "A2"
    # per-year weights (by: year): one block of rows a year, with the year in a last column
    blocks = sorted(p.weights_by_year.items()) if p.weights_by_year else [(None, p.weights)]
    ws.append(header(ws, [t("m_node", lang), t("x_name", lang), t("m_parent", lang), t("m_method", lang),
                          t("m_local", lang), t("m_global", lang), "CR", t("m_ri", lang)]
                     + ([t("year", lang)] if p.weights_by_year else [])))
    used_ri: list[str] = []
    for year, weights in blocks:
        for n in tree.root.walk():
            w = weights.get(n.id, {})
            ri = w.get("ri_table")
            ri = "" if ri is None or (isinstance(ri, float) and math.isnan(ri)) else str(ri)
            if ri and ri not in used_ri:
                used_ri.append(ri)
            ws.append([n.id, "    " * tree.depth[n.id] + n.name.get(lang), tree.parent.get(n.id) or "",
                       _cell(w.get("method")) or "", number(ws, _cell(w.get("local_weight")), "0.0000"),
                       number(ws, _cell(w.get("global_weight")), "0.0000"), number(ws, _cell(w.get("cr")), "0.0000"),
                       ri] + ([year] if year is not None else []))
    for name in used_ri or ["cn_textbook"]:
        if name not in RI_TABLES:
            continue
        ws.append([])
        ws.append(header(ws, [t("m_ri_table", lang, name=name)], last=False))
        ws.append(header(ws, [t("x_n", lang)] + list(range(1, len(RI_TABLES[name]) + 1)), last=False))
        ws.append(header(ws, ["RI"], last=False) + list(RI_TABLES[name]))

    # raw values, wide: a row per unit-year, a column per indicator (what Excel users filter and chart);
    # flags in a second sheet of the same layout, written only where a cell is flagged
    flag_text = {"imp": t("x_imputed", lang), "trt": t("x_treated", lang), "prov": t("x_provisional", lang)}
    for sheet, kind in ((t("x_raw", lang), "value"), (t("x_flags", lang), "flags")):
        ws = wb.create_sheet(sheet[:31])
        for c, wdt in enumerate([10, 14, 10, 7] + [14] * len(p.leaves), start=1):
            ws.column_dimensions[get_column_letter(c)].width = wdt
        ws.freeze_panes = f"{get_column_letter(len(id_heads) + 1)}3"
        ws.append(header(ws, id_heads + [n.name.get(lang) for n in p.leaves], last=False))
        ws.append(header(ws, [""] * len(id_heads) + [f"{n.unit_for(lang) or '—'} · {n.id}" for n in p.leaves]))
        for ui, info in enumerate(p.units):
            name, group = info.name(lang), info.group_name(lang)
            for yi, year in shown:
                if kind == "value":
                    cells = [float(v) if ok(v) else None for v in p.raw[ui, yi]]
                else:
                    cells = [", ".join(flag_text[k] for k, f in (("imp", p.f_imp), ("trt", p.f_trt), ("prov", p.f_prov))
                                       if f[ui, yi, j]) or None for j in range(len(p.leaves))]
                ws.append([info.id, name, group, year] + cells)
    path = Path(path)
    wb.save(path)
    return path
