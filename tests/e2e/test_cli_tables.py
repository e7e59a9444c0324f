"""`evalkit weights --format csv|markdown|latex` (the table a paper prints) and `evalkit run --tables-only`."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main


def _wide(capsys, *args) -> str:
    assert main(["weights", *args]) == 0
    return capsys.readouterr().out


def test_weights_csv_is_one_row_per_indicator_with_its_level_weights(project, capsys):
    df = pd.read_csv(io.StringIO(_wide(capsys, str(project / "evalkit.yaml"), "--format", "csv")))
    assert list(df.columns) == ["level1", "level1_name", "level1_weight", "level2", "level2_name", "level2_weight",
                                "indicator", "name", "local_weight", "global_weight"]
    assert df["global_weight"].sum() == pytest.approx(1.0)
    # leaves sit directly under level 1 here: global = level-1 weight × local weight, no level 2
    assert np.allclose(df["global_weight"], df["level1_weight"] * df["local_weight"])
    assert df["level2"].isna().all()


def test_weights_csv_with_per_year_weights_has_a_column_per_year(project, capsys):
    (project / "scheme.yaml").write_text("default: {method: entropy, by: year}\n", encoding="utf-8")
    df = pd.read_csv(io.StringIO(_wide(capsys, str(project / "evalkit.yaml"), "--format", "csv")))
    years = [c for c in df.columns if c.startswith("global_")]
    assert years == ["global_2020", "global_2021", "global_2022"]
    assert np.allclose(df[years].sum(axis=0), 1.0)


def test_weights_markdown_and_latex(project, capsys):
    md = _wide(capsys, str(project / "evalkit.yaml"), "--format", "markdown", "--lang", "en").splitlines()
    assert md[0].startswith("| level1 | level1_name | level1_weight |") and md[1].startswith("| --- | --- | ---: |")
    assert len(md) == 2 + 6  # header, rule, one line per indicator
    tex = _wide(capsys, str(project / "evalkit.yaml"), "--format", "latex")
    assert tex.startswith("\\begin{tabular}{llrllrllrr}\n\\toprule\nlevel1 & level1\\_name")
    assert tex.rstrip().endswith("\\bottomrule\n\\end{tabular}")
    assert "gov\\_online" in tex


def test_weights_text_stays_the_default(project, capsys):
    out = _wide(capsys, str(project / "evalkit.yaml"))
    assert out.splitlines()[0].split()[:3] == ["node", "name", "method"]


def test_run_tables_only_writes_no_pages(project, capsys):
    out = project / "out"
    assert main(["run", str(project / "evalkit.yaml"), "--tables-only", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"results.csv", "weights.csv", "results.xlsx", "manifest.json", "obstacles.csv"} <= names
    assert not list(out.rglob("*.html"))
    assert "无页面" in capsys.readouterr().out                     # the project speaks Chinese


def test_run_tables_only_with_pdf_is_a_command_line_error(project, capsys):
    assert main(["run", str(project / "evalkit.yaml"), "--tables-only", "--pdf"]) == 2
    assert "not allowed with" in capsys.readouterr().err
