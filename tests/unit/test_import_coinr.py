"""`evalkit import coinr`: COINr's iData + iMeta -> an evalkit project; bad tables -> located problems."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.cli import main
from evalkit.errors import UserError
from evalkit.importers.coinr import import_coinr

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "fixtures" / "reference" / "coinr-asem"
EXAMPLE = ROOT / "examples" / "asem"

META = """\
iCode,iName,Level,Parent,Direction,Weight,Type,Unit,Denominator
x1,Exports,1,P1,1,1,Indicator,USD,Pop
x2,Tariffs,1,P1,-1,3,Indicator,%,NA
x3,Roads,1,P2,1,1,Indicator,km,NA
P1,Pillar one,2,Idx,1,2,Aggregate,,NA
P2,Pillar two,2,Idx,1,1,Aggregate,,NA
Idx,Index,3,NA,1,1,Aggregate,,NA
Region,Region,NA,NA,NA,NA,Group,,NA
Pop,Population,NA,NA,NA,NA,Denominator,thousands,NA
"""
DATA = """\
uCode,uName,Time,Region,Pop,x1,x2,x3
AAA,Aland,2020,North,10,100,5,1
BBB,Bland,2020,North,20,NA,7,2
CCC,Cland,2020,South,40,80,NA,4
DDD,Dland,2020,South,5,10,2,8
"""


def _write(tmp_path: Path, meta: str = META, data: str = DATA) -> tuple[Path, Path]:
    m, d = tmp_path / "iMeta.csv", tmp_path / "iData.csv"
    m.write_text(meta, encoding="utf-8")
    d.write_text(data, encoding="utf-8")
    return d, m


def _problems(tmp_path: Path, meta: str = META, data: str = DATA, **kw) -> list[str]:
    d, m = _write(tmp_path, meta, data)
    with pytest.raises(UserError) as e:
        import_coinr(d, m, tmp_path / "out", **kw)
    assert not (tmp_path / "out" / "evalkit.yaml").exists()  # nothing written
    return [str(p) for p in e.value.problems]


# ----------------------------------------------------------------------------- a small index


def test_small_index_tree_weights_formula_and_scores(tmp_path):
    d, m = _write(tmp_path)
    s = import_coinr(d, m, tmp_path / "proj")
    assert (s.n_units, s.years, s.n_indicators, s.n_groups, s.group) == (4, (2020,), 3, 3, "Region")
    assert s.denominated == ("x1",)
    tree = (tmp_path / "proj" / "tree.yaml").read_text(encoding="utf-8")
    assert 'formula: "x1_raw / Pop"' in tree and "direction: cost" in tree
    weights = (tmp_path / "proj" / "weights.yaml").read_text(encoding="utf-8")
    assert "P1:\n    method: fixed\n    weights: {x1: 0.25, x2: 0.75}" in weights
    assert "Idx:\n    method: fixed\n    weights: {P1: 0.6666666666666666, P2: 0.3333333333333333}" in weights
    units = pd.read_csv(tmp_path / "proj" / "units.csv")
    assert units["group"].tolist() == ["North", "North", "South", "South"]

    r = evalkit.score(evalkit.load_project(tmp_path / "proj" / "evalkit.yaml"))
    x = r.prepared.x_imputed[:, 0, :]
    # x1 = x1_raw / Pop: 10, NA, 2, 2; BBB's gap gets the North mean (10); CCC's x2 the South mean (2)
    np.testing.assert_allclose(x[:, 0], [10.0, 10.0, 2.0, 2.0])
    np.testing.assert_allclose(x[:, 1], [5.0, 7.0, 2.0, 2.0])
    # min-max onto [0, 100], x2 a cost; P1 = (x1 + 3·x2) / 4, Idx = (2·P1 + P2) / 3
    z1 = np.array([100.0, 100.0, 0.0, 0.0])
    z2 = np.array([40.0, 0.0, 100.0, 100.0])
    p1 = 0.25 * z1 + 0.75 * z2
    p2 = np.array([0.0, 1.0, 3.0, 7.0]) / 7 * 100
    np.testing.assert_allclose(r.node_scores("P1")[:, 0], p1, atol=1e-12)
    np.testing.assert_allclose(r.node_scores("Idx")[:, 0], (2 * p1 + p2) / 3, atol=1e-12)


def test_scale_factor_column_is_written_into_the_formula(tmp_path):
    meta = META.replace(",Denominator\n", ",Denominator,ScaleFactor\n", 1)
    meta = "\n".join(ln + (",1000" if ln.startswith("x1,") else ",NA") if i else ln
                     for i, ln in enumerate(meta.splitlines())) + "\n"
    d, m = _write(tmp_path, meta)
    import_coinr(d, m, tmp_path / "proj")
    assert 'formula: "x1_raw / (Pop / 1000.0)"' in (tmp_path / "proj" / "tree.yaml").read_text(encoding="utf-8")
    r = evalkit.score(evalkit.load_project(tmp_path / "proj" / "evalkit.yaml"))
    assert r.prepared.x_raw[0, 0, 0] == 100 / (10 / 1000)  # COINr: x / (denominator / ScaleFactor)


def test_no_time_column_takes_the_year_argument_and_no_group_imputes_the_mean(tmp_path):
    data = "\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i not in (2, 3))
                     for ln in DATA.splitlines()) + "\n"
    meta = "\n".join(ln for ln in META.splitlines() if not ln.startswith("Region")) + "\n"
    d, m = _write(tmp_path, meta, data)
    s = import_coinr(d, m, tmp_path / "proj", year=2019)
    assert s.years == (2019,) and s.group is None
    text = (tmp_path / "proj" / "evalkit.yaml").read_text(encoding="utf-8")
    assert "impute: {chain: [mean]}" in text
    assert set(pd.read_csv(tmp_path / "proj" / "units.csv")["group"]) == {"all"}


def test_cli_import_exit_0_then_1_without_force(tmp_path, capsys):
    d, m = _write(tmp_path)
    assert main(["import", "coinr", str(d), str(m), str(tmp_path / "proj")]) == 0
    assert "4 units, 2020, 3 indicators (1 denominated)" in capsys.readouterr().out
    assert main(["import", "coinr", str(d), str(m), str(tmp_path / "proj")]) == 1
    err = capsys.readouterr().err
    assert "already exist" in err and "--force" in err and "Traceback" not in err
    assert main(["import", "coinr", str(d), str(m), str(tmp_path / "proj"), "--force"]) == 0


def test_cli_unknown_format_is_a_command_line_error(tmp_path, capsys):
    d, m = _write(tmp_path)
    assert main(["import", "excel", str(d), str(m), str(tmp_path / "p")]) == 2


# ----------------------------------------------------------------------------- bad inputs


def test_missing_imeta_columns_are_named(tmp_path):
    meta = META.replace("Parent,", "Mother,", 1)
    [line] = _problems(tmp_path, meta)
    assert re.match(r".*iMeta\.csv:1: iMeta lacks column Parent", line)


def test_unknown_parent_is_located_with_the_options(tmp_path):
    meta = META.replace("x3,Roads,1,P2", "x3,Roads,1,P3")
    lines = _problems(tmp_path, meta)
    assert any(re.match(r".*iMeta\.csv:4: Parent 'P3' of 'x3' is not an Aggregate code in iMeta "
                        r"\(allowed: Idx, P1, P2\)", ln) for ln in lines), lines
    assert any("Aggregate 'P2' has no children" in ln for ln in lines)


def test_several_problems_are_all_reported(tmp_path):
    meta = (META.replace("x2,Tariffs,1,P1,-1,3", "x2,Tariffs,1,P1,0,three")
            .replace("x1,Exports,1,P1,1,1,Indicator,USD,Pop", "x1,Exports,1,P1,1,1,Indicator,USD,Pops"))
    lines = _problems(tmp_path, meta)
    assert any(":3: Direction '0' of 'x2' must be 1" in ln for ln in lines), lines
    assert any(":3: Weight 'three' of 'x2' is not a number" in ln for ln in lines), lines


def test_unknown_denominator_and_missing_indicator_column(tmp_path):
    meta = META.replace("x1,Exports,1,P1,1,1,Indicator,USD,Pop", "x1,Exports,1,P1,1,1,Indicator,USD,Pops")
    data = DATA.replace(",x3\n", ",x4\n", 1)
    lines = _problems(tmp_path, meta, data)
    assert any(re.match(r".*iMeta\.csv:2: Denominator 'Pops' of 'x1' has no column in .*iData\.csv "
                        r"\(did you mean 'Pop'\?\)", ln) for ln in lines), lines
    assert any(re.match(r".*iMeta\.csv:4: indicator 'x3' has no column in .*iData\.csv", ln) for ln in lines), lines


def test_bad_data_rows_are_located(tmp_path):
    data = DATA.replace("BBB,Bland,2020,North,20,NA,7,2", "BBB,Bland,2020,North,20,n/a?,7,2") + \
        "AAA,Aland,2020,North,10,1,1,1\nindex,Idx,2020,North,1,1,1,1\n"
    lines = _problems(tmp_path, data=data)
    assert any(re.match(r".*iData\.csv:3: value 'n/a\?' of BBB / x1_raw|.*iData\.csv:3: value 'n/a\?' of BBB", ln)
               for ln in lines), lines
    assert any(re.match(r".*iData\.csv:6: unit AAA, year 2020 is given twice \(first at row 2\)", ln)
               for ln in lines), lines
    assert any(re.match(r".*iData\.csv:7: uCode 'index' is reserved", ln) for ln in lines), lines


def test_unknown_group_and_missing_time(tmp_path):
    data = "\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i != 2) for ln in DATA.splitlines()) + "\n"
    lines = _problems(tmp_path, data=data, group="Regoin")
    assert any("group column 'Regoin' is not in iData (did you mean 'Region'?)" in ln for ln in lines), lines
    assert any("iData has no Time column: give the data's year with --year" in ln for ln in lines), lines


def test_two_roots_and_a_bad_type(tmp_path):
    meta = META.replace("P2,Pillar two,2,Idx", "P2,Pillar two,2,NA").replace(",Group,", ",Grup,")
    lines = _problems(tmp_path, meta)
    assert any("Aggregates without a Parent (P2, Idx)" in ln or "Aggregates without a Parent" in ln
               for ln in lines), lines
    assert any("Type 'Grup' of 'Region' is not one of" in ln and "did you mean 'Group'" in ln for ln in lines)


def test_missing_input_file(tmp_path):
    with pytest.raises(UserError) as e:
        import_coinr(tmp_path / "nope.csv", tmp_path / "nada.csv", tmp_path / "out")
    assert len(e.value.problems) == 2 and all("file not found" in str(p) for p in e.value.problems)


# ----------------------------------------------------------------------------- the ASEM example


def test_asem_import_reproduces_examples_asem(tmp_path):
    """examples/asem is this converter's output, untouched (comment lines aside)."""
    s = import_coinr(REF / "ASEM_iData.csv", REF / "ASEM_iMeta.csv", tmp_path / "asem", group="EurAsia_group")
    assert (s.n_units, s.n_indicators, len(s.denominated), s.n_groups) == (51, 49, 17, 11)
    for name in ("evalkit.yaml", "tree.yaml", "weights.yaml", "values.csv", "units.csv"):
        mine = [ln for ln in (tmp_path / "asem" / name).read_text(encoding="utf-8").splitlines()
                if not ln.startswith("#")]
        theirs = [ln for ln in (EXAMPLE / name).read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
        assert mine == theirs, name


def test_cli_bad_tables_exit_1_with_located_lines_and_nothing_written(tmp_path, capsys):
    d, m = _write(tmp_path, META.replace("x3,Roads,1,P2", "x3,Roads,1,P9"))
    assert main(["import", "coinr", str(d), str(m), str(tmp_path / "proj")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(re.match(r".*iMeta\.csv:4: Parent 'P9' of 'x3' is not an Aggregate code", ln) for ln in err), err
    assert err[-1].startswith("evalkit: 2 problems found") and not (tmp_path / "proj").exists()
