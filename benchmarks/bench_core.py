"""Benchmarks of the projection core, :func:`capsim.project_population`.

Run from the repository root::

    python benchmarks/bench_core.py            # default run, about 8 minutes on 2 cores
    python benchmarks/bench_core.py --quick    # short run, about a minute
    python benchmarks/bench_core.py --json benchmarks/results/core.json   # also save the results
    python benchmarks/bench_core.py --help     # sizes, years, repeats, tables

Words used below: a *cell* is one (draw, region, sex, age) entry of the state, so one year of a
projection has ``cells = draws x regions x 2 x ages`` cells (ages = 101 single years, 0..100+),
and a run of ``years`` steps does ``cell-years = cells x years`` of work. Throughput is in
millions of cell-years per second (M cell-yr/s).

How every time is taken: one warm-up run first (it compiles the numba kernels and starts the
thread pools; it is not counted), then ``--repeats`` timed runs; each table quotes the
*median* of those runs. Runs shorter than 0.1 s are looped so one timed run lasts at least 0.1 s.
The core always writes into the same preallocated ``out=`` buffer, touched (written) before
timing, so the operating system's first-touch page faults are not counted; every reference
works in the same kind of touched buffer. A "cold" line shows, once, what a fresh allocation
costs. Before any table, a tiny run of each engine imports numba and loads its kernels, and
one numpy-engine step on 2 million cells raises glibc's dynamic mmap threshold (see
:func:`prime_engines`), so each table measures the same process state whichever runs first.
Each table ends with the share of the CPUs that *other* processes used meanwhile (from
/proc/stat): on 2 cores a single busy process slows the parallel numba kernel several-fold,
so only tables with a share near 0 are clean.

The inputs mimic a real run: survival, fertility and birth survival vary by region, sex and
age but are shared by all draws and years (they broadcast, as the core allows), the base
population varies by draw and region, no migration, one-year steps, sex ratio 1.05.

Results: the tables are built by ``core_report.py`` from what was measured (raw seconds of every
round); ``--json FILE`` saves that, and ``python benchmarks/core_report.py`` renders the
README's section from the saved file, so no table in the README is typed by hand.

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
3. Scaling. Time as one of regions, draws, years or ages grows alone from a base point (10
   draws, 100 regions, 10 years, 101 ages) by x1, x2, x4, ...; "time x" is the median time over
   the base point's (the x1 row, measured again before each axis); ages grow as a longer row of
   age groups. Linear scaling means "time x" equals the factor; M cell-yr/s then stays flat.
   ``core_report.py`` fits each axis's slope on a log-log scale and draws the plot.
4. References, at the largest size and longest horizon, float64 and float32 (see
   ``core_references.py`` for each): reading the state only (all cores), copying year k into
   year k+1 on all cores (numba ``prange``, as many threads as the core) and on one
   (``np.copyto``), the core at all threads and at one, and the textbook Leslie product as a
   competent user writes it: one batched dense ``np.matmul`` per year over all regions and
   draws, and one sparse block-diagonal (scipy.sparse) product per year. Both Leslie forms are
   checked against ``project_population`` before timing. All rows of one dtype take turns,
   a b c ... a b c ..., for ``--repeats`` rounds, so a slow drift of the machine hits them
   alike; "x core" is a row's median over the core's median, with the range of the per-round
   ratios. The headline compares the core with the *best* reference: the faster of the two
   copies (the most the machine streamed) and the faster of the two Leslie forms, against the
   issue's marks (core speed >= 0.9 of the best copy's, best Leslie >= 10x the core's time).
"""

from __future__ import annotations

import argparse
import datetime
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
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, however run

import core_references as refs  # noqa: E402
import core_report  # noqa: E402

from capsim import project_population  # noqa: E402

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


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)



def emit(text: str = "") -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------------------------------
# which kernels ran: machine, numpy's BLAS and SIMD, numba's threads and target


