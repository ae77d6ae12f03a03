"""Converting schools between levels (``plan.conversions``): a kindergarten whose roll has fallen
becomes a primary school; a hand-worked case checked by brute force, and the tiny example."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.classes import Cohorts, Conversions
from capsim.planner.formulation import FORMULATIONS, solve_as
from capsim.planner.projects import Projects

YEARS = np.arange(2021, 2024)
KG = np.array([120.0, 60, 60])       # kindergarten (one grade, groups of 30): 4, 2, 2 groups
PRIMARY = np.array([90.0, 180, 180])  # primary (one grade, classes of 45): 2, 4, 4 classes
PENALTY = 1e4                         # a pupil-year without a class


def _case(room_cost=1.5e5, running=1e5, budget_2022=np.inf, kg=KG, primary=PRIMARY):
    """One pool: kindergartens A and B of 2 rooms each, 2 primary classrooms. A 2-room primary
    expansion costs 1,000,000, built in a year, opening 2022 or 2023; each school costs
    ``running`` a year; either kindergarten may close, or become a primary school of 2 rooms
    at ``room_cost`` a room."""
    c = Cohorts(grades=np.array([1, 1]), cell_level=np.array([0, 1]), cell_grade=np.array([1, 1]),
                std=np.array([30.0, 45.0]), pupils=np.stack([kg, primary])[None],
                rooms=np.array([[[4.0] * 3, [2.0] * 3]]), base=np.array([[4.0, 2.0]]),
                project_rooms=np.array([[0, 2]]), room_seats=np.array([30.0, 45.0]),
                closable=np.array(["A", "B"], dtype=object), closable_pool=np.array([0, 0]),
                closable_rooms=np.array([[[2.0] * 3, [0.0] * 3]] * 2),
                conversions=Conversions(np.array(["A", "B"], dtype=object), np.array([0, 0]), np.array([0, 0]),
                                        np.array([1, 1]), np.full((2, 3), 2.0), np.full((2, 3), 2.0),
                                        np.full(2, room_cost)))
    p = Projects(ids=("x",), names=("x",), region=np.zeros(1, dtype=int), kind=np.array(["expansion"]),
                 type=np.array(["primary"]), school=np.array([-1]), levels=("kindergarten", "primary"),
                 seats=np.array([[0.0, 90.0]]), cost=np.array([1e6]), build_years=np.array([1.0]),
                 earliest=np.array([2022.0]), latest=np.array([2023.0]), committed=np.array([np.nan]),
                 group=np.array([""]), requires=np.array([-1]), duration=np.array([np.inf]))
    budget = np.array([np.inf, budget_2022, np.inf])
    return milp.PlanInputs(years=YEARS, need=np.zeros(c.pupils.shape), projects=p, penalty=PENALTY, cohorts=c,
                           school_running_cost=running, budget_yearly=None if np.isinf(budget_2022) else budget)


def _brute_force(inp, allowed=lambda fa, fb: True) -> tuple[float, tuple]:
    """Every fate of A and B (open, closed from 2022 or 2023, converted from 2022 or 2023) that
    ``allowed`` admits and every opening of the expansion, priced by hand: one grade a level, so
    each year's classes are the rooms' worth and the pupils beyond them are short."""
    c, running = inp.cohorts, inp.school_running_cost
    best = (np.inf, None)
    fates = [None] + [(kind, t) for kind in ("close", "convert") for t in (1, 2)]
    for fa, fb, opens in itertools.product(fates, fates, [None, 1, 2]):
        if not allowed(fa, fb):
            continue
        rooms = np.array([[4.0] * 3, [2.0] * 3])
        spend, saved = np.zeros(3), 0.0              # capital by year (the budgets count it); running saved
        for fate in (fa, fb):
            if fate is None:
                continue
            kind, t = fate
            rooms[0, t:] -= 2
            if kind == "convert":
                rooms[1, t:] += 2
                spend[t] += 2 * c.conversions.cost_per_room[0]
            else:
                saved += running * (3 - t)
        if opens is not None:
            rooms[1, opens:] += 2
            spend[opens - 1] += 1e6
        if (rooms[0] < 0).any():
            continue
        if inp.budget_yearly is not None and (spend > inp.budget_yearly + 1e-6).any():
            continue
        kg, primary = c.pupils[0]
        short = np.maximum(kg - 30 * rooms[0], 0) + np.maximum(primary - 45 * rooms[1], 0)
        cost = spend.sum() - saved + PENALTY * short.sum()
        if cost < best[0] - 1e-6:
            best = (cost, (fa, fb, opens))
    return best


@pytest.mark.parametrize("room_cost, budget, want", [
    (1.5e5, np.inf, "convert"),        # 300,000 to convert against 1,000,000 - 200,000 to build and close
    (6e5, np.inf, "build"),            # 1,200,000 to convert: building and closing is cheaper
    (1.5e5, 2e5, "build"),             # the conversion's 300,000 in 2022 is over that year's budget
])
def test_converting_a_kindergarten_beats_building_and_closing_unless_dearer_or_over_budget(room_cost, budget, want):
    """Kindergarten rolls halve in 2022 while primary's double. Converting one kindergarten costs
    2 x ``room_cost`` in 2022; building a primary expansion costs 1,000,000 (spent in 2021) and
    closing the idle kindergarten from 2022 saves 2 x 100,000. The optimum is checked by brute force."""
    inp = _case(room_cost, budget_2022=budget)
    cost, fates = _brute_force(inp)
    m = milp.build(inp)
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.objective == pytest.approx(cost)
        converted = np.rint(sol.values[m.convert_index])
        closed = np.rint(sol.values[m.shut_index])
        built = np.rint(sol.values[m.x_index[m.x_index >= 0]]).sum()
        assert sol.values[m.short_index].sum() == pytest.approx(0.0, abs=1e-9)
        if want == "convert":
            assert cost == pytest.approx(3e5) and converted.sum(axis=0).tolist() == [0, 1, 1] and built == 0
            assert closed.sum() == 0
        else:
            assert converted.sum() == 0 and built == 1 and closed.sum(axis=0).tolist() == [0, 1, 1]
            assert cost == pytest.approx(1e6 - 2e5)
    assert (want == "convert") == any(f is not None and f[0] == "convert" for f in fates[:2])


def test_a_school_is_closed_or_converted_not_both():
    """With a running cost so high that closing pays for anything, each school is still closed
    or converted, never both (its rooms would be counted twice)."""
    inp = _case(room_cost=1.0, running=1e7)
    m = milp.build(inp)
    sol = solve_as(m, "step", gap=1e-9)
    both = np.rint(sol.values[m.shut_index]) + np.rint(sol.values[m.convert_index])
    assert both.max() <= 1
    assert sol.objective == pytest.approx(_brute_force(inp)[0])


def test_conversions_on_the_tiny_example_are_saved_and_the_network_after_teaches_the_new_level(tmp_path):
    """The tiny example's kindergartens may become primary schools: each conversion's school
    is closed in its year and a primary school of its classrooms opens in the same buildings;
    the refit is in the spending; the table is saved and read back."""
    import capsim
    from capsim.errors import PlanError
    from capsim.examples import tiny_path
    from capsim.reports.tables import from_folder

    option = [{"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 1000.0}]
    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set={"plan.conversions": option}))
    conv = res.plan.conversions
    assert conv is not None and len(conv), "a refit at 1,000 yuan a room should convert some idle kindergarten"
    s = res.assessment_after.schools
    for school, year, rooms in zip(conv.school, conv.year, conv.classrooms_after):
        old = s[(s.school == school) & (s.year >= year)]
        assert len(old) and not old.open.any()
        new = s[(s.school == f"{school}→primary") & (s.year >= year)]
        assert len(new) and new.open.all() and (new.type == "primary").all()
        assert rooms >= 1
    spent = res.plan.spending
    assert spent[spent.project.str.contains("→")].cost_yuan.sum() == pytest.approx(conv.cost_yuan.sum())
    assert conv.cost_yuan.tolist() == pytest.approx((conv.classrooms * 1000.0).tolist())
    from capsim.reports.summary import plan_summary

    assert f"converts {len(conv)} schools 改建 (conversions.csv): {len(conv)} kindergarten → primary" in plan_summary(res)
    capsim.report(res, tmp_path / "out")
    back = from_folder(tmp_path / "out").conversions
    assert back[["year", "school", "into"]].equals(conv[["year", "school", "into"]].reset_index(drop=True))
    with pytest.raises(PlanError, match="plan.conversions"):
        capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"],
                                        set={"plan.conversions": option, "plan.capacity": "seats"}))


def test_a_conversion_must_change_the_level():
    from pydantic import ValidationError

    from capsim.schema import Conversion

    with pytest.raises(ValidationError, match="into must differ"):
        Conversion(school_type="primary", into="primary", cost_per_classroom=1.0)


def _by_room_case(kg, primary, room_cost, running=1e5):
    """:func:`_case`'s pool with other rolls (``kg``, ``primary`` by year): kindergartens A and B
    (2 rooms each) may each close, convert whole into a primary school, or convert a classroom
    (keeping the other, as :func:`capsim.planner.classes.convertible` bounds it) at ``room_cost``
    a room."""
    c = _case(room_cost, running).cohorts
    c = replace(c, pupils=np.stack([kg, primary])[None], conversions=Conversions(
        np.array(["A", "B", "A", "B"], dtype=object), np.zeros(4, int), np.zeros(4, int), np.ones(4, int),
        np.vstack([np.full((2, 3), 2.0), np.ones((2, 3))]), np.vstack([np.full((2, 3), 2.0), np.ones((2, 3))]),
        np.full(4, room_cost), held=np.full((4, 3), 2.0), by_room=np.array([False, False, True, True]),
        most=np.array([1.0, 1.0, 1.0, 1.0])))          # by classroom, each keeps one of its two
    return replace(_case(room_cost, running), cohorts=c, need=np.zeros(c.pupils.shape))


def _by_room_brute_force(kg, primary, room_cost, running=1e5) -> tuple[float, tuple]:
    """Every fate of A and B (open; closed, or converted whole, from 2022 or 2023; or one of its
    two rooms converted from 2022 or from 2023) and every opening of the
    2-room primary expansion (1,000,000), priced by hand as :func:`_brute_force`."""
    rooms_by = [(n1, n2) for n1 in range(2) for n2 in range(n1, 2) if n2 > 0]
    fates = [None] + [(kind, t) for kind in ("close", "whole") for t in (1, 2)] + [("rooms", n) for n in rooms_by]
    best = (np.inf, None)
    for fa, fb, opens in itertools.product(fates, fates, [None, 1, 2]):
        moved = np.zeros(3)                            # kindergarten rooms now primary, by year
        cost = 0.0 if opens is None else 1e6
        gone = np.zeros(3)                             # kindergarten rooms closed
        for fate in (fa, fb):
            if fate is None:
                continue
            kind, at = fate
            if kind == "rooms":
                moved[1:] += at
                cost += room_cost * at[1]
            else:
                (moved if kind == "whole" else gone)[at:] += 2
                cost += 2 * room_cost if kind == "whole" else -running * (3 - at)
        extra = np.zeros(3) if opens is None else (np.arange(3) >= opens) * 2.0
        short = np.maximum(kg - 30 * (4 - moved - gone), 0) + np.maximum(primary - 45 * (2 + moved + extra), 0)
        total = cost + PENALTY * short.sum()
        if total < best[0] - 1e-6:
            best = (total, (fa, fb, opens))
    return best


@pytest.mark.parametrize("kg, primary, room_cost, rooms, years", [
    ([120.0, 90, 90], [90.0, 135, 135], 1.5e5, 1, [2022]),        # one room: 3 groups and 3 classes
    ([120.0, 90, 60], [90.0, 135, 180], 1.5e5, 2, [2022, 2023]),  # a second the year the rolls move again
    ([120.0, 90, 90], [90.0, 135, 135], 1.2e6, 0, []),            # a room dearer than the expansion: build
    ([120.0, 60, 60], [90.0, 180, 180], 1.5e5, 2, None),          # two rooms: one whole, or one of each
])
def test_converting_classrooms_one_by_one_equals_brute_force(kg, primary, room_cost, rooms, years):
    """Converting a kindergarten whole would leave kindergarten groups short; converting the one
    classroom the primary roll needs is the cheapest plan (hand-worked: 150,000), and a second one
    follows the year the rolls move again. Each optimum equals brute force over every fate of
    both schools."""
    from capsim.planner.result import conversion_frame

    kg, primary = np.array(kg), np.array(primary)
    inp = _by_room_case(kg, primary, room_cost)
    want, fates = _by_room_brute_force(kg, primary, room_cost)
    m = milp.build(inp)
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.objective == pytest.approx(want)
    frame = conversion_frame(m, sol, ["r"], ["kindergarten", "primary"])
    assert frame.classrooms.sum() == rooms
    assert frame.cost_yuan.sum() == pytest.approx(rooms * room_cost)
    if years is not None:
        assert sorted(frame.year.tolist()) == years and not frame.whole.any()
    if rooms == 1:
        assert want == pytest.approx(1.5e5)


def test_a_school_converting_classrooms_can_neither_close_nor_convert_more_than_it_has():
    """With running costs so high that closing pays for anything, a school is closed, converted
    whole or has classrooms converted, within its two classrooms: the rows of ``one_fate``."""
    inp = _by_room_case(np.array([120.0, 30, 30]), np.array([90.0, 90, 90]), room_cost=1.0, running=1e7)
    m = milp.build(inp)
    sol = solve_as(m, "step", gap=1e-9)
    shut, conv = (np.rint(sol.values[i]) for i in (m.shut_index, m.convert_index))
    for s in (0, 1):
        assert (2 * (shut[s] + conv[s]) + conv[2 + s] <= 2).all()
    assert sol.objective == pytest.approx(_by_room_brute_force(np.array([120.0, 30, 30]), np.array([90.0, 90, 90]),
                                                               1.0, 1e7)[0])


def test_a_primary_school_converting_classrooms_to_junior_becomes_nine_year_in_the_network_after(tmp_path):
    """The tiny example's primary schools may convert classrooms to junior one by one: the school
    stays open with its primary seats less 45 a classroom converted by then, its junior part
    (``ID→junior``) opens the first year with 50 a classroom converted by then, each refit is in
    the spending, the report's table says the school did not convert whole, and the table is
    saved and read back."""
    import capsim
    from capsim.examples import tiny_path
    from capsim.reports.tables import from_folder

    option = [{"school_type": "primary", "into": "junior", "cost_per_classroom": 1000.0, "unit": "classroom"}]
    before = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"]))
    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set={"plan.conversions": option}))
    conv = res.plan.conversions
    assert len(conv) and not conv.whole.any(), "a refit at 1,000 yuan a room should convert some classroom"
    assert res.plan.solution.objective <= before.plan.solution.objective * (1 + 1e-3)
    seats = res.assessment_after.school_levels.set_index(["year", "school", "level"]).seats
    old = before.assessment_after.school_levels.set_index(["year", "school", "level"]).seats
    for school, part in conv.groupby("school"):
        for year in range(int(part.year.min()), int(seats.index.get_level_values("year").max()) + 1):
            done = part[part.year <= year].classrooms.sum()
            assert seats[(year, school, "primary")] == pytest.approx(old[(year, school, "primary")] - 45 * done)
            assert seats[(year, f"{school}→junior", "junior")] == pytest.approx(50 * done)
    classes = res.assessment_after.grades.groupby(["year", "school", "level"]).classes.sum()
    parts = set(conv.school) | {f"{school}→junior" for school in conv.school}
    for (year, school, level), n in classes.items():    # each class of a converting school has a classroom
        if school in parts and year >= conv.year.min():
            standard = {"primary": 45, "junior": 50}[level]
            assert n <= seats[(year, school, level)] / standard + 1e-9, (year, school, level)
    spent = res.plan.spending
    assert spent[spent.project.str.contains("→")].cost_yuan.sum() == pytest.approx(conv.cost_yuan.sum())
    capsim.report(res, tmp_path / "out")
    t = from_folder(tmp_path / "out")
    assert t.conversions[["year", "school", "classrooms", "whole"]].equals(
        conv[["year", "school", "classrooms", "whole"]].reset_index(drop=True))
    assert (t.conversions_read.pupils_moved == 0).all()     # its pupils stay


def test_a_conversion_by_classroom_other_than_one_for_one_is_refused_by_name(capsys):
    from capsim.cli import main
    from capsim.examples import tiny_path

    option = ('plan.conversions=[{school_type = "primary", into = "junior", cost_per_classroom = 1000, '
              'unit = "classroom", classrooms_per_classroom = 2}]')
    assert main(["validate", str(tiny_path()), "--set", option]) == 2
    err = capsys.readouterr().err
    assert "one classroom for one" in err and "plan.conversions" in err and "Traceback" not in err


def test_a_conversion_waits_for_its_lead_time():
    """The conversion that pays from 2022 may come no earlier than 2023: a year of primary pupils
    without the rooms, or the expansion, whichever is cheaper; brute force over the fates that
    convert no earlier than 2023."""
    inp = _case(room_cost=1.5e5)
    c = inp.cohorts
    late = replace(inp, cohorts=replace(c, conversions=replace(c.conversions, earliest=np.full(2, 2023.0))))
    m = milp.build(late)
    want, _ = _brute_force(late, allowed=lambda fa, fb: all(f is None or f[0] != "convert" or f[1] >= 2
                                                             for f in (fa, fb)))
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(want)
    assert np.rint(sol.values[m.convert_index])[:, :2].sum() == 0
    assert want > _brute_force(inp)[0] + 1.0


def test_the_options_by_classroom_keep_a_classroom_and_wait_for_their_lead_time():
    """On the tiny example, kindergartens may convert classrooms to primary from 2023: each option
    takes and gives one classroom a unit while the school stands, at most all but one of its
    classrooms, none before base_year + lead_time."""
    import capsim
    from capsim.examples import tiny_path
    from capsim.planner.context import plan_context

    option = [{"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 1000.0, "unit": "classroom",
               "lead_time": 3}]
    sc = capsim.load_scenario(tiny_path(), use=["deterministic"], set={"plan.conversions": option})
    v = plan_context(sc).inputs.cohorts.conversions
    assert len(v.school) and v.by_room.all()
    np.testing.assert_array_equal(v.rooms, (v.held > 0).astype(float))
    np.testing.assert_array_equal(v.gain, v.rooms)
    np.testing.assert_array_equal(v.most, np.where(v.held > 0, v.held, np.inf).min(axis=1) - 1)
    assert (v.earliest == sc.base_year + 3).all()
    m = milp.build(plan_context(sc).inputs)
    years = m.inputs.years
    assert (m.ub[m.convert_index[:, years < sc.base_year + 3]] == 0).all()
    assert (m.ub[m.convert_index[:, years >= sc.base_year + 3]] == v.most[:, None]).all()


def test_two_options_by_classroom_still_keep_one_classroom_of_the_schools_level():
    """Kindergarten A offered two conversions by classroom (each bounded to one of its two rooms)
    and a primary roll that would take every room: together they still convert one room only."""
    c = _case(1.0).cohorts
    two = Conversions(np.array(["A", "A"], dtype=object), np.zeros(2, int), np.zeros(2, int), np.ones(2, int),
                      np.ones((2, 3)), np.ones((2, 3)), np.full(2, 1.0), held=np.full((2, 3), 2.0),
                      by_room=np.ones(2, bool), most=np.ones(2))
    inp = replace(_case(1.0), cohorts=replace(c, pupils=np.stack([np.zeros(3), np.full(3, 360.0)])[None],
                                              closable=None, closable_pool=None, closable_rooms=None, conversions=two))
    m = milp.build(inp)
    sol = solve_as(m, "step", gap=1e-9)
    conv = np.rint(sol.values[m.convert_index])
    assert conv.sum(axis=0).tolist() == [0, 1, 1]


def test_checking_a_bureaus_own_plan_closes_and_converts_nothing():
    """``evaluate`` checks the committed projects as they stand: with closures, conversions and a
    running cost that make the plan close and convert schools, the check does neither."""
    import capsim
    from capsim.examples import tiny_path

    scenario = capsim.load_scenario(tiny_path(), use=["deterministic"], set={
        "plan.closures": True, "plan.school_running_cost": 3e6, "plan.conversions": [
            {"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 300_000}]})
    planned = capsim.plan(scenario)
    assert len(planned.closures) and len(planned.conversions)
    checked = capsim.plan(scenario, evaluate=True)
    for table in (checked.closures, checked.conversions):
        assert table is None or not len(table)
