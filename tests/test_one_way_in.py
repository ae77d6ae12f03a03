"""Each input table is read once: the stages take what the earlier ones read (issue 21's first
step). Opens are counted through ``open``, which pandas' readers use for a path."""

import builtins
import collections
import io

import pytest


@pytest.fixture
def opens(monkeypatch):
    """Counts of the CSV and GeoJSON files opened, by path."""
    counts = collections.Counter()
    real = builtins.open

    def counting(file, *args, **kwargs):
        if str(file).endswith((".csv", ".geojson")):
            counts[str(file)] += 1
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    return counts


def _read(opens, folder) -> dict:
    """File name -> opens, of the input tables in ``folder`` (outputs of the same name aside)."""
    return {name.rsplit("/", 1)[-1]: n for name, n in opens.items() if name.rsplit("/", 1)[0] == str(folder)}


def test_a_run_of_the_api_opens_each_input_table_once(tiny, opens):
    """``capsim.run``: the forecast tables once, the schools and their grades once (the
    assessment's list serves the planner and the network after the plan), the projects once."""
    import capsim

    scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    opens.clear()
    capsim.run(scenario)
    read = _read(opens, tiny)
    assert read and set(read) >= {"schools.csv", "school_grades.csv", "projects.csv", "population.csv",
                                  "boundaries.geojson"}
    assert all(n == 1 for n in read.values()), read


@pytest.mark.parametrize("use", ["deterministic", "catchments"])
def test_the_command_line_reads_each_input_table_once(tiny, opens, tmp_path, use):
    """``capsim run``: the checks read every table; the forecast, the assessment and the planner
    use what they read (the projects, areas and travel too), and the report takes region names
    and points from the run's own tables, so every input table is opened once."""
    from capsim.cli import main

    assert main(["run", str(tiny / "scenario.toml"), "--use", use, "--set", "uncertainty.draws=4", "--out",
                 str(tmp_path / "o"), "--quiet"]) == 0
    read = _read(opens, tiny)
    expected = {"population.csv", "regions.csv", "schools.csv", "school_grades.csv", "projects.csv",
                "boundaries.geojson"}
    assert expected | ({"areas.csv", "travel.csv"} if use == "catchments" else set()) <= set(read), read
    assert all(n == 1 for n in read.values()), read


def test_a_stage_handed_an_assessment_forecasts_nothing_again(tiny, opens):
    """An assessment holds the forecast it assessed: ``plan(scenario, assessment=a)`` and
    ``run(scenario, before=a)`` open no population table (the forecast's first read) and plan
    as the chain does from the start."""
    import capsim

    scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    before = capsim.assess(scenario, capsim.project(scenario))
    assert before.projection is not None
    opens.clear()
    planned = capsim.plan(scenario, assessment=before)
    again = capsim.run(scenario, before=before)
    assert "population.csv" not in _read(opens, tiny), _read(opens, tiny)
    assert again.projection is before.projection
    whole = capsim.run(scenario)
    assert planned.solution.objective == pytest.approx(whole.plan.solution.objective, rel=1e-9)
    assert again.plan.solution.objective == pytest.approx(whole.plan.solution.objective, rel=1e-9)


def test_a_forecast_and_an_assessment_that_do_not_belong_together_are_refused(tiny):
    """A projection beside an assessment of another forecast, or an assessment of a scenario that
    differs outside [plan], would plan one forecast's pupils against another's: refused. An
    assessment of the same scenario but its [plan] serves."""
    import capsim

    scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])
    before = capsim.assess(scenario, capsim.project(scenario))
    with pytest.raises(ValueError, match="'projection' parameter of plan"):
        capsim.plan(scenario, projection=capsim.project(scenario), assessment=before)
    other = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set={"uncertainty.seed": 7})
    with pytest.raises(ValueError, match="'before' parameter of run"):
        capsim.run(other, before=before)
    cheaper = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set={"plan.shortfall_penalty": 1})
    assert capsim.run(cheaper, before=before).projection is before.projection
