"""A valid scenario always gets a plan back, each shortfall named: budgets that commitments
alone exceed, no candidates at all, no plan found in time.

The shortfall named is checked against the plan's own classes: in every cohort and year, the
pupils beyond its classes at the grade's standard.
"""

import numpy as np
import pytest

import capsim
import capsim.planner as planner
from capsim.cli import main
from capsim.planner.solve import Solution

FAST = ["--use", "deterministic", "--quiet"]


def _load(folder, **settings):
    return capsim.load_scenario(folder / "scenario.toml", use=["deterministic"], set=settings)


def _uncovered(res) -> float:
    """Pupil-years the plan's classes leave without a class seat, cohort by cohort and year: the
    pupils beyond the cohort's classes at the grade's standard (worked from the plan's classes)."""
    g = res.seats_by_grade
    short = np.maximum(g.students - g.class_seats, 0)
    return float(short[short > 0.5].sum())          # the shortfall table names cells short of half a pupil or more


def test_a_zero_budget_with_commitments_builds_the_commitments_only(tiny, capsys):
    res = capsim.plan(_load(tiny, **{"plan.budget_total": 0}))
    assert list(res.schedule.id) == ["NJ2-X"] and res.schedule.committed.all()
    assert "15,000,000 over plan.budget_total" in res.notes
    assert res.shortfalls.seats.sum() == pytest.approx(_uncovered(res), rel=1e-6)
    assert main(["run", str(tiny / "scenario.toml"), "--set", "plan.budget_total=0", "--out",
                 str(tiny.parent / "o"), *FAST]) == 0


def test_a_projects_table_with_only_its_header_plans_nothing_and_names_every_shortfall(tiny):
    header = (tiny / "projects.csv").read_text(encoding="utf-8").splitlines()[0]
    (tiny / "projects.csv").write_text(header + "\n", encoding="utf-8")
    res = capsim.plan(_load(tiny))
    assert res.schedule.empty and res.solution.status == "optimal"
    assert set(res.shortfalls.cause) == {"no candidate"}
    assert res.shortfalls.seats.sum() == pytest.approx(_uncovered(res), rel=1e-6) and _uncovered(res) > 0


def test_no_plan_in_time_gives_the_committed_projects_and_says_why(tiny, monkeypatch):
    real = planner.solve_as
    calls = []

    def first_call_finds_nothing(m, *args, **kwargs):
        calls.append(kwargs.get("time_limit"))
        if len(calls) == 1:
            return Solution(np.full(m.n, np.nan), "no solution", np.nan, np.nan, np.nan, "highs", 0.0, 0.0)
        return real(m, *args, **kwargs)

    monkeypatch.setattr(planner, "solve_as", first_call_finds_nothing)
    res = capsim.plan(_load(tiny))
    assert res.solution.status == "committed only" and len(calls) == 2
    assert list(res.schedule.id) == ["NJ2-X"]
    assert "no plan within plan.time_limit" in res.notes
    assert "time limit" in set(res.shortfalls.cause)
    assert res.shortfalls.seats.sum() == pytest.approx(_uncovered(res), rel=1e-6)


def test_a_very_short_time_limit_still_exits_0_with_a_plan(tiny, capsys):
    out = tiny.parent / "o"
    assert main(["run", str(tiny / "scenario.toml"), "--set", "plan.time_limit=0.0001", "--out", str(out),
                 "--use", "deterministic"]) == 0
    assert "plan: " in capsys.readouterr().out and (out / "schedule.csv").is_file()


@pytest.mark.parametrize("build, expected", [(3.0, 2.0), (10.0, 1.0)])
def test_a_time_limit_counts_building_the_model(monkeypatch, build, expected):
    """The solver gets what building the model left of ``time_limit`` (5 s here): 2 s after a
    3 s build, and the least it is ever given (1 s) after a build longer than the limit."""
    from types import SimpleNamespace

    import scipy.sparse as sp

    from capsim.planner import solve as module

    clock = iter([0.0, build] + [build + 0.1] * 10)
    monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    seen, real = [], module._started_highs

    def recording():
        class Recording(real()):
            def __init__(self, start, xs, **options):
                seen.append(options["timeLimit"])
                super().__init__(start, xs, **options)
        return Recording

    monkeypatch.setattr(module, "_started_highs", recording)
    families = [("one", sp.csr_matrix(np.ones((1, 2))), ">=", np.array([1.0]))]
    sol = module.solve(np.array([1.0, 2.0]), families, np.zeros(2), np.ones(2), np.array([True, True]), time_limit=5.0)
    assert sol.status == "optimal" and sol.objective == pytest.approx(1.0)
    assert seen == [pytest.approx(expected)] and expected >= module.LEAST_SOLVER_SECONDS
