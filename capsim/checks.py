"""Every check a scenario and its tables must pass, in one pass: what ``capsim validate`` runs
and what the other commands run before any work starts.

:func:`validate` reads every table once, whatever is wrong elsewhere (a broken population
table does not hide a broken schools table), adds the rules that span the scenario and its
tables (the assessed quantile among the forecast's, annual steps for a plan, the memory a
forecast needs), and raises every problem at once as one :class:`~capsim.errors.CapsimError`.
Each problem names the file, the key or row, the value and the fix.
"""

from __future__ import annotations

import os
from dataclasses import replace

from capsim.errors import CapsimError, DataError, Problems, ScenarioError
from capsim.schema import Scenario

BYTES = 8                    # float64
WORKING_COPIES = 5           # measured peak of the forecast / its population array (draws, quantiles, frames)
TIDY_ROW_BYTES = 64          # a row of a tidy result frame (numbers and shared labels)


STAGES = ("project", "assess", "run")


def validate(scenario: Scenario, upto: str = "run"):
    """Check ``scenario`` and every table it names; raise all problems at once, else return
    the forecast's :class:`~capsim.data.Inputs`. ``upto`` names the last stage to check for:
    "project" (the forecast tables), "assess" (and the schools or capacity) or "run" (and the
    projects, areas and travel: everything, as ``capsim validate``)."""
    stage = STAGES.index(upto)
    from capsim.data import read_tables
    from capsim.enrolment import level_specs
    from capsim.projection import check_methods

    problems = Problems()
    methods_ok = _collect(problems, lambda: check_methods(scenario) or True)
    if stage:
        problems.extend(scenario_rules(scenario, plan=stage == 2).items)
    inputs = read_tables(scenario, problems)
    problems.extend(memory_rules(scenario, len(inputs.regions)).items)
    levels = {lv.name: lv.grades for lv in level_specs(scenario)}
    schools = None
    if stage:
        schools = network_rules(scenario, list(inputs.regions), levels, problems, seats=bool(methods_ok),
                                plan=stage == 2)
    if stage == 2:
        problems.extend(target_rules(scenario, list(inputs.regions), levels).items)
    if problems:
        tables = any(p.where.lower().split(":")[0].endswith(".csv") for p in problems.items)
        raise (DataError if tables else ScenarioError)(problems.items)
    return replace(inputs, schools=schools)


def target_rules(scenario: Scenario, regions: list, levels: dict) -> Problems:
    """Each target names a region of the regions table (or none) and a level the scenario forecasts."""
    problems = Problems()
    for i, target in enumerate(scenario.targets):
        if target.region is not None and regions and target.region not in regions:
            problems.add(f"{scenario.source}: targets[{i}].region", "is not a region of the regions table.",
                         target.region, f"use one of: {', '.join(regions[:12])}, or leave it out for the whole area.")
        if target.level not in levels:
            problems.add(f"{scenario.source}: targets[{i}].level", "is a level the scenario does not forecast.",
                         target.level, f"use one of: {', '.join(levels)}, or enable the level under [education].")
    return problems


def _collect(problems: Problems, check):
    """Run ``check``; add the problems it raises; return its result (None when it raised)."""
    try:
        return check()
    except CapsimError as exc:
        problems.extend(exc.problems)
        return None


def scenario_rules(scenario: Scenario, plan: bool = True) -> Problems:
    """Rules of the scenario alone that the assessment (and, with ``plan``, the planner) would refuse."""
    problems = Problems()
    spec, q = scenario.uncertainty, scenario.standards.quantile
    if spec.draws > 1 and q not in spec.quantiles:
        problems.add(f"{scenario.source}: standards.quantile", "is not among the forecast's quantiles "
                     "(uncertainty.quantiles).", q, f"use one of {list(spec.quantiles)}, or add {q} to "
                     "uncertainty.quantiles.")
    if plan and scenario.data.projects is not None and scenario.demography.step != 1:
        problems.add(f"{scenario.source}: demography.step", "the planner (data.projects) needs annual steps.",
                     scenario.demography.step, "use demography.step = 1, or remove data.projects to forecast only.")
    if plan and scenario.data.projects is not None:
        problems.extend(class_only_rules(scenario).items)
    return problems


