"""Edge cases found in review: each once gave a traceback or a silently wrong number."""

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.assessment import even_classes
from capsim.errors import DataError, PlanError, ScenarioError
from csvedit import edit_scenario


def _load(folder, **settings):
    return capsim.load_scenario(folder / "scenario.toml", use=["deterministic"], set=settings)


def test_committed_spending_over_the_yearly_budget_still_plans_and_says_so(tiny):
    res = capsim.plan(_load(tiny, **{"plan.budget_yearly": 1e6}))
    assert list(res.schedule.id) == ["NJ2-X"]                      # the commitment, and nothing else
    assert "committed projects alone spend more than plan.budget_yearly in 2022 (14,000,000 yuan over)" in res.notes


def test_planning_with_unknown_seats_is_refused(tiny):
    edit_scenario(tiny, 'schools = "schools.csv"\nschool_grades = "school_grades.csv"\n', "")
    with pytest.raises(PlanError) as caught:
        capsim.plan(_load(tiny))
    assert "seats of primary in region north are unknown in 2020-2030" in caught.value.report()


def test_class_size_list_must_match_grades(tiny):
    with pytest.raises(ScenarioError) as caught:
        capsim.project(_load(tiny, **{"education.kindergarten.grades": 4}))
    assert "standards.class_size.kindergarten: gives 3 class sizes for 4 grades" in caught.value.report()


def test_junior_without_primary_gets_its_default_entry_age(tiny):
    edit_scenario(tiny, '[education.primary]\nmethod = "progression"\nentry = "births"\n',
                  '[education.primary]\nenabled = false\n')
    edit_scenario(tiny, '[education.junior]\nmethod = "progression"\n', '[education.junior]\nmethod = "rates"\n')
    from capsim.enrolment import level_specs

    sc = _load(tiny)
    assert {lv.name: lv.entry_age for lv in level_specs(sc)}["junior"] == 12
    assert capsim.project(sc).level_totals.level.unique().tolist() == ["kindergarten", "junior", "senior"]


def test_classrooms_spread_over_grades_of_the_system():
    five_four = {"kindergarten": 3, "primary": 5, "junior": 4, "senior": 3}
    np.testing.assert_array_equal(even_classes(42, "primary", "primary", five_four), [9, 9, 8, 8, 8])
    # a nine-year school of 40 classrooms: 9 grades, 4 each and the 4 spare to the lowest grades
    six = {"kindergarten": 3, "primary": 6, "junior": 3, "senior": 3}
    np.testing.assert_array_equal(even_classes(40, "nine_year", "primary", six), [5, 5, 5, 5, 4, 4])
    np.testing.assert_array_equal(even_classes(40, "nine_year", "junior", six), [4, 4, 4])


def test_assessing_a_quantile_without_the_median(tiny):
    sc = capsim.load_scenario(tiny / "scenario.toml", set={"uncertainty.quantiles": [0.1, 0.9],
                                                            "standards.quantile": 0.9, "uncertainty.draws": 5})
    table = capsim.assess(sc).regions
    assert table.gross_enrolment_ratio.notna().all()


def test_fertility_rows_missing_for_a_region(tiny):
    pd.DataFrame({"region": ["north"], "age": [20], "age_span": [20], "asfr": [0.05]}).to_csv(
        tiny / "fertility.csv", index=False)
    with pytest.raises(DataError) as caught:
        capsim.read_inputs(_load(tiny))
    assert "has no rows for region south" in caught.value.report()


def test_overlapping_age_groups_are_reported(tiny):
    frame = pd.read_csv(tiny / "population.csv")
    extra = frame.iloc[[0]].assign(age=3, age_span=5, population=10)
    pd.concat([frame.assign(age_span=1), extra]).to_csv(tiny / "population.csv", index=False)
    with pytest.raises(DataError) as caught:
        capsim.read_inputs(_load(tiny))
    assert "more than one row for some ages (age groups overlap). Got '3-7'" in caught.value.report()


def test_first_planning_year_after_the_horizon(tiny):
    with pytest.raises(ScenarioError) as caught:
        _load(tiny, **{"plan.first_year": 2031})
    assert "plan.first_year: must fall after base_year 2020 and by end_year 2030" in caught.value.report()


def test_backtest_unknown_area_lists_the_known_ones(tmp_path, capsys):
    from capsim.cli import main

    path = tmp_path / "h.csv"
    pd.DataFrame({"area": ["china"], "series": ["births"], "year": [2000], "value": [1.0]}).to_csv(path, index=False)
    assert main(["backtest", str(path), "--area", "China", "--out", str(tmp_path / "o")]) == 2
    assert "use one of: china" in capsys.readouterr().err
