"""Weight scheme YAML -> :class:`evalkit.scheme.Scheme`, checked against the tree."""

from __future__ import annotations

from pathlib import Path


from ..errors import Problems, did_you_mean, quote
from ..scheme import (BY_YEAR_METHODS, DEFAULT_METHODS, ENTROPY_VARIANTS, NODE_METHODS, WEIGHT_BY, OBJECTIVE_METHODS, SUBJECTIVE_METHODS, AhpSettings, Expert,
                      Judgment, Scheme, Weighting)
from ..tree import Tree
from ..weight import DATA_WEIGHTINGS
from .yamlnodes import Doc, Key, Range, compose, display_path

AHP_METHODS = ("eigenvector", "geometric")
COMBINE_RULES = ("mdi", "multiplicative", "linear", "game_theory")
FIXED_TOLERANCE = 1e-6


def ri_table_names() -> tuple[str, ...]:
    from ..weight.ahp import RI_TABLES

    return tuple(RI_TABLES)


SCHEME_KEYS = {
    "default": Key(dict, False, "weighting for every node not listed: " + " | ".join(DEFAULT_METHODS)),
    "ahp": Key(dict, False, "{method: eigenvector | geometric, max_cr: 0.10, ri: cn_textbook}"),
    "nodes": Key(dict, False, "node id -> its weighting"),
}
AHP_KEYS = {
    "method": Key(str, False, "eigenvector | geometric"),
    "max_cr": Key(float, False, "largest acceptable consistency ratio"),
    "ri": Key(str, False, "random index table"),
}
WEIGHTING_KEYS = {
    "method": Key(str, True, " | ".join(NODE_METHODS)),
    "weights": Key(dict, False, "fixed: child id -> weight, summing to 1"),
    "judgments": Key(list, False, "ahp: [a, b, x] pairs"),
    "experts": Key(list, False, "group ahp: a list of {name, judgments}"),
    "complete": Key(bool, False, "ahp: false = missing judgments are estimated"),
    "ahp": Key(dict, False, "ahp settings for this node"),
    "shift": Key(float, False, "entropy: added to z before p = z / sum z"),
    "by": Key(str, False, "entropy, critic, cv: panel (one set of weights) | year (one set a year)"),
    "variant": Key(str, False, "entropy: minmax (p from min-max z) | ratio (p = x / sum x of raw values)"),
    "rescale": Key(list, False, "entropy: [lo, hi], z -> lo + (hi - lo) z first, e.g. [0.002, 0.998]"),
    "directional": Key(bool, False, "critic: false = min-max without turning cost columns round"),
    "share": Key(list, False, "bod: [least, most] share of each child in a unit's score, or {child: [least, most]}"),
    "subjective": Key(dict, False, "combined: the subjective part (ahp or fixed)"),
    "objective": Key(dict, False, "combined: the objective part (entropy, critic, cv)"),
    "rule": Key(str, False, "combined: mdi | multiplicative | linear | game_theory"),
    "alpha": Key(float, False, "combined linear: share of the subjective weights"),
}
#: Keys that belong to another file or another word: the advice given instead of a did-you-mean.
WEIGHTING_HINTS = {
    "scope": "per-year weights are `by: year`; `scope` belongs to normalize in the project file",
    "year": "per-year weights are `by: year`",
    "per_year": "per-year weights are `by: year`",
    "normalize": "normalisation is set in the project file (normalize: {method: ...})",
    "aggregate": "aggregation is set in the project file or on a tree node (aggregate: ...)",
}
#: Plausible range of every numeric setting of a weight scheme, by key; checked where the value stands.
BOUNDS: dict[str, Range] = {
    "ahp.max_cr": Range(0, 1, lo_open=True, code="bad-max-cr"),
    "shift": Range(0, 1e6, code="bad-shift"),
    "alpha": Range(0, 1, code="bad-alpha"),
    "weights": Range(0, 1 + FIXED_TOLERANCE, code="negative-weight"),
    "expert.weight": Range(0, 1e6, lo_open=True, code="bad-expert-weight"),
}

