"""What the planning MILP is built from (:class:`PlanContext`): the assessed pupils and lawful
seats of the levels it can plan, the school list and the projects as read, the plan years, the
capacity cells, the catchment and class-model inputs, and the budgets (committed projects' own
spending fitted in)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.errors import PlanError, Problem
from capsim.planner import model as milp
from capsim.planner.cells import Cells, by_grade, whole_levels
from capsim.planner.projects import Projects, of_levels, read_projects
from capsim.rules import moves_schools


@dataclass(frozen=True)
class PlanContext:
    """What the MILP is built from: its inputs and the labels of its (region, level, year) axes."""

    inputs: milp.PlanInputs
    regions: list
    levels: list
    demand: np.ndarray      # (R, L, Y) pupils to seat, at the assessed quantile
    lawful: np.ndarray      # (R, L, Y) lawful seats that exist
    unplanned: list         # levels left out (no known seats)
    cells: Cells            # the capacity cells the MILP covers: levels, or levels' grades
    over_budget: str = ""   # what committed projects alone spend beyond the budgets ('' if nothing)


def plan_context(scenario, projection=None, assessment=None, evaluate: bool = False,
                 capacity: str | None = None, inputs=None) -> PlanContext:
    """Forecast and assess (unless given), read the projects, areas and travel (unless
    ``inputs``, what the checks read, holds them for the forecast's regions) and build the MILP's
    inputs; ``capacity`` ('classes' or 'seats') overrides ``plan.capacity``."""
    from capsim.assessment import assess
    from capsim.projection import project

    given = assessment.projection if assessment is not None else None
    if projection is not None and given is not None and projection is not given:
        raise ValueError("The 'projection' parameter of plan must be the forecast its assessment assessed. "
                         "Got another forecast instead; give the assessment alone.")
    projection = projection or given or project(scenario)
    assessment = assessment or assess(scenario, projection)
    table, unplanned = _plannable(scenario, assessment.regions)
    regions = list(dict.fromkeys(table.region))
    levels = list(dict.fromkeys(table.level))
    cfg = scenario.plan
    first, last = plan_years(scenario)
    years = np.arange(first, last + 1)
    same = regions == list(assessment.regions.region.unique())      # the assessed list's region indices hold
    on_forecast = inputs is not None and regions == list(inputs.regions)
    read = inputs.projects if on_forecast else None
    schools, seats_now, projects = read_network(scenario, regions, levels, assessment.network if same else None, read)
    if evaluate:
        projects = _only_committed(projects)
        scenario = _choosing_nothing(scenario)
    projects = _with_lead_time(projects, scenario.base_year + cfg.lead_time, first)
    demand, lawful = _demand_and_seats(table, regions, levels, years)
    if assessment.region_grades is None:
        cells = whole_levels(demand, lawful, projects)
    else:
        cells = by_grade(scenario, assessment.region_grades, regions, levels, years, projects)
    catch = _catchment(scenario, capacity or cfg.capacity, regions, levels, years, cells, assessment, schools,
                       projects, inputs.areas if on_forecast else None)
    cohorts = _cohorts(scenario, capacity or cfg.capacity, cells, catch, assessment, regions, levels, years, schools,
                       projects)
    if capacity is None:                   # a plan in seats for comparison leaves these settings out
        from capsim.rules import class_only_rules

        class_only_rules(scenario).raise_if_any(PlanError)
    goals = _goals(scenario, projection, table, lawful, regions, levels, years, projects)
    need = np.maximum(cells.demand - cells.lawful, 0.0) if cohorts is None else cohorts.pupils
    inputs = milp.PlanInputs(
        years=years, need=need, projects=projects, cell_seats=cells.seats,
        school_room=_school_room(projects, schools, seats_now), budget_yearly=_yearly(cfg.budget_yearly, years),
        budget_total=cfg.budget_total, discount_rate=cfg.discount_rate, penalty=cfg.shortfall_penalty,
        rent_cost=cfg.rent_cost, break_symmetry=cfg.break_symmetry, catchment=catch, cohorts=cohorts,
        asset_life=cfg.asset_life if cfg.salvage else None,
        empty_room_cost=cfg.empty_room_cost if cohorts is not None else None,
        mothball_cost=cfg.mothball_cost if cohorts is not None else None, reopen_cost=cfg.reopen_cost,
        school_running_cost=cfg.school_running_cost if cohorts is not None or _in_classes(catch) else None,
        closure_cost=cfg.closure_cost,
        goals=goals,
    )
    inputs, over = _fit_committed_budgets(inputs)
    return PlanContext(inputs, regions, levels, demand, lawful, unplanned, cells, over)


def _goals(scenario, projection, table, lawful, regions, levels, years, projects):
    """The targets the plan must meet (:mod:`capsim.planner.goals`; None if none asks to be met)."""
    if not any(t.meet for t in scenario.targets):
        return None
    from capsim.errors import Problems
    from capsim.planner.goals import goals
    from capsim.rules import meet_rules
    from capsim.targets import residents_table

    problems = Problems()
    for i, target in enumerate(scenario.targets):
        if target.meet and target.level not in levels:
            problems.add(f"{scenario.source}: targets[{i}].level", "is not planned: the plan knows no places of it.",
                         target.level, "give its places (data.schools or data.capacity), or leave meet out.")
    problems.extend(meet_rules(scenario).items)
    problems.raise_if_any(PlanError)
    from capsim.planner.network import within_size_cap

    residents = residents_table(projection, scenario.standards.quantile)
    return goals(scenario, table, residents, lawful, regions, levels, years, within_size_cap(scenario, projects))


def _cohorts(scenario, capacity, cells, catch, assessment, regions, levels, years, schools, projects):
    """The class model's inputs, per region or zone (None where the plan counts seats: ``capacity``
    'seats', or no school list; and at the catchment level, whose sites hold their own classes:
    :func:`_catchment`)."""
    from capsim.planner.classes import cohorts, zone_pools

    from capsim.planner.entrants import school_pools

    granularity = scenario.plan.granularity
    if capacity != "classes" or not cells.by_grade or catch is not None:
        if granularity != "region":
            raise PlanError([Problem(f"{scenario.source}: plan.granularity", f"{granularity}s are pools of "
                                     "classrooms, planned in classes with a school list and without catchment "
                                     "areas.", granularity, "use plan.capacity = \"classes\" and data.schools, or "
                                     "plan.granularity = \"region\".")])
        return None
    pools = {"region": lambda: None, "zone": lambda: zone_pools(scenario, schools, projects, regions),
             "school": lambda: school_pools(schools, projects)}[granularity]()
    most = None
    if granularity == "school":    # each school's maximum size, a new one's its type's
        caps = scenario.standards.max_school_size
        new = [i for i in range(len(projects.ids)) if projects.school[i] < 0 and projects.region[i] >= 0]
        most = np.concatenate([schools.max_students, [caps.get(projects.type[i], np.inf) for i in new]])
    return cohorts(scenario, cells, assessment, regions, levels, years, projects, pools, granularity, most,
                   _kept(schools, projects))


def _choosing_nothing(scenario):
    """The scenario whose plan closes and converts no school: a bureau's own plan is checked as
    it stands (``evaluate``), with its committed projects alone."""
    plan = scenario.plan.model_copy(update={"closures": False, "conversions": [], "min_school_pupils": None,
                                            "max_displacement_km": None})
    return scenario.model_copy(update={"plan": plan})


def _kept(schools, projects) -> set:
    """The schools the plan never closes or converts: those a project would expand (its added
    classrooms would go with them) and those the schools table marks ``keep``."""
    kept = {schools.ids[s] for s in projects.school[projects.school >= 0]} if projects is not None else set()
    if schools.keep is not None:
        kept |= {i for i, k in zip(schools.ids, schools.keep) if k}
    return kept


def _in_classes(catch) -> bool:
    """Whether the catchment level (None: not planned) counts whole classes."""
    return catch is not None and catch.classes is not None


def _catchment(scenario, capacity, regions, levels, years, cells, assessment, schools, projects, tables=None):
    """The catchment level's inputs when the scenario lists areas or travel (None otherwise), in
    whole classes where ``capacity`` is 'classes' (:func:`capsim.planner.classes.site_classes`);
    ``tables`` (the areas and travel as the checks read them) spares reading them again."""
    from dataclasses import replace

    from capsim.planner.areas import read_catchment
    from capsim.planner.classes import closable_sites, convertible_sites, site_classes
    from capsim.planner.reach import named_receivers

    if scenario.data.areas is None and scenario.data.travel is None:
        return None
    catch = read_catchment(scenario, regions, levels, years, cells, assessment.grades, schools, projects, tables)
    if capacity != "classes":
        return catch
    catch = replace(catch, classes=site_classes(scenario, cells, assessment, levels, years, projects, catch.sites))
    named = named_receivers(scenario, schools) if moves_schools(scenario.plan) else None
    if named is not None:                   # (capsim validate refuses it first)
        raise PlanError([named])
    kept = _kept(schools, projects)
    if scenario.plan.conversions:
        catch = replace(catch, conversions=convertible_sites(scenario, cells, assessment, levels, years, catch.sites,
                                                             kept))
    if not scenario.plan.closures:
        return catch
    return replace(catch, **closable_sites(scenario, catch.classes, catch.sites, kept))


def plan_years(scenario) -> tuple[int, int]:
    """First and last year of the plan."""
    cfg = scenario.plan
    first = cfg.first_year or scenario.base_year + 1
    return first, scenario.end_year if cfg.years is None else min(scenario.end_year, first + cfg.years - 1)


def read_network(scenario, regions, levels, schools=None, projects=None):
    """(schools or None, each school's seats now, projects), every table checked; ``schools``
    and ``projects`` (read for ``regions`` already, e.g. by the assessment and the checks; the
    projects with every forecast level) are used as given."""
    from capsim.assessment import school_seats
    from capsim.enrolment import grades_by_level, level_specs
    from capsim.school_data import read_schools

    if schools is None and scenario.data.schools:
        schools = read_schools(scenario, regions, {lv.name: lv.grades for lv in level_specs(scenario)})
    seats_now = school_seats(scenario, schools) if schools is not None else None
    dropped = [i for i, level in enumerate(projects.levels) if level not in levels] if projects is not None else []
    if projects is not None and not projects.seats[:, dropped].any():   # else read again: its checks refuse
        return schools, seats_now, of_levels(projects, levels)           # a project of a level left out
    first, last = plan_years(scenario)
    projects = read_projects(scenario.data.projects, regions, levels, first, last, schools,
                             grades_by_level(scenario), seats_now, end_year=scenario.end_year)
    return schools, seats_now, projects


def _plannable(scenario, table):
    """The levels to plan (those with seats known somewhere) and the levels left out.

    A level no school teaches and no capacity row covers is left out of the plan (and named
    in its summary); every other level needs known seats in every region and year.
    """
    known = table.groupby("level", sort=False).lawful_seats.apply(lambda s: s.notna().any())
    unplanned = [lv for lv, k in known.items() if not k]
    if len(unplanned) < len(known):
        table = table[~table.level.isin(unplanned)]
    _check_plannable(scenario, table)
    return table, unplanned


def _check_plannable(scenario, table):
    """The plan needs annual steps and known seats in every region, level and year."""
    problems = []
    if scenario.demography.step != 1:
        problems.append(Problem(f"{scenario.source}: demography.step", "the planner needs annual steps.",
                                scenario.demography.step, "use demography.step = 1 to plan."))
    unknown = table[table.lawful_seats.isna()]
    for (region, level), part in unknown.groupby(["region", "level"]):
        problems.append(Problem(f"{scenario.source}: data.capacity", f"seats of {level} in region {region} are "
                                f"unknown in {part.year.min()}-{part.year.max()}.", None,
                                "list the schools (data.schools) or give region seats (data.capacity) "
                                "for every region, level and year."))
    if problems:
        raise PlanError(problems)


def _fit_committed_budgets(inputs) -> tuple[milp.PlanInputs, str]:
    """Committed projects are built whatever the budgets: where they alone spend more than a
    budget, that budget is raised to their spending (nothing else can be afforded there) and the
    excess is said, so that a plan still comes back. Returns the inputs and the excess ('' if none)."""
    from dataclasses import replace

    p, years = inputs.projects, inputs.years
    fixed = np.flatnonzero(np.isin(p.committed, years))  # those committed after the plan open after it
    spend = milp.spending(p, years)[fixed, np.searchsorted(years, p.committed[fixed])].sum(axis=0)
    notes, yearly, total = [], inputs.budget_yearly, inputs.budget_total
    if yearly is not None and (spend > yearly + 1e-6).any():
        over = np.flatnonzero(spend > yearly + 1e-6)
        notes.append("committed projects alone spend more than plan.budget_yearly in " + ", ".join(
            f"{years[t]} ({spend[t] - yearly[t]:,.0f} yuan over)" for t in over))
        yearly = np.maximum(yearly, spend)
    if total is not None and spend.sum() > total + 1e-6:
        notes.append(f"committed projects alone spend {spend.sum():,.0f} yuan, {spend.sum() - total:,.0f} over "
                     "plan.budget_total")
        total = float(spend.sum())
    return replace(inputs, budget_yearly=yearly, budget_total=total), "; ".join(notes)


def _only_committed(p: Projects) -> Projects:
    from dataclasses import replace

    free = ~np.isfinite(p.committed)
    return replace(p, latest=np.where(free, -np.inf, p.latest))


def _with_lead_time(p: Projects, earliest_new: int, first: int) -> Projects:
    """An uncommitted project opens no earlier than ``earliest_new`` (base year + lead time) nor
    before it can be built from the first plan year on (``first + build_years``): its money is
    all spent within the plan."""
    from dataclasses import replace

    free = ~np.isfinite(p.committed)
    earliest = np.maximum(np.maximum(p.earliest, earliest_new), first + p.build_years)
    return replace(p, earliest=np.where(free, earliest, p.earliest))


def _demand_and_seats(table, regions, levels, years):
    """(R, L, Y) students to seat and lawful seats that exist (school seats within maximum sizes)."""
    t = table[table.year.isin(years)]
    shape = (len(regions), len(levels), len(years))
    idx = (pd.Index(regions).get_indexer(t.region), pd.Index(levels).get_indexer(t.level), np.searchsorted(years, t.year))
    demand, lawful = np.zeros(shape), np.zeros(shape)
    demand[idx] = t.students.to_numpy()
    lawful[idx] = np.nan_to_num(t.lawful_seats.to_numpy())
    return demand, lawful


def _school_room(p: Projects, schools, seats_now) -> dict:
    """Seats each expanded school may still add before reaching its maximum size."""
    if schools is None:
        return {}
    return {int(s): float(schools.max_students[s] - seats_now[s]) for s in set(p.school[p.school >= 0].tolist())}


def _yearly(budget, years):
    if budget is None:
        return None
    if isinstance(budget, dict):
        return np.array([budget.get(int(y), np.inf) for y in years], dtype=float)
    return np.full(len(years), float(budget))
