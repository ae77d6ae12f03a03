"""Data tables: every kind of bad input names the file, the row (header = row 1), the value and the fix.

Each test copies the tiny example into ``tmp_path`` and changes exactly one table (or one line
of the scenario), then reads the inputs and checks the DataError's problems.
"""

from pathlib import Path

import pytest

from capsim import cli
from capsim.data import read_inputs
from capsim.errors import DataError
from capsim.scenario import load_scenario
from csvedit import append_rows, cell, drop_rows, edit_scenario, find, read_rows, set_cell, write_rows

# ---------------------------------------------------------------- helpers
















def data_problems(folder: Path) -> list[str]:
    """The problems read_inputs reports for the scenario in ``folder``, one string each."""
    scenario = load_scenario(folder / "scenario.toml")
    with pytest.raises(DataError) as caught:
        read_inputs(scenario)
    return [str(p) for p in caught.value.problems]




def at(folder: Path, table: str, row: int, column: str) -> str:
    """How a problem's place starts: the file, the spreadsheet row and the column."""
    return f"{(folder / table).resolve()}: row {row}, column {column}:"


def survival_rows(value=lambda sex, age: "0.99"):
    """A valid survival-ratio table on the tiny grid: 'birth' and ages 0..100 for each sex."""
    rows = [["sex", "age", "survival"]]
    for sex in ("female", "male"):
        for age in ["birth"] + [str(a) for a in range(101)]:
            rows.append([sex, age, value(sex, age)])
    return rows


def use_survival_table(folder: Path, rows) -> Path:
    path = write_rows(folder / "survival.csv", rows)
    edit_scenario(folder, 'mortality = "mortality.csv"', 'mortality = "survival.csv"')
    return path


def spreadsheet_row(rows, sex, age) -> int:
    return next(i for i, r in enumerate(rows, start=1) if r[:2] == [sex, age])


# ---------------------------------------------------------------- the good example


def test_tiny_example_reads_without_problems(tiny):
    inputs = read_inputs(load_scenario(tiny / "scenario.toml"))
    assert inputs.regions == ("north", "south")
    assert inputs.base.shape == (2, 2, 101)


def test_a_valid_survival_table_reads_without_problems(tiny):
    use_survival_table(tiny, survival_rows())
    inputs = read_inputs(load_scenario(tiny / "scenario.toml"))
    assert inputs.survival.shape == (2, 101)
    assert inputs.birth_survival.tolist() == [0.99, 0.99]


# ---------------------------------------------------------------- files and columns


def test_missing_data_file_names_path_and_scenario_key(tiny):
    (tiny / "births.csv").unlink()
    problems = data_problems(tiny)
    path = (tiny / "births.csv").resolve()
    problem = find(problems, "births")
    assert len(problems) == 1
    assert problem.startswith(f"{path}: the births table does not exist.")
    assert f"Got '{path}'." in problem
    assert "Fix: check data.births in the scenario" in problem


def test_missing_regions_table_names_its_key(tiny):
    (tiny / "regions.csv").unlink()
    problem = find(data_problems(tiny), "regions table does not exist")
    assert problem.startswith(f"{(tiny / 'regions.csv').resolve()}:")
    assert "Fix: check data.regions in the scenario" in problem


def without_housing(folder: Path) -> None:
    edit_scenario(folder, 'housing = "housing.csv"\nhousing_yield = "housing_yield.csv"\n', "")


def test_missing_regions_table_without_housing_names_its_key(tiny):
    without_housing(tiny)
    (tiny / "regions.csv").unlink()
    problem = find(data_problems(tiny), "regions table does not exist")
    assert problem.startswith(f"{(tiny / 'regions.csv').resolve()}:")
    assert "Fix: check data.regions in the scenario" in problem


def test_missing_regions_table_is_one_problem(tiny):
    without_housing(tiny)
    (tiny / "regions.csv").unlink()
    assert len(data_problems(tiny)) == 1


def test_missing_column_names_file_header_and_fix(tiny):
    set_cell(tiny / "population.csv", 1, "population", "pop")
    problem = find(data_problems(tiny), "missing column")
    assert problem.startswith(f"{(tiny / 'population.csv').resolve()}: missing column(s) population.")
    assert "Got ['region', 'sex', 'age', 'pop']." in problem
    assert "Fix: add a header with region, sex, age, population" in problem


def test_header_only_table_has_no_rows(tiny):
    write_rows(tiny / "births.csv", [["region", "year", "births"]])
    problem = find(data_problems(tiny), "has no rows")
    assert problem.startswith(f"{(tiny / 'births.csv').resolve()}:")
    assert "Fix: add the data rows below the header." in problem


