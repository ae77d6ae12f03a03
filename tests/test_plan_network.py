"""The network after a plan: dispersal of pupils (分流) and the assessment of the planned schools."""

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.allocation import disperse
from capsim.examples import tiny_path
from capsim.schema import SCHOOL_TYPES


def test_disperse_moves_excess_and_unplaced_into_room_hand_worked():
    # one region, one grade: school A holds 60 for 45 seats, B 20 for 45, C 40 for 40; 10 unplaced
    S = np.array([[60.0], [20.0], [40.0]])
    lawful = np.array([[45.0], [45.0], [40.0]])
    out, left = disperse(S, np.array([[10.0]]), lawful, np.zeros(3, int), 1)
    # pool 15 + 10 = 25 > B's room 25? no: B has exactly 25 of room, so all of it moves there
    np.testing.assert_allclose(out[:, 0], [45, 45, 40])
    np.testing.assert_allclose(left, [[0]])


def test_disperse_keeps_what_no_school_can_take_in_proportion():
    S = np.array([[60.0], [40.0]])
    out, left = disperse(S, np.array([[20.0]]), np.array([[45.0], [45.0]]), np.zeros(2, int), 1)
    # pool 15 + 20 = 35, room 5: each source gives up 5/35 of what it holds above the seats
    np.testing.assert_allclose(out[:, 0], [60 - 15 * 5 / 35, 45])
    np.testing.assert_allclose(left, [[20 - 20 * 5 / 35]])
    assert out.sum() + left.sum() == pytest.approx(120)


def test_disperse_never_moves_pupils_between_regions():
    S = np.array([[60.0], [0.0]])
    out, left = disperse(S, np.zeros((2, 1)), np.array([[45.0], [45.0]]), np.array([0, 1]), 2)
    np.testing.assert_allclose(out[:, 0], [60, 0])


@pytest.fixture(scope="module")
def tiny_run():
    sc = capsim.load_scenario(tiny_path(), set={"uncertainty.draws": 20, "standards.disperse": True})
    return capsim.run(sc)


def _joined(res):
    return res.assessment_after_plan.merge(res.seats_after_plan, on=["year", "region", "level"], suffixes=("", "_plan"))


def test_planned_seats_are_the_schedules_seats(tiny_run):
    before = tiny_run.assessment.set_index(["year", "region", "level"]).seats
    after = tiny_run.assessment_after_plan.set_index(["year", "region", "level"]).seats
    added = tiny_run.seats_after_plan.set_index(["year", "region", "level"]).seats_added
    np.testing.assert_allclose((after - before).loc[added.index], added, atol=1e-6)
    assert added.sum() > 0


def test_no_oversized_class_where_the_plan_reports_no_shortfall(tiny_run):
    cells = _joined(tiny_run)
    clear = cells[cells.shortfall < 0.5]
    assert len(clear) > 20
    assert clear.oversized_classes.sum() == 0


def test_pupils_are_conserved_after_the_plan(tiny_run):
    after = tiny_run.assessment_after_plan
    np.testing.assert_allclose(after.placed + after.unplaced, after.students, rtol=1e-9)


def test_no_oversized_school_unless_a_level_it_teaches_is_short(tiny_run):
    short = tiny_run.seats_after_plan.set_index(["year", "region", "level"]).shortfall
    schools = tiny_run.assessment_after.schools
    schools = schools[schools.year.isin(tiny_run.seats_after_plan.year.unique())]
    clear = [not any(short.get((y, r, lv), 0) > 0.5 for lv in SCHOOL_TYPES[t])
             for y, r, t in zip(schools.year, schools.region, schools.type)]
    assert sum(clear) > 50
    assert not schools[clear].oversized.any()


def test_the_plan_removes_oversized_classes(tiny_run):
    years = tiny_run.seats_after_plan.year.unique()
    before = tiny_run.assessment[tiny_run.assessment.year.isin(years)].oversized_classes.sum()
    after = tiny_run.assessment_after_plan[tiny_run.assessment_after_plan.year.isin(years)].oversized_classes.sum()
    assert after < before


