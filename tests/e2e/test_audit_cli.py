"""`evalkit audit` and `evalkit run --audit` end to end: files, columns, messages, exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
ASEM = ROOT / "examples" / "asem"
FILES = ("audit-correlations.csv", "audit-nodes.csv", "audit-indicators.csv")


def _copy_asem(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in ASEM.iterdir():
        if f.is_file():
            (folder / f.name).write_bytes(f.read_bytes())
    if extra:
        p = folder / "evalkit.yaml"
        p.write_text(p.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return folder / "evalkit.yaml"


def test_audit_adds_its_tables_to_the_output_folder(tmp_path, capsys):
    project = _copy_asem(tmp_path / "p")
    out = tmp_path / "out"
    assert main(["run", str(project), "--out", str(out)]) == 0
    before = (out / "results.csv").read_bytes()
    assert not any((out / f).exists() for f in FILES)  # a run without --audit writes no audit
    capsys.readouterr()
    assert main(["audit", str(project), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "findings (all years pooled):" in printed or "no findings" in printed
    assert "wrote" in printed and "audit-nodes.csv" in printed
    assert (out / "results.csv").read_bytes() == before  # merged in, nothing else touched
    corr = pd.read_csv(out / "audit-correlations.csv", keep_default_na=False, na_values=[""])
    assert list(corr.columns) == ["scope", "year", "node", "child", "with", "relation", "pearson", "spearman", "n",
                                  "flag_zh", "flag_en"]
    assert set(corr.relation) == {"parent", "sibling", "index"} and set(corr.scope) == {"year", "pooled"}
    nodes = pd.read_csv(out / "audit-nodes.csv")
    assert {"alpha", "eigenvalue", "loading_pc1", "importance", "importance_ratio", "weight"} <= set(nodes.columns)
    ind = pd.read_csv(out / "audit-indicators.csv")
    assert len(ind) == 2 * 49  # 2018 and pooled, 49 indicators
    # every flag printed is in a table
    flagged = set(corr.flag_en.dropna()) | set(nodes.flag_en.dropna())
    for line in printed.splitlines()[1:-1]:
        assert any(line.strip() in f for f in flagged), line


def test_run_with_audit_writes_the_same_tables(tmp_path, capsys):
    project = _copy_asem(tmp_path / "p")
    assert main(["audit", str(project), "--out", str(tmp_path / "a")]) == 0
    assert main(["run", str(project), "--out", str(tmp_path / "r"), "--audit"]) == 0
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "r" / f).read_bytes(), f


def test_bad_audit_setting_exits_1_with_the_line_and_writes_nothing(tmp_path, capsys):
    project = _copy_asem(tmp_path / "p", "audit: {collinear: 1.2}\n")
    line = (tmp_path / "p" / "evalkit.yaml").read_text(encoding="utf-8").count("\n")
    out = tmp_path / "out"
    assert main(["audit", str(project), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"evalkit.yaml:{line}:" in err and "audit.collinear must be in (0, 1], found 1.2" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("argv", [["audit", "--help"]])
def test_audit_help(argv, capsys):
    assert main(argv) == 0
    assert "--out" in capsys.readouterr().out


def test_audit_refuses_a_folder_evalkit_did_not_write(tmp_path, capsys):
    project = _copy_asem(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("kept", encoding="utf-8")
    assert main(["audit", str(project), "--out", str(out)]) == 1
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
