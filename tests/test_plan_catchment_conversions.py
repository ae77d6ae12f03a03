"""Converting schools between levels at the catchment level in whole classes
(``plan.conversions`` with residential areas): a converted school's classrooms leave its old
level and give the new one theirs, a school converted whole lets its old level's cohorts go, and
the zoning seats its pupils at the schools within reach. Hand-worked cases checked by brute
force, the tiny example's catchments, and what is refused there."""

import itertools

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, SiteClasses
from capsim.planner.classes import Conversions
from capsim.planner.formulation import solve_as
from capsim.planner.projects import Projects

YEARS = np.arange(2021, 2024)
TRAVEL = 1000.0       # yuan a pupil a year to a school in the other area
PENALTY = 1e5         # a pupil-year without a place
ROOM = 300_000.0      # yuan to refit a classroom
EXPANSION = 1e6       # 2 primary classrooms at school B, built in a year, opening 2022 or 2023
SIZE = np.array([30.0, 45.0])     # a kindergarten group, a primary class (one grade each)


def _case(kg, primary, room=ROOM, opens_from=2022.0) -> milp.PlanInputs:
    """Kindergarten A (2 rooms, next to area a) and primary school B (2 classrooms, next to area
    b), 1 km apart; ``kg`` the kindergarten pupils of area a and ``primary`` the primary pupils
    of area b by year. A may convert into a primary school whole (its 2 rooms give 2 classrooms)
    or one room at a time (keeping one of its level: at most one), at ``room`` yuan a room, from
    2022; B may be expanded by 2 classrooms."""
    pupils = np.zeros((2, 2, 3))
    pupils[0, 0], pupils[1, 1] = kg, primary
    rooms = np.array([[[2.0] * 3, [0.0] * 3], [[0.0] * 3, [2.0] * 3]])         # (site, level, year)
    classes = SiteClasses(size=np.repeat(SIZE[:, None], 3, axis=1), rooms=rooms,
                          base=np.zeros((2, 2)), project_rooms=np.array([[0.0, 2.0]]), next_cell=np.array([-1, -1]),
                          room_seats=SIZE)
    two = np.full((2, 3), 2.0)
    one = np.full((2, 3), 1.0)
    conversions = Conversions(np.array(["A", "A"], dtype=object), np.array([0, 0]), np.array([0, 0]),
                              np.array([1, 1]), np.stack([two[0], one[0]]), np.stack([two[0], one[0]]),
                              np.full(2, room), held=np.stack([two[0], two[0]]), by_room=np.array([False, True]),
                              most=np.array([1.0, 1.0]), earliest=np.full(2, 2022.0))
    catch = Catchment(pupils=pupils, area_region=np.zeros(2, int), seats=np.zeros((2, 2, 3)),
                      project_site=np.array([1]), cost=np.array([[0.0, TRAVEL], [TRAVEL, 0.0]]), single=False,
                      cell_level=np.array([0, 1]), classes=classes, sites=("A", "B"), areas=("a", "b"),
                      site_region=np.zeros(2, int), conversions=conversions)
    projects = Projects(ids=("x",), names=("x",), region=np.zeros(1, dtype=int), kind=np.array(["expansion"]),
                        type=np.array(["primary"]), school=np.array([1]), levels=("kindergarten", "primary"),
                        seats=np.array([[0.0, 90.0]]), cost=np.array([EXPANSION]), build_years=np.array([1.0]),
                        earliest=np.array([opens_from]), latest=np.array([2023.0]), committed=np.array([np.nan]),
                        group=np.array([""]), requires=np.array([-1]), duration=np.array([np.inf]))
    return milp.PlanInputs(years=YEARS, need=np.zeros((1, 2, 3)), projects=projects, penalty=PENALTY,
                           catchment=catch, cell_seats=projects.seats)


