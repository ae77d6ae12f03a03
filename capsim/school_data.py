"""Read and check the schools tables (formats in ``docs/data-tables.md``).

``schools`` lists every school, existing or planned; ``school_grades`` gives the base year's
pupils and classes by level and grade; ``capacity`` gives region-level seats for scenarios
without a school list. Every problem is collected and raised once as a DataError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.errors import DataError, Problems
from capsim.schema import LEVELS, SCHOOL_TYPES, Scenario
from capsim.geo import read_points
from capsim.tables import MAX_PUPILS, Table


@dataclass(frozen=True)
class Schools:
    """One entry per school (S of them); per-level arrays are (S, grades of the level)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    region: np.ndarray        # (S,) region index
    type: np.ndarray          # (S,) school type
    classes: np.ndarray       # (S,) classrooms
    seats: np.ndarray         # (S,) rated seats, NaN where not given
    opened: np.ndarray        # (S,) first school year open (-inf: before the base year)
    closed: np.ndarray        # (S,) first school year closed (+inf: never)
    max_students: np.ndarray  # (S,) most pupils allowed
    base_students: dict       # level -> (S, G), NaN where the school has no rows
    base_classes: dict        # level -> (S, G)
    expansions: tuple = ()    # Expansion entries: classrooms and seats added to a school for some years
    zone: np.ndarray | None = None   # (S,) zone (学区/片区) of each school ('' for none), None: no zone column
    keep: np.ndarray | None = None   # (S,) true: the plan may not close or convert it (None: no keep column)
    merge_into: np.ndarray | None = None   # (S,) id of the school it may only close into (撤并; '' none;
                                           # None: no merge_into column)
    points: object = None            # capsim.geo.Points: where each school is (None: no lon, lat or x, y columns)
    ownership: np.ndarray | None = None   # (S,) 'public' (公办), 'inclusive' (普惠性民办: private, at the public
                                          # fee) or 'private' (民办); None: no ownership column
    pupil_plan: dict | None = None   # level -> (years (Y,), pupils (Y, S, G)): where a plan by school seats its
                                     # pupils (the network after a plan at school granularity)
    class_plan: dict | None = None   # level -> (years (Y,), classes (Y, S, G)): a class plan's classes of each
                                     # school and grade in those years (the network after a class plan)


@dataclass(frozen=True)
class Expansion:
    """Classrooms and seats (level -> number) added to school ``school`` in years ``start <= year < end``."""

    school: int
    start: float
    end: float
    classrooms: dict
    seats: dict


@dataclass(frozen=True)
class Capacity:
    """Region-level seats by year (T+1, R) per level, for scenarios without schools."""

    seats: dict


def read_schools(scenario: Scenario, regions, levels: dict, problems: Problems | None = None) -> Schools | None:
    """``levels`` maps each forecast level to its number of grades. Given ``problems``, they
    are added there and the schools read so far returned (for checks that read on); otherwise
    they are raised."""
    own = problems is None
    problems = Problems() if own else problems
    d = scenario.data
    if d.schools is None:
        if d.school_grades is not None:
            problems.extend([_orphan(scenario)])
        if own:
            problems.raise_if_any(DataError)
        return None
    table = Table(d.schools, "schools", problems)
    schools = _school_rows(table, scenario, list(regions), levels)
    if d.school_grades is not None and schools is not None:
        _grade_rows(Table(d.school_grades, "school_grades", problems), schools, levels, scenario.base_year)
    if own:
        problems.raise_if_any(DataError)
    return schools


def _orphan(scenario):
    from capsim.errors import Problem

    return Problem(f"{scenario.source}: data.school_grades", "is given without data.schools.",
                   str(scenario.data.school_grades), "add data.schools, or remove data.school_grades.")


