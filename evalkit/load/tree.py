"""Indicator tree YAML -> :class:`evalkit.tree.Tree`, with located problems."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import Problems, did_you_mean, quote
from ..tree import DIRECTIONS, STAGES, Names, NetworkSource, Node, Tree, Variable
from .yamlnodes import Doc, Key, Range, compose, display_path

#: Plausible range of every number an indicator tree holds; checked where the value stands.  Values of
#: an indicator (targets, goalposts) may be large counts, but not so large that a difference overflows.
VALUE_LIMIT = 1e12
BOUNDS: dict[str, Range] = {
    "target": Range(-VALUE_LIMIT, VALUE_LIMIT, code="bad-target"),
    "goalposts": Range(-VALUE_LIMIT, VALUE_LIMIT, code="bad-goalposts"),
    "geometric_shift": Range(0, 1e6, code="bad-geometric-shift"),
    "p": Range(-100, 100, code="bad-power-p"),
    "plan_cost": Range(0, 1e6, lo_open=True, code="bad-plan-cost"),
    "max_change": Range(0, VALUE_LIMIT, code="bad-max-change"),
}


AGGREGATE_METHODS = ("arithmetic", "geometric", "topsis", "harmonic", "power", "copeland", "proportions")
#: Options an ``aggregate: {method: ..., ...}`` mapping may carry, by method.
AGGREGATE_OPTIONS = {"topsis": ("normalize",), "power": ("p",)}

NODE_KEYS: dict[str, Key] = {
    "id": Key(str, True, "a unique id: letters, digits, '_', '.', '-'"),
    "name": Key(dict, True, "{zh: ..., en: ...}"),
    "children": Key(list, False, "the child nodes"),
    "direction": Key(str, False, "benefit | cost | target (leaves only)"),
    "target": Key(float, False, "the optimum (a number) or optimal interval [lo, hi] of a target indicator"),
    "goalposts": Key(tuple, False, "[lo, hi]: fixed min-max reference for normalize: goalpost"),
    "stage": Key(str, False, "input | process | output | outcome; inherited by descendants"),
    "aggregate": Key(str, False, "arithmetic | geometric | topsis | harmonic | power | copeland | proportions, "
                     "or {method: topsis, "
                     "normalize: minmax} / {method: power, p: 2}: overrides the project's method at this node"),
    "geometric_shift": Key(float, False, "zero handling of a geometric mean at this node: 1 shifts scores onto "
                           "[1, hi - lo + 1] (default: the project's aggregate.geometric_shift), 0 = plain mean"),
    "unit": Key(str, False, "unit of measurement, e.g. '%', or {zh: 岁, en: years}"),
    "source": Key(dict, False, "{zh, en}: the department that reports the indicator"),
    "description": Key(dict, False, "{zh, en}: the statistical definition (caliber)"),
    "formula": Key(str, False, "makes the leaf a derived indicator, e.g. 'beds / population * 10000'"),
    "plan_cost": Key(float, False, "relative cost of changing this indicator in `evalkit plan` (default 1)"),
    "max_change": Key(float, False, "largest relative change `evalkit plan` may propose (e.g. 0.2 = 20%)"),
    "from_network": Key(dict, False, "{relation: <a relation of the project>, measure: strength | ...}: the "
                        "leaf's values are a network measure of each unit (docs/methods.md#network)"),
}


def read_node_aggregate(doc: Doc, node, label: str) -> tuple[str | None, tuple]:
    """A node's ``aggregate:``: a method word, or ``{method: topsis, normalize: minmax}`` / ``{method: power, p: 2}``."""
    from ..aggregate import TOPSIS_NORMALIZE

    if not isinstance(node, yaml.MappingNode):
        return doc.choice(node, f"aggregate of {label}", AGGREGATE_METHODS), ()
    am = doc.mapping(node, {"method": Key(str, True, "arithmetic | geometric | topsis | harmonic | power | "
                                          "copeland | proportions"),
                            "normalize": Key(str, False, "topsis: vector | minmax | none"),
                            "p": Key(float, False, "power: the order p of the mean (p != 0)")},
                     f"aggregate of {label}")
    if am is None or "method" not in am:
        return None, ()
    method = doc.choice(am["method"][1], f"aggregate method of {label}", AGGREGATE_METHODS)
    if method is None:
        return None, ()
    options = []
    ok = True
    for key in ("normalize", "p"):
        if key not in am:
            continue
        if key not in AGGREGATE_OPTIONS.get(method, ()):
            doc.error(am[key][0], f"'{key}' does not apply to aggregate method {method} at {label}",
                      "key-not-for-method")
            ok = False
        elif key == "normalize":
            v = doc.choice(am[key][1], f"topsis normalize of {label}", TOPSIS_NORMALIZE)
            ok &= v is not None
            options.append(("normalize", v))
        else:
            v = doc.bounded(am[key][1], f"power mean p of {label}", BOUNDS["p"])
            if v == 0:
                doc.error(am[key][1], f"p of the power mean must be a finite number other than 0 (p = 0 is the "
                          "geometric mean: write aggregate: geometric)", "bad-power-p")
                v = None
            ok &= v is not None
            options.append(("p", v))
    return (method if ok else None), tuple(options)


