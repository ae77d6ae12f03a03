"""The planner: which projects to build and when, at least cost, so every child has a seat.

``plan(scenario)`` forecasts and assesses (unless given), then solves the region-level MILP of
:mod:`capsim.planner.model` and returns the schedule, the spending by year, the seats after the
plan and every shortfall with its binding cause. With a school list the region level plans in
whole classes (:mod:`capsim.planner.classes`: classes formed at intake roll up with their
cohort and share the region's classrooms); ``plan.capacity = "seats"`` keeps the earlier model
of seats fixed per grade (:mod:`capsim.planner.cells`), which the catchment level and robust
plans use. ``evaluate=True`` checks a bureau's own plan
instead: every project with a ``committed`` year opens then, nothing else is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.errors import PlanError, Problem
from capsim.planner import model as milp
from capsim.planner.cells import Cells, by_grade, whole_levels
from capsim.planner.projects import Projects, read_projects
from capsim.planner.formulation import solve_as
from capsim.planner.solve import Solution


@dataclass(frozen=True)
class PlanResult:
    schedule: pd.DataFrame     # one row per chosen project (works start in start_year, open in open_year)
    spending: pd.DataFrame     # year, project, cost_yuan
    seats: pd.DataFrame        # year, region, level, students, seats_before, seats_added, rented, shortfall
                               # (seats as rated; rented and shortfall summed over the grades, which
                               # can be short while the level's seats exceed its pupils: seats_by_grade)
    shortfalls: pd.DataFrame   # year, region, level, grades (those short), seats, cause
    solution: Solution
    projects: Projects         # every candidate, as read
    opening: np.ndarray        # (P,) opening year of each project, NaN where not built
    levels_not_planned: tuple = ()   # levels without known seats anywhere, left out of the plan
    notes: str = ""                  # what the reader must know: budgets exceeded by commitments, no plan in time
    catchments: pd.DataFrame | None = None   # with data.areas: year, area, level, school, pupils, cost
    seats_by_grade: pd.DataFrame | None = None   # with a school list: year, region, level, grade, students,
                                                 # seats_before, seats_added, rented, shortfall (lawful seats);
                                                 # with classes: students, classes, class_seats, shortfall
    rooms: pd.DataFrame | None = None            # with classes: year, region, level, rooms_before,
                                                 # rooms_added, rooms_rented, classes, rooms_empty
    closures: pd.DataFrame | None = None         # with plan.closures: year (first closed), region, school,
                                                 # classrooms (lawful, the year before it closes)
    conversions: pd.DataFrame | None = None      # with plan.conversions: year (first converted), region, school,
                                                 # level, into, classrooms, classrooms_after, cost_yuan
    areas: pd.DataFrame | None = None            # with data.areas giving points: id, x, y of each area

    @property
    def summary(self) -> dict:
        s = self.solution
        return {"status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap, "solver": s.solver,
                "build_seconds": s.build_seconds, "solve_seconds": s.solve_seconds,
                "projects": len(self.schedule), "cost_yuan": float(self.spending.cost_yuan.sum()),
                "seats_added": float(self.schedule.seats.sum()), "shortfall_seat_years": float(self.shortfalls.seats.sum()),
                "levels_not_planned": " ".join(self.levels_not_planned), "notes": self.notes}


def plan(scenario, projection=None, assessment=None, evaluate: bool = False) -> PlanResult:
    """Plan (or, with ``evaluate``, check) the scenario's projects; see the module docstring."""
    if scenario.data.projects is None:
        raise PlanError([Problem(f"{scenario.source}: data.projects", "no projects table is given.", None,
                                 "add data.projects (docs/data-tables.md) to plan.")])
    ctx = plan_context(scenario, projection, assessment, evaluate)
    m = milp.build(ctx.inputs)
    sol = solve_model(m, scenario)
    return _result(m, sol, ctx, evaluate)


COMMITTED_ONLY = "committed only"    # the solver found no plan in time: the committed projects alone


