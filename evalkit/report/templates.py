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


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache of compiled templates, in its folder of the system's temporary directory (made
    private to this user, checked so before use): a run loads the templates' Python code instead of
    compiling them again (a tenth of a second).  An entry is used only for the template text it was
    compiled from (jinja2 compares a checksum of the source) and the same Python version; a folder or
    entry that cannot be read or written is passed over: the templates are then compiled."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # an unreadable entry: compiled instead
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except Exception:  # a full disk, a read-only folder: nothing is kept, nothing fails
            pass


def _template_cache() -> jinja2.BytecodeCache | None:
    """The cache of compiled templates; None when its folder cannot be made safely (or
    ``EVALKIT_TEMPLATE_CACHE=0``)."""
    import os

    if os.environ.get("EVALKIT_TEMPLATE_CACHE", "").strip() == "0":
        return None
    try:
        return _TemplateCache(pattern="__evalkit_%s.cache")
    except Exception:  # no safe temporary folder (shared, another owner): no cache
        return None


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
            bytecode_cache=_template_cache(),
        )
        env.globals["css"] = C.css_markup((Path(key) / "style.css").read_text(encoding="utf-8"))
        env.get_template("scorecard.html.j2")
        env.get_template("overview.html.j2")
        _ENV[key] = env
    return env
