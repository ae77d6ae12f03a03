"""The catchment level in whole classes: each school its own pool of classrooms shared by its
grades, classes formed at intake rolling up with their cohort. One area and one school is the
region class model (the same optimum, hand-worked and brute-forced in test_plan_classes.py);
two schools keep their classrooms apart."""

from dataclasses import replace

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, SiteClasses
from capsim.planner.formulation import FORMULATIONS, solve_as

from test_plan_classes import _brute_force, _bulge, _capped, _inputs, _projects, _random_instance


def _as_catchment(inp: milp.PlanInputs, single: bool = False, areas: int = 1) -> milp.PlanInputs:
    """The region class model's one pool as ``areas`` areas (its pupils shared equally) all next
    to one school that holds the pool's classrooms, every project adding its rooms there."""
    c = inp.cohorts
    G, Y = c.pupils.shape[1:]
    classes = SiteClasses(size=c.class_size().astype(float), rooms=c.rooms, base=c.base, project_rooms=c.project_rooms,
                          next_cell=np.r_[np.arange(1, G), -1])
    P = len(inp.projects.ids)
    catch = Catchment(pupils=np.repeat(c.pupils / areas, areas, axis=0), area_region=np.zeros(areas, int),
                      seats=np.zeros((1, G, Y)), project_site=np.zeros(P, int), cost=np.zeros((areas, 1)),
                      single=single, cell_level=np.zeros(G, int), classes=classes)
    return replace(inp, cohorts=None, catchment=catch, need=np.zeros((1, G, Y)),
                   cell_seats=np.repeat(inp.projects.seats / G, G, axis=1))


def _classes(m, values) -> np.ndarray:
    """(J, K, Y) the classes of a catchment plan."""
    return np.rint(values[m.assignment.k_index])


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_bulge_moving_up_at_one_school_with_its_classrooms_needs_nothing(formulation):
    years, pupils, rooms, base = _bulge()
    projects = _projects([1], 45, [1e6], [1], [2021], [2028], [np.inf])
    m = milp.build(_as_catchment(_inputs(pupils, rooms, base, [45] * 6, projects, years)))
    sol = solve_as(m, formulation, gap=1e-9)
    assert sol.status == "optimal" and sol.objective == pytest.approx(0.0, abs=1e-6)
    classes = _classes(m, sol.values)[0]
    assert (classes.sum(axis=0) <= 14).all()
    np.testing.assert_array_equal([classes[2 + t, t] for t in range(4)], [4, 4, 4, 4])   # the bulge's 4 classes


def test_the_same_bulge_planned_in_seats_per_grade_builds():
    """Seats fixed per grade (the school's 14 rooms as its base classes, 2, 2, 4, 2, 2, 2 of 45): the
    bulge (180) is 90 short in grades 4-6 (2022-2024) while grade 3's room for 90 more stands
    empty; the room on offer adds 7.5 seats to every grade, so it is built in 2021 (1 M yuan for
    22.5 pupil-years at 100,000 each) and 3 x 82.5 pupil-years stay short. In shared rooms:
    nothing."""
    years, pupils, rooms, base = _bulge()
    projects = _projects([1], 45, [1e6], [1], [2021], [2028], [np.inf])
    inp = _as_catchment(_inputs(pupils, rooms, base, [45] * 6, projects, years))
    seats = np.repeat(np.array([2, 2, 4, 2, 2, 2])[:, None] * 45.0, len(years), axis=1)[None]
    m = milp.build(replace(inp, catchment=replace(inp.catchment, classes=None, seats=seats)))
    sol = solve_as(m, "step", gap=1e-9)
    assert sol.objective == pytest.approx(1e6 + 1e5 * 3 * 82.5)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_one_classroom_fewer_builds_one_temporary_classroom_for_the_bulges_years(formulation):
    years, pupils, rooms, base = _bulge(Y=5, rooms=13)
    projects = _projects([1, 1, 1, 1], 45, [1e6, 1e5, 6e4, 6e4], [1] * 4, [2021] * 4, [2025] * 4, [np.inf, 4, 2, 2])
    m = milp.build(_as_catchment(_inputs(pupils, rooms, base, [45] * 6, projects, years, rate=0.03)))
    sol = solve_as(m, formulation, gap=1e-9)
    x = np.rint(sol.values[np.maximum(m.x_index, 0)]) * (m.x_index >= 0)
    assert x.sum() == 1 and x[1, 0] == 1                                # the 4-year room, open 2021-2024
    assert sol.objective == pytest.approx(1e5)


