"""Scenario files: extends, overrides, --set, and the messages for every kind of bad input.

Each test copies the tiny example into ``tmp_path`` and changes exactly one thing, then checks
that the result (or the error message) names the file, the key, the bad value and the fix.
"""

import shutil
from pathlib import Path

import pytest

from capsim import cli
from capsim.errors import ScenarioError
from capsim.examples import tiny_path
from capsim.scenario import load_scenario, parse_value

# ---------------------------------------------------------------- helpers


@pytest.fixture
def tiny(tmp_path) -> Path:
    """Path of scenario.toml in a fresh copy of the tiny example."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path().parent, folder)
    return folder / "scenario.toml"


def edit(path: Path, old: str, new: str) -> Path:
    """Replace ``old`` (which must occur exactly once) with ``new`` in a text file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def append(path: Path, text: str) -> Path:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path, use=(), set=None) -> list[str]:  # noqa: A002 - mirrors load_scenario
    """The problems load_scenario reports, one string each."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, use=use, set=set)
    return [str(p) for p in caught.value.problems]


def only_problem(path, use=(), set=None) -> str:  # noqa: A002
    problems = problems_of(path, use=use, set=set)
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------- the good example


def test_tiny_example_loads_with_its_values(tiny):
    s = load_scenario(tiny)
    assert (s.name, s.base_year, s.end_year) == ("tiny", 2020, 2030)
    assert s.uncertainty.draws == 20
    assert s.data.population == (tiny.parent / "population.csv").resolve()
    assert s.source == str(tiny)


# ---------------------------------------------------------------- priority


@pytest.fixture
def child(tiny) -> Path:
    """A scenario in another folder that extends the tiny one and adds an override; both lie in
    one project tree (a ``.capsim-root`` file above them)."""
    write(tiny.parent.parent / ".capsim-root", "")
    return write(tiny.parent.parent / "variants" / "child.toml", """
extends = "../tiny/scenario.toml"
name = "child"

[uncertainty]
seed = 2
tfr_sd = 0.3
migration_sd = 0.3

