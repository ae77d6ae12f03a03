"""The planner's tables of benchmarks/README.md, rendered from ``bench_plan.py``'s stored results.

    python benchmarks/bench_plan.py --sizes xining_pooled xining_schools --seeds 0 1 2 3 \
        --solvers highs --formulations step --repeats 1 --time-limit 60 --json benchmarks/results/plan_schools.json
    python benchmarks/bench_plan.py --sizes city200_split city200_single city1000_split city1000_single \
        city3000_split city3000_single \
        city_single --seeds 0 1 2 --solvers highs highs-whole --formulations step --repeats 1 --time-limit 120 \
        --json benchmarks/results/plan_cities.json
    python benchmarks/plan_report.py            # rewrite the sections between the markers
    python benchmarks/plan_report.py --check    # exit 1 if a README section differs

Granularity: each seed's school plan set beside its pooled (district) optimum, which bounds it.
Cities: the catchment planner against issue 25's marks. Nothing here measures anything or
imports capsim.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_report import README, Table, span  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "plan_schools.json"
BEGIN = "<!-- bench_plan granularity: rendered by benchmarks/plan_report.py from benchmarks/results/plan_schools.json; do not edit by hand -->"
END = "<!-- end of bench_plan granularity -->"
CITIES = Path(__file__).resolve().parent / "results" / "plan_cities.json"
CITIES_BEGIN = "<!-- bench_plan cities: rendered by benchmarks/plan_report.py from benchmarks/results/plan_cities.json; do not edit by hand -->"
CITIES_END = "<!-- end of bench_plan cities -->"
# issue 25's marks: instance -> (largest gap, most seconds building and solving)
WHOLE = "highs-whole"   # bench_plan.py's reference solver (not imported: nothing here imports capsim)
MARKS = {"city1000_split": (1e-4, 60.0), "city1000_single": (1e-2, 120.0), "city_single": (1e-2, 15.0)}


def table(res: dict) -> Table:
    rows = res["rows"]
    pooled = {r["seed"]: r for r in rows if r["instance"] == "xining_pooled"}
    out = []
    for r in rows:
        bound = pooled.get(r["seed"]) if r["instance"] == "xining_schools" else None
        above = f"{r['objective'] / bound['objective'] - 1:.1%}" if bound else "-"
        out.append([r["instance"], str(r["seed"]), f"{r['variables']:,}", f"{r['solve_seconds']:.1f}", r["status"], f"{r['gap']:.2%}", f"{r['objective'] / 1e6:,.0f}",
                    f"{r['short']:,.0f}", above])
    schools = [r for r in rows if r["instance"] == "xining_schools"]
    notes = [f"Command: `{res['command']}` ({res['cpus']} CPUs).",
             "solve s: building and solving (the school plan builds its blocks inside the solve); gap: the solver's own (school: against the pooled bound or the whole model's); short: pupil-years "
             "without a class; above pooled: the school plan's cost over the same seed's pooled plan (within its gap of the "
             "pooled optimum, which bounds the school plan)."]
    if schools:
        notes.append(f"School plans proven within 1 %: {sum(r['gap'] <= 0.01 for r in schools)} of {len(schools)}; "
                     f"median solve {statistics.median(r['solve_seconds'] for r in schools):.0f} s.")
    return Table("Planning in classes: districts pooled against each school its own pool (Xining-sized)",
                 ["instance", "seed", "variables", "solve s", "status", "gap", "objective (M yuan)",
                  "short", "above pooled"], out, notes)


def city_table(res: dict) -> Table:
    rows = res["rows"]
    whole = {(r["instance"], r["seed"]): r for r in rows if r["solver"] == WHOLE}
    out, verdicts = [], []
    for r in rows:
        spec = r["spec"]
        seconds = r["build_seconds"] + r["solve_seconds"]
        mark = MARKS.get(r["instance"]) if r["solver"] != WHOLE else None
        met = "-" if mark is None else ("met" if r["gap"] <= mark[0] and seconds <= mark[1] else "not met")
        if mark is not None:
            verdicts.append((r["instance"], met == "met"))
        ref = whole.get((r["instance"], r["seed"])) if r["solver"] != WHOLE else None
        out.append([r["instance"], str(r["seed"]), "whole model" if r["solver"] == WHOLE else "capsim",
                    f"{spec['A']:,} x {spec['S'] + spec['N']}", str(spec["Y"]),
                    "single" if spec["single"] else "split", f"{r['variables']:,}", f"{seconds:.1f}", r["status"],
                    f"{r['gap']:.2%}", "-" if ref is None else f"{r['objective'] / ref['objective'] - 1:+.1%}",
                    f"{r['short']:,.0f}", r.get("rezoned", "-"),
                    "-" if mark is None else f"gap <= {mark[0]:.2%} in <= {mark[1]:.0f} s: {met}"])
    notes = [f"Command: `{res['command']}` ({res['cpus']} CPUs).",
             "method: capsim (single assignment from the split plan, rounded, then improved by neighbourhoods) or, in "
             "the same run, the reference: the whole model handed to HiGHS as it is, with the same time limit and gap; "
             "areas x sites: residential areas and sites (schools and candidate new schools), every pair within reach "
             "(the ten-year city: within 3 km); s: building and solving; gap: the solver's own, against its own bound; "
             "vs whole: capsim's plan's cost over the reference plan's for the same seed; short: pupil-years without a "
             "seat in reach; rezoned: area-level-years zoned to another school than the last year the area's level was "
             "zoned / of those, back to a school the area had left (single assignment over more than one year)."]
    for name in MARKS:
        got = [ok for inst, ok in verdicts if inst == name]
        if got:
            notes.append(f"{name}: the mark met on {sum(got)} of {len(got)} seeds.")
    return Table("Catchments at city scale against issue 25's marks", ["instance", "seed", "method", "areas x sites",
                 "years", "assignment", "variables", "s", "status", "gap", "vs whole", "short", "rezoned", "mark"],
                 out, notes)


def section(res: dict) -> str:
    return f"{BEGIN}\n{table(res).markdown()}\n{END}"


def city_section(res: dict) -> str:
    return f"{CITIES_BEGIN}\n{city_table(res).markdown()}\n{CITIES_END}"


SECTIONS = [(RESULTS, BEGIN, END, section), (CITIES, CITIES_BEGIN, CITIES_END, city_section)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if a section differs")
    args = p.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    for results, begin, end, render in SECTIONS:
        start, stop = span(text, begin, end)
        new = render(json.loads(results.read_text(encoding="utf-8")))
        if args.check and text[start:stop] != new:
            return 1
        text = text[:start] + new + text[stop:]
    if not args.check:
        README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
