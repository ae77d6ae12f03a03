"""The assessment on the tiny example: invariants, hand-checked rows, region-level mode."""

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.examples import tiny, tiny_path

TINY = tiny_path().parent


@pytest.fixture(scope="module")
def result():
    return capsim.assess(tiny(use=["deterministic"]))


def test_pupils_conserved_region_to_schools_plus_unplaced(result):
    t = result.regions
    np.testing.assert_allclose(t.placed + t.unplaced, t.students, rtol=1e-9)
    g = result.grades.merge(result.schools[["year", "school", "region"]].drop_duplicates(), on=["year", "school"])
    placed = g.groupby(["year", "region", "level"]).students.sum()
    np.testing.assert_allclose(placed.sort_index(), t.set_index(["year", "region", "level"]).placed.sort_index())


def test_base_year_school_rows_match_the_csv(result):
    rows = pd.read_csv(TINY / "school_grades.csv")
    g = result.grades.query("year == 2020").merge(rows, on=["school", "level", "grade"], suffixes=("", "_csv"))
    assert len(g) == len(rows)
    # the forecast and the schools' own base counts differ by a few pupils (see base_check)
    np.testing.assert_allclose(g.students, g.students_csv, rtol=0.01)
    np.testing.assert_array_equal(g.classes, g.classes_csv)


def test_oversized_classes_hand_checked(result):
    # NJ1 junior grade 1 in 2020: 40 % of 1,975 pupils (790 in the CSV) in 10 classes -> 79 a class,
    # all 10 above 50 and all in the 66+ band
    row = result.grades.query("year == 2020 and school == 'NJ1' and grade == 1").iloc[0]
    assert row.classes == 10
    assert row.largest_class in (79, 80)
    assert (row.oversized_classes, row.classes_56_65, row.classes_66_plus) == (10, 0, 10)


def test_the_band_limits_are_the_scenarios(result):
    """standards.bands = [51, 61] moves classes between the bands: NJ1's grade 1 of 2020 (79 or
    80 a class) stays in the upper band; each grade's classes are split evenly and counted by
    hand in the new bands, and the region counts are their sums; the oversized count is unchanged."""
    moved = capsim.assess(tiny(use=["deterministic"], set={"standards.bands": [51, 61]}))
    g = moved.grades
    n = np.rint(g.students.to_numpy()).astype(int)
    c = g.classes.to_numpy().astype(int)
    q, r = np.divmod(n, np.maximum(c, 1))
    r = np.where(c > 0, r, 0)
    big = np.where(c > 0, r * (q + 1 >= 51) + (c - r) * (q >= 51), 0)
    huge = np.where(c > 0, r * (q + 1 >= 61) + (c - r) * (q >= 61), 0)
    np.testing.assert_array_equal(g.classes_56_65 + g.classes_66_plus, big)
    np.testing.assert_array_equal(g.classes_66_plus, huge)
    row = g.query("year == 2020 and school == 'NJ1' and grade == 1").iloc[0]
    assert row.classes_66_plus == 10
    before, after = result.regions, moved.regions
    banded = ["classes_56_65", "classes_66_plus"]
    assert after[banded].to_numpy().sum() > before[banded].to_numpy().sum()
    assert after.classes_66_plus.sum() > before.classes_66_plus.sum()
    np.testing.assert_array_equal(after.oversized_classes, before.oversized_classes)
    by_region = g.merge(moved.schools[["year", "school", "region"]], on=["year", "school"]) \
        .groupby(["year", "region", "level"]).classes_66_plus.sum()
    np.testing.assert_allclose(after.set_index(["year", "region", "level"]).classes_66_plus.reindex(by_region.index),
                               by_region)


