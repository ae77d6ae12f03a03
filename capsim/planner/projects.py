"""The projects table: candidate and committed new schools, expansions and temporary classrooms.

Format in ``docs/data-tables.md``. Every problem (unknown region or school, a window that
closes before it opens, a committed year outside the window, negative cost or seats, a
prerequisite cycle, an alternative group holding a committed project and another, an expansion
that alone would push its school over its maximum size) is collected and raised once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.errors import PlanError, Problems
from capsim.schema import SCHOOL_TYPES
from capsim.geo import read_points
from capsim.tables import MAX_YUAN, Table

KINDS = ("new", "expansion", "temporary")
CHINA_GRADES = {"kindergarten": 3, "primary": 6, "junior": 3, "senior": 3}


@dataclass(frozen=True)
class Projects:
    """P projects as arrays; ``seats`` is (P, levels) with the levels of ``levels``."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    region: np.ndarray        # (P,) region index
    kind: np.ndarray          # (P,) new / expansion / temporary
    type: np.ndarray          # (P,) school type
    school: np.ndarray        # (P,) index of the expanded school, -1 otherwise
    levels: tuple[str, ...]
    seats: np.ndarray         # (P, L) seats added per level
    cost: np.ndarray          # (P,) yuan
    build_years: np.ndarray   # (P,) years over which the cost is spent, before opening
    earliest: np.ndarray      # (P,) first opening year allowed
    latest: np.ndarray        # (P,) last opening year allowed
    committed: np.ndarray     # (P,) opening year it must have, NaN if free
    group: np.ndarray         # (P,) alternatives group ('' for none)
    requires: np.ndarray      # (P,) index of the prerequisite, -1 for none
    duration: np.ndarray      # (P,) years the seats stand (inf: permanent)
    zone: np.ndarray | None = None   # (P,) zone of a new school or temporary classrooms ('' for none)
    points: object = None            # capsim.geo.Points: where each new site is (None: no lon, lat or x, y columns)


def of_levels(p: Projects, levels) -> Projects:
    """The projects with their seats of ``levels`` only (a subset of ``p.levels``, in that order)."""
    from dataclasses import replace

    index = [p.levels.index(level) for level in levels]
    return replace(p, levels=tuple(levels), seats=p.seats[:, index])


def read_projects(path, regions, levels, first_year: int, last_year: int, schools=None, grades=None,
                  school_seats=None, end_year: int | None = None, problems: Problems | None = None) -> Projects | None:
    """Read and check the projects table (see module docstring). ``grades`` gives each level's
    grades (6-3-3 by default); ``school_seats`` each listed school's seats now; ``end_year`` the
    scenario's last year (default ``last_year``, the plan's), up to which a window may reach.
    Given ``problems``, they are added there and the projects returned (None where the table
    cannot be read); otherwise they are raised."""
    grades = grades or CHINA_GRADES
    own = problems is None
    problems = Problems() if own else problems
    table = Table(path, "projects", problems)
    if not table.require("id", "name", "region", "kind", "seats", "cost", rows=False):   # none: nothing to build
        if own:
            problems.raise_if_any(PlanError)
        return None
    regions = list(regions)
    table.duplicates(["id"], fix="give each project a unique id.")
    ids = list(table.frame["id"])
    region_text = table.choice("region", regions, fix=f"use a region of the regions table: {', '.join(regions[:12])}.") \
        if regions else table.frame["region"].to_numpy()  # without regions, the regions table is reported
    kind = table.choice("kind", KINDS)
    school = _schools_of(table, kind, region_text, schools, regions)
    ptype = _types(table, kind, school, schools, levels)
    n = len(ids)
    seats = table.number("seats", 0, 100_000, fix="write the seats (places) the project adds, 0 to 100000.")
    cost = table.number("cost", 0, MAX_YUAN, fix="write the capital cost in yuan, 0 to 1e12.")
    build = _column(table, "build_years", 1, 10, 2, integer=True)
    earliest = _column(table, "earliest", 1900, 2300, first_year, integer=True)
    given_latest = _column(table, "latest", 1900, 2300, np.inf, integer=True)
    latest = np.where(np.isinf(given_latest), last_year, given_latest)
    committed = _column(table, "committed", 1900, 2300, np.nan, integer=True)
    duration = _column(table, "duration", 1, 100, np.inf, integer=True)
    group = table.frame["group"].to_numpy() if table.has("group") else np.full(n, "")
    requires = _requires(table, ids)
    _check_windows(table, earliest, np.where(np.isinf(given_latest), end_year or last_year, given_latest),
                   committed, first_year)
    _check_groups(table, group, committed)
    _check_temporary(table, kind, duration)
    index = {r: i for i, r in enumerate(regions)}
    projects = Projects(
        ids=tuple(ids), names=tuple(table.frame["name"]), region=np.array([index.get(r, -1) for r in region_text]),
        kind=kind, type=ptype, school=school, levels=tuple(levels),
        seats=_seats_by_level(np.nan_to_num(seats), ptype, levels, grades), cost=np.nan_to_num(cost),
        build_years=build, earliest=earliest, latest=latest, committed=committed,
        group=group, requires=requires, duration=np.where(kind == "temporary", duration, np.inf),
        zone=table.frame["zone"].to_numpy().astype(str) if table.has("zone") else np.full(n, ""),
        points=read_points(table),
    )
    if schools is not None:
        _check_school_size(table, projects, schools, school_seats)
    if own:
        problems.raise_if_any(PlanError)
    return projects


