"""The ledger (台账): each oversized class and school of the base year, and when it is cleared."""

import numpy as np
import pandas as pd

import capsim
from capsim.ledger import cleared_year, counts


def _counts(values):
    years = range(2020, 2020 + len(values))
    return pd.DataFrame({"year": list(years), "school": "S1", "level": "primary", "kind": "classes_56_plus",
                         "count": values})


def test_an_item_is_cleared_from_the_year_after_its_last_excess():
    assert cleared_year(_counts([3, 1, 0, 2, 0, 0])).iloc[0] == 2024     # back in 2023: not cleared in 2022
    assert np.isnan(cleared_year(_counts([3, 1, 0, 0, 0, 1])).iloc[0])   # excess in the last year: never
    assert cleared_year(_counts([0, 0, 0])).iloc[0] == 2020


def test_counts_sum_a_schools_grades_and_name_oversized_schools():
    grades = pd.DataFrame({"year": 2020, "school": "S1", "level": "primary", "grade": [1, 2],
                           "oversized_classes": [2, 1], "classes_56_65": [1, 0], "classes_66_plus": [1, 1]})
    schools = pd.DataFrame({"year": [2020], "school": ["S1"], "type": ["primary"], "oversized": [True]})
    c = counts(grades, schools).set_index("kind")["count"]
    assert c["oversized_classes"] == 3 and c["classes_56_plus"] == 3 and c["classes_66_plus"] == 2
    assert c["oversized_school"] == 1


def test_the_tiny_plans_ledger_names_each_item_and_its_fate(tiny):
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"]))
    book = res.ledger
    assert len(book) and set(book.base_year) == {2020}
    assert (book["count"] > 0).all()
    # counts and years as whole numbers (ledger.csv read 2022.0), a year blank where never cleared
    assert all(book[c].dtype.kind == "i" for c in ("count", "cleared_without_plan", "cleared_with_plan"))
    cleared = book.cleared_with_plan.notna()
    assert book[cleared].verdict.str.startswith("销号 cleared in").all()
    assert book[~cleared].verdict.str.startswith("not cleared by 2030").all()
    short = set(zip(res.shortfalls.region, res.shortfalls.level))
    for row in book[~cleared].itertuples():          # the reason given agrees with the plan's shortfalls
        assert ("the plan leaves" in row.verdict) == ((row.region, row.level) in short)


def test_a_base_year_without_any_excess_gives_an_empty_ledger():
    """Binzhou's base year has no oversized class or school: the ledger held a NaN row for every
    school's later excess (and, with whole-number counts, the run failed)."""
    from types import SimpleNamespace

    from capsim.ledger import COLUMNS, ledger

    grades = pd.DataFrame({"year": [2020, 2021], "school": "A", "level": "primary", "oversized_classes": [0.0, 2.0],
                           "classes_56_65": [0.0, 1.0], "classes_66_plus": 0.0})
    schools = pd.DataFrame({"year": [2020, 2021], "school": "A", "type": "primary", "oversized": False,
                            "name": "甲小学", "region": "r"})
    res = SimpleNamespace(assessment_before=SimpleNamespace(grades=grades, schools=schools), plan=None,
                          assessment_after=None)
    book = ledger(res)
    assert book.empty and list(book.columns) == COLUMNS