@pytest.mark.parametrize("seed, variant", [(s, "plain") for s in range(6)] + [(s, "capped") for s in (1, 3, 4)])
def test_one_area_at_one_school_costs_what_brute_force_finds(seed, variant):
    inp = _random_instance(seed)
    if variant == "capped":
        inp = _capped(inp)
    best = _brute_force(inp)
    for formulation in FORMULATIONS:
        sol = solve_as(milp.build(_as_catchment(inp)), formulation, gap=1e-9)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(best, rel=1e-7)


@pytest.mark.parametrize("seed", [0, 3])
def test_single_assignment_of_areas_to_one_school_costs_the_same(seed):
    """Three areas zoned whole to the one school: nothing to choose but the classes and openings."""
    inp = _random_instance(seed)
    sol = solve_as(milp.build(_as_catchment(inp, single=True, areas=3)), "step", gap=1e-9)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_force(inp), rel=1e-7)


def test_two_schools_keep_their_classrooms_apart():
    """Two schools of one grade, each with 2 classrooms of 45, one area next to each (the other
    school 1 km further, at 1,000 yuan a pupil-km): 100 pupils at A fill 3 classes. Sharing the
    rooms would seat them all; apart, one class goes to B, 10 pupils travel."""
    years = np.arange(2021, 2022)
    classes = SiteClasses(size=np.array([[45.0]]), rooms=np.array([[[2.0]], [[2.0]]]), base=np.zeros((2, 1)),
                          project_rooms=np.zeros((1, 1)), next_cell=np.array([-1]))
    catch = Catchment(pupils=np.array([[[100.0]], [[0.0]]]), area_region=np.zeros(2, int), seats=np.zeros((2, 1, 1)),
                      project_site=np.array([0]), cost=np.array([[0.0, 1000.0], [1000.0, 0.0]]), single=False,
                      cell_level=np.zeros(1, int), classes=classes)
    projects = _projects([1], 45, [1e9], [1], [2021], [2021], [np.inf])
    inp = milp.PlanInputs(years=years, need=np.zeros((1, 1, 1)), projects=projects, penalty=1e5, catchment=catch,
                          cell_seats=projects.seats)
    m = milp.build(inp)
    sol = solve_as(m, "step", gap=1e-9)
    k = _classes(m, sol.values)[:, 0, 0]
    assert k[0] == 2 and k[1] >= 1                                      # (a class more costs nothing)
    assert sol.objective == pytest.approx(10 * 1000.0)                  # 10 pupils a year at B, 1 km on