def _column(table: Table, column, low, high, default, integer=False):
    n = len(table.frame)
    if not table.has(column):
        return np.full(n, default, dtype=float)
    values = table.number(column, low, high, integer=integer, allow_empty=True)
    empty = (table.frame[column] == "").to_numpy()
    return np.where(empty, default, values)


def _schools_of(table: Table, kind, region_text, schools, regions):
    """Index of the school each expansion expands (-1 for other kinds)."""
    n = len(table.frame)
    out = np.full(n, -1)
    names = table.frame["school"].to_numpy() if table.has("school") else np.full(n, "")
    index = {} if schools is None else {s: i for i, s in reversed(list(enumerate(schools.ids)))}
    for i in np.flatnonzero(kind == "expansion"):
        if names[i] not in index:
            table.problems.add(table.where(i, "school"), "is not a school of the schools table.", names[i],
                               "name the school this project expands (its id in data.schools).")
            continue
        out[i] = index[names[i]]
        own = schools.region[out[i]]
        if region_text[i] and own >= 0 and region_text[i] != regions[own]:
            table.problems.add(table.where(i, "region"), f"differs from the region of school {names[i]}.",
                               region_text[i], "give the expanded school's region.")
    return out


def _types(table: Table, kind, school, schools, levels):
    """School type per project: given for new and temporary ones, the school's for expansions."""
    n = len(table.frame)
    given = table.frame["type"].to_numpy() if table.has("type") else np.full(n, "")
    out = np.array(given, dtype=object)
    for i in range(n):
        if kind[i] == "expansion" and school[i] >= 0 and not given[i]:
            out[i] = schools.type[school[i]]
        elif kind[i] and out[i] not in SCHOOL_TYPES:
            table.problems.add(table.where(i, "type"), "is not a school type.", given[i],
                               f"use one of: {', '.join(SCHOOL_TYPES)}.")
            out[i] = ""
        elif kind[i] and any(lv not in levels for lv in SCHOOL_TYPES[out[i]]):
            table.problems.add(table.where(i, "type"), "teaches a level the scenario does not forecast.", out[i],
                               "enable that level in [education], or change the type.")
            out[i] = ""
    return out.astype(str)


