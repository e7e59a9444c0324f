"""COINr's ``iData`` + ``iMeta`` tables -> an evalkit project (``evalkit import coinr``).

COINr (Becker et al., R package, MIT) builds an index from two tables:

- ``iMeta``: one row per code, columns ``iCode, iName, Level, Parent,
  Direction, Weight, Type`` (required; ``iName`` defaults to the code) and
  optionally ``Unit, Target, Denominator, ScaleFactor``.  ``Type`` is
  ``Indicator``, ``Aggregate`` (a node of the tree), ``Group`` (a column of
  iData grouping the units), ``Denominator`` (a column of iData dividing
  indicators) or ``Other`` (ignored).
- ``iData``: one row per unit (and year, ``Time``): ``uCode``, optional
  ``uName`` and ``Time``, then the columns iMeta names.

What is written into DIR (paths relative to DIR's ``evalkit.yaml``):

==============  ===============================================================
tree.yaml       the tree from ``Parent`` (children in iMeta's row order); leaves
                have ``direction`` benefit (Direction 1) or cost (−1).  An
                indicator with a ``Denominator`` becomes a derived indicator,
                ``formula: "<iCode>_raw / <Denominator>"`` — COINr's
                ``x / (denominator / ScaleFactor)`` (``ScaleFactor`` 1 when the
                column is absent, the ``/ 1`` left out: it changes no bit) —
                and its raw values become the variable ``<iCode>_raw``
weights.yaml    ``method: fixed`` at every group: iMeta's ``Weight`` rescaled to
                sum 1 within each parent, as COINr does when aggregating
values.csv      wide form: unit, year, the indicators (raw variables for the
                denominated ones) and the denominators, numbers copied as text
units.csv       id = uCode, name_zh = name_en = uName, group = the ``--group``
                column (default: iMeta's first ``Group`` row; ``all`` when a
                unit has none); the other group columns follow (evalkit ignores
                them, they are kept for you)
evalkit.yaml    settings mirroring COINr's example build
                (``build_example_coin``): ``impute: group_mean`` (``mean``
                without a group) as ``Impute(f_i = "i_mean_grp")``; ``treat``
                with COINr's defaults (|skew| >= 2 and kurtosis >= 3.5, up to 5
                points winsorised, then log_CT); min–max onto [0, 100];
                arithmetic means with ``min_share: 0`` (COINr scores a group
                from whatever children are present).  No ``screen``: COINr's
                example screens *after* imputation (byNA 0.9, which drops no
                unit there) while evalkit screens before it — add
                ``prepare.screen`` yourself if your data need it.
==============  ===============================================================

Every problem in the tables is collected and reported with its file and
spreadsheet row (header = row 1) before anything is written.

Source: COINr 1.1.14 ``new_coin()`` (iData/iMeta checks), ``Denominate()``,
``build_example_coin()``; README.md "File formats by example".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..version import __version__
from ..errors import Pos, Problems, did_you_mean, quote
from ..load.data import MISSING_TOKENS, RESERVED_UNIT_IDS, read_table
from ..unitids import SAFE_NAME_RE
from ..load.yamlnodes import display_path
from ..prepare.derived import FUNCTIONS

TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
META_REQUIRED = ("iCode", "Level", "Parent", "Direction", "Weight", "Type")
FILES = ("evalkit.yaml", "tree.yaml", "weights.yaml", "values.csv", "units.csv")
_NODE_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_FORMULA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What ``import_coinr`` wrote."""

    folder: Path
    files: tuple[Path, ...]
    n_units: int
    years: tuple[int, ...]
    n_indicators: int
    n_groups: int  # inner nodes of the tree
    denominated: tuple[str, ...]
    group: str | None


@dataclass
class _Code:
    code: str
    row: int  # spreadsheet row in iMeta
    type: str
    name: str
    level: int | None = None
    parent: str | None = None
    direction: int | None = None
    weight: float | None = None
    unit: str = ""
    denominator: str | None = None
    scale: float = 1.0
    children: list[str] = field(default_factory=list)


def _missing(text: str) -> bool:
    return text.strip() in MISSING_TOKENS


