"""Closing schools on falling rolls (``plan.closures``): a hand-worked case and the tiny example."""

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from capsim.planner import model as milp
from capsim.planner.formulation import FORMULATIONS, solve_as
from test_plan_classes import _inputs, _projects


def _falling(pupils, closure_cost, running=100.0):
    """One grade (classes of 45), three years, one pool: school A has 2 classrooms, B 1; a
    project no one would build. Each open school costs ``running`` a year."""
    years = np.arange(2021, 2024)
    projects = _projects([1], 45, [1e9], [1], [2021], [2023], [np.inf])
    inp = _inputs(np.asarray([pupils], float), np.full(3, 3), [0], [45], projects, years, penalty=1e4)
    c = replace(inp.cohorts, closable=np.array(["A", "B"], dtype=object), closable_pool=np.array([0, 0]),
                closable_rooms=np.array([2.0, 1.0])[:, None, None] * np.ones((1, 1, 3)))
    return milp.build(replace(inp, cohorts=c, school_running_cost=running, closure_cost=closure_cost))


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_falling_roll_closes_one_school_from_the_second_year(formulation):
    """90 pupils in 2021 need both schools' 3 rooms (2 classes); 45 in 2022-23 need one room, so
    one school closes in 2022 (never in 2021, already under way): 2 years x 100 saved, 50 once:
    -150. Closing both would leave 45 pupils without a room at 10,000 a pupil-year."""
    m = _falling([90, 45, 45], closure_cost=50.0)
    sol = solve_as(m, formulation, gap=1e-9)
    assert sol.objective == pytest.approx(-150.0)
    shut = np.rint(sol.values[m.shut_index])
    assert shut.sum(axis=0).tolist() == [0, 1, 1]
    assert sol.values[m.short_index].sum() == pytest.approx(0.0, abs=1e-9)


def test_a_closure_dearer_than_the_running_cost_it_saves_is_not_made():
    m = _falling([90, 45, 45], closure_cost=250.0)
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(0.0, abs=1e-9)
    assert np.rint(sol.values[m.shut_index]).sum() == 0


def test_a_school_closed_stays_closed_even_when_the_roll_rises_again():
    """45, 45, 135: closing either school in 2022 would save 100 a year but leave one of 2023's
    three classes without a room (a closed school does not reopen), so nothing closes."""
    m = _falling([45, 45, 135], closure_cost=0.0)
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(0.0, abs=1e-9)
    assert np.rint(sol.values[m.shut_index]).sum() == 0


def test_closures_on_the_tiny_example_leave_no_closed_school_with_pupils_and_are_refused_by_school():
    import capsim
    from capsim.errors import PlanError
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic"],
                                    set={"plan.closures": True, "plan.school_running_cost": 3e6})
    res = capsim.run(scenario)
    closed = res.plan.closures
    assert closed is not None and len(closed)
    s = res.assessment_after.schools
    for school, year in zip(closed.school, closed.year):
        after = s[(s.school == school) & (s.year >= year)]
        assert len(after) and not after.open.any() and after.students.sum() == 0
    # the plan keeps every pupil it had without closures: it closes only where the rest of the pool holds them
    base = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"]))
    assert res.plan.summary["shortfall_seat_years"] <= base.plan.summary["shortfall_seat_years"] + 1e-6
    with pytest.raises(PlanError, match="plan.closures"):
        capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"],
                                        set={"plan.closures": True, "plan.granularity": "school"}))


def test_the_schools_closed_are_saved_read_back_and_shown(tmp_path):
    """closures.csv in the run's folder, the same table from the folder, a sheet and a section."""
    import capsim
    from capsim.examples import tiny_path
    from capsim.reports.excel import workbook_sheets
    from capsim.reports.tables import from_folder

    from capsim.reports.summary import plan_summary

    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"],
                                          set={"plan.closures": True, "plan.school_running_cost": 3e6}))
    assert f"closes {len(res.plan.closures)} schools 撤并 (closures.csv)" in plan_summary(res)
    capsim.report(res, tmp_path / "out")
    t = from_folder(tmp_path / "out")
    assert t.closures[["year", "region", "school"]].equals(res.plan.closures[["year", "region", "school"]])
    assert "closures" in workbook_sheets(t)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Schools closed" in page and all(str(s) in page for s in res.plan.closures.school)


