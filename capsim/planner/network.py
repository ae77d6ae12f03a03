"""The network after a plan: the chosen projects added to the schools (or region seats).

A new school or temporary block becomes a school row, open from its opening year (until
``opening + duration`` for temporary classrooms), with the project's seats and
``round(seats_l / standard_l)`` classrooms per level ``l`` (``standard_l`` the level's mean
standard class), spread evenly over the level's grades, the remainder to the lowest grades
(:func:`classes_by_grade`); an expansion adds its classrooms of each level, spread alike, and
its seats to its school from the opening year on. Without a school list, the seats added and
rented per region, level and year are added to the region seats. Where the schools table
says who runs each school (``ownership``), a new school or temporary block is public (公办: the
bureau builds it) and a converted school's new part is run as the school was. The assessment of this network is
the plan's "after" picture.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from capsim.capacity import mean_class
from capsim.geo import Points
from capsim.school_data import Capacity, Expansion, Schools


def planned_schools(scenario, schools: Schools, projects, opening) -> Schools:
    """``schools`` with the projects opening in ``opening`` (P,) (NaN: not built) added."""
    chosen = np.flatnonzero(np.isfinite(opening))
    is_expansion = projects.kind[chosen] == "expansion"
    expansions = tuple(
        Expansion(int(projects.school[i]), float(opening[i]), float(opening[i] + projects.duration[i]),
                  _classrooms_by_level(scenario, projects, i),
                  {lv: float(n) for lv, n in zip(projects.levels, projects.seats[i]) if n > 0})
        for i in chosen[is_expansion])
    new = chosen[~is_expansion]
    if not len(new):
        return replace(schools, expansions=schools.expansions + expansions)
    caps = scenario.standards.max_school_size
    n = len(new)
    per_grade = classes_by_grade(scenario, projects)
    return replace(
        schools,
        ids=schools.ids + tuple(projects.ids[i] for i in new),
        names=schools.names + tuple(projects.names[i] for i in new),
        region=np.concatenate([schools.region, projects.region[new]]),
        type=np.concatenate([schools.type, projects.type[new]]),
        classes=np.concatenate([schools.classes, [sum(_classrooms_by_level(scenario, projects, i).values())
                                                  for i in new]]),
        seats=np.concatenate([schools.seats, projects.seats[new].sum(axis=1)]),
        opened=np.concatenate([schools.opened, opening[new]]),
        closed=np.concatenate([schools.closed, opening[new] + projects.duration[new]]),
        max_students=np.concatenate([schools.max_students, [caps.get(t, np.inf) for t in projects.type[new]]]),
        base_students={lv: np.vstack([a, np.full((n, a.shape[1]), np.nan)]) for lv, a in schools.base_students.items()},
        base_classes={lv: np.vstack([a, _new_rows(per_grade, lv, new, a.shape[1])])
                      for lv, a in schools.base_classes.items()},
        zone=None if schools.zone is None else np.concatenate(
            [schools.zone, projects.zone[new] if projects.zone is not None else np.full(n, "")]),
        keep=None if schools.keep is None else np.concatenate([schools.keep, np.zeros(n, dtype=bool)]),
        merge_into=None if schools.merge_into is None else np.concatenate([schools.merge_into, np.full(n, "", object)]),
        ownership=None if schools.ownership is None else np.concatenate([schools.ownership, np.full(n, "public")]),
        points=_new_points(schools.points, projects.points, new),
        expansions=schools.expansions + expansions,
    )


def _new_points(points, project_points, new) -> Points | None:
    """The schools' points and the new schools' (``new`` projects'), NaN where a project has none."""
    if points is None:
        return None
    if project_points is None or project_points.geographic != points.geographic:
        return points.extended(len(new))
    return Points(np.vstack([points.xy, project_points.xy[new]]), points.geographic)


def closed_schools(schools: Schools, closures: pd.DataFrame | None) -> Schools:
    """``schools`` with those a plan closes (``PlanResult.closures``) closed from their year on."""
    if closures is None or not len(closures):
        return schools
    closed = schools.closed.copy()
    at = pd.Index(schools.ids).get_indexer(closures.school)
    closed[at] = np.minimum(closed[at], closures.year.to_numpy(dtype=float))
    return replace(schools, closed=closed)


def converted_schools(scenario, schools: Schools, conversions: pd.DataFrame | None) -> Schools:
    """``schools`` with a plan's conversions (``PlanResult.conversions``): a school converted whole
    is closed from its year and added again as a school of its new level, in the same buildings:
    id ``"ID→LEVEL"``, its classrooms after (``classrooms_after``, spread over the grades as a
    project's, :func:`classes_by_grade`), each of the level's mean standard class. A school
    converting classroom by classroom stays open under its id, losing the classrooms converted
    each year (an expansion of minus them, for good), and its ``"ID→LEVEL"`` part opens in the
    first such year with the classrooms they give, gaining each later year's."""
    if conversions is None or not len(conversions):
        return schools
    whole = conversions.whole.astype(bool).to_numpy() if "whole" in conversions else np.ones(len(conversions), bool)
    first = conversions.sort_values("year", kind="stable").drop_duplicates(["school", "into"])
    ends = schools.closed[pd.Index(schools.ids).get_indexer(first.school)]    # the buildings' own end (the list's)
    parts = _new_parts(scenario, closed_schools(schools, conversions[whole]), first, ends)
    return replace(parts, expansions=parts.expansions + _room_steps(scenario, parts, conversions[~whole], first))


def _new_parts(scenario, schools: Schools, first: pd.DataFrame, ends) -> Schools:
    """``schools`` with ``"ID→LEVEL"`` added for each school and new level of ``first`` (the
    first year of each), opening then with its ``classrooms_after`` and closing at ``ends``."""
    from capsim.enrolment import grades_by_level

    grades = grades_by_level(scenario)
    at = pd.Index(schools.ids).get_indexer(first.school)
    year = first.year.to_numpy(dtype=float)
    rooms = first.classrooms_after.to_numpy(dtype=float)
    into = first["into"].to_numpy(dtype=object)
    std = np.array([mean_class(scenario.standards.class_size[lv]) for lv in into])
    caps = scenario.standards.max_school_size
    n = len(at)
    return replace(
        schools,
        ids=schools.ids + tuple(f"{schools.ids[s]}→{lv}" for s, lv in zip(at, into)),
        names=schools.names + tuple(f"{schools.names[s]} → {lv}" for s, lv in zip(at, into)),
        region=np.concatenate([schools.region, schools.region[at]]),
        type=np.concatenate([schools.type, into.astype(schools.type.dtype)]),
        classes=np.concatenate([schools.classes, rooms]),
        seats=np.concatenate([schools.seats, rooms * std]),
        opened=np.concatenate([schools.opened, year]),
        closed=np.concatenate([schools.closed, ends]),
        max_students=np.concatenate([schools.max_students, [caps.get(lv, np.inf) for lv in into]]),
        base_students={lv: np.vstack([a, np.full((n, a.shape[1]), np.nan)]) for lv, a in schools.base_students.items()},
        base_classes={lv: np.vstack([a, spread_over_grades(np.where(into == lv, rooms, 0.0), grades[lv])])
                      for lv, a in schools.base_classes.items()},
        zone=None if schools.zone is None else np.concatenate([schools.zone, schools.zone[at]]),
        keep=None if schools.keep is None else np.concatenate([schools.keep, np.zeros(n, dtype=bool)]),
        merge_into=None if schools.merge_into is None else np.concatenate([schools.merge_into, np.full(n, "", object)]),
        ownership=None if schools.ownership is None else np.concatenate([schools.ownership, schools.ownership[at]]),
        points=None if schools.points is None else Points(np.vstack([schools.points.xy, schools.points.xy[at]]),
                                                            schools.points.geographic),    # the same buildings
    )


def _room_steps(scenario, schools: Schools, steps: pd.DataFrame, first: pd.DataFrame) -> tuple:
    """The expansions of classroom-by-classroom conversions ``steps``: from each year a school
    converts until the next, the classrooms converted by then, taken from its old level (minus
    them) and given to its ``"ID→LEVEL"`` part beyond those it opened with; one expansion per
    period, so each year's change is spread over the grades once."""
    index = {sid: i for i, sid in enumerate(schools.ids)}
    opened = dict(zip(zip(first.school, first["into"]), first.classrooms_after))
    out = []
    for (school, level, into), part in steps.sort_values("year").groupby(["school", "level", "into"], sort=False):
        years = part.year.to_numpy(dtype=float)
        ends = np.r_[years[1:], np.inf]
        taken, given = part.classrooms.cumsum().to_numpy(), part.classrooms_after.cumsum().to_numpy()
        for start, end, rooms, after in zip(years, ends, taken, given):
            out.append(Expansion(index[school], start, end, {level: -float(rooms)},
                                 {level: -float(rooms) * mean_class(scenario.standards.class_size[level])}))
            extra = after - opened[(school, into)]
            if extra > 0:
                out.append(Expansion(index[f"{school}→{into}"], start, end, {into: float(extra)},
                                     {into: float(extra) * mean_class(scenario.standards.class_size[into])}))
    return tuple(out)


def planned_capacity(capacity: Capacity, seats_frame, regions, years) -> Capacity:
    """Region seats plus the plan's seats added and rented (``PlanResult.seats``)."""
    out = {}
    for level, seats in capacity.seats.items():
        part = seats_frame[seats_frame.level == level]
        added = np.zeros_like(seats)
        rows = np.searchsorted(years, part.year), pd.Index(regions).get_indexer(part.region)
        added[rows] = (part.seats_added + part.rented).to_numpy()
        out[level] = seats + added
    return Capacity(out)


def _classrooms_by_level(scenario, projects, i) -> dict:
    """Classrooms of project ``i`` per level: its seats of the level over the level's mean standard class."""
    rooms = classrooms(scenario, projects)
    return {level: int(rooms[i, j]) for j, level in enumerate(projects.levels) if projects.seats[i, j] > 0}


def classrooms(scenario, projects) -> np.ndarray:
    """(P, L) classrooms each project adds to each level of ``projects.levels``: ``round(seats_l /
    standard_l)``, ``standard_l`` the level's mean standard class."""
    sizes = scenario.standards.class_size
    means = np.array([float(np.mean(sizes[level])) for level in projects.levels])
    return np.rint(projects.seats / means[None, :]).astype(int)


def lawful_classrooms(scenario, projects) -> np.ndarray:
    """(P, L) classrooms each project adds that its school may fill: a new school's classrooms
    within its type's maximum size (``floor(rooms_l min(1, M_p / sum_l seats_p,l))``; an expansion
    is kept within its school's maximum by the school_size family, so it counts in full)."""
    rooms = classrooms(scenario, projects)
    return np.floor(rooms * within_size_cap(scenario, projects)[:, None] + 1e-9).astype(int)


def within_size_cap(scenario, projects) -> np.ndarray:
    """(P,) the share of each project's seats its school may fill: ``min(1, M_p / sum_l seats_p,l)``
    for a new school (``M_p`` its type's maximum size), 1 for an expansion (kept within its
    school's maximum by the school_size family)."""
    caps = scenario.standards.max_school_size
    size_cap = np.array([caps.get(t, np.inf) for t in projects.type], dtype=float)
    total = projects.seats.sum(axis=1)
    return np.where(projects.school < 0, np.minimum(1.0, np.divide(size_cap, total, out=np.ones_like(total),
                                                                   where=total > 0)), 1.0)


def classes_by_grade(scenario, projects) -> dict:
    """Level -> (P, G) classes each project adds to each grade of the level: ``c = round(seats_l /
    standard_l)`` classrooms (:func:`classrooms`), ``c // G`` to every grade and one more to the
    lowest ``c mod G``."""
    from capsim.enrolment import grades_by_level

    grades = grades_by_level(scenario)
    rooms = classrooms(scenario, projects)
    return {level: spread_over_grades(rooms[:, j], grades[level]) for j, level in enumerate(projects.levels)}


def spread_over_grades(rooms: np.ndarray, G: int) -> np.ndarray:
    """(N, G) classes of ``rooms`` (N,) classrooms over G grades: ``rooms // G`` to every grade and
    one more to the lowest ``rooms mod G``."""
    per, extra = np.divmod(rooms, G)
    return (per[:, None] + (np.arange(G)[None, :] < extra[:, None])).astype(float)


def _new_rows(per_grade, level, new, G):
    """Base classes of the new schools ``new``: the project's classes of ``level`` (none where it
    adds no seats of the level, even if its type teaches it)."""
    return per_grade[level][new] if level in per_grade else np.zeros((len(new), G))


def assess_after(scenario, projection, result, schools: Schools | None = None):
    """The assessment of the network after the plan ``result`` (a PlanResult), from the school
    list ``schools`` before it (read here if not given); after a class plan, each school teaches
    the classes :func:`class_plan` gives it; after a catchment plan, the pupils are counted in the
    district of the school the plan seats them at (:func:`seated_projection`; that assessment
    then holds no forecast, as its pupils are no longer the forecast's), and in whole classes each
    school teaches the pupils and classes the zoning gives it (:func:`_as_zoned`)."""
    seated = seated_projection(scenario, projection, result)
    after = _assessed_network(scenario, seated, result, schools)
    return after if seated is projection else replace(after, projection=None)


def _assessed_network(scenario, projection, result, schools):
    from capsim.assessment import assess
    from capsim.enrolment import level_specs
    from capsim.school_data import read_capacity, read_schools

    regions = list(projection.population.region.unique())
    levels = {lv.name: lv for lv in level_specs(scenario)}
    if schools is None:
        schools = read_schools(scenario, regions, {k: v.grades for k, v in levels.items()})
    if schools is not None:
        after = planned_schools(scenario, schools, result.projects, result.opening)
        after = converted_schools(scenario, closed_schools(after, result.closures), result.conversions)
        if result.school_classes is not None:      # catchments in whole classes: as the zoning seats them
            return assess(scenario, projection, schools=_as_zoned(after, result.school_classes))
        if result.rooms is None:
            return assess(scenario, projection, schools=after)
        rooms = assess(scenario, projection, schools=after)
        plan = class_plan(scenario, after, rooms, result.seats_by_grade, regions)
        return assess(scenario, projection, schools=replace(after, class_plan=plan,
                                                             pupil_plan=pupil_plan(after, result.seats_by_grade)))
    years = sorted(projection.students.year.unique())
    capacity = read_capacity(scenario, regions, levels, years)
    return assess(scenario, projection, capacity=planned_capacity(capacity, result.seats, regions, years))


def seated_projection(scenario, projection, result):
    """At the catchment level, ``projection`` with each region's pupils of the plan years (at the
    assessed quantile) counted where the plan ``result`` seats them, as its tables count them
    (:attr:`PlanResult.seats_by_grade`'s students: those the region's schools and new sites take,
    from whichever district, and its own residents none takes); elsewhere ``projection`` as it is.
    The assessment after the plan then places the pupils the zoning sends across a district line
    in the district of their school, not of their home."""
    from capsim.assessment import assessed_quantile

    by_grade = result.seats_by_grade
    if result.catchments is None or by_grade is None:
        return projection
    keys = ["year", "region", "level", "grade"]
    st = projection.students
    seated = by_grade.set_index(keys).students.reindex(pd.MultiIndex.from_frame(st[keys])).to_numpy()
    at = (st["quantile"] == assessed_quantile(scenario, projection)).to_numpy() & ~np.isnan(seated)
    return replace(projection, students=st.assign(students=np.where(at, seated, st.students)))


def class_plan(scenario, schools: Schools, assessment, by_grade: pd.DataFrame, regions) -> dict:
    """Level -> (plan years, (Y, S, G) classes of each school and grade): the classes a class plan
    forms in each region (or zone) and grade (``by_grade``, :attr:`PlanResult.seats_by_grade`) shared
    among its schools of the level in proportion to their lawful classrooms (``assessment`` of
    the network after the plan: each school's lawful seats over the standard, rounded down):
    ``floor(K_g rooms_s / sum rooms)`` each, the classes left one at a time to the schools with
    a free classroom and the largest remainder. A school is given no more classes than its
    lawful classrooms; the plan's classes fit its region's (rented classrooms, which no school
    holds, aside), so every class finds a room."""
    from capsim import capacity

    years = np.sort(by_grade.year.unique())
    grades_of = assessment.grades[assessment.grades.year.isin(years)]
    names = np.asarray(regions, dtype=object)[np.asarray(schools.region)]
    if "school" in by_grade:  # each school its own pool
        pools = pd.Index(list(dict.fromkeys(by_grade.school)))
        pool, pool_of_row = pools.get_indexer(list(schools.ids)), pools.get_indexer(by_grade.school)
    elif "zone" in by_grade:  # zones pool the classrooms: a school's classes come from its zone's
        pools = pd.Index(list(dict.fromkeys(zip(by_grade.region, by_grade.zone))))
        pool = pools.get_indexer(list(zip(names, schools.zone)))
        pool_of_row = pools.get_indexer(list(zip(by_grade.region, by_grade.zone)))
    else:
        pools = pd.Index(regions)
        pool, pool_of_row = pools.get_indexer(names), pools.get_indexer(by_grade.region)
    by_grade = by_grade.assign(pool=pool_of_row)
    out = {}
    for level, part in by_grade.groupby("level", sort=False):
        G = int(part.grade.max())
        std = capacity.grade_standards(scenario.standards.class_size[level], G)
        g = grades_of[grades_of.level == level]
        rooms = np.zeros((len(years), len(schools.ids)))
        per = (g.lawful_seats.to_numpy() / std[g.grade.to_numpy() - 1])
        at = (np.searchsorted(years, g.year), pd.Index(schools.ids).get_indexer(g.school))
        np.add.at(rooms, at, per)
        rooms = np.floor(rooms + 1e-6)
        K = np.zeros((len(years), len(pools), G))
        K[np.searchsorted(years, part.year), part.pool, part.grade - 1] = part.classes
        classes = np.zeros((len(years), len(schools.ids), G))
        for t in range(len(years)):
            for z in range(len(pools)):
                s = np.flatnonzero((pool == z) & (rooms[t] > 0))
                classes[t][np.ix_(s, np.arange(G))] = _share(K[t, z], rooms[t, s])
        out[level] = (years, classes)
    return out


def _as_zoned(schools: Schools, by_school: pd.DataFrame) -> Schools:
    """``schools`` teaching, in the plan years, the pupils and classes a catchment plan in whole
    classes gives each (``by_school``, :attr:`PlanResult.school_classes`: its sites are the
    schools and the new schools' projects), not its district's pupils shared out in proportion."""
    rows = by_school[by_school.school.isin(schools.ids)].rename(columns={"pupils": "students"})
    return replace(schools, class_plan=_by_school(schools, rows, "classes"),
                   pupil_plan=_by_school(schools, rows, "students"))


def pupil_plan(schools: Schools, by_grade: pd.DataFrame) -> dict | None:
    """Level -> (plan years, (Y, S, G) pupils of each school and grade) of a plan by school
    (``by_grade`` with a ``school`` column: its ``students``); None for a plan by region or zone."""
    return _by_school(schools, by_grade, "students") if "school" in by_grade else None


def _by_school(schools: Schools, rows: pd.DataFrame, column: str) -> dict:
    """Level -> (the years of ``rows``, (Y, S, G) ``column`` of each school and grade)."""
    years = np.sort(rows.year.unique())
    out = {}
    for level, part in rows.groupby("level", sort=False):
        grades = schools.base_classes[level].shape[1] if level in schools.base_classes else int(part.grade.max())
        values = np.zeros((len(years), len(schools.ids), grades))
        at = np.searchsorted(years, part.year), pd.Index(schools.ids).get_indexer(part.school), part.grade - 1
        np.add.at(values, at, part[column].to_numpy())
        out[level] = (years, values)
    return out


def _share(K, rooms) -> np.ndarray:
    """(n, G) whole classes of each grade (``K``, (G,)) given to n schools with ``rooms`` classrooms."""
    total = rooms.sum()
    if total <= 0:
        return np.zeros((len(rooms), len(K)))
    target = np.outer(rooms, K) / total
    out = np.floor(target + 1e-9)
    spare = rooms - out.sum(axis=1)
    for g in range(len(K)):
        left = int(round(K[g] - out[:, g].sum()))
        while left > 0 and (spare >= 1).any():
            free = np.flatnonzero(spare >= 1)
            pick = free[np.argsort(-(target[free, g] - out[free, g]), kind="stable")[:left]]
            out[pick, g] += 1
            spare[pick] -= 1
            left -= len(pick)
    return out
