"""`capsim validate` refuses every bad value before work starts, all at once (issue 17).

Each test changes one thing in a copy of the tiny example, runs the command in-process and
checks the exit code (2), that no traceback is printed, and that the message names the file,
the key or row, the value and the fix.
"""

import time

import pytest

from capsim import cli
from capsim.scenario import load_scenario
from csvedit import append_rows, edit_scenario, read_rows, row_of, set_cell, write_rows


def validate(folder, *args, capsys, command="validate"):
    """(exit code, stderr) of ``capsim COMMAND folder/scenario.toml ARGS``."""
    code = cli.main([command, str(folder / "scenario.toml"), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


# ---------------------------------------------------------------- scenario values


@pytest.mark.parametrize("assignment,key", [
    ("uncertainty.draws=true", "uncertainty.draws"),
    ("standards.class_size={primary=0}", "standards.class_size.primary"),
    ("standards.class_size={primary=-45}", "standards.class_size.primary"),
    ("standards.class_size={kindergarten=[25,0,35]}", "standards.class_size.kindergarten.1"),
    ("standards.max_school_size={primary=0}", "standards.max_school_size.primary"),
    ("standards.students_per_teacher={primary=0}", "standards.students_per_teacher.primary"),
    ("standards.students_per_teacher={primary=nan}", "standards.students_per_teacher.primary"),
    ("standards.teachers_per_class={kindergarten=-2}", "standards.teachers_per_class.kindergarten"),
    ("standards.bands=[66,56]", "standards.bands"),
    ("standards.intake_class_size={primary={2022=0}}", "standards.intake_class_size.primary.2022"),
    ("plan.budget_yearly=-1", "plan.budget_yearly"),
    ("plan.budget_yearly=nan", "plan.budget_yearly"),
    ("plan.budget_yearly={2022=nan}", "plan.budget_yearly.2022"),
    ("plan.budget_total=inf", "plan.budget_total"),
    ("plan.shortfall_penalty=inf", "plan.shortfall_penalty"),
    ("plan.shortfall_penalty=1e300", "plan.shortfall_penalty"),
    ("plan.rent_cost=inf", "plan.rent_cost"),
    ("plan.rent_cost=1e300", "plan.rent_cost"),
    ("plan.empty_room_cost=-1", "plan.empty_room_cost"),
    ("plan.empty_room_cost=nan", "plan.empty_room_cost"),
    ("plan.asset_life=0", "plan.asset_life"),
    ("plan.salvage=1", "plan.salvage"),
    ("uncertainty.quantiles=[]", "uncertainty.quantiles"),
    ("education.primary.grade_rates=[1,1,1,1,1,nan]", "education.primary.grade_rates.5"),
    ("standards.cap_intake=1", "standards.cap_intake"),
    ("name=''", "name"),
    ("standards.quantile=0.3", "standards.quantile"),
    ("standards.teacher_review_from=2022", "standards.teacher_review_from"),
    ("standards.teacher_review_years=3 standards.teacher_review_from=2060", "standards.teacher_review_from"),
])
def test_wrong_scenario_values_are_refused_by_validate(tiny, capsys, assignment, key):
    code, err = validate(tiny, *[a for part in assignment.split(" ") for a in ("--set", part)], capsys=capsys)
    assert code == 2, err
    assert f": {key}:" in err and "Got " in err and "Fix:" in err, err


def test_validate_refuses_a_cost_of_empty_classrooms_where_the_plan_counts_seats(tiny, capsys):
    code, err = validate(tiny, "--set", "plan.empty_room_cost=10000", "--set", "plan.capacity='seats'", capsys=capsys)
    assert code == 2 and ": plan.empty_room_cost:" in err and "planning in classes" in err, err
    code, err = validate(tiny, "--set", "plan.empty_room_cost=10000", capsys=capsys)
    assert code == 0, err


def test_union_values_get_one_message_per_key(tiny, capsys):
    code, err = validate(tiny, "--set", "plan.budget_yearly=-1", capsys=capsys)
    assert code == 2 and err.startswith("1 scenario problem:")
    assert "dict[" not in err and "constrained" not in err


def test_validate_refuses_what_assess_refuses(tiny, capsys):
    """The assessed quantile must be one the forecast reports: assess exits 2, so validate does."""
    code, err = validate(tiny, "--set", "standards.quantile=0.3", capsys=capsys)
    assert code == 2 and "add 0.3 to uncertainty.quantiles" in err
    code, _ = validate(tiny, "--set", "standards.quantile=0.3", "--quiet", "--out", str(tiny / "o"),
                       capsys=capsys, command="assess")
    assert code == 2


def test_memory_estimate_refuses_a_forecast_that_cannot_fit(tiny, capsys):
    code, err = validate(tiny, "--set", "uncertainty.draws=100000", "--set", "end_year=2200", capsys=capsys)
    assert code == 2
    assert "uncertainty.draws" in err and "GB of memory" in err and "Got 100000." in err
    assert "Fix: use at most about" in err


def test_memory_estimate_names_the_figure_and_fix():
    from capsim.checks import memory_rules
    from capsim.examples import tiny_path

    scenario = load_scenario(tiny_path())
    problems = memory_rules(scenario, 2, available=1e6)
    (problem,) = problems.items
    assert "20 draws x 2 region(s) x 11 years" in problem.message
    assert memory_rules(scenario, 2, available=1e12).items == []


def test_plan_years_one_does_not_blame_project_rows(tiny, capsys):
    code, err = validate(tiny, "--set", "plan.years=1", capsys=capsys)
    assert code == 0, err


def test_plan_years_one_runs(tiny, capsys):
    code, err = validate(tiny, "--set", "plan.years=1", "--use", "deterministic", "--quiet", "--out",
                         str(tiny / "o"), capsys=capsys, command="plan")
    assert code == 0, err


# ---------------------------------------------------------------- table values


def test_population_beyond_plausible_is_refused(tiny, capsys):
    set_cell(tiny / "population.csv", 2, "population", "1e20")
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and "population.csv: row 2, column population" in err and "Got '1e20'." in err


def test_region_without_a_name_is_refused(tiny, capsys):
    set_cell(tiny / "regions.csv", 2, "name", "")
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and "regions.csv: row 2, column name: is empty." in err


def test_exact_duplicate_life_table_row_is_refused(tiny, capsys):
    rows = read_rows(tiny / "mortality.csv")
    append_rows(tiny / "mortality.csv", rows[5])
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and f"mortality.csv: row {len(rows) + 1}: repeats row 6 exactly." in err


def test_repeated_life_table_age_is_refused(tiny, capsys):
    rows = read_rows(tiny / "mortality.csv")
    append_rows(tiny / "mortality.csv", rows[5][:2] + ["0.5", ""])
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and "repeats sex=female, age=4." in err


@pytest.mark.parametrize("table,column,value", [
    ("projects.csv", "cost", "1e300"),
    ("projects.csv", "seats", "1e300"),
    ("schools.csv", "seats", "inf"),
    ("births.csv", "births", "1e300"),
    ("enrolment.csv", "students", "nan"),
    ("migration.csv", "value", "1e300"),
])
def test_huge_or_non_finite_table_values_are_refused(tiny, capsys, table, column, value):
    set_cell(tiny / table, 2, column, value)
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and f"{table}: row 2, column {column}" in err and f"Got '{value}'." in err


# ---------------------------------------------------------------- headers and ragged rows


def test_misspelt_optional_header_is_refused_with_did_you_mean(tiny, capsys):
    rows = read_rows(tiny / "projects.csv")
    rows[0][rows[0].index("committed")] = "Committed"
    write_rows(tiny / "projects.csv", rows)
    code, err = validate(tiny, capsys=capsys)
    assert code == 2
    assert "projects.csv: header: column 'Committed' is not one capsim reads. Got 'Committed'." in err
    assert "did you mean 'committed'?" in err


def test_note_columns_are_still_ignored(tiny, capsys):
    rows = read_rows(tiny / "schools.csv")
    write_rows(tiny / "schools.csv", [r + ["note" if i == 0 else "x"] for i, r in enumerate(rows)])
    code, err = validate(tiny, capsys=capsys)
    assert code == 0, err


@pytest.mark.parametrize("header, refused", [
    ("township", False),          # a note (乡镇), however close to 'ownership'
    ("ownershp", True),           # a slip: did you mean 'ownership'?
    ("merge_ino", True),
])
def test_a_slip_in_an_optional_schools_column_is_named_and_a_note_is_not(tiny, capsys, header, refused):
    rows = read_rows(tiny / "schools.csv")
    write_rows(tiny / "schools.csv", [r + [header if i == 0 else ""] for i, r in enumerate(rows)])
    code, err = validate(tiny, capsys=capsys)
    assert code == (2 if refused else 0), err
    assert ("did you mean" in err) == refused


def test_repeated_header_is_refused(tiny, capsys):
    rows = read_rows(tiny / "births.csv")
    write_rows(tiny / "births.csv", [r + [r[-1]] for r in rows])
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and "births.csv: header: repeats a column name. Got 'births'." in err


def test_row_with_extra_fields_is_reported_once_without_shifting(tiny, capsys):
    rows = read_rows(tiny / "population.csv")
    rows[3] = rows[3] + ["7", "8"]
    write_rows(tiny / "population.csv", rows)
    code, err = validate(tiny, capsys=capsys)
    assert code == 2
    assert "population.csv: row 4: has 6 fields; the header has 4." in err
    assert err.startswith("2 data problems:"), err   # the row, and the ages it leaves uncovered


def test_row_with_missing_fields_is_reported(tiny, capsys):
    rows = read_rows(tiny / "schools.csv")
    rows[2] = rows[2][:3]
    write_rows(tiny / "schools.csv", rows)
    code, err = validate(tiny, capsys=capsys)
    assert code == 2 and "schools.csv: row 3: has 3 fields; the header has 8." in err


def test_a_huge_ragged_row_is_cheap(tiny, capsys):
    with (tiny / "births.csv").open("a", encoding="utf-8") as f:
        f.write("north,2019," + ",".join(["1"] * 100_000) + "\n")
    start = time.perf_counter()
    code, err = validate(tiny, capsys=capsys)
    assert time.perf_counter() - start < 5
    assert code == 2 and "has 100002 fields; the header has 3." in err
    assert err.startswith("1 data problem:"), err[:300]


# ---------------------------------------------------------------- all at once


def test_every_table_reports_in_one_pass(tiny, capsys):
    """A broken forecast table no longer hides the schools, grades, projects and travel tables."""
    set_cell(tiny / "population.csv", 2, "population", "-1")
    set_cell(tiny / "schools.csv", 2, "classes", "-3")
    grade = row_of(tiny / "school_grades.csv", school="SP1", level="primary", grade="1")
    set_cell(tiny / "school_grades.csv", grade, "classes", "-7")
    set_cell(tiny / "projects.csv", 3, "cost", "-5")
    edit_scenario(tiny, "[overrides.catchments.data]\n", "[overrides.unused]\n")
    edit_scenario(tiny, 'projects = "projects.csv"\n',
                  'projects = "projects.csv"\nareas = "areas.csv"\ntravel = "travel.csv"\n')
    set_cell(tiny / "travel.csv", 2, "km", "-1")
    code, err = validate(tiny, capsys=capsys)
    assert code == 2
    for where in ("population.csv: row 2, column population", "schools.csv: row 2, column classes",
                  f"school_grades.csv: row {grade}, column classes", "projects.csv: row 3, column cost",
                  "travel.csv: row 2, column km"):
        assert where in err, (where, err)


def test_scenario_rules_and_tables_report_together(tiny, capsys):
    set_cell(tiny / "schools.csv", 2, "classes", "-3")
    code, err = validate(tiny, "--set", "standards.quantile=0.3", capsys=capsys)
    assert code == 2 and "standards.quantile" in err and "schools.csv: row 2, column classes" in err


def test_run_refuses_before_work_with_every_problem(tiny, capsys):
    set_cell(tiny / "population.csv", 2, "population", "-1")
    set_cell(tiny / "projects.csv", 3, "cost", "-5")
    code, err = validate(tiny, "--quiet", "--out", str(tiny / "o"), capsys=capsys, command="run")
    assert code == 2 and "population.csv" in err and "projects.csv" in err
    assert not (tiny / "o").exists()


def test_validate_is_public_and_raises_every_problem(tiny):
    import capsim

    set_cell(tiny / "population.csv", 2, "population", "-1")
    set_cell(tiny / "schools.csv", 2, "classes", "-3")
    with pytest.raises(capsim.CapsimError) as caught:
        capsim.validate(load_scenario(tiny / "scenario.toml"))
    assert {p.where.split(": ")[0].rsplit("/", 1)[-1] for p in caught.value.problems} == {"population.csv",
                                                                                      "schools.csv"}
    assert capsim.validate(load_scenario(tiny_scenario())).regions == ("north", "south")


def tiny_scenario():
    from capsim.examples import tiny_path

    return tiny_path()


def test_a_broken_regions_table_is_named_once_not_in_every_table(tiny, capsys):
    rows = read_rows(tiny / "regions.csv")
    write_rows(tiny / "regions.csv", [["regoin", "name"]] + rows[1:])
    code, err = validate(tiny, "--use", "catchments", capsys=capsys)
    assert code == 2
    assert "regions.csv: header: column 'regoin' is not one capsim reads." in err
    assert "regions.csv: missing column(s) region." in err
    assert "column region: is not a known value" not in err, err
