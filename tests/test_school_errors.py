"""Bad school rows: every problem names the file, the row (header = row 1), the column, the value and the fix.

Each test copies the tiny example into ``tmp_path``, changes the schools, school_grades or
capacity table (or one line of the scenario), runs :func:`capsim.assess` (which reads the
school tables through :func:`capsim.school_data.read_schools` / ``read_capacity``) and checks
the DataError's problems.
"""

from pathlib import Path

import numpy as np
import pytest

from capsim import cli
from capsim.assessment import assess
from capsim.errors import DataError
from capsim.scenario import load_scenario
from csvedit import append_rows, cell, drop_rows, edit_scenario, find, read_rows, row_of, set_cell, write_rows

TYPES = "kindergarten, primary, junior, senior, nine_year, twelve_year, complete_middle"

# ---------------------------------------------------------------- helpers


def school_problems(folder: Path) -> list[str]:
    """The problems capsim.assess reports for the scenario in ``folder``, one string each."""
    scenario = load_scenario(folder / "scenario.toml")
    with pytest.raises(DataError) as caught:
        assess(scenario)
    return [str(p) for p in caught.value.problems]




def path_of(folder: Path, table: str) -> str:
    return str((folder / table).resolve())


def at(folder: Path, table: str, row: int, column: str) -> str:
    """How a problem's place starts: the file, the spreadsheet row and the column."""
    return f"{path_of(folder, table)}: row {row}, column {column}:"


SCHOOLS, GRADES, CAPACITY = "schools.csv", "school_grades.csv", "capacity.csv"


def use_capacity(folder: Path, rows) -> Path:
    """Replace the school list by a capacity table with ``rows`` (after the header)."""
    path = write_rows(folder / CAPACITY, [["region", "level", "seats", "year"], *rows])
    edit_scenario(folder, 'schools = "schools.csv"\nschool_grades = "school_grades.csv"\n',
                  'capacity = "capacity.csv"\n')
    return path


# ---------------------------------------------------------------- the good example


def test_tiny_example_schools_assess_without_problems(tiny):
    result = assess(load_scenario(tiny / "scenario.toml"))
    assert result.schools is not None
    assert set(result.schools.school) == {r[0] for r in read_rows(tiny / SCHOOLS)[1:]}


# ---------------------------------------------------------------- schools.csv


