"""The cohort-class model of the region level: pupils are taught in whole classes formed when
their cohort enters a level; the cohort keeps its classes as it moves up a grade every year; and
all the classes of a level present in a year share the region's classrooms of that level.

A region is one pool of classrooms per level. Cohort ``c`` of level ``l`` enters grade 1 in
year ``c`` and is in grade ``g = t - c + 1`` in year ``t`` (``1 <= g <= G_l``); its pupils in
each year are the forecast's (its progression). Variables::

    K[r, k, t] in Z+     classes of the cohort in cell k = (l, g) in year t (cohort t - g + 1)
    short[r, k, t] >= 0  its pupils no class takes
    rent[r, l, t] >= 0   classrooms rented for a year (only with plan.rent_cost)

Families (:func:`define_class_seats`, :func:`define_keep_classes`, :func:`define_classrooms`)::

    std[l, g] K[r, (l, g), t] + short[r, (l, g), t]                       >= pupils[r, (l, g), t]
    K[r, (l, g), t] - K[r, (l, g + 1), t + 1]                              <= 0
    sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] - rent[r, l, t]   <= rooms0[r, l, t]

A cohort keeps the classes formed at its intake as it moves up and may gain one where a room is
free (pupils arriving, a class split), never lose one: a cohort short of a class at intake is
not short for the rest of its school years once a classroom frees up.

``std[l, g]`` is the standard class of the grade (kindergarten 25/30/35: a group formed at 25
holds 30 a year later); ``rooms0`` the region's lawful classrooms (each open school's classes
within its maximum size, rounded down, summed: :func:`school_rooms`); ``rooms[p, l]`` the classrooms a project adds
(:func:`capsim.planner.network.lawful_classrooms`). Cohorts already in grades 2..G in the first
plan year (base cohorts) keep at least the classes listed for them in the base year (the
region's classes of their grade then; ``ceil(pupils / std)`` for a cohort that entered after the
base year), scaled down where the lawful classrooms could not hold them all. A cohort never gets
more classes in a year than it has needed so far (:func:`bounds`): a class more only takes a
room. Shortfalls are penalised like any seat-year short (:mod:`capsim.planner.model`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Cohorts:
    """What the class model adds to the region level's inputs (cells are (level, grade) pairs)."""

    grades: np.ndarray        # (L,) grades of each level
    cell_level: np.ndarray    # (K,) level of each cell
    cell_grade: np.ndarray    # (K,) grade of each cell (1..G)
    std: np.ndarray           # (K,) standard class of each cell's grade
    pupils: np.ndarray        # (R, K, Y) pupils to seat
    rooms: np.ndarray         # (R, L, Y) lawful classrooms that exist
    base: np.ndarray          # (R, K) least classes of the cohort in cell k in the first plan year (0 in grade 1)
    project_rooms: np.ndarray   # (P, L) classrooms each project adds
    room_seats: np.ndarray    # (L,) seats of a classroom (the level's mean standard): what a rented room costs


def cohorts(scenario, cells, assessment, regions, levels, years, projects) -> Cohorts:
    """The class model's inputs from the by-grade ``cells`` and the ``assessment`` (its
    ``region_grades``: pupils and lawful seats per region, level, grade and year; its ``grades``:
    each school's lawful seats per grade)."""
    from capsim import capacity
    from capsim.enrolment import grades_by_level
    from capsim.planner.network import lawful_classrooms

    grades = grades_by_level(scenario)
    G = np.array([grades[lv] for lv in levels])
    std = np.concatenate([capacity.grade_standards(scenario.standards.class_size[lv], grades[lv]) for lv in levels])
    rooms = school_rooms(assessment, cells, std, regions, levels, years)
    region_grades = assessment.region_grades
    base = _base_classes(scenario, cells, std, G, region_grades, regions, levels, years[0])
    base = _within_rooms(base, cells, G, rooms)
    room_seats = np.array([float(np.mean(scenario.standards.class_size[lv])) for lv in levels])
    return Cohorts(G, cells.level, cells.grade, std, cells.demand, rooms, base,
                   lawful_classrooms(scenario, projects), room_seats)


