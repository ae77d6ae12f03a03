"""README's robust-plans tables are what ``capsim robust`` gives: regenerated from fresh runs here
(run ``python docs/gen_robust.py`` to update)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_readme_robust_tables_are_the_runs_own():
    import sys

    sys.path.insert(0, str(ROOT / "docs"))
    spec = importlib.util.spec_from_file_location("gen_robust", ROOT / "docs" / "gen_robust.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen.replaced(text, gen.section()) == text, (
        "README's robust-plans tables differ from the runs: run python docs/gen_robust.py")
