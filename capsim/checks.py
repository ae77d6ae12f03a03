"""Every check a scenario and its tables must pass, in one pass: what ``capsim validate`` runs
and what the other commands run before any work starts.

:func:`validate` reads every table once, whatever is wrong elsewhere (a broken population
table does not hide a broken schools table), adds the rules that span the scenario and its
tables (the assessed quantile among the forecast's, annual steps for a plan, the memory a
forecast needs), and raises every problem at once as one :class:`~capsim.errors.CapsimError`.
Each problem names the file, the key or row, the value and the fix.

The rules a stage also applies itself (the memory a forecast needs, the settings only the
class model honours, the targets' regions and levels) are in :mod:`capsim.rules`, below the
stages: this module reads every table through every stage's reader, so a stage imports the
rules from there, never from here.
"""

from __future__ import annotations

from dataclasses import replace

from capsim.errors import CapsimError, DataError, Problems, ScenarioError
from capsim.rules import class_only_rules, meet_rules, memory_rules, moves_schools, target_rules
from capsim.schema import Scenario

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
    network = {}
    if stage:
        network = network_rules(scenario, list(inputs.regions), levels, problems, seats=bool(methods_ok),
                                plan=stage == 2)
    if stage == 2:
        problems.extend(target_rules(scenario, list(inputs.regions), levels).items)
    if inputs.region_outlines is not None:
        problems.extend(_boundary_rules(scenario, inputs, network))
    if problems:
        tables = any(p.where.lower().split(":")[0].endswith(".csv") for p in problems.items)
        raise (DataError if tables else ScenarioError)(problems.items)
    return replace(inputs, **network)


def _boundary_rules(scenario: Scenario, inputs, network: dict) -> list:
    """Boundaries are in degrees: every table with points must give lon, lat too."""
    from capsim.boundaries import mixed_kinds

    areas = network.get("areas")
    points = {"regions": inputs.region_points, "areas": areas.points if areas is not None else None,
              **{name: getattr(network.get(name), "points", None) for name in ("schools", "projects")}}
    return mixed_kinds(scenario.data.boundaries, points)


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
        problems.extend(meet_rules(scenario).items)
    return problems


def network_rules(scenario: Scenario, regions: list, levels: dict, problems: Problems, seats: bool = True,
                  plan: bool = True):
    """Read the capacity, schools, school grades, projects, areas and travel tables, adding
    every problem: each table is read whatever is wrong with the others (the projects, areas and
    travel only with ``plan``). ``seats`` false: the
    class standards are wrong (reported), so expansions are not checked against school sizes.
    Returns what was read: ``schools``, ``projects`` and ``areas`` (each None without it), as
    :class:`capsim.data.Inputs` fields."""
    from capsim.planner import plan_years
    from capsim.school_data import read_capacity, read_schools

    years = list(range(scenario.base_year, scenario.end_year + 1))
    _collect(problems, lambda: read_capacity(scenario, regions, levels, years))
    schools = read_schools(scenario, regions, levels, problems)
    if plan and schools is not None and scenario.plan.max_displacement_km is not None:
        from capsim.planner.reach import no_point

        problems.extend([p for p in [no_point(scenario, schools)] if p is not None])
    if scenario.data.projects is None or not plan:
        return {"schools": schools}
    projects = _read_projects(scenario, regions, levels, schools if seats else None, problems, plan_years(scenario))
    if schools is not None and scenario.plan.max_displacement_km is not None:
        from capsim.planner.reach import other_kind

        problems.extend([p for p in [other_kind(scenario, schools, projects)] if p is not None])
    catchment = scenario.data.areas is not None or scenario.data.travel is not None
    if schools is not None and catchment and moves_schools(scenario.plan):
        from capsim.planner.reach import named_receivers

        problems.extend([p for p in [named_receivers(scenario, schools)] if p is not None])
    areas = None
    if projects is not None and catchment:
        from capsim.planner.areas import read_tables

        areas = _collect(problems, lambda: read_tables(scenario, regions, levels, schools, projects))
    return {"schools": schools, "projects": projects, "areas": areas}


def _read_projects(scenario, regions, levels, schools, problems, span):
    from capsim.assessment import school_seats
    from capsim.enrolment import grades_by_level
    from capsim.planner.projects import read_projects

    seats = school_seats(scenario, schools) if schools is not None else None
    first, last = span
    return read_projects(scenario.data.projects, regions, list(levels), first, last, schools,
                         grades_by_level(scenario), seats, end_year=scenario.end_year, problems=problems)
