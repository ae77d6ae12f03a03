"""Plans against the forecast's uncertainty, and how each plan fares on every draw.

Three kinds of plan are made from the same forecast draws, in the unit the planner plans in
(``demand[r, k, t, d]``: pupils of pool ``r`` (a region, or a zone), cell ``k`` (a level's grade,
or a whole level with region places only) and plan year ``t`` in draw ``d``):

* ``median`` and ``q0.9`` (any quantile ``q``): the ordinary plan for demand at the per-cell
  ``q``-quantile of the draws (a quantile plan covers demand in about ``q`` of the futures,
  cell by cell);
* ``expected``: the two-stage stochastic program over a sample of ``S`` draws: one set of
  openings (closures and conversions where the scenario allows them), the classes, rent and
  shortfall of each draw, least build cost plus the *mean* cost of the rest.

With a school list the plans are made in whole classes sharing classrooms
(:mod:`capsim.planner.classes`; the stochastic program repeats the pools once per draw,
:func:`capsim.planner.classes.sampled`), by region or zone (a scenario planning school by school
is planned here by region: the plan choosing each cohort's school has no samples; catchment areas,
and with them ``plan.min_school_pupils``, are left to ``capsim plan``). Each plan is
then run on every draw without re-optimising its decisions: classes are formed year by year as
a bureau forms them (:mod:`capsim.planner.class_policy`)::

    cost_d   = build(x) + sum_{r,k,t} penalty disc_t short_d[r,k,t]
                        + sum_{r,l,t} disc_t (rent_room_l rented_d[r,l,t] + empty_room_cost empty_d[r,l,t])
                        + sum_{r,l,t} disc_t ((mothball_cost - empty_room_cost) mb_d[r,l,t]
                                              + reopen_cost reopened_d[r,l,t])

(``mb_d`` the plan's mothballed rooms replayed on the draw's empty ones,
:func:`capsim.planner.class_policy.mothballed`).

With region places only (no school list) the plans cover seats (``need_d = max(demand_d -
seats, 0)``, the seats that exist not depending on the draw)::

    gap_d    = max(need_d - added(x), 0)                    seats still missing
    cost_d   = build(x) + sum_{r,l,t} min(penalty, rent_cost) disc_t gap_d[r,l,t]

In both, ``build(x)`` is the plan's discounted cost of its decisions (the MILP's objective on
openings, closures and conversions, running costs and salvage included) and a shortfall is
counted in pupil-years (seat-years); renting's budget is not checked in the evaluation.
Regret is against the plan made for the median::

    regret_d = cost_d(plan) - cost_d(median plan)

so the median plan's regret is zero on every draw; a negative regret means the plan did better
than the median plan on that draw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

# plan_cost_yuan: the plan's own discounted cost, the same on every draw (its build cost net of any
# salvage, plus running costs saved or added and closures and conversions paid, where priced)
COLUMNS = ("plan", "projects", "schools_closed", "schools_converted", "seats_added", "plan_cost_yuan",
           "mean_cost_yuan", "p90_cost_yuan",
           "mean_shortfall_seat_years", "draws_short_share", "mean_regret_yuan", "p90_regret_yuan",
           "max_regret_yuan", "better_than_median_share")


@dataclass(frozen=True)
class RobustComparison:
    table: pd.DataFrame       # one row per plan: COLUMNS
    draws: pd.DataFrame       # plan, draw, cost_yuan, shortfall_seat_years, regret_yuan
    schedules: pd.DataFrame   # plan, then the columns of the planner's schedule
    sample: np.ndarray        # the draws the expected-cost plan was made on
    unit: str = "classes"     # what the plans cover: 'classes' (a school list) or 'seats'
    closures: pd.DataFrame | None = None     # plan, then the planner's closures.csv columns (plan.closures)
    conversions: pd.DataFrame | None = None  # plan, then the planner's conversions.csv columns (plan.conversions)


def compare_plans(scenario, quantiles=(0.5, 0.9), sample: int = 30, progress: bool = False) -> RobustComparison:
    """Make the quantile plans and the expected-cost plan, and evaluate each on every draw
    (module docstring). ``sample`` draws (at most all of them) are chosen with the scenario's
    seed for the stochastic program; 0.5 is always among the quantiles, as the regret's base."""
    from tqdm.auto import tqdm

    from capsim.assessment import assess
    from capsim.planner import plan_context
    from capsim.projection import project

    scenario = _for_robust(scenario)
    _check(scenario, quantiles, sample)
    quantiles = sorted(set(quantiles) | {0.5})
    steps = 2 + len(quantiles) + 1
    with tqdm(total=steps, desc="robust plans", unit="step", disable=not progress or None, leave=False) as bar:
        projection = project(scenario)
        ctx = plan_context(scenario, projection, assess(scenario, projection))
        bar.update()
        unit = (InClasses if ctx.inputs.cohorts is not None else InSeats)(ctx, projection.student_draws)
        bar.update()
        rng = np.random.default_rng(scenario.uncertainty.seed)
        D = unit.draws.shape[3]
        chosen = np.sort(rng.choice(D, min(sample, D), replace=False))
        plans = {}
        for q in quantiles:
            plans[_name(q)] = _solve(unit.inputs(np.quantile(unit.draws, q, axis=3)), scenario)
            bar.update()
        plans["expected"] = _solve(unit.inputs(unit.draws[..., chosen]), scenario)
        bar.update()
    per_draw = {name: unit.evaluate(m, sol) for name, (m, sol) in plans.items()}
    closures, conversions = _decisions(plans, ctx)
    return RobustComparison(_table(per_draw, closures, conversions), _draw_table(per_draw),
                            _schedules(plans, ctx.regions), chosen, unit.name, closures, conversions)