def solve_model(m: milp.Model, scenario) -> Solution:
    """Solve with the scenario's solver settings. Where the solver finds no plan within
    ``plan.time_limit``, the plan is the committed projects alone (status ``committed only``):
    every seat they leave missing is a shortfall, named with its cause (``time limit`` where a
    candidate could have served it). Only a model with no plan even then is an error."""
    cfg = scenario.plan
    sol = solve_as(m, cfg.formulation, solver=cfg.solver, time_limit=cfg.time_limit, gap=cfg.gap)
    if sol.status in ("optimal", "feasible"):
        return sol
    from dataclasses import replace

    fallback = solve_as(committed_only(m), cfg.formulation, solver=cfg.solver, time_limit=max(cfg.time_limit, 60.0),
                        gap=cfg.gap)
    if fallback.status not in ("optimal", "feasible"):
        raise PlanError([Problem(f"{scenario.source}: plan", f"the solver found no plan (status: {sol.status}).",
                                 sol.status, "raise plan.time_limit, or loosen the budgets.")])
    return replace(fallback, status=COMMITTED_ONLY, bound=np.nan, gap=np.nan,
                   solve_seconds=sol.solve_seconds + fallback.solve_seconds)


def committed_only(m: milp.Model) -> milp.Model:
    """The model with every uncommitted project's opening fixed to 0."""
    from dataclasses import replace

    free = ~np.isfinite(m.inputs.projects.committed)
    ub = m.ub.copy()
    index = m.x_index[free]
    ub[index[index >= 0]] = 0.0
    return replace(m, ub=ub)


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
                 capacity: str | None = None) -> PlanContext:
    """Forecast and assess (unless given), read the projects and build the MILP's inputs;
    ``capacity`` ('classes' or 'seats') overrides ``plan.capacity``."""
    from capsim.assessment import assess
    from capsim.projection import project

    projection = projection or project(scenario)
    assessment = assessment or assess(scenario, projection)
    table, unplanned = _plannable(scenario, assessment.regions)
    regions = list(dict.fromkeys(table.region))
    levels = list(dict.fromkeys(table.level))
    cfg = scenario.plan
    first, last = plan_years(scenario)
    years = np.arange(first, last + 1)
    same = regions == list(assessment.regions.region.unique())      # the assessed list's region indices hold
    schools, seats_now, projects = read_network(scenario, regions, levels, assessment.network if same else None)
    if evaluate:
        projects = _only_committed(projects)
    projects = _with_lead_time(projects, scenario.base_year + cfg.lead_time, first)
    demand, lawful = _demand_and_seats(table, regions, levels, years)
    if assessment.region_grades is None:
        cells = whole_levels(demand, lawful, projects)
    else:
        cells = by_grade(scenario, assessment.region_grades, regions, levels, years, projects)
    catch = _catchment(scenario, regions, levels, years, cells, assessment, schools, projects)
    cohorts = _cohorts(scenario, capacity or cfg.capacity, cells, catch, assessment, regions, levels, years, schools,
                       projects)
    if capacity is None:                   # a robust plan (seats) leaves these settings out
        from capsim.rules import class_only_rules

        class_only_rules(scenario).raise_if_any(PlanError)
    need = np.maximum(cells.demand - cells.lawful, 0.0) if cohorts is None else cohorts.pupils
    inputs = milp.PlanInputs(
        years=years, need=need, projects=projects, cell_seats=cells.seats,
        school_room=_school_room(projects, schools, seats_now), budget_yearly=_yearly(cfg.budget_yearly, years),
        budget_total=cfg.budget_total, discount_rate=cfg.discount_rate, penalty=cfg.shortfall_penalty,
        rent_cost=cfg.rent_cost, break_symmetry=cfg.break_symmetry, catchment=catch, cohorts=cohorts,
        asset_life=cfg.asset_life if cfg.salvage else None,
        empty_room_cost=cfg.empty_room_cost if cohorts is not None else None,
        mothball_cost=cfg.mothball_cost if cohorts is not None else None, reopen_cost=cfg.reopen_cost,
        school_running_cost=cfg.school_running_cost if cohorts is not None else None, closure_cost=cfg.closure_cost,
    )
    inputs, over = _fit_committed_budgets(inputs)
    return PlanContext(inputs, regions, levels, demand, lawful, unplanned, cells, over)


def _cohorts(scenario, capacity, cells, catch, assessment, regions, levels, years, schools, projects):
    """The class model's inputs, per region or zone (None where the plan counts seats: ``capacity``
    'seats', the catchment level, or no school list)."""
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
    kept = {schools.ids[s] for s in projects.school[projects.school >= 0]} if projects is not None else set()
    if schools.keep is not None:           # marked in the schools table
        kept |= {i for i, k in zip(schools.ids, schools.keep) if k}
    return cohorts(scenario, cells, assessment, regions, levels, years, projects, pools, granularity, most, kept)


