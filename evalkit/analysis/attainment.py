"""Target attainment (目标管理): how far each unit is from the targets it set.

Per indicator with a target t and the value as reported x (before imputation and outlier
treatment: a log-transformed value is no actual)::

    benefit   a = x / t
    cost      a = t / x
    target    a = 1 − |x − t| / |t|           (distance to the target, relative to it; ≥ 0)
              a = 1 when x lies inside the indicator's optimal interval [lo, hi] of the tree
    a ← min(a, cap)                           (cap 1.2: over-achievement cannot hide a failure)

Per node: the attainment of the indicators below it that have targets,
weighted by their global weights (renormalised over those with targets).
Status: achieved (a ≥ 1), close (a ≥ close, default 0.9), missed — classified on a rounded to
the whole percent it is shown with, so a value printed as 100 % is never "close".
Settings under ``planning:`` in the project: ``cap``, ``close``.

Source: issue "Full-cycle performance management"; 财预〔2020〕10号 (绩效目标管理);
docs/methods.md#attainment (the management cycle).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_CAP = 1.2
DEFAULT_CLOSE = 0.9


def attainment(x: np.ndarray, t: np.ndarray, direction: np.ndarray, *, cap: float = DEFAULT_CAP,
               lo: np.ndarray | None = None, hi: np.ndarray | None = None) -> np.ndarray:
    """Indicator attainment, (U, Y, L) arrays; NaN where the target or the value is missing or undefined.

    direction : (L,) of 'benefit' | 'cost' | 'target'.
    lo, hi    : (L,) optimal interval of a 'target' indicator (NaN: none); a value inside it has met
                its target whatever the unit's own target (the interval is what the tree calls optimal).
    """
    d = np.asarray(direction, dtype=object)
    ben, cost, tgt = (d == "benefit"), (d == "cost"), (d == "target")
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.full(np.broadcast(x, t).shape, np.nan)
        a = np.where(ben, np.where(t > 0, x / t, np.nan), a)
        a = np.where(cost, np.where(x > 0, t / x, np.where((x == 0) & (t >= 0), cap, np.nan)), a)
        a = np.where(tgt, np.where(t != 0, np.maximum(0.0, 1 - np.abs(x - t) / np.abs(t)), np.nan), a)
        if lo is not None and hi is not None:
            inside = tgt & (x >= np.asarray(lo, float)) & (x <= np.asarray(hi, float)) & np.isfinite(t)
            a = np.where(inside, np.maximum(a, 1.0), a)
    a = np.where(np.isfinite(a), np.clip(a, 0.0, cap), np.nan)
    return a


def status(a: np.ndarray, *, close: float = DEFAULT_CLOSE) -> np.ndarray:
    """achieved | close | missed | '' (NaN), on a rounded to whole percent as every page shows it."""
    r = np.round(np.asarray(a, dtype=float), 2)     # 0.996 is shown as 100 %: it reads achieved
    out = np.full(r.shape, "", dtype=object)
    out[r >= round(close, 2) - 1e-12] = "close"
    out[r >= 1.0 - 1e-12] = "achieved"
    out[np.isfinite(r) & (r < round(close, 2) - 1e-12)] = "missed"
    return out


def level_name(tree, node) -> str:
    if node.is_leaf:
        return "indicator"
    depth = tree.depth[node.id]
    return {0: "index", 1: "domain"}.get(depth, "stage" if node.stage else "group")


def attainment_table(result, targets: pd.DataFrame) -> pd.DataFrame:
    """attainment.csv: unit, year, node, level, actual, target, attainment, status (every node with targets below)."""
    cfg = result.settings.planning or {}
    cap = float(cfg.get("cap", DEFAULT_CAP))
    close = float(cfg.get("close", DEFAULT_CLOSE))
    tree = result.tree
    units, years, leaves = list(result.units), list(result.years), list(tree.leaf_ids)
    # the value as reported (derived computed), not as imputed or outlier-treated for scoring
    x = result.prepared.x_raw
    t = np.full(x.shape, np.nan)
    tg = targets[targets["unit"].isin(units) & targets["year"].isin(years) & targets["indicator"].isin(leaves)]
    ui = pd.Index(units).get_indexer(tg["unit"])
    yi = pd.Index(years).get_indexer(tg["year"])
    li = pd.Index(leaves).get_indexer(tg["indicator"])
    t[ui, yi, li] = tg["target"].to_numpy(float)
    direction = np.array([n.direction for n in tree.leaves], dtype=object)
    lo = np.array([n.target[0] if n.target is not None else np.nan for n in tree.leaves], dtype=float)
    hi = np.array([n.target[1] if n.target is not None else np.nan for n in tree.leaves], dtype=float)
    a = attainment(x, t, direction, cap=cap, lo=lo, hi=hi)

    # node attainment: global-weight average over the leaves below that have an attainment
    gw = np.array([result.global_weight[tree.index[lid]] for lid in leaves])
    inner = [n for n in tree.nodes if not n.is_leaf]
    m = np.zeros((len(leaves), len(inner)))
    for k, n in enumerate(inner):
        for lid in tree.leaves_under(n.id):
            m[leaves.index(lid), k] = gw[leaves.index(lid)]
    has = np.isfinite(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        if result.global_weight_year is None:
            num = np.where(has, a, 0.0) @ m
            den = has.astype(float) @ m
        else:  # per-year weights (by: year): each year's leaves weighted by that year's global weights
            member = (m > 0).astype(float)
            gy = result.global_weight_year[:, [tree.index[lid] for lid in leaves]]  # (Y, L)
            num = np.einsum("uyl,yl,lk->uyk", np.where(has, a, 0.0), gy, member)
            den = np.einsum("uyl,yl,lk->uyk", has.astype(float), gy, member)
        node_a = np.where(den > 0, num / den, np.nan)

    U, Y, L = a.shape
    uu, yy = np.meshgrid(np.arange(U), np.arange(Y), indexing="ij")
    uu, yy = uu.ravel(), yy.ravel()
    frames = []
    leaf_rows = pd.DataFrame({
        "unit": np.repeat(np.array(units, dtype=object)[uu], L),
        "year": np.repeat(np.array(years)[yy], L),
        "node": np.tile(np.array(leaves, dtype=object), U * Y),
        "level": "indicator",
        "actual": x.reshape(-1), "target": t.reshape(-1), "attainment": a.reshape(-1),
    })
    frames.append(leaf_rows[np.isfinite(leaf_rows["target"].to_numpy())])
    K = len(inner)
    node_rows = pd.DataFrame({
        "unit": np.repeat(np.array(units, dtype=object)[uu], K),
        "year": np.repeat(np.array(years)[yy], K),
        "node": np.tile(np.array([n.id for n in inner], dtype=object), U * Y),
        "level": np.tile(np.array([level_name(tree, n) for n in inner], dtype=object), U * Y),
        "actual": np.nan, "target": np.nan, "attainment": node_a.reshape(-1),
    })
    frames.append(node_rows[np.isfinite(node_rows["attainment"].to_numpy())])
    out = pd.concat(frames, ignore_index=True)
    out["status"] = status(out["attainment"].to_numpy(float), close=close)
    order = {u: i for i, u in enumerate(units)}
    node_order = {n.id: i for i, n in enumerate(tree.root.walk())}
    out = out.sort_values(["year", "unit", "node"], key=lambda c: c.map(order) if c.name == "unit" else
                          (c.map(node_order) if c.name == "node" else c), kind="stable")
    return out.reset_index(drop=True)
