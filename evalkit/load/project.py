"""evalkit.yaml -> :class:`evalkit.project.Project` (paths resolved, defaults filled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import Problems, quote
from ..project import LANGS, NORMALIZE_METHODS, SCOPES, Project, Settings
from ..tree import STAGES, Names
from .tree import AGGREGATE_METHODS, read_names
from .yamlnodes import Doc, Key, compose, display_path

from ..prepare.impute import STEP_NAMES as IMPUTE_STEPS
DEFAULT_IMPUTE_CHAIN = ("interpolate", "carry", "group_median", "panel_median")

PROJECT_KEYS = {
    "title": Key(dict, False, "{zh: ..., en: ...}"),
    "framework": Key(str, True, "path of the indicator tree YAML"),
    "weights": Key(str, True, "path of the weight scheme YAML"),
    "data": Key(dict, True, "{values: ..., units: ..., synthetic: false}"),
    "years": Key(list, False, "[first, last]"),
    "normalize": Key(dict, False, "{method: minmax | zscore | rank | goalpost, scope: panel | year}"),
    "aggregate": Key(dict, False, "{method: arithmetic | geometric | topsis, min_share: 0.667, geometric_shift: 1}"),
    "scale": Key(list, False, "[lo, hi]"),
    "grades": Key(dict, False, "{A: 85, B: 70, ...}: lower bounds"),
    "targets": Key(str, False, "path of the targets file"),
    "report": Key(dict, False, "{lang: zh | en}"),
    "output": Key(str, False, "output folder"),
    "ranks": Key(dict, False, "{round: 3}: round scores to this many decimals before ranking"),
    "prepare": Key(dict, False, "{impute: ..., treat: ..., screen: ...}"),
    "analysis": Key(dict, False, "{coordination: ..., obstacles: ..., efficiency: ...}"),
    "sensitivity": Key(dict, False, "uncertainty analysis settings"),
    "planning": Key(dict, False, "targets and plan settings"),
    "description": Key(dict, False, "{zh, en}: free text shown in the reports"),
    "relations": Key(dict, False, "{data_sharing: {name: {zh, en}, directed: true, unit: {zh, en}}, ...}: the "
                     "relation types of data.relations"),
}
DATA_KEYS = {
    "values": Key(str, True, "path of the values file (CSV or XLSX)"),
    "units": Key(str, True, "path of the units file"),
    "synthetic": Key(bool, False, "true stamps every output as demonstration data"),
    "relations": Key(str, False, "path of the relations file (from, to, year, relation, value)"),
}
NORMALIZE_KEYS = {"method": Key(str, False, "minmax | zscore | rank | goalpost"),
                  "scope": Key(str, False, "panel | year")}
AGGREGATE_KEYS = {"method": Key(str, False, "arithmetic | geometric | topsis"),
                  "min_share": Key(float, False, "least share of the children's weight that must be present "
                                   "(0: any present child will do, as COINr)"),
                  "geometric_shift": Key(float, False, "geometric mean on s - lo + shift: 1 (default) survives a "
                                         "child at the bottom of the scale; 0 is the plain geometric mean (HDI), "
                                         "where such a child gives the bottom")}
REPORT_KEYS = {"lang": Key(str, False, "zh | en")}
RANKS_KEYS = {"round": Key(int, False, "decimals")}
PREPARE_KEYS = {
    "screen": Key(dict, False, "{min_coverage_unit: 0.5, min_coverage_indicator: 0.5, by: panel | year}"),
    "impute": Key(dict, False, "{chain: [interpolate, carry, group_median, panel_median], indicators: {...}}"),
    "treat": Key(dict, False, "{skew: 2, kurt: 3.5, winmax: 5, log: true, indicators: [...]}"),
}
SCREEN_KEYS = {"min_coverage_unit": Key(float), "min_coverage_indicator": Key(float), "by": Key(str)}
IMPUTE_KEYS = {"chain": Key(list), "indicators": Key(dict), "groups": Key(str)}
TREAT_KEYS = {"skew": Key(float), "kurt": Key(float), "winmax": Key(int), "log": Key(bool),
              "indicators": Key(list), "exclude": Key(list)}
ANALYSIS_KEYS = {
    "coordination": Key(dict, False, "{nodes: [...], weights: {...}, variant: corrected | traditional, floor: 0.01}"),
    "efficiency": Key(dict, False, "{inputs: [input], outputs: [output, outcome]}"),
    "disparity": Key(dict, False, "{nodes: [...]}"),
}
COORD_KEYS = {"nodes": Key(list), "weights": Key(dict), "variant": Key(str), "floor": Key(float)}
EFFICIENCY_KEYS = {"inputs": Key(list, False, "stages used as DEA inputs"),
                   "outputs": Key(list, False, "stages used as DEA outputs")}
DISPARITY_KEYS = {"nodes": Key(list, False, "nodes whose disparity is measured (default: root and domains)")}
PLANNING_KEYS = {"cap": Key(float, False, "largest attainment counted (default 1.2)"),
                 "close": Key(float, False, "attainment from which a target counts as close (default 0.9)")}


def bundled_root() -> Path:
    """Where indicators/, weights/, reports/, data/demo and examples/ are.

    In a checkout they sit beside the package; in an installed wheel they are
    mapped into ``evalkit/_bundled`` with the same relative layout.
    """
    pkg = Path(__file__).resolve().parent.parent
    bundled = pkg / "_bundled"
    if (bundled / "examples").is_dir():
        return bundled
    return pkg.parent


def demo_project_path() -> Path:
    return bundled_root() / "examples" / "demo" / "evalkit.yaml"


def load_project(path: Path | None, problems: Problems) -> Project | None:
    """Read evalkit.yaml; ``None`` means the bundled demo (which writes ./out)."""
    bundled = path is None
    if path is None:
        path = demo_project_path()
    path = Path(path)
    if path.is_dir():
        path = path / "evalkit.yaml"
    root = compose(path, problems)
    if root is None:
        return None
    doc = Doc(display_path(path), problems)
    m = doc.mapping(root, PROJECT_KEYS, "the project file")
    if m is None:
        return None
    base = path.resolve().parent
    pos = {k: doc.pos(v[0]) for k, v in m.items()}

    def path_of(entry, what) -> Path | None:
        text = doc.text(entry[1], what)
        if text is None:
            return None
        p = (base / text).resolve()
        if not p.exists():
            doc.error(entry[1], f"{what} {quote(text)} not found (looked for {display_path(p)}; paths are relative "
                      "to the project file)", "file-not-found")
            return None
        return p

    title = Names("评估结果", "Evaluation results")
    if "title" in m:
        title = read_names(doc, m["title"][1], "title", required_both=False) or title
    framework = path_of(m["framework"], "framework") if "framework" in m else None
    weights = path_of(m["weights"], "weights") if "weights" in m else None
    values = units = relations = None
    relations_given = False
    synthetic = False
    if "data" in m:
        dm = doc.mapping(m["data"][1], DATA_KEYS, "data")
        if dm is not None:
            values = path_of(dm["values"], "values file") if "values" in dm else None
            units = path_of(dm["units"], "units file") if "units" in dm else None
            if "synthetic" in dm:
                synthetic = bool(doc.boolean(dm["synthetic"][1], "synthetic"))
            if "relations" in dm:
                relations = path_of(dm["relations"], "relations file")
                relations_given = True
            for k in ("values", "units", "relations"):
                if k in dm:
                    pos[f"data.{k}"] = doc.pos(dm[k][1])
    targets = path_of(m["targets"], "targets file") if "targets" in m else None
    relation_types: tuple = ()
    if "relations" in m:
        from .relations import read_relation_types

        relation_types = read_relation_types(doc, m["relations"][1]) or ()
        if not relations_given:
            doc.error(m["relations"][0], "relations are declared but data has no relations file: add "
                      "data: {relations: relations.csv}", "no-relations-file")
    elif relations_given:
        doc.error(m["data"][1], "data.relations is given but no relation is declared: add relations: "
                  "{<id>: {name: {zh, en}, directed: true | false}}", "no-relation-types")

    years = None
    if "years" in m:
        items = doc.sequence(m["years"][1], "years")
        if items:
            ys = [doc.number(i, "year") for i in items]
            if all(y is not None for y in ys):
                if any(y != int(y) for y in ys):
                    doc.error(m["years"][1], "years must be whole numbers", "bad-years")
                elif len(ys) == 2 and ys[0] > ys[1]:
                    doc.error(m["years"][1], f"years [{int(ys[0])}, {int(ys[1])}] are reversed: write [first, last]",
                              "years-reversed")
                else:
                    years = (int(min(ys)), int(max(ys)))
        elif items is not None:
            doc.error(m["years"][1], "years is empty: write [first, last] or leave it out", "bad-years")

    s = _read_settings(doc, m)
    grades: tuple[tuple[str, float], ...] = ()
    if "grades" in m:
        gm = doc.mapping(m["grades"][1], None, "grades")
        got = []
        for label, (kn, vn) in (gm or {}).items():
            v = doc.number(vn, f"grade {label}")
            if v is not None:
                got.append((label, v))
        grades = tuple(sorted(got, key=lambda g: -g[1]))
    lang = "zh"
    if "report" in m:
        rm = doc.mapping(m["report"][1], REPORT_KEYS, "report")
        if rm and "lang" in rm:
            lang = doc.choice(rm["lang"][1], "report language", LANGS) or lang
    output = base / "out"
    if "output" in m:
        o = doc.text(m["output"][1], "output")
        if o is not None:
            output = (base / o).resolve()
    installed = bundled_root().name == "_bundled"
    if bundled or (installed and bundled_root() in path.resolve().parents):
        # the bundled projects write ./out, never into the installed package
        output = Path.cwd() / "out"
    if framework is None or weights is None or values is None or units is None:
        return None
    return Project(file=path.resolve(), title=title, framework=framework, weights=weights, values=values,
                   units=units, targets=targets, synthetic=synthetic, years=years, settings=s, grades=grades,
                   lang=lang, output=output, bundled_demo=bundled, pos=pos, relations=relations,
                   relation_types=relation_types)


def _read_settings(doc: Doc, m) -> Settings:
    kw: dict[str, Any] = {}
    if "normalize" in m:
        nm = doc.mapping(m["normalize"][1], NORMALIZE_KEYS, "normalize")
        if nm:
            if "method" in nm:
                kw["normalize"] = doc.choice(nm["method"][1], "normalize method", NORMALIZE_METHODS) or "minmax"
            if "scope" in nm:
                kw["scope"] = doc.choice(nm["scope"][1], "normalize scope", SCOPES) or "panel"
    if "aggregate" in m:
        am = doc.mapping(m["aggregate"][1], AGGREGATE_KEYS, "aggregate")
        if am:
            if "method" in am:
                kw["aggregate"] = doc.choice(am["method"][1], "aggregate method", AGGREGATE_METHODS) or "arithmetic"
            if "min_share" in am:
                v = doc.number(am["min_share"][1], "min_share", fractions=True)
                if v is not None and not 0 <= v <= 1:
                    doc.error(am["min_share"][1], f"min_share must be in [0, 1], found {v:g}", "bad-min-share")
                elif v is not None:
                    kw["min_share"] = v
            if "geometric_shift" in am:
                v = doc.number(am["geometric_shift"][1], "geometric_shift")
                if v is not None and not 0 <= v < float("inf"):
                    doc.error(am["geometric_shift"][1], f"geometric_shift must be a number >= 0 (1: shifted, "
                              f"0: plain geometric mean), found {v:g}", "bad-geometric-shift")
                elif v is not None:
                    kw["geometric_shift"] = float(v)
    if "scale" in m:
        sc = doc.pair(m["scale"][1], "scale")
        if sc is not None:
            if sc[0] >= sc[1]:
                doc.error(m["scale"][1], f"scale [{sc[0]:g}, {sc[1]:g}] needs lo < hi", "bad-scale")
            else:
                kw["scale"] = sc
    if "ranks" in m:
        rm = doc.mapping(m["ranks"][1], RANKS_KEYS, "ranks")
        if rm and "round" in rm:
            v = doc.number(rm["round"][1], "ranks round")
            if v is not None and (v != int(v) or v < 0):
                doc.error(rm["round"][1], "ranks round must be a whole number of decimals >= 0", "bad-round")
            elif v is not None:
                kw["rank_round"] = int(v)
    if "prepare" in m:
        kw["prepare"] = _read_prepare(doc, m["prepare"][1])
    if "analysis" in m:
        kw["analysis"] = _read_analysis(doc, m["analysis"][1])
    if "planning" in m:
        kw["planning"] = _read_planning(doc, m["planning"][1])
    if "sensitivity" in m:  # checked in full by evalkit.analysis.sensitivity.read_spec
        kw["sensitivity"] = _plain_mapping(doc, m["sensitivity"][1], "sensitivity")
    return Settings(**kw)


def _read_planning(doc: Doc, node) -> dict[str, Any]:
    pm = doc.mapping(node, PLANNING_KEYS, "planning") or {}
    out: dict[str, Any] = {}
    for key, lo, hi in (("cap", 1.0, float("inf")), ("close", 0.0, 1.0)):
        if key in pm:
            v = doc.number(pm[key][1], f"planning.{key}")
            if v is not None and not (lo <= v <= hi and (key != "close" or v > 0)):
                rng = "at least 1" if key == "cap" else "in (0, 1]"
                doc.error(pm[key][1], f"planning.{key} must be {rng}, found {v:g}", "bad-value")
            elif v is not None:
                out[key] = v
    return out


def _read_prepare(doc: Doc, node) -> dict[str, Any]:
    pm = doc.mapping(node, PREPARE_KEYS, "prepare")
    out: dict[str, Any] = {}
    if not pm:
        return out
    if "screen" in pm:
        sm = doc.mapping(pm["screen"][1], SCREEN_KEYS, "prepare.screen") or {}
        sc: dict[str, Any] = {"by": "panel", "min_coverage_unit": 0.0, "min_coverage_indicator": 0.0}
        for k in ("min_coverage_unit", "min_coverage_indicator"):
            if k in sm:
                v = doc.number(sm[k][1], k)
                if v is not None and not 0 <= v <= 1:
                    doc.error(sm[k][1], f"{k} is a share in [0, 1], found {v:g}", "bad-share")
                elif v is not None:
                    sc[k] = v
        if "by" in sm:
            sc["by"] = doc.choice(sm["by"][1], "screen by", ("panel", "year")) or "panel"
        out["screen"] = sc
    if "impute" in pm:
        im = doc.mapping(pm["impute"][1], IMPUTE_KEYS, "prepare.impute") or {}
        chain = list(DEFAULT_IMPUTE_CHAIN)
        if "chain" in im:
            chain = _read_chain(doc, im["chain"][1]) or chain
        per: dict[str, list[str]] = {}
        if "indicators" in im:
            for ind, (kn, vn) in (doc.mapping(im["indicators"][1], None, "impute.indicators") or {}).items():
                c = _read_chain(doc, vn)
                if c is not None:
                    per[ind] = c  # indicator ids are checked against the tree in load_inputs
        out["impute"] = {"chain": chain, "indicators": per}
    if "treat" in pm:
        tm = doc.mapping(pm["treat"][1], TREAT_KEYS, "prepare.treat") or {}
        tr: dict[str, Any] = {"skew": 2.0, "kurt": 3.5, "winmax": 5, "log": True, "exclude": []}
        for k in ("skew", "kurt"):
            if k in tm:
                v = doc.number(tm[k][1], k)
                if v is not None:
                    tr[k] = v
        if "winmax" in tm:
            v = doc.number(tm["winmax"][1], "winmax")
            if v is not None and (v != int(v) or v < 0):
                doc.error(tm["winmax"][1], "winmax must be a whole number >= 0", "bad-winmax")
            elif v is not None:
                tr["winmax"] = int(v)
        if "log" in tm:
            b = doc.boolean(tm["log"][1], "log")
            tr["log"] = True if b is None else b
        for k in ("indicators", "exclude"):
            if k in tm:
                items = doc.sequence(tm[k][1], k) or []
                tr[k] = [t for t in (doc.text(i, "indicator id") for i in items) if t is not None]
        out["treat"] = tr
    return out


def _read_chain(doc: Doc, node) -> list[str] | None:
    items = doc.sequence(node, "an imputation chain")
    if items is None:
        return None
    out = []
    for i in items:
        s = doc.choice(i, "imputation step", IMPUTE_STEPS)
        if s is None:
            return None
        out.append(s)
    return out


def _read_analysis(doc: Doc, node) -> dict[str, Any]:
    am = doc.mapping(node, ANALYSIS_KEYS, "analysis")
    out: dict[str, Any] = {}
    if not am:
        return out
    if "coordination" in am:
        cm = doc.mapping(am["coordination"][1], COORD_KEYS, "analysis.coordination") or {}
        c: dict[str, Any] = {"variant": "corrected", "floor": None}
        if "nodes" in cm:
            c["nodes"] = [t for t in (doc.text(i, "node id") for i in (doc.sequence(cm["nodes"][1], "nodes") or []))
                          if t is not None]
        if "weights" in cm:
            wm = doc.mapping(cm["weights"][1], None, "coordination weights") or {}
            ws = {k: doc.number(v[1], f"weight of {k}") for k, v in wm.items()}
            bad = [k for k, v in ws.items() if v is not None and v < 0]
            for k in bad:
                doc.error(wm[k][1], f"coordination weight of '{k}' must be >= 0", "negative-weight")
            if not bad and all(v is not None for v in ws.values()):
                if ws and sum(ws.values()) <= 0:
                    doc.error(cm["weights"][1], "coordination weights must not all be 0", "bad-value")
                else:
                    c["weights"] = ws
        if "variant" in cm:
            c["variant"] = doc.choice(cm["variant"][1], "coupling variant", ("corrected", "traditional")) or "corrected"
        if "floor" in cm:
            c["floor"] = doc.number(cm["floor"][1], "floor")
        out["coordination"] = c
    if "efficiency" in am:
        em = doc.mapping(am["efficiency"][1], EFFICIENCY_KEYS, "analysis.efficiency") or {}
        e: dict[str, Any] = {}
        for key in ("inputs", "outputs"):
            if key in em:
                items = doc.sequence(em[key][1], f"efficiency {key}") or []
                stages = [doc.choice(i, f"efficiency {key[:-1]} stage", STAGES) for i in items]
                if not items:
                    doc.error(em[key][1], f"efficiency {key} is empty: name at least one stage", "bad-value")
                elif all(st is not None for st in stages):
                    e[key] = stages
        if set(e.get("inputs", ())) & set(e.get("outputs", ())):
            doc.error(am["efficiency"][1], "a stage cannot be both a DEA input and an output", "bad-value")
        out["efficiency"] = e
    if "disparity" in am:
        dm = doc.mapping(am["disparity"][1], DISPARITY_KEYS, "analysis.disparity") or {}
        if "nodes" in dm:
            out["disparity"] = {"nodes": [t for t in (doc.text(i, "node id") for i in
                                                      (doc.sequence(dm["nodes"][1], "nodes") or [])) if t is not None]}
    return out


def _plain_mapping(doc: Doc, node, what: str) -> dict[str, Any]:
    """A free-form settings mapping, read safely; its keys are checked by the step that uses it."""
    if not isinstance(node, yaml.MappingNode):
        doc.error(node, f"{what} must be a mapping", "not-a-mapping")
        return {}
    from .yamlnodes import Loader

    return yaml.load(yaml.serialize(node), Loader=Loader) or {}


SETTINGS_KEYS = {k: PROJECT_KEYS[k] for k in ("normalize", "aggregate", "scale", "ranks", "prepare", "analysis",
                                                "sensitivity", "planning")}


def settings_from_text(text: str, file: str, problems: Problems) -> Settings | None:
    """Method settings from YAML text with the project file's keys (for what-if overrides)."""
    root = compose(file, problems, text=text)
    if root is None:
        return Settings()
    doc = Doc(file, problems)
    m = doc.mapping(root, SETTINGS_KEYS, "the settings")
    if m is None:
        return None
    return _read_settings(doc, m)
