"""Differential test of entropy and CRITIC against pymcdm (test extra, pymcdm >= 1.2).

pymcdm's conventions (read in pymcdm 1.4.0, ``pymcdm/weights/weights.py``):

* ``entropy_weights(X)`` is the ratio-scale entropy: p = x / Σx per column
  (``sum_normalization``), e = −Σ p ln p / ln m, w ∝ 1 − e.  It ignores
  criterion types and requires every value > 0 (``sum_normalization``
  raises ValueError on a zero).  Its own zero branch (``if np.any(col == 0):
  entropy = 0``) would give a column with a zero e = 0, i.e. the *largest*
  weight, the opposite of the 0·ln0 = 0 limit; it is unreachable because
  the normalisation raises first.
  evalkit: ``entropy(z)`` takes min–max z, in which the worst unit is
  always 0, and uses 0·ln0 = 0 (docs/methods.md#entropy).  Intentional difference: pymcdm
  cannot be fed min–max z at all.  The two agree where the conventions meet:
  on strictly positive data, ``entropy(z)`` = ``entropy_ratio(z)`` =
  pymcdm, and ``entropy(z, shift=s)`` = pymcdm(z + s).
* ``critic_weights(X)`` min–max normalises every column itself, always as a
  benefit column (no types), then σ with ddof = 1, Pearson r, C = σ Σ(1 − r).
  evalkit: ``critic(z)`` takes z already direction-aligned (docs/methods.md#critic:
  alignment changes the correlations).  Intentional difference: on raw data
  with cost columns pymcdm gives the "directions NOT aligned" weights of
  vectors/critic_cv.json.  They agree when pymcdm is given our aligned z
  (min–max of a z in [0, 1] with min 0 and max 1 is z itself).  A constant
  column makes pymcdm's Pearson r 0/0 and every weight NaN; evalkit gives the
  column weight 0 and leaves the others as without it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pymcdm.weights as pymcdm_weights  # the test extra declares it: a missing one must fail
import pytest
from numpy.testing import assert_allclose

from evalkit import weight as W

SEEDS = range(30)


def random_raw(seed):
    rng = np.random.default_rng(seed)
    n_obs, m = rng.integers(3, 40), rng.integers(2, 12)
    scale = 10.0 ** rng.uniform(-2, 4, size=m)  # indicators in different units
    return rng.lognormal(0.0, 0.6, size=(n_obs, m)) * scale, rng


def aligned_minmax(x, cost):
    lo, hi = x.min(axis=0), x.max(axis=0)
    z = (x - lo) / (hi - lo)
    return np.where(cost, 1.0 - z, z)


@pytest.mark.parametrize("seed", SEEDS)
def test_entropy_ratio_matches_pymcdm_on_positive_raw_data(seed):
    x, _ = random_raw(seed)
    assert_allclose(W.entropy_ratio(x).w, pymcdm_weights.entropy_weights(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shift", [1e-4, 0.01])
def test_entropy_on_shifted_minmax_z_matches_pymcdm(seed, shift):
    """Feed both the same positive matrix: pymcdm gets z + shift, evalkit z with shift."""
    x, rng = random_raw(seed)
    z = aligned_minmax(x, rng.random(x.shape[1]) < 0.4)
    ours = W.entropy(z, shift=shift)
    assert_allclose(ours.w, pymcdm_weights.entropy_weights(z + shift), rtol=0, atol=1e-12)
    assert_allclose(W.entropy_ratio(z + shift).w, ours.w, rtol=0, atol=1e-12)


def test_pymcdm_entropy_refuses_the_zeros_of_minmax_z():
    """Why entropy(z) without shift has no pymcdm counterpart (0·ln0 = 0 here)."""
    x, rng = random_raw(0)
    z = aligned_minmax(x, np.zeros(x.shape[1], dtype=bool))
    with pytest.raises(ValueError):
        pymcdm_weights.entropy_weights(z)
    w = W.entropy(z).w
    assert np.all(np.isfinite(w)) and abs(w.sum() - 1) < 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_critic_matches_pymcdm_on_aligned_minmax_z(seed):
    x, rng = random_raw(seed)
    z = aligned_minmax(x, rng.random(x.shape[1]) < 0.4)
    assert_allclose(W.critic(z).w, pymcdm_weights.critic_weights(z), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_pymcdm_critic_on_raw_data_ignores_directions(seed):
    """pymcdm(raw x) = evalkit critic on benefit-only min–max, whatever the directions."""
    x, rng = random_raw(seed)
    z_benefit = aligned_minmax(x, np.zeros(x.shape[1], dtype=bool))
    assert_allclose(W.critic(z_benefit).w, pymcdm_weights.critic_weights(x),
                    rtol=0, atol=1e-12)


def test_critic_constant_column_is_defined_where_pymcdm_gives_nan():
    x, rng = random_raw(1)
    z = aligned_minmax(x, np.zeros(x.shape[1], dtype=bool))
    z_const = np.column_stack([z, np.full(z.shape[0], 1.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pymcdm_weights.critic_weights(z_const)
    assert np.isnan(theirs).all()
    ours = W.critic(z_const).w
    assert ours[-1] == 0.0
    assert_allclose(ours[:-1], pymcdm_weights.critic_weights(z), rtol=0, atol=1e-12)
