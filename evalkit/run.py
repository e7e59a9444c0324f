"""`evalkit run` and `evalkit init`: from a project file to a complete output folder."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import yaml

from .errors import CommandError, Pos, Problem, Problems, UserError
from .load import load_inputs
from .load.project import bundled_root, demo_project_path
from .load.yamlnodes import display_path
from .output import (CSV_ENCODING, MARKER, OTHER_COMMANDS, _umask, csv_pieces, recover, sha256, stamp,
                     staged_folder, write_csv, write_json)
from .panel import IMPUTED, PROVISIONAL, TREATED
from .pipeline import Result, score
from .version import __version__


def resolve_years(result: Result, years: list[int] | None) -> list[int]:
    available = result.years
    if not years:
        return [available[-1]]
    bad = [y for y in years if y not in available]
    if bad:
        raise CommandError(f"--year {bad[0]} is not in the data (years {', '.join(map(str, available))})")
    return sorted(set(years))


def manifest(result: Result) -> dict[str, Any]:
    project = result.inputs.project
    return {
        "engine": "evalkit",
        "version": __version__,
        "project": {
            "file": str(project.file),
            "title": {"zh": project.title.zh, "en": project.title.en},
            "framework": str(project.framework), "weights": str(project.weights),
            "values": str(project.values), "units": str(project.units) if project.units else None,
            "targets": str(project.targets) if project.targets else None,
            "synthetic": project.synthetic,
            "years": list(result.years),
            "grades": dict(project.grades),
            "report": {"lang": project.lang},
            **result.settings.to_dict(),
        },
        "inputs": {name: {"path": str(p), "sha256": sha256(p)} for name, p in project.inputs().items()},
        "steps": [{"step": s.step, "target": s.target, "params": s.params, "key": s.key} for s in result.log],
        "preparation": result.prepared.records,
    }


class OutputFailure(RuntimeError):
    """Part of the output could not be written (a page, a table, a workbook): nothing was replaced."""


def check_writable(result: Result) -> None:
    """Refuse to write scores that are not numbers a table or page can show: ±inf arises when the
    scale's span overflows double precision (e.g. ``scale: [-1e308, 1e308]``).  UserError at ``scale``."""
    scores = result.scores
    if np.isinf(scores).any():
        project = result.inputs.project
        lo, hi = result.settings.scale
        pos = project.pos.get("scale", Pos(display_path(project.file), 1))
        raise UserError([Problem(pos, f"scores overflow to infinity on the scale [{lo:g}, {hi:g}] (its span "
                                      "exceeds double precision): choose a scale such as [0, 100]", "bad-scale")])


def raw_frame(result: Result) -> pd.DataFrame:
    """Leaf values long: as reported (value) and as scored (value_used), with flags."""
    U, Y, L = result.prepared.x.shape
    uu, yy, ll = np.meshgrid(np.arange(U), np.arange(Y), np.arange(L), indexing="ij")
    flags = result.prepared.flags.ravel()
    return pd.DataFrame({
        "unit": np.array(result.units, dtype=object)[uu.ravel()],
        "year": np.array(result.years)[yy.ravel()],
        "indicator": np.array(result.tree.leaf_ids, dtype=object)[ll.ravel()],
        "value": result.prepared.x_raw.ravel(),
        "value_used": result.prepared.x.ravel(),
        "imputed": (flags & IMPUTED) > 0,
        "treated": (flags & TREATED) > 0,
        "provisional": (flags & PROVISIONAL) > 0,
    })


def analysis_tables(result: Result, targets: pd.DataFrame | None, *, jobs: int = 1,
                    meanwhile: Callable[[dict[str, pd.DataFrame]], None] | None = None,
                    helper=None) -> dict[str, pd.DataFrame]:
    """Every analysis table the engine computes for this result (``jobs`` > 1: DEA in a second process,
    ``meanwhile(done)`` called while it works; ``helper``: the tables that need scipy made there)."""
    from .analysis.tables import all_tables

    return all_tables(result, targets, jobs=jobs, meanwhile=meanwhile, helper=helper)