def class_only_rules(scenario: Scenario) -> Problems:
    """The plan settings that only the class model (a school list, plan.capacity = "classes", no
    catchment areas) can honour: costs of classrooms, and closures and conversions (by region or
    zone only). One problem for each that is set where the plan cannot count classes."""
    cfg, data = scenario.plan, scenario.data
    problems = Problems()
    seats = cfg.capacity != "classes" or data.schools is None or data.areas is not None or data.travel is not None
    rooms = (("empty_room_cost", "empty classrooms are counted", bool(cfg.empty_room_cost)),   # 0 is free, as unset
             ("mothball_cost", "classrooms are mothballed", cfg.mothball_cost is not None))
    for key, what, on in rooms:
        if on and seats:
            problems.add(f"{scenario.source}: plan.{key}", f"{what} when planning in classes: with a school list, "
                         "plan.capacity = \"classes\" and without catchment areas.", getattr(cfg, key),
                         f"leave plan.{key} empty, or plan in classes.")
    for key, on, off in (("closures", cfg.closures, "false"), ("conversions", bool(cfg.conversions), "empty")):
        if on and (seats or cfg.granularity == "school"):
            problems.add(f"{scenario.source}: plan.{key}", f"{key} are chosen when planning in classes by region or "
                         "zone: with a school list, plan.capacity = \"classes\", no catchment areas and "
                         "plan.granularity \"region\" or \"zone\".", True,
                         f"leave plan.{key} {off}, or plan in classes by region or zone.")
    return problems


def memory_needed(scenario: Scenario, regions: int) -> float:
    """Bytes a forecast of ``scenario`` over ``regions`` regions needs at its peak (estimate):
    the population array (years x draws x regions x 2 sexes x age groups x 8 bytes) and its
    working copies, plus every draw's tidy rows with ``keep_draws``."""
    from capsim.enrolment import level_specs

    dem, spec = scenario.demography, scenario.uncertainty
    years = len(scenario.years)
    ages = dem.open_age // dem.step + 1
    population = years * spec.draws * regions * 2 * ages * BYTES
    grades = sum(lv.grades for lv in level_specs(scenario))
    draws = years * spec.draws * regions * grades * TIDY_ROW_BYTES if spec.keep_draws else 0
    return WORKING_COPIES * population + draws


def available_memory() -> float:
    """Bytes this machine can give now: MemAvailable where the system reports it, else free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def memory_rules(scenario: Scenario, regions: int, available: float | None = None) -> Problems:
    """Refuse a forecast that cannot fit in memory, naming the figure and the fix."""
    problems = Problems()
    need = memory_needed(scenario, max(regions, 1))
    have = available_memory() if available is None else available
    if need > have:
        spec = scenario.uncertainty
        fits = max(1, int(spec.draws * have / need))
        problems.add(f"{scenario.source}: uncertainty.draws", f"a forecast of {spec.draws:,} draws x {regions} "
                     f"region(s) x {len(scenario.years)} years needs about {_gb(need)} of memory; "
                     f"{_gb(have)} is available.", spec.draws,
                     f"use at most about {fits:,} draws, fewer years (end_year) or regions"
                     + (", or keep_draws = false" if spec.keep_draws else "") + ".")
    return problems


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GB"


def network_rules(scenario: Scenario, regions: list, levels: dict, problems: Problems, seats: bool = True,
                  plan: bool = True):
    """Read the capacity, schools, school grades, projects, areas and travel tables, adding
    every problem: each table is read whatever is wrong with the others (the projects, areas and
    travel only with ``plan``). ``seats`` false: the
    class standards are wrong (reported), so expansions are not checked against school sizes.
    Returns the school list read (None without one)."""
    from capsim.planner import plan_years
    from capsim.school_data import read_capacity, read_schools

    years = list(range(scenario.base_year, scenario.end_year + 1))
    _collect(problems, lambda: read_capacity(scenario, regions, levels, years))
    schools = read_schools(scenario, regions, levels, problems)
    if scenario.data.projects is None or not plan:
        return schools
    projects = _read_projects(scenario, regions, levels, schools if seats else None, problems, plan_years(scenario))
    if projects is not None and (scenario.data.areas is not None or scenario.data.travel is not None):
        from capsim.planner.areas import read_tables

        _collect(problems, lambda: read_tables(scenario, regions, levels, schools, projects))
    return schools


def _read_projects(scenario, regions, levels, schools, problems, span):
    from capsim.assessment import school_seats
    from capsim.enrolment import grades_by_level
    from capsim.planner.projects import read_projects

    seats = school_seats(scenario, schools) if schools is not None else None
    first, last = span
    return read_projects(scenario.data.projects, regions, list(levels), first, last, schools,
                         grades_by_level(scenario), seats, end_year=scenario.end_year, problems=problems)
