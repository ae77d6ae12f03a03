"""The benchmark scripts run as documented (at a tiny size, so that none can rot)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from capsim.examples import tiny_path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_report_times_model_and_report_of_a_scenario(capsys):
    bench = _script("bench_report")
    assert bench.main(["--repeats", "1", "--draws", "1", str(tiny_path())]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| scenario | regions | draws | model (s) | report (s)")
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:3] == ["tiny", "2", "1"] and float(cells[3]) > 0 and float(cells[4]) > 0


@pytest.mark.parametrize("script, args, says", [
    ("bench_assess", ["--schools", "50", "--years", "3", "--repeats", "1"], "tidy per-grade table"),
    ("bench_core", ["--sizes", "1x2", "--years", "3", "--repeats", "1", "--no-leslie", "--engines", "numpy",
                    "--dtypes", "float64"], "total benchmark time"),
    ("bench_plan", ["--sizes", "xining", "--seeds", "0", "--solvers", "highs", "--formulations", "step",
                    "--repeats", "1", "--time-limit", "10"], "optimal"),
    ("bench_province", ["--regions", "20", "--draws", "2", "--years", "3", "--repeats", "1", "--workers", "1"],
     "in-process"),
])
def test_every_benchmark_runs_as_documented_at_a_tiny_size(script, args, says):
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), *args], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert says in done.stdout
