"""Robust plans: the stochastic program against brute force, evaluation by hand, the comparison."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_plan_samples import one_level_projects

import capsim
from capsim.cli import main
from capsim.examples import tiny_path
from capsim.planner import model as milp
from capsim.robust import compare_plans, evaluate

ROOT = Path(__file__).resolve().parents[1]


def test_evaluate_by_hand():
    # one project of 100 seats, built in one year, may open 2022 only; cost 1e6, no discounting
    projects = one_level_projects([100], [1e6], [1], [2022], [2022])
    need = np.array([[[[0, 40], [150, 60], [150, 300]]]])            # (1, 1, Y=3, D=2)
    inp = milp.PlanInputs(years=np.arange(2021, 2024), need=need[..., 0], projects=projects, penalty=1000)
    m = milp.build(inp)
    x = np.array([[0.0, 1.0, 0.0]])                                  # opens 2022
    r = evaluate(m, x, need)
    # draw 0: missing 0, 50, 50 -> 100 seat-years; draw 1: 40, 0, 200 -> 240
    np.testing.assert_allclose(r["shortfall"], [100, 240])
    np.testing.assert_allclose(r["cost"], [1e6 + 100 * 1000, 1e6 + 240 * 1000])
    nothing = evaluate(m, np.zeros((1, 3)), need)
    np.testing.assert_allclose(nothing["cost"], [300_000, 400_000])


def test_compare_plans_on_tiny():
    sc = capsim.load_scenario(tiny_path(), set={"uncertainty.draws": 40})
    r = compare_plans(sc, quantiles=(0.9,), sample=12)
    t = r.table.set_index("plan")
    assert r.unit == "classes"                            # tiny lists its schools
    assert list(t.index) == ["median", "q0.9", "expected"]
    median = r.draws[r.draws.plan == "median"]
    assert (median.regret_yuan == 0).all()
    # the expected-cost plan is the cheapest on average over the draws it was made on (up to the gap)
    on_sample = r.draws[r.draws.draw.isin(r.sample)].groupby("plan").cost_yuan.mean()
    assert on_sample["expected"] <= on_sample.min() * (1 + sc.plan.gap) + 1
    # every plan keeps to the total budget (tiny spends every project's money inside the plan years)
    assert (r.schedules.groupby("plan").cost_yuan.sum() <= sc.plan.budget_total + 1).all()
    chosen = r.schedules.groupby("plan").seats.sum()
    np.testing.assert_allclose(t.seats_added, chosen.reindex(t.index).fillna(0))
    assert len(r.draws) == 3 * 40


def test_cli_robust_writes_tables_and_plot(tmp_path, capsys):
    out = tmp_path / "robust"
    code = main(["robust", str(tiny_path()), "--set", "uncertainty.draws=20", "--sample", "5", "--out", str(out)])
    assert code == 0
    assert "expected" in capsys.readouterr().out
    table = pd.read_csv(out / "robust_plans.csv", encoding="utf-8-sig")
    assert list(table.plan) == ["median", "q0.9", "expected"]
    assert (out / "robust_regret.png").stat().st_size > 10_000


def test_cli_robust_needs_draws(capsys):
    code = main(["robust", str(tiny_path()), "--set", "uncertainty.draws=1", "--quantile", "1.5", "--out", "x"])
    err = capsys.readouterr().err
    assert code == 2 and "uncertainty.draws" in err and "quantiles" in err and "Traceback" not in err


def test_zones_share_their_regions_draws_and_school_granularity_plans_by_region(tiny):
    from test_plan_classes import _zoned

    from capsim.assessment import assess
    from capsim.planner import plan_context
    from capsim.projection import project
    from capsim.robust import InClasses, _for_robust

    path = _zoned(tiny)
    sc = _for_robust(capsim.load_scenario(path, set={"uncertainty.draws": 12, "plan.granularity": "zone"}))
    pr = project(sc)
    ctx = plan_context(sc, pr, assess(sc, pr))
    zones = InClasses(ctx, pr.student_draws)
    whole = np.zeros((2,) + zones.draws.shape[1:])
    np.add.at(whole, ctx.inputs.cohorts.pool_region, zones.draws)
    region = _for_robust(capsim.load_scenario(path, set={"uncertainty.draws": 12}))
    r_ctx = plan_context(region, pr, assess(region, pr))
    np.testing.assert_allclose(whole, InClasses(r_ctx, pr.student_draws).draws)   # every pupil in one zone
    by_zone = compare_plans(sc, quantiles=(0.9,), sample=3)
    assert by_zone.unit == "classes" and (by_zone.draws[by_zone.draws.plan == "median"].regret_yuan == 0).all()
    school = capsim.load_scenario(path, set={"uncertainty.draws": 12, "plan.granularity": "school"})
    pd.testing.assert_frame_equal(compare_plans(school, quantiles=(0.9,), sample=3).table,
                                  compare_plans(region, quantiles=(0.9,), sample=3).table)


def test_region_places_are_planned_as_seats():
    sc = capsim.load_scenario(ROOT / "scenarios" / "kunming.toml", set={"uncertainty.draws": 12})
    r = compare_plans(sc, quantiles=(0.9,), sample=3)
    assert r.unit == "seats" and len(r.draws) == 3 * 12


@pytest.mark.parametrize("closing", [[], ["--set", "plan.closures=true", "--set", "plan.min_school_pupils=300"]])
def test_a_scenario_with_catchment_areas_gets_robust_plans_without_zoning(tmp_path, capsys, closing):
    """Robust plans are made by region, so a catchment scenario's minimum school size (each
    school's own pupils) is left out with its areas, not refused."""
    out = tmp_path / "robust"
    code = main(["robust", str(tiny_path()), "--use", "catchments", "--set", "uncertainty.draws=6", "--sample", "2",
                 *closing, "--out", str(out), "--quiet"])
    assert code == 0 and "Traceback" not in capsys.readouterr().err
    assert set(pd.read_csv(out / "robust_plans.csv").plan) == {"median", "q0.9", "expected"}


def test_robust_plans_may_close_schools_and_name_them(tmp_path):
    out = tmp_path / "robust"
    code = main(["robust", str(tiny_path()), "--set", "uncertainty.draws=6", "--set", "plan.closures=true",
                 "--set", "plan.school_running_cost=5e7", "--sample", "2", "--out", str(out), "--quiet"])
    assert code == 0
    table = pd.read_csv(out / "robust_plans.csv", encoding="utf-8-sig").set_index("plan")
    closed = pd.read_csv(out / "robust_closures.csv", encoding="utf-8-sig", dtype={"school": str})
    assert table.schools_closed.min() > 0
    pd.testing.assert_series_equal(closed.groupby("plan").size().reindex(table.index), table.schools_closed,
                                   check_names=False)
    assert not closed.duplicated(["plan", "school"]).any()
    # each closure saves 50 M yuan a year: one year of the closed schools' savings is more than all the
    # building, so each plan's own cost (building less the savings, discounted) is negative
    built = pd.read_csv(out / "robust_schedules.csv", encoding="utf-8-sig").groupby("plan").cost_yuan.sum()
    assert (built.reindex(table.index) < 5e7 * table.schools_closed).all()
    assert (table.plan_cost_yuan < 0).all()
