"""The ``capsim`` command: argument parsing and exit codes only.

Exit codes: 0 success; 2 a problem with the scenario or its data (every problem is printed,
no traceback unless ``--debug``); 1 an unexpected error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_INPUT = 2
EXAMPLES = """examples:
  capsim run scenarios/hualong.toml                  forecast, assess, plan; write out/hualong/report.html
  capsim validate scenarios/kunming.toml --list      the scenario's named overrides and what each sets
  capsim run scenarios/kunming.toml --use low_births --set plan.gap=0.01
  capsim report out/hualong                          rebuild the report from the saved tables
  capsim COMMAND --help                              the options of one command
(python -m capsim works the same.)"""


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    from capsim.errors import CapsimError

    try:
        return args.handler(args)
    except CapsimError as exc:
        if args.debug:
            raise
        print(exc.report(), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing was written.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capsim", description="Plan school places: forecast pupils, assess seats, plan schools.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = sub.add_parser("validate", help="check a scenario and all its data tables",
                              description="Check a scenario and all its data tables; print every "
                                          "problem and exit with code 2 if there is any.")
    _scenario_options(validate)
    validate.add_argument("--list", action="store_true", dest="list_overrides",
                          help="list the scenario's named overrides (for --use NAME) with what each sets, and stop")
    validate.set_defaults(handler=_validate)

    project = sub.add_parser("project", help="forecast population, births and students",
                             description="Forecast population, births and students by region, level, "
                                         "grade and year; write tidy CSV tables and the resolved scenario.")
    _scenario_options(project)
    _output_options(project)
    project.set_defaults(handler=_project)

    assess = sub.add_parser("assess", help="forecast, then assess seats, classes and schools",
                            description="Forecast pupils, then assess them against the schools (or region "
                                        "seats): seat gaps, classes needed, oversized classes and schools, "
                                        "teachers; write tidy CSV tables and the resolved scenario.")
    _scenario_options(assess)
    _output_options(assess)
    assess.set_defaults(handler=_assess)

    for name, helptext in (("plan", "forecast, assess and choose the projects to build and when"),
                           ("run", "the whole chain: forecast, assess, plan, assess again; write every table and the report")):
        cmd = sub.add_parser(name, help=helptext,
                             description=f"{helptext[0].upper()}{helptext[1:]}. The plan is a mixed-integer program "
                                         "(HiGHS or CBC through PuLP) over the scenario's projects table; shortfalls "
                                         "that no plan can remove are reported with their cause.")
        _scenario_options(cmd)
        _output_options(cmd)
        cmd.add_argument("--evaluate", action="store_true",
                         help="check the projects with a committed year as a fixed plan instead of optimising")
        cmd.set_defaults(handler=_run)

    rep = sub.add_parser("report", help="rebuild the report (plots, report.html, workbook) from saved results",
                         description="Rebuild the plots (PNG), report.html and capsim_tables.xlsx inside a folder "
                                     "written by `capsim run SCENARIO --out DIR`, from its CSV tables and resolved "
                                     "scenario; the folder is replaced whole.")
    rep.add_argument("folder", metavar="RESULTS_DIR", help="folder written by capsim run")
    rep.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    rep.add_argument("--debug", action="store_true", help="show a traceback on errors")
    rep.set_defaults(handler=_report)

    _add_sweep(sub)
    _add_robust(sub)

    bt = sub.add_parser("backtest", help="rolling-origin backtest of intake and enrolment forecasts",
                        description="Rolling-origin backtest on real history: for each origin year, choose each "
                                    "series' ratio model and calibrate it on data up to then only, forecast the "
                                    "following years, and report out-of-sample error by horizon (MAPE, bias, MAE) "
                                    "and 80 % band coverage against naive baselines. "
                                    "HISTORY is a CSV (area, series, year, value; e.g. data/china/history.csv) or "
                                    "a scenario whose enrolment and births tables are used.")
    bt.add_argument("history", metavar="HISTORY", help="history CSV or scenario TOML")
    bt.add_argument("--out", metavar="DIR", default=None,
                    help="folder to write (default: out/FOLDER_FILE-backtest, from the history's folder and file "
                         "name, e.g. out/china_history-backtest); new, empty, or a backtest's of the same "
                         "history, replaced whole")
    _force_option(bt)
    bt.add_argument("--area", action="append", default=[], help="only these areas (repeatable)")
    bt.add_argument("--horizons", type=int, default=6, metavar="H", help="forecast 1..H years ahead (default 6)")
    bt.add_argument("--no-select", action="store_true",
                    help="carry each series' mean ratio of the last 3 years forward instead of choosing "
                         "settings at each origin")
    bt.add_argument("--markdown", action="store_true",
                    help="print the accuracy table (horizons 1, 3, 5) as Markdown, as in README, "
                         "instead of the summary")
    bt.add_argument("--quiet", action="store_true", help="no summary")
    bt.add_argument("--debug", action="store_true", help="show a traceback on errors")
    bt.set_defaults(handler=_backtest)
    return parser


def _add_sweep(sub) -> None:
    """``capsim sweep``: options of the grid, the cases and the engine."""
    sw = sub.add_parser("sweep", help="what-if sweep: run every combination of a grid of scenario values",
                        description="Run SCENARIO for every combination of the --grid values (crossed with the "
                                    "--case overrides) and write one row per case to DIR/sweep.csv (cost, seats "
                                    "added, shortfall and surplus seat-years, oversized classes left, peak-year "
                                    "pupils), the chosen projects to DIR/sweep_projects.csv and a comparison plot "
                                    "DIR/sweep.png. Each case is saved in DIR/cases/ as it finishes; rerunning the "
                                    "same command runs only the cases not finished yet. Runs in this process "
                                    "unless --workers or --scheduler asks for Dask (pip install 'capsim[dask]').")
    _scenario_options(sw)
    sw.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                    help="values of one scenario key to sweep, e.g. --grid plan.budget_total=3e9,5e9 (repeatable; "
                         "every combination is a case)")
    sw.add_argument("--case", action="append", default=[], metavar="NAME[+NAME]",
                    help="a named override (or several joined by +) as a case, crossed with the grid; 'base' is "
                         "the scenario without overrides (repeatable; default: base only)")
    sw.add_argument("--out", metavar="DIR", help="folder for the cases and tables (default: out/NAME-sweep); kept "
                                                 "between runs so an interrupted sweep resumes; it must be new, "
                                                 "empty, or a sweep of the same scenario")
    _force_option(sw)
    engine = sw.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=int, metavar="N", help="run the cases on a local Dask cluster of N workers")
    engine.add_argument("--scheduler", metavar="ADDRESS", help="run the cases on the Dask cluster at ADDRESS "
                                                               "(e.g. tcp://10.0.0.5:8786)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    sw.set_defaults(handler=_sweep)


def _add_robust(sub) -> None:
    """``capsim robust``: the quantile plans and the expected-cost plan's sample."""
    rb = sub.add_parser("robust", help="plans against the forecast's uncertainty, evaluated on every draw",
                        description="Make the plan for the median forecast, a plan for each --quantile (demand "
                                    "covered at that quantile of the draws) and a plan of least expected cost over "
                                    "--sample draws; evaluate each on every draw (cost, shortfall) and report its "
                                    "regret against the median plan: robust_plans.csv, robust_draws.csv, "
                                    "robust_schedules.csv, robust_regret.png and, where the scenario allows them, "
                                    "robust_closures.csv and robust_conversions.csv.")
    _scenario_options(rb)
    _output_options(rb)
    rb.add_argument("--quantile", action="append", type=float, default=[], metavar="Q",
                    help="plan for demand at this quantile of the draws (repeatable; default 0.9; the median "
                         "plan is always made)")
    rb.add_argument("--sample", type=int, default=30, metavar="S",
                    help="draws in the expected-cost plan's stochastic program (default 30)")
    rb.set_defaults(handler=_robust)


