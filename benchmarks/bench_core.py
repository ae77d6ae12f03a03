"""Benchmarks of the projection core, :func:`capsim.project_population`.

Run from the repository root::

    python benchmarks/bench_core.py            # default run, about 6 minutes on 2 cores
    python benchmarks/bench_core.py --quick    # short run, under a minute
    python benchmarks/bench_core.py --help     # sizes, years, repeats, tables

Words used below: a *cell* is one (draw, region, sex, age) entry of the state, so one year of a
projection has ``cells = draws x regions x 2 x ages`` cells (ages = 101 single years, 0..100+),
and a run of ``years`` steps does ``cell-years = cells x years`` of work. Throughput is in
millions of cell-years per second (M cell-yr/s).

How every time is taken: one warm-up run first (it compiles the numba kernel and starts the
thread pools; it is not counted), then ``--repeats`` timed runs; each table quotes the
*median* of those runs. Runs shorter than 0.1 s are looped so one timed run lasts at least 0.1 s.
The core always writes into the same preallocated ``out=`` buffer, touched (written) before
timing, so the operating system's first-touch page faults are not counted; the copy reference
copies into the same kind of touched buffer. The "cold" rows of the reference table show, once,
what a fresh allocation costs. Ratios are between times measured in the same run; the ones the
reference table compares are timed in turns, a b a b ... (see table 4), so a slow drift of
the machine hits both alike; the acceptance lines also give the range of the per-round ratios. On a shared virtual machine the same run
can differ by a third from one minute to the next, so compare ratios, not absolute times. Before any table, a tiny run of each engine imports
numba and loads its kernels, and one numpy-engine step on 2 million cells raises glibc's
dynamic mmap threshold (see :func:`prime_engines`), so each table measures the same process
state whichever runs first. Each table ends with the share of the CPUs that *other* processes
used meanwhile (from /proc/stat): on 2 cores a single busy process slows the parallel numba
kernel several-fold, so only tables with a share near 0 are clean.

The inputs mimic a real run: survival, fertility and birth survival vary by region, sex and
age but are shared by all draws and years (they broadcast, as the core allows), the base
population varies by draw and region, no migration, one-year steps, sex ratio 1.05.

Tables
------
1. Throughput. M cell-yr/s of each engine (numpy, numba) for each size (draws x regions),
   number of years and dtype, and the numba/numpy speed-up.
2. Peak memory. Each size and engine is run once in a fresh subprocess (float64, the longest
   horizon, no ``out=``: the core allocates its own output, as in normal use). It reports the
   process's resident set size (RSS) just before the call and its peak RSS during the call
   (Linux ``VmHWM`` from /proc/self/status, reset just before the call by writing 5 to
   /proc/self/clear_refs; ``ru_maxrss`` elsewhere). RSS rather than ``tracemalloc``, because
   RSS is what the machine must actually hold: it counts every page touched, whether numpy,
   numba's runtime or Python allocated it, while ``tracemalloc`` sees only allocations made
   through Python's tracked allocators and slows them down. ``VmHWM`` rather than
   ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: Linux carries the parent's RSS at fork over into
   the child's ``ru_maxrss``, so a small child of a big parent would report the parent's size.
   The table also shows the output arrays' own size (population + births), the peak above the
   RSS before divided by that size, and that process's cold run time (the first call, fresh
   output) divided by its warm median (runs into the now-touched output).
3. Scaling. Time as one of regions, draws or years grows alone from a base point (10 draws,
   100 regions, 10 years) by x1, x2, x4, ...; "time x" is the median time over the base
   point's (the x1 row, measured again before each axis). Linear scaling means "time x"
   equals the factor; M cell-yr/s then stays flat.
4. References, at the largest size and longest horizon (float64 unless said):
   - bandwidth limit: ``np.copyto`` of year k into year k+1 of a touched (T+1, D, R, 2, A)
     buffer, once per year: the least memory traffic any step can have (read the state once,
     write it once). Also the same copy split over all cores (numba ``prange``), because
     ``np.copyto`` uses one thread while the core uses all of them.
   - the textbook Leslie matrix: per region a (2A x 2A) matrix, survival on the sub-diagonal,
     the open group's survival on the diagonal corner, and first rows (female, male) giving the
     step's births from women at the start and end of the step, times birth survival, exactly
     as in :mod:`capsim.demography`. Its rates are the same for every draw and year, so one
     matrix per region is built once, before timing. Three ways to apply it each year:
     ``leslie matvec``: Python loop over regions and draws, one matrix-vector product each
     (the textbook way); ``leslie region``: Python loop over regions, that region's draws
     stacked so it is one matrix-matrix product (BLAS); ``leslie matmul``: one batched
     ``np.matmul`` over all regions. All three are checked against ``project_population`` on
     small cases before timing. Their warm-up is a one-year run (nothing to compile).
   "x core" is the row's median time over the median of the core numba runs it took turns
   with (> 1: the core is faster): copy and parallel copy take turns with the core for
   2 x repeats + 1 rounds, the numpy engine and each Leslie variant for repeats rounds each.
   "GB/s" is 2 x the state's bytes per year (read once, written once) divided by the time per
   year: the copy's real bandwidth, and for the other rows the bandwidth they would need.
   Then the project's acceptance criteria, PASS or FAIL: at the largest size the core (float64,
   numba) reaches at least 50 % of the bandwidth limit, and is at least 10x faster than the
   textbook Leslie matrix with 101 single ages. Two stricter comparisons follow for information.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from capsim import project_population

AGES = 101
SRB = 1.05
MIN_REPEAT_SECONDS = 0.1
DEFAULT_SIZES = "1x1,1x10,1x100,10x100,10x500,100x500"
QUICK_SIZES = "1x1,1x100,10x500"
SCALING_BASE = (10, 100, 10)  # draws, regions, years
DTYPES = {"float64": np.float64, "float32": np.float32}
TABLES = ("throughput", "memory", "scaling", "reference")


@dataclass(frozen=True)
class Size:
    draws: int
    regions: int

    @property
    def cells(self) -> int:
        return self.draws * self.regions * 2 * AGES

    def label(self) -> str:
        return f"{self.draws} x {self.regions}"


# ---------------------------------------------------------------------------------------------
# inputs and timing


def make_inputs(draws: int, regions: int, dtype, ages: int = AGES, seed: int = 0) -> dict:
    """Inputs of a realistic shape: rates by region, sex and age, base population by draw too."""
    rng = np.random.default_rng(seed)
    age = np.arange(ages)
    hazard = 0.0003 + 0.00002 * np.exp(0.095 * age)  # Gompertz-like, per year
    level = rng.uniform(0.8, 1.2, (regions, 2, 1))
    survival = np.exp(-hazard * level)
    asfr = np.where((age >= 15) & (age < 50), 0.06 * np.exp(-((age - 30) / 7.0) ** 2), 0.0)
    asfr = asfr * rng.uniform(0.8, 1.2, (regions, 1))
    return {
        "base": rng.uniform(500.0, 1500.0, (draws, regions, 2, ages)).astype(dtype),
        "survival": survival.astype(dtype),
        "birth_survival": rng.uniform(0.98, 0.995, (regions, 2)).astype(dtype),
        "asfr": asfr.astype(dtype),
        "sex_ratio_at_birth": dtype(SRB),
    }


def touched_buffer(shape, dtype) -> np.ndarray:
    """A fresh array whose pages are all written once, so later runs pay no first-touch cost."""
    buf = np.empty(shape, dtype=dtype)
    buf.fill(1.0)
    return buf


def project(inputs: dict, years: int, engine: str, dtype, out=None):
    return project_population(
        inputs["base"], inputs["survival"], inputs["birth_survival"], inputs["asfr"],
        inputs["sex_ratio_at_birth"], years, dtype=dtype, engine=engine, out=out,
    )


def timed(run, number: int = 1) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            run()
        return time.perf_counter() - t0
    finally:
        if gc_was_enabled:
            gc.enable()


def median_seconds(run, repeats: int, warmup=None) -> float:
    """Median seconds of one ``run()`` over ``repeats`` timed runs, after one warm-up.

    ``warmup`` (default: ``run``) is called once, untimed. If a run is shorter than
    ``MIN_REPEAT_SECONDS``, each timed repeat loops it enough times to last that long.
    """
    (warmup or run)()
    first = timed(run)
    if first >= MIN_REPEAT_SECONDS:
        times = [first] + [timed(run) for _ in range(repeats - 1)]
        return statistics.median(times)
    number = math.ceil(MIN_REPEAT_SECONDS / max(first, 1e-7))
    return statistics.median(timed(run, number) / number for _ in range(repeats))


def interleaved_times(runs: dict, rounds: int, warmups: dict | None = None) -> dict:
    """Seconds of each of several runs, timed in turns (a, b, c, a, b, c, ...) for ``rounds``.

    Each run gets one untimed warm-up (``warmups[name]`` if given, else the run itself). A run
    without its own warm-up is then timed once more to choose its loop count (as in
    :func:`median_seconds`); one with its own warm-up is a long run, timed once per round.
    Taking turns means a slow drift of the machine hits every run alike, which keeps their
    ratios fair. Returns ``{name: [seconds of round 1, round 2, ...]}``.
    """
    warmups = warmups or {}
    numbers = {}
    for name, run in runs.items():
        warmups.get(name, run)()
        if name in warmups:
            numbers[name] = 1
            continue
        first = timed(run)
        numbers[name] = 1 if first >= MIN_REPEAT_SECONDS else math.ceil(
            MIN_REPEAT_SECONDS / max(first, 1e-7))
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(timed(run, numbers[name]) / numbers[name])
    return times


def prime_engines(engines, dtypes) -> None:
    """Bring the process to the same state whichever table runs first.

    A tiny run of each engine and dtype imports numba and compiles (or loads from its cache)
    each kernel. Then one numpy-engine step on 2 million cells (16 MB temporaries): the numpy
    engine allocates state-sized temporaries every step, and glibc's malloc returns them to the
    system (so the next step page-faults them again) until its dynamic mmap threshold has risen
    past their size; without this the first numpy measurement of a process is several times
    slower than later identical ones. Temporaries above 32 MiB (glibc's cap) fault every step
    whatever was run before.
    """
    for dtype_name in dtypes:
        tiny = make_inputs(1, 2, DTYPES[dtype_name])
        for engine in engines:
            project(tiny, 2, engine, DTYPES[dtype_name])
    if "numpy" in engines:
        project(make_inputs(10, 1000, np.float64), 1, "numpy", np.float64)


def mcy(cells: int, years: int, seconds: float) -> float:
    """Millions of cell-years per second."""
    return cells * years / seconds / 1e6


def busy_cpu_seconds() -> float | None:
    """CPU seconds spent by the whole machine so far, idle and I/O wait excluded (Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def other_load_meter():
    """Start measuring; the returned function gives the share of all CPUs that *other*
    processes used since the start (None where /proc/stat is missing)."""
    busy0, own0, wall0 = busy_cpu_seconds(), own_cpu_seconds(), time.perf_counter()

    def share() -> float | None:
        busy1 = busy_cpu_seconds()
        if busy0 is None or busy1 is None:
            return None
        wall = time.perf_counter() - wall0
        others = (busy1 - busy0) - (own_cpu_seconds() - own0)
        return max(0.0, others) / (wall * os.cpu_count())

    return share


def load_note(share, during: str = "this table") -> str:
    value = share()
    if value is None:
        return ""
    warn = "" if value < 0.02 else "  <- busy machine: these numbers are not clean"
    return f"\nCPU used by other processes during {during}: {value:.1%}{warn}"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# plain-text output


def format_table(headers: list[str], rows: list[list], title: str) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = [title, line, "  ".join(h.rjust(w) for h, w in zip(headers, widths)), line]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(line)
    return "\n".join(out)


def fmt(x: float, digits: int = 3) -> str:
    """``digits`` significant digits, no exponent for ordinary magnitudes."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def emit(text: str = "") -> None:
    print(text, flush=True)


def machine_lines(args) -> list[str]:
    import numba

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or cpu
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - only informative
        blas = "unknown"
    thp = "n/a"
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read().strip()
    except OSError:
        pass
    return [
        f"machine : {cpu}, {os.cpu_count()} logical CPUs, {mem_gib:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"software: Python {platform.python_version()}, numpy {np.__version__} (BLAS {blas}), "
        f"numba {numba.__version__} ({numba.get_num_threads()} threads)",
        f"          transparent huge pages: {thp}",
        f"command : python benchmarks/bench_core.py {' '.join(args.argv)}".rstrip(),
        f"settings: {AGES} single ages, medians of {args.repeats} repeats after 1 warm-up, "
        f"time in seconds",
    ]


# ---------------------------------------------------------------------------------------------
# table 1: throughput


def throughput_rows(sizes, years_list, dtypes, engines, repeats) -> list[list]:
    rows = []
    for size in sizes:
        for dtype_name in dtypes:
            dtype = DTYPES[dtype_name]
            inputs = make_inputs(size.draws, size.regions, dtype)
            buf = touched_buffer((max(years_list) + 1, size.draws, size.regions, 2, AGES), dtype)
            for years in years_list:
                out = buf[: years + 1]
                speed = {}
                for engine in engines:
                    progress(f"throughput {size.label()} {years} y {dtype_name} {engine}")
                    seconds = median_seconds(lambda: project(inputs, years, engine, dtype, out), repeats)
                    speed[engine] = mcy(size.cells, years, seconds)
                row = [size.draws, size.regions, f"{size.cells:,}", years, dtype_name]
                row += [fmt(speed[e]) for e in engines]
                if "numpy" in speed and "numba" in speed:
                    row.append(fmt(speed["numba"] / speed["numpy"], 2))
                rows.append(row)
            del buf, out
    return rows


def throughput_table(sizes, years_list, dtypes, engines, repeats) -> str:
    headers = ["draws", "regions", "cells/yr", "years", "dtype"]
    headers += [f"{e} M cell-yr/s" for e in engines]
    if "numpy" in engines and "numba" in engines:
        headers.append("numba/numpy")
    rows = throughput_rows(sizes, years_list, dtypes, engines, repeats)
    return format_table(headers, rows, "Table 1. Throughput of project_population "
                        "(median M cell-years per second; higher is better)")


# ---------------------------------------------------------------------------------------------
# table 2: peak memory, one subprocess per size and engine


def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss_bytes() -> int:
    """Resident set size now (Linux ``VmRSS``); elsewhere the peak so far."""
    kib = _proc_status_kib("VmRSS")
    return (kib if kib is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def reset_peak_rss() -> bool:
    """Restart the peak-RSS count from the current RSS (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Peak RSS of this process: Linux ``VmHWM``, else ``ru_maxrss`` (KiB on Linux).

    ``VmHWM`` rather than ``ru_maxrss``: after fork and exec, Linux keeps the parent's RSS at
    the fork in the child's ``ru_maxrss``, so a child of a big parent reports the parent's size.
    """
    kib = _proc_status_kib("VmHWM")
    return (kib if kib is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def memory_worker(spec: dict) -> dict:
    """Run in a fresh process: one cold projection (fresh output), then warm runs into it."""
    dtype = DTYPES[spec["dtype"]]
    inputs = make_inputs(spec["draws"], spec["regions"], dtype)
    # One step on the same inputs first: it compiles (or loads from numba's cache) the kernel
    # for exactly these array layouts, which depend on the shapes (a broadcast input is
    # contiguous when draws == 1, strided otherwise). Its small output is freed before measuring.
    project(inputs, 1, spec["engine"], dtype)
    gc.collect()
    reset_peak_rss()
    rss_before = current_rss_bytes()
    t0 = time.perf_counter()
    result = project(inputs, spec["years"], spec["engine"], dtype)
    cold = time.perf_counter() - t0
    peak = peak_rss_bytes()
    output = result.population.nbytes + result.births.nbytes
    warm = statistics.median(
        timed(lambda: project(inputs, spec["years"], spec["engine"], dtype, result.population))
        for _ in range(spec["warm_repeats"])
    )
    return {"rss_before": rss_before, "peak": peak, "output": output, "cold": cold, "warm": warm}


def run_memory_worker(size: Size, engine: str, years: int, repeats: int) -> dict:
    spec = {"draws": size.draws, "regions": size.regions, "engine": engine, "years": years,
            "dtype": "float64", "warm_repeats": min(repeats, 3)}
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-worker", json.dumps(spec)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_table(sizes, engines, years, repeats) -> str:
    mib = 2**20
    rows = []
    for size in sizes:
        for engine in engines:
            progress(f"memory {size.label()} {engine} (subprocess)")
            r = run_memory_worker(size, engine, years, repeats)
            extra = r["peak"] - r["rss_before"]
            rows.append([
                size.draws, size.regions, f"{size.cells:,}", engine,
                fmt(r["output"] / mib), fmt(r["rss_before"] / mib), fmt(r["peak"] / mib),
                fmt(extra / mib),
                fmt(extra / r["output"], 2) if r["output"] >= 10 * mib else "-",
                fmt(r["cold"] / r["warm"], 2),
            ])
    headers = ["draws", "regions", "cells/yr", "engine", "output MiB", "RSS before MiB",
               "peak RSS MiB", "peak-before MiB", "(peak-before)/output", "cold/warm"]
    return format_table(headers, rows, f"Table 2. Peak memory, float64, {years} years, "
                        "one fresh process per row (peak RSS, VmHWM)")


# ---------------------------------------------------------------------------------------------
# table 3: scaling


def scaling_points(factors):
    """(axis, factor, draws, regions, years): each axis grown alone from the base point, whose
    x1 row is measured again before each axis so every ratio compares runs close in time."""
    draws, regions, years = SCALING_BASE
    for axis in ("regions", "draws", "years"):
        for f in factors:
            d = draws * f if axis == "draws" else draws
            r = regions * f if axis == "regions" else regions
            t = years * f if axis == "years" else years
            yield axis, f, d, r, t


def scaling_table(factors, engines, repeats) -> str:
    base_time = {}
    rows = []
    for axis, factor, d, r, t in scaling_points(factors):
        inputs = make_inputs(d, r, np.float64)
        out = touched_buffer((t + 1, d, r, 2, AGES), np.float64)
        row = [axis, f"x{factor}", d, r, t, f"{d * r * 2 * AGES * t:,}"]
        for engine in engines:
            progress(f"scaling {axis} x{factor} {engine}")
            seconds = median_seconds(lambda: project(inputs, t, engine, np.float64, out), repeats)
            if factor == 1:
                base_time[axis, engine] = seconds
            row += [fmt(seconds / base_time[axis, engine], 3),
                    fmt(mcy(d * r * 2 * AGES, t, seconds))]
        rows.append(row)
        del out
    headers = ["grows", "factor", "draws", "regions", "years", "cell-years"]
    for engine in engines:
        headers += [f"{engine} time x", f"{engine} M cell-yr/s"]
    return format_table(headers, rows, "Table 3. Scaling: one of regions, draws, years grows "
                        "from the base point, float64 (time x = median time / base point's)")


# ---------------------------------------------------------------------------------------------
# references: memory bandwidth and the Leslie matrix


def copy_state_per_year(buf: np.ndarray) -> None:
    """The bandwidth limit: year k copied into year k+1, once per year (one thread)."""
    for k in range(buf.shape[0] - 1):
        np.copyto(buf[k + 1], buf[k])


_PARALLEL_COPY = None


def parallel_copy_kernel():
    """``dst[:] = src`` split into contiguous chunks over all numba threads (compiled once)."""
    global _PARALLEL_COPY
    if _PARALLEL_COPY is None:
        import numba

        @numba.njit(parallel=True, nogil=True)
        def copy_chunks(src, dst, n_chunks):
            a = src.reshape(-1)
            b = dst.reshape(-1)
            chunk = (a.size + n_chunks - 1) // n_chunks
            for c in numba.prange(n_chunks):
                for j in range(c * chunk, min(a.size, (c + 1) * chunk)):
                    b[j] = a[j]

        _PARALLEL_COPY = copy_chunks
    return _PARALLEL_COPY


def parallel_copy_state_per_year(buf: np.ndarray) -> None:
    """The bandwidth limit with every core copying: year k into year k+1, once per year."""
    import numba

    kernel = parallel_copy_kernel()
    n_chunks = 8 * numba.get_num_threads()
    for k in range(buf.shape[0] - 1):
        kernel(buf[k], buf[k + 1], n_chunks)


def leslie_matrices(survival, birth_survival, asfr, srb, step: int = 1) -> np.ndarray:
    """One (2A x 2A) projection matrix per region, for the state [females 0..A-1, males 0..A-1].

    ``survival`` (R, 2, A), ``birth_survival`` (R, 2), ``asfr`` (R, A), ``srb`` a number.
    Births come from women at the start and end of the step (module docstring of
    :mod:`capsim.demography`): ``B = n/2 sum_a asfr(a) (N_f(a) + N'_f(a))`` with
    ``N'_f(a+1) = S_f(a) N_f(a)`` and the open group fed by both of its last two groups, so the
    coefficient of ``N_f(a)`` is ``n/2 (asfr(a) + asfr(min(a+1, A-1)) S_f(a))``.
    """
    survival = np.asarray(survival, dtype=np.float64)
    R, _, A = survival.shape
    L = np.zeros((R, 2 * A, 2 * A))
    below = np.arange(A - 1)
    for s in range(2):
        o = s * A
        L[:, o + below + 1, o + below] = survival[:, s, :-1]  # sub-diagonal: a -> a+1
        L[:, o + A - 1, o + A - 1] = survival[:, s, -1]       # open group stays open
    asfr = np.asarray(asfr, dtype=np.float64)
    asfr_next = np.concatenate([asfr[:, 1:], asfr[:, -1:]], axis=1)
    births_per_woman = step / 2.0 * (asfr + asfr_next * survival[:, 0, :])
    birth_survival = np.asarray(birth_survival, dtype=np.float64)
    L[:, 0, :A] = births_per_woman * (birth_survival[:, 0] / (1.0 + srb))[:, None]
    L[:, A, :A] = births_per_woman * (birth_survival[:, 1] * srb / (1.0 + srb))[:, None]
    return L


def _flat_years(pop: np.ndarray, k: int):
    D, R = pop.shape[1:3]
    return pop[k].reshape(D, R, -1), pop[k + 1].reshape(D, R, -1)


def leslie_matvec(pop: np.ndarray, L: np.ndarray) -> None:
    """Textbook: for each year, region and draw, one matrix-vector product."""
    D, R = pop.shape[1:3]
    for k in range(pop.shape[0] - 1):
        x, y = _flat_years(pop, k)
        for r in range(R):
            Lr = L[r]
            for d in range(D):
                y[d, r] = Lr @ x[d, r]


def leslie_region(pop: np.ndarray, L: np.ndarray) -> None:
    """For each year and region, the region's draws stacked: one matrix-matrix product."""
    R = pop.shape[2]
    for k in range(pop.shape[0] - 1):
        x, y = _flat_years(pop, k)
        for r in range(R):
            y[:, r] = x[:, r] @ L[r].T


def leslie_matmul(pop: np.ndarray, L: np.ndarray) -> None:
    """For each year, one batched ``np.matmul`` over all regions (draws stacked)."""
    LT = L.transpose(0, 2, 1)
    for k in range(pop.shape[0] - 1):
        x, y = _flat_years(pop, k)
        np.matmul(x.transpose(1, 0, 2), LT, out=y.transpose(1, 0, 2))


LESLIE_VARIANTS = {
    "leslie matvec": leslie_matvec,
    "leslie region": leslie_region,
    "leslie matmul": leslie_matmul,
}


def leslie_check() -> str:
    """Each Leslie variant against project_population (no migration) on two small cases."""
    lines = []
    for step, ages, years in ((1, AGES, 8), (5, 21, 6)):
        inputs = make_inputs(3, 4, np.float64, ages=ages, seed=1)
        core = project_population(
            inputs["base"], inputs["survival"], inputs["birth_survival"], inputs["asfr"], SRB,
            years, step=step, engine="numpy",
        ).population
        L = leslie_matrices(inputs["survival"], inputs["birth_survival"], inputs["asfr"], SRB, step)
        worst = 0.0
        for name, variant in LESLIE_VARIANTS.items():
            pop = np.zeros_like(core)
            pop[0] = inputs["base"]
            variant(pop, L)
            worst = max(worst, float(np.max(np.abs(pop - core)) / np.max(np.abs(core))))
        if not worst < 1e-12:
            raise SystemExit(f"Leslie reference disagrees with project_population: {worst:.3g}")
        lines.append(f"step {step}, {ages} age groups, 3 draws x 4 regions, {years} steps: "
                     f"max |Leslie - core| / max |core| = {worst:.1e}")
    return "Leslie check (all three variants vs project_population, no migration):\n  " + \
        "\n  ".join(lines)


# ---------------------------------------------------------------------------------------------
# table 4: references and acceptance


def reference_timings(size: Size, years: int, repeats: int, leslie: bool) -> dict:
    """Seconds of each reference and engine at one size, float64 and float32.

    ``t[name, dtype]`` is a median; ``t["rounds", name, dtype]`` the per-round times.
    Copy, parallel copy and core numba take turns for 2 x repeats + 1 rounds. Each slower
    row (numpy engine, Leslie variants) takes turns with the core numba for ``repeats``
    rounds, and ``t["core", name, dtype]`` is that core's median, its own yardstick.
    """
    t = {}
    D, R = size.draws, size.regions
    for dtype_name in ("float64", "float32"):
        dtype = DTYPES[dtype_name]
        inputs = make_inputs(D, R, dtype)
        buf = touched_buffer((years + 1, D, R, 2, AGES), dtype)
        buf[0] = inputs["base"]

        def core(engine="numba"):
            return project(inputs, years, engine, dtype, buf)

        progress(f"reference copy, parallel copy, core numba in turns, {dtype_name}")
        record(t, dtype_name, interleaved_times({
            "copy": lambda: copy_state_per_year(buf),
            "pcopy": lambda: parallel_copy_state_per_year(buf),
            "numba": core,
        }, 2 * repeats + 1))
        if dtype_name == "float64":
            progress("reference core numpy float64, in turns with core numba")
            record(t, dtype_name, interleaved_times(
                {"numpy": lambda: core("numpy"), "numba": core}, repeats), paired="numpy")
        if dtype_name == "float64" and leslie:
            L = leslie_matrices(inputs["survival"], inputs["birth_survival"], inputs["asfr"], SRB)
            for name, variant in LESLIE_VARIANTS.items():
                progress(f"reference {name}, in turns with core numba")
                record(t, dtype_name, interleaved_times(
                    {name: lambda: variant(buf, L), "numba": core}, repeats,
                    warmups={name: lambda: variant(buf[:2], L)}), paired=name)
        if dtype_name == "float64":
            del buf
            progress("cold runs (fresh allocation)")
            t["cold numba", dtype_name] = timed(lambda: project(inputs, years, "numba", dtype))
            gc.collect()
            t["cold copy", dtype_name] = timed(lambda: copy_state_per_year(
                fresh_copy_buffer(inputs["base"], years)))
        del inputs
        gc.collect()
    return t


def record(t: dict, dtype_name: str, turns: dict, paired: str | None = None) -> None:
    """Store medians and rounds; with ``paired``, the core's times go under ("core", paired)."""
    for name, seconds in turns.items():
        key = name if paired is None else (paired if name == paired else ("core", paired))
        key = key if isinstance(key, tuple) else (key,)
        t[key + (dtype_name,)] = statistics.median(seconds)
        t[("rounds",) + key + (dtype_name,)] = seconds


def fresh_copy_buffer(base: np.ndarray, years: int) -> np.ndarray:
    buf = np.empty((years + 1,) + base.shape, dtype=base.dtype)
    buf[0] = base
    return buf


REFERENCE_ROWS = [
    ("copy", "float64", "bandwidth: np.copyto year k -> k+1 (1 thread)"),
    ("pcopy", "float64", "bandwidth: same copy on all cores (numba)"),
    ("numba", "float64", "core, engine numba"),
    ("numpy", "float64", "core, engine numpy"),
    ("leslie matvec", "float64", "Leslie textbook: loop regions x draws, matvec"),
    ("leslie region", "float64", "Leslie: loop regions, draws stacked (matmat)"),
    ("leslie matmul", "float64", "Leslie: one np.matmul over all regions"),
    ("copy", "float32", "bandwidth: np.copyto (1 thread)"),
    ("pcopy", "float32", "bandwidth: copy on all cores (numba)"),
    ("numba", "float32", "core, engine numba"),
]


def reference_table(size: Size, years: int, t: dict) -> str:
    rows = []
    for key, dtype_name, label in REFERENCE_ROWS:
        if (key, dtype_name) not in t:
            continue
        seconds = t[key, dtype_name]
        state_bytes = size.cells * np.dtype(dtype_name).itemsize
        gbs = 2 * state_bytes * years / seconds / 1e9
        yardstick = t.get(("core", key, dtype_name), t["numba", dtype_name])
        rows.append([label, dtype_name, fmt(seconds), fmt(1000 * seconds / years),
                     fmt(mcy(size.cells, years, seconds)), fmt(gbs),
                     fmt(seconds / yardstick, 3)])
    headers = ["what", "dtype", "median s", "ms/year", "M cell-yr/s", "GB/s", "x core"]
    title = (f"Table 4. References at the largest size: {size.label()} x 2 x {AGES} = "
             f"{size.cells:,} cells/yr, {years} years (x core = time / time of the core "
             "numba, same dtype, timed in turns with it)")
    cold = [
        "Cold runs, once each, fresh output allocated inside the timing (float64):",
        f"  core numba  : cold / warm median = {t['cold numba', 'float64'] / t['numba', 'float64']:.2f}",
        f"  np.copyto   : cold / warm median = {t['cold copy', 'float64'] / t['copy', 'float64']:.2f}",
        f"  cold core / cold copy time = {t['cold numba', 'float64'] / t['cold copy', 'float64']:.2f}"
        " (both include first-touch page faults)",
    ]
    return format_table(headers, rows, title) + "\n" + "\n".join(cold)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def paired_ratio(t: dict, name: str) -> tuple[float, str]:
    """Median time of ``name`` / median time of the core numba it took turns with (float64),
    and the range of the per-round ratios as text."""
    core_key = ("numba",) if ("core", name, "float64") not in t else ("core", name)
    ratio = t[name, "float64"] / t[core_key + ("float64",)]
    rounds = sorted(r / c for r, c in zip(t["rounds", name, "float64"],
                                           t[("rounds",) + core_key + ("float64",)]))
    spread = f"(per round {rounds[0]:.3g} to {rounds[-1]:.3g}, {len(rounds)} rounds)"
    return ratio, spread


def acceptance_lines(size: Size, years: int, t: dict) -> list[str]:
    share, share_spread = paired_ratio(t, "copy")
    lines = [
        f"Acceptance at {size.label()} x 2 x {AGES} = {size.cells:,} cells/yr, {years} years, "
        "float64, engine numba (ratios of medians timed in turns):",
        f"  core speed / bandwidth limit = np.copyto time / core time = {share:5.2f}"
        f"   need >= 0.50   {verdict(share >= 0.5)}   {share_spread}",
    ]
    if ("leslie matvec", "float64") not in t:
        return lines + ["  Leslie reference skipped (--no-leslie): criterion not evaluated"]
    textbook, textbook_spread = paired_ratio(t, "leslie matvec")
    fastest = min(LESLIE_VARIANTS, key=lambda name: paired_ratio(t, name)[0])  # smallest ratio
    fast, fast_spread = paired_ratio(t, fastest)
    all_core, all_core_spread = paired_ratio(t, "pcopy")
    return lines + [
        f"  Leslie textbook (matvec) time / core time                 = {textbook:5.1f}"
        f"   need >= 10     {verdict(textbook >= 10)}   {textbook_spread}",
        "Stricter, for information (not the issue's criteria):",
        f"  core speed / all-core copy = parallel copy time / core time = {all_core:5.2f}"
        f"   >= 0.50: {verdict(all_core >= 0.5)}   {all_core_spread}",
        f"  Leslie variant nearest the core ({fastest}) time / core time = {fast:5.1f}"
        f"   >= 10: {verdict(fast >= 10)}   {fast_spread}",
    ]


# ---------------------------------------------------------------------------------------------
# command line


def parse_sizes(text: str) -> list[Size]:
    sizes = []
    for item in text.split(","):
        draws, regions = item.lower().split("x")
        sizes.append(Size(int(draws), int(regions)))
    return sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"short run: sizes {QUICK_SIZES}, 20 years, 3 repeats, fewer scaling steps")
    p.add_argument("--sizes", help=f"DRAWSxREGIONS,... (default {DEFAULT_SIZES}); the largest is "
                   "also used for the references")
    p.add_argument("--years", help="comma-separated horizons (default 20,30)")
    p.add_argument("--repeats", type=int, help="timed runs per median (default 5, quick 3)")
    p.add_argument("--dtypes", default="float64,float32", help="for table 1 (default both)")
    p.add_argument("--engines", default="numpy,numba", help="default numpy,numba")
    p.add_argument("--tables", default=",".join(TABLES),
                   help="which tables to run (default all)")
    p.add_argument("--no-leslie", action="store_true", help="skip the Leslie references")
    p.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = argv
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    args.years = [int(y) for y in (args.years or ("20" if args.quick else "20,30")).split(",")]
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.dtypes = args.dtypes.split(",")
    args.engines = args.engines.split(",")
    args.tables = args.tables.split(",")
    args.factors = [1, 4, 16] if args.quick else [1, 2, 4, 8, 16]  # first must be 1
    for option, values, allowed in (("--dtypes", args.dtypes, DTYPES),
                                    ("--engines", args.engines, ("numpy", "numba")),
                                    ("--tables", args.tables, TABLES)):
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            p.error(f"{option}: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(json.loads(args.memory_worker))))
        return 0
    started = time.perf_counter()
    whole_run = other_load_meter()
    emit("capsim projection core benchmark")
    for line in machine_lines(args):
        emit(line)
    largest = max(args.sizes, key=lambda s: s.cells)
    prime_engines(("numpy", "numba"), ("float64", "float32"))
    if "throughput" in args.tables:
        share = other_load_meter()
        emit()
        emit(throughput_table(args.sizes, args.years, args.dtypes, args.engines, args.repeats)
             + load_note(share))
    if "memory" in args.tables:
        share = other_load_meter()
        emit()
        emit(memory_table(args.sizes, args.engines, max(args.years), args.repeats)
             + load_note(share))
    if "scaling" in args.tables:
        share = other_load_meter()
        emit()
        emit(scaling_table(args.factors, args.engines, args.repeats) + load_note(share))
    if "reference" in args.tables:
        share = other_load_meter()
        emit()
        if not args.no_leslie:
            emit(leslie_check())
            emit()
        t = reference_timings(largest, max(args.years), args.repeats, not args.no_leslie)
        emit(reference_table(largest, max(args.years), t) + load_note(share))
        emit()
        for line in acceptance_lines(largest, max(args.years), t):
            emit(line)
    emit()
    emit(f"total benchmark time: {time.perf_counter() - started:.0f} s"
         + load_note(whole_run, "the whole run"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
