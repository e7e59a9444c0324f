"""evalkit.plan: the smallest improvement that lifts a unit to a rank or score.

Every plan is checked by re-scoring the needed values through the real
pipeline (a modified panel, ``evalkit.score``) on projects whose weights and
normalisation bounds do not move with the unit's data (equal or fixed
weights; the unit is never an indicator's minimum and a plan never goes past
the year's best), so "held fixed" and "re-scored" agree.  The LP's optimum is
compared with an exhaustive vertex enumeration whose scores come from the
pipeline, not from plan.py's coefficients.

Source: docs/methods.md#plan; README.md "Command line" (plan); issue "Full-cycle performance management".
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

import evalkit
from evalkit.load import load_inputs
from evalkit.plan import effective_coefficients, goal_problems, plan, plan_frame, unit_scores

from _projects import leaf, load, node, write_project

UNITS = ["u1", "u2", "u3", "u4", "u5"]
YEARS = [2023, 2024]


def _values(n_ind: int, seed: int = 3) -> np.ndarray:
    """(5, 2, n_ind): u1 lowest … u5 highest on benefit columns; u1 is no indicator's extreme."""
    rng = np.random.default_rng(seed)
    base = np.array([30.0, 20.0, 50.0, 70.0, 90.0])  # u2 holds the minimum, u5 the maximum
    x = base[:, None, None] + rng.uniform(0, 5, size=(5, 2, n_ind))
    return x


def _project(tmp: Path, *, tree: dict, values: np.ndarray, scheme: dict | None = None, **kw):
    inputs = load(tmp, tree=tree, values=values, units=UNITS, years=YEARS, scheme=scheme, **kw)
    return evalkit.score(inputs)


def _pipeline_rescore(result, p) -> evalkit.pipeline.Result:
    """Score the project again with the plan's needed values in its panel."""
    inputs = result.inputs
    panel = inputs.panel
    v = np.array(panel.values)
    u, t = panel.units.index(p.unit), panel.years.index(p.year)
    for item in p.items:
        v[u, t, panel.columns.index(item.indicator)] = item.needed
    return evalkit.score(dataclasses.replace(inputs, panel=panel.replace(values=v)))


def _root(result, unit, year) -> float:
    k = result.tree.index[result.tree.root.id]
    return float(result.scores[result.units.index(unit), result.years.index(year), k])


def _rank(result, unit, year) -> int:
    k = result.tree.index[result.tree.root.id]
    return int(result.ranks()[result.units.index(unit), result.years.index(year), k])


TREE3 = node("idx", node("A", leaf("a1"), leaf("a2", "cost", unit="天")), node("B", leaf("b1", unit="%")))


def _values3():
    x = _values(3)
    x[:, :, 1] = 100.0 - x[:, :, 1]  # cost column: u1 is not the best (lowest) either
    return x


# --------------------------------------------------------------------------- reaching the goal