def _start_helper():
    """With ``--jobs``: a process that imports scipy while this one reads the inputs, then makes the tables
    that need it (DEA, convergence, spatial); None where processes are not forked."""
    from .analysis.tables import warm_scipy
    from .workers import helper

    return helper(warm_scipy)


def _compile_templates() -> None:
    """The templates of every run's pages compiled (once a process), e.g. while the DEA process works."""
    from .report.templates import environment, templates_dir

    folder = templates_dir()
    env = environment(folder)
    for name in ("region.html.j2", "base.html.j2", "_macros.html.j2", "_analysis.html.j2", "_method.html.j2",
                 "_partners.html.j2"):
        if (folder / name).is_file():  # the scorecard's parts and the regional page
            env.get_template(name)


def run_project(project_path: Path | None, *, out: str | None = None, years: list[int] | None = None,
                lang: str | None = None, jobs: int = 1, pdf: bool = False,
                progress: Callable[[int, int], None] | None = None,
                pdf_progress: Callable[[int, int], None] | None = None,
                warn: Callable[[Any, str], None] | None = None,
                sensitivity: dict[str, Any] | None = None, audit: bool = False,
                tables_only: bool = False) -> dict[str, Any]:
    """Validate, score, analyse and write the whole output folder at once.

    With ``jobs`` > 1 a helper process (:class:`evalkit.workers.Helper`) imports scipy while the inputs
    are read, then makes the tables that need it.

    ``audit`` adds the statistical audit's tables (audit-*.csv, docs/methods.md#audit).

    Any failure while writing (a page, here or in a worker; a table; the
    workbook) raises and leaves the previous output folder as it was: a page
    that cannot be drawn raises :class:`OutputFailure` (exit 3), naming the first.

    ``sensitivity`` (``{draws, seed, progress}``) adds the uncertainty analysis:
    robustness.csv, sobol.csv, the robustness page and the rank interval on
    every scorecard of its year.
    """
    helper = None
    try:
        stamp()  # a malformed SOURCE_DATE_EPOCH stops the run before any work
        if jobs > 1:
            helper = _start_helper()  # first: it imports scipy while the inputs are read
        return _run(project_path, helper, out=out, years=years, lang=lang, jobs=jobs, pdf=pdf, progress=progress,
                    pdf_progress=pdf_progress, warn=warn, sensitivity=sensitivity, audit=audit,
                    tables_only=tables_only)
    finally:
        if helper is not None:
            helper.close()


