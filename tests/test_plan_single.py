"""Single assignment solved from a start (capsim.planner.single): the same optimum as solving the
whole model, a start that is a plan of the whole model, and bounds that hold."""

from dataclasses import replace

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, variable_years
from capsim.planner.formulation import FORMULATIONS, arrays, solve_as
from capsim.planner.single import blocks_of, solve_single
from capsim.planner.solve import solve, solve_scipy
from test_plan import _projects


def _city(seed, areas=14, schools=4, candidates=3, years=3, single=True, rezoning=0.0):
    """A small city: areas with pupils of two levels growing 20 %, primary and junior schools,
    new-school candidates of either level, pairs within 5 km of a 10 km square; ``rezoning``
    yuan a pupil rezoned."""
    rng = np.random.default_rng(seed)
    J = schools + candidates
    where = rng.uniform(0, 10, (areas + J, 2))
    km = np.hypot(*(where[:areas, None, :] - where[None, areas:, :]).transpose(2, 0, 1))
    level = np.arange(J) % 2
    pupils = rng.uniform(50, 250, (areas, 2))[:, :, None] * np.linspace(1, 1.2, years)
    seats = np.zeros((J, 2, years))
    seats[np.arange(schools), level[:schools]] = rng.integers(10, 25, schools)[:, None] * 45.0
    added = np.zeros((candidates, 2))
    added[np.arange(candidates), level[schools:]] = 900.0
    projects = _projects(np.zeros(candidates, int), added[:, 0], 900.0 * 60_000 * np.ones(candidates),
                         np.ones(candidates), np.full(candidates, 2026), np.full(candidates, 2024 + years))
    projects = projects.__class__(**{**projects.__dict__, "levels": ("primary", "junior"), "seats": added})
    catch = Catchment(pupils=pupils, area_region=np.zeros(areas, int), seats=seats,
                      project_site=schools + np.arange(candidates), cost=np.where(km <= 5, 300 * km, np.inf),
                      single=single, rezoning_cost=rezoning)
    return milp.PlanInputs(years=np.arange(2025, 2025 + years), need=np.zeros((1, 2, years)), projects=projects,
                           budget_total=2 * 900.0 * 60_000, discount_rate=0.03, penalty=150_000, catchment=catch)


def _violations(a, values, tol=1e-6):
    bad = 0
    for _, A, sense, rhs in a.families:
        lhs = A @ values
        slack = (rhs - lhs) if sense == "<=" else (lhs - rhs)
        bad += int((slack < -tol * np.maximum(1.0, np.abs(rhs))).sum())
    return bad + int((values < a.lb - tol).sum() + (values > a.ub + tol).sum())


@pytest.mark.parametrize("rezoning", [0.0, 2_000.0])
@pytest.mark.parametrize("seed", range(3))
def test_solving_from_a_start_reaches_the_whole_models_optimum_found_by_scipy(seed, rezoning):
    """scipy's milp on the whole model (no start, no blocks) is the independent reference; with a
    rezoning cost the years are tied and step 2 zones them one after another."""
    m = milp.build(_city(seed, years=4, rezoning=rezoning))
    a = arrays(m, "step")
    assert (m.assignment.u_index is not None) == (rezoning > 0)
    ref = solve_scipy(a.c, a.families, a.lb, a.ub, a.integer, time_limit=120, gap=1e-9)
    assert ref.status == "optimal"
    got = solve_single(a, m.assignment.z_index, variable_years(m), m.assignment.u_index, time_limit=60, gap=1e-9)
    assert got.status == "optimal"
    assert got.objective == pytest.approx(ref.objective, rel=1e-7)
    assert got.bound <= ref.objective * (1 + 1e-9)              # a bound on the true optimum
    assert _violations(a, got.values) == 0
    assert np.allclose(got.values[a.integer], np.round(got.values[a.integer]))


def test_the_split_plan_bounds_the_single_one_from_below():
    """Relaxing the zoning only widens the choice: split assignment never costs more."""
    for seed in range(3):
        single, split = milp.build(_city(seed)), milp.build(_city(seed, single=False))
        s, t = arrays(single, "step"), arrays(split, "step")
        one = solve(s.c, s.families, s.lb, s.ub, s.integer, gap=1e-9)
        many = solve(t.c, t.families, t.lb, t.ub, t.integer, gap=1e-9)
        assert many.objective <= one.objective * (1 + 1e-9)


def test_with_the_openings_fixed_each_level_and_year_is_a_block_and_the_zoned_start_is_a_plan():
    m = milp.build(_city(0, years=4))
    a = arrays(m, "step")
    z = m.assignment.z_index
    relaxed = a.integer.copy()
    relaxed[z] = False
    split = solve(a.c, a.families, a.lb, a.ub, relaxed, gap=1e-9)
    fixed = a.integer & ~np.isin(np.arange(len(a.c)), z)
    values = np.round(split.values)
    blocks = list(blocks_of(a, fixed, values))
    assert len(blocks) == 2 * 4                           # two levels, four years, nothing couples them
    for cols, families in blocks:
        sub = solve(a.c[cols], families, a.lb[cols], a.ub[cols], a.integer[cols], gap=1e-9)
        values[cols] = sub.values
    assert _violations(a, values) == 0
    assert a.c @ values >= split.objective * (1 - 1e-9)
    # each block is one zoning level and year: the w of a block share them
    asg = m.assignment
    for cols, _ in blocks:
        w = np.isin(asg.w_index, cols)
        assert len({(lv, t) for lv, t in zip(asg.cell[w], asg.year[w])}) == 1


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_start_handed_to_the_solver_is_kept_when_it_has_no_time_to_search(solver):
    m = milp.build(_city(1, areas=40, schools=8, candidates=4, years=4))
    a = arrays(m, "step")
    best = solve_single(a, m.assignment.z_index, solver="highs", time_limit=30, gap=1e-3)
    assert _violations(a, best.values) == 0
    started = solve(a.c, a.families, a.lb, a.ub, a.integer, solver=solver, time_limit=0.01, start=best.values)
    assert started.status in ("optimal", "feasible")
    assert started.objective <= best.objective * (1 + 1e-9)


@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_an_area_without_pupils_of_a_level_leaves_no_variable_without_a_value(single, solver):
    """Its unserved share is in no row and costs nothing; it must still come back with a value."""
    inp = _city(2, single=single)
    pupils = inp.catchment.pupils.copy()
    pupils[0, 1] = 0.0
    m = milp.build(replace(inp, catchment=replace(inp.catchment, pupils=pupils)))
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, solver=solver, gap=1e-6)
        assert sol.status == "optimal"
        assert np.isfinite(sol.values).all()
