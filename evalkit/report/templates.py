"""Where the report templates are, and the process's jinja2 Environment for them.

Every page module of the report package (scorecards, overview, region, robustness,
compare, plan) finds its templates here; nothing outside the package needs to know
where they live.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import context as C


def templates_dir() -> Path:
    """``<repo>/reports`` in a checkout, ``<package>/_bundled/reports`` when installed."""
    pkg = Path(__file__).resolve().parent.parent          # .../evalkit
    checkout = pkg.parent / "reports"
    if (checkout / "scorecard.html.j2").is_file():
        return checkout
    return pkg / "_bundled" / "reports"


_ENV: dict[str, jinja2.Environment] = {}


def environment(templates: Path) -> jinja2.Environment:
    """The process's Environment for ``templates`` (built once)."""
    key = str(Path(templates).resolve())
    env = _ENV.get(key)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(key),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        env.globals["css"] = C.css_markup((Path(key) / "style.css").read_text(encoding="utf-8"))
        env.get_template("scorecard.html.j2")
        env.get_template("overview.html.j2")
        _ENV[key] = env
    return env
