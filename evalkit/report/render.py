"""Render the scorecards: ``<out>/<year>/index.html`` and ``<out>/<year>/<unit id>.html``.

One jinja2 Environment per process (autoescape on, StrictUndefined), templates
compiled once; with ``jobs > 1`` a ProcessPoolExecutor renders chunks of
units, each worker receiving the ReportInput once through its initializer.
A unit that fails to render is listed in the summary; the others go on.
The caller owns atomicity (it renders into a temporary folder and renames).
"""

from __future__ import annotations

import os
import re
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from . import context as C
from ..i18n import catalogue
from .inputs import ReportInput
from .templates import environment, templates_dir  # noqa: F401  (templates_dir: part of this module's API)
from ..unitids import id_problem, unit_file_stem

UNIT_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*\Z")


@dataclass
class RenderSummary:
    pages: int = 0                                       # files written
    failures: list[tuple[str, str]] = field(default_factory=list)   # (unit id or "index/<year>", reason)
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# ------------------------------------------------------------ per-process state

_STATE: dict[str, object] = {}


def _init_worker(inp: ReportInput, templates: str, parent: int) -> None:
    from ..workers import die_with_parent

    die_with_parent(parent)
    _STATE["prepared"] = C.prepared(inp)  # a forked worker has the parent's already
    _STATE["templates"] = templates
    environment(Path(templates))


def warm_up(p: C.Prepared) -> None:
    """What the first page of a process would make (cached for the others): both languages' texts, the
    relation views (with relations), and the modules of the regional page and the workbook imported.  With
    ``--jobs``, before forking: every worker then has them."""
    from .context.network import views_of
    from ..i18n import catalogue

    catalogue("zh")
    catalogue("en")
    views_of(p)
    import openpyxl  # noqa: F401  (results.xlsx)

    from . import excel, region  # noqa: F401


def _check_unit_id(uid: str) -> None:
    assert id_problem(uid) is None, f"unsafe unit id {uid!r}"  # the loaders refuse these: never render one
    stem = unit_file_stem(uid)
    assert UNIT_ID.match(stem) and ".." not in stem, f"unsafe unit file name {stem!r}"


def method_html(p: C.Prepared, env: jinja2.Environment, lang: str, year: int | None = None) -> Markup:
    """The methodology appendix, the same on every page of a run (of a year, with per-year weights): rendered
    once per process."""
    year = year if (year is not None and p.weights_by_year) else None
    key = f"_method_html_{lang}" + (f"_{year}" if year is not None else "")
    cached = getattr(p, key, None)
    if cached is None:
        cached = Markup(env.get_template("_method.html.j2").render(
            method=C.method_context(p, lang, year), L=catalogue(lang), lang=lang))
        setattr(p, key, cached)
    return cached


def render_scorecard(p: C.Prepared, env: jinja2.Environment, unit_id: str, year: int, lang: str) -> str:
    """A city's page; the methods live once in the year's annex (methods.html), linked from the page."""
    ctx = C.scorecard(p, unit_id, year, lang)
    return env.get_template("scorecard.html.j2").render(annex_href="methods.html", **ctx)


def render_methods_annex(p: C.Prepared, env: jinja2.Environment, year: int, lang: str) -> str:
    """``<year>/methods.html``: the methods, weight and RI tables, input checksums, attainment by indicator."""
    from .context.methods import annex_attainment
    from ..i18n import t

    ctx = C.common_context(p, lang, year)
    ctx["page_title"] = f"{ctx['title']} · {ctx['year_label']} · {t('annex_title', lang)}"
    return env.get_template("methods.html.j2").render(method_html=method_html(p, env, lang, year),
                                                      attainment_rows=annex_attainment(p, year, lang), **ctx)


def render_overview(p: C.Prepared, env: jinja2.Environment, year: int, lang: str) -> str:
    return env.get_template("overview.html.j2").render(**C.overview(p, year, lang))


def _render_chunk(p: C.Prepared, env: jinja2.Environment, out_dir: Path, year: int, units: list[str],
                  lang: str) -> tuple[int, list[tuple[str, str]], list[str]]:
    written, failed, files = 0, [], []
    for uid in units:
        try:
            _check_unit_id(uid)
            html = render_scorecard(p, env, uid, year, lang)
            path = out_dir / str(year) / f"{unit_file_stem(uid)}.html"
            path.write_text(html, encoding="utf-8")
            files.append(str(path))
            written += 1
        except Exception as e:  # one unit failing must not stop the others
            failed.append((uid, _reason(e)))
    return written, failed, files


