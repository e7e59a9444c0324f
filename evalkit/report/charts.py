"""Small inline-SVG charts for the scorecards: radar, grouped bars, lines,
heat map, rank interval (dot + whisker) and horizontal bars.

Every function returns a :class:`markupsafe.Markup` holding one ``<svg>``
element that parses as XML, with ``role="img"``, ``aria-labelledby`` pointing
at its ``<title>`` and ``<desc>``, and every piece of text escaped.  Missing
values (NaN) are drawn as gaps, never as zeros.  No scripts, no external
resources; the font stack prefers installed CJK fonts.

Geometry is deterministic and documented per chart so tests can recompute
where a mark must be: e.g. the radar's vertex i of value v lies at
``(cx + r·f·cos θ_i, cy + r·f·sin θ_i)`` with ``f = (v − lo)/(hi − lo)``
clipped to [0, 1] and ``θ_i = −π/2 + 2π i/n``; cx, cy and r are written on the
plot group as ``data-cx``, ``data-cy``, ``data-r``.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from dataclasses import dataclass
from typing import Callable, Sequence

from markupsafe import Markup, escape

FONT = ("'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', "
        "'Microsoft YaHei', 'PingFang SC', sans-serif")

# Okabe–Ito based, restrained: dark blue for the city, orange and grey for
# references; safe for the common colour-vision deficiencies and in greyscale
# (the references are also dashed / dotted).
CITY = "#1f4e79"
GROUP = "#d55e00"
ALL = "#6b6b6b"
PALETTE = ("#1f4e79", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#0072b2", "#999999")
INK = "#222222"
GRID = "#d9d9d9"
AXIS = "#7f7f7f"


@dataclass(frozen=True)
class Series:
    """One data series: a label, its values (NaN = missing) and its look."""

    label: str
    values: Sequence[float]
    color: str = CITY
    dash: str = ""          # SVG stroke-dasharray, "" = solid
    marker: str = "circle"  # circle | square | diamond
    provisional: Sequence[bool] = ()   # per value: drawn hollow / hatched with a "P" (provisional data)

    def is_prov(self, i: int) -> bool:
        return i < len(self.provisional) and bool(self.provisional[i])


# ---------------------------------------------------------------- helpers

def _f(x: float) -> str:
    """A coordinate with 2 decimals (enough for print)."""
    return "%.2f" % x if x == x else "0"


def _ok(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def text_width(s: str, size: float) -> float:
    """Rough rendered width of ``s`` at font ``size`` (CJK ≈ 1 em, Latin ≈ 0.56 em)."""
    w = 0.0
    for ch in s:
        o = ord(ch)
        if o >= 0x2E80:
            w += 1.0
        elif ch in "il.,:;'|!" or ch == " ":
            w += 0.3
        elif ch.isupper() or ch in "mwMW":
            w += 0.72
        else:
            w += 0.56
    return w * size


def wrap(s: str, max_width: float, size: float, max_lines: int = 2) -> list[str]:
    """Split ``s`` into at most ``max_lines`` lines no wider than ``max_width``
    (at spaces for Latin text, anywhere for CJK); the last line is cut with '…'."""
    if text_width(s, size) <= max_width:
        return [s]
    words = s.split(" ") if " " in s else list(s)
    joiner = " " if " " in s else ""
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = (cur + joiner + w) if cur else w
        if text_width(cand, size) <= max_width or not cur:
            cur = cand
        else:
            lines.append(cur)
            cur = w
    lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + "…"
    out = []
    for ln in lines:
        while text_width(ln, size) > max_width and len(ln) > 2:
            ln = ln[:-2] + "…"
        out.append(ln)
    return out


def _text(x: float, y: float, s: str, *, size: float = 12, anchor: str = "start",
          color: str = INK, weight: str = "", cls: str = "", baseline: str = "") -> str:
    attrs = f'x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" fill="{color}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{cls}"'
    if baseline:
        attrs += f' dominant-baseline="{baseline}"'
    return f"<text {attrs}>{escape(s)}</text>"


def _lines_text(x: float, y: float, lines: list[str], *, size: float = 12, anchor: str = "start",
                color: str = INK, cls: str = "") -> str:
    """Multi-line text, the block centred vertically on y."""
    lh = size * 1.2
    y0 = y - (len(lines) - 1) * lh / 2 + size * 0.35
    return "".join(_text(x, y0 + i * lh, ln, size=size, anchor=anchor, color=color, cls=cls)
                   for i, ln in enumerate(lines))


def _svg(width: float, height: float, title: str, desc: str, body: str, *, cls: str, uid: str | None) -> Markup:
    if uid is None:
        uid = "c" + hashlib.sha1((cls + title + desc + body).encode("utf-8")).hexdigest()[:10]
    tid, did = f"{uid}-t", f"{uid}-d"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" role="img" '
        f'aria-labelledby="{tid} {did}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" font-family="{FONT}">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
        f"{body}</svg>")


def _marker(kind: str, x: float, y: float, color: str, r: float = 3.2, *, hollow: bool = False) -> str:
    """A point marker; ``hollow`` (provisional data): white fill, coloured outline, class "prov"."""
    if hollow:
        r += 0.8
        paint = f'fill="#ffffff" stroke="{color}" stroke-width="1.6" class="prov"'
    else:
        paint = f'fill="{color}"'
    if kind == "square":
        return (f'<rect x="{_f(x - r)}" y="{_f(y - r)}" width="{_f(2 * r)}" height="{_f(2 * r)}" '
                f'{paint}/>')
    if kind == "diamond":
        return (f'<polygon points="{_f(x)},{_f(y - r * 1.3)} {_f(x + r * 1.3)},{_f(y)} '
                f'{_f(x)},{_f(y + r * 1.3)} {_f(x - r * 1.3)},{_f(y)}" {paint}/>')
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {paint}/>'


def _prov_tag(x: float, y: float, color: str = INK) -> str:
    """The small "P" written beside a provisional mark (shape, not colour alone)."""
    return (f'<text class="prov-tag" x="{_f(x)}" y="{_f(y)}" font-size="8.5" font-weight="700" fill="{color}" '
            f'text-anchor="middle" stroke="#ffffff" stroke-width="2.2" paint-order="stroke">P</text>')


def _hatch_def(pid: str, color: str) -> str:
    return (f'<pattern id="{pid}" width="5" height="5" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="5" stroke="{color}" stroke-width="2.2"/></pattern>')


def _prov_legend(x: float, y: float, label: str, *, kind: str) -> str:
    """One legend item explaining the provisional mark (hollow marker or hatched bar) and its "P"."""
    if kind == "bar":
        mark = (f'<rect x="{_f(x)}" y="{_f(y - 5)}" width="22" height="10" fill="#ffffff" stroke="{AXIS}" '
                f'stroke-dasharray="2 1.5"/>' + _prov_tag(x + 11, y + 3.5, INK))
    else:
        mark = _marker("circle", x + 6, y, AXIS, 2.6, hollow=True) + _prov_tag(x + 17, y + 3.5, INK)
    return f'<g class="legend-prov">{mark}{_text(x + 28, y + 12 * 0.35, label, size=12)}</g>'


def _legend(series: Sequence[Series], x: float, y: float, width: float, *, size: float = 12,
            kind: str = "line", prov_label: str = "") -> tuple[str, float]:
    """A legend laid out in rows within ``width``; returns (svg, height used).

    With ``prov_label`` and a provisional value in some series, one more item
    explains the provisional mark."""
    out = []
    cx, cy = x, y
    row_h = size * 1.6
    for s in series:
        w = 30 + text_width(s.label, size) + 18
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + row_h
        if kind == "bar":
            out.append(f'<rect x="{_f(cx)}" y="{_f(cy - 5)}" width="22" height="10" fill="{s.color}"'
                       + (' fill-opacity="0.85"' if not s.dash else ' fill-opacity="0.55"') + "/>")
        else:
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            out.append(f'<line x1="{_f(cx)}" y1="{_f(cy)}" x2="{_f(cx + 22)}" y2="{_f(cy)}" '
                       f'stroke="{s.color}" stroke-width="2"{dash}/>')
            out.append(_marker(s.marker, cx + 11, cy, s.color))
        out.append(_text(cx + 28, cy + size * 0.35, s.label, size=size))
        cx += w
    if prov_label and any(any(bool(v) for v in s.provisional) for s in series):
        w = 30 + text_width(prov_label, size) + 18
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + row_h
        out.append(_prov_legend(cx, cy, prov_label, kind=kind))
    return '<g class="legend">' + "".join(out) + "</g>", (cy - y) + row_h


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about n intervals)."""
    if not (hi > lo):
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def _fmt_tick(v: float) -> str:
    return f"{v:g}"