def _run(project_path: Path | None, helper, *, out: str | None, years: list[int] | None, lang: str | None,
         jobs: int, pdf: bool, progress, pdf_progress, warn, sensitivity: dict[str, Any] | None, audit: bool,
         tables_only: bool) -> dict[str, Any]:
    """:func:`run_project`'s work; ``helper`` (or None) makes the tables that need scipy."""
    from .summary import coverage_notes

    inputs = load_inputs(project_path)
    target = Path(out).resolve() if out else inputs.project.output
    recover(target)  # first: a run that fails below still brings back an output a killed run took away
    result = score(inputs)
    project = inputs.project
    report_years = resolve_years(result, years)
    lang = lang or project.lang
    if warn is not None:
        warn([*result.notes, *coverage_notes(result, report_years)], lang)
    check_writable(result)
    frames = {"results": result.to_frame(), "weights": result.weights_frame()}
    # CSV files begun while the helper works: name -> (id of the frame, pieces made, the pieces still to make)
    texts: dict[str, tuple[int, list[str], Iterator[str]]] = {}
    early: dict[str, Any] = {}  # the pages' Prepared, built while the helper works

    def meanwhile(done: dict[str, pd.DataFrame]) -> None:
        """While DEA is computed elsewhere: the templates compiled (before the page workers are forked, so
        that they inherit them), then the largest CSV files made, until the helper has answered."""
        if not tables_only:
            _compile_templates()
            from .report.context import prepared

            from .report.render import warm_up

            try:  # the pages' arrays, but for the tables still being made (added by render: adopt)
                early["prepared"] = prepared(report_input(result, dict(done), results=frames["results"],
                                                          weights=frames["weights"], man={"inputs": {}}))
                warm_up(early["prepared"])
            except Exception:  # met again where the pages are made, and reported there as ever
                pass
        todo = sorted([("results", frames["results"]), ("weights", frames["weights"]), *done.items()],
                      key=lambda kv: -len(kv[1]))
        for name, df in todo:  # a few thousand rows at a time: the pages wait for no more than that
            if helper is not None and helper.ready():
                return  # the rest: by the process that writes the tables
            made: list[str] = []
            pieces = csv_pieces(with_names(df, result, lang))
            texts[name] = (id(df), made, pieces)
            for piece in pieces:
                made.append(piece)
                if helper is not None and helper.ready():
                    return

    tables = analysis_tables(result, inputs.targets, jobs=jobs, helper=helper,
                             meanwhile=meanwhile if helper is not None else
                             None if tables_only else lambda done: _compile_templates())
    if helper is not None:
        helper.close()  # done: its memory back before the page workers are forked
    extra: dict[str, Any] = {}
    if sensitivity is not None:
        extra["sensitivity"] = _sensitivity(result, sensitivity, report_years, jobs, tables)
    audit_frames = audit_tables(result) if audit else {}
    frames["man"] = manifest(result)
    pages = 0
    failures: list[str] = []
    changes: dict[str, list[str]] = {}
    # pages other commands wrote into the folder: kept by the swap below, so the overviews link them
    from .report.links import later_pages

    other_pages = later_pages(target) if (target / MARKER).is_file() else []
    with staged_folder(target, protect=project.inputs().values(), keep=OTHER_COMMANDS, changes=changes) as tmp:
        def write_tables() -> None:
            def table(name: str, df: pd.DataFrame) -> None:
                begun = texts.get(name)
                if begun is not None and begun[0] == id(df):  # what is left of it made now
                    (tmp / f"{name}.csv").write_bytes(("".join(begun[1]) + "".join(begun[2])).encode(CSV_ENCODING))
                else:
                    write_csv(with_names(df, result, lang), tmp / f"{name}.csv")

            table("results", frames["results"])
            table("weights", frames["weights"])
            for name, df in tables.items():
                table(name, df)
            for name, df in audit_frames.items():
                write_csv(df, tmp / f"{name}.csv")
            write_json(frames["man"], tmp / "manifest.json")

        if tables_only:  # results.xlsx is a table too; no pages
            from .report.excel import write_results_xlsx

            write_tables()
            write_results_xlsx(report_input(result, tables, **frames), tmp / "results.xlsx", lang=lang,
                               years=report_years)
        else:  # the tables are written while worker processes render the scorecards (with --jobs)
            if audit:  # the audit pages are written just below: the overviews link them
                other_pages = sorted(set(other_pages) | {f"{y}/audit.html" for y in report_years})
            pages, failures = render(result, tables, tmp, report_years, lang, jobs, progress, pdf, frames=frames,
                                     other_pages=other_pages, pdf_progress=pdf_progress, meanwhile=write_tables,
                                     early=early.get("prepared"))
            if audit:
                pages, failures = _audit_pages(result, audit_frames, tmp, report_years, lang, pages, failures,
                                               frames["man"])
        if "robustness" in tables and "sensitivity" in extra:
            pages, failures = _robustness_page(result, tables, tmp, extra["sensitivity"], lang, pages, failures,
                                               frames["man"])
        if failures:  # one failed page fails the run: the previous output stays as it was
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise OutputFailure(f"{len(failures)} of {pages + len(failures)} pages could not be written, the "
                                f"output folder was left as it was; first: {failures[0]}{more}")
    return {"output": display_path(target), "years": report_years, "pages": pages, "failures": failures,
            "synthetic": project.synthetic, "kept": changes.get("kept", []), "dropped": changes.get("dropped", []),
            "lang": lang, **extra}


