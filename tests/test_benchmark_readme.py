"""benchmarks/README.md's projection-core tables are rendered from the stored results, never typed.

Fast and without timing: it renders the section from benchmarks/results/core.json and compares."""

import importlib.util
import json
import sys
from pathlib import Path

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


def test_readme_granularity_section_is_what_the_renderer_makes_of_the_stored_results():
    _report()
    spec = importlib.util.spec_from_file_location("plan_report", BENCHMARKS / "plan_report.py")
    plan_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plan_report)
    res = json.loads((BENCHMARKS / "results" / "plan_schools.json").read_text(encoding="utf-8"))
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    start, end = plan_report.span(readme, plan_report.BEGIN, plan_report.END)
    assert readme[start:end] == plan_report.section(res), (
        "benchmarks/README.md's granularity section differs from benchmarks/results/plan_schools.json: "
        "run `python benchmarks/plan_report.py`")
    assert {r["instance"] for r in res["rows"]} == {"xining_pooled", "xining_schools"}
    assert res["command"].startswith("python benchmarks/bench_plan.py --sizes xining_pooled xining_schools")



def test_readme_city_section_is_what_the_renderer_makes_of_the_stored_results():
    spec = importlib.util.spec_from_file_location("plan_report", BENCHMARKS / "plan_report.py")
    plan_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plan_report)
    res = json.loads((BENCHMARKS / "results" / "plan_cities.json").read_text(encoding="utf-8"))
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    start, end = plan_report.span(readme, plan_report.CITIES_BEGIN, plan_report.CITIES_END)
    assert readme[start:end] == plan_report.city_section(res), (
        "benchmarks/README.md's city section differs from benchmarks/results/plan_cities.json: "
        "run `python benchmarks/plan_report.py`")
    assert set(plan_report.MARKS) <= {r["instance"] for r in res["rows"]}
