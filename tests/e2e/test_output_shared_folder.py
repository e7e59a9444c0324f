"""Commands writing into one output folder never delete each other's outputs without saying so."""

import shutil
from pathlib import Path

import pytest

from evalkit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture()
def project(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "base", folder)
    return folder


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