def with_names(df: pd.DataFrame, result: Result, lang: str) -> pd.DataFrame:
    """The table with the names of its codes in ``lang`` as last columns: ``unit_name`` beside a ``unit``
    column, ``node_name`` beside a ``node`` column, so that a reader of the CSV needs no lookup; the
    existing columns and their values stay as they are (readers go by column name)."""
    extra = {}
    if "unit" in df.columns and "unit_name" not in df.columns:
        ut = result.inputs.units.table
        names = dict(zip(ut["id"].astype(str), ut["name_zh" if lang == "zh" else "name_en"].astype(str)))
        extra["unit_name"] = _map_distinct(df["unit"], lambda u: names.get(str(u), ""))
    if "node" in df.columns and "node_name" not in df.columns:
        by_id = result.tree.by_id
        extra["node_name"] = _map_distinct(df["node"],
                                           lambda n: by_id[str(n)].name.get(lang) if str(n) in by_id else "")
    return df.assign(**extra) if extra else df


def _map_distinct(s: pd.Series, f: Callable[[Any], Any]) -> pd.Series:
    """``s.map(f)`` with ``f`` called once per distinct value (a missing one included) instead of per row."""
    codes, distinct = pd.factorize(s, use_na_sentinel=False)
    values = np.empty(len(distinct), dtype=object)
    values[:] = [f(v) for v in distinct]
    return pd.Series(values[codes], index=s.index)


def audit_tables(result: Result) -> dict[str, pd.DataFrame]:
    """The statistical audit's tables, thresholds from the project's ``audit:`` settings."""
    from .analysis.audit_tables import audit_tables as _audit_tables

    return _audit_tables(result)


