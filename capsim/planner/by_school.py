"""School granularity solved from a start: the region plan's openings and bound, then each
region and level on its own.

Given whole to HiGHS, a city's school model is slow: Xining's (763 pools, 4 levels, 10 years:
455,000 variables, 197,000 of them integer) had not finished its root LP after two minutes, and
on the tiny example the whole model stops at a 0.18 % gap after 60 s where the region model
proves 0.1 % in half a second. Three steps instead, sharing the time limit ``T``:

1. **Bound.** The region model of the same plan (:func:`region_relaxation`): each region's
   pools summed into one, with the sums of the schools' class bounds. Any school plan summed
   over a region's schools is a region plan of the same cost (classes, shortfalls, rooms,
   rented and empty rooms add up; an unseated share is short in the region), so its optimum
   ``L`` bounds the school model's. Solved (at most ``T/4``, to a tenth of the gap) it gives
   the openings ``x*`` too.
2. **Seat.** Fix the openings at ``x*``. First the shares are fixed (:func:`start_shares`:
   enrolled cohorts as listed, entering ones in proportion to the schools' classrooms then, a
   new school's once open) and the classes chosen school by school (:func:`listed_shares`): a
   plan of the school model, the start. Then the
   school model falls apart into one block per region and level (the share rows tie a region's
   schools of a level; nothing ties levels or regions but the openings, or rented rooms under a
   budget), each a MILP solved on its own (:func:`capsim.planner.single.blocks_of`), until
   ``T`` (a block's unused time goes to those after it); a block keeps the start where its
   solve finds nothing cheaper.
3. **Improve.** If that plan is not within the gap of ``L`` and every block proved its optimum
   (a small network: the time is not all spent), solve the whole model from it with the time
   left (at least a second). Where the blocks used the time, a whole solve would not improve
   the plan: on a Xining-sized network it spent 28 s without a better plan or bound.

The answer is the cheaper of the start and step 3's plan, with bound ``max(L, step 3's)``; it
is ``optimal`` only if that bound proves it within the gap.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from capsim.planner.common import standing
from capsim.planner.solve import Solution, solve_with
from capsim.planner.variables import arrays


def region_relaxation(m):
    """The region model whose optimum bounds the school model ``m``'s (step 1 of the module
    docstring): pupils, rooms and listed classes of each region's pools summed, the classes'
    bounds the sums of the pools' (so that every school plan, summed, is one of its plans)."""
    from capsim.planner import model

    c = m.inputs.cohorts
    R = c.entrants.region_pupils.shape[0]
    region = replace(c, pupils=c.entrants.region_pupils, rooms=c.to_regions(c.rooms, R),
                     base=c.to_regions(c.base, R), project_pool=None, pool_region=None, pools=(), entrants=None)
    r = model.build(replace(m.inputs, need=region.pupils, cohorts=region))
    r.lb[r.k_index] = c.to_regions(m.lb[m.k_index], R)
    r.ub[r.k_index] = c.to_regions(m.ub[m.k_index], R)
    return r


def solve_schools(a, m, formulation: str, solver: str = "highs", time_limit: float = 60.0,
                  gap: float = 1e-3) -> Solution:
    """Solve the arrays ``a`` (:class:`capsim.planner.variables.Arrays`) of the school model
    ``m`` by the three steps of the module docstring; values in ``a``'s variables."""
    from capsim.planner.single import _best, _proven_bound

    t0 = time.perf_counter()
    r = arrays(region_relaxation(m), formulation)
    bound = solve_with((r.c, r.families, r.lb, r.ub, r.integer), solver, time_limit=time_limit / 4, gap=gap / 10)
    n_x = int((m.x_index >= 0).sum())                       # the openings come first in both models
    fixed = np.arange(len(a.c)) < n_x
    start, solved = None, False
    if bound.status in ("optimal", "feasible"):
        openings = np.round(bound.values[:n_x])
        start = listed_shares(m, formulation, openings, solver, gap, time_limit - (time.perf_counter() - t0))
        if start is not None:
            start, solved = _seat(a, fixed, start, solver, time_limit - (time.perf_counter() - t0), gap)
    lower = _proven_bound(bound, gap / 10)
    within = start is not None and np.isfinite(lower) and a.c @ start - lower <= gap * max(abs(a.c @ start), 1e-9)
    left = time_limit - (time.perf_counter() - t0)
    if within or (start is not None and not solved and left < 1.0):
        return _best(Solution(start, "feasible", float(a.c @ start), np.nan, np.nan, solver, 0.0, 0.0), start, a.c,
                     lower, gap, time.perf_counter() - t0)
    left = max(left, min(1.0, time_limit))
    full = solve_with((a.c, a.families, a.lb, a.ub, a.integer), solver, time_limit=left, gap=gap, start=start)
    return _best(full, start, a.c, lower, gap, time.perf_counter() - t0)


