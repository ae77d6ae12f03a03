"""Mothballing classrooms through a trough (``plan.mothball_cost``, ``plan.reopen_cost``): a
hand-worked case, checked against every way of mothballing the spare rooms."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from capsim.planner import model as milp
from capsim.planner.formulation import FORMULATIONS, solve_as
from test_plan_classes import _inputs, _projects

PUPILS = [135.0, 45, 45, 135]    # one grade, classes of 45: 3, 1, 1, 3 classes in 3 classrooms
EMPTY, MOTHBALL = 100.0, 20.0    # yuan a year a classroom costs empty, mothballed


def _trough(reopen):
    years = np.arange(2021, 2025)
    projects = _projects([1], 45, [1e9], [1], [2021], [2024], [np.inf])
    inp = _inputs(np.asarray([PUPILS]), np.full(4, 3), [3], [45], projects, years, penalty=1e4, empty_room_cost=EMPTY)
    return replace(inp, mothball_cost=MOTHBALL, reopen_cost=reopen)


def _by_hand(reopen) -> float:
    """Every number of rooms mothballed in 2022, 2023 and 2024 (none in 2021, under way): a room
    holds a class or stands empty or mothballed; each reopened room costs ``reopen`` once."""
    needed = [3, 1, 1, 3]
    best = np.inf
    for mb in itertools.product(range(4), repeat=3):
        mb = (0,) + mb
        if any(needed[t] + mb[t] > 3 for t in range(4)):
            continue
        cost = sum(EMPTY * (3 - needed[t] - mb[t]) + MOTHBALL * mb[t] for t in range(4))
        cost += reopen * sum(max(mb[t - 1] - mb[t], 0) for t in range(1, 4))
        best = min(best, cost)
    return best


@pytest.mark.parametrize("reopen, mothballed", [(50.0, [0, 2, 2, 0]), (200.0, [0, 0, 0, 0])])
def test_spare_rooms_are_mothballed_through_the_trough_unless_reopening_costs_more_than_it_saves(reopen, mothballed):
    """2022-23 need one room of three: left empty, the two spare rooms cost 2 x 2 x 100 = 400;
    mothballed, 2 x 2 x 20 = 80 and 2 x ``reopen`` to reopen them for 2024: 180 at 50 a room
    (mothballed), 480 at 200 (left empty)."""
    inp = _trough(reopen)
    m = milp.build(inp)
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.objective == pytest.approx(_by_hand(reopen))
        assert np.rint(sol.values[m.mothball_index][0, 0]).tolist() == mothballed
        assert sol.values[m.short_index].sum() == pytest.approx(0.0, abs=1e-9)
    assert _by_hand(reopen) == pytest.approx(180.0 if reopen == 50.0 else 400.0)


def test_mothballing_on_the_tiny_example_is_reported_and_refused_where_seats_are_planned():
    import capsim
    from capsim.errors import CapsimError
    from capsim.examples import tiny_path

    settings = {"plan.empty_room_cost": 2e5, "plan.mothball_cost": 2e4, "plan.reopen_cost": 1e5}
    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set=settings))
    rooms = res.plan.rooms
    assert rooms.rooms_mothballed.sum() > 0
    assert (rooms.classes + rooms.rooms_mothballed <= rooms.rooms_before + rooms.rooms_added + rooms.rooms_rented
            + rooms.rooms_changed + 1e-6).all()
    assert (rooms[rooms.year == rooms.year.min()].rooms_mothballed == 0).all()
    with pytest.raises(CapsimError, match="plan.mothball_cost"):
        capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set={**settings, "plan.capacity": "seats"}))
