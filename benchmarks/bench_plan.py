"""Benchmark of the planner: model building and solving timed apart, solvers side by side.

    python benchmarks/bench_plan.py [--sizes xining province] [--formulations step pulse]
                                    [--seeds 0 1 2 3] [--time-limit 120] [--repeats 3]
                                    [--rezoning-cost 300]

Synthetic instances shaped like the seed plans:
* xining: 171 projects, 7 districts, 4 levels, 10 years, 8.8 billion yuan in total and
  2.2 billion a year (Xining's 14th five-year programme), ~59,500 yuan a seat;
* xining_grades: the same, planned grade by grade as ``capsim plan`` does with a school list
  (:mod:`capsim.planner.cells`): 15 cells (3 + 6 + 3 + 3 grades) per district, each cohort
  10-20 % above or below its level's mean as it moves up the grades, each project's seats
  spread evenly over its levels' grades;
* xining_classes, xining_zones: the same planned in whole classes (:mod:`capsim.planner.classes`,
  the default with a school list): each district's (or, zoned, each of its 5 zones') cohorts
  of 15 grades, 150-300 pupils a grade per district 10-20 % above or below the mean as they move
  up, plus the growth of ``xining``; classrooms for the first year's pupils at the standard
  (45, 50; kindergarten 25/30/35); a project's seats as classrooms of its levels;
* xining_schools: the same at school granularity (:mod:`capsim.planner.entrants`): 25 schools of
  each level in each district, each its own pool with a random share of the district's pupils
  in the first year and classrooms for them, every candidate a new school of its own; the plan
  chooses where each entering cohort goes; xining_pooled: the same instance with each
  district's schools pooled (:func:`capsim.planner.by_school.region_relaxation`), whose optimum
  bounds the school plan's cost;
* province: 2,000 projects, 200 regions, 4 levels, 15 years, budgets scaled alike;
* city_single, city_split: the catchment level, 120 areas, 40 schools and 15 candidate new
  schools in one city, 2 levels, 10 years, pairs within 3 km (:func:`city`), single or split
  assignment; single assignment is solved as ``capsim plan`` solves it, from a start
  (:mod:`capsim.planner.single`), with capsim's default rezoning cost (a pupil-km of travel a
  year per pupil rezoned, ``--rezoning-cost``); its row also counts the zoning changes (area-level-years whose school
  is not that of the last year it was zoned) and, of those, the returns to a school the area had left.
  The reference for single assignment is the solver ``highs-whole``: the whole model handed to
  HiGHS as it is (no split plan, rounding or neighbourhoods), with the same time limit and gap,
  in the same run.
Demand grows with noise so that some shortfall is worth buying and some is not. The same arrays
are solved by HiGHS and CBC through PuLP and by scipy's milp (HiGHS without PuLP), in both
formulations of :mod:`capsim.planner.formulation` (step: open by year t; pulse: opens in year t).
Medians over repeats; "build" is building the model's arrays, changing its variables and turning
them into the solver's model, "solve" the solver's own time.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from dataclasses import replace

import numpy as np

from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, zoned_site
from capsim.planner.formulation import FORMULATIONS, arrays, solve_arrays
from capsim.planner.projects import Projects
from capsim.planner.solve import solve_with

SIZES = {"xining": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-3),
         "xining_grades": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-3, grades=(3, 6, 3, 3)),
         "xining_classes": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-3, grades=(3, 6, 3, 3), classes=True),
         "xining_zones": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-3, grades=(3, 6, 3, 3), classes=True, zones=5),
         "xining_schools": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-2, grades=(3, 6, 3, 3), classes=True,
                                schools=25),
         "xining_pooled": dict(P=171, R=7, Y=10, budget=8.8e9, gap=1e-2, grades=(3, 6, 3, 3), classes=True,
                               schools=25, pooled=True),
         "province": dict(P=2000, R=200, Y=15, budget=8.8e9 * 2000 / 171, gap=1e-2),
         "city_single": dict(A=120, S=40, N=15, Y=10, radius=3.0, single=True, gap=1e-2),
         "city_split": dict(A=120, S=40, N=15, Y=10, radius=3.0, single=False, gap=1e-2),
         # issue 25's one-year cities: pupils scaled to the sites' seats, the city grown with them
         "city200_split": dict(A=200, S=50, N=10, Y=1, radius=np.inf, single=False, gap=1e-4, scaled=True),
         "city200_single": dict(A=200, S=50, N=10, Y=1, radius=np.inf, single=True, gap=1e-2, scaled=True),
         "city1000_split": dict(A=1000, S=80, N=20, Y=1, radius=np.inf, single=False, gap=1e-4, scaled=True),
         "city1000_single": dict(A=1000, S=80, N=20, Y=1, radius=np.inf, single=True, gap=1e-2, scaled=True),
         "city3000_split": dict(A=3000, S=80, N=20, Y=1, radius=np.inf, single=False, gap=1e-4, scaled=True),
         "city3000_single": dict(A=3000, S=80, N=20, Y=1, radius=np.inf, single=True, gap=1e-2, scaled=True)}
LEVELS = ("kindergarten", "primary", "junior", "senior")
TYPES = {"kindergarten": (1, 0, 0, 0), "primary": (0, 1, 0, 0), "junior": (0, 0, 1, 0), "senior": (0, 0, 0, 1),
         "nine_year": (0, 2 / 3, 1 / 3, 0)}
WHOLE = "highs-whole"   # the reference: the whole model straight to HiGHS, as a user of PuLP would hand it over


def instance(seed=0, **spec):
    """The planning inputs of a size of SIZES."""
    return city(seed=seed, **spec) if "A" in spec else regions(seed=seed, **spec)


def city(A, S, N, Y, radius, single, seed=0, rezoning=300.0, scaled=False, **_):
    """A catchment instance: a 12 x 12 km city of A areas (100-600 pupils of primary and of junior
    school age, growing up to 40 % over Y years), S schools (primary or junior, 900-2,700 seats)
    and N candidate new schools (1,350 or 2,250 seats, 60,000 yuan a seat); 300 yuan per pupil-km
    a year and ``rezoning`` yuan per pupil rezoned (capsim's default: a pupil-km of travel a
    year); pairs within ``radius`` km only; a total budget of a third of all candidates.
    ``scaled``: the city's side grows with the square root of the sites (as many sites per km2 as
    the 40-school city) and each area's pupils shrink so that all the areas hold as many pupils
    as 120 areas per 40 schools would."""
    rng = np.random.default_rng(seed)
    side = 12 * np.sqrt(S / 40) if scaled else 12
    where = rng.uniform(0, side, (A + S + N, 2))
    km = np.hypot(*(where[:A, None, :] - where[None, A:, :]).transpose(2, 0, 1))
    level = rng.integers(0, 2, S + N)
    growth = rng.uniform(0, 0.4, (A, 1, 1)) * np.linspace(0, 1, Y)      # (A, 1, Y)
    pupils = rng.uniform(100, 600, (A, 2))[:, :, None] * (1 + growth) * (120 / A * S / 40 if scaled else 1)
    seats = np.zeros((S + N, 2, Y))
    seats[np.arange(S), level[:S]] = rng.integers(20, 60, S)[:, None] * 45.0
    new_seats = rng.choice([1350.0, 2250.0], N)
    split = np.zeros((N, 2))
    split[np.arange(N), level[S:]] = new_seats
    first = 2025
    projects = Projects(ids=tuple(f"n{i}" for i in range(N)), names=tuple(f"n{i}" for i in range(N)),
                        region=np.zeros(N, int), kind=np.full(N, "new"),
                        type=np.where(level[S:] == 0, "primary", "junior"), school=np.full(N, -1),
                        levels=("primary", "junior"), seats=split, cost=new_seats * 60_000,
                        build_years=np.full(N, 2.0), earliest=np.full(N, first + (1.0 if Y > 1 else 0.0)),
                        latest=np.full(N, first + Y - 1.0), committed=np.full(N, np.nan), group=np.full(N, ""),
                        requires=np.full(N, -1), duration=np.full(N, np.inf))
    catch = Catchment(pupils=pupils, area_region=np.zeros(A, int), seats=seats, project_site=S + np.arange(N),
                      cost=np.where(km <= radius, 300 * km, np.inf), single=single, rezoning_cost=rezoning)
    return milp.PlanInputs(years=np.arange(first, first + Y), need=np.zeros((1, 2, Y)), projects=projects,
                           budget_total=(new_seats * 60_000).sum() / 3, discount_rate=0.03, penalty=150_000,
                           catchment=catch)


def regions(P, R, Y, budget, seed=0, grades=None, classes=False, zones=1, schools=0, **_):
    """A region-level instance (see the module docstring); ``grades`` per level plans by grade,
    ``classes`` in whole classes (in ``zones`` zones of each region, or ``schools`` schools of each
    level in each region, each its own pool)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(list(TYPES), P, p=[0.25, 0.3, 0.2, 0.1, 0.15])
    seats = rng.integers(4, 30, P) * 45.0
    split = np.array([TYPES[k] for k in kinds]) * seats[:, None]
    cost = seats * rng.uniform(45_000, 75_000, P)
    first = 2022
    earliest = first + rng.integers(0, 3, P)
    committed = np.where(rng.random(P) < 0.08, earliest + 1, np.nan)
    group = np.where((rng.random(P) < 0.1) & ~np.isfinite(committed),  # a committed project has no alternatives
                     np.array([f"g{i % (P // 20 + 1)}" for i in range(P)]), "")
    projects = Projects(ids=tuple(f"p{i}" for i in range(P)), names=tuple(f"p{i}" for i in range(P)),
                        region=rng.integers(0, R, P), kind=np.full(P, "new"), type=kinds, school=np.full(P, -1),
                        levels=LEVELS, seats=split, cost=cost, build_years=rng.integers(1, 4, P).astype(float),
                        earliest=earliest.astype(float), latest=np.full(P, first + Y - 1.0), committed=committed,
                        group=group, requires=np.full(P, -1), duration=np.full(P, np.inf))
    per_region = seats.sum() / R / len(LEVELS) * 0.8
    need = np.cumsum(rng.uniform(0, 2 * per_region / Y, size=(R, len(LEVELS), Y)), axis=2)
    years = np.arange(first, first + Y)
    fixed = np.flatnonzero(np.isfinite(committed))
    committed_spend = sum((milp.spending(projects, years)[i, np.searchsorted(years, committed[i])] for i in fixed),
                          np.zeros(Y))
    yearly = np.maximum(budget / 4, 1.1 * committed_spend)  # the commitments must fit, or no plan exists
    cell_seats = cohorts = None
    if grades:
        need, cell_seats = by_grade(need, split, grades, rng)
    if classes:
        cohorts = class_pools(need, split, grades, zones, projects.region, rng) if not schools else \
            school_pools(need, split, grades, schools, projects.region, rng, years)
        need, cell_seats = cohorts.pupils, None
    return milp.PlanInputs(years=years, need=need, projects=projects, budget_yearly=yearly,
                           budget_total=max(budget, 1.1 * committed_spend.sum()), discount_rate=0.03,
                           penalty=150_000, cell_seats=cell_seats, cohorts=cohorts)


