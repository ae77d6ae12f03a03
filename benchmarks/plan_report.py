"""The granularity table of benchmarks/README.md, rendered from ``bench_plan.py``'s stored results.

    python benchmarks/bench_plan.py --sizes xining_pooled xining_schools --seeds 0 1 2 3 \
        --solvers highs --formulations step --repeats 1 --time-limit 60 --json benchmarks/results/plan_schools.json
    python benchmarks/plan_report.py            # rewrite the section between the markers
    python benchmarks/plan_report.py --check    # exit 1 if the README's section differs

Each seed's school plan is set beside its pooled (district) optimum, which bounds it. Nothing
here measures anything or imports capsim.
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


def section(res: dict) -> str:
    return f"{BEGIN}\n{table(res).markdown()}\n{END}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if the section differs")
    args = p.parse_args(argv)
    res = json.loads(RESULTS.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    start, end = span(text, BEGIN, END)
    if args.check:
        return int(text[start:end] != section(res))
    README.write_text(text[:start] + section(res) + text[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
