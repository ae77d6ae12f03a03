"""The planner: optimality checked against brute force and an independent formulation."""

import itertools
import shutil

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.examples import tiny, tiny_path
from capsim.planner import model as milp
from capsim.planner import plan
from capsim.planner.locate import locate
from capsim.planner.projects import Projects
from capsim.planner.formulation import FORMULATIONS, arrays, solve_as
from capsim.planner.solve import solve, solve_scipy


def _projects(region, seats, cost, build, earliest, latest, committed=None, group=None, requires=None,
              duration=None, school=None):
    P = len(seats)
    return Projects(
        ids=tuple(f"p{i}" for i in range(P)), names=tuple(f"p{i}" for i in range(P)),
        region=np.asarray(region), kind=np.full(P, "new"), type=np.full(P, "primary"),
        school=np.full(P, -1) if school is None else np.asarray(school), levels=("primary",),
        seats=np.asarray(seats, dtype=float)[:, None], cost=np.asarray(cost, dtype=float),
        build_years=np.asarray(build, dtype=float), earliest=np.asarray(earliest, dtype=float),
        latest=np.asarray(latest, dtype=float),
        committed=np.full(P, np.nan) if committed is None else np.asarray(committed, dtype=float),
        group=np.full(P, "") if group is None else np.asarray(group), requires=np.full(P, -1) if requires is None
        else np.asarray(requires), duration=np.full(P, np.inf) if duration is None else np.asarray(duration, float),
    )


def _brute_force(inp: milp.PlanInputs) -> float:
    """Cheapest plan by enumerating every choice of opening year (or none), written independently."""
    p, years = inp.projects, inp.years
    P, Y = len(p.cost), len(years)
    d = (1 + inp.discount_rate) ** -(years - years[0])
    best = np.inf
    for choice in itertools.product(*[[None] + [y for y in range(Y) if p.earliest[i] <= years[y] <= p.latest[i]]
                                      for i in range(P)]):
        spend = np.zeros(Y)
        for i, y in enumerate(choice):
            if y is None:
                continue
            for k in range(1, int(p.build_years[i]) + 1):
                spend[max(y - k, 0)] += p.cost[i] / p.build_years[i]
        groups = [p.group[i] for i, y in enumerate(choice) if y is not None and p.group[i]]
        if len(groups) != len(set(groups)):
            continue
        if any(y is not None and p.requires[i] >= 0 and (choice[p.requires[i]] is None or choice[p.requires[i]] > y)
               for i, y in enumerate(choice)):
            continue
        if inp.budget_yearly is not None and (spend > inp.budget_yearly + 1e-6).any():
            continue
        if inp.budget_total is not None and spend.sum() > inp.budget_total + 1e-6:
            continue
        added = np.zeros(inp.need.shape)
        for i, y in enumerate(choice):
            if y is not None:
                added[p.region[i], 0, y:] += p.seats[i, 0]
        short = np.maximum(inp.need - added, 0).sum(axis=(0, 1))      # (Y,) seats short, discounted like costs
        best = min(best, spend @ d + inp.penalty * (short @ d))
    return best


def _random_instance(seed):
    rng = np.random.default_rng(seed)
    P, Y, R = 5, 4, 2
    region = rng.integers(0, R, P)
    seats = rng.integers(2, 8, P) * 100
    cost = seats * rng.uniform(30_000, 60_000, P)
    earliest = 2021 + rng.integers(0, 2, P)
    projects = _projects(region, seats, cost, rng.integers(1, 3, P), earliest, np.full(P, 2024),
                         group=np.array(["g", "g", "", "", ""]), requires=np.array([-1, -1, -1, 2, -1]))
    need = np.cumsum(rng.integers(0, 400, size=(R, 1, Y)), axis=2).astype(float)
    return milp.PlanInputs(years=np.arange(2021, 2025), need=need, projects=projects,
                           budget_yearly=np.full(Y, cost.sum() / 3), budget_total=cost.sum() * 0.7,
                           discount_rate=0.03, penalty=60_000)