def _seats_by_level(seats, ptype, levels, grades):
    """Split each project's seats over the levels its type teaches, in proportion to grades."""
    out = np.zeros((len(seats), len(levels)))
    for i, t in enumerate(ptype):
        taught = [lv for lv in SCHOOL_TYPES.get(t, ()) if lv in levels]
        total = sum(grades[lv] for lv in taught)
        for lv in taught:
            out[i, list(levels).index(lv)] = seats[i] * grades[lv] / total
    return out


def _requires(table: Table, ids):
    n = len(ids)
    out = np.full(n, -1)
    if not table.has("requires"):
        return out
    index = {p: i for i, p in enumerate(ids)}
    for i, name in enumerate(table.frame["requires"]):
        if not name:
            continue
        if name not in index or index[name] == i:
            table.problems.add(table.where(i, "requires"), "is not another project of this table.", name,
                               "give the id of the project that must open first, or leave it empty.")
            continue
        out[i] = index[name]
    _check_cycles(table, out, ids)
    return out


def _check_cycles(table: Table, requires, ids):
    for start in range(len(ids)):
        seen, p = [], start
        while p >= 0 and p not in seen:
            seen.append(p)
            p = requires[p]
        if p == start and len(seen) > 1:
            chain = " -> ".join(ids[q] for q in seen + [start])
            if start == min(seen):
                table.problems.add(f"{table.path}: column requires", "prerequisites form a cycle.", chain,
                                   "remove one 'requires' so that some project can open first.")


def _check_windows(table, earliest, latest, committed, first_year):
    """A row's own window (earliest <= latest) and its committed year inside it and not before
    the plan's first year. ``latest`` is the row's own (the scenario's end_year where empty): a
    window or commitment reaching past the plan's last year (``plan.years``) is the plan's choice
    of horizon, not a fault of the row; such a project simply opens after the plan."""
    for i in np.flatnonzero(np.isfinite(earliest) & np.isfinite(latest) & (earliest > latest)):
        table.problems.add(table.where(i, "earliest"), f"is after latest ({latest[i]:.0f}).", f"{earliest[i]:.0f}",
                           "give an opening window with earliest <= latest.")
    outside = np.isfinite(committed) & ((committed < np.maximum(earliest, first_year)) | (committed > latest))
    for i in np.flatnonzero(outside):
        table.problems.add(table.where(i, "committed"), f"is outside the project's opening window "
                           f"{max(earliest[i], first_year):.0f}-{latest[i]:.0f}.",
                           f"{committed[i]:.0f}", "commit to a year inside the window (from the plan's first "
                           "year on), or widen the window.")


def _check_groups(table, group, committed):
    for name in sorted(set(group) - {""}):
        members = np.flatnonzero(group == name)
        fixed = [i for i in members if np.isfinite(committed[i])]
        if fixed and len(members) > 1:
            table.problems.add(table.where(fixed[0], "group"), f"alternatives group '{name}' holds a committed project "
                               f"and {len(members) - 1} other(s), which could then never be chosen.", name,
                               "take the committed project out of the group, or remove its alternatives.")


def _check_temporary(table, kind, duration):
    for i in np.flatnonzero((kind == "temporary") & ~np.isfinite(duration)):
        table.problems.add(table.where(i, "duration"), "a temporary project needs the years it stands.", None,
                           "add a duration column with a whole number of years.")


def _check_school_size(table, projects: Projects, schools, school_seats=None):
    """An expansion that alone would take its school over its maximum size can never be built."""
    current = school_seats if school_seats is not None else np.where(np.isfinite(schools.seats), schools.seats, 0.0)
    for i in np.flatnonzero(projects.school >= 0):
        s = projects.school[i]
        after = current[s] + projects.seats[i].sum()
        if after > schools.max_students[s]:
            table.problems.add(table.where(i, "seats"), f"would take school {schools.ids[s]} to {after:,.0f} seats, "
                               f"over its maximum of {schools.max_students[s]:,.0f}.", f"{projects.seats[i].sum():,.0f}",
                               "expand by fewer seats, or plan a new school instead.")
