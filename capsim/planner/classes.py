"""The cohort-class model of the region level: pupils are taught in whole classes formed when
their cohort enters a level; the cohort keeps its classes as it moves up a grade every year; and
all the classes of a level present in a year share the region's classrooms of that level.

A region (or, with ``plan.granularity = "zone"``, each zone of a region: :func:`zone_pools`;
``r`` below counts these pools) is one pool of classrooms per level. Cohort ``c`` of level ``l`` enters grade 1 in
year ``c`` and is in grade ``g = t - c + 1`` in year ``t`` (``1 <= g <= G_l``); its pupils in
each year are the forecast's (its progression). Variables::

    K[r, k, t] in Z+     classes of the cohort in cell k = (l, g) in year t (cohort t - g + 1)
    short[r, k, t] >= 0  its pupils no class takes
    rent[r, l, t] >= 0   classrooms rented for a year (only with plan.rent_cost)

Families (:func:`define_class_seats`, :func:`define_keep_classes`, :func:`define_classrooms`, and
with ``plan.empty_room_cost`` :func:`define_empty_rooms` over ``empty[r, l, t] >= 0``)::

    size[(l, g), t] K[r, (l, g), t] + short[r, (l, g), t]                 >= pupils[r, (l, g), t]
    K[r, (l, g), t] - K[r, (l, g + 1), t + 1]                              <= 0
    sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] - rent[r, l, t]   <= rooms0[r, l, t]
    sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] + empty[r, l, t]  >= rooms0[r, l, t]

A cohort keeps the classes formed at its intake as it moves up and may gain one where a room is
free (pupils arriving, a class split), never lose one: a cohort short of a class at intake is
not short for the rest of its school years once a classroom frees up.

``size[(l, g), t]`` is the standard class of the grade (kindergarten 25/30/35: a group formed at
25 holds 30 a year later), or, for a cohort entering in or after the year of a new-intake cap
(``standards.intake_class_size``), that cap, kept in every later grade (:func:`intake_sizes`);
``rooms0`` the region's lawful classrooms (each open school's classes within its maximum size,
rounded down, summed: :func:`school_rooms`); ``rooms[p, l]`` the classrooms a project adds
(:func:`capsim.planner.network.lawful_classrooms`). Cohorts already in grades 2..G in the first
plan year (base cohorts) keep at least the classes listed for them in the base year (the
region's classes of their grade then, within each school's maximum size; ``ceil(pupils / size)``
for a cohort that entered after the base year), scaled down where the lawful classrooms could
not hold them all. Listed classes are kept even where they are more than the cohort needs (an
estimated list of many small groups then holds rooms the next intakes lack). A cohort never gets
more classes in a year than it has needed so far (:func:`bounds`): a class more only takes a
room. Shortfalls are penalised like any seat-year short (:mod:`capsim.planner.model`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from capsim import capacity
from capsim.planner.common import Pools, along_cohorts, family, standing, sum_into
from capsim.planner.reach import bounded, within_reach


@dataclass(frozen=True)
class Conversions:
    """The conversions a plan may choose (``plan.conversions``): one row per school and
    conversion its type allows. Its variable ``conv[v, t]`` counts units converted by year ``t``:
    the whole school (0 or 1), or with ``by_room`` its classrooms (0 to ``most``)."""

    school: np.ndarray        # (V,) school id
    pool: np.ndarray          # (V,) its pool
    level_from: np.ndarray    # (V,) level index it teaches
    level_to: np.ndarray      # (V,) level index it would teach
    rooms: np.ndarray         # (V, Y) classrooms of its level a unit takes: all (whole), or 1 while it stands
    gain: np.ndarray          # (V, Y) classrooms of the new level a unit gives
    cost_per_room: np.ndarray   # (V,) yuan to refit a classroom
    held: np.ndarray | None = None     # (V, Y) lawful classrooms of its level (None: as ``rooms``)
    by_room: np.ndarray | None = None  # (V,) true: converted classroom by classroom (None: all whole)
    most: np.ndarray | None = None     # (V,) most units (None: 1 each)
    earliest: np.ndarray | None = None  # (V,) first year it may convert (None: the second plan year)

    @property
    def whole(self) -> np.ndarray:
        """(V,) true where the school converts whole."""
        return np.ones(len(self.school), bool) if self.by_room is None else ~self.by_room

    @property
    def classrooms(self) -> np.ndarray:
        """(V, Y) the school's lawful classrooms of its level."""
        return self.rooms if self.held is None else self.held

    @property
    def units(self) -> np.ndarray:
        """(V,) most units each may convert."""
        return np.ones(len(self.school)) if self.most is None else self.most

    def room_terms(self, index: np.ndarray) -> tuple[np.ndarray, ...]:
        """(pool, level, year, variable, coefficient) of the classrooms the conversions made by each
        year take from their old level (``+ rooms[v, t] conv[v, t]``) and give the new one
        (``- gain[v, t] conv[v, t]``), ``index`` (V, Y) the variables ``conv``: the terms the
        classrooms rows of a pool (or site) gain."""
        i, t = (a.reshape(-1) for a in np.indices(index.shape))
        return (np.r_[self.pool[i], self.pool[i]], np.r_[self.level_from[i], self.level_to[i]], np.r_[t, t],
                np.r_[index[i, t], index[i, t]], np.r_[self.rooms[i, t], -self.gain[i, t]])

    def rooms_changed(self, made: np.ndarray, shape) -> np.ndarray:
        """(Z, L, Y) classrooms each pool (or site) gains (+) or loses (-) by the units ``made``
        (V, Y) by each year: the :meth:`room_terms` with the opposite sign."""
        pool, level, t, at, coef = self.room_terms(np.arange(made.size).reshape(made.shape))
        out = np.zeros(shape)
        np.add.at(out, (pool, level, t), -coef * made.reshape(-1)[at])
        return out