def _scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO", help="path to a scenario TOML file")
    p.add_argument("--use", action="append", default=[], metavar="NAME",
                   help="switch on the override [overrides.NAME] (repeatable; applied in order)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="assign",
                   help="set one scenario value, e.g. --set uncertainty.draws=500 (repeatable; wins over all)")
    p.add_argument("--data-root", action="append", default=[], metavar="DIR", dest="data_root",
                   help="also read data tables from inside DIR (repeatable); by default tables must lie inside the "
                        "scenario's folder tree (see docs/scenario.md)")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR",
                   help="folder to write (default: out/NAME for run, out/NAME-COMMAND for the others); it must be "
                        "new, empty, or written by the same command on the same scenario, and is then replaced whole")
    _force_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _force_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace a folder that capsim wrote for another command or scenario (never a folder "
                        "holding files capsim did not write)")


def _load(args, check: str | None = "run"):
    """The scenario of ``args``, checked for the stages up to ``check`` (``"run"``: every check
    of ``capsim validate``; None: the scenario file only)."""
    return _load_read(args, check)[0]


def _load_read(args, check: str | None = "run"):
    """(the scenario of ``args``, the forecast's inputs the checks read): checked for the stages
    up to ``check``, so that the forecast does not read its tables again."""
    from capsim.checks import validate
    from capsim.scenario import load_scenario

    scenario = load_scenario(args.scenario, use=args.use, set=_assignments(args.assign), data_roots=args.data_root)
    return scenario, validate(scenario, upto=check) if check else None