class InSeats:
    """Plans of seats (region places only): ``draws`` (R, K, Y, D) seats needed beyond those that
    exist."""

    name = "seats"

    def __init__(self, ctx, student_draws):
        self.ctx = ctx
        self.draws = np.maximum(draw_demand(student_draws, ctx) - ctx.cells.lawful[..., None], 0.0)

    def inputs(self, need):
        """The plan's inputs for ``need`` (R, K, Y) or samples of it (R, K, Y, S)."""
        return replace(self.ctx.inputs, need=need)

    def evaluate(self, m, sol) -> dict:
        from capsim.planner import openings

        return evaluate(m, openings(m, sol), self.draws)


class InClasses:
    """Plans in whole classes: ``draws`` (Z, K, Y, D) pupils of each pool (region or zone) and
    (level, grade) cell."""

    name = "classes"

    def __init__(self, ctx, student_draws):
        self.ctx = ctx
        c = ctx.inputs.cohorts
        region = draw_demand(student_draws, ctx)                                # (R, K, Y, D)
        if c.pool_region is None:
            self.draws = region
        else:                     # a zone keeps its share of the region's pupils (classes.zone_shares)
            whole = ctx.cells.demand[c.pool_region]
            count = np.bincount(c.pool_region)[c.pool_region][:, None, None]
            share = np.where(whole > 0, c.pupils / np.where(whole > 0, whole, 1.0), 1.0 / count)
            self.draws = region[c.pool_region] * share[..., None]

    def inputs(self, pupils):
        """The plan's inputs for ``pupils`` (Z, K, Y) or samples of them (Z, K, Y, S)."""
        from capsim.planner.classes import sampled

        c = self.ctx.inputs.cohorts
        c = replace(c, pupils=pupils) if pupils.ndim == 3 else sampled(c, pupils)
        return replace(self.ctx.inputs, cohorts=c, need=c.pupils)

    def evaluate(self, m, sol) -> dict:
        """Cost and shortfall of the plan's decisions on every draw (module docstring)."""
        from capsim.planner import openings, seats_added
        from capsim.planner.class_policy import mothballed, run
        from capsim.planner.model import discount, rent_price
        from capsim.planner.result import decided_rooms

        inp, c = self.ctx.inputs, self.ctx.inputs.cohorts
        Z = c.rooms.shape[0]
        x = openings(m, sol)
        rooms = c.rooms + seats_added(m, x, c.project_rooms, Z, c.pool_of(inp.projects))
        changed = decided_rooms(m, sol)
        if changed is not None:
            rooms = rooms + changed[:Z]
        rent_room = rent_price(m)[0, :, 0] if m.rent_index is not None else None
        r = run(c, rooms, self.draws, inp.penalty, rent_room)
        d = discount(inp)
        cost = np.einsum("zktd,t->d", r.short, inp.penalty * d)
        if rent_room is not None:
            cost += np.einsum("zltd,l,t->d", r.rented, rent_room, d)
        if inp.empty_room_cost:
            cost += np.einsum("zltd,t->d", r.empty, inp.empty_room_cost * d)
        if m.mothball_index is not None and np.isfinite(sol.values).all():
            mb, reopened = mothballed(_planned_mothballs(m, sol, Z), r.empty)
            cost += np.einsum("zltd,t->d", mb, (inp.mothball_cost - (inp.empty_room_cost or 0.0)) * d)
            cost += np.einsum("zltd,t->d", reopened, inp.reopen_cost * d)
        build = _decision_cost(m, sol)
        return {"x": x, "own": build, "cost": build + cost, "shortfall": r.short.sum(axis=(0, 1, 2)),
                "seats": _seats(inp, x)}


