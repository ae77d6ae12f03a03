"""Where a closed school's pupils go: the schools that can take them, and the constraint family
that keeps one of them open.

A school is *movable* if the plan may close it (``plan.closures``) or, without closures, convert
it whole to another level (``plan.conversions``): either way its pupils must go elsewhere. In
year ``t`` school ``s'`` can take the pupils of movable school ``c`` if it has lawful classrooms
of a level ``c`` has then and, where ``c`` names the school it merges into (the schools table's
``merge_into``, 撤并), is that school; otherwise, with ``plan.max_displacement_km`` (``D``), if
it lies within ``D`` km of ``c`` (straight line between the schools' points); so can a new school
the projects may build (one with a point, within ``D`` km, with classrooms of such a level; not
for a named merge). With ``N(c, t)`` the movable schools among them (``conv[v, t]`` their
conversions whole, :mod:`capsim.planner.classes`; ``shut`` only with ``plan.closures``) and
``P(c, t)`` the new schools::

    within_reach:  shut[c, t] + sum_{whole v of c} conv[v, t]
                   + sum_{s in N(c, t)} (shut[s, t] + sum_{whole v of s} conv[v, t])
                   - sum_{p in P(c, t)} open[p, t] <= |N(c, t)|

only where no school the plan keeps can take them (then ``c`` may close freely); where no school
at all can, and no new school could, ``shut[c, t] = 0`` and ``c`` is not converted whole by their
bounds (:func:`capsim.planner.model.build`). ``open[p, t]`` is 1 once ``p``'s classrooms stand
(:func:`capsim.planner.common.standing`). A school converted whole to another level moves its
pupils as a closed one does, and counts as gone (even where its new level is one ``c`` has: the
rule errs on the safe side); converting some classrooms keeps a school. A school is
closed or converted, not both (``one_fate``), so each of ``N`` counts at most once. A closed
school stays closed, so it closes only if someone within reach stays open (or opens) in every
later year: a school may close into a new one built beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.planner.common import family, standing


@dataclass(frozen=True)
class Reach:
    """Who can take the pupils of each school the plan may close or convert whole (its
    *movable* schools, :func:`within_reach`), as the rows of :func:`define_within_reach`; the
    schools are numbered in ``schools``' order."""

    schools: np.ndarray       # (C,) the movable schools (ids): closable, or else convertible whole
    row_school: np.ndarray    # (K,) the movable school of each row
    row_year: np.ndarray      # (K,) its plan-year index
    member: np.ndarray        # (M,) movable schools within reach, one entry per (row, school)
    member_row: np.ndarray    # (M,) the row of each
    alone: np.ndarray         # (C, Y) no school of its levels within reach that year: it cannot close
    opener: np.ndarray        # (E,) new-school projects within reach, one entry per (row, project)
    opener_row: np.ndarray    # (E,) the row of each


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


def other_kind(scenario, schools, projects):
    """The problem of new schools placed by points of another kind than the schools' (None where
    they are of one kind, or either table has none): their distances cannot be measured."""
    from capsim.errors import Problem
    from capsim.geo import COLUMNS

    if schools.points is None or projects is None or projects.points is None:
        return None
    if schools.points.geographic == projects.points.geographic:
        return None
    new, listed = (", ".join(COLUMNS[p.geographic]) for p in (projects.points, schools.points))
    return Problem(f"{scenario.source}: data.projects", f"places new schools by {new} and the schools table by "
                   f"{listed}, so plan.max_displacement_km cannot measure between them.", None,
                   "give both tables the same kind of point.")


def named_receivers(scenario, schools):
    """With catchment areas the zoning decides where the pupils of a school closed or converted
    whole go: the problem of a schools table that names receivers (``merge_into``), None where
    it names none."""
    from capsim.errors import Problem

    into = schools.merge_into
    named = [] if into is None else [f"{s} → {r}" for s, r in zip(schools.ids, into) if r]
    if not named:
        return None
    return Problem(f"{scenario.source}: data.schools", "column merge_into names the school a closed one merges into "
                   f"({len(named)}, e.g. {', '.join(named[:3])}), but with catchment areas the zoning sends the "
                   "pupils of a school closed or converted whole to schools within plan.max_distance_km.", named[0],
                   "empty the merge_into column, or plan by region or zone (no data.areas or data.travel).")


