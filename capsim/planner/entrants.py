"""School granularity of the class model: each school is its own pool of classrooms, and the
plan chooses where each cohort's pupils go (``plan.granularity = "school"``).

Every school of the list is a pool (:func:`school_pools`); an expansion or temporary block at a
school adds to that school's pool, and every other project (a new school, temporary classrooms
on their own) is a new pool. A cohort is a level's pupils entering grade 1 in one year; ``j``
numbers the cohorts (``j = t - (g - 1) + G_max - 1`` for grade ``g`` in plan year ``t``). The
share of region ``r``'s cohort ``j`` of level ``l`` seated at pool ``z`` is a variable, kept for
the cohort's school years (pupils stay in their school as they move up), and the pupils of the
cohort at ``z`` in cell ``k = (l, g)`` and year ``t`` are its share of the region's pupils then
(the forecast's progression)::

    share[z, l, j] in [0, 1]    the cohort's share seated at pool z
    unseated[r, l, j] in [0, 1] its share no school of the region can teach (only where none
                                teaches the level and no project adds it)

Families (:func:`define_shares`, :func:`define_open_intake`, :func:`define_school_pupils`; the class seats of
:func:`capsim.planner.classes.define_class_seats` take ``P[r(z), k, t] share[z, l, j(k, t)]`` as
the pool's pupils)::

    sum_{z in r} share[z, l, j] + unseated[r, l, j]           = 1
    share[z, l, j] - sum_p open[p, c_j]                       <= 0    (z a new pool of project p,
                                                                       c_j the cohort's intake year)
    sum_k (P[r(z), k, t] share[z, l(k), j(k, t)] - short[z, k, t]) <= M_z  (the school's maximum size)

A new school admits only cohorts entering once it is open, so it fills from its entry grade
upward. Cohorts already enrolled in the first plan year (``c_j`` before it) stay where the
base year's list puts them (each school's share of its region's pupils of their grade then);
with ``standards.disperse`` (分流) they may instead be re-seated once, in the first plan year,
among the region's existing schools of the level. An unseated share costs the shortfall
penalty for every pupil-year of the cohort left; a pupil a school takes but no class holds is
short at that school (:mod:`capsim.planner.classes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.planner.common import Pools, family, standing


@dataclass(frozen=True)
class Entrants:
    """Where each cohort goes, at school granularity (``J`` cohorts, ``Z`` pools)."""

    region_pupils: np.ndarray   # (R, K, Y) each region's pupils of a cell and year
    cohort: np.ndarray          # (K, Y) cohort j of each cell and year
    base_share: np.ndarray      # (Z, L, J) each pool's share in the base year's list (new pools 0)
    upper: np.ndarray           # (Z, L, J) most share a pool may take (0, the base share when fixed, or 1)
    lower: np.ndarray           # (Z, L, J) least share (the base share when fixed, else 0)
    unseated_upper: np.ndarray  # (R, L, J) 1 where no pool of the region may take the level, else 0
    valid: np.ndarray           # (L, J) the cohort of the level has a cell in the plan's years
    new_project: np.ndarray     # (Z,) project whose opening a new pool waits for (-1: a school of the list)
    intake: np.ndarray          # (J,) year index of each cohort's intake (negative: before the plan)
    max_pupils: np.ndarray | None = None   # (Z,) most pupils each pool's school may hold (inf: no limit)


def school_pools(schools, projects) -> Pools:
    """Each school of the list its own pool; an expansion (or temporary block at a school) in its
    school's pool; every other project a new pool, named by its id, in its region."""
    S = len(schools.ids)
    own = np.flatnonzero((projects.school < 0) & (projects.region >= 0))
    project = np.where(projects.school >= 0, projects.school, -1)
    project[own] = S + np.arange(len(own))
    return Pools(np.concatenate([schools.region, projects.region[own]]).astype(int),
                 tuple(schools.ids) + tuple(projects.ids[i] for i in own), tuple(schools.ids),
                 np.arange(S), project)


def cohort_of(cells, years) -> np.ndarray:
    """(K, Y) cohort number of each cell and year: ``t - (g - 1) + G_max - 1``."""
    G = int(cells.grade.max())
    return np.arange(len(years))[None, :] - (cells.grade[:, None] - 1) + G - 1


