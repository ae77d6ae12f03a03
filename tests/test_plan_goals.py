"""Targets the planner is asked to meet (``meet = true``): the families against brute force, the
tiny example meeting a gross enrolment it misses otherwise, and the targets it refuses."""

import numpy as np
import pytest
from test_plan_samples import every_opening, one_level_projects

import capsim
from capsim.cli import main
from capsim.examples import tiny_path
from capsim.planner import model as milp
from capsim.planner.goals import Goals
from capsim.planner.solve import solve


def _instance(seed, cap, share=None):
    """One region and level, 4 years, 3 candidates; pupils' need and a target on the places (with
    ``share``, on the lawful places: that share of each project's places)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2021, 2025)
    seats = rng.integers(2, 8, 3) * 100
    projects = one_level_projects(seats, seats * rng.uniform(20_000, 60_000, 3), rng.integers(1, 3, 3),
                                  2021 + rng.integers(0, 2, 3), np.full(3, 2024))
    need = np.maximum(np.cumsum(rng.integers(-50, 250, 4)), 0).astype(float)[None, None]   # (1, 1, Y) seats short
    base = rng.uniform(1_000, 1_200, 4)
    goal = Goals(("t",), np.zeros(3, dtype=int), np.arange(1, 4), rng.uniform(1_200, 1_900, 3), np.arange(3),
                 np.zeros(3, dtype=int), np.zeros(3, dtype=int), base[1:], np.full(3, cap),
                 None if share is None else np.ones(3, dtype=bool), None if share is None else np.asarray(share))
    return milp.PlanInputs(years=years, need=need, projects=projects, discount_rate=0.03, penalty=40_000,
                           goals=goal), base


def _brute_force(inp, base) -> float:
    years, g = inp.years, inp.goals
    d = (1 + inp.discount_rate) ** -(years - years[0])
    best = np.inf
    for choice, spend, added in every_opening(inp.projects, years):
        short = np.maximum(inp.need[0, 0] - added, 0)
        lawful = added if g.project_share is None else _added(inp.projects, years, choice, g.project_share)
        places = np.minimum(base[g.pair_year] + lawful[g.pair_year], g.cap)
        miss = np.maximum(g.need - places, 0)
        best = min(best, spend @ d + inp.penalty * (short @ d + miss @ d[g.pair_year]))
    return best


def _added(p, years, choice, share):
    """Places the opened projects add by year, each at its ``share``."""
    out = np.zeros(len(years))
    for i, y in enumerate(choice):
        if y is not None:
            out[y:] += p.seats[i, 0] * share[i]
    return out


@pytest.mark.parametrize("seed,cap,share", [(0, np.inf, None), (1, np.inf, None), (2, 1_500.0, None),
                                            (3, 1_300.0, None), (4, np.inf, [1.0, 0.5, 0.8])])
def test_a_target_on_the_places_is_met_at_least_cost_as_brute_force_finds(seed, cap, share):
    inp, base = _instance(seed, cap, share)
    m = milp.build(inp)
    sol = solve(m.c, m.families, m.lb, m.ub, m.integer, gap=1e-9)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_force(inp, base), rel=1e-7)


def _tiny_with(threshold, meet, indicator="gross_enrolment", **more):
    sc = capsim.load_scenario(tiny_path(), use=["deterministic"])
    target = sc.targets[0].model_copy(update={"indicator": indicator, "threshold": threshold, "meet": meet, **more})
    return sc.model_copy(update={"targets": [target]})


def _after(res):
    t = res.targets
    return t[(t.region == "all") & (t.stage == "after")]


def test_the_tiny_plan_meets_a_gross_enrolment_it_misses_when_only_measured():
    measured = capsim.run(_tiny_with(0.93, False))
    met = capsim.run(_tiny_with(0.93, True))
    assert not _after(measured).met.any()                      # the plan for pupils alone leaves it short
    assert _after(met).met.all() and met.plan.notes == ""
    assert met.plan.solution.objective > measured.plan.solution.objective  # meeting it costs something
    # beyond what the candidates can give, the plan says by how much and when it falls short
    beyond = capsim.run(_tiny_with(0.99, True))
    assert "is missed by up to" in beyond.plan.notes and "2025-2030" in beyond.plan.notes
    assert not _after(beyond).met.any()


def test_places_per_10000_residents_is_met_where_it_can_be():
    res = capsim.run(_tiny_with(400, True, "places_per_10000", level="junior"))
    after = _after(res)
    assert after.met.all() and (after.value >= 400 - 1e-6).all()


@pytest.mark.parametrize("target, options, says", [
    ("oversized_classes", [], "can build to meet gross_enrolment and places_per_10000 only"),
    ("gross_enrolment", ["--set", "plan.closures=true"], "without closures or conversions"),
])
def test_targets_the_planner_cannot_meet_are_refused_before_work_starts(tiny, capsys, target, options, says):
    path = tiny / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'indicator = "{target}"\n', f'indicator = "{target}"\nmeet = true\n', 1),
                    encoding="utf-8")
    index = [line for line in text.splitlines() if line.startswith("indicator = ")].index(f'indicator = "{target}"')
    code = main(["validate", str(path), *options])
    err = capsys.readouterr().err
    assert code == 2 and f"targets[{index}].meet" in err and says in err and "Traceback" not in err


def test_projects_the_checks_read_are_read_again_where_one_teaches_a_level_the_plan_leaves_out():
    """The planner takes the projects the checks read (every forecast level) only where no
    project has places of a level it leaves out; otherwise it reads them for its levels, whose
    checks refuse such a project, whichever way the plan was called."""
    from capsim.checks import validate
    from capsim.errors import PlanError
    from capsim.planner import read_network

    sc = capsim.load_scenario(tiny_path(), use=["deterministic"])
    inputs = validate(sc)
    regions = list(inputs.regions)
    _, _, same = read_network(sc, regions, ["kindergarten", "primary", "junior", "senior"], inputs.schools,
                              inputs.projects)
    assert same.levels == ("kindergarten", "primary", "junior", "senior")
    with pytest.raises(PlanError, match="junior"):
        read_network(sc, regions, ["kindergarten", "primary", "senior"], inputs.schools, inputs.projects)