def _school_rows(table: Table, scenario: Scenario, regions: list, levels: dict) -> Schools | None:
    if not table.require("id", "name", "region", "type", "classes"):
        return None
    n = len(table.frame)
    table.duplicates(["id"], fix="give each school a unique id.")
    region_text = table.choice("region", regions, fix=f"use a region of the regions table: {', '.join(regions[:12])}.") \
        if regions else table.frame["region"].to_numpy()  # without regions, the regions table is reported
    kind = table.choice("type", SCHOOL_TYPES)
    classes = table.number("classes", 0, 10_000, integer=True, fix="write the number of classrooms (0 for none).")
    seats = _optional(table, "seats", 0, 100_000)
    opened = _optional(table, "opened", 1900, 2300, integer=True)
    closed = _optional(table, "closed", 1900, 2300, integer=True)
    limit = _optional(table, "max_students", 1, 100_000, integer=True)
    for i in np.flatnonzero(np.isfinite(opened) & np.isfinite(closed) & (closed <= opened)):
        table.problems.add(table.where(i, "closed"), "is not after the opening year.", table.frame["closed"].iloc[i],
                           "give a closing year after 'opened', or leave it empty.")
    for i, t in enumerate(kind):
        missing = [lv for lv in SCHOOL_TYPES.get(t, ()) if lv not in levels]
        if missing:
            table.problems.add(table.where(i, "type"), f"teaches {', '.join(missing)}, which the scenario does not "
                               "forecast.", t, f"enable education.{missing[0]}, or change the type.")
    caps = scenario.standards.max_school_size
    default_limit = np.array([caps.get(t, np.inf) for t in kind], dtype=float)
    index = {r: i for i, r in enumerate(regions)}
    return Schools(
        ids=tuple(table.frame["id"]), names=tuple(table.frame["name"]),
        region=np.array([index.get(r, -1) for r in region_text]), type=np.asarray(kind),
        classes=np.nan_to_num(classes), seats=seats,
        opened=np.where(np.isfinite(opened), opened, -np.inf), closed=np.where(np.isfinite(closed), closed, np.inf),
        max_students=np.where(np.isfinite(limit), limit, default_limit),
        base_students={lv: np.full((n, g), np.nan) for lv, g in levels.items()},
        base_classes={lv: np.full((n, g), np.nan) for lv, g in levels.items()},
        zone=table.frame["zone"].to_numpy().astype(str) if table.has("zone") else None,
        keep=table.choice("keep", ("yes", "no", ""), fix="write yes (the plan may not close or convert it), no, or "
                          "leave it empty.") == "yes" if table.has("keep") else None,
        points=read_points(table),
        merge_into=_receivers(table, scenario, kind, region_text) if table.has("merge_into") else None,
        ownership=table.choice("ownership", OWNERSHIP, fix="write public (公办), inclusive (普惠性民办) or private "
                               "(民办).") if table.has("ownership") else None,
    )


OWNERSHIP = ("public", "inclusive", "private")   # who runs a school: 公办, 普惠性民办, 民办


def _receivers(table: Table, scenario: Scenario, kind, region) -> np.ndarray:
    """The ``merge_into`` column: each school's receiving school ('' for none), checked to be
    another listed school of the same region (and zone, planning by zone) teaching one of its
    levels; a bad value is reported and read as ''."""
    ids = table.frame["id"].to_numpy()
    into = np.array(table.choice("merge_into", [*dict.fromkeys(ids), ""], fix="use an id of the schools table, or "
                                 "leave it empty."), dtype=object)
    at = {sid: j for j, sid in reversed(list(enumerate(ids)))}
    zone = table.frame["zone"].to_numpy() if table.has("zone") and scenario.plan.granularity == "zone" else None
    for i in np.flatnonzero(into != ""):
        j = at[into[i]]
        if not kind[i] or not kind[j]:
            continue                      # a bad type is reported already
        why = ("is the school itself." if j == i else
               "is in another region." if region[j] != region[i] else
               "is in another zone." if zone is not None and zone[j] != zone[i] else
               "teaches none of its levels." if not set(SCHOOL_TYPES.get(kind[i], ())) & set(SCHOOL_TYPES.get(kind[j], ()))
               else None)
        if why:
            table.problems.add(table.where(i, "merge_into"), f"{into[i]} {why}", into[i],
                               "name another school of its region (and zone) that teaches one of its levels, or "
                               "leave it empty.")
            into[i] = ""
    return into


def _optional(table: Table, column, low, high, integer=False):
    if not table.has(column):
        return np.full(len(table.frame), np.nan)
    return table.number(column, low, high, integer=integer, allow_empty=True)


