"""Optional PDFs of the rendered scorecards, with WeasyPrint (extra ``evalkit[pdf]``).

``write_pdfs`` converts ``<out>/<year>/<unit>.html`` (already rendered) into
``<out>/<year>/<unit>.pdf``.  WeasyPrint needs Pango, and Chinese text needs
a CJK font; when either is missing it raises ``RuntimeError`` saying how to
install them (the CLI prints it as an error line).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..unitids import unit_file_stem

FIX = ("install the PDF extra and its system libraries: pip install 'evalkit[pdf]'; "
       "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk")


def _weasyprint():
    try:
        import weasyprint  # noqa: F401  (OSError when Pango is missing)
    except (ImportError, OSError) as e:
        raise RuntimeError(f"PDF output needs WeasyPrint with Pango ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else 'not importable'}); {FIX}") from e
    return weasyprint


def cjk_fonts() -> list[str] | None:
    """Families fontconfig offers for Chinese; None when fc-list is not available."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted({ln.split(",")[0].strip() for ln in out.splitlines() if ln.strip()})


def check_pdf_support() -> None:
    """Raise RuntimeError (with the fix) unless WeasyPrint, Pango and a CJK font are present."""
    _weasyprint()
    fonts = cjk_fonts()
    if fonts is not None and not fonts:
        raise RuntimeError(f"PDF output needs a Chinese (CJK) font, none is installed; {FIX}")


def write_pdfs(out_dir: Path, years: list[int], units: list[str], lang: str = "zh") -> list[Path]:
    """Convert each rendered scorecard to PDF beside its HTML; returns the PDF paths.

    ``lang`` is accepted for symmetry with the renderer (the HTML already
    carries its language).  Missing HTML files raise FileNotFoundError.
    """
    check_pdf_support()
    weasyprint = _weasyprint()
    out: list[Path] = []
    out_dir = Path(out_dir)
    for y in years:
        for uid in units:
            html = out_dir / str(y) / f"{unit_file_stem(uid)}.html"
            if not html.is_file():
                raise FileNotFoundError(f"{html}: scorecard not rendered")
            pdf = html.with_suffix(".pdf")
            weasyprint.HTML(filename=str(html), base_url=str(html.parent)).write_pdf(str(pdf))
            out.append(pdf)
    return out