def _num(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


# --------------------------------------------------------------------------- reading iMeta


def _read_meta(path: Path, problems: Problems) -> dict[str, _Code] | None:
    file = display_path(path)
    df = read_table(path, problems)
    if df is None:
        return None
    missing = [c for c in META_REQUIRED if c not in df.columns]
    if missing:
        problems.add(Pos(file, 1), f"iMeta lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                     f"(COINr's iMeta needs {', '.join(META_REQUIRED)}; iName, Unit, Denominator, ScaleFactor "
                     "are optional)", "missing-column")
        return None
    codes: dict[str, _Code] = {}
    for i, r in df.iterrows():
        row = int(i) + 2
        at = Pos(file, row)
        code = r["iCode"].strip()
        typ = r["Type"].strip()
        if _missing(code):
            problems.add(at, "iCode is empty: every iMeta row needs a code", "missing-code")
            continue
        if typ not in TYPES:
            problems.add(at, f"Type {quote(typ)} of '{code}' is not one of {', '.join(TYPES)}"
                         f"{did_you_mean(typ, TYPES)}", "bad-type")
            continue
        if code in codes:
            problems.add(at, f"iCode '{code}' is given twice (first at row {codes[code].row})", "duplicate-code")
            continue
        name = r["iName"].strip() if "iName" in df.columns and not _missing(r["iName"]) else code
        c = _Code(code=code, row=row, type=typ, name=name)
        if "Unit" in df.columns and not _missing(r["Unit"]):
            c.unit = r["Unit"].strip()
        codes[code] = c
        if typ not in ("Indicator", "Aggregate"):
            continue
        if not _NODE_ID.match(code):
            problems.add(at, f"iCode {quote(code)} may hold only letters, digits, '_', '.', '-' to become a node id: "
                         "rename it in iMeta and iData", "bad-code")
        level = _num(r["Level"])
        if level is None or level != int(level) or level < 1:
            problems.add(at, f"Level {quote(r['Level'])} of '{code}' is not a whole number >= 1", "bad-level")
        else:
            c.level = int(level)
        c.parent = None if _missing(r["Parent"]) else r["Parent"].strip()
        w = _num(r["Weight"])
        if w is None or w < 0:
            problems.add(at, f"Weight {quote(r['Weight'])} of '{code}' is not a number >= 0", "bad-weight")
        else:
            c.weight = w
        if typ == "Indicator":
            d = _num(r["Direction"])
            if d not in (1.0, -1.0):
                problems.add(at, f"Direction {quote(r['Direction'])} of '{code}' must be 1 (more is better) or -1 "
                             "(less is better)", "bad-direction")
            else:
                c.direction = int(d)
            if "Denominator" in df.columns and not _missing(r["Denominator"]):
                c.denominator = r["Denominator"].strip()
                if "ScaleFactor" in df.columns and not _missing(r["ScaleFactor"]):
                    sf = _num(r["ScaleFactor"])
                    if sf is None or sf == 0:
                        problems.add(at, f"ScaleFactor {quote(r['ScaleFactor'])} of '{code}' is not a non-zero "
                                     "number", "bad-scale-factor")
                    else:
                        c.scale = sf
    return codes


def _check_tree(codes: dict[str, _Code], file: str, problems: Problems) -> _Code | None:
    """Parents exist and are aggregates one level up; one root; every aggregate has children."""
    nodes = {k: c for k, c in codes.items() if c.type in ("Indicator", "Aggregate")}
    aggregates = [k for k, c in nodes.items() if c.type == "Aggregate"]
    roots = []
    for c in nodes.values():
        at = Pos(file, c.row)
        if c.parent is None:
            if c.type == "Indicator":
                problems.add(at, f"indicator '{c.code}' has no Parent: give it the code of an Aggregate",
                             "missing-parent")
            else:
                roots.append(c)
            continue
        p = nodes.get(c.parent)
        if p is None:
            kind = f" (it is a {codes[c.parent].type} row)" if c.parent in codes else ""
            problems.add(at, f"Parent '{c.parent}' of '{c.code}' is not an Aggregate code in iMeta{kind}"
                         f"{did_you_mean(c.parent, aggregates)}", "unknown-parent")
            continue
        if p.type != "Aggregate":
            problems.add(at, f"Parent '{c.parent}' of '{c.code}' is an Indicator: a parent must be an Aggregate",
                         "parent-not-aggregate")
            continue
        if c.level is not None and p.level is not None and p.level != c.level + 1:
            problems.add(at, f"'{c.code}' is at Level {c.level} but its Parent '{p.code}' is at Level {p.level} "
                         f"(a parent is one level up: {c.level + 1})", "bad-level")
        if c.type == "Indicator" and c.level not in (None, 1):
            problems.add(at, f"indicator '{c.code}' is at Level {c.level}: indicators are Level 1", "bad-level")
        p.children.append(c.code)
    if not nodes:
        problems.add(Pos(file, 1), "iMeta has no Indicator or Aggregate rows", "no-indicators")
        return None
    if len(roots) != 1:
        if roots:
            problems.add(Pos(file, roots[1].row), f"iMeta has {len(roots)} Aggregates without a Parent "
                         f"({', '.join(r.code for r in roots)}): the index needs exactly one top node", "several-roots")
        else:
            problems.add(Pos(file, 1), "no Aggregate without a Parent: the index needs one top node (Parent NA)",
                         "no-root")
        return None
    for k in aggregates:
        if not nodes[k].children:
            problems.add(Pos(file, nodes[k].row), f"Aggregate '{k}' has no children (no row names it as Parent)",
                         "no-children")
    for k, c in nodes.items():
        if c.type == "Aggregate" and c.children:
            if c.weight is not None and all(nodes[ch].weight == 0 for ch in c.children):
                problems.add(Pos(file, c.row), f"every child of '{k}' has Weight 0: give one a weight > 0",
                             "zero-weights")
    # every node hangs under the root (no cycles, no detached branches)
    seen, stack = set(), [roots[0].code]
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        stack.extend(nodes[k].children)
    for k, c in nodes.items():
        if k not in seen and c.parent in nodes:
            problems.add(Pos(file, c.row), f"'{k}' is not under the top node '{roots[0].code}' (a cycle of Parents?)",
                         "detached")
    return roots[0]


# --------------------------------------------------------------------------- the converter


def import_coinr(idata: Path, imeta: Path, folder: Path, *, group: str | None = None, year: int | None = None,
                 force: bool = False) -> ImportSummary:
    """Write an evalkit project into ``folder`` from COINr's iData and iMeta tables.

    Raises :class:`UserError` listing every problem (file and row) before
    anything is written; refuses to overwrite existing project files unless
    ``force``.  ``group``: the iData column giving the units' group (default:
    iMeta's first Group row); ``year``: the year when iData has no ``Time``.
    """
    idata, imeta, folder = Path(idata), Path(imeta), Path(folder)
    problems = Problems()
    for p in (idata, imeta):
        if not p.is_file():
            problems.add(Pos(display_path(p)), "file not found", "file-not-found")
    problems.raise_if_errors()
    mfile, dfile = display_path(imeta), display_path(idata)
    codes = _read_meta(imeta, problems)
    data = read_table(idata, problems)
    if codes is None or data is None:
        problems.raise_if_errors()
    root = _check_tree(codes, mfile, problems)
    if data is not None and "uCode" not in data.columns:
        problems.add(Pos(dfile, 1), "iData lacks column uCode (the unit codes)", "missing-column")
        data = None
    problems.raise_if_errors()

    nodes = {k: c for k, c in codes.items() if c.type in ("Indicator", "Aggregate")}
    leaves = _leaves(root, nodes)
    groups_meta = [k for k, c in codes.items() if c.type == "Group"]
    cols = set(data.columns)

    # -- columns iData must have
    for k in leaves:
        if k not in cols:
            problems.add(Pos(mfile, nodes[k].row), f"indicator '{k}' has no column in {dfile}"
                         f"{did_you_mean(k, cols)}", "missing-column")
    denominators: list[str] = []
    for k in leaves:
        d = nodes[k].denominator
        if d is None:
            continue
        if d not in cols:
            problems.add(Pos(mfile, nodes[k].row), f"Denominator '{d}' of '{k}' has no column in {dfile}"
                         f"{did_you_mean(d, cols)}", "unknown-denominator")
        elif not _FORMULA_NAME.match(d) or d in FUNCTIONS:
            problems.add(Pos(mfile, nodes[k].row), f"Denominator '{d}' of '{k}' cannot be named in a formula "
                         "(letters, digits and '_', not starting with a digit, not a function name): rename it",
                         "bad-denominator-name")
        elif d in nodes:
            problems.add(Pos(mfile, nodes[k].row), f"Denominator '{d}' of '{k}' is also an Indicator or Aggregate "
                         "code: denominators are raw data columns", "bad-denominator")
        elif d not in denominators:
            denominators.append(d)
    if group is None:
        group = next((g for g in groups_meta if g in cols), None)
    elif group not in cols:
        problems.add(Pos(dfile, 1), f"group column '{group}' is not in iData{did_you_mean(group, cols)}",
                     "unknown-group")
    extra_groups = [g for g in groups_meta if g in cols and g != group]
    has_time = "Time" in cols
    if not has_time and year is None:
        problems.add(Pos(dfile, 1), "iData has no Time column: give the data's year with --year", "missing-time")
    problems.raise_if_errors()

    # -- variable names for the raw values of denominated indicators
    taken = set(codes) | cols
    raw_name: dict[str, str] = {}
    for k in leaves:
        if nodes[k].denominator is None:
            continue
        if not _FORMULA_NAME.match(k) or k in FUNCTIONS:
            problems.add(Pos(mfile, nodes[k].row), f"indicator '{k}' has a Denominator but its code cannot be named "
                         "in a formula (letters, digits and '_', not starting with a digit): rename it",
                         "bad-code")
            continue
        name, n = f"{k}_raw", 2
        while name in taken:
            name, n = f"{k}_raw{n}", n + 1
        taken.add(name)
        raw_name[k] = name

    # -- rows: units, years, values
    value_cols = [(raw_name.get(k, k), k) for k in leaves] + [(d, d) for d in denominators]
    units: dict[str, dict[str, str]] = {}
    rows: list[list[str]] = []
    seen_rows: dict[tuple[str, int], int] = {}
    bad_numbers = 0
    for i, r in data.iterrows():
        row = int(i) + 2
        at = Pos(dfile, row)
        uid = r["uCode"].strip()
        if not SAFE_NAME_RE.match(uid) or ".." in uid:
            problems.add(at, f"uCode {quote(uid)} may hold only letters, digits, '_', '.', '-' (it becomes a file "
                         "name)", "bad-unit-id")
            continue
        if uid.lower() in RESERVED_UNIT_IDS:
            problems.add(at, f"uCode {quote(uid)} is reserved by evalkit's reports ({', '.join(RESERVED_UNIT_IDS)}): "
                         "rename the unit", "reserved-unit-id")
            continue
        if has_time:
            t = _num(r["Time"])
            if t is None or t != int(t):
                problems.add(at, f"Time {quote(r['Time'])} of {uid} is not a year", "bad-year")
                continue
            y = int(t)
        else:
            y = int(year)
        if (uid, y) in seen_rows:
            problems.add(at, f"unit {uid}, year {y} is given twice (first at row {seen_rows[uid, y]})",
                         "duplicate-row")
            continue
        seen_rows[uid, y] = row
        name = r["uName"].strip() if "uName" in data.columns and not _missing(r["uName"]) else uid
        info = units.setdefault(uid, {"name": name, "row": str(row)})
        for g in ([group] if group else []) + extra_groups:
            if not _missing(r[g]) and g not in info:
                info[g] = r[g].strip()
        out = [uid, str(y)]
        for col, src in value_cols:
            text = r[src].strip()
            if _missing(text):
                out.append("")
            elif _num(text) is None:
                bad_numbers += 1
                if bad_numbers <= 20:
                    problems.add(at, f"value {quote(text)} of {uid} / {src} is not a number (write missing values "
                                 "as NA or leave them empty)", "not-a-number")
                out.append("")
            else:
                out.append(text)
        rows.append(out)
    if bad_numbers > 20:
        problems.add(Pos(dfile), f"... and {bad_numbers - 20} more values that are not numbers", "not-a-number-more")
    if not rows and not problems.errors:
        problems.add(Pos(dfile, 1), "iData has no data rows", "no-data")
    existing = [f for f in FILES if (folder / f).exists()]
    if existing and not force:
        problems.add(Pos(display_path(folder)), f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}"
                     " here: choose a new folder, or pass --force to overwrite them", "would-overwrite")
    problems.raise_if_errors()

    # -- write
    folder.mkdir(parents=True, exist_ok=True)
    years = tuple(sorted({int(r[1]) for r in rows}))
    header = (f"# Imported from COINr by `evalkit import coinr` (evalkit {__version__}):\n"
              f"#   iMeta {imeta.name}, iData {idata.name}\n")
    texts = {
        "tree.yaml": header + _tree_yaml(root, nodes, raw_name, denominators, codes),
        "weights.yaml": header + _weights_yaml(root, nodes),
        "evalkit.yaml": header + _project_yaml(root, group, years),
    }
    written = []
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    _write_csv(folder / "values.csv", ["unit", "year"] + [c for c, _ in value_cols], rows)
    unit_rows = [[u, i["name"], i["name"], i.get(group, "all") if group else "all"] + [i.get(g, "") for g in extra_groups]
                 for u, i in units.items()]
    _write_csv(folder / "units.csv", ["id", "name_zh", "name_en", "group"] + extra_groups, unit_rows)
    written += [folder / "values.csv", folder / "units.csv"]
    return ImportSummary(folder=folder, files=tuple(written), n_units=len(units), years=years,
                         n_indicators=len(leaves), n_groups=sum(c.type == "Aggregate" for c in nodes.values()),
                         denominated=tuple(raw_name), group=group)


def _leaves(root: _Code, nodes: dict[str, _Code]) -> list[str]:
    out: list[str] = []

    def walk(k: str) -> None:
        c = nodes[k]
        if c.type == "Indicator":
            out.append(k)
        for ch in c.children:
            walk(ch)

    walk(root.code)
    return out


# --------------------------------------------------------------------------- writing

_PLAIN = re.compile(r"^[A-Za-z(][A-Za-z0-9 _().,&/%+'-]*$")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}