def _brute_force(kg, primary, room=ROOM) -> tuple[float, tuple]:
    """Every fate of A (kept; converted whole from 2022 or 2023; one room converted from 2022 or
    2023) and every opening of the expansion, priced by hand. One grade a level, so a site holds
    its rooms' worth of pupils; each area's pupils fill their own school first, then the other
    school's free places (travelling), and the rest are short."""
    best = (np.inf, None)
    for fate, opens in itertools.product([None] + [(unit, t) for unit in ("whole", "room") for t in (1, 2)],
                                         [None, 1, 2]):
        cost = (EXPANSION if opens else 0.0) + (0.0 if fate is None else ROOM_UNITS[fate[0]] * room)
        for t in range(3):
            a_kg, a_primary, b_primary = 2.0, 0.0, 2.0 + (2.0 if opens is not None and t >= opens else 0.0)
            if fate is not None and t >= fate[1]:
                moved = ROOM_UNITS[fate[0]]
                a_kg, a_primary = a_kg - moved, a_primary + moved
            kg_short = max(kg[t] - a_kg * SIZE[0], 0.0)
            home = min(primary[t], b_primary * SIZE[1])
            away = min(primary[t] - home, a_primary * SIZE[1])
            cost += TRAVEL * away + PENALTY * (kg_short + primary[t] - home - away)
        if cost < best[0] - 1e-6:
            best = (cost, (fate, opens))
    return best


ROOM_UNITS = {"whole": 2.0, "room": 1.0}


@pytest.mark.parametrize("kg, primary, want, fate", [
    # 2022: 30 kindergarten pupils need one room of A; 135 primary pupils need a third classroom:
    # one room converted (300,000) and 45 pupils travelling two years (90,000)
    ([60.0, 30, 0], [90.0, 135, 135], 390_000.0, ("room", 1)),
    # no kindergarten pupils after 2021; 180 primary pupils need two more classrooms: A converted
    # whole (600,000), 90 travelling two years (180,000), cheaper than the expansion (1,000,000)
    ([60.0, 0, 0], [90.0, 180, 180], 780_000.0, ("whole", 1)),
    # as the first but refitting costs 950,000 a room: the expansion (1,000,000) is cheaper than a
    # room converted and its travel (1,040,000)
    ([60.0, 30, 0], [90.0, 135, 135], 1_000_000.0, None),
])
def test_converting_a_school_at_the_catchment_level_equals_brute_force(kg, primary, want, fate):
    room = 950_000.0 if fate is None else ROOM
    inputs = _case(np.array(kg), np.array(primary), room)
    m = milp.build(inputs)
    sol = solve_as(m, "step", gap=1e-9)
    best, chosen = _brute_force(kg, primary, room)
    assert sol.objective == pytest.approx(best) == pytest.approx(want)
    assert chosen[0] == fate
    conv = np.rint(sol.values[m.convert_index])                # (whole, by room) x year
    assert conv[:, 0].sum() == 0 and (np.diff(conv, axis=1) >= 0).all()      # never the first year; for good
    made = {None: [0, 0], ("room", 1): [0, 1], ("whole", 1): [1, 0]}[fate]
    assert conv[:, 1].tolist() == made
    k = np.rint(sol.values[m.assignment.k_index])              # (site, cell, year)
    if fate == ("whole", 1):
        assert k[0, 0, 1:].sum() == 0 and k[0, 1, 1:].tolist() == [2, 2]   # A teaches primary only
    if fate == ("room", 1):
        assert k[0, :, 1].tolist() == [1, 1]                   # A: a kindergarten group and a primary class


def _plan(fate_pupils, opens_from=2022.0):
    from capsim.planner.context import PlanContext
    from capsim.planner.cells import Cells
    from capsim.planner.result import result

    kg, primary = fate_pupils
    m = milp.build(_case(np.array(kg), np.array(primary), opens_from=opens_from))
    sol = solve_as(m, "step", gap=1e-9)
    demand = np.stack([np.array(kg), np.array(primary)])[None]
    cells = Cells(level=np.array([0, 1]), grade=np.array([1, 1]), demand=demand, lawful=np.zeros(demand.shape),
                  seats=m.inputs.projects.seats)
    ctx = PlanContext(m.inputs, ["r"], ["kindergarten", "primary"], demand, np.zeros((1, 2, 3)), [], cells)
    return result(m, sol, ctx)


def test_the_results_count_the_classrooms_a_conversion_moves():
    """A converted whole in 2022: the conversions table names it, its 2 rooms and their cost; the
    classrooms table has the kindergarten's 2 rooms gone and primary's 2 gained from 2022, and
    the seats after the plan move by those rooms' worth (a group of 30, a class of 45)."""
    res = _plan(([60.0, 0, 0], [90.0, 180, 180]))
    conv = res.conversions
    assert conv[["year", "school", "level", "into", "classrooms", "classrooms_after", "cost_yuan", "whole", "moved_to"]
                ].values.tolist() == [[2022, "A", "kindergarten", "primary", 2.0, 2.0, 600_000.0, True, ""]]
    rooms = res.rooms.set_index(["level", "year"]).rooms_changed
    assert rooms.loc["kindergarten"].tolist() == [0, -2, -2] and rooms.loc["primary"].tolist() == [0, 2, 2]
    added = res.seats.set_index(["level", "year"]).seats_added
    assert added.loc["kindergarten"].tolist() == [0, -60, -60] and added.loc["primary"].tolist() == [0, 90, 90]
    assert res.shortfalls.empty


