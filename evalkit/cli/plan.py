"""``evalkit plan``: the smallest improvement of a unit's indicators that reaches a rank or score."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Command, CommandError, print_warnings, project_path


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


def cmd_plan(args) -> int:
    from ..load import load_inputs
    from ..load.yamlnodes import display_path
    from ..output import recover, write_csv_atomic, write_text_atomic
    from ..pipeline import score
    from ..plan import goal_problems, headline, plan, plan_frame
    from ..report.plan_page import render_plan_page

    inputs = load_inputs(project_path(args))
    result = score(inputs)
    print_warnings(result.notes, args.lang or inputs.project.lang)
    bad = goal_problems(result, unit=args.unit, year=args.year, rank=args.rank, score=args.score)
    if bad:
        raise CommandError("; ".join(bad))
    lang = args.lang or inputs.project.lang
    p = plan(result, unit=args.unit, year=args.year, rank=args.rank, score=args.score)
    label = inputs.units.label(args.unit, lang)
    print(f"{label} {args.year}: " + "; ".join(headline(p, lang)))
    from ..i18n import t

    for note in p.notes:
        print(t("cli_note", lang, note=note))
    if p.items:
        print(_plan_table(p, lang))
    target = Path(args.out).resolve() if args.out else inputs.project.output
    from ..unitids import unit_file_stem

    recover(target)  # a run killed while replacing the folder: put it back before adding to it
    csv_path = target / f"plan-{unit_file_stem(args.unit)}-{args.year}.csv"
    write_csv_atomic(plan_frame(p, lang), csv_path)
    written = [csv_path]
    if args.report:
        html = render_plan_page(p, unit_label=label, title=inputs.project.title, lang=lang,
                                synthetic=inputs.project.synthetic,
                                names={n.id: n.name.get(lang) for n in inputs.tree.leaves})
        page = target / str(args.year) / f"plan-{unit_file_stem(args.unit)}.html"
        write_text_atomic(page, html)  # one file all at once; other files in the folder stay
        written.append(page)
    print(t("cli_wrote", lang, files=", ".join(display_path(w) for w in written))
          + (t("cli_demo_data", lang) if inputs.project.synthetic else ""))
    return 0


def _plan_table(p, lang: str) -> str:
    from ..i18n import t

    head = tuple(t(f"cli_plan_{k}", lang) for k in ("indicator", "name", "current", "needed", "change", "measure"))
    rows = [(i.indicator, i.name.get(lang), *i.shown()[:2], i.shown()[2] + f" ({i.relative:.1%})",
             i.measure_for(lang)) for i in p.items]

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


PLAN = Command("plan", "the smallest improvement of a unit's indicators that reaches a rank or score "
               "(weights, bounds and other units held fixed)", _configure_plan, cmd_plan)
