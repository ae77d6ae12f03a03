"""The catchment level of the planning MILP: residential areas assigned to schools, every year.

The region-level model (:mod:`capsim.planner.model`) asks that seats in a region cover its
pupils. At the catchment level, areas ``a`` (with ``n[a, l, t]`` pupils of capacity cell ``l``
in year ``t``: a level's grade, :mod:`capsim.planner.cells`) are assigned to sites ``j``: the
schools that exist and the new schools among the projects (an expansion or temporary
classrooms add seats at their school's site). The openings ``x[p, y]`` and every family over
them (budgets, alternatives, prerequisites, school sizes) are the region model's; the
capacity family is replaced by::

    w[a, j, l, t] in [0, 1]  share of area a's cell-l pupils seated at site j in year t
                             (only for pairs within the maximum distance, sites that can teach l)
    v[a, l, t] >= 0          share left unserved
    z[a, j, e, t] in {0, 1}  (single assignment) area a's pupils of level e are zoned to site j
    u[a, e, t] in [0, 1]     (single assignment, with a rezoning cost) area a's level e is zoned
                             to another site in year t than in year t - 1

    assign:         sum_j w[a,j,l,t] + v[a,l,t] = 1
    site_capacity:  sum_a n[a,l,t] w[a,j,l,t] <= seats[j,l,t] + sum_{p at j} seats[p,l] open[p,t]
    open_to_serve:  w[a,j,l,t] <= sum_{p at j} open[p,t]        (sites with no seats of l in t yet)
    region_short:   short[r,l,t] + rent[r,l,t] >= sum_{a in r} n[a,l,t] v[a,l,t]
    zone_once:      sum_j z[a,j,e,t] <= 1                        (single assignment only)
    zoned:          w[a,j,l,t] <= z[a,j,e(l),t]                  (single assignment only)
    rezoned:        z[a,j,e,t] - z[a,j,e,t-1] - u[a,e,t] <= 0       (with a rezoning cost)

**In whole classes** (:class:`SiteClasses`: a school list, ``plan.capacity = "classes"``), the
site's seats are its classrooms, shared by every grade of a level, and pupils sit in whole
classes formed at intake that roll up with their cohort, as in the region model
(:mod:`capsim.planner.classes`) with each site its own pool. ``site_capacity`` is replaced by::

    K[j, k, t] in Z+         classes of the cohort in cell k = (l, g) at site j in year t

    site_classes:     sum_a n[a,k,t] w[a,j,k,t] - size[k,t] K[j,k,t]                   <= 0
    site_keep:        K[j,(l,g),t] - K[j,(l,g+1),t+1] - U (shut[j,t+1] - shut[j,t])    <= 0
    site_classrooms:  sum_g K[j,(l,g),t] - sum_{p at j} rooms[p,l] open[p,t]
                      + rooms0[j,l,t] shut[j,t]                                        <= rooms0[j,l,t]

``size`` the grade's standard (or the cohort's new-intake cap), ``rooms0`` the site's lawful
classrooms of level ``l`` (0 for a new site), ``rooms[p, l]`` those a project adds. With
``plan.closures``, ``shut[j, t] in {0, 1}`` closes listed school ``j`` from year ``t`` for good
(``stay_closed``, :func:`capsim.planner.classes.define_stay_closed`; never in the first plan
year, nor a school a project would expand or the schools table marks ``keep``): its classrooms
are gone, and its cohorts may leave it the year it closes (``U`` the bound of ``K``; once
closed it has no class to keep), their pupils zoned to other schools within reach; it saves
the running cost as at the region level (:mod:`capsim.planner.model`). Where pupils go is the
zoning's to decide, so neither ``merge_into`` nor ``plan.max_displacement_km`` applies here
(``plan.max_distance_km`` does). With ``plan.min_school_pupils`` (``M``) a school that may
close and stays open holds at least ``M`` pupils, in the years it may close and has
classrooms::

    min_school_pupils:  sum_{a,k} n[a,k,t] w[a,j,k,t] + M shut[j,t]                   >= M

With ``plan.conversions``, ``conv[v, t]`` (:class:`capsim.planner.classes.Conversions`: whole,
0 or 1; by classroom, the classrooms converted by ``t``) moves listed school ``j(v)``'s
classrooms from level ``f(v)`` to level ``e(v)``: ``site_classrooms`` gains
``+ rooms[v,t] conv[v,t]`` in its row for ``f(v)`` and ``- gain[v,t] conv[v,t]`` in its row
for ``e(v)``; a school converted whole lets its level-``f(v)`` cohorts leave it the year it
converts (``- U (conv[v,t+1] - conv[v,t])`` in their ``site_keep`` rows); a site with no
classroom of ``e(v)`` without the plan takes its pupils once converted (``open_to_serve`` gains
``- conv[v,t]``). ``stay_converted`` and ``one_fate`` (a school closes, converts whole or
converts classrooms) are the region model's; the refit is paid once and counts in the budgets.

A cohort already enrolled keeps at least the classes the school list gives it (a lower bound on ``K`` in
the first plan year, scaled down where the site's classrooms could not hold them), and no site
forms more classes of a cohort than the pupils within reach of it could fill. A site serves a
grade where it has classrooms of its level, or a project may add some (``open_to_serve``
otherwise): a big cohort takes the rooms a small one left.

Under single assignment each area is zoned to one school for all grades of a level
(``e(l)`` the level of cell ``l``), as nearest-school zoning requires, and the pupils its
school has no seat for are its shortfall (they are not sent elsewhere).

with ``open[p, t] = sum_{t - duration < y <= t} x[p, y]``, and the objective gains the travel
cost ``sum d(t) c[a, j] n[a, l, t] w[a, j, l, t]`` (``c`` in yuan per pupil and year) and, under
single assignment, the rezoning cost ``sum d(t) k n[a, e, t] u[a, e, t]`` (``k`` yuan per pupil
of an area whose school changes, ``n[a, e, t]`` its pupils of level e). The fixed cost of
opening a site is its project's cost; the cost per seat is in that cost too. Missing seats keep
the region model's ``short`` and its penalty, so a plan always comes back.

``u`` exists for ``t`` after the first year where the area may be zoned in both ``t`` and
``t - 1`` (it has pupils of the level and a site in reach both years); ``u`` is 1 as soon as
the area's site in ``t`` is not its site in ``t - 1``. The charge is paid once, on the pupils of
the year of the move, while the travel saved recurs every later year. Two simplifications: an
area left wholly unzoned in ``t - 1`` (all its pupils short) counts as rezoned when it gets a
school, and a year in which the area cannot be zoned (no pupils of the level, or no site in
reach) breaks the chain, so a move across it is free. With ``k = 0`` there is no ``u`` and each
year's zoning is chosen anew.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from capsim.planner.common import along_cohorts, cell_seats, sum_into


@dataclass(frozen=True)
class SiteClasses:
    """What planning the catchment level in whole classes adds (cells are (level, grade) pairs)."""

    size: np.ndarray            # (K, Y) most pupils a class of the cohort in cell k holds in year t
    rooms: np.ndarray           # (J, E, Y) lawful classrooms of each level at each site without the plan
    base: np.ndarray            # (J, K) least classes of the cohort in cell k at the site in the first plan year
    project_rooms: np.ndarray   # (P, E) classrooms each project adds to each level (at its site)
    next_cell: np.ndarray       # (K,) the cell of the same level one grade up (-1 from the last grade)
    room_seats: np.ndarray | None = None   # (E,) seats of a classroom (the level's mean standard): what a
                                           # classroom gained or lost by a conversion counts in the seat tables


@dataclass(frozen=True)
class Catchment:
    pupils: np.ndarray          # (A, L, Y) pupils of each capacity cell living in each area
    area_region: np.ndarray     # (A,) region index of each area (its shortfall is reported there)
    seats: np.ndarray           # (J, L, Y) lawful seats each site has without the plan
    project_site: np.ndarray    # (P,) the site each project adds its seats at
    cost: np.ndarray            # (A, J) travel cost, yuan per pupil and year; inf: out of reach
    single: bool = True         # each area's pupils of a level go to one site (else split)
    areas: tuple = ()           # labels, for the result tables
    sites: tuple = ()
    cell_level: np.ndarray | None = None   # (L,) the level of each cell, zoned together (None: cells are levels)
    rezoning_cost: float = 0.0  # yuan per pupil of an area zoned to another site than the year before
    area_points: object = None  # capsim.geo.Points of the areas (None: no points), for maps
    classes: SiteClasses | None = None   # planning in whole classes (None: in seats per grade)
    site_region: np.ndarray | None = None  # (J,) region index of each site, for the results by region
                                           # (:meth:`regions_of_sites`; None: not given)
    closable: np.ndarray | None = None        # (C,) in whole classes with plan.closures: the schools the plan
                                              # may close (ids; each its own site, the Cohorts fields' names)
    closable_pool: np.ndarray | None = None   # (C,) the site of each
    closable_rooms: np.ndarray | None = None  # (C, E, Y) lawful classrooms each holds
    closable_from: float = -np.inf            # first year a school may close
    closable_into = None                      # no named receivers here: zoning decides where pupils go
    min_pupils: float | None = None           # plan.min_school_pupils: least pupils a closable school keeps open
    conversions: object = None                # in whole classes with plan.conversions: the schools the plan may
                                              # convert (capsim.planner.classes.Conversions, ``pool`` their site)

    def closable_at_sites(self) -> np.ndarray:
        """(J,) each site's number among the closable schools (-1: not closable)."""
        out = np.full(self.seats.shape[0], -1)
        out[self.closable_pool] = np.arange(len(self.closable_pool))
        return out

    def regions_of_sites(self) -> np.ndarray:
        """(J,) the region of each site, which the results by region need."""
        if self.site_region is None:
            raise ValueError("the results by region need each site's region: Catchment.site_region")
        return self.site_region

    @property
    def zone_of(self) -> np.ndarray:
        """(L,) the zoning level of each cell."""
        return np.arange(self.pupils.shape[1]) if self.cell_level is None else np.asarray(self.cell_level)