def _catchment(scenario, regions, levels, years, cells, assessment, schools, projects):
    """The catchment level's inputs when the scenario lists areas or travel (None otherwise)."""
    from capsim.planner.areas import read_catchment

    if scenario.data.areas is None and scenario.data.travel is None:
        return None
    return read_catchment(scenario, regions, levels, years, cells, assessment.grades, schools, projects)


def plan_years(scenario) -> tuple[int, int]:
    """First and last year of the plan."""
    cfg = scenario.plan
    first = cfg.first_year or scenario.base_year + 1
    return first, scenario.end_year if cfg.years is None else min(scenario.end_year, first + cfg.years - 1)


def read_network(scenario, regions, levels, schools=None):
    """(schools or None, each school's seats now, projects), every table checked; ``schools``
    (read for ``regions`` already, e.g. by the assessment) is used as given."""
    from capsim.assessment import school_seats
    from capsim.enrolment import grades_by_level, level_specs
    from capsim.school_data import read_schools

    if schools is None and scenario.data.schools:
        schools = read_schools(scenario, regions, {lv.name: lv.grades for lv in level_specs(scenario)})
    seats_now = school_seats(scenario, schools) if schools is not None else None
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


def _result(m, sol: Solution, ctx: PlanContext, evaluated=False) -> PlanResult:
    from capsim.planner.diagnose import shortfalls

    inp = m.inputs
    p, years = inp.projects, inp.years
    x = openings(m, sol)
    chosen_p, chosen_y = np.nonzero(x > 0.5)
    spend = milp.spending(p, years)[chosen_p, chosen_y]             # (K, Y)
    schedule = schedule_frame(m, x, ctx.regions)
    k, s = np.nonzero(spend)
    spending = pd.DataFrame({"year": years[s], "project": [p.ids[i] for i in chosen_p[k]], "cost_yuan": spend[k, s]})
    conversions = _conversion_frame(m, sol, ctx.regions, ctx.levels)
    if conversions is not None and len(conversions):
        spending = pd.concat([spending, pd.DataFrame({"year": conversions.year, "project": [
            f"{school} → {into}" for school, into in zip(conversions.school, conversions.into)],
            "cost_yuan": conversions.cost_yuan})], ignore_index=True)
    changed = _decided_rooms(m, sol)
    short = np.nan_to_num(sol.values[m.short_index]) if np.isfinite(sol.values).all() else inp.need.copy()
    L, R = len(ctx.levels), len(ctx.regions)
    rented = np.nan_to_num(sol.values[m.rent_index]) if m.rent_index is not None else None
    pool_pupils = unseated = None
    if inp.cohorts is not None:
        c = inp.cohorts
        pool_short = short
        short = c.to_regions(short, R)
        if c.entrants is not None:
            pool_pupils, unseated = _entrants_solved(m, sol, c)
            short = short + unseated
        rented_rooms = rented if rented is not None else np.zeros(c.rooms.shape)
        rented_seats = c.to_regions(rented_rooms, R) * c.room_seats[None, :, None]
        rented = np.zeros_like(short)
    else:
        rented = rented if rented is not None else np.zeros_like(short)
        rented_seats = ctx.cells.by_level(rented, L)
    seats_added = _seats_added(m, x, p.seats, R)
    if changed is not None:                # net of the schools closed or converted
        seats_added = seats_added + inp.cohorts.to_regions(changed, R) * inp.cohorts.room_seats[None, :, None]
    seats = _seat_frame(ctx.regions, ctx.levels, years, ctx.demand, ctx.lawful, seats_added, rented_seats,
                        ctx.cells.by_level(short, L))
    opening = np.full(len(p.ids), np.nan)
    opening[chosen_p] = years[chosen_y]
    added = _seats_added(m, x, None, R)                              # (R, K, Y) lawful seats per cell
    timed_out = sol.status == COMMITTED_ONLY
    missing = shortfalls(m, x, short, added, ctx.regions, ctx.levels, ctx.cells, evaluated, timed_out)
    if pool_pupils is not None:
        missing = shortfalls_by_school(missing, pool_short, unseated, inp.cohorts, ctx, years)
    notes = [ctx.over_budget] + (["the solver found no plan within plan.time_limit: the plan is the committed "
                                  "projects alone"] if timed_out else [])
    if inp.cohorts is not None:
        by_grade, rooms = _class_frames(m, sol, x, ctx, pool_short, rented_rooms, pool_pupils, changed)
    else:
        by_grade, rooms = _grade_frame(ctx, added, rented, short), None
    return PlanResult(schedule, spending, seats, missing, sol, p, opening, tuple(ctx.unplanned),
                      "; ".join(filter(None, notes)), _catchment_frame(m, sol, ctx.levels), by_grade, rooms,
                      _closure_frame(m, sol, ctx.regions), conversions, _area_points(m.inputs.catchment))