def _planned_mothballs(m, sol, Z: int) -> np.ndarray:
    """(Z, L, Y) the rooms a plan mothballs: its own, or for a plan made for several samples (its
    pools repeated once per sample) those it mothballs in every one."""
    mb = np.rint(sol.values[m.mothball_index])
    return mb.reshape((-1, Z) + mb.shape[1:]).min(axis=0)


def _decision_cost(m, sol) -> float:
    """The objective's terms on openings, closures and conversions (shared by every draw)."""
    index = [m.x_index[m.x_index >= 0]] + [i.reshape(-1) for i in (m.shut_index, m.convert_index) if i is not None]
    index = np.concatenate(index)
    if not np.isfinite(sol.values).all():
        return 0.0
    return float(m.c[index] @ np.rint(sol.values[index]))


def draw_demand(student_draws: pd.DataFrame, ctx) -> np.ndarray:
    """(R, K, Y, D) pupils per draw on the plan's regions, capacity cells and years (a cell's
    grade, or all the level's grades where the cell is a whole level)."""
    years, cells = ctx.inputs.years, ctx.cells
    t = student_draws[student_draws.year.isin(years) & student_draws.level.isin(ctx.levels)]
    cell = cells.index(pd.Index(ctx.levels).get_indexer(t.level), t.grade)
    D = int(t.draw.max()) + 1
    out = np.zeros((len(ctx.regions), len(cells.level), len(years), D))
    np.add.at(out, (pd.Index(ctx.regions).get_indexer(t.region), cell, np.searchsorted(years, t.year),
                    t.draw.to_numpy()), t.students.to_numpy())
    return out


def evaluate(m, x: np.ndarray, need: np.ndarray) -> dict:
    """Cost and shortfall of openings ``x`` (P, Y) on every draw of ``need`` (R, K, Y, D)
    (plans of seats)."""
    from capsim.planner import seats_added
    from capsim.planner.model import discount

    inp = m.inputs
    gap = np.maximum(need - seats_added(m, x)[..., None], 0.0)
    unit = (min(float(inp.penalty), float(inp.rent_cost)) if inp.rent_cost else float(inp.penalty)) * discount(inp)
    ok = m.x_index >= 0
    build = float(m.c[m.x_index[ok]] @ x[ok])
    cost = build + np.einsum("rltd,t->d", gap, unit)
    return {"x": x, "own": build, "cost": cost, "shortfall": gap.sum(axis=(0, 1, 2)), "seats": _seats(inp, x)}


def _seats(inp, x) -> float:
    """Places the openings ``x`` (P, Y) add, as rated."""
    return float((inp.projects.seats.sum(axis=1)[:, None] * x).sum())


def _for_robust(scenario):
    """The scenario keeping its draws, planning by region where it plans school by school, and
    without its catchment areas (robust plans choose what to build and when; zoning areas to
    schools is the catchment level of ``capsim plan``, made for one demand path), so without the
    minimum school size too (it counts each school's own pupils, which only that level has)."""
    u = scenario.uncertainty.model_copy(update={"keep_draws": True})
    update = {"uncertainty": u}
    plan = {}
    if scenario.plan.granularity == "school":
        plan["granularity"] = "region"
    if scenario.data.areas is not None or scenario.data.travel is not None:
        update["data"] = scenario.data.model_copy(update={"areas": None, "travel": None})
        plan["min_school_pupils"] = None
    if plan:
        update["plan"] = scenario.plan.model_copy(update=plan)
    return scenario.model_copy(update=update)


