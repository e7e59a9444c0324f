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


def _marker(kind: str, x: float, y: float, color: str, r: float = 3.2) -> str:
    if kind == "square":
        return (f'<rect x="{_f(x - r)}" y="{_f(y - r)}" width="{_f(2 * r)}" height="{_f(2 * r)}" '
                f'fill="{color}"/>')
    if kind == "diamond":
        return (f'<polygon points="{_f(x)},{_f(y - r * 1.3)} {_f(x + r * 1.3)},{_f(y)} '
                f'{_f(x)},{_f(y + r * 1.3)} {_f(x - r * 1.3)},{_f(y)}" fill="{color}"/>')
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{color}"/>'


def _legend(series: Sequence[Series], x: float, y: float, width: float, *, size: float = 12,
            kind: str = "line") -> tuple[str, float]:
    """A legend laid out in rows within ``width``; returns (svg, height used)."""
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
          desc: str, size: float = 300, uid: str | None = None, rings: int = 5) -> Markup:
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
    legend_svg, legend_h = _legend(series, 10, low + 18, width - 20)
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
        for p in pts:
            if p is not None:
                parts.append(_marker(s.marker, p[0], p[1], s.color, 2.6))
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, height, title, desc, "".join(parts), cls="radar", uid=uid)


# ---------------------------------------------------------------- bars

def grouped_bars(categories: Sequence[str], series: Sequence[Series], *, lo: float, hi: float,
                 title: str, desc: str, width: float = 620, height: float = 240,
                 value_labels: bool = True, fmt: Callable[[float], str] = lambda v: f"{v:.1f}",
                 uid: str | None = None) -> Markup:
    """Vertical grouped bars: one group per category, one bar per series.

    A bar of value v has height ``plot_h · (clip(v) − lo)/(hi − lo)`` and its
    top at ``y0 − height`` (``y0``, ``plot_h`` on the plot group as
    ``data-y0``, ``data-h``); a NaN draws no bar, only a "—" at the baseline.
    """
    size = 11
    left, right, top = 40, 10, 14
    ncat = max(1, len(categories))
    group_w = (width - left - right) / ncat
    lab_lines = [wrap(c, group_w - 6, size, 2) for c in categories]
    bottom = 12 + 14 * max((len(x) for x in lab_lines), default=1)
    legend_svg, legend_h = _legend(series, left, height + 8, width - left - right, kind="bar")
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
    for ci, cat in enumerate(categories):
        gx = left + group_w * ci + (group_w - bar_w * ns) / 2
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else float("nan")
            x = gx + bar_w * si
            if _ok(v):
                f = min(1.0, max(0.0, (float(v) - lo) / (hi - lo)))
                h = plot_h * f
                op = "0.9" if not s.dash else "0.55"
                parts.append(f'<rect class="bar" data-series="{si}" data-cat="{ci}" data-value="{float(v):.6g}" '
                             f'x="{_f(x + 1)}" y="{_f(y0 - h)}" width="{_f(bar_w - 2)}" height="{_f(h)}" '
                             f'fill="{s.color}" fill-opacity="{op}"/>')
                if value_labels and bar_w >= 16:
                    parts.append(_text(x + bar_w / 2, y0 - h - 3, fmt(float(v)), size=9, anchor="middle",
                                       color=INK))
            else:
                parts.append(_text(x + bar_w / 2, y0 - 3, "—", size=10, anchor="middle", color=AXIS,
                                   cls="gap"))
        parts.append(_lines_text(left + group_w * (ci + 0.5), y0 + 8 + 7 * len(lab_lines[ci]),
                                 lab_lines[ci], size=size, anchor="middle", cls="axis-label"))
    parts.append(f'<line x1="{left}" y1="{_f(y0)}" x2="{_f(width - right)}" y2="{_f(y0)}" stroke="{AXIS}"/>')
    parts.append("</g>")
    parts.append(legend_svg)
    return _svg(width, total_h, title, desc, "".join(parts), cls="bars", uid=uid)


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
          uid: str | None = None) -> Markup:
    """Line chart over ``xs`` (years).  With ``fit`` the y axis is zoomed to the
    data (rounded outward to ticks, within [lo, hi]).  NaN breaks a line."""
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
    legend_svg, legend_h = _legend(series, left, height + 4, width - left - right)
    total_h = height + legend_h + 4
    plot_h = height - top - bottom
    plot_w = width - left - right
    n = len(xs)

    def px(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

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
                parts.append(_marker(s.marker, px(i), py(float(v)), s.color, 2.6))
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

def rank_interval(items: Sequence[tuple[str, float, float, float]], *, n_units: int, title: str, desc: str,
                  width: float = 560, uid: str | None = None) -> Markup:
    """Dot (nominal rank) and whisker (interval lo..hi) per item on a rank axis
    1..n_units, best (1) at the left.  x(rank) = x0 + w·(rank − 1)/(n_units − 1)."""
    size = 12
    row_h = 26
    label_w = min(200.0, max((text_width(s[0], size) for s in items), default=40) + 12)
    x0, x1 = label_w + 8, width - 16
    w = x1 - x0
    top = 8
    height = top + row_h * len(items) + 30

    def px(rank: float) -> float:
        return x0 + (w * (rank - 1) / (n_units - 1) if n_units > 1 else w / 2)

    parts = [f'<g class="plot" data-x0="{_f(x0)}" data-w="{_f(w)}" data-n="{n_units}">']
    axis_y = top + row_h * len(items) + 4
    parts.append(f'<line x1="{_f(x0)}" y1="{_f(axis_y)}" x2="{_f(x1)}" y2="{_f(axis_y)}" stroke="{AXIS}"/>')
    ticks = [t for t in nice_ticks(1, n_units, 6) if t >= 1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else n_units
    # 1 and n always shown; a round tick too close to either is dropped (no overlapping labels)
    ticks = [1] + [t for t in ticks if t - 1 >= step / 2 and n_units - t >= step / 2] + [n_units]
    for tv in sorted(set(ticks)):
        x = px(tv)
        parts.append(f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(axis_y + 3)}" stroke="{GRID}"/>')
        parts.append(_text(x, axis_y + 16, f"{tv:g}", size=10, anchor="middle", color=AXIS))
    for i, (lab, nom, lo, hi) in enumerate(items):
        y = top + i * row_h + row_h / 2
        parts.append(_text(label_w, y + 4, wrap(lab, label_w - 8, size, 1)[0], size=size, anchor="end",
                           cls="axis-label"))
        if _ok(lo) and _ok(hi):
            parts.append(f'<line class="whisker" x1="{_f(px(lo))}" y1="{_f(y)}" x2="{_f(px(hi))}" y2="{_f(y)}" '
                         f'stroke="{CITY}" stroke-width="2.5"/>')
            for e in (lo, hi):
                parts.append(f'<line x1="{_f(px(e))}" y1="{_f(y - 6)}" x2="{_f(px(e))}" y2="{_f(y + 6)}" '
                             f'stroke="{CITY}" stroke-width="2"/>')
        if _ok(nom):
            parts.append(f'<circle class="dot" cx="{_f(px(nom))}" cy="{_f(y)}" r="5" fill="{GROUP}" '
                         f'stroke="#ffffff" stroke-width="1"/>')
    parts.append("</g>")
    return _svg(width, height, title, desc, "".join(parts), cls="rankint", uid=uid)
