"""Province-scale projection: time against the number of workers, within a stated memory bound.

Run from the repository root (needs the dask extra: ``pip install -e '.[dask]'``)::

    python benchmarks/bench_province.py             # 3,000 regions x 200 draws x 101 ages x 2 sexes x 20 years
    python benchmarks/bench_province.py --quick     # 600 regions x 50 draws: under a minute
    python benchmarks/bench_province.py --record    # also store the output and rewrite README's section

``--record`` saves what was printed to ``benchmarks/results/province.txt`` and copies it into
``benchmarks/README.md`` between the ``bench_province results`` markers (a test checks that
the two agree), so the README's table is never typed by hand.

The province is :class:`capsim.province.SyntheticProvince`; :func:`capsim.province.project_province`
cuts it into blocks of regions within ``--memory-mb`` and reduces each block to school-age
pupils by level (quantiles over draws). Each engine is timed ``--repeats`` times after one
warm-up run (numba compiles and each Dask worker loads its kernels); the table quotes the
median, the speed-up over the in-process engine measured in the same run, and the peak
resident memory of each process that projected blocks (its baseline included). Last, the bare
kernel is timed in the same run: ``project_population`` keeping every year's whole state, at
100 draws x 500 regions over the same years (``bench_core.py``'s reference size), and the
province's in-process throughput is given as a share of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULT = HERE / "results" / "province.txt"
START, END = "<!-- bench_province results: written by bench_province.py --record; do not edit by hand -->", \
    "<!-- end of bench_province results -->"


def main() -> None:
    args = _args()
    if not args.record:
        measure(args)
        return
    sys.path.insert(0, str(HERE))
    from recording import record

    record("bench_province.py", measure, args, RESULT, START, END)


def measure(args) -> None:
    from capsim.engine import LocalEngine, make_engine
    from capsim.province import SyntheticProvince, block_bytes, block_size, project_province

    province = (SyntheticProvince(regions=600, draws=50, steps=20) if args.quick
                else SyntheticProvince(regions=args.regions, draws=args.draws, steps=args.years))
    cells = province.regions * province.draws * 2 * province.ages * province.steps
    c = block_size(province, args.memory_mb)
    print(f"province: {province.regions} regions x {province.draws} draws x {province.ages} ages x 2 sexes x "
          f"{province.steps} years = {cells / 1e9:.2f} G cell-years; every year's whole state would be "
          f"{8 * cells / province.steps * (province.steps + 1) / 2**30:.1f} GiB")
    print(f"memory bound {args.memory_mb:,.0f} MB per worker -> blocks of {c} regions "
          f"({block_bytes(c, province.draws, province.steps, province.ages) / 2**20:,.0f} MB), "
          f"{-(-province.regions // c)} blocks\n")
    rows = []
    engines = [("in-process", None)] + [(f"dask, {n} worker{'s' * (n > 1)}", n) for n in args.workers]
    for name, workers in engines:
        with (LocalEngine() if workers is None else make_engine(workers=workers)) as engine:
            project_province(province, args.memory_mb, engine)                       # warm-up
            times, peak = [], {}
            for _ in range(args.repeats):
                start = time.perf_counter()
                result = project_province(province, args.memory_mb, engine)
                times.append(time.perf_counter() - start)
                peak.update(result.peak_rss_mb)
        rows.append((name, statistics.median(times), max(peak.values()), len(peak)))
    base = rows[0][1]
    print(f"{'engine':<18}{'median s':>10}{'M cell-yr/s':>13}{'speed-up':>10}{'peak RSS MB':>13}{'processes':>11}")
    for name, median, peak, procs in rows:
        print(f"{name:<18}{median:>10.2f}{cells / median / 1e6:>13,.0f}{base / median:>10.2f}{peak:>13,.0f}{procs:>11}")
    bare = bare_kernel(province.steps, args.repeats)
    print(f"\nbare kernel (project_population, 100 draws x 500 regions x {province.steps} years, every year's whole "
          f"state kept): {bare:,.0f} M cell-yr/s; the province in-process: {cells / base / 1e6 / bare:.2f} of it")


def bare_kernel(years: int, repeats: int) -> float:
    """M cell-years per second of the core keeping every year's state (median of ``repeats``)."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_core import make_inputs, touched_buffer

    from capsim.demography import project_population

    draws, regions = (100, 500) if years > 3 else (2, 20)           # the smoke test's tiny run stays tiny
    inp, out = make_inputs(draws, regions, np.float64), touched_buffer((years + 1, draws, regions, 2, 101), np.float64)

    def run():
        project_population(inp["base"], inp["survival"], inp["birth_survival"], inp["asfr"],
                           inp["sex_ratio_at_birth"], years, engine="numba", out=out)

    run()
    times = []
    for _ in range(max(repeats, 3)):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return draws * regions * 2 * 101 * years / statistics.median(times) / 1e6


def _args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="600 regions x 50 draws")
    p.add_argument("--regions", type=int, default=3000)
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--years", type=int, default=20)
    p.add_argument("--memory-mb", type=float, default=1024, help="memory bound per worker (default 1024)")
    p.add_argument("--workers", type=lambda s: [int(v) for v in s.split(",")], default=[1, 2],
                   help="Dask local cluster sizes to time, e.g. 1,2 (default)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--record", action="store_true", help="store the output in benchmarks/results/province.txt and "
                   "rewrite README's section from it")
    return p.parse_args()


if __name__ == "__main__":
    main()