[overrides.spread.uncertainty]
tfr_sd = 0.4
migration_sd = 0.4
""")


def test_defaults_fill_keys_nobody_sets(child):
    s = load_scenario(child)
    assert s.uncertainty.tfr_ramp_years == 10          # schema default
    assert s.demography.open_age == 100                # schema default


def test_extended_file_beats_defaults(child):
    s = load_scenario(child)
    assert s.demography.sex_ratio_at_birth == 1.11     # default 1.06, tiny says 1.11
    assert s.housing.persons_per_dwelling == 3.0       # default 2.9, tiny says 3.0
    assert s.uncertainty.draws == 20


def test_this_file_beats_extended_file(child):
    s = load_scenario(child)
    assert s.name == "child"
    assert s.uncertainty.seed == 2                     # tiny says 1
    assert s.uncertainty.tfr_sd == 0.3                 # tiny says 0.2


def test_override_beats_this_file(child):
    s = load_scenario(child, use=["spread"])
    assert s.uncertainty.tfr_sd == 0.4
    assert s.uncertainty.seed == 2                     # untouched by the override


def test_overrides_of_an_extended_file_can_be_used(child):
    s = load_scenario(child, use=["deterministic"])
    assert s.uncertainty.draws == 1


def test_overrides_apply_in_order_and_all_take_effect(child):
    for use in (["deterministic", "spread"], ["spread", "deterministic"]):
        s = load_scenario(child, use=use)
        assert (s.uncertainty.draws, s.uncertainty.tfr_sd) == (1, 0.4), use


def test_set_beats_overrides(child):
    s = load_scenario(child, use=["deterministic", "spread"],
                      set={"uncertainty.migration_sd": "0.5", "uncertainty.draws": "7"})
    assert s.uncertainty.migration_sd == 0.5
    assert s.uncertainty.draws == 7
    assert s.uncertainty.tfr_sd == 0.4                 # the override still wins over the file


def test_whole_priority_chain_on_one_scenario(child):
    s = load_scenario(child, use=["deterministic", "spread"], set={"uncertainty.migration_sd": 0.5})
    u = s.uncertainty
    assert u.tfr_ramp_years == 10                      # default
    assert s.housing.persons_per_dwelling == 3.0       # extends
    assert u.seed == 2                                 # this file
    assert (u.draws, u.tfr_sd) == (1, 0.4)             # overrides
    assert u.migration_sd == 0.5                       # --set


# ---------------------------------------------------------------- data paths


def test_data_paths_of_an_extended_file_are_relative_to_that_file(child):
    s = load_scenario(child)
    tiny_folder = child.parent.parent / "tiny"
    assert s.data.population == (tiny_folder / "population.csv").resolve()
    assert s.data.tfr == (tiny_folder / "tfr.csv").resolve()


def test_data_paths_of_the_extending_file_are_relative_to_it(child):
    write(child.parent / "my_tfr.csv", "year,tfr\n2020,1.2\n")
    append(child, '[data]\ntfr = "my_tfr.csv"\n')
    s = load_scenario(child)
    assert s.data.tfr == (child.parent / "my_tfr.csv").resolve()
    assert s.data.population == (child.parent.parent / "tiny" / "population.csv").resolve()


def test_data_paths_in_an_override_are_relative_to_the_file_holding_it(child):
    s = load_scenario(child, use=["low_births"])
    assert s.data.tfr == (child.parent.parent / "tiny" / "tfr_low.csv").resolve()


def test_data_paths_given_by_set_are_relative_to_the_working_directory(tiny, monkeypatch):
    monkeypatch.chdir(tiny.parent.parent)
    s = load_scenario(tiny, set={"data.tfr": "tiny/tfr_low.csv"})
    assert s.data.tfr == (tiny.parent / "tfr_low.csv").resolve()


# ---------------------------------------------------------------- --set values


@pytest.mark.parametrize("text, value", [
    ("3e9", 3e9), ("0.5", 0.5), ("7", 7), ("true", True), ("false", False),
    ("[1, 2]", [1, 2]), ('"quoted"', "quoted"), ("hualong", "hualong"),
])
def test_set_values_are_parsed_as_toml_when_they_are_toml(text, value):
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_set_true_becomes_a_boolean_in_the_scenario(tiny):
    s = load_scenario(tiny, set={"uncertainty.keep_draws": "true"})
    assert s.uncertainty.keep_draws is True


def test_set_3e9_is_a_number_and_reported_as_one(tiny):
    problem = only_problem(tiny, set={"end_year": "3e9"})
    assert problem.startswith("--set: end_year:")
    assert "3000000000.0" in problem                    # a float, not the text '3e9'
    assert "2200" in problem
    assert "Fix: expected last projected year, after base_year" in problem


def test_set_unknown_key_names_set_and_suggests(tiny):
    problem = only_problem(tiny, set={"uncertainty.draw": "5"})
    assert problem.startswith("--set: uncertainty.draw:")
    assert "Got 5." in problem
    assert "Fix: did you mean 'draws'?" in problem


# ---------------------------------------------------------------- unknown keys, types, ranges


def test_unknown_key_names_file_key_and_close_name(tiny):
    edit(tiny, "draws = 20", "draw = 20")
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: uncertainty.draw:")
    assert "not permitted" in problem
    assert "Got 20." in problem
    assert "Fix: did you mean 'draws'?" in problem


def test_unknown_top_level_key_suggests_close_name(tiny):
    edit(tiny, 'title = "Tiny', 'titel = "Tiny')
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: titel:")
    assert "Fix: did you mean 'title'?" in problem


def test_unknown_data_key_suggests_close_name(tiny):
    edit(tiny, 'births = "births.csv"', 'birth = "births.csv"')
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: data.birth:")
    assert "Fix: did you mean 'births'?" in problem


def test_unknown_key_inside_an_override_names_the_override(tiny):
    edit(tiny, "[overrides.deterministic.uncertainty]\ndraws = 1",
         "[overrides.deterministic.uncertainty]\ndraw = 1")
    problem = only_problem(tiny, use=["deterministic"])
    assert problem.startswith(f"{tiny} [overrides.deterministic]: uncertainty.draw:")
    assert "Fix: did you mean 'draws'?" in problem


BAD_VALUES = [
    # (text in the file, replacement, key, message fragment, value shown, fix fragment)
    ("draws = 20", 'draws = "many"', "uncertainty.draws", "valid integer", "'many'",
     "expected number of Monte Carlo draws"),
    ('migration_timing = "half"', 'migration_timing = "middle"', "demography.migration_timing", "",
     "'middle'", "expected 'start', 'end' or 'half'."),
    ("tfr_sd = 0.2", "tfr_sd = -0.2", "uncertainty.tfr_sd", "greater than or equal to 0", "-0.2",
     "expected TFR spread"),
    ("seed = 1", "seed = 1\nquantiles = [0.1, 1.5]", "uncertainty.quantiles", "[1.5] do not", "[0.1, 1.5]",
     "expected quantiles between 0 and 1"),
    ("sex_ratio_at_birth = 1.11", "sex_ratio_at_birth = 3", "demography.sex_ratio_at_birth", "less than 1.4", "3",
     "expected male births per female birth, e.g. 1.11."),
    ("rate = { 2020 = 0.9, 2025 = 0.95 }", "rate = { 2020 = 0.9, 2025 = 9.5 }", "education.senior.rate",
     "[9.5] do not", "{'2020': 0.9, '2025': 9.5}", "expected enrolment rate"),
]


@pytest.mark.parametrize("old,new,key,message,value,fix", BAD_VALUES, ids=[b[2] for b in BAD_VALUES])
def test_bad_value_names_file_key_value_and_fix(tiny, old, new, key, message, value, fix):
    edit(tiny, old, new)
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: {key}:")
    assert message in problem
    assert f"Got {value}." in problem
    assert f"Fix: {fix}" in problem


def test_missing_required_key_names_the_fix(tiny):
    edit(tiny, "base_year = 2020\n", "")
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: base_year:")
    assert "required" in problem.lower()
    assert "Fix: add it: year of the base population." in problem


def test_end_year_before_base_year_names_key_value_and_fix(tiny):
    edit(tiny, "end_year = 2030", "end_year = 2010")
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: end_year:")       # the key, not '(top level)'
    assert "Got 2010." in problem                          # the bad value, not the whole scenario
    assert "Fix:" in problem


def test_end_year_before_base_year_is_reported_with_both_years(tiny):
    edit(tiny, "end_year = 2030", "end_year = 2010")
    problem = only_problem(tiny)
    assert problem.startswith(str(tiny))
    assert "end_year 2010 must come after base_year 2020" in problem


def test_several_problems_in_one_file_are_reported_together(tiny):
    edit(tiny, "draws = 20", "draw = 20")                                    # unknown key
    edit(tiny, "seed = 1", 'seed = "one"')                                   # wrong type
    edit(tiny, "tfr_sd = 0.2", "tfr_sd = -0.2")                              # out of range
    edit(tiny, "sex_ratio_at_birth = 1.11", "sex_ratio_at_birth = 3")        # out of range
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tiny)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 4, problems
    assert str(caught.value).startswith("4 scenario problems:")
    for key, value in [("uncertainty.draw", "20"), ("uncertainty.seed", "'one'"),
                       ("uncertainty.tfr_sd", "-0.2"), ("demography.sex_ratio_at_birth", "3")]:
        [match] = [p for p in problems if p.startswith(f"{tiny}: {key}:")]
        assert f"Got {value}." in match
        assert "Fix:" in match


# ---------------------------------------------------------------- extends and overrides


def test_extends_cycle_is_reported_with_the_chain(tmp_path):
    a = write(tmp_path / "a.toml", 'extends = "b.toml"\nname = "a"\n')
    b = write(tmp_path / "b.toml", 'extends = "a.toml"\nname = "b"\n')
    problem = only_problem(a)
    assert problem.startswith(f"{a}:")
    assert "loops back" in problem
    assert f"{a.resolve()} -> {b.resolve()} -> {a.resolve()}" in problem
    assert "Fix: remove 'extends' from one of these files." in problem


def test_file_extending_itself_is_a_cycle(tmp_path):
    a = write(tmp_path / "a.toml", 'extends = "a.toml"\nname = "a"\n')
    assert "loops back" in only_problem(a)


def test_missing_extends_file_is_named_with_the_fix(tiny):
    edit(tiny, 'name = "tiny"', 'extends = "base.toml"\nname = "tiny"')
    problem = only_problem(tiny)
    missing = tiny.parent / "base.toml"
    assert problem.startswith(f"{tiny}: extends: scenario file not found.")
    assert f"Got '{missing}'." in problem
    assert "Fix: check the path and spelling." in problem


def test_missing_extends_file_names_the_file_that_extends_it(tiny):
    edit(tiny, 'name = "tiny"', 'extends = "base.toml"\nname = "tiny"')
    problem = only_problem(tiny)
    assert f"{tiny}: extends" in problem


def test_extends_must_be_a_path(tiny):
    edit(tiny, 'name = "tiny"', 'extends = 5\nname = "tiny"')
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: extends:")
    assert "Got 5." in problem
    assert 'Fix: write extends = "other.toml".' in problem


def test_scenario_file_not_found(tmp_path):
    path = tmp_path / "nope.toml"
    problem = only_problem(path)
    assert problem.startswith(f"{path}: scenario file not found.")
    assert "Fix: check the path and spelling." in problem


def test_invalid_toml_names_file_line_and_fix(tiny):
    line = tiny.read_text(encoding="utf-8").splitlines().index("[housing]") + 1
    edit(tiny, "[housing]", "[housing")
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: is not valid TOML")
    assert f"line {line}," in problem
    assert "Fix: correct the syntax at that line." in problem


def test_unknown_override_name_lists_names_and_suggests(tiny):
    problem = only_problem(tiny, use=["lowbirths"])
    assert problem.startswith("--use lowbirths: no override of that name.")
    assert "Got 'lowbirths'." in problem
    assert "['catchments', 'deterministic', 'five_year', 'low_births']" in problem
    assert "did you mean 'low_births'?" in problem


def test_two_overrides_setting_the_same_key(tiny):
    append(tiny, "[overrides.many_draws.uncertainty]\ndraws = 500\n")
    problem = only_problem(tiny, use=["deterministic", "many_draws"])
    assert problem.startswith(f"{tiny}: overrides.many_draws:")
    assert "'uncertainty.draws'" in problem
    assert "override 'deterministic' also sets" in problem
    assert "Fix: switch on only one of them" in problem


def test_two_overrides_on_the_same_key_blame_the_later_one(tiny):
    append(tiny, "[overrides.many_draws.uncertainty]\ndraws = 500\n")
    problem = only_problem(tiny, use=["many_draws", "deterministic"])
    assert problem.startswith(f"{tiny}: overrides.deterministic:")
    assert "override 'many_draws' also sets" in problem


def test_override_that_is_not_a_table(tiny):
    append(tiny, "[overrides]\nbroken = 3\n")
    problem = only_problem(tiny)
    assert problem.startswith(f"{tiny}: overrides.broken:")
    assert "Got 3." in problem
    assert "Fix: write [overrides.broken]" in problem


# ---------------------------------------------------------------- the command line


def test_cli_validate_good_example_returns_0(tiny, capsys):
    assert cli.main(["validate", str(tiny)]) == 0
    out, err = capsys.readouterr()
    assert "OK" in out and "2 region(s)" in out
    assert err == ""


def test_cli_validate_bad_scenario_returns_2_without_traceback(tiny, capsys):
    edit(tiny, "draws = 20", "draw = 20")
    edit(tiny, "tfr_sd = 0.2", "tfr_sd = -0.2")
    assert cli.main(["validate", str(tiny)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    assert err.startswith("2 scenario problems:")
    assert f"{tiny}: uncertainty.draw:" in err and "did you mean 'draws'?" in err
    assert f"{tiny}: uncertainty.tfr_sd:" in err and "Got -0.2." in err


def test_cli_validate_checks_every_named_override_not_only_those_in_use(tiny, capsys):
    """An override with a misspelt key or a missing table passed validate; run refused it only
    once someone used it. A forecast-only override (five_year: the planner needs annual steps)
    is said to be such, not refused."""
    assert cli.main(["validate", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "of its 4 other named override(s), each switched on alone, 3 pass for every command" in out
    assert "--use five_year: OK for `capsim assess` only; `capsim run` refuses it:" in out and "annual steps" in out
    with open(tiny, "a", encoding="utf-8") as f:
        f.write('\n[overrides.bad.plan]\nbudgt = 3\n\n[overrides.lost.data]\nbirths = "nowhere.csv"\n')
    assert cli.main(["validate", str(tiny)]) == 2
    err = capsys.readouterr().err
    assert "--use bad: " in err and "plan.budgt" in err and "--use lost: " in err and "nowhere.csv" in err
    assert cli.main(["validate", str(tiny), "--use", "bad"]) == 2            # in use: the scenario's own problem
    assert "--use bad: " not in capsys.readouterr().err


def test_cli_debug_lets_the_error_propagate(tiny):
    edit(tiny, "draws = 20", "draw = 20")
    with pytest.raises(ScenarioError) as caught:
        cli.main(["validate", str(tiny), "--debug"])
    assert "uncertainty.draw" in str(caught.value)


def test_cli_use_and_set_reach_the_scenario(tiny, capsys):
    code = cli.main(["validate", str(tiny), "--use", "deterministic", "--set", "end_year=2025"])
    assert code == 0
    assert "years 2020-2025, 1 draw(s)" in capsys.readouterr().out


def test_cli_unknown_use_returns_2_with_suggestion(tiny, capsys):
    assert cli.main(["validate", str(tiny), "--use", "lowbirths"]) == 2
    err = capsys.readouterr().err
    assert "--use lowbirths" in err and "did you mean 'low_births'?" in err
    assert "Traceback" not in err


def test_cli_set_without_equals_sign(tiny, capsys):
    assert cli.main(["validate", str(tiny), "--set", "end_year"]) == 2
    err = capsys.readouterr().err
    assert "--set end_year: is not KEY=VALUE." in err
    assert "Fix: write e.g. --set end_year=2035." in err


def test_cli_set_value_is_parsed(tiny, capsys):
    assert cli.main(["validate", str(tiny), "--set", "uncertainty.draws=many"]) == 2
    err = capsys.readouterr().err
    assert "--set: uncertainty.draws:" in err and "Got 'many'." in err
