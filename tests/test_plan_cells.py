"""The region level covers pupils grade by grade, as the assessment counts classes."""

import numpy as np
import pytest

from capsim.examples import tiny
from capsim.planner.cells import project_seats
from capsim.planner.network import classes_by_grade
from capsim.planner.projects import Projects


def _projects(kind, type_, school, seats):
    P = len(kind)
    return Projects(
        ids=tuple(f"p{i}" for i in range(P)), names=tuple(f"p{i}" for i in range(P)), region=np.zeros(P, int),
        kind=np.asarray(kind), type=np.asarray(type_), school=np.asarray(school),
        levels=("primary", "junior", "senior"),
        seats=np.asarray(seats, dtype=float), cost=np.ones(P), build_years=np.ones(P), earliest=np.zeros(P),
        latest=np.full(P, 3000.0), committed=np.full(P, np.nan), group=np.full(P, ""), requires=np.full(P, -1),
        duration=np.full(P, np.inf))


@pytest.fixture
def three():
    """A nine-year school, a twelve-year school over its type's maximum of 2,500, and an expansion
    by four primary classrooms (China's standards: 45 primary, 50 junior and senior pupils a class)."""
    return _projects(["new", "new", "expansion"], ["nine_year", "twelve_year", "primary"], [-1, -1, 0],
                     [[1350, 900, 0], [1350, 900, 750], [180, 0, 0]])


def test_classes_are_spread_over_the_grades_lowest_first(three):
    classes = classes_by_grade(tiny(), three)
    # 1,350 / 45 = 30 classrooms: 5 a grade; 900 / 50 = 18: 6 a grade; 180 / 45 = 4: grades 1-4
    np.testing.assert_array_equal(classes["primary"], [[5] * 6, [5] * 6, [1, 1, 1, 1, 0, 0]])
    np.testing.assert_array_equal(classes["junior"], [[6] * 3, [6] * 3, [0] * 3])
    np.testing.assert_array_equal(classes["senior"], [[0] * 3, [5] * 3, [0] * 3])


def test_a_project_adds_its_classes_at_the_standard_within_its_maximum_size(three):
    seats = project_seats(tiny(), three, ["primary", "junior", "senior"])     # (P, 6 + 3 + 3)
    np.testing.assert_allclose(seats[0], [225] * 6 + [300] * 3 + [0] * 3)
    # 3,000 seats in a school of at most 2,500 pupils: five sixths of each grade's seats are lawful
    np.testing.assert_allclose(seats[1], np.array([225] * 6 + [300] * 3 + [250] * 3) * 2500 / 3000)
    np.testing.assert_allclose(seats[2], [45, 45, 45, 45, 0, 0] + [0] * 6)


def test_a_new_nine_year_school_gets_each_levels_own_classes(three):
    """Not its 48 classrooms spread over all nine grades (5-6 each): its primary grades get the
    primary seats' classes, its junior grades the junior seats'; a level it adds no seats to
    (the twelve-year school's is not planned here) gets none."""
    from capsim.planner import read_network
    from capsim.planner.network import planned_schools

    sc = tiny(use=["deterministic"])
    schools, _, _ = read_network(sc, ["north", "south"], ["primary", "junior", "senior"])
    only_new = _projects(["new"], ["nine_year"], [-1], [[1350, 900, 0]])
    after = planned_schools(sc, schools, only_new, np.array([2024.0]))
    np.testing.assert_array_equal(after.base_classes["primary"][-1], [5] * 6)
    np.testing.assert_array_equal(after.base_classes["junior"][-1], [6] * 3)
    np.testing.assert_array_equal(after.base_classes["senior"][-1], [0] * 3)


def test_where_the_plan_names_no_shortfall_every_grade_has_lawful_classes():
    """The per-grade seat model (plan.capacity = "seats")."""
    import capsim

    res = capsim.run(tiny(use=["deterministic"], set={"plan.capacity": "seats"}))
    after = res.assessment_after_plan.merge(res.seats_after_plan[["year", "region", "level", "shortfall"]],
                                         on=["year", "region", "level"])
    clear = after[after.shortfall <= 0.5]
    assert len(clear) and (clear.oversized_classes == 0).all()   # schools: test_plan_network
    g = res.plan.seats_by_grade
    lawful = res.assessment_after.grades.merge(res.assessment_after.schools[["year", "school", "region"]],
                                               on=["year", "school"]).groupby(
        ["year", "region", "level", "grade"]).lawful_seats.sum()
    covered = g.set_index(["year", "region", "level", "grade"])
    covered = covered[covered.shortfall <= 1e-6]
    # the network after the plan has, grade by grade, the lawful seats the plan counted on
    np.testing.assert_allclose(lawful.reindex(covered.index), covered.seats_before + covered.seats_added, rtol=1e-9)
    assert (lawful.reindex(covered.index) >= covered.students - 1e-6).all()
