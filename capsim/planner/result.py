"""A plan as tables (:class:`PlanResult`): the solver's values read back through the model's
index arrays into the schedule, spending, seats after the plan, shortfalls by cause, classes
and classrooms, catchments, closures and conversions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.planner import model as milp
from capsim.planner.common import sum_into
from capsim.planner.context import PlanContext
from capsim.planner.projects import Projects
from capsim.planner.solve import Solution

COMMITTED_ONLY = "committed only"    # the solver found no plan in time: the committed projects alone


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
                                                 # rooms_added, rooms_rented, rooms_changed,
                                                 # rooms_mothballed, classes, rooms_empty
    closures: pd.DataFrame | None = None         # with plan.closures: year (first closed), region, school,
                                                 # classrooms (lawful, the year before it closes), merged_into
                                                 # (with the schools table's merge_into)
    conversions: pd.DataFrame | None = None      # with plan.conversions, a row each year a school converts: year,
                                                 # region, school, level, into, classrooms, classrooms_after,
                                                 # cost_yuan, whole
    areas: pd.DataFrame | None = None            # with data.areas giving points: id, x, y of each area
    school_classes: pd.DataFrame | None = None   # catchment plans in whole classes: year, school, level, grade,
                                                 # pupils, classes, class_size

    @property
    def summary(self) -> dict:
        s = self.solution
        return {"status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap, "solver": s.solver,
                "build_seconds": s.build_seconds, "solve_seconds": s.solve_seconds,
                "projects": len(self.schedule), "cost_yuan": float(self.spending.cost_yuan.sum()),
                "seats_added": float(self.schedule.seats.sum()), "shortfall_seat_years": float(self.shortfalls.seats.sum()),
                "levels_not_planned": " ".join(self.levels_not_planned), "notes": self.notes}


def result(m, sol: Solution, ctx: PlanContext, evaluated=False) -> PlanResult:
    from capsim.planner.diagnose import shortfalls

    inp = m.inputs
    p, years = inp.projects, inp.years
    x = openings(m, sol)
    chosen_p, chosen_y = np.nonzero(x > 0.5)
    spend = milp.spending(p, years)[chosen_p, chosen_y]             # (K, Y)
    schedule = schedule_frame(m, x, ctx.regions)
    k, s = np.nonzero(spend)
    spending = pd.DataFrame({"year": years[s], "project": [p.ids[i] for i in chosen_p[k]], "cost_yuan": spend[k, s]})
    conversions = conversion_frame(m, sol, ctx.regions, ctx.levels)
    if conversions is not None and len(conversions):
        spending = pd.concat([spending, pd.DataFrame({"year": conversions.year, "project": [
            f"{school} → {into}" for school, into in zip(conversions.school, conversions.into)],
            "cost_yuan": conversions.cost_yuan})], ignore_index=True)
    changed = decided_rooms(m, sol)
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
    added_seats = seats_added(m, x, p.seats, R)
    if changed is not None:                # net of the schools closed or converted
        added_seats = added_seats + inp.cohorts.to_regions(changed, R) * inp.cohorts.room_seats[None, :, None]
    closed, converted = closed_site_rooms(m, sol), converted_site_rooms(m, sol)
    if closed is not None:                 # net of the lawful seats of the schools closed
        gone = inp.catchment.seats * (closed > 0)[:, inp.catchment.zone_of, :]
        added_seats = added_seats - ctx.cells.by_level(sum_into(gone, inp.catchment.regions_of_sites(), R), L)
    if converted is not None:              # and of the classrooms converted, each a class of the level
        added_seats = added_seats + sum_into(converted, inp.catchment.regions_of_sites(), R) * \
            inp.catchment.classes.room_seats[None, :, None]
    at_sites = site_rooms_changed(m, sol)
    pupils = _pupils_where_seated(m, sol, ctx)
    seats = _seat_frame(ctx.regions, ctx.levels, years, ctx.cells.by_level(pupils, L), ctx.lawful, added_seats,
                        rented_seats, ctx.cells.by_level(short, L))
    opening = np.full(len(p.ids), np.nan)
    opening[chosen_p] = years[chosen_y]
    timed_out = sol.status == COMMITTED_ONLY
    missing = shortfalls(m, x, short, _covered(m, x, ctx, pupils, at_sites), ctx.regions, ctx.levels, ctx.cells,
                         evaluated, timed_out, _removed_seats(inp, changed, at_sites, R),
                         _classes_held(m, sol, x, changed, rented_rooms if inp.cohorts is not None else None, R))
    if pool_pupils is not None:
        missing = shortfalls_by_school(missing, pool_short, unseated, inp.cohorts, ctx, years)
    from capsim.planner.goals import missed

    notes = [ctx.over_budget] + (["the solver found no plan within plan.time_limit: the plan is the committed "
                                  "projects alone"] if timed_out else []) + missed(m, sol.values, years)
    if inp.cohorts is not None:
        by_grade, rooms = _class_frames(m, sol, x, ctx, pool_short, rented_rooms, pool_pupils, changed)
    elif inp.catchment is not None and inp.catchment.classes is not None:
        by_grade, rooms = _site_class_frames(m, sol, x, ctx, pupils, short, rented, at_sites)
    else:
        by_grade, rooms = _grade_frame(ctx, pupils, seats_added(m, x, None, R), rented, short), None
    return PlanResult(schedule, spending, seats, missing, sol, p, opening, tuple(ctx.unplanned),
                      "; ".join(filter(None, notes)), _catchment_frame(m, sol, ctx.levels), by_grade, rooms,
                      closure_frame(m, sol, ctx.regions), conversions, _area_points(m.inputs.catchment),
                      _school_class_frame(m, sol, ctx))


def _removed_seats(inp, changed, at_sites, R) -> np.ndarray | None:
    """(R, L, Y) seats of the classrooms of each level the plan's closures and conversions took
    out of each region by each year, net of those conversions gave it (each a class of the
    level's mean standard); None without closures or conversions. ``changed`` (Z, L, Y) the
    pools' classrooms gained or lost (:func:`decided_rooms`), ``at_sites`` (J, E, Y) the sites'
    (:func:`site_rooms_changed`)."""
    if changed is not None:
        rooms, seats = inp.cohorts.to_regions(changed, R), inp.cohorts.room_seats
    elif at_sites is not None:
        rooms = sum_into(at_sites, inp.catchment.regions_of_sites(), R)
        seats = inp.catchment.classes.room_seats
    else:
        return None
    return None if seats is None else np.maximum(-rooms, 0.0) * seats[None, :, None]


def _classes_held(m, sol: Solution, x, changed, rented_rooms, R) -> np.ndarray | None:
    """(R, L, Y) planning in whole classes at the region or zone level, true where every pool's
    classrooms (those that exist, the plan's, those closures and conversions took or gave, the
    rented, less the mothballed) would hold the pupils of every grade as classes of their size,
    ``sum_g ceil(pupils[g] / size[g])``: a shortfall there is the cohorts keeping the classes they
    have (listed in the base year or formed at intake) while the intake lacks a room. None
    elsewhere (at school granularity pupils also choose their school)."""
    c = m.inputs.cohorts
    if c is None or c.entrants is not None or c.copies != 1:
        return None
    Z = c.rooms.shape[0]
    rooms = c.rooms + seats_added(m, x, c.project_rooms, Z, c.pool_of(m.inputs.projects))
    rooms = rooms + (0.0 if changed is None else changed) + (0.0 if rented_rooms is None else rented_rooms)
    if m.mothball_index is not None and np.isfinite(sol.values).all():
        rooms = rooms - sol.values[m.mothball_index]
    needed = np.zeros(rooms.shape)
    np.add.at(needed, (slice(None), c.cell_level), np.ceil(c.pupils / c.class_size()[None] - 1e-9))
    return c.to_regions((rooms < needed - 1e-9).astype(float), R) < 0.5


def _covered(m, x, ctx: PlanContext, pupils, changed=None) -> np.ndarray | None:
    """(R, K, Y) at the catchment level, true where the region's places with the plan ``x``'s would
    cover its ``pupils`` of the cell (where they sit, :func:`_pupils_where_seated`), were they free
    to sit anywhere in it (None at region level): the seats the plan adds cover the cell's need
    (those pupils less its lawful seats), or in whole
    classes the classrooms of the level at the region's sites, before and added, with those the
    schools closed or converted took or gave (``changed``, :func:`site_rooms_changed`), hold the
    classes of every grade, ``sum_g ceil(pupils[g] / size[g])``."""
    inp = m.inputs
    c = inp.catchment
    if c is None:
        return None
    R = len(ctx.regions)
    if c.classes is None:
        return seats_added(m, x, None, R) >= np.maximum(pupils - ctx.cells.lawful, 0.0) - 1e-6
    s = c.classes
    region = c.regions_of_sites()
    rooms = sum_into(s.rooms if changed is None else s.rooms + changed, region, R) + \
        seats_added(m, x, s.project_rooms, R, region[c.project_site])
    needed = ctx.cells.by_level(np.ceil(pupils / s.size[None] - 1e-9), len(ctx.levels))
    return (rooms >= needed - 1e-9)[:, c.zone_of, :]


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

    c = m.inputs.cohorts
    formed = classes_of_cells(m, sol.values) if np.isfinite(sol.values).all() else np.zeros(short.shape)
    Z = c.pupils.shape[0]
    added = seats_added(m, x, c.project_rooms, Z, c.pool_of(m.inputs.projects))
    changed = np.zeros(c.rooms.shape) if changed is None else changed
    mothballed = np.zeros(c.rooms.shape)
    if m.mothball_index is not None and np.isfinite(sol.values).all():
        mothballed = np.rint(sol.values[m.mothball_index])
    grades = {"students": c.pupils if pupils is None else pupils, "classes": formed,
              "class_seats": formed * c.class_size()[None], "shortfall": short}
    rooms = {"rooms_before": c.rooms, "rooms_added": added, "rooms_rented": rented_rooms, "rooms_changed": changed,
             "rooms_mothballed": mothballed}
    zoned = c.pool_region is not None
    pools = (c.pool_region, c.pools, c.pool_kind) if zoned else None
    return _class_tables(ctx, m.inputs.years, grades, rooms, pools)


def _pupils_where_seated(m, sol: Solution, ctx: PlanContext) -> np.ndarray:
    """(R, K, Y) each region's pupils by cell: at the catchment level counted where they are
    seated (:func:`capsim.planner.catchment.pupils_where_seated`), else (and without a solution)
    where they live."""
    from capsim.planner.catchment import pupils_where_seated

    if m.inputs.catchment is None or not np.isfinite(sol.values).all():
        return ctx.cells.demand
    return pupils_where_seated(m, sol.values, len(ctx.regions))


def _site_class_frames(m, sol: Solution, x, ctx: PlanContext, pupils, short, rented, changed=None):
    """The catchment level's plan in whole classes by region, as :func:`_class_frames` gives the
    class model's: the classes formed at the region's sites (schools and new sites) and their
    seats, against the region's ``pupils`` (where they sit) and its shortfall; its sites'
    classrooms before, added and taken or given by closures and conversions (``changed``,
    :func:`site_rooms_changed`), and the classrooms' worth of the seats rented (each grade's seats
    over its class size)."""
    c, R = m.inputs.catchment, len(ctx.regions)
    s, region = c.classes, c.regions_of_sites()
    formed = np.rint(sol.values[m.assignment.k_index]) if np.isfinite(sol.values).all() else np.zeros(c.seats.shape)
    grades = {"students": pupils, "classes": sum_into(formed, region, R),
              "class_seats": sum_into(formed * s.size[None], region, R), "shortfall": short}
    zero = np.zeros((R,) + s.rooms.shape[1:])
    rooms = {"rooms_before": sum_into(s.rooms, region, R),
             "rooms_added": seats_added(m, x, s.project_rooms, R, region[c.project_site]),
             "rooms_rented": ctx.cells.by_level(rented / s.size[None], len(ctx.levels)),
             "rooms_changed": zero if changed is None else sum_into(changed, region, R), "rooms_mothballed": zero}
    return _class_tables(ctx, m.inputs.years, grades, rooms)


def _class_tables(ctx: PlanContext, years, grades: dict, rooms: dict, pools=None):
    """(by grade, by level) frames of a plan in classes from arrays over pools: ``grades`` (Z, K, Y)
    students, classes, class_seats, shortfall; ``rooms`` (Z, L, Y) rooms_before, rooms_added,
    rooms_rented, rooms_changed, rooms_mothballed, to which the classes in use and the rooms left
    empty are added. Pools are regions, or ``pools`` = (region of each pool, pool labels, what a
    pool is) where they are zones or schools."""
    from capsim.projection import tidy_columns

    cells, L = ctx.cells, len(ctx.levels)
    Z = grades["classes"].shape[0]
    frame = tidy_columns(grades, pool=np.arange(Z), cell=np.arange(len(cells.level)), year=years)
    frame.insert(2, "level", np.asarray(ctx.levels, dtype=object)[cells.level[frame.cell]])
    frame.insert(3, "grade", cells.grade[frame.cell])
    in_use = cells.by_level(grades["classes"], L)
    standing = rooms["rooms_before"] + rooms["rooms_added"] + rooms["rooms_changed"] - rooms["rooms_mothballed"]
    table = tidy_columns({**rooms, "classes": in_use, "rooms_empty": np.maximum(standing - in_use, 0.0)},
                         pool=np.arange(Z), level=ctx.levels, year=years)
    for f in (frame, table):
        region = f.pool if pools is None else pools[0][f.pool]
        f.insert(1, "region", np.asarray(ctx.regions, dtype=object)[region])
        if pools is not None:
            f.insert(2, pools[2], np.asarray(pools[1], dtype=object)[f.pool])
    keys = ["year", "region"] + ([pools[2]] if pools is not None else [])
    by_grade = frame[keys + ["level", "grade", "students", "classes", "class_seats", "shortfall"]]
    return by_grade, table[keys + ["level", "rooms_before", "rooms_added", "rooms_rented", "rooms_changed",
                                   "rooms_mothballed", "classes", "rooms_empty"]]


def _decided(sol: Solution, index) -> np.ndarray:
    """(I, Y) the closures or conversions a solution makes by each year, in units (a school, or
    with conversions by classroom the classrooms; none without a solution)."""
    if not np.isfinite(sol.values).all():
        return np.zeros(index.shape)
    return np.maximum(np.rint(sol.values[index]), 0.0)


def closed_site_rooms(m, sol: Solution) -> np.ndarray | None:
    """(J, E, Y) at the catchment level, the classrooms each site's closure takes away (>= 0;
    None without closures there)."""
    c = m.inputs.catchment
    if m.shut_index is None or c is None or c.closable is None:
        return None
    out = np.zeros(c.classes.rooms.shape)
    np.add.at(out, c.closable_pool, c.closable_rooms * _decided(sol, m.shut_index)[:, None, :])
    return out


def converted_site_rooms(m, sol: Solution) -> np.ndarray | None:
    """(J, E, Y) at the catchment level, the classrooms each site's conversions made by each year
    give (+) its new level and take (-) from its old one (None without conversions there)."""
    c = m.inputs.catchment
    if m.convert_index is None or c is None:
        return None
    return c.conversions.rooms_changed(_decided(sol, m.convert_index), c.classes.rooms.shape)


def site_rooms_changed(m, sol: Solution) -> np.ndarray | None:
    """(J, E, Y) at the catchment level, the classrooms each site gains (+) or loses (-) by the
    schools closed (:func:`closed_site_rooms`) and converted (:func:`converted_site_rooms`) by
    each year (None without either there)."""
    closed, converted = closed_site_rooms(m, sol), converted_site_rooms(m, sol)
    if closed is None and converted is None:
        return None
    return (0.0 if closed is None else -closed) + (0.0 if converted is None else converted)


def decided_rooms(m, sol: Solution) -> np.ndarray | None:
    """(Z, L, Y) classrooms the schools closed or converted by each year add to (+) or take
    from (-) each pool and level (None without closures or conversions, or at the catchment
    level: :func:`site_rooms_changed`)."""
    c = m.inputs.cohorts
    if (m.shut_index is None and m.convert_index is None) or c is None:
        return None
    out = np.zeros(c.rooms.shape)
    if m.shut_index is not None:
        np.add.at(out, c.closable_pool, -c.closable_rooms * _decided(sol, m.shut_index)[:, None, :])
    if m.convert_index is not None:
        out += c.conversions.rooms_changed(_decided(sol, m.convert_index), out.shape)
    return out


def conversion_frame(m, sol: Solution, regions, levels) -> pd.DataFrame | None:
    """The conversions a plan makes, a row for each year a school converts: the year it first
    teaches the new level with them, its region, the level it left and the one it teaches, the
    classrooms converted then (all of the school's, or by classroom those converted that year)
    and the new level's classrooms they give, the refit's cost, and whether the school converts
    whole; at the catchment level, where a school converted whole sends its old level's pupils
    (``moved_to``, :func:`_moved_to`; '' converting by classroom). None without
    ``plan.conversions``."""
    if m.convert_index is None:
        return None
    from capsim.planner.model import conversion_spend

    c, years = m.inputs.cohorts, m.inputs.years
    v = milp.conversions(m.inputs)
    made = _decided(sol, m.convert_index) * (v.rooms > 0)               # while it stands
    step = np.diff(made, axis=1, prepend=0.0)
    i, t = np.nonzero(step > 0)
    n = step[i, t]
    if c is None:                                                       # at the catchment level, its site's
        region = m.inputs.catchment.regions_of_sites()[v.pool[i]]
    else:
        region = v.pool[i] if c.pool_region is None else c.pool_region[v.pool[i]]
    names = np.asarray(levels, dtype=object)
    frame = pd.DataFrame({"year": years[t], "region": np.asarray(regions, dtype=object)[region], "school": v.school[i],
                          "level": names[v.level_from[i]], "into": names[v.level_to[i]],
                          "classrooms": n * v.rooms[i, t], "classrooms_after": n * v.gain[i, t],
                          "cost_yuan": n * conversion_spend(m)[i, t], "whole": v.whole[i]})
    if c is not None or not np.isfinite(sol.values).all():
        return frame
    moved = np.full(len(frame), "", dtype=object)        # at the catchment level, where its old level's pupils go
    for f in np.unique(v.level_from[i][v.whole[i]]):
        at = np.flatnonzero(v.whole[i] & (v.level_from[i] == f))
        moved[at] = _moved_to(m, sol, v.pool[i[at]], t[at], f)
    return frame.assign(moved_to=moved)


def closure_frame(m, sol: Solution, regions) -> pd.DataFrame | None:
    """The schools a plan closes: the first year each is closed, its region, the lawful
    classrooms it held the year before and, where the schools table has ``merge_into``, the
    school it merges into ('' for none), or at the catchment level where its pupils go
    (:func:`_moved_to`) (None without ``plan.closures``)."""
    if m.shut_index is None:
        return None
    c, years = milp.closable(m.inputs), m.inputs.years
    shut = (_decided(sol, m.shut_index) > 0) & (c.closable_rooms.sum(axis=1) > 0)   # while it stands
    s = np.flatnonzero(shut.any(axis=1))
    t = np.argmax(shut[s], axis=1)
    if c is m.inputs.catchment:
        region = c.regions_of_sites()[c.closable_pool[s]]
    else:
        region = c.closable_pool[s] if c.pool_region is None else c.pool_region[c.closable_pool[s]]
    frame = pd.DataFrame({"year": years[t], "region": np.asarray(regions, dtype=object)[region],
                          "school": c.closable[s], "classrooms": c.closable_rooms[s, :, t - 1].sum(axis=1)})
    if c is m.inputs.catchment and np.isfinite(sol.values).all():
        return frame.assign(moved_to=_moved_to(m, sol, c.closable_pool[s], t))
    return frame if c.closable_into is None else frame.assign(merged_into=c.closable_into[s])


def _moved_to(m, sol: Solution, sites, t, level=None) -> list[str]:
    """At the catchment level, where each closed school's pupils go (``sites`` (S,) its site,
    ``t`` (S,) the year index it first stands closed; with ``level``, where the pupils of that
    level go from each school converted whole from it): for each area and level it seated the
    year before, the pupils each open school gains from that area that year (its pupils then less
    the year before's, where more; where no school gains, as the area's pupils of the level are
    seated then), scaled down to no more than the schools closing that year seated, and shared
    among them by what each seated; 'ID pupils, ...', most first ('' if it seated nobody)."""
    from capsim.planner.catchment import assignments

    c = m.inputs.catchment
    got = assignments(m, sol.values)
    seated = pd.DataFrame({"area": got["area"], "level": c.zone_of[got["cell"]], "site": got["site"],
                           "year": got["year"], "pupils": got["pupils"]})
    if level is not None:
        seated = seated[seated.level == level]
    by = seated.groupby(["year", "area", "level", "site"]).pupils.sum()
    out = []
    for j, y in zip(sites, t):
        closing = set(np.asarray(sites)[np.asarray(t) == y])
        held = by.loc[y - 1].unstack("site", fill_value=0.0) if y - 1 in by.index.levels[0] else None
        now = by.loc[y].unstack("site", fill_value=0.0) if y in by.index.levels[0] else None
        if held is None or now is None or j not in held or not (held[j] > 0).any():
            out.append("")
            continue
        held = held[held[j] > 0]
        now = now.reindex(index=held.index, columns=now.columns.union(held.columns), fill_value=0.0)
        gain = now - held.reindex(columns=now.columns, fill_value=0.0)
        gain = gain.where(gain > 1e-6, 0.0)                         # (rounding is no gain)
        gains = np.broadcast_to((gain.sum(axis=1) > 0).to_numpy()[:, None], gain.shape)
        gain = gain.where(gains, now)                               # none gains: as the area is seated
        closed = held[[k for k in held.columns if k in closing]].sum(axis=1)     # what the closing ones seated
        total = gain.sum(axis=1)
        scale = np.minimum(closed, total) / total.where(total > 0, 1.0)        # never more than they seated
        moved = gain.mul(scale * held[j] / closed, axis=0).sum(axis=0)
        moved = moved[moved.round() > 0].sort_values(ascending=False)
        out.append(", ".join(f"{c.sites[k]} {v:,.0f}" for k, v in moved.items()))
    return out


def _grade_frame(ctx: PlanContext, pupils, added, rented, short) -> pd.DataFrame | None:
    """The capacity cells of a plan by grade (None where cells are whole levels), ``pupils`` by cell."""
    from capsim.projection import tidy_columns

    cells = ctx.cells
    if not cells.by_grade:
        return None
    frame = tidy_columns({"students": pupils, "seats_before": cells.lawful, "seats_added": added,
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


def _school_class_frame(m, sol: Solution, ctx: PlanContext) -> pd.DataFrame | None:
    """Catchment plans in whole classes: one row per school (site), grade and year with pupils or
    classes: the pupils the plan seats there, their cohort's classes, and the most pupils a class
    of it holds (the grade's standard or its new-intake cap)."""
    from capsim.planner.catchment import assignments

    c = m.inputs.catchment
    if c is None or c.classes is None or not np.isfinite(sol.values).all():
        return None
    got = assignments(m, sol.values)
    pupils = np.zeros(c.seats.shape)
    np.add.at(pupils, (got["site"], got["cell"], got["year"]), got["pupils"])
    formed = np.rint(sol.values[m.assignment.k_index])
    j, k, t = np.nonzero((formed > 0) | (pupils > 1e-6))
    return pd.DataFrame({"year": m.inputs.years[t], "school": np.asarray(c.sites, dtype=object)[j],
                         "level": np.asarray(ctx.levels, dtype=object)[c.zone_of[k]], "grade": ctx.cells.grade[k],
                         "pupils": pupils[j, k, t], "classes": formed[j, k, t], "class_size": c.classes.size[k, t]}
                        ).sort_values(["year", "school", "level", "grade"], kind="stable").reset_index(drop=True)


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
        "start_year": (years[chosen_y] - p.build_years[chosen_p]).astype(int), "open_year": years[chosen_y],
        "seats": p.seats[chosen_p].sum(axis=1), "cost_yuan": p.cost[chosen_p],
        "cost_in_plan_years_yuan": spend.sum(axis=1), "committed": np.isfinite(p.committed[chosen_p]),
    })


def seats_added(m, x, seats=None, n_rows=None, rows=None):
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
