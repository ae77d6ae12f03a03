"""README's seed answers are what the shipped scenarios print: regenerated from fresh runs here,
so that no answer can drift from the code (run ``python docs/gen_seed_answers.py`` to update)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_seed_answers", ROOT / "docs" / "gen_seed_answers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_seed_answers_are_the_runs_own():
    gen = _generator()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = gen.replaced(text, gen.table())
    assert fresh == text, "README's seed answers differ from the runs: run python docs/gen_seed_answers.py"


def test_every_seed_has_a_question_and_targets_and_a_row():
    import capsim

    gen = _generator()
    named = {name for name, _ in gen.RUNS}
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        scenario = capsim.load_scenario(path)
        assert scenario.question and scenario.targets, path.name
        assert path.stem in named, path.name
