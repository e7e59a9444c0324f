"""The overview's links to the year's other pages: which pages, in which order, under which name.

Every year's overview (``<year>/index.html``) lists the pages that exist beside it: the regional
page, the robustness page, the scheme comparison, the statistical audit, the weight explorer and
the methods annex. ``run`` knows them while it renders (``context/overview.py``); ``compare``,
``audit`` and ``explore`` add a page to a folder whose overviews were written earlier, and rewrite
the overviews' list (:mod:`evalkit.report.relink`). Each listed page links back to an overview.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection

from ..i18n import t

# kind, where the page is relative to a year's folder, catalogue key of its link text; in listing order
PAGES: tuple[tuple[str, str, str], ...] = (
    ("region", "region.html", "region_link"),
    ("robustness", "robustness.html", "rb_link"),
    ("compare", "../compare.html", "cmp_link"),
    ("audit", "audit.html", "audit_link"),
    ("explore", "../explore.html", "ex_link"),
    ("methods", "methods.html", "methods_link"),
)


def page_links(kinds: Collection[str], lang: str) -> list[dict[str, str]]:
    """The overview's entries (``href``, ``text``, ``kind``) for the pages of ``kinds`` that exist."""
    return [{"href": href, "text": t(key, lang), "kind": kind} for kind, href, key in PAGES if kind in kinds]


def pages_beside(year_dir: Path, *more: Path) -> set[str]:
    """Kinds of the pages found for the overview in ``year_dir`` (and the same places under ``more``)."""
    found = set()
    for kind, href, _ in PAGES:
        for base in (year_dir, *more):
            if (base / href).resolve().is_file():
                found.add(kind)
                break
    return found


# the pages other commands than ``run`` write (compare, audit, explore; sensitivity's robustness page),
# as paths in the output folder: ``run`` keeps them and its overviews list them
LATER_PAGES: tuple[str, ...] = ("compare.html", "*/audit.html", "*/robustness.html", "explore.html")


def later_pages(target: Path) -> list[str]:
    """The pages of :data:`LATER_PAGES` in the output folder ``target`` (relative, with ``/``)."""
    return [f.relative_to(target).as_posix() for pattern in LATER_PAGES for f in sorted(target.glob(pattern))]
