"""``records(df)`` of the report context: exactly ``df.to_dict("records")`` — the same values of the same types."""

from __future__ import annotations


import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from evalkit.report.context.prepared import _flags, records


def _same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)
        for k in x:
            assert type(x[k]) is type(y[k]), (k, x[k], y[k])
            assert x[k] == y[k] or (pd.isna(x[k]) and pd.isna(y[k]))


def test_every_kind_of_column():
    df = pd.DataFrame({
        "unit": ["a", "b", None], "year": np.array([2020, 2021, 2022]), "score": [1.5, float("nan"), -0.0],
        "flag": [True, False, True], "n": pd.array([1, None, 3], dtype="Int64"),
        "ok": pd.array([True, None, False], dtype="boolean"),
        "obj": pd.Series([np.int64(4), "x", np.float64(2.5)], dtype=object),
        "when": pd.to_datetime(["2020-01-01", None, "2021-05-06"]),
        "cat": pd.Categorical(["p", "q", "p"]),
    })
    _same(records(df), df.to_dict("records"))
    assert records(df)[2]["n"] == 3 and type(records(df)[0]["obj"]) is int   # numpy scalars become Python's
    _same(records(df.iloc[:0]), df.iloc[:0].to_dict("records"))
    _same(records(pd.DataFrame(index=range(2))), pd.DataFrame(index=range(2)).to_dict("records"))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=5)), st.integers(-10**9, 10**9),
                          st.floats(allow_nan=True), st.booleans()), max_size=20))
def test_any_long_table(rows):
    df = pd.DataFrame(rows, columns=["unit", "year", "value", "flag"])
    _same(records(df), df.to_dict("records"))


def test_flags_read_like_truthy():
    assert _flags(pd.Series([True, False])).tolist() == [True, False]
    assert _flags(pd.Series(["yes", "0", None, 1.0, float("nan")], dtype=object)) == [True, False, False, True, False]
