"""PDFs of the rendered pages and the year's report book, with WeasyPrint (extra ``evalkit[pdf]``).

``write_pdfs`` converts ``<out>/<year>/<page>.html`` (already rendered) into a PDF beside each
page — every scorecard, the overview, the regional page and the methods annex — and binds them
into ``<out>/<year>/book-<year>.pdf``: a cover, a contents page with page numbers, then the
overview, the regional page, every scorecard and the annex, with a PDF outline (bookmarks) of
every part and of each part's headings (WeasyPrint makes them from h1–h6). WeasyPrint needs Pango,
and Chinese text needs a CJK font; when either is missing it raises ``RuntimeError`` saying how
to install them (the CLI prints it as an error line).

Engine: WeasyPrint. Headless Chromium prints a scorecard in about as much time (1.8 s from a cold
start, the same four pages) but stores the CJK text as unnamed Type 3 fonts (pdffonts cannot name the
embedded Noto Sans CJK, text extraction suffers) and writes no bookmarks; WeasyPrint embeds the fonts
as named CID subsets, keeps the text extractable and writes the outline from the headings. Its cost is
Python: a warm scorecard takes about 1.35 s of CPU (parsing 0.06, styles 0.15, layout 0.75 — a fifth
of it the balancing of the two-column indicator table —, drawing and writing the PDF 0.3, freeing the
page 0.1), so the demo's 44 pages are about 60 s of CPU. What brought a page down from 1.75 s, each with
the same PDF bytes as before:

- ``jobs`` long-lived worker processes convert the pages, one FontConfiguration each (Pango's font map
  and its caches kept from page to page; the first page of a process pays for loading the fonts);
- Python's garbage collector is paused while a page is laid out and collects once after it (its
  automatic passes over WeasyPrint's many small objects took a tenth of the time);
- the HTML tokenizer's cache of patterns is mended (tinyhtml5 2.1 missed it on every lookup: more than
  half of parsing a page);
- the workers hand the page counts to the book, which is bound from the finished PDFs with pypdf (it
  copies pages without laying them out again); only the cover and contents are laid out for it.

A pre-parsed style sheet would save nothing worth its cost: each page parses its inline style.css in
about 0.02 s. ``benchmarks/bench_pdf.py`` prints the whole run's wall and CPU seconds, the load average
and where the time goes.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

from ..unitids import unit_file_stem

FIX = ("install the PDF extra and its system libraries: pip install 'evalkit[pdf]'; "
       "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk")


def _weasyprint():
    try:
        import weasyprint  # noqa: F401  (OSError when Pango is missing)
    except (ImportError, OSError) as e:
        raise RuntimeError(f"PDF output needs WeasyPrint with Pango ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else 'not importable'}); {FIX}") from e
    _parser_cache()
    return weasyprint


class _UntilRegex(dict):
    """The HTML tokenizer's cache of compiled "characters until" patterns, filled on first use.

    tinyhtml5 (2.1) stores a new pattern under the compiled pattern instead of under its characters
    (``characters = cache[key] = regex`` assigns ``characters`` first), so every lookup missed and the
    pattern was built again for each attribute name and text run: more than half of parsing a page.
    Building it here, under the lookup's own key, gives the same patterns, the same tree and the same PDF.
    """

    def __missing__(self, key):
        characters, opposite = key
        regex = "".join(f"\\x{ord(c):02x}" for c in characters)
        self[key] = compiled = re.compile(f"[{regex}]+" if opposite else f"[^{regex}]+")
        return compiled


def _parser_cache() -> None:
    """Mend the cache of tinyhtml5 where it has the mistake (a version without it is left as it is)."""
    try:
        import inspect

        from tinyhtml5 import inputstream

        if type(inputstream.characters_until_regex) is not dict:  # mended already (or not tinyhtml5's dict)
            return
        source = inspect.getsource(inputstream.HTMLUnicodeInputStream.chars_until)
    except (ImportError, AttributeError, OSError, TypeError):  # another parser, or no source to check
        return
    if "characters = characters_until_regex[(characters, opposite)] = regex" in source:
        inputstream.characters_until_regex = _UntilRegex()


def _pypdf():
    try:
        import pypdf
    except ImportError as e:
        raise RuntimeError(f"the report book needs pypdf ({e}); {FIX}") from e
    return pypdf


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
    """Raise RuntimeError (with the fix) unless WeasyPrint, Pango, pypdf and a CJK font are present."""
    _weasyprint()
    _pypdf()
    fonts = cjk_fonts()
    if fonts is not None and not fonts:
        raise RuntimeError(f"PDF output needs a Chinese (CJK) font, none is installed; {FIX}")


_FONTS: dict[int, object] = {}   # this process's FontConfiguration, by process id (workers are forked)


def _font_config():
    """One FontConfiguration a process: Pango's font map and its caches are kept from page to page (the
    PDF bytes are the same as with a new one for each page)."""
    fc = _FONTS.get(os.getpid())
    if fc is None:
        from weasyprint.text.fonts import FontConfiguration

        fc = _FONTS[os.getpid()] = FontConfiguration()
    return fc


@contextlib.contextmanager
def _collect_after():
    """Python's cyclic garbage collector paused while a page is laid out, one full collection after it.

    WeasyPrint makes hundreds of thousands of small objects a page; the collector's automatic passes
    over them took about a tenth of a page's time. The boxes of a page reference each other, so they are
    collected once the page is written (memory stays that of one page)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        gc.collect()