# ---------------------------------------------------------------- radar

def radar(axes: Sequence[str], series: Sequence[Series], *, lo: float, hi: float, title: str,
          desc: str, size: float = 300, uid: str | None = None, rings: int = 5,
          prov_label: str = "") -> Markup:
    """Radar (spider) chart of ``series`` over ``axes`` on the scale [lo, hi].

    Vertex i of a series with value v sits at ``(cx + r f cos θ_i, cy + r f sin θ_i)``,
    ``f = clip((v − lo)/(hi − lo), 0, 1)``, ``θ_i = −π/2 + 2π i / n`` (the first axis
    points up, then clockwise).  A series with a NaN is drawn as open polylines
    through its present vertices (a gap at the missing axis), never through 0.
    """
    n = len(axes)
    size_lbl = 12
    label_lines = [wrap(a, 96, size_lbl) for a in axes]
    lbl_w = min(110.0, max(text_width(x, size_lbl) for ls in label_lines for x in ls) + 16) if axes else 40
    r = size / 2 - 20
    width = size + 2 * lbl_w
    cx = width / 2
    cy = size / 2 + 8 + (14.4 * (len(label_lines[0]) - 1) if axes else 0)   # room for a wrapped top label
    theta = [-math.pi / 2 + 2 * math.pi * i / n for i in range(n)]
    # the legend sits just below the lowest axis label
    low = max([cy + r] + [cy + (r + 12) * math.sin(a) + (8 if abs(math.cos(a)) < 0.3 else 0)
                          + 7 * len(label_lines[i]) for i, a in enumerate(theta)])
    legend_svg, legend_h = _legend(series, 10, low + 18, width - 20, prov_label=prov_label)
    height = low + 18 + legend_h
    parts = [f'<g class="plot" data-cx="{_f(cx)}" data-cy="{_f(cy)}" data-r="{_f(r)}" '
             f'data-lo="{lo:g}" data-hi="{hi:g}">']
    for k in range(1, rings + 1):
        rr = r * k / rings
        pts = " ".join(f"{_f(cx + rr * math.cos(a))},{_f(cy + rr * math.sin(a))}" for a in theta)
        parts.append(f'<polygon class="grid" points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
        tv = lo + (hi - lo) * k / rings
        parts.append(_text(cx + 3, cy - rr + 10, _fmt_tick(tv), size=9, color=AXIS, cls="tick")
                     .replace("<text ", '<text stroke="#ffffff" stroke-width="2.5" paint-order="stroke" ', 1))
    for i, a in enumerate(theta):
        x2, y2 = cx + r * math.cos(a), cy + r * math.sin(a)
        parts.append(f'<line x1="{_f(cx)}" y1="{_f(cy)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{GRID}"/>')
        lx, ly = cx + (r + 12) * math.cos(a), cy + (r + 12) * math.sin(a)
        c = math.cos(a)
        anchor = "middle" if abs(c) < 0.3 else ("start" if c > 0 else "end")
        if abs(c) < 0.3:
            ly += -6 if math.sin(a) < 0 else 8
        parts.append(_lines_text(lx, ly, label_lines[i], size=size_lbl, anchor=anchor, cls="axis-label"))
    for si, s in enumerate(series):
        pts = []
        for i, a in enumerate(theta):
            v = s.values[i] if i < len(s.values) else float("nan")
            if _ok(v):
                f = min(1.0, max(0.0, (float(v) - lo) / (hi - lo)))
                pts.append((cx + r * f * math.cos(a), cy + r * f * math.sin(a)))
            else:
                pts.append(None)
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        fill = ' fill-opacity="0.12"' if si == 0 else ' fill-opacity="0"'
        if all(p is not None for p in pts):
            ps = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
            parts.append(f'<polygon class="series" data-series="{si}" points="{ps}" fill="{s.color}"'
                         f'{fill} stroke="{s.color}" stroke-width="2"{dash}/>')
        else:
            # runs of present vertices, wrapping around the circle
            start = next((i for i, p in enumerate(pts) if p is None), 0)
            order = [(start + k) % n for k in range(n)]
            run: list[tuple[float, float]] = []
            runs = []
            for i in order + [order[0]]:
                if pts[i] is None:
                    if run:
                        runs.append(run)
                    run = []
                else:
                    run.append(pts[i])
            if run:
                runs.append(run)
            for run in runs:
                if len(run) >= 2:
                    ps = " ".join(f"{_f(x)},{_f(y)}" for x, y in run)
                    parts.append(f'<polyline class="series gap" data-series="{si}" points="{ps}" fill="none" '
                                 f'stroke="{s.color}" stroke-width="2"{dash}/>')
        for i, p in enumerate(pts):
            if p is not None:
                parts.append(_marker(s.marker, p[0], p[1], s.color, 2.6, hollow=s.is_prov(i)))
                if s.is_prov(i):
                    a = theta[i]
                    parts.append(_prov_tag(p[0] + 11 * math.cos(a) - (5 if abs(math.cos(a)) < 0.3 else 0),
                                           p[1] + 11 * math.sin(a) + 3, INK))
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, height, title, desc, "".join(parts), cls="radar", uid=uid)


# ---------------------------------------------------------------- bars

