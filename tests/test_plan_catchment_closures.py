"""Closing schools at the catchment level in whole classes (``plan.closures`` with residential
areas): a closed school's classrooms are gone, its cohorts leave it the year it closes and the
zoning seats its pupils at the schools within reach. A hand-worked case checked by brute force,
the tiny example's catchments, and what is refused there."""

import itertools

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, SiteClasses
from capsim.planner.formulation import solve_as
from capsim.planner.result import _moved_to

from test_plan_classes import _projects

YEARS = np.arange(2021, 2024)
# pupils by area (a next to school A, b next to B), grade (1, 2) and year: a full year, then no
# intake (grade 2 only), then nobody
PUPILS = np.array([[[45.0, 0, 0], [45, 45, 0]], [[45, 0, 0], [45, 45, 0]]])
TRAVEL = 1000.0       # yuan a pupil a year to the other school, 1 km away
PENALTY = 1e5


def _two_schools(running: float, closable: bool = True, least=None, single: bool = False, pupils=PUPILS,
                 rooms=None, base=None) -> milp.PlanInputs:
    """Schools A and B, each 2 classrooms of 45 for grades 1-2 (or ``rooms`` (2, 1, 3)) and one
    class of each grade enrolled in 2021 (or ``base`` (2, 2)); either may close from 2022 (each
    open one keeping ``least`` pupils)."""
    rooms = np.full((2, 1, 3), 2.0) if rooms is None else rooms
    classes = SiteClasses(size=np.full((2, 3), 45.0), rooms=rooms, base=np.ones((2, 2)) if base is None else base,
                          project_rooms=np.zeros((1, 1)), next_cell=np.array([1, -1]))
    shut = dict(closable=np.array(["A", "B"], dtype=object), closable_pool=np.array([0, 1]), closable_rooms=rooms,
                closable_from=2022.0, min_pupils=least) if closable else {}
    catch = Catchment(pupils=pupils, area_region=np.zeros(2, int), seats=np.zeros((2, 2, 3)),
                      project_site=np.array([0]), cost=np.array([[0.0, TRAVEL], [TRAVEL, 0.0]]), single=single,
                      cell_level=np.zeros(2, int), classes=classes, sites=("A", "B"), **shut)
    projects = _projects([1], 45, [1e9], [1], [2021], [2021], [np.inf])
    return milp.PlanInputs(years=YEARS, need=np.zeros((1, 2, 3)), projects=projects, penalty=PENALTY,
                           catchment=catch, cell_seats=np.repeat(projects.seats / 2, 2, axis=1),
                           school_running_cost=running)


def _brute_force(running: float, least=None) -> tuple[float, tuple]:
    """Every pair of fates (open, closed from 2022, closed from 2023), priced by hand: each year
    the open schools seat the pupils of their own area; with one open it seats both areas' up
    to its 2 classrooms (a class of each grade with pupils), the other area's pupils travelling;
    with none, every pupil is short. With ``least``, a fate that keeps a school open from 2022
    with fewer pupils is not allowed."""
    best = (np.inf, None)
    for fates in itertools.product([None, 1, 2], repeat=2):
        cost = -running * sum(3 - t for t in fates if t is not None)
        for t in range(3):
            open_ = [s for s, f in enumerate(fates) if f is None or t < f]
            pupils = PUPILS[:, :, t]
            held = [pupils.sum()] if len(open_) == 1 else pupils.sum(axis=1)[open_]
            if least is not None and t >= 1 and any(h < least for h in held):
                cost = np.inf
            if len(open_) == 2:
                continue
            if not open_:
                cost += PENALTY * pupils.sum()
                continue
            by_grade = pupils.sum(axis=0)
            classes = np.ceil(by_grade / 45.0).sum()
            moved = pupils[1 - open_[0]].sum()
            cost += TRAVEL * moved if classes <= 2 else PENALTY * pupils.sum()   # (never cheaper here)
        if cost < best[0] - 1e-6:
            best = (cost, fates)
    return best


