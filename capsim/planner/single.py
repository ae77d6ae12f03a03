"""Single assignment solved from a start: a split plan, its zoning rounded, then improved
neighbourhood by neighbourhood.

Zoning each area to one school (binary ``z``, :mod:`capsim.planner.catchment`) makes the
catchment MILP hard at city scale: its LP bound is the split plan's, and given the whole model
HiGHS finds no good plan in time. On a one-year city of 1,000 areas and 100 sites, zoning each
level whole with the openings fixed stopped 8-11 % above the bound after 120 s; handed a plan
1.2 % above the bound, HiGHS ended a minute without a better one, and so it did with each
area's candidates cut to its five nearest sites (one-off runs). Small neighbourhoods it solves
well. Four steps instead, sharing the time limit ``T``:

1. **Split.** Relax ``z`` to ``[0, 1]`` (its rows then repeat the assign rows, so ``z`` is
   dropped with them), drop the rezoning variables ``u`` with their rows and cost, and solve
   (at most ``T/4``, to a tenth of the gap, for a tight bound): openings ``x*`` and a bound
   ``L``. Both only widen the choice or lower the cost, so ``L`` bounds the
   single-assignment cost too. (With ``u`` kept, this relaxation took the whole ``T/4`` on the
   city benchmark and ended 3 % from its optimum, its openings spoiling what followed.)
2. **Round.** Zone each area's level in each year to the site that seats most of its pupils in
   the split plan (none if it seats none), keep every other integer variable, and choose the
   rest (who is seated, rezoning, shortfall) by an LP: a plan of the full model.
3. **Improve**, until the plan is within the gap of ``L``:

   a. *Year by year*, until ``3T/4``, where a year has at most ``YEAR_PASS_LIMIT`` zoning
      variables: each year's keys (area, level, year) are zoned anew at every site, in order,
      each year an equal share of the time; the year's ``u`` and the next year's weigh a move
      against the zoning of the years around it.
   b. *Neighbourhoods* (large-neighbourhood search), until ``T``: for each site ``j`` in turn,
      the ``k`` sites nearest it (:attr:`~capsim.planner.catchment.Zoning.near`,
      ``k = NEIGHBOURS``) and the keys zoned to one of them or to none may be zoned anew among
      those sites, in every year at once; every other variable keeps its value but the
      regions' shortfall and rent. That small MILP is solved from the current plan (at most
      ``NEIGHBOURHOOD_SECONDS``) and its answer kept if cheaper. Sites are taken in order of
      how many pupils the rounding moved off or onto them; passes repeat while one improves.
4. **Prove.** If a pass of neighbourhoods improved nothing and the plan is not within the gap
   of ``L``, solve the full model from it with the time left (at least a second; the start goes
   to HiGHS and CBC, scipy's milp takes none). At small sizes this proves the optimum. At city
   scale the neighbourhoods use the time: handed the whole model there, HiGHS did not improve
   the plan and overran its limit by the time it took to read the model.

The answer is the cheaper of the plan and step 4's, with bound ``max(L, step 4's)``: it is
``optimal`` only if that bound proves it within the gap.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from capsim.planner.solve import Solution, solve_with

# HiGHS spends 80 % of its effort on primal heuristics in a block (its default is 5 %): the
# blocks are small and a better zoning is worth more than a better bound there. Measured for the
# year blocks, one run each on the ten-year city: 1.14 % gap at 5 %, 1.09 % at 30 %, 1.05 % at
# 80 %; kept for the neighbourhoods without measuring them apart.
BLOCK_HEURISTICS = {"mip_heuristic_effort": 0.8}
# Sites in a neighbourhood of step 3b, and the seconds its MILP may take (chosen in one-off runs
# on the 1,000-area city of benchmarks/bench_plan.py).
NEIGHBOURS = 6
NEIGHBOURHOOD_SECONDS = 2.0
# Step 3a zones a year whole only where no year has more zoning variables than this: 1,400 a year (120
# areas, 55 sites within 3 km) solve in a few seconds each; 100,000 (1,000 areas, 100 sites)
# stopped 8-11 % above the bound, where the neighbourhoods reach 1 % (benchmarks/README.md).
YEAR_PASS_LIMIT = 10_000


def solve_single(a, zoning, solver: str = "highs", time_limit: float = 60.0, gap: float = 1e-3) -> Solution:
    """Solve the arrays ``a`` (:class:`capsim.planner.variables.Arrays`) whose binary variables
    are the single-assignment zoning described by ``zoning``
    (:class:`capsim.planner.catchment.Zoning`), by the steps of the module docstring."""
    t0 = time.perf_counter()
    split = solve_with(_split(a, zoning), solver, time_limit=time_limit / 4, gap=gap / 10)
    if split.status not in ("optimal", "feasible"):
        return split
    bound = _proven_bound(split, gap / 10)
    plan = _rounded(a, zoning, split.values, solver, max(time_limit - (time.perf_counter() - t0), 1.0))
    if plan is not None:
        plan = _by_year(a, zoning, plan, bound, solver, gap, t0 + time_limit * 3 / 4)
        plan, settled = _improved(a, zoning, plan, split.values, bound, solver, gap, t0 + time_limit)
        if _within(a.c @ plan, bound, gap) or not settled:
            return _best(_unsolved(split.solver), plan, a.c, bound, gap, time.perf_counter() - t0)
    left = max(time_limit - (time.perf_counter() - t0), min(1.0, time_limit))
    full = solve_with((a.c, a.families, a.lb, a.ub, a.integer), solver, time_limit=left, gap=gap, start=plan)
    return _best(full, plan, a.c, bound, gap, time.perf_counter() - t0)


def _split(a, zoning):
    """Step 1's relaxation: the rezoning ``u`` (``zoning.links``) dropped with every row it is
    in and its cost, which only lowers the cost, and ``z`` relaxed to [0, 1]. Where each ``z``
    zones one ``w`` (``zoning.one_cell``: every zoning level one cell), ``sum_j z <= 1`` and
    ``w <= z`` hold for ``z = w`` whenever the assign rows do, so ``z`` is dropped with its rows
    too; with several cells a level (its grades), one grade seated at one school and the next at
    another needs ``z`` of both, so ``z`` stays. Its optimum bounds the model's."""
    dropped = np.concatenate([zoning.z, zoning.links]) if zoning.one_cell else zoning.links
    families = []
    for name, A, sense, rhs in a.families:
        keep = np.asarray(A[:, dropped].getnnz(axis=1) == 0)
        if keep.any():
            families.append((name, A[keep], sense, rhs[keep]))
    ub, integer, c = a.ub.copy(), a.integer.copy(), a.c.copy()
    integer[zoning.z] = False
    ub[dropped], integer[dropped], c[dropped] = 0.0, False, 0.0
    return c, families, a.lb, ub, integer