def entrants(disperse: bool, cells, pools: Pools, share, rooms, project_rooms, years, max_pupils=None) -> Entrants:
    """The shares' bounds from the base year's ``share`` ((Z, K, Y), :func:`capsim.planner.classes.
    zone_shares` over the school pools), the pools' ``rooms`` (Z, L, Y) and the ``project_rooms``
    (P, L) each project adds; ``disperse`` (``standards.disperse``) lets enrolled cohorts be
    re-seated in the first plan year; ``cells`` gives each cell's level and grade and each
    region's pupils (``demand``, (R, K, Y))."""
    Z, K, Y = share.shape
    L = rooms.shape[1]
    G = int(cells.grade.max())
    J = Y + G - 1
    cohort = cohort_of(cells, years)
    valid = np.zeros((L, J), dtype=bool)
    valid[cells.level[:, None], cohort] = True
    base = np.zeros((Z, L, J))
    base[:, cells.level[:, None], cohort] = share                     # constant along a cohort
    existing = np.zeros(Z, dtype=bool)
    existing[pools.school] = True
    added = np.zeros((Z, L))
    keep = pools.project >= 0
    np.add.at(added, pools.project[keep], project_rooms[keep])
    teaches = (rooms.sum(axis=2) > 0) | (base.sum(axis=2) > 0) | (added > 0)      # (Z, L)
    intake = np.arange(J) - (G - 1)
    enrolled = intake < 0
    free = teaches[:, :, None] & (~enrolled[None, None, :] | (disperse & existing[:, None, None]))
    fixed = enrolled[None, None, :] & ~free
    upper = np.where(free, 1.0, np.where(fixed, base, 0.0)) * valid[None]
    lower = np.where(fixed, base, 0.0) * valid[None]
    region_teaches = np.zeros((cells.demand.shape[0], L), dtype=bool)
    np.logical_or.at(region_teaches, pools.region, teaches)
    new_project = np.full(Z, -1)
    new_project[pools.project[keep & (pools.project >= len(pools.school_ids))]] = \
        np.flatnonzero(keep & (pools.project >= len(pools.school_ids)))
    return Entrants(cells.demand, cohort, base, upper, lower,
                    np.where(region_teaches, 0.0, 1.0)[:, :, None] * valid[None], valid, new_project, intake,
                    max_pupils)


