"""evalkit.yaml -> :class:`evalkit.project.Project` (paths resolved, defaults filled)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problems, quote
from ..project import DEFAULT_MIN_COVERAGE, LANGS, NORMALIZE_METHODS, SCOPES, Project, Settings
from ..tree import STAGES, Names
from .tree import AGGREGATE_METHODS, read_names
from .yamlnodes import Doc, Key, Range, compose, display_path

from ..prepare.impute import STEP_NAMES as IMPUTE_STEPS
DEFAULT_IMPUTE_CHAIN = ("interpolate", "carry", "group_median", "panel_median")

PROJECT_KEYS = {
    "title": Key(dict, False, "{zh: ..., en: ...}"),
    "framework": Key(str, True, "path of the indicator tree YAML"),
    "weights": Key(str, True, "path of the weight scheme YAML"),
    "data": Key(dict, True, "{values: ..., units: ..., synthetic: false}"),
    "years": Key(list, False, "[first, last] (a range), or three or more editions [2014, 2016, 2018, ...]"),
    "normalize": Key(dict, False, "{method: minmax | zscore | rank | goalpost | maxratio, scope: panel | year}"),
    "aggregate": Key(dict, False, "{method: arithmetic | geometric | topsis | harmonic | power | copeland | "
                     "proportions, "
                     "min_share: 0.667, geometric_shift: 1}"),
    "scale": Key(list, False, "[lo, hi]"),
    "grades": Key(dict, False, "{A: 85, B: 70, ...}: lower bounds"),
    "targets": Key(str, False, "path of the targets file"),
    "report": Key(dict, False, "{lang: zh | en, min_coverage: 0.5}"),
    "output": Key(str, False, "output folder"),
    "ranks": Key(dict, False, "{round: 3}: round scores to this many decimals before ranking"),
    "prepare": Key(dict, False, "{impute: ..., treat: ..., screen: ...}"),
    "analysis": Key(dict, False, "{coordination: ..., obstacles: ..., efficiency: ...}"),
    "sensitivity": Key(dict, False, "uncertainty analysis settings"),
    "planning": Key(dict, False, "targets and plan settings"),
    "description": Key(dict, False, "{zh, en}: free text shown in the reports"),
    "audit": Key(dict, False, "{weak: 0.3, collinear: 0.9, alpha: 0.7, ratio: 2}: flag thresholds of the audit"),
    "relations": Key(dict, False, "{data_sharing: {name: {zh, en}, directed: true, unit: {zh, en}}, ...}: the "
                     "relation types of data.relations"),
}
DATA_KEYS = {
    "values": Key(str, True, "path of the values file (CSV or XLSX)"),
    "units": Key(str, False, "path of the units file (default: units from the values file, named by their ids)"),
    "synthetic": Key(bool, False, "true stamps every output as demonstration data"),
    "columns": Key(dict, False, "{unit: <header>, year: <header>, indicator: ..., value: ..., status: ...}: the "
                   "values file's own headers"),
    "sheet": Key(str, False, "the worksheet of an XLSX values file (default: the first)"),
    "year": Key(int, False, "the year of a values file without a year column"),
    "relations": Key(str, False, "path of the relations file (from, to, year, relation, value)"),
}
DATA_COLUMN_ROLES = ("unit", "year", "indicator", "value", "status")
NORMALIZE_KEYS = {"method": Key(str, False, "minmax | zscore | rank | goalpost | maxratio"),
                  "scope": Key(str, False, "panel | year"),
                  "ties": Key(str, False, "rank: average | min (COINr's percentile ranks)"),
                  "ddof": Key(int, False, "zscore: 0 (population sd, default) | 1 (sample sd, as COINr)"),
                  "clip": Key(float, False, "zscore: clip at +-clip sd (default 3); null = no clip (needs mean, sd)"),
                  "mean": Key(float, False, "zscore: scores mean + sd z on the scale (COINr's m_sd, e.g. 10)"),
                  "sd": Key(float, False, "zscore: see mean (e.g. 2)")}
AGGREGATE_KEYS = {"method": Key(str, False, "arithmetic | geometric | topsis | harmonic | power | copeland | "
                                 "proportions"),
                  "min_share": Key(float, False, "least share of the children's weight that must be present "
                                   "(0: any present child will do, as COINr)"),
                  "geometric_shift": Key(float, False, "geometric mean on s - lo + shift: 1 (default) survives a "
                                         "child at the bottom of the scale; 0 is the plain geometric mean (HDI), "
                                         "where such a child gives the bottom"),
                  "normalize": Key(str, False, "topsis: vector (default) | minmax | none"),
                  "p": Key(float, False, "power: the order p of the mean (default 2)")}
#: Keys that belong elsewhere: the advice given instead of a did-you-mean.
NORMALIZE_HINTS = {"by": "per-year normalisation is `scope: year`; per-year weights are `by: year` in the weight "
                         "scheme"}
REPORT_KEYS = {"lang": Key(str, False, "zh | en"),
               "min_coverage": Key(float, False, "least share of a unit-year's weight backed by reported values "
                                   "for a score, rank and grade (default 0.5)")}
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
    "coordination": Key(dict, False, "{nodes: [...], weights: equal | composite | {node: w}, variant: corrected | traditional, floor: 0.01}"),
    "efficiency": Key(dict, False, "{inputs: [input] | [ids], outputs: [output, outcome] | [ids], "
                                    "orientation, frontier, sbm, super, malmquist}"),
    "disparity": Key(dict, False, "{nodes: [...]}"),
    "spatial": Key(dict, False, "{weights: knn | inverse_distance | contiguity, k: 4, permutations: 999, seed: 1, "
                                "alpha: 0.05}"),
}
SPATIAL_KEYS = {"weights": Key(str, False, "knn | inverse_distance (from lat, lon) | contiguity (neighbours column)"),
                "k": Key(int, False, "neighbours of knn weights"),
                "permutations": Key(int, False, "random permutations for the pseudo p-values"),
                "seed": Key(int, False, "seed of the permutations"),
                "alpha": Key(float, False, "significance level of a LISA cluster")}
COORD_KEYS = {"nodes": Key(list), "weights": Key(dict), "variant": Key(str), "floor": Key(float)}
EFFICIENCY_KEYS = {"inputs": Key(list, False, "DEA inputs: stages, or node / indicator ids (raw values)"),
                   "outputs": Key(list, False, "DEA outputs: stages, or node / indicator ids (raw values)"),
                   "orientation": Key(str, False, "input | output (raw DEA)"),
                   "frontier": Key(str, False, "year (a frontier per year) | pooled (one frontier of all years)"),
                   "sbm": Key(bool, False, "also the slacks-based measure (Tone 2001)"),
                   "super": Key(bool, False, "also super-efficiency (Andersen-Petersen); default true"),
                   "malmquist": Key(bool, False, "Malmquist index between consecutive years; default true")}
DISPARITY_KEYS = {"nodes": Key(list, False, "nodes whose disparity is measured (default: root and domains)")}
AUDIT_KEYS = {"weak": Key(float, False, "|r| with the parent below this is flagged (default 0.3)"),
              "collinear": Key(float, False, "|r| between siblings above this is flagged (default 0.9)"),
              "alpha": Key(float, False, "Cronbach's alpha below this is flagged (default 0.7)"),
              "ratio": Key(float, False, "importance share / weight beyond this factor is flagged (default 2)")}
SENSITIVITY_KEYS = {
    "draws": Key(int, False, "base samples N of the Saltelli design"),
    "seed": Key(int, False, "random seed"),
    "year": Key(int, False, "the year analysed (default: the last)"),
    "weights": Key(dict, False, "{noise: 0.2} or {kind: dirichlet, concentration: 100}"),
    "judgments": Key(dict, False, "{steps: 1}: AHP judgments moved along the 1-9 scale"),
    "normalize": Key(list, False, "normalisation methods to try"),
    "aggregate": Key(list, False, "aggregation methods to try"),
    "weighting": Key(list, False, "weighting variants to try"),
    "impute": Key(list, False, "[true, false]: with and without imputation"),
    "bootstrap": Key(int, False, "bootstrap resamples of the Sobol indices"),
    "top": Key(int, False, "size of the top group counted"),
    "bottom": Key(int, False, "size of the bottom group counted"),
}
SENS_WEIGHTS_KEYS = {"noise": Key(float, False, "± share per level, or {depth: share}"),
                     "kind": Key(str, False, "uniform | dirichlet"),
                     "concentration": Key(float, False, "dirichlet concentration")}
SENS_JUDGMENTS_KEYS = {"steps": Key(int, False, "positions moved on the 1-9 scale")}
SENS_WEIGHTING_VARIANTS = ("nominal", "ahp", "entropy", "combined", "equal")

#: Plausible range of every numeric setting, by its dotted path in the project file.  Checked at
#: validation with a located message naming the range; a new numeric key adds its line here.
YEAR_RANGE = Range(1000, 9999, integer=True, code="bad-years")
MAX_YEAR_SPAN = 200  # years [first, last] may span at most this many years (a panel, not a calendar)
SCALE_LIMIT = 1e9
BOUNDS: dict[str, Range] = {
    "years": YEAR_RANGE,
    "scale": Range(-SCALE_LIMIT, SCALE_LIMIT),
    "aggregate.min_share": Range(0, 1, code="bad-min-share"),
    "aggregate.geometric_shift": Range(0, 1e6, code="bad-geometric-shift"),
    "aggregate.p": Range(-100, 100, code="bad-power-p"),
    "normalize.clip": Range(0, 100, lo_open=True, code="bad-clip"),
    "normalize.mean": Range(-SCALE_LIMIT, SCALE_LIMIT),
    "normalize.sd": Range(0, SCALE_LIMIT, lo_open=True, code="bad-sd"),
    "ranks.round": Range(0, 15, integer=True, code="bad-round"),
    "report.min_coverage": Range(0, 1, code="bad-share"),
    "prepare.screen.min_coverage_unit": Range(0, 1, code="bad-share"),
    "prepare.screen.min_coverage_indicator": Range(0, 1, code="bad-share"),
    "prepare.treat.skew": Range(0, 1000),
    "prepare.treat.kurt": Range(-2, 1000),
    "prepare.treat.winmax": Range(0, 1000, integer=True, code="bad-winmax"),
    "analysis.coordination.floor": Range(0, 1),
    "analysis.spatial.k": Range(1, 1000, integer=True, code="bad-value"),
    "analysis.spatial.permutations": Range(0, 100_000, integer=True, code="bad-value"),
    "analysis.spatial.seed": Range(0, 2**32 - 1, integer=True, code="bad-value"),
    "analysis.spatial.alpha": Range(0, 1, lo_open=True, hi_open=True, code="bad-value"),
    "analysis.coordination.weights": Range(0, 1e6, code="negative-weight"),
    "planning.cap": Range(1, 100, code="bad-value"),
    "planning.close": Range(0, 1, lo_open=True, code="bad-value"),
    "sensitivity.draws": Range(1, 100_000, integer=True),
    "sensitivity.seed": Range(0, 2**32 - 1, integer=True),
    "sensitivity.year": YEAR_RANGE,
    "sensitivity.bootstrap": Range(0, 100_000, integer=True),
    "sensitivity.top": Range(1, 10_000, integer=True),
    "sensitivity.bottom": Range(1, 10_000, integer=True),
    "sensitivity.weights.noise": Range(0, 1),
    "sensitivity.weights.noise.depth": Range(1, 100, integer=True),
    "sensitivity.weights.concentration": Range(0, 1e6, lo_open=True),
    "sensitivity.judgments.steps": Range(0, 8, integer=True),
}

PLANNING_KEYS = {"cap": Key(float, False, "largest attainment counted (default 1.2)"),
                 "close": Key(float, False, "attainment from which a target counts as close (default 0.9)")}


def path_problem(text: str) -> str | None:
    """Why a path written in the project file can never name a file here, or ``None``.

    Checked before the path is used, so the message points at the key that named it
    rather than surfacing later as a bare OS error ("File name too long").
    """
    if "\0" in text:
        return "a path cannot hold the character U+0000"
    try:
        name_max = os.pathconf(".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not POSIX: the usual limit
        name_max = 255
    for part in Path(text).parts:
        if len(os.fsencode(part)) > name_max:
            return f"the name {quote(part, 30)} is longer than the {name_max} bytes a file name may have"
    if len(os.fsencode(text)) > 4000:
        return "the path is longer than 4,000 bytes"
    return None


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


def load_project(path: Path | str | None, problems: Problems, *, text: str | None = None) -> Project | None:
    """Read evalkit.yaml; ``None`` means the bundled demo (which writes ./out).

    With ``text`` (the project's YAML, named ``path`` in messages) nothing is
    read from disk: the paths it names are kept as written, unchecked (the
    caller supplies the inputs themselves, as :func:`evalkit.from_frames` does).
    """
    bundled = path is None and text is None
    if text is not None:
        return _load_project_text(str(path or "settings"), text, problems)
    if path is None:
        path = demo_project_path()
    path = Path(path)
    if path.is_dir():
        path = path / "evalkit.yaml"
    root = compose(path, problems)
    if root is None:
        return None
    return _read_project(root, path, Doc(display_path(path), problems), path.resolve().parent, problems,
                         bundled=bundled, check_paths=True)


def _load_project_text(name: str, text: str, problems: Problems) -> Project | None:
    root = compose(name, problems, text=text)
    if root is None:
        return None
    return _read_project(root, Path(name), Doc(name, problems), Path.cwd(), problems, bundled=False,
                         check_paths=False)


def _read_project(root, path: Path, doc: Doc, base: Path, problems: Problems, *, bundled: bool,
                  check_paths: bool) -> Project | None:
    m = doc.mapping(root, PROJECT_KEYS, "the project file")
    if m is None:
        return None
    pos = {k: doc.pos(v[0]) for k, v in m.items()}

    def path_of(entry, what) -> Path | None:
        text = doc.text(entry[1], what)
        if text is None:
            return None
        if not check_paths:
            return Path(text)
        bad = path_problem(text)
        if bad:
            doc.error(entry[1], f"{what} {quote(text)}: {bad}", "bad-path")
            return None
        p = (base / text).resolve()
        try:
            st = p.stat()
        except FileNotFoundError:
            doc.error(entry[1], f"{what} {quote(text)} not found (looked for {display_path(p)}; paths are relative "
                      "to the project file)", "file-not-found")
            return None
        except OSError as e:  # too long, a file where a folder should be, no permission ...
            doc.error(entry[1], f"{what} {quote(text)} cannot be opened: {e.strerror or e} (check the path)",
                      "file-unreadable")
            return None
        if stat.S_ISDIR(st.st_mode):
            doc.error(entry[1], f"{what} {quote(text)} is a folder: name the file in it", "file-unreadable")
            return None
        return p

    title = Names("评估结果", "Evaluation results")
    if "title" in m:
        title = read_names(doc, m["title"][1], "title", required_both=False) or title
    if "description" in m:  # free text for the reports: checked like the title
        read_names(doc, m["description"][1], "description", required_both=False)
    framework = path_of(m["framework"], "framework") if "framework" in m else None
    weights = path_of(m["weights"], "weights") if "weights" in m else None
    values = units = relations = None
    units_ok = True
    relations_given = False
    synthetic = False
    data_columns: dict[str, str] = {}
    data_sheet: str | None = None
    data_year: int | None = None
    if "data" in m:
        dm = doc.mapping(m["data"][1], DATA_KEYS, "data")
        if dm is not None:
            values = path_of(dm["values"], "values file") if "values" in dm else None
            if "units" in dm:
                units = path_of(dm["units"], "units file")
                units_ok = units is not None
            if "synthetic" in dm:
                synthetic = bool(doc.boolean(dm["synthetic"][1], "synthetic"))
            if "columns" in dm:
                cm = doc.mapping(dm["columns"][1], None, "data.columns") or {}
                headers: dict[str, str] = {}
                for role, (kn, vn) in cm.items():
                    if role not in DATA_COLUMN_ROLES:
                        doc.error(kn, f"data.columns: unknown role {quote(role)} (roles: "
                                  f"{', '.join(DATA_COLUMN_ROLES)})", "unknown-key")
                        continue
                    h = doc.text(vn, f"the header of the {role} column")
                    if h is not None and h.strip() in headers.values():
                        doc.error(vn, f"data.columns maps two roles to the header {quote(h)}", "bad-columns")
                    elif h is not None:
                        headers[role] = h.strip()
                data_columns = headers
            if "sheet" in dm:
                data_sheet = doc.text(dm["sheet"][1], "data.sheet")
            if "year" in dm:
                v = doc.bounded(dm["year"][1], "data.year", BOUNDS["years"])
                if v is not None:
                    data_year = int(v)
            if "relations" in dm:
                relations = path_of(dm["relations"], "relations file")
                relations_given = True
            for k in ("values", "units", "columns", "year", "relations"):
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
            ys = [doc.bounded(i, "year", BOUNDS["years"]) for i in items]
            if all(y is not None for y in ys):
                if len(ys) == 2 and ys[0] > ys[1]:
                    doc.error(m["years"][1], f"years [{int(ys[0])}, {int(ys[1])}] are reversed: write [first, last]",
                              "years-reversed")
                elif max(ys) - min(ys) >= MAX_YEAR_SPAN:
                    lo, hi = int(min(ys)), int(max(ys))
                    doc.error(m["years"][1], f"years [{lo}, {hi}] span {hi - lo + 1} years: at most {MAX_YEAR_SPAN} "
                              "are allowed", "bad-years")
                elif len(ys) >= 3 and len(set(ys)) < len(ys):
                    doc.error(m["years"][1], "an edition is listed twice in years", "bad-years")
                elif len(ys) >= 3:  # editions: exactly these years (biennial surveys ...)
                    years = tuple(sorted(int(y) for y in ys))
                else:
                    years = (int(min(ys)), int(max(ys)))
        elif items is not None:
            doc.error(m["years"][1], "years is empty: write [first, last] or leave it out", "bad-years")

    s = _read_settings(doc, m)
    grades: tuple[tuple[str, float], ...] = ()
    if "grades" in m:
        gm = doc.mapping(m["grades"][1], None, "grades")
        got = []
        lo, hi = s.scale
        for label, (kn, vn) in (gm or {}).items():
            v = doc.bounded(vn, f"grade {label} (a lower bound on the scale)", Range(lo, hi))
            if v is not None:
                got.append((label, v))
        grades = tuple(sorted(got, key=lambda g: -g[1]))
    lang = "zh"
    min_coverage = DEFAULT_MIN_COVERAGE
    if "report" in m:
        rm = doc.mapping(m["report"][1], REPORT_KEYS, "report")
        if rm and "lang" in rm:
            lang = doc.choice(rm["lang"][1], "report language", LANGS) or lang
        if rm and "min_coverage" in rm:
            v = doc.bounded(rm["min_coverage"][1], "report.min_coverage (a share)", BOUNDS["report.min_coverage"],
                            fractions=True)
            if v is not None:
                min_coverage = float(v)
    output = base / "out"
    if "output" in m:
        o = doc.text(m["output"][1], "output")
        bad = path_problem(o) if o is not None else None
        if bad:
            doc.error(m["output"][1], f"output {quote(o)}: {bad}", "bad-path")
        elif o is not None:
            output = (base / o).resolve()
    installed = bundled_root().name == "_bundled"
    if bundled or (check_paths and installed and bundled_root() in path.resolve().parents):
        # the bundled projects write ./out, never into the installed package
        output = Path.cwd() / "out"
    if framework is None or weights is None or values is None or not units_ok:
        return None
    return Project(file=path.resolve() if check_paths else Path(""), title=title, framework=framework, weights=weights, values=values,
                   units=units, targets=targets, synthetic=synthetic, years=years, settings=s, grades=grades,
                   lang=lang, output=output, bundled_demo=bundled, pos=pos, data_columns=data_columns,
                   data_sheet=data_sheet, data_year=data_year, min_coverage=min_coverage,
                   relations=relations, relation_types=relation_types)


def _read_settings(doc: Doc, m) -> Settings:
    kw: dict[str, Any] = {}
    if "normalize" in m:
        nm = doc.mapping(m["normalize"][1], NORMALIZE_KEYS, "normalize", hints=NORMALIZE_HINTS)
        if nm:
            if "method" in nm:
                kw["normalize"] = doc.choice(nm["method"][1], "normalize method", NORMALIZE_METHODS) or "minmax"
            if "scope" in nm:
                kw["scope"] = doc.choice(nm["scope"][1], "normalize scope", SCOPES) or "panel"
            method = kw.get("normalize", "minmax")
            for key, applies, options in (("ties", "rank", ("average", "min")), ("ddof", "zscore", (0, 1))):
                if key not in nm:
                    continue
                if method != applies:
                    doc.error(nm[key][0], f"'{key}' applies to normalize method {applies}, not {method}",
                              "key-not-for-method")
                    continue
                if key == "ties":
                    kw["ties"] = doc.choice(nm[key][1], "rank ties", options) or "average"
                else:
                    v = doc.number(nm[key][1], "ddof")
                    if v is not None and v not in options:
                        doc.error(nm[key][1], f"ddof must be 0 (population sd) or 1 (sample sd), found {v:g}",
                                  "bad-ddof")
                    elif v is not None:
                        kw["zscore_ddof"] = int(v)
            _read_zscore_options(doc, nm, method, kw)
    if "aggregate" in m:
        am = doc.mapping(m["aggregate"][1], AGGREGATE_KEYS, "aggregate")
        if am:
            if "method" in am:
                kw["aggregate"] = doc.choice(am["method"][1], "aggregate method", AGGREGATE_METHODS) or "arithmetic"
            if "min_share" in am:
                v = doc.bounded(am["min_share"][1], "min_share", BOUNDS["aggregate.min_share"], fractions=True)
                if v is not None:
                    kw["min_share"] = v
            if "geometric_shift" in am:
                v = doc.bounded(am["geometric_shift"][1], "geometric_shift (1: shifted, 0: plain geometric mean)",
                                BOUNDS["aggregate.geometric_shift"])
                if v is not None:
                    kw["geometric_shift"] = float(v)
            method = kw.get("aggregate", "arithmetic")
            if "normalize" in am:
                if method != "topsis":
                    doc.error(am["normalize"][0], f"'normalize' applies to aggregate method topsis, not {method}",
                              "key-not-for-method")
                else:
                    from ..aggregate import TOPSIS_NORMALIZE

                    kw["topsis_normalize"] = doc.choice(am["normalize"][1], "topsis normalize",
                                                        TOPSIS_NORMALIZE) or "vector"
            if "p" in am:
                v = doc.bounded(am["p"][1], "p", BOUNDS["aggregate.p"])
                if v == 0:
                    doc.error(am["p"][1], "p of the power mean must be a finite number other than 0 (p = 0 is the "
                              "geometric mean: write method: geometric)", "bad-power-p")
                elif v is not None:
                    kw["power_p"] = float(v)
    if "scale" in m:
        sc = doc.pair(m["scale"][1], "scale")
        rng = BOUNDS["scale"]
        if sc is not None:
            if not (rng.contains(sc[0]) and rng.contains(sc[1])):
                doc.error(m["scale"][1], f"scale [{sc[0]:g}, {sc[1]:g}]: both ends must be {rng}", "out-of-range")
            elif sc[0] >= sc[1]:
                doc.error(m["scale"][1], f"scale [{sc[0]:g}, {sc[1]:g}] needs lo < hi", "bad-scale")
            elif sc[1] - sc[0] < 1e-6 * max(1.0, abs(sc[0]), abs(sc[1])):
                doc.error(m["scale"][1], f"scale [{sc[0]:g}, {sc[1]:g}] is too narrow: hi - lo must be at least "
                          "1e-06 of the larger end", "bad-scale")
            else:
                kw["scale"] = sc
    if "ranks" in m:
        rm = doc.mapping(m["ranks"][1], RANKS_KEYS, "ranks")
        if rm and "round" in rm:
            v = doc.bounded(rm["round"][1], "ranks round (decimals)", BOUNDS["ranks.round"])
            if v is not None:
                kw["rank_round"] = int(v)
    if "prepare" in m:
        kw["prepare"] = _read_prepare(doc, m["prepare"][1])
    if "analysis" in m:
        kw["analysis"] = _read_analysis(doc, m["analysis"][1])
    if "planning" in m:
        kw["planning"] = _read_planning(doc, m["planning"][1])
    if "audit" in m:
        kw["audit"] = _read_audit(doc, m["audit"][1])
    if "sensitivity" in m:
        kw["sensitivity"] = _read_sensitivity(doc, m["sensitivity"][1])
    return Settings(**kw)


def _read_zscore_options(doc: Doc, nm, method: str, kw: dict[str, Any]) -> None:
    """normalize: {method: zscore, clip: 3 | null, mean: 10, sd: 2} (COINr's n_zscore with m_sd = c(10, 2))."""
    given = [k for k in ("clip", "mean", "sd") if k in nm]
    if not given:
        return
    if method != "zscore":
        for k in given:
            doc.error(nm[k][0], f"'{k}' applies to normalize method zscore, not {method}", "key-not-for-method")
        return
    if "clip" in nm:
        node = nm["clip"][1]
        if node.tag == "tag:yaml.org,2002:null" or node.value in ("", "null", "~"):
            kw["zscore_clip"] = None
        else:
            v = doc.bounded(node, "clip (standard deviations; null: no clip)", BOUNDS["normalize.clip"])
            if v is not None:
                kw["zscore_clip"] = float(v)
    if ("mean" in nm) != ("sd" in nm):
        have, miss = ("mean", "sd") if "mean" in nm else ("sd", "mean")
        doc.error(nm[have][0], f"'{have}' needs '{miss}' too: scores are mean + sd z (COINr: mean: 10, sd: 2)",
                  "zscore-mean-sd")
        return
    if "mean" in nm:
        m = doc.bounded(nm["mean"][1], "mean", BOUNDS["normalize.mean"])
        sd = doc.bounded(nm["sd"][1], "sd", BOUNDS["normalize.sd"])
        if m is not None and sd is not None:
            kw["zscore_mean_sd"] = (float(m), float(sd))
    if "clip" in nm and kw.get("zscore_clip", 3.0) is None and "zscore_mean_sd" not in kw and "mean" not in nm:
        doc.error(nm["clip"][1], "clip: null leaves z-scores unbounded: give mean and sd too (scores mean + sd z, "
                  "COINr's n_zscore with m_sd = c(10, 2)), or keep a clip", "zscore-unbounded")


def _read_planning(doc: Doc, node) -> dict[str, Any]:
    pm = doc.mapping(node, PLANNING_KEYS, "planning") or {}
    out: dict[str, Any] = {}
    for key in ("cap", "close"):
        if key in pm:
            v = doc.bounded(pm[key][1], f"planning.{key}", BOUNDS[f"planning.{key}"])
            if v is not None:
                out[key] = v
    return out


def _read_audit(doc: Doc, node) -> dict[str, float]:
    am = doc.mapping(node, AUDIT_KEYS, "audit") or {}
    out: dict[str, float] = {}
    checks = {"weak": (lambda v: 0 < v < 1, "in (0, 1)"), "collinear": (lambda v: 0 < v <= 1, "in (0, 1]"),
              "alpha": (lambda v: 0 < v <= 1, "in (0, 1]"), "ratio": (lambda v: v > 1, "greater than 1")}
    for key, (ok, text) in checks.items():
        if key in am:
            v = doc.number(am[key][1], f"audit.{key}")
            if v is not None and not ok(v):
                doc.error(am[key][1], f"audit.{key} must be {text}, found {v:g}", "bad-value")
            elif v is not None:
                out[key] = float(v)
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
                v = doc.bounded(sm[k][1], f"{k} (a share)", BOUNDS[f"prepare.screen.{k}"])
                if v is not None:
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
                v = doc.bounded(tm[k][1], k, BOUNDS[f"prepare.treat.{k}"])
                if v is not None:
                    tr[k] = v
        if "winmax" in tm:
            v = doc.bounded(tm["winmax"][1], "winmax", BOUNDS["prepare.treat.winmax"])
            if v is not None:
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
        if "weights" in cm and isinstance(cm["weights"][1], yaml.ScalarNode):
            c["weights"] = doc.choice(cm["weights"][1], "coordination weights", ("equal", "composite")) or "equal"
        elif "weights" in cm:
            wm = doc.mapping(cm["weights"][1], None, "coordination weights") or {}
            ws = {k: doc.bounded(v[1], f"coordination weight of '{k}'", BOUNDS["analysis.coordination.weights"])
                  for k, v in wm.items()}
            if all(v is not None for v in ws.values()):
                if ws and sum(ws.values()) <= 0:
                    doc.error(cm["weights"][1], "coordination weights must not all be 0", "bad-value")
                else:
                    c["weights"] = ws
        if "variant" in cm:
            c["variant"] = doc.choice(cm["variant"][1], "coupling variant", ("corrected", "traditional")) or "corrected"
        if "floor" in cm:
            c["floor"] = doc.bounded(cm["floor"][1], "floor", BOUNDS["analysis.coordination.floor"])
        out["coordination"] = c
    if "efficiency" in am:
        em = doc.mapping(am["efficiency"][1], EFFICIENCY_KEYS, "analysis.efficiency") or {}
        e: dict[str, Any] = {}
        for key in ("inputs", "outputs"):
            if key in em:
                items = doc.sequence(em[key][1], f"efficiency {key}") or []
                names = [doc.text(i, f"efficiency {key[:-1]}") for i in items]
                if not items:
                    doc.error(em[key][1], f"efficiency {key} is empty: name at least one stage or indicator",
                              "bad-value")
                elif all(t is not None for t in names):
                    e[key] = names
        both = e.get("inputs", []) + e.get("outputs", [])
        staged = [t for t in both if t in STAGES]
        if staged and len(staged) != len(both):
            doc.error(am["efficiency"][1], "analysis.efficiency mixes stages and indicator ids: name either stages "
                      f"({', '.join(STAGES)}) or node/indicator ids", "bad-value")
        if set(e.get("inputs", ())) & set(e.get("outputs", ())):
            doc.error(am["efficiency"][1], "a stage or indicator cannot be both a DEA input and an output",
                      "bad-value")
        for key, options in (("orientation", ("input", "output")), ("frontier", ("year", "pooled"))):
            if key in em:
                v = doc.choice(em[key][1], f"efficiency {key}", options)
                if v is not None:
                    e[key] = v
        for key in ("sbm", "super", "malmquist"):
            if key in em:
                b = doc.boolean(em[key][1], key)
                if b is not None:
                    e[key] = b
        out["efficiency"] = e
    if "spatial" in am:
        sm = doc.mapping(am["spatial"][1], SPATIAL_KEYS, "analysis.spatial") or {}
        sp: dict[str, Any] = {}
        if "weights" in sm:
            v = doc.choice(sm["weights"][1], "spatial weights", ("knn", "inverse_distance", "contiguity"))
            if v is not None:
                sp["weights"] = v
        for key in ("k", "permutations", "seed", "alpha"):
            if key in sm:
                v = doc.bounded(sm[key][1], f"analysis.spatial.{key}", BOUNDS[f"analysis.spatial.{key}"])
                if v is not None:
                    sp[key] = v
        out["spatial"] = sp
    if "disparity" in am:
        dm = doc.mapping(am["disparity"][1], DISPARITY_KEYS, "analysis.disparity") or {}
        if "nodes" in dm:
            out["disparity"] = {"nodes": [t for t in (doc.text(i, "node id") for i in
                                                      (doc.sequence(dm["nodes"][1], "nodes") or [])) if t is not None]}
    return out


def _native(node, v: float) -> float | int:
    """A number as YAML itself would give it (``1`` an int, ``1.0`` a float), so resolved settings read alike."""
    return int(v) if node.tag == "tag:yaml.org,2002:int" and v == int(v) else v


def _read_sensitivity(doc: Doc, node) -> dict[str, Any]:
    """The ``sensitivity:`` section, every key checked where it stands (type, range, choices).

    Returns the plain mapping that :func:`evalkit.analysis.sensitivity.read_spec` turns into a design.
    """
    sm = doc.mapping(node, SENSITIVITY_KEYS, "sensitivity")
    out: dict[str, Any] = {}
    if not sm:
        return out
    for key, (_, vnode) in sm.items():
        what = f"sensitivity.{key}"
        if key in ("draws", "seed", "year", "bootstrap", "top", "bottom"):
            v = doc.bounded(vnode, what, BOUNDS[what])
            if v is not None:
                out[key] = v
        elif key == "weights":
            wm = doc.mapping(vnode, SENS_WEIGHTS_KEYS, what) or {}
            w: dict[str, Any] = {}
            for wkey, (_, wnode) in wm.items():  # in the file's order, as the manifest records them
                if wkey == "kind":
                    w["kind"] = doc.choice(wnode, f"{what}.kind", ("uniform", "dirichlet")) or "uniform"
                elif wkey == "noise" and isinstance(wnode, yaml.MappingNode):
                    per = {}
                    for depth, (kn, vn) in (doc.mapping(wnode, None, f"{what}.noise") or {}).items():
                        d = doc.bounded(kn, f"{what}.noise depth", BOUNDS[f"{what}.noise.depth"])
                        v = doc.bounded(vn, f"{what}.noise at depth {depth}", BOUNDS[f"{what}.noise"])
                        if d is not None and v is not None:
                            per[d] = _native(vn, v)
                    w["noise"] = per
                else:  # noise (one share) or concentration
                    v = doc.bounded(wnode, f"{what}.{wkey}", BOUNDS[f"{what}.{wkey}"])
                    if v is not None:
                        w[wkey] = _native(wnode, v)
            out[key] = w
        elif key == "judgments":
            if isinstance(vnode, yaml.ScalarNode):  # judgments: 1 is short for {steps: 1}
                v = doc.bounded(vnode, f"{what}.steps", BOUNDS[f"{what}.steps"])
                if v is not None:
                    out[key] = v
                continue
            jm = doc.mapping(vnode, SENS_JUDGMENTS_KEYS, what) or {}
            j: dict[str, Any] = {}
            if "steps" in jm:
                v = doc.bounded(jm["steps"][1], f"{what}.steps", BOUNDS[f"{what}.steps"])
                if v is not None:
                    j["steps"] = v
            out[key] = j
        else:  # a list of options
            items = doc.sequence(vnode, what)
            if items is None:
                continue
            if not items:
                doc.error(vnode, f"{what} is empty: list the options to try, or leave it out", "bad-value")
                continue
            if key == "impute":
                opts = [doc.boolean(i, f"{what} option") for i in items]
            else:
                allowed = {"normalize": NORMALIZE_METHODS, "aggregate": AGGREGATE_METHODS,
                           "weighting": SENS_WEIGHTING_VARIANTS}[key]
                opts = [doc.choice(i, f"{what} option", allowed) for i in items]
            if all(o is not None for o in opts):
                out[key] = opts
    return out


SETTINGS_KEYS = {k: PROJECT_KEYS[k] for k in ("normalize", "aggregate", "scale", "ranks", "prepare", "analysis",
                                                "sensitivity", "planning", "audit")}


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
