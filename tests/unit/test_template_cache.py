"""The cache of compiled templates: the same pages from cached code, a changed template recompiled, a
broken entry or an unusable folder passed over, and none with EVALKIT_TEMPLATE_CACHE=0."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from evalkit.report import templates as T


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The system's temporary directory moved to tmp_path (jinja2 makes its cache folder there), and a fresh
    set of environments."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(T, "_ENV", {})
    monkeypatch.delenv("EVALKIT_TEMPLATE_CACHE", raising=False)
    return tmp_path


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "reports"
    shutil.copytree(T.templates_dir(), src)
    return src


def _entries(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("_jinja2-cache-*/__evalkit_*.cache"))


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
    folder = next(private_tmp.glob("_jinja2-cache-*"))
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
