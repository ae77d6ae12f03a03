"""The planner over demand samples (two-stage stochastic program) against brute force and scipy."""

import itertools

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.projects import Projects
from capsim.planner.solve import solve, solve_scipy


def one_level_projects(seats, cost, build, earliest, latest):
    P = len(seats)
    return Projects(
        ids=tuple(f"p{i}" for i in range(P)), names=tuple(f"p{i}" for i in range(P)), region=np.zeros(P, int),
        kind=np.full(P, "new"), type=np.full(P, "primary"), school=np.full(P, -1), levels=("primary",),
        seats=np.asarray(seats, float)[:, None], cost=np.asarray(cost, float), build_years=np.asarray(build, float),
        earliest=np.asarray(earliest, float), latest=np.asarray(latest, float), committed=np.full(P, np.nan),
        group=np.full(P, ""), requires=np.full(P, -1), duration=np.full(P, np.inf))


def _stochastic_instance(seed, rent=None, budget=None):
    rng = np.random.default_rng(seed)
    P, Y, S = 4, 4, 3
    seats = rng.integers(2, 8, P) * 100
    projects = one_level_projects(seats, seats * rng.uniform(30_000, 60_000, P), rng.integers(1, 3, P),
                         2021 + rng.integers(0, 2, P), np.full(P, 2024))
    base = np.cumsum(rng.integers(0, 300, Y)).astype(float)
    need = (base[None, None, :, None] * rng.uniform(0.5, 1.6, S)).astype(float)        # (1, 1, Y, S)
    return milp.PlanInputs(years=np.arange(2021, 2025), need=need, projects=projects, discount_rate=0.03,
                           penalty=90_000, rent_cost=rent, budget_total=budget)


def every_opening(p, years):
    """Every choice of opening years (a year index or None per project, within its window), with
    its spending by year (spread over the build years before opening, early spending in the first
    year) and the seats it adds by year: (choice, spend (Y,), added (Y,))."""
    Y = len(years)
    for choice in itertools.product(*[[None] + [y for y in range(Y) if p.earliest[i] <= years[y] <= p.latest[i]]
                                      for i in range(len(p.cost))]):
        spend, added = np.zeros(Y), np.zeros(Y)
        for i, y in enumerate(choice):
            if y is not None:
                for k in range(1, int(p.build_years[i]) + 1):
                    spend[max(y - k, 0)] += p.cost[i] / p.build_years[i]
                added[y:] += p.seats[i, 0]
        yield choice, spend, added


def _brute_force_expected(inp) -> float:
    """Least build cost plus mean recourse cost over the samples, by enumerating every opening."""
    years = inp.years
    d = (1 + inp.discount_rate) ** -(years - years[0])
    unit = inp.penalty * d if not inp.rent_cost else np.minimum(inp.penalty, inp.rent_cost) * d
    best = np.inf
    for _, spend, added in every_opening(inp.projects, years):
        if inp.budget_total is not None and spend.sum() > inp.budget_total + 1e-6:
            continue
        missing = np.maximum(inp.need[0, 0] - added[:, None], 0)                          # (Y, S)
        best = min(best, spend @ d + (unit @ missing).mean())
    return best


@pytest.mark.parametrize("seed,rent,budget", [(0, None, None), (1, 20_000, None), (2, None, 2.5e7), (3, 5_000, None)])
def test_stochastic_plan_equals_brute_force_and_scipy(seed, rent, budget):
    inp = _stochastic_instance(seed, rent, budget)
    m = milp.build(inp)
    sol = solve(m.c, m.families, m.lb, m.ub, m.integer, gap=1e-9)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_force_expected(inp), rel=1e-7)
    ref = solve_scipy(m.c, m.families, m.lb, m.ub, m.integer, gap=1e-9)
    assert ref.objective == pytest.approx(sol.objective, rel=1e-7)


def test_one_sample_is_the_plain_model():
    inp = _stochastic_instance(4, rent=30_000, budget=3e7)
    one = milp.PlanInputs(**{**inp.__dict__, "need": inp.need[..., :1]})
    flat = milp.PlanInputs(**{**inp.__dict__, "need": inp.need[..., 0]})
    a, b = milp.build(one), milp.build(flat)
    sa = solve(a.c, a.families, a.lb, a.ub, a.integer, gap=1e-9)
    sb = solve(b.c, b.families, b.lb, b.ub, b.integer, gap=1e-9)
    assert sa.objective == pytest.approx(sb.objective, rel=1e-9)