def _entrants_solved(m, sol: Solution, c):
    """(pupils at each pool, unseated pupils) of a school-granularity plan; without a solution, the
    base year's shares and nothing unseated."""
    from capsim.planner.entrants import solved

    if np.isfinite(sol.values).all():
        return solved(m, sol.values)
    return c.pupils, np.zeros(c.entrants.region_pupils.shape)


def shortfalls_by_school(missing: pd.DataFrame, short, unseated, c, ctx: PlanContext, years) -> pd.DataFrame:
    """The shortfalls of a school-granularity plan named by school: one row per year, region,
    school, level and the grades short there, with the cause found for its region, level and
    year (``school`` empty for pupils no school of the region teaches)."""
    from capsim.projection import tidy_columns

    K = len(c.cell_level)
    at = tidy_columns({"seats": short}, pool=np.arange(short.shape[0]), cell=np.arange(K), year=years)
    at["region"] = np.asarray(ctx.regions, dtype=object)[c.pool_region[at.pool]]
    at["school"] = np.asarray(c.pools, dtype=object)[at.pool]
    left = tidy_columns({"seats": unseated}, region=ctx.regions, cell=np.arange(K), year=years).assign(school="")
    rows = pd.concat([at.drop(columns="pool"), left], ignore_index=True)
    rows = rows[rows.seats > 0.5]
    rows["level"] = np.asarray(ctx.levels, dtype=object)[c.cell_level[rows.cell]]
    rows["grade"] = c.cell_grade[rows.cell]
    keys = ["year", "region", "level"]
    out = rows.groupby(keys + ["school"], sort=False).agg(
        grades=("grade", lambda g: " ".join(str(v) for v in sorted(g))), seats=("seats", "sum")).reset_index()
    out = out.merge(missing[keys + ["cause"]], on=keys, how="left")
    order = missing[keys].assign(order=np.arange(len(missing)))
    out = out.merge(order, on=keys, how="left").sort_values(["order", "seats"], ascending=[True, False], kind="stable")
    return out[["year", "region", "school", "level", "grades", "seats", "cause"]].reset_index(drop=True)


def _class_frames(m, sol: Solution, x, ctx: PlanContext, short, rented_rooms, pupils=None, changed=None):
    """The class model's plan by grade (students, the cohort's classes, their seats at its class
    size: the grade's standard or the cohort's new-intake cap; shortfall) and by level (classrooms
    before, added, rented, gained (+) or lost (-) by the schools closed or converted, mothballed,
    the classes formed, and the classrooms before, added or gained left empty, not mothballed)."""
    from capsim.planner.classes import classes_of_cells
    from capsim.projection import tidy_columns

    c = m.inputs.cohorts
    years = m.inputs.years
    formed = classes_of_cells(m, sol.values) if np.isfinite(sol.values).all() else np.zeros(short.shape)
    Z = c.pupils.shape[0]
    frame = tidy_columns({"students": c.pupils if pupils is None else pupils, "classes": formed, "class_seats": formed * c.class_size()[None],
                          "shortfall": short}, pool=np.arange(Z), cell=np.arange(len(c.cell_level)), year=years)
    frame.insert(2, "level", np.asarray(ctx.levels, dtype=object)[c.cell_level[frame.cell]])
    frame.insert(3, "grade", c.cell_grade[frame.cell])
    added = _seats_added(m, x, c.project_rooms, Z, c.pool_of(m.inputs.projects))
    in_use = ctx.cells.by_level(formed, len(ctx.levels))
    changed = np.zeros(c.rooms.shape) if changed is None else changed
    mothballed = np.zeros(c.rooms.shape)
    if m.mothball_index is not None and np.isfinite(sol.values).all():
        mothballed = np.rint(sol.values[m.mothball_index])
    rooms = tidy_columns({"rooms_before": c.rooms, "rooms_added": added, "rooms_rented": rented_rooms,
                          "rooms_changed": changed, "rooms_mothballed": mothballed, "classes": in_use,
                          "rooms_empty": np.maximum(c.rooms + added + changed - mothballed - in_use, 0.0)},
                         pool=np.arange(Z), level=ctx.levels, year=years)
    zoned = c.pool_region is not None
    for f in (frame, rooms):
        region = c.pool_region[f.pool] if zoned else f.pool
        f.insert(1, "region", np.asarray(ctx.regions, dtype=object)[region])
        if zoned:
            f.insert(2, c.pool_kind, np.asarray(c.pools, dtype=object)[f.pool])
    keys = ["year", "region"] + ([c.pool_kind] if zoned else [])
    by_grade = frame[keys + ["level", "grade", "students", "classes", "class_seats", "shortfall"]]
    return by_grade, rooms[keys + ["level", "rooms_before", "rooms_added", "rooms_rented", "rooms_changed",
                                   "rooms_mothballed", "classes", "rooms_empty"]]


