"""A synthetic ReportInput shaped like the demo (41 YRD cities × 5 domains × 4 stages).

For previews, the report tests and benchmarks only: scores are computed by
simple means (panel min–max, equal/fixed weights), not by the engine.
Everything it makes is stamped synthetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tree import Names, Node, Tree
from .inputs import ReportInput

CITIES = (
    ("310000", "上海", "Shanghai", "上海市", "Shanghai"),
    ("320100", "南京", "Nanjing", "江苏省", "Jiangsu"), ("320200", "无锡", "Wuxi", "江苏省", "Jiangsu"),
    ("320300", "徐州", "Xuzhou", "江苏省", "Jiangsu"), ("320400", "常州", "Changzhou", "江苏省", "Jiangsu"),
    ("320500", "苏州", "Suzhou", "江苏省", "Jiangsu"), ("320600", "南通", "Nantong", "江苏省", "Jiangsu"),
    ("320700", "连云港", "Lianyungang", "江苏省", "Jiangsu"), ("320800", "淮安", "Huai'an", "江苏省", "Jiangsu"),
    ("320900", "盐城", "Yancheng", "江苏省", "Jiangsu"), ("321000", "扬州", "Yangzhou", "江苏省", "Jiangsu"),
    ("321100", "镇江", "Zhenjiang", "江苏省", "Jiangsu"), ("321200", "泰州", "Taizhou", "江苏省", "Jiangsu"),
    ("321300", "宿迁", "Suqian", "江苏省", "Jiangsu"),
    ("330100", "杭州", "Hangzhou", "浙江省", "Zhejiang"), ("330200", "宁波", "Ningbo", "浙江省", "Zhejiang"),
    ("330300", "温州", "Wenzhou", "浙江省", "Zhejiang"), ("330400", "嘉兴", "Jiaxing", "浙江省", "Zhejiang"),
    ("330500", "湖州", "Huzhou", "浙江省", "Zhejiang"), ("330600", "绍兴", "Shaoxing", "浙江省", "Zhejiang"),
    ("330700", "金华", "Jinhua", "浙江省", "Zhejiang"), ("330800", "衢州", "Quzhou", "浙江省", "Zhejiang"),
    ("330900", "舟山", "Zhoushan", "浙江省", "Zhejiang"), ("331000", "台州", "Taizhou", "浙江省", "Zhejiang"),
    ("331100", "丽水", "Lishui", "浙江省", "Zhejiang"),
    ("340100", "合肥", "Hefei", "安徽省", "Anhui"), ("340200", "芜湖", "Wuhu", "安徽省", "Anhui"),
    ("340300", "蚌埠", "Bengbu", "安徽省", "Anhui"), ("340400", "淮南", "Huainan", "安徽省", "Anhui"),
    ("340500", "马鞍山", "Ma'anshan", "安徽省", "Anhui"), ("340600", "淮北", "Huaibei", "安徽省", "Anhui"),
    ("340700", "铜陵", "Tongling", "安徽省", "Anhui"), ("340800", "安庆", "Anqing", "安徽省", "Anhui"),
    ("341000", "黄山", "Huangshan", "安徽省", "Anhui"), ("341100", "滁州", "Chuzhou", "安徽省", "Anhui"),
    ("341200", "阜阳", "Fuyang", "安徽省", "Anhui"), ("341300", "宿州", "Suzhou", "安徽省", "Anhui"),
    ("341500", "六安", "Lu'an", "安徽省", "Anhui"), ("341600", "亳州", "Bozhou", "安徽省", "Anhui"),
    ("341700", "池州", "Chizhou", "安徽省", "Anhui"), ("341800", "宣城", "Xuancheng", "安徽省", "Anhui"),
)

# domain id, zh, en, source zh, source en, and per stage two leaves (zh, en, unit, direction)
DOMAINS = (
    ("gov", "政务服务", "Government services", "市政务服务管理办公室", "Municipal government service office", {
        "input": [("政务信息化支出占一般公共预算支出比重", "E-government spending share of budget", "%", "benefit"),
                  ("每万人政务服务人员数", "Government service staff per 10,000 residents", "人/万人", "benefit")],
        "process": [("一网通办事项覆盖率", "Share of services available online (one-stop)", "%", "benefit"),
                    ("政务数据共享调用次数", "Government data-sharing calls", "万次", "benefit")],
        "output": [("全程网办事项比例", "Share of services handled fully online", "%", "benefit"),
                   ("平均办理时限", "Average processing time", "工作日", "cost")],
        "outcome": [("政务服务好差评满意率", "Service satisfaction rate", "%", "benefit"),
                    ("营商环境评价得分", "Business environment score", "分", "benefit")]}),
    ("transport", "交通出行", "Transport", "市交通运输局", "Municipal transport bureau", {
        "input": [("交通基础设施投资占GDP比重", "Transport infrastructure investment share of GDP", "%", "benefit"),
                  ("每万人公交车辆数", "Buses per 10,000 residents", "标台/万人", "benefit")],
        "process": [("智能信号灯路口覆盖率", "Share of junctions with adaptive signals", "%", "benefit"),
                    ("公交电子支付覆盖率", "Share of bus trips payable electronically", "%", "benefit")],
        "output": [("轨道交通运营里程", "Rail transit length in operation", "公里", "benefit"),
                   ("公交站点500米覆盖率", "Population within 500 m of a stop", "%", "benefit")],
        "outcome": [("高峰拥堵延时指数", "Peak-hour congestion delay index", "", "cost"),
                    ("公共交通出行分担率", "Public transport mode share", "%", "benefit")]}),
    ("health", "医疗卫生", "Healthcare", "市卫生健康委员会", "Municipal health commission", {
        "input": [("每千人医院床位数", "Hospital beds per 1,000 residents", "张/千人", "benefit"),
                  ("每千人执业医师数", "Licensed doctors per 1,000 residents", "人/千人", "benefit")],
        "process": [("电子健康档案建档率", "Electronic health record coverage", "%", "benefit"),
                    ("互联网医院接诊量", "Internet hospital consultations", "万人次", "benefit")],
        "output": [("远程医疗覆盖乡镇比例", "Townships covered by telemedicine", "%", "benefit"),
                   ("检查结果互认率", "Mutual recognition of test results", "%", "benefit")],
        "outcome": [("人均预期寿命", "Life expectancy", "岁", "benefit"),
                    ("孕产妇死亡率", "Maternal mortality", "1/10万", "cost")]}),
    ("education", "教育", "Education", "市教育局", "Municipal education bureau", {
        "input": [("教育支出占财政支出比重", "Education spending share of budget", "%", "benefit"),
                  ("生均教育信息化经费", "ICT spending per pupil", "元", "benefit")],
        "process": [("智慧校园建设达标率", "Schools meeting smart-campus standard", "%", "benefit"),
                    ("优质课程资源共享数", "Shared quality course resources", "门", "benefit")],
        "output": [("中小学师生比", "Pupils per teacher", "", "target"),
                   ("学前教育毛入园率", "Pre-school gross enrolment rate", "%", "benefit")],
        "outcome": [("高中阶段毛入学率", "Upper-secondary gross enrolment rate", "%", "benefit"),
                    ("家长教育满意度", "Parent satisfaction with schools", "%", "benefit")]}),
    ("environment", "生态环保", "Environment", "市生态环境局", "Municipal ecology and environment bureau", {
        "input": [("节能环保支出占财政支出比重", "Environmental spending share of budget", "%", "benefit"),
                  ("在线监测站点密度", "Online monitoring stations per 100 km²", "个/百平方公里", "benefit")],
        "process": [("污染源自动监控覆盖率", "Polluters under automatic monitoring", "%", "benefit"),
                    ("环境执法数字化率", "Digitised environmental inspections", "%", "benefit")],
        "output": [("城市污水处理率", "Urban wastewater treatment rate", "%", "benefit"),
                   ("生活垃圾分类覆盖率", "Household waste sorting coverage", "%", "benefit")],
        "outcome": [("PM2.5年均浓度", "Annual mean PM2.5", "微克/立方米", "cost"),
                    ("空气质量优良天数比例", "Share of days with good air", "%", "benefit")]}),
)
STAGE_NAMES = {"input": ("投入", "Input"), "process": ("过程", "Process"),
               "output": ("产出", "Output"), "outcome": ("效果", "Outcome")}
STAGE_W = {"input": 0.2, "process": 0.2, "output": 0.3, "outcome": 0.3}


def sample_tree(n_domains: int = 5) -> Tree:
    doms = []
    for did, zh, en, szh, sen, stages in DOMAINS[:n_domains]:
        kids = []
        for st, leaves in stages.items():
            lv = tuple(Node(id=f"{did}_{st}_{k + 1}", name=Names(a, b), unit=u, direction=dr, stage=st,
                            target=(12.0, 16.0) if dr == "target" else None, source=Names(szh, sen))
                       for k, (a, b, u, dr) in enumerate(leaves))
            kids.append(Node(id=f"{did}.{st}", name=Names(*STAGE_NAMES[st]), children=lv, stage=st))
        doms.append(Node(id=did, name=Names(zh, en), children=tuple(kids)))
    root = Node(id="dgpi", name=Names("数字化治理绩效指数", "Digital governance performance index"),
                children=tuple(doms))
    return Tree(root=root, file="indicators/sample.yaml")


def _ranks(s: np.ndarray) -> np.ndarray:
    """Min-method ranks over axis 0 (1 = best; NaN stays NaN)."""
    out = np.full(s.shape, np.nan)
    for idx in np.ndindex(s.shape[1:]):
        col = s[(slice(None),) + idx]
        ok = ~np.isnan(col)
        v = col[ok]
        out[(ok,) + idx] = 1 + np.sum(v[None, :] > v[:, None], axis=1)
    return out


def sample_input(n_units: int = 41, years=range(2019, 2025), *, seed: int = 7, tables: bool = True,
                 n_domains: int = 5, missing_rate: float = 0.02) -> ReportInput:
    rng = np.random.default_rng(seed)
    tree = sample_tree(n_domains)
    years = [int(y) for y in years]
    if n_units <= len(CITIES):
        cities = CITIES[:n_units]
    else:
        prov = [("江苏省", "Jiangsu"), ("浙江省", "Zhejiang"), ("安徽省", "Anhui"), ("上海市", "Shanghai")]
        cities = tuple((f"U{i:05d}", f"城市{i:05d}", f"City {i:05d}", *prov[i % 4]) for i in range(n_units))
    units = pd.DataFrame({"id": [c[0] for c in cities], "name_zh": [c[1] for c in cities],
                          "name_en": [c[2] for c in cities], "group": [c[3] for c in cities],
                          "group_zh": [c[3] for c in cities], "group_en": [c[4] for c in cities]})
    U, Y = len(cities), len(years)
    leaves = tree.leaves
    L = len(leaves)
    size = rng.normal(0, 1, U) - np.linspace(-0.8, 0.8, U)  # a city's general level (bigger cities listed first)
    trend = np.linspace(0, 1, Y)
    raw = np.empty((U, Y, L))
    for j, n in enumerate(leaves):
        base = rng.uniform(20, 80)
        spread = base * rng.uniform(0.1, 0.35)
        stage_bias = rng.normal(0, 0.6, U)
        x = base + spread * (0.7 * size[:, None] + 0.5 * stage_bias[:, None] + 0.5 * trend[None, :]
                             + rng.normal(0, 0.25, (U, Y)))
        if n.direction == "cost":
            x = base + spread * (-0.7 * size[:, None] - 0.4 * trend[None, :] + rng.normal(0, 0.3, (U, Y)))
        if n.direction == "target":
            x = 14 + 3 * rng.normal(0, 1, (U, Y))
        raw[:, :, j] = np.maximum(x, 0.1)
    miss = rng.random((U, Y, L)) < missing_rate
    imp = (rng.random((U, Y, L)) < 0.03) & ~miss
    trt = (rng.random((U, Y, L)) < 0.02) & ~miss
    prov = np.zeros((U, Y, L), bool)
    prov[:, -1, :] = (rng.random((U, L)) < 0.01) & (rng.random(U) < 0.25)[:, None]
    raw_obs = np.where(miss, np.nan, raw)

    # panel min–max onto 0–100
    z = np.empty_like(raw_obs)
    for j, n in enumerate(leaves):
        x = raw_obs[:, :, j]
        if n.direction == "target":
            d = np.maximum(0, np.maximum(n.target[0] - x, x - n.target[1]))
            m = np.nanmax(d)
            z[:, :, j] = 1 - d / m if m > 0 else 1.0
        else:
            lo, hi = np.nanmin(x), np.nanmax(x)
            z[:, :, j] = (x - lo) / (hi - lo) if n.direction == "benefit" else (hi - x) / (hi - lo)
    leaf_s = 100 * z
    N = len(tree.nodes)
    score = np.full((U, Y, N), np.nan)
    for j, n in enumerate(leaves):
        score[:, :, tree.index[n.id]] = leaf_s[:, :, j]
    local: dict[str, float] = {tree.root.id: 1.0}
    for node in tree.inner:
        kids = node.children
        if all(k.stage in STAGE_W and k.children for k in kids) and node is not tree.root:
            w = np.array([STAGE_W[k.stage] for k in kids])
        else:
            w = np.full(len(kids), 1 / len(kids))
        for k, wk in zip(kids, w):
            local[k.id] = float(wk)
        cs = np.stack([score[:, :, tree.index[k.id]] for k in kids], axis=2)
        have = ~np.isnan(cs)
        ww = np.where(have, w, 0.0)
        tot = ww.sum(axis=2)
        with np.errstate(invalid="ignore"):
            score[:, :, tree.index[node.id]] = np.where(tot >= 2 / 3 - 1e-12, np.nansum(cs * w, axis=2) / tot, np.nan)
    rank = _ranks(score)
    gids = units["group"].to_numpy()
    grank = np.full_like(rank, np.nan)
    for g in dict.fromkeys(gids):
        m = gids == g
        grank[m] = _ranks(score[m])
    uu, yy, nn = np.meshgrid(np.arange(U), np.arange(Y), np.arange(N), indexing="ij")
    results = pd.DataFrame({
        "unit": units["id"].to_numpy()[uu.ravel()], "year": np.array(years)[yy.ravel()],
        "node": np.array([n.id for n in tree.nodes], dtype=object)[nn.ravel()],
        "score": score.ravel(), "rank": rank.ravel(), "group_rank": grank.ravel(),
    })
    root_i = tree.index[tree.root.id]
    grades = {"A": 70.0, "B": 55.0, "C": 40.0, "D": 0.0}

    def grade(s: float) -> str:
        if s != s:
            return ""
        return next(g for g, b in grades.items() if s >= b)

    results["grade"] = [grade(v) if n == tree.root.id else "" for v, n in zip(results["score"], results["node"])]
    lastprov = np.zeros((U, Y, N), bool)
    lastprov[:, -1, root_i] = prov[:, -1, :].any(axis=1)
    results["provisional"] = lastprov.ravel()
    uu, yy, ll = np.meshgrid(np.arange(U), np.arange(Y), np.arange(L), indexing="ij")
    rawdf = pd.DataFrame({
        "unit": units["id"].to_numpy()[uu.ravel()], "year": np.array(years)[yy.ravel()],
        "indicator": np.array(tree.leaf_ids, dtype=object)[ll.ravel()], "value": raw_obs.ravel(),
        "imputed": imp.ravel(), "treated": trt.ravel(), "provisional": prov.ravel()})
    gw: dict[str, float] = {}
    wrows = []
    for n in tree.root.walk():
        par = tree.parent[n.id]
        gw[n.id] = local[n.id] * (gw[par] if par else 1.0)
        is_root = par is None
        method = "" if is_root else ("ahp" if par == tree.root.id else ("fixed" if n.stage and n.children else "entropy"))
        wrows.append({"node": n.id, "parent": par or "", "method": method, "local_weight": local[n.id],
                      "global_weight": gw[n.id], "cr": 0.0312 if method == "ahp" else np.nan,
                      "ri_table": "cn_textbook" if method == "ahp" else ""})
    weights = pd.DataFrame(wrows)
    meta = {
        "title": {"zh": "长三角城市数字化治理绩效评估", "en": "YRD city digital governance performance"},
        "scale": (0.0, 100.0), "grades": grades, "synthetic": True, "years": years,
        "method": {"normalize": {"method": "minmax", "scope": "panel"}, "aggregate": {"method": "arithmetic"},
                   "weights": "weights/combined.yaml",
                   "preparation": [{"step": "impute", "params": {"method": "linear_interp"}},
                                   {"step": "treat", "params": {"method": "winsorise", "max_skew": 2.0}}]},
        "manifest": {"engine_version": "0.1.0",
                     "inputs": {"data/demo/values.csv": "3f" * 32, "data/demo/units.csv": "a9" * 32,
                                "indicators/digital_governance.yaml": "0c" * 32, "weights/combined.yaml": "7e" * 32}},
    }
    tabs: dict[str, pd.DataFrame | None] = {}
    if tables:
        tabs = _tables(rng, tree, units, years, score, rank, z, local)
    return ReportInput(tree=tree, units=units, results=results, weights=weights, raw=rawdf, meta=meta,
                       tables=tabs, notes=("demo: 2% of cells left missing on purpose",))


def _tables(rng, tree, units, years, score, rank, z, local) -> dict[str, pd.DataFrame]:
    U, Y = len(units), len(years)
    ids = units["id"].to_numpy()
    doms = tree.domains
    dI = [tree.index[d.id] for d in doms]
    coord, obst, eff, att, rob = [], [], [], [], []
    classes = [("极度失调", "extreme imbalance"), ("严重失调", "serious imbalance"), ("中度失调", "moderate imbalance"),
               ("轻度失调", "mild imbalance"), ("濒临失调", "on the verge of imbalance"),
               ("勉强协调", "barely coordinated"), ("初级协调", "primary coordination"),
               ("中级协调", "intermediate coordination"), ("良好协调", "good coordination"),
               ("优质协调", "high-quality coordination")]
    leaves = tree.leaves
    gw = np.array([local[n.id] * local[tree.parent[n.id]] * local[tree.domain_of(n.id)] for n in leaves])
    n_units = U
    for u in range(U):
        for y in range(Y):
            Uv = np.clip(score[u, y, dI] / 100, 0.01, 1)
            if np.isnan(Uv).any():
                continue
            n = len(Uv)
            C = n * np.prod(Uv) ** (1 / n) / Uv.sum()
            T = Uv.mean()
            D = float(np.sqrt(C * T))
            lvl = min(9, int(D * 10))
            coord.append({"unit": ids[u], "year": years[y], "C": C, "T": T, "D": D, "level": lvl + 1,
                          "class_zh": classes[lvl][0], "class_en": classes[lvl][1],
                          "lagging": doms[int(np.argmin(Uv))].id})
            fi = gw * (1 - np.nan_to_num(z[u, y], nan=0.5))
            o = fi / fi.sum() if fi.sum() > 0 else fi
            for j, n in enumerate(leaves):
                obst.append({"unit": ids[u], "year": years[y], "level": "indicator", "node": n.id, "obstacle": o[j]})
            for d in doms:
                share = sum(o[j] for j, n in enumerate(leaves) if tree.domain_of(n.id) == d.id)
                obst.append({"unit": ids[u], "year": years[y], "level": "domain", "node": d.id, "obstacle": share})
                for s in d.children:
                    sh = sum(o[j] for j, n in enumerate(leaves) if tree.parent[n.id] == s.id)
                    obst.append({"unit": ids[u], "year": years[y], "level": "stage", "node": s.id, "obstacle": sh})
                st = {s.stage: score[u, y, tree.index[s.id]] for s in d.children}
                e = float(np.clip((st["outcome"] + 1) / (st["input"] + 1) / 1.6, 0.2, 1.0))
                eff.append({"unit": ids[u], "year": years[y], "domain": d.id, "efficiency": e,
                            "ratio": (st["outcome"] + 1) / (st["input"] + 1),
                            "peers": "" if e >= 1 else ";".join(rng.choice(ids, 2, replace=False))})
            r = rank[u, y, tree.index[tree.root.id]]
            lo = max(1, r - rng.integers(0, 4))
            hi = min(n_units, r + rng.integers(0, 5))
            rob.append({"unit": ids[u], "year": years[y], "nominal_rank": r, "median_rank": r,
                        "rank_p05": lo, "rank_p95": hi, "p_top5": float(max(0, 1 - (r - 1) / 6)),
                        "p_bottom5": float(max(0, 1 - (n_units - r) / 6))})
            for j in rng.choice(len(leaves), 5, replace=False):
                n = leaves[j]
                actual = float(rng.uniform(40, 100))
                target = float(actual * rng.uniform(0.85, 1.2))
                a = actual / target if n.direction != "cost" else target / actual
                att.append({"unit": ids[u], "year": years[y], "node": n.id, "level": "indicator",
                            "actual": actual, "target": target, "attainment": a,
                            "status": "met" if a >= 1 else ("near" if a >= 0.95 else "missed")})
    return {"coordination": pd.DataFrame(coord), "obstacles": pd.DataFrame(obst), "efficiency": pd.DataFrame(eff),
            "attainment": pd.DataFrame(att), "robustness": pd.DataFrame(rob)}