def _satisfies(m, values, tol=1e-6):
    """True if ``values`` (the model's own pulse variables) meet every family and bound."""
    ok = (values >= m.lb - tol).all() and (values <= m.ub + tol).all()
    for _, A, sense, rhs in m.families:
        lhs = A @ values
        ok &= bool((lhs <= rhs + tol).all() if sense == "<=" else (lhs >= rhs - tol).all())
    return ok and np.allclose(values[m.integer], np.rint(values[m.integer]))


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("seed", range(6))
def test_plan_cost_equals_brute_force(seed, formulation):
    inp = _random_instance(seed)
    m = milp.build(inp)
    sol = solve_as(m, formulation, gap=1e-9)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_force(inp), rel=1e-7)
    assert _satisfies(m, sol.values)                 # step solutions come back as pulse variables
    assert m.c @ sol.values == pytest.approx(sol.objective, rel=1e-9)
    for other in ("cbc", "scipy"):
        assert solve_as(m, formulation, solver=other, gap=1e-9).objective == pytest.approx(sol.objective, rel=1e-7)


def test_step_formulation_is_a_change_of_variables():
    """Hand-worked: a project with window 2021-2023 has z = cumulative x, so x = D z."""
    projects = _projects([0], [100], [1e6], [1], [2021], [2023])
    m = milp.build(milp.PlanInputs(years=np.arange(2021, 2024), need=np.zeros((1, 1, 3)), projects=projects))
    a = arrays(m, "step")
    z = np.zeros(m.n)
    z[m.x_index[0]] = [0, 1, 1]                      # open by 2022 and by 2023
    x = a.D @ z
    assert x[m.x_index[0]].tolist() == [0, 1, 0]     # opens in 2022
    assert a.c @ z == pytest.approx(m.c @ x)
    rows = dict((name, (A, rhs)) for name, A, _, rhs in a.families)
    A, _ = rows["monotone"]
    assert (A @ z >= 0).all() and not (A @ np.where(np.arange(m.n) == m.x_index[0, 1], 1.0, 0.0) >= 0).all()


def test_committed_projects_open_in_their_year_and_temporary_seats_end():
    projects = _projects([0, 0], [500, 300], [1e7, 1e6], [1, 1], [2021, 2021], [2024, 2024],
                         committed=[2022, np.nan], duration=[np.inf, 1])
    need = np.array([[[0, 500, 800, 800]]], dtype=float)
    inp = milp.PlanInputs(years=np.arange(2021, 2025), need=need, projects=projects, penalty=1e6)
    m = milp.build(inp)
    sol = solve(m.c, m.families, m.lb, m.ub, m.integer)
    x = np.rint(sol.values[m.x_index[m.x_index >= 0]])
    assert sol.values[m.x_index[0, 1]] == 1
    # the temporary 300 seats stand one year: they cover 2023 or 2024, never both: 300 seat-years short
    assert sol.values[m.short_index].sum() == pytest.approx(300)
    assert x.sum() == 2


def _cflp(seed, I=7, J=4):
    rng = np.random.default_rng(seed)
    a = rng.integers(10, 60, I).astype(float)
    cap = rng.integers(70, 150, J).astype(float)
    f = rng.integers(200, 900, J).astype(float)
    c = rng.uniform(1, 20, (I, J))
    return a, cap, f, c


def _brute_force_single(a, cap, f, c):
    best = np.inf
    for assign in itertools.product(range(c.shape[1]), repeat=len(a)):
        load = np.bincount(assign, weights=a, minlength=c.shape[1])
        if (load <= cap + 1e-9).all():
            best = min(best, f[np.unique(assign)].sum() + sum(c[i, j] * a[i] for i, j in enumerate(assign)))
    return best


def _scipy_cflp(a, cap, f, c, single):
    """An independent (weak) formulation: variables [x (flows, pupils), y]; no x <= y rows."""
    from scipy.optimize import Bounds, LinearConstraint, milp as scipy_milp

    I, J = c.shape
    obj = np.concatenate([c.reshape(-1) * np.repeat(a, J) if single else c.reshape(-1), f])
    A_serve = np.zeros((I, I * J + J))
    A_cap = np.zeros((J, I * J + J))
    for i in range(I):
        for j in range(J):
            A_serve[i, i * J + j] = 1 if single else 1
            A_cap[j, i * J + j] = a[i] if single else 1
    for j in range(J):
        A_cap[j, I * J + j] = -cap[j]
    rhs = np.ones(I) if single else a
    ub = np.concatenate([np.full(I * J, 1 if single else np.inf), np.ones(J)])
    res = scipy_milp(obj, constraints=[LinearConstraint(A_serve, rhs, rhs), LinearConstraint(A_cap, -np.inf, 0)],
                     integrality=np.concatenate([np.full(I * J, int(single)), np.ones(J)]), bounds=Bounds(0, ub))
    return res.fun