def _seated(zoning, values) -> np.ndarray:
    """The pupils of each ``z``'s key its site seats in ``values``: its ``w`` times their pupils."""
    w = zoning.moving_z >= 0
    return np.bincount(zoning.moving_z[w], weights=zoning.moving_pupils[w] * values[zoning.moving[w]],
                       minlength=len(zoning.z))


def _rounded(a, zoning, split, solver, seconds) -> np.ndarray | None:
    """Step 2: each key zoned to the site seating most of it in ``split`` (none if none does),
    the other integer variables as in ``split``, the continuous ones by an LP; None if that LP
    has no plan."""
    seated = _seated(zoning, split)
    order = np.lexsort((-seated, zoning.key))
    first = order[np.r_[True, np.diff(zoning.key[order]) != 0]]
    values = np.where(a.integer, np.round(split), split)
    values[zoning.z] = 0.0
    values[zoning.z[first[seated[first] > 1e-9]]] = 1.0
    return _solved(a, a.integer, values, solver, seconds, 1e-9, started=False)


def _improved(a, zoning, plan, split, bound, solver, gap, deadline) -> tuple[np.ndarray, bool]:
    """Step 3b: passes of neighbourhoods over the sites, until the plan is within ``gap`` of
    ``bound``, a pass improves nothing (the plan is then *settled*: ``True``), or ``deadline``."""
    order, rows = _worst_first(zoning, plan, split), _rows(a, zoning)
    while not _within(a.c @ plan, bound, gap):
        improved = False
        for j in order:
            if time.perf_counter() >= deadline:
                return plan, False
            if _within(a.c @ plan, bound, gap):
                break
            seconds = min(NEIGHBOURHOOD_SECONDS, deadline - time.perf_counter())
            sites = zoning.near[j, :NEIGHBOURS]
            better = _solved(a, ~_neighbourhood(zoning, plan, _around(zoning, plan, sites), sites, rows), plan,
                             solver, max(seconds, 0.1), gap / 10, started=True)
            if better is not None and a.c @ better < a.c @ plan - 1e-9 * max(abs(a.c @ plan), 1.0):
                plan, improved = better, True
        if not improved:
            return plan, True
    return plan, True