def number(e: Entrants, start: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(share_index (Z, L, J), unseated_index (R, L, J), next free number); -1 where a cohort has
    no cell in the plan's years."""
    share = np.full(e.upper.shape, -1)
    ok = np.broadcast_to(e.valid[None], e.upper.shape)
    share[ok] = start + np.arange(int(ok.sum()))
    start += int(ok.sum())
    unseated = np.full(e.unseated_upper.shape, -1)
    ok = np.broadcast_to(e.valid[None], e.unseated_upper.shape)
    unseated[ok] = start + np.arange(int(ok.sum()))
    return share, unseated, start + int(ok.sum())


def unseated_weight(e: Entrants, cells_level, d) -> np.ndarray:
    """(R, L, J) discounted pupil-years of each region's cohort over the plan's years:
    ``sum_{(k, t) in j} d(t) P[r, k, t]`` (what an unseated share of 1 costs, times the penalty)."""
    R, K, Y = e.region_pupils.shape
    out = np.zeros((R,) + e.valid.shape)
    np.add.at(out, (slice(None), np.broadcast_to(cells_level[:, None], (K, Y)), e.cohort),
              e.region_pupils * d[None, None, :])
    return out


def pool_pupils(e: Entrants, pool_region, cells_level, share_values) -> np.ndarray:
    """(Z, K, Y) pupils at each pool: its share of the region's pupils, ``P[r(z), k, t] share[z, l(k), j(k, t)]``."""
    return e.region_pupils[pool_region] * share_values[:, cells_level[:, None], e.cohort]


def define_shares(m):
    """Every cohort of a region is seated somewhere, or unseated, and no pupil twice:
    ``sum_{z in r} share[z, l, j] + unseated[r, l, j] = 1`` (returned as its ``>=`` and ``<=`` halves)."""

    c = m.inputs.cohorts
    R, L, J = m.unseated_index.shape
    ok = m.share_index >= 0
    z, lv, j = np.nonzero(ok)
    rows = (c.pool_region[z] * L + lv) * J + j
    ur, ul, uj = np.nonzero(m.unseated_index >= 0)
    used, inverse = np.unique(np.r_[rows, (ur * L + ul) * J + uj], return_inverse=True)
    cols = np.r_[m.share_index[ok], m.unseated_index[m.unseated_index >= 0]]
    name, A, _, rhs = family("shares", inverse, cols, np.ones(cols.size), used.size, m.n, ">=", np.ones(used.size))
    return [(name, A, ">=", rhs), ("shares_at_most", A, "<=", rhs)]     # the equality, as the back ends take it


def define_open_intake(m):
    """A new pool takes a cohort only if its project stands in the cohort's intake year:
    ``share[z, l, j] - sum_{y: p(z) stands in c_j} x[p(z), y] <= 0`` (``x`` as in
    :func:`capsim.planner.model.define_capacity`); never a cohort enrolled before the plan."""

    e = m.inputs.cohorts.entrants
    pools = np.flatnonzero(e.new_project >= 0)
    if not len(pools):
        return None
    z, lv, j = np.nonzero((m.share_index[pools] >= 0) & (e.intake >= 0)[None, None, :])
    z = pools[z]
    row_of = np.full(m.share_index.shape, -1)
    row_of[z, lv, j] = np.arange(z.size)
    var, proj, ty = standing(m)
    pool_of_project = np.full(len(m.inputs.projects.ids), -1)
    pool_of_project[e.new_project[pools]] = pools
    stands = pool_of_project[proj] >= 0
    var, pool, j_open = var[stands], pool_of_project[proj[stands]], ty[stands] - e.intake[0]
    L = m.share_index.shape[1]
    r = row_of[pool[:, None], np.arange(L)[None, :], j_open[:, None]]          # (n, L)
    hit = r >= 0
    rows = np.r_[np.arange(z.size), r[hit]]
    cols = np.r_[m.share_index[z, lv, j], np.broadcast_to(var[:, None], r.shape)[hit]]
    data = np.r_[np.ones(z.size), -np.ones(int(hit.sum()))]
    return family("open_intake", rows, cols, data, z.size, m.n, "<=", np.zeros(z.size))


def define_school_pupils(m):
    """A school holds at most its maximum size (``M_z``: its own, or a new school's type's), the
    pupils beyond it short there: ``sum_k (P[r(z), k, t] share[z, l(k), j(k, t)] - short[z, k, t])
    <= M_z`` for every pool with a maximum and every year (all its levels together)."""

    c = m.inputs.cohorts
    e = c.entrants
    if e.max_pupils is None or not np.isfinite(e.max_pupils).any():
        return None
    Z, K, Y = c.pupils.shape
    limited = np.flatnonzero(np.isfinite(e.max_pupils))
    row_of = np.full(Z, -1)
    row_of[limited] = np.arange(len(limited))
    z, k, t = (a.reshape(-1) for a in np.indices((Z, K, Y)))
    share = m.share_index[z, c.cell_level[k], e.cohort[k, t]]
    keep = (row_of[z] >= 0) & (share >= 0)
    rows = row_of[z] * Y + t
    data = e.region_pupils[c.pool_region[z], k, t]
    cols = np.r_[share[keep], m.short_index[z[keep], k[keep], t[keep]]]
    rows = np.r_[rows[keep], rows[keep]]
    data = np.r_[data[keep], -np.ones(int(keep.sum()))]
    return family("school_pupils", rows, cols, data, len(limited) * Y, m.n, "<=", np.repeat(e.max_pupils[limited], Y))


def solved(m, values) -> tuple[np.ndarray, np.ndarray]:
    """(pupils (Z, K, Y) the plan seats at each pool, unseated (R, K, Y) pupils no school takes),
    read from a solution ``values``."""
    c = m.inputs.cohorts
    e = c.entrants
    share = np.where(m.share_index >= 0, values[np.maximum(m.share_index, 0)], 0.0)
    unseated = np.where(m.unseated_index >= 0, values[np.maximum(m.unseated_index, 0)], 0.0)
    return (pool_pupils(e, c.pool_region, c.cell_level, share),
            e.region_pupils * unseated[:, c.cell_level[:, None], e.cohort])