@pytest.mark.parametrize("seed", range(4))
def test_locate_single_assignment_matches_brute_force_and_scipy(seed):
    a, cap, f, c = _cflp(seed, I=6, J=3)
    loc = locate(a, cap, f, c, single=True)
    assert loc.solution.status == "optimal"
    assert loc.cost == pytest.approx(_brute_force_single(a, cap, f, c), rel=1e-9)
    assert loc.cost == pytest.approx(_scipy_cflp(a, cap, f, c, single=True), rel=1e-9)
    assert set(np.unique(loc.share)) <= {0.0, 1.0}
    np.testing.assert_allclose(loc.share.sum(axis=1), 1)


@pytest.mark.parametrize("seed", range(4))
def test_locate_split_assignment_matches_scipy_and_is_no_dearer_than_single(seed):
    a, cap, f, c = _cflp(seed, I=12, J=6)
    split = locate(a, cap, f, c, single=False)
    assert split.cost == pytest.approx(_scipy_cflp(a, cap, f, c, single=False), rel=1e-9)
    assert split.cost <= locate(a, cap, f, c, single=True).cost + 1e-6
    load = (split.share * a[:, None]).sum(axis=0)
    assert (load <= cap * split.open + 1e-6).all()


def test_locate_existing_sites_and_reach():
    a = np.array([100.0, 100.0])
    # site 0 exists (free, small), site 1 is far from area 1 (not allowed), site 2 opens at a cost
    c = np.array([[1.0, 2.0, 5.0], [1.0, 50.0, 5.0]])
    loc = locate(a, [100, 300, 300], [1e6, 10.0, 20.0], c, existing=[True, False, False], max_cost=10)
    assert loc.open[0]
    assert loc.share[1, 1] == 0
    np.testing.assert_allclose(loc.unserved, 0)


def test_time_limited_plan_is_never_called_optimal():
    rng = np.random.default_rng(0)
    P, Y, R = 400, 12, 30
    projects = _projects(rng.integers(0, R, P), rng.integers(3, 20, P) * 100, rng.uniform(1e7, 1e8, P),
                         rng.integers(1, 4, P), np.full(P, 2021), np.full(P, 2032))
    need = np.cumsum(rng.integers(0, 900, size=(R, 1, Y)), axis=2).astype(float)
    inp = milp.PlanInputs(years=np.arange(2021, 2033), need=need, projects=projects,
                          budget_yearly=np.full(Y, 3e8), discount_rate=0.03, penalty=2e5)
    m = milp.build(inp)
    sol = solve(m.c, m.families, m.lb, m.ub, m.integer, time_limit=0.5, gap=0.0)
    if sol.status == "optimal":
        assert sol.gap <= 1e-9
    elif sol.status == "feasible":
        assert sol.gap > 0 and np.isfinite(sol.bound)
    else:  # on a busy machine the limit can come before any plan is found: still not "optimal"
        assert sol.status == "no solution"


# ---------------------------------------------------------------- the tiny scenario


@pytest.fixture(scope="module")
def tiny_plan():
    return plan(tiny(use=["deterministic"]))


def test_tiny_plan_keeps_commitments_and_budgets(tiny_plan):
    s = tiny_plan.schedule.set_index("id")
    assert s.loc["NJ2-X", "open_year"] == 2023 and s.loc["NJ2-X", "committed"]
    assert "J-N1" in s.index or "J-N1b" not in s.index          # phase 2 only after phase 1
    assert not {"J-N2", "J-N3"} <= set(s.index)                 # alternatives: at most one
    assert tiny_plan.spending.groupby("year").cost_yuan.sum().max() <= 150e6 + 1
    assert tiny_plan.spending.cost_yuan.sum() <= 400e6 + 1
    assert (s[~s.committed].open_year >= 2022).all()            # lead time 2 from the base year 2020


