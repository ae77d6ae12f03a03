"""The one way out: every table of a run has one name (attribute, CSV file), and a saved folder
reads back into the same Results (issue 21)."""

import os

import pandas as pd
import pytest

import capsim
from capsim.examples import tiny_path
from capsim.results import CATALOGUE, read_results


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fresh run of the tiny example (a plan, targets, a ledger) and its folder."""
    res = capsim.run(capsim.load_scenario(tiny_path(), set={"uncertainty.draws": 20}))
    out = tmp_path_factory.mktemp("results") / "tiny"
    capsim.report(res, out)
    return res, out


def test_read_results_gives_back_every_table_of_the_run(saved):
    res, out = saved
    back = read_results(out)
    tables = res.tables()
    assert set(back.tables()) == set(tables)
    assert {"schedule", "targets", "ledger", "regions", "closures"} - set(tables) == {"closures"}  # tiny closes none
    for name, table in tables.items():
        pd.testing.assert_frame_equal(getattr(back, name).reset_index(drop=True), table.reset_index(drop=True),
                                      check_dtype=False, obj=name)
    assert back.scenario.name == res.scenario.name and back.has_plan and back.plan is None


def test_every_file_a_run_writes_is_a_table_of_the_catalogue(saved):
    _, out = saved
    names = [t.name for t in CATALOGUE]
    assert len(names) == len(set(names))
    csv = {f.removesuffix(".csv") for f in os.listdir(out) if f.endswith(".csv")}
    assert csv <= set(names), csv - set(names)
    assert all(isinstance(getattr(capsim.Results, n), property) for n in names)


def test_the_summary_and_report_read_back_say_what_the_run_said(saved):
    from capsim.reports.summary import plan_summary

    res, out = saved
    assert plan_summary(read_results(out)) == plan_summary(res)
    assert repr(read_results(out)) == "<capsim Results of 'tiny', read back, with a plan>"


def test_a_folder_without_its_tables_is_refused_naming_each(tmp_path):
    with pytest.raises(capsim.DataError) as err:
        read_results(tmp_path)
    text = str(err.value)
    assert "students_by_level.csv" in text and "assessment.csv" in text and "scenario.resolved.toml" in text


def test_a_run_without_projects_has_no_plan_tables_and_reads_back_so(tiny, tmp_path):
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    sc = sc.model_copy(update={"data": sc.data.model_copy(update={"projects": None})})
    res = capsim.run(sc)
    assert not res.has_plan and res.schedule is None and res.assessment_after_plan is None
    plan_tables = {"schedule", "spending", "seats_after_plan", "plan_summary", "assessment_after_plan"}
    assert not plan_tables & set(res.tables()) and {"students", "assessment", "ledger"} <= set(res.tables())
    capsim.report(res, tmp_path / "out")
    back = read_results(tmp_path / "out")
    assert not back.has_plan and set(back.tables()) == set(res.tables())


def test_a_sweep_measures_a_run_read_back_as_it_measured_the_run(saved):
    from capsim.sweeps import case_summary

    res, out = saved
    assert case_summary(read_results(out)) == pytest.approx(case_summary(res))


def test_the_comparison_script_finds_a_changed_figure_and_ignores_timings(saved, tmp_path, capsys):
    import runpy
    import shutil
    from pathlib import Path

    compare = runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "compare_runs.py"))["compare"]
    _, out = saved
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    summary = pd.read_csv(copy / "plan_summary.csv", encoding="utf-8-sig")
    summary.assign(solve_seconds=summary.solve_seconds + 1).to_csv(copy / "plan_summary.csv", index=False)
    assert compare(out, copy) == 0
    schedule = pd.read_csv(copy / "schedule.csv", encoding="utf-8-sig")
    schedule.assign(seats=schedule.seats + 1).to_csv(copy / "schedule.csv", index=False)
    assert compare(out, copy) == 1 and "DIFFERS    schedule.csv" in capsys.readouterr().out


def test_a_results_of_a_projection_alone_has_its_tables_and_no_others(tiny):
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    res = capsim.Results(sc, projection=capsim.project(sc))
    assert set(res.tables()) == {"students_by_level", "students", "population", "births", "regions", "calibration",
                                 "outlines"}
    assert res.assessment is None and not res.has_plan


def test_a_report_rebuilt_in_the_folder_still_reads_back_whole(saved, tmp_path):
    """``capsim report DIR`` rewrites the folder's marker: the text columns it lists survive."""
    import shutil

    from capsim.cli import main

    res, out = saved
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert main(["report", str(copy), "--quiet"]) == 0
    back = read_results(copy)
    pd.testing.assert_frame_equal(back.plan_summary, res.plan_summary, check_dtype=False)


def test_ids_that_read_as_missing_and_unknown_verdicts_come_back_as_written(saved, tmp_path):
    """``NA`` or ``null`` is an id, not a missing value; a yes/no column with unknowns (a
    target's ``met``) comes back True, False or None, never NaN (which would read as met)."""
    from capsim.outputs import write_results
    from capsim.targets import verdicts

    res, _ = saved
    tables = res.tables()
    tables["regions"] = pd.DataFrame({"region": ["NA", "null"], "name": ["甲区", ""]})
    met = [None if i % 3 == 0 else bool(i % 2) for i in range(len(tables["targets"]))]
    tables["targets"] = tables["targets"].assign(met=pd.Series(met, dtype=object))
    write_results(tmp_path / "out", tables, res.scenario)
    back = read_results(tmp_path / "out")
    assert back.regions.region.tolist() == ["NA", "null"] and back.regions.name.tolist() == ["甲区", ""]
    assert back.targets.met.tolist() == met
    pd.testing.assert_frame_equal(verdicts(back.targets, res.scenario), verdicts(tables["targets"], res.scenario))


def test_a_folder_from_before_runs_kept_names_and_points_takes_them_from_its_data(tiny, tmp_path):
    """An older folder has no regions.csv or places.csv: names and points come from the
    scenario's data tables while they exist, so its report still names districts in Chinese."""
    from capsim.reports import from_folder

    (tiny / "regions.csv").write_text("region,name,lon,lat\nnorth,北区,101.78,36.64\nsouth,南区,101.77,36.60\n",
                                      encoding="utf-8")
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"]))
    capsim.report(res, tmp_path / "out")
    for name in ("regions.csv", "places.csv"):
        (tmp_path / "out" / name).unlink()
    back = read_results(tmp_path / "out")
    assert back.regions.name.tolist() == ["北区", "南区"] and back.places.kind.unique().tolist() == ["regions"]
    t = from_folder(tmp_path / "out")
    assert t.chinese and t.region("south") == "南区" and list(t.places) == ["regions"]


def test_a_forecast_only_run_without_schools_or_projects_gets_its_report(tiny, tmp_path):
    """No school list, no projects: the report and workbook are still written (a column with no
    text in it once stopped the workbook) and the folder reads back."""
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    sc = sc.model_copy(update={"data": sc.data.model_copy(update={"projects": None, "schools": None,
                                                                    "school_grades": None})})
    capsim.report(capsim.run(sc), tmp_path / "out")
    assert (tmp_path / "out" / "capsim_tables.xlsx").stat().st_size > 5_000
    assert not read_results(tmp_path / "out").has_plan