def _with_closures(inp, split, running, closure_cost):
    """``inp`` (one pool, one level) with its classrooms held by two schools, ``split`` of them
    by the first, both closable."""
    c = inp.cohorts
    rooms = c.rooms[0, 0]
    held = np.stack([np.full_like(rooms, split), rooms - split])[:, None, :]
    c = replace(c, closable=np.array(["A", "B"], dtype=object), closable_pool=np.array([0, 0]), closable_rooms=held)
    return replace(inp, cohorts=c, school_running_cost=running, closure_cost=closure_cost)


def _brute_force_closures(inp) -> float:
    """Every closing year (or none, never the first year) of each school, each priced apart (the
    running cost saved each year closed, the closure once, discounted) and the rest of the plan by
    ``test_plan_classes._brute_force`` on the classrooms left."""
    from test_plan_classes import _brute_force

    c, years = inp.cohorts, inp.years
    Y = len(years)
    d = (1 + inp.discount_rate) ** -(years - years[0]).astype(float)
    best = np.inf
    for close in itertools.product([None, *range(1, Y)], repeat=len(c.closable)):
        rooms, saved = c.rooms.copy(), 0.0
        for s, t in enumerate(close):
            if t is None:
                continue
            rooms[0, 0, t:] -= c.closable_rooms[s, 0, t:]
            saved += inp.school_running_cost * d[t:].sum() - inp.closure_cost * d[t]
        rest = replace(inp, cohorts=replace(c, rooms=rooms, closable=None, closable_pool=None, closable_rooms=None),
                       school_running_cost=None, closure_cost=0.0)
        best = min(best, _brute_force(rest) - saved)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_closures_cost_equals_brute_force(seed):
    """The class-plan instances of ``test_plan_classes`` with their classrooms held by two schools
    that may close: the optimum equals the best over every pair of closing years (the costs are
    such that the optima close neither school on seeds 0, 1 and 3, one on 4 and 5, both on 2)."""
    from test_plan_classes import _random_instance

    inp = _random_instance(seed)
    split = int(inp.cohorts.rooms[0, 0, 0]) // 2
    inp = _with_closures(inp, split, running=[4e4, 2e5, 6e5][seed % 3], closure_cost=[0.0, 1e5][seed % 2])
    m = milp.build(inp)
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(_brute_force_closures(inp), rel=1e-7)


@pytest.mark.parametrize("name", ["hualong", "aral"])
def test_the_guarantee_holds_on_the_seeds_that_close_and_convert(name):
    """With ``--use falling_rolls`` (closures and conversions), wherever the plan names no
    shortfall the network after it has no oversized class and no pupil without a seat; no school
    a project expands is closed or converted (its added rooms would go with it: Aral's plan did
    that before it was ruled out)."""
    from pathlib import Path

    import capsim

    root = Path(__file__).parent.parent
    res = capsim.run(capsim.load_scenario(root / "scenarios" / f"{name}.toml", use=["falling_rolls"]))
    assert len(res.plan.closures), "the variant is meant to close schools on these seeds"
    keys = ["year", "region", "level"]
    after = res.assessment_after_plan.merge(res.seats_after_plan[keys + ["shortfall"]], on=keys)
    clear = after[after.shortfall <= 0.5]
    assert len(clear) >= 10
    assert clear.oversized_classes.sum() == 0 and clear.shortage.sum() == pytest.approx(0.0, abs=1e-6)
    import pandas as pd

    projects = pd.read_csv(root / "data" / name / "projects.csv", dtype=str, keep_default_na=False)
    expanded = set(projects.school[projects.school != ""]) if "school" in projects else set()
    decided = set(res.plan.closures.school)
    if res.plan.conversions is not None:
        decided |= set(res.plan.conversions.school)
    assert not decided & expanded


def test_a_school_marked_keep_is_never_closed(tiny):
    """The tiny example's plan closes some kindergartens; marked ``keep = yes`` in the schools
    table, the first of them stays open, and the plan costs no less."""
    import pandas as pd

    import capsim

    settings = {"plan.closures": True, "plan.school_running_cost": 3e6}
    free = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    first = free.plan.closures.school.iloc[0]
    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools["keep"] = ["yes" if i == first else "" for i in schools.id]
    schools.to_csv(tiny / "schools.csv", index=False)
    kept = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    assert first not in set(kept.plan.closures.school)
    assert kept.plan.solution.objective >= free.plan.solution.bound * (1 - 1e-9)


def test_a_keep_value_other_than_yes_or_no_is_refused_naming_the_row(tiny):
    import pandas as pd

    import capsim
    from capsim.errors import DataError

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools["keep"] = ["maybe" if i == 2 else "" for i in range(len(schools))]
    schools.to_csv(tiny / "schools.csv", index=False)
    with pytest.raises(DataError, match=r"schools.csv: row 4.*keep.*maybe"):
        capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"]))