def test_tiny_plan_classes_hold_students_or_name_the_shortfall(tiny_plan):
    g = tiny_plan.seats_by_grade  # each cohort's whole classes, at its grade's standard
    assert (g.class_seats + g.shortfall >= g.students - 1e-6).all()
    assert (g.classes == np.rint(g.classes)).all() and (g.shortfall > 0.5).any()
    rooms = tiny_plan.rooms       # the classes present share the region's classrooms
    assert (rooms.classes <= rooms.rooms_before + rooms.rooms_added + rooms.rooms_rented + 1e-6).all()
    np.testing.assert_allclose(rooms.rooms_empty, np.maximum(rooms.rooms_before + rooms.rooms_added - rooms.classes, 0))
    assert (rooms.rooms_added > 0).any()
    t = tiny_plan.seats
    by_level = g.groupby(["year", "region", "level"]).shortfall.sum()
    np.testing.assert_allclose(t.set_index(["year", "region", "level"]).shortfall.loc[by_level.index], by_level)
    short = tiny_plan.shortfalls.set_index(["year", "region", "level"])
    named = t[t.shortfall > 0.5].set_index(["year", "region", "level"])
    assert set(named.index) == set(short.index)
    assert set(short.cause) <= {"no candidate", "lead time", "size cap", "budget", "not enough candidates",
                                "classes kept"}
    # no project serves northern primary pupils: that shortfall's cause says so
    assert (short.xs(("north", "primary"), level=(1, 2)).cause == "no candidate").all()


def test_salvage_and_empty_classrooms_cost_nothing_by_default_and_price_the_tiny_plan(tiny_plan):
    """By default the objective is the discounted build cost plus penalties; with salvage (50
    years) and 10,000 yuan an empty classroom-year it is that, less each chosen project's credit,
    plus the priced empty rooms of the plan's own classroom table. Empty rooms are counted only
    when planning in classes."""
    from dataclasses import replace

    from capsim.errors import PlanError
    from capsim.planner import plan_context

    sc = tiny(use=["deterministic"], set={"plan.salvage": True, "plan.empty_room_cost": 1e4})
    inputs = plan_context(sc).inputs
    assert (inputs.asset_life, inputs.empty_room_cost) == (50, 1e4)
    d = milp.discount(inputs)
    built = milp.spending(inputs.projects, inputs.years) @ d                  # (P, Y) discounted cost
    for result, m, credit, per_room in ((tiny_plan, milp.build(replace(inputs, asset_life=None, empty_room_cost=None)),
                                         0.0, 0.0), (plan(sc), milp.build(inputs), milp.salvage(inputs), 1e4)):
        x = _openings_of(result, m)
        short = result.solution.values[m.short_index].sum(axis=(0, 1)) @ d * m.inputs.penalty
        empty = result.rooms.groupby("year").rooms_empty.sum().to_numpy() @ d * per_room
        assert result.solution.objective == pytest.approx(float(((built - credit) * x).sum()) + short + empty, rel=1e-6)
    assert (milp.salvage(inputs) * x).sum() > 0 and empty > 0
    with pytest.raises(PlanError, match="plan.empty_room_cost"):
        plan(tiny(use=["deterministic"], set={"plan.capacity": "seats", "plan.empty_room_cost": 1e4}))


def _openings_of(result, m) -> np.ndarray:
    """(P, Y) 1 where the result's schedule opens project p in year y."""
    x = np.zeros(m.x_index.shape)
    ids = list(result.projects.ids)
    for i, year in zip(result.schedule.id, result.schedule.open_year):
        x[ids.index(i), list(m.inputs.years).index(year)] = 1
    return x


def test_evaluate_mode_opens_only_committed_projects():
    res = plan(tiny(use=["deterministic"]), evaluate=True)
    assert list(res.schedule.id) == ["NJ2-X"]


def test_cbc_and_highs_agree_on_the_tiny_plan(tiny_plan):
    cbc = plan(tiny(use=["deterministic"], set={"plan.solver": "cbc"}))
    assert cbc.solution.objective == pytest.approx(tiny_plan.solution.objective, rel=2e-3)


# ---------------------------------------------------------------- bad project rows