def _page_pdf(html: str) -> tuple[str, int]:
    """PDF beside the page ``html``: (its path, its number of pages)."""
    src = Path(html)
    pdf = src.with_suffix(".pdf")
    with _collect_after():  # after _write_pdf has returned: its document is garbage by then
        pages = _write_pdf(src, pdf)
    return str(pdf), pages


def _write_pdf(src: Path, pdf: Path) -> int:
    # no base URL: the pages' links stay relative in the PDF (``320500.html``, ``methods.html``), so they open
    # the page beside it wherever the folder is; a base would make them absolute ``file://`` URIs into the
    # temporary folder the run writes (dead once it is swapped in, and different in every run). The pages
    # load nothing by URL: the style sheet and the charts are inline.
    html = src.read_bytes().decode("utf-8")
    doc = _weasyprint().HTML(string=html, base_url=None).render(font_config=_font_config())
    doc.write_pdf(str(pdf))
    return len(doc.pages)


def _init_worker(parent: int) -> None:
    from ..workers import die_with_parent

    die_with_parent(parent)
    _weasyprint()
    gc.freeze()  # the objects inherited from the parent are kept for good: the collections after each page skip them


def convert(pages: Sequence[Path], *, jobs: int = 1,
            progress: Callable[[int, int], None] | None = None, total: int | None = None) -> list[tuple[Path, int]]:
    """PDF beside each page, by ``jobs`` worker processes (in this process with one): (PDF, number of
    pages) in ``pages``' order. ``progress(done, total)`` after each page (``total``: the pages unless
    given, when more steps follow).

    Any page failing raises (the caller's output folder is then left as it was).
    """
    total = len(pages) if total is None else total
    done = 0
    out: dict[str, tuple[Path, int]] = {}
    if jobs <= 1 or len(pages) < 4:
        for p in pages:
            pdf, n = _page_pdf(str(p))
            out[str(p)] = (Path(pdf), n)
            done += 1
            if progress is not None:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(os.getpid(),)) as ex:
            futs = {ex.submit(_page_pdf, str(p)): p for p in pages}
            for fut in as_completed(futs):
                pdf, n = fut.result()
                out[str(futs[fut])] = (Path(pdf), n)
                done += 1
                if progress is not None:
                    progress(done, total)
    return [out[str(p)] for p in pages]


def bind_book(path: Path, parts: Sequence[tuple[str, Path]], *, cover_html: Callable[[list[int]], str],
              counts: Sequence[int] | None = None) -> Path:
    """Bind ``parts`` (outline title, PDF) behind a cover with contents into one PDF with bookmarks.

    ``cover_html(first_pages)`` returns the cover and contents page as HTML, given the first page of
    every part in the book (1-based); it is rendered until its own page count is stable. ``counts``: the
    parts' numbers of pages where known (else they are read from the PDFs).
    """
    with _collect_after():  # pypdf too makes an object of every PDF object it copies
        _bind(path, parts, cover_html, counts)
    return path