def _openblas() -> tuple[str, str]:
    """(threads, kernel) of the OpenBLAS numpy loaded, asked through its own C API (Linux)."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
        lib = ctypes.CDLL(libs[0])
    except (OSError, IndexError):
        return "?", "unknown"
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            try:
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                core = getattr(lib, f"{prefix}get_corename{suffix}")
            except AttributeError:
                continue
            core.restype = ctypes.c_char_p
            return str(threads()), core().decode()
    return "?", "unknown"


def machine_info() -> dict:
    """What ran: CPU, memory, numpy's BLAS (threads, kernel) and SIMD, numba's threads, layer and
    target. Call after a parallel numba run (the threading layer is chosen at the first one)."""
    import llvmlite.binding as llvm
    import numba
    import scipy

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        blas = f"{blas['name']} {blas.get('version', '')}".strip()
        simd = config.get("SIMD Extensions", {})
        numpy_simd = f"baseline {','.join(simd.get('baseline', []))}, found {','.join(simd.get('found', []))}"
    except Exception:  # noqa: BLE001 - only informative
        blas, numpy_simd = "unknown", "unknown"
    blas_threads, blas_kernel = _openblas()
    features = llvm.get_host_cpu_features()
    widest = next((f"{name} ({bits}-bit)" for name, bits in (("avx512f", 512), ("avx2", 256), ("avx", 256),
                                                            ("sse2", 128), ("neon", 128)) if features.get(name)),
                  "unknown")
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = "not yet chosen"
    thp = "n/a"
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read().strip()
    except OSError:
        pass
    release = ".".join(platform.release().split(".")[:2])
    return {
        "cpu": cpu, "logical_cpus": os.cpu_count(),
        "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "os": f"{platform.system()} {release}", "python": platform.python_version(),
        "numpy": np.__version__, "numba": numba.__version__, "scipy": scipy.__version__,
        "blas": blas, "blas_threads": blas_threads, "blas_kernel": blas_kernel, "numpy_simd": numpy_simd,
        "numba_threads": numba.get_num_threads(), "numba_layer": layer,
        "numba_cpu": llvm.get_host_cpu_name(), "numba_simd": widest, "thp": thp,
    }


# ---------------------------------------------------------------------------------------------
# table 1: throughput


def throughput_part(sizes, years_list, dtypes, engines, repeats) -> dict:
    rows = []
    for size in sizes:
        for dtype_name in dtypes:
            dtype = DTYPES[dtype_name]
            inputs = make_inputs(size.draws, size.regions, dtype)
            buf = touched_buffer((max(years_list) + 1, size.draws, size.regions, 2, AGES), dtype)
            for years in years_list:
                out = buf[: years + 1]
                seconds = {}
                for engine in engines:
                    progress(f"throughput {size.label()} {years} y {dtype_name} {engine}")
                    seconds[engine] = median_seconds(lambda: project(inputs, years, engine, dtype, out), repeats)
                rows.append({"draws": size.draws, "regions": size.regions, "years": years,
                             "dtype": dtype_name, "seconds": seconds})
            del buf, out
    return {"engines": engines, "rows": rows}


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




def memory_part(sizes, engines, years, repeats) -> dict:
    rows = []
    for size in sizes:
        for engine in engines:
            progress(f"memory {size.label()} {engine} (subprocess)")
            r = run_memory_worker(size, engine, years, repeats)
            rows.append({"draws": size.draws, "regions": size.regions, "engine": engine, **r})
    return {"years": years, "rows": rows}


# ---------------------------------------------------------------------------------------------
# table 3: scaling


def scaling_points(factors):
    """(axis, factor, draws, regions, years, ages): each axis grown alone from the base point,
    whose x1 row is measured again before each axis so every ratio compares runs close in time.
    Ages grow as more age groups in a row (a row of 101 single years x the factor): the length
    of the kernel's inner loops, whatever ages they stand for."""
    draws, regions, years = SCALING_BASE
    for axis in ("regions", "draws", "years", "ages"):
        for f in factors:
            d = draws * f if axis == "draws" else draws
            r = regions * f if axis == "regions" else regions
            t = years * f if axis == "years" else years
            a = AGES * f if axis == "ages" else AGES
            yield axis, f, d, r, t, a


def scaling_part(factors, engines, repeats) -> dict:
    rows = []
    for axis, factor, d, r, t, a in scaling_points(factors):
        inputs = make_inputs(d, r, np.float64, ages=a)
        out = touched_buffer((t + 1, d, r, 2, a), np.float64)
        seconds = {}
        for engine in engines:
            progress(f"scaling {axis} x{factor} {engine}")
            seconds[engine] = median_seconds(lambda: project(inputs, t, engine, np.float64, out), repeats)
        rows.append({"axis": axis, "factor": factor, "draws": d, "regions": r, "years": t, "ages": a,
                     "seconds": seconds})
        del out
    return {"engines": engines, "rows": rows}


# ---------------------------------------------------------------------------------------------
# table 4: references, all timed in turns with the core


def one_thread(run):
    """``run`` with numba limited to one thread (restored after)."""
    import numba

    def limited():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return run()
        finally:
            numba.set_num_threads(threads)

    return limited


