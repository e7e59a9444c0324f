"""The cache of compiled templates: the same pages from cached code, a changed template recompiled, a
broken entry or an unusable folder passed over, code compiled with other options never loaded, a folder
that is not the user's alone (or a link) not used and not changed, and none with EVALKIT_TEMPLATE_CACHE=0."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from evalkit.report import templates as T


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The cache folder in tmp_path/cache, and a fresh set of environments."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(T, "_ENV", {})
    monkeypatch.delenv("EVALKIT_TEMPLATE_CACHE", raising=False)
    return tmp_path


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "reports"
    shutil.copytree(T.templates_dir(), src)
    return src


def _entries(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("cache/__evalkit_*.cache"))


def test_pages_from_cached_code_equal_compiled_ones_and_a_changed_template_is_recompiled(private_tmp, monkeypatch):
    src = _folder(private_tmp)
    first = T.environment(src).get_template("_macros.html.j2").module.delta(
        {"cls": "up", "arrow": "▲", "text": "+1.0"})
    entries = _entries(private_tmp)
    assert entries and all(p.stat().st_mode & 0o077 == 0 for p in entries)  # the user's alone
    monkeypatch.setattr(T, "_ENV", {})
    env = T.environment(src)
    again = env.get_template("_macros.html.j2").module.delta({"cls": "up", "arrow": "▲", "text": "+1.0"})
    assert str(again) == str(first) and '<span class="delta up">' in str(first)
    # a changed source: its checksum differs, so the cached code is not used
    (src / "_macros.html.j2").write_text((src / "_macros.html.j2").read_text(encoding="utf-8").replace(
        '<span class="delta', '<span class="delta changed'), encoding="utf-8")
    monkeypatch.setattr(T, "_ENV", {})
    changed = T.environment(src).get_template("_macros.html.j2").module.delta(
        {"cls": "up", "arrow": "▲", "text": "+1.0"})
    assert '<span class="delta changed up">' in str(changed)


def test_a_broken_entry_or_folder_is_passed_over(private_tmp, monkeypatch):
    src = _folder(private_tmp)
    T.environment(src)
    for p in _entries(private_tmp):
        p.write_bytes(b"not a cache entry")
    monkeypatch.setattr(T, "_ENV", {})
    env = T.environment(src)  # compiles again
    assert env.get_template("_macros.html.j2").module.measure("km") == '<span class="measure">km</span>'
    folder = private_tmp / "cache"
    shutil.rmtree(folder)
    folder.write_text("a file where the folder should be")
    monkeypatch.setattr(T, "_ENV", {})
    assert T._template_cache() is None  # no usable folder: no cache, the templates still compile
    assert T.environment(src).get_template("_macros.html.j2").module.measure("") == ""


def test_no_cache_when_turned_off(private_tmp, monkeypatch):
    monkeypatch.setenv("EVALKIT_TEMPLATE_CACHE", "0")
    assert T._template_cache() is None
    T.environment(_folder(private_tmp))
    assert _entries(private_tmp) == []


def test_code_compiled_with_other_options_is_never_loaded(private_tmp, monkeypatch):
    """An entry's name holds the options (and the versions): code an Environment without autoescaping compiled
    into the same folder (say, an earlier evalkit's) is not loaded by the report's Environment, which escapes."""
    import jinja2

    src = _folder(private_tmp)
    (src / "x.html.j2").write_text("{{ x }}", encoding="utf-8")
    opts = dict(T.OPTIONS)
    monkeypatch.setattr(T, "OPTIONS", {**opts, "autoescape": False})
    other = T._template_cache()
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(str(src)), bytecode_cache=other, **T.OPTIONS)
    assert plain.get_template("x.html.j2").render(x="<b>") == "<b>"
    assert _entries(private_tmp)                                                # its code is in the folder
    monkeypatch.setattr(T, "OPTIONS", opts)
    assert T._template_cache().pattern != other.pattern
    assert T.environment(src).get_template("x.html.j2").render(x="<b>") == "&lt;b&gt;"


def test_a_folder_not_the_users_alone_is_not_used_nor_changed(private_tmp):
    shared = private_tmp / "cache"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    assert T.cache_folder() is None and T._template_cache() is None
    assert shared.stat().st_mode & 0o777 == 0o755                               # left as it was
    shared.rmdir()
    victim = private_tmp / "victim"
    victim.mkdir()
    os.chmod(victim, 0o755)
    shared.symlink_to(victim)                                                   # a link planted in its place
    assert T.cache_folder() is None
    assert victim.stat().st_mode & 0o777 == 0o755


def test_the_default_folder_is_in_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert T.cache_folder() == tmp_path / "xdg" / "evalkit" / "templates"
    assert (tmp_path / "xdg" / "evalkit" / "templates").stat().st_mode & 0o077 == 0