@pytest.mark.parametrize("settings", [{"plan.closures": True, "plan.capacity": "seats"},
                                      {"plan.closures": True, "plan.granularity": "school"},
                                      {"plan.conversions": [{"school_type": "kindergarten", "into": "primary",
                                                             "cost_per_classroom": 1.0}], "plan.capacity": "seats"}])
def test_validate_refuses_closures_and_conversions_where_run_would(settings):
    """What ``capsim run`` refuses, ``capsim validate`` refuses first, by key."""
    import capsim
    from capsim.checks import validate
    from capsim.errors import CapsimError
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic"], set=settings)
    key = "plan.closures" if "plan.closures" in settings else "plan.conversions"
    with pytest.raises(CapsimError, match=key):
        capsim.run(scenario)
    with pytest.raises(CapsimError, match=key):
        validate(scenario)


def _three_on_a_line(**extra):
    """Schools A (2 classrooms), B and C (1 each) at 0, 3 and 10 km on a line, one grade; 135
    pupils in 2021 (3 classes), 45 later (1 class). Each open school costs 100 a year."""
    from types import SimpleNamespace

    from capsim.geo import Points
    from capsim.planner.reach import within_reach

    years = np.arange(2021, 2024)
    projects = _projects([1], 45, [1e9], [1], [2021], [2023], [np.inf])
    inp = _inputs(np.asarray([[135.0, 45.0, 45.0]]), np.full(3, 4), [0], [45], projects, years, penalty=1e4)
    rooms = np.array([2.0, 1.0, 1.0])[:, None, None] * np.ones((1, 1, 3))
    ids = pd.Index(["A", "B", "C"])
    schools = SimpleNamespace(ids=("A", "B", "C"), points=Points(np.array([[0.0, 0], [3000, 0], [10000, 0]]), False))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=5.0))
    reach = within_reach(scenario, schools, ids, rooms, np.ones(3, dtype=bool))
    c = replace(inp.cohorts, closable=np.array(list(ids), dtype=object), closable_pool=np.zeros(3, dtype=int),
                closable_rooms=rooms, **extra)
    return milp.build(replace(inp, cohorts=c, school_running_cost=100.0, closure_cost=0.0)), reach


def test_a_closed_schools_pupils_keep_a_school_within_reach():
    """Without a distance, two of the three schools close from 2022 (one room holds the 45):
    -400. Within 5 km, A and B reach each other and C reaches no one: C stays open, and of A and
    B one may close: -200."""
    free, reach = _three_on_a_line()
    assert reach.alone.tolist() == [[False] * 3, [False] * 3, [True] * 3]
    assert sorted(zip(reach.row_school.tolist(), reach.member[np.argsort(reach.member_row)].tolist()))[:2] == \
        [(0, 1), (0, 1)]
    sol = solve_as(free, "step", gap=1e-9)
    assert sol.objective == pytest.approx(-400.0)
    bound, _ = _three_on_a_line(reach=reach)
    sol = solve_as(bound, "step", gap=1e-9)
    assert sol.objective == pytest.approx(-200.0)
    shut = np.rint(sol.values[bound.shut_index])
    assert shut[2].sum() == 0 and shut[:2].sum(axis=0).tolist() == [0, 1, 1]
    # brute force over every closure pattern that keeps to the rule gives the same optimum
    best = min(-100.0 * sum(3 - y for y in pattern if y is not None)
               for pattern in itertools.product([None, 1, 2], [None, 1, 2], [None])
               if not (pattern[0] is not None and pattern[1] is not None))
    assert best == pytest.approx(sol.objective)


@pytest.mark.parametrize("conversions", [[], [{"school_type": "kindergarten", "into": "primary",
                                                 "cost_per_classroom": 1000.0}]])
def test_on_the_tiny_example_every_closed_school_has_an_open_one_of_its_level_within_reach(tiny, conversions):
    """With conversions too, a school converted away counts as gone: the check below counts only
    listed schools still open (a converted one is closed under its own id). The same plan without
    the distance closes schools left with none of their levels within it, so the rule binds."""
    import capsim

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    schools["x"] = np.round(rng.uniform(0, 12_000, len(schools)))          # metres, a 12 km square
    schools["y"] = np.round(rng.uniform(0, 12_000, len(schools)))
    schools.to_csv(tiny / "schools.csv", index=False)
    settings = {"plan.closures": True, "plan.school_running_cost": 3e6, "plan.conversions": conversions}
    free = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"],
                                          set={**settings, "plan.max_displacement_km": 3.0}))
    xy = schools.set_index("id")[["x", "y"]].astype(float)
    assert _closed_out_of_reach(free, xy, 3.0)                              # the distance binds
    assert _closed_out_of_reach(res, xy, 3.0) == []
    if conversions:
        assert len(res.plan.conversions), "a refit at 1,000 yuan a room converts some kindergarten"


