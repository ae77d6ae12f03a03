"""A seed's projection at many draws: the whole projection stage against its core, and its peak memory
against the state the core writes.

Run from the repository root::

    python benchmarks/bench_draws.py                  # Xining at 100, 400, 1,600 and 6,400 draws
    python benchmarks/bench_draws.py --draws 100,400  # other draw counts
    python benchmarks/bench_draws.py --record         # also store the output and rewrite README's section

Each draw count runs in a fresh process: one small run first (it loads the compiled kernel and
the scenario's tables are read once), then ``--repeats`` runs of ``capsim.projection.project``
on the scenario (``uncertainty.draws`` set, the numba engine). In each run the core's own call
(:func:`capsim.demography.project_population`, the same inputs, inside the same run) is timed
too, so "x core" is the whole stage (draw factors, the core, students by grade, quantiles over
draws, tidy tables) over its core, medians of the repeats. Peak memory is the process's resident
set above what it held before the run (Linux ``VmHWM``, reset before the run), over the size of
the state the core writes (every year's population by draw, region, sex and age, float64).

``--record`` saves what was printed to ``benchmarks/results/draws.txt`` and copies it into
``benchmarks/README.md`` between the ``bench_draws results`` markers (a test checks that the two
agree), so the README's table is never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULT = HERE / "results" / "draws.txt"
START, END = "<!-- bench_draws results: written by bench_draws.py --record; do not edit by hand -->", \
    "<!-- end of bench_draws results -->"


def main() -> None:
    args = _args()
    if args.one is not None:
        print(json.dumps(one(args.scenario, args.one, args.repeats)))
        return
    if not args.record:
        measure(args)
        return
    sys.path.insert(0, str(HERE))
    from recording import record

    record("bench_draws.py", measure, args, RESULT, START, END)


def measure(args) -> None:
    import numba

    print(f"scenario: {args.scenario} (numba engine, {numba.get_num_threads()} threads); medians of "
          f"{args.repeats} runs, each draw count in a fresh process")
    print(f"{'draws':>7}{'state MiB':>11}{'project s':>11}{'core s':>9}{'quantiles s':>13}{'students s':>12}"
          f"{'x core':>8}{'peak MiB':>10}{'x state':>9}")
    for draws in args.draws:
        done = subprocess.run([sys.executable, __file__, "--one", str(draws), "--scenario", args.scenario,
                               "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        state = r["state_bytes"] / 2**20
        peak = r["peak_bytes"] / 2**20
        print(f"{draws:>7,}{state:>11,.0f}{r['project_s']:>11.2f}{r['core_s']:>9.2f}{r['quantiles_s']:>13.2f}"
              f"{r['students_s']:>12.2f}{r['project_s'] / r['core_s']:>8.2f}{peak:>10,.0f}{peak / state:>9.2f}")


def one(scenario_path: str, draws: int, repeats: int) -> dict:
    """Time ``repeats`` projections at ``draws`` draws in this process; see the module docstring."""
    import gc

    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_core import current_rss_bytes, peak_rss_bytes, reset_peak_rss

    import capsim
    from capsim import projection
    from capsim.data import read_inputs

    spent = {"core": [0.0], "quantiles": [0.0], "students": [0.0]}     # seconds of each part, run by run

    def timed(part, inner):
        def run(*a, **kw):
            start = time.perf_counter()
            result = inner(*a, **kw)
            spent[part][-1] += time.perf_counter() - start
            return result
        return run

    projection.project_population = timed("core", projection.project_population)
    projection._students = timed("students", projection._students)
    projection.uncertainty.quantiles_over_draws = timed("quantiles", projection.uncertainty.quantiles_over_draws)
    sc = capsim.load_scenario(ROOT / scenario_path, set={"uncertainty.draws": draws, "demography.engine": "numba"})
    inputs = read_inputs(sc)
    small = capsim.load_scenario(ROOT / scenario_path, set={"uncertainty.draws": 2, "demography.engine": "numba"})
    projection.project(small, inputs)                                    # loads the kernel
    times, peaks = [], []
    for _ in range(repeats):
        for part in spent.values():
            part.append(0.0)
        gc.collect()
        reset_peak_rss()
        before = current_rss_bytes()
        start = time.perf_counter()
        result = projection.project(sc, inputs)
        times.append(time.perf_counter() - start)
        peaks.append(peak_rss_bytes() - before)
        del result
    T, R, A = len(inputs.years), len(inputs.regions), len(inputs.ages)
    out = {f"{part}_s": statistics.median(values[1:]) for part, values in spent.items()}
    return {"draws": draws, "project_s": statistics.median(times), **out, "peak_bytes": max(peaks),
            "state_bytes": T * draws * R * 2 * A * np.dtype(np.float64).itemsize}


def _args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", default="scenarios/xining.toml", help="a scenario, from the repository root")
    p.add_argument("--draws", type=lambda s: [int(v) for v in s.split(",")], default=[100, 400, 1600, 6400],
                   help="draw counts, e.g. 100,400 (default 100,400,1600,6400)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)   # the worker of one draw count
    p.add_argument("--record", action="store_true", help="store the output in benchmarks/results/draws.txt and "
                   "rewrite README's section from it")
    return p.parse_args()


if __name__ == "__main__":
    main()