def _bind(path: Path, parts: Sequence[tuple[str, Path]], cover_html: Callable[[list[int]], str],
          counts: Sequence[int] | None) -> None:
    pypdf = _pypdf()
    weasyprint = _weasyprint()
    if counts is None:
        counts = [len(pypdf.PdfReader(str(f)).pages) for _, f in parts]
    front_n = 2
    for _ in range(4):  # the contents may take more pages than guessed: lay it out again
        firsts, at = [], front_n + 1
        for n in counts:
            firsts.append(at)
            at += n
        doc = weasyprint.HTML(string=cover_html(firsts), base_url=None).render(font_config=_font_config())
        if len(doc.pages) == front_n:
            break
        front_n = len(doc.pages)
    writer = pypdf.PdfWriter()
    writer.append(io.BytesIO(doc.write_pdf()), import_outline=True)
    for title, f in parts:
        writer.append(str(f), outline_item=title, import_outline=True)
    writer.page_mode = "/UseOutlines"  # a viewer opens the book with its bookmarks shown
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        writer.write(fh)
    os.replace(tmp, path)


def write_pdfs(out_dir: Path, years: list[int], units: list[str], lang: str = "zh", *, jobs: int = 1,
               progress: Callable[[int, int], None] | None = None,
               book: Callable[[int, list[tuple[str, str, Path]], list[int]], str] | None = None,
               labels: dict[str, str] | None = None, part_names: dict[str, str] | None = None) -> list[Path]:
    """PDF of every rendered page of each year, and with ``book`` the year's ``book-<year>.pdf``.

    Pages: the overview (``index.html``), the regional page and the methods annex where rendered, and
    every unit's scorecard. ``book(year, parts, first_pages)`` returns the cover-and-contents HTML for
    the parts ``(kind, title, pdf)``; ``labels`` names the units and ``part_names`` the other pages in
    the outline. Missing scorecards raise FileNotFoundError.
    """
    check_pdf_support()
    out_dir = Path(out_dir)
    labels = labels or {}
    part_names = part_names or {}
    plan: list[tuple[int, str, str, Path]] = []   # (year, kind, outline title, html)
    for y in years:
        folder = out_dir / str(y)
        heads = [("overview", "index.html"), ("region", "region.html")]
        for kind, name in heads:
            if (folder / name).is_file():
                plan.append((y, kind, part_names.get(kind, name), folder / name))
        for uid in units:
            html = folder / f"{unit_file_stem(uid)}.html"
            if not html.is_file():
                raise FileNotFoundError(f"{html}: scorecard not rendered")
            plan.append((y, "unit", labels.get(uid, uid), html))
        if (folder / "methods.html").is_file():
            plan.append((y, "methods", part_names.get("methods", "methods.html"), folder / "methods.html"))
    # the long pages first: a worker left with one long page at the end would idle the others
    order = sorted(range(len(plan)), key=lambda i: plan[i][1] == "unit")
    steps = len(plan) + (len(years) if book is not None else 0)   # the progress bar: pages, then books
    pdfs = convert([plan[i][3] for i in order], jobs=jobs, progress=progress, total=steps)
    pdf_of = {order[k]: pdfs[k] for k in range(len(order))}
    written = [pdf_of[i][0] for i in range(len(plan))]
    if book is not None:
        for n, y in enumerate(years, start=1):
            mine = [i for i in range(len(plan)) if plan[i][0] == y]
            parts = [(plan[i][1], plan[i][2], pdf_of[i][0]) for i in mine]
            path = out_dir / str(y) / f"book-{y}.pdf"
            bind_book(path, [(title, f) for _, title, f in parts], counts=[pdf_of[i][1] for i in mine],
                      cover_html=lambda firsts, y=y, parts=parts: book(y, parts, firsts))
            written.append(path)
            if progress is not None:
                progress(len(plan) + n, steps)
    return written