def _check(scenario, quantiles, sample) -> None:
    from capsim.errors import Problem, ScenarioError

    problems = []
    if scenario.data.projects is None:
        problems.append(Problem(f"{scenario.source}: data.projects", "robust plans need a projects table.", None,
                                "add data.projects."))
    if scenario.uncertainty.draws < 2:
        problems.append(Problem(f"{scenario.source}: uncertainty.draws", "robust plans need several draws.",
                                scenario.uncertainty.draws, "set uncertainty.draws to 20 or more."))
    bad = [q for q in quantiles if not 0 < q < 1]
    if bad:
        problems.append(Problem("quantiles", "must lie strictly between 0 and 1.", bad, "use e.g. 0.5,0.9."))
    if sample < 1:
        problems.append(Problem("sample", "must be at least 1 draw.", sample, "use e.g. 30."))
    if problems:
        raise ScenarioError(problems)


def _name(q: float) -> str:
    return "median" if q == 0.5 else f"q{q:g}"


def _solve(inputs, scenario):
    """(model, solution) of the plan for ``inputs``."""
    from capsim.planner import model as milp
    from capsim.planner import solve_model

    m = milp.build(inputs)
    return m, solve_model(m, scenario)


def _table(per_draw, closures=None, conversions=None) -> pd.DataFrame:
    base = per_draw["median"]["cost"]
    count = {key: (frame.groupby("plan").school.nunique() if frame is not None else pd.Series(dtype=int))
             for key, frame in (("closed", closures), ("converted", conversions))}
    rows = []
    for name, r in per_draw.items():
        regret = r["cost"] - base
        rows.append({"plan": name, "projects": int(r["x"].sum()), "schools_closed": int(count["closed"].get(name, 0)),
                     "schools_converted": int(count["converted"].get(name, 0)), "seats_added": r["seats"],
                     "plan_cost_yuan": r["own"], "mean_cost_yuan": r["cost"].mean(),
                     "p90_cost_yuan": np.quantile(r["cost"], 0.9),
                     "mean_shortfall_seat_years": r["shortfall"].mean(),
                     "draws_short_share": float((r["shortfall"] > 0.5).mean()),
                     "mean_regret_yuan": regret.mean(), "p90_regret_yuan": np.quantile(regret, 0.9),
                     "max_regret_yuan": regret.max(), "better_than_median_share": float((regret < -0.5).mean())})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _draw_table(per_draw) -> pd.DataFrame:
    base = per_draw["median"]["cost"]
    return pd.concat([pd.DataFrame({"plan": name, "draw": np.arange(len(r["cost"])), "cost_yuan": r["cost"],
                                    "shortfall_seat_years": r["shortfall"], "regret_yuan": r["cost"] - base})
                      for name, r in per_draw.items()], ignore_index=True)


def _decisions(plans, ctx):
    """(closures, conversions): each plan's schools closed and converted, as ``capsim plan``
    lists them (None where the scenario allows neither)."""
    from capsim.planner.result import closure_frame, conversion_frame

    out = []
    for frame in (lambda m, sol: closure_frame(m, sol, ctx.regions),
                  lambda m, sol: conversion_frame(m, sol, ctx.regions, ctx.levels)):
        parts = {name: frame(m, sol) for name, (m, sol) in plans.items()}
        kept = [f.assign(plan=name) for name, f in parts.items() if f is not None]
        out.append(pd.concat(kept, ignore_index=True).pipe(lambda f: f[["plan", *f.columns[:-1]]]) if kept else None)
    return tuple(out)


def _schedules(plans, regions) -> pd.DataFrame:
    from capsim.planner import schedule_frame

    from capsim.planner import openings

    return pd.concat([schedule_frame(m, openings(m, sol), regions).assign(plan=name) for name, (m, sol) in plans.items()],
                     ignore_index=True).pipe(lambda f: f[["plan", *f.columns[:-1]]])
