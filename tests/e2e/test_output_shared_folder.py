"""Commands writing into one output folder never delete each other's outputs without saying so."""

from pathlib import Path

from evalkit.cli import main


def test_run_keeps_compare_and_audit_files_and_lists_what_it_drops(project, capsys):
    out = project / "out"
    yaml = str(project / "evalkit.yaml")
    assert main(["run", yaml, "--tables-only", "--out", str(out), "--lang", "en"]) == 0
    # what compare, audit and plan add to the folder, and a file of nobody's
    (out / "compare.csv").write_text("unit\nx\n", encoding="utf-8")
    (out / "compare.html").write_text("<p>c</p>", encoding="utf-8")
    (out / "audit-nodes.csv").write_text("node\n", encoding="utf-8")
    (out / "2023").mkdir()
    (out / "2023" / "plan-u1.html").write_text("<p>p</p>", encoding="utf-8")
    (out / "old-table.csv").write_text("a\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", yaml, "--tables-only", "--out", str(out), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    for name in ("compare.csv", "compare.html", "audit-nodes.csv", "2023/plan-u1.html"):
        assert (out / name).is_file(), name
    assert (out / "compare.csv").read_text(encoding="utf-8") == "unit\nx\n"       # carried over as it was
    assert not (out / "old-table.csv").exists()
    assert "kept files other commands wrote earlier" in err and "compare.csv" in err and "2023/plan-u1.html" in err
    assert "1 files of the output folder are not made by this run and were removed: old-table.csv" in err
    assert (out / ".evalkit-output").is_file()


def test_a_fresh_run_says_nothing_about_kept_or_dropped(project, capsys):
    out = project / "out"
    assert main(["run", str(project / "evalkit.yaml"), "--tables-only", "--out", str(out)]) == 0
    assert main(["run", str(project / "evalkit.yaml"), "--tables-only", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "保留" not in err and "删除" not in err


def test_overview_links_the_compare_page_and_it_links_back(project, capsys):
    out = project / "out"
    yaml = str(project / "evalkit.yaml")
    assert main(["run", yaml, "--out", str(out)]) == 0
    assert main(["compare", yaml, "--set", "normalize.method=zscore", "--out", str(out)]) == 0
    years = sorted(d.name for d in out.iterdir() if d.is_dir() and d.name.isdigit())
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert f'href="{years[-1]}/index.html"' in page                     # back to the overview
    assert main(["run", yaml, "--out", str(out)]) == 0                   # the run keeps compare.html ...
    assert (out / "compare.html").is_file()
    head = (out / years[-1] / "index.html").read_text(encoding="utf-8").split('id="league"', 1)[0]
    assert 'href="../compare.html"' in head                               # ... and its overview links it


def _nav(page: Path) -> list[str]:
    """The hrefs of the overview's list of the year's other pages."""
    import re

    html = page.read_text(encoding="utf-8")
    nav = re.search(r'<nav class="page-nav extra-pages"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None
    return re.findall(r'href="([^"]+)"', nav[1])


def test_pages_added_after_a_run_are_linked_at_once_and_kept_by_the_next_run(project, capsys):
    out = project / "out"
    yaml = str(project / "evalkit.yaml")
    assert main(["run", yaml, "--out", str(out)]) == 0
    year = sorted(d.name for d in out.iterdir() if d.is_dir() and d.name.isdigit())[-1]
    overview = out / year / "index.html"
    before = overview.read_bytes()
    assert _nav(overview) == ["region.html", "methods.html"]
    assert main(["audit", yaml, "--out", str(out)]) == 0
    assert _nav(overview) == ["region.html", "audit.html", "methods.html"]  # linked by the command that added it
    assert main(["compare", yaml, "--set", "normalize.method=zscore", "--out", str(out)]) == 0
    assert main(["explore", yaml, "--out", str(out)]) == 0
    assert _nav(overview) == ["region.html", "../compare.html", "audit.html", "../explore.html", "methods.html"]
    for page in (out / year / "audit.html", out / "compare.html", out / "explore.html"):
        assert f'href="{"" if page.parent.name == year else year + "/"}index.html"' in page.read_text("utf-8")
    # only the list changed: the rest of the overview is the run's
    after = overview.read_text(encoding="utf-8")
    import re
    strip = re.compile(r'<nav class="page-nav extra-pages"[^>]*>.*?</nav>', re.S)
    assert strip.sub("", after) == strip.sub("", before.decode("utf-8"))
    capsys.readouterr()
    assert main(["run", yaml, "--out", str(out)]) == 0                      # the next run keeps all three ...
    err = capsys.readouterr().err
    assert f"{year}/audit.html" in err and "explore.html" in err and "compare.html" in err
    for page in (out / year / "audit.html", out / "compare.html", out / "explore.html"):
        assert page.is_file(), page
    # ... and writes the same overview the commands left, byte for byte
    assert overview.read_text(encoding="utf-8") == after


def test_a_kept_robustness_page_stays_linked(project):
    out = project / "out"
    yaml = str(project / "evalkit.yaml")
    with open(yaml, "a", encoding="utf-8") as fh:
        fh.write("sensitivity: {weights: {noise: 0.2}}\n")
    assert main(["sensitivity", yaml, "--draws", "8", "--out", str(out)]) == 0
    year = sorted(d.name for d in out.iterdir() if d.is_dir() and d.name.isdigit())[-1]
    assert "robustness.html" in _nav(out / year / "index.html")
    assert main(["run", yaml, "--out", str(out)]) == 0                      # no sensitivity this time
    assert (out / year / "robustness.html").is_file()
    assert "robustness.html" in _nav(out / year / "index.html")


def test_every_page_the_overview_lists_from_other_commands_is_kept_by_run():
    from evalkit.output import OTHER_COMMANDS
    from evalkit.report.links import LATER_PAGES

    assert set(LATER_PAGES) <= set(OTHER_COMMANDS)