def test_oversized_schools_flag_and_override(result, tmp_path):
    s = result.schools.query("year == 2020").set_index("school")
    assert s.loc["NP1", "students"] > 2000 and s.loc["NP1", "oversized"]
    # a kindergarten of 5,400 / 14 = 386 children is over 360; a senior high of 2,700 is under 3,000
    assert s.loc["NK01", "students"] == pytest.approx(5400 / 14) and s.loc["NK01", "oversized"]
    assert s.loc["NS1", "students"] == pytest.approx(2700) and not s.loc["NS1", "oversized"]
    # max_students overrides the type's maximum
    import shutil
    folder = tmp_path / "t"
    shutil.copytree(TINY, folder)
    frame = pd.read_csv(folder / "schools.csv")
    frame["max_students"] = np.where(frame.id == "NP1", 2500, np.nan)
    frame.to_csv(folder / "schools.csv", index=False)
    again = capsim.assess(capsim.load_scenario(folder / "scenario.toml", use=["deterministic"]))
    assert not again.schools.query("year == 2020 and school == 'NP1'").oversized.item()


def test_region_rollup_counts_oversized_schools_per_level(result):
    t = result.regions.query("year == 2020").set_index(["region", "level"])
    s = result.schools.query("year == 2020 and oversized")
    # primary in the north: five primary schools of ~2,069 and the nine-year school
    assert t.loc[("north", "primary"), "oversized_schools"] == len(s[(s.region == "north") &
                                                                    s.type.isin(["primary", "nine_year"])])


def test_gap_seats_and_teachers_arithmetic(result):
    t = result.regions
    # the gap is of lawful seats, as the reports and targets count it: a school above its maximum
    # size (the tiny south's junior school) has seats that seat no one lawfully
    assert (t.lawful_seats < t.seats - 1).any()
    np.testing.assert_allclose(t.gap, t.lawful_seats - t.students)
    np.testing.assert_allclose(t.shortage - t.surplus, -t.gap)
    primary = t[t.level == "primary"]
    np.testing.assert_allclose(primary.teachers_needed, primary.students / 19.0)
    kg = t[t.level == "kindergarten"]
    np.testing.assert_allclose(kg.teachers_needed, kg.classes_needed * 2.0)


def test_new_school_opens_with_intake_and_closed_school_empties(result):
    s = result.schools.set_index(["year", "school"])
    assert s.loc[(2023, "NP9"), "students"] == 0 and s.loc[(2024, "NP9"), "students"] > 0
    assert s.loc[(2026, "SK7"), "students"] > 0 and s.loc[(2027, "SK7"), "students"] == 0


def test_intake_cap_leaves_pupils_unplaced_when_schools_are_full(result):
    g = result.grades.query("year == 2025 and level == 'junior' and grade == 1")
    # junior grade-1 intake is capped at 50 a class from 2022
    assert (g.students <= g.classes * 50 + 1e-6).all()
    t = result.regions.query("year == 2025 and region == 'north' and level == 'junior'").iloc[0]
    assert t.unplaced > 0


def test_region_level_without_schools_uses_capacity_table(tmp_path):
    import shutil
    folder = tmp_path / "t"
    shutil.copytree(TINY, folder)
    text = (folder / "scenario.toml").read_text()
    text = text.replace('schools = "schools.csv"\nschool_grades = "school_grades.csv"\n', 'capacity = "capacity.csv"\n')
    (folder / "scenario.toml").write_text(text)
    pd.DataFrame({"region": ["north", "north"], "level": ["primary", "primary"], "seats": [10_000, 13_000],
                  "year": [np.nan, 2025]}).to_csv(folder / "capacity.csv", index=False)
    res = capsim.assess(capsim.load_scenario(folder / "scenario.toml", use=["deterministic"]))
    t = res.regions.query("region == 'north' and level == 'primary'").set_index("year")
    assert t.loc[2024, "seats"] == 10_000 and t.loc[2025, "seats"] == 13_000
    np.testing.assert_allclose(t.gap, t.seats - t.students)
    # classes needed at the region level: sum over grades of ceil(pupils / 45)
    st = res.scenario
    students = capsim.project(st).students.query("region == 'north' and level == 'primary' and year == 2030")
    assert t.loc[2030, "classes_needed"] == sum(np.ceil(np.rint(students.students) / 45))
    assert res.schools is None


def test_cli_assess_writes_tables(tmp_path, capsys):
    from capsim.cli import main

    assert main(["assess", str(tiny_path()), "--use", "deterministic", "--out", str(tmp_path / "a")]) == 0
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"assessment.csv", "assessment_schools.csv", "assessment_grades.csv", "assessment_base_check.csv"} <= names
    assert "oversized" in capsys.readouterr().out