def test_pupils_a_conversion_leaves_short_are_named_for_it():
    """60 kindergarten children in 2021 and 2022; 90 primary pupils, then 180; the expansion can
    only open in 2023. Worked by hand (yuan): nothing, 18 M; the expansion alone, 10 M; A
    converted whole in 2022, 600,000 of refit, 60 children short in 2022 (6 M) and 90 primary
    pupils travelling two years (180,000): 6.78 M, the least (whole in 2023, 9.69 M; a room in
    2022, 12.39 M; with the expansion too, 7.69 M and 8.845 M). The 60 children short in 2022
    are the seats of the two rooms converted: their cause is "closed or converted", not "no
    candidate" (no project adds kindergarten places)."""
    res = _plan(([60.0, 60, 0], [90.0, 180, 180]), opens_from=2023.0)
    assert res.solution.objective == pytest.approx(6_780_000.0)
    assert res.conversions[["year", "whole"]].values.tolist() == [[2022, True]]
    assert res.shortfalls[["year", "level", "seats", "cause"]].values.tolist() == [
        [2022, "kindergarten", pytest.approx(60.0), "closed or converted"]]


@pytest.mark.parametrize("primary_first", [False, True])
def test_a_school_converted_whole_lets_its_enrolled_cohorts_go(primary_first):
    """Kindergarten A (three grades) lists a group in grade 2 in 2021, which is in grade 3 in
    2022. A third site, kindergarten C next door (2 rooms, 1 km from area a), may take it.
    Primary needs two more classrooms from 2022. Converting A whole in 2022 moves the group to C
    (30 pupils travelling one year, 30,000), with 600,000 of refit and 90 primary pupils
    travelling two years (180,000): 810,000, below the expansion (1,000,000). Without the rule
    that lets an enrolled cohort leave a school converted whole (its listed class no longer
    binding, its row in site_keep relaxed), the group would hold A's room and the expansion
    would be built. Run with the levels in either order, so that the kindergarten's cells are
    not the first."""
    kg_cells, primary_cell = ([1, 2, 3], 0) if primary_first else ([0, 1, 2], 3)
    kg, primary = (1, 0) if primary_first else (0, 1)
    pupils = np.zeros((2, 4, 3))                       # areas a, b; cells; years
    pupils[0, kg_cells[1], 0] = 30.0                   # the listed group: grade 2 in 2021, grade 3 in 2022
    pupils[0, kg_cells[2], 1] = 30.0
    pupils[1, primary_cell] = [90.0, 180, 180]
    rooms = np.zeros((3, 2, 3))
    rooms[0, kg], rooms[1, primary], rooms[2, kg] = 2.0, 2.0, 2.0        # A, B, C
    base = np.zeros((3, 4))
    base[0, kg_cells[1]] = 1.0                         # A's grade-2 group in 2021
    size = np.full((4, 3), 30.0)
    size[primary_cell] = 45.0
    up = np.full(4, -1)
    up[kg_cells[0]], up[kg_cells[1]] = kg_cells[1], kg_cells[2]
    level = np.full(4, kg)
    level[primary_cell] = primary
    classes = SiteClasses(size=size, rooms=rooms, base=base, project_rooms=np.eye(2)[[primary]] * 2.0,
                          next_cell=up, room_seats=np.array([45.0, 30.0]) if primary_first else SIZE)
    conversions = Conversions(np.array(["A"], dtype=object), np.array([0]), np.array([kg]), np.array([primary]),
                              np.full((1, 3), 2.0), np.full((1, 3), 2.0), np.full(1, ROOM), earliest=np.full(1, 2022.0))
    cost = np.array([[0.0, TRAVEL, TRAVEL], [TRAVEL, 0.0, np.inf]])
    catch = Catchment(pupils=pupils, area_region=np.zeros(2, int), seats=np.zeros((3, 4, 3)),
                      project_site=np.array([1]), cost=cost, single=False, cell_level=level,
                      classes=classes, sites=("A", "B", "C"), site_region=np.zeros(3, int), conversions=conversions)
    seats = np.zeros((1, 4))
    seats[0, primary_cell] = 90.0
    levels = ("primary", "kindergarten") if primary_first else ("kindergarten", "primary")
    projects = Projects(ids=("x",), names=("x",), region=np.zeros(1, dtype=int), kind=np.array(["expansion"]),
                        type=np.array(["primary"]), school=np.array([1]), levels=levels,
                        seats=seats, cost=np.array([EXPANSION]), build_years=np.array([1.0]),
                        earliest=np.array([2022.0]), latest=np.array([2023.0]), committed=np.array([np.nan]),
                        group=np.array([""]), requires=np.array([-1]), duration=np.array([np.inf]))
    m = milp.build(milp.PlanInputs(years=YEARS, need=np.zeros((1, 4, 3)), projects=projects, penalty=PENALTY,
                                   catchment=catch, cell_seats=projects.seats))
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(810_000.0)
    assert np.rint(sol.values[m.convert_index]).tolist() == [[0, 1, 1]]
    k = np.rint(sol.values[m.assignment.k_index])
    assert k[0, kg_cells[1], 0] == 1 and k[0, kg_cells[2], 1] == 0 and k[2, kg_cells[2], 1] == 1   # A, then C
    from capsim.planner.result import _moved_to
    assert _moved_to(m, sol, np.array([0]), np.array([1]), kg) == ["C 30"]      # its 30 children go to C