# ---------------------------------------------------------------- unknown regions


@pytest.mark.parametrize("table", ["population.csv", "migration.csv", "enrolment.csv", "births.csv"])
def test_unknown_region_names_row_value_and_known_regions(tiny, table):
    assert cell(tiny / table, 2, "region") == "north"
    set_cell(tiny / table, 2, "region", "nort")         # the first data row
    problem = find(data_problems(tiny), "Got 'nort'.")
    assert problem.startswith(at(tiny, table, 2, "region"))
    assert "is not a known value." in problem
    assert "Got 'nort'." in problem
    assert "Fix: use a region of regions.csv: north, south." in problem


def test_unknown_region_in_a_later_row_gives_that_row(tiny):
    set_cell(tiny / "enrolment.csv", 40, "region", "east")
    problem = find(data_problems(tiny), "east")
    assert problem.startswith(at(tiny, "enrolment.csv", 40, "region"))


def test_unknown_region_in_optional_region_column(tiny):
    write_rows(tiny / "tfr.csv", [["year", "tfr", "region"], ["2020", "1.0", "north"], ["2030", "0.8", "west"]])
    problem = find(data_problems(tiny), "west")
    assert problem.startswith(at(tiny, "tfr.csv", 3, "region"))
    assert "is not a known region." in problem
    assert "or leave it empty for all regions" in problem


def test_duplicate_region_ids(tiny):
    row = append_rows(tiny / "regions.csv", ["north", "又一个北区"])
    problem = find(data_problems(tiny), "repeats")
    assert problem.startswith(f"{(tiny / 'regions.csv').resolve()}: row {row}: repeats region=north.")
    assert "Fix: give each region one row with a unique id." in problem


# ---------------------------------------------------------------- values out of range


def test_negative_population_names_row_value_and_fix(tiny):
    assert cell(tiny / "population.csv", 5, "age") == "3"
    set_cell(tiny / "population.csv", 5, "population", "-5")
    problem = find(data_problems(tiny), "'-5'")
    assert problem.startswith(at(tiny, "population.csv", 5, "population"))
    assert "must be a number between 0 and 1e+10." in problem
    assert "Got '-5'." in problem
    assert "Fix: write a count of persons >= 0 (never in 万)." in problem


def test_negative_population_is_one_problem_not_also_a_missing_age(tiny):
    set_cell(tiny / "population.csv", 5, "population", "-5")
    assert len(data_problems(tiny)) == 1


def test_non_number_population(tiny):
    set_cell(tiny / "population.csv", 7, "population", "1,000")
    problem = find(data_problems(tiny), "'1,000'")
    assert problem.startswith(at(tiny, "population.csv", 7, "population"))


def test_asfr_out_of_range(tiny):
    set_cell(tiny / "fertility.csv", 2, "asfr", "1.5")
    problem = find(data_problems(tiny), "asfr")
    assert problem.startswith(at(tiny, "fertility.csv", 2, "asfr"))
    assert "between 0 and 0.999" in problem
    assert "Got '1.5'." in problem
    assert "Fix: write births per woman per year, e.g. 0.08." in problem


def test_tfr_out_of_range(tiny):
    set_cell(tiny / "tfr.csv", 3, "tfr", "-1")
    problem = find(data_problems(tiny), "'-1'")
    assert problem.startswith(at(tiny, "tfr.csv", 3, "tfr"))
    assert "Fix: write children per woman, e.g. 1.1." in problem


def test_negative_enrolment(tiny):
    set_cell(tiny / "enrolment.csv", 3, "students", "-1980")
    problem = find(data_problems(tiny), "'-1980'")
    assert problem.startswith(at(tiny, "enrolment.csv", 3, "students"))
    assert "Fix: write a count of pupils >= 0." in problem


def test_unknown_level_in_enrolment(tiny):
    set_cell(tiny / "enrolment.csv", 2, "level", "primry")
    problem = find(data_problems(tiny), "'primry'")
    assert problem.startswith(at(tiny, "enrolment.csv", 2, "level"))
    assert "kindergarten, primary, junior, senior" in problem


def test_unknown_sex(tiny):
    set_cell(tiny / "migration.csv", 3, "sex", "M")
    problem = find(data_problems(tiny), "'M'")
    assert problem.startswith(at(tiny, "migration.csv", 3, "sex"))
    assert "Fix: use one of: female, male." in problem


# ---------------------------------------------------------------- mortality