EXPERT_KEYS = {
    "name": Key(str, False, "who gave the judgments"),
    "weight": Key(float, False, "the expert's weight in the group (default equal)"),
    "judgments": Key(list, True, "[a, b, x] pairs"),
}


def load_scheme(path: Path | str, tree: Tree | None, problems: Problems, *, text: str | None = None) -> Scheme | None:
    """Read a weight scheme file (or ``text`` named ``path``) and check it against the tree."""
    root = compose(path, problems, text=text)
    if root is None:
        return None
    doc = Doc(display_path(path) if isinstance(path, Path) else path, problems)
    m = doc.mapping(root, SCHEME_KEYS, "the weight scheme")
    if m is None:
        return None
    ahp = AhpSettings()
    if "ahp" in m:
        ahp = _read_ahp(doc, m["ahp"][1], ahp) or ahp
    default = Weighting("equal")
    if "default" in m:
        dm = doc.mapping(m["default"][1], WEIGHTING_KEYS, "default", hints=WEIGHTING_HINTS)
        if dm is not None and "method" in dm:
            meth = doc.choice(dm["method"][1], "default method", DEFAULT_METHODS)
            if meth is not None:
                default = _read_weighting(doc, m["default"][1], dm, meth, None, tree, ahp, "default") or default
    nodes: dict[str, Weighting] = {}
    if "nodes" in m:
        nm = doc.mapping(m["nodes"][1], None, "nodes")
        for nid, (knode, vnode) in (nm or {}).items():
            node = tree.by_id.get(nid) if tree is not None else None
            if tree is not None:
                if node is None:
                    doc.error(knode, f"unknown node '{nid}' in the weight scheme{did_you_mean(nid, tree.by_id)}",
                              "unknown-node")
                    continue
                if node.is_leaf:
                    doc.error(knode, f"'{nid}' is an indicator: weights are given at the nodes above indicators",
                              "weights-on-leaf")
                    continue
            wm = doc.mapping(vnode, WEIGHTING_KEYS, f"the weighting of '{nid}'", hints=WEIGHTING_HINTS)
            if wm is None or "method" not in wm:
                continue
            meth = doc.choice(wm["method"][1], f"method of '{nid}'", NODE_METHODS)
            if meth is None:
                continue
            w = _read_weighting(doc, vnode, wm, meth, nid, tree, ahp, f"'{nid}'")
            if w is not None:
                nodes[nid] = w
    return Scheme(default=default, ahp=ahp, nodes=nodes, file=doc.file)


def _read_ahp(doc: Doc, node, base: AhpSettings) -> AhpSettings | None:
    am = doc.mapping(node, AHP_KEYS, "ahp")
    if am is None:
        return None
    method, max_cr, ri = base.method, base.max_cr, base.ri
    if "method" in am:
        method = doc.choice(am["method"][1], "ahp method", AHP_METHODS) or method
    if "max_cr" in am:
        v = doc.bounded(am["max_cr"][1], "max_cr", BOUNDS["ahp.max_cr"])
        if v is not None:
            max_cr = v
    if "ri" in am:
        ri = doc.choice(am["ri"][1], "ri table", ri_table_names()) or ri
    return AhpSettings(method, max_cr, ri)