def listed_shares(m, formulation: str, openings, solver: str, gap: float, seconds: float) -> np.ndarray | None:
    """A plan of the school model ``m`` (in ``formulation``'s variables) with the ``openings``
    fixed and every cohort's shares fixed (:func:`start_shares`): the zone model with each
    school a zone, which falls apart school by school, solved within ``seconds`` (at least one);
    None if that model has no plan then."""
    from capsim.planner import model
    c = m.inputs.cohorts
    e = c.entrants
    n_x = len(openings)
    x = np.zeros(m.x_index.shape)
    full = np.zeros(m.n)
    full[:n_x] = openings
    pulse = arrays(m, formulation).D @ full if formulation == "step" else full
    x[m.x_index >= 0] = pulse[m.x_index[m.x_index >= 0]]
    share = start_shares(m, x)
    pupils = e.region_pupils[c.pool_region] * share[:, c.cell_level[:, None], e.cohort]
    listed = model.build(replace(m.inputs, need=pupils, cohorts=replace(c, entrants=None, pupils=pupils)))
    f = arrays(listed, formulation)
    lb, ub = f.lb.copy(), f.ub.copy()
    lb[:n_x] = ub[:n_x] = openings
    sol = solve_with((f.c, f.families, lb, ub, f.integer), solver, time_limit=max(seconds, 1.0), gap=gap)
    if sol.status not in ("optimal", "feasible"):
        return None
    out = np.zeros(m.n)
    out[:n_x] = openings
    for name in ("k_index", "short_index", "rent_index", "empty_index"):
        if getattr(m, name) is not None:
            out[getattr(m, name)] = sol.values[getattr(listed, name)]
    ok = m.share_index >= 0
    out[m.share_index[ok]] = share[ok]
    _settle_shares(m, out)
    return out


def start_shares(m, x) -> np.ndarray:
    """(Z, L, J) shares of a start: an enrolled cohort where the base year's list puts it; a
    cohort entering in plan year ``o`` shared among its region's schools in proportion to their
    classrooms of the level then (those that exist and those the openings ``x`` (P, Y) add; a
    new school's only once open), or as listed where the region has none."""
    c = m.inputs.cohorts
    e = c.entrants
    rooms = c.rooms.copy()                                              # (Z, L, Y)
    var, proj, t = standing(m)
    value = np.zeros(m.n)
    value[m.x_index[m.x_index >= 0]] = x[m.x_index >= 0]
    on = value[var] > 0.5
    pool = c.pool_of(m.inputs.projects)[proj[on]]
    np.add.at(rooms, (pool, slice(None), t[on]), c.project_rooms[proj[on]])
    R = m.unseated_index.shape[0]
    total = np.zeros((R,) + rooms.shape[1:])
    np.add.at(total, c.pool_region, rooms)
    year = np.clip(e.intake, 0, rooms.shape[2] - 1)
    by_rooms = np.divide(rooms, total[c.pool_region], out=np.zeros_like(rooms),
                         where=total[c.pool_region] > 0)[:, :, year]       # (Z, L, J)
    known = (total[c.pool_region] > 0)[:, :, year]
    entering = (e.intake >= 0)[None, None, :] & known
    return np.clip(np.where(entering, by_rooms, e.base_share), e.lower, e.upper)


def _settle_shares(m, values) -> None:
    """Make every cohort's shares (and unseated share) of ``values`` sum to 1: the part the
    listed shares leave (a pool that may not take the level, a region without pupils of a
    grade) to the unseated share where no school teaches the level, else to the region's
    school that may take most."""
    e, c = m.inputs.cohorts.entrants, m.inputs.cohorts
    share = np.where(m.share_index >= 0, values[np.maximum(m.share_index, 0)], 0.0)
    R = m.unseated_index.shape[0]
    total = np.zeros(m.unseated_index.shape)
    np.add.at(total, c.pool_region, share)
    left = np.where(e.valid[None], 1.0 - total, 0.0)
    unseated = np.minimum(left, e.unseated_upper)
    left = left - unseated
    room = e.upper - share
    best = np.full(total.shape, -1)
    for r in range(R):                        # the pool of each region with most room for the rest
        pools = np.flatnonzero(c.pool_region == r)
        if len(pools):
            best[r] = pools[np.argmax(room[pools], axis=0)]
    rr, ll, jj = np.nonzero((np.abs(left) > 1e-12) & (best >= 0))
    share[best[rr, ll, jj], ll, jj] += left[rr, ll, jj]
    ok, uk = m.share_index >= 0, m.unseated_index >= 0
    values[m.share_index[ok]] = share[ok]
    values[m.unseated_index[uk]] = unseated[uk]


def _seat(a, fixed, start, solver, seconds, gap) -> tuple[np.ndarray, bool]:
    """Step 2: each block of the school arrays ``a`` with the ``fixed`` variables at ``start``,
    solved on its own within an equal share of the ``seconds`` left; a block keeps the start
    where its solve finds nothing cheaper. Returns the plan and whether every block proved its
    optimum. (Handed the start, HiGHS did worse on the tiny example's
    blocks: 0.12 % above the bound after 60 s, against 0.04 % in 15 s without it.)"""
    from capsim.planner.single import BLOCK_HEURISTICS, blocks_of

    values = start.copy()
    t0 = time.perf_counter()
    blocks = list(blocks_of(a, fixed, values))
    proved = True
    for k, (cols, families) in enumerate(blocks):
        share = max(seconds - (time.perf_counter() - t0), 0.0) / (len(blocks) - k)
        if not families:
            continue
        sub = (a.c[cols], families, a.lb[cols], a.ub[cols], a.integer[cols])
        sol = solve_with(sub, solver, time_limit=max(share, 0.5), gap=gap, highs_options=BLOCK_HEURISTICS)
        proved &= sol.status == "optimal"
        if sol.status in ("optimal", "feasible") and a.c[cols] @ sol.values < a.c[cols] @ values[cols]:
            values[cols] = sol.values
    return np.clip(np.where(a.integer, np.round(values), values), a.lb, a.ub), proved
