"""benchmarks/README.md's projection-core tables are rendered from the stored results, never typed.

Fast and without timing: it renders the section from benchmarks/results/core.json and compares."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _report():
    spec = importlib.util.spec_from_file_location("core_report", BENCHMARKS / "core_report.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("core_report", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_readme_core_section_is_what_the_renderer_makes_of_the_stored_results():
    report = _report()
    res = json.loads((BENCHMARKS / "results" / "core.json").read_text(encoding="utf-8"))
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    assert readme.count(report.BEGIN) == 1 and readme.count(report.END) == 1
    assert report.readme_section(readme) == report.section(res), (
        "benchmarks/README.md's bench_core section differs from benchmarks/results/core.json: "
        "run `python benchmarks/core_report.py`")


def test_stored_results_are_a_full_run_of_the_shipped_command():
    """The README shows the default run (all tables, the references at 100 x 500 x 30 years, both
    dtypes, every reference), not a quick or partial one."""
    res = json.loads((BENCHMARKS / "results" / "core.json").read_text(encoding="utf-8"))
    assert res["command"] == "python benchmarks/bench_core.py"
    assert {"throughput", "memory", "scaling", "reference"} <= set(res)
    ref = res["reference"]
    assert (ref["draws"], ref["regions"], ref["years"]) == (100, 500, 30)
    for rounds in ref["rounds"].values():
        assert set(rounds) == {"read", "pcopy", "copy", "core", "core1", "dense", "sparse"}
        assert {len(times) for times in rounds.values()} == {res["repeats"]}


def _plan_report():
    _report()                               # core_report, which plan_report imports, registered first
    spec = importlib.util.spec_from_file_location("plan_report", BENCHMARKS / "plan_report.py")
    plan_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plan_report)
    return plan_report


@pytest.mark.parametrize("section", [0, 1], ids=["granularity", "cities"])
def test_readme_planner_sections_are_what_the_renderer_makes_of_the_stored_results(section):
    """Each of plan_report.py's sections (school granularity, cities) is its stored results as rendered."""
    plan_report = _plan_report()
    results, begin, end, render = plan_report.SECTIONS[section]
    res = json.loads(results.read_text(encoding="utf-8"))
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    start, stop = plan_report.span(readme, begin, end)
    assert readme[start:stop] == render(res), (
        f"benchmarks/README.md differs from {results.name}: run `python benchmarks/plan_report.py`")
    assert res["command"].startswith("python benchmarks/bench_plan.py --sizes")


def test_the_stored_planner_runs_hold_the_instances_their_tables_compare():
    plan_report = _plan_report()
    schools = json.loads(plan_report.RESULTS.read_text(encoding="utf-8"))
    assert {r["instance"] for r in schools["rows"]} == {"xining_pooled", "xining_schools"}
    cities = json.loads(plan_report.CITIES.read_text(encoding="utf-8"))
    assert set(plan_report.MARKS) <= {r["instance"] for r in cities["rows"]}


def test_scaling_slopes_are_fitted_on_a_log_log_scale_and_the_plot_is_drawn(tmp_path):
    """Hand-made rows: time growing as factor**1.5 along one axis and as the factor along another
    give slopes 1.5 and 1; the figure is written where asked."""
    report = _report()
    rows = [{"axis": axis, "factor": f, "seconds": {"numba": 0.01 * f ** power}}
            for axis, power in (("draws", 1.5), ("ages", 1.0)) for f in (1, 2, 4, 8)]
    res = {"scaling": {"engines": ["numba"], "rows": rows}}
    slopes = report.fitted_slopes(res, "numba")
    assert slopes["draws"] == pytest.approx(1.5) and slopes["ages"] == pytest.approx(1.0)
    report.scaling_figure(res, tmp_path / "scaling.png")
    assert (tmp_path / "scaling.png").stat().st_size > 10_000


def test_the_stored_scaling_grows_every_axis_and_its_plot_is_stored():
    res = json.loads((BENCHMARKS / "results" / "core.json").read_text(encoding="utf-8"))
    assert {r["axis"] for r in res["scaling"]["rows"]} == {"regions", "draws", "years", "ages"}
    assert (BENCHMARKS / "results" / "scaling.png").stat().st_size > 10_000
