"""Each seed's results section in data/NAME/SOURCES.md is what the runs give: regenerated from
fresh runs here (run ``python docs/gen_seed_results.py`` to update)."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_seeds_results_section_is_the_runs_own():
    sys.path.insert(0, str(ROOT / "docs"))
    spec = importlib.util.spec_from_file_location("gen_seed_results", ROOT / "docs" / "gen_seed_results.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for name in gen.CASES:
        text = (ROOT / "data" / name / "SOURCES.md").read_text(encoding="utf-8")
        assert gen.replaced(text, gen.section(name)) == text, (
            f"data/{name}/SOURCES.md's results differ from the runs: run python docs/gen_seed_results.py")
