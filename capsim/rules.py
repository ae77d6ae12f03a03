"""The rules on a scenario that a stage applies to what it is given: the memory a forecast
needs (:func:`memory_rules`), the plan settings only the class model honours
(:func:`class_only_rules`), the targets' regions and levels (:func:`target_rules`) and the targets the
planner is asked to meet (:func:`meet_rules`).

:func:`capsim.checks.validate` runs them too, with every other check, before any work starts.
They live here, below the stages, so that a stage can apply them without importing
:mod:`capsim.checks`, which reads every table through every stage's reader.
"""

from __future__ import annotations

import os

from capsim.errors import Problems
from capsim.schema import MEETABLE, Scenario

BYTES = 8                    # float64
WORKING_COPIES = 5           # measured peak of the forecast / its population array (draws, quantiles, frames)
TIDY_ROW_BYTES = 64          # a row of a tidy result frame (numbers and shared labels)


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


def meet_rules(scenario: Scenario) -> Problems:
    """A target the planner is asked to meet (``meet = true``) is one places can meet
    (:data:`capsim.schema.MEETABLE`), in a plan without closures or conversions (whose places
    lost it does not count yet), by region or zone."""
    problems = Problems()
    cfg = scenario.plan
    for i, target in enumerate(scenario.targets):
        if not target.meet:
            continue
        where = f"{scenario.source}: targets[{i}].meet"
        if target.indicator not in MEETABLE:
            problems.add(where, f"the planner can build to meet {' and '.join(MEETABLE)} only; {target.indicator} "
                         "is measured before and after the plan, not built to.", True,
                         "leave meet out for this target (it is still measured).")
        if cfg.closures or cfg.conversions or cfg.granularity == "school":
            problems.add(where, "targets are met by building, in a plan without closures or conversions, by "
                         "region or zone.", True, "leave meet out, or plan.closures false, plan.conversions empty "
                         "and plan.granularity \"region\" or \"zone\".")
    return problems


def moves_schools(plan) -> bool:
    """Whether the plan may move a school's pupils elsewhere: close schools, or convert whole ones."""
    return bool(plan.closures) or any(c.unit == "school" for c in plan.conversions)


def class_only_rules(scenario: Scenario) -> Problems:
    """The plan settings that only the class model (a school list, plan.capacity = "classes", no
    catchment areas) can honour: costs of classrooms, conversions and closures (by region or
    zone, or with catchment areas), with the distance for displaced pupils (by region or zone).
    One problem for each that is set where the plan cannot honour it."""
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
    areas = data.areas is not None or data.travel is not None
    if cfg.school_running_cost is not None and (cfg.capacity != "classes" or data.schools is None):
        problems.add(f"{scenario.source}: plan.school_running_cost", "an open school's running cost is counted when "
                     "planning in classes: with a school list and plan.capacity = \"classes\".",
                     cfg.school_running_cost, "leave plan.school_running_cost empty, or plan in classes.")
    moves = moves_schools(cfg)
    if cfg.max_displacement_km is not None and areas:
        problems.add(f"{scenario.source}: plan.max_displacement_km", "bounds how far the pupils of a closed school "
                     "go by region or zone; with catchment areas the zoning sends them to schools within "
                     "plan.max_distance_km of their homes.", cfg.max_displacement_km,
                     "leave plan.max_displacement_km empty and set plan.max_distance_km.")
    elif cfg.max_displacement_km is not None and not moves:
        problems.add(f"{scenario.source}: plan.max_displacement_km", "bounds how far the pupils of a closed school "
                     "go, so it needs plan.closures = true or a conversion of whole schools.", cfg.max_displacement_km,
                     "set plan.closures = true, add a plan.conversions entry with unit = \"school\", or leave "
                     "plan.max_displacement_km empty.")
    if cfg.granularity != "region" and (cfg.capacity != "classes" or data.schools is None or areas):
        problems.add(f"{scenario.source}: plan.granularity", f"{cfg.granularity}s are pools of classrooms, planned in "
                     "classes with a school list and without catchment areas.", cfg.granularity,
                     "use plan.capacity = \"classes\" and data.schools without data.areas or data.travel, or "
                     "plan.granularity = \"region\".")
    decisions = (("closures", bool(cfg.closures), "false"), ("conversions", bool(cfg.conversions), "empty"))
    for key, on, off in decisions:
        if on and (cfg.capacity != "classes" or data.schools is None or cfg.granularity == "school"):
            problems.add(f"{scenario.source}: plan.{key}", f"{key} are chosen when planning in classes: with a "
                         "school list, plan.capacity = \"classes\" and plan.granularity \"region\" or \"zone\" "
                         "(or with catchment areas, by region).", True, f"leave plan.{key} {off}, or plan in classes.")
    if cfg.min_school_pupils is not None and not (cfg.closures and areas):
        problems.add(f"{scenario.source}: plan.min_school_pupils", "counts each school's own pupils, which only the "
                     "catchment level knows, and closes the small ones, so it needs catchment areas and "
                     "plan.closures = true.", cfg.min_school_pupils,
                     "set data.areas (or data.travel) and plan.closures = true, or leave plan.min_school_pupils "
                     "empty.")
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