def grouped_bars(categories: Sequence[str], series: Sequence[Series], *, lo: float, hi: float,
                 title: str, desc: str, width: float = 620, height: float = 240,
                 value_labels: bool = True, fmt: Callable[[float], str] = lambda v: f"{v:.1f}",
                 uid: str | None = None, prov_label: str = "") -> Markup:
    """Vertical grouped bars: one group per category, one bar per series.

    A bar of value v has height ``plot_h · (clip(v) − lo)/(hi − lo)`` and its
    top at ``y0 − height`` (``y0``, ``plot_h`` on the plot group as
    ``data-y0``, ``data-h``); a NaN draws no bar, only a "—" at the baseline.
    A provisional value (``Series.provisional``) is drawn hatched and outlined
    (class "bar prov") with "P" after its value label.
    """
    size = 11
    left, right, top = 40, 10, 14
    ncat = max(1, len(categories))
    group_w = (width - left - right) / ncat
    lab_lines = [wrap(c, group_w - 6, size, 2) for c in categories]
    bottom = 12 + 14 * max((len(x) for x in lab_lines), default=1)
    legend_svg, legend_h = _legend(series, left, height + 8, width - left - right, kind="bar",
                                   prov_label=prov_label)
    total_h = height + legend_h + 8
    plot_h = height - top - bottom
    y0 = top + plot_h
    parts = [f'<g class="plot" data-y0="{_f(y0)}" data-h="{_f(plot_h)}" data-lo="{lo:g}" data-hi="{hi:g}">']
    for tv in nice_ticks(lo, hi, 5):
        y = y0 - plot_h * (tv - lo) / (hi - lo)
        parts.append(f'<line x1="{left}" y1="{_f(y)}" x2="{_f(width - right)}" y2="{_f(y)}" stroke="{GRID}"/>')
        parts.append(_text(left - 4, y + 4, _fmt_tick(tv), size=9, anchor="end", color=AXIS))
    ns = max(1, len(series))
    bar_w = min(34.0, (group_w * 0.8) / ns)
    hatches: dict[str, int] = {}
    for ci, cat in enumerate(categories):
        gx = left + group_w * ci + (group_w - bar_w * ns) / 2
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else float("nan")
            x = gx + bar_w * si
            if _ok(v):
                f = min(1.0, max(0.0, (float(v) - lo) / (hi - lo)))
                h = plot_h * f
                op = "0.9" if not s.dash else "0.55"
                if s.is_prov(ci):
                    hatches.setdefault(s.color, len(hatches))
                    parts.append(f'<rect class="bar prov" data-series="{si}" data-cat="{ci}" '
                                 f'data-value="{float(v):.6g}" x="{_f(x + 1.5)}" y="{_f(y0 - h)}" '
                                 f'width="{_f(bar_w - 3)}" height="{_f(h)}" fill="url(#HATCH{hatches[s.color]})" '
                                 f'stroke="{s.color}" stroke-width="1.2"/>')
                else:
                    parts.append(f'<rect class="bar" data-series="{si}" data-cat="{ci}" '
                                 f'data-value="{float(v):.6g}" x="{_f(x + 1)}" y="{_f(y0 - h)}" '
                                 f'width="{_f(bar_w - 2)}" height="{_f(h)}" fill="{s.color}" fill-opacity="{op}"/>')
                if value_labels and bar_w >= 16:
                    parts.append(_text(x + bar_w / 2, y0 - h - 3, fmt(float(v)), size=9, anchor="middle",
                                       color=INK))
                if s.is_prov(ci):
                    parts.append(_prov_tag(x + bar_w / 2, y0 - h - (14 if value_labels and bar_w >= 16 else 3)))
            else:
                parts.append(_text(x + bar_w / 2, y0 - 3, "—", size=10, anchor="middle", color=AXIS,
                                   cls="gap"))
        parts.append(_lines_text(left + group_w * (ci + 0.5), y0 + 8 + 7 * len(lab_lines[ci]),
                                 lab_lines[ci], size=size, anchor="middle", cls="axis-label"))
    parts.append(f'<line x1="{left}" y1="{_f(y0)}" x2="{_f(width - right)}" y2="{_f(y0)}" stroke="{AXIS}"/>')
    parts.append("</g>")
    parts.append(legend_svg)
    return _with_hatches(width, total_h, title, desc, "".join(parts), hatches, cls="bars", uid=uid)


def _with_hatches(width: float, height: float, title: str, desc: str, body: str, hatches: dict[str, int], *,
                  cls: str, uid: str | None) -> Markup:
    """``_svg`` with the hatch patterns used by provisional bars, their ids made unique per chart."""
    if uid is None:
        uid = "c" + hashlib.sha1((cls + title + desc + body).encode("utf-8")).hexdigest()[:10]
    if hatches:
        defs = "".join(_hatch_def(f"{uid}-ph{k}", color) for color, k in hatches.items())
        for k in hatches.values():
            body = body.replace(f"url(#HATCH{k})", f"url(#{uid}-ph{k})")
        body = f"<defs>{defs}</defs>" + body
    return _svg(width, height, title, desc, body, cls=cls, uid=uid)


def hbars(labels: Sequence[str], values: Sequence[float], *, lo: float = 0.0, hi: float | None = None,
          title: str, desc: str, width: float = 520, fmt: Callable[[float], str] = lambda v: f"{v:.1f}",
          color: str = CITY, highlight: int | None = None, uid: str | None = None) -> Markup:
    """Horizontal bars, one row per label; bar length ∝ (v − lo)/(hi − lo).

    ``data-x0`` / ``data-w`` on the plot group give the zero line and the full
    length; NaN rows show "—" and no bar.
    """
    size = 12
    row_h = 22
    label_w = min(230.0, max((text_width(s, size) for s in labels), default=40) + 12)
    vals = [float(v) if _ok(v) else float("nan") for v in values]
    if hi is None:
        hi = max([v for v in vals if v == v], default=1.0) or 1.0
    value_w = 56
    plot_w = width - label_w - value_w - 8
    x0 = label_w
    height = row_h * len(labels) + 8
    parts = [f'<g class="plot" data-x0="{_f(x0)}" data-w="{_f(plot_w)}" data-lo="{lo:g}" data-hi="{hi:g}">']
    for i, (lab, v) in enumerate(zip(labels, vals)):
        y = 4 + i * row_h
        shown = wrap(lab, label_w - 10, size, 1)[0]
        parts.append(_text(label_w - 8, y + row_h / 2 + 4, shown, size=size, anchor="end", cls="axis-label"))
        if v == v:
            f = min(1.0, max(0.0, (v - lo) / (hi - lo))) if hi > lo else 0.0
            col = GROUP if highlight == i else color
            parts.append(f'<rect class="bar" data-value="{v:.6g}" x="{_f(x0)}" y="{_f(y + 4)}" '
                         f'width="{_f(plot_w * f)}" height="{row_h - 8}" fill="{col}" fill-opacity="0.85"/>')
            parts.append(_text(x0 + plot_w * f + 4, y + row_h / 2 + 4, fmt(v), size=11))
        else:
            parts.append(_text(x0 + 4, y + row_h / 2 + 4, "—", size=11, color=AXIS, cls="gap"))
    parts.append(f'<line x1="{_f(x0)}" y1="2" x2="{_f(x0)}" y2="{_f(height - 2)}" stroke="{AXIS}"/>')
    parts.append("</g>")
    return _svg(width, height, title, desc, "".join(parts), cls="hbars", uid=uid)


# ---------------------------------------------------------------- lines