FROM_NETWORK_KEYS = {"relation": Key(str, True, "a relation declared under relations: in the project file"),
                     "measure": Key(str, True, "a unit measure: strength, pagerank, betweenness, ...")}
ROOT_KEYS = {**NODE_KEYS, "variables": Key(list, False, "raw inputs of formulas")}
VARIABLE_KEYS: dict[str, Key] = {
    "id": Key(str, True, "a unique id"),
    "name": Key(dict, True, "{zh: ..., en: ...}"),
    "unit": Key(str, False, "unit of measurement, e.g. '%', or {zh: 人, en: persons}"),
    "source": Key(dict, False, "{zh, en}: who reports it"),
    "description": Key(dict, False, "{zh, en}: definition"),
}
NAME_KEYS = {"zh": Key(str, False, "Chinese"), "en": Key(str, False, "English")}


def read_names(doc: Doc, node: yaml.Node, what: str, *, required_both: bool = True) -> Names | None:
    """``{zh: ..., en: ...}``; a plain string is used for both languages."""
    if isinstance(node, yaml.ScalarNode):
        t = doc.text(node, what)
        return Names(t, t) if t is not None else None
    m = doc.mapping(node, NAME_KEYS, what)
    if m is None:
        return None
    zh = doc.text(m["zh"][1], f"{what}.zh") if "zh" in m else None
    en = doc.text(m["en"][1], f"{what}.en") if "en" in m else None
    if zh is None and en is None:
        doc.error(node, f"{what} needs zh and en texts", "missing-key")
        return None
    if required_both and (zh is None or en is None):
        missing = "zh" if zh is None else "en"
        if missing not in m:
            doc.error(node, f"{what} has no '{missing}' text (give both zh and en)", "missing-key")
        return None
    return Names(zh or en or "", en or zh or "")


def load_tree(path: Path | str, problems: Problems, *, text: str | None = None) -> Tree | None:
    """Read and check an indicator tree (or ``text`` named ``path``); all problems are collected."""
    root_node = compose(path, problems, text=text)
    if root_node is None:
        return None
    doc = Doc(display_path(path) if isinstance(path, Path) else path, problems)
    seen: dict[str, yaml.Node] = {}

    m = doc.mapping(root_node, ROOT_KEYS, "the indicator tree's root")
    if m is None:
        return None
    variables = _read_variables(doc, m.get("variables"), seen)
    formula_nodes: dict[str, yaml.Node] = {}
    root = _read_node(doc, root_node, m, None, seen, formula_nodes, is_root=True)
    if root is None:
        return None
    tree = Tree(root=root, variables=variables, file=doc.file)
    _check_formulas(doc, tree, formula_nodes)
    return tree


def _read_variables(doc: Doc, entry, seen) -> tuple[Variable, ...]:
    if entry is None:
        return ()
    items = doc.sequence(entry[1], "variables")
    out = []
    for item in items or []:
        m = doc.mapping(item, VARIABLE_KEYS, "a variable")
        if m is None:
            continue
        vid = doc.ident(m["id"][1], "variable id") if "id" in m else None
        name = read_names(doc, m["name"][1], f"the name of variable '{vid}'") if "name" in m else None
        unit, unit_en = read_unit(doc, m["unit"][1]) if "unit" in m else ("", None)
        source = read_names(doc, m["source"][1], "source", required_both=False) if "source" in m else None
        if vid is None or name is None:
            continue
        if vid in seen:
            doc.error(m["id"][1], f"id '{vid}' is used twice (first at line {doc.pos(seen[vid]).line})", "duplicate-id")
            continue
        seen[vid] = m["id"][1]
        out.append(Variable(vid, name, unit or "", source, doc.pos(item), unit_en=unit_en))
    return tuple(out)


