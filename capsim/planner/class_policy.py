"""A network after a plan, run on paths of demand it was not planned for: classes formed year by
year the way a bureau forms them, without re-planning.

The cohort-class model (:mod:`capsim.planner.classes`) chooses every class of every year at
once, knowing the whole path. A plan made for one path (a quantile of the forecast, or a sample
of draws) is judged on every other draw by this rule instead, pool by pool (a region, or a zone),
level by level, year by year (``F`` the classrooms standing, ``size`` the class of the cell and
year, ``p`` the cohort's pupils)::

    kept[c, t]  = given[c, t - 1]             the classes the cohort had (its listed classes in
                                              the first plan year)
    need[c, t]  = ceil(p[c, t] / size)        the classes its pupils fill
    want[c, t]  = max(kept, need)             a cohort keeps its classes and gains those it needs

The wanted classes are the cohort's kept classes (as many of them full of ``size`` pupils as its
pupils fill, one holding the remainder, the rest holding nobody) and the new classes it needs
(full ones, and one holding the remainder). Where the wanted classes of a level are no more
than ``F``, every one gets a classroom. Otherwise the classes that already exist keep their
classrooms first, fullest first (a class is not broken up to seat an intake), and the new classes
holding the most pupils take the classrooms left; each class left over gets a rented room where
renting costs less than leaving its pupils short (``rent_room < penalty * pupils``), else its
pupils are short. An existing class keeps its room even where its cohort no longer fills it, as
the model's classes do (a cohort never loses a class); only where the rooms are fewer than the
existing classes is one that holds nobody dropped first. ``given`` is the classes that got a
classroom or a rented one.

With ``plan.mothball_cost`` the plan's mothballing is replayed (:func:`mothballed`): of the rooms
the plan mothballs in a pool, level and year (in every sample, for a plan made for several), as
many as the rule leaves empty that year are mothballed; a room mothballed the year before and
not now is reopened. On the path a plan was made for this is the plan's own mothballing (its
classes fill no more rooms than the rule's do).

Where a plan leaves no pupil short on the path it was made for, this rule leaves none either
(without rent): the plan's classes ``K`` never fall along a cohort and hold its pupils, so
``K[c, t] >= max(kept, need)``, and they fit the classrooms; the rule's classes are the least
such. Elsewhere it can do worse than the best classes in hindsight (it forms a cohort's classes
when it enters and does not hold a room back for a larger cohort after it), as a bureau would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.planner.classes import Cohorts, next_cell

KEPT = np.array([1, 1, 1, 0, 0])      # the blocks of a cell (_blocks) that are classes it already has
BLOCKS = len(KEPT)


@dataclass(frozen=True)
class Run:
    """What the rule gives on every draw: pupils short per cell, rooms rented and empty per level."""

    short: np.ndarray     # (Z, K, Y, D) pupils no class takes
    rented: np.ndarray    # (Z, L, Y, D) classrooms rented for the year
    empty: np.ndarray     # (Z, L, Y, D) classrooms standing without a class
    classes: np.ndarray   # (Z, K, Y, D) classes given to the cohort in each cell


def run(c: Cohorts, rooms: np.ndarray, pupils: np.ndarray, penalty: float, rent_room=None) -> Run:
    """The rule of the module docstring on pools ``Z`` of ``c`` (one copy), classrooms standing
    ``rooms`` (Z, L, Y) and ``pupils`` (Z, K, Y, D) on ``D`` paths; ``rent_room`` (L,) yuan a
    rented classroom costs a year (None: no renting). Years are the only loop."""
    Z, K, Y, D = pupils.shape
    L = rooms.shape[1]
    size = c.class_size()
    up = next_cell(c)
    has = up >= 0
    level = np.repeat(c.cell_level, BLOCKS)               # per cell: the classes it keeps, then new ones
    kept_first = np.tile(KEPT, len(c.cell_level))
    order_level = np.argsort(level, kind="stable")
    starts = np.searchsorted(level[order_level], np.arange(L))
    first_of = starts[level[order_level]]                 # (BLOCKS K,) first sorted position of each one's level
    out = Run(np.zeros((Z, K, Y, D)), np.zeros((Z, L, Y, D)), np.zeros((Z, L, Y, D)), np.zeros((Z, K, Y, D)))
    given = np.broadcast_to(c.base[:Z, :, None], (Z, K, D)).astype(float)
    for t in range(Y):
        kept = given
        if t > 0:
            kept = np.zeros((Z, K, D))
            kept[:, up[has]] = given[:, has]
        value, count = _blocks(pupils[:, :, t], size[:, t], kept)          # (Z, D, BLOCKS K)
        order = np.argsort(level * 1e9 - kept_first * 1e6 - value, axis=2, kind="stable")
        v, n = np.take_along_axis(value, order, 2), np.take_along_axis(count, order, 2)
        before = np.cumsum(n, axis=2) - n
        before -= before[:, :, first_of]                                  # within the level
        free = rooms[:, :, t][:, None, :][:, :, level[order_level]]        # (Z, 1, BLOCKS K)
        seated = np.clip(free - before, 0.0, n)
        left = n - seated
        rent = left * (v * penalty > rent_room[level[order_level]]) if rent_room is not None else 0.0 * left
        per_block = np.zeros_like(v)
        np.put_along_axis(per_block, order, seated + rent, 2)
        given = per_block.reshape(Z, D, K, BLOCKS).sum(axis=3).transpose(0, 2, 1)
        np.put_along_axis(per_block, order, (left - rent) * v, 2)
        out.short[:, :, t] = per_block.reshape(Z, D, K, BLOCKS).sum(axis=3).transpose(0, 2, 1)
        out.classes[:, :, t] = given
        out.rented[:, :, t] = _by_level(rent, starts).transpose(0, 2, 1)
        out.empty[:, :, t] = np.maximum(rooms[:, :, t][:, :, None] - _by_level(seated, starts).transpose(0, 2, 1), 0)
    return out


def _blocks(pupils, size, kept):
    """(value, count), each (Z, D, BLOCKS K): per cell, the classes it keeps (full ones of
    ``size`` pupils, one holding the remainder, and those beyond its need holding nobody),
    then the new classes it needs (full ones, and one holding the remainder)."""
    s = np.broadcast_to(size[None, :, None], pupils.shape)
    full = np.floor(pupils / s + 1e-9)
    rest = pupils - full * s
    rest = np.where(rest > 1e-9, rest, 0.0)
    has_rest = (rest > 0).astype(float)
    need = full + has_rest
    zero = np.zeros(pupils.shape)
    value = np.stack([s, rest, zero, s, rest], axis=3)
    count = np.stack([np.minimum(kept, full), has_rest * (kept > full), np.maximum(kept - need, 0.0),
                      np.maximum(full - kept, 0.0), has_rest * (kept <= full)], axis=3)
    Z, K, D = pupils.shape
    flat = lambda a: a.transpose(0, 2, 1, 3).reshape(Z, D, BLOCKS * K)       # noqa: E731
    return flat(value), flat(count)


def _by_level(values, starts):
    """(Z, D, L) ``values`` (Z, D, BLOCKS K, sorted by level) summed over each level's positions."""
    return np.add.reduceat(values, starts, axis=2)


def mothballed(planned: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mothballed, reopened), each (Z, L, Y, D): the plan's mothballed rooms ``planned`` (Z, L,
    Y) replayed on the rule's empty rooms ``empty`` (Z, L, Y, D), ``min(planned, empty)``, and
    the rooms reopened, ``max(mb[t - 1] - mb[t], 0)`` (the model's counts, :mod:`capsim.planner.classes`)."""
    mb = np.minimum(planned[..., None], empty)
    reopened = np.zeros_like(mb)
    reopened[:, :, 1:] = np.maximum(mb[:, :, :-1] - mb[:, :, 1:], 0.0)
    return mb, reopened
