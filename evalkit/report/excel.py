"""results.xlsx: one sheet per tree level, the weights (with CR and RI table), the raw values.

Layout of a level sheet: one row per unit-year (unit id, name, group, year),
then for each node of the level two columns, score and rank, under a merged
header cell naming the node; two header rows are frozen, and the id columns.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .context import RI_TABLES, Prepared, ok
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


def write_results_xlsx(inp: ReportInput, path: Path, *, lang: str = "zh") -> Path:
    """Write results.xlsx (openpyxl) and return its path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    p = Prepared(inp)
    tree = p.tree
    wb = Workbook()
    wb.remove(wb.active)
    head_font = Font(bold=True, color="1F3B5A")
    head_fill = PatternFill("solid", fgColor="EEF1F5")
    thin = Border(bottom=Side(style="thin", color="1F3B5A"))
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def style_header(ws, rows: int, ncols: int) -> None:
        for r in range(1, rows + 1):
            for c in range(1, ncols + 1):
                cell = ws.cell(row=r, column=c)
                cell.font = head_font
                cell.fill = head_fill
                cell.alignment = center
                if r == rows:
                    cell.border = thin

    id_heads = [t("code", lang), t("unit", lang), t("province", lang), t("year", lang)]
    for depth, level in enumerate(tree.levels):
        ws = wb.create_sheet(t("x_level", lang, n=depth)[:31])
        for c, h in enumerate(id_heads, start=1):
            ws.cell(row=1, column=c, value=h)
            ws.merge_cells(start_row=1, start_column=c, end_row=2, end_column=c)
        col = len(id_heads) + 1
        for n in level:
            ws.cell(row=1, column=col, value=f"{n.name.get(lang)} ({n.id})")
            ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
            ws.cell(row=2, column=col, value=t("score", lang))
            ws.cell(row=2, column=col + 1, value=t("rank", lang))
            col += 2
        ncols = col - 1
        style_header(ws, 2, ncols)
        idx = [p.nidx[n.id] for n in level]
        r = 3
        for ui, info in enumerate(p.units):
            for yi, year in enumerate(p.years):
                row = [info.id, info.name(lang), info.group_name(lang), year]
                for k in idx:
                    s = p.score[ui, yi, k]
                    rk = p.rank[ui, yi, k]
                    row += [float(s) if ok(s) else None, int(rk) if ok(rk) else None]
                for c, v in enumerate(row, start=1):
                    ws.cell(row=r, column=c, value=v)
                r += 1
        for c in range(len(id_heads) + 1, ncols + 1, 2):
            for rr in range(3, r):
                ws.cell(row=rr, column=c).number_format = "0.00"
        ws.freeze_panes = ws.cell(row=3, column=len(id_heads) + 1)
        ws.column_dimensions["A"].width = 10
        ws.column_dimensions["B"].width = 14
        ws.column_dimensions["C"].width = 10
        ws.column_dimensions["D"].width = 7
        for c in range(len(id_heads) + 1, ncols + 1):
            ws.column_dimensions[get_column_letter(c)].width = 11
        ws.row_dimensions[1].height = 42

    # weights
    ws = wb.create_sheet(t("x_weights", lang)[:31])
    heads = [t("m_node", lang), t("x_name", lang), t("m_parent", lang), t("m_method", lang), t("m_local", lang),
             t("m_global", lang), "CR", t("m_ri", lang)]
    for c, h in enumerate(heads, start=1):
        ws.cell(row=1, column=c, value=h)
    style_header(ws, 1, len(heads))
    r = 2
    used_ri: list[str] = []
    for n in tree.root.walk():
        w = p.weights.get(n.id, {})
        ri = w.get("ri_table")
        ri = "" if ri is None or (isinstance(ri, float) and math.isnan(ri)) else str(ri)
        if ri and ri not in used_ri:
            used_ri.append(ri)
        row = [n.id, "    " * tree.depth[n.id] + n.name.get(lang), tree.parent.get(n.id) or "",
               _cell(w.get("method")) or "", _cell(w.get("local_weight")), _cell(w.get("global_weight")),
               _cell(w.get("cr")), ri]
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
        for c in (5, 6, 7):
            ws.cell(row=r, column=c).number_format = "0.0000"
        r += 1
    r += 1
    for name in used_ri or ["cn_textbook"]:
        if name not in RI_TABLES:
            continue
        ws.cell(row=r, column=1, value=t("m_ri_table", lang, name=name)).font = head_font
        r += 1
        ws.cell(row=r, column=1, value=t("x_n", lang)).font = head_font
        ws.cell(row=r + 1, column=1, value="RI").font = head_font
        for k, v in enumerate(RI_TABLES[name], start=1):
            ws.cell(row=r, column=1 + k, value=k).font = head_font
            ws.cell(row=r + 1, column=1 + k, value=v)
        r += 3
    ws.freeze_panes = "A2"
    for c, wdt in zip("ABCDEFGH", (20, 40, 16, 14, 12, 12, 10, 16)):
        ws.column_dimensions[c].width = wdt

    # raw values
    ws = wb.create_sheet(t("x_raw", lang)[:31])
    heads = [t("code", lang), t("unit", lang), t("year", lang), t("indicator", lang), t("x_name", lang),
             t("x_measure", lang), t("x_value", lang), t("x_imputed", lang), t("x_treated", lang),
             t("x_provisional", lang)]
    for c, h in enumerate(heads, start=1):
        ws.cell(row=1, column=c, value=h)
    style_header(ws, 1, len(heads))
    r = 2
    for ui, info in enumerate(p.units):
        for yi, year in enumerate(p.years):
            for j, n in enumerate(p.leaves):
                v = p.raw[ui, yi, j]
                row = [info.id, info.name(lang), year, n.id, n.name.get(lang), n.unit,
                       float(v) if ok(v) else None, bool(p.f_imp[ui, yi, j]), bool(p.f_trt[ui, yi, j]),
                       bool(p.f_prov[ui, yi, j])]
                for c, val in enumerate(row, start=1):
                    ws.cell(row=r, column=c, value=val)
                r += 1
    ws.freeze_panes = "A2"
    for c, wdt in zip("ABCDEFGHIJ", (10, 12, 7, 22, 40, 12, 12, 8, 10, 8)):
        ws.column_dimensions[c].width = wdt
    path = Path(path)
    wb.save(path)
    return path
