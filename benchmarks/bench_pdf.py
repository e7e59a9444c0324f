"""The printed report of the demo: `evalkit run --pdf --jobs N` — 41 scorecards, the overview, the
regional page and the methods annex as PDFs, and the bound book-<year>.pdf with its outline.

Target: the whole run (scoring, pages, results.xlsx, PDFs, book) in < 45 s on two quiet cores and
< 60 s while other work runs. Wall seconds alone say little on a shared machine: the script prints the
CPU seconds (this process and its workers), the cores they amount to (CPU / wall: 2.0 is two cores all
the time) and the load average beside them, and where the time went:

- scoring + HTML: everything before the first PDF (scoring, analyses, pages, tables, results.xlsx);
- card PDFs / other pages: CPU seconds of the worker processes per kind of page (they run side by side,
  the long pages first), and the wall time until the last page's PDF;
- book: cover, contents and binding (pypdf), after the last page.

Needs the PDF extra (WeasyPrint, pypdf) and a CJK font.
Run: python benchmarks/bench_pdf.py [jobs] [runs]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import evalkit.report.pdf as pdf_mod
from evalkit.run import run_project


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def _instrument(log: Path, marks: dict[str, float]) -> None:
    """Time the PDF step's parts: each page in its worker (one line a page in ``log``), the start of the
    PDF step, the last page and the book in this process (``marks``)."""
    page_pdf, write_pdfs, bind_book = pdf_mod._page_pdf, pdf_mod.write_pdfs, pdf_mod.bind_book

    def timed_page(html: str):
        c, t = time.process_time(), time.perf_counter()
        out = page_pdf(html)
        with open(log, "a", encoding="utf-8") as fh:  # one short line a page, appended by either worker
            fh.write(f"{Path(html).stem}\t{time.perf_counter() - t:.3f}\t{time.process_time() - c:.3f}\n")
        return out

    def timed_write(*a, **k):
        marks["pdf_start"] = time.perf_counter()
        return write_pdfs(*a, **k)

    def timed_bind(*a, **k):
        marks.setdefault("pages_done", time.perf_counter())
        c = time.process_time()
        out = bind_book(*a, **k)
        marks["book_cpu"] = marks.get("book_cpu", 0.0) + time.process_time() - c
        return out

    # the pool's workers are forked and find the page function by its module and name
    timed_page.__module__, timed_page.__qualname__ = page_pdf.__module__, page_pdf.__qualname__
    pdf_mod._page_pdf, pdf_mod.write_pdfs, pdf_mod.bind_book = timed_page, timed_write, timed_bind
    import evalkit.run  # noqa: F401  (run imports write_pdfs from the module at call time)


def once(jobs: int) -> dict:
    import pypdf

    with tempfile.TemporaryDirectory() as d:
        out, log = Path(d) / "out", Path(d) / "pages.tsv"
        marks: dict[str, float] = {}
        saved = pdf_mod._page_pdf, pdf_mod.write_pdfs, pdf_mod.bind_book
        _instrument(log, marks)
        try:
            load0 = os.getloadavg()[0]
            c0, t0 = _cpu(), time.perf_counter()
            summary = run_project(None, out=str(out), jobs=jobs, pdf=True)
            t1 = time.perf_counter()
            cpu = _cpu() - c0
        finally:
            pdf_mod._page_pdf, pdf_mod.write_pdfs, pdf_mod.bind_book = saved
        year = summary["years"][-1]
        folder = out / str(year)
        pdfs = sorted(folder.glob("*.pdf"))
        book = pypdf.PdfReader(str(folder / f"book-{year}.pdf"))
        cards = [p for p in pdfs if p.stem.isdigit()]
        counts = sorted({len(pypdf.PdfReader(str(p)).pages) for p in cards})
        rows = [ln.split("\t") for ln in log.read_text(encoding="utf-8").splitlines()]
    card_cpu = sum(float(r[2]) for r in rows if r[0].isdigit())
    other_cpu = sum(float(r[2]) for r in rows if not r[0].isdigit())
    return {"wall": t1 - t0, "cpu": cpu, "load": (load0, os.getloadavg()[0]),
            "html": marks["pdf_start"] - t0, "pages": marks["pages_done"] - marks["pdf_start"],
            "book": t1 - marks["pages_done"], "book_cpu": marks.get("book_cpu", 0.0),
            "card_cpu": card_cpu, "other_cpu": other_cpu, "n_cards": sum(r[0].isdigit() for r in rows),
            "n_other": sum(not r[0].isdigit() for r in rows), "n_pdfs": len(pdfs), "counts": counts,
            "book_pages": len(book.pages), "bookmarks": sum(not isinstance(o, list) for o in book.outline)}


def main(jobs: int = 2, runs: int = 1, quiet: float = 45.0, busy: float = 60.0) -> bool:
    """``runs`` runs; each must end within ``busy`` seconds, and within ``quiet`` seconds when the run had
    the machine nearly to itself (its processes used at least 90 % of ``jobs`` cores)."""
    ok = True
    for _ in range(runs):
        r = once(jobs)
        cores = r["cpu"] / r["wall"]
        target = quiet if cores >= 0.9 * jobs else busy
        good = r["wall"] < target
        ok = ok and good
        print(f"run --pdf --jobs {jobs}: {r['wall']:5.1f} s wall, {r['cpu']:5.1f} s CPU ({cores:.2f} cores of "
              f"{os.cpu_count()}), load average {r['load'][0]:.2f} -> {r['load'][1]:.2f}; target < {target:.0f} s "
              f"({'nearly quiet' if target == quiet else 'other work running'})  {'OK' if good else 'SLOW'}\n"
              f"  scoring + HTML {r['html']:4.1f} s | PDFs of the pages {r['pages']:5.1f} s wall: "
              f"{r['n_cards']} cards {r['card_cpu']:5.1f} s CPU ({r['card_cpu'] / max(r['n_cards'], 1):.2f} s each), "
              f"{r['n_other']} other pages {r['other_cpu']:4.1f} s CPU | book {r['book']:4.1f} s wall, "
              f"{r['book_cpu']:4.1f} s CPU\n"
              f"  {r['n_pdfs']} PDFs, scorecards of {'/'.join(map(str, r['counts']))} pages, book "
              f"{r['book_pages']} pages with {r['bookmarks']} top-level bookmarks", flush=True)
    return ok


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(0 if main(*args) else 1)