def test_survival_above_one(tiny):
    rows = survival_rows(lambda sex, age: "1.2" if (sex, age) == ("male", "50") else "0.99")
    use_survival_table(tiny, rows)
    row = spreadsheet_row(rows, "male", "50")
    problem = find(data_problems(tiny), "'1.2'")
    assert problem.startswith(at(tiny, "survival.csv", row, "survival"))
    assert "between 0 and 1" in problem
    assert "Fix: write a share between 0 and 1." in problem


def test_survival_age_off_the_grid(tiny):
    rows = survival_rows()
    row = len(rows) + 1
    use_survival_table(tiny, rows + [["male", "101", "0.5"]])
    problem = find(data_problems(tiny), "'101'")
    assert problem.startswith(at(tiny, "survival.csv", row, "age"))
    assert "Fix: use 'birth' or an age group start 0, 1, ..., 100." in problem


def test_survival_table_missing_a_row_is_reported(tiny):
    use_survival_table(tiny, [r for r in survival_rows() if r[:2] != ["male", "50"]])
    problem = find(data_problems(tiny), "lacks survival ratios")
    assert problem.startswith(f"{(tiny / 'survival.csv').resolve()}:")
    assert "Fix: give, for each sex, a row for 'birth' and every age group 0..100." in problem


def test_survival_table_missing_a_row_names_the_sex_and_age(tiny):
    use_survival_table(tiny, [r for r in survival_rows() if r[:2] != ["male", "50"]])
    problem = find(data_problems(tiny), "lacks survival ratios")
    assert "male" in problem and "50" in problem


def test_qx_table_without_the_open_rows_mx(tiny):
    path = tiny / "mortality.csv"
    row = len(read_rows(path))                            # the last row: male, 100
    assert [cell(path, row, c) for c in ("sex", "age", "mx")] == ["male", "100", "0.5"]
    set_cell(path, row, "mx", "")
    problem = find(data_problems(tiny), "mx")
    assert problem.startswith(at(tiny, "mortality.csv", row, "mx"))
    assert "the open age row needs a death rate mx > 0." in problem
    assert "Fix: add an mx column with the open group's central death rate." in problem


def test_qx_above_one(tiny):
    set_cell(tiny / "mortality.csv", 12, "qx", "1.5")
    problem = next(p for p in data_problems(tiny) if "'1.5'" in p)
    assert problem.startswith(at(tiny, "mortality.csv", 12, "qx"))
    assert "between 0 and 1" in problem
    assert "Fix: write a number between 0 and 1 here." in problem


def test_qx_above_one_is_reported_once(tiny):
    set_cell(tiny / "mortality.csv", 12, "qx", "1.5")
    find(data_problems(tiny), "'1.5'")


def test_mortality_table_of_unknown_form(tiny):
    set_cell(tiny / "mortality.csv", 1, "qx", "q")
    problem = find(data_problems(tiny), "not a life table")
    assert problem.startswith(f"{(tiny / 'mortality.csv').resolve()}:")
    assert "Got ['sex', 'age', 'q', 'mx']." in problem
    assert "Fix: give columns sex, age, lx, Lx; or sex, age, qx" in problem


# ---------------------------------------------------------------- coverage and duplicates


def test_missing_ages_are_listed(tiny):
    drop_rows(tiny / "population.csv",
              lambda r: not (r["region"] == "south" and r["sex"] == "male" and r["age"] in {"5", "6", "7", "40"}))
    problem = find(data_problems(tiny), "has no population for some ages")
    assert problem.startswith(f"{(tiny / 'population.csv').resolve()}: region south, sex male")
    assert "Got '5-7, 40'." in problem
    assert "Fix: add rows for every age from 0 to 100 (or use age_span)." in problem


def test_duplicate_population_row(tiny):
    row = append_rows(tiny / "population.csv", ["north", "female", "3", "1001"])
    problem = find(data_problems(tiny), "repeats")
    assert problem.startswith(f"{(tiny / 'population.csv').resolve()}: row {row}: "
                              "repeats region=north, sex=female, age=3.")
    assert "Fix: keep one row for each." in problem


def test_duplicate_enrolment_row(tiny):
    first = read_rows(tiny / "enrolment.csv")[1]
    row = append_rows(tiny / "enrolment.csv", first[:-1] + [str(int(first[-1]) + 1)])
    problem = find(data_problems(tiny), "repeats")
    assert problem.startswith(f"{(tiny / 'enrolment.csv').resolve()}: row {row}: "
                              "repeats region=north, level=primary, grade=1, year=2016.")


def test_exact_duplicate_row_is_named_once_with_the_row_it_repeats(tiny):
    row = append_rows(tiny / "enrolment.csv", read_rows(tiny / "enrolment.csv")[1])
    problem = find(data_problems(tiny), "repeats")
    assert problem == (f"{(tiny / 'enrolment.csv').resolve()}: row {row}: repeats row 2 exactly. "
                       "Fix: delete the repeated row.")