def _out_folder(args, scenario, command: str):
    """``--out`` or the command's default folder, checked before any work starts."""
    from capsim.outputs import claim, default_folder, scenario_paths

    out = args.out or default_folder(scenario.name, command)
    return claim(out, command, scenario.source, protect=scenario_paths(scenario), force=args.force)


def _assignments(items) -> dict:
    """``["a.b=1", ...]`` -> ``{"a.b": "1"}``; malformed items are reported together."""
    from capsim.errors import Problem, ScenarioError

    assign, bad = {}, []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            bad.append(Problem(f"--set {item}", "is not KEY=VALUE.", item, "write e.g. --set end_year=2035."))
        assign[key.strip()] = value.strip()
    if bad:
        raise ScenarioError(bad)
    return assign


def _validate(args) -> int:
    from capsim.checks import validate

    if args.list_overrides:
        from capsim.reports.overrides import overrides_text

        print(overrides_text(args.scenario))
        return 0

    scenario = _load(args, check=None)
    inputs = validate(scenario)
    reach = _validate_overrides(args)
    whole = sum(stage == "run" for stage, _ in reach.values())
    print(f"{args.scenario}: OK — {len(inputs.regions)} region(s), years {scenario.base_year}-"
          f"{scenario.end_year}, {scenario.uncertainty.draws} draw(s)"
          + (f"; of its {len(reach)} other named override(s), each switched on alone, {whole} pass for every "
             "command" if reach else "") + ".")
    for name, (stage, why) in reach.items():
        if stage != "run":
            print(f"  --use {name}: OK for `capsim {stage}` only; `capsim run` refuses it: {why}")
    return 0


def _validate_overrides(args) -> dict:
    """Each named override of the scenario that ``--use`` does not name, switched on alone in
    turn (overrides may exclude each other) and checked as ``run`` would, else as the last
    command before it that takes it (a 5-year forecast that cannot be planned): name -> (that
    command, why not ``run``). Where no command takes one, its problems, named by the
    override, are raised together (else they show only once someone uses it)."""
    from capsim.checks import STAGES, validate
    from capsim.errors import CapsimError, Problem, ScenarioError
    from capsim.reports.overrides import describe_overrides
    from capsim.scenario import load_scenario

    reach, problems, assigned = {}, [], _assignments(args.assign)
    for name in [item["name"] for item in describe_overrides(args.scenario) if item["name"] not in args.use]:
        failed = None
        for stage in reversed(STAGES):
            try:
                validate(load_scenario(args.scenario, use=[name], set=assigned, data_roots=args.data_root),
                         upto=stage)
            except CapsimError as exc:
                failed = failed or exc
                continue
            reach[name] = (stage, "" if failed is None else str(failed.problems[0]))
            break
        else:
            problems += [Problem(f"--use {name}: {p.where}", p.message, p.value, p.fix) for p in failed.problems]
    if problems:
        raise ScenarioError(problems)
    return reach


def _project(args) -> int:
    from capsim.projection import project
    from capsim.reports.summary import projection_summary
    from capsim.results import Results

    scenario, inputs = _load_read(args, check="project")
    out = _out_folder(args, scenario, "project")
    result = project(scenario, inputs, progress=not args.quiet)
    tables = Results(scenario, result, None, None).tables()
    return _write(args, out, "project", scenario, tables, lambda: projection_summary(result))


def _assess(args) -> int:
    from capsim.assessment import assess
    from capsim.projection import project
    from capsim.results import Results

    scenario, inputs = _load_read(args, check="assess")
    out = _out_folder(args, scenario, "assess")
    projection = project(scenario, inputs, progress=not args.quiet)
    result = assess(scenario, projection, schools=inputs.schools)
    tables = Results(scenario, projection, result, None).tables()
    return _write(args, out, "assess", scenario, tables, lambda: _assessment_summary(result, projection))


def _run(args) -> int:
    from capsim.chain import run
    from capsim.reports import build, from_results

    scenario, inputs = _load_read(args)
    out = _out_folder(args, scenario, args.command)
    res = run(scenario, progress=not args.quiet, evaluate=args.evaluate, inputs=inputs)
    blobs = build(from_results(res), progress=not args.quiet) if args.command == "run" else None
    return _write(args, out, args.command, scenario, res.tables(), lambda: _plan_summary(res), blobs)