@dataclass(frozen=True)
class Cohorts:
    """What the class model adds to the region level's inputs (cells are (level, grade) pairs).

    Its first axis counts pools of classrooms: the regions, or with ``plan.granularity = "zone"``
    the zones of each region (``pool_region``)."""

    grades: np.ndarray        # (L,) grades of each level
    cell_level: np.ndarray    # (K,) level of each cell
    cell_grade: np.ndarray    # (K,) grade of each cell (1..G)
    std: np.ndarray           # (K,) standard class of each cell's grade
    pupils: np.ndarray        # (Z, K, Y) pupils to seat
    rooms: np.ndarray         # (Z, L, Y) lawful classrooms that exist
    base: np.ndarray          # (Z, K) least classes of the cohort in cell k in the first plan year (0 in grade 1)
    project_rooms: np.ndarray   # (P, L) classrooms each project adds
    room_seats: np.ndarray    # (L,) seats of a classroom (the level's mean standard): what a rented room costs
    project_pool: np.ndarray | None = None   # (P,) pool of each project (None: its region)
    pool_region: np.ndarray | None = None    # (Z,) region of each pool (None: pools are the regions)
    pools: tuple = ()                         # (Z,) zone of each pool ('' at region granularity)
    size: np.ndarray | None = None            # (K, Y) most pupils a class of the cohort in cell k holds in
                                              # year t (None: the grade's standard; :func:`intake_sizes`)
    entrants: object = None                   # at school granularity, where cohorts go
                                              # (:class:`capsim.planner.entrants.Entrants`; None: ``pupils`` fixed)
    pool_kind: str = "zone"                   # what a pool is when there are pools: 'zone' or 'school'
    closable: np.ndarray | None = None        # (C,) with plan.closures: the schools the plan may close (school ids)
    closable_pool: np.ndarray | None = None   # (C,) pool of each
    closable_rooms: np.ndarray | None = None  # (C, L, Y) lawful classrooms each holds
    closable_from: float = -np.inf            # first year a school may close (the second plan year at the earliest)
    closable_into: np.ndarray | None = None   # (C,) the school each may only close into ('' none; None: no
                                              # merge_into column), for the closures table
    conversions: Conversions | None = None   # with plan.conversions: the schools the plan may convert
    reach: object = None                      # with plan.max_displacement_km or merge_into: who can take the
                                              # pupils of a school closed or converted whole
                                              # (capsim.planner.reach.Reach)
    copies: int = 1                           # the pools repeat once per demand sample (:func:`sampled`)

    def class_size(self) -> np.ndarray:
        """(K, Y) most pupils a class of the cohort in each cell and year holds."""
        shape = (len(self.std), self.pupils.shape[2])
        return np.broadcast_to(self.std[:, None], shape) if self.size is None else self.size

    def pool_of(self, projects) -> np.ndarray:
        return projects.region if self.project_pool is None else self.project_pool

    def in_every_copy(self, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pools, positions): each pool of the first copy in every copy (``s * Z + pool`` for
        sample ``s``, ``Z`` pools a copy), and the position in ``pool`` each came from."""
        pool = np.asarray(pool)
        Z = self.rooms.shape[0] // self.copies
        at = np.tile(np.arange(pool.size), self.copies)
        return np.repeat(np.arange(self.copies) * Z, pool.size) + pool[at], at

    def to_regions(self, values: np.ndarray, n_regions: int) -> np.ndarray:
        """``values`` (Z, ...) summed over the pools of each region: (R, ...)."""
        return values if self.pool_region is None else sum_into(values, self.pool_region, n_regions)


def zone_pools(scenario, schools, projects, regions) -> Pools:
    """The zones of ``plan.granularity = "zone"``: each region's schools grouped by their ``zone``
    (a column of the schools table; a school without one is in its region's unnamed zone); an
    expansion is in its school's zone, a new school or temporary classrooms in the zone its
    project names (the projects table's ``zone`` column)."""
    from capsim.errors import PlanError, Problem

    problems = []
    if schools is None or schools.zone is None:
        problems.append(Problem(f"{scenario.source}: plan.granularity", "zones are a column of the schools "
                                "table, and it has none.", "zone", "add a zone column to data.schools, or plan "
                                "with plan.granularity = \"region\"."))
        raise PlanError(problems)
    keys = list(dict.fromkeys(zip(schools.region.tolist(), schools.zone.tolist())))
    index = {k: i for i, k in enumerate(keys)}
    zone = projects.zone if projects.zone is not None else np.full(len(projects.ids), "")
    project = np.full(len(projects.ids), -1)
    for i in range(len(projects.ids)):
        own = (int(projects.region[i]), schools.zone[projects.school[i]] if projects.school[i] >= 0 else zone[i])
        if projects.region[i] < 0:
            continue
        if own not in index:
            problems.append(Problem(f"{scenario.source}: data.projects", f"project {projects.ids[i]} is in zone "
                                    f"'{own[1]}', where region {regions[own[0]]} lists no school.", own[1],
                                    "give the zone of a listed school (the projects table's zone column)."))
            continue
        project[i] = index[own]
    if problems:
        raise PlanError(problems)
    return Pools(np.array([k[0] for k in keys]), tuple(k[1] for k in keys), tuple(schools.ids),
                 np.array([index[k] for k in zip(schools.region.tolist(), schools.zone.tolist())]), project)


def cohorts(scenario, cells, assessment, regions, levels, years, projects, pools: Pools | None = None,
            kind: str = "zone", max_pupils=None, kept=frozenset()) -> Cohorts:
    """The class model's inputs from the by-grade ``cells`` and the ``assessment`` (its
    ``grades``: each school's pupils and lawful seats per grade and year), per region or, with
    ``pools``, per zone (a region's pupils shared among its zones as their schools' pupils were in
    the base year, a cohort keeping its zone's share as it moves up: :func:`zone_shares`) or, with
    ``kind = "school"``, per school, the shares then chosen by the plan
    (:mod:`capsim.planner.entrants`; the base year's shares only bound the enrolled cohorts).
    A school in ``kept`` (ids: those a project would expand, whose added rooms would go with
    it, and those the schools table marks ``keep``) is never closed or converted."""
    from capsim.enrolment import grades_by_level
    from capsim.planner.network import lawful_classrooms

    grades = grades_by_level(scenario)
    G = np.array([grades[lv] for lv in levels])
    std = np.concatenate([capacity.grade_standards(scenario.standards.class_size[lv], grades[lv]) for lv in levels])
    pool_of_school = assessment_pools(assessment, regions, pools)
    Z = len(regions) if pools is None else len(pools.region)
    rooms = school_rooms(assessment, cells, std, pool_of_school, Z, levels, years)
    pupils = cells.demand if pools is None else \
        cells.demand[pools.region] * zone_shares(scenario, cells, assessment, pools, regions, levels, years)
    size = intake_sizes(scenario, cells, std, levels, years)
    base = _base_classes(scenario, cells, std, size, pupils, assessment, pool_of_school, Z, levels, years[0])
    base = _within_rooms(base, cells, G, rooms)
    room_seats = np.array([capacity.mean_class(scenario.standards.class_size[lv]) for lv in levels])
    added = lawful_classrooms(scenario, projects)
    shut = closable(scenario, assessment, cells, std, pool_of_school, levels, years, kept)
    shut["conversions"] = convertible(scenario, assessment, cells, std, pool_of_school, levels, years, kept)
    shut["reach"] = reach_of_movable(scenario, assessment, cells, std, levels, years, shut.get("closable"),
                                     shut["conversions"], projects, added)
    if pools is None:
        return Cohorts(G, cells.level, cells.grade, std, pupils, rooms, base, added, room_seats, size=size, **shut)
    chosen = None
    if kind == "school":
        from capsim.planner.entrants import entrants

        region = cells.demand[pools.region]
        chosen = entrants(bool(scenario.standards.disperse), cells, pools,
                          pupils / np.where(region > 0, region, 1.0), rooms, added, years, max_pupils)
    return Cohorts(G, cells.level, cells.grade, std, pupils, rooms, base, added, room_seats, pools.project,
                   pools.region, tuple(pools.zone), size, chosen, kind, **({} if chosen is not None else shut))


def site_classes(scenario, cells, assessment, levels, years, projects, site_ids):
    """The catchment level in whole classes (:class:`capsim.planner.catchment.SiteClasses`): each
    site (``site_ids``: the schools, then the new sites) its own pool of classrooms, as the class
    model's pools are regions: its lawful classrooms (:func:`rooms_by_school`, none at a new
    site), the classes its school list gives each enrolled cohort (:func:`_base_classes`, scaled
    within its classrooms by :func:`_within_rooms`; a cohort that entered after the base year has
    none listed, its pupils being the plan's to place), each grade's class size
    (:func:`intake_sizes`) and the classrooms each project adds."""
    from capsim.enrolment import grades_by_level
    from capsim.planner.catchment import SiteClasses
    from capsim.planner.network import lawful_classrooms

    grades = grades_by_level(scenario)
    G = np.array([grades[lv] for lv in levels])
    std = np.concatenate([capacity.grade_standards(scenario.standards.class_size[lv], grades[lv]) for lv in levels])
    ids, per = rooms_by_school(assessment, cells, std, levels, years)
    J, K, Y = len(site_ids), len(cells.level), len(years)
    rooms = np.zeros((J, len(levels), Y))
    at = pd.Index(site_ids).get_indexer(ids)
    rooms[at[at >= 0]] = per[at >= 0]
    size = intake_sizes(scenario, cells, std, levels, years)
    site_of_school = pd.Series(np.arange(J), index=list(site_ids))     # the schools are the first sites
    base = _base_classes(scenario, cells, std, size, np.zeros((J, K, Y)), assessment, site_of_school, J, levels,
                         years[0])
    room_seats = np.array([capacity.mean_class(scenario.standards.class_size[lv]) for lv in levels])
    return SiteClasses(size, rooms, _within_rooms(base, cells, G, rooms), lawful_classrooms(scenario, projects),
                       _one_grade_up(cells.level, cells.grade), room_seats)


def convertible_sites(scenario, cells, assessment, levels, years, site_ids, kept=frozenset()):
    """With ``plan.conversions`` at the catchment level in whole classes, the schools the plan may
    convert (:func:`convertible`), each its own site (the schools are the first sites); None
    without conversions."""
    from capsim.enrolment import grades_by_level

    grades = grades_by_level(scenario)
    std = np.concatenate([capacity.grade_standards(scenario.standards.class_size[lv], grades[lv]) for lv in levels])
    site_of_school = pd.Series(np.arange(len(site_ids)), index=list(site_ids))
    return convertible(scenario, assessment, cells, std, site_of_school, levels, years, kept)


def closable_sites(scenario, classes, site_ids, kept=frozenset()) -> dict:
    """With ``plan.closures`` at the catchment level in whole classes, the schools the plan may
    close (the :class:`capsim.planner.catchment.Catchment` fields): every listed school holding a
    lawful classroom in the plan's years (``classes.rooms``, the schools being the first sites),
    each its own site, not one in ``kept`` (:func:`cohorts`)."""
    site = np.flatnonzero((classes.rooms.sum(axis=(1, 2)) > 0) & ~pd.Index(list(site_ids)).isin(list(kept)))
    return dict(closable=np.asarray(site_ids, dtype=object)[site], closable_pool=site,
                closable_rooms=classes.rooms[site], closable_from=float(scenario.base_year +
                                                                       scenario.plan.closure_lead_time),
                min_pupils=scenario.plan.min_school_pupils)


def intake_sizes(scenario, cells, std, levels, years) -> np.ndarray:
    """(K, Y) most pupils a class of the cohort in cell k holds in year t: its grade's standard,
    or, for a cohort entering its level in or after the year of a new-intake cap
    (``standards.intake_class_size``, e.g. {primary = {2021 = 45}}), the cap in force in its
    intake year. The cap is the 新招生班额: it caps the classes formed at intake, and they keep
    that size as they move up, so it holds in every later grade of the cohort too (with
    per-grade standards, kindergarten 25/30/35, a later grade holds its standard scaled by the
    cap over the intake grade's standard, rounded down: a cap of 20 gives 20/24/28). A cohort
    that entered before the cap's year keeps the standard in every grade."""
    K, Y = len(cells.level), len(years)
    full = np.broadcast_to(np.asarray(std, dtype=float)[:, None], (K, Y))
    size = full.copy()
    intake = np.asarray(years)[None, :] - (cells.grade[:, None] - 1)             # (K, Y) intake year
    for lv, name in enumerate(levels):
        caps = scenario.standards.intake_class_size.get(name) or {}
        ours = cells.level == lv
        first = std[ours & (cells.grade == 1)]
        for year in sorted(caps):                       # a later cap replaces an earlier one
            capped = ours[:, None] & (intake >= int(year))
            size[capped] = np.floor(full[capped] * caps[year] / first[0] + 1e-9)
    return size


def assessment_pools(assessment, regions, pools: Pools | None) -> pd.Series:
    """The pool of each school of the assessment (school id -> pool index)."""
    if pools is None:
        first = assessment.schools.drop_duplicates("school").set_index("school")
        return pd.Series(pd.Index(regions).get_indexer(first.region), index=first.index)
    return pd.Series(pools.school, index=list(pools.school_ids))


def _cell_of(cells, levels, level, grade) -> np.ndarray:
    lv = pd.Index(levels).get_indexer(level)
    return pd.MultiIndex.from_arrays([cells.level, cells.grade]).get_indexer(pd.MultiIndex.from_arrays([lv, grade]))


def rooms_by_school(assessment, cells, std, levels, years) -> tuple[pd.Index, np.ndarray]:
    """(school ids, (S, L, Y) lawful classrooms): each open school's classrooms of the level
    within its maximum size (its lawful seats of each grade over the grade's standard, summed
    over the grades and rounded down: a school holds whole classrooms)."""
    g = assessment.grades
    g = g[g.year.isin(years) & g.level.isin(levels)]
    cell = _cell_of(cells, levels, g.level, g.grade)
    per = g.assign(rooms=g.lawful_seats.to_numpy() / std[cell]).groupby(["year", "school", "level"], sort=False).rooms.sum()
    per = np.floor(per + 1e-6).reset_index()
    ids = pd.Index(list(dict.fromkeys(per.school)))
    out = np.zeros((len(ids), len(levels), len(years)))
    np.add.at(out, (ids.get_indexer(per.school), pd.Index(levels).get_indexer(per.level),
                    np.searchsorted(years, per.year)), per.rooms.to_numpy())
    return ids, out


def school_rooms(assessment, cells, std, pool_of_school, Z, levels, years) -> np.ndarray:
    """(Z, L, Y) lawful classrooms (:func:`rooms_by_school`) summed over the pool's (region's) schools."""
    ids, per = rooms_by_school(assessment, cells, std, levels, years)
    out = np.zeros((Z,) + per.shape[1:])
    np.add.at(out, pool_of_school.reindex(ids).to_numpy(), per)
    return out


def closable(scenario, assessment, cells, std, pool_of_school, levels, years, kept=frozenset()) -> dict:
    """With ``plan.closures``, the schools the plan may close: every listed school holding a
    lawful classroom in the plan's years, with its pool and classrooms (Cohorts fields); not one
    in ``kept`` (:func:`cohorts`)."""
    if not scenario.plan.closures:
        return {}
    ids, per = rooms_by_school(assessment, cells, std, levels, years)
    keep = (per.sum(axis=(1, 2)) > 0) & ~ids.isin(list(kept))
    into = assessment.network.merge_into
    if into is not None:
        into = np.asarray(into, dtype=object)[pd.Index(list(assessment.network.ids)).get_indexer(ids[keep])]
    return dict(closable=np.asarray(ids[keep], dtype=object), closable_pool=pool_of_school.reindex(ids[keep]).to_numpy(),
                closable_rooms=per[keep], closable_into=into,
                closable_from=float(scenario.base_year + scenario.plan.closure_lead_time))


def reach_of_movable(scenario, assessment, cells, std, levels, years, closable, conversions, projects, added):
    """With ``plan.max_displacement_km`` or a school that names the school it merges into
    (``merge_into``), who can take the pupils of the schools the plan may move
    (:func:`capsim.planner.reach.within_reach`: the other schools, and the new schools among
    ``projects``, ``added`` (P, L) their lawful classrooms): the ``closable`` schools, or without
    closures those with a conversion whole; None where no rule binds or nothing can move."""
    if not bounded(scenario, assessment.network):
        return None
    if closable is None:
        closable = [] if conversions is None else conversions.school[conversions.whole]
    ids, per = rooms_by_school(assessment, cells, std, levels, years)
    movable = ids.isin(list(closable))
    return within_reach(scenario, assessment.network, ids, per, movable, projects, added) if movable.any() else None


def convertible(scenario, assessment, cells, std, pool_of_school, levels, years,
                kept=frozenset()) -> Conversions | None:
    """With ``plan.conversions``, each listed school of a conversion's type that holds a lawful
    classroom of its level in the plan's years, once per conversion: its classrooms ``held[v, t]``;
    converted whole, a unit takes them all and gives the new level ``gain[v, t] = min(floor(held[v, t]
    f), floor(M / standard))`` (``f`` the conversion's ``classrooms_per_classroom``, ``M`` the new
    type's maximum size, ``standard`` the new level's mean class); by classroom, a unit takes one
    and gives one while the school stands, up to ``min(min_t held[v, t] - 1, floor(M / standard))``
    units (the school keeps a classroom of its level: converting them all is converting it whole);
    from ``base_year + lead_time`` (``earliest``). Conversions between levels the plan does not plan are left out, and so are the schools
    in ``kept`` (:func:`cohorts`)."""
    options = [c for c in scenario.plan.conversions if c.school_type in levels and c.into in levels]
    if not options:
        return None
    ids, per = rooms_by_school(assessment, cells, std, levels, years)
    kind = assessment.schools.drop_duplicates("school").set_index("school").type.reindex(ids).to_numpy()
    parts = []
    for c in options:
        f, t = levels.index(c.school_type), levels.index(c.into)
        s = np.flatnonzero((kind == c.school_type) & (per[:, f].sum(axis=1) > 0) & ~ids.isin(list(kept)))
        most = np.floor(scenario.standards.max_school_size.get(c.into, np.inf)
                        / capacity.mean_class(scenario.standards.class_size[c.into]))
        held = per[s, f]
        if c.unit == "classroom":                    # keeping a classroom of its level (whole: the other unit)
            unit = (held > 0).astype(float)
            rooms, gain, units = unit, unit, np.minimum(np.where(held > 0, held, np.inf).min(axis=1) - 1, most)
        else:
            rooms, gain, units = held, np.minimum(np.floor(held * c.classrooms_per_classroom + 1e-9), most), np.ones(len(s))
        parts.append((ids[s], np.full(s.size, f), np.full(s.size, t), rooms, gain, np.full(s.size, c.cost_per_classroom),
                      held, np.full(s.size, c.unit == "classroom"), units,
                      np.full(s.size, scenario.base_year + c.lead_time, dtype=float)))
    school, f, t, rooms, gain, cost, held, by_room, units, earliest = (np.concatenate(x) for x in zip(*parts))
    return Conversions(np.asarray(school, dtype=object), pool_of_school.reindex(school).to_numpy(), f, t, rooms, gain,
                       cost, held, by_room, units, earliest)


def zone_shares(scenario, cells, assessment, pools: Pools, regions, levels, years) -> np.ndarray:
    """(Z, K, Y) each zone's share of its region's pupils in each cell and year: the cohort's share
    of the region's pupils in the base year (its grade then), or, for a cohort entering later, the
    zone's share of the base year's grade 1 (where the region had no such pupils, the zone's share
    of the level's pupils, else an equal share)."""
    g = assessment.grades
    g = g[(g.year == scenario.base_year) & g.level.isin(levels)]
    pool = assessment_pools(assessment, regions, pools)
    Z, K, Y = len(pools.region), len(cells.level), len(years)
    base = np.zeros((Z, K))
    np.add.at(base, (pool.reindex(g.school).to_numpy(), _cell_of(cells, levels, g.level, g.grade)), g.students.to_numpy())
    region_total = np.zeros((len(regions), K))
    np.add.at(region_total, pools.region, base)
    level_total = np.zeros((Z, len(levels)))
    np.add.at(level_total, (slice(None), cells.level), base)
    level_region = np.zeros((len(regions), len(levels)))
    np.add.at(level_region, pools.region, level_total)
    count = np.bincount(pools.region, minlength=len(regions)).astype(float)
    share = np.where(region_total[pools.region] > 0,
                     base / np.where(region_total[pools.region] > 0, region_total[pools.region], 1.0),
                     np.where(level_region[pools.region][:, cells.level] > 0,
                              level_total[:, cells.level] / np.maximum(level_region[pools.region][:, cells.level], 1e-12),
                              1.0 / count[pools.region][:, None]))                   # (Z, K) base-year shares
    shift = int(years[0] - scenario.base_year)
    then = cells.grade[:, None] - shift - np.arange(Y)[None, :]                       # (K, Y) grade in the base year
    cell_then = _cell_of(cells, levels, np.asarray(levels)[np.repeat(cells.level, Y)],
                         np.maximum(then, 1).reshape(-1)).reshape(K, Y)
    return share[:, cell_then]


def _base_classes(scenario, cells, std, size, pupils, assessment, pool_of_school, Z, levels, first) -> np.ndarray:
    """(Z, K) classes of the cohort in each cell in the first plan year: the classes listed for it
    in the base year (its pool's schools' lawful classes of its grade then), or ``ceil(pupils /
    size)`` if it entered later (``size``: :func:`intake_sizes`); 0 in grade 1 (formed by the plan)."""
    K = len(cells.level)
    shift = int(first - scenario.base_year)                   # grades moved up since the base year
    g = assessment.grades
    g = g[(g.year == scenario.base_year) & g.level.isin(levels)]
    cell = _cell_of(cells, levels, g.level, g.grade.to_numpy() + shift)     # where the cohort is now
    then = _cell_of(cells, levels, g.level, g.grade.to_numpy())              # its grade in the base year
    keep = cell >= 0
    listed = np.zeros((Z, K))
    np.add.at(listed, (pool_of_school.reindex(g.school).to_numpy()[keep], cell[keep]),
              g.lawful_seats.to_numpy()[keep] / std[then[keep]])
    listed = np.rint(listed)
    formed = np.ceil(pupils[:, :, 0] / size[None, :, 0] - 1e-9)
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


def sampled(c: Cohorts, pupils: np.ndarray) -> Cohorts:
    """The cohorts of ``S`` equally likely samples of demand ``pupils`` (Z, K, Y, S): the model
    of a two-stage stochastic program (``capsim robust``). The pools repeat once per sample (pool
    ``z`` of sample ``s`` is ``s * Z + z``) with their classrooms and base classes; the openings,
    closures and conversions are shared (their classrooms count in every copy,
    :func:`_classes_less_rooms`), and each copy's classes, shortfall, rent and empty rooms are its
    own, each weighing ``1 / S`` in the objective (:func:`capsim.planner.model.samples`)::

        size K[s Z + r, k, t] + short[s Z + r, k, t] >= pupils[r, k, t, s]      every sample s

    At school granularity a pool's pupils are chosen by the plan (:mod:`capsim.planner.entrants`),
    which has no samples: plan by region or zone."""
    if c.entrants is not None or c.copies != 1:
        raise ValueError("samples of demand are planned by region or zone, once")
    Z, K, Y, S = pupils.shape
    region = np.arange(Z) if c.pool_region is None else c.pool_region
    return replace(c, pupils=np.moveaxis(pupils, 3, 0).reshape(S * Z, K, Y), rooms=np.tile(c.rooms, (S, 1, 1)),
                   base=np.tile(c.base, (S, 1)), pool_region=np.tile(region, S), pools=tuple(c.pools) * S,
                   copies=S)


def number(c: Cohorts, start: int) -> np.ndarray:
    """(R, K, Y) variable number of the classes of the cohort in each cell and year."""
    return start + np.arange(c.pupils.size).reshape(c.pupils.shape)


def next_cell(c: Cohorts) -> np.ndarray:
    """(K,) the cell of the same level one grade up (-1 from the last grade)."""
    return _one_grade_up(c.cell_level, c.cell_grade)


def _one_grade_up(level, grade) -> np.ndarray:
    cells = pd.MultiIndex.from_arrays([level, grade])
    return cells.get_indexer(pd.MultiIndex.from_arrays([level, np.asarray(grade) + 1]))


def bounds(c: Cohorts, rent: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds of the classes, shaped like ``pupils``: a base cohort has at least its
    listed classes in the first year (and so in every later one); no cohort more classes in a year
    than it has needed up to then (``max ceil(pupils / size)`` over its years so far, or its listed
    classes): any plan with more keeps its cost and seats with fewer, cut to that non-decreasing cap
    (and, with an empty-room cost, no class without pupils is formed to fill an empty room). At
    school granularity a pool's pupils are chosen, so the cap counts its region's pupils and,
    without rent, no more classes than the classrooms the pool could ever have."""
    R, K, Y = c.pupils.shape
    lower = np.zeros((R, K, Y))
    lower[:, :, 0] = c.base
    pupils = c.pupils if c.entrants is None else c.entrants.region_pupils[c.pool_region]
    upper = np.ceil(pupils / c.class_size()[None] - 1e-9)
    if c.entrants is not None and not rent:
        most = c.rooms.copy()
        keep = c.project_pool >= 0
        np.add.at(most, c.project_pool[keep], np.repeat(c.project_rooms[keep][:, :, None], Y, axis=2))
        upper = np.minimum(upper, most[:, c.cell_level, :])
    return along_cohorts(lower, upper, next_cell(c))


def define_class_seats(m):
    """A cohort's classes hold its pupils, or the rest are short, in every cell and year:
    ``size[(l, g), t] K[r, (l, g), t] + short[r, (l, g), t] >= pupils[r, (l, g), t]``, ``size``
    the grade's standard or the cohort's new-intake cap (:func:`intake_sizes`). At school
    granularity the pupils are the pool's chosen share of its region's
    (:mod:`capsim.planner.entrants`): ``size K + short - P[r(z), (l, g), t] share[z, l, j] >= 0``."""
    c = m.inputs.cohorts
    row = np.arange(c.pupils.size)
    std = np.broadcast_to(c.class_size()[None], c.pupils.shape).reshape(-1)
    rows, cols = [row, row], [m.k_index.reshape(-1), m.short_index.reshape(-1)]
    data, rhs = [std, np.ones(row.size)], c.pupils.reshape(-1)
    if c.entrants is not None:    # the pool's pupils are its chosen share of its region's
        e = c.entrants
        share = m.share_index[:, c.cell_level[:, None], e.cohort]                    # (Z, K, Y)
        pupils = e.region_pupils[c.pool_region]
        ok = (share >= 0).reshape(-1)
        rows.append(row[ok]); cols.append(share.reshape(-1)[ok]); data.append(-pupils.reshape(-1)[ok])
        rhs = np.zeros(row.size)
    return family("class_seats", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), row.size, m.n,
                 ">=", rhs)


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
    return family("keep_classes", np.r_[row, row], cols, np.r_[np.ones(row.size), -np.ones(row.size)], row.size,
                 m.n, "<=", np.zeros(row.size))


def _classes_less_rooms(m):
    """(rows, cols, data) of ``sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] + sum_s
    rooms[s, l, t] shut[s, t] + sum_{v from l} rooms[v, t] conv[v, t] - sum_{v to l} gain[v, t]
    conv[v, t] + mb[r, l, t]`` (the third with ``plan.closures``: the rooms of the pool's schools
    closed by then; the next two with ``plan.conversions``: a converted school's rooms leave its
    old level and give the new one its gain; the last with ``plan.mothball_cost``: the rooms
    mothballed), one row per pool, level and year (``r * L + l) * Y + t``). With copies
    (:func:`sampled`) the openings, closures and conversions count in their pool of every copy."""

    c = m.inputs.cohorts
    R, L, Y = c.rooms.shape
    K = len(c.cell_level)
    r, k, t = (a.reshape(-1) for a in np.indices((R, K, Y)))
    rows = [(r * L + c.cell_level[k]) * Y + t]
    cols = [m.k_index.reshape(-1)]
    data = [np.ones(r.size)]
    var, proj, ty = standing(m)
    for lv in range(L):                # with copies (samples of demand) in every copy's pool
        adds = c.project_rooms[proj, lv]
        nz = np.flatnonzero(adds > 0)
        pool, at = c.in_every_copy(c.pool_of(m.inputs.projects)[proj[nz]])
        rows.append((pool * L + lv) * Y + ty[nz][at]); cols.append(var[nz][at]); data.append(-adds[nz][at].astype(float))
    if m.shut_index is not None:       # a closed school's classrooms are gone: + rooms_s shut[s, t]
        s, lv, t = np.nonzero(c.closable_rooms)
        pool, at = c.in_every_copy(c.closable_pool[s])
        rows.append((pool * L + lv[at]) * Y + t[at]); cols.append(m.shut_index[s, t][at])
        data.append(c.closable_rooms[s, lv, t][at])
    if m.mothball_index is not None:   # mothballed rooms hold no class and are not empty: + mb[r, l, t]
        n = c.rooms.size
        rows.append(np.arange(n)); cols.append(m.mothball_index.reshape(-1)); data.append(np.ones(n))
    if m.convert_index is not None:    # a converted school's rooms leave its level and join another's
        pool, lv, t, var, coef = c.conversions.room_terms(m.convert_index)
        pool, at = c.in_every_copy(pool)
        rows.append((pool * L + lv[at]) * Y + t[at]); cols.append(var[at]); data.append(coef[at])
    return rows, cols, data


def define_classrooms(m):
    """The classes present in a year share the region's classrooms of the level:
    ``sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] - rent[r, l, t] <= rooms0[r, l, t]``,
    ``open[p, t]`` as in :func:`capsim.planner.model.define_capacity`; with ``plan.closures`` the
    rooms of the pool's schools closed by then leave it (``+ sum_s rooms[s, l, t] shut[s, t]``,
    :func:`_classes_less_rooms`)."""
    c = m.inputs.cohorts
    rows, cols, data = _classes_less_rooms(m)
    n = c.rooms.size
    if m.rent_index is not None:
        rows.append(np.arange(n)); cols.append(m.rent_index.reshape(-1)); data.append(-np.ones(n))
    return family("classrooms", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), n, m.n,
                 "<=", c.rooms.reshape(-1))


def define_empty_rooms(m):
    """The classrooms of a pool and level standing empty in a year (only with
    ``plan.empty_room_cost``): the lawful ones that exist and those the open projects add, less
    the classes present, ``empty[r, l, t] >= rooms0[r, l, t] + sum_p rooms[p, l] open[p, t] -
    sum_g K[r, (l, g), t]`` and ``empty >= 0``, written
    ``sum_g K[r, (l, g), t] - sum_p rooms[p, l] open[p, t] + empty[r, l, t] >= rooms0[r, l, t]``.
    Rented rooms are not counted: a rented room is taken only for a class. At least cost
    ``empty`` is the empty rooms exactly, so a room built for a short peak costs every year it
    stands empty after it."""
    if m.empty_index is None:
        return None
    c = m.inputs.cohorts
    rows, cols, data = _classes_less_rooms(m)
    n = c.rooms.size
    rows.append(np.arange(n)); cols.append(m.empty_index.reshape(-1)); data.append(np.ones(n))
    return family("empty_rooms", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), n, m.n,
                 ">=", c.rooms.reshape(-1))


def define_stay_closed(m):
    """A school closed stays closed: ``shut[s, t] - shut[s, t + 1] <= 0`` (``shut[s, t]`` = 1 from
    the year it closes; never in the first plan year, which is already under way)."""
    return None if m.shut_index is None else _for_good("stay_closed", m.shut_index, m.n)


def define_stay_converted(m):
    """A school (or classroom) converted stays converted: ``conv[v, t] - conv[v, t + 1] <= 0``
    (``conv[v, t]`` the units converted by ``t``; none in the first plan year)."""
    return None if m.convert_index is None else _for_good("stay_converted", m.convert_index, m.n)


def _for_good(name, index, n):
    """Rows ``z[i, t] - z[i, t + 1] <= 0`` for the (I, Y) decision variables ``index``."""
    C, Y = index.shape
    s, t = (a.reshape(-1) for a in np.indices((C, Y - 1)))
    row = np.arange(s.size)
    return family(name, np.r_[row, row], np.r_[index[s, t], index[s, t + 1]],
                 np.r_[np.ones(row.size), -np.ones(row.size)], row.size, n, "<=", np.zeros(row.size))


def define_reopening(m):
    """Mothballed classrooms brought back into use are counted in the year they reopen:
    ``mb[r, l, t - 1] - mb[r, l, t] - reopen[r, l, t] <= 0`` for t >= 1 (``reopen >= 0``; at least
    cost it is the rooms reopened exactly)."""
    if m.mothball_index is None:
        return None
    mb, re = m.mothball_index[:, :, 1:].reshape(-1), m.reopen_index[:, :, 1:].reshape(-1)
    before = m.mothball_index[:, :, :-1].reshape(-1)
    row = np.arange(mb.size)
    return family("reopening", np.r_[row, row, row], np.r_[before, mb, re],
                 np.r_[np.ones(row.size), -np.ones(row.size), -np.ones(row.size)], row.size, m.n, "<=",
                 np.zeros(row.size))


def define_one_fate(m):
    """A school is closed, converted whole (by one of its conversions) or has classrooms converted
    (by one or more), keeping one of its level: ``shut[s, t] + sum_{whole v of s} conv[v, t] +
    sum_{by-room v of s} conv[v, t] / (H[s, t] - 1) <= 1`` (``H`` its lawful classrooms of the
    level converted) for each school with more than one such choice or a conversion by
    classroom, in the years it has classrooms (with none, its choices change nothing; with one,
    none converts by classroom: its bound)."""
    if m.convert_index is None:
        return None
    c = m.inputs.cohorts if m.inputs.cohorts is not None else m.inputs.catchment    # pools, or sites
    v = c.conversions
    Y = m.convert_index.shape[1]
    held = v.classrooms
    school_held = dict(zip(v.school, held))                        # a school's options share its level
    per_room = 1.0 / np.maximum(held - 1.0, 1.0)
    owners = [(v.school, m.convert_index, np.where(v.whole[:, None], 1.0, per_room))]
    if m.shut_index is not None:
        owners.append((c.closable, m.shut_index, np.ones(m.shut_index.shape)))
    school = np.concatenate([o[0] for o in owners])
    index = np.concatenate([o[1] for o in owners])
    weight = np.concatenate([o[2] for o in owners])
    ids, of = np.unique(school.astype(str), return_inverse=True)
    roomwise = np.zeros(len(ids), bool)
    np.logical_or.at(roomwise, of[: len(v.school)], ~v.whole)
    several = (np.bincount(of, minlength=len(ids)) > 1) | roomwise
    keep = several[of]
    if not keep.any():
        return None
    H = np.array([school_held.get(sid, np.ones(Y)) for sid in ids[several]]).reshape(-1, Y)
    row_of = np.cumsum(several) - 1
    rows = (row_of[of[keep]][:, None] * Y + np.arange(Y)).reshape(-1)
    live = (H.reshape(-1) > 0)[rows]                               # no classroom: no row
    used = np.flatnonzero(H.reshape(-1) > 0)
    renumber = np.full(H.size, -1)
    renumber[used] = np.arange(len(used))
    return family("one_fate", renumber[rows[live]], index[keep].reshape(-1)[live], weight[keep].reshape(-1)[live],
                  len(used), m.n, "<=", np.ones(len(used)))


def classes_of_cells(m, values) -> np.ndarray:
    """(R, K, Y) classes of the cohort in each cell and year, read from a solution ``values``."""
    return np.rint(values[m.k_index])
