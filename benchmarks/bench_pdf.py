"""The printed report of the demo: `evalkit run --pdf --jobs 2` — 41 scorecards, the overview, the
regional page and the methods annex as PDFs, and the bound book-<year>.pdf with its outline.

Target: < 60 s on two cores (the whole run: scoring, pages, results.xlsx, PDFs, book).
Needs the PDF extra (WeasyPrint, pypdf) and a CJK font.  Run: python benchmarks/bench_pdf.py [jobs]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from evalkit.run import run_project


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def main(jobs: int = 2, target: float = 60.0) -> bool:
    import pypdf

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"
        c0, t0 = _cpu(), time.perf_counter()
        run_project(None, out=str(out), jobs=jobs)
        t1 = time.perf_counter()
        summary = run_project(None, out=str(out), jobs=jobs, pdf=True)
        t2 = time.perf_counter()
        cpu = _cpu() - c0
        year = summary["years"][-1]
        folder = out / str(year)
        pdfs = sorted(folder.glob("*.pdf"))
        book = pypdf.PdfReader(str(folder / f"book-{year}.pdf"))
        cards = [p for p in pdfs if p.stem.isdigit()]
        most = max(len(pypdf.PdfReader(str(p)).pages) for p in cards)
    html_only = t1 - t0
    with_pdf = t2 - t1
    ok = with_pdf < target
    print(f"run --pdf --jobs {jobs}: {with_pdf:6.1f} s (target < {target:.0f} s; the same run without PDFs "
          f"{html_only:.1f} s; CPU of both {cpu:.0f} s)  {len(pdfs)} PDFs, {len(cards)} scorecards of at most "
          f"{most} pages, book {len(book.pages)} pages with {sum(not isinstance(o, list) for o in book.outline)} top-level bookmarks  "
          f"{'OK' if ok else 'SLOW'}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 2) else 1)