STANDARDS = ((25, 30, 35), (45,) * 6, (50,) * 3, (50,) * 3)


def class_pools(growth, seats, grades, zones, region, rng):
    """The class model's inputs (module docstring): ``growth`` (R, K, Y) pupils added by grade,
    ``zones`` pools per region (a project in a random zone of its region)."""
    from capsim.planner.classes import Cohorts

    R, K, Y = growth.shape
    level = np.repeat(np.arange(len(grades)), grades)
    std = np.concatenate([s[:g] for s, g in zip(STANDARDS, grades)]).astype(float)
    shape = (R, len(grades), Y + max(grades))
    cohort = 1 + rng.uniform(0.1, 0.2, shape) * rng.choice([-1, 1], shape)
    grade = np.concatenate([np.arange(g) for g in grades])
    swing = cohort[:, level[:, None], np.arange(Y)[None, :] - grade[:, None] + max(grades)]
    pupils = (rng.uniform(150, 300, (R, 1, 1)) * swing + growth)                   # (R, K, Y)
    share = rng.dirichlet(np.ones(zones), R)                                       # (R, zones)
    pupils = (pupils[:, None] * share[:, :, None, None]).reshape(R * zones, K, Y)
    rooms = np.zeros((R * zones, len(grades), Y))
    np.add.at(rooms, (slice(None), level), np.ceil(pupils[:, :, :1] / std[None, :, None]))
    rooms = np.broadcast_to(rooms[:, :, :1], rooms.shape).copy()
    base = np.where(grade[None, :] > 0, np.ceil(pupils[:, :, 0] / std[None, :]), 0.0)
    means = np.array([np.mean(s) for s in STANDARDS])
    return Cohorts(np.asarray(grades), level, grade + 1, std, pupils, rooms, base,
                   np.rint(seats / means[None, :]).astype(int), means,
                   project_pool=region * zones + rng.integers(0, zones, len(region)),
                   pool_region=np.repeat(np.arange(R), zones), pools=tuple(f"z{i}" for i in range(zones)) * R)