def bounded(scenario, schools) -> bool:
    """Whether closed schools' pupils must keep a school that can take them: with
    ``plan.max_displacement_km``, or where a school names the school it merges into."""
    named = getattr(schools, "merge_into", None)
    return scenario.plan.max_displacement_km is not None or (named is not None and (named != "").any())


def within_reach(scenario, schools, ids, per, movable, projects=None, project_rooms=None) -> Reach:
    """The schools that can take a closed school's pupils (the module docstring): in year ``t``,
    school ``s'`` can take those of movable school ``c`` if it has lawful classrooms of a level
    ``c`` has then and is ``c``'s named receiver (``merge_into``) or, where ``c`` names none and
    ``plan.max_displacement_km`` (``D``) is set, lies within ``D`` km of ``c``. Where such a
    school stays whatever the plan does (not movable), or ``c`` has no lawful classroom that year
    (closed by the school list), or ``c`` is bound by neither rule, ``c`` may close that year
    freely; where none exists, nor a new school that could (:func:`_new_within_reach`), ``c``
    cannot close that year (``alone``); otherwise one of the movable ones must stay open or one
    of the new ones be open (:func:`define_within_reach`). ``ids`` and ``per`` (S, L, Y) are the
    schools with lawful classrooms and their classrooms, ``movable`` (S,) those the plan may close
    (with ``plan.closures``) or else convert whole,
    ``projects`` and ``project_rooms`` (P, L) the projects and the lawful classrooms each adds."""
    near, bound, named, points = _candidates(scenario, schools, ids, projects)
    has = per > 0                                                            # (S, L, Y)
    takes = near[:, :, None] & (np.einsum("alt,blt->abt", has, has) > 0)     # (S, S, Y) b can take a's pupils
    c = np.flatnonzero(movable)
    takes = takes[c]                                                         # (C, S, Y)
    teaching = has[c].any(axis=1)                                            # (C, Y) it has pupils' rooms then
    free = (takes & ~movable[None, :, None]).any(axis=1) | ~teaching | ~bound[c][:, None]
    movable_takes = takes[:, movable, :] & ~free[:, None, :]                 # (C, C, Y)
    new, new_takes = np.zeros(0, dtype=int), np.zeros((len(c), 0, has.shape[2]), dtype=bool)
    if points is not None:
        new, new_takes = _new_within_reach(scenario, points.take(c), has[c], projects, project_rooms)
        new_takes &= ~free[:, None, :] & ~named[c][:, None, None]            # (C, N, Y); a named merge: not these
    alone = ~free & ~movable_takes.any(axis=1) & ~new_takes.any(axis=1)
    row_school, row_year = np.nonzero(movable_takes.any(axis=1) | new_takes.any(axis=1))
    K = np.full(movable_takes.shape[::2], -1)
    K[row_school, row_year] = np.arange(len(row_school))
    c_of, member, t_of = np.nonzero(movable_takes)
    n_c, n_p, n_t = np.nonzero(new_takes)
    return Reach(np.asarray(ids[c], dtype=object), row_school, row_year, member, K[c_of, t_of], alone, new[n_p],
                 K[n_c, n_t])


def _candidates(scenario, schools, ids, projects):
    """(near (S, S): who may take whose pupils, level aside; bound (S,): whose closure is bound
    by a rule; named (S,): who names the school it merges into; the schools' points, None without
    a distance) over the schools ``ids``: a named school merges into its receiver alone, the
    others into the schools within ``plan.max_displacement_km`` (where set)."""
    from capsim.errors import PlanError
    from capsim.geo import distance_km

    S = len(ids)
    at = pd.Index(list(schools.ids)).get_indexer(ids)
    into = getattr(schools, "merge_into", None)
    receiver = np.full(S, "", dtype=object) if into is None else np.asarray(into, dtype=object)[at]
    named = receiver != ""
    D = scenario.plan.max_displacement_km
    points = None
    if D is None:
        near = np.zeros((S, S), dtype=bool)
    else:
        problems = [p for p in (no_point(scenario, schools), other_kind(scenario, schools, projects)) if p]
        if problems:
            raise PlanError(problems)
        points = schools.points.take(at)
        near = distance_km(points, points) <= D
        np.fill_diagonal(near, False)
    near[named] = False
    target = ids.get_indexer(receiver[named])                                # -1: the receiver has no classroom
    near[np.flatnonzero(named)[target >= 0], target[target >= 0]] = True
    return near, named | (D is not None), named, points