def _read_node(doc: Doc, node: yaml.Node, m, parent_stage, seen, formula_nodes, *, is_root=False) -> Node | None:
    ok = True
    nid = doc.ident(m["id"][1], "node id") if "id" in m else None
    label = f"node '{nid}'" if nid else "a node"
    if nid is not None:
        if nid in seen:
            doc.error(m["id"][1], f"id '{nid}' is used twice (first at line {doc.pos(seen[nid]).line})", "duplicate-id")
            ok = False
        else:
            seen[nid] = m["id"][1]
    else:
        ok = False
    name = read_names(doc, m["name"][1], f"the name of {label}") if "name" in m else None
    ok &= name is not None

    stage = parent_stage
    if "stage" in m:
        s = doc.choice(m["stage"][1], f"stage of {label}", STAGES)
        ok &= s is not None
        stage = s or stage

    aggregate = None
    aggregate_options: tuple = ()
    if "aggregate" in m:
        aggregate, aggregate_options = read_node_aggregate(doc, m["aggregate"][1], label)
        ok &= aggregate is not None
    geometric_shift = None
    if "geometric_shift" in m:
        geometric_shift = doc.bounded(m["geometric_shift"][1], f"geometric_shift of {label} (1: shifted, 0: plain "
                                      "geometric mean)", BOUNDS["geometric_shift"])
        ok &= geometric_shift is not None

    has_children = "children" in m
    has_direction = "direction" in m
    if has_children and has_direction:
        doc.error(m["direction"][0], f"{label} has both children and a direction: a node is either a group "
                  "(children) or an indicator (direction)", "children-and-direction")
        return None
    if not has_children and not has_direction:
        doc.error(node, f"{label} has neither children nor a direction: give it children, or make it an "
                  "indicator with direction: benefit | cost | target", "no-children-no-direction")
        return None

    if has_children:
        for key in ("target", "goalposts", "formula", "unit", "plan_cost", "max_change", "from_network"):
            if key in m:
                doc.error(m[key][0], f"'{key}' belongs on an indicator, but {label} has children", "leaf-key-on-group")
                ok = False
        items = doc.sequence(m["children"][1], f"children of {label}")
        if not items:
            if items is not None:
                doc.error(m["children"][1], f"{label} has an empty children list", "no-children")
            return None
        children = []
        for item in items:
            cm = doc.mapping(item, NODE_KEYS, "a node")
            if cm is None:
                ok = False
                continue
            child = _read_node(doc, item, cm, stage, seen, formula_nodes)
            if child is None:
                ok = False
            else:
                children.append(child)
        if not ok:
            return None
        return Node(id=nid, name=name, children=tuple(children), stage=stage, aggregate=aggregate,
                    geometric_shift=None if geometric_shift is None else float(geometric_shift),
                    aggregate_options=aggregate_options,
                    source=_opt_names(doc, m, "source"), description=_opt_names(doc, m, "description"),
                    pos=doc.pos(node))

    direction = doc.choice(m["direction"][1], f"direction of {label}", DIRECTIONS)
    ok &= direction is not None
    if "geometric_shift" in m:
        doc.error(m["geometric_shift"][0], f"'geometric_shift' belongs on a group (a node with children), but {label} "
                  "is an indicator", "group-key-on-leaf")
        ok = False
    target = None
    if direction == "target":
        if "target" not in m:
            doc.error(m["direction"][1], f"{label} has direction: target but no target value: add target: 1.0 "
                      "(an optimum) or target: [lo, hi] (an optimal interval)", "target-missing")
            ok = False
    if "target" in m:
        tnode = m["target"][1]
        if direction not in (None, "target"):
            doc.error(m["target"][0], f"{label} gives a target but its direction is {direction}: "
                      "use direction: target or remove target", "target-not-target")
            ok = False
        if isinstance(tnode, yaml.SequenceNode):
            target = doc.pair(tnode, f"target of {label}", BOUNDS["target"])
            if target is not None and target[0] > target[1]:
                doc.error(tnode, f"target interval of {label} has lo {target[0]:g} > hi {target[1]:g}", "bad-interval")
                target = None
        else:
            t = doc.bounded(tnode, f"target of {label}", BOUNDS["target"])
            target = (t, t) if t is not None else None
        ok &= target is not None
    goalposts = None
    if "goalposts" in m:
        goalposts = doc.pair(m["goalposts"][1], f"goalposts of {label}", BOUNDS["goalposts"])
        if goalposts is not None and goalposts[0] >= goalposts[1]:
            doc.error(m["goalposts"][1], f"goalposts of {label} must have lo < hi, found [{goalposts[0]:g}, "
                      f"{goalposts[1]:g}]", "bad-goalposts")
            goalposts = None
        elif goalposts is not None and goalposts[1] - goalposts[0] < 1e-9 * max(1.0, *map(abs, goalposts)):
            doc.error(m["goalposts"][1], f"goalposts of {label} are too close: hi - lo must be at least 1e-09 of "
                      "the larger end (or of 1)", "bad-goalposts")
            goalposts = None
        ok &= goalposts is not None
    formula = doc.text(m["formula"][1], f"formula of {label}") if "formula" in m else None
    if formula is not None:
        formula_nodes[nid] = m["formula"][1]
    unit, unit_en = read_unit(doc, m["unit"][1]) if "unit" in m else ("", None)
    plan_cost = max_change = None
    if "plan_cost" in m:
        plan_cost = doc.bounded(m["plan_cost"][1], f"plan_cost of {label}", BOUNDS["plan_cost"])
        ok &= plan_cost is not None
    if "max_change" in m:
        max_change = doc.bounded(m["max_change"][1], f"max_change of {label}", BOUNDS["max_change"])
        ok &= max_change is not None
    from_network = None
    if "from_network" in m:
        from_network = _read_from_network(doc, m["from_network"][1], label)
        ok &= from_network is not None
        if formula is not None:
            doc.error(m["from_network"][0], f"{label} has both a formula and from_network: its values come from "
                      "one of them", "formula-and-network")
            ok = False
    if is_root:
        doc.error(node, "the root must have children (the tree's domains)", "root-is-leaf")
        ok = False
    if not ok:
        return None
    return Node(from_network=from_network, id=nid, name=name, direction=direction, target=target, goalposts=goalposts, stage=stage,
                aggregate=aggregate, unit=unit, unit_en=unit_en, source=_opt_names(doc, m, "source"),
                description=_opt_names(doc, m, "description"), formula=formula, plan_cost=plan_cost,
                max_change=max_change, pos=doc.pos(node))