def lines(xs: Sequence[int | str], series: Sequence[Series], *, lo: float, hi: float, title: str,
          desc: str, width: float = 620, height: float = 240, fit: bool = True,
          uid: str | None = None, prov_label: str = "") -> Markup:
    """Line chart over ``xs`` (years).  With ``fit`` the y axis is zoomed to the
    data (rounded outward to ticks, within [lo, hi]).  NaN breaks a line.
    A provisional point (``Series.provisional``) is a hollow marker with a "P"
    above it (class "prov"); ``prov_label`` adds its legend item."""
    size = 11
    left, right, top, bottom = 40, 16, 12, 24
    allv = [float(v) for s in series for v in s.values if _ok(v)]
    ylo, yhi = lo, hi
    if fit and allv:
        dmin, dmax = min(allv), max(allv)
        pad = max((dmax - dmin) * 0.1, (hi - lo) * 0.02)
        t = nice_ticks(max(lo, dmin - pad), min(hi, dmax + pad), 5)
        step = (t[1] - t[0]) if len(t) > 1 else (hi - lo) / 5
        ylo = max(lo, math.floor((dmin - pad) / step) * step)
        yhi = min(hi, math.ceil((dmax + pad) / step) * step)
        if yhi <= ylo:
            ylo, yhi = lo, hi
    legend_svg, legend_h = _legend(series, left, height + 4, width - left - right, prov_label=prov_label)
    total_h = height + legend_h + 4
    plot_h = height - top - bottom
    plot_w = width - left - right
    n = len(xs)
    # years are placed by their value, so irregular editions (2014, 2016, 2018, 2022) keep their real
    # spacing; consecutive years fall on the same slots as evenly spaced categories
    slot = list(range(n))
    span = n
    if n and all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in xs) and \
            all(b > a for a, b in zip(xs, xs[1:])):
        slot = [int(x) - int(xs[0]) for x in xs]
        span = slot[-1] + 1

    def px(i: int) -> float:
        return left + (plot_w * (slot[i] + 0.5) / span if n else 0)

    def py(v: float) -> float:
        return top + plot_h * (1 - (min(yhi, max(ylo, v)) - ylo) / (yhi - ylo))

    parts = [f'<g class="plot" data-ylo="{ylo:g}" data-yhi="{yhi:g}">']
    for tv in nice_ticks(ylo, yhi, 5):
        y = py(tv)
        parts.append(f'<line x1="{left}" y1="{_f(y)}" x2="{_f(width - right)}" y2="{_f(y)}" stroke="{GRID}"/>')
        parts.append(_text(left - 4, y + 4, _fmt_tick(tv), size=9, anchor="end", color=AXIS))
    every = max(1, math.ceil(n / 12))
    for i, x in enumerate(xs):
        if i % every == 0 or i == n - 1:
            parts.append(_text(px(i), top + plot_h + 16, str(x), size=size, anchor="middle", cls="axis-label"))
    parts.append(f'<line x1="{left}" y1="{_f(top + plot_h)}" x2="{_f(width - right)}" y2="{_f(top + plot_h)}" '
                 f'stroke="{AXIS}"/>')
    for si, s in enumerate(series):
        d = []
        pen = False
        for i in range(n):
            v = s.values[i] if i < len(s.values) else float("nan")
            if _ok(v):
                d.append(f"{'L' if pen else 'M'}{_f(px(i))},{_f(py(float(v)))}")
                pen = True
            else:
                pen = False
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        sw = "2.4" if si == 0 else "1.6"
        if d:
            parts.append(f'<path class="series" data-series="{si}" d="{" ".join(d)}" fill="none" '
                         f'stroke="{s.color}" stroke-width="{sw}"{dash}/>')
        for i in range(n):
            v = s.values[i] if i < len(s.values) else float("nan")
            if _ok(v):
                parts.append(_marker(s.marker, px(i), py(float(v)), s.color, 2.6, hollow=s.is_prov(i)))
    # one "P" per year, above the highest provisional point (several close points would collide)
    for i in range(n):
        ys = [py(float(s.values[i])) for s in series if i < len(s.values) and _ok(s.values[i]) and s.is_prov(i)]
        if ys:
            parts.append(_prov_tag(px(i), min(ys) - 7, INK))
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, total_h, title, desc, "".join(parts), cls="lines", uid=uid)


# ---------------------------------------------------------------- heat map

def _blend(c1: tuple[int, int, int], c2: tuple[int, int, int], f: float) -> str:
    return "#" + "".join(f"{round(a + (b - a) * f):02x}" for a, b in zip(c1, c2))


_BLUES = ((247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107))


def heat_color(f: float) -> str:
    """Sequential single-hue blue for f in [0, 1] (readable in greyscale)."""
    f = min(1.0, max(0.0, f))
    k = f * (len(_BLUES) - 1)
    i = min(int(k), len(_BLUES) - 2)
    return _blend(_BLUES[i], _BLUES[i + 1], k - i)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]], *, lo: float,
            hi: float, title: str, desc: str, row_links: Sequence[str] | None = None,
            fmt: Callable[[float], str] = lambda v: f"{v:.0f}", uid: str | None = None) -> Markup:
    """Rows × columns of coloured cells with their value; NaN cells are hatched
    grey with "—".  ``row_links`` makes each row label a relative link."""
    size = 11
    cell_h = 18
    label_w = min(220.0, max((text_width(r, size) for r in rows), default=40) + 12)
    col_w = max(84.0, min(120.0, max((text_width(c, size) for c in cols), default=40) / 1.6 + 14))
    head_lines = [wrap(c, col_w - 4, size, 2) for c in cols]
    head_h = 8 + 13 * max((len(h) for h in head_lines), default=1)
    width = label_w + col_w * len(cols) + 4
    height = head_h + cell_h * len(rows) + 4
    parts = ['<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="2"/></pattern></defs>']
    for j, h in enumerate(head_lines):
        parts.append(_lines_text(label_w + col_w * (j + 0.5), head_h / 2, h, size=size, anchor="middle",
                                 cls="axis-label"))
    for i, r in enumerate(rows):
        y = head_h + i * cell_h
        lab = _text(label_w - 6, y + cell_h / 2 + 4, wrap(r, label_w - 10, size, 1)[0], size=size,
                    anchor="end", cls="axis-label")
        if row_links is not None:
            lab = f'<a href="{escape(row_links[i])}">{lab}</a>'
        parts.append(lab)
        for j in range(len(cols)):
            v = values[i][j] if j < len(values[i]) else float("nan")
            x = label_w + j * col_w
            if _ok(v):
                f = (float(v) - lo) / (hi - lo) if hi > lo else 0.5
                fill = heat_color(f)
                parts.append(f'<rect class="cell" data-value="{float(v):.6g}" x="{_f(x)}" y="{_f(y)}" '
                             f'width="{_f(col_w - 1)}" height="{cell_h - 1}" fill="{fill}"/>')
                parts.append(_text(x + col_w / 2, y + cell_h / 2 + 4, fmt(float(v)), size=10, anchor="middle",
                                   color="#ffffff" if f > 0.55 else INK))
            else:
                parts.append(f'<rect class="cell gap" x="{_f(x)}" y="{_f(y)}" width="{_f(col_w - 1)}" '
                             f'height="{cell_h - 1}" fill="url(#hatch)"/>')
                parts.append(_text(x + col_w / 2, y + cell_h / 2 + 4, "—", size=10, anchor="middle", color=AXIS))
    body = "".join(parts)
    # the hatch pattern id must be unique on a page
    uid = uid or "h" + hashlib.sha1((title + desc + body).encode("utf-8")).hexdigest()[:10]
    body = body.replace('id="hatch"', f'id="{uid}-hatch"').replace("url(#hatch)", f"url(#{uid}-hatch)")
    return _svg(width, height, title, desc, body, cls="heatmap", uid=uid)


# ---------------------------------------------------------------- rank interval

def rank_ticks(n_units: int, px: Callable[[float], float], *, size: float = 10, target: int = 6) -> list[float]:
    """Ticks for a rank axis 1..n_units: 1 and n always, round ticks between them
    only where their labels keep at least a label's width plus 6 px apart
    (so "40" never touches "41")."""
    if n_units <= 1:
        return [1]
    cand = [t for t in nice_ticks(1, n_units, target) if 1 < t < n_units]
    kept = [1.0, float(n_units)]

    def half(v: float) -> float:
        return text_width(f"{v:g}", size) / 2

    for t in cand:
        if all(abs(px(t) - px(k)) >= half(t) + half(k) + 6 for k in kept):
            kept.append(t)
    return sorted(kept)


