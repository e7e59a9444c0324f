"""Differential test: evalkit's TOPSIS against pymcdm's on random matrices.

Needs ``pymcdm`` (the ``test`` extra in pyproject.toml; ``pip install pymcdm``).

Convention differences (pymcdm 1.4), and why the closeness still agrees:

* pymcdm's ``TOPSIS()`` defaults to **min–max** normalisation
  (``normalizations.minmax_normalization``), not Hwang–Yoon's vector
  normalisation.  Its default is therefore our ``weighted_matrix`` variant on the
  direction-aligned min–max z; Hwang–Yoon (evalkit's aggregation) is
  ``TOPSIS(normalization_function=normalizations.vector_normalization)``.
* pymcdm turns cost criteria into benefit ones *inside the normalisation*:
  vector normalisation gives ``1 − x/‖x‖`` for a cost column, then every ideal is
  the column max.  Hwang–Yoon (and ``topsis_closeness(..., cost=...)``) keeps
  ``r = x/‖x‖`` and takes the column *min* as the ideal of a cost column.  The
  map r → 1 − r only reflects the column, so |v − A⁺| and |v − A⁻| are unchanged:
  the normalised matrices differ on cost columns, the distances and closeness do not.
* pymcdm's min–max of a constant column is 1 everywhere (ours 0.5); a constant
  column adds nothing to either distance in both, so no difference in C.
  The random matrices here have no constant column anyway.
* pymcdm has no "weights inside the distance" variant; ours is checked against
  vectors/topsis.json only.
* pymcdm takes one decision matrix (alternatives × criteria), no NaN; our
  aggregation flattens (units, years) into the rows (panel TOPSIS), so the
  comparison is on the flattened matrix without missing cells.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pymcdm import normalizations
from pymcdm.methods import TOPSIS

from evalkit import aggregate as A
from evalkit import normalise as N

SEEDS = range(12)


def _random_problem(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(3, 25), rng.integers(2, 8)
    x = rng.uniform(0.5, 100.0, size=(n, m)) * rng.uniform(0.1, 10.0, size=m)
    w = rng.dirichlet(np.ones(m))
    types = np.where(rng.random(m) < 0.3, -1, 1)
    return x, w, types


@pytest.mark.parametrize("seed", SEEDS)
def test_hwang_yoon_matches_pymcdm_vector_normalisation(seed):
    x, w, types = _random_problem(seed)
    ours = A.topsis_closeness(x, w, variant="hwang_yoon", cost=types == -1)
    theirs = TOPSIS(normalization_function=normalizations.vector_normalization)(x, w, types)
    assert_allclose(ours.closeness, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_matrix_on_minmax_z_matches_pymcdm_default(seed):
    x, w, types = _random_problem(seed)
    z, _ = N.minmax(x[:, None, :], direction=np.where(types == -1, "cost", "benefit"))
    ours = A.topsis_closeness(z[:, 0, :], w, variant="weighted_matrix")
    theirs = TOPSIS()(x, w, types)
    assert_allclose(ours.closeness, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_panel_aggregation_matches_pymcdm_on_flattened_unit_years(seed):
    rng = np.random.default_rng(1000 + seed)
    n_units, n_years, n_children = rng.integers(2, 12), rng.integers(1, 5), rng.integers(2, 7)
    s = rng.uniform(0.0, 100.0, size=(n_units, n_years, n_children))
    w = rng.dirichlet(np.ones(n_children))
    score, share = A.topsis(s, w, lo=0.0, hi=100.0)
    flat = s.reshape(-1, n_children)
    theirs = TOPSIS(normalization_function=normalizations.vector_normalization)(
        flat, w, np.ones(n_children, dtype=int))
    assert_allclose(score.reshape(-1), 100.0 * theirs, rtol=0, atol=1e-9)
    assert_allclose(share, 1.0, rtol=0, atol=1e-12)
