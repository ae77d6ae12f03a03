"""Students to schools: each region's pupils shared among its open schools, year by year.

For one level, with ``P(t, r, g)`` the region's pupils and units ``u`` the schools teaching
the level (region ``r(u)``)::

    base year     S(0, u, g) = P(0, r, g) * b(u, g) / sum_{v in r} b(v, g)
                  (b = the school's base-year pupils, or its classes where none are given)
    progression   S(t, u, g+1) = S(t-1, u, g) * P(t, r, g+1) / P(t-1, r, g)
    intake        grade 1, and any pupils left by a closing school, are shared among the open
                  schools of the region in proportion to weights w(u): a base school's share of
                  the region's base-year pupils; a new school's intake capacity relative to the
                  base schools' (so a new school as big as all the others takes half the intake)
    intake cap    with ``standards.cap_intake``, a school takes at most its grade-1 classes x the
                  intake class cap; the excess goes to schools with room, in proportion to w
    growth        an expanded school's weight grows with its grade-1 classes: w(t, u) = w(u) * k(t, u)
    dispersal     with ``standards.disperse`` (分流), from the year after the base year, the pupils
                  of a grade above a school's lawful seats L(t, u, g) (classes x standard) move to
                  schools of the region with room, in proportion to their room; what no school can
                  take stays where it was (and shows as oversized classes)
    unplaced      pupils no open school can take: carried forward with the same progression
    planned       in the years of a plan that seats pupils school by school (``plan.granularity =
                  "school"``), each school has the plan's pupils; those it seats nowhere are unplaced

so that ``sum_u S(t, u, g) + unplaced(t, r, g) = P(t, r, g)`` in every year: no pupil is lost.
Only years are looped over; schools, regions and grades are array axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Units:
    """The schools teaching one level: U of them, G grades."""

    region: np.ndarray        # (U,) region index
    is_open: np.ndarray       # (T+1, U) open in each year
    base: np.ndarray          # (U, G) base-year pupils (NaN: not given)
    classes: np.ndarray       # (U, G) classes per grade
    intake_cap: np.ndarray    # (T+1, U) most grade-1 pupils (inf: no cap)
    weight_new: np.ndarray    # (U,) intake capacity, used as the weight of schools opening later
    growth: np.ndarray | None = None   # (T+1, U) intake weight multiplier (an expanded school takes more)
    lawful: np.ndarray | None = None   # (T+1, U, G) seats per grade; given, pupils above them are dispersed
    planned: np.ndarray | None = None  # (T+1, U, G) pupils a plan seats at each school (NaN: years it does not)


def group_sum(values, groups, n_groups):
    """Sum ``values`` (U, ...) into ``n_groups`` by ``groups`` (U,)."""
    out = np.zeros((n_groups,) + values.shape[1:])
    np.add.at(out, groups, values)
    return out


def share_out(amount, weight, region, room=None, rounds=50):
    """Share ``amount`` (R,) among units by ``weight`` (U,), each taking at most ``room`` (U,).

    Returns (given (U,), left (R,)). Water-filling: what a full unit cannot take is shared
    again among the units of its region that still have room.
    """
    R = len(amount)
    given = np.zeros(len(weight))
    left = np.asarray(amount, dtype=float).copy()
    room = np.full(len(weight), np.inf) if room is None else np.maximum(room, 0.0)
    for _ in range(rounds):
        active = (weight > 0) & (room - given > 1e-9)
        total = group_sum(np.where(active, weight, 0.0), region, R)
        can = (left > 1e-9) & (total > 0)
        if not can.any():
            break
        offer = np.where(active & can[region], left[region] * weight / np.where(total > 0, total, 1)[region], 0.0)
        take = np.minimum(offer, room - given)
        given += take
        left -= group_sum(take, region, R)
    return given, np.maximum(left, 0.0)


def allocate(P, units: Units):
    """(S (T+1, U, G), unplaced (T+1, R, G)) for region pupils ``P`` (T+1, R, G)."""
    T1, R, G = P.shape
    U = len(units.region)
    S = np.zeros((T1, U, G))
    unplaced = np.zeros((T1, R, G))
    weight = _weights(P[0], units)
    S[0], unplaced[0] = _base_year(P[0], units)
    for t in range(1, T1):
        rho = np.divide(P[t, :, 1:], P[t - 1, :, :-1], out=np.zeros((R, G - 1)), where=P[t - 1, :, :-1] > 0)
        S[t, :, 1:] = S[t - 1, :, :-1] * rho[units.region]
        unplaced[t, :, 1:] = unplaced[t - 1, :, :-1] * rho
        S[t, ~units.is_open[t]] = 0.0
        residual = np.maximum(P[t] - group_sum(S[t], units.region, R) - unplaced[t], 0.0)
        w = np.where(units.is_open[t], weight * (1.0 if units.growth is None else units.growth[t]), 0.0)
        for g in range(G):
            room = units.intake_cap[t] - S[t, :, 0] if g == 0 else None
            given, left = share_out(residual[:, g], w, units.region, room)
            S[t, :, g] += given
            unplaced[t, :, g] += left
        if units.lawful is not None:
            S[t], unplaced[t] = disperse(S[t], unplaced[t], units.lawful[t] * units.is_open[t][:, None], units.region, R)
        if units.planned is not None and np.isfinite(units.planned[t]).all():
            S[t] = units.planned[t]
            unplaced[t] = np.maximum(P[t] - group_sum(S[t], units.region, R), 0.0)
    return S, unplaced


def disperse(S, unplaced, lawful, region, R):
    """Move pupils above ``lawful`` (U, G), and unplaced ones (R, G), to schools of the same
    region with room.

    Per grade: the excess ``e(u) = max(S(u) - L(u), 0)`` of each region's schools and its
    unplaced pupils are pooled and shared out over the room ``max(L(v) - S(v), 0)`` of its
    schools, in proportion to that room; every source gives up the same fraction, so
    ``sum_u S(u) + unplaced`` per region is unchanged.
    """
    over = np.maximum(S - lawful, 0.0)
    room = np.maximum(lawful - S, 0.0)
    pool = group_sum(over, region, R) + unplaced
    out, left_out = S.copy(), unplaced.copy()
    for g in range(S.shape[1]):
        given, left = share_out(pool[:, g], room[:, g], region, room[:, g])
        moved = np.divide(pool[:, g] - left, pool[:, g], out=np.zeros(R), where=pool[:, g] > 0)
        out[:, g] += given - over[:, g] * moved[region]
        left_out[:, g] *= 1.0 - moved
    return out, left_out


def _base_year(P0, units: Units):
    """Base-year pupils by school: the region's pupils in proportion to the schools' own."""
    R, G = P0.shape
    open0 = units.is_open[0]
    basis = np.where(np.isnan(units.base), units.classes, units.base) * open0[:, None]
    total = group_sum(basis, units.region, R)
    share = np.divide(basis, total[units.region], out=np.zeros_like(basis), where=total[units.region] > 0)
    S0 = P0[units.region] * share
    return S0, P0 - group_sum(S0, units.region, R)


def _weights(P0, units: Units):
    """Intake weights: base schools' share of their region's pupils; new schools' capacity."""
    R = P0.shape[0]
    open0 = units.is_open[0]
    basis = np.where(np.isnan(units.base), units.classes, units.base).sum(axis=1) * open0
    total = group_sum(basis, units.region, R)
    base_capacity = group_sum(np.where(open0, units.weight_new, 0.0), units.region, R)
    share = np.divide(basis, total[units.region], out=np.zeros(len(basis)), where=total[units.region] > 0)
    new = units.weight_new / np.where(base_capacity > 0, base_capacity, 1.0)[units.region]
    return np.where(open0, share, new)
