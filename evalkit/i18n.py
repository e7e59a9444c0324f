"""evalkit's texts (zh / en), read from one catalogue per language: ``locale/zh.yaml``, ``locale/en.yaml``.

Every fixed text of the pages, of results.xlsx and of the terminal comes from these files (this module
sits in the core layer, so that every layer can use them), which a translator edits
without reading code (flat ``key: text`` mappings, the same keys in both); names of nodes come from
the tree (``Names``).  ``t(key, lang, **kw)`` formats a text with ``str.format``; an unknown key is a
bug (KeyError), so a typo fails the tests rather than printing a blank.  Templates see the whole
catalogue of their language as ``L`` (``L.key``).  The files are read once per process, with the
safe loader.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGS = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def _read(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / f"{lang}.yaml"
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(doc, dict):
        raise ValueError(f"{path.name}: expected `key: text` lines")
    bad = [k for k, v in doc.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:  # e.g. `yes` or `1` unquoted: YAML reads them as a boolean or a number
        raise ValueError(f"{path.name}: the text of {', '.join(map(str, bad))} is not a string: put it in quotes")
    return doc


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text in ``lang`` ("zh"; anything else: "en"), unformatted (for templates: ``L.key``)."""
    return _read("zh" if lang == "zh" else "en")


def section(prefix: str, lang: str) -> dict[str, str]:
    """The texts whose keys start with ``prefix``, by the rest of the key (``section("plan_", "zh")["title"]``)."""
    return {k[len(prefix):]: v for k, v in catalogue(lang).items() if k.startswith(prefix)}


def t(key: str, lang: str, **kw) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), formatted with ``kw``."""
    msg = catalogue(lang)[key]
    return msg.format(**kw) if kw else msg