KG_INTO_PRIMARY = [{"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 300_000},
                   {"school_type": "kindergarten", "into": "primary", "cost_per_classroom": 300_000,
                    "unit": "classroom"}]


def test_on_the_tiny_examples_catchments_converted_schools_teach_their_new_level():
    """Six plan years of the tiny example's catchments, kindergartens that may become primary
    schools (whole or a room at a time) and a running cost of 3 million yuan a school: the plan
    costs no more than building alone; every school converted is a kindergarten; from the year a
    school converts whole no kindergarten child is zoned to it nor a group formed there; the
    classrooms table moves each conversion's rooms from kindergarten to primary, year by year;
    and the network after the plan has the school teaching primary."""
    import capsim
    import pandas as pd
    from capsim.examples import tiny_path

    settings = {"plan.years": 6, "plan.school_running_cost": 3e6, "plan.time_limit": 20}
    scenario = capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"],
                                    set={**settings, "plan.conversions": KG_INTO_PRIMARY})
    res = capsim.run(scenario)
    building = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic", "catchments"], set=settings)).plan
    conv = res.plan.conversions
    assert len(conv), "some kindergarten converts"
    assert res.plan.solution.objective <= building.solution.objective * (1 + 1e-3)    # (each run to its own gap)
    kind = dict(pd.read_csv(tiny_path().parent / "schools.csv", dtype=str)[["id", "type"]].values)
    assert {kind[s] for s in conv.school} == {"kindergarten"} and set(conv.into) == {"primary"}
    whole = dict(zip(conv.school[conv.whole], conv.year[conv.whole]))
    for year, moved in zip(conv.year[conv.whole], conv.moved_to[conv.whole]):   # its children go to kindergartens
        went = [part.rsplit(" ", 1)[0] for part in moved.split(", ") if part]     # not converted by then
        assert all(kind[s] == "kindergarten" and whole.get(s, 1e9) > year for s in went), (year, moved)
    assert conv.moved_to[conv.whole].str.len().gt(0).any(), "some converted kindergarten had children"
    zoned, k = res.plan.catchments, res.plan.school_classes
    for frame, amount in ((zoned, "pupils"), (k, "classes")):
        after = frame[frame.school.map(whole).notna() & (frame.year >= frame.school.map(whole))]
        assert after[after.level == "kindergarten"][amount].sum() == pytest.approx(0.0, abs=1e-6)
    rooms = res.plan.rooms.groupby(["level", "year"]).rooms_changed.sum()
    years = sorted(set(res.plan.rooms.year))
    for level, column, sign in (("kindergarten", "classrooms", -1), ("primary", "classrooms_after", 1)):
        want = [sign * conv[conv.year <= y][column].sum() for y in years]
        assert rooms.loc[level].tolist() == pytest.approx(want), level
    net = res.assessment_after.schools                 # closed as a kindergarten, open as a primary school
    for school, year in whole.items():
        assert not net[(net.school == school) & (net.year >= year)].open.any(), school
        part = net[(net.school == f"{school}→primary") & (net.year >= year)]
        assert part.open.all() and set(part.type) == {"primary"} and len(part), school
