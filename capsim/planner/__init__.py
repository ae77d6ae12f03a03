"""The planner: which projects to build and when, at least cost, so every child has a seat.

``plan(scenario)`` forecasts and assesses (unless given: an assessment holds the forecast it
assessed, so ``plan(scenario, assessment=a)`` forecasts nothing), then solves the region-level MILP of
:mod:`capsim.planner.model` and returns the schedule, the spending by year, the seats after the
plan and every shortfall with its binding cause. With a school list the region level plans in
whole classes (:mod:`capsim.planner.classes`: classes formed at intake roll up with their
cohort and share the region's classrooms); ``plan.capacity = "seats"`` keeps the earlier model
of seats fixed per grade (:mod:`capsim.planner.cells`); at the catchment level each site is its own
pool of classrooms (:class:`capsim.planner.catchment.SiteClasses`). ``evaluate=True`` checks a bureau's own plan
instead: every project with a ``committed`` year opens then, nothing else is chosen.

This module is the face: :func:`plan` takes the model's inputs from :mod:`~capsim.planner.context`,
builds the model (:mod:`~capsim.planner.model`), solves it (:func:`solve_model`) and reads the
solution back into tables (:mod:`~capsim.planner.result`).
"""

from __future__ import annotations

import numpy as np

from capsim.errors import PlanError, Problem
from capsim.planner import model as milp
from capsim.planner.context import PlanContext, plan_context, plan_years, read_network
from capsim.planner.formulation import solve_as
from capsim.planner.result import COMMITTED_ONLY, PlanResult, openings, result, schedule_frame, seats_added
from capsim.planner.solve import Solution

__all__ = ["COMMITTED_ONLY", "PlanContext", "PlanResult", "committed_only", "openings", "plan", "plan_context",
           "plan_years", "read_network", "result", "schedule_frame", "seats_added", "solve_model"]


def plan(scenario, projection=None, assessment=None, evaluate: bool = False, inputs=None) -> PlanResult:
    """Plan (or, with ``evaluate``, check) the scenario's projects; see the module docstring.
    ``inputs`` (what :func:`capsim.checks.validate` read) spares reading the projects, areas and
    travel tables again."""
    if scenario.data.projects is None:
        raise PlanError([Problem(f"{scenario.source}: data.projects", "no projects table is given.", None,
                                 "add data.projects (docs/data-tables.md) to plan.")])
    ctx = plan_context(scenario, projection, assessment, evaluate, inputs=inputs)
    m = milp.build(ctx.inputs)
    sol = solve_model(m, scenario)
    return result(m, sol, ctx, evaluate)


def solve_model(m: milp.Model, scenario) -> Solution:
    """Solve with the scenario's solver settings. Where the solver finds no plan within
    ``plan.time_limit``, the plan is the committed projects alone (status ``committed only``):
    every seat they leave missing is a shortfall, named with its cause (``time limit`` where a
    candidate could have served it). Only a model with no plan even then is an error."""
    cfg = scenario.plan
    sol = solve_as(m, cfg.formulation, solver=cfg.solver, time_limit=cfg.time_limit, gap=cfg.gap)
    if sol.status in ("optimal", "feasible"):
        return sol
    from dataclasses import replace

    fallback = solve_as(committed_only(m), cfg.formulation, solver=cfg.solver, time_limit=max(cfg.time_limit, 60.0),
                        gap=cfg.gap)
    if fallback.status not in ("optimal", "feasible"):
        raise PlanError([Problem(f"{scenario.source}: plan", f"the solver found no plan (status: {sol.status}).",
                                 sol.status, "raise plan.time_limit, or loosen the budgets.")])
    return replace(fallback, status=COMMITTED_ONLY, bound=np.nan, gap=np.nan,
                   solve_seconds=sol.solve_seconds + fallback.solve_seconds)


def committed_only(m: milp.Model) -> milp.Model:
    """The model with every uncommitted project's opening fixed to 0."""
    from dataclasses import replace

    free = ~np.isfinite(m.inputs.projects.committed)
    ub = m.ub.copy()
    index = m.x_index[free]
    ub[index[index >= 0]] = 0.0
    return replace(m, ub=ub)