def _two_sites(project_rooms, new_site: bool, pupils, cell_seats=None):
    """Two schools (or one and a new site, B) of the grades of ``pupils`` (2 areas x G grades),
    one area next to each, 1 km apart at 1,000 yuan a pupil-km; school A has 2 classrooms, B none
    of its own where ``new_site``, else 2; one project of ``project_rooms`` classrooms at B for
    1 M yuan (``cell_seats``: its seats per grade as the per-grade count spreads them)."""
    pupils = np.asarray(pupils, float)
    G = pupils.shape[1]
    rooms = np.array([[[2.0]], [[0.0 if new_site else 2.0]]])
    classes = SiteClasses(size=np.full((G, 1), 45.0), rooms=rooms, base=np.zeros((2, G)),
                          project_rooms=np.array([[float(project_rooms)]]), next_cell=np.r_[np.arange(1, G), -1])
    catch = Catchment(pupils=pupils[:, :, None], area_region=np.zeros(2, int), seats=np.zeros((2, G, 1)),
                      project_site=np.array([1]), cost=np.array([[0.0, 1000.0], [1000.0, 0.0]]), single=False,
                      cell_level=np.zeros(G, int), classes=classes, site_region=np.zeros(2, int))
    projects = _projects([project_rooms], 45, [1e6], [1], [2021], [2021], [np.inf])
    seats = np.repeat(projects.seats / G, G, axis=1) if cell_seats is None else np.asarray([cell_seats], float)
    inp = milp.PlanInputs(years=np.arange(2021, 2022), need=np.zeros((1, G, 1)), projects=projects, penalty=1e5,
                          catchment=catch, cell_seats=seats)
    return milp.build(inp)


def test_a_project_adds_its_classrooms_at_its_own_site():
    """300 pupils at A (2 rooms), none at B. With B's 2 rooms and its 2-room project: 90 seated at
    A, 180 at B (4 rooms), 30 short; the project (1 M) costs less than 90 pupils short (9 M)."""
    m = _two_sites(2, new_site=False, pupils=[[300.0], [0.0]])
    sol = solve_as(m, "step", gap=1e-9)
    assert np.rint(sol.values[m.x_index[m.x_index >= 0]]).sum() == 1
    k = _classes(m, sol.values)[:, 0, 0]
    assert k[0] == 2 and k[1] == 4
    assert sol.values[m.short_index].sum() == pytest.approx(30.0)
    assert sol.objective == pytest.approx(1e6 + 180 * 1000.0 + 30 * 1e5)


def test_a_new_site_with_fewer_classrooms_than_grades_teaches_any_grade():
    """A new school of 2 classrooms for 3 grades, counted per grade as 45, 45 and 0 seats: 45
    pupils of grade 3 next to it, school A full with its own 90 of grade 1. The new school's rooms
    are shared, so one of them takes grade 3 (none short, 1 M yuan, against 4.5 M for 45 pupils
    short)."""
    m = _two_sites(2, new_site=True, pupils=[[90.0, 0.0, 0.0], [0.0, 0.0, 45.0]], cell_seats=[45.0, 45.0, 0.0])
    sol = solve_as(m, "step", gap=1e-9)
    assert _classes(m, sol.values)[1, 2, 0] == 1
    assert sol.values[m.short_index].sum() == pytest.approx(0.0, abs=1e-6)
    assert sol.objective == pytest.approx(1e6)


@pytest.mark.parametrize("new_site, opened, covered", [(False, 0, True), (True, 0, False), (True, 1, True)])
def test_a_region_is_covered_when_its_sites_classrooms_hold_every_grades_classes(new_site, opened, covered):
    """Grades of 10, 10 and 90 pupils need 1 + 1 + 2 = 4 classes of 45. School A's 2 classrooms and
    B's 2 hold them; without B's own rooms only once its 2-room project opens."""
    from types import SimpleNamespace

    from capsim.planner.cells import Cells
    from capsim.planner.result import _covered

    pupils = [[10.0, 10.0, 90.0], [0.0, 0.0, 0.0]]
    m = _two_sites(2, new_site=new_site, pupils=pupils)
    demand = np.asarray(pupils).sum(axis=0)[None, :, None]
    cells = Cells(np.zeros(3, int), np.arange(1, 4), demand, np.full((1, 3, 1), 45.0), m.inputs.cell_seats)
    ctx = SimpleNamespace(regions=["r"], levels=["primary"], cells=cells)
    got = _covered(m, np.array([[float(opened)]]), ctx, demand)          # one region: all seated in it
    np.testing.assert_array_equal(got, np.full((1, 3, 1), covered))