def _grade_rows(table: Table, schools: Schools, levels: dict, base_year: int) -> None:
    if not table.require("school", "level", "grade", "students", "classes"):
        return
    index = {}
    for i, sid in enumerate(schools.ids):
        index.setdefault(sid, i)  # a repeated id is reported by the schools table; the first row counts
    school = table.choice("school", schools.ids, fix="use an id of the schools table.")
    level = table.choice("level", LEVELS)
    seen = {lv: np.zeros(schools.base_students[lv].shape, dtype=bool) for lv in levels}
    grade = table.number("grade", 1, 9, integer=True)
    students = table.number("students", 0, 100_000, fix="write the number of pupils (>= 0).")
    classes = table.number("classes", 0, 1000, integer=True, fix="write the number of classes (>= 0).")
    table.duplicates(["school", "level", "grade"])
    for i in range(len(school)):
        s, lv = index.get(school[i], -1), level[i]
        if s < 0 or not lv or not np.isfinite(grade[i]) or not schools.type[s]:
            continue  # unknown school, level, grade or school type: reported already
        if lv not in levels:
            table.problems.add(table.where(i, "level"), f"{lv} is not forecast by the scenario.", lv,
                               f"enable education.{lv} (enabled = true), or remove the {lv} rows.")
        elif lv not in SCHOOL_TYPES.get(schools.type[s], ()):
            table.problems.add(table.where(i, "level"), f"is not taught by school {school[i]} "
                               f"(type {schools.type[s]}).", lv, f"use one of {', '.join(SCHOOL_TYPES.get(schools.type[s], ()))}, "
                               "or correct the school's type.")
        elif grade[i] > levels[lv]:
            table.problems.add(table.where(i, "grade"), f"{lv} has {levels[lv]} grades.", int(grade[i]),
                               f"use a grade from 1 to {levels[lv]}.")
        else:
            schools.base_students[lv][s, int(grade[i]) - 1] = students[i]
            schools.base_classes[lv][s, int(grade[i]) - 1] = classes[i]
            seen[lv][s, int(grade[i]) - 1] = True
    _check_open_schools_have_rows(table, schools, levels, base_year, seen, set(index.values()))


def _check_open_schools_have_rows(table: Table, schools: Schools, levels: dict, base_year: int, seen, first) -> None:
    open_now = (schools.opened <= base_year) & (schools.closed > base_year)
    for s in np.flatnonzero(open_now):
        if s not in first:
            continue
        for lv in SCHOOL_TYPES.get(schools.type[s], ()):
            if lv in levels and not seen[lv][s].all():
                table.problems.add(str(table.path), f"school {schools.ids[s]} is open in {base_year} but lacks "
                                   f"{lv} grades.", None,
                                   f"add rows for every {lv} grade of {schools.ids[s]} (students and classes).")
                break


def read_capacity(scenario: Scenario, regions, levels, years) -> Capacity | None:
    """Seats per region and level, held from each row's year (or always, without a year);
    unknown (NaN) where no row covers a region, level and year."""
    if scenario.data.capacity is None:
        return None
    problems = Problems()
    table = Table(scenario.data.capacity, "capacity", problems)
    seats = {lv: np.full((len(years), len(regions)), np.nan) for lv in levels}  # no row: unknown
    if table.require("region", "level", "seats"):
        index = {r: i for i, r in enumerate(regions)}
        region = table.choice("region", list(regions)) if len(regions) else np.full(len(table.frame), "")
        level = table.choice("level", list(levels))
        value = table.number("seats", 0, MAX_PUPILS)
        year = _optional(table, "year", 1900, 2300, integer=True)
        table.duplicates([c for c in ("region", "level", "year") if table.has(c)])
        order = np.argsort(np.nan_to_num(year, nan=-np.inf), kind="stable")
        for i in order:
            if region[i] and level[i] and np.isfinite(value[i]):
                start = year[i] if np.isfinite(year[i]) else -np.inf
                seats[level[i]][np.asarray(years) >= start, index[region[i]]] = value[i]
    problems.raise_if_any(DataError)
    return Capacity(seats)
