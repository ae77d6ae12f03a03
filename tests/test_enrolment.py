"""Students from population: rates, grade progression and entry ratios, hand-worked."""

import numpy as np
import pandas as pd
import pytest

from capsim import enrolment
from capsim.errors import Problems
from capsim.schema import Level


def _level(name="primary", entry_age=6, grades=2, **spec):
    return enrolment.LevelSpec(name, entry_age, grades, Level(**spec), previous=None)


def test_rate_path_interpolates_and_holds():
    path = enrolment.rate_path({2020: 0.90, 2025: 0.95}, [2018, 2020, 2022, 2025, 2030])
    np.testing.assert_allclose(path, [0.90, 0.90, 0.92, 0.95, 0.95])


def test_students_by_rates_take_the_grade_ages():
    pop = np.arange(10, dtype=float)[None, None, None, :] * np.ones((2, 1, 1, 10))  # pop(age) = age
    level = _level(entry_age=3, grades=3, rate={2020: 0.5, 2021: 1.0}, grade_rates=(1.0, 1.0, 0.5))
    out = enrolment.students_by_rates(pop, level, np.array([2020, 2021]))
    # ages 3, 4, 5 -> 0.5 * [3, 4, 2.5] in 2020 and [3, 4, 2.5] in 2021
    np.testing.assert_allclose(out[0, 0, 0], [1.5, 2.0, 1.25])
    np.testing.assert_allclose(out[1, 0, 0], [3.0, 4.0, 2.5])


def test_mean_ratio_over_window_ignores_gaps():
    num = np.array([[95.0], [99.0], [np.nan]])
    den = np.array([[100.0], [110.0], [120.0]])
    # window 3: ratios .95, .9, (gap) -> .925
    np.testing.assert_allclose(enrolment.mean_ratio(num, den, 3), [0.925])
    np.testing.assert_allclose(enrolment.mean_ratio(num, den, 1), [np.nan])


class _Inputs:
    regions = ("a",)

    def __init__(self, enrolment_rows, births_rows=None):
        self.enrolment = pd.DataFrame(enrolment_rows, columns=["region", "level", "grade", "year", "students"])
        self.births = None if births_rows is None else pd.DataFrame(births_rows, columns=["region", "year", "births"])


HISTORY = [
    ("a", "primary", 1, 2018, 100), ("a", "primary", 2, 2018, 90),
    ("a", "primary", 1, 2019, 110), ("a", "primary", 2, 2019, 95),
    ("a", "primary", 1, 2020, 120), ("a", "primary", 2, 2020, 99),
]


def test_progression_and_births_entry_ratio_hand_worked():
    inputs = _Inputs(HISTORY, [("a", 2013, 100), ("a", 2014, 125)])
    level = _level(method="progression", entry="births", window=2)
    problems = Problems()
    cal = enrolment.calibrate(level, inputs, np.zeros((1, 101)), 2020, problems)
    assert not problems
    # grade 1 -> 2: 95/100 (2019), 99/110 (2020): mean 0.925
    np.testing.assert_allclose(cal.progression, [[0.925]])
    # entry: 110 / births 2013 = 1.1, 120 / births 2014 = 0.96: mean 1.03
    np.testing.assert_allclose(cal.entry, [1.03])
    assert cal.years == (2018, 2019, 2020)


def test_progression_ratios_follow_the_ratio_model():
    inputs = _Inputs(HISTORY, [("a", 2013, 100), ("a", 2014, 125)])
    level = _level(method="progression", entry="births", window=2, ratio_model="ses", ratio_alpha=0.4)
    cal = enrolment.calibrate(level, inputs, np.zeros((1, 101)), 2020, Problems())
    # smoothing from the first ratio: 0.95, then 0.4 x 0.9 + 0.6 x 0.95 = 0.93; entry 1.1, then 1.044
    np.testing.assert_allclose(cal.progression, [[0.93]])
    np.testing.assert_allclose(cal.entry, [0.4 * 0.96 + 0.6 * 1.1])


def test_population_entry_ratio_uses_base_year():
    pop = np.zeros((1, 101))
    pop[0, 6] = 150.0
    cal = enrolment.calibrate(_level(method="progression", entry="population", window=2), _Inputs(HISTORY),
                              pop, 2020, Problems())
    np.testing.assert_allclose(cal.entry, [120 / 150])


def test_progression_forecast_hand_worked():
    level = _level(method="progression", grades=3)
    cal = enrolment.Calibration(np.array([[0.9, 0.8]]), np.array([1.1]), "population", (2019, 2020))
    start = np.array([[100.0, 90.0, 80.0]])
    source = np.array([[[0.0]], [[200.0]], [[100.0]]])  # (T+1, D=1, R=1)
    out = enrolment.students_by_progression(level, cal, start, source, np.zeros((3, 1, 1, 3)))
    # year 1: entry 1.1*200 = 220; grade 2 = .9*100 = 90; grade 3 = .8*90 = 72
    # year 2: entry 110; grade 2 = .9*220 = 198; grade 3 = .8*90 = 72
    np.testing.assert_allclose(out[1, 0, 0], [220, 90, 72])
    np.testing.assert_allclose(out[2, 0, 0], [110, 198, 72])


def test_short_history_is_reported_with_the_fix():
    inputs = _Inputs(HISTORY[4:])  # only 2020
    problems = Problems()
    enrolment.calibrate(_level(method="progression", entry="population"), inputs, np.ones((1, 101)), 2020, problems)
    text = str(problems.items[0])
    assert "region a, level primary" in text and "progression ratios for grades [1]" in text
    assert 'method = "rates"' in text


@pytest.mark.parametrize("system,expected", [("6-3-3", [("primary", 6, 6), ("junior", 12, 3), ("senior", 15, 3)]),
                                             ("5-4-3", [("primary", 6, 5), ("junior", 11, 4), ("senior", 15, 3)])])
def test_school_systems_set_entry_ages(system, expected):
    from capsim.examples import tiny

    levels = enrolment.level_specs(tiny(set={"education.system": system}))
    got = [(lv.name, lv.entry_age, lv.grades) for lv in levels]
    assert got[0] == ("kindergarten", 3, 3)
    assert got[1:] == expected