def _closed_out_of_reach(res, xy, km) -> list:
    """(school, year) of each closed school and later year with no listed school of its levels
    open within ``km``."""
    from capsim.geo import Points, distance_km

    after = res.assessment_after
    levels = after.school_levels[after.school_levels.lawful_seats > 0]
    teaching = levels.merge(after.schools[["year", "school", "open"]], on=["year", "school"])
    teaching = teaching[teaching.open]
    out = []
    for school, year in zip(res.plan.closures.school, res.plan.closures.year):
        own = set(levels[(levels.school == school) & (levels.year == year - 1)].level)
        for t, part in teaching[(teaching.year >= year) & teaching.level.isin(own)].groupby("year"):
            others = [o for o in part.school.unique() if o != school and o in xy.index]   # listed schools
            d = distance_km(Points(xy.loc[[school]].to_numpy(), False), Points(xy.loc[others].to_numpy(), False))
            if not (d <= km).any():
                out.append((school, t))
    return out


@pytest.mark.parametrize("settings, says", [
    (["plan.max_displacement_km=3"], "needs plan.closures = true or a conversion of whole schools"),
    (["plan.closures=true", "plan.max_displacement_km=3"], "have none (e.g. NP1"),
])
def test_a_distance_for_displaced_pupils_is_refused_without_closures_or_school_points(tiny, capsys, settings, says):
    from capsim.cli import main

    args = sum((["--set", s] for s in settings), [])
    assert main(["validate", str(tiny / "scenario.toml"), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "max_displacement_km" in err and "Traceback" not in err


def test_a_school_the_list_closes_later_may_still_be_closed_earlier_within_reach():
    """School A has classrooms in the first two plan years only (the school list closes it), B
    is kept and 1 km away: A is never 'alone', so nothing stops the plan closing it early."""
    from types import SimpleNamespace

    from capsim.geo import Points
    from capsim.planner.reach import within_reach

    per = np.ones((2, 1, 4))
    per[0, :, 2:] = 0.0
    schools = SimpleNamespace(ids=("A", "B"), points=Points(np.array([[0.0, 0], [1000, 0]]), False))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=5.0))
    reach = within_reach(scenario, schools, pd.Index(["A", "B"]), per, np.array([True, False]))
    assert not reach.alone.any() and not len(reach.row_school)


def _closing_into_a_new_school(with_new: bool):
    """Schools A (2 classrooms) at 0 km and B (1) at 3 km are kept; C (1) at 10 km may close.
    One grade: 135 pupils in 2021 (3 classes), 225 in 2022-23 (5 classes, one more than the four
    classrooms): new school N (2 classrooms, 50 yuan, open from 2022) at 11 km must be built.
    Each open school, N too, costs 100 a year. Within 5 km of C there is only N."""
    from types import SimpleNamespace

    from capsim.geo import Points
    from capsim.planner.reach import within_reach

    years = np.arange(2021, 2024)
    projects = _projects([2], 45, [50.0], [1], [2022], [2023], [np.inf])
    projects = replace(projects, kind=np.array(["new"]), points=Points(np.array([[11_000.0, 0.0]]), False))
    inp = _inputs(np.asarray([[135.0, 225.0, 225.0]]), np.full(3, 4), [0], [45], projects, years, penalty=1e4)
    rooms = np.array([2.0, 1.0, 1.0])[:, None, None] * np.ones((1, 1, 3))
    schools = SimpleNamespace(ids=("A", "B", "C"), points=Points(np.array([[0.0, 0], [3000, 0], [10000, 0]]), False))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=5.0))
    keep = np.array([False, False, True])
    reach = within_reach(scenario, schools, pd.Index(["A", "B", "C"]), rooms, keep,
                         *((projects, inp.cohorts.project_rooms) if with_new else ()))
    c = replace(inp.cohorts, closable=np.array(["C"], dtype=object), closable_pool=np.zeros(1, dtype=int),
                closable_rooms=rooms[2:], reach=reach)
    return milp.build(replace(inp, cohorts=c, school_running_cost=100.0, closure_cost=0.0)), reach