def test_unknown_region_names_row_value_and_known_regions(tiny):
    row = row_of(tiny / SCHOOLS, id="SP2")
    set_cell(tiny / SCHOOLS, row, "region", "sout")
    problems = school_problems(tiny)
    problem = find(problems, "'sout'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, SCHOOLS, row, "region"))
    assert "is not a known value." in problem
    assert "Got 'sout'." in problem
    assert "Fix: use a region of the regions table: north, south." in problem


def test_unknown_type_lists_the_types(tiny):
    row = row_of(tiny / SCHOOLS, id="NJ1")
    set_cell(tiny / SCHOOLS, row, "type", "middle")
    problem = find(school_problems(tiny), "'middle'")
    assert problem.startswith(at(tiny, SCHOOLS, row, "type"))
    assert "is not a known value." in problem
    assert f"Fix: use one of: {TYPES}." in problem


def test_unknown_type_is_one_problem(tiny):
    set_cell(tiny / SCHOOLS, row_of(tiny / SCHOOLS, id="NJ1"), "type", "middle")
    problems = school_problems(tiny)
    assert len(problems) == 1, problems


def test_negative_seats(tiny):
    row = row_of(tiny / SCHOOLS, id="NP3")
    assert cell(tiny / SCHOOLS, row, "seats") == "1890"
    set_cell(tiny / SCHOOLS, row, "seats", "-1890")
    problems = school_problems(tiny)
    problem = find(problems, "'-1890'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, SCHOOLS, row, "seats"))
    assert "must be a number between 0 and 100000." in problem
    assert "Got '-1890'." in problem
    assert "Fix: write a number between 0 and 100000 here." in problem


@pytest.mark.parametrize("value", ["-1", "2.5"])
def test_negative_or_fractional_classes(tiny, value):
    row = row_of(tiny / SCHOOLS, id="SP1")
    set_cell(tiny / SCHOOLS, row, "classes", value)
    problems = school_problems(tiny)
    problem = find(problems, f"'{value}'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, SCHOOLS, row, "classes"))
    assert "must be a whole number between 0 and 10000." in problem
    assert f"Got '{value}'." in problem
    assert "Fix: write the number of classrooms (0 for none)." in problem


@pytest.mark.parametrize("closed", ["2024", "2023"])
def test_closed_not_after_opened(tiny, closed):
    row = row_of(tiny / SCHOOLS, id="NP9")
    assert cell(tiny / SCHOOLS, row, "opened") == "2024"
    set_cell(tiny / SCHOOLS, row, "closed", closed)
    problems = school_problems(tiny)
    problem = find(problems, "closed")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, SCHOOLS, row, "closed"))
    assert "is not after the opening year." in problem
    assert f"Got '{closed}'." in problem
    assert "Fix: give a closing year after 'opened', or leave it empty." in problem


def test_type_teaching_a_disabled_level(tiny):
    edit_scenario(tiny, "[education.senior]\n", "[education.senior]\nenabled = false\n")
    problems = school_problems(tiny)
    for school, kind in (("NS1", "senior"), ("NS2", "senior"), ("SM1", "complete_middle")):
        row = row_of(tiny / SCHOOLS, id=school)
        problem = find(problems, at(tiny, SCHOOLS, row, "type"))
        assert "teaches senior, which the scenario does not forecast." in problem
        assert f"Got '{kind}'." in problem
        assert "Fix: enable education.senior, or change the type." in problem


def test_grade_rows_of_a_disabled_level_point_at_the_scenario(tiny):
    edit_scenario(tiny, "[education.senior]\n", "[education.senior]\nenabled = false\n")
    problems = school_problems(tiny)
    misleading = [p for p in problems if "Got 'senior'." in p and "education.senior" not in p]
    assert not misleading, misleading


def test_duplicate_school_ids(tiny):
    row = append_rows(tiny / SCHOOLS, ["NP1", "又一个小学", "north", "primary", "6", "", "2025", ""])
    problem = find(school_problems(tiny), "repeats")
    assert problem.startswith(f"{path_of(tiny, SCHOOLS)}: row {row}: repeats id=NP1.")
    assert "Fix: give each school a unique id." in problem


def test_duplicate_school_id_is_one_problem(tiny):
    append_rows(tiny / SCHOOLS, ["NP1", "又一个小学", "north", "primary", "6", "", "2025", ""])
    problems = school_problems(tiny)
    assert len(problems) == 1, problems


def test_several_bad_rows_in_schools_are_all_reported(tiny):
    rows = [row_of(tiny / SCHOOLS, id=s) for s in ("NK01", "NK07", "SK3")]
    for row in rows:
        set_cell(tiny / SCHOOLS, row, "region", "east")
    problems = school_problems(tiny)
    assert len(problems) == 3, problems
    for row in rows:
        find(problems, at(tiny, SCHOOLS, row, "region"), "Got 'east'.", "Fix: use a region of")


def test_missing_school_column_names_file_and_header(tiny):
    set_cell(tiny / SCHOOLS, 1, "type", "kind")
    problem = find(school_problems(tiny), "missing column")
    assert problem.startswith(f"{path_of(tiny, SCHOOLS)}: missing column(s) type.")
    assert "Fix: add a header with id, name, region, type, classes" in problem


# ---------------------------------------------------------------- school_grades.csv


def test_grade_row_with_unknown_school(tiny):
    row = append_rows(tiny / GRADES, ["NP7", "primary", "1", "300", "6"])
    problems = school_problems(tiny)
    problem = find(problems, "'NP7'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, GRADES, row, "school"))
    assert "is not a known value." in problem
    assert "Fix: use an id of the schools table." in problem


def test_level_the_schools_type_does_not_teach(tiny):
    row = append_rows(tiny / GRADES, ["NP1", "junior", "1", "300", "6"])
    problems = school_problems(tiny)
    problem = find(problems, "'junior'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, GRADES, row, "level"))
    assert "is not taught by school NP1 (type primary)." in problem
    assert "Got 'junior'." in problem
    assert "Fix: use one of primary, or correct the school's type." in problem


def test_level_not_taught_by_a_nine_year_school_lists_its_levels(tiny):
    row = append_rows(tiny / GRADES, ["N9", "senior", "1", "300", "6"])
    problem = find(school_problems(tiny), "'senior'")
    assert problem.startswith(at(tiny, GRADES, row, "level"))
    assert "is not taught by school N9 (type nine_year)." in problem
    assert "Fix: use one of primary, junior, or correct the school's type." in problem


def test_grade_beyond_the_levels_grades(tiny):
    row = append_rows(tiny / GRADES, ["NP1", "primary", "7", "300", "6"])
    problems = school_problems(tiny)
    problem = find(problems, "grade")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, GRADES, row, "grade"))
    assert "primary has 6 grades." in problem
    assert "Got 7." in problem
    assert "Fix: use a grade from 1 to 6." in problem


def test_grade_zero(tiny):
    row = row_of(tiny / GRADES, school="SP2", level="primary", grade="4")
    set_cell(tiny / GRADES, row, "grade", "0")
    problem = find(school_problems(tiny), "'0'")
    assert problem.startswith(at(tiny, GRADES, row, "grade"))
    assert "must be a whole number between 1 and 9." in problem


def test_negative_students(tiny):
    row = row_of(tiny / GRADES, school="NJ2", level="junior", grade="2")
    set_cell(tiny / GRADES, row, "students", "-774")
    problem = find(school_problems(tiny), "'-774'")
    assert problem.startswith(at(tiny, GRADES, row, "students"))
    assert "must be a number between 0 and 100000." in problem
    assert "Got '-774'." in problem
    assert "Fix: write the number of pupils (>= 0)." in problem


def test_negative_students_is_one_problem(tiny):
    set_cell(tiny / GRADES, row_of(tiny / GRADES, school="NJ2", level="junior", grade="2"), "students", "-774")
    problems = school_problems(tiny)
    assert len(problems) == 1, problems


def test_negative_grade_classes(tiny):
    row = row_of(tiny / GRADES, school="SM1", level="senior", grade="3")
    set_cell(tiny / GRADES, row, "classes", "-12")
    problems = school_problems(tiny)
    problem = find(problems, "'-12'")
    assert len(problems) == 1, problems
    assert problem.startswith(at(tiny, GRADES, row, "classes"))
    assert "Fix: write the number of classes (>= 0)." in problem


def test_duplicate_school_level_grade_rows(tiny):
    row = append_rows(tiny / GRADES, ["SP3", "primary", "2", "100", "2"])
    problems = school_problems(tiny)
    problem = find(problems, "repeats")
    assert len(problems) == 1, problems
    assert problem.startswith(f"{path_of(tiny, GRADES)}: row {row}: repeats school=SP3, level=primary, grade=2.")
    assert "Fix: keep one row for each." in problem


def test_open_school_lacking_grade_rows(tiny):
    drop_rows(tiny / GRADES, lambda r: not (r["school"] == "NJ1" and r["grade"] == "3"))
    problems = school_problems(tiny)
    problem = find(problems, "lacks")
    assert len(problems) == 1, problems
    assert problem.startswith(f"{path_of(tiny, GRADES)}: school NJ1 is open in 2020 but lacks junior grades.")
    assert "Fix: add rows for every junior grade of NJ1 (students and classes)." in problem


def test_nine_year_school_lacking_one_level_names_that_level(tiny):
    drop_rows(tiny / GRADES, lambda r: not (r["school"] == "N9" and r["level"] == "junior"))
    problem = find(school_problems(tiny), "lacks")
    assert "school N9 is open in 2020 but lacks junior grades." in problem
    assert "primary" not in problem


def test_schools_not_open_in_the_base_year_need_no_grade_rows(tiny):
    # NP9 opens in 2024 and has no rows; SK7 closes in 2027 and keeps its rows.
    assert not [r for r in read_rows(tiny / GRADES) if r[0] == "NP9"]
    assess(load_scenario(tiny / "scenario.toml"))


def test_school_open_in_base_year_from_opened_column_needs_rows(tiny):
    set_cell(tiny / SCHOOLS, row_of(tiny / SCHOOLS, id="NP9"), "opened", "2020")
    problem = find(school_problems(tiny), "lacks")
    assert "school NP9 is open in 2020 but lacks primary grades." in problem


def test_school_grades_without_schools(tiny):
    edit_scenario(tiny, 'schools = "schools.csv"\n', "")
    problems = school_problems(tiny)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tiny / 'scenario.toml'}: data.school_grades: is given without data.schools.")
    assert path_of(tiny, GRADES) in problems[0]
    assert "Fix: add data.schools, or remove data.school_grades." in problems[0]