def school_rooms(assessment, cells, std, regions, levels, years) -> np.ndarray:
    """(R, L, Y) lawful classrooms: each open school's classrooms of the level within its maximum
    size (its lawful seats of each grade over the grade's standard, summed over the grades and
    rounded down: a school holds whole classrooms), summed over the region's schools."""
    g = assessment.grades
    g = g[g.year.isin(years) & g.level.isin(levels)]
    lv = pd.Index(levels).get_indexer(g.level)
    cell = pd.MultiIndex.from_arrays([cells.level, cells.grade]).get_indexer(pd.MultiIndex.from_arrays([lv, g.grade]))
    per = g.assign(rooms=g.lawful_seats.to_numpy() / std[cell]).groupby(["year", "school", "level"], sort=False).rooms.sum()
    per = np.floor(per + 1e-6).reset_index()
    region = assessment.schools.drop_duplicates("school").set_index("school").region
    out = np.zeros((len(regions), len(levels), len(years)))
    np.add.at(out, (pd.Index(regions).get_indexer(region.reindex(per.school)), pd.Index(levels).get_indexer(per.level),
                    np.searchsorted(years, per.year)), per.rooms.to_numpy())
    return out


def _base_classes(scenario, cells, std, G, region_grades, regions, levels, first) -> np.ndarray:
    """(R, K) classes of the cohort in each cell in the first plan year: the classes listed for it
    in the base year, or ``ceil(pupils / std)`` if it entered later; 0 in grade 1 (formed by the plan)."""
    R, K = cells.demand.shape[:2]
    shift = int(first - scenario.base_year)                   # grades moved up since the base year
    listed = np.zeros((R, K))
    t = region_grades[(region_grades.year == scenario.base_year) & region_grades.level.isin(levels)]
    lv = pd.Index(levels).get_indexer(t.level)
    cell = pd.MultiIndex.from_arrays([cells.level, cells.grade]).get_indexer(
        pd.MultiIndex.from_arrays([lv, t.grade.to_numpy() + shift]))
    keep = cell >= 0
    listed[pd.Index(regions).get_indexer(t.region)[keep], cell[keep]] = np.rint(
        t.lawful_seats.to_numpy()[keep] / std[cell[keep]])
    formed = np.ceil(cells.demand[:, :, 0] / std[None, :] - 1e-9)
    out = np.where(cells.grade[None, :] > shift, listed, formed)
    return np.where(cells.grade[None, :] > 1, out, 0.0)


def _within_rooms(base, cells, G, rooms) -> np.ndarray:
    """Base classes scaled down (rounded down) in a region and level whose lawful classrooms
    cannot hold the base cohorts in some year: ``base * min(1, min_t rooms0[t] / sum of base
    classes present in t)``."""
    R, K = base.shape
    Y = rooms.shape[2]
    present = np.zeros(rooms.shape)
    for t in range(min(Y, int(G.max()))):           # base cohorts in year t: grades g > t + 1 at the start
        alive = cells.grade > 1
        moved = cells.grade + t
        alive &= moved <= G[cells.level]
        np.add.at(present[:, :, t], (slice(None), cells.level[alive]), base[:, alive])
    ratio = np.divide(rooms, present, out=np.ones_like(rooms), where=present > 0)
    factor = np.minimum(1.0, ratio.min(axis=2))                       # (R, L)
    return np.floor(base * factor[:, cells.level] + 1e-9)


def number(c: Cohorts, start: int) -> np.ndarray:
    """(R, K, Y) variable number of the classes of the cohort in each cell and year."""
    return start + np.arange(c.pupils.size).reshape(c.pupils.shape)


def next_cell(c: Cohorts) -> np.ndarray:
    """(K,) the cell of the same level one grade up (-1 from the last grade)."""
    cells = pd.MultiIndex.from_arrays([c.cell_level, c.cell_grade])
    return cells.get_indexer(pd.MultiIndex.from_arrays([c.cell_level, c.cell_grade + 1]))