@dataclass(frozen=True)
class Assignment:
    """Variable numbers of the catchment level: ``w`` entries as flat arrays, ``v`` shaped (A, L, Y)."""

    area: np.ndarray
    site: np.ndarray
    cell: np.ndarray
    year: np.ndarray
    w_index: np.ndarray
    v_index: np.ndarray
    z_index: np.ndarray | None = None     # single assignment: one per (area, site, zoning level, year) used
    z_of_w: np.ndarray | None = None      # the entry of z_index each w is zoned by
    z_key: np.ndarray | None = None       # (area, zoning level, year) flat key of each z, for zone_once
    u_index: np.ndarray | None = None     # rezoning: one per (area, zoning level, year) zoned then and a year before
    u_key: np.ndarray | None = None       # (area, zoning level, year) flat key of each u
    k_index: np.ndarray | None = None     # (J, K, Y) in whole classes: the classes of each cohort at each site


def number(c: Catchment, seats, x_index, start: int, years=None) -> Assignment:
    """Number ``w`` (pairs within reach, areas with pupils, sites that have or may get seats of
    the cell by that year, in whole classes classrooms of its level, from a project or a
    conversion; ``seats`` (P, L) the projects' seats per cell, ``years`` the plan's, which a
    conversion's earliest year needs), then ``v``, then (single assignment) one ``z`` per area,
    site, zoning level and year some ``w`` needs, then ``u``, then (in whole classes) ``K``, from
    variable ``start`` on."""
    asg = _assigning(c, seats, x_index, start, years)
    asg = _zoning(c, asg, start + n_variables(asg))
    if c.classes is None:
        return asg
    return replace(asg, k_index=start + n_variables(asg) + np.arange(c.seats.size).reshape(c.seats.shape))