def _read_weighting(doc: Doc, node, m, method: str, nid: str | None, tree: Tree | None, ahp: AhpSettings,
                    label: str) -> Weighting | None:
    children = [c.id for c in tree.by_id[nid].children] if (tree is not None and nid is not None) else None
    pos = doc.pos(node)
    data = DATA_WEIGHTINGS.get(method)
    allowed = {"method", *data.options} if data is not None else {
        "fixed": {"method", "weights"}, "ahp": {"method", "judgments", "experts", "complete", "ahp"},
        "combined": {"method", "subjective", "objective", "rule", "alpha"},
    }[method]
    ok = True
    for key, (knode, _) in m.items():
        if key not in allowed:
            doc.error(knode, f"'{key}' does not apply to method {method} at {label} "
                      f"(it takes: {', '.join(sorted(allowed - {'method'})) or 'nothing else'})", "key-not-for-method")
            ok = False
    if method == "fixed":
        if "weights" not in m:
            doc.error(node, f"fixed weights at {label} need weights: {{child: weight, ...}}", "missing-key")
            return None
        weights = _read_fixed(doc, m["weights"][1], children, label)
        return Weighting("fixed", weights=weights, pos=pos) if (weights is not None and ok) else None
    by = "panel"
    if "by" in m and method in BY_YEAR_METHODS:
        by = doc.choice(m["by"][1], f"by at {label}", WEIGHT_BY) or "panel"
    if method == "entropy":
        shift = 0.0
        if "shift" in m:
            s = doc.bounded(m["shift"][1], "shift", BOUNDS["shift"])
            ok &= s is not None
            shift = s or 0.0
        variant = "minmax"
        if "variant" in m:
            variant = doc.choice(m["variant"][1], f"entropy variant at {label}", ENTROPY_VARIANTS) or variant
        rescale = None
        if "rescale" in m:
            rescale = doc.pair(m["rescale"][1], "rescale")
            if rescale is not None and not 0 <= rescale[0] < rescale[1]:
                doc.error(m["rescale"][1], f"rescale [{rescale[0]:g}, {rescale[1]:g}] needs 0 <= lo < hi, e.g. "
                          "[0.002, 0.998]", "bad-rescale")
                ok = False
        if variant == "ratio" and (rescale is not None or "shift" in m):
            key = "rescale" if rescale is not None else "shift"
            doc.error(m[key][0], f"'{key}' applies to min-max z; variant: ratio uses the raw values "
                      "(p = x / sum x): leave it out", "key-not-for-variant")
            ok = False
        return Weighting("entropy", shift=shift, by=by, variant=variant,
                         rescale=tuple(rescale) if rescale is not None else None, pos=pos) if ok else None
    if method == "critic":
        directional = True
        if "directional" in m:
            d = doc.boolean(m["directional"][1], "directional")
            directional = True if d is None else d
        return Weighting("critic", by=by, directional=directional, pos=pos) if ok else None
    if method in ("cv", "pca"):
        return Weighting(method, by=by, pos=pos) if ok else None
    if method == "bod":
        share = None
        if "share" in m:
            share = _read_share(doc, m["share"][1], children, label)
            ok &= share is not None
        return Weighting("bod", by=by, share=share, pos=pos) if ok else None
    if method == "ahp":
        node_ahp = _read_ahp(doc, m["ahp"][1], ahp) if "ahp" in m else None
        complete = True
        if "complete" in m:
            c = doc.boolean(m["complete"][1], "complete")
            complete = True if c is None else c
        if ("judgments" in m) == ("experts" in m):
            doc.error(node, f"ahp at {label} needs either judgments: or experts: (one of them)", "ahp-judgments")
            return None
        if "judgments" in m:
            js = _read_judgments(doc, m["judgments"][1], children, label, complete)
            return Weighting("ahp", judgments=js, complete=complete, ahp=node_ahp, pos=doc.pos(m["judgments"][0])) \
                if (js is not None and ok) else None
        experts = _read_experts(doc, m["experts"][1], children, label, complete)
        return Weighting("ahp", experts=experts, complete=complete, ahp=node_ahp, pos=doc.pos(m["experts"][0])) \
            if (experts is not None and ok) else None
    if method == "combined":
        parts = {}
        for part, options in (("subjective", SUBJECTIVE_METHODS), ("objective", OBJECTIVE_METHODS)):
            if part not in m:
                doc.error(node, f"combined weights at {label} need a {part}: part", "missing-key")
                ok = False
                continue
            pm = doc.mapping(m[part][1], WEIGHTING_KEYS, f"{part} at {label}", hints=WEIGHTING_HINTS)
            if pm is None or "method" not in pm:
                ok = False
                continue
            pmeth = doc.choice(pm["method"][1], f"{part} method at {label}", options)
            if pmeth is None:
                ok = False
                continue
            parts[part] = _read_weighting(doc, m[part][1], pm, pmeth, nid, tree, ahp, f"{label} ({part})")
            ok &= parts[part] is not None
        rule = "mdi"
        if "rule" in m:
            rule = doc.choice(m["rule"][1], f"rule at {label}", COMBINE_RULES) or rule
        alpha = 0.5
        if "alpha" in m:
            a = doc.bounded(m["alpha"][1], "alpha", BOUNDS["alpha"])
            ok &= a is not None
            alpha = a if a is not None else alpha
            if rule != "linear":
                doc.warn(m["alpha"][0], f"alpha is used only by rule: linear (the rule at {label} is {rule})",
                         "alpha-unused")
        if not ok:
            return None
        return Weighting("combined", subjective=parts["subjective"], objective=parts["objective"], rule=rule,
                         alpha=alpha, pos=pos)
    return Weighting(method, pos=pos) if ok else None


