"""evalkit: a scoring engine for evaluating collaborative governance.

The Python API for researchers::

    import evalkit
    inputs = evalkit.load_project("examples/demo/evalkit.yaml")   # validated inputs
    result = evalkit.score(inputs)                                # every node × unit × year
    df = result.to_frame()                                        # results.csv as a DataFrame
    alt = evalkit.rescore(result, {"weights.nodes.dgpi.method": "entropy"})   # what-if
    shifts = evalkit.compare(result, alt)                         # score and rank shifts
    tables = evalkit.audit(result)                                # the statistical audit
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


__all__ = ["load_project", "score", "rescore", "compare", "audit", "UserError", "__version__"]
