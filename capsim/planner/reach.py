"""How far a closed school's pupils go (``plan.max_displacement_km``): the schools within reach
of each school the plan may close, and the constraint family that keeps one of them open.

In year ``t`` school ``s'`` can take the pupils of closable school ``c`` if it lies within ``D`` km
of ``c`` (straight line between the schools' points) and has lawful classrooms of a level ``c``
has then. With ``N(c, t)`` the closable ones among them::

    within_reach:  shut[c, t] + sum_{s in N(c, t)} shut[s, t] <= |N(c, t)|

only where no school the plan keeps can take them (then ``c`` may close freely); where no school
at all can, ``shut[c, t] = 0`` by its bound (:func:`capsim.planner.model.build`). A closed school
stays closed, so it closes only if someone within reach stays open in every later year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.planner.common import family


@dataclass(frozen=True)
class Reach:
    """With ``plan.max_displacement_km``: the schools within reach of each closable one
    (:func:`within_reach`), as the rows of :func:`define_within_reach`."""

    row_school: np.ndarray    # (K,) the closable school of each row
    row_year: np.ndarray      # (K,) its plan-year index
    member: np.ndarray        # (M,) closable schools within reach, one entry per (row, school)
    member_row: np.ndarray    # (M,) the row of each
    alone: np.ndarray         # (C, Y) no school of its levels within reach that year: it cannot close


def no_point(scenario, schools):
    """The problem of the schools without a point (None where every school has one)."""
    from capsim.errors import Problem

    placed = (np.isfinite(schools.points.xy).all(axis=1) if schools.points is not None
              else np.zeros(len(schools.ids), dtype=bool))
    missing = [str(s) for s, ok in zip(schools.ids, placed) if not ok]
    if not missing:
        return None
    return Problem(f"{scenario.source}: data.schools", "plan.max_displacement_km measures from each school's point, "
                   f"and {len(missing)} school(s) have none (e.g. {', '.join(missing[:5])}).", None,
                   "give every school lon, lat or x, y, or leave plan.max_displacement_km empty.")


def within_reach(scenario, schools, ids, per, keep) -> Reach:
    """The schools that can take a closed school's pupils under ``plan.max_displacement_km``
    (``D``): in year ``t``, school ``s'`` can take those of closable school ``c`` if it is within
    ``D`` km of ``c`` (straight line between the schools' points) and has lawful classrooms of a
    level ``c`` has then. Where such a school cannot be closed (a school the plan keeps), or ``c``
    has no lawful classroom that year (closed by the school list), ``c`` may close that year
    freely; where none exists, ``c`` cannot close that year (``alone``); otherwise one of the
    closable ones must stay open (:func:`define_within_reach`). ``ids`` and ``per``
    (S, L, Y) are the schools with lawful classrooms and their classrooms, ``keep`` (S,) those
    the plan may close."""
    from capsim.errors import PlanError
    from capsim.geo import distance_km

    problem = no_point(scenario, schools)
    if problem is not None:
        raise PlanError([problem])
    points = schools.points.take(pd.Index(list(schools.ids)).get_indexer(ids))
    near = distance_km(points, points) <= scenario.plan.max_displacement_km
    np.fill_diagonal(near, False)
    has = per > 0                                                            # (S, L, Y)
    takes = near[:, :, None] & (np.einsum("alt,blt->abt", has, has) > 0)     # (S, S, Y) b can take a's pupils
    c = np.flatnonzero(keep)
    takes = takes[c]                                                         # (C, S, Y)
    teaching = has[c].any(axis=1)                                            # (C, Y) it has pupils' rooms then
    free = (takes & ~keep[None, :, None]).any(axis=1) | ~teaching            # a kept school takes them, or none to take
    closable_takes = takes[:, keep, :] & ~free[:, None, :]                   # (C, C, Y)
    alone = ~free & ~closable_takes.any(axis=1)
    row_school, row_year = np.nonzero(closable_takes.any(axis=1))
    K = np.full(closable_takes.shape[::2], -1)
    K[row_school, row_year] = np.arange(len(row_school))
    c_of, member, t_of = np.nonzero(closable_takes)
    return Reach(row_school, row_year, member, K[c_of, t_of], alone)



def define_within_reach(m):
    """With ``plan.max_displacement_km``, a closed school's pupils keep a school within reach: in
    each year it is closed, at least one of the closable schools that can take them
    (:func:`within_reach`) stays open, ``shut[c, t] + sum_{s in N(c, t)} shut[s, t] <= |N(c, t)|``
    (rows only where no kept school can take them; where no school at all can, ``shut[c, t] = 0``
    by its bound)."""
    c = m.inputs.cohorts
    if m.shut_index is None or c.reach is None or not len(c.reach.row_school):
        return None
    r = c.reach
    K = len(r.row_school)
    size = np.bincount(r.member_row, minlength=K)
    return family("within_reach", np.r_[np.arange(K), r.member_row],
                  np.r_[m.shut_index[r.row_school, r.row_year], m.shut_index[r.member, r.row_year[r.member_row]]],
                  np.ones(K + len(r.member)), K, m.n, "<=", size.astype(float))