def _bad_projects(tmp_path, edit):
    folder = tmp_path / "t"
    shutil.copytree(tiny_path().parent, folder)
    frame = pd.read_csv(folder / "projects.csv", dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(folder / "projects.csv", index=False)
    with pytest.raises(capsim.PlanError) as caught:
        plan(capsim.load_scenario(folder / "scenario.toml", use=["deterministic"]))
    return [str(p) for p in caught.value.problems]


def _set(row, column, value):
    def edit(frame):
        frame.loc[row, column] = value
    return edit


@pytest.mark.parametrize("row,column,value,fragments", [
    (1, "region", "east", ["row 3, column region", "Got 'east'", "use a region"]),
    (0, "school", "NJ9", ["row 2, column school", "Got 'NJ9'", "its id in data.schools"]),
    (1, "earliest", "2031", ["row 3, column earliest", "is after latest", "earliest <= latest"]),
    (1, "committed", "2040", ["row 3, column committed", "outside the project's opening window", "Got '2040'"]),
    (1, "cost", "-5", ["row 3, column cost", "Got '-5'", "capital cost in yuan"]),
    (1, "seats", "-100", ["row 3, column seats", "Got '-100'"]),
    (0, "seats", "900", ["row 2, column seats", "school NJ2", "over its maximum of 2,000"]),
    (3, "committed", "2024", ["column group", "north_junior_site", "could then never be chosen"]),
])
def test_bad_project_rows_name_row_value_and_fix(tmp_path, row, column, value, fragments):
    problems = _bad_projects(tmp_path, _set(row, column, value))
    assert any(all(f in p for f in fragments) for p in problems), problems
    assert all("Fix:" in p for p in problems)


def test_prerequisite_cycle_is_named(tmp_path):
    def cycle(frame):
        frame.loc[frame.id == "J-N1", "requires"] = "J-N1b"
    problems = _bad_projects(tmp_path, cycle)
    assert any("prerequisites form a cycle" in p and "J-N1 -> J-N1b -> J-N1" in p for p in problems), problems


def test_run_and_cli_plan_write_the_schedule(tmp_path, capsys):
    from capsim.cli import main

    res = capsim.run(tiny(use=["deterministic"]))
    assert {"id", "start_year", "open_year", "seats", "cost_yuan"} <= set(res.schedule.columns)
    assert list(res.assessment.columns[:4]) == ["year", "region", "level", "students"]
    assert main(["plan", str(tiny_path()), "--use", "deterministic", "--out", str(tmp_path / "p")]) == 0
    names = {p.name for p in (tmp_path / "p").iterdir()}
    assert {"schedule.csv", "spending.csv", "shortfalls.csv", "seats_after_plan.csv", "plan_summary.csv"} <= names
    written = pd.read_csv(tmp_path / "p" / "schedule.csv", encoding="utf-8-sig")
    assert written.start_year.dtype.kind == written.open_year.dtype.kind == "i"     # years as years, not 2020.0
    out = capsys.readouterr().out
    assert "plan: optimal" in out and "NJ2-X" in out
    # the plan's shortfall (pupils no lawful class takes) beside the seat gap: says which is which
    assert "seat gap after the plan (lawful seats against pupils" in out
    assert "(pupils no class of lawful size takes: a district whose seats add up is still short" in out


@pytest.mark.parametrize("seed", range(4))
def test_symmetry_breaking_keeps_the_optimum(seed):
    """Three interchangeable schools plus two others: ordering the alike ones changes no cost."""
    rng = np.random.default_rng(100 + seed)
    seats = np.array([400, 400, 400, 600, 300])
    cost = np.array([2e7, 2e7, 2e7, 2.8e7, 1.6e7]) * rng.uniform(0.9, 1.1)
    projects = _projects(np.zeros(5, int), seats, cost, [1, 1, 1, 2, 1], [2021] * 5, [2024] * 5)
    need = np.cumsum(rng.integers(100, 500, size=(1, 1, 4)), axis=2).astype(float)
    inp = milp.PlanInputs(years=np.arange(2021, 2025), need=need, projects=projects, discount_rate=0.03,
                          penalty=60_000, budget_yearly=np.full(4, 4.5e7))
    assert [list(c) for c in milp.identical_classes(projects)] == [[0, 1, 2]]
    plain, ordered = milp.build(inp), milp.build(milp.PlanInputs(**{**inp.__dict__, "break_symmetry": True}))
    assert "symmetry" in [f[0] for f in ordered.families] and "symmetry" not in [f[0] for f in plain.families]
    best = _brute_force(inp)
    for m in (plain, ordered):
        sol = solve(m.c, m.families, m.lb, m.ub, m.integer, gap=1e-9)
        assert sol.objective == pytest.approx(best, rel=1e-7)
    x = np.rint(sol.values[ordered.x_index[:3]])              # (3, Y) openings of the alike schools
    opened_by = np.cumsum(x, axis=1)
    assert (opened_by[1:] <= opened_by[:-1]).all()              # they open in table order
