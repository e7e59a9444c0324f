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


# the Environment's options: compiled code depends on them, so they are part of every cache entry's name
OPTIONS = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
               auto_reload=False)


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache of compiled templates, in a folder private to the user (:func:`cache_folder`): a run
    loads the templates' Python code instead of compiling them again (a tenth of a second).  An entry is used
    only for the template text it was compiled from (jinja2 compares a checksum of the source), and its name
    holds the evalkit and jinja2 versions and the Environment's options (code compiled with other options,
    say without autoescaping, is never loaded); jinja2 adds the Python version.  An entry that cannot be
    read or written is passed over: the template is then compiled."""

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


def cache_folder() -> Path | None:
    """``$EVALKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evalkit/templates`` (``~/.cache/evalkit/templates``),
    made with mode 0700 where missing; None unless it is then a real folder (not a link) owned by this user
    and closed to others. An existing path is never changed (no chmod: a planted link must not make evalkit
    change the mode of what it points to); a shared temporary directory is never used."""
    import os
    import stat

    base = os.environ.get("EVALKIT_CACHE_DIR")
    if base:
        folder = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        home = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        folder = home / "evalkit" / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except (OSError, RuntimeError):  # no home, a read-only file system
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return folder


def _template_cache() -> jinja2.BytecodeCache | None:
    """The cache of compiled templates; None when its folder is not safe to use (or ``EVALKIT_TEMPLATE_CACHE=0``)."""
    import hashlib
    import os

    from ..version import __version__

    if os.environ.get("EVALKIT_TEMPLATE_CACHE", "").strip() == "0":
        return None
    folder = cache_folder()
    if folder is None:
        return None
    options = sorted((k, getattr(v, "__name__", repr(v))) for k, v in OPTIONS.items())
    key = hashlib.sha256(repr((__version__, jinja2.__version__, options)).encode()).hexdigest()[:16]
    return _TemplateCache(directory=str(folder), pattern=f"__evalkit_{key}_%s.cache")


def environment(templates: Path) -> jinja2.Environment:
    """The process's Environment for ``templates`` (built once)."""
    key = str(Path(templates).resolve())
    env = _ENV.get(key)
    if env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(key), bytecode_cache=_template_cache(), **OPTIONS)
        env.globals["css"] = C.css_markup((Path(key) / "style.css").read_text(encoding="utf-8"))
        env.get_template("scorecard.html.j2")
        env.get_template("overview.html.j2")
        _ENV[key] = env
    return env