def _worst_first(zoning, plan, split) -> np.ndarray:
    """Sites in order of how many pupils the rounding moved off or onto them."""
    moved = np.abs(_seated(zoning, plan) - _seated(zoning, split))
    by_site = np.bincount(zoning.site, weights=moved, minlength=zoning.near.shape[0])
    return np.argsort(-by_site, kind="stable")


def _by_year(a, zoning, plan, bound, solver, gap, deadline) -> np.ndarray:
    """Step 3a: each year's zoning anew, in order, every key of the year free at every site,
    each year an equal share of the time until ``deadline``; only where a year has at most
    ``YEAR_PASS_LIMIT`` zoning variables."""
    if np.bincount(zoning.key % zoning.years).max() > YEAR_PASS_LIMIT:
        return plan
    rows = _rows(a, zoning)
    for t in range(zoning.years):
        if _within(a.c @ plan, bound, gap) or time.perf_counter() >= deadline:
            break
        seconds = (deadline - time.perf_counter()) / (zoning.years - t)
        keys = np.unique(zoning.key[zoning.key % zoning.years == t])
        better = _solved(a, ~_neighbourhood(zoning, plan, keys, np.unique(zoning.site), rows), plan, solver,
                         max(seconds, 0.5), gap, started=False)
        if better is not None and a.c @ better < a.c @ plan:
            plan = better
    return plan


def _around(zoning, plan, sites) -> np.ndarray:
    """The keys of a neighbourhood of ``sites``: zoned to one of them, or to none but reaching one."""
    here = np.isin(zoning.site, sites)
    on = plan[zoning.z] > 0.5
    return np.union1d(zoning.key[on & here], np.setdiff1d(zoning.key[here], zoning.key[on]))


def _neighbourhood(zoning, plan, keys, sites, rows) -> np.ndarray:
    """(n,) the variables free to zone ``keys`` anew among ``sites``: their ``z`` and ``w`` at
    those sites, their ``v`` and ``u``, and the shortfall and rent in the rows these are in
    (``rows``: :func:`_rows`)."""
    free = np.zeros(len(plan), bool)
    free[zoning.z[np.isin(zoning.site, sites) & np.isin(zoning.key, keys)]] = True
    at_site = np.isin(zoning.site, sites)[zoning.moving_z] | (zoning.moving_z < 0)   # a w at one of them; v, u
    moves = np.isin(zoning.moving_key, keys) & at_site
    free[zoning.moving[moves]] = True
    by_column, shared = rows
    touched = np.unique(by_column[:, np.flatnonzero(free)].indices)
    free[zoning.shared[np.asarray(shared[touched].getnnz(axis=0) > 0)]] = True
    return free


def _rows(a, zoning):
    """Every family's rows stacked, by column, and their shared variables' part, by row: which
    shortfall and rent a neighbourhood's rows touch."""
    A = _stacked(a)
    return A.tocsc(), A[:, zoning.shared].tocsr()


def _stacked(a) -> sp.csr_matrix:
    """The rows of every family of ``a``, one matrix."""
    return sp.vstack([F for _, F, _, _ in a.families], format="csr")