def _worker_chunk(out_dir: str, year: int, units: list[str], lang: str):
    p = _STATE["prepared"]
    env = environment(Path(_STATE["templates"]))
    return _render_chunk(p, env, Path(out_dir), year, units, lang)  # type: ignore[arg-type]


def _reason(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    msg = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {msg}{where}"[:300]


def render_reports(inp: ReportInput, out_dir: Path, *, years: list[int], lang: str = "zh", jobs: int = 1,
                   templates: Path | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   meanwhile: Callable[[], None] | None = None) -> RenderSummary:
    """Write ``<out_dir>/<year>/index.html`` and one page per unit for each year.

    ``progress(done, total)`` is called as pages are written (total = units ×
    years + one overview per year).  Failures are collected, not raised.
    ``meanwhile()`` (other output of the run, such as results.xlsx) is called once the
    scorecards are handed to the worker processes, while they render, or at the end with
    ``jobs=1``; what it raises is raised.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    templates = Path(templates) if templates is not None else templates_dir()
    env = environment(templates)
    p = C.prepared(inp)
    out_dir = Path(out_dir)
    years = [int(y) for y in years]
    for y in years:
        if y not in p.yidx:
            raise ValueError(f"year {y} is not in the data ({p.years[0]}–{p.years[-1]})")
        (out_dir / str(y)).mkdir(parents=True, exist_ok=True)
    units = list(p.unit_ids)
    total = len(units) * len(years) + len(years)
    summary = RenderSummary()
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    def year_pages() -> None:  # the overview and the regional page of each year
        for y in years:
            try:
                html = render_overview(p, env, y, lang)
                path = out_dir / str(y) / "index.html"
                path.write_text(html, encoding="utf-8")
                summary.pages += 1
                summary.files.append(path)
            except Exception as e:
                summary.failures.append((f"index/{y}", _reason(e)))
            try:
                path = out_dir / str(y) / "methods.html"
                path.write_text(render_methods_annex(p, env, y, lang), encoding="utf-8")
                summary.pages += 1
                summary.files.append(path)
            except Exception as e:
                summary.failures.append((f"methods/{y}", _reason(e)))
            tick(1)
        if inp.tables.get("disparity") is not None:  # <year>/region.html, linked from the overview
            from .region import render_region_page

            for y in years:
                try:
                    path = render_region_page(out_dir, y, inp, lang)
                    summary.pages += 1
                    summary.files.append(Path(path))
                except Exception as e:  # one page failing must not lose the others
                    summary.failures.append((f"region/{y}", _reason(e)))

    def add(n: int, failures: list, files: list) -> None:
        summary.pages += n
        summary.failures += failures
        summary.files += [Path(x) for x in files]

    def serial(y: int, chunk: list[str]) -> None:
        for uid in chunk:
            add(*_render_chunk(p, env, out_dir, y, [uid], lang))
            tick(1)

    if jobs <= 1 or len(units) * len(years) < 8:
        year_pages()
        for y in years:
            serial(y, units)
        if meanwhile is not None:
            meanwhile()
        return summary

    # the first scorecard here: the workers, forked after it, find the templates compiled; the parent then
    # writes the year pages (and ``meanwhile``) while they work
    first = _render_chunk(p, env, out_dir, years[0], units[:1], lang)
    size = max(1, min(64, len(units) // (jobs * 4) or 1))
    tasks = [(y, rest[i:i + size]) for y in years for rest in [units[1:] if y == years[0] else units]
             for i in range(0, len(rest), size)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(inp, str(templates), os.getpid())) as ex:
        futs = {ex.submit(_worker_chunk, str(out_dir), y, chunk, lang): (y, chunk) for y, chunk in tasks}
        year_pages()
        add(*first)
        tick(1)
        if meanwhile is not None:
            meanwhile()
        for fut in as_completed(futs):
            y, chunk = futs[fut]
            try:
                n, f, files = fut.result()
            except Exception as e:  # a worker died: every unit of the chunk failed
                n, f, files = 0, [(uid, _reason(e)) for uid in chunk], []
            add(n, f, files)
            tick(len(chunk))
    summary.files.sort()
    return summary