@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("running, want", [
    (1e5, -255_000.0),    # B closes in 2022 (its 45 go to A, 45,000), A in 2023: 3 school-years saved
    (2e4, -40_000.0),     # saving 20,000 does not pay the 45,000 of travel: both close when empty, 2023
    (0.0, 0.0),           # nothing to save: nothing closes
])
def test_closing_schools_at_the_catchment_level_equals_brute_force(running, want, single):
    """2021: a class of each grade at each school (both full). 2022: no intake, each school's
    grade-2 class; one school can hold both (2 classrooms), its cohort gaining a class as the
    other school's leaves it. 2023: nobody. The optimum is checked against every pair of fates;
    zoning each area whole to one school (single assignment) changes nothing here."""
    m = milp.build(_two_schools(running, single=single))
    sol = solve_as(m, "step", gap=1e-9)
    best, fates = _brute_force(running)
    assert sol.objective == pytest.approx(best) == pytest.approx(want)
    shut = np.rint(sol.values[m.shut_index])
    assert shut[:, 0].sum() == 0 and (np.diff(shut, axis=1) >= 0).all()             # never the first year; for good
    if running == 1e5:
        assert sorted(shut.sum(axis=1).tolist()) == [1, 2]                           # one from 2022, one from 2023
        closed_first = int(np.argmax(shut[:, 1]))
        k = np.rint(sol.values[m.assignment.k_index])
        assert k[closed_first, :, 1:].sum() == 0 and k[1 - closed_first, 1, 1] == 2  # its cohort moves: 2 classes
        other = "AB"[1 - closed_first]                 # its 45 of grade 2 go there; the last closes with nobody
        assert _moved_to(m, sol, np.array([closed_first, 1 - closed_first]), np.array([1, 2])) == [f"{other} 45", ""]


@pytest.mark.parametrize("least, want", [
    (60, 45_000.0),       # 45 pupils each in 2022: one school must close, its 45 travel; 2023 both close
    (40, 0.0),            # 45 each is enough in 2022; with nobody in 2023 both close, at no cost
])
def test_a_minimum_school_size_closes_the_small_schools(least, want):
    """No running cost to save: only the minimum makes a school close."""
    m = milp.build(_two_schools(0.0, least=least))
    sol = solve_as(m, "step", gap=1e-9)
    best, _ = _brute_force(0.0, least)
    assert sol.objective == pytest.approx(best) == pytest.approx(want)
    shut = np.rint(sol.values[m.shut_index])
    assert shut[:, 2].tolist() == [1, 1] and shut[:, 1].sum() == (1 if least == 60 else 0)


def test_a_minimum_school_size_does_not_shut_a_school_before_the_list_opens_it():
    """School B opens (its classrooms in the school list) in 2023, when 45 pupils come to live
    next to it. A minimum of 40 must not close it in 2022, when it has no classroom to hold
    anyone (a school closed stays closed): the plan costs nothing, as without a minimum."""
    pupils = np.array([[[45.0, 45, 45], [0, 45, 45]], [[0.0, 0, 45], [0, 0, 0]]])
    m = milp.build(_two_schools(0.0, least=40, pupils=pupils, rooms=np.array([[[2.0, 2, 2]], [[0.0, 0, 2]]]),
                                base=np.array([[1.0, 0], [0, 0]])))
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(0.0, abs=1e-6)
    assert np.rint(sol.values[m.shut_index])[1].sum() == 0


def test_without_closures_the_same_schools_plan_as_before():
    """The same case without closable schools: nothing is closed, nothing travels, cost 0."""
    m = milp.build(_two_schools(1e5, closable=False))
    assert m.shut_index is None
    assert solve_as(m, "step", gap=1e-9).objective == pytest.approx(0.0, abs=1e-6)


def test_on_the_tiny_examples_catchments_closed_schools_take_no_pupils_and_the_plan_costs_no_more():
    """Six plan years of the tiny example's catchments with a running cost of 3 million yuan a
    school: the plan with closures closes some schools, costs no more than the plan without
    them, seats nobody at a closed school from its year nor forms a class there, sends its
    pupils (``moved_to``) to open schools of its level, no more than it held, and the network
    after the plan has it closed."""
    import capsim
    import pandas as pd
    from capsim.examples import tiny_path

    settings = {"plan.school_running_cost": 3e6, "plan.years": 6}
    scenario = capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"], set=settings)
    building = capsim.run(scenario).plan
    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"],
                                          set={**settings, "plan.closures": True}))
    closed = res.plan.closures
    assert len(closed), "closing pays: some school closes"
    assert res.plan.solution.objective <= building.solution.objective * (1 + 1e-9)
    year_of = dict(zip(closed.school, closed.year))
    tables = [pd.read_csv(tiny_path().parent / f, dtype=str, keep_default_na=False) for f in ("schools.csv",
                                                                                              "projects.csv")]
    kind = {i: t for table in tables for i, t in zip(table.id, table.type) if t}
    zoned = res.plan.catchments
    at_closed = zoned[zoned.school.map(year_of).notna() & (zoned.year >= zoned.school.map(year_of))]
    assert at_closed.pupils.sum() == pytest.approx(0.0, abs=1e-6)
    for school, year, moved in zip(closed.school, closed.year, closed.moved_to):   # where its pupils go
        went = {name: float(n.replace(",", "")) for name, n in (part.rsplit(" ", 1) for part in moved.split(", "))}
        held = zoned[(zoned.school == school) & (zoned.year == year - 1)].pupils.sum()
        assert held > 0 and sum(went.values()) <= held + len(went) / 2      # (unserved pupils are not listed)
        assert all(year_of.get(s, 1e9) > year for s in went), (school, went)
        assert {kind[s] for s in went} == {kind[school]}, "a kindergarten's children go to kindergartens"
    k = res.plan.school_classes
    formed = k[k.school.map(year_of).notna() & (k.year >= k.school.map(year_of))]
    assert formed.classes.sum() == 0
    after = res.assessment_after.schools
    for school, year in year_of.items():
        assert not after[(after.school == school) & (after.year >= year)].open.any(), school
    rooms = res.plan.rooms                    # each closed school's classrooms leave its region from its year
    years = sorted(set(rooms.year))
    want = sum(n * sum(y >= year for y in years) for n, year in zip(closed.classrooms, closed.year))
    assert (rooms.rooms_changed <= 0).all() and -rooms.rooms_changed.sum() == pytest.approx(want)


