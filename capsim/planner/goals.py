"""Targets the plan is asked to meet (``meet = true`` on a ``[[targets]]`` table,
:class:`capsim.schema.Target`): each becomes two constraint families of the MILP, and what it
still lacks is priced like a pupil without a seat.

For a target ``g`` of level ``l`` over the regions ``S`` (its region, or all of them), in each
plan year ``t`` from its year on::

    sat[g, r, t] in [0, cap[g, r, t]]   places of region r in S that count toward the target
    miss[g, t] >= 0                     what the target still lacks in year t

    goal_seats:  sat[g, r, t] - sum_{p in r} places[p, l] open[p, t] <= base[g, r, t]
    goal_reach:  sum_{r in S} sat[g, r, t] + miss[g, t]             >= need[g, t]

    objective:   + penalty d(t) miss[g, t]

with ``open[p, t]`` as in :func:`capsim.planner.model.define_capacity` and ``places[p, l]`` a
project's places of the level, as the target counts them after the plan: as rated for places
per 10,000; for gross enrolment its lawful places, a new school's within its type's maximum
size (:func:`capsim.planner.network.within_size_cap`; an expansion stays within its school's
maximum by the ``school_size`` family). The two indicators a plan can meet by building, measured as
:mod:`capsim.targets` measures them after the plan:

* ``gross_enrolment`` (毛入学率, threshold ``e``): ``base`` the region's lawful places without the
  plan's projects (each school's places within its maximum size), ``cap`` its children of the level's ages (pupils over the enrolment ratio), ``need = e
  sum_r children``: the places can seat a share ``e`` of the age group, region by region (one
  region's spare places seat no other's children);
* ``places_per_10000`` (每万人学位数, threshold ``k``): ``base`` the region's places as rated,
  no cap, ``need = k sum_r residents / 10,000``.

The other indicators are counts of pupils or classes that the plan already minimises (every
pupil without a seat costs the penalty) or that places alone cannot raise (pupils per 10,000
residents), so they cannot be asked to be met (:data:`capsim.schema.MEETABLE`,
:func:`capsim.rules.meet_rules`). A target is met
wherever a project can close its gap at less than the penalty; where it is missed, the plan's
notes say by how much and when.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.planner.common import family, standing

@dataclass(frozen=True)
class Goals:
    """The targets the plan must meet, as rows: a (target, year) pair per ``goal_reach`` row and a
    (pair, region) entry per ``sat`` variable."""

    names: tuple              # (G,) each target's label
    pair_goal: np.ndarray     # (J,) the target of each (target, year) pair
    pair_year: np.ndarray     # (J,) its plan-year index
    need: np.ndarray          # (J,) what the places must reach
    sat_pair: np.ndarray      # (K,) the pair of each sat variable
    sat_region: np.ndarray    # (K,) its region index
    sat_level: np.ndarray     # (K,) the target's level index
    base: np.ndarray          # (K,) the region's places before the plan
    cap: np.ndarray           # (K,) most of them that count (inf: all)
    sat_lawful: np.ndarray | None = None     # (K,) the row counts lawful places (gross_enrolment), not rated
    project_share: np.ndarray | None = None  # (P,) share of a project's places that is lawful (within the
                                             # maximum size of a new school), for the lawful rows


def goals(scenario, table: pd.DataFrame, residents: pd.DataFrame, lawful: np.ndarray, regions: list, levels: list,
          years: np.ndarray, project_share: np.ndarray | None = None) -> Goals | None:
    """The targets with ``meet = true`` on the plan's regions, levels and years (None if none).
    ``table`` is the assessment's region table (students, gross_enrolment_ratio and seats as
    rated by region, level and year), ``residents`` has year, region, residents, ``lawful``
    (R, L, Y) is the lawful places the network holds without the plan's projects (its places
    within each school's maximum size, as the assessment measures them before and after the
    plan), and ``project_share`` (P,) the share of each project's places that is lawful."""
    from capsim.targets import label

    chosen = [(i, t) for i, t in enumerate(scenario.targets) if t.meet]
    if not chosen:
        return None
    names, pairs, sats = [], [], []
    for g, (i, target) in enumerate(chosen):
        names.append(label(target, i))
        scope = [target.region] if target.region is not None else list(regions)
        part = table[(table.level == target.level) & table.region.isin(scope) & table.year.isin(years)
                     & (table.year >= target.year)]
        part = part.merge(residents, on=["year", "region"], how="left")
        t = np.searchsorted(years, part.year.to_numpy())
        r = pd.Index(regions).get_indexer(part.region)
        counts_lawful = target.indicator == "gross_enrolment"
        if counts_lawful:            # places for a share of the children, each region's up to its own
            cap = (part.students / part.gross_enrolment_ratio).to_numpy()
            base, need = lawful[r, levels.index(target.level), t], target.threshold * cap
        else:                        # places as rated per 10,000 residents
            cap = np.full(len(part), np.inf)
            base, need = part.seats.to_numpy(), target.threshold * part.residents.to_numpy() / 10_000.0
        pair = pd.DataFrame({"goal": g, "year": t, "need": need})
        pairs.append(pair.groupby(["goal", "year"], as_index=False).need.sum())
        sats.append(pd.DataFrame({"goal": g, "year": t, "region": r,
                                  "level": levels.index(target.level), "base": np.nan_to_num(base),
                                  "cap": np.nan_to_num(cap, nan=0.0, posinf=np.inf),
                                  "lawful": counts_lawful}))
    pairs = pd.concat(pairs, ignore_index=True)
    sats = pd.concat(sats, ignore_index=True).merge(pairs.reset_index()[["index", "goal", "year"]], on=["goal", "year"])
    return Goals(tuple(names), pairs.goal.to_numpy(), pairs.year.to_numpy(), pairs.need.to_numpy(float),
                 sats["index"].to_numpy(), sats.region.to_numpy(), sats.level.to_numpy(), sats.base.to_numpy(float),
                 sats.cap.to_numpy(float), sats.lawful.to_numpy(bool), project_share)


