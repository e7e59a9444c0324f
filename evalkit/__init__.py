"""evalkit: a scoring engine for evaluating collaborative governance.

The Python API for researchers::

    import evalkit
    inputs = evalkit.load_project("examples/demo/evalkit.yaml")   # validated inputs
    result = evalkit.score(inputs)                                # every node × unit × year
    df = result.to_frame()                                        # results.csv as a DataFrame
    alt = evalkit.rescore(result, {"weights.nodes.dgpi.method": "entropy"})   # what-if
    shifts = evalkit.compare(result, alt)                         # score and rank shifts
    tables = evalkit.audit(result)                                # the statistical audit
    inputs = evalkit.from_frames(df, tree_dict, weights_dict, years=[2014, 2024])   # no files needed
    out = evalkit.sensitivity(result, draws=200, seed=1)          # robustness and Sobol tables
"""

from __future__ import annotations

from .version import __version__

from pathlib import Path as _Path

from .errors import UserError


def load_project(path=None):
    """Read and validate a project (``None``: the bundled demo); raises UserError listing all problems."""
    from .load import load_inputs

    return load_inputs(_Path(path) if path is not None else None)


def score(inputs, **kwargs):
    """Score loaded inputs: see :func:`evalkit.pipeline.score`."""
    from .pipeline import score as _score

    return _score(inputs, **kwargs)


def rescore(result, changes=None, **kwargs):
    """Re-score with dotted-path changes, reusing unchanged steps: see :func:`evalkit.pipeline.rescore`."""
    from .pipeline import rescore as _rescore

    return _rescore(result, changes, **kwargs)


def from_frames(values, tree, weights, units=None, **settings):
    """Validated inputs from a values DataFrame and the tree and weights as dicts: see
    :func:`evalkit.load.frames.from_frames`; raises UserError with located messages (``values[row 12]: ...``)."""
    from .load.frames import from_frames as _from_frames

    return _from_frames(values, tree, weights, units, **settings)


def sensitivity(result, *, draws=None, seed=None, year=None, spec=None, jobs=1):
    """Uncertainty and sensitivity analysis of a result's ranking over the project's ``sensitivity:``
    choices (or ``spec``, a mapping of the same keys).  Returns an object with ``robustness`` (rank
    intervals per unit) and ``sobol`` (first-order and total indices per factor) DataFrames."""
    from dataclasses import replace

    from .analysis.sensitivity import read_spec, run_sensitivity
    from .errors import Pos

    project = result.inputs.project
    raw = spec if spec is not None else result.settings.sensitivity
    pos = project.pos.get("sensitivity") or Pos("sensitivity")
    s = read_spec(raw, pos, draws=draws, seed=seed)
    if year is not None:
        s = replace(s, year=int(year))
    return run_sensitivity(result, s, jobs=jobs)


def compare(a, b):
    """Score and rank shifts between two results (compare.csv as a DataFrame)."""
    from .analysis.compare import compare as _compare

    return _compare(a, b)


def audit(result, *, weak=None, collinear=None, alpha=None, ratio=None):
    """The statistical audit (docs/methods.md#audit) as DataFrames: {"correlations", "nodes", "indicators"}.

    Thresholds default to the project's ``audit:`` settings (0.3, 0.9, 0.7, 2).
    """
    from .analysis.audit_tables import AuditSettings, audit_tables

    cfg = AuditSettings.from_mapping(result.settings.audit, weak=weak, collinear=collinear, alpha=alpha,
                                     ratio=ratio)
    return {name.removeprefix("audit-"): df for name, df in audit_tables(result, cfg).items()}


__all__ = ["load_project", "from_frames", "score", "rescore", "compare", "sensitivity", "audit", "UserError",
           "__version__"]