def _read_from_network(doc: Doc, node: yaml.Node, label: str) -> NetworkSource | None:
    """``from_network: {relation, measure}``; the relation is checked against the project in load_inputs."""
    from ..analysis.network import UNIT_MEASURES

    fm = doc.mapping(node, FROM_NETWORK_KEYS, f"from_network of {label}")
    if fm is None or "relation" not in fm or "measure" not in fm:
        return None
    relation = doc.ident(fm["relation"][1], f"relation of {label}")
    measure = doc.choice(fm["measure"][1], f"network measure of {label}", tuple(UNIT_MEASURES))
    if relation is None or measure is None:
        return None
    return NetworkSource(relation, measure, doc.pos(fm["relation"][1]))


def read_unit(doc: Doc, node: yaml.Node) -> tuple[str, str | None]:
    """``unit: "%"`` (both languages) or ``unit: {zh: 岁, en: years}`` -> (zh or the one text, en or None)."""
    if isinstance(node, yaml.ScalarNode):
        return (node.value if node.tag != "tag:yaml.org,2002:null" else ""), None
    names = read_names(doc, node, "unit", required_both=False)
    if names is None:
        return "", None
    return names.zh, (names.en if names.en != names.zh else None)


def _opt_names(doc: Doc, m, key: str) -> Names | None:
    if key not in m:
        return None
    return read_names(doc, m[key][1], key, required_both=False)


def _check_formulas(doc: Doc, tree: Tree, formula_nodes: dict[str, yaml.Node]) -> None:
    """Formulas parse, and name only declared variables or measured indicators."""
    from ..prepare.derived import FormulaError, parse_formula

    allowed = {v.id for v in tree.variables} | {n.id for n in tree.leaves if n.formula is None}
    for leaf in tree.derived:
        fnode = formula_nodes[leaf.id]
        pos = doc.pos(fnode)
        try:
            f = parse_formula(leaf.formula)
        except FormulaError as e:
            col = getattr(e, "col", None)
            if col and not fnode.style and pos.col is not None:  # plain scalar (None; '' with libyaml): columns line up
                pos = type(pos)(pos.file, pos.line, pos.col + col - 1)
            elif col and fnode.style in ("'", '"') and pos.col is not None:
                pos = type(pos)(pos.file, pos.line, pos.col + col)
            doc.problems.add(pos, f"formula of '{leaf.id}' {quote(leaf.formula)}: {e.message}", "bad-formula")
            continue
        for name in sorted(f.names):
            if name not in allowed:
                doc.problems.add(pos, f"formula of '{leaf.id}' uses '{name}', which is neither a declared variable "
                                 f"nor an indicator{did_you_mean(name, allowed)}: declare it under variables:",
                                 "unknown-formula-name")