def bounds(c: Cohorts) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds of the classes, shaped like ``pupils``: a base cohort has at least its
    listed classes in the first year (and so in every later one); no cohort more classes in a year
    than it has needed up to then (``max ceil(pupils / std)`` over its years so far, or its listed
    classes): any plan with more keeps its cost and seats with fewer, cut to that non-decreasing cap."""
    R, K, Y = c.pupils.shape
    lower = np.zeros((R, K, Y))
    lower[:, :, 0] = c.base
    upper = np.ceil(c.pupils / c.std[None, :, None] - 1e-9)
    up = next_cell(c)
    has = up >= 0
    for t in range(1, Y):                          # along each cohort, from its first plan year
        lower[:, up[has], t] = np.maximum(lower[:, up[has], t], lower[:, has, t - 1])
        upper[:, up[has], t] = np.maximum(upper[:, up[has], t], upper[:, has, t - 1])
    return lower, np.maximum(upper, lower)


def _rows(name, rows, cols, data, n_rows, n, sense, rhs):
    from capsim.planner.model import _rows as rows_of

    return rows_of(name, rows, cols, data, n_rows, n, sense, rhs)


def define_class_seats(m):
    """A cohort's classes hold its pupils, or the rest are short, in every cell and year:
    ``std[l, g] K[r, (l, g), t] + short[r, (l, g), t] >= pupils[r, (l, g), t]``."""
    c = m.inputs.cohorts
    row = np.arange(c.pupils.size)
    std = np.broadcast_to(c.std[None, :, None], c.pupils.shape).reshape(-1)
    return _rows("class_seats", np.r_[row, row], np.r_[m.k_index.reshape(-1), m.short_index.reshape(-1)],
                 np.r_[std, np.ones(row.size)], row.size, m.n, ">=", c.pupils.reshape(-1))


def define_keep_classes(m):
    """A cohort keeps its classes as it moves up a grade:
    ``K[r, (l, g), t] - K[r, (l, g + 1), t + 1] <= 0`` (it may gain a class, never lose one)."""
    c = m.inputs.cohorts
    R, K, Y = c.pupils.shape
    up = next_cell(c)
    k = np.flatnonzero(up >= 0)
    r, kk, t = (a.reshape(-1) for a in np.meshgrid(np.arange(R), k, np.arange(Y - 1), indexing="ij"))
    row = np.arange(r.size)
    cols = np.r_[m.k_index[r, kk, t], m.k_index[r, up[kk], t + 1]]
    return _rows("keep_classes", np.r_[row, row], cols, np.r_[np.ones(row.size), -np.ones(row.size)], row.size,
                 m.n, "<=", np.zeros(row.size))


def define_classrooms(m):
    """The classes present in a year share the region's classrooms of the level:
    ``sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] - rent[r, l, t] <= rooms0[r, l, t]``,
    ``open[p, t]`` as in :func:`capsim.planner.model.define_capacity`."""
    from capsim.planner.model import _standing

    c = m.inputs.cohorts
    R, L, Y = c.rooms.shape
    K = len(c.cell_level)
    r, k, t = (a.reshape(-1) for a in np.indices((R, K, Y)))
    rows = [(r * L + c.cell_level[k]) * Y + t]
    cols = [m.k_index.reshape(-1)]
    data = [np.ones(r.size)]
    var, proj, ty = _standing(m)
    region = m.inputs.projects.region[proj]
    for lv in range(L):
        adds = c.project_rooms[proj, lv]
        nz = adds > 0
        rows.append((region[nz] * L + lv) * Y + ty[nz]); cols.append(var[nz]); data.append(-adds[nz].astype(float))
    if m.rent_index is not None:
        rows.append(np.arange(R * L * Y)); cols.append(m.rent_index.reshape(-1)); data.append(-np.ones(R * L * Y))
    return _rows("classrooms", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), R * L * Y, m.n,
                 "<=", c.rooms.reshape(-1))


def classes_of_cells(m, values) -> np.ndarray:
    """(R, K, Y) classes of the cohort in each cell and year, read from a solution ``values``."""
    return np.rint(values[m.k_index])
