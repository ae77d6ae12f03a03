"""Benchmark of the capacity assessment: students to schools and class counts at scale.

    python benchmarks/bench_assess.py [--schools 10000] [--years 20] [--repeats 5]

A synthetic district system (schools spread over 500 regions, one level of 6 grades, 2 % of
schools opening later, 1 % closing, intake caps on) is assessed as capsim.assess does it:
allocation of region pupils to schools (capsim.allocation.allocate), class splits and
oversized counts (capsim.capacity.class_split) and the tidy per-grade table. Medians over
repeats; the first (warm-up) run is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from capsim.allocation import Units, allocate
from capsim.assessment import _grade_frame
from capsim.capacity import class_split


def synthetic(schools: int, years: int, regions: int = 500, grades: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    region = rng.integers(0, regions, schools)
    classes = rng.integers(2, 8, size=(schools, 1)) * np.ones((1, grades))
    base = classes * rng.uniform(35, 60, size=(schools, grades))
    yr = np.arange(years + 1)[:, None]
    opened = np.where(rng.random(schools) < 0.02, rng.integers(1, years, schools), 0)
    closed = np.where(rng.random(schools) < 0.01, rng.integers(1, years, schools), years + 1)
    is_open = (opened <= yr) & (closed > yr)
    base[opened > 0] = np.nan
    P0 = np.zeros((regions, grades))
    np.add.at(P0, region, np.nan_to_num(base))
    trend = 1 + 0.02 * np.sin(np.arange(years + 1) / 3)[:, None, None]
    P = P0[None] * trend
    units = Units(region=region, is_open=is_open, base=base, classes=classes,
                  intake_cap=np.broadcast_to(classes[:, 0] * 45.0, is_open.shape), weight_new=classes[:, 0] * 45.0)
    return P, units


def run(P, units, years):
    t0 = time.perf_counter()
    S, unplaced = allocate(P, units)
    t1 = time.perf_counter()
    classes = units.classes[None] * units.is_open[..., None]
    counts = class_split(S, classes, 45)
    t2 = time.perf_counter()
    ids = tuple(f"s{i}" for i in range(len(units.region)))
    frame = _grade_frame(S, classes, classes * 45.0, counts, ids, np.arange(len(ids)), "primary",
                         list(range(2020, 2021 + years)))      # lawful seats: every class at the standard
    t3 = time.perf_counter()
    assert np.allclose(S.sum(axis=1) + unplaced.sum(axis=1), P.sum(axis=1))
    return t1 - t0, t2 - t1, t3 - t2, len(frame)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    P, units = synthetic(args.schools, args.years)
    run(P, units, args.years)
    times = [run(P, units, args.years) for _ in range(args.repeats)]
    alloc, classes, frame = (statistics.median(t[i] for t in times) for i in range(3))
    total = alloc + classes + frame
    print(f"assessment of {args.schools:,} schools x {args.years} years x 6 grades "
          f"({times[0][3]:,} school-grade-years), median of {args.repeats}")
    print(f"{'step':<28}{'seconds':>10}{'share':>8}")
    for name, t in (("allocation to schools", alloc), ("class splits and counts", classes),
                    ("tidy per-grade table", frame), ("total", total)):
        print(f"{name:<28}{t:>10.3f}{t / total:>8.0%}")


if __name__ == "__main__":
    main()
