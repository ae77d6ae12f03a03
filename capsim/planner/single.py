"""Single assignment solved from a start: a split plan, then each zoning block on its own.

Zoning each area to one school (binary ``z``, :mod:`capsim.planner.catchment`) makes the
catchment MILP hard at city scale: its LP bound is the split plan's, and given the whole model
the solver finds no good plan in time (120 areas, 55 sites, 10 years: a 23 % gap after 120 s,
``benchmarks/README.md``). Three steps instead, sharing the time limit ``T``:

1. **Split.** Relax ``z`` to ``[0, 1]``, drop the rezoning variables ``u`` with their rows and
   cost, and solve (at most ``T/4``, to a tenth of the gap, for a tight bound): openings ``x*``
   and a bound ``L``. Both only widen the choice or lower the cost, so ``L`` bounds the
   single-assignment cost too. (With ``u`` kept, this relaxation took the whole ``T/4`` on the
   city benchmark and ended 3 % from its optimum, its openings spoiling what followed.)
2. **Zone.** Fix every integer variable but ``z`` at its split value. The free variables fall
   apart into independent blocks, the connected components of the constraint matrix over
   them: one per zoning level and year (rented seats under a budget tie them together). Each
   block is a small MILP, solved on its own with an equal share of the time until ``3T/4``,
   and at least half a second (``rhs`` less the fixed variables' part). With a rezoning cost
   the years are tied, so they are zoned one at a time, in order: the year's variables (with
   the next year's ``u``, tied to this year's zoning) are free, every other keeps its latest
   value (the years before: as just zoned; the years after: the split plan, ``z`` rounded), and
   each year has an equal share of the time. A move is then weighed against the zoning of the
   year before, already chosen, and the split plan's for the year after. With ``x*`` the
   blocks make a plan of the full model.
3. **Improve.** Solve the full model from that plan with the time left, at least a second (the
   start goes to HiGHS and CBC; scipy's milp takes none and solves from nothing). With these
   floors, a limit of a few seconds on a model of many blocks is overrun.

The answer is the cheaper of the start and step 3's plan, with bound ``max(L, step 3's)``:
it is ``optimal`` only if that bound proves it within the gap. On the city benchmark this is a
1 % gap proved in about 70 s (the whole model given to HiGHS, without a rezoning cost, stopped
at 23 % after 120 s); at small sizes step 3 proves the optimum itself.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from capsim.planner.solve import Solution, solve_with

# HiGHS spends 80 % of its effort on primal heuristics in a block (its default is 5 %): the
# blocks are small and a better zoning is worth more than a better bound there. One run each on
# the city benchmark: 1.14 % gap at 5 %, 1.09 % at 30 %, 1.05 % at 80 %.
BLOCK_HEURISTICS = {"mip_heuristic_effort": 0.8}


def solve_single(a, zoning: np.ndarray, years: np.ndarray | None = None, links: np.ndarray | None = None,
                 solver: str = "highs", time_limit: float = 60.0, gap: float = 1e-3) -> Solution:
    """Solve the arrays ``a`` (:class:`capsim.planner.variables.Arrays`) whose binary variables
    ``zoning`` are the single-assignment ``z``, by the three steps of the module docstring.
    ``years`` (one per variable, -1 for none) zones year by year in step 2 (without it, every
    block at once); ``links`` are the variables tying a year to the one before (the rezoning
    ``u``)."""
    t0 = time.perf_counter()
    split = solve_with(_split(a, zoning, links), solver, time_limit=time_limit / 4, gap=gap / 10)
    if split.status not in ("optimal", "feasible"):
        return split
    fixed = a.integer & ~np.isin(np.arange(len(a.c)), zoning)
    values = np.where(a.integer, np.round(split.values), split.values)
    start = _zone(a, _passes(fixed, years, links), values, solver, time_limit * 3 / 4 - (time.perf_counter() - t0),
                  gap)
    left = max(time_limit - (time.perf_counter() - t0), min(1.0, time_limit))
    full = solve_with((a.c, a.families, a.lb, a.ub, a.integer), solver, time_limit=left, gap=gap, start=start)
    return _best(full, start, a.c, _proven_bound(split, gap / 10), gap, time.perf_counter() - t0)


def _split(a, zoning, links):
    """Step 1's relaxation: ``zoning`` continuous, and the ``links`` (rezoning) free of cost and
    rows. Both only widen the choice or lower the cost, so its optimum bounds the model's."""
    relaxed = a.integer.copy()
    relaxed[zoning] = False
    if links is None or not len(links):
        return a.c, a.families, a.lb, a.ub, relaxed
    c = a.c.copy()
    c[links] = 0.0
    families = []
    for name, A, sense, rhs in a.families:
        keep = np.asarray(A[:, links].getnnz(axis=1) == 0)
        families.append((name, A[keep], sense, rhs[keep]))
    return c, [f for f in families if f[1].shape[0]], a.lb, a.ub, relaxed


def _passes(fixed: np.ndarray, years: np.ndarray | None, links: np.ndarray | None) -> list[np.ndarray]:
    """The variables step 2 frees in each pass: all but ``fixed`` at once without ``years``, else
    one year at a time in order (with the next year's ``links``, whose rows tie it to this one)."""
    if years is None:
        return [~fixed]
    is_link = np.isin(np.arange(len(fixed)), links if links is not None else [])
    return [~fixed & ((years == t) | (years < 0) | (is_link & (years == t + 1))) for t in np.unique(years[years >= 0])]


def _proven_bound(sol: Solution, gap: float) -> float:
    """A lower bound the solver proved: its own, or for CBC (no bound through PuLP) what
    'optimal within ``gap``' implies."""
    if sol.solver == "cbc":
        return sol.objective * (1 - gap) if sol.status == "optimal" and sol.objective > 0 else np.nan
    return sol.bound


def _zone(a, passes, values, solver, seconds, gap) -> np.ndarray | None:
    """Step 2: the start. Each pass frees some variables, the rest keep ``values`` (the latest
    found), and solves each of its blocks on its own; None if a block has no plan."""
    values = values.copy()
    t0 = time.perf_counter()
    for i, free in enumerate(passes):
        blocks = list(blocks_of(a, ~free, values))
        until = t0 + seconds * (i + 1) / len(passes)
        for k, (cols, families) in enumerate(blocks):
            share = max(until - time.perf_counter(), 0.0) / (len(blocks) - k)
            if not families:                              # bounds only: each at its cheaper end
                values[cols] = np.where(a.c[cols] >= 0, a.lb[cols], a.ub[cols])
                continue
            sub = (a.c[cols], families, a.lb[cols], a.ub[cols], a.integer[cols])
            sol = solve_with(sub, solver, time_limit=max(share, 0.5), gap=gap, highs_options=BLOCK_HEURISTICS)
            if sol.status not in ("optimal", "feasible"):
                return None
            values[cols] = sol.values
    return np.clip(np.where(a.integer, np.round(values), values), a.lb, a.ub)


def blocks_of(a, fixed: np.ndarray, values: np.ndarray):
    """Yield ``(columns, families)`` of each independent block once the variables ``fixed`` take
    ``values``: the connected components of the rows and free columns of all families stacked."""
    A = sp.vstack([F for _, F, _, _ in a.families], format="csr")
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
