"""The benchmark scripts run as documented (at a tiny size, so that none can rot)."""

import importlib.util
from pathlib import Path

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