def school_pools(growth, seats, grades, n, region, rng, years):
    """The class model's inputs at school granularity: the pupils of :func:`class_pools` (one zone),
    ``n`` schools of each level in each region, each taking a random share of its region's
    pupils of the level in the first year and classrooms for them at the standard (so that the
    base year fits), every project a new school of its own; enrolled cohorts stay where they are."""
    from types import SimpleNamespace

    from capsim.planner.classes import Cohorts, Pools
    from capsim.planner.entrants import entrants

    one = class_pools(growth, seats, grades, 1, region, rng)
    R, K, Y = one.pupils.shape
    L = len(grades)
    Z0, P = R * L * n, len(region)
    pool_region = np.r_[np.repeat(np.arange(R), L * n), region]
    pool_level = np.tile(np.repeat(np.arange(L), n), R)
    share = np.zeros((Z0 + P, K, Y))
    split = rng.dirichlet(np.ones(n), (R, L)).reshape(-1)                          # (Z0,) within its level
    share[:Z0] = np.where(one.cell_level[None, :] == pool_level[:, None], split[:, None], 0.0)[:, :, None]
    pupils = one.pupils[pool_region] * share
    rooms = np.zeros((Z0 + P, L, Y))
    np.add.at(rooms, (slice(None), one.cell_level), np.ceil(pupils[:, :, :1] / one.std[None, :, None] - 1e-9))
    rooms = np.broadcast_to(rooms[:, :, :1], rooms.shape).copy()
    base = np.where(one.cell_grade[None, :] > 1, np.ceil(pupils[:, :, 0] / one.std[None, :] - 1e-9), 0.0)
    pools = Pools(pool_region, tuple(f"s{i}" for i in range(Z0 + P)), tuple(f"s{i}" for i in range(Z0)),
                  np.arange(Z0), Z0 + np.arange(P))
    cells = SimpleNamespace(level=one.cell_level, grade=one.cell_grade, demand=one.pupils)
    e = entrants(False, cells, pools, share, rooms, one.project_rooms, years)
    return Cohorts(one.grades, one.cell_level, one.cell_grade, one.std, pupils, rooms, base, one.project_rooms,
                   one.room_seats, pools.project, pool_region, pools.zone, None, e, "school")