def test_a_school_may_close_into_a_new_school_built_within_reach():
    """N is built in 2022 either way (50 + 100 a year). Counting N within reach, C closes when N
    opens and saves 100 a year: 50 + 200 - 200 = 50. Not counting it, C has no school within
    reach and stays open: 250."""
    m, reach = _closing_into_a_new_school(with_new=True)
    assert not reach.alone.any()
    assert reach.opener.tolist() == [0, 0, 0] and reach.row_year.tolist() == [0, 1, 2]
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(50.0)
    assert np.rint(sol.values[m.shut_index]).tolist() == [[0, 1, 1]]
    old, reach = _closing_into_a_new_school(with_new=False)
    assert reach.alone.all()
    assert solve_as(old, "step", gap=1e-9).objective == pytest.approx(250.0)


def test_a_new_school_out_of_reach_or_of_another_level_does_not_count():
    from types import SimpleNamespace

    from capsim.geo import Points
    from capsim.planner.reach import within_reach

    per = np.ones((1, 2, 2))                                    # one school, two levels, two years
    per[0, 1] = 0.0                                             # it teaches level 0 only
    schools = SimpleNamespace(ids=("A",), points=Points(np.array([[0.0, 0]]), False))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=5.0))
    projects = SimpleNamespace(kind=np.array(["new", "new", "expansion", "new"]),
                               points=Points(np.array([[1000.0, 0], [9000, 0], [1000, 0], [np.nan, np.nan]]), False))
    added = np.array([[0, 3], [2, 0], [2, 0], [2, 0]])         # level 1 only; too far; an expansion; no point
    reach = within_reach(scenario, schools, pd.Index(["A"]), per, np.array([True]), projects, added)
    assert reach.alone.all() and not len(reach.opener)
    added[0] = [1, 3]                                           # now it teaches level 0 too
    reach = within_reach(scenario, schools, pd.Index(["A"]), per, np.array([True]), projects, added)
    assert not reach.alone.any() and reach.opener.tolist() == [0, 0]


def test_new_schools_placed_by_another_kind_of_point_than_the_schools_are_refused(tiny, capsys):
    """Schools by x, y and new schools by lon, lat: no distance between them, refused by name."""
    from capsim.cli import main

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools["x"], schools["y"] = "1000", "2000"
    schools.to_csv(tiny / "schools.csv", index=False)
    projects = pd.read_csv(tiny / "projects.csv", dtype=str, keep_default_na=False)
    projects["lon"], projects["lat"] = "101.7", "36.6"
    projects.to_csv(tiny / "projects.csv", index=False)
    args = ["--set", "plan.closures=true", "--set", "plan.max_displacement_km=3"]
    assert main(["validate", str(tiny / "scenario.toml"), *args]) == 2
    err = capsys.readouterr().err
    assert "data.projects" in err and "lon, lat" in err and "x, y" in err and "Traceback" not in err


