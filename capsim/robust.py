"""Plans against the forecast's uncertainty, and how each plan fares on every draw.

Three kinds of plan are made from the same forecast draws ``demand[r, l, t, d]`` (pupils of
region ``r``, capacity cell ``l`` (a level, or a level's grade with a school list:
:mod:`capsim.planner.cells`), plan year ``t`` in draw ``d``) and the lawful seats that exist
``seats[r, l, t]`` (the network before the plan, which does not depend on the draw)::

    need_d = max(demand_d - seats, 0)                       seats missing in draw d

* ``median`` and ``q0.9`` (any quantile ``q``): the ordinary plan for ``need`` at the
  per-cell ``q``-quantile of the draws (a quantile plan covers demand in about ``q`` of the
  futures, cell by cell);
* ``expected``: the two-stage stochastic program of :mod:`capsim.planner.model` over a sample
  of ``S`` draws: one set of openings, the rent and shortfall of each draw, least build cost
  plus the *mean* cost of renting and shortfall.

Every plan ``x`` is then evaluated on every draw, without re-optimising the openings::

    gap_d    = max(need_d - added(x), 0)                    seats still missing
    cost_d   = build(x) + sum_{r,l,t} min(penalty, rent_cost disc_t) gap_d[r,l,t]
    regret_d = cost_d(plan) - cost_d(median plan)

where ``build(x)`` is the plan's discounted build cost (the MILP's objective without the
shortfall) and renting is used where it is cheaper than the shortfall penalty; renting's
budget is not checked in this evaluation. Regret is against the plan made for the median,
so the median plan's regret is zero on every draw; a negative regret means the plan did
better than the median plan on that draw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

COLUMNS = ("plan", "projects", "seats_added", "build_cost_yuan", "mean_cost_yuan", "p90_cost_yuan",
           "mean_shortfall_seat_years", "draws_short_share", "mean_regret_yuan", "p90_regret_yuan",
           "max_regret_yuan", "better_than_median_share")


@dataclass(frozen=True)
class RobustComparison:
    table: pd.DataFrame       # one row per plan: COLUMNS
    draws: pd.DataFrame       # plan, draw, cost_yuan, shortfall_seat_years, regret_yuan
    schedules: pd.DataFrame   # plan, then the columns of the planner's schedule
    sample: np.ndarray        # the draws the expected-cost plan was made on


def compare_plans(scenario, quantiles=(0.5, 0.9), sample: int = 30, progress: bool = False) -> RobustComparison:
    """Make the quantile plans and the expected-cost plan, and evaluate each on every draw
    (module docstring). ``sample`` draws (at most all of them) are chosen with the scenario's
    seed for the stochastic program; 0.5 is always among the quantiles, as the regret's base."""
    from tqdm.auto import tqdm

    from capsim.assessment import assess
    from capsim.planner import plan_context
    from capsim.projection import project

    scenario = _keeping_draws(scenario)
    _check(scenario, quantiles, sample)
    quantiles = sorted(set(quantiles) | {0.5})
    steps = 2 + len(quantiles) + 1
    with tqdm(total=steps, desc="robust plans", unit="step", disable=not progress or None, leave=False) as bar:
        projection = project(scenario)
        ctx = plan_context(scenario, projection, assess(scenario, projection), capacity="seats")
        bar.update()
        demand = draw_demand(projection.student_draws, ctx)                  # (R, K, Y, D)
        need = np.maximum(demand - ctx.cells.lawful[..., None], 0.0)
        bar.update()
        rng = np.random.default_rng(scenario.uncertainty.seed)
        chosen = np.sort(rng.choice(need.shape[3], min(sample, need.shape[3]), replace=False))
        plans = {}
        for q in quantiles:
            plans[_name(q)] = _solve(ctx, np.quantile(need, q, axis=3), scenario)
            bar.update()
        plans["expected"] = _solve(ctx, need[..., chosen], scenario)
        bar.update()
    per_draw = {name: evaluate(model, x, need) for name, (model, x) in plans.items()}
    return RobustComparison(_table(per_draw), _draw_table(per_draw), _schedules(plans, ctx.regions), chosen)


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
    """Cost and shortfall of openings ``x`` (P, Y) on every draw of ``need`` (R, K, Y, D)."""
    from capsim.planner import seats_added
    from capsim.planner.model import discount

    inp = m.inputs
    gap = np.maximum(need - seats_added(m, x)[..., None], 0.0)
    unit = np.full(len(inp.years), float(inp.penalty))
    if inp.rent_cost:
        unit = np.minimum(unit, inp.rent_cost * discount(inp))
    ok = m.x_index >= 0
    build = float(m.c[m.x_index[ok]] @ x[ok])
    cost = build + np.einsum("rltd,t->d", gap, unit)
    seats = float((inp.projects.seats.sum(axis=1)[:, None] * x).sum())
    return {"x": x, "build": build, "cost": cost, "shortfall": gap.sum(axis=(0, 1, 2)), "seats": seats}


def _keeping_draws(scenario):
    u = scenario.uncertainty.model_copy(update={"keep_draws": True})
    return scenario.model_copy(update={"uncertainty": u})


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


def _solve(ctx, need, scenario):
    """(model, openings x) of the plan for ``need`` ((R, L, Y) or (R, L, Y, S))."""
    from capsim.planner import model as milp
    from capsim.planner import openings, solve_model

    m = milp.build(replace(ctx.inputs, need=need))
    return m, openings(m, solve_model(m, scenario))


def _table(per_draw) -> pd.DataFrame:
    base = per_draw["median"]["cost"]
    rows = []
    for name, r in per_draw.items():
        regret = r["cost"] - base
        rows.append({"plan": name, "projects": int(r["x"].sum()), "seats_added": r["seats"],
                     "build_cost_yuan": r["build"], "mean_cost_yuan": r["cost"].mean(),
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


def _schedules(plans, regions) -> pd.DataFrame:
    from capsim.planner import schedule_frame

    return pd.concat([schedule_frame(m, x, regions).assign(plan=name) for name, (m, x) in plans.items()],
                     ignore_index=True).pipe(lambda f: f[["plan", *f.columns[:-1]]])
