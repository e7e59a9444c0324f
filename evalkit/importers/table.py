"""``evalkit import table``: an indicator table (a paper's, an office's sheet) -> tree.yaml + weights.yaml.

The table has one row per node: ``id, name_zh, name_en, parent, direction,
unit`` and optionally ``weight`` (the local weight under its parent) and
``source``; Chinese headers are accepted (指标代码, 指标名称, 英文名称, 上级,
方向, 单位, 权重, 来源).  Rows whose ``parent`` is empty hang under the root
(the single such row without a direction, if there is one; else a new root
``index``).  A node that is some row's parent is a group (no direction); every
other row is an indicator and needs a direction (benefit/cost, or 正向/负向).
Where every child of a node has a weight, the node gets ``method: fixed``
(weights summing to 1, or to 100 as percentages); elsewhere the scheme's
``default`` method applies.  Every problem is located by the table's row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..version import __version__
from ..errors import Pos, Problems, did_you_mean, quote
from ..load.data import MISSING_TOKENS, read_table
from ..load.yamlnodes import ID_RE, display_path, dump as dump_yaml

# role -> accepted headers (compared case-insensitively, spaces trimmed)
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "code", "指标代码", "代码", "指标编码", "编码", "编号", "指标编号"),
    "name_zh": ("name_zh", "name", "指标名称", "名称", "中文名称", "指标"),
    "name_en": ("name_en", "英文名称", "英文名", "english"),
    "parent": ("parent", "上级", "上级指标", "上级代码", "父级", "所属", "所属指标"),
    "direction": ("direction", "方向", "指标方向", "属性", "指标属性"),
    "unit": ("unit", "单位", "计量单位"),
    "weight": ("weight", "权重", "本级权重"),
    "source": ("source", "来源", "数据来源"),
}
REQUIRED = ("id", "name_zh", "parent", "direction")
DIRECTIONS = {"benefit": "benefit", "cost": "cost", "+": "benefit", "-": "cost", "正": "benefit", "负": "cost",
              "正向": "benefit", "负向": "cost", "效益型": "benefit", "成本型": "cost", "positive": "benefit",
              "negative": "cost"}
FILES = ("tree.yaml", "weights.yaml")
WEIGHT_TOL = 1e-6


@dataclass
class Row:
    row: int
    id: str
    name_zh: str
    name_en: str
    parent: str
    direction: str
    unit: str
    weight: float | None
    source: str
    children: list["Row"] = field(default_factory=list)


@dataclass(frozen=True)
class TableImport:
    folder: Path
    files: tuple[Path, ...]
    n_indicators: int
    n_groups: int
    fixed_nodes: tuple[str, ...]
    default: str
    english_filled: int


def import_table(path: Path, folder: Path, *, default: str = "entropy", force: bool = False) -> TableImport:
    """Read the indicator table, check it, write ``tree.yaml`` and ``weights.yaml`` into ``folder``."""
    problems = Problems()
    df = read_table(Path(path), problems)
    problems.raise_if_errors()
    file = display_path(Path(path))
    found = {str(c).strip().lower(): str(c) for c in df.columns}
    col: dict[str, str] = {}
    for role, names in HEADERS.items():
        hit = next((found[n.lower()] for n in names if n.lower() in found), None)
        if hit is not None:
            col[role] = hit
    missing = [r for r in REQUIRED if r not in col]
    if missing:
        problems.add(Pos(file, 1), f"the indicator table has no {', '.join(missing)} column (found: "
                     f"{', '.join(map(str, df.columns))}); headers accepted: "
                     + "; ".join(f"{r}: {' / '.join(HEADERS[r][:4])}" for r in missing), "missing-column")
        problems.raise_if_errors()

    def cell(rec, role: str) -> str:
        if role not in col:
            return ""
        v = str(rec[col[role]]).strip()
        return "" if v in MISSING_TOKENS else v

    rows: list[Row] = []
    by_id: dict[str, Row] = {}
    for i, rec in zip(df.index, df.to_dict("records")):
        r = int(i) + 2
        nid = cell(rec, "id")
        if not nid:
            problems.add(Pos(file, r), "the row has no id: give every indicator and group a code (e.g. A1)", "missing-id")
            continue
        if not ID_RE.match(nid):
            problems.add(Pos(file, r), f"id {quote(nid)} may hold only letters, digits, '_', '.', '-' (and not start "
                         "with '.' or '-'): use a code such as A1 or gov_online", "bad-id")
            continue
        if nid in by_id:
            problems.add(Pos(file, r), f"id {quote(nid)} is given twice (first at row {by_id[nid].row})", "duplicate-id")
            continue
        w_text = cell(rec, "weight")
        weight = None
        if w_text:
            try:
                weight = float(w_text.rstrip("%")) / (100 if w_text.endswith("%") else 1)
            except ValueError:
                problems.add(Pos(file, r), f"weight {quote(w_text)} of {nid} is not a number", "not-a-number")
            else:
                if not weight >= 0:
                    problems.add(Pos(file, r), f"weight of {nid} must be >= 0, found {w_text}", "bad-weight")
        name = cell(rec, "name_zh")
        if not name:
            problems.add(Pos(file, r), f"{nid} has no name", "missing-name")
        row = Row(r, nid, name, cell(rec, "name_en"), cell(rec, "parent"), cell(rec, "direction"), cell(rec, "unit"),
                  weight, cell(rec, "source"))
        rows.append(row)
        by_id[nid] = row
    problems.raise_if_errors()

    # the hierarchy
    tops = []
    for row in rows:
        if not row.parent:
            tops.append(row)
        elif row.parent not in by_id:
            problems.add(Pos(file, row.row), f"parent {quote(row.parent)} of {row.id} is not an id of the table"
                         f"{did_you_mean(row.parent, by_id)}", "unknown-parent")
        elif row.parent == row.id:
            problems.add(Pos(file, row.row), f"{row.id} is its own parent", "cycle")
        else:
            by_id[row.parent].children.append(row)
    problems.raise_if_errors()
    reached: set[str] = set()
    stack = list(tops)
    while stack:
        n = stack.pop()
        reached.add(n.id)
        stack.extend(n.children)
    for row in rows:
        if row.id not in reached:
            problems.add(Pos(file, row.row), f"{row.id} is in a loop of parents (its parent chain never reaches a row "
                         "without parent)", "cycle")
    problems.raise_if_errors()
    if len(tops) == 1 and tops[0].children and not tops[0].direction:
        root = tops[0]
    else:
        root = Row(0, "index" if "index" not in by_id else "index_root", "综合指数", "Composite index", "", "", "",
                   None, "", children=tops)

    # directions, weights
    english_filled = 0
    fixed: dict[str, dict[str, float]] = {}
    stack = [root]
    while stack:
        n = stack.pop()
        stack.extend(n.children)
        if n is not root and not n.name_en:
            english_filled += 1
        if n.children:
            if n.direction:
                kids = ", ".join(f"row {c.row}" for c in n.children[:3])
                problems.add(Pos(file, n.row), f"{n.id} is a group (the parent of {kids}) and has direction "
                             f"{quote(n.direction)}: leave direction empty for a group", "children-and-direction")
            ws = [c.weight for c in n.children]
            if any(w is not None for w in ws):
                if any(w is None for w in ws):
                    lacking = [c for c in n.children if c.weight is None]
                    for c in lacking:
                        problems.add(Pos(file, c.row), f"{c.id} has no weight while other children of {n.id} have "
                                     "one: give every child of a group a weight, or none", "missing-weight")
                    continue
                total = sum(ws)
                if abs(total - 100) <= 100 * WEIGHT_TOL * len(ws) and abs(total - 1) > WEIGHT_TOL:
                    ws = [w / 100 for w in ws]  # percentages
                    total = sum(ws)
                if abs(total - 1) > WEIGHT_TOL * max(1, len(ws)):
                    problems.add(Pos(file, n.children[0].row), f"the weights of the children of {n.id} (rows "
                                 f"{', '.join(str(c.row) for c in n.children)}) sum to {total:.6g}, not 1 (or 100): "
                                 "local weights under each parent must sum to 1", "fixed-not-summing")
                    continue
                fixed[n.id] = {c.id: w for c, w in zip(n.children, ws)}
        else:
            d = DIRECTIONS.get(n.direction.lower()) if n.direction else None
            if d is None:
                problems.add(Pos(file, n.row), f"indicator {n.id} needs a direction: benefit or cost (正向/负向); "
                             f"found {quote(n.direction) if n.direction else 'nothing'}"
                             + (" (a target indicator: write benefit here, then direction: target and its target: "
                                "in tree.yaml)" if n.direction.lower() in ("target", "适度", "区间") else ""),
                             "bad-direction")
            else:
                n.direction = d
    existing = [f for f in FILES if (Path(folder) / f).exists()]
    if existing and not force:
        problems.add(Pos(display_path(Path(folder))), f"{', '.join(existing)} already exist here: choose a new folder, "
                     "or pass --force to overwrite them", "would-overwrite")
    problems.raise_if_errors()

    header = (f"# Built from {Path(path).name} by `evalkit import table` (evalkit {__version__}); edit freely.\n")
    tree_text = header + dump_yaml(_node_map(root))
    scheme = {"default": {"method": default}}
    if fixed:
        scheme["nodes"] = {k: {"method": "fixed", "weights": v} for k, v in fixed.items()}
    weights_text = header + dump_yaml(scheme)
    # the files must read back cleanly (a bug of ours otherwise): check before anything is written
    from ..load.scheme import load_scheme
    from ..load.tree import load_tree

    check = Problems()
    tree = load_tree("tree.yaml", check, text=tree_text)
    load_scheme("weights.yaml", tree, check, text=weights_text)
    check.raise_if_errors()

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, text in (("tree.yaml", tree_text), ("weights.yaml", weights_text)):
        (folder / name).write_text(text, encoding="utf-8")
        files.append(folder / name)
    n_leaves = sum(1 for _ in _leaves(root))
    return TableImport(folder, tuple(files), n_leaves, len(by_id) + (root.row == 0) - n_leaves,
                       tuple(fixed), default, english_filled)


def _leaves(n: Row):
    if not n.children:
        yield n
    for c in n.children:
        yield from _leaves(c)


def _node_map(n: Row) -> dict:
    m: dict = {"id": n.id, "name": {"zh": n.name_zh, "en": n.name_en or n.name_zh}}
    if n.children:
        m["children"] = [_node_map(c) for c in n.children]
        return m
    if n.unit:
        m["unit"] = n.unit
    m["direction"] = n.direction
    if n.source:
        m["source"] = {"zh": n.source, "en": n.source}
    return m
