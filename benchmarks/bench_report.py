"""What a ``capsim run`` spends on the model and what on the report, per scenario.

    python benchmarks/bench_report.py                       # the five seeds as shipped, 3 rounds
    python benchmarks/bench_report.py --repeats 5 scenarios/xining.toml
    python benchmarks/bench_report.py --draws 20 capsim/examples/tiny/scenario.toml

For each scenario, in turns (round 1 of every scenario, then round 2, ...), it times the model
(``capsim.run``: forecast, assessment, plan, the assessment after the plan) and the report built
from its result (``capsim.reports.build``: the figures as PNG, the workbook, ``report.html``),
and prints a Markdown table of the medians with the report's share. Writing the files is left
out of both. The first round also warms numba's compiled core, so it is a round like the others
only after every scenario has had one: with one repeat the model times include compilation.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "scenarios" / f"{n}.toml" for n in ("hualong", "xining", "aral", "binzhou", "kunming")]


def one_round(scenario) -> tuple[float, float]:
    """(model seconds, report seconds) of one run of ``scenario``."""
    import capsim
    from capsim.reports import build, from_results

    t0 = time.perf_counter()
    res = capsim.run(scenario)
    t1 = time.perf_counter()
    build(from_results(res))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def measure(paths, repeats: int, draws: int | None = None) -> list[dict]:
    """One row per scenario: its regions, the median model and report seconds over ``repeats``."""
    import matplotlib.pyplot as plt

    import capsim

    settings = {"uncertainty.draws": draws} if draws else {}
    scenarios = {p: capsim.load_scenario(p, set=settings) for p in paths}
    times = {p: [] for p in paths}
    for _ in range(repeats):
        for p, sc in scenarios.items():
            times[p].append(one_round(sc))
            plt.close("all")
    rows = []
    for p, sc in scenarios.items():
        model = statistics.median(t[0] for t in times[p])
        report = statistics.median(t[1] for t in times[p])
        regions = sum(1 for line in Path(sc.data.regions).read_text(encoding="utf-8-sig").splitlines()[1:] if line)
        rows.append({"scenario": Path(p).stem if Path(p).stem != "scenario" else Path(p).parent.name,
                     "regions": regions, "draws": sc.uncertainty.draws, "model_s": model, "report_s": report})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| scenario | regions | draws | model (s) | report (s) | run = model + report | report / model |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['regions']} | {r['draws']} | {r['model_s']:.2f} | {r['report_s']:.2f} | "
                     f"{r['model_s'] + r['report_s']:.2f} | {r['report_s'] / r['model_s']:.1f}× |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help="scenario files (default: the five seeds)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are reported (default 3)")
    parser.add_argument("--draws", type=int, help="override uncertainty.draws (default: as shipped)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    print(table(measure([Path(p) for p in args.scenarios] or SEEDS, args.repeats, args.draws)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