def _s(text: str) -> str:
    """A YAML scalar: plain when it is safe inside a flow mapping, else double-quoted."""
    if _PLAIN.match(text) and "," not in text and text.lower() not in _YAML_WORDS and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def _names(text: str) -> str:
    return f"{{zh: {_s(text)}, en: {_s(text)}}}"


def _tree_yaml(root: _Code, nodes: dict[str, _Code], raw_name: dict[str, str], denominators: list[str],
               codes: dict[str, _Code]) -> str:
    lines = ["# The tree follows iMeta's Parent column; Direction 1 -> benefit, -1 -> cost.",
             "# A Denominator makes a derived indicator: COINr divides x by (denominator / ScaleFactor)."]
    lines += [f"id: {root.code}", f"name: {_names(root.name)}"]
    if raw_name or denominators:
        lines.append("variables:")
        for k, v in raw_name.items():
            c = nodes[k]
            lines.append(f"  - id: {v}")
            lines.append(f"    name: {_names(c.name + ' (before denomination)')}")
            if c.unit:
                lines.append(f"    unit: {_s(c.unit)}")
        for d in denominators:
            c = codes.get(d)
            lines.append(f"  - id: {d}")
            lines.append(f"    name: {_names(c.name if c else d)}")
            if c is not None and c.unit:
                lines.append(f"    unit: {_s(c.unit)}")
    lines.append("children:")

    def node(k: str, ind: str) -> None:
        c = nodes[k]
        lines.append(f"{ind}- id: {k}")
        lines.append(f"{ind}  name: {_names(c.name)}")
        if c.type == "Aggregate":
            lines.append(f"{ind}  children:")
            for ch in c.children:
                node(ch, ind + "    ")
            return
        if c.unit:
            lines.append(f"{ind}  unit: {_s(c.unit)}")
        lines.append(f"{ind}  direction: {'benefit' if c.direction == 1 else 'cost'}")
        if c.denominator is not None:
            den = c.denominator if c.scale == 1 else f"({c.denominator} / {c.scale!r})"
            lines.append(f'{ind}  formula: "{raw_name[k]} / {den}"')

    for ch in root.children:
        node(ch, "  ")
    return "\n".join(lines) + "\n"