def reference_part(size: Size, years: int, repeats: int, leslie: bool) -> dict:
    """Seconds of every round of each reference and the core, per dtype, and two cold runs.

    All rows of one dtype take turns for ``repeats`` rounds. Each is warmed up first; a Leslie
    form's warm-up is a one-year run (nothing to compile, and a full run takes seconds)."""
    D, R = size.draws, size.regions
    part = {"draws": D, "regions": R, "years": years, "rounds": {}}
    for dtype_name in ("float64", "float32"):
        dtype = DTYPES[dtype_name]
        inputs = make_inputs(D, R, dtype)
        buf = touched_buffer((years + 1, D, R, 2, AGES), dtype)
        buf[0] = inputs["base"]

        def core():
            return project(inputs, years, "numba", dtype, buf)

        runs = {"read": lambda: refs.read_all_cores(buf), "pcopy": lambda: refs.copy_all_cores(buf),
                "copy": lambda: refs.copy_one_core(buf), "core": core, "core1": one_thread(core)}
        warmups = {}
        if leslie:
            L = refs.leslie_matrices(inputs["survival"], inputs["birth_survival"], inputs["asfr"], SRB, dtype=dtype)
            B = refs.block_diagonal(L)
            runs["dense"] = lambda: refs.leslie_dense(buf, L)
            runs["sparse"] = lambda: refs.leslie_sparse(buf, B)
            warmups = {"dense": lambda: refs.leslie_dense(buf[:2], L),
                       "sparse": lambda: refs.leslie_sparse(buf[:2], B)}
        progress(f"references, {dtype_name}: {', '.join(runs)} in turns, {repeats} rounds")
        part["rounds"][dtype_name] = interleaved_times(runs, repeats, warmups)
        if dtype_name == "float64":
            del buf
            gc.collect()
            progress("cold runs (fresh allocation)")
            cold_core = timed(lambda: project(inputs, years, "numba", dtype))
            gc.collect()
            cold_copy = timed(lambda: refs.copy_one_core(fresh_copy_buffer(inputs["base"], years)))
            part["cold"] = {"core": cold_core, "copy": cold_copy}
        del inputs
        gc.collect()
    return part


def fresh_copy_buffer(base: np.ndarray, years: int) -> np.ndarray:
    buf = np.empty((years + 1,) + base.shape, dtype=base.dtype)
    buf[0] = base
    return buf


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
    p.add_argument("--repeats", type=int, help="timed runs per median, rounds of the references "
                   "(default 5, quick 3)")
    p.add_argument("--dtypes", default="float64,float32", help="for table 1 (default both)")
    p.add_argument("--engines", default="numpy,numba", help="default numpy,numba")
    p.add_argument("--tables", default=",".join(TABLES),
                   help="which tables to run (default all)")
    p.add_argument("--no-leslie", action="store_true", help="skip the Leslie references")
    p.add_argument("--json", metavar="FILE", help="also save the results (raw seconds) to FILE, "
                   "from which core_report.py renders the README's tables")
    p.add_argument("--note", help="a sentence saved with the results, e.g. what else ran on the machine")
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


def command_line(args) -> str:
    """The command as typed, without --json/--note (where the results went is not the run)."""
    shown, skip = [], False
    for a in args.argv:
        if skip:
            skip = False
        elif a in ("--json", "--note"):
            skip = True
        elif not a.startswith(("--json=", "--note=")):
            shown.append(a)
    return " ".join(["python benchmarks/bench_core.py", *shown])


def measure(args, res: dict, show) -> None:
    """Run the chosen tables in order, storing each part in ``res`` and showing it when done."""
    largest = max(args.sizes, key=lambda s: s.cells)
    parts = {
        "throughput": lambda: throughput_part(args.sizes, args.years, args.dtypes, args.engines, args.repeats),
        "memory": lambda: memory_part(args.sizes, args.engines, max(args.years), args.repeats),
        "scaling": lambda: scaling_part(args.factors, args.engines, args.repeats),
        "reference": lambda: reference_part(largest, max(args.years), args.repeats, not args.no_leslie),
    }
    for name in TABLES:
        if name not in args.tables:
            continue
        if name == "reference" and not args.no_leslie:
            res["leslie_check"] = refs.leslie_check(make_inputs, SRB)
            show("Leslie check (dense and sparse forms against project_population, no migration):\n  "
                 + "\n  ".join(res["leslie_check"]) + "\n")
        share = other_load_meter()
        res[name] = parts[name]()
        res[name]["other_cpu"] = share()
        show(next(t for t in core_report.tables({**res, name: res[name]})
                  if t.title.startswith(f"Table {TABLES.index(name) + 1}.")).text() + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(json.loads(args.memory_worker))))
        return 0
    started = time.perf_counter()
    whole_run = other_load_meter()
    prime_engines(("numpy", "numba"), ("float64", "float32"))
    res = {"command": command_line(args), "note": args.note, "date": datetime.date.today().isoformat(),
           "machine": machine_info(), "ages": AGES, "repeats": args.repeats}
    emit("capsim projection core benchmark")
    for line in core_report.machine_lines(res):
        emit(line)
    emit()
    measure(args, res, emit)
    if "reference" in res:
        for line in core_report.headline(res):
            emit(line)
        emit()
    res["total_seconds"] = time.perf_counter() - started
    res["other_cpu"] = whole_run()
    for line in core_report.footer(res):
        emit(line)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
