"""Reports: per-city scorecards and the yearly overview (HTML), results.xlsx, optional PDFs.

Entry points: :func:`render_reports`, :func:`write_results_xlsx`, :func:`write_pdfs`;
the data contract is :class:`ReportInput`.
"""

from .inputs import ReportInput

__all__ = ["ReportInput", "RenderSummary", "render_reports", "templates_dir", "write_results_xlsx", "write_pdfs"]


def write_results_xlsx(inp, path, *, lang="zh"):
    """See :func:`evalkit.report.excel.write_results_xlsx` (openpyxl imported lazily)."""
    from .excel import write_results_xlsx as _w
    return _w(inp, path, lang=lang)


def write_pdfs(out_dir, years, units, lang="zh"):
    """See :func:`evalkit.report.pdf.write_pdfs` (WeasyPrint imported lazily)."""
    from .pdf import write_pdfs as _w
    return _w(out_dir, years, units, lang)


def __getattr__(name):
    """The page renderer on first use (jinja2 with it): a run writing tables only never loads it."""
    if name in ("RenderSummary", "render_reports", "templates_dir"):
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
