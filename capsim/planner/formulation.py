"""Solving the planning MILP: its arrays in either set of variables, *pulse* or *step*
(:mod:`capsim.planner.variables`), handed to the solver as they are, from a start under single
assignment (:mod:`capsim.planner.single`), by the steps of school granularity
(:mod:`capsim.planner.by_school`), at the catchment level in whole classes from the plan with
the classes relaxed, or, with closures and conversions, from the plan that makes none; the
values come back in the model's own (pulse) variables.
"""

from __future__ import annotations

import numpy as np

from capsim.planner.catchment import zoning
from capsim.planner.single import solve_single
from capsim.planner.solve import Solution, solve_with
from capsim.planner.variables import FORMULATIONS, Arrays, arrays

__all__ = ["FORMULATIONS", "Arrays", "arrays", "solve_arrays", "solve_as"]


def solve_as(m, formulation: str = "step", solver: str = "highs", **options) -> Solution:
    """Solve the model in ``formulation`` with ``solver`` ('highs', 'cbc' or 'scipy'); the values
    come back in the model's own (pulse) variables. Single assignment is solved from a start
    (:mod:`capsim.planner.single`)."""
    a = arrays(m, formulation)
    sol = solve_arrays(a, m, solver, **options)
    if a.D is None or not np.isfinite(sol.values).all():
        return sol
    from dataclasses import replace

    return replace(sol, values=a.D @ sol.values)


def solve_arrays(a: Arrays, m, solver: str = "highs", **options) -> Solution:
    """Solve the arrays ``a`` of model ``m`` with ``solver``: from a start under single
    assignment (:mod:`capsim.planner.single`), at school granularity
    (:mod:`capsim.planner.by_school`) or at the catchment level in whole classes
    (:func:`_from_relaxed_classes`), else as they are; values in ``a``'s variables."""
    if m.share_index is not None:           # school granularity: from the region plan (by_school)
        from capsim.planner.by_school import solve_schools

        return solve_schools(a, m, "pulse" if a.D is None else "step", solver=solver, **options)
    if m.shut_index is not None or m.convert_index is not None:
        return _from_building_only(a, m, solver, **options)
    return _as_usual(a, m, solver, **options)


def _as_usual(a: Arrays, m, solver: str = "highs", start=None, **options) -> Solution:
    """Solve the arrays ``a`` of model ``m``: at the catchment level in whole classes from the
    relaxation (:func:`_from_relaxed_classes`, which keeps ``start`` if it is cheaper than its
    own plan), under single assignment from a start of its own, else as they are, from ``start``
    (a plan in ``a``'s variables)."""
    zones = zoning(m)
    if m.assignment is not None and m.assignment.k_index is not None:
        return _from_relaxed_classes(a, m.assignment.k_index.reshape(-1), zones, solver, start=start, **options)
    if zones is not None:
        return solve_single(a, zones, solver=solver, **options)
    return solve_with((a.c, a.families, a.lb, a.ub, a.integer), solver, start=start, **options)


def _from_relaxed_classes(a: Arrays, classes: np.ndarray, zones=None, solver: str = "highs",
                          time_limit: float = 60.0, gap: float = 1e-3, start=None, **options) -> Solution:
    """The catchment level in whole classes, from its relaxation: the classes ``classes`` taken
    as real numbers and the rest solved as usual (under single assignment from a start,
    :func:`~capsim.planner.single.solve_single`) within half the time, to a tenth of the gap; its
    bound bounds the model's. Then its openings and zoning are held and the classes made whole
    (the blocks this leaves apart, each a small MILP over the classes and who sits where, all
    within half of what is left); then, unless that plan (or ``start``, a plan of ``a`` given,
    if cheaper) is within ``gap`` of the bound, the whole model from it (from nothing if there is
    none) with the time left. The cheapest plan, bounded by the relaxation too. (The
    tiny example's catchments, one-off runs: the whole model took about 40 s to prove 0.1 % under
    split assignment, these steps about a third of that, to a cheaper plan; under single
    assignment the whole model ended its minute 77 % above its bound.)"""
    import time
    from dataclasses import replace

    from capsim.planner.single import _best, _proven_bound, _solved, _unsolved, _within

    t0 = time.perf_counter()
    whole = np.zeros(len(a.c), bool)
    whole[classes] = True
    held = a.integer & ~whole
    if zones is None:
        relaxed = solve_with((a.c, a.families, a.lb, a.ub, held), solver, time_limit=time_limit / 2, gap=gap / 10,
                             **options)
    else:
        relaxed = solve_single(replace(a, integer=held), zones, solver=solver, time_limit=time_limit / 2,
                               gap=gap / 10)
    if relaxed.status in ("infeasible", "unbounded"):
        return relaxed
    plan, bound = None, np.nan
    if relaxed.status in ("optimal", "feasible"):
        bound = _proven_bound(relaxed, gap / 10)
        left = max((time_limit - (time.perf_counter() - t0)) / 2, min(1.0, time_limit))
        plan = _solved(a, held, np.where(held, np.round(relaxed.values), relaxed.values), solver, left, gap / 10,
                       started=False, share=True)
    if start is not None and (plan is None or a.c @ start < a.c @ plan):
        plan = start
    if plan is not None and _within(a.c @ plan, bound, gap):   # (the blocks' own bounds hold with all held only)
        return _best(_unsolved(relaxed.solver), plan, a.c, bound, gap, time.perf_counter() - t0)
    left = max(time_limit - (time.perf_counter() - t0), min(1.0, time_limit))
    full = solve_with((a.c, a.families, a.lb, a.ub, a.integer), solver, time_limit=left, gap=gap, start=plan,
                      **options)
    return _best(full, plan, a.c, bound, gap, time.perf_counter() - t0)