def _decided(sol: Solution, index) -> np.ndarray:
    """(I, Y) the closures or conversions a solution makes by each year (none without a solution)."""
    if not np.isfinite(sol.values).all():
        return np.zeros(index.shape)
    return (np.rint(sol.values[index]) > 0.5).astype(float)


def _decided_rooms(m, sol: Solution) -> np.ndarray | None:
    """(Z, L, Y) classrooms the schools closed or converted by each year add to (+) or take
    from (-) each pool and level (None without closures or conversions)."""
    c = m.inputs.cohorts
    if m.shut_index is None and m.convert_index is None:
        return None
    out = np.zeros(c.rooms.shape)
    if m.shut_index is not None:
        np.add.at(out, c.closable_pool, -c.closable_rooms * _decided(sol, m.shut_index)[:, None, :])
    if m.convert_index is not None:
        v, made = c.conversions, _decided(sol, m.convert_index)
        np.add.at(out, (v.pool, v.level_from), -v.rooms * made)
        np.add.at(out, (v.pool, v.level_to), v.gain * made)
    return out


def _conversion_frame(m, sol: Solution, regions, levels) -> pd.DataFrame | None:
    """The schools a plan converts: the first year each teaches its new level, its region, the
    level it left and the one it teaches, its classrooms before and after, and the refit's cost
    (None without ``plan.conversions``)."""
    if m.convert_index is None:
        return None
    from capsim.planner.model import conversion_spend

    c, years = m.inputs.cohorts, m.inputs.years
    v = c.conversions
    made = (_decided(sol, m.convert_index) > 0) & (v.rooms > 0)      # while it stands
    i = np.flatnonzero(made.any(axis=1))
    t = np.argmax(made[i], axis=1)
    region = v.pool[i] if c.pool_region is None else c.pool_region[v.pool[i]]
    names = np.asarray(levels, dtype=object)
    return pd.DataFrame({"year": years[t], "region": np.asarray(regions, dtype=object)[region], "school": v.school[i],
                         "level": names[v.level_from[i]], "into": names[v.level_to[i]], "classrooms": v.rooms[i, t],
                         "classrooms_after": v.gain[i, t], "cost_yuan": conversion_spend(m)[i, t]})


def _closure_frame(m, sol: Solution, regions) -> pd.DataFrame | None:
    """The schools a plan closes: the first year each is closed, its region and the lawful
    classrooms it held the year before (None without ``plan.closures``)."""
    if m.shut_index is None:
        return None
    c, years = m.inputs.cohorts, m.inputs.years
    shut = (_decided(sol, m.shut_index) > 0) & (c.closable_rooms.sum(axis=1) > 0)   # while it stands
    s = np.flatnonzero(shut.any(axis=1))
    t = np.argmax(shut[s], axis=1)
    region = c.closable_pool[s] if c.pool_region is None else c.pool_region[c.closable_pool[s]]
    return pd.DataFrame({"year": years[t], "region": np.asarray(regions, dtype=object)[region],
                         "school": c.closable[s], "classrooms": c.closable_rooms[s, :, t - 1].sum(axis=1)})


def _grade_frame(ctx: PlanContext, added, rented, short) -> pd.DataFrame | None:
    """The capacity cells of a plan by grade (None where cells are whole levels)."""
    from capsim.projection import tidy_columns

    cells = ctx.cells
    if not cells.by_grade:
        return None
    frame = tidy_columns({"students": cells.demand, "seats_before": cells.lawful, "seats_added": added,
                          "rented": rented, "shortfall": short}, region=ctx.regions, cell=np.arange(len(cells.level)),
                         year=ctx.inputs.years)
    frame.insert(2, "level", np.asarray(ctx.levels, dtype=object)[cells.level[frame.cell]])
    frame.insert(3, "grade", cells.grade[frame.cell])
    return frame.drop(columns="cell")[["year", "region", "level", "grade", "students", "seats_before", "seats_added",
                                       "rented", "shortfall"]]


