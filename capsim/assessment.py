"""The assessment stage: forecast pupils against schools, seats and class standards.

:func:`assess` takes a scenario and its projection and returns tidy tables:

* ``regions`` — per year, region and level: students, placed, unplaced, seats, lawful seats
  (each school's seats within its maximum size), gap
  (lawful seats - students: negative is a shortage), shortage, surplus, utilisation (of seats), classes
  available and needed, oversized classes (over the standard; in the 大班额 and 超大班额 bands of
  ``standards.bands``, by default 56-65 and 66+: the columns ``classes_56_65`` and
  ``classes_66_plus`` keep China's names whatever the bands), oversized schools,
  teachers needed, places per 1,000 residents, gross enrolment ratio;
* ``schools`` — per year and school: students, seats, maximum size, oversized, utilisation;
* ``grades`` — per year, school, level and grade: students, classes, lawful seats (classes x the
  standard class, within the school's maximum size) and the class counts;
* ``school_levels`` — per year, school and level: seats and lawful seats (within the school's
  maximum size);
* ``region_grades`` — per year, region, level and grade: pupils and lawful seats (the open
  schools' classes of the grade x the standard class size, within their maximum sizes). Classes
  are fixed per grade, so a region is free of oversized classes only when every grade's pupils
  fit its grade's lawful seats (pupils above them dispersed): what the region level of the
  planner covers (the catchment level fills the ``grades`` table's lawful seats);
* ``base_check`` — per region, level and grade: the schools' base-year pupils against the
  forecast's, so a mismatch between the two sources is shown, not hidden.

Without a school list, region-level seats come from ``data.capacity`` (or are unknown) and
classes needed are counted at the region level. Formulas: :mod:`capsim.capacity` and
:mod:`capsim.allocation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from capsim import allocation, capacity, enrolment
from capsim.errors import Problem, ScenarioError
from capsim.projection import Projection, tidy, tidy_columns
from capsim.school_data import Capacity, Schools, read_capacity, read_schools
from capsim.schema import SCHOOL_TYPES, Scenario

REGION_COLUMNS = [
    "year", "region", "level", "students", "placed", "unplaced", "seats", "lawful_seats", "gap", "shortage", "surplus",
    "utilisation", "classes_available", "classes_needed", "oversized_classes", "classes_56_65",
    "classes_66_plus", "oversized_schools", "teachers_needed", "places_per_1000", "gross_enrolment_ratio",
    "teacher_posts", "public_placed", "inclusive_placed",
]


UNKNOWN_WITHOUT_SCHOOLS = ("seats", "lawful_seats", "gap", "shortage", "surplus", "utilisation", "placed", "unplaced",
                           "classes_available", "oversized_classes", "classes_56_65", "classes_66_plus",
                           "places_per_1000", "public_placed", "inclusive_placed")


@dataclass(frozen=True)
class Assessment:
    scenario: Scenario
    regions: pd.DataFrame
    schools: pd.DataFrame | None
    grades: pd.DataFrame | None
    base_check: pd.DataFrame | None
    school_levels: pd.DataFrame | None = None   # year, school, level, seats, lawful_seats
    region_grades: pd.DataFrame | None = None   # year, region, level, grade, students, lawful_seats
    network: Schools | None = None              # the school list assessed (read once: the planner and the
                                                # network after the plan start from it)
    projection: Projection | None = field(default=None, repr=False, compare=False)   # the forecast assessed
                                                # (so that a stage handed the assessment does not forecast again)


def assess(scenario: Scenario, projection: Projection | None = None, schools: Schools | None = None,
           capacity: Capacity | None = None) -> Assessment:
    """Assess ``projection`` (run if not given) against the scenario's schools or capacity
    (or the ``schools`` / region ``capacity`` given, e.g. the network after a plan)."""
    from capsim.projection import project

    projection = projection or project(scenario)
    levels = {lv.name: lv for lv in enrolment.level_specs(scenario)}
    years = sorted(projection.students.year.unique())
    regions = list(projection.population.region.unique())
    pupils = _pupils(projection, scenario, levels, regions, years)
    schools = schools or read_schools(scenario, regions, {k: v.grades for k, v in levels.items()})
    population = _population(projection, scenario, regions, years, assessed_quantile(scenario, projection))
    if schools is None:
        table = _without_schools(scenario, pupils, levels, regions, years, population, capacity)
        return Assessment(scenario, table, None, None, None, projection=projection)
    return replace(_with_schools(scenario, schools, pupils, levels, regions, years, population), network=schools,
                   projection=projection)


def assessed_quantile(scenario: Scenario, projection: Projection) -> float:
    q = scenario.standards.quantile
    available = set(projection.students["quantile"])
    if q in available:
        return q
    if available == {0.5}:  # a deterministic run has one path
        return 0.5
    raise ScenarioError([Problem(f"{scenario.source}: standards.quantile", "is not among the forecast's quantiles.",
                                 q, f"use one of {sorted(available)}, or add it to uncertainty.quantiles.")])


def _pupils(projection, scenario, levels, regions, years):
    """Level -> (T+1, R, G) pupils at the assessed quantile."""
    q = assessed_quantile(scenario, projection)
    st = projection.students[projection.students["quantile"] == q]
    out = {}
    for name, lv in levels.items():
        rows = st[st.level == name]
        arr = np.zeros((len(years), len(regions), lv.grades))
        arr[np.searchsorted(years, rows.year), pd.Index(regions).get_indexer(rows.region), rows.grade - 1] = rows.students
        out[name] = arr
    return out


def _population(projection, scenario, regions, years, q):
    """(T+1, R, single ages) population at the assessed quantile (per-1,000 and enrolment ratios)."""
    from capsim.projection import single_year_population

    pop = projection.population[projection.population["quantile"] == q]
    ages = sorted(pop.age.unique())
    arr = np.zeros((len(years), len(regions), 2, len(ages)))
    sex = (pop.sex == "male").to_numpy().astype(int)
    arr[np.searchsorted(years, pop.year), pd.Index(regions).get_indexer(pop.region), sex,
        np.searchsorted(ages, pop.age)] = pop.population
    return single_year_population(arr, scenario.demography.step)


def _common(level, P, seats, lawful, population, years):
    """Columns every assessment has: students, seats and lawful seats, the gap (of lawful seats,
    as every report counts it: a school's seats beyond its maximum size seat no one lawfully),
    utilisation (of seats), enrolment ratio, places per 1,000."""
    students = P.sum(axis=-1)
    ages = np.arange(level.entry_age, level.entry_age + level.grades)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "students": students,
            "seats": seats,
            "lawful_seats": lawful,
            "gap": lawful - students,
            "shortage": np.maximum(students - lawful, 0),
            "surplus": np.maximum(lawful - students, 0),
            "utilisation": students / seats,
            "places_per_1000": seats / population.sum(axis=-1) * 1000,
            "gross_enrolment_ratio": students / population[..., ages].sum(axis=-1),
        }


def _without_schools(scenario, pupils, levels, regions, years, population, cap=None):
    cap = cap or read_capacity(scenario, regions, levels, years)
    frames = []
    for name, level in levels.items():
        P = pupils[name]
        std = capacity.grade_standards(scenario.standards.class_size[name], level.grades)
        counts = capacity.class_split(P, 0, std, scenario.standards.bands)
        seats = cap.seats[name] if cap else np.full(P.shape[:2], np.nan)
        cols = _common(level, P, seats, seats, population, years)
        needed = counts.needed.sum(axis=-1)
        cols.update(placed=np.full_like(seats, np.nan), unplaced=np.full_like(seats, np.nan),
                    classes_available=np.full_like(seats, np.nan), classes_needed=needed,
                    teachers_needed=_teachers(scenario, name, cols["students"], needed))
        cols["teacher_posts"] = _posts(scenario, cols["teachers_needed"], years)
        frames.append(_region_frame(cols, name, regions, years))
    return _finish(frames)


def _teachers(scenario, level, students, classes_needed):
    """Posts at the level's ratios: its pupil ratio or class ratio, the larger of the two where the
    scenario gives a class ratio beside a pupil ratio (the default class ratio is only a fallback
    for a level without a pupil ratio)."""
    std = scenario.standards
    per_student, per_class = std.students_per_teacher.get(level), std.teachers_per_class.get(level)
    if per_student and "teachers_per_class" not in std.model_fields_set:
        per_class = None
    return capacity.teachers_needed(students, classes_needed, per_student, per_class)


def _posts(scenario, needed, years):
    """(T+1, R) teaching posts held: each review year's need until the next review
    (``standards.teacher_review_years`` from ``teacher_review_from``, else the base year)."""
    std = scenario.standards
    first = std.teacher_review_from if std.teacher_review_from is not None else scenario.base_year
    return capacity.posts_held(needed, years, std.teacher_review_years, first)


def _region_frame(cols, level, regions, years):
    return tidy_columns(cols, year=years, region=regions).assign(level=level)


def _finish(frames):
    table = pd.concat(frames, ignore_index=True)
    for column in REGION_COLUMNS:
        if column not in table:
            table[column] = np.nan
    return table[REGION_COLUMNS]


def _units(scenario, schools: Schools, level, years, std, grades: dict):
    """The schools teaching ``level`` as allocation units, with classes by year and intake caps."""
    teaches = np.array([level.name in SCHOOL_TYPES[t] for t in schools.type])
    idx = np.flatnonzero(teaches)
    yr = np.asarray(years)[:, None]
    is_open = (schools.opened[idx] <= yr) & (schools.closed[idx] > yr)
    classes = schools.base_classes[level.name][idx]
    split = _even_classes(schools, idx, level, grades)
    classes = np.where(np.isnan(classes), split, classes)
    added, removed = _expansion_classes(schools, idx, level, years, grades)
    by_year = _less(classes[None] + added, removed)
    planned = (schools.class_plan or {}).get(level.name)
    if planned is not None:  # a class plan's classes in its years
        t = np.searchsorted(years, planned[0])
        by_year[t] = planned[1][:, idx]
    rule = scenario.standards
    if rule.cap_intake:
        per_class = capacity.intake_cap_by_year(rule.intake_class_size.get(level.name), years, std[0])
        intake_cap = by_year[..., 0] * per_class[:, None]
    else:
        intake_cap = np.full(is_open.shape, np.inf)
    growth = np.divide(by_year[..., 0], classes[:, 0], out=np.ones(is_open.shape), where=classes[:, 0] > 0)
    lawful = by_year * std if rule.disperse else None
    if lawful is not None:
        lawful[0] = np.inf  # the base year is as listed
    units = allocation.Units(region=schools.region[idx], is_open=is_open, base=schools.base_students[level.name][idx],
                             classes=classes, intake_cap=intake_cap, weight_new=classes[:, 0] * std[0],
                             growth=growth, lawful=lawful, planned=_planned_pupils(schools, idx, level, years))
    return idx, units, by_year


def _planned_pupils(schools: Schools, idx, level, years):
    """(T+1, U, G) pupils a plan by school seats at the units ``idx`` in its years (NaN in the
    others; None without such a plan)."""
    planned = (schools.pupil_plan or {}).get(level.name)
    if planned is None:
        return None
    out = np.full((len(years), len(idx), level.grades), np.nan)
    out[np.searchsorted(years, planned[0])] = planned[1][:, idx]
    return out


def _expansion_classes(schools: Schools, idx, level, years, grades: dict):
    """((T+1, U, G) classrooms that expansions add to the units ``idx`` in each year, spread over
    the grades, the remainder to the lowest; (T+1, U) those they take away: a conversion of
    classrooms to another level)."""
    out = np.zeros((len(years), len(idx), level.grades))
    removed = np.zeros((len(years), len(idx)))
    where = {int(s): u for u, s in enumerate(idx)}
    yr = np.asarray(years)
    for e in schools.expansions:
        n = e.classrooms.get(level.name) if e.school in where else None
        if n and n > 0:
            per, extra = divmod(n, level.grades)
            out[(yr >= e.start) & (yr < e.end), where[e.school]] += per + (np.arange(level.grades) < extra)
        elif n:
            removed[(yr >= e.start) & (yr < e.end), where[e.school]] -= n
    return out, removed


def _less(classes: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """``classes`` (T+1, U, G) less ``removed`` (T+1, U) classrooms of each unit and year, one at a
    time from the grade holding most (never below none)."""
    out, removed = classes.copy(), removed.copy()
    for _ in range(int(np.ceil(removed.max(initial=0.0)))):   # a classroom a pass, every unit and year at once
        t, u = np.nonzero(removed >= 1)
        g = np.argmax(out[t, u], axis=1)
        take = out[t, u, g] >= 1
        out[t[take], u[take], g[take]] -= 1
        removed[t, u] -= 1
    return out


def even_classes(classrooms, school_type: str, level: str, grades: dict) -> np.ndarray:
    """A school's classrooms spread over all the grades it teaches, the remainder to the lowest
    grades first; returns the classes of ``level``'s grades."""
    taught = [lv for lv in SCHOOL_TYPES[school_type]]
    total = sum(grades[lv] for lv in taught)
    per, extra = divmod(int(classrooms), max(total, 1))
    every = per + (np.arange(total) < extra)
    start = sum(grades[lv] for lv in taught[: taught.index(level)])
    return every[start:start + grades[level]].astype(float)


def _even_classes(schools: Schools, idx, level, grades: dict):
    """Classrooms of schools without grade rows, spread over the grades they teach."""
    return np.array([even_classes(schools.classes[i], schools.type[i], level.name, grades) for i in idx]) \
        .reshape(len(idx), level.grades)


def _with_schools(scenario, schools: Schools, pupils, levels, regions, years, population):
    R = len(regions)
    plan = {}
    grades = enrolment.grades_by_level(scenario)
    for name, level in levels.items():
        std = capacity.grade_standards(scenario.standards.class_size[name], level.grades)
        idx, units, by_year = _units(scenario, schools, level, years, std, grades)
        plan[name] = [level, std, idx, units, by_year, (by_year[0] * std).sum(axis=-1)]
    class_seats = np.zeros(len(schools.ids))
    for _, _, idx, _, _, own in plan.values():
        class_seats[idx] += own
    base_total = np.where(np.isfinite(schools.seats), schools.seats, class_seats)
    total = np.zeros((len(years), len(schools.ids)))
    for entry in plan.values():  # a level's seats: its share of the school's seats, plus expansions of it
        level, _, idx, _, _, own = entry
        entry[5] = _unit_seats(base_total[idx], own, class_seats[idx]) + _expansion_seats(schools, idx, level, years)
        total[:, idx] += entry[5]
    within = np.minimum(1.0, np.divide(schools.max_students, total, out=np.ones_like(total), where=total > 0))
    lawful_share = within.copy()      # what the allocation may fill: a class plan's classes are within the maximum
    for planned_years, _ in (schools.class_plan or {}).values():
        lawful_share[np.searchsorted(years, planned_years)] = 1.0
    frames, grade_frames, checks, level_frames, region_grades = [], [], [], [], []
    school_students = np.zeros((len(years), len(schools.ids)))
    school_seats = np.zeros_like(school_students)
    for name, (level, std, idx, units, by_year, level_seats) in plan.items():
        if units.lawful is not None:  # within the school's maximum size too
            units = replace(units, lawful=units.lawful * lawful_share[:, idx, None])
        S_alloc, unplaced = allocation.allocate(pupils[name], units)
        classes = by_year * units.is_open[..., None]
        counts = capacity.class_split(S_alloc, classes, std, scenario.standards.bands)
        seats_u = level_seats * units.is_open
        school_students[:, idx] += S_alloc.sum(axis=-1)
        school_seats[:, idx] += seats_u
        cols = _common(level, pupils[name], _by_region(seats_u, units.region, R),
                       _by_region(seats_u * within[:, idx], units.region, R), population, years)   # lawful: within the maximum
        ids = np.asarray(schools.ids, dtype=object)[idx]
        level_frames.append(pd.DataFrame({
            "year": np.repeat(years, len(idx)), "school": np.tile(ids, len(years)), "level": name,
            "seats": seats_u.reshape(-1), "lawful_seats": (seats_u * within[:, idx]).reshape(-1)}))
        needed = _by_region(counts.needed.sum(-1), units.region, R) + capacity.class_split(unplaced, 0, std).needed.sum(-1)
        cols.update(
            placed=_by_region(S_alloc.sum(-1), units.region, R), unplaced=unplaced.sum(-1), classes_needed=needed,
            classes_available=_by_region(classes.sum(-1), units.region, R),
            oversized_classes=_by_region(counts.oversized.sum(-1), units.region, R),
            classes_56_65=_by_region(counts.band_large.sum(-1), units.region, R),
            classes_66_plus=_by_region(counts.band_huge.sum(-1), units.region, R),
            teachers_needed=_teachers(scenario, name, cols["students"], needed),
        )
        cols["teacher_posts"] = _posts(scenario, cols["teachers_needed"], years)
        if schools.ownership is not None:       # pupils at public schools, and at public or inclusive ones
            run = schools.ownership[idx]
            for column, kinds in (("public_placed", ["public"]), ("inclusive_placed", ["public", "inclusive"])):
                cols[column] = _by_region(S_alloc.sum(-1) * np.isin(run, kinds), units.region, R)
        if not len(idx):  # no listed school teaches the level: its seats are unknown, not zero
            cols.update({k: np.full((len(years), R), np.nan) for k in UNKNOWN_WITHOUT_SCHOOLS})
        frames.append(_region_frame(cols, name, regions, years))
        lawful_classes = classes * std * lawful_share[:, idx, None]
        grade_frames.append(_grade_frame(S_alloc, classes, lawful_classes, counts, schools.ids, idx, name, years))
        region_grades.append(_region_grade_frame(pupils[name], lawful_classes, units.region, regions, name, years))
        checks.append(_base_check(pupils[name][0], units, regions, name))
    schools_frame = _school_frame(schools, school_students, school_seats, years, regions)
    table = _finish(frames)
    table["oversized_schools"] = _oversized_by_level(schools_frame, schools, plan, regions, years)
    return Assessment(scenario, table, schools_frame, pd.concat(grade_frames, ignore_index=True),
                      pd.concat(checks, ignore_index=True), pd.concat(level_frames, ignore_index=True),
                      pd.concat(region_grades, ignore_index=True))


def _expansion_seats(schools: Schools, idx, level, years):
    """(T+1, U) seats of ``level`` that expansions add to the units ``idx`` in each year."""
    out = np.zeros((len(years), len(idx)))
    where = {int(s): u for u, s in enumerate(idx)}
    yr = np.asarray(years)
    for e in schools.expansions:
        if e.school in where:
            out[(yr >= e.start) & (yr < e.end), where[e.school]] += e.seats.get(level.name, 0.0)
    return out


def school_seats(scenario, schools: Schools) -> np.ndarray:
    """(S,) each school's seats: its rated seats, or its classrooms x the standard class size."""
    grades = enrolment.grades_by_level(scenario)
    total = np.zeros(len(schools.ids))
    for i, kind in enumerate(schools.type):
        for lv in SCHOOL_TYPES.get(kind, ()):
            std = capacity.grade_standards(scenario.standards.class_size[lv], grades[lv])
            given = schools.base_classes.get(lv)
            classes = given[i] if given is not None and np.isfinite(given[i]).all() else \
                even_classes(schools.classes[i], kind, lv, grades)
            total[i] += (classes * std).sum()
    return np.where(np.isfinite(schools.seats), schools.seats, total)


def _by_region(values, region, R):
    """(T+1, U) -> (T+1, R)."""
    return allocation.group_sum(np.moveaxis(values, 1, 0), region, R).T


def _unit_seats(total, own_class_seats, school_class_seats):
    """A school's base seats (rated, or classes x standard) split over its levels by class seats."""
    share = np.divide(own_class_seats, school_class_seats, out=np.ones_like(own_class_seats),
                      where=school_class_seats > 0)
    return total * share


def _grade_frame(S_alloc, classes, lawful, counts, ids, idx, level, years):
    grades = list(range(1, S_alloc.shape[-1] + 1))
    school_ids = [ids[i] for i in idx]
    cols = {"students": S_alloc, "classes": classes, "lawful_seats": lawful, "largest_class": counts.largest,
            "classes_needed": counts.needed,
            "classes_short": counts.short, "oversized_classes": counts.oversized,
            "classes_56_65": counts.band_large, "classes_66_plus": counts.band_huge}
    frame = tidy_columns(cols, year=years, school=school_ids, grade=grades)
    frame.insert(2, "level", level)
    return frame


def _region_grade_frame(P, lawful, region, regions, level, years):
    """Pupils ``P`` (T+1, R, G) and the lawful seats ``lawful`` (T+1, U, G) summed by region."""
    by_region = np.moveaxis(allocation.group_sum(np.moveaxis(lawful, 1, 0), region, len(regions)), 0, 1)
    frame = tidy_columns({"students": P, "lawful_seats": by_region}, year=years, region=regions,
                         grade=list(range(1, P.shape[-1] + 1)))
    frame.insert(2, "level", level)
    return frame


def _base_check(P0, units, regions, level):
    listed = allocation.group_sum(np.nan_to_num(units.base) * units.is_open[0][:, None], units.region, len(regions))
    grades = list(range(1, P0.shape[-1] + 1))
    frame = tidy(P0, "forecast", region=regions, grade=grades).assign(
        schools_listed=listed.reshape(-1), level=level)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio"] = frame.schools_listed / frame.forecast
    return frame[["region", "level", "grade", "forecast", "schools_listed", "ratio"]]


def _school_frame(schools: Schools, students, seats, years, regions):
    frame = tidy(students, "students", year=years, school=list(schools.ids))
    frame["seats"] = seats.reshape(-1)
    n = len(years)
    frame["name"] = np.tile(schools.names, n)
    frame["region"] = np.tile(np.asarray(regions + [""])[schools.region], n)
    frame["type"] = np.tile(schools.type, n)
    frame["max_students"] = np.tile(schools.max_students, n)
    frame["open"] = ((schools.opened <= np.asarray(years)[:, None]) & (schools.closed > np.asarray(years)[:, None])).reshape(-1)
    frame["oversized"] = np.rint(frame.students) > frame.max_students
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["utilisation"] = frame.students / frame.seats
    return frame[["year", "school", "name", "region", "type", "open", "students", "seats", "max_students",
                  "oversized", "utilisation"]]


def _oversized_by_level(schools_frame, schools: Schools, plan, regions, years):
    """Oversized schools counted under every level they teach (a nine-year school under both)."""
    over = schools_frame.oversized.to_numpy().reshape(len(years), len(schools.ids))
    parts = []
    for _, _, idx, units, _, _ in plan.values():
        parts.append(_by_region(over[:, idx].astype(float), units.region, len(regions)).reshape(-1))
    return np.concatenate(parts)
