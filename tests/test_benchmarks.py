"""The benchmark scripts run as documented (at a tiny size, so that none can rot)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from capsim.examples import tiny_path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_bench_report_times_model_and_report_of_a_scenario_and_a_synthetic_one(capsys):
    bench = _script("bench_report")
    assert bench.main(["--repeats", "1", "--draws", "1", "--scaling", "3", str(tiny_path())]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| scenario | regions | draws | model (s) | report (s)")
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:3] == ["tiny", "2", "1"] and float(cells[3]) > 0 and float(cells[4]) > 0
    cells = [c.strip() for c in lines[3].strip("|").split("|")]
    assert cells[:3] == ["tiny × 3 districts", "3", "1"] and float(cells[4]) > 0


def test_synthetic_scenario_copies_the_tiny_districts_with_their_schools_and_projects(tmp_path):
    import capsim

    from csvedit import read_rows

    bench = _script("bench_report")
    path = bench.synthetic_scenario(5, tmp_path / "five")
    regions = read_rows(tmp_path / "five" / "regions.csv")[1:]
    assert regions == [["north", "北区"], ["south", "南区"], ["north2", "北区2"], ["south2", "南区2"], ["north3", "北区3"]]
    tiny = tiny_path().parent
    by_region = [r[2] for r in read_rows(tiny / "schools.csv")[1:]]
    schools = read_rows(tmp_path / "five" / "schools.csv")[1:]
    assert len(schools) == 3 * by_region.count("north") + 2 * by_region.count("south")
    assert len({r[0] for r in schools}) == len(schools)            # ids stay unique
    projects = {r[0]: r for r in read_rows(tmp_path / "five" / "projects.csv")[1:]}
    assert projects["J-N1b3"][-2] == "J-N13" and projects["NJ2-X2"][5] == "NJ22"   # references follow the copy
    capsim.validate(capsim.load_scenario(path))                    # every reference resolves
    outlines = capsim.project(capsim.load_scenario(path, use=["deterministic"])).outlines
    west = outlines.groupby("region").x.min()
    assert west["north3"] == pytest.approx(west["north"] + 0.6)      # the third copy, 0.6 degrees east


def test_bench_report_renders_runs_medians_and_the_scaling_ratio():
    bench = _script("bench_report")
    rows = [{"scenario": "a", "synthetic": False, "regions": 1, "draws": 5, "model_s": 2.0, "report_s": 3.0},
            {"scenario": "s7", "synthetic": True, "regions": 7, "draws": 5, "model_s": 1.0, "report_s": 2.0},
            {"scenario": "s56", "synthetic": True, "regions": 56, "draws": 5, "model_s": 4.0, "report_s": 5.0}]
    faster = [dict(r, report_s=r["report_s"] / 2) for r in rows]
    text = bench.render({"runs": [{"label": "old", "note": "n", "repeats": 3, "rows": rows},
                                  {"label": "new", "note": "m", "repeats": 3, "rows": faster}]})
    assert "| a | 1 | 5 | 2.00 | 3.00 | 5.00 | 1.5× |" in text
    assert "Report at 56 districts / at 7: 2.5× (model 4.0×)." in text
    assert "| a | 1.5× | 0.8× |" in text and "| s56 | 1.2× | 0.6× |" in text


def test_benchmarks_readme_shows_the_stored_report_results():
    """benchmarks/README.md's bench_report section is the rendering of bench_report.json."""
    import json

    bench = _script("bench_report")
    results = json.loads(bench.RESULTS.read_text(encoding="utf-8"))
    assert [run["label"] for run in results["runs"]][:1] == ["before"]
    assert bench.readme_section() == bench.render(results), "run python benchmarks/bench_report.py --render"


@pytest.mark.parametrize("script, args, says", [
    ("bench_assess", ["--schools", "50", "--years", "3", "--repeats", "1"], "tidy per-grade table"),
    ("bench_core", ["--sizes", "1x2", "--years", "3", "--repeats", "1", "--no-leslie", "--engines", "numpy",
                    "--dtypes", "float64", "--tables", "throughput,memory,scaling"], "total benchmark time"),
    ("bench_plan", ["--sizes", "xining", "--seeds", "0", "--solvers", "highs", "--formulations", "step",
                    "--repeats", "1", "--time-limit", "10"], "optimal"),
    ("bench_province", ["--regions", "20", "--draws", "2", "--years", "3", "--repeats", "1", "--workers", "1"],
     "in-process"),
    ("bench_draws", ["--draws", "3", "--repeats", "1"], "x core"),
])
def test_every_benchmark_runs_as_documented_at_a_tiny_size(script, args, says):
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), *args], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert says in done.stdout


def test_bench_core_saves_what_it_measured_and_the_report_renders_it(tmp_path):
    """A tiny run with the references: the Leslie forms pass their check against the core, every
    reference row is saved with one time per round, and the README section renders from the file."""
    saved = tmp_path / "core.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_core.py"), "--sizes", "1x2", "--years", "2",
                           "--repeats", "2", "--tables", "reference", "--json", str(saved), "--note", "a test"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Leslie check" in done.stdout and "best Leslie" in done.stdout
    res = json.loads(saved.read_text())
    rounds = res["reference"]["rounds"]
    assert set(rounds) == {"float64", "float32"}
    for per_dtype in rounds.values():
        assert set(per_dtype) == {"read", "pcopy", "copy", "core", "core1", "dense", "sparse"}
        assert all(len(times) == 2 and min(times) > 0 for times in per_dtype.values())
    assert "--json" not in res["command"] and res["note"] == "a test"
    report = _script("core_report")
    text = report.markdown(res)
    assert "Table 4. References" in text and "need >= 0.9" in text and "note    : a test" in text
    readme = f"before\n{report.BEGIN}\nold\n{report.END}\nafter\n"
    assert report.replace_section(readme, res) == f"before\n{report.section(res)}\nafter\n"


def test_core_report_ratios_come_from_the_rounds():
    """Hand-made rounds: the headline's ratios are medians over medians, against the faster of the
    two copies and of the two Leslie forms, and their ranges are per round."""
    report = _script("core_report")
    rounds = {"read": [1.0, 1.0, 1.0], "pcopy": [2.0, 4.0, 2.0], "copy": [3.0, 3.0, 3.0],
              "core": [4.0, 5.0, 8.0], "core1": [8.0, 10.0, 16.0], "dense": [40.0, 60.0, 80.0],
              "sparse": [50.0, 45.0, 90.0]}
    assert report._ratio(rounds, report.COPIES, "core") == (2.0 / 5.0, 2.0 / 8.0, 3.0 / 5.0)
    best_leslie, low, high = report._ratio(rounds, report.LESLIES, "core")
    assert best_leslie == 50.0 / 5.0 and (low, high) == (9.0, 10.0)


@pytest.mark.parametrize("script, stored_as, says", [
    ("bench_province", "province.txt", ["bare kernel", "in-process"]),
    ("bench_draws", "draws.txt", ["6,400", "x state"]),
])
def test_each_recorded_section_of_the_readme_is_the_stored_run(script, stored_as, says):
    """``--record`` copies a script's output into the README: the two agree."""
    stored = (BENCHMARKS / "results" / stored_as).read_text(encoding="utf-8")
    page = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    start = f"<!-- {script} results: written by {script}.py --record; do not edit by hand -->"
    section = page.split(start, 1)[1].split(f"<!-- end of {script} results -->", 1)[0]
    assert section == "\n```\n" + stored + "```\n"
    assert all(word in stored for word in says)

