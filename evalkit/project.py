"""The project (evalkit.yaml): what to score, with which settings (the data model, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import Pos
from .tree import Names

NORMALIZE_METHODS = ("minmax", "zscore", "rank", "goalpost", "maxratio")
SCOPES = ("panel", "year")
LANGS = ("zh", "en")
DEFAULT_MIN_COVERAGE = 0.5  # at least half of a score's weight reported: else it is mostly imputation
LOW_YEAR_COVERAGE = 0.8  # a year whose median unit coverage is below this looks half-collected


@dataclass(frozen=True, slots=True)
class Settings:
    """The method settings of a run: what `rescore` and `--set` may change."""

    normalize: str = "minmax"
    scope: str = "panel"
    aggregate: str = "arithmetic"
    min_share: float = 2 / 3
    geometric_shift: float = 1.0  # geometric mean on s − lo + shift (1: COINr-style, 0: plain, HDI)
    topsis_normalize: str = "vector"  # topsis: vector | minmax | none
    power_p: float = 2.0  # power mean order
    ties: str = "average"  # normalize: rank: average | min (COINr's n_prank)
    zscore_ddof: int = 0  # normalize: zscore: 0 (population sd) | 1 (sample sd, COINr)
    zscore_clip: float | None = 3.0  # normalize: zscore: clip at ±clip sd (None: no clip, needs mean/sd)
    zscore_mean_sd: tuple[float, float] | None = None  # normalize: zscore: COINr's m_sd, scores m + sd·z

    def unbounded_leaves(self) -> bool:
        """True when leaf scores may leave the scale (COINr's z-scores m + sd·z): only arithmetic means then."""
        if self.normalize != "zscore" or self.zscore_mean_sd is None:
            return False
        if self.zscore_clip is None:
            return True
        m, sd = self.zscore_mean_sd
        lo, hi = self.scale
        return m - sd * self.zscore_clip < lo or m + sd * self.zscore_clip > hi
    scale: tuple[float, float] = (0.0, 100.0)
    rank_round: int | None = None  # round scores to this many decimals before ranking (HDI: 3)
    prepare: Mapping[str, Any] = field(default_factory=dict)  # resolved preparation settings
    analysis: Mapping[str, Any] = field(default_factory=dict)
    sensitivity: Mapping[str, Any] = field(default_factory=dict)
    planning: Mapping[str, Any] = field(default_factory=dict)
    audit: Mapping[str, Any] = field(default_factory=dict)  # flag thresholds of the statistical audit

    def to_dict(self) -> dict[str, Any]:
        return {
            # options at their defaults are left out: the step log of existing projects stays as it was
            "normalize": {"method": self.normalize, "scope": self.scope,
                          **({"ties": self.ties} if self.ties != "average" else {}),
                          **({"ddof": self.zscore_ddof} if self.zscore_ddof != 0 else {}),
                          **({"clip": self.zscore_clip} if self.zscore_clip != 3.0 else {}),
                          **({"mean": self.zscore_mean_sd[0], "sd": self.zscore_mean_sd[1]}
                             if self.zscore_mean_sd is not None else {})},
            "aggregate": {"method": self.aggregate, "min_share": self.min_share,
                          "geometric_shift": self.geometric_shift,
                          **({"normalize": self.topsis_normalize} if self.topsis_normalize != "vector" else {}),
                          **({"p": self.power_p} if self.power_p != 2.0 else {})},
            "scale": list(self.scale),
            "ranks": {"round": self.rank_round},
            "prepare": _plain(self.prepare),
            "analysis": _plain(self.analysis),
            "sensitivity": _plain(self.sensitivity),
            "planning": _plain(self.planning),
            # only when set: a project without audit settings keeps its manifest unchanged
            **({"audit": _plain(self.audit)} if self.audit else {}),
        }


@dataclass(frozen=True, slots=True)
class RelationType:
    """A kind of tie between units declared in the project file (``relations:``), e.g. data sharing."""

    id: str
    name: Names
    directed: bool
    unit: str = ""
    unit_en: str | None = None
    pos: Pos = field(default=Pos("<memory>"), compare=False)


@dataclass(frozen=True, slots=True)
class Project:
    file: Path  # absolute path of evalkit.yaml ("" for in-memory projects)
    title: Names
    framework: Path
    weights: Path
    values: Path
    units: Path | None  # None: units come from the values file, named by their ids
    targets: Path | None = None
    synthetic: bool = False
    years: tuple[int, ...] | None = None  # (first, last): a range; three or more: exactly these editions
    settings: Settings = Settings()
    grades: tuple[tuple[str, float], ...] = ()  # (label, lower bound), best first
    lang: str = "zh"
    output: Path = Path("out")
    bundled_demo: bool = False
    pos: Mapping[str, Pos] = field(default_factory=dict)  # YAML position of each key, for messages
    relations: Path | None = None  # data.relations: the city-pair ties file (optional)
    relation_types: tuple[RelationType, ...] = ()
    data_columns: Mapping[str, str] = field(default_factory=dict)  # role -> the values file's own header
    data_sheet: str | None = None  # worksheet of an XLSX values file
    data_year: int | None = None  # the year of a values file without a year column
    min_coverage: float = 0.5  # below it a unit-year has "insufficient data": no score, rank or grade

    @property
    def editions(self) -> bool:
        """True when ``years`` lists the editions (three or more years), not a range."""
        return self.years is not None and len(self.years) >= 3

    def inputs(self) -> dict[str, Path]:
        out = {"project": self.file, "framework": self.framework, "weights": self.weights,
               "values": self.values}
        if self.units is not None:
            out["units"] = self.units
        if self.targets is not None:
            out["targets"] = self.targets
        if self.relations is not None:
            out["relations"] = self.relations
        return out

    def grade_of(self, score: float) -> str:
        for label, lower in self.grades:
            if score >= lower:
                return label
        return ""


def _plain(m: Any) -> Any:
    if isinstance(m, Mapping):
        return {k: _plain(v) for k, v in m.items()}
    if isinstance(m, (list, tuple)):
        return [_plain(v) for v in m]
    return m
