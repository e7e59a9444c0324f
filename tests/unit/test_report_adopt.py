"""A Prepared built before the last tables were made, then adopted by the run's full ReportInput, equals the
Prepared built from that input (``run --jobs`` builds the pages' arrays while DEA is computed elsewhere)."""

from __future__ import annotations

import pickle

import pytest

from evalkit.analysis.tables import all_tables
from evalkit.load import load_inputs
from evalkit.pipeline import score
from evalkit.report.context.prepared import Prepared, adopt, prepared
from evalkit.report.render import environment, render_scorecard, templates_dir
from evalkit.run import report_input


@pytest.fixture(scope="module")
def demo():
    inputs = load_inputs(None)
    result = score(inputs)
    return result, all_tables(result, inputs.targets)


def test_adopted_prepared_equals_a_fresh_one(demo):
    result, tables = demo
    frames = {"results": result.to_frame(), "weights": result.weights_frame()}
    early = {k: v for k, v in tables.items() if k not in ("efficiency", "malmquist", "convergence")}
    p = Prepared(report_input(result, early, **frames, man={"inputs": {}}))
    assert "efficiency" not in p.tables
    inp = report_input(result, tables, **frames)
    assert adopt(p, inp) is p and prepared(inp) is p and p.inp is inp
    fresh = Prepared(report_input(result, tables, **frames))
    assert set(p.tables) == set(fresh.tables) and "efficiency" in p.tables
    for name in fresh.tables:  # pickles compare NaN cells too
        assert pickle.dumps(p.tables[name]) == pickle.dumps(fresh.tables[name]), name
        assert pickle.dumps(p.table_years[name]) == pickle.dumps(fresh.table_years[name]), name
    env = environment(templates_dir())
    unit, year = fresh.unit_ids[3], fresh.years[-1]
    assert render_scorecard(p, env, unit, year, "zh") == render_scorecard(fresh, env, unit, year, "zh")
