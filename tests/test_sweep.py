"""Sweeps: cases, resuming, failures, the Dask path, and the CLI."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capsim.cli import main
from capsim.errors import ScenarioError
from capsim.sweeps import Case, make_cases, parse_grid, sweep

ROOT = Path(__file__).resolve().parents[1]
KUNMING = ROOT / "scenarios" / "kunming.toml"


def test_parse_grid_splits_values_outside_brackets():
    grid = parse_grid(["plan.budget_total=3e9, 5e9", "a.b=[1,2],[3,4]", 'c="x,y",z'])
    assert grid == {"plan.budget_total": ["3e9", "5e9"], "a.b": ["[1,2]", "[3,4]"], "c": ['"x,y"', "z"]}


def test_parse_grid_reports_every_bad_item():
    with pytest.raises(ScenarioError) as err:
        parse_grid(["nokey", "a=1,,2", "b=1", "b=2"])
    assert len(err.value.problems) == 3
    assert "repeats a key" in str(err.value)


def test_cases_are_the_product_of_grid_and_overrides_with_stable_keys():
    cases = make_cases({"a": [1, 2, 3], "b": ["x", "y"]}, overrides=[(), ("low",)], set={"c": 0})
    assert len(cases) == 12
    assert len({c.key for c in cases}) == 12
    assert Case(("low",), {"c": 0, "a": 1, "b": "x"}).key in {c.key for c in cases}
    assert all(c.set["c"] == 0 for c in cases)
    assert cases[-1].label == "low, a=3, b=y"          # what varies, not the settings all cases share
    # the same case spelled twice is one case
    assert len(make_cases({"a": [1, 1]})) == 1


def _plan_invariants(table, projects):
    ok = table[table.status == "ok"]
    added = projects.groupby("case").seats.sum().reindex(ok.case, fill_value=0).to_numpy()
    np.testing.assert_allclose(ok.seats_added, added)
    np.testing.assert_array_equal(ok.projects, projects.groupby("case").size().reindex(ok.case, fill_value=0))


def test_sweep_on_tiny_matches_each_run_and_budgets(tiny, tmp_path):
    import capsim

    grid = {"plan.budget_total": ["1e8", "2e8", "4e8"]}
    result = sweep(tiny / "scenario.toml", grid, overrides=[("deterministic",)], progress=False)
    table = result.table.set_index("plan.budget_total")
    assert (table.status == "ok").all()
    for budget in grid["plan.budget_total"]:
        res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"],
                                              set={"plan.budget_total": budget}))
        row = table.loc[budget]
        assert row.cost_yuan <= float(budget) + 1
        assert row.cost_yuan == pytest.approx(res.plan.spending.cost_yuan.sum())
        g = res.plan.seats_by_grade   # short = what the cohorts' classes leave missing, grade by grade
        missing = np.maximum(g.students - g.class_seats, 0)
        missing = missing[missing > 0.5].sum()                # shortfalls are named from half a pupil
        assert row.shortfall_seat_years == pytest.approx(missing, abs=1e-6)
        seats = res.seats_after_plan
        room = np.maximum(seats.seats_before + seats.seats_added + seats.rented - seats.students, 0).sum()
        assert row.surplus_seat_years == pytest.approx(room)
    # more money never leaves more seats missing
    assert table.shortfall_seat_years.is_monotonic_decreasing
    _plan_invariants(result.table, result.projects)


def test_a_failing_case_is_reported_while_the_others_finish_and_is_retried(tiny, tmp_path):
    out = tmp_path / "sweep"
    # 0.7 is not among the forecast's quantiles: that case fails when it is assessed
    grid = {"standards.quantile": ["0.5", "0.7", "0.9"]}
    result = sweep(tiny / "scenario.toml", grid, out=out, progress=False)
    by_q = result.table.set_index("standards.quantile")
    assert list(by_q.status) == ["ok", "failed", "ok"]
    assert "standards.quantile" in by_q.loc["0.7", "error"] and "0.7" in by_q.loc["0.7", "error"]
    errors = list((out / "cases").glob("*.error.json"))
    assert len(errors) == 1 and "Traceback" in json.loads(errors[0].read_text())["traceback"]
    assert len(list((out / "cases").glob("*.json"))) == 3
    again = sweep(tiny / "scenario.toml", grid, out=out, progress=False)
    assert again.ran == 1                                    # only the failed case is tried again
    assert list(again.table.status) == ["ok", "failed", "ok"]
    # a changed scenario file or data table makes its cases run again; a damaged case file too
    text = (tiny / "scenario.toml").read_text()
    (tiny / "scenario.toml").write_text(text.replace("[plan]\n", "[plan]\nshortfall_penalty = 1\n"))
    assert sweep(tiny / "scenario.toml", grid, out=out, progress=False).ran == 3
    with open(tiny / "births.csv", "a") as f:
        f.write("\n")
    assert sweep(tiny / "scenario.toml", grid, out=out, progress=False).ran == 3
    next((out / "cases").glob("*[0-9a-f].json")).write_text("")
    assert sweep(tiny / "scenario.toml", grid, out=out, progress=False).ran == 2
    saved = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert list(saved.status) == ["ok", "failed", "ok"]
    from capsim.reports.sweep_plot import save_sweep_figure

    assert save_sweep_figure(out, saved).stat().st_size > 10_000       # what `capsim sweep` draws


def test_dask_local_cluster_gives_the_same_numbers(tiny):
    pytest.importorskip("distributed")
    grid = {"plan.budget_total": ["1.5e8", "4e8"], "uncertainty.seed": ["1", "2"]}
    local = sweep(tiny / "scenario.toml", grid, progress=False)
    dask = sweep(tiny / "scenario.toml", grid, workers=2, progress=False)
    numbers = ["case", "status", "cost_yuan", "seats_added", "projects", "shortfall_seat_years",
               "surplus_seat_years", "oversized_class_years_left", "peak_year", "peak_students", "seed"]
    assert (local.table.status == "ok").all()
    pd.testing.assert_frame_equal(local.table[numbers], dask.table[numbers])
    pd.testing.assert_frame_equal(local.projects, dask.projects)
    # different seeds are different cases with different numbers
    assert local.table.surplus_seat_years.nunique() == 4


def test_cli_sweep_bad_grid_key_names_the_case_and_key(tiny, capsys):
    code = main(["sweep", str(tiny / "scenario.toml"), "--grid", "plan.budget=1,2", "--out", str(tiny / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "plan.budget" in err and "case plan.budget=1" in err and "Traceback" not in err
    assert not (tiny / "o").exists()


def _case_files(folder):
    return {p.name: p.stat().st_mtime_ns for p in (folder / "cases").glob("*.json")} if folder.exists() else {}


def test_killed_sweep_of_50_cases_resumes_without_recomputing(tmp_path):
    """A 50-case sweep of the Kunming seed plan, interrupted (Ctrl-C) midway, then run again."""
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "capsim.cli", "sweep", str(KUNMING), "--set", "uncertainty.draws=1",
           "--grid", "plan.budget_total=" + ",".join(f"{b}e9" for b in (1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6)),
           "--grid", "plan.discount_rate=0,0.01,0.02,0.03,0.04", "--out", str(out)]
    # Ctrl-C must reach the sweep even when the tests run where SIGINT is ignored (a background job)
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while len(_case_files(out)) < 8 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    printed, err = first.communicate(timeout=120)
    kept = _case_files(out)
    assert first.returncode == 130, (first.returncode, err[-2000:], printed[-2000:])
    assert "finished cases are kept" in err
    assert 8 <= len(kept) < 50
    assert not (out / "sweep.csv").exists()
    assert not [p for p in (out / "cases").iterdir() if p.name.startswith(".")]   # no half-written case

    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert f"50 cases, {50 - len(kept)} run now, {len(kept)} already done; 0 failed" in second.stdout
    after = _case_files(out)
    assert len(after) == 50
    assert {k: after[k] for k in kept} == kept                 # finished cases were not rewritten
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 50 and (table.status == "ok").all()
    assert (table["cost_yuan"] <= table["plan.budget_total"] + 1).all()


def test_cases_differing_only_in_plan_keys_share_one_forecast(tiny, monkeypatch):
    """A budget grid forecasts once; a grid over the forecast's seed forecasts each case."""
    import capsim.projection

    calls = []
    real = capsim.projection.project
    monkeypatch.setattr(capsim.projection, "project", lambda *a, **k: calls.append(1) or real(*a, **k))
    budgets = sweep(tiny / "scenario.toml", {"plan.budget_total": ["1e8", "2e8", "4e8"]},
                    overrides=[("deterministic",)], progress=False)
    assert (budgets.table.status == "ok").all() and len(calls) == 1
    calls.clear()
    seeds = sweep(tiny / "scenario.toml", {"uncertainty.seed": ["1", "2"]}, progress=False)
    assert (seeds.table.status == "ok").all() and len(calls) == 2


def test_the_command_line_sweep_writes_its_tables_and_figure_and_can_run_again(tiny, tmp_path):
    """``capsim sweep`` draws sweep.png (a report, from sweep.csv) into the sweep's own folder;
    the folder's marker lists it, so the same command runs again there."""
    from capsim.cli import main

    out = tmp_path / "sw"
    args = ["sweep", str(tiny / "scenario.toml"), "--grid", "plan.budget_total=1.5e8,4e8", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert {"sweep.csv", "sweep_projects.csv", "sweep.png", "cases"} <= {p.name for p in out.iterdir()}
    assert (out / "sweep.png").stat().st_size > 10_000
    assert main(args) == 0
