"""Hypothesis invariants of the whole pipeline on random small trees and panels.

Projects are built in memory (tests/unit/_projects.py: ``inputs_in_memory``),
so an example costs a few milliseconds.  Values are small integers as floats
(ranges are 0 or >= 1: far from the constant tolerance, so invariances hold to
rounding), with NaN holes where a property allows them.

Source: docs/methods.md; docs/architecture.md ("The step log and
what-if" (rescore(r, {}) reproduces r; rescore(r, change) equals a fresh
score() of the edited project; a one-node change recomputes only that node and
its ancestors).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from _projects import inputs_in_memory

import evalkit
from evalkit.project import Settings
from evalkit.scheme import Judgment, Scheme, Weighting
from evalkit.tree import Names, Node, Tree

SETTINGS = settings(max_examples=int(os.environ.get("PIPELINE_EXAMPLES", "25")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
OBJECTIVE = ("equal", "entropy", "critic", "cv")
NORMALIZE = ("minmax", "zscore", "rank", "goalpost")
AGGREGATE = ("arithmetic", "geometric", "topsis")


# --------------------------------------------------------------------------- strategies


@st.composite
def trees(draw, directions=("benefit", "cost", "target"), max_depth=3):
    """A random tree of depth 1..3, 1..3 children per inner node (the root 2..3), at most ~12 leaves."""
    counter = {"n": 0, "x": 0}

    def make(depth: int) -> Node:
        is_root = depth == 0
        k = draw(st.integers(2 if is_root else 1, 3))
        children = []
        for _ in range(k):
            if depth + 1 < max_depth and draw(st.integers(0, 2)) == 0:
                children.append(make(depth + 1))
            else:
                j = counter["x"]
                counter["x"] += 1
                d = draw(st.sampled_from(directions))
                target = None
                if d == "target":
                    a = float(draw(st.integers(0, 8)))
                    target = (a, a + draw(st.integers(0, 3)))
                children.append(Node(id=f"x{j}", name=Names(f"x{j}", f"x{j}"), direction=d, target=target,
                                     goalposts=(-1.0, 11.0) if draw(st.booleans()) else None))
        i = counter["n"]
        counter["n"] += 1
        nid = "root" if is_root else f"n{i}"
        return Node(id=nid, name=Names(nid, nid), children=tuple(children))

    return make(0)


@st.composite
def panels(draw, root: Node, nan: bool = True, min_units: int = 2):
    """(U, Y, L) integer-valued floats in [0, 10], NaN holes when ``nan``."""
    L = len(Tree(root).leaves)
    U, Y = draw(st.integers(min_units, 6)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hi = draw(st.sampled_from([1, 3, 10]))  # 1 and 3: many ties and constant columns
    x = rng.integers(0, hi + 1, size=(U, Y, L)).astype(float)
    if nan and draw(st.booleans()):
        x[rng.random(x.shape) < 0.15] = np.nan
    return x


@st.composite
def projects(draw, directions=("benefit", "cost", "target"), nan=True, methods=OBJECTIVE, scale=None):
    root = draw(trees(directions))
    x = draw(panels(root, nan=nan))
    t = Tree(root)
    default = Weighting(draw(st.sampled_from(methods)))
    nodes = {}
    for n in t.inner:
        m = draw(st.sampled_from(("default",) + tuple(methods)))
        if m != "default":
            nodes[n.id] = Weighting(m)
    lo, hi = scale if scale is not None else draw(st.sampled_from([(0.0, 100.0), (0.0, 1.0), (-5.0, 5.0)]))
    s = Settings(scale=(lo, hi))
    return inputs_in_memory(root, x, scheme=Scheme(default=default, nodes=nodes), settings=s)


def fixed_scheme(draw, tree: Tree) -> Scheme:
    """Random fixed weights (integers 0..4, at least one > 0, normalised) at every inner node."""
    nodes = {}
    for n in tree.inner:
        raw = np.array(draw(st.lists(st.integers(0, 4), min_size=len(n.children), max_size=len(n.children))), float)
        if raw.sum() == 0:
            raw[0] = 1
        w = raw / raw.sum()
        w[-1] = 1.0 - w[:-1].sum()
        nodes[n.id] = Weighting("fixed", weights={c.id: float(v) for c, v in zip(n.children, w)})
    return Scheme(default=Weighting("equal"), nodes=nodes)


def same(a: np.ndarray, b: np.ndarray, atol: float = 1e-9) -> None:
    np.testing.assert_allclose(a, b, rtol=0, atol=atol, equal_nan=True)


# --------------------------------------------------------------------------- invariants of one score


@SETTINGS
@given(projects())
def test_local_weights_are_nonnegative_and_sum_to_one_at_every_node(inputs):
    r = evalkit.score(inputs)
    t = r.tree
    assert (r.local_weight >= 0).all() and np.isfinite(r.local_weight).all()
    for n in t.inner:
        w = r.local_weight[[t.index[c.id] for c in n.children]]
        assert abs(w.sum() - 1.0) <= 1e-9, (n.id, w)
        np.testing.assert_array_equal(w, r.weighting[n.id].w)
    leaves = r.global_weight[[t.index[i] for i in t.leaf_ids]]
    assert abs(leaves.sum() - 1.0) <= 1e-9
    assert r.global_weight[t.index[t.root.id]] == 1.0


@SETTINGS
@given(projects(), st.sampled_from(NORMALIZE), st.sampled_from(("panel", "year")), st.sampled_from(AGGREGATE))
def test_every_score_is_on_the_scale_or_missing(inputs, normalize, scope, aggregate):
    s = replace(inputs.project.settings, normalize=normalize, scope=scope, aggregate=aggregate)
    r = evalkit.score(inputs, settings=s)
    lo, hi = s.scale
    ok = np.isfinite(r.scores)
    assert ((r.scores[ok] >= lo) & (r.scores[ok] <= hi)).all()
    assert not np.isinf(r.scores).any()
    # a leaf is missing exactly where its value is
    leaves = [r.tree.index[i] for i in r.tree.leaf_ids]
    np.testing.assert_array_equal(np.isnan(r.scores[:, :, leaves]), np.isnan(r.prepared.x))
    # ranks: 1..n_scored among the units of the same year, NaN where the score is
    ranks = r.ranks()
    np.testing.assert_array_equal(np.isnan(ranks), ~ok)
    assert (ranks[ok] >= 1).all() and (ranks[ok] <= ok.sum(axis=0, keepdims=True).repeat(len(r.units), 0)[ok]).all()


@SETTINGS
@given(st.data())
def test_raising_a_benefit_or_lowering_a_cost_indicator_never_lowers_an_ancestor(data):
    root = data.draw(trees(("benefit", "cost")))
    x = data.draw(panels(root))
    t = Tree(root)
    scheme = fixed_scheme(data.draw, t)
    U, Y, L = x.shape
    u, y, j = data.draw(st.integers(0, U - 1)), data.draw(st.integers(0, Y - 1)), data.draw(st.integers(0, L - 1))
    assume(not np.isnan(x[u, y, j]))
    step = data.draw(st.integers(1, 5))
    leaf = t.leaves[j]
    x2 = x.copy()
    x2[u, y, j] += step if leaf.direction == "benefit" else -step
    a = evalkit.score(inputs_in_memory(root, x, scheme=scheme))
    b = evalkit.score(inputs_in_memory(root, x2, scheme=scheme))
    for nid in [leaf.id] + t.ancestors(leaf.id):
        k = t.index[nid]
        before, after = a.scores[u, y, k], b.scores[u, y, k]
        assert np.isnan(before) == np.isnan(after)
        if not np.isnan(before):
            assert after >= before - 1e-9, (nid, before, after)


@SETTINGS
@given(projects(), st.randoms(use_true_random=False))
def test_permuting_units_permutes_results(inputs, rnd):
    a = evalkit.score(inputs)
    perm = list(range(len(inputs.panel.units)))
    rnd.shuffle(perm)
    units = tuple(inputs.panel.units[i] for i in perm)
    b = evalkit.score(inputs_in_memory(inputs.tree.root, inputs.panel.values[perm], units=units,
                                       years=inputs.panel.years, scheme=inputs.scheme,
                                       settings=inputs.project.settings))
    assert b.units == units
    same(b.scores, a.scores[perm])
    same(b.local_weight, a.local_weight)
    # ranks are exact-equality ranks of the scores as computed; a mathematical tie may come out of the
    # two orders of summation as a 1-ulp difference, so ranks are compared where no near-tie exists
    sa = a.scores[perm]
    gap = np.abs(sa[:, None] - sa[None, :])
    near_tie = ((gap > 0) & (gap < 1e-9)).any(axis=1)
    ra, rb = a.ranks()[perm], b.ranks()
    same(np.where(near_tie, 0, rb), np.where(near_tie, 0, ra), atol=0)


@SETTINGS
@given(projects(directions=("benefit", "cost"), methods=("equal", "entropy", "critic")),
       st.sampled_from([0.001, 0.5, 3.0, 1000.0]), st.data())
def test_multiplying_an_indicator_by_a_positive_constant_leaves_minmax_scores_unchanged(inputs, c, data):
    j = data.draw(st.integers(0, inputs.panel.values.shape[2] - 1))
    x2 = np.array(inputs.panel.values)
    x2[:, :, j] *= c
    a = evalkit.score(inputs)
    b = evalkit.score(inputs_in_memory(inputs.tree.root, x2, units=inputs.panel.units, years=inputs.panel.years,
                                       scheme=inputs.scheme, settings=inputs.project.settings))
    same(b.scores, a.scores, atol=1e-9 * (a.settings.scale[1] - a.settings.scale[0]))
    same(b.local_weight, a.local_weight)


@SETTINGS
@given(projects())
def test_relabelling_units_changes_nothing(inputs):
    a = evalkit.score(inputs)
    units = tuple(f"z{i}-{u}" for i, u in enumerate(reversed(inputs.panel.units)))
    b = evalkit.score(inputs_in_memory(inputs.tree.root, inputs.panel.values, units=units, years=inputs.panel.years,
                                       scheme=inputs.scheme, settings=inputs.project.settings))
    np.testing.assert_array_equal(b.scores, a.scores)
    np.testing.assert_array_equal(b.local_weight, a.local_weight)
    assert list(b.to_frame()["unit"].unique()) == list(units)


@SETTINGS
@given(st.data(), st.sampled_from(("minmax", "zscore", "rank", "goalpost")), st.sampled_from(AGGREGATE))
def test_panel_scope_unchanged_data_give_the_same_score_in_both_years(data, normalize, aggregate):
    root = data.draw(trees())
    x = data.draw(panels(root))
    assume(x.shape[1] >= 2)
    u = data.draw(st.integers(0, x.shape[0] - 1))
    t0, t1 = data.draw(st.sampled_from([(0, 1), (0, x.shape[1] - 1), (x.shape[1] - 2, x.shape[1] - 1)]))
    x[u, t1] = x[u, t0]
    method = data.draw(st.sampled_from(OBJECTIVE))
    s = Settings(normalize=normalize, scope="panel", aggregate=aggregate)
    r = evalkit.score(inputs_in_memory(root, x, scheme=Scheme(default=Weighting(method)), settings=s))
    same(r.scores[u, t1], r.scores[u, t0], atol=1e-9)


# --------------------------------------------------------------------------- what-if


def _assert_results_equal(a, b, atol=0.0):
    same(a.scores, b.scores, atol=atol)
    same(a.local_weight, b.local_weight, atol=atol)
    same(a.global_weight, b.global_weight, atol=atol)
    same(a.present_share, b.present_share, atol=atol)
    assert [(s.step, s.target, s.key) for s in a.log] == [(s.step, s.target, s.key) for s in b.log] or atol > 0
    assert [n.message for n in a.notes] == [n.message for n in b.notes]


@SETTINGS
@given(projects())
def test_rescore_without_changes_reproduces_the_result(inputs):
    r = evalkit.score(inputs)
    again = evalkit.rescore(r, {})
    _assert_results_equal(again, r)
    assert again.computed == ()
    assert again.to_frame().equals(r.to_frame())
    assert again.weights_frame().equals(r.weights_frame())


def _consistent_judgments(node: Node, draw) -> list[list]:
    v = [draw(st.integers(1, 3)) for _ in node.children]
    ids = [c.id for c in node.children]
    return [[ids[i], ids[k], str(Fraction(v[i], v[k]))] for i in range(len(ids)) for k in range(i + 1, len(ids))]


@st.composite
def changes(draw, tree: Tree, scheme: Scheme, settings: Settings):
    """(dotted-path change, the scheme and settings it should give, node changed or None)."""
    kind = draw(st.sampled_from(["method", "fixed", "ahp", "default", "normalize.method", "normalize.scope",
                                 "aggregate.method", "scale"]))
    inner = tree.inner
    n = draw(st.sampled_from(inner))
    if kind == "method":
        m = draw(st.sampled_from(OBJECTIVE))
        return {f"weights.nodes.{n.id}.method": m}, scheme.with_node(n.id, Weighting(m)), settings, n.id
    if kind == "fixed":
        raw = np.array([draw(st.integers(1, 5)) for _ in n.children], float)
        w = raw / raw.sum()
        w[-1] = 1 - w[:-1].sum()
        weights = {c.id: float(v) for c, v in zip(n.children, w)}
        return ({f"weights.nodes.{n.id}.method": "fixed", f"weights.nodes.{n.id}.weights": weights},
                scheme.with_node(n.id, Weighting("fixed", weights=weights)), settings, n.id)
    if kind == "ahp":
        judg = _consistent_judgments(n, draw)
        js = tuple(Judgment(a, b, float(Fraction(v))) for a, b, v in judg)
        return ({f"weights.nodes.{n.id}.method": "ahp", f"weights.nodes.{n.id}.judgments": judg},
                scheme.with_node(n.id, Weighting("ahp", judgments=js)), settings, n.id)
    if kind == "default":
        m = draw(st.sampled_from(OBJECTIVE))
        return {"weights.default.method": m}, replace(scheme, default=Weighting(m)), settings, None
    if kind == "normalize.method":
        m = draw(st.sampled_from(NORMALIZE))
        return {"normalize.method": m}, scheme, replace(settings, normalize=m), None
    if kind == "normalize.scope":
        sc = draw(st.sampled_from(("panel", "year")))
        return {"normalize.scope": sc}, scheme, replace(settings, scope=sc), None
    if kind == "aggregate.method":
        m = draw(st.sampled_from(AGGREGATE))
        return {"aggregate.method": m}, scheme, replace(settings, aggregate=m), None
    lo, hi = draw(st.sampled_from([(0.0, 100.0), (0.0, 10.0), (1.0, 5.0), (-1.0, 1.0)]))
    return {"scale": [lo, hi]}, scheme, replace(settings, scale=(lo, hi)), None


@SETTINGS
@given(projects(), st.data())
def test_rescore_with_a_change_equals_a_fresh_score_of_the_edited_project(inputs, data):
    r = evalkit.score(inputs)
    change, scheme, settings_, _ = data.draw(changes(inputs.tree, inputs.scheme, inputs.project.settings))
    alt = evalkit.rescore(r, change)
    fresh = evalkit.score(inputs, scheme=scheme, settings=settings_)
    _assert_results_equal(alt, fresh)
    assert alt.to_frame().equals(fresh.to_frame())
    assert alt.weights_frame().equals(fresh.weights_frame())
    assert set(alt.computed) <= set(fresh.computed)
    # the original result is left as it was
    _assert_results_equal(evalkit.rescore(r, {}), r)


@SETTINGS
@given(projects(), st.data())
def test_a_one_node_weight_change_recomputes_only_that_node_and_its_ancestors(inputs, data):
    r = evalkit.score(inputs)
    t = r.tree
    n = data.draw(st.sampled_from(t.inner))
    assume(len(n.children) >= 2)
    old = r.weighting[n.id].w
    raw = np.array([data.draw(st.integers(1, 5)) for _ in n.children], float)
    w = raw / raw.sum()
    w[-1] = 1 - w[:-1].sum()
    assume(np.abs(w - old).max() > 1e-6)
    weights = {c.id: float(v) for c, v in zip(n.children, w)}
    alt = evalkit.rescore(r, {f"weights.nodes.{n.id}.method": "fixed", f"weights.nodes.{n.id}.weights": weights})
    assert set(alt.computed) == {n.id, *t.ancestors(n.id)}
    # everything outside the path is reused as it was
    keep = [k for k, m in enumerate(t.nodes) if m.id not in alt.computed]
    np.testing.assert_array_equal(alt.scores[:, :, keep], r.scores[:, :, keep])
    fresh = evalkit.score(inputs, scheme=inputs.scheme.with_node(n.id, Weighting("fixed", weights=weights)))
    _assert_results_equal(alt, fresh)