def _from_building_only(a: Arrays, m, solver: str = "highs", time_limit: float = 60.0, gap: float = 1e-3,
                        **options) -> Solution:
    """Closures and conversions solved from the plan that makes none: that plan first (their
    variables held at 0, within a third of the time), then the whole model from it (each as
    :func:`_as_usual` solves it), and the cheaper of the two, so that allowing them never returns
    a dearer plan than building alone. With a minimum school size (``min_school_pupils``) the
    plan that closes nothing is found without it and is only a start: it may keep a small school
    open. The variables after the openings are the model's own in both formulations."""
    import time
    from dataclasses import replace

    from capsim.planner.single import _best

    t0 = time.perf_counter()
    decided = np.concatenate([i.reshape(-1) for i in (m.shut_index, m.convert_index) if i is not None])
    ub = a.ub.copy()
    ub[decided] = 0.0
    rules = [f for f in a.families if f[0] != "min_school_pupils"]     # a small school may not stay open:
    allowed = len(rules) == len(a.families)                            # then building alone is no plan
    first = _as_usual(replace(a, ub=ub, families=rules), m, solver, time_limit=time_limit / 3, gap=gap, **options)
    start = first.values if first.status in ("optimal", "feasible") else None
    if start is not None and m.assignment is not None and m.assignment.k_index is not None:
        left = max((time_limit - (time.perf_counter() - t0)) * 3 / 4, min(1.0, time_limit))
        closing = _decisions_at_sites(a, m, start, solver, left, gap, **options)
        if closing is not None and (not allowed or a.c @ closing < a.c @ start):
            start, allowed = closing, True
    start = start if allowed else None
    left = max(time_limit - (time.perf_counter() - t0), min(1.0, time_limit))
    full = _as_usual(a, m, solver, start=start, time_limit=left, gap=gap, **options)
    return _best(full, start, a.c, np.nan, gap, time.perf_counter() - t0)


def _decisions_at_sites(a: Arrays, m, plan: np.ndarray, solver: str, seconds: float, gap: float,
                        **options) -> np.ndarray | None:
    """At the catchment level in whole classes, closures and conversions chosen around ``plan``
    (one that makes none, in ``a``'s variables): its openings held, the classes and the zoning
    relaxed, the schools to close or convert chosen (those decisions are then the only
    integers), then the plan solved as usual (:func:`_as_usual`) with its openings and those
    decisions held, within what is left of ``seconds``, each to ``gap``. None if either step
    finds no plan. (The tiny example's catchments with a running cost of 3 million yuan a
    school, split assignment, one-off runs: the whole model started from ``plan`` found no
    closure in a minute, 0.5 % above its bound; these steps close 14 schools in about half a
    minute, 0.4 % cheaper.)"""
    import time
    from dataclasses import replace

    t0 = time.perf_counter()
    relaxed = np.zeros(len(a.c), bool)
    relaxed[m.assignment.k_index.reshape(-1)] = True
    if m.assignment.z_index is not None:
        relaxed[m.assignment.z_index] = True
    shut = np.zeros(len(a.c), bool)
    for decided in (m.shut_index, m.convert_index):
        if decided is not None:
            shut[decided.reshape(-1)] = True
    held = a.integer & ~relaxed & ~shut
    chosen = solve_with((a.c, a.families, *_held(a, held, plan), a.integer & ~relaxed), solver,
                        time_limit=seconds / 2, gap=gap, start=plan, **options)
    if chosen.status not in ("optimal", "feasible"):
        return None
    lb, ub = _held(a, held | shut, chosen.values)
    left = max(seconds - (time.perf_counter() - t0), 1.0)
    sol = _as_usual(replace(a, lb=lb, ub=ub), m, solver, time_limit=left, gap=gap, **options)
    return sol.values if sol.status in ("optimal", "feasible") else None


def _held(a: Arrays, held: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lb, ub) of ``a`` with the variables ``held`` fixed at ``values`` rounded."""
    fixed = np.round(values)
    return np.where(held, fixed, a.lb), np.where(held, fixed, a.ub)
