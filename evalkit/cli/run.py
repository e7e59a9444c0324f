"""The commands that write an output folder: ``run``, ``sensitivity``, ``compare``, ``audit``.

The folders themselves are written by :mod:`evalkit.run`; these functions parse, call it and print.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Command, err, positive_int, print_warnings, progress_printer, project_path, say_carried


def _configure_run(r: argparse.ArgumentParser) -> None:
    r.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    r.add_argument("--out", help="output folder (default: the project's output)")
    r.add_argument("--year", type=int, action="append", help="report year (repeatable; default: the last year)")
    r.add_argument("--lang", choices=("zh", "en"), help="report language (default: the project's)")
    r.add_argument("--jobs", type=positive_int, default=1, help="processes: DEA, results.xlsx and the pages in parallel (default 1)")
    pages = r.add_mutually_exclusive_group()  # --tables-only writes no pages for --pdf to print
    pages.add_argument("--pdf", action="store_true", help="also write PDFs (needs the optional extra evalkit[pdf])")
    pages.add_argument("--tables-only", action="store_true",
                       help="write the CSV, XLSX and JSON outputs and no pages (HTML)")
    r.add_argument("--audit", action="store_true", help="also write the statistical audit's tables (audit-*.csv)")


def cmd_run(args) -> int:
    from ..run import run_project

    summary = run_project(project_path(args), out=args.out, years=args.year, lang=args.lang, jobs=args.jobs,
                          pdf=args.pdf, progress=progress_printer("rendering"), warn=print_warnings,
                          pdf_progress=progress_printer("PDF"),
                          audit=args.audit, tables_only=args.tables_only)
    say_carried(summary)
    from ..i18n import t

    lang = summary["lang"]
    demo = t("cli_demo_data", lang) if summary.get("synthetic") else ""
    if args.tables_only:
        print(t("cli_run_tables", lang, out=summary["output"]) + demo)
        return 0
    print(t("cli_run_pages", lang, out=summary["output"], pages=summary["pages"],
            years=", ".join(map(str, summary["years"]))) + demo)
    for failure in summary.get("failures", []):
        err(t("cli_failed", lang, failure=failure))
    return 1 if summary.get("failures") else 0


def _configure_sensitivity(s: argparse.ArgumentParser) -> None:
    s.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    s.add_argument("--draws", type=positive_int, help="base samples N (evaluations: N x (factors + 2))")
    s.add_argument("--seed", type=int, help="random seed (same seed, same numbers)")
    s.add_argument("--jobs", type=positive_int, default=1, help="processes (results do not depend on it)")
    s.add_argument("--out", help="output folder (default: the project's output)")
    s.add_argument("--year", type=int, action="append", help="report year (default: the last year)")
    s.add_argument("--lang", choices=("zh", "en"))


def cmd_sensitivity(args) -> int:
    from ..run import run_project

    summary = run_project(project_path(args), out=args.out, years=args.year, lang=args.lang, jobs=args.jobs,
                          progress=progress_printer("rendering"), warn=print_warnings,
                          sensitivity={"draws": args.draws, "seed": args.seed,
                                       "progress": progress_printer("draws")})
    say_carried(summary)
    from ..i18n import t

    lang = summary["lang"]
    sens = summary["sensitivity"]
    print(t("cli_sens_head", lang, n=sens["evaluations"], factors=", ".join(sens["factors"]),
            shift=f"{sens['mean_abs_rank_shift']:.2f}"))
    for r in sens["sobol"].itertuples():
        print(t("cli_sobol_row", lang, factor=f"{r.factor:<10}", s1=f"{r.S1:6.3f}", s1_low=f"{r.S1_low:.3f}",
                s1_high=f"{r.S1_high:.3f}", st=f"{r.ST:6.3f}", st_low=f"{r.ST_low:.3f}", st_high=f"{r.ST_high:.3f}"))
    print(t("cli_wrote_files", lang, out=summary["output"],
            files=f"robustness.csv, sobol.csv, {sens['year']}/robustness.html"))
    for failure in summary.get("failures", []):
        err(t("cli_failed", lang, failure=failure))
    return 1 if summary.get("failures") else 0


def _configure_compare(c: argparse.ArgumentParser) -> None:
    c.add_argument("project", help="evalkit.yaml")
    c.add_argument("--weights", action="append", metavar="SCHEME.yaml",
                   help="a weight scheme to compare (give two, or one to compare with the project's own)")
    c.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="a setting of variant B, e.g. normalize.method=zscore (repeatable)")
    c.add_argument("--out", help="output folder (default: the project's output)")
    c.add_argument("--lang", choices=("zh", "en"))


def cmd_compare(args) -> int:
    from ..run import compare_project

    summary = compare_project(Path(args.project), weights=args.weights or [], sets=args.set or [], out=args.out,
                              lang=args.lang)
    from ..i18n import t

    print_warnings(summary["warnings"], summary["lang"])
    print(summary["text"])
    print(t("cli_wrote_files", summary["lang"], out=summary["output"],
            files="compare.csv, compare-correlations.csv, compare.html"))
    return 0


def _configure_audit(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    p.add_argument("--out", help="output folder (default: the project's output; other files in it stay)")
    p.add_argument("--lang", choices=("zh", "en"), help="page and message language (default: the project's)")


def cmd_audit(args) -> int:
    from ..i18n import t
    from ..run import audit_project

    summary = audit_project(project_path(args), out=args.out, lang=args.lang)
    print_warnings(summary["warnings"], summary["lang"])
    found = summary["findings"]
    print(t("cli_audit_findings" if found else "cli_audit_none", summary["lang"]))
    for line in found:
        print(f"  {line}")
    print(t("cli_wrote_files", summary["lang"], out=summary["output"], files=", ".join(summary["files"])))
    return 0


RUN = Command("run", "validate, score and write results, tables and reports", _configure_run, cmd_run)
SENSITIVITY = Command("sensitivity", "uncertainty and sensitivity analysis of the ranking over the construction "
                      "choices declared under sensitivity: in the project", _configure_sensitivity, cmd_sensitivity)
COMPARE = Command("compare", "compare weight schemes or method settings: rank and score shifts per unit",
                  _configure_compare, cmd_compare)
AUDIT = Command("audit", "the statistical audit of the index: correlations with the structure, Cronbach's alpha, "
                "PCA and each indicator's effective importance beside its weight (audit-*.csv)",
                _configure_audit, cmd_audit)
