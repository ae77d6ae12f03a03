"""README's Python examples run as written."""

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_backtest_tables_are_what_their_commands_print(tmp_path, capsys):
    """Each accuracy table in README is the output of the `capsim backtest ... --markdown` shown
    above it, run from the repository's root."""
    import shlex

    from capsim.cli import main

    text = README.read_text(encoding="utf-8")
    pattern = (r"```bash\ncapsim (backtest [^\n]*--markdown)\n```(?:(?!```).)*?<!-- backtest table[^>]*-->\n(.*?)\n"
               r"<!-- end of backtest table -->")
    found = re.findall(pattern, text, flags=re.S)
    assert len(found) >= 2
    root = README.parent
    for i, (command, table) in enumerate(found):
        args = [a if not a.startswith("data/") else str(root / a) for a in shlex.split(command)]
        assert main(args + ["--out", str(tmp_path / f"bt{i}")]) == 0
        printed = capsys.readouterr().out.strip()
        assert printed == table.strip(), f"README's table under `capsim {command}` differs from its output"


def test_the_api_doc_is_what_its_script_makes_of_the_docstrings(capsys):
    """docs/api.md is generated (python docs/gen_api_doc.py > docs/api.md): it cannot drift."""
    import runpy
    from pathlib import Path

    runpy.run_path(str(Path(__file__).parents[1] / "docs" / "gen_api_doc.py"), run_name="__main__")
    assert capsys.readouterr().out == (Path(__file__).parents[1] / "docs" / "api.md").read_text("utf-8"), (
        "docs/api.md differs from the docstrings: run python docs/gen_api_doc.py > docs/api.md")