def audit_project(project_path: Path | None, *, out: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """`evalkit audit`: the audit tables added to the output folder (other files in it stay)."""
    from .analysis.audit_tables import findings

    inputs = load_inputs(project_path)
    result = score(inputs)
    tables = audit_tables(result)
    target = Path(out).resolve() if out else inputs.project.output
    lang = lang or inputs.project.lang
    report_years = resolve_years(result, None)
    with staged_folder(target, merge=True, protect=inputs.project.inputs().values()) as tmp:
        for name, df in tables.items():
            write_csv(df, tmp / f"{name}.csv")
        _, failures = _audit_pages(result, tables, tmp, report_years, lang, 0, [], None)
        if failures:
            raise OutputFailure(f"the audit page could not be written, the output folder was left as it was: "
                                f"{failures[0]}")
        from .report.relink import relink_overviews

        relink_overviews(target, tmp)
    return {"output": display_path(target),
            "files": [f"{name}.csv" for name in tables] + [f"{y}/audit.html" for y in report_years],
            "findings": findings(tables, lang), "warnings": list(result.notes), "lang": lang}


def explore_project(project_path: Path | None, *, out: str | None = None, years: list[int] | None = None,
                    lang: str | None = None) -> dict[str, Any]:
    """`evalkit explore`: ``explore.html``, the interactive weight explorer, added to the output folder."""
    from .report.explore import ExploreError, write_explore

    inputs = load_inputs(project_path)
    result = score(inputs)
    report_years = resolve_years(result, years)
    lang = lang or inputs.project.lang
    target = Path(out).resolve() if out else inputs.project.output
    try:
        with staged_folder(target, merge=True, protect=inputs.project.inputs().values()) as tmp:
            write_explore(result, tmp, report_years, lang)
            from .report.relink import relink_overviews

            relink_overviews(target, tmp)
    except ExploreError as e:
        raise CommandError(f"cannot explore this project: {e}") from None
    return {"output": display_path(target), "years": report_years, "warnings": list(result.notes),
            "synthetic": inputs.project.synthetic, "lang": lang}


def _audit_pages(result: Result, tables: dict[str, pd.DataFrame], out: Path, years: list[int], lang: str,
                 pages: int, failures: list[str], man: dict[str, Any] | None) -> tuple[int, list[str]]:
    """``<year>/audit.html`` for each report year; a failure is listed like a scorecard's."""
    from .analysis.audit_tables import AuditSettings
    from .report.audit_page import render_audit_page

    meta = {**report_meta(result, man),
            "audit_alpha": AuditSettings.from_mapping(getattr(result.settings, "audit", None)).alpha}
    for y in years:
        try:
            render_audit_page(out, y, result.tree, tables, meta, lang)
            pages += 1
        except Exception as e:  # listed with the other pages' failures, which fail the run
            failures = [*failures, f"audit/{y}: {type(e).__name__}: {str(e)[:200]}"]
    return pages, failures


def _sensitivity(result: Result, opts: dict[str, Any], report_years: list[int], jobs: int,
                 tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    from .analysis.sensitivity import read_spec, run_sensitivity

    project = result.inputs.project
    pos = project.pos.get("sensitivity", Pos(display_path(project.file), 1))
    spec = read_spec(result.settings.sensitivity, pos, draws=opts.get("draws"), seed=opts.get("seed"))
    if spec.year is None:
        from dataclasses import replace as dc_replace

        spec = dc_replace(spec, year=report_years[-1])
    elif spec.year not in result.years:
        raise UserError([Problem(pos, f"sensitivity.year {spec.year} is not in the data "
                                      f"({result.years[0]}-{result.years[-1]})", "bad-year")])
    outcome = run_sensitivity(result, spec, jobs=jobs, progress=opts.get("progress"))
    tables["robustness"] = outcome.robustness
    tables["sobol"] = outcome.sobol
    return {"evaluations": outcome.n_evaluations, "factors": [f.name for f in outcome.factors],
            "mean_abs_rank_shift": outcome.sobol.attrs["mean_abs_rank_shift"], "sobol": outcome.sobol,
            "year": outcome.year,
            "page": {"draws": spec.draws, "seed": spec.seed, "evaluations": outcome.n_evaluations,
                     "noise": spec.noise, "noise_kind": spec.noise_kind, "concentration": spec.concentration,
                     "judgment_steps": spec.judgment_steps,
                     "mean_abs_rank_shift": outcome.sobol.attrs["mean_abs_rank_shift"]}}


def _robustness_page(result: Result, tables: dict[str, pd.DataFrame], out: Path, sens: dict[str, Any], lang: str,
                     pages: int, failures: list[str], man: dict[str, Any]) -> tuple[int, list[str]]:
    """``<year>/robustness.html`` for the sensitivity's year; a failure is listed like a scorecard's."""
    from .report.pages import render_robustness_page

    meta = {**report_meta(result, man), "sensitivity": sens["page"],
            "coverage_banner": _banner(result, sens["year"])}
    units = result.inputs.units.table
    units = units[units["id"].isin(result.units)].reset_index(drop=True)
    try:
        render_robustness_page(out, sens["year"], tables["robustness"], tables.get("sobol"), units, meta, lang)
    except Exception as e:  # listed with the other pages' failures, which fail the run
        return pages, [*failures, f"robustness/{sens['year']}: {type(e).__name__}: {str(e)[:200]}"]
    return pages + 1, failures


def _banner(result: Result, year: int) -> dict[str, str]:
    """The incomplete-year banner of ``year`` in both languages ('' when the year is not low)."""
    from .report.context import fmt_pct
    from .i18n import t
    from .summary import year_coverage

    c = year_coverage(result).get(year)
    if not c or not c["low"]:
        return {"zh": "", "en": ""}
    return {lang: t("low_year_banner", lang, year=year, median=fmt_pct(c["median"], 0), k=c["insufficient"], n=c["n"])
            for lang in ("zh", "en")}


def compare_project(project_path: Path, *, weights: list[str], sets: list[str], out: str | None,
                    lang: str | None) -> dict[str, Any]:
    """`evalkit compare`: variant A (the first scheme, or the project's) against B (the second, plus --set)."""
    from .analysis.compare import compare, rank_correlations
    from .i18n import t
    from .changes import apply_changes, parse_assignment
    from .load.scheme import load_scheme

    if len(weights) > 2:
        raise CommandError("give at most two --weights (A and B)")
    if not weights and not sets:
        raise CommandError("nothing to compare: give --weights B.yaml (or two), and/or --set path=value")
    inputs = load_inputs(project_path)
    problems = Problems()
    schemes = []
    for w in weights:
        p = Path(w)
        sch = load_scheme(p, inputs.tree, problems) if p.exists() else None
        if not p.exists():
            problems.add(Pos(w), "weight scheme not found (check the path)", "file-not-found")
        schemes.append(sch)
    problems.raise_if_errors()
    scheme_a = schemes[0] if len(schemes) == 2 else inputs.scheme
    scheme_b = schemes[-1] if schemes else inputs.scheme
    a = score(inputs, scheme=scheme_a)
    changes = dict(parse_assignment(t) for t in sets)
    scheme_b, settings_b = apply_changes(scheme_b, a.settings, inputs.tree, changes) if changes else \
        (scheme_b, a.settings)
    b = score(inputs, scheme=scheme_b, settings=settings_b, cache=a.cache)
    table = compare(a, b)
    corr = rank_correlations(a, b)
    label_a = weights[0] if len(weights) == 2 else display_path(inputs.project.weights)
    label_b = (weights[-1] if weights else label_a) + (" + " + ", ".join(sets) if sets else "")
    target = Path(out).resolve() if out else inputs.project.output
    overviews = sorted(d.name for d in target.iterdir() if d.is_dir() and d.name.isdigit()
                       and (d / "index.html").is_file()) if target.is_dir() else []
    with staged_folder(target, merge=True, protect=inputs.project.inputs().values()) as tmp:
        write_csv(table, tmp / "compare.csv")
        write_csv(corr, tmp / "compare-correlations.csv")
        _compare_page(tmp / "compare.html", a, b, table, corr, label_a, label_b, lang or inputs.project.lang,
                      back=f"{overviews[-1]}/index.html" if overviews else None)
        from .report.relink import relink_overviews

        relink_overviews(target, tmp)
    root = inputs.tree.root.id
    last = a.years[-1]
    c = corr[(corr.node == root) & (corr.year == last)].iloc[0]
    rows = table[(table.node == root) & (table.year == last)].copy()
    rows["abs"] = rows["rank_shift"].abs()
    movers = rows.sort_values(["abs", "unit"], ascending=[False, True]).head(5)
    lang = lang or inputs.project.lang
    text = [t("cli_cmp_variant", lang, which="A", label=label_a), t("cli_cmp_variant", lang, which="B", label=label_b),
            t("cli_cmp_corr", lang, node=root, year=last, spearman=f"{c.spearman:.3f}", kendall=f"{c.kendall:.3f}",
              shift=int(c.max_abs_rank_shift) if c.max_abs_rank_shift == c.max_abs_rank_shift else 0)]
    for r in movers.itertuples():
        text.append(t("cli_cmp_mover", lang, unit=inputs.units.label(r.unit, lang), rank_a=r.rank_a, rank_b=r.rank_b,
                      score_a=f"{r.score_a:.2f}", score_b=f"{r.score_b:.2f}"))
    warnings = {str(p): p for p in (*a.notes, *b.notes)}  # both variants' warnings, once each
    return {"output": display_path(target), "text": "\n".join(text), "warnings": list(warnings.values()),
            "lang": lang}


def _compare_page(path: Path, a: Result, b: Result, table: pd.DataFrame, corr: pd.DataFrame, label_a: str,
                  label_b: str, lang: str, back: str | None = None) -> None:
    from .report.pages import render_compare_page

    render_compare_page(path, a, b, table, corr, label_a, label_b, lang, back=back)


def render(result: Result, tables: dict, out: Path, years: list[int], lang: str, jobs: int,
           progress, pdf: bool, *, frames: dict[str, Any] | None = None,
           other_pages: list[str] | None = None,
           pdf_progress: Callable[[int, int], None] | None = None,
           meanwhile: Callable[[], None] | None = None, early=None) -> tuple[int, list[str]]:
    """Scorecards, overview, regional page and results.xlsx (and PDFs with ``pdf``).

    other_pages: pages other commands wrote into the folder (kept by the swap), for the overviews' links;
    ``meanwhile()``, more output, is called while worker processes render the scorecards; ``early``: the
    pages' Prepared built from this result before the last tables were made (they are added to it).
    """
    from .report.excel import write_results_xlsx
    from .report.render import render_reports

    if early is not None:  # its input holds the same results, weights, raw values and ties: not made again
        import dataclasses

        from .report.context.prepared import adopt

        inp = dataclasses.replace(early.inp, tables=tables, meta=report_meta(result, (frames or {}).get("man")))
        adopt(early, inp)
    else:
        inp = report_input(result, tables, **(frames or {}))
    if other_pages:
        inp.meta["other_pages"] = list(other_pages)
    def workbook() -> None:
        write_results_xlsx(inp, out / "results.xlsx", lang=lang, years=years)

    def other_output() -> None:
        if meanwhile is not None:
            meanwhile()
        workbook()

    waits: list[Callable[[], Any]] = []
    in_process: Callable[[], None] | None = other_output
    if jobs > 1:  # the tables and results.xlsx written by two forked processes while the pages are rendered
        from .report.context import prepared
        from .workers import forked

        prepared(inp)  # once, before the forks: every process has it
        try:
            for fn in (meanwhile, workbook):
                wait = forked(fn) if fn is not None else None
                if wait is not None:
                    waits.append(wait)
        except BaseException:  # a fork that failed: the one started before it ends first
            with contextlib.suppress(BaseException):
                _wait_all(waits)
            raise
        if len(waits) == (meanwhile is not None) + 1:
            in_process = None
        elif waits:  # cannot happen (forked() forks on Linux or nowhere), but nothing may be written twice
            raise RuntimeError("only some of the output processes could be started")

    try:
        summary = render_reports(inp, out, years=years, lang=lang, jobs=jobs, progress=progress,
                                 meanwhile=in_process)
    except BaseException:
        with contextlib.suppress(BaseException):  # the forked processes end before the error goes on
            _wait_all(waits)
        raise
    _wait_all(waits)
    if pdf:
        from .report.book import cover_html, part_names
        from .i18n import t
        from .report.pdf import write_pdfs

        project = result.inputs.project
        title = project.title.get(lang)

        def book(year: int, parts, firsts) -> str:
            return cover_html(year, parts, firsts, title=title, lang=lang, synthetic=bool(project.synthetic),
                              generated_by=t("generated_by", lang, version=__version__))

        try:
            write_pdfs(out, years, list(result.units), lang, jobs=jobs, progress=pdf_progress, book=book,
                       labels={u: result.inputs.units.label(u, lang) for u in result.units},
                       part_names=part_names(lang))
        except RuntimeError as e:
            raise CommandError(str(e))
    failures = [f"{f[0]}: {f[1]}" if isinstance(f, tuple) else str(f) for f in summary.failures]
    return summary.pages, failures


def _wait_all(waits: list[Callable[[], Any]]) -> None:
    """Wait for every forked process, then raise the first error one of them raised: none is left writing
    into a folder that is being removed."""
    first: BaseException | None = None
    for wait in waits:
        try:
            wait()
        except BaseException as e:
            if first is None:
                first = e
    if first is not None:
        raise first


def report_input(result: Result, tables: dict[str, pd.DataFrame], *, results: pd.DataFrame | None = None,
                 weights: pd.DataFrame | None = None, man: dict[str, Any] | None = None):
    """The report module's input; pass the tables already built to avoid building them twice."""
    from .report.inputs import ReportInput

    units = result.inputs.units.table
    units = units[units["id"].isin(result.units)].reset_index(drop=True)
    return ReportInput(
        tree=result.tree,
        units=units,
        results=results if results is not None else result.to_frame(),
        weights=weights if weights is not None else result.weights_frame(),
        raw=raw_frame(result),
        meta=report_meta(result, man),
        tables=tables,
        notes=tuple(str(p) for p in result.notes),
        ties=ties_frame(result.inputs.relations),
    )


def ties_frame(rel) -> pd.DataFrame | None:
    """The relations' ties, long (relation, year, from, to, value; observed relation-years, value > 0):
    what the network pages draw. An undirected tie appears once (from the earlier unit)."""
    if rel is None:
        return None
    frames = []
    units = np.array(rel.units, dtype=object)
    years = np.array(rel.years)
    for r, t in enumerate(rel.types):
        w = np.where(rel.observed[r][:, None, None], rel.weights[r], 0.0)
        if not t.directed:
            w = np.triu(w)
        yy, ii, jj = np.nonzero(w > 0)
        frames.append(pd.DataFrame({"relation": t.id, "year": years[yy], "from": units[ii], "to": units[jj],
                                    "value": w[yy, ii, jj]}))
    return pd.concat(frames, ignore_index=True)


def report_meta(result: Result, man: dict[str, Any] | None = None) -> dict[str, Any]:
    project = result.inputs.project
    m = man if man is not None else manifest(result)
    weighting = {}
    for node_id, nw in result.weighting.items():
        weighting[node_id] = {"method": nw.method, "cr": nw.cr, "ri_table": nw.ri_table,
                              "lambda_max": nw.lambda_max,
                              "experts": nw.details.get("experts") if nw.details else None}
    return {
        "title": {"zh": project.title.zh, "en": project.title.en},
        "scale": tuple(result.settings.scale),
        "grades": dict(project.grades),
        "synthetic": project.synthetic,
        "years": list(result.years),
        "min_coverage": project.min_coverage,
        "method": {
            "normalize": {"method": result.settings.normalize, "scope": result.settings.scope},
            "aggregate": {"method": result.settings.aggregate, "min_share": result.settings.min_share,
                          "geometric_shift": result.settings.geometric_shift},
            "weights_file": display_path(project.weights),
            "weighting": weighting,
            "preparation": result.prepared.records,
            "rank_round": result.settings.rank_round,
        },
        "manifest": {"version": __version__, "inputs": m["inputs"]},
        **({"relations": [{"id": t.id, "name": {"zh": t.name.zh, "en": t.name.en}, "directed": t.directed,
                           "unit": {"zh": t.unit or "", "en": t.unit_en or t.unit or ""}}
                          for t in result.inputs.relations.types]} if result.inputs.relations is not None else {}),
    }


def init_project(folder: Path) -> Path:
    """Copy the demo project into ``folder`` with paths fixed and ``output: out``.

    The project file keeps the demo's comments (its paths are rewritten in the
    text); everything is built in a temporary sibling first, so a failure leaves
    nothing behind.
    """
    import re
    import tempfile

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} is a file: give the name of a new or empty folder")
    if folder.exists() and any(folder.iterdir()):
        raise CommandError(f"{folder} is not empty: choose a new or empty folder")
    src = demo_project_path()
    text = src.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    base = src.parent
    copies: dict[str, tuple[Path, str]] = {  # key in the project file -> (source, new relative path)
        "framework": ((base / doc["framework"]).resolve(), "indicators"),
        "weights": ((base / doc["weights"]).resolve(), "weights"),
        "values": ((base / doc["data"]["values"]).resolve(), "data"),
        "units": ((base / doc["data"]["units"]).resolve(), "data"),
    }
    if doc.get("targets"):
        copies["targets"] = ((base / doc["targets"]).resolve(), "data")
    if doc["data"].get("relations"):
        copies["relations"] = ((base / doc["data"]["relations"]).resolve(), "data")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    except OSError as e:
        raise CommandError(f"cannot create {folder}: {e.strerror}")
    try:
        for key, (path, sub) in copies.items():
            (tmp / sub).mkdir(exist_ok=True)
            shutil.copy2(path, tmp / sub / path.name)
            text = re.sub(rf"(^[ \t]*{key}:[ \t]*)\S+", rf"\g<1>{sub}/{path.name}", text, count=1, flags=re.M)
        # every shipped weight scheme too, so that switching schemes is a one-line edit
        for p in sorted((bundled_root() / "weights").glob("*.yaml")):
            if not (tmp / "weights" / p.name).exists():
                shutil.copy2(p, tmp / "weights" / p.name)
        text = re.sub(r"(^output:\s*)\S+", r"\g<1>out", text, count=1, flags=re.M)
        header = "# evalkit project, created by `evalkit init` from the bundled demo. Paths are relative to this file.\n"
        (tmp / "evalkit.yaml").write_text(header + text, encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())
        if folder.exists():
            folder.rmdir()  # empty, checked above
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder / "evalkit.yaml"
