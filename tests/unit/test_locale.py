"""The text catalogues (evalkit/locale/*.yaml): complete in both languages, and every key used exists."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from evalkit import i18n
from evalkit.i18n import LANGS, catalogue, t

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _keys_in_code() -> dict[str, str]:
    """Every constant key of a ``t("key", ...)`` call under evalkit/ -> where it is."""
    found = {}
    for path in sorted((ROOT / "evalkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            arg = node.args[0]
            if name == "t" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, f"{path.relative_to(ROOT)}:{node.lineno}")
            elif name == "t" and isinstance(arg, ast.IfExp):   # t("a" if x else "b", lang)
                for branch in (arg.body, arg.orelse):
                    if isinstance(branch, ast.Constant):
                        found.setdefault(branch.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _keys_in_templates() -> dict[str, str]:
    """Every ``L.key`` of the report templates -> where it is."""
    found = {}
    for path in sorted((ROOT / "reports").glob("*.j2")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for key in re.findall(r"\bL\.([A-Za-z_][A-Za-z_0-9]*)", line):
                found.setdefault(key, f"{path.relative_to(ROOT)}:{n}")
    return found


def test_both_languages_have_every_key():
    zh, en = catalogue("zh"), catalogue("en")
    assert sorted(set(zh) - set(en)) == [] and sorted(set(en) - set(zh)) == []
    assert len(zh) > 400


@pytest.mark.parametrize("lang", LANGS)
def test_every_text_is_a_string_with_the_fields_of_the_other_language(lang):
    other = "en" if lang == "zh" else "zh"
    mine, theirs = catalogue(lang), catalogue(other)
    assert all(isinstance(v, str) for v in mine.values())
    differ = {k: (_fields(v), _fields(theirs[k])) for k, v in mine.items() if _fields(v) != _fields(theirs[k])}
    assert differ == {}


def test_every_key_used_in_code_exists():
    used = _keys_in_code()
    assert {"synthetic_stamp", "cp_title", "cli_audit_none"} <= set(used)   # the reader finds them
    missing = {k: where for k, where in used.items() if k not in catalogue("zh")}
    assert missing == {}


def test_every_key_used_in_the_templates_exists():
    used = _keys_in_templates()
    assert len(used) > 50
    missing = {k: where for k, where in used.items() if k not in catalogue("en")}
    assert missing == {}


def test_t_formats_and_an_unknown_key_is_an_error():
    assert t("year_n", "zh", year=2024) == "2024年"
    assert t("year_n", "en", year=2024) == "2024"
    assert t("colon", "fr") == ": "        # anything but zh reads English
    with pytest.raises(KeyError):
        t("no_such_key", "zh")


def test_the_catalogue_is_read_once():
    assert catalogue("zh") is catalogue("zh")


def test_a_text_yaml_reads_as_something_else_is_refused(tmp_path, monkeypatch):
    (tmp_path / "en.yaml").write_text("ok: fine\nyes_word: yes\ncount: 3\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"en.yaml: the text of yes_word, count is not a string: put it in quotes"):
        i18n._read("en")
    (tmp_path / "en.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected `key: text` lines"):
        i18n._read("en")


def test_the_catalogues_load_with_the_safe_loader_only(tmp_path, monkeypatch):
    (tmp_path / "zh.yaml").write_text("x: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(Exception, match="could not determine a constructor"):
        i18n._read("zh")