def number(g: Goals, start: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(sat variables (K,), miss variables (J,), the next free variable number)."""
    sat = start + np.arange(len(g.sat_pair))
    miss = start + len(sat) + np.arange(len(g.need))
    return sat, miss, start + len(sat) + len(miss)


def define_goal_seats(m):
    """The places of a region that count toward a target are those it had and those its open
    projects add: ``sat[g, r, t] - sum_{p in r} places[p, l] open[p, t] <= base[g, r, t]`` (module
    docstring: a lawful row counts ``project_share`` of a project's places)."""
    if m.goal_sat_index is None:
        return None
    g = m.inputs.goals
    p = m.inputs.projects
    Y = len(m.inputs.years)
    var, proj, t = standing(m)
    opened = pd.DataFrame({"var": var, "proj": proj, "key": p.region[proj] * Y + t})
    rows = pd.DataFrame({"row": np.arange(len(g.sat_pair)), "key": g.sat_region * Y + g.pair_year[g.sat_pair],
                         "level": g.sat_level})
    rows["lawful"] = g.sat_lawful if g.sat_lawful is not None else False
    both = opened.merge(rows, on="key")
    seats = p.seats[both.proj.to_numpy(), both.level.to_numpy()]
    if g.project_share is not None:      # lawful rows count a new school's places within its maximum size
        seats = np.where(both.lawful.to_numpy(), seats * g.project_share[both.proj.to_numpy()], seats)
    keep = seats > 0
    n = len(g.sat_pair)
    return family("goal_seats", np.r_[np.arange(n), both.row.to_numpy()[keep]],
                  np.r_[m.goal_sat_index, both["var"].to_numpy()[keep]], np.r_[np.ones(n), -seats[keep]], n, m.n,
                  "<=", g.base)


def define_goal_reach(m):
    """Each target's places reach what it needs, or the rest is missed:
    ``sum_{r in S} sat[g, r, t] + miss[g, t] >= need[g, t]``."""
    if m.goal_sat_index is None:
        return None
    g = m.inputs.goals
    J = len(g.need)
    return family("goal_reach", np.r_[g.sat_pair, np.arange(J)], np.r_[m.goal_sat_index, m.goal_miss_index],
                  np.ones(len(g.sat_pair) + J), J, m.n, ">=", g.need)


def missed(m, values: np.ndarray, years) -> list[str]:
    """One line per target the plan misses: by how much at most, and in which years."""
    if m.goal_sat_index is None or not np.isfinite(values).all():
        return []
    from capsim.targets import years_text

    g = m.inputs.goals
    miss = values[m.goal_miss_index]
    lines = []
    for i, name in enumerate(g.names):
        short = (g.pair_goal == i) & (miss > 0.5)
        if short.any():
            lines.append(f"target '{name}' is missed by up to {miss[short].max():,.0f} places in "
                         f"{years_text(' '.join(str(years[t]) for t in g.pair_year[short]))}: no project could "
                         "add them in time, within budget, at less than the shortfall penalty")
    return lines