def _area_points(c) -> pd.DataFrame | None:
    """id, x, y of each residential area (None without areas or their points)."""
    if c is None or c.area_points is None:
        return None
    return pd.DataFrame({"id": list(c.areas), "x": c.area_points.xy[:, 0], "y": c.area_points.xy[:, 1]})


def _catchment_frame(m, sol: Solution, levels) -> pd.DataFrame | None:
    """One row per area, level, year and school the area's pupils go to (school empty: unserved),
    the level's grades summed."""
    from capsim.planner.catchment import assignments

    c = m.inputs.catchment
    if c is None or not np.isfinite(sol.values).all():
        return None
    got = assignments(m, sol.values)
    years, level_of = m.inputs.years, np.asarray(levels, dtype=object)[c.zone_of]
    served = pd.DataFrame({"year": years[got["year"]], "area": np.asarray(c.areas, dtype=object)[got["area"]],
                           "level": level_of[got["cell"]],
                           "school": np.asarray(c.sites, dtype=object)[got["site"]], "pupils": got["pupils"],
                           "cost_per_pupil_yuan": c.cost[got["area"], got["site"]]})
    a, k, t = np.nonzero(got["unserved"] > 1e-6)
    unserved = pd.DataFrame({"year": years[t], "area": np.asarray(c.areas, dtype=object)[a],
                             "level": level_of[k], "school": "",
                             "pupils": got["unserved"][a, k, t], "cost_per_pupil_yuan": np.nan})
    keys = ["year", "area", "level", "school"]
    return pd.concat([served, unserved], ignore_index=True).groupby(keys, as_index=False).agg(
        pupils=("pupils", "sum"), cost_per_pupil_yuan=("cost_per_pupil_yuan", "first"))


def openings(m, sol: Solution) -> np.ndarray:
    """(P, Y) 1 where project p opens in year y in the solution (all 0 without a solution)."""
    x = np.zeros(m.x_index.shape)
    ok = m.x_index >= 0
    if np.isfinite(sol.values).all():
        x[ok] = np.rint(sol.values[m.x_index[ok]])
    return x


def schedule_frame(m, x, regions) -> pd.DataFrame:
    """One row per opening of ``x``: id, name, region, level, kind, type, start and open year,
    seats, cost, the cost spent in the plan's years, committed."""
    p, years = m.inputs.projects, m.inputs.years
    chosen_p, chosen_y = np.nonzero(x > 0.5)
    spend = milp.spending(p, years)[chosen_p, chosen_y]             # (K, Y)
    return pd.DataFrame({
        "id": [p.ids[i] for i in chosen_p], "name": [p.names[i] for i in chosen_p],
        "region": [regions[p.region[i]] for i in chosen_p],
        "level": ["+".join(lv for lv, n in zip(p.levels, p.seats[i]) if n > 0) for i in chosen_p],
        "kind": p.kind[chosen_p], "type": p.type[chosen_p],
        "start_year": years[chosen_y] - p.build_years[chosen_p], "open_year": years[chosen_y],
        "seats": p.seats[chosen_p].sum(axis=1), "cost_yuan": p.cost[chosen_p],
        "cost_in_plan_years_yuan": spend.sum(axis=1), "committed": np.isfinite(p.committed[chosen_p]),
    })


def _seats_added(m, x, seats=None, n_rows=None, rows=None):
    """(R, K, Y) seats the chosen projects add in each year (while they stand), per capacity cell,
    or per column of ``seats`` (P, K) when given (e.g. ``projects.seats``: per level); per region,
    or per ``rows`` (P,) of ``n_rows`` (e.g. the pools of classrooms)."""
    inp = m.inputs
    p, years = inp.projects, inp.years
    seats = milp.cell_seats(inp) if seats is None else seats
    rows = p.region if rows is None else rows
    out = np.zeros((inp.need.shape[0] if n_rows is None else n_rows, seats.shape[1], len(years)))
    for i, y in zip(*np.nonzero(x > 0.5)):
        standing = (years >= years[y]) & (years < years[y] + p.duration[i])
        out[rows[i]] += seats[i][:, None] * standing[None, :]
    return out


def _seat_frame(regions, levels, years, demand, lawful, added, rented, short):
    from capsim.projection import tidy_columns

    return tidy_columns({"students": demand, "seats_before": lawful, "seats_added": added, "rented": rented,
                         "shortfall": short}, region=regions, level=levels, year=years)[
        ["year", "region", "level", "students", "seats_before", "seats_added", "rented", "shortfall"]]