def _solved(a, fixed, values, solver, seconds, gap, started: bool, share: bool = False) -> np.ndarray | None:
    """``values`` with each block left free by ``fixed`` solved on its own within ``seconds``
    (``share``: the blocks together, each what is left of it) (from ``values`` if ``started``:
    they are a plan); None if a block has no plan."""
    values = values.copy()
    deadline = time.perf_counter() + seconds
    for cols, families in blocks_of(a, fixed, values):
        if not families:                              # bounds only: each at its cheaper end
            values[cols] = np.where(a.c[cols] >= 0, a.lb[cols], a.ub[cols])
            continue
        limit = max(deadline - time.perf_counter(), 0.1) if share else seconds
        sub = (a.c[cols], families, a.lb[cols], a.ub[cols], a.integer[cols])
        sol = solve_with(sub, solver, time_limit=limit, gap=gap, start=values[cols] if started else None,
                         highs_options=BLOCK_HEURISTICS)
        if sol.status not in ("optimal", "feasible"):
            return None
        values[cols] = sol.values
    return np.clip(np.where(a.integer, np.round(values), values), a.lb, a.ub)


def _within(objective, bound, gap) -> bool:
    return bool(np.isfinite(bound) and objective - bound <= gap * max(abs(objective), 1e-9))


def _unsolved(solver) -> Solution:
    """Step 4 not run: no plan, no bound of its own."""
    return Solution(np.zeros(0), "no solution", np.nan, np.nan, np.nan, solver, 0.0, 0.0)


def _proven_bound(sol: Solution, gap: float) -> float:
    """A lower bound the solver proved: its own, or for CBC (no bound through PuLP) what
    'optimal within ``gap``' implies."""
    if sol.solver == "cbc":
        return sol.objective * (1 - gap) if sol.status == "optimal" and sol.objective > 0 else np.nan
    return sol.bound


def blocks_of(a, fixed: np.ndarray, values: np.ndarray):
    """Yield ``(columns, families)`` of each independent block once the variables ``fixed`` take
    ``values``: the connected components of the rows and free columns of all families stacked."""
    A = _stacked(a)
    sense = np.concatenate([np.full(F.shape[0], s) for _, F, s, _ in a.families])
    rhs = np.concatenate([b for *_, b in a.families]) - A[:, fixed] @ values[fixed]
    free = np.flatnonzero(~fixed)
    sub = A[:, free]
    rows = np.flatnonzero(sub.getnnz(axis=1))
    sub = sub[rows]
    _, label = connected_components(sp.bmat([[None, sub], [sub.T, None]]), directed=False)
    row_label, col_label = label[: len(rows)], label[len(rows):]
    for b in np.unique(col_label):
        cols, own = np.flatnonzero(col_label == b), np.flatnonzero(row_label == b)
        block, s, r = sub[own][:, cols], sense[rows[own]], rhs[rows[own]]
        yield free[cols], [(f"block{b}{k}", block[s == k], k, r[s == k]) for k in ("<=", ">=") if (s == k).any()]


def _best(full: Solution, start, c, split_bound, gap, seconds) -> Solution:
    """The cheaper of the full solve and the start, bounded by both bounds."""
    if full.status == "infeasible" or (start is None and full.status not in ("optimal", "feasible")):
        return full
    values, objective = full.values, full.objective
    if start is not None and not (full.status in ("optimal", "feasible") and full.objective <= c @ start):
        values, objective = start, float(c @ start)
    bounds = [b for b in (split_bound, _proven_bound(full, gap)) if np.isfinite(b)]
    bound = min(max(bounds), objective) if bounds else np.nan
    proved = full.status == "optimal" and objective <= full.objective
    within = np.isfinite(bound) and (objective - bound) <= gap * max(abs(objective), 1e-9)
    status = "optimal" if proved or within else "feasible"
    rel = max(0.0, (objective - bound) / max(abs(objective), 1e-9)) if np.isfinite(bound) else np.nan
    return Solution(values, status, objective, bound, rel, full.solver, full.build_seconds,
                    seconds - full.build_seconds)
