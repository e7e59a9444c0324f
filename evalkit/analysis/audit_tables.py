"""The statistical audit's tables (audit-correlations.csv, audit-nodes.csv, audit-indicators.csv).

Built from a scored result: for every inner node, its children's scores (the normalised
leaves, or the child nodes' scores, on the project's scale) against the node, their siblings
and the index; Cronbach's alpha, PCA and effective importance of the children; skewness and
kurtosis of every indicator before and after preparation.  Each year of the data, and all
years pooled (unit-years as observations).  The pure functions are in :mod:`.audit`.
Source: docs/methods.md#audit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..prepare.treat import _fails
from . import audit as A


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """Flag thresholds (project file ``audit:``)."""

    weak: float = 0.3  # |r| with the parent below this: the child barely moves with it
    collinear: float = 0.9  # |r| between siblings above this: one may be redundant
    alpha: float = 0.7  # Cronbach's alpha below this: the children are not consistent (Nunnally 1978)
    ratio: float = 2.0  # importance share / weight beyond this factor either way: weight not felt as set

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any] | None, **override: float | None) -> "AuditSettings":
        names = {f.name for f in fields(cls)}
        kw = {k: float(v) for k, v in dict(m or {}).items() if k in names}
        kw.update({k: float(v) for k, v in override.items() if v is not None})
        return cls(**kw)


def audit_tables(result, settings: AuditSettings | None = None) -> dict[str, pd.DataFrame]:
    """{"audit-correlations", "audit-nodes", "audit-indicators"}: the audit of a scored result."""
    cfg = settings or AuditSettings.from_mapping(getattr(result.settings, "audit", None))
    blocks = _blocks(result)
    return {
        "audit-correlations": correlations_table(result, cfg, blocks),
        "audit-nodes": nodes_table(result, cfg, blocks),
        "audit-indicators": indicators_table(result, blocks),
    }


def _blocks(result) -> list[tuple[str, Any, np.ndarray]]:
    """(scope, year, row selector) per year, then the pooled panel: rows of (U, Y) flattened."""
    U, Y = len(result.units), len(result.years)
    idx = np.arange(U * Y).reshape(U, Y)
    out = [("year", int(y), idx[:, t]) for t, y in enumerate(result.years)]
    out.append(("pooled", pd.NA, idx.ravel()))
    return out


def _flat(a: np.ndarray) -> np.ndarray:
    """(U, Y, k) -> (U*Y, k), rows unit-major (row u*Y + t)."""
    return a.reshape(a.shape[0] * a.shape[1], -1)


def _fmt(v: float) -> str:
    return "NaN" if v != v else f"{v:.3f}"


# --------------------------------------------------------------------------- correlations


def correlations_table(result, cfg: AuditSettings, blocks=None) -> pd.DataFrame:
    """audit-correlations.csv: scope, year, node, child, with, relation, pearson, spearman, n, flag_zh, flag_en.

    relation: ``parent`` (the child with its node), ``sibling`` (each pair of children once),
    ``index`` (the child with the root; left out at the root's own children).  Flags, on
    Pearson's r: a negative r with the parent or the index, |r| < weak with the parent,
    |r| > collinear between siblings.
    """
    tree = result.tree
    s = _flat(result.scores)
    root = tree.root.id
    rows: list[dict[str, Any]] = []
    for scope, year, sel in blocks or _blocks(result):
        for node in tree.inner:
            kids = [c.id for c in node.children]
            cols = [tree.index[c] for c in kids] + [tree.index[node.id], tree.index[root]]
            x = s[sel][:, cols]
            rp, n = A.pearson(x)
            rs, _ = A.spearman(x)
            k = len(kids)
            base = {"scope": scope, "year": year, "node": node.id}
            for i, child in enumerate(kids):
                rows.append({**base, "child": child, "with": node.id, "relation": "parent",
                             "pearson": rp[i, k], "spearman": rs[i, k], "n": int(n[i, k])})
                for j in range(i + 1, k):
                    rows.append({**base, "child": child, "with": kids[j], "relation": "sibling",
                                 "pearson": rp[i, j], "spearman": rs[i, j], "n": int(n[i, j])})
                if node.id != root:
                    rows.append({**base, "child": child, "with": root, "relation": "index",
                                 "pearson": rp[i, k + 1], "spearman": rs[i, k + 1], "n": int(n[i, k + 1])})
    df = pd.DataFrame(rows, columns=["scope", "year", "node", "child", "with", "relation", "pearson", "spearman",
                                     "n"])
    df["year"] = df["year"].astype("Int64")
    zh, en = zip(*(_corr_flags(*r, cfg) for r in zip(df["child"], df["with"], df["relation"], df["pearson"]))) \
        if len(df) else ((), ())
    df["flag_zh"], df["flag_en"] = list(zh), list(en)
    return df


def _corr_flags(child: str, other: str, relation: str, v: float, cfg: AuditSettings) -> tuple[str, str]:
    zh: list[str] = []
    en: list[str] = []
    if relation in ("parent", "index") and v < 0:
        what_en, what_zh = ("its dimension", "所属维度") if relation == "parent" else ("the index", "总指数")
        en.append(f"{child} moves against {what_en} {other} (r = {_fmt(v)})")
        zh.append(f"{child} 与{what_zh} {other} 反向变动（r = {_fmt(v)}）")
    if relation == "parent" and abs(v) < cfg.weak:
        en.append(f"{child} barely moves with {other} (|r| = {_fmt(abs(v))} < {cfg.weak:g})")
        zh.append(f"{child} 与 {other} 几乎不相关（|r| = {_fmt(abs(v))} < {cfg.weak:g}）")
    if relation == "sibling" and abs(v) > cfg.collinear:
        en.append(f"{child} and {other} are collinear (r = {_fmt(v)} > {cfg.collinear:g}): one may be redundant")
        zh.append(f"{child} 与 {other} 高度共线（r = {_fmt(v)} > {cfg.collinear:g}），可能重复计量")
    return "; ".join(zh), "; ".join(en)


# --------------------------------------------------------------------------- nodes


NODE_COLUMNS = ["scope", "year", "node", "child", "weight", "importance", "importance_share", "importance_ratio",
                "loading_pc1", "loading_pc2", "component", "eigenvalue", "variance_share", "cumulative_share",
                "alpha", "n_components", "n_obs_pca"]


def nodes_table(result, cfg: AuditSettings, blocks=None) -> pd.DataFrame:
    """audit-nodes.csv: one row per node and child.

    Child columns: weight (the child's local weight), importance (S_i, the squared correlation
    ratio of the node's score on the child), importance_share (S_i / Σ S), importance_ratio
    (share / weight), loading_pc1 and loading_pc2 (the child's entries of the first two
    eigenvectors).  Node columns, repeated on each of its rows: alpha (Cronbach), n_components
    (eigenvalues > 1), n_obs_pca (complete rows); row ``component`` = c also carries the node's
    c-th eigenvalue, its variance share and the cumulative share.  Node flags are on the
    component-1 row.
    """
    tree = result.tree
    s = _flat(result.scores)
    rows: list[pd.DataFrame] = []
    for scope, year, sel in blocks or _blocks(result):
        for node in tree.inner:
            kids = [c.id for c in node.children]
            k = len(kids)
            x = s[sel][:, [tree.index[c] for c in kids]]
            y = s[sel][:, tree.index[node.id]]
            w = np.array([result.local_weight[tree.index[c]] for c in kids])
            imp = A.first_order(x, y)
            share, ratio = A.importance_ratio(imp, w)
            p = A.pca(x)
            alpha = A.cronbach_alpha(x)
            zh, en = _node_flags(node.id, kids, w, share, ratio, alpha, p, cfg)
            rows.append(pd.DataFrame({
                "scope": scope, "year": year, "node": node.id, "child": kids, "weight": w,
                "importance": imp, "importance_share": share, "importance_ratio": ratio,
                "loading_pc1": p.loadings[:, 0],
                "loading_pc2": p.loadings[:, 1] if k > 1 else np.nan,
                "component": np.arange(1, k + 1), "eigenvalue": p.eigenvalues, "variance_share": p.share,
                "cumulative_share": np.cumsum(p.share), "alpha": alpha, "n_components": p.n_above_one,
                "n_obs_pca": p.n_obs, "flag_zh": zh, "flag_en": en,
            }))
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=[*NODE_COLUMNS, "flag_zh", "flag_en"])
    df["year"] = df["year"].astype("Int64")
    return df


def _node_flags(node: str, kids: list[str], w, share, ratio, alpha: float, p: A.Pca,
                cfg: AuditSettings) -> tuple[list[str], list[str]]:
    k = len(kids)
    zh: list[list[str]] = [[] for _ in kids]
    en: list[list[str]] = [[] for _ in kids]
    if k > 1 and alpha < cfg.alpha:
        en[0].append(f"{node}: Cronbach's alpha {_fmt(alpha)} < {cfg.alpha:g}: its children are not consistent")
        zh[0].append(f"{node}：Cronbach α = {_fmt(alpha)} < {cfg.alpha:g}，下级指标一致性不足")
    if p.n_above_one > 1:
        en[0].append(f"{node}: {p.n_above_one} components with eigenvalue > 1: it may measure more than one thing")
        zh[0].append(f"{node}：{p.n_above_one} 个主成分特征值大于 1，可能不止测量一个方面")
    wn = w / w.sum() if w.sum() > 0 else w
    for i, c in enumerate(kids):
        if k < 2 or not ratio[i] == ratio[i]:
            continue
        if ratio[i] < 1 / cfg.ratio:
            en[i].append(f"{c} matters much less in {node} than its weight says (importance share "
                         f"{_fmt(share[i])}, weight {_fmt(wn[i])})")
            zh[i].append(f"{c} 在 {node} 中的实际影响远小于其权重（影响份额 {_fmt(share[i])}，权重 {_fmt(wn[i])}）")
        elif ratio[i] > cfg.ratio:
            en[i].append(f"{c} matters much more in {node} than its weight says (importance share "
                         f"{_fmt(share[i])}, weight {_fmt(wn[i])})")
            zh[i].append(f"{c} 在 {node} 中的实际影响远大于其权重（影响份额 {_fmt(share[i])}，权重 {_fmt(wn[i])}）")
    return ["; ".join(z) for z in zh], ["; ".join(e) for e in en]


# --------------------------------------------------------------------------- indicators


def indicators_table(result, blocks=None) -> pd.DataFrame:
    """audit-indicators.csv: scope, year, indicator, n, skew_raw, kurt_raw, skew_treated, kurt_treated, flag_zh, flag_en.

    raw: the values as reported (derived indicators computed); treated: as scored, after
    imputation and outlier treatment.  Flag: the treated values still fail the treatment's
    rule (|skew| ≥ skew and kurtosis ≥ kurt of ``prepare.treat``, default 2 and 3.5).
    """
    leaves = list(result.tree.leaf_ids)
    raw, used = _flat(result.prepared.x_raw), _flat(result.prepared.x)
    tr = dict(result.settings.prepare.get("treat") or {})
    t_skew, t_kurt = float(tr.get("skew", 2.0)), float(tr.get("kurt", 3.5))
    frames = []
    for scope, year, sel in blocks or _blocks(result):
        s0, k0 = A.skew_kurtosis(raw[sel])
        s1, k1 = A.skew_kurtosis(used[sel])
        bad = _fails(s1, k1, t_skew, t_kurt)
        frames.append(pd.DataFrame({
            "scope": scope, "year": year, "indicator": leaves, "n": np.isfinite(used[sel]).sum(axis=0),
            "skew_raw": s0, "kurt_raw": k0, "skew_treated": s1, "kurt_treated": k1,
            "flag_zh": [f"{i} 处理后仍偏态（偏度 {_fmt(a)}，峰度 {_fmt(b)}）" if f else ""
                        for i, a, b, f in zip(leaves, s1, k1, bad)],
            "flag_en": [f"{i} is still skewed after treatment (skew {_fmt(a)}, kurtosis {_fmt(b)})" if f else ""
                        for i, a, b, f in zip(leaves, s1, k1, bad)],
        }))
    df = pd.concat(frames, ignore_index=True)
    df["year"] = df["year"].astype("Int64")
    return df


def findings(tables: Mapping[str, pd.DataFrame], lang: str = "en") -> list[str]:
    """The flags of the pooled panel, one line each (what `evalkit audit` prints)."""
    col = f"flag_{lang}"
    out: list[str] = []
    for name in ("audit-correlations", "audit-nodes", "audit-indicators"):
        df = tables.get(name)
        if df is None or not len(df):
            continue
        pooled = df[(df["scope"] == "pooled") & (df[col] != "")]
        for text in pooled[col]:
            out.extend(t for t in text.split("; ") if t not in out)
    return out