def _new_within_reach(scenario, points, has, projects, project_rooms):
    """(new-school project numbers (N,), (C, N, Y) whether each could take each closable
    school's pupils in each year): a project of kind ``new`` with a point within ``D`` km and
    classrooms of a level the school has then."""
    from capsim.geo import distance_km

    C, _, Y = has.shape
    if projects is None or projects.points is None or project_rooms is None:
        return np.zeros(0, dtype=int), np.zeros((C, 0, Y), dtype=bool)
    new = np.flatnonzero((np.asarray(projects.kind) == "new") & np.isfinite(projects.points.xy).all(axis=1))
    near = distance_km(points, projects.points.take(new)) <= scenario.plan.max_displacement_km      # (C, N)
    shares = np.einsum("nl,clt->cnt", (project_rooms[new] > 0).astype(int), has.astype(int)) > 0
    return new, near[:, :, None] & shares


def define_within_reach(m):
    """A moved school's pupils keep a school that can take them: in each year it is closed or
    converted whole, at least one of the movable schools that can take them stays open and
    unconverted (converting some classrooms keeps a school), or one of the new schools that
    could is open (:func:`within_reach`):
    ``shut[c, t] + sum_{whole v of c} conv[v, t] + sum_{s in N(c, t)} (shut[s, t] + sum_{whole v of s}
    conv[v, t]) - sum_{p in P(c, t)} open[p, t] <= |N(c, t)|`` (a school converted whole moves its
    pupils as a closed one does; ``shut`` terms only with ``plan.closures``), ``open[p, t]`` the sum
    of ``p``'s opening variables standing in ``t`` (rows only where no kept school can take them;
    where nothing can, the school's closure and whole conversions are 0 by their bounds)."""
    c = m.inputs.cohorts
    if c.reach is None or not len(c.reach.row_school) or (m.shut_index is None and m.convert_index is None):
        return None
    r = c.reach
    K = len(r.row_school)
    size = np.bincount(r.member_row, minlength=K)
    var, proj, t = standing(m)
    opens = pd.DataFrame({"var": var, "project": proj, "year": t})
    wanted = pd.DataFrame({"row": r.opener_row, "project": r.opener, "year": r.row_year[r.opener_row]})
    o = wanted.merge(opens, on=["project", "year"])
    rows, cols = [], []
    pairs = ((r.row_school, np.arange(K)), (r.member, r.member_row))
    if m.shut_index is not None:                  # the movable schools are the closable ones, in order
        for school, row in pairs:
            rows.append(row)
            cols.append(m.shut_index[school, r.row_year[row]])
    if m.convert_index is not None:      # converted whole to another level: its pupils go too, a member is gone
        v = c.conversions
        owner = pd.DataFrame({"school": np.where(v.whole, pd.Index(list(r.schools)).get_indexer(v.school), -1),
                              "v": np.arange(len(v.school))})
        for school, row in pairs:
            pair = owner.merge(pd.DataFrame({"school": school, "row": row}), on="school")
            rows.append(pair.row.to_numpy())
            cols.append(m.convert_index[pair.v.to_numpy(), r.row_year[pair.row.to_numpy()]])
    ones = sum(len(x) for x in rows)
    return family("within_reach", np.concatenate(rows + [o.row.to_numpy()]),
                  np.concatenate(cols + [o["var"].to_numpy()]),
                  np.r_[np.ones(ones), -np.ones(len(o))], K, m.n, "<=", size.astype(float))
