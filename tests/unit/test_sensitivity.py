"""evalkit.analysis.sensitivity on the bundled demo: nominal reproduction, intervals, determinism, compare.

The demo is scored once per module; every Monte Carlo run here is small (tens of
base samples) so the file stays fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis import sensitivity_core as core
from evalkit.analysis.compare import compare, rank_correlations
from evalkit.analysis.sensitivity import Spec, build_base, read_spec, run_sensitivity, score_draws
from evalkit.errors import Pos, UserError
from evalkit.load import load_inputs
from evalkit.load.project import demo_project_path
from evalkit.pipeline import score

ROBUSTNESS_COLUMNS = ["unit", "year", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "p_top5", "p_bottom5"]


@pytest.fixture(scope="module")
def demo():
    return score(load_inputs(demo_project_path()))


def _root_scores(r, t):
    return r.scores[:, t, r.tree.index[r.tree.root.id]]


def test_score_draws_with_nominal_weights_reproduce_the_pipeline(demo):
    t = len(demo.years) - 1
    base = build_base(demo, t)
    D = 5
    nominal = {k: np.broadcast_to(w0, (D, len(kids))) for k, kids, _, w0, _, _ in base.nodes}
    s = score_draws(base, nominal)
    assert s.shape == (D, len(demo.units))
    want = _root_scores(demo, t)
    np.testing.assert_allclose(s, np.broadcast_to(want, s.shape), rtol=0, atol=1e-9)
    # and the ranks of every draw are the nominal ranks
    ranks = core.ranks_min(s, axis=1)
    assert np.array_equal(ranks, np.broadcast_to(demo.ranks()[:, t, demo.tree.index[demo.tree.root.id]], ranks.shape))


def test_zero_noise_and_single_options_every_draw_is_the_nominal_result(demo):
    # two identical options per discrete factor: a factor for the design, no change for the result
    spec = Spec(draws=12, seed=3, noise=0.0, normalize=("minmax", "minmax"), aggregate=("arithmetic", "arithmetic"),
                weighting=("nominal", "nominal"), impute=(True, True))
    out = run_sensitivity(demo, spec)
    rob = out.robustness
    assert list(rob.columns) == ROBUSTNESS_COLUMNS
    assert out.n_evaluations == 12 * (4 + 2)
    nominal = demo.ranks()[:, -1, demo.tree.index[demo.tree.root.id]]
    for col in ("nominal_rank", "median_rank", "rank_p05", "rank_p95"):
        np.testing.assert_array_equal(rob[col].to_numpy(), nominal, err_msg=col)
    assert np.array_equal(rob["p_top5"].to_numpy(), (nominal <= 5).astype(float))
    assert out.sobol.attrs["mean_abs_rank_shift"] == 0.0
    assert (out.sobol[["S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"]].to_numpy() == 0).all()


def test_zero_noise_alone_is_no_uncertain_choice():
    with pytest.raises(UserError) as e:
        read_spec({"weights": {"noise": 0.0}, "normalize": ["minmax"]}, Pos("evalkit.yaml", 3, 1))
    assert [p.code for p in e.value.problems] == ["no-factors"]


def test_weight_noise_only_every_interval_contains_the_nominal_rank(demo):
    out = run_sensitivity(demo, Spec(draws=48, seed=11, noise=0.2))
    rob = out.robustness
    assert len(rob) == len(demo.units) and (rob["year"] == demo.years[-1]).all()
    assert (rob["rank_p05"] <= rob["nominal_rank"]).all()
    assert (rob["nominal_rank"] <= rob["rank_p95"]).all()
    assert (rob["rank_p05"] <= rob["median_rank"]).all() and (rob["median_rank"] <= rob["rank_p95"]).all()
    assert ((rob["p_top5"] >= 0) & (rob["p_top5"] <= 1)).all()
    # noise does move some ranks, and only the weights factor is in the design
    assert (rob["rank_p95"] > rob["rank_p05"]).any()
    assert list(out.sobol["factor"]) == ["weights"]


def _spec_mixed(seed: int = 5) -> Spec:
    return Spec(draws=8, seed=seed, noise=0.2, judgment_steps=1, normalize=("minmax", "zscore"),
                aggregate=("arithmetic", "geometric"))


def _frames(out):
    return out.robustness.reset_index(drop=True), out.sobol.reset_index(drop=True)


def test_same_seed_same_tables_other_seed_other_tables(demo):
    a = _frames(run_sensitivity(demo, _spec_mixed(5)))
    b = _frames(run_sensitivity(demo, _spec_mixed(5)))
    c = _frames(run_sensitivity(demo, _spec_mixed(6)))
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)
    assert not a[1][["S1", "ST"]].equals(c[1][["S1", "ST"]])


def test_chunk_size_does_not_change_results(demo):
    spec = _spec_mixed(7)
    a = _frames(run_sensitivity(demo, spec, chunk=512))
    b = _frames(run_sensitivity(demo, spec, chunk=5))
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)


def test_jobs_one_and_two_give_identical_results(demo):
    spec = _spec_mixed(9)
    seen = []
    a = _frames(run_sensitivity(demo, spec, jobs=1, chunk=16))
    b = _frames(run_sensitivity(demo, spec, jobs=2, chunk=16, progress=lambda d, n: seen.append((d, n))))
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)
    n = 8 * (4 + 2)
    assert seen[-1] == (n, n) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_compare_a_scheme_with_itself_shows_no_shift_and_correlation_one(demo):
    b = score(demo.inputs, scheme=demo.scheme, settings=demo.settings)
    table = compare(demo, b)
    assert list(table.columns) == ["unit", "year", "node", "score_a", "score_b", "score_shift", "rank_a", "rank_b",
                                   "rank_shift"]
    assert len(table) == len(demo.units) * len(demo.years) * len(demo.tree.nodes)
    present = table["score_a"].notna()
    assert (table.loc[present, "score_shift"] == 0).all()
    assert (table.loc[present, "rank_shift"] == 0).all()
    corr = rank_correlations(demo, b)
    assert set(corr["node"]) == {n.id for n in demo.tree.inner}
    np.testing.assert_allclose(corr["spearman"], 1.0, atol=1e-12)
    np.testing.assert_allclose(corr["kendall"], 1.0, atol=1e-12)
    assert (corr["max_abs_rank_shift"] == 0).all()


def test_read_spec_of_the_demo_declares_the_documented_choices(demo):
    spec = read_spec(demo.settings.sensitivity, Pos("examples/demo/evalkit.yaml", 1))
    assert (spec.draws, spec.seed, spec.noise, spec.noise_kind, spec.judgment_steps) == (256, 20240601, 0.2, "uniform",
                                                                                          1)
    assert spec.normalize == ("minmax", "zscore", "rank")
    assert spec.aggregate == ("arithmetic", "geometric")
    assert spec.weighting == ("nominal", "entropy", "ahp")
    assert spec.impute == (True, False)
    assert [f.name for f in spec.factors()] == ["weights", "judgments", "normalize", "aggregate", "weighting",
                                                "impute"]