# ---------------------------------------------------------------- capacity.csv


def test_capacity_bad_region_and_negative_seats(tiny):
    use_capacity(tiny, [["north", "primary", "12000", ""], ["nort", "junior", "5000", ""],
                        ["south", "primary", "-300", "2024"]])
    problems = school_problems(tiny)
    assert len(problems) == 2, problems
    region = find(problems, at(tiny, CAPACITY, 3, "region"))
    assert "is not a known value." in region
    assert "Got 'nort'." in region
    assert "Fix: use one of: north, south." in region
    seats = find(problems, at(tiny, CAPACITY, 4, "seats"))
    assert "must be a number between 0 and 1e+09." in seats
    assert "Got '-300'." in seats
    assert "Fix:" in seats


def test_capacity_duplicate_rows(tiny):
    use_capacity(tiny, [["north", "primary", "12000", "2022"], ["north", "primary", "13000", "2022"]])
    problem = find(school_problems(tiny), "repeats")
    assert problem.startswith(f"{path_of(tiny, CAPACITY)}: row 3: repeats region=north, level=primary, year=2022.")


def test_capacity_table_gives_region_seats_from_the_rows_year(tiny):
    use_capacity(tiny, [["north", "primary", "12000", ""], ["north", "primary", "15000", "2025"],
                        ["south", "junior", "4000", "2023"]])
    scenario = load_scenario(tiny / "scenario.toml")
    regions = assess(scenario).regions
    assert regions.year.min() == 2020 and regions.year.max() == 2030

    def rows(region, level):
        return regions[(regions.region == region) & (regions.level == level)].set_index("year").sort_index()

    north = rows("north", "primary")
    assert (north.loc[2020:2024, "seats"] == 12000).all()
    assert (north.loc[2025:, "seats"] == 15000).all()
    south = rows("south", "junior")
    assert (south.loc[2023:, "seats"] == 4000).all()
    for frame in (north, south.loc[2023:]):
        np.testing.assert_allclose(frame.gap, frame.seats - frame.students)
        assert (frame.students > 0).all()
    assert (north.loc[2025:, "gap"] != north.loc[2025:, "seats"]).all()