def rank_interval(items: Sequence[tuple], *, n_units: int, title: str, desc: str,
                  width: float = 560, legend: Sequence[str] | None = None, uid: str | None = None) -> Markup:
    """Dot (nominal rank), bar (interval lo..hi) and tick (median) per item on a
    rank axis 1..n_units, best (1) at the left.  x(rank) = x0 + w·(rank − 1)/(n_units − 1).

    ``items``: (label, nominal, lo, hi) or (label, nominal, lo, hi, median).
    ``legend``: three labels (dot, bar, tick) drawn as one line under the axis.
    """
    size = 12
    row_h = 26
    label_w = min(200.0, max((text_width(s[0], size) for s in items), default=40) + 12)
    x0, x1 = label_w + 8, width - 16
    w = x1 - x0
    top = 8
    legend_h = 22 if legend else 0
    height = top + row_h * len(items) + 30 + legend_h

    def px(rank: float) -> float:
        return x0 + (w * (rank - 1) / (n_units - 1) if n_units > 1 else w / 2)

    parts = [f'<g class="plot" data-x0="{_f(x0)}" data-w="{_f(w)}" data-n="{n_units}">']
    axis_y = top + row_h * len(items) + 4
    parts.append(f'<line x1="{_f(x0)}" y1="{_f(axis_y)}" x2="{_f(x1)}" y2="{_f(axis_y)}" stroke="{AXIS}"/>')
    for tv in rank_ticks(n_units, px):
        x = px(tv)
        parts.append(f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(axis_y + 3)}" stroke="{GRID}"/>')
        parts.append(_text(x, axis_y + 16, f"{tv:g}", size=10, anchor="middle", color=AXIS, cls="tick"))
    for i, it in enumerate(items):
        lab, nom, lo, hi = it[:4]
        med = it[4] if len(it) > 4 else None
        y = top + i * row_h + row_h / 2
        parts.append(_text(label_w, y + 4, wrap(lab, label_w - 8, size, 1)[0], size=size, anchor="end",
                           cls="axis-label"))
        if _ok(lo) and _ok(hi):
            parts.append(f'<line class="whisker" x1="{_f(px(lo))}" y1="{_f(y)}" x2="{_f(px(hi))}" y2="{_f(y)}" '
                         f'stroke="{CITY}" stroke-width="6" stroke-opacity="0.45"/>')
            for e in (lo, hi):
                parts.append(f'<line x1="{_f(px(e))}" y1="{_f(y - 6)}" x2="{_f(px(e))}" y2="{_f(y + 6)}" '
                             f'stroke="{CITY}" stroke-width="1.5"/>')
        if _ok(med):
            parts.append(f'<line class="median" x1="{_f(px(med))}" y1="{_f(y - 8)}" x2="{_f(px(med))}" '
                         f'y2="{_f(y + 8)}" stroke="#111111" stroke-width="2"/>')
        if _ok(nom):
            parts.append(f'<circle class="dot" cx="{_f(px(nom))}" cy="{_f(y)}" r="5" fill="{GROUP}" '
                         f'stroke="#ffffff" stroke-width="1"/>')
    parts.append("</g>")
    if legend:
        ly = axis_y + 34
        lx = x0
        a, b, c = legend
        lg = [f'<circle cx="{_f(lx + 5)}" cy="{_f(ly)}" r="5" fill="{GROUP}"/>',
              _text(lx + 14, ly + 4, a, size=11)]
        lx += 26 + text_width(a, 11)
        lg += [f'<line x1="{_f(lx)}" y1="{_f(ly)}" x2="{_f(lx + 24)}" y2="{_f(ly)}" stroke="{CITY}" '
               f'stroke-width="6" stroke-opacity="0.45"/>', _text(lx + 30, ly + 4, b, size=11)]
        lx += 42 + text_width(b, 11)
        lg += [f'<line x1="{_f(lx + 3)}" y1="{_f(ly - 8)}" x2="{_f(lx + 3)}" y2="{_f(ly + 8)}" stroke="#111111" '
               f'stroke-width="2"/>', _text(lx + 11, ly + 4, c, size=11)]
        width = max(width, lx + 24 + text_width(c, 11))
        parts.append('<g class="legend">' + "".join(lg) + "</g>")
    return _svg(width, height, title, desc, "".join(parts), cls="rankint", uid=uid)


# ---------------------------------------------------------------- slope chart (rank change)

UP = "#1f6fb2"      # as the pages' --up / --down: better blue, worse dark orange
DOWN = "#c2510b"


def slope(labels: Sequence[str], before: Sequence[float], after: Sequence[float], *, years: tuple[str, str],
          title: str, desc: str, highlight: Sequence[int] = (), provisional: Sequence[bool] = (),
          prov_label: str = "", legend: Sequence[str] = (), width: float = 760,
          uid: str | None = None) -> Markup:
    """Slope chart of ranks: last year (left column) → this year (right column), one line per unit.

    Each column lists the units by rank, best at the top, one slot each:
    ``y(slot) = top + row_h·(slot + 0.5)`` where ``slot`` is the unit's position
    sorted by (rank, input order), i.e. ``rank − 1`` without ties (``top`` and
    ``row_h`` are on the plot group as ``data-top`` and ``data-row``; the columns
    sit at ``data-xa`` and ``data-xb``).  Labels read "rank name" on both sides.
    A line is blue when the unit moved up, orange when it moved down, grey when
    unchanged; units in ``highlight`` are drawn bold, the others light.  A unit
    without a rank last year has only its right-hand end (no line); a
    ``provisional`` unit's right-hand dot is hollow with a "P".
    ``legend``: labels for (moved up, moved down, unchanged).
    """
    size = 11
    row_h = 15.0
    n = len(labels)
    hl = set(int(i) for i in highlight)

    def slots(vals: Sequence[float]) -> dict[int, int]:
        have = [i for i in range(n) if _ok(vals[i])]
        have.sort(key=lambda i: (float(vals[i]), i))
        return {i: k for k, i in enumerate(have)}

    sa, sb = slots(before), slots(after)
    lab_a = [f"{before[i]:g} {labels[i]}" if _ok(before[i]) else "" for i in range(n)]
    lab_b = [f"{after[i]:g} {labels[i]}" if _ok(after[i]) else "" for i in range(n)]
    wa = min(230.0, max((text_width(x, size) for x in lab_a), default=40) + 10)
    wb = min(230.0, max((text_width(x, size) for x in lab_b), default=40) + 24)
    xa, xb = wa + 8, width - wb - 8
    top = 30
    rows = max(len(sa), len(sb), 1)
    plot_h = row_h * rows
    legend_y = top + plot_h + 18
    height = legend_y + 14

    def py(slot: int) -> float:
        return top + row_h * (slot + 0.5)

    parts = [f'<g class="plot" data-top="{_f(top)}" data-row="{_f(row_h)}" data-xa="{_f(xa)}" '
             f'data-xb="{_f(xb)}">']
    parts.append(_text(xa, 14, years[0], size=12, anchor="middle", weight="600", cls="axis-label"))
    parts.append(_text(xb, 14, years[1], size=12, anchor="middle", weight="600", cls="axis-label"))
    parts.append(f'<line x1="{_f(xa)}" y1="{_f(top - 6)}" x2="{_f(xa)}" y2="{_f(top + plot_h)}" stroke="{GRID}"/>')
    parts.append(f'<line x1="{_f(xb)}" y1="{_f(top - 6)}" x2="{_f(xb)}" y2="{_f(top + plot_h)}" stroke="{GRID}"/>')
    # light lines first, highlighted ones on top
    order = sorted(range(n), key=lambda i: (i in hl, i))
    for i in order:
        strong = i in hl
        if i in sa and i in sb:
            d = float(before[i]) - float(after[i])
            col = UP if d > 0 else (DOWN if d < 0 else ALL)
            op, sw = ("1", "2.2") if strong else ("0.45", "1")
            parts.append(f'<line class="slope{" strong" if strong else ""}" data-unit="{i}" '
                         f'data-before="{float(before[i]):g}" data-after="{float(after[i]):g}" '
                         f'x1="{_f(xa)}" y1="{_f(py(sa[i]))}" x2="{_f(xb)}" y2="{_f(py(sb[i]))}" '
                         f'stroke="{col}" stroke-opacity="{op}" stroke-width="{sw}"/>')
        else:
            col = ALL
        weight = "700" if strong else ""
        ink = INK if strong or not hl else "#555555"
        if i in sa:
            parts.append(f'<circle cx="{_f(xa)}" cy="{_f(py(sa[i]))}" r="2.4" fill="{col}"/>')
            parts.append(_text(xa - 6, py(sa[i]) + 3.8, wrap(lab_a[i], wa - 4, size, 1)[0], size=size,
                               anchor="end", color=ink, weight=weight, cls="axis-label"))
        if i in sb:
            prov = i < len(provisional) and bool(provisional[i])
            parts.append(_marker("circle", xb, py(sb[i]), col, 2.4, hollow=prov))
            tx = xb + 6
            if prov:
                parts.append(_prov_tag(xb + 10, py(sb[i]) + 3.5, INK))
                tx += 10
            parts.append(_text(tx, py(sb[i]) + 3.8, wrap(lab_b[i], wb - (20 if prov else 8), size, 1)[0],
                               size=size, color=ink, weight=weight, cls="axis-label"))
    parts.append("</g>")
    lg = []
    lx = 8.0
    for lab, col in zip(legend, (UP, DOWN, ALL)):
        lg.append(f'<line x1="{_f(lx)}" y1="{_f(legend_y)}" x2="{_f(lx + 22)}" y2="{_f(legend_y)}" '
                  f'stroke="{col}" stroke-width="2.2"/>')
        lg.append(_text(lx + 28, legend_y + 4, lab, size=11))
        lx += 44 + text_width(lab, 11)
    if prov_label and any(bool(v) for v in provisional):
        lg.append(_prov_legend(lx, legend_y, prov_label, kind="line"))
    if lg:
        parts.append('<g class="legend">' + "".join(lg) + "</g>")
    return _svg(width, height, title, desc, "".join(parts), cls="slope", uid=uid)