def _weights_yaml(root: _Code, nodes: dict[str, _Code]) -> str:
    lines = ["# iMeta's Weight column, rescaled to sum 1 within each parent (COINr rescales them the same",
             "# way when it aggregates). Edit freely: fixed weights must sum to 1.",
             "default: {method: equal}", "nodes:"]
    for k, c in nodes.items():
        if c.type != "Aggregate" or not c.children:
            continue
        ws = [nodes[ch].weight for ch in c.children]
        total = sum(ws)
        parts = ", ".join(f"{ch}: {w / total!r}" for ch, w in zip(c.children, ws))
        lines.append(f"  {k}:")
        lines.append("    method: fixed")
        lines.append(f"    weights: {{{parts}}}")
    return "\n".join(lines) + "\n"


def _project_yaml(root: _Code, group: str | None, years: tuple[int, ...]) -> str:
    impute = "group_mean" if group else "mean"
    return "\n".join([
        f"title: {_names(root.name)}",
        "framework: tree.yaml",
        "weights: weights.yaml",
        "data: {values: values.csv, units: units.csv}",
        f"years: [{years[0]}, {years[-1]}]",
        "# COINr's example build (build_example_coin): Denominate (the formulas in tree.yaml), Impute,",
        "# Treat, Normalise, Aggregate. COINr screens after imputing (byNA 0.9, dropping no unit in its",
        "# example); evalkit screens before imputing, so no screen step is written: add",
        "# prepare.screen if your data need one.",
        "prepare:",
        f"  impute: {{chain: [{impute}]}}"
        + (f"   # COINr i_mean_grp by {group} (the units' group)" if group else "   # COINr i_mean"),
        "  treat: {skew: 2, kurt: 3.5, winmax: 5, log: true}   # COINr Treat() defaults: winsorise, then log_CT",
        "normalize: {method: minmax, scope: panel}   # COINr n_minmax onto [0, 100], direction applied",
        "aggregate: {method: arithmetic, min_share: 0}   # COINr a_amean: any present child counts",
        "scale: [0, 100]",
        "report: {lang: en}",
        "output: out",
    ]) + "\n"


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