def by_grade(need, seats, grades, rng):
    """(need (R, K, Y), cell seats (P, K)): each level's need and seats shared evenly over its
    grades, a cohort (grade g in year t, g - t fixed) 10-20 % above or below the mean."""
    R, _, Y = need.shape
    level = np.repeat(np.arange(len(grades)), grades)
    grade = np.concatenate([np.arange(g) for g in grades])
    share = 1.0 / np.asarray(grades)[level]
    shape = (R, len(grades), Y + max(grades))                # region, level, cohort (year - grade)
    cohort = rng.uniform(0.1, 0.2, shape) * rng.choice([-1, 1], shape)
    t = np.arange(Y)
    swing = 1 + cohort[:, level[:, None], t[None, :] - grade[:, None] + max(grades)]
    return need[:, level] * share[None, :, None] * swing, seats[:, level] * share[None, :]


def model(spec, seed):
    """The model of a size of SIZES (its schools pooled by district for ``pooled``)."""
    from capsim.planner.by_school import region_relaxation

    m = milp.build(instance(seed=seed, **spec))
    return region_relaxation(m) if spec.get("pooled") else m


def short(m, values) -> float:
    """Pupil-years (seat-years without classes) the plan leaves short, unseated pupils included."""
    out = float(values[m.short_index].sum())
    if m.share_index is not None:
        from capsim.planner.entrants import solved

        out += float(solved(m, values)[1].sum())
    return out


def run(spec, seed, solver, formulation, time_limit):
    """(solution in the model's variables, seconds spent building the model's arrays in the
    formulation, the model)."""
    t0 = time.perf_counter()
    m = model(spec, seed)
    a = arrays(m, formulation)
    arrays_seconds = time.perf_counter() - t0
    if solver == WHOLE:
        sol = solve_with((a.c, a.families, a.lb, a.ub, a.integer), "highs", time_limit=time_limit, gap=spec["gap"])
    else:
        sol = solve_arrays(a, m, solver, time_limit=time_limit, gap=spec["gap"])
    return replace(sol, values=sol.values if a.D is None else a.D @ sol.values), arrays_seconds, m