# ---------------------------------------------------------------- curves (kernel density)

def year_colors(n: int) -> list[str]:
    """n colours from light to dark blue (older years lighter), readable in greyscale."""
    return [heat_color(0.3 + 0.7 * (i / (n - 1) if n > 1 else 1.0)) for i in range(n)]


def curves(x: Sequence[float], series: Sequence[Series], *, title: str, desc: str, width: float = 620,
           height: float = 220, uid: str | None = None, y_label: str = "") -> Markup:
    """Curves y(x) over one shared x grid (e.g. kernel densities by year); NaN breaks a curve.

    x runs linearly from x[0] to x[-1] over the plot width; y from 0 to the nice tick
    above the largest value. Point i of series k lies at
    ``(left + w·(x_i − x_0)/(x_n − x_0), top + h·(1 − y/ymax))``; left, top, w, h and
    ymax are written on the plot group as data-left, data-top, data-w, data-h, data-ymax.
    The last series is drawn thickest (the report year).
    """
    size = 11
    left, right, top, bottom = 46, 16, 12, 26
    xs = [float(v) for v in x]
    allv = [float(v) for s in series for v in s.values if _ok(v)]
    ticks = nice_ticks(0.0, max(allv) if allv and max(allv) > 0 else 1.0, 4)
    ymax = ticks[-1] if ticks[-1] >= (max(allv) if allv else 0) else ticks[-1] + (ticks[1] - ticks[0])
    legend_svg, legend_h = _legend(series, left, height + 4, width - left - right)
    total_h = height + legend_h + 4
    plot_h, plot_w = height - top - bottom, width - left - right
    x0, x1 = (xs[0], xs[-1]) if xs else (0.0, 1.0)

    def px(v: float) -> float:
        return left + plot_w * (v - x0) / (x1 - x0 if x1 > x0 else 1.0)

    def py(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), ymax) / ymax)

    parts = [f'<g class="plot" data-left="{left}" data-top="{top}" data-w="{_f(plot_w)}" data-h="{_f(plot_h)}" '
             f'data-ymax="{ymax!r}">']
    for tv in nice_ticks(0.0, ymax, 4):
        y = py(tv)
        parts.append(f'<line x1="{left}" y1="{_f(y)}" x2="{_f(width - right)}" y2="{_f(y)}" stroke="{GRID}"/>')
        parts.append(_text(left - 4, y + 4, f"{tv:g}", size=9, anchor="end", color=AXIS))
    for tv in nice_ticks(x0, x1, 5):
        parts.append(_text(px(tv), top + plot_h + 16, _fmt_tick(tv), size=size, anchor="middle", cls="axis-label"))
    parts.append(f'<line x1="{left}" y1="{_f(top + plot_h)}" x2="{_f(width - right)}" y2="{_f(top + plot_h)}" '
                 f'stroke="{AXIS}"/>')
    if y_label:
        parts.append(_text(left, top - 2, y_label, size=9, color=AXIS))
    for si, s in enumerate(series):
        d, pen = [], False
        for xi, v in zip(xs, s.values):
            if _ok(v):
                d.append(f"{'L' if pen else 'M'}{_f(px(xi))},{_f(py(float(v)))}")
                pen = True
            else:
                pen = False
        sw = "2.6" if si == len(series) - 1 else "1.5"
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        if d:
            parts.append(f'<path class="series" data-series="{si}" d="{" ".join(d)}" fill="none" '
                         f'stroke="{s.color}" stroke-width="{sw}"{dash}/>')
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, total_h, title, desc, "".join(parts), cls="curves", uid=uid)


# ---------------------------------------------------------------- point map

def _map_frame(proj: tuple, left: float, top: float, w: float, h: float) -> list[str]:
    """The opening of a map's plot group, carrying its projection (data-s, data-lon0, data-lat0, data-k,
    data-ox, data-oy: a reader or a test can place a unit), and the map's pale background."""
    s, lon0, lat0, k, ox, oy = proj
    return [f'<g class="plot" data-s="{s!r}" data-lon0="{lon0!r}" data-lat0="{lat0!r}" data-k="{k!r}" '
            f'data-ox="{ox}" data-oy="{oy}">',
            f'<rect x="{left}" y="{top}" width="{_f(w)}" height="{_f(h)}" fill="#fbfbfb" stroke="{GRID}"/>']


def _geo_projection(lons: Sequence[float], lats: Sequence[float], w: float, h: float, ox: float, oy: float):
    """Equirectangular projection scaled by cos(mean latitude) into a w × h box at (ox, oy):
    x = ox + s·(lon − lon_min)·cos φ̄, y = oy + s·(lat_max − lat), s the largest scale that fits.
    Returns (xy, (s, lon_min, lat_max, cos φ̄, ox, oy))."""
    k = math.cos(math.radians(sum(lats) / len(lats)))
    lon0, lat0 = min(lons), max(lats)
    span_x = max((max(lons) - lon0) * k, 1e-9)
    span_y = max(lat0 - min(lats), 1e-9)
    s = min(w / span_x, h / span_y)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ox + s * (lon - lon0) * k, oy + s * (lat0 - lat)

    return xy, (s, lon0, lat0, k, ox, oy)


def point_map(points: Sequence[tuple[str, float, float, str, str]], *, title: str, desc: str,
              legend: Sequence[tuple[str, str]], width: float = 620, height: float = 520,
              uid: str | None = None) -> Markup:
    """Units placed by longitude / latitude, one circle each, coloured by class.

    points: (label, lon, lat, color, href); legend: (label, color). An equirectangular
    projection scaled by cos(mean latitude), so distances look right at the map's
    latitude: x = left + s·(lon − lon_min)·cos φ̄, y = top + s·(lat_max − lat), with the
    largest s that fits; s, lon_min, lat_max and cos φ̄ are written on the plot group
    (data-s, data-lon0, data-lat0, data-k). Each circle links to its unit's page.
    """
    pts = [p for p in points if _ok(p[1]) and _ok(p[2])]
    left, right, top, bottom = 16, 16, 12, 16
    leg = [Series(lab, [], color=col) for lab, col in legend]
    legend_svg, legend_h = _legend(leg, left, height + 4, width - left - right, kind="bar")
    total_h = height + legend_h + 4
    if not pts:
        return _svg(width, total_h, title, desc, legend_svg, cls="point-map", uid=uid)
    xy, proj = _geo_projection([p[1] for p in pts], [p[2] for p in pts], width - left - right - 20,
                               height - top - bottom - 20, left + 10, top + 10)
    parts = _map_frame(proj, left, top, width - left - right, height - top - bottom)
    for label, lon, lat, color, href in pts:
        x, y = xy(lon, lat)
        dot = (f'<circle cx="{_f(x)}" cy="{_f(y)}" r="7" fill="{color}" stroke="#ffffff" stroke-width="1.2">'
               f'<title>{escape(label)}</title></circle>')
        parts.append(f'<a href="{escape(href)}">{dot}</a>' if href else dot)
        parts.append(_text(x + 9, y + 3.5, label, size=8.5, color=INK))  # a unit is never named without its code
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, total_h, title, desc, "".join(parts), cls="point-map", uid=uid)


