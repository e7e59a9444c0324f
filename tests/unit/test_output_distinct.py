"""Per-distinct-value shortcuts of the CSV writer: the same cells as pandas' per-row operations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from evalkit.output import _LEAD_PATTERN, _leading, safe_frame, safe_text
from evalkit.run import _map_distinct

texts = st.lists(st.one_of(st.none(), st.sampled_from(["=A1", "+1", "-x", "@", "\tt", "\rr", "a", "北京", "", " =",
                                                       "1-2"]), st.text(max_size=4)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from([object, "str"]))
def test_leading_matches_the_per_row_pattern(values, dtype):
    s = pd.Series(values, dtype=dtype)
    expected = s.str.match(_LEAD_PATTERN, na=False).to_numpy(dtype=bool)
    got = _leading(s)
    assert got.dtype == bool and got.tolist() == expected.tolist()


@settings(max_examples=60, deadline=None)
@given(texts)
def test_map_distinct_equals_map(values):
    s = pd.Series(values, dtype="str")
    names = {"a": "甲", "=A1": "公式"}

    def f(u):
        return names.get(str(u), "")

    assert _map_distinct(s, f).tolist() == s.map(f).tolist()
    assert _map_distinct(s, f).index.equals(s.index)


def test_safe_frame_neutralises_repeated_formula_texts_each_time():
    df = pd.DataFrame({"unit": ["=A1", "b", "=A1", None], "x": [1.0, np.nan, 2.0, 3.0]})
    out = safe_frame(df)
    assert out["unit"].tolist()[:3] == [safe_text("=A1"), "b", safe_text("=A1")] and safe_text("=A1") == "'=A1"
    assert pd.isna(out["unit"].iloc[3]) and out["x"].equals(df["x"])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.integers(1, 7))
def test_csv_pieces_join_to_the_whole_text(n, rows):
    from evalkit.output import csv_pieces, csv_text

    rng = np.random.default_rng(n)
    scores = rng.normal(size=n) * 10.0 ** rng.integers(-9, 9, n)
    df = pd.DataFrame({"unit": pd.Series([f"u{k}" if k % 5 else "=x,\"y\"" for k in range(n)], dtype="str"),
                       "year": np.arange(n, dtype=np.int64), "score": scores,
                       "rank": pd.array([k if k % 3 else None for k in range(n)], dtype="Int64"),
                       "flag": np.arange(n) % 2 == 0})
    df.loc[df.index[::4], "score"] = np.nan
    pieces = list(csv_pieces(df, rows))
    assert "".join(pieces) == csv_text(df)
    assert len(pieces) == max(1, -(-n // rows))  # the header alone for an empty table
