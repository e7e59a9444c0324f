"""Turn a :class:`ReportInput` into plain dicts for the templates.

Every number a page shows is computed and formatted here; the templates only
place strings.  :class:`Prepared` (``prepared.py``) pivots the long tables once
(per process) into arrays indexed ``[unit, year, node]``; one module per page or
section then builds its context from them in O(nodes): :func:`scorecard`
(``scorecard.py``, with its optional sections in ``sections.py``), :func:`overview`
(``overview.py``), :func:`method_context` (``methods.py``, the methods appendix);
``common.py`` holds what every page of a year carries and ``formatting.py`` how
numbers are shown.  The names the other report modules use are re-exported here.
"""

from ...i18n import t
from .common import common_context, coverage_banner
from .formatting import (DASH, MINUS, css_markup, delta_rank, delta_score, fmt_pct, fmt_rank, fmt_raw, fmt_score,
                         fmt_signed, ok, to_float)
from .methods import method_context
from .overview import HEATMAP_MAX_UNITS, MOVERS, SLOPE_MAX_UNITS, overview
from .prepared import (IMPUTE_STEPS, OPTIONAL_TABLES, PROV_LIST_MAX, RI_TABLES, Prepared, UnitInfo, impute_chain,
                       impute_how, prepared, screened, treat_methods)
from .scorecard import diagnose_chain, insufficient_context, scorecard, unit_quality
from .sections import status_of

__all__ = ["DASH", "HEATMAP_MAX_UNITS", "IMPUTE_STEPS", "MINUS", "MOVERS", "OPTIONAL_TABLES", "PROV_LIST_MAX",
           "RI_TABLES", "SLOPE_MAX_UNITS", "Prepared", "UnitInfo", "common_context", "coverage_banner", "css_markup",
           "delta_rank", "delta_score", "diagnose_chain", "fmt_pct", "fmt_rank", "fmt_raw", "fmt_score", "fmt_signed",
           "impute_chain", "impute_how", "insufficient_context", "method_context", "ok", "overview", "prepared",
           "scorecard", "screened", "status_of", "t", "to_float", "treat_methods", "unit_quality"]