# ---------------------------------------------------------------- network map

@dataclass(frozen=True)
class MapNode:
    """A unit of a network map: its label, position, fill (its group's colour), page and whether it is a hub."""

    label: str
    lon: float
    lat: float
    fill: str
    href: str = ""
    hub: bool = False


def network_map(nodes: Sequence[MapNode], edges: Sequence[tuple[int, int, float, bool]], *, title: str, desc: str,
                legend: Sequence[tuple[str, str]], edge_labels: tuple[str, str, str], width: float = 460,
                height: float = 400, uid: str | None = None) -> Markup:
    """Ties between units placed by longitude / latitude (the projection of :func:`point_map`).

    edges: (i, j, weight, cross) with i, j indexes of ``nodes``; a tie of weight w is drawn with
    width 0.6 + 4.4·f and opacity 0.25 + 0.6·f, f = √(w/w_max), the strongest on top; a tie between
    groups (cross = True) is orange and dashed, one within a group grey. A hub is a larger circle with
    a dark ring and its label. legend: (group label, fill); edge_labels: (within, between, hub) texts.
    The plot group carries the projection (data-s, data-lon0, data-lat0, data-k, data-ox, data-oy)
    and each tie its weight (data-w).
    """
    within_c, cross_c = "#6b6b6b", "#d55e00"
    left, right, top, bottom = 8, 8, 8, 8
    leg = [Series(lab, [], color=col) for lab, col in legend]
    legend_svg, legend_h = _legend(leg, left, height + 4, width - left - right, size=11, kind="bar")
    ey = height + 4 + legend_h
    items = [("within", edge_labels[0]), ("cross", edge_labels[1]), ("hub", edge_labels[2])]
    ex, eparts = left, []
    for kind, lab in items:
        if kind == "hub":
            eparts.append(f'<circle cx="{_f(ex + 8)}" cy="{_f(ey)}" r="5.5" fill="#ffffff" stroke="{INK}" '
                          f'stroke-width="1.8"/>')
        else:
            col, dash = (cross_c, ' stroke-dasharray="5 2.5"') if kind == "cross" else (within_c, "")
            eparts.append(f'<line x1="{_f(ex)}" y1="{_f(ey)}" x2="{_f(ex + 22)}" y2="{_f(ey)}" stroke="{col}" '
                          f'stroke-width="2.4"{dash}/>')
        eparts.append(_text(ex + 28, ey + 11 * 0.35, lab, size=11))
        ex += 28 + text_width(lab, 11) + 18
    total_h = ey + 12
    pts = [n for n in nodes if _ok(n.lon) and _ok(n.lat)]
    if not pts:
        return _svg(width, total_h, title, desc, legend_svg, cls="network-map", uid=uid)
    xy, proj = _geo_projection([n.lon for n in pts], [n.lat for n in pts], width - left - right - 24,
                               height - top - bottom - 24, left + 12, top + 12)
    parts = _map_frame(proj, left, top, width - left - right, height - top - bottom)
    wmax = max((e[2] for e in edges), default=0.0) or 1.0
    for i, j, w, cross in sorted(edges, key=lambda e: e[2]):
        a, b = nodes[i], nodes[j]
        if not (_ok(a.lon) and _ok(a.lat) and _ok(b.lon) and _ok(b.lat)):
            continue
        (x1, y1), (x2, y2) = xy(a.lon, a.lat), xy(b.lon, b.lat)
        f = math.sqrt(w / wmax)  # tie weights are skewed: on a linear scale all but a few ties vanish
        col, dash = (cross_c, ' stroke-dasharray="5 2.5"') if cross else (within_c, "")
        parts.append(f'<line class="tie{" cross" if cross else ""}" data-w="{w!r}" x1="{_f(x1)}" y1="{_f(y1)}" '
                     f'x2="{_f(x2)}" y2="{_f(y2)}" stroke="{col}" stroke-width="{0.6 + 4.4 * f:.2f}" '
                     f'stroke-opacity="{0.25 + 0.6 * f:.2f}" stroke-linecap="round"{dash}/>')
    labels, boxes = [], []
    hub_xy = [xy(n.lon, n.lat) for n in pts if n.hub]
    for n in sorted(pts, key=lambda n: n.hub):  # hubs drawn last, above the other cities
        x, y = xy(n.lon, n.lat)
        r, stroke = (6.5, f'stroke="{INK}" stroke-width="1.8"') if n.hub else (4.2, 'stroke="#555555" stroke-width="0.6"')
        dot = (f'<circle class="{"hub" if n.hub else "unit"}" cx="{_f(x)}" cy="{_f(y)}" r="{r}" fill="{n.fill}" '
               f'{stroke}><title>{escape(n.label)}</title></circle>')
        parts.append(f'<a href="{escape(n.href)}">{dot}</a>' if n.href else dot)
        if n.hub:  # a hub is named with its code, on a white halo above the ties, where it hides no other label
            tw = text_width(n.label, 10)
            lx, ly, anchor = _label_spot(x, y, tw, boxes, hub_xy, (left, width - right))
            boxes.append((lx - (tw if anchor == "end" else 0), ly - 9, tw, 12))
            labels.append(f'<text x="{_f(lx)}" y="{_f(ly)}" font-size="10" font-weight="600" fill="{INK}"'
                          f'{" text-anchor=" + chr(34) + "end" + chr(34) if anchor == "end" else ""} '
                          f'stroke="#ffffff" stroke-width="3" paint-order="stroke" class="hub-label">'
                          f'{escape(n.label)}</text>')
    parts.extend(labels)
    parts.append("</g>")
    parts.append(legend_svg)
    parts.append('<g class="legend">' + "".join(eparts) + "</g>")
    return _svg(width, total_h, title, desc, "".join(parts), cls="network-map", uid=uid)


def _label_spot(x: float, y: float, tw: float, boxes: list[tuple[float, float, float, float]],
                dots: list[tuple[float, float]], xlim: tuple[float, float]) -> tuple[float, float, str]:
    """Where a point's label goes: the first of right, left, above-right, below-right, above-left,
    below-left whose box (text width ``tw``, 12 high) meets no placed label and no other hub's dot
    and stays within ``xlim``; else to the right."""
    tries = [(x + 9, y + 3.5, "start"), (x - 9, y + 3.5, "end"), (x + 6, y - 9, "start"), (x + 6, y + 15, "start"),
             (x - 6, y - 9, "end"), (x - 6, y + 15, "end")]
    for lx, ly, anchor in tries:
        bx = lx - tw if anchor == "end" else lx
        by = ly - 9
        if bx < xlim[0] or bx + tw > xlim[1]:
            continue
        if any(bx < ox + ow and ox < bx + tw and by < oy + oh and oy < by + 12 for ox, oy, ow, oh in boxes):
            continue
        if any((dx, dy) != (x, y) and bx - 7 < dx < bx + tw + 7 and by - 7 < dy < by + 19 for dx, dy in dots):
            continue
        return lx, ly, anchor
    return tries[0]
