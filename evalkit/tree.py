"""The indicator tree: frozen nodes and the indexes computed once from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

from .errors import Pos

DIRECTIONS = ("benefit", "cost", "target")
STAGES = ("input", "process", "output", "outcome")


@dataclass(frozen=True, slots=True)
class Names:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Variable:
    """A raw input of formulas, declared beside the tree's root."""

    id: str
    name: Names
    unit: str = ""
    source: Names | None = None
    pos: Pos = field(default=Pos("<memory>"), compare=False)
    unit_en: str | None = None  # the unit in English where it differs ("persons" for 人)

    def unit_for(self, lang: str) -> str:
        return self.unit_en if (lang == "en" and self.unit_en) else self.unit


@dataclass(frozen=True, slots=True)
class NetworkSource:
    """``from_network: {relation, measure}``: a leaf whose values are a network measure of each unit."""

    relation: str
    measure: str
    pos: Pos = field(default=Pos("<memory>"), compare=False)


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree; a leaf (indicator) has ``direction`` and no children.

    ``stage`` is stored already inherited; a point target is stored as ``(t, t)``.
    """

    id: str
    name: Names
    children: tuple["Node", ...] = ()
    direction: str | None = None
    target: tuple[float, float] | None = None
    goalposts: tuple[float, float] | None = None
    stage: str | None = None
    aggregate: str | None = None
    unit: str = ""
    source: Names | None = None
    description: Names | None = None
    formula: str | None = None
    plan_cost: float | None = None
    max_change: float | None = None
    unit_en: str | None = None  # the unit in English where it differs ("years" for 岁)
    geometric_shift: float | None = None  # zero handling of `aggregate: geometric` here (None: the project's)
    aggregate_options: tuple = ()  # (key, value) pairs of `aggregate: {method: topsis, normalize: minmax}`
    from_network: NetworkSource | None = None  # the leaf's values come from the relations file
    pos: Pos = field(default=Pos("<memory>"), compare=False)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def unit_for(self, lang: str) -> str:
        """The unit of measurement in ``lang`` (``unit: {zh: 岁, en: years}`` or one text for both)."""
        return self.unit_en if (lang == "en" and self.unit_en) else self.unit

    def walk(self) -> Iterator["Node"]:
        """Pre-order walk of the subtree."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, eq=False)
class Tree:
    """A validated indicator tree with its indexes.

    ``nodes`` lists every node in post-order (children before parents, the root
    last), so a bottom-up aggregation is a single pass over it.  ``leaves`` are
    the indicators in the tree's order: they are the panel's axis 2.
    """

    root: Node
    variables: tuple[Variable, ...] = ()
    file: str = ""

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        out: list[Node] = []

        def post(n: Node) -> None:
            for c in n.children:
                post(c)
            out.append(n)

        post(self.root)
        return tuple(out)

    @cached_property
    def by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @cached_property
    def index(self) -> dict[str, int]:
        """Node id -> position in ``nodes`` (the result's node axis)."""
        return {n.id: i for i, n in enumerate(self.nodes)}

    @cached_property
    def parent(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {self.root.id: None}
        for n in self.nodes:
            for c in n.children:
                out[c.id] = n.id
        return out

    @cached_property
    def leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.root.walk() if n.is_leaf)

    @cached_property
    def leaf_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.leaves)

    @cached_property
    def inner(self) -> tuple[Node, ...]:
        """Inner nodes in post-order."""
        return tuple(n for n in self.nodes if not n.is_leaf)

    @cached_property
    def depth(self) -> dict[str, int]:
        out = {self.root.id: 0}
        for n in self.root.walk():
            for c in n.children:
                out[c.id] = out[n.id] + 1
        return out

    @cached_property
    def levels(self) -> tuple[tuple[Node, ...], ...]:
        """Nodes by depth: ``levels[0] == (root,)``, ``levels[1]`` its children, ..."""
        by: dict[int, list[Node]] = {}
        for n in self.root.walk():
            by.setdefault(self.depth[n.id], []).append(n)
        return tuple(tuple(by[d]) for d in sorted(by))

    def ancestors(self, node_id: str) -> list[str]:
        """Ids from the node's parent up to the root."""
        out = []
        p = self.parent.get(node_id)
        while p is not None:
            out.append(p)
            p = self.parent[p]
        return out

    def leaves_under(self, node_id: str) -> tuple[str, ...]:
        return tuple(n.id for n in self.by_id[node_id].walk() if n.is_leaf)

    @cached_property
    def domains(self) -> tuple[Node, ...]:
        """The root's children (the five domains of the default framework)."""
        return self.root.children

    def domain_of(self, node_id: str) -> str | None:
        """The id of the root's child above (or equal to) ``node_id``."""
        chain = [node_id] + self.ancestors(node_id)
        return chain[-2] if len(chain) >= 2 else None

    @cached_property
    def derived(self) -> tuple[Node, ...]:
        return tuple(n for n in self.leaves if n.formula is not None)

    @cached_property
    def networked(self) -> tuple[Node, ...]:
        """Leaves whose values are network measures (``from_network``)."""
        return tuple(n for n in self.leaves if n.from_network is not None)