def test_plan_score_goal_reached_when_rescored_through_pipeline(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    s0 = _root(r, "u1", 2024)
    p = plan(r, unit="u1", year=2024, score=s0 + 8.0)
    assert p.status == "reached" and p.exact and p.method == "linprog-highs"
    r2 = _pipeline_rescore(r, p)
    assert _root(r2, "u1", 2024) == pytest.approx(s0 + 8.0, abs=1e-6)
    assert p.achieved_score == pytest.approx(s0 + 8.0, abs=1e-6)
    # other units untouched
    assert np.array_equal(np.delete(r2.scores, 0, axis=0), np.delete(r.scores, 0, axis=0))


def test_plan_rank_goal_reached_when_rescored_through_pipeline(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    assert _rank(r, "u1", 2024) == 4
    p = plan(r, unit="u1", year=2024, rank=3)
    assert p.status == "reached" and p.achieved_rank == 3
    r2 = _pipeline_rescore(r, p)
    assert _rank(r2, "u1", 2024) == 3
    # the goal is u3's score plus a hair: the plan is not wasteful
    assert _root(r2, "u1", 2024) == pytest.approx(_root(r, "u3", 2024), abs=1e-6)


def test_plan_changes_only_in_the_good_direction_and_within_the_years_best(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    p = plan(r, unit="u1", year=2024, rank=2)
    x = r.prepared.x[:, 1, :]
    for item in p.items:
        j = r.tree.leaf_ids.index(item.indicator)
        if item.direction == "benefit":
            assert 0 < item.change and item.needed <= x[:, j].max() + 1e-12
        else:
            assert item.change < 0 and item.needed >= x[:, j].min() - 1e-12
        assert item.measure == r.tree.by_id[item.indicator].unit


def test_plan_already_at_goal_needs_nothing(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    p = plan(r, unit="u5", year=2024, rank=2)
    assert p.status == "already" and p.items == () and p.current_rank == 1
    p = plan(r, unit="u3", year=2024, score=_root(r, "u3", 2024))
    assert p.status == "already"


def test_plan_unreachable_is_an_answer_not_an_error(tmp_path):
    tree = node("idx", node("A", leaf("a1", max_change=0.01), leaf("a2", "cost", max_change=0.01)),
                node("B", leaf("b1", max_change=0.01)))
    r = _project(tmp_path, tree=tree, values=_values3())
    p = plan(r, unit="u1", year=2024, rank=1)
    assert p.status == "unreachable" and p.items == ()
    assert p.best_score < p.goal_score
    assert list(plan_frame(p).columns) == ["indicator", "current", "needed", "change", "measure"]
    assert plan_frame(p).empty


# --------------------------------------------------------------------------- optimality: brute force


def _vertex_optimum(r, unit, year, goal, ub, cost):
    """Exhaustive vertex enumeration of min Σ c_j d_j / |x_j| s.t. score ≥ goal, 0 ≤ d ≤ ub.

    The score is measured by the pipeline: at each vertex all but one variable
    sit at 0 or their bound, the last is solved from two pipeline scores (the
    score is linear in it between them).
    """
    panel = r.inputs.panel
    u, t = panel.units.index(unit), panel.years.index(year)
    ids = list(ub)
    x0 = {i: float(panel.values[u, t, panel.columns.index(i)]) for i in ids}
    sign = {i: (1.0 if r.tree.by_id[i].direction == "benefit" else -1.0) for i in ids}

    def score_at(d):
        v = np.array(panel.values)
        for i in ids:
            v[u, t, panel.columns.index(i)] = x0[i] + sign[i] * d[i]
        rr = evalkit.score(dataclasses.replace(r.inputs, panel=panel.replace(values=v)))
        return _root(rr, unit, year)

    best = np.inf
    for k in ids:
        rest = [i for i in ids if i != k]
        for ends in itertools.product([0, 1], repeat=len(rest)):
            d = {i: (ub[i] if e else 0.0) for i, e in zip(rest, ends)}
            lo = score_at({**d, k: 0.0})
            hi = score_at({**d, k: ub[k]})
            if hi < goal - 1e-12:
                continue
            dk = 0.0 if lo >= goal else ub[k] * (goal - lo) / (hi - lo)
            d[k] = dk
            best = min(best, sum(cost[i] * d[i] / abs(x0[i]) for i in ids))
    return best


@pytest.mark.parametrize("costs", [(1.0, 1.0, 1.0), (3.0, 1.0, 0.5), (1.0, 5.0, 2.0)])
def test_lp_objective_equals_vertex_enumeration(tmp_path, costs):
    tree = node("idx", node("A", leaf("a1", plan_cost=costs[0]), leaf("a2", "cost", plan_cost=costs[1])),
                node("B", leaf("b1", plan_cost=costs[2])))
    r = _project(tmp_path, tree=tree, values=_values3(), scheme={"default": {"method": "equal"},
                                                                  "nodes": {"idx": {"method": "fixed",
                                                                                    "weights": {"A": 0.7,
                                                                                                "B": 0.3}}}})
    s0 = _root(r, "u1", 2024)
    goal = s0 + 12.0
    p = plan(r, unit="u1", year=2024, score=goal)
    assert p.status == "reached"
    x = r.prepared.x[:, 1, :]
    ub = {"a1": x[:, 0].max() - x[0, 0], "a2": x[0, 1] - x[:, 1].min(), "b1": x[:, 2].max() - x[0, 2]}
    cost = dict(zip(["a1", "a2", "b1"], costs))
    assert p.objective == pytest.approx(_vertex_optimum(r, "u1", 2024, goal, ub, cost), rel=1e-7)


def test_lp_objective_matches_grid_search_two_indicators(tmp_path):
    tree = node("idx", leaf("a1", plan_cost=2.0), leaf("b1"))
    x = _values(2, seed=11)
    r = _project(tmp_path, tree=tree, values=x)
    s0 = _root(r, "u2", 2024)
    goal = s0 + 20.0
    p = plan(r, unit="u2", year=2024, score=goal)
    # slopes measured by the pipeline (score is linear inside the bounds)
    panel = r.inputs.panel
    u, t = 1, 1
    x0 = np.array(panel.values[u, t, :])
    ub = x[:, t, :].max(axis=0) - x0
    slopes = []
    for j in range(2):
        v = np.array(panel.values)
        v[u, t, j] += ub[j]
        slopes.append((_root(evalkit.score(dataclasses.replace(r.inputs, panel=panel.replace(values=v))),
                             "u2", 2024) - s0) / ub[j])
    g = np.linspace(0, 1, 401)
    d1, d2 = np.meshgrid(g * ub[0], g * ub[1], indexing="ij")
    ok = s0 + slopes[0] * d1 + slopes[1] * d2 >= goal - 1e-9
    obj = 2.0 * d1 / x0[0] + d2 / x0[1]
    grid_best = obj[ok].min()
    assert p.objective <= grid_best + 1e-9
    assert p.objective == pytest.approx(grid_best, rel=5e-3)


# --------------------------------------------------------------------------- plan_cost and max_change


def test_plan_cost_steers_the_plan_to_the_cheaper_indicator(tmp_path):
    x = _values(2, seed=5)
    x[:, :, 1] = x[:, :, 0]  # two identical indicators under equal weights: only the cost differs
    cheap = _project(tmp_path / "a", tree=node("idx", leaf("a1", plan_cost=4.0), leaf("a2")), values=x)
    p = plan(cheap, unit="u1", year=2024, score=_root(cheap, "u1", 2024) + 5)
    assert [i.indicator for i in p.items] == ["a2"]
    dear = _project(tmp_path / "b", tree=node("idx", leaf("a1"), leaf("a2", plan_cost=4.0)), values=x)
    p = plan(dear, unit="u1", year=2024, score=_root(dear, "u1", 2024) + 5)
    assert [i.indicator for i in p.items] == ["a1"]


def test_max_change_bounds_the_relative_change(tmp_path):
    # a1 is cheap, so the plan uses it up to its max_change before touching the others
    tree = node("idx", node("A", leaf("a1", max_change=0.05), leaf("a2", "cost", plan_cost=10.0)),
                node("B", leaf("b1", plan_cost=10.0)))
    r = _project(tmp_path, tree=tree, values=_values3())
    p = plan(r, unit="u1", year=2024, rank=2)
    assert p.status == "reached"
    by = {i.indicator: i for i in p.items}
    assert by["a1"].relative == pytest.approx(0.05) and len(by) > 1
    assert abs(by["a1"].change) <= 0.05 * abs(by["a1"].current) + 1e-9
    assert _rank(_pipeline_rescore(r, p), "u1", 2024) <= 2


# --------------------------------------------------------------------------- what is never changed


def test_derived_target_and_imputed_indicators_are_never_changed(tmp_path):
    tree = node("idx",
                node("A", leaf("a1"), leaf("rate", formula="num / den * 100", unit="%")),
                node("B", leaf("b1"), leaf("opt", "target", target=50.0), leaf("b2")))
    tree["variables"] = [{"id": "num", "name": {"zh": "分子", "en": "numerator"}},
                         {"id": "den", "name": {"zh": "分母", "en": "denominator"}}]
    x = _values(5, seed=8)
    x[:, :, 1] = np.nan  # derived: computed from num / den
    x[0, 1, 4] = np.nan  # u1 2024 b2 missing -> imputed (carried forward)
    path = write_project(tmp_path, tree=tree, values=x, units=UNITS, years=YEARS,
                         prepare={"impute": {"chain": ["carry"]}})
    rows = [f"{u},{y},{v},{val!r}" for i, u in enumerate(UNITS) for k, y in enumerate(YEARS)
            for v, val in (("num", 10.0 + i + k), ("den", 40.0 - i))]
    with open(tmp_path / "values.csv", "a", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    r = evalkit.score(load_inputs(path))
    assert r.prepared.flags[0, 1, 4] & 1  # imputed
    for goal in ({"rank": 1}, {"rank": 3}):
        p = plan(r, unit="u1", year=2024, **goal)
        changed = {i.indicator for i in p.items}
        assert not changed & {"rate", "opt", "b2"}
        assert p.held["derived"] == ("rate",) and p.held["target"] == ("opt",) and p.held["imputed"] == ("b2",)


def test_treated_cells_are_held(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    flags = np.array(r.prepared.flags)
    flags[0, 1, 0] |= 2  # pretend a1 of u1 2024 was winsorised
    r2 = dataclasses.replace(r, prepared=dataclasses.replace(r.prepared, flags=flags))
    p = plan(r2, unit="u1", year=2024, rank=2)
    assert "a1" not in {i.indicator for i in p.items} and p.held["treated"] == ("a1",)


# --------------------------------------------------------------------------- coefficients with missing children


def test_effective_coefficients_renormalise_over_present_children(tmp_path):
    tree = node("idx", node("A", leaf("a1"), leaf("a2"), leaf("a3")), node("B", leaf("b1")))
    x = _values(4, seed=4)
    x[0, 1, 2] = np.nan  # u1 2024 lacks a3: A is scored from a1, a2 (2/3 of its weight)
    r = _project(tmp_path, tree=tree, values=x)
    c = effective_coefficients(r, 0, 1)
    assert c == pytest.approx([0.25, 0.25, 0.0, 0.5])
    c_full = effective_coefficients(r, 1, 1)
    gw = [r.global_weight[r.tree.index[i]] for i in ("a1", "a2", "a3", "b1")]
    assert c_full == pytest.approx(gw)
    p = plan(r, unit="u1", year=2024, rank=2)
    assert "a3" in p.held["missing"]
    assert _rank(_pipeline_rescore(r, p), "u1", 2024) <= 2


# --------------------------------------------------------------------------- approximate cases


@pytest.mark.parametrize("settings", [{"aggregate": "geometric"}, {"aggregate": "topsis"},
                                      {"normalize": "rank"}, {"normalize": "zscore"}, {"normalize": "goalpost"}])
def test_unit_scores_reproduce_the_pipeline(tmp_path, settings):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    r = evalkit.score(r.inputs, settings=dataclasses.replace(r.settings, **settings))
    for u, unit in enumerate(UNITS):
        for t, year in enumerate(YEARS):
            got = unit_scores(r, unit=unit, year=year, x=r.prepared.x[u, t])
            assert np.allclose(got, r.scores[u, t], atol=1e-9, equal_nan=True)


def test_geometric_aggregation_is_planned_approximately_and_checked(tmp_path):
    tree = node("idx", node("A", leaf("a1"), leaf("a2", "cost"), aggregate="geometric"), node("B", leaf("b1")))
    r = _project(tmp_path, tree=tree, values=_values3())
    p = plan(r, unit="u1", year=2024, rank=3)
    assert p.status == "reached" and not p.exact and p.method == "slp-highs"
    assert any("approximate" in n for n in p.notes)
    assert _root(_pipeline_rescore(r, p), "u1", 2024) >= p.goal_score - 1e-9
    # no cheaper than the exact LP would be on the same data with arithmetic everywhere
    assert p.objective > 0


def test_rank_normalisation_is_approximate_and_reaches_the_goal_with_others_held(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3(), normalize={"method": "rank", "scope": "year"})
    p = plan(r, unit="u1", year=2024, rank=2)
    assert p.status == "reached" and not p.exact
    x = np.array(r.prepared.x[0, 1])
    for i in p.items:
        x[r.tree.leaf_ids.index(i.indicator)] = i.needed
    k = r.tree.index["idx"]
    assert unit_scores(r, unit="u1", year=2024, x=x)[k] >= p.goal_score


def test_zscore_is_exact_with_centre_and_spread_held(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3(), normalize={"method": "zscore", "scope": "panel"})
    p = plan(r, unit="u1", year=2024, score=_root(r, "u1", 2024) + 3)
    assert p.exact
    x = np.array(r.prepared.x[0, 1])
    for i in p.items:
        x[r.tree.leaf_ids.index(i.indicator)] = i.needed
    assert unit_scores(r, unit="u1", year=2024, x=x)[r.tree.index["idx"]] == pytest.approx(p.goal_score, abs=1e-6)


def test_goalpost_dead_zone_is_crossed_when_worth_it(tmp_path):
    # u1's a1 sits below its lower goalpost: no gain until it is crossed
    tree = node("idx", leaf("a1", goalposts=[33.0, 100.0]), leaf("b1", goalposts=[0.0, 100.0], max_change=0.02))
    x = _values(2, seed=1)
    r = _project(tmp_path, tree=tree, values=x, normalize={"method": "goalpost", "scope": "panel"})
    assert x[0, 1, 0] < 33.0
    p = plan(r, unit="u1", year=2024, score=_root(r, "u1", 2024) + 10)
    assert p.status == "reached" and p.exact
    assert {i.indicator for i in p.items} >= {"a1"}
    assert _root(_pipeline_rescore(r, p), "u1", 2024) == pytest.approx(p.goal_score, abs=1e-6)


# --------------------------------------------------------------------------- bad requests


def test_goal_problems_name_each_mistake(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    msg = goal_problems(r, unit="u9", year=2024, rank=1)
    assert len(msg) == 1 and "unknown unit 'u9'" in msg[0] and "u1" in msg[0]
    msg = goal_problems(r, unit="City u3", year=2024, rank=1)
    assert "u3" in msg[0] and "by id" in msg[0]
    assert "year 2020 is not in the data (years: 2023, 2024)" in goal_problems(r, unit="u1", year=2020, rank=1)[0]
    assert "rank 0 is outside 1..5" in goal_problems(r, unit="u1", year=2024, rank=0)[0]
    assert "rank 6 is outside 1..5" in goal_problems(r, unit="u1", year=2024, rank=6)[0]
    assert "outside the scale [0, 100]" in goal_problems(r, unit="u1", year=2024, score=101)[0]
    assert "outside the scale" in goal_problems(r, unit="u1", year=2024, score=-1)[0]
    assert "exactly one goal" in goal_problems(r, unit="u1", year=2024)[0]
    assert "exactly one goal" in goal_problems(r, unit="u1", year=2024, rank=1, score=50)[0]
    assert goal_problems(r, unit="u1", year=2024, rank=5) == []
    with pytest.raises(ValueError):
        plan(r, unit="u9", year=2024, rank=1)


def test_plan_never_modifies_the_result(tmp_path):
    r = _project(tmp_path, tree=TREE3, values=_values3())
    before = (r.scores.copy(), np.array(r.prepared.x), r.z.copy())
    plan(r, unit="u1", year=2024, rank=1)
    assert np.array_equal(before[0], r.scores, equal_nan=True)
    assert np.array_equal(before[1], r.prepared.x, equal_nan=True)
    assert np.array_equal(before[2], r.z, equal_nan=True)


def test_numeric_path_finds_the_lp_optimum_on_a_linear_problem(tmp_path, monkeypatch):
    import evalkit.plan as P

    r = _project(tmp_path, tree=TREE3, values=_values3())
    exact = plan(r, unit="u1", year=2024, rank=2)
    monkeypatch.setattr(P, "EXACT_NORMALISE", ())  # force the approximate path on a linear problem
    approx = plan(r, unit="u1", year=2024, rank=2)
    assert exact.exact and not approx.exact
    assert approx.achieved_rank == 2
    assert exact.objective <= approx.objective <= exact.objective * 1.01


def test_measure_follows_the_language_when_the_tree_gives_both(tmp_path):
    tree = node("idx", node("A", leaf("a1", unit={"zh": "天", "en": "days"}), leaf("a2", "cost", plan_cost=10.0)),
                node("B", leaf("b1", unit="%", plan_cost=10.0)))
    r = _project(tmp_path, tree=tree, values=_values3())
    p = plan(r, unit="u1", year=2024, rank=2)
    assert p.status == "reached" and "a1" in {i.indicator for i in p.items}
    en = dict(zip(plan_frame(p, "en")["indicator"], plan_frame(p, "en")["measure"].fillna(""), strict=True))
    zh = dict(zip(plan_frame(p, "zh")["indicator"], plan_frame(p, "zh")["measure"].fillna(""), strict=True))
    assert en["a1"] == "days" and zh["a1"] == "天" and en.get("b1", "%") == "%"