# ---------------------------------------------------------------- audit: correlations, importance

_DIVERGING = ((178, 24, 43), (239, 138, 98), (247, 247, 247), (103, 169, 207), (33, 102, 172))  # RdBu, 5 stops


def corr_color(r: float) -> str:
    """Diverging red–white–blue for a correlation r in [-1, 1] (negative red, positive blue)."""
    f = (min(1.0, max(-1.0, r)) + 1) / 2
    k = f * (len(_DIVERGING) - 1)
    i = min(int(k), len(_DIVERGING) - 2)
    return _blend(_DIVERGING[i], _DIVERGING[i + 1], k - i)


def corr_matrix(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]], *, title: str,
                desc: str, legend: str, split: int | None = None, uid: str | None = None) -> Markup:
    """A correlation heat map: rows × cols of cells coloured on [-1, 1] with r printed (2 decimals),
    NaN cells "—"; a gap before column ``split`` (the children's own block, then the parent and
    the index); a colour legend from −1 to 1 underneath."""
    size = 11
    cell_h = 22
    label_w = min(200.0, max((text_width(r, size) for r in rows), default=40) + 12)
    col_w = max(58.0, min(96.0, max((text_width(c, size) for c in cols), default=40) / 1.8 + 12))
    head_lines = [wrap(c, col_w - 4, size, 3) for c in cols]
    head_h = 8 + 13 * max((len(h) for h in head_lines), default=1)
    gap = 10.0 if split is not None and 0 < split < len(cols) else 0.0

    def cx(j: int) -> float:
        return label_w + j * col_w + (gap if split is not None and j >= split else 0.0)

    width = max(label_w + col_w * len(cols) + gap + 4, 320.0)
    grid_h = head_h + cell_h * len(rows)
    height = grid_h + 52
    parts = []
    for j, h in enumerate(head_lines):
        parts.append(_lines_text(cx(j) + col_w / 2, head_h / 2, h, size=size, anchor="middle", cls="axis-label"))
    for i, r in enumerate(rows):
        y = head_h + i * cell_h
        parts.append(_text(label_w - 6, y + cell_h / 2 + 4, wrap(r, label_w - 10, size, 1)[0], size=size,
                           anchor="end", cls="axis-label"))
        for j in range(len(cols)):
            v = values[i][j] if j < len(values[i]) else float("nan")
            x = cx(j)
            if _ok(v):
                v = float(v)
                parts.append(f'<rect class="cell" data-value="{v:.6g}" x="{_f(x)}" y="{_f(y)}" '
                             f'width="{_f(col_w - 1)}" height="{cell_h - 1}" fill="{corr_color(v)}"/>')
                parts.append(_text(x + col_w / 2, y + cell_h / 2 + 4, f"{v:.2f}".replace("-", "−"), size=10.5,
                                   anchor="middle", color="#ffffff" if abs(v) > 0.6 else INK))
            else:
                parts.append(f'<rect class="cell gap" x="{_f(x)}" y="{_f(y)}" width="{_f(col_w - 1)}" '
                             f'height="{cell_h - 1}" fill="#f2f2f2"/>')
                parts.append(_text(x + col_w / 2, y + cell_h / 2 + 4, "—", size=10, anchor="middle", color=AXIS))
    # legend: a 200 px ramp from −1 to 1
    lx, ly, lw = label_w, grid_h + 14, 200.0
    for q in range(40):
        parts.append(f'<rect x="{_f(lx + q * lw / 40)}" y="{_f(ly)}" width="{_f(lw / 40 + 0.5)}" height="10" '
                     f'fill="{corr_color(-1 + 2 * (q + 0.5) / 40)}"/>')
    for v in (-1, -0.5, 0, 0.5, 1):
        x = lx + (v + 1) / 2 * lw
        parts.append(f'<line x1="{_f(x)}" y1="{_f(ly + 10)}" x2="{_f(x)}" y2="{_f(ly + 14)}" stroke="{AXIS}"/>')
        parts.append(_text(x, ly + 25, f"{v:g}".replace("-", "−"), size=10, anchor="middle", color=AXIS))
    parts.append(_text(lx + lw + 10, ly + 9, legend, size=10.5, color=AXIS))
    return _svg(width, height, title, desc, "".join(parts), cls="corr", uid=uid)


def importance_vs_weight(labels: Sequence[str], weights: Sequence[float], shares: Sequence[float], *, title: str,
                         desc: str, x_label: str, y_label: str, diag_label: str, uid: str | None = None) -> Markup:
    """Each child's effective importance share (y) against its nominal weight (x), both on one
    scale from 0, with the diagonal y = x (importance as the weight says) drawn dashed."""
    w, h, ml, mr, mt, mb = 520.0, 340.0, 52.0, 150.0, 22.0, 44.0
    pw, ph = w - ml - mr, h - mt - mb
    vals = [float(v) for v in list(weights) + list(shares) if _ok(v)]
    top = min(1.0, max(0.1, max(vals, default=0.1) * 1.15))
    ticks = [t for t in nice_ticks(0.0, top, 5) if 0 <= t <= top + 1e-12]

    def px(v: float) -> float:
        return ml + v / top * pw

    def py(v: float) -> float:
        return mt + ph - v / top * ph

    parts = []
    for t in ticks:
        parts.append(f'<line x1="{_f(px(0))}" y1="{_f(py(t))}" x2="{_f(px(top))}" y2="{_f(py(t))}" stroke="{GRID}"/>')
        parts.append(_text(ml - 6, py(t) + 4, f"{t * 100:.0f}%", size=10, anchor="end", color=AXIS))
        parts.append(_text(px(t), mt + ph + 15, f"{t * 100:.0f}%", size=10, anchor="middle", color=AXIS))
    parts.append(f'<line class="diagonal" x1="{_f(px(0))}" y1="{_f(py(0))}" x2="{_f(px(top))}" y2="{_f(py(top))}" '
                 f'stroke="{AXIS}" stroke-dasharray="5 4"/>')
    parts.append(_text(px(top) - 4, py(top) + 14, diag_label, size=10, anchor="end", color=AXIS))
    parts.append(_text(ml + pw / 2, h - 6, x_label, size=11, anchor="middle", cls="axis-label"))
    parts.append(f'<text x="12" y="{_f(mt + ph / 2)}" font-size="11" fill="{INK}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {_f(mt + ph / 2)})" class="axis-label">{escape(y_label)}</text>')
    items = sorted(((float(wv), float(sv), lab) for wv, sv, lab in zip(weights, shares, labels)
                    if _ok(wv) and _ok(sv)), key=lambda t: -t[1])
    placed: list[tuple[float, float, float]] = []  # (x0, x1, y) of the labels drawn
    for k, (wv, sv, lab) in enumerate(items):
        color = PALETTE[k % len(PALETTE)]
        x, y = px(wv), py(sv)
        parts.append(f'<circle class="point" data-weight="{wv:.6g}" data-share="{sv:.6g}" cx="{_f(x)}" cy="{_f(y)}" '
                     f'r="5" fill="{color}"/>')
        # the label beside its point, moved down while it would overlap a label already drawn
        text = wrap(lab, 150, 10.5, 1)[0]
        tw = text_width(text, 10.5)
        right = x + 8 + tw <= w - 4
        x0 = x + 8 if right else x - 8 - tw
        ly = y + 4
        while any(abs(ly - py0) < 12 and x0 < b and a < x0 + tw for a, b, py0 in placed):
            ly += 12
        placed.append((x0, x0 + tw, ly))
        parts.append(_text(x + 8 if right else x - 8, ly, text, size=10.5, color=color,
                           anchor="start" if right else "end"))
    return _svg(w, h, title, desc, "".join(parts), cls="importance", uid=uid)