def test_a_level_no_school_teaches_is_unknown_and_left_out_of_the_plan(tiny):
    from csvedit import drop_rows as keep_rows

    keep_rows(tiny / "schools.csv", lambda row: row["type"] != "kindergarten")
    keep_rows(tiny / "school_grades.csv", lambda row: row["level"] != "kindergarten")
    keep_rows(tiny / "projects.csv", lambda row: row["type"] != "kindergarten")
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    res = capsim.run(sc)
    kg = res.assessment[res.assessment.level == "kindergarten"]
    assert kg.seats.isna().all() and kg.oversized_classes.isna().all()
    assert res.plan.levels_not_planned == ("kindergarten",)
    assert "kindergarten" not in set(res.shortfalls.level)
    assert res.plan.summary["levels_not_planned"] == "kindergarten"


def test_validate_reads_the_schools_and_projects_tables(tiny, capsys):
    from capsim.cli import main
    from csvedit import set_cell

    set_cell(tiny / "projects.csv", 2, "cost", "-5")
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "projects.csv: row 2, column cost" in err and "'-5'" in err
    set_cell(tiny / "schools.csv", 2, "region", "nowhere")
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "schools.csv: row 2, column region" in err and "'nowhere'" in err


def test_shortfall_causes_name_a_cheap_penalty_and_an_evaluated_plan():
    cheap = capsim.plan(capsim.load_scenario(tiny_path(), use=["deterministic"], set={"plan.shortfall_penalty": 1}))
    assert len(cheap.schedule) == 1  # only the committed expansion: every seat is cheaper left short
    causes = set(cheap.shortfalls.cause)
    assert "cheaper to leave short" in causes and "budget" not in causes
    evaluated = capsim.plan(capsim.load_scenario(tiny_path(), use=["deterministic"]), evaluate=True)
    south_senior = evaluated.shortfalls.query("region == 'south' and level == 'senior'")
    assert set(south_senior.cause) == {"not in the plan"}


def test_an_expansion_adds_classrooms_only_to_the_levels_it_serves(tiny):
    from csvedit import append_rows, read_rows, row_of, set_cell

    set_cell(tiny / "schools.csv", row_of(tiny / "schools.csv", id="N9"), "seats", "2390")  # room for 100
    header = read_rows(tiny / "projects.csv")[0]
    row = dict.fromkeys(header, "")
    row.update(id="X-N9", name="九年制扩建初中部", region="north", kind="expansion", type="junior", school="N9",
               seats="100", cost="1000000", committed="2023")
    append_rows(tiny / "projects.csv", [row[c] for c in header])
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"]))
    key = ["year", "region", "level"]
    growth = (res.assessment_after_plan.set_index(key).seats - res.assessment.set_index(key).seats).sort_index().loc[2026, "north"]
    added = res.seats_after_plan.set_index(key).seats_added.sort_index().loc[2026, "north"]
    np.testing.assert_allclose(growth[added.index], added, atol=1e-6)  # primary untouched, junior +100 with the rest


@pytest.mark.parametrize("disperse", [True, False])
def test_run_says_when_covered_regions_keep_oversized_classes_without_dispersal(tmp_path, capsys, disperse):
    from capsim.cli import main

    out = tmp_path / "out"
    setting = f"standards.disperse={str(disperse).lower()}"
    assert main(["run", str(tiny_path()), "--set", "uncertainty.draws=1", "--set", setting, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    after = pd.read_csv(out / "assessment_after_plan.csv")
    short = pd.read_csv(out / "shortfalls.csv")
    plan_years = set(pd.read_csv(out / "seats_after_plan.csv").year)
    named = set(zip(short.year, short.region, short.level))
    covered = [(y, r, lv) not in named and y in plan_years
               for y, r, lv in zip(after.year, after.region, after.level)]
    left = after.oversized_classes[covered].sum()
    if disperse:
        assert left == 0 and "note:" not in printed
    else:
        assert left > 0
        assert f"note: {left:,.0f} oversized class-years remain after the plan" in printed
        assert "standards.disperse = true" in printed