def _report(args) -> int:
    from capsim.reports import report_folder

    paths = report_folder(args.folder, progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {len(paths)} report files to {args.folder}; open {args.folder}/report.html")
    return 0


def _sweep(args) -> int:
    from capsim.errors import Problem, ScenarioError
    from capsim.sweeps import parse_grid, sweep

    base = _load(args)                       # the base scenario's own problems come first
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([Problem("--workers", "must be at least 1.", args.workers, "give e.g. --workers 2.")])
    grid = parse_grid(args.grid)
    cases = [() if c == "base" else tuple(c.split("+")) for c in args.case] or [()]
    out = _out_folder(args, base, "sweep")
    try:
        result = sweep(args.scenario, grid, cases, out=out, use=args.use, set=_assignments(args.assign),
                       scheduler=args.scheduler, workers=args.workers, progress=not args.quiet, force=args.force,
                       data_roots=args.data_root)
    except KeyboardInterrupt:
        print(f"interrupted: the finished cases are kept in {out / 'cases'}; run the same command again "
              "to finish the rest.", file=sys.stderr)
        return 130
    from capsim.reports.summary import sweep_summary
    from capsim.reports.sweep_plot import save_sweep_figure

    save_sweep_figure(out, result.table)
    if not args.quiet:
        print(sweep_summary(result))
        print(f"wrote {out / 'sweep.csv'}, {out / 'sweep_projects.csv'} and {out / 'sweep.png'}")
    return 1 if len(result.failed) else 0


def _robust(args) -> int:
    from capsim.outputs import write_results
    from capsim.reports.figures import png_bytes
    from capsim.reports.robust_plot import plot_regret
    from capsim.reports.summary import robust_summary
    from capsim.robust import compare_plans

    scenario = _load(args)
    out = _out_folder(args, scenario, "robust")
    result = compare_plans(scenario, quantiles=args.quantile or [0.9], sample=args.sample, progress=not args.quiet)
    tables = {"robust_plans": result.table, "robust_draws": result.draws, "robust_schedules": result.schedules}
    tables |= {f"robust_{k}": v for k, v in (("closures", result.closures), ("conversions", result.conversions))
               if v is not None}
    figure = {"robust_regret.png": png_bytes(plot_regret(result.draws), dpi=150)}
    paths = write_results(out, tables, scenario, blobs=figure, command="robust", force=args.force)
    if not args.quiet:
        print(robust_summary(result.table, result.unit))
        print(f"wrote {len(paths)} files to {out}")
    return 0


def _plan_summary(res) -> str:
    from capsim.reports.summary import plan_summary

    return plan_summary(res)


def _write(args, out, command: str, scenario, tables: dict, summary, blobs: dict | None = None) -> int:
    """Write the tables that exist and any report files (atomically) to ``out``; print the summary."""
    from capsim.outputs import write_results

    paths = write_results(out, {k: v for k, v in tables.items() if v is not None}, scenario, blobs=blobs,
                          command=command, force=args.force)
    if not args.quiet:
        print(summary())
        print(f"wrote {len(paths)} files to {out}" + (f"; open {out / 'report.html'}" if blobs else ""))
    return 0


def _backtest(args) -> int:
    from capsim.backtests import backtest, read_history
    from capsim.outputs import claim, default_folder, write_files
    from capsim.reports.backtest_plot import mape_figure
    from capsim.reports.summary import backtest_summary

    history_path = Path(args.history)
    out = args.out or default_folder(f"{history_path.resolve().parent.name}_{history_path.stem}", "backtest")
    out = claim(out, "backtest", str(args.history), protect=[args.history], force=args.force)
    history = read_history(args.history)
    if args.area:
        unknown = sorted(set(args.area) - set(history.area))
        if unknown:
            from capsim.errors import DataError, Problem

            raise DataError([Problem(f"--area {a}", "is not an area of the history.", a,
                                     f"use one of: {', '.join(sorted(set(history.area)))}.") for a in unknown])
        history = history[history.area.isin(args.area)]
    result = backtest(history, horizons=range(1, args.horizons + 1), select=not args.no_select)
    figures = {f"backtest_mape_{area}.png": mape_figure(result.summary, area) for area in result.summary.area.unique()}
    tables = {"backtest_summary": result.summary, "backtest_forecasts": result.forecasts,
              "backtest_periods": result.periods, "backtest_comparison": result.comparison,
              "backtest_selection": result.selection, "backtest_candidates": result.candidates}
    paths = write_files(out, tables, figures, command="backtest", scenario=str(args.history), force=True)
    if args.markdown:
        from capsim.reports.backtest_table import accuracy_markdown

        print("\n\n".join(accuracy_markdown(result, area) for area in sorted(result.summary.area.unique())))
    elif not args.quiet:
        print(backtest_summary(result.summary))
        print(f"wrote {len(paths)} files to {out}")
    return 0


def _assessment_summary(result, projection) -> str:
    from capsim.reports.summary import assessment_summary
    from capsim.reports.labels import region_names

    return assessment_summary(result.regions, result.scenario, region_names(projection.regions))


def _version() -> str:
    from capsim import __version__

    return f"capsim {__version__}"


if __name__ == "__main__":
    sys.exit(main())
