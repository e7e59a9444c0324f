"""One ranking rule everywhere: results.csv, plan and sensitivity agree, also with ranks.round."""

import numpy as np
import pytest
from scipy.stats import rankdata

import evalkit
from evalkit.analysis.sensitivity import Spec, run_sensitivity
from evalkit.plan import plan
from evalkit.ranking import rank_of, ranks_min


def test_ranks_min_ties_share_the_best_rank_and_nan_stays_nan():
    s = np.array([9.0, 7.0, 7.0, 3.0, np.nan])
    np.testing.assert_array_equal(ranks_min(s), [1, 2, 2, 4, np.nan])


def test_ranks_min_equals_scipy_min_ranks_on_random_ties():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, size=(7, 30)).astype(float)
    want = rankdata(-s, method="min", axis=1)
    np.testing.assert_array_equal(ranks_min(s, axis=1), want)


def test_rank_of_rounds_like_the_results_when_asked():
    others = np.array([70.26, 70.24, 50.0, np.nan])
    assert rank_of(70.25, others) == 2
    assert rank_of(70.25, others, decimals=0) == 1  # 70, 70 and 50: a tie for the best rank


@pytest.fixture(scope="module")
def rounded():
    r = evalkit.score(evalkit.load_project())
    return evalkit.rescore(r, {"ranks.round": 0})


def test_plan_current_rank_is_the_published_rank_with_rounding(rounded):
    t = rounded.years.index(2024)
    root = rounded.tree.index[rounded.tree.root.id]
    published = rounded.ranks()[:, t, root]
    for u in range(0, 41, 5):
        p = plan(rounded, unit=rounded.units[u], year=2024, score=rounded.settings.scale[1])
        assert p.current_rank == int(published[u])


def test_sensitivity_nominal_rank_is_the_published_rank_with_rounding(rounded):
    out = run_sensitivity(rounded, Spec(draws=8, seed=1, noise=0.1, year=2024))
    t = rounded.years.index(2024)
    published = rounded.ranks()[:, t, rounded.tree.index[rounded.tree.root.id]]
    np.testing.assert_array_equal(out.robustness["nominal_rank"].to_numpy(float), published)
