"""The page ``<year>/plan-<unit id>.html`` of ``evalkit plan --report``.

The plan itself (the linear programme, its texts and formatting) is computed by
:mod:`evalkit.plan`; this module only lays it out with the report templates.
"""

from __future__ import annotations

from ..plan import Plan, headline, texts
from ..tree import Names
from ..version import __version__
from .templates import environment, templates_dir


def render_plan_page(p: Plan, *, unit_label: str, title: Names, lang: str, synthetic: bool,
                     names: dict[str, str] | None = None) -> str:
    """The page ``<year>/plan-<unit id>.html``: self-contained, CSS inline (reports/style.css).

    names: indicator id -> name in ``lang``, for the indicators the plan holds fixed (ids where absent).
    """
    names = names or {}
    env = environment(templates_dir())  # the report's Environment: its options, the inline style sheet as ``css``
    T = texts(lang)
    rows = [{"indicator": i.indicator, "name": i.name.get(lang), "current": i.shown()[0],
             "needed": i.shown()[1], "change": i.shown()[2],
             "relative": f"{i.relative:.1%}", "measure": i.measure_for(lang)} for i in p.items]
    sep = "、" if lang == "zh" else ", "
    held = [(T.get("reason_" + k.replace(" ", "_"), k), sep.join(names.get(x, x) for x in v)) for k, v in p.held.items() if v]
    return env.get_template("plan.html.j2").render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en", T=T, p=p, rows=rows, held=held,
        unit_label=unit_label, title=title.get(lang), lines=headline(p, lang), synthetic=synthetic,
        generated_by=f"evalkit {__version__}")
