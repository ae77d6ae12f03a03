"""Figures in README and the seeds' SOURCES.md are what the runs give: each generated section
is regenerated from fresh runs here and compared (run the named script to update)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def script(name: str):
    """``docs/NAME.py`` as a module (its folder on the path: the scripts import each other)."""
    sys.path.insert(0, str(ROOT / "docs"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, make", [("gen_falling_rolls", "table"), ("gen_robust", "section")])
def test_readme_section_is_the_runs_own(name, make):
    gen = script(name)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen.replaced(text, getattr(gen, make)()) == text, f"README differs from the runs: run python docs/{name}.py"


def test_every_seeds_results_section_is_the_runs_own():
    gen = script("gen_seed_results")
    for name in gen.CASES:
        text = (ROOT / "data" / name / "SOURCES.md").read_text(encoding="utf-8")
        assert gen.replaced(text, gen.section(name)) == text, (
            f"data/{name}/SOURCES.md's results differ from the runs: run python docs/gen_seed_results.py")