# ---------------------------------------------------------------- many problems at once


def test_problems_in_schools_and_school_grades_are_reported_in_one_error(tiny):
    s = {k: row_of(tiny / SCHOOLS, id=k) for k in ("NP1", "NP2", "NJ1", "NP9")}
    set_cell(tiny / SCHOOLS, s["NP1"], "region", "nort")
    set_cell(tiny / SCHOOLS, s["NP2"], "seats", "-5")
    set_cell(tiny / SCHOOLS, s["NJ1"], "classes", "30.5")
    set_cell(tiny / SCHOOLS, s["NP9"], "closed", "2020")
    bad_classes = row_of(tiny / GRADES, school="SP1", level="primary", grade="1")
    set_cell(tiny / GRADES, bad_classes, "classes", "-7")
    unknown = append_rows(tiny / GRADES, ["XX1", "primary", "1", "10", "1"],
                          ["NP3", "primary", "8", "10", "1"],
                          ["NK01", "kindergarten", "1", "130", "4"])
    scenario = load_scenario(tiny / "scenario.toml")
    with pytest.raises(DataError) as caught:
        assess(scenario)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 8, problems
    assert str(caught.value).startswith("8 data problems:")
    find(problems, at(tiny, SCHOOLS, s["NP1"], "region"), "Got 'nort'.", "Fix: use a region of")
    find(problems, at(tiny, SCHOOLS, s["NP2"], "seats"), "Got '-5'.", "Fix:")
    find(problems, at(tiny, SCHOOLS, s["NJ1"], "classes"), "Got '30.5'.", "Fix: write the number of classrooms")
    find(problems, at(tiny, SCHOOLS, s["NP9"], "closed"), "Got '2020'.", "Fix: give a closing year")
    find(problems, at(tiny, GRADES, bad_classes, "classes"), "Got '-7'.", "Fix: write the number of classes")
    find(problems, at(tiny, GRADES, unknown, "school"), "Got 'XX1'.", "Fix: use an id of the schools table.")
    find(problems, at(tiny, GRADES, unknown + 1, "grade"), "primary has 6 grades.", "Got 8.", "Fix:")
    find(problems, f"{path_of(tiny, GRADES)}: row {unknown + 2}: repeats school=NK01, level=kindergarten, grade=1.")


# ---------------------------------------------------------------- the command line


def test_cli_assess_bad_schools_returns_2_without_traceback(tiny, tmp_path, capsys):
    set_cell(tiny / SCHOOLS, row_of(tiny / SCHOOLS, id="NP1"), "region", "nort")
    set_cell(tiny / SCHOOLS, row_of(tiny / SCHOOLS, id="NP2"), "seats", "-5")
    grade = append_rows(tiny / GRADES, ["NP1", "junior", "1", "300", "6"])
    out_dir = tmp_path / "out"
    assert cli.main(["assess", str(tiny / "scenario.toml"), "--out", str(out_dir)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    head = next(i for i, line in enumerate(lines) if "data problems:" in line)
    assert lines[head].startswith("3 data problems:")
    reported = lines[head + 1:]
    assert len(reported) == 3 and all("Fix:" in line for line in reported), err
    assert at(tiny, SCHOOLS, row_of(tiny / SCHOOLS, id="NP1"), "region") in err
    assert at(tiny, SCHOOLS, row_of(tiny / SCHOOLS, id="NP2"), "seats") in err
    assert at(tiny, GRADES, grade, "level") in err
    assert not out_dir.exists()


def test_cli_assess_bad_capacity_returns_2_without_traceback(tiny, tmp_path, capsys):
    use_capacity(tiny, [["north", "primary", "-1", ""]])
    out_dir = tmp_path / "out"
    assert cli.main(["assess", str(tiny / "scenario.toml"), "--out", str(out_dir), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    assert "1 data problem:" in err
    assert at(tiny, CAPACITY, 2, "seats") in err
    assert not out_dir.exists()