def _assigning(c: Catchment, seats, x_index, start: int, years=None) -> Assignment:
    """``w`` and ``v`` of :func:`number`."""
    J, L, Y = c.seats.shape
    first = np.where((x_index >= 0).any(axis=1), np.argmax(x_index >= 0, axis=1), Y)
    p, lv = np.nonzero((_project_places(c, seats) > 0) & (first < Y)[:, None])
    opens = np.zeros((J, L, Y))
    np.add.at(opens, (c.project_site[p], lv, first[p]), 1.0)           # a project may open here first
    may_add = np.cumsum(opens, axis=2) > 0
    serves = _has_places(c) | may_add                                  # (J, L, Y)
    if c.conversions is not None:                                      # or a conversion give it classrooms
        serves |= may_convert_into(c, years)[:, c.zone_of, :]
    cell = np.isfinite(c.cost)[:, :, None, None] & serves[None] & (c.pupils[:, None] > 0)
    a, j, lv, t = np.nonzero(cell)
    w_index = start + np.arange(len(a))
    v_index = start + len(a) + np.arange(c.pupils.size).reshape(c.pupils.shape)
    return Assignment(a, j, lv, t, w_index, v_index)


def _project_places(c: Catchment, seats: np.ndarray) -> np.ndarray:
    """(P, L) what each project adds to each cell: ``seats`` (its seats per cell), or in whole
    classes its classrooms of the cell's level, which every grade of the level shares."""
    return seats if c.classes is None else c.classes.project_rooms[:, c.zone_of]


def may_convert_into(c: Catchment, years) -> np.ndarray:
    """(J, E, Y) true where a conversion may have given site ``j`` classrooms of level ``e`` by
    year ``t``: from its earliest year, never in the first plan year (under way)."""
    v = c.conversions
    J, E, Y = c.classes.rooms.shape
    first = np.full(len(v.school), -np.inf) if v.earliest is None else v.earliest
    ok = (np.asarray(years)[None, :] >= first[:, None]) & (v.gain > 0)
    ok[:, 0] = False
    out = np.zeros((J, E, Y), bool)
    np.logical_or.at(out, (v.pool, v.level_to), ok)
    return np.logical_or.accumulate(out, axis=2)


def _has_places(c: Catchment) -> np.ndarray:
    """(J, L, Y) sites with places of each cell without the plan: lawful seats of the grade, or in
    whole classes classrooms of its level (which every grade shares)."""
    return c.seats > 0 if c.classes is None else c.classes.rooms[:, c.zone_of, :] > 0


