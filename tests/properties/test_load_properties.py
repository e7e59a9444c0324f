"""Loading values: the row order and the form (long or wide) of the file change nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import Problems
from evalkit.load import load_tree
from evalkit.load.data import load_units, load_values

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = FIXTURES / "base"

_p = Problems()
TREE = load_tree(BASE / "tree.yaml", _p)
UNITS = load_units(BASE / "units.csv", _p)
assert not _p.items
COLS = ("gov_online", "gov_wait", "tr_signal", "tr_delay", "he_online", "beds", "pop")
YEARS = (2020, 2021, 2022)

# a cell: missing (in one of the spellings), or a finite number; plus its status
cell = st.one_of(
    st.sampled_from(["", "NA", "-"]),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
)
status = st.sampled_from(["", "final", "provisional"])
N_CELLS = len(UNITS.ids) * len(YEARS) * len(COLS)


def _some_data(cells):
    """Every column keeps one number (in the last unit-year), and every year one (in the last unit's
    first column): a column or a year with no data at all is an error."""
    cells = list(cells)
    for j in range(len(COLS)):
        cells[N_CELLS - len(COLS) + j] = (str(j + 0.5), cells[N_CELLS - len(COLS) + j][1])
    last_unit = N_CELLS - len(YEARS) * len(COLS)
    for t in range(len(YEARS)):
        k = last_unit + t * len(COLS)
        cells[k] = (str(t + 0.25), cells[k][1])
    return cells


panel_cells = st.lists(st.tuples(cell, status), min_size=N_CELLS, max_size=N_CELLS).map(_some_data)


def _long_rows(cells) -> list[str]:
    rows, k = [], 0
    for u in UNITS.ids:
        for y in YEARS:
            for c in COLS:
                v, s = cells[k]
                k += 1
                rows.append(f"{u},{y},{c},{v},{s}")
    return rows


def _wide_text(cells) -> str:
    # the wide form has one status per row: use the first cell's for the whole row in both forms
    lines, k = ["unit,year," + ",".join(COLS) + ",status"], 0
    fixed = []
    for u in UNITS.ids:
        for y in YEARS:
            vals = [cells[k + i][0] for i in range(len(COLS))]
            s = cells[k][1]
            fixed += [(v, s) for v in vals]
            lines.append(f"{u},{y}," + ",".join(vals) + f",{s}")
            k += len(COLS)
    return "\n".join(lines) + "\n", fixed


def _load(text: str):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "values.csv"
        path.write_text(text, encoding="utf-8")
        problems = Problems()
        panel = load_values(path, TREE, UNITS, (2020, 2022), problems)
    assert not problems.items, [str(p) for p in problems.items]
    return panel


def _same(a, b) -> None:
    np.testing.assert_array_equal(a.values, b.values)  # NaN == NaN here
    np.testing.assert_array_equal(a.flags, b.flags)
    assert a.units == b.units and a.years == b.years and a.columns == b.columns


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cells=panel_cells, data=st.data())
def test_shuffling_rows_changes_nothing(cells, data):
    rows = _long_rows(cells)
    shuffled = data.draw(st.permutations(rows))
    header = "unit,year,indicator,value,status\n"
    a = _load(header + "\n".join(rows) + "\n")
    b = _load(header + "\n".join(shuffled) + "\n")
    _same(a, b)
    assert a.values[~np.isnan(a.values)].size == sum(v not in ("", "NA", "-") for v, _ in cells)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cells=panel_cells, drop=st.sets(st.integers(0, len(UNITS.ids) * len(YEARS) - 2), max_size=4))
def test_long_and_wide_forms_load_to_the_same_panel(cells, drop):
    wide, fixed = _wide_text(cells)
    lines = wide.splitlines()
    # drop whole unit-years from both forms: absent rows are missing values too
    keep = [ln for i, ln in enumerate(lines[1:]) if i not in drop]
    wide = "\n".join([lines[0]] + keep) + "\n"
    long_rows = [r for i, r in enumerate(_long_rows(fixed)) if i // len(COLS) not in drop]
    a = _load("unit,year,indicator,value,status\n" + "\n".join(long_rows) + "\n")
    b = _load(wide)
    _same(a, b)
