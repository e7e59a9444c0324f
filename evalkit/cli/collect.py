"""``evalkit collect``: data collection from departments (templates out, returned workbooks merged in, status)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Command, CommandError, debug_parent, print_warnings, project_path


def _factor(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number")
    if not v > 1:
        raise argparse.ArgumentTypeError(f"must be greater than 1, got {text}")
    return v


_MERGE_HELP = """\
errors (exit 1, nothing written): unreadable workbook, not an evalkit template, data sheet
missing, header changed or column added, city row added / deleted / duplicated, text in a
value cell, a value outside the plausible range (goalposts widened by their span; '%' within
[0, 100]; counts >= 0), the same city/year/indicator given by two workbooks with different
values, a city or indicator the project no longer has.
warnings (values written, each reported): a jump of more than --max-jump times against last
year's value (an error with --strict), a value already on file replaced by a different one
(every such cell is listed in the conflict report), a year outside the project's years, a
workbook with no values. Empty cells never erase values already on file."""


def _configure_collect(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="collect_command", metavar="STEP", required=True)
    debug = debug_parent()

    t = sub.add_parser("templates", parents=[debug], help="write one XLSX template per department for a year",
                       description="Write one XLSX workbook per department (the indicators it reports × every "
                       "city), with instructions, definitions, last year's values and data validation.")
    t.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    t.add_argument("--year", type=int, required=True, help="the year to collect")
    t.add_argument("--by", choices=("source", "domain"), default="source",
                   help="one workbook per reporting department (source, default) or per domain")
    t.add_argument("--out", help="folder for the workbooks (default: collect/<year> beside the output folder; replaced as a whole)")
    t.add_argument("--due", help="the return date written in the instructions (e.g. 2025-03-31)")
    t.add_argument("--only", action="append", default=[], metavar="KEY",
                   help="only this department key (repeatable; keys as in the file names)")
    t.add_argument("--lang", choices=("zh", "en"), help="language of the terminal's messages (default: the project's)")
    t.set_defaults(collect_func=cmd_collect_templates)

    m = sub.add_parser("merge", parents=[debug], help="check returned workbooks and update the values file",
                       description="Check the returned workbooks (every problem located as book.xlsx!sheet!D17) "
                       "and add their values to the long-form values file.", epilog=_MERGE_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("project", help="evalkit.yaml")
    m.add_argument("files", nargs="+", metavar="FILE.xlsx", help="returned template workbooks (never modified)")
    m.add_argument("--into", help="the long-form values CSV to update (default: the project's values file; "
                   "created when missing)")
    m.add_argument("--report", help="conflict report CSV (default: merge-conflicts.csv beside the values file)")
    m.add_argument("--max-jump", type=_factor, default=3.0,
                   help="warn when a value is more than this factor above or below last year's (default 3)")
    m.add_argument("--strict", action="store_true", help="treat jumps as errors")
    m.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    m.add_argument("--lang", choices=("zh", "en"), help="language of the terminal's messages (default: the project's)")
    m.set_defaults(collect_func=cmd_collect_merge)

    s = sub.add_parser("status", parents=[debug], help="which department still owes which values",
                       description="Coverage of a year in the values file: which department still owes which "
                       "indicators for which cities (printed, and written as collect-status-<year>.csv).")
    s.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--by", choices=("source", "domain"), default="source")
    s.add_argument("--out", help="folder for the CSV (default: the project's output)")
    s.add_argument("--lang", choices=("zh", "en"), help="language of the terminal's messages (default: the project's)")
    s.set_defaults(collect_func=cmd_collect_status)


def cmd_collect(args) -> int:
    return args.collect_func(args)


def cmd_collect_templates(args) -> int:
    from ..collect.templates import write_templates
    from ..load.yamlnodes import display_path

    summary = write_templates(project_path(args), year=args.year, by=args.by, out=args.out and Path(args.out),
                              due=args.due, only=args.only)
    from ..i18n import t

    lang = args.lang or summary.lang
    print_warnings(summary.warnings, lang)
    print(t("cli_tpl_wrote", lang, n=len(summary.templates), year=args.year, out=display_path(summary.out)))
    for info in summary.templates:
        d = info.department
        print(t("cli_tpl_row", lang, file=info.file.name, name=d.name.get(lang), items=len(d.items),
                units=info.n_units))
    return 0


def cmd_collect_merge(args) -> int:
    from ..collect.merge import merge_workbooks
    from ..load.yamlnodes import display_path

    project = Path(args.project) / "evalkit.yaml" if Path(args.project).is_dir() else Path(args.project)
    if args.into is None and project.resolve() == _demo().resolve():
        raise CommandError("the bundled demo's values file belongs to the installation: pass --into FILE.csv, or "
                           "make a project of your own with `evalkit init DIR`")
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}")
    s = merge_workbooks(Path(args.project), [Path(f) for f in args.files], into=args.into and Path(args.into),
                        report=args.report and Path(args.report), max_jump=args.max_jump, strict=args.strict,
                        dry_run=args.dry_run)
    from ..i18n import t

    lang = args.lang or s.lang
    print_warnings(s.warnings, lang)
    counts = t("cli_merge_counts", lang, added=s.added, filled=s.filled, updated=s.updated, unchanged=s.unchanged)
    if not s.written:
        print(t("cli_merge_checked", lang, files=s.files, counts=counts))
    else:
        print(t("cli_merge_done", lang, files=s.files, into=display_path(s.into), counts=counts,
                report=display_path(s.report)))
    return 0


def cmd_collect_status(args) -> int:
    from ..collect.status import coverage, format_status, write_status
    from ..load.yamlnodes import display_path

    cov = coverage(project_path(args), year=args.year, by=args.by)
    from ..i18n import t

    lang = args.lang or cov.project.lang
    print_warnings(cov.warnings, lang)
    print(format_status(cov.table, cov.labels, year=args.year, lang=lang))
    path = write_status(cov.table, Path(args.out) if args.out else cov.project.output, year=args.year)
    print(t("cli_wrote", lang, files=display_path(path)))
    return 0


def _demo() -> Path:
    from ..load.project import demo_project_path

    return demo_project_path()


COLLECT = Command("collect", "data collection from departments: templates, merge, status", _configure_collect,
                  cmd_collect)
