"""What every page of a year carries: titles, the stamps, the scale note, the low-coverage banner."""

from __future__ import annotations

from typing import Mapping

from ...version import __version__
from ...project import LOW_YEAR_COVERAGE
from ...i18n import catalogue, t
from .formatting import fmt_pct
from .prepared import Prepared


def page_common(*, lang: str, title: Mapping[str, str], synthetic: bool, year_label: str, page_title: str,
                version: str) -> dict:
    """The variables base.html.j2 reads (every page: language, titles, the stamps, the footer)."""
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "L": catalogue(lang),
        "title": title.get(lang) or title.get("zh") or "",
        "title_zh": title.get("zh", ""),
        "title_en": title.get("en", ""),
        "synthetic": bool(synthetic),
        "stamp_zh": t("synthetic_stamp", "zh"),
        "stamp_en": t("synthetic_stamp", "en"),
        "year_label": year_label,
        "page_title": page_title,
        "generated_by": t("generated_by", lang, version=version),
        "colon": "：" if lang == "zh" else ": ",
    }


def coverage_banner(p: Prepared, year: int, lang: str) -> str:
    """The banner of every page of a year whose median unit coverage is low ('' otherwise)."""
    y = p.yidx.get(year)
    if y is None or not p.median_cov[y] < LOW_YEAR_COVERAGE:
        return ""
    return t("low_year_banner", lang, year=year, median=fmt_pct(p.median_cov[y], 0), k=int(p.n_insufficient[y]),
             n=len(p.units))


def common_context(p: Prepared, lang: str, year: int) -> dict:
    man = p.inp.meta.get("manifest") or {}
    version = str(man.get("engine_version") or man.get("version") or man.get("evalkit") or __version__)
    ctx = page_common(lang=lang, title=p.title, synthetic=p.synthetic, year_label=t("year_n", lang, year=year),
                      page_title="", version=version)  # the page sets its title
    ctx.update(year=year, scale_note=t("scale_note", lang, lo=f"{p.scale[0]:g}", hi=f"{p.scale[1]:g}"),
               coverage_banner=coverage_banner(p, year, lang))
    return ctx
