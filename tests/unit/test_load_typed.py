"""The typed read of a long CSV: the same panel and the same problems as the text read, or none at all.

``load_values`` reads a long CSV with types (floats parsed by the CSV reader, ids as
categoricals over the known ids) and falls back to the text read for anything the typed
read cannot take.  The reference here is the text read itself (``read_table`` then
``load_values`` on its frame, named like the file) and, for the numbers, Python's
``float`` of each cell as the csv module reads it.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import Problems
from evalkit.load import load_tree
from evalkit.load.data import MISSING_TOKENS, _read_long_typed, load_units, load_values, read_table
from evalkit.load.yamlnodes import display_path
from evalkit.panel import PROVISIONAL

BASE = Path(__file__).resolve().parents[1] / "fixtures" / "base"
_p = Problems()
TREE = load_tree(BASE / "tree.yaml", _p)
UNITS = load_units(BASE / "units.csv", _p)
assert not _p.items
IND = TREE.leaf_ids + tuple(v.id for v in TREE.variables)
GIVEN = ("gov_online", "gov_wait", "tr_signal", "tr_delay", "he_online", "beds", "pop")  # he_beds is derived


def _both(path: Path, years=(2020, 2022), units=UNITS, columns=None):
    """(panel, problems) of the file read as usual, and of its text read."""
    p1, p2 = Problems(), Problems()
    typed = load_values(path, TREE, units, years, p1, columns=columns)
    text_df = read_table(path, p2)
    text = load_values(text_df, TREE, units, years, p2, file=display_path(path), columns=columns) \
        if text_df is not None else None
    return (typed, p1), (text, p2)


def _same(a, b):
    (pa, qa), (pb, qb) = a, b
    assert [str(p) for p in qa.items] == [str(p) for p in qb.items]
    assert (pa is None) == (pb is None)
    if pa is not None:
        assert pa.units == pb.units and pa.years == pb.years and pa.columns == pb.columns
        np.testing.assert_array_equal(pa.values, pb.values)
        np.testing.assert_array_equal(pa.flags, pb.flags)
        np.testing.assert_array_equal(pa.rows, pb.rows)


def _write(tmp: Path, lines: list[str], name="values.csv") -> Path:
    path = tmp / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clean_file_is_read_typed_with_pythons_numbers(tmp_path):
    rng = np.random.default_rng(3)
    lines = ["unit,year,indicator,value,status"]
    for u in UNITS.ids:
        for y in (2019, 2020, 2021, 2022):
            for c in GIVEN:
                x = float(rng.normal(0, 10) * 10.0 ** rng.integers(-8, 9))
                text = str(rng.choice([repr(x), f"{x:.6g}", f"{x:.3e}", " " + f"{x:.4f}", "", "NA", "-", "N/A"]))
                lines.append(f"{u},{y},{c},{text},{rng.choice(['', 'final', 'provisional'])}")
    path = _write(tmp_path, lines)
    assert _read_long_typed(path, IND, UNITS, None, None) is not None  # the typed path is taken
    typed, text = _both(path)
    _same(typed, text)
    panel, problems = typed
    assert [p.code for p in problems.items] == ["year-outside"]  # 2019 left out, with one warning
    # every number is Python's float of the cell as written; the status marks provisional cells
    with open(path, newline="", encoding="utf-8") as f:
        for k, r in enumerate(csv.DictReader(f)):
            if r["year"] == "2019":
                continue
            cell = (UNITS.ids.index(r["unit"]), int(r["year"]) - 2020, IND.index(r["indicator"]))
            v = r["value"].strip()
            if v in MISSING_TOKENS:
                assert np.isnan(panel.values[cell])
            else:
                assert panel.values[cell] == float(v)
            assert panel.rows[cell] == k + 2
            assert bool(panel.flags[cell] & PROVISIONAL) == (r["status"] == "provisional")


@pytest.mark.parametrize("bad", [
    "320500 ,2020,gov_online,1",      # an id padded on the right
    "320500,2020,gov_online,inf",     # a number the text read rejects
    "320500,2020,gov_online,1e999",   # an overflow
    "320500,2020,gov_online,1_000",   # Python reads it, the CSV reader does not
    "320500,2020,gov_online,NAN",     # not a missing token
    ",,,",                            # a blank row: skipped by the text read
    "320500,2020.0,gov_online,1",     # a year spelled as a decimal
    "999999,2020,gov_online,1",       # an unknown unit
    "320500,2020,no_such,1",          # an unknown indicator
    "320500,2020,gov_online,1,2",     # a row longer than the header
    "320500,1850,gov_online,1",       # a year the typed read does not know: outside the years, warned
])
def test_anything_unusual_takes_the_text_path_with_its_messages(tmp_path, bad):
    lines = ["unit,year,indicator,value"] + [f"{u},{y},{c},{k + 1}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN)]
    lines.insert(5, bad)
    path = _write(tmp_path, lines)
    assert _read_long_typed(path, IND, UNITS, None, None) is None
    typed, text = _both(path)
    _same(typed, text)
    if bad == ",,,":  # skipped, and the panel is whole
        assert not typed[1].items and np.isfinite(typed[0].values[:, :, [IND.index(c) for c in GIVEN]]).all()
    else:  # the row is reported (or warned about), at its spreadsheet row
        assert any(p.pos.line == 6 for p in typed[1].items)


def test_derived_indicator_given_is_reported_by_the_typed_read_as_by_the_text_read(tmp_path):
    lines = ["unit,year,indicator,value"] + [f"{u},{y},{c},{k + 1}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN + ("he_beds",))]
    path = _write(tmp_path, lines)
    assert _read_long_typed(path, IND, UNITS, None, None) is not None
    typed, text = _both(path)
    _same(typed, text)
    assert typed[0] is None and [p.code for p in typed[1].errors] == ["derived-given"] * 12  # 4 units x 3 years
    assert typed[1].errors[0].pos.line == 2 + len(GIVEN)


def test_mapped_headers_and_no_units_file(tmp_path):
    lines = ["城市,年份,指标,数值"] + [f"{u},{y},{c},{k * 0.5}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN)]
    path = _write(tmp_path, lines)
    cols = {"unit": "城市", "year": "年份", "indicator": "指标", "value": "数值"}
    assert _read_long_typed(path, IND, None, cols, None) is not None
    typed, text = _both(path, units=None, columns=cols)
    _same(typed, text)
    assert typed[0].units == UNITS.ids  # the file's ids, in order of first appearance
    assert typed[0].values[1, 2, IND.index("gov_wait")] == (7 * 3 + 2 * 7 + 1) * 0.5


def test_gb18030_file_is_read_typed(tmp_path):
    lines = ["unit,year,indicator,value,note"] + [f"{u},{y},{c},{k},备注{k}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN)]
    path = tmp_path / "values.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    assert _read_long_typed(path, IND, UNITS, None, None) is not None
    _same(*_both(path))


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_names_as_ids_in_either_encoding(tmp_path, encoding):
    names = {"320500": "苏州", "341300": "宿州", "321200": "泰州", "331000": "台州"}
    lines = ["unit,year,indicator,value"] + [f"{names[u]},{y},{c},{k}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN)]
    path = tmp_path / "values.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    assert _read_long_typed(path, IND, None, None, None) is not None
    typed, text = _both(path, units=None)
    _same(typed, text)
    assert typed[0].units == tuple(names.values())


def test_undecodable_file_is_reported_by_the_text_read(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(b"unit,year,indicator,value\n320500,2020,gov_online,1\n320500,2021,gov_online,\xff\xfe\x81\n")
    assert _read_long_typed(path, IND, UNITS, None, None) is None
    typed, text = _both(path)
    _same(typed, text)
    assert [(p.code, p.pos.line) for p in typed[1].items] == [("undecodable", 3)]


cell = st.one_of(
    st.sampled_from(list(MISSING_TOKENS) + [" NA", "inf", "x", "1,5"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.5g}"),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from(UNITS.ids + ("000001",)), st.sampled_from(["2019", "2020", "2022"]),
                               st.sampled_from(GIVEN), cell), min_size=1, max_size=40))
def test_typed_and_text_reads_agree(rows):
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), ["unit,year,indicator,value"] + [",".join(r) if "," not in r[3] else
                                                                 ",".join(r[:3]) + f',"{r[3]}"' for r in rows])
        _same(*_both(path))


def _wide(tmp: Path, cells: list[list[str]], header=("unit", "year") + GIVEN, units=UNITS.ids) -> Path:
    lines = [",".join(header)]
    k = 0
    for u in units:
        for y in ("2020", "2021", "2022"):
            lines.append(",".join([u, y] + cells[k % len(cells)]))
            k += 1
    return _write(tmp, lines)


def test_wide_file_is_read_typed(tmp_path):
    path = _wide(tmp_path, [["1.5", "", "NA", "-2e-3", " 7", "0.1", "3"], ["2", "3", "4", "5", "6", "7", "8"]])
    assert _read_long_typed(path, IND, UNITS, None, None) is not None
    typed, text = _both(path)
    _same(typed, text)
    v = typed[0].values
    assert v[0, 0, IND.index("gov_online")] == 1.5 and np.isnan(v[0, 0, IND.index("gov_wait")])
    assert v[0, 0, IND.index("tr_delay")] == float("-2e-3") and v[0, 1, IND.index("pop")] == 8.0
    assert typed[0].rows[1, 0, IND.index("beds")] == 5  # unit 2, 2020: the fourth data row


@pytest.mark.parametrize("cells,header", [
    ([["1", "x", "3", "4", "5", "6", "7"]], None),                        # not a number
    ([["1", "2", "3", "4", "5", "6", "inf"]], None),                      # infinite
    ([["1", "2", "3", "4", "5", "6", "7"]], ("unit", "year") + GIVEN[:-1] + ("no_such",)),  # unknown column
])
def test_wide_file_with_a_problem_takes_the_text_path(tmp_path, cells, header):
    path = _wide(tmp_path, cells, header or ("unit", "year") + GIVEN)
    assert _read_long_typed(path, IND, UNITS, None, None) is None
    typed, text = _both(path)
    _same(typed, text)
    assert typed[1].errors


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(st.lists(cell.filter(lambda c: "," not in c), min_size=len(GIVEN), max_size=len(GIVEN)),
                      min_size=1, max_size=6))
def test_typed_and_text_reads_agree_on_wide_files(cells):
    with tempfile.TemporaryDirectory() as d:
        _same(*_both(_wide(Path(d), cells)))


# (numbers beyond ±1e18 are refused as implausible: see the test after this one)
HARD_NUMBERS = ["0.1000000000000000055511151231257827", "2.2250738585072011e-308", "4.9406564584124654e-324",
                "9.999999999999999e17", "9007199254740993", "0.30000000000000004", "123456789012345678",
                "-0.0", "1e-320", "3.14159265358979323846264338327950288", ".5", "5.", "+7", "1E5"]


def test_hard_numbers_are_pythons_floats(tmp_path):
    lines = ["unit,year,indicator,value"] + [f"320500,2020,{c},{HARD_NUMBERS[k % len(HARD_NUMBERS)]}"
                                              for k, c in enumerate(GIVEN)]
    lines += [f"320500,2021,{c},{HARD_NUMBERS[(k + len(GIVEN)) % len(HARD_NUMBERS)]}" for k, c in enumerate(GIVEN)]
    path = _write(tmp_path, lines)
    assert _read_long_typed(path, IND, UNITS, None, None) is not None
    panel = load_values(path, TREE, UNITS, (2020, 2021), Problems())
    for y in (0, 1):
        for k, c in enumerate(GIVEN):
            want = float(HARD_NUMBERS[(k + y * len(GIVEN)) % len(HARD_NUMBERS)])
            got = panel.values[0, y, IND.index(c)]
            assert got == want and np.signbit(got) == np.signbit(want)


@pytest.mark.parametrize("cell", ["1e308", "-2e19", "1e300"])
def test_a_value_beyond_the_plausible_magnitude_is_located_by_both_reads(tmp_path, cell):
    lines = ["unit,year,indicator,value"] + [f"{u},{y},{c},{k + 1}" for k, (u, y, c) in enumerate(
        (u, y, c) for u in UNITS.ids for y in (2020, 2021, 2022) for c in GIVEN)]
    lines[5] = lines[5].rsplit(",", 1)[0] + "," + cell
    path = _write(tmp_path, lines)
    typed, text = _both(path)
    _same(typed, text)
    hits = [p for p in typed[1].errors if p.code == "value-out-of-range"]
    assert len(hits) == 1 and hits[0].pos.line == 6 and "beyond ±1e+18" in hits[0].message
