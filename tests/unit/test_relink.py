"""Renewing the overviews' page list: only the list evalkit wrote is replaced, by what the next run writes."""

from __future__ import annotations

from pathlib import Path

from evalkit.report.links import page_links
from evalkit.report.relink import relink_overviews

NAV = ('<nav class="page-nav extra-pages" aria-label="专题页面"><a href="region.html">区域差异与收敛</a> · '
       '<a href="methods.html">方法说明（附件）</a></nav>')


def _folder(tmp_path: Path, nav: str, *, pages=("region.html", "methods.html")) -> tuple[Path, Path]:
    target, staged = tmp_path / "out", tmp_path / "staged"
    (target / "2024").mkdir(parents=True)
    (staged / "2024").mkdir(parents=True)
    for name in pages:
        (target / "2024" / name).write_text("<p>", encoding="utf-8")
    page = f'<!DOCTYPE html>\n<html lang="zh-CN">\n<body><header>{nav}</header><main>表</main></body></html>\n'
    (target / "2024" / "index.html").write_bytes(page.encode("utf-8"))
    return target, staged


def test_a_new_page_is_listed_in_order_and_nothing_else_changes(tmp_path):
    target, staged = _folder(tmp_path, NAV)
    (staged / "2024" / "audit.html").write_text("<p>", encoding="utf-8")          # the page being added
    assert relink_overviews(target, staged) == ["2024/index.html"]
    new = (staged / "2024" / "index.html").read_text(encoding="utf-8")
    assert [e["href"] for e in page_links({"region", "audit", "methods"}, "zh")] == \
        ["region.html", "audit.html", "methods.html"]
    assert ('<a href="region.html">区域差异与收敛</a> · <a href="audit.html">统计审计</a> · '
            '<a href="methods.html">方法说明（附件）</a></nav>') in new
    old = (target / "2024" / "index.html").read_text(encoding="utf-8")
    assert new.replace(new[new.index("<nav"):new.index("</nav>")], "") == \
        old.replace(old[old.index("<nav"):old.index("</nav>")], "")
    assert old.count("<nav") == 1                                                # the original is untouched


def test_an_unchanged_list_writes_nothing(tmp_path):
    target, staged = _folder(tmp_path, NAV)
    assert relink_overviews(target, staged) == [] and not (staged / "2024" / "index.html").exists()


def test_a_list_edited_by_hand_or_an_undecodable_page_is_left_alone(tmp_path):
    edited = NAV.replace("</nav>", "<section>notes kept by the office</section></nav>")
    target, staged = _folder(tmp_path, edited)
    (staged / "2024" / "audit.html").write_text("<p>", encoding="utf-8")
    assert relink_overviews(target, staged) == []
    (target / "2024" / "index.html").write_bytes(b"<html lang=\"zh-CN\">\xff\xfe" + NAV.encode("utf-8"))
    assert relink_overviews(target, staged) == []