# ---------------------------------------------------------------- housing


def test_housing_without_housing_yield(tiny):
    edit_scenario(tiny, 'housing_yield = "housing_yield.csv"\n', "")
    problems = data_problems(tiny)
    assert len(problems) == 1
    assert problems[0].startswith(f"{tiny / 'scenario.toml'}: data.housing: needs data.housing_yield.")
    assert "Fix: add a CSV of age, per_resident" in problems[0]


def test_housing_yield_without_housing(tiny):
    edit_scenario(tiny, 'housing = "housing.csv"\n', "")
    problem = find(data_problems(tiny), "without data.housing")
    assert problem.startswith(f"{tiny / 'scenario.toml'}: data.housing_yield: is given without data.housing.")
    assert str((tiny / "housing_yield.csv").resolve()) in problem
    assert "Fix: add data.housing, or remove data.housing_yield." in problem


def test_housing_move_in_end_before_start(tiny):
    set_cell(tiny / "housing.csv", 2, "move_in_start", "2024")
    set_cell(tiny / "housing.csv", 2, "move_in_end", "2022")
    problem = find(data_problems(tiny), "move_in_end")
    assert problem.startswith(at(tiny, "housing.csv", 2, "move_in_end"))
    assert "is before move_in_start." in problem
    assert "Got '2022'." in problem
    assert "Fix: give move-in years in order (start <= end)." in problem


def test_housing_without_residents_or_dwellings(tiny):
    set_cell(tiny / "housing.csv", 2, "dwellings", "")
    problem = find(data_problems(tiny), "neither residents nor dwellings")
    assert problem.startswith(f"{(tiny / 'housing.csv').resolve()}: row 2:")
    assert "Fix: fill in residents, or dwellings" in problem


def test_housing_yields_adding_up_to_one(tiny):
    set_cell(tiny / "housing_yield.csv", 2, "per_resident", "0.9")
    problem = find(data_problems(tiny), "add up to 1 or more")
    assert problem.startswith(f"{(tiny / 'housing_yield.csv').resolve()}:")
    assert "Fix: give children per resident" in problem


# ---------------------------------------------------------------- many problems at once


def test_problems_in_several_tables_are_reported_in_one_error(tiny):
    set_cell(tiny / "fertility.csv", 3, "asfr", "2")
    set_cell(tiny / "migration.csv", 2, "region", "nort")
    set_cell(tiny / "housing.csv", 2, "move_in_end", "2020")
    set_cell(tiny / "enrolment.csv", 4, "students", "-3")
    (tiny / "births.csv").unlink()
    scenario = load_scenario(tiny / "scenario.toml")
    with pytest.raises(DataError) as caught:
        read_inputs(scenario)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 5, problems
    assert str(caught.value).startswith("5 data problems:")
    find(problems, at(tiny, "fertility.csv", 3, "asfr"), "Got '2'.", "Fix:")
    find(problems, at(tiny, "migration.csv", 2, "region"), "Got 'nort'.", "Fix:")
    find(problems, at(tiny, "housing.csv", 2, "move_in_end"), "Got '2020'.", "Fix:")
    find(problems, at(tiny, "enrolment.csv", 4, "students"), "Got '-3'.", "Fix:")
    find(problems, "births table does not exist", "Fix: check data.births")


def test_several_bad_rows_in_one_table_are_all_reported(tiny):
    for row in (2, 50, 300):
        set_cell(tiny / "population.csv", row, "sex", "x")
    problems = data_problems(tiny)
    for row in (2, 50, 300):
        find(problems, at(tiny, "population.csv", row, "sex"), "Got 'x'.", "Fix: use one of: female, male.")


# ---------------------------------------------------------------- the command line


def test_cli_validate_bad_data_returns_2_without_traceback(tiny, capsys):
    set_cell(tiny / "population.csv", 5, "population", "-5")
    set_cell(tiny / "fertility.csv", 2, "asfr", "1.5")
    assert cli.main(["validate", str(tiny / "scenario.toml")]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    assert "data problems:" in err.splitlines()[0]
    assert at(tiny, "population.csv", 5, "population") in err
    assert at(tiny, "fertility.csv", 2, "asfr") in err
    assert err.count("Fix:") == len(err.splitlines()) - 1


def test_cli_debug_raises_the_data_error(tiny):
    set_cell(tiny / "fertility.csv", 2, "asfr", "1.5")
    with pytest.raises(DataError) as caught:
        cli.main(["validate", str(tiny / "scenario.toml"), "--debug"])
    assert "fertility.csv: row 2, column asfr" in str(caught.value)