def _read_share(doc: Doc, node, children, label) -> dict[str, tuple[float, float]] | None:
    """bod share bounds: ``[least, most]`` for every child, or ``{child: [least, most], ...}`` (others [0, 1])."""
    import yaml

    if children is None:
        doc.error(node, f"share bounds at {label} name children: give them on a node, not under default",
                  "share-on-default")
        return None
    out: dict[str, tuple[float, float]] = {c: (0.0, 1.0) for c in children}
    if isinstance(node, yaml.MappingNode):
        sm = doc.mapping(node, None, f"share at {label}")
        if sm is None:
            return None
        items = []
        for cid, (knode, vnode) in sm.items():
            if cid not in children:
                doc.error(knode, f"'{cid}' is not a child of {label}{did_you_mean(cid, children)}", "unknown-child")
                return None
            items.append((cid, vnode))
    else:
        items = [(c, node) for c in children]
    for cid, vnode in items:
        pair = doc.pair(vnode, f"share of '{cid}'")
        if pair is None:
            return None
        if not 0 <= pair[0] <= pair[1] <= 1:
            doc.error(vnode, f"share bounds [{pair[0]:g}, {pair[1]:g}] of '{cid}' at {label} need "
                      "0 <= least <= most <= 1", "bad-share")
            return None
        out[cid] = (float(pair[0]), float(pair[1]))
    least = sum(v[0] for v in out.values())
    most = sum(v[1] for v in out.values())
    if least > 1 + 1e-12 or most < 1 - 1e-12:
        doc.error(node, f"share bounds at {label} cannot hold together: the least shares sum to {least:g} and the "
                  f"most to {most:g} (need least <= 1 <= most)", "bad-share")
        return None
    return out


def _read_fixed(doc: Doc, node, children, label) -> dict[str, float] | None:
    wm = doc.mapping(node, None, f"weights at {label}")
    if wm is None:
        return None
    out: dict[str, float] = {}
    ok = True
    for cid, (knode, vnode) in wm.items():
        if children is not None and cid not in children:
            doc.error(knode, f"'{cid}' is not a child of {label}{did_you_mean(cid, children)}", "unknown-child")
            ok = False
            continue
        v = doc.bounded(vnode, f"weight of '{cid}'", BOUNDS["weights"], fractions=True)
        if v is None:
            ok = False
            continue
        out[cid] = v
    if children is not None:
        missing = [c for c in children if c not in wm]
        if missing:
            doc.error(node, f"fixed weights at {label} give no weight for {', '.join(missing)} "
                      "(give every child a weight; 0 is allowed)", "fixed-missing-child")
            ok = False
    total = sum(out.values())
    if ok and abs(total - 1) > FIXED_TOLERANCE:
        doc.error(node, f"fixed weights at {label} sum to {total:.6g}, not 1 (they are never rescaled silently)",
                  "fixed-sum")
        ok = False
    return out if ok else None


