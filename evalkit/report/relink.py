"""Renew the overviews' page lists when a command adds a page to a folder ``run`` wrote earlier.

``compare``, ``audit`` and ``explore`` write into an existing output folder (``staged_folder`` with
``merge=True``); the overviews there were rendered before their pages existed. The list is the
``page_nav`` macro of ``reports/_macros.html.j2`` (the one the overview template uses), so a rewritten
overview is byte for byte what the next ``run`` writes.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..i18n import catalogue
from .links import page_links, pages_beside
from .templates import environment, templates_dir

# the list exactly as the macro writes it (links and separators only): a page edited by hand is left alone
_NAV = re.compile(r'<nav class="page-nav extra-pages" aria-label="[^"<>]*">(?:<a href="[^"<>]*">[^<>]*</a>| · )*</nav>')
_LANG = re.compile(r'<html lang="([^"]+)"')


def relink_overviews(target: Path, staged: Path) -> list[str]:
    """Rewrite, into ``staged``, the page list of every overview in ``target`` to the pages that will exist.

    ``staged`` is the folder a merging command writes before its files are moved into ``target``
    (:func:`evalkit.output.staged_folder` with ``merge=True``), so the overviews change in the same
    step as the pages they link. Overviews without a page list (from an older evalkit) stay as they
    are, and so does a page whose list is not as evalkit writes it. Returns the overviews rewritten, relative to ``target``.
    """
    macros = environment(templates_dir()).get_template("_macros.html.j2").module
    rewritten = []
    years = sorted(d.name for d in target.iterdir() if d.is_dir() and d.name.isdigit()) if target.is_dir() else []
    for year in years:
        page = target / year / "index.html"
        if not page.is_file():
            continue
        try:
            html = page.read_bytes().decode("utf-8")  # bytes: the rest of the page stays exactly as it was
        except (OSError, UnicodeDecodeError):  # not a page evalkit wrote as it is: left alone
            continue
        nav = _NAV.search(html)
        if nav is None:
            continue
        m = _LANG.search(html)
        lang = "zh" if m is None or m[1].startswith("zh") else "en"
        kinds = pages_beside(target / year, staged / year)
        new = str(macros.page_nav(page_links(kinds, lang), catalogue(lang)))
        if new != nav[0]:
            out = staged / year / "index.html"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes((html[:nav.start()] + new + html[nav.end():]).encode("utf-8"))
            rewritten.append(f"{year}/index.html")
    return rewritten
