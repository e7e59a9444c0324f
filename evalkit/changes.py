"""What-if overrides: dotted paths that mirror the YAML (``weights.nodes.gov.method``,
``normalize.method``) applied to a scheme and settings, then checked by the same loaders.

``--set normalize.method=zscore`` on the command line and ``rescore(result,
{"weights.nodes.transport.method": "entropy"})`` in Python both come here, so
an override is validated exactly like the file it overrides; its problems are
located in the file ``<command line>``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import yaml

from .errors import Pos, Problems, UserError, did_you_mean, quote
from .project import Settings
from .scheme import Scheme
from .load.yamlnodes import dump
from .tree import Tree

SOURCE = "<command line>"
#: Settings that belong to one method only, dropped when a what-if changes the method.
METHOD_OPTIONS = {"normalize": ("ties", "ddof", "clip", "mean", "sd"), "aggregate": ("normalize", "p")}
SETTINGS_ROOTS = ("normalize", "aggregate", "scale", "ranks", "prepare", "analysis", "sensitivity", "planning")


def scheme_to_dict(scheme: Scheme) -> dict[str, Any]:
    """The scheme as its YAML mapping (defaults filled in)."""
    return _strip_none({
        "default": scheme.default.params(),
        "ahp": {"method": scheme.ahp.method, "max_cr": scheme.ahp.max_cr, "ri": scheme.ahp.ri},
        "nodes": {nid: w.params() for nid, w in scheme.nodes.items()},
    })


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    d = settings.to_dict()
    if d["ranks"]["round"] is None:
        del d["ranks"]
    return _strip_none({k: v for k, v in d.items() if v != {} or k in ("normalize", "aggregate")})


def parse_assignment(text: str) -> tuple[str, Any]:
    """``'normalize.method=zscore'`` -> ("normalize.method", "zscore"); the value is read as YAML."""
    if "=" not in text:
        raise UserError([_problem(f"--set {quote(text)} needs the form path=value, e.g. normalize.method=zscore",
                                  "bad-set")])
    path, _, value = text.partition("=")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return path.strip(), parsed


def apply_changes(scheme: Scheme, settings: Settings, tree: Tree,
                  changes: Mapping[str, Any]) -> tuple[Scheme, Settings]:
    """A new (scheme, settings) with ``changes`` applied; raises UserError naming any bad path or value."""
    from .load.project import settings_from_text
    from .load.scheme import load_scheme

    sd = scheme_to_dict(scheme)
    st = settings_to_dict(settings)
    problems = Problems()
    touched_scheme = touched_settings = False
    # a method is set before the keys that go with it (setting a method clears the old keys)
    for path, value in sorted(changes.items(), key=lambda kv: not kv[0].endswith(".method")):
        parts = path.split(".")
        if parts[0] == "weights":
            touched_scheme = True
            _set_scheme(sd, parts[1:], value, tree, path, problems)
        elif parts[0] in SETTINGS_ROOTS:
            touched_settings = True
            if parts[1:] == ["method"] and parts[0] in METHOD_OPTIONS and st.get(parts[0], {}).get("method") != value:
                # a new method starts without the old one's options (rank ties, TOPSIS normalize ...)
                for key in METHOD_OPTIONS[parts[0]]:
                    st.get(parts[0], {}).pop(key, None)
            _set(st, parts, value)
        else:
            problems.add(Pos(SOURCE), f"cannot change {quote(path)}: paths start with weights. or one of "
                         f"{', '.join(SETTINGS_ROOTS)}", "bad-set-path")
    problems.raise_if_errors()
    new_scheme, new_settings = scheme, settings
    if touched_scheme:
        new_scheme = load_scheme(SOURCE, tree, problems, text=dump(sd))
    if touched_settings:
        new_settings = settings_from_text(dump(st), SOURCE, problems)
    # lines of the YAML built from the overrides mean nothing to the user: keep the file name only
    problems.items = [replace(p, pos=Pos(SOURCE)) if p.pos.file == SOURCE else p for p in problems.items]
    problems.raise_if_errors()
    return new_scheme, new_settings


def _set_scheme(sd: dict, parts: list[str], value: Any, tree: Tree, path: str, problems: Problems) -> None:
    if parts and parts[0] == "nodes":
        rest = parts[1:]
        # node ids may contain dots: take the longest prefix that names a node
        for cut in range(len(rest), 0, -1):
            nid = ".".join(rest[:cut])
            if nid in tree.by_id:
                break
        else:
            nid, cut = rest[0] if rest else "", 1
        keys = rest[cut:]
        # child ids may contain dots too: after `weights` the rest of the path is one child id
        if len(keys) > 1 and keys[0] == "weights":
            keys = ["weights", ".".join(keys[1:])]
        nodes = sd.setdefault("nodes", {})
        if nid not in tree.by_id:
            problems.add(Pos(SOURCE), f"cannot change {quote(path)}: no node '{nid}' in the tree"
                         f"{did_you_mean(nid, tree.by_id)}", "unknown-node")
            return
        if not keys:
            nodes[nid] = value
        elif keys == ["method"]:
            # a new method starts from a clean entry: keys of the old method would not apply
            old = nodes.get(nid, {})
            if old.get("method") != value:
                nodes[nid] = {"method": value}
        else:
            entry = nodes.setdefault(nid, dict(sd.get("default", {"method": "equal"})))
            _set(entry, keys, value)
        return
    if parts == ["default", "method"]:
        sd["default"] = {"method": value}
        return
    if not parts or parts[0] not in ("default", "ahp", "nodes"):
        problems.add(Pos(SOURCE), f"cannot change {quote(path)}: after weights. comes default, ahp or "
                     "nodes.<node id>", "bad-set-path")
        return
    _set(sd, parts, value)


def _set(d: dict, keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        nxt = d.get(k)
        if not isinstance(nxt, dict):
            nxt = d[k] = {}
        d = nxt
    d[keys[-1]] = value


def _strip_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_strip_none(v) for v in obj]
    return obj


def _problem(message: str, code: str):
    from .errors import Problem

    return Problem(Pos(SOURCE), message, code)