def _zoning(c: Catchment, asg: Assignment, after: int) -> Assignment:
    """``z`` and ``u`` of :func:`number` under single assignment, numbered from ``after`` (``asg``
    unchanged under split)."""
    if not c.single:
        return asg
    a, j, lv, t = asg.area, asg.site, asg.cell, asg.year
    J, L, Y = c.seats.shape
    A, E = c.pupils.shape[0], int(c.zone_of.max()) + 1
    keys, z_of_w = np.unique(np.ravel_multi_index((a, j, c.zone_of[lv], t), (A, J, E, Y)), return_inverse=True)
    za, _, ze, zt = np.unravel_index(keys, (A, J, E, Y))
    z_index = after + np.arange(len(keys))
    z_key = np.ravel_multi_index((za, ze, zt), (A, E, Y))
    asg = replace(asg, z_index=z_index, z_of_w=z_of_w, z_key=z_key)
    if c.rezoning_cost <= 0:
        return asg
    zoned = np.unique(z_key)
    u_key = zoned[(zoned % Y > 0) & np.isin(zoned - 1, zoned)]          # zoned this year and the one before
    return replace(asg, u_index=after + len(keys) + np.arange(len(u_key)), u_key=u_key)


def n_variables(asg: Assignment) -> int:
    return sum(idx.size for idx in (asg.w_index, asg.v_index, asg.z_index, asg.u_index, asg.k_index)
               if idx is not None)


def travel_cost(c: Catchment, asg: Assignment, d: np.ndarray) -> np.ndarray:
    """Objective coefficients of ``w``: ``d(t) c[a, j] n[a, l, t]``."""
    return d[asg.year] * c.cost[asg.area, asg.site] * c.pupils[asg.area, asg.cell, asg.year]


@dataclass(frozen=True)
class Zoning:
    """The zoning of a single-assignment model as :mod:`capsim.planner.single` searches it: each
    ``z`` with its key (area, zoning level, year) and site, the variables that move with a key,
    and which sites are near each other."""

    z: np.ndarray          # variable number of each z
    key: np.ndarray        # its (area, zoning level, year) key
    site: np.ndarray       # its site
    moving: np.ndarray     # variables that move with a key: w, v and u
    moving_key: np.ndarray     # the key each moves with (u: with its year's key and the year before's)
    moving_z: np.ndarray       # the entry of ``z`` each w is zoned by, -1 for v and u
    moving_pupils: np.ndarray  # the pupils of each w's cell, 0 for v and u
    shared: np.ndarray     # variables a key's move may change beyond its own: the regions' shortfall and rent
                           # (and in whole classes the sites' classes)
    links: np.ndarray      # the rezoning u (empty without a rezoning cost)
    near: np.ndarray       # (J, J) sites in order of nearness to each, itself first
    years: int             # years in the keys: a key's year is ``key % years``
    one_cell: bool         # each z zones one w (every zoning level is one cell)


def zoning(m) -> Zoning | None:
    """The :class:`Zoning` of the single-assignment model ``m`` (None under split assignment).
    Two sites are as near as the cheapest area reaching both: ``min_a c[a, j] + c[a, j']``."""
    c, asg = m.inputs.catchment, m.assignment
    if asg is None or asg.z_index is None:
        return None
    A, L, Y = c.pupils.shape
    E = int(c.zone_of.max()) + 1
    a, lv, t = np.indices((A, L, Y)).reshape(3, -1)
    v_key = np.ravel_multi_index((a, c.zone_of[lv], t), (A, E, Y))
    w_key = asg.z_key[asg.z_of_w]
    u, u_key = (asg.u_index, asg.u_key) if asg.u_index is not None else (np.zeros(0, int), np.zeros(0, int))
    others = len(v_key) + 2 * len(u)
    moving = np.concatenate([asg.w_index, asg.v_index.reshape(-1), u, u])
    moving_key = np.concatenate([w_key, v_key, u_key, u_key - 1])
    moving_z = np.concatenate([asg.z_of_w, np.full(others, -1)])
    moving_pupils = np.concatenate([c.pupils[asg.area, asg.cell, asg.year], np.zeros(others)])
    shared = np.concatenate([idx.reshape(-1) for idx in (m.short_index, m.rent_index, asg.k_index) if idx is not None])
    site = zoned_site(asg)
    levels = np.zeros((c.seats.shape[0], E), bool)
    levels[site, np.unravel_index(asg.z_key, (A, E, Y))[1]] = True
    one_cell = bool((np.bincount(asg.z_of_w, minlength=len(asg.z_index)) == 1).all())
    return Zoning(asg.z_index, asg.z_key, site, moving, moving_key, moving_z, moving_pupils, shared, u,
                  _nearness(c.cost, levels), Y, one_cell)


