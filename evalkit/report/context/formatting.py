"""How numbers are shown on the pages: scores, ranks, percentages, raw values, signed changes."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
from markupsafe import Markup

from ...i18n import t


DASH = "—"
MINUS = "−"
_FLOATS = frozenset((float, np.float64))


def ok(v: Any) -> bool:
    """A finite number (not None, not a text)."""
    if type(v) in _FLOATS:  # most calls: a shortcut, the same answer
        return math.isfinite(v)
    try:
        return v is not None and not isinstance(v, str) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def fmt_score(v: Any, digits: int = 1) -> str:
    """A score as shown everywhere: fixed decimals, "—" when missing."""
    return f"{float(v):.{digits}f}" if ok(v) else DASH


def fmt_rank(v: Any) -> str:
    return str(int(round(float(v)))) if ok(v) else DASH


def fmt_pct(v: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return f"{100 * float(v):.{digits}f}%" if ok(v) else DASH


def fmt_raw(v: Any) -> str:
    """A raw indicator value with precision by magnitude and thousands separators."""
    if not ok(v):
        return DASH
    x = float(v)
    a = abs(x)
    if a >= 1000:
        s = f"{x:,.0f}"
    elif a >= 100:
        s = f"{x:,.1f}"
    elif a >= 1 or a == 0:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3g}"
    return s.replace("-", MINUS)


def fmt_signed(v: Any, digits: int = 1) -> str:
    if not ok(v):
        return DASH
    x = round(float(v), digits)
    if x == 0:
        return f"{0:.{digits}f}"
    return ("+" if x > 0 else MINUS) + f"{abs(x):.{digits}f}"


def delta_score(cur: Any, prev: Any) -> dict:
    """Score change with arrow and css class (up = better)."""
    if not (ok(cur) and ok(prev)):
        return {"text": DASH, "arrow": "", "cls": "na"}
    d = float(cur) - float(prev)
    r = round(d, 1)
    cls = "up" if r > 0 else ("down" if r < 0 else "flat")
    arrow = {"up": "▲", "down": "▼", "flat": ""}[cls]
    return {"text": fmt_signed(d), "arrow": arrow, "cls": cls}


def delta_rank(cur: Any, prev: Any, lang: str) -> dict:
    """Rank change: ``prev − cur`` places (positive = moved up)."""
    if not (ok(cur) and ok(prev)):
        return {"text": DASH, "arrow": "", "cls": "na", "title": ""}
    d = int(round(float(prev) - float(cur)))
    if d > 0:
        return {"text": str(d), "arrow": "▲", "cls": "up", "title": t("rank_up", lang, n=d)}
    if d < 0:
        return {"text": str(-d), "arrow": "▼", "cls": "down", "title": t("rank_down", lang, n=-d)}
    return {"text": "0", "arrow": "", "cls": "flat", "title": t("rank_same", lang)}


def to_float(v: Any) -> float:
    """``float(v)``; NaN for what is not a number (None, text)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t")
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def _plain(v: Any) -> str:
    """A parameter value in words: floats to 4 significant digits, lists joined, cut at 160 characters."""
    if isinstance(v, bool) or v is None:
        out = str(v)
    elif isinstance(v, float):
        out = f"{v:.4g}"
    elif isinstance(v, Mapping):
        out = "(" + ", ".join(f"{k}={_plain(x)}" for k, x in v.items()) + ")"
    elif isinstance(v, (list, tuple)):
        out = ", ".join(_plain(x) for x in v)
    else:
        out = str(v)
    return out if len(out) <= 160 else out[:157] + "…"


def _fmt_w(v: Any) -> str:
    return f"{float(v):.4f}" if ok(v) else ""


def css_markup(text: str) -> Markup:
    """Inline CSS: safe because it comes from the templates folder, not the data."""
    return Markup(text.replace("</", "<\\/"))


#: Units of measurement that count whole things (a measure word alone, or its English plural):
#: their values are shown without decimals ("83 个", not "83.00 个").
COUNT_UNITS = frozenset("个 门 张 人 件 项 次 家 所 条 台 套 部 座 级 户 名 篇 起 辆 块 处 万人次 人次".split()) | frozenset(
    ("count", "courses", "beds", "persons", "people", "items", "cases", "times", "level", "units"))


def precision_for(unit: str) -> int | None:
    """Decimals a value of this unit is shown with: counts 0, shares (%) 1; None: by magnitude."""
    u = (unit or "").strip()
    if u in COUNT_UNITS or u.lower() in COUNT_UNITS:
        return 0
    if u in ("%", "％", "‰"):
        return 1
    return None


def fmt_measure(v: Any, unit: str) -> str:
    """A raw value in its unit's precision (counts whole, shares one decimal), else as ``fmt_raw``."""
    d = precision_for(unit)
    if d is None or not ok(v):
        return fmt_raw(v)
    return f"{float(v):,.{d}f}".replace("-", MINUS) if abs(float(v)) >= 1000 else \
        f"{float(v):.{d}f}".replace("-", MINUS)
