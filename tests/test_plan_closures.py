"""Closing schools on falling rolls (``plan.closures``): a hand-worked case and the tiny example."""

from dataclasses import replace

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.formulation import FORMULATIONS, solve_as
from test_plan_classes import _inputs, _projects


def _falling(pupils, closure_cost, running=100.0):
    """One grade (classes of 45), three years, one pool: school A has 2 classrooms, B 1; a
    project no one would build. Each open school costs ``running`` a year."""
    years = np.arange(2021, 2024)
    projects = _projects([1], 45, [1e9], [1], [2021], [2023], [np.inf])
    inp = _inputs(np.asarray([pupils], float), np.full(3, 3), [0], [45], projects, years, penalty=1e4)
    c = replace(inp.cohorts, closable=np.array(["A", "B"], dtype=object), closable_pool=np.array([0, 0]),
                closable_rooms=np.array([2.0, 1.0])[:, None, None] * np.ones((1, 1, 3)))
    return milp.build(replace(inp, cohorts=c, school_running_cost=running, closure_cost=closure_cost))


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_falling_roll_closes_one_school_from_the_second_year(formulation):
    """90 pupils in 2021 need both schools' 3 rooms (2 classes); 45 in 2022-23 need one room, so
    one school closes in 2022 (never in 2021, already under way): 2 years x 100 saved, 50 once:
    -150. Closing both would leave 45 pupils without a room at 10,000 a pupil-year."""
    m = _falling([90, 45, 45], closure_cost=50.0)
    sol = solve_as(m, formulation, gap=1e-9)
    assert sol.objective == pytest.approx(-150.0)
    shut = np.rint(sol.values[m.shut_index])
    assert shut.sum(axis=0).tolist() == [0, 1, 1]
    assert sol.values[m.short_index].sum() == pytest.approx(0.0, abs=1e-9)


def test_a_closure_dearer_than_the_running_cost_it_saves_is_not_made():
    m = _falling([90, 45, 45], closure_cost=250.0)
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(0.0, abs=1e-9)
    assert np.rint(sol.values[m.shut_index]).sum() == 0


def test_a_school_closed_stays_closed_even_when_the_roll_rises_again():
    """45, 45, 135: closing either school in 2022 would save 100 a year but leave one of 2023's
    three classes without a room (a closed school does not reopen), so nothing closes."""
    m = _falling([45, 45, 135], closure_cost=0.0)
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(0.0, abs=1e-9)
    assert np.rint(sol.values[m.shut_index]).sum() == 0


def test_closures_on_the_tiny_example_leave_no_closed_school_with_pupils_and_are_refused_by_school():
    import capsim
    from capsim.errors import PlanError
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic"],
                                    set={"plan.closures": True, "plan.school_running_cost": 3e6})
    res = capsim.run(scenario)
    closed = res.plan.closures
    assert closed is not None and len(closed)
    s = res.assessment_after.schools
    for school, year in zip(closed.school, closed.year):
        after = s[(s.school == school) & (s.year >= year)]
        assert len(after) and not after.open.any() and after.students.sum() == 0
    # the plan keeps every pupil it had without closures: it closes only where the rest of the pool holds them
    base = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"]))
    assert res.plan.summary["shortfall_seat_years"] <= base.plan.summary["shortfall_seat_years"] + 1e-6
    with pytest.raises(PlanError, match="plan.closures"):
        capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"],
                                        set={"plan.closures": True, "plan.granularity": "school"}))


def test_the_schools_closed_are_saved_read_back_and_shown(tmp_path):
    """closures.csv in the run's folder, the same table from the folder, a sheet and a section."""
    import capsim
    from capsim.examples import tiny_path
    from capsim.reports.excel import workbook_sheets
    from capsim.reports.tables import from_folder

    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"],
                                          set={"plan.closures": True, "plan.school_running_cost": 3e6}))
    capsim.report(res, tmp_path / "out")
    t = from_folder(tmp_path / "out")
    assert t.closures[["year", "region", "school"]].equals(res.plan.closures[["year", "region", "school"]])
    assert "closures" in workbook_sheets(t)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Schools closed" in page and all(str(s) in page for s in res.plan.closures.school)