def _read_judgments(doc: Doc, node, children, label, complete: bool) -> tuple[Judgment, ...] | None:
    items = doc.sequence(node, f"judgments at {label}")
    if items is None:
        return None
    out: list[Judgment] = []
    seen: dict[frozenset, Judgment] = {}
    ok = True
    for item in items:
        triple = doc.sequence(item, "a judgment")
        if triple is None:
            ok = False
            continue
        if len(triple) != 3:
            doc.error(item, f"a judgment is [a, b, x] (three values), found {len(triple)}", "bad-judgment")
            ok = False
            continue
        a = doc.text(triple[0], "judgment element")
        b = doc.text(triple[1], "judgment element")
        v = doc.number(triple[2], "judgment value", fractions=True)
        text = "[" + ", ".join(str(t.value) for t in triple) + "]"
        for name, tnode in ((a, triple[0]), (b, triple[1])):
            if name is not None and children is not None and name not in children:
                doc.error(tnode, f"judgment {text} at {label} names '{name}', which is not a child of {label}"
                          f"{did_you_mean(name, children)}", "unknown-child")
                ok = False
        if a is not None and a == b:
            doc.error(item, f"judgment {text} compares '{a}' with itself", "self-judgment")
            ok = False
            continue
        if v is not None and not (1 / 9 - 1e-9 <= v <= 9 + 1e-9):
            doc.error(triple[2], f"judgment value {quote(triple[2].value)} in {text} is outside the 1-9 scale "
                      "(1/9 .. 9)", "judgment-range")
            ok = False
            continue
        if a is None or b is None or v is None:
            ok = False
            continue
        key = frozenset((a, b))
        if key in seen:
            doc.error(item, f"the pair ({a}, {b}) is judged twice at {label} (first {seen[key].text} at line "
                      f"{seen[key].pos.line})", "duplicate-judgment")
            ok = False
            continue
        j = Judgment(a, b, v, text, doc.pos(item))
        seen[key] = j
        out.append(j)
    if ok and children is not None and complete:
        missing = [(x, y) for i, x in enumerate(children) for y in children[i + 1:] if frozenset((x, y)) not in seen]
        if missing:
            shown = ", ".join(f"[{x}, {y}]" for x, y in missing[:5]) + (" ..." if len(missing) > 5 else "")
            doc.error(node, f"judgments at {label} miss {len(missing)} pair{'s' if len(missing) > 1 else ''}: {shown} "
                      "(add them, or set complete: false to estimate them)", "judgments-incomplete")
            ok = False
    if ok and children is not None and not complete:
        if not _connected(children, seen):
            doc.error(node, f"judgments at {label} do not connect every child: the missing ones cannot be "
                      "estimated (each child must be compared, directly or through others)", "judgments-disconnected")
            ok = False
    return tuple(out) if ok else None


def _connected(children, seen) -> bool:
    if len(children) <= 1:
        return True
    adj = {c: set() for c in children}
    for pair in seen:
        a, b = tuple(pair)
        adj[a].add(b)
        adj[b].add(a)
    stack, found = [children[0]], {children[0]}
    while stack:
        for n in adj[stack.pop()]:
            if n not in found:
                found.add(n)
                stack.append(n)
    return len(found) == len(children)


def _read_experts(doc: Doc, node, children, label, complete) -> tuple[Expert, ...] | None:
    items = doc.sequence(node, f"experts at {label}")
    if not items:
        if items is not None:
            doc.error(node, f"experts at {label} is empty", "no-experts")
        return None
    out = []
    ok = True
    for k, item in enumerate(items, 1):
        em = doc.mapping(item, EXPERT_KEYS, "an expert")
        if em is None or "judgments" not in em:
            ok = False
            continue
        name = (doc.text(em["name"][1], "expert name") if "name" in em else None) or f"expert {k}"
        weight = 1.0
        if "weight" in em:
            wv = doc.bounded(em["weight"][1], "expert weight", BOUNDS["expert.weight"], fractions=True)
            if wv is None:
                ok = False
            else:
                weight = wv
        js = _read_judgments(doc, em["judgments"][1], children, f"{label} ({name})", complete)
        if js is None:
            ok = False
            continue
        out.append(Expert(name, js, weight, doc.pos(item)))
    return tuple(out) if ok else None