def _nearness(cost: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """(J, J) each site's sites from nearest to farthest by ``min_a cost[a, j] + cost[a, j']``,
    itself first; sites zoning no level in common (``levels``: (J, E) the zoning levels each
    site may take) and pairs no area reaches both of come last."""
    J = cost.shape[1]
    apart = np.stack([np.min(cost[:, j, None] + cost, axis=0) for j in range(J)])
    apart[~(levels.astype(int) @ levels.T.astype(int) > 0)] = np.inf
    apart[np.arange(J), np.arange(J)] = -1.0
    return np.argsort(apart, axis=1, kind="stable")


def rezoning_cost(c: Catchment, asg: Assignment, d: np.ndarray) -> np.ndarray:
    """Objective coefficients of ``u``: ``d(t) k n[a, e, t]``, the area's pupils of the zoning level."""
    A, L, Y = c.pupils.shape
    E = int(c.zone_of.max()) + 1
    by_level = np.zeros((A, E, Y))
    np.add.at(by_level, (slice(None), c.zone_of), c.pupils)
    a, e, t = np.unravel_index(asg.u_key, (A, E, Y))
    return c.rezoning_cost * d[t] * by_level[a, e, t]


def define_assign(m):
    """``sum_j w[a,j,l,t] + v[a,l,t] = 1`` for areas with pupils, as a '>=' and a '<=' family."""
    c, asg = m.inputs.catchment, m.assignment
    rows = np.ravel_multi_index((asg.area, asg.cell, asg.year), c.pupils.shape)
    has = np.flatnonzero(c.pupils.reshape(-1) > 0)
    rows = np.concatenate([rows, has])
    cols = np.concatenate([asg.w_index, asg.v_index.reshape(-1)[has]])
    used, rows = np.unique(rows, return_inverse=True)
    A = _matrix(rows, cols, np.ones(len(cols)), len(used), m.n)
    return [("assign", A, ">=", np.ones(len(used))), ("assign_at_most", A, "<=", np.ones(len(used)))]


def define_zoning(m):
    """Single assignment: ``sum_j z[a,j,e,t] <= 1`` (zone_once) and ``w[a,j,l,t] <= z[a,j,e(l),t]`` (zoned)."""
    asg = m.assignment
    if asg.z_index is None:
        return []
    used, rows = np.unique(asg.z_key, return_inverse=True)
    once = _matrix(rows, asg.z_index, np.ones(len(rows)), len(used), m.n)
    k = np.arange(len(asg.w_index))
    zoned = _matrix(np.r_[k, k], np.r_[asg.w_index, asg.z_index[asg.z_of_w]], np.r_[np.ones(len(k)), -np.ones(len(k))],
                    len(k), m.n)
    return [("zone_once", once, "<=", np.ones(len(used))), ("zoned", zoned, "<=", np.zeros(len(k)))]


def zoned_site(asg: Assignment) -> np.ndarray:
    """The site of each ``z`` (single assignment)."""
    site = np.empty(len(asg.z_index), dtype=int)
    site[asg.z_of_w] = asg.site
    return site


def define_rezoning(m):
    """With a rezoning cost: ``z[a,j,e,t] - z[a,j,e,t-1] - u[a,e,t] <= 0`` for every ``z`` of a
    year with ``u`` (the ``z[.., t-1]`` term only where that variable exists): ``u`` is 1 when
    the area's site changes."""
    asg = m.assignment
    if asg.u_index is None or not len(asg.u_index):
        return None
    site = zoned_site(asg)
    J = int(site.max()) + 1
    key = asg.z_key * J + site                                   # one per z: (area, level, year, site)
    order = np.argsort(key)
    k = np.flatnonzero(np.isin(asg.z_key, asg.u_key))            # the rows: z of a year with u
    u = asg.u_index[np.searchsorted(asg.u_key, asg.z_key[k])]
    before = (asg.z_key[k] - 1) * J + site[k]                    # the same site a year earlier
    at = np.minimum(np.searchsorted(key, before, sorter=order), len(key) - 1)
    has = key[order[at]] == before
    r = np.arange(len(k))
    rows = np.concatenate([r, r, r[has]])
    cols = np.concatenate([asg.z_index[k], u, asg.z_index[order[at[has]]]])
    data = np.concatenate([np.ones(len(k)), -np.ones(len(k)), -np.ones(int(has.sum()))])
    return ("rezoned", _matrix(rows, cols, data, len(k), m.n), "<=", np.zeros(len(k)))


def define_site_capacity(m, standing):
    """``sum_a n[a,l,t] w[a,j,l,t] - sum_{p at j} seats[p,l] open[p,t] <= seats[j,l,t]`` for each
    site, cell and year someone may be assigned to. ``standing`` = (variable, project, year)."""
    c, asg = m.inputs.catchment, m.assignment
    seats = cell_seats(m.inputs)
    J, L, Y = c.seats.shape
    load_rows = np.ravel_multi_index((asg.site, asg.cell, asg.year), (J, L, Y))
    k, p, t = standing
    rows, cols, data = [load_rows], [asg.w_index], [c.pupils[asg.area, asg.cell, asg.year]]
    for lv in range(L):
        adds = seats[p, lv] > 0
        rows.append(np.ravel_multi_index((c.project_site[p[adds]], np.full(adds.sum(), lv), t[adds]), (J, L, Y)))
        cols.append(k[adds]); data.append(-seats[p[adds], lv])
    return _used_rows("site_capacity", rows, cols, data, load_rows, m.n, "<=", c.seats.reshape(-1))


def define_site_classes(m):
    """In whole classes: ``sum_a n[a,k,t] w[a,j,k,t] - size[k,t] K[j,k,t] <= 0`` for each site, cell
    and year someone may be assigned to: the pupils a site takes of a cohort sit in its classes."""
    c, asg = m.inputs.catchment, m.assignment
    J, K, Y = c.seats.shape
    rows = np.ravel_multi_index((asg.site, asg.cell, asg.year), (J, K, Y))
    used, inverse = np.unique(rows, return_inverse=True)
    j, k, t = np.unravel_index(used, (J, K, Y))
    r = np.arange(len(used))
    data = np.r_[c.pupils[asg.area, asg.cell, asg.year], -c.classes.size[k, t]]
    A = _matrix(np.r_[inverse, r], np.r_[asg.w_index, asg.k_index[j, k, t]], data, len(used), m.n)
    return "site_classes", A, "<=", np.zeros(len(used))


def define_site_keep(m):
    """In whole classes, a cohort keeps its classes at a site as it moves up a grade:
    ``K[j,(l,g),t] - K[j,(l,g+1),t+1] - U[j,(l,g),t] (shut[j,t+1] - shut[j,t]) <= 0`` (it may gain
    a class, never lose one, unless the school closes in ``t + 1``: then its pupils go where the
    zoning sends them; closed before, it has no class). ``U`` is ``K``'s upper bound; the ``shut``
    terms only for the schools the plan may close. A school converted whole from level ``l``
    (``conv[v, t]``, :class:`capsim.planner.classes.Conversions`) lets its level-``l`` cohorts go
    the same way: ``- U (conv[v,t+1] - conv[v,t])`` in their rows."""
    c, k_index = m.inputs.catchment, m.assignment.k_index
    J, K, Y = k_index.shape
    up = c.classes.next_cell
    j, k, t = (x.reshape(-1) for x in np.meshgrid(np.arange(J), np.flatnonzero(up >= 0), np.arange(Y - 1),
                                                  indexing="ij"))
    r = np.arange(j.size)
    rows, cols, data = [r, r], [k_index[j, k, t], k_index[j, up[k], t + 1]], [np.ones(r.size), -np.ones(r.size)]
    if m.shut_index is not None:
        closing = c.closable_at_sites()
        on = closing[j] >= 0
        u = m.ub[k_index[j[on], k[on], t[on]]]
        rows += [r[on], r[on]]
        cols += [m.shut_index[closing[j[on]], t[on] + 1], m.shut_index[closing[j[on]], t[on]]]
        data += [-u, u]
    if m.convert_index is not None and c.conversions.whole.any():    # its old level's cohorts leave it
        v, kept = c.conversions, np.flatnonzero(up >= 0)
        i, kk, tt = (x.reshape(-1) for x in np.meshgrid(np.flatnonzero(v.whole), kept, np.arange(Y - 1),
                                                        indexing="ij"))
        on = c.zone_of[kk] == v.level_from[i]
        i, kk, tt = i[on], kk[on], tt[on]
        at = (v.pool[i] * len(kept) + np.searchsorted(kept, kk)) * (Y - 1) + tt     # its row, as above
        u = m.ub[k_index[v.pool[i], kk, tt]]
        rows += [at, at]
        cols += [m.convert_index[i, tt + 1], m.convert_index[i, tt]]
        data += [-u, u]
    A = _matrix(np.concatenate(rows), np.concatenate(cols), np.concatenate(data), r.size, m.n)
    return "site_keep", A, "<=", np.zeros(r.size)


def define_site_classrooms(m, standing):
    """In whole classes, the classes of a level at a site share its classrooms:
    ``sum_g K[j,(l,g),t] - sum_{p at j} rooms[p,l] open[p,t] + rooms0[j,l,t] shut[j,t]
    + sum_{v at j from l} rooms[v,t] conv[v,t] - sum_{v at j to l} gain[v,t] conv[v,t] <= rooms0[j,l,t]``
    (the ``shut`` term for the schools the plan may close: a closed school has no classroom; the
    ``conv`` terms for the conversions it may make: the classrooms converted leave the old level
    and give the new one their gain, :meth:`capsim.planner.classes.Conversions.room_terms`).
    ``standing`` = (variable, project, year)."""
    c, k_index = m.inputs.catchment, m.assignment.k_index
    J, K, Y = k_index.shape
    E = c.classes.rooms.shape[1]
    j, k, t = (x.reshape(-1) for x in np.indices((J, K, Y)))
    rows, cols, data = [np.ravel_multi_index((j, c.zone_of[k], t), (J, E, Y))], [k_index[j, k, t]], [np.ones(j.size)]
    v, p, yt = standing
    for lv in range(E):
        adds = c.classes.project_rooms[p, lv] > 0
        rows.append(np.ravel_multi_index((c.project_site[p[adds]], np.full(adds.sum(), lv), yt[adds]), (J, E, Y)))
        cols.append(v[adds]); data.append(-c.classes.project_rooms[p[adds], lv])
    if m.shut_index is not None:
        s, lv, t = np.nonzero(c.closable_rooms)
        rows.append(np.ravel_multi_index((c.closable_pool[s], lv, t), (J, E, Y)))
        cols.append(m.shut_index[s, t]); data.append(c.closable_rooms[s, lv, t])
    if m.convert_index is not None:
        site, lv, t, var, coef = c.conversions.room_terms(m.convert_index)
        rows.append(np.ravel_multi_index((site, lv, t), (J, E, Y))); cols.append(var); data.append(coef)
    return "site_classrooms", _matrix(np.concatenate(rows), np.concatenate(cols), np.concatenate(data), J * E * Y,
                                      m.n), "<=", c.classes.rooms.reshape(-1)


def define_min_school_pupils(m):
    """With ``plan.min_school_pupils`` (``M``): a school the plan may close holds at least ``M``
    pupils of all its levels in each year it stays open, from the first year it may close
    (小规模学校撤并): ``sum_{a,k} n[a,k,t] w[a,j,k,t] + M shut[j,t] >= M``, a row for each
    closable school ``j`` and year ``t`` its closure is allowed (its bounds, so not the first
    plan year) and it has classrooms (not before the school list opens it, nor after it closes
    it: there the row could only hold closed, and a school closed stays closed)."""
    c, asg = m.inputs.catchment, m.assignment
    if m.shut_index is None or c.min_pupils is None:
        return None
    s, t = np.nonzero((m.ub[m.shut_index] > 0) & (c.closable_rooms.sum(axis=1) > 0))
    row = np.full(m.shut_index.shape, -1)
    row[s, t] = np.arange(len(s))
    school = c.closable_at_sites()[asg.site]
    takes = school >= 0
    takes[takes] = row[school[takes], asg.year[takes]] >= 0
    r = row[school[takes], asg.year[takes]]
    A = _matrix(np.r_[r, np.arange(len(s))], np.r_[asg.w_index[takes], m.shut_index[s, t]],
                np.r_[c.pupils[asg.area[takes], asg.cell[takes], asg.year[takes]], np.full(len(s), c.min_pupils)],
                len(s), m.n)
    return "min_school_pupils", A, ">=", np.full(len(s), float(c.min_pupils))


def site_class_bounds(c: Catchment) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds of ``K`` (J, K, Y): an enrolled cohort has at least its listed classes
    in the first plan year (so in every later one); no more classes of a cohort in a year than
    the pupils within reach of the site could fill up to then (``max ceil(pupils / size)`` over
    its years so far), nor than the site's classrooms with every project's that year (a bound the
    classrooms row keeps anyway); both caps taken as the most along the cohort so far, so that a
    cohort keeping its classes stays within them."""
    s = c.classes
    J, K, Y = c.seats.shape
    lower = np.zeros((J, K, Y))
    lower[:, :, 0] = s.base
    reach = np.isfinite(c.cost).T.astype(float) @ c.pupils.reshape(c.pupils.shape[0], -1)    # (J, K*Y)
    upper = np.ceil(reach.reshape(J, K, Y) / s.size[None] - 1e-9)
    most = s.rooms.copy()
    np.add.at(most, c.project_site, np.repeat(s.project_rooms[:, :, None], Y, axis=2))
    v = c.conversions
    if v is not None:                     # with every conversion into the level made
        np.add.at(most, (v.pool, v.level_to), v.gain * v.units[:, None])
    upper = np.minimum(upper, most[:, c.zone_of, :])
    lower, upper = along_cohorts(lower, upper, s.next_cell)
    if c.closable_pool is not None:       # a school that may close holds its cohorts by site_keep, while open
        lower[c.closable_pool, :, 1:] = 0.0
    if v is not None:                     # so does one that may convert whole, those of the level it leaves
        i, k = np.nonzero(v.whole[:, None] & (c.zone_of[None, :] == v.level_from[:, None]))     # (V, K) pairs
        lower[v.pool[i], k, 1:] = 0.0
    return lower, upper


def define_open_to_serve(m, standing):
    """``w[a,j,l,t] - sum_{p at j} open[p,t] - sum_{v at j into l} conv[v,t] <= 0`` where site j
    has no seats of cell l in year t without the plan (in whole classes: no classroom of its
    level): nobody is sent to a school before it is built, or converted to teach the level (the
    strong form; the ``conv`` terms in whole classes with ``plan.conversions``)."""
    c, asg = m.inputs.catchment, m.assignment
    new = ~_has_places(c)[asg.site, asg.cell, asg.year]
    cells = np.flatnonzero(new)
    if not len(cells):
        return None
    k, p, t = standing
    J, L, Y = c.seats.shape
    pk, lv = np.nonzero(_project_places(c, cell_seats(m.inputs))[p] > 0)    # standing entry, cell it adds to
    open_key = np.ravel_multi_index((c.project_site[p[pk]], lv, t[pk]), (J, L, Y))
    opener = k[pk]
    if m.convert_index is not None:                 # a conversion gives its site the new level's classrooms
        v = c.conversions
        i, lv, t = (x.reshape(-1) for x in np.indices((len(v.school), L, Y)))
        on = c.zone_of[lv] == v.level_to[i]
        open_key = np.r_[open_key, np.ravel_multi_index((v.pool[i[on]], lv[on], t[on]), (J, L, Y))]
        opener = np.r_[opener, m.convert_index[i[on], t[on]]]
    cell_key = np.ravel_multi_index((asg.site[cells], asg.cell[cells], asg.year[cells]), (J, L, Y))
    order = np.argsort(cell_key, kind="stable")
    lo = np.searchsorted(cell_key[order], open_key, "left")
    count = np.searchsorted(cell_key[order], open_key, "right") - lo
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    rows = np.concatenate([np.arange(len(cells)), order[np.repeat(lo, count) + within]])
    cols = np.concatenate([asg.w_index[cells], np.repeat(opener, count)])
    data = np.concatenate([np.ones(len(cells)), -np.ones(count.sum())])
    return ("open_to_serve", _matrix(rows, cols, data, len(cells), m.n), "<=", np.zeros(len(cells)))


def define_region_short(m):
    """``short[r,l,t] (+ rent[r,l,t]) - sum_{a in r} n[a,l,t] v[a,l,t] >= 0``: pupils no site takes
    are the region's shortfall, or sit in seats it rents."""
    c, asg = m.inputs.catchment, m.assignment
    A, L, Y = c.pupils.shape
    R = m.short_index.shape[0]
    a, lv, t = np.indices((A, L, Y)).reshape(3, -1)
    cells = np.arange(R * L * Y)
    covers = [m.short_index] + ([m.rent_index] if m.rent_index is not None else [])
    rows = np.concatenate([cells] * len(covers) + [np.ravel_multi_index((c.area_region[a], lv, t), (R, L, Y))])
    cols = np.concatenate([idx.reshape(-1) for idx in covers] + [asg.v_index.reshape(-1)])
    data = np.concatenate([np.ones(R * L * Y)] * len(covers) + [-c.pupils.reshape(-1)])
    return ("region_short", _matrix(rows, cols, data, R * L * Y, m.n), ">=", np.zeros(R * L * Y))


def _used_rows(name, rows, cols, data, used_by, n, sense, rhs):
    """A family over the rows ``used_by`` names (others dropped), rhs taken at those rows."""
    used, inverse = np.unique(np.concatenate(rows), return_inverse=True)
    keep = np.isin(used, used_by)
    renumber = np.cumsum(keep) - 1
    cols, data = np.concatenate(cols), np.concatenate(data)
    on = keep[inverse]
    return name, _matrix(renumber[inverse[on]], cols[on], data[on], int(keep.sum()), n), sense, rhs[used[keep]]


def _matrix(rows, cols, data, n_rows, n):
    import scipy.sparse as sp

    return sp.csr_matrix((np.asarray(data, dtype=float), (np.asarray(rows), np.asarray(cols))), shape=(n_rows, n))


def pupils_where_seated(m, values, R: int) -> np.ndarray:
    """(R, K, Y) a region's pupils counted where they sit: those its schools and new sites seat in
    the solution ``values`` (from whichever region they come) and its residents none seats. So a
    region's pupils, classes and seats in the plan's tables all count its own schools, also where
    the zoning crosses a district line."""
    c, got = m.inputs.catchment, assignments(m, values)
    out = sum_into(got["unserved"], np.asarray(c.area_region), R)
    np.add.at(out, (c.regions_of_sites()[got["site"]], got["cell"], got["year"]), got["pupils"])
    return out


def assignments(m, values) -> dict:
    """Pupils sent from each area to each site, and left unserved, in a solution (pulse values)."""
    c, asg = m.inputs.catchment, m.assignment
    share = values[asg.w_index]
    on = share > 1e-9
    pupils = c.pupils[asg.area, asg.cell, asg.year] * share
    return {"area": asg.area[on], "site": asg.site[on], "cell": asg.cell[on], "year": asg.year[on],
            "pupils": pupils[on], "unserved": c.pupils * np.maximum(values[asg.v_index], 0.0)}