def test_on_the_tiny_examples_catchments_every_school_kept_open_holds_the_minimum():
    """Six plan years, a minimum of 400 pupils a school: from the first year a school may close,
    every listed school the plan keeps open (not marked keep, not expanded) holds at least 400 of
    the pupils zoned to it, and the small ones are in closures.csv."""
    import capsim
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"], set={
        "plan.closures": True, "plan.min_school_pupils": 400, "plan.years": 6, "plan.time_limit": 20})
    import pandas as pd

    res = capsim.run(scenario)
    plan = res.plan
    assert len(plan.closures), "some tiny school holds fewer than 400 pupils"
    expanded = set(pd.read_csv(tiny_path().parent / "projects.csv", dtype=str, keep_default_na=False).school) - {""}
    closed = dict(zip(plan.closures.school, plan.closures.year))
    zoned = plan.catchments[plan.catchments.school != ""].groupby(["school", "year"]).pupils.sum()
    listed = set(pd.read_csv(tiny_path().parent / "schools.csv", dtype=str).id) - expanded
    years = sorted(set(plan.seats.year))[1:]                  # closures may start in the second plan year
    after = res.assessment_after.schools
    standing = after[after.open & after.school.isin(listed) & after.year.isin(years)]   # open without the plan too
    assert len(standing), "some school stays open"
    for school, year in zip(standing.school, standing.year):
        assert zoned.get((school, year), 0.0) >= 400 - 1e-6, (school, year)        # an empty one fails too
    assert not any(closed.get(s, 1e9) <= y for s, y in zip(standing.school, standing.year))


@pytest.mark.parametrize("settings, key, says", [
    ({"plan.min_school_pupils": 100}, "plan.min_school_pupils", "catchment areas"),
    ({"plan.closures": True, "plan.granularity": "zone"}, "plan.granularity", "without catchment areas"),
    ({"plan.school_running_cost": 1e6, "plan.capacity": "seats"}, "plan.school_running_cost", "planning in classes"),
    ({"plan.closures": True, "plan.max_displacement_km": 3.0}, "plan.max_displacement_km", "plan.max_distance_km"),
    ({"plan.closures": True, "plan.capacity": "seats"}, "plan.closures", "planning in classes"),
    ({"plan.conversions": [{"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 1.0}],
      "plan.capacity": "seats"}, "plan.conversions", "planning in classes"),
])
def test_what_the_catchment_level_cannot_honour_is_refused_by_validate_and_run(settings, key, says):
    import capsim
    from capsim.checks import validate
    from capsim.errors import CapsimError
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"], set=settings)
    for attempt in (lambda: validate(scenario), lambda: capsim.run(scenario)):
        with pytest.raises(CapsimError) as refused:
            attempt()
        assert key in str(refused.value) and says in str(refused.value)


WHOLE = 'plan.conversions=[{school_type = "kindergarten", into = "primary", cost_per_classroom = 1.0}]'


@pytest.mark.parametrize("moving", ["plan.closures=true", WHOLE])
def test_a_school_list_naming_receivers_is_refused_with_catchment_closures(tiny, capsys, moving):
    """With catchment areas the zoning decides where the pupils of a school closed (or converted
    whole) go, so a ``merge_into`` column with names is refused before work starts, by column
    and example."""
    import pandas as pd

    from capsim.cli import main

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools["merge_into"] = ["NK02" if i == "NK01" else "" for i in schools.id]
    schools.to_csv(tiny / "schools.csv", index=False)
    args = ["validate", str(tiny / "scenario.toml"), "--use", "catchments", "--set", moving]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "merge_into" in err and "NK01 → NK02" in err and "Traceback" not in err
    assert main(["validate", str(tiny / "scenario.toml"), "--use", "catchments"]) == 0
    import capsim
    from capsim.errors import PlanError
    from capsim.scenario import parse_value

    key, value = moving.split("=", 1)
    with pytest.raises(PlanError, match="NK01 → NK02"):                # the API refuses it too
        capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"],
                                        set={key: parse_value(value)}))
