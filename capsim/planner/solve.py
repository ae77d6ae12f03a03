"""Solving a matrix-form MILP with PuLP (HiGHS or CBC), or with scipy's milp for a cross-check.

This and :mod:`capsim.planner.locate` are the only modules importing pulp. The status is read
from the solver itself: a plan stopped by the time limit is ``feasible`` (with its bound and
gap), never ``optimal``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Solution:
    values: np.ndarray     # one value per variable (NaN if no solution)
    status: str            # optimal | feasible | infeasible | unbounded | no solution
    objective: float
    bound: float           # best proven lower bound (NaN where the solver does not say)
    gap: float             # (objective - bound) / |objective|
    solver: str
    build_seconds: float
    solve_seconds: float


def solve_with(args, solver: str = "highs", start=None, highs_options=None, **options) -> Solution:
    """Solve ``args`` = (c, families, lb, ub, integer) with ``solver``: 'highs' or 'cbc' through
    PuLP (from ``start`` if given), or 'scipy' (which takes no start and no HiGHS options)."""
    if solver == "scipy":
        return solve_scipy(*args, **options)
    return solve(*args, solver=solver, start=start, highs_options=highs_options, **options)


def solve(c, families, lb, ub, integer, solver="highs", time_limit=60.0, gap=1e-3, msg=False,
          start=None, highs_options=None) -> Solution:
    """Build the PuLP problem from arrays and solve it with ``solver`` ('highs' or 'cbc'), from the
    plan ``start`` (one value per variable) if given. ``time_limit`` counts the build: the solver
    gets what is left of it (at least :data:`LEAST_SOLVER_SECONDS`)."""
    import pulp

    t0 = time.perf_counter()
    if start is not None:
        start = np.clip(np.where(integer, np.round(start), start), lb, ub)
    prob = pulp.LpProblem("capsim", pulp.LpMinimize)
    xs = [prob.add_variable(f"v{i}", lowBound=float(lb[i]), upBound=None if not np.isfinite(ub[i]) else float(ub[i]),
                            cat=pulp.LpInteger if integer[i] else pulp.LpContinuous) for i in range(len(c))]
    # Every variable goes into the objective, zero costs too: PuLP hands the solver only the
    # variables it meets, and one in no row and no cost (the unserved share of an area with no
    # pupils of a grade) would come back without a value.
    prob += pulp.LpAffineExpression([(x, float(v)) for x, v in zip(xs, c)])
    for name, A, sense, rhs in families:
        _add_family(prob, name, A, sense, rhs, xs)
    t1 = time.perf_counter()
    left = max(time_limit - (t1 - t0), LEAST_SOLVER_SECONDS)
    if solver == "highs":
        backend = _started_highs()(start, xs, msg=msg, timeLimit=left, gapRel=gap, **(highs_options or {}))
    else:
        import warnings

        if start is not None:
            for x, v in zip(xs, start):
                x.setInitialValue(float(v))
        with warnings.catch_warnings():  # PuLP 3.x (pinned) bundles CBC behind this deprecated name
            warnings.simplefilter("ignore", DeprecationWarning)
            backend = pulp.PULP_CBC_CMD(msg=msg, timeLimit=left, gapRel=gap, warmStart=start is not None)
    with _quiet(not msg):
        prob.solve(backend)
    t2 = time.perf_counter()
    values = np.array([np.nan if v.varValue is None else v.varValue for v in xs])
    status, bound = _status(prob, solver)
    objective = float(pulp.value(prob.objective) or 0.0) if status in ("optimal", "feasible") else np.nan
    if start is not None and solver == "highs" and _not_its_incumbent(prob, objective):
        first = Solution(values, "feasible", objective, bound, _gap(objective, bound), solver, t1 - t0, t2 - t1)
        return _again_without_start(first, (c, families, lb, ub, integer), time_limit - (t2 - t0) - (t1 - t0), gap,
                                    msg, highs_options)
    if status == "optimal" and not np.isfinite(bound):
        bound = objective
    return Solution(values, status, objective, bound, _gap(objective, bound), solver, t1 - t0, t2 - t1)


# A solver handed less than this cannot read a large model, let alone search it: where the build
# took the whole time limit, the solver still gets this much (a small model solves in it).
LEAST_SOLVER_SECONDS = 1.0


def _again_without_start(first: Solution, args, left: float, gap, msg, highs_options) -> Solution:
    """The model ``args`` solved again without a start in the time ``left`` (its build counted):
    the cheaper of that and ``first`` (the start's values, feasible), with the better of the two
    proven bounds, both attempts' times; ``first`` alone if no time is left or no plan is found."""
    if left <= 0:
        return first
    again = solve(*args, solver="highs", time_limit=left, gap=gap, msg=msg, highs_options=highs_options)
    if again.status not in ("optimal", "feasible"):
        return first
    best = again if again.objective <= first.objective else replace(first, status="feasible")
    bound = float(np.fmax(first.bound, again.bound))
    status = "optimal" if again.status == "optimal" and best is again else "feasible"
    return replace(best, status=status, bound=bound, gap=_gap(best.objective, bound),
                   build_seconds=first.build_seconds + again.build_seconds,
                   solve_seconds=first.solve_seconds + again.solve_seconds)


def _not_its_incumbent(prob, objective) -> bool:
    """Whether HiGHS handed back other values than its own best plan: with a start that presolve
    maps into its reduced space at another cost (it may fix a variable the start sets otherwise),
    HiGHS 1.16 can keep that reduced plan as its incumbent, stop on it, and return the start's
    original values (seen: start 1,000,000, incumbent and bound -1,000,000, status optimal)."""
    if not np.isfinite(objective):
        return False
    best = float(prob.solverModel.getInfo().objective_function_value)
    return bool(np.isfinite(best) and abs(best - objective) > 1e-6 * max(1.0, abs(objective)))


def _started_highs():
    """PuLP's in-process HiGHS, handing HiGHS a starting plan first (PuLP's own takes none)."""
    import highspy
    import pulp

    class StartedHiGHS(pulp.HiGHS):
        def __init__(self, start, xs, **options):
            super().__init__(**options)
            self.start, self.xs = start, xs

        def callSolver(self, lp):
            if self.start is not None:
                values = np.zeros(len(self.xs))
                values[[x.index for x in self.xs]] = self.start
                sol = highspy.HighsSolution()
                sol.col_value = values.tolist()
                sol.value_valid = True
                lp.solverModel.setSolution(sol)
            super().callSolver(lp)

    return StartedHiGHS


class _quiet:
    """Silence the solver's own prints (its banner ignores msg=False) at the file-descriptor level."""

    def __init__(self, active: bool):
        self.active = active

    def __enter__(self):
        import os
        import sys

        if self.active:
            sys.stdout.flush()
            self.saved = os.dup(1)
            self.null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(self.null, 1)
        return self

    def __exit__(self, *exc):
        import os

        if self.active:
            os.dup2(self.saved, 1)
            os.close(self.saved)
            os.close(self.null)
        return False


def _add_family(prob, name, A, sense, rhs, xs):
    import pulp

    A = A.tocsr()
    for r in range(A.shape[0]):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression([(xs[j], float(v)) for j, v in zip(A.indices[lo:hi], A.data[lo:hi])])
        prob += (expr <= float(rhs[r]) if sense == "<=" else expr >= float(rhs[r])), f"{name}_{r}"


def _status(prob, solver):
    """(status, bound) from the solver's own report."""
    import pulp

    if solver == "highs":
        import highspy

        h = prob.solverModel
        model_status = h.getModelStatus()
        info = h.getInfo()
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else np.nan
        has_solution = info.primal_solution_status == 2
        if model_status == highspy.HighsModelStatus.kOptimal:
            return "optimal", bound
        if model_status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "infeasible", np.nan
        return ("feasible" if has_solution else "no solution"), bound
    sol = prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        return "optimal", np.nan
    if sol == pulp.LpSolutionIntegerFeasible:
        return "feasible", np.nan
    if sol == pulp.LpSolutionInfeasible:
        return "infeasible", np.nan
    return "no solution", np.nan


def _gap(objective, bound):
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return np.nan
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def solve_scipy(c, families, lb, ub, integer, time_limit=60.0, gap=1e-3) -> Solution:
    """The same arrays solved by scipy.optimize.milp (HiGHS inside scipy), for cross-checks."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    constraints = []
    for _, A, sense, rhs in families:
        lo = np.full(len(rhs), -np.inf) if sense == "<=" else rhs
        hi = rhs if sense == "<=" else np.full(len(rhs), np.inf)
        constraints.append(LinearConstraint(sp.csr_matrix(A), lo, hi))
    t1 = time.perf_counter()
    res = milp(c, constraints=constraints, integrality=integer.astype(int), bounds=Bounds(lb, ub),
               options={"time_limit": time_limit, "mip_rel_gap": gap})
    t2 = time.perf_counter()
    status = {0: "optimal", 1: "feasible", 2: "infeasible", 3: "unbounded"}.get(res.status, "no solution")
    if res.status == 1 and res.x is None:
        status = "no solution"
    objective = float(res.fun) if res.x is not None else np.nan
    bound = float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
    values = res.x if res.x is not None else np.full(len(c), np.nan)
    return Solution(values, status, objective, bound, _gap(objective, bound), "scipy", t1 - t0, t2 - t1)