def zoning_changes(m, values) -> str:
    """'changes/returns' of a single-assignment plan: area-level-years zoned to another school than
    the year before, and those going back to a school the area had left; '-' without zoning."""
    asg = m.assignment
    if asg is None or asg.z_index is None or not np.isfinite(values).all():
        return "-"
    A, Y = m.inputs.catchment.pupils.shape[0], len(m.inputs.years)
    E = int(m.inputs.catchment.zone_of.max()) + 1
    site = zoned_site(asg)
    zone = np.full((A * E, Y), -1)
    on = values[asg.z_index] > 0.5
    zone.reshape(-1)[asg.z_key[on]] = site[on]
    seq = np.take_along_axis(zone, np.argsort(zone < 0, axis=1, kind="stable"), axis=1)   # unzoned years last
    moved = np.zeros(seq.shape, bool)
    moved[:, 1:] = (seq[:, 1:] != seq[:, :-1]) & (seq[:, 1:] >= 0)
    earlier = np.tril(np.ones((Y, Y), bool), k=-2)                  # earlier[k, k2]: k2 before k - 1
    back = ((seq[:, :, None] == seq[:, None, :]) & earlier).any(axis=2)
    return f"{moved.sum()}/{(moved & back).sum()}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--solvers", nargs="+", default=["highs", "cbc", "scipy"],
                        help=f"highs, cbc, scipy; {WHOLE}: single assignment's whole model straight to HiGHS (the reference)")
    parser.add_argument("--formulations", nargs="+", default=list(FORMULATIONS), choices=FORMULATIONS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="random instances of each size")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rezoning-cost", type=float, default=300.0,
                        help="yuan per pupil rezoned in the city instances (0: zoning chosen anew every year)")
    parser.add_argument("--json", help="also write every row to this file (for benchmarks/plan_report.py)")
    args = parser.parse_args(argv)
    print(f"{'instance':<14}{'seed':>4} {'solver':<12}{'form':<6}{'vars':>7}{'rows':>7}{'nonzeros':>9}{'build s':>8}"
          f"{'solve s':>8}{'build %':>8}{'status':>9}{'gap':>7}{'objective':>17}{'short':>9}{'rezoned':>9}")
    results = []
    for name, seed, solver, formulation in itertools.product(args.sizes, args.seeds, args.solvers, args.formulations):
        spec = {**SIZES[name], "rezoning": args.rezoning_cost}
        if solver == WHOLE and not spec.get("single"):
            continue                        # elsewhere the model already goes to the solver whole
        a = arrays(model(spec, seed), formulation)
        rows = sum(A.shape[0] for _, A, _, _ in a.families)
        nonzeros = sum(A.nnz for _, A, _, _ in a.families)
        runs = [run(spec, seed, solver, formulation, args.time_limit) for _ in range(args.repeats)]
        build = statistics.median(r.build_seconds + extra for r, extra, _ in runs)
        solve_s = statistics.median(r.solve_seconds for r, _, _ in runs)
        last, _, m = runs[-1]
        print(f"{name:<14}{seed:>4} {solver:<12}{formulation:<6}{len(a.c):>7}{rows:>7}{nonzeros:>9}{build:>8.2f}"
              f"{solve_s:>8.2f}{build / (build + solve_s):>8.0%}{last.status:>9}{last.gap:>7.2%}"
              f"{last.objective:>17,.0f}{short(m, last.values):>9,.0f}{zoning_changes(m, last.values):>9}", flush=True)
        results.append(dict(instance=name, spec={k: v for k, v in SIZES[name].items() if k != "budget"},
                            seed=seed, solver=solver, formulation=formulation, variables=len(a.c),
                            rows=rows, nonzeros=nonzeros, build_seconds=build, solve_seconds=solve_s,
                            status=last.status, gap=last.gap, objective=last.objective, short=short(m, last.values),
                            rezoned=zoning_changes(m, last.values),
                            time_limit=args.time_limit, repeats=args.repeats))
    if args.json:
        import json
        import os

        given = list(sys.argv[1:] if argv is None else argv)
        at = given.index("--json")
        command = " ".join(["python benchmarks/bench_plan.py"] + given[:at] + given[at + 2:])
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"command": command.strip(), "cpus": os.cpu_count(), "rows": results}, f, indent=1)


if __name__ == "__main__":
    main()