def _merging(into, kept=(True, True, True)):
    """The three schools of :func:`_three_on_a_line`, without points, each closing only into the
    school it names (``into``, '' for none)."""
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach

    schools = SimpleNamespace(ids=("A", "B", "C"), points=None, merge_into=np.array(into, dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    rooms = np.array([2.0, 1.0, 1.0])[:, None, None] * np.ones((1, 1, 3))
    return within_reach(scenario, schools, pd.Index(["A", "B", "C"]), rooms, np.array(kept))


@pytest.mark.parametrize("into, closing", [
    (["", "", ""], 2),            # no merge named: two of the three close
    (["B", "C", "A"], 1),         # a ring: whichever closes, the school it merges into must stay open
    (["B", "", ""], 2),           # A into B: A and C, or B and C, close
    (["", "A", "A"], 2),          # B and C into A: both close, A stays
])
def test_a_school_closes_only_while_the_school_it_merges_into_stays_open(into, closing):
    """135 pupils in 2021, 45 later: one room is enough from 2022, so closing saves 100 a year a
    school, and one school must stay open. The optimum equals the best closing pattern where no
    school is closed in a year its receiver is closed (enumerated)."""
    reach = _merging(into)
    m, _ = _three_on_a_line(reach=reach)
    sol = solve_as(m, "step", gap=1e-9)
    at = {"A": 0, "B": 1, "C": 2, "": None}

    def allowed(pattern):         # closed for good: a receiver closing later meets its school closed
        return None in pattern and all(y is None or at[r] is None or pattern[at[r]] is None
                                       for y, r in zip(pattern, into))

    best = min(-100.0 * sum(3 - y for y in pattern if y is not None)
               for pattern in itertools.product([None, 1, 2], repeat=3) if allowed(pattern))
    assert sol.objective == pytest.approx(best) == pytest.approx(-200.0 * closing)
    shut = np.rint(sol.values[m.shut_index])
    for s, r in enumerate(into):
        if r:
            assert not (shut[s] * shut[at[r]]).any(), (s, r)


def test_a_school_merging_into_a_kept_school_is_free_and_into_one_without_classrooms_cannot_close():
    reach = _merging(["B", "", ""], kept=(True, False, True))         # B is kept: A may close freely
    assert not reach.alone.any() and 0 not in reach.row_school.tolist()
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach

    schools = SimpleNamespace(ids=("A", "B", "C"), points=None, merge_into=np.array(["C", "", ""], dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    per = np.array([1.0, 1.0])[:, None, None] * np.ones((1, 1, 3))     # C has no lawful classroom: not listed
    reach = within_reach(scenario, schools, pd.Index(["A", "B"]), per, np.array([True, True]))
    assert reach.alone[0].all() and not reach.alone[1].any()


@pytest.mark.parametrize("running", [1e5, 1e6, 1e7])
def test_a_school_does_not_close_into_one_converted_to_another_level(running):
    """The conversions case of ``test_plan_conversions``, kindergarten A merging into B: A may
    close, or convert whole (its pupils move as well), only while B is neither closed nor
    converted. The optimum equals brute force over the fates the rule allows, and the rule binds
    where closing pays most."""
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach
    from test_plan_conversions import _brute_force, _case

    inp = _case(room_cost=1.5e5, running=running)
    c = inp.cohorts
    schools = SimpleNamespace(ids=("A", "B"), points=None, merge_into=np.array(["B", ""], dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    reach = within_reach(scenario, schools, pd.Index(["A", "B"]), c.closable_rooms, np.array([True, True]))
    m = milp.build(replace(inp, cohorts=replace(c, reach=reach)))
    want, fates = _brute_force(inp, allowed=lambda fa, fb: fa is None or fb is None)
    free, _ = _brute_force(inp)
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(want)
    shut, conv = (np.rint(sol.values[i]) for i in (m.shut_index, m.convert_index))
    assert not ((shut[0] + conv[0]) * (shut[1] + conv[1])).any()
    if running == 1e7:
        assert free < want - 1.0, "closing pays so much that the rule must bind"


@pytest.mark.parametrize("into, want", [(["", ""], 6e5), (["B", ""], 1.3e6)])
def test_without_closures_a_school_converts_whole_only_while_the_school_it_merges_into_stays(into, want):
    """Without closures: kindergartens idle from 2022 and primary needing 6 rooms for its 270
    pupils, where it has 2. Converting both kindergartens (2 rooms each at 150,000) costs 600,000;
    with A merging into B, A may convert only while B is unconverted, so one converts (300,000)
    and the 1,000,000 expansion is built: 1,300,000 (hand-worked), the best of the fates brute
    force allows."""
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach
    from test_plan_conversions import _brute_force, _case

    inp = _case(kg=np.array([120.0, 0, 0]), primary=np.array([90.0, 270, 270]))
    inp = replace(inp, cohorts=replace(inp.cohorts, closable=None, closable_pool=None, closable_rooms=None))
    schools = SimpleNamespace(ids=("A", "B"), points=None, merge_into=np.array(into, dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    per = np.array([[[2.0] * 3, [0.0] * 3]] * 2)
    reach = within_reach(scenario, schools, pd.Index(["A", "B"]), per, np.array([True, True]))
    assert reach.schools.tolist() == ["A", "B"] and not reach.alone.any()
    m = milp.build(replace(inp, cohorts=replace(inp.cohorts, reach=reach)))
    assert m.shut_index is None
    sol = solve_as(m, "step", gap=1e-9)
    bound = into[0] == "B"
    best, _ = _brute_force(inp, allowed=lambda fa, fb: all(f is None or f[0] == "convert" for f in (fa, fb))
                           and not (bound and fa is not None and fb is not None))
    assert sol.objective == pytest.approx(best) == pytest.approx(want)
    conv = np.rint(sol.values[m.convert_index])
    assert (conv.sum(axis=0).max() == 1) == bound


def test_without_closures_a_school_whose_receiver_has_no_classroom_of_its_level_never_converts_whole():
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach
    from test_plan_conversions import _case

    inp = _case(kg=np.array([120.0, 0, 0]), primary=np.array([90.0, 270, 270]))
    inp = replace(inp, cohorts=replace(inp.cohorts, closable=None, closable_pool=None, closable_rooms=None))
    schools = SimpleNamespace(ids=("A", "B", "P"), points=None, merge_into=np.array(["P", "", ""], dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    per = np.array([[[2.0] * 3, [0.0] * 3]] * 2 + [[[0.0] * 3, [2.0] * 3]])    # P: primary only
    reach = within_reach(scenario, schools, pd.Index(["A", "B", "P"]), per, np.array([True, True, False]))
    assert reach.alone[0].all() and not reach.alone[1].any()
    m = milp.build(replace(inp, cohorts=replace(inp.cohorts, reach=reach)))
    sol = solve_as(m, "step", gap=1e-9)
    conv = np.rint(sol.values[m.convert_index])
    assert conv[0].sum() == 0 and conv[1].tolist() == [0, 1, 1]


def test_on_the_tiny_example_without_closures_no_school_converts_whole_while_its_receiver_does(tiny):
    """Closures off, the tiny example's kindergartens convertible whole to primary at a token
    cost: the plan converts two in the north. With every other northern kindergarten merging into
    the first of them (a star), never a school and its receiver are converted in the same year,
    the receiver stays a kindergarten while any of them is converted, and the plan costs no less
    than the free one's bound. Validate accepts a distance for displaced pupils with whole
    conversions (it refuses one with conversions by classroom only)."""
    import capsim

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    option = {"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 1000.0}
    settings = {"plan.conversions": [option]}
    free = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    north = free.plan.conversions[free.plan.conversions.region == "north"]
    assert len(north) >= 2, "without the rule two northern kindergartens convert"
    hub = north.school.iloc[0]
    star = {i: hub for i, t, r in zip(schools.id, schools.type, schools.region)
            if t == "kindergarten" and r == "north" and i != hub}
    schools["merge_into"] = [star.get(i, "") for i in schools.id]
    schools.to_csv(tiny / "schools.csv", index=False)
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    v = res.plan.conversions
    assert len(v[v.region == "north"]), "a refit at 1,000 yuan a room still converts a northern kindergarten"
    assert res.plan.solution.objective >= free.plan.solution.bound * (1 - 1e-9)
    years = sorted(set(res.plan.seats.year))
    gone = {(s, t) for s, y in zip(v.school, v.year) for t in years if t >= y}
    assert not any((star.get(s), t) in gone for s, t in gone), "a school converted while its receiver was"
    for conversions, says, not_says in (([option], "have none (e.g. NP1", "needs plan.closures"),
                                         ([{**option, "unit": "classroom"}], "a conversion of whole schools", None)):
        distance = {"plan.conversions": conversions, "plan.max_displacement_km": 3.0}
        with pytest.raises(capsim.CapsimError) as refused:            # the tiny example's schools have no points
            capsim.validate(capsim.load_scenario(tiny / "scenario.toml", set=distance))
        assert says in str(refused.value) and (not_says is None or not_says not in str(refused.value))


def test_on_the_tiny_example_each_merged_school_has_its_receiver_open_and_named(tiny):
    """The tiny example's kindergartens each merge into the next (the last into the first): of
    two neighbours in that ring at most one closes, each closed one's receiver stays open in
    every later year of the network after the plan, and closures.csv names it."""
    import capsim

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    kg = [i for i, t in zip(schools.id, schools.type) if t == "kindergarten" and i.startswith("NK")]
    ring = dict(zip(kg, kg[1:] + kg[:1]))
    schools["merge_into"] = [ring.get(i, "") for i in schools.id]
    settings = {"plan.closures": True, "plan.school_running_cost": 3e6}
    free = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    schools.to_csv(tiny / "schools.csv", index=False)
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set=settings))
    closed = res.plan.closures
    assert len(closed) and set(closed.school) & set(ring), "closing pays: some ringed kindergarten closes"
    assert closed.merged_into.tolist() == [ring.get(s, "") for s in closed.school]
    unbound = set(free.plan.closures.school)
    assert any(ring.get(s) in unbound for s in unbound), "without the rule two ring neighbours close"
    assert not any(ring.get(s) in set(closed.school) for s in closed.school)
    assert res.plan.solution.objective >= free.plan.solution.bound * (1 - 1e-9)
    s = res.assessment_after.schools
    s = s[s.year.isin(set(res.plan.seats.year))]                         # the plan's years
    for school, year, into in zip(closed.school, closed.year, closed.merged_into):
        if into:
            receiver = s[(s.school == into) & (s.year >= year)]
            assert len(receiver) and receiver.open.all(), (school, into)


def test_a_bad_merge_into_is_refused_naming_each_row(tiny, capsys):
    """An unknown school, the school itself, one of another region and one teaching none of its
    levels: four problems, reported together, exit 2."""
    from capsim.cli import main

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    bad = {"NK01": "NOPE", "NK02": "NK02", "NK03": "SK1", "NK04": "NP1"}
    schools["merge_into"] = [bad.get(i, "") for i in schools.id]
    schools.to_csv(tiny / "schools.csv", index=False)
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("column merge_into") == 4, err
    for says in ("NOPE", "is the school itself", "is in another region", "teaches none of its levels"):
        assert says in err


def test_a_closure_waits_for_its_lead_time():
    """The falling roll closes one school from 2022 (-150); with closures from 2023 only, one
    year saved less the closure: -100 + 50 = -50 (hand-worked)."""
    m = _falling([90.0, 45.0, 45.0], closure_cost=50.0)
    late = milp.build(replace(m.inputs, cohorts=replace(m.inputs.cohorts, closable_from=2023.0)))
    assert solve_as(m, "step", gap=1e-9).objective == pytest.approx(-150.0)
    sol = solve_as(late, "step", gap=1e-9)
    assert sol.objective == pytest.approx(-50.0)
    assert np.rint(sol.values[late.shut_index]).sum(axis=0).tolist() == [0, 0, 1]


def test_on_the_tiny_example_no_school_closes_or_converts_before_its_lead_time():
    import capsim
    from capsim.examples import tiny_path

    option = [{"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 1000.0, "lead_time": 3}]
    settings = {"plan.closures": True, "plan.school_running_cost": 3e6, "plan.closure_lead_time": 6,
                "plan.conversions": option}
    sc = capsim.load_scenario(tiny_path(), use=["deterministic"], set=settings)
    res = capsim.run(sc)
    assert len(res.plan.closures) and len(res.plan.conversions)
    assert res.plan.closures.year.min() >= sc.base_year + 6
    assert res.plan.conversions.year.min() >= sc.base_year + 3
    free = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set={
        **settings, "plan.closure_lead_time": 0, "plan.conversions": [{**option[0], "lead_time": 0}]}))
    assert free.plan.closures.year.min() < sc.base_year + 6 and free.plan.conversions.year.min() < sc.base_year + 3


def test_a_started_solve_returns_the_solvers_best_plan_not_the_start():
    """Kindergarten A merging into B, a running cost of 1,000,000: closing B from 2022 and
    building saves 1,000,000 (brute force). Started from the plan that closes nothing (cost
    1,000,000), HiGHS's presolve fixes variables the start sets otherwise, keeps the cheaper plan
    as its incumbent and stops on it, but handed back the start's values as 'optimal'. The solve
    now notices and solves again without the start."""
    from types import SimpleNamespace

    from capsim.planner.reach import within_reach
    from capsim.planner.solve import solve
    from capsim.planner.variables import arrays
    from test_plan_conversions import _brute_force, _case

    inp = _case(room_cost=1.5e5, running=1e6)
    c = inp.cohorts
    schools = SimpleNamespace(ids=("A", "B"), points=None, merge_into=np.array(["B", ""], dtype=object))
    scenario = SimpleNamespace(source="test", plan=SimpleNamespace(max_displacement_km=None))
    reach = within_reach(scenario, schools, pd.Index(["A", "B"]), c.closable_rooms, np.array([True, True]))
    m = milp.build(replace(inp, cohorts=replace(c, reach=reach)))
    a = arrays(m, "step")
    ub = a.ub.copy()
    ub[np.r_[m.shut_index.ravel(), m.convert_index.ravel()]] = 0.0
    nothing = solve(a.c, a.families, a.lb, ub, a.integer, gap=1e-9)
    assert nothing.objective == pytest.approx(1e6)
    started = solve(a.c, a.families, a.lb, a.ub, a.integer, gap=1e-9, start=nothing.values)
    want, _ = _brute_force(inp, allowed=lambda fa, fb: fa is None or fb is None)
    assert started.status == "optimal" and started.objective == pytest.approx(want) == pytest.approx(-1e6)
    assert a.c @ started.values == pytest.approx(started.objective)
    # with no time left to solve again, the start's values come back, but never called optimal
    from capsim.planner.solve import Solution, _again_without_start

    first = Solution(nothing.values, "feasible", 1e6, -1e6, 2.0, "highs", 0.1, 0.2)
    assert _again_without_start(first, (a.c, a.families, a.lb, a.ub, a.integer), 0.0, 1e-9, False, None) is first
    again = _again_without_start(first, (a.c, a.families, a.lb, a.ub, a.integer), 30.0, 1e-9, False, None)
    assert again.status == "optimal" and again.objective == pytest.approx(-1e6)
    assert again.build_seconds > 0.1 and again.solve_seconds > 0.2          # both attempts' times
