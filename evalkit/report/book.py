"""The cover and contents page of the year's report book ``<year>/book-<year>.pdf``.

The PDFs themselves are converted and bound by :mod:`evalkit.report.pdf`; this module names the
parts in the report's language and lays out the front pages with the report templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..i18n import catalogue, t
from .templates import environment, templates_dir


def part_names(lang: str) -> dict[str, str]:
    """Outline titles of the pages that are not scorecards."""
    return {"overview": t("overview", lang), "region": t("region_link", lang), "methods": t("annex_title", lang)}


def cover_html(year: int, parts: Sequence[tuple[str, str, Path]], first_pages: Sequence[int], *, title: str,
               lang: str, synthetic: bool, generated_by: str) -> str:
    """Cover and contents: every part (kind, title, pdf) with the page of the book it starts on."""
    env = environment(templates_dir())
    entries = [{"kind": kind, "title": name, "page": str(first)} for (kind, name, _), first in zip(parts, first_pages)]
    return env.get_template("book.html.j2").render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en", L=catalogue(lang), title=title,
        year_label=t("year_n", lang, year=year), synthetic=synthetic, stamp_zh=t("synthetic_stamp", "zh"),
        stamp_en=t("synthetic_stamp", "en"), generated_by=generated_by, entries=entries,
        page_title=f"{title} · {t('year_n', lang, year=year)}")
