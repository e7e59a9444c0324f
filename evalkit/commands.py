"""Commands defined outside cli.py, registered with :func:`evalkit.cli.register`.

A thin layer: each command parses its arguments here, calls the library
(``evalkit.collect`` ...), and prints.  cli.py imports this module lazily,
so the heavy imports stay inside the command functions.  To add a command:
write a ``_configure_<name>(parser)`` and decorate the command function with
``@register("<name>", "<one-line help>")(_configure_<name>)``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import CommandError, _print_warnings, debug_parent, register


def _factor(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number")
    if not v > 1:
        raise argparse.ArgumentTypeError(f"must be greater than 1, got {text}")
    return v


# =========================================================================== collect

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
    m.set_defaults(collect_func=cmd_collect_merge)

    s = sub.add_parser("status", parents=[debug], help="which department still owes which values",
                       description="Coverage of a year in the values file: which department still owes which "
                       "indicators for which cities (printed, and written as collect-status-<year>.csv).")
    s.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--by", choices=("source", "domain"), default="source")
    s.add_argument("--out", help="folder for the CSV (default: the project's output)")
    s.add_argument("--lang", choices=("zh", "en"), help="department names in the terminal (default: the project's)")
    s.set_defaults(collect_func=cmd_collect_status)


@register("collect", "data collection from departments: templates, merge, status")(_configure_collect)
def cmd_collect(args) -> int:
    return args.collect_func(args)


def cmd_collect_templates(args) -> int:
    from .collect.templates import write_templates
    from .load.yamlnodes import display_path

    summary = write_templates(_project(args), year=args.year, by=args.by, out=args.out and Path(args.out),
                              due=args.due, only=args.only)
    _print_warnings(summary.warnings)
    print(f"wrote {len(summary.templates)} templates for {args.year} to {display_path(summary.out)}:")
    for info in summary.templates:
        d = info.department
        print(f"  {info.file.name}  {d.name.zh} / {d.name.en}: {len(d.items)} indicator(s) × {info.n_units} cities")
    return 0


def cmd_collect_merge(args) -> int:
    from .collect.merge import merge_workbooks
    from .load.yamlnodes import display_path

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
    _print_warnings(s.warnings)
    counts = (f"{s.added} added, {s.filled} filled, {s.updated} changed, {s.unchanged} unchanged")
    if not s.written:
        print(f"checked {s.files} workbooks: {counts}; nothing written (--dry-run)")
    else:
        print(f"merged {s.files} workbooks into {display_path(s.into)}: {counts}; "
              f"changed values listed in {display_path(s.report)}")
    return 0


def cmd_collect_status(args) -> int:
    from .collect.status import coverage, format_status, write_status
    from .load.yamlnodes import display_path

    cov = coverage(_project(args), year=args.year, by=args.by)
    _print_warnings(cov.warnings)
    print(format_status(cov.table, cov.labels, year=args.year, lang=args.lang or cov.project.lang))
    path = write_status(cov.table, Path(args.out) if args.out else cov.project.output, year=args.year)
    print(f"wrote {display_path(path)}")
    return 0


def _project(args) -> Path | None:
    return Path(args.project) if getattr(args, "project", None) else None


def _demo() -> Path:
    from .load.project import demo_project_path

    return demo_project_path()



# =========================================================================== import


def _configure_import(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    debug = debug_parent()
    c = sub.add_parser("coinr", parents=[debug], help="COINr's iData + iMeta as an evalkit project",
                       description="Convert an index built with COINr (iData + iMeta) into an evalkit project.")
    c.add_argument("idata", help="COINr iData (CSV or XLSX): uCode, uName, Time, group and denominator columns, "
                                 "one column per indicator")
    c.add_argument("imeta", help="COINr iMeta (CSV or XLSX): iCode, iName, Level, Parent, Direction, Weight, Type "
                                 "(+ Unit, Denominator, ScaleFactor)")
    c.add_argument("dir", help="folder for the new project (evalkit.yaml, tree.yaml, weights.yaml, values.csv, "
                               "units.csv)")
    c.add_argument("--group", help="iData column holding the units' group (default: iMeta's first Group row)")
    c.add_argument("--year", type=int, help="the data's year when iData has no Time column")
    c.add_argument("--force", action="store_true", help="overwrite project files already in DIR")
    c.set_defaults(import_func=_cmd_import_coinr)
    t = sub.add_parser("table", parents=[debug], help="an indicator table (CSV or XLSX) as tree.yaml + weights.yaml",
                       description="Turn an indicator table (columns id, name_zh, name_en, parent, direction, unit, "
                       "optional weight and source; Chinese headers 指标代码, 指标名称, 英文名称, 上级, 方向, 单位, 权重, "
                       "来源 accepted) into a tree YAML and a weight scheme YAML to edit.")
    t.add_argument("table", metavar="INDICATORS", help="the indicator table (.csv or .xlsx)")
    t.add_argument("dir", help="folder for tree.yaml and weights.yaml")
    t.add_argument("--default", choices=("entropy", "equal", "critic", "cv"), default="entropy",
                   help="weighting of the groups whose children have no weight in the table (default entropy)")
    t.add_argument("--force", action="store_true", help="overwrite tree.yaml / weights.yaml already in DIR")
    t.set_defaults(import_func=_cmd_import_table)


@register("import", "build evalkit definitions from other tables: an indicator table, or a COINr index")(
    _configure_import)
def cmd_import(args) -> int:
    return args.import_func(args)


def _cmd_import_coinr(args) -> int:
    from .importers.coinr import import_coinr

    s = import_coinr(Path(args.idata), Path(args.imeta), Path(args.dir), group=args.group, year=args.year,
                     force=args.force)
    years = f"{s.years[0]}" if len(s.years) == 1 else f"{s.years[0]}-{s.years[-1]}"
    print(f"wrote {s.folder}: {s.n_units} units, {years}, {s.n_indicators} indicators "
          f"({len(s.denominated)} denominated), {s.n_groups} groups"
          + (f", units grouped by {s.group}" if s.group else ""))
    print(f"run it with: evalkit run {s.folder / 'evalkit.yaml'}")
    return 0


def _cmd_import_table(args) -> int:
    from .importers.table import import_table
    from .load.yamlnodes import display_path

    if not Path(args.table).is_file():
        raise CommandError(f"no such file: {args.table}")
    s = import_table(Path(args.table), Path(args.dir), default=args.default, force=args.force)
    fixed = f"fixed weights at {', '.join(s.fixed_nodes)}" if s.fixed_nodes else "no weights in the table"
    print(f"wrote {', '.join(display_path(f) for f in s.files)}: {s.n_indicators} indicators under {s.n_groups} "
          f"groups; {fixed}; every other group: {s.default}")
    if s.english_filled:
        print(f"note: {s.english_filled} node(s) had no English name: the Chinese name is used for both (edit "
              "name.en in tree.yaml)")
    print("next: a project file naming these two files and the values file (see README, 'File formats')")
    return 0


# =========================================================================== plan


def _configure_plan(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    p.add_argument("--unit", required=True, metavar="ID", help="the unit's id (e.g. 320500)")
    p.add_argument("--year", type=int, required=True, help="the year to plan for")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--rank", type=int, metavar="N", help="reach this rank (1 = best) that year")
    goal.add_argument("--score", type=float, metavar="S", help="reach this score (on the project's scale)")
    p.add_argument("--out", help="folder for plan-<unit>-<year>.csv (default: the project's output; other files "
                                 "there are kept)")
    p.add_argument("--report", action="store_true", help="also write <year>/plan-<unit>.html")
    p.add_argument("--lang", choices=("zh", "en"), help="names and report language (default: the project's)")


@register("plan", "the smallest improvement of a unit's indicators that reaches a rank or score "
          "(weights, bounds and other units held fixed)")(_configure_plan)
def cmd_plan(args) -> int:
    from .load import load_inputs
    from .load.yamlnodes import display_path
    from .output import recover, write_csv_atomic
    from .pipeline import score
    from .plan import fmt, goal_problems, headline, plan, plan_frame
    from .report.plan_page import render_plan_page

    inputs = load_inputs(_project(args))
    result = score(inputs)
    _print_warnings(result.notes)
    bad = goal_problems(result, unit=args.unit, year=args.year, rank=args.rank, score=args.score)
    if bad:
        raise CommandError("; ".join(bad))
    lang = args.lang or inputs.project.lang
    p = plan(result, unit=args.unit, year=args.year, rank=args.rank, score=args.score)
    label = inputs.units.label(args.unit, lang)
    print(f"{label} {args.year}: " + "; ".join(headline(p, lang)))
    for note in p.notes:
        print(f"note: {note}")
    if p.items:
        print(_plan_table(p, lang, fmt))
    target = Path(args.out).resolve() if args.out else inputs.project.output
    from .unitids import unit_file_stem

    recover(target)  # a run killed while replacing the folder: put it back before adding to it
    csv_path = target / f"plan-{unit_file_stem(args.unit)}-{args.year}.csv"
    write_csv_atomic(plan_frame(p, lang), csv_path)
    written = [csv_path]
    if args.report:
        html = render_plan_page(p, unit_label=label, title=inputs.project.title, lang=lang,
                                synthetic=inputs.project.synthetic)
        page = target / str(args.year) / f"plan-{unit_file_stem(args.unit)}.html"
        _atomic_write(page, html)
        written.append(page)
    print("wrote " + ", ".join(display_path(w) for w in written)
          + (" (demonstration data)" if inputs.project.synthetic else ""))
    return 0


def _plan_table(p, lang: str, fmt) -> str:
    head = ("indicator", "name", "current", "needed", "change", "measure") if lang == "en" else \
        ("指标", "名称", "现值", "所需值", "变化", "单位")
    rows = [(i.indicator, i.name.get(lang), fmt(i.current), fmt(i.needed),
             ("+" if i.change > 0 else "") + fmt(i.change) + f" ({i.relative:.1%})", i.measure_for(lang))
            for i in p.items]

    def width(s: str) -> int:  # CJK characters take two columns in a terminal
        import unicodedata
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    cols = list(zip(head, *rows))
    ws = [max(width(str(c)) for c in col) for col in cols]
    right = {2, 3, 4}

    def line(r) -> str:
        cells = []
        for k, (c, w) in enumerate(zip(r, ws)):
            pad = " " * (w - width(str(c)))
            cells.append(pad + str(c) if k in right else str(c) + pad)
        return "  ".join(cells).rstrip()

    return "\n".join([line(head), line(["-" * w for w in ws])] + [line(r) for r in rows])


def _atomic_write(path: Path, text: str) -> None:
    """Write one file all at once (temporary sibling, then rename); other files in the folder stay."""
    from .output import write_text_atomic

    write_text_atomic(path, text)


# =========================================================================== audit


def _configure_audit(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    p.add_argument("--out", help="output folder (default: the project's output; other files in it stay)")


@register("audit", "the statistical audit of the index: correlations with the structure, Cronbach's alpha, "
          "PCA and each indicator's effective importance beside its weight (audit-*.csv)")(_configure_audit)
def cmd_audit(args) -> int:
    from .run import audit_project

    summary = audit_project(_project(args), out=args.out)
    _print_warnings(summary["warnings"])
    found = summary["findings"]
    head = ("审计发现（全部年份合并）：" if summary["lang"] == "zh" else "findings (all years pooled):")
    print(head if found else ("审计未发现问题" if summary["lang"] == "zh" else "no findings"))
    for line in found:
        print(f"  {line}")
    print(f"wrote {summary['output']}: {', '.join(summary['files'])}")
    return 0
