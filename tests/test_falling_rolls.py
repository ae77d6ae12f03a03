"""README's falling-rolls table is what the runs give: regenerated from fresh runs here (run
``python docs/gen_falling_rolls.py`` to update)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_readme_falling_rolls_table_is_the_runs_own():
    import sys

    sys.path.insert(0, str(ROOT / "docs"))
    spec = importlib.util.spec_from_file_location("gen_falling_rolls", ROOT / "docs" / "gen_falling_rolls.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen.replaced(text, gen.table()) == text, (
        "README's falling-rolls table differs from the runs: run python docs/gen_falling_rolls.py")
