"""Class and seat arithmetic on arrays: class-size splits, oversized classes, teachers.

An oversized class is counted per school and grade: ``n`` pupils in ``c`` classes are split
as evenly as possible, ``r = n mod c`` classes of ``q + 1`` and ``c - r`` of ``q = n // c``
pupils; each class above the standard ``s`` is oversized, and the same split places classes
in the 大班额 band ``[b1, b2)`` (56-65) and the 超大班额 band ``>= b2`` (66+)::

    oversized = r [q+1 > s] + (c-r) [q > s]
    needed    = ceil(n / s)                classes at the standard size
    short     = max(0, needed - c)         classes missing

Pupils are rounded to whole children before splitting. A grade with pupils and no class
has every pupil without a classroom: ``short = needed`` and no class is counted as oversized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassCounts:
    """Per cell (any shape): classes needed, short, oversized, in each band, and the largest class."""

    needed: np.ndarray
    short: np.ndarray
    oversized: np.ndarray
    band_large: np.ndarray      # b1 <= size < b2 (大班额)
    band_huge: np.ndarray       # size >= b2 (超大班额)
    largest: np.ndarray


def class_split(pupils, classes, standard, bands=(56, 66)) -> ClassCounts:
    """Split ``pupils`` into ``classes`` as evenly as possible and count (see module docstring)."""
    n = np.rint(np.asarray(pupils, dtype=float)).astype(np.int64)
    c = np.asarray(classes, dtype=np.int64)
    s = np.asarray(standard, dtype=np.int64)
    n, c, s = np.broadcast_arrays(n, c, s)
    safe = np.maximum(c, 1)
    q, r = np.divmod(n, safe)
    r = np.where(c > 0, r, 0)
    small = np.where(c > 0, c - r, 0)
    q = np.where(c > 0, q, 0)
    b1, b2 = bands

    def count(test):
        return r * test(q + 1) + small * test(q)

    needed = -(-n // np.maximum(s, 1))
    return ClassCounts(
        needed=needed,
        short=np.maximum(needed - c, 0),
        oversized=count(lambda size: size > s),
        band_large=count(lambda size: (size >= b1) & (size < b2)),
        band_huge=count(lambda size: size >= b2),
        largest=np.where(c > 0, q + (r > 0), 0),
    )


def teachers_needed(students, classes_needed, per_student: float | None, per_class: float | None):
    """Teaching posts: pupils / pupils-per-teacher or classes x teachers-per-class, whichever norm
    is set, and the larger of the two where both are (按班师比和师生比相结合: a small school's
    classes need their teachers however few pupils they hold)."""
    by = [np.asarray(students, dtype=float) / per_student] if per_student else []
    by += [np.asarray(classes_needed, dtype=float) * per_class] if per_class else []
    return np.maximum.reduce(by) if by else np.full(np.shape(students), np.nan)


def posts_held(needed: np.ndarray, years, every: int | None, first: int) -> np.ndarray:
    """Posts (编制) re-set every ``every`` years from year ``first``: each year's posts are the
    need (``needed``, years on axis 0) of the last review year up to it (``first + k every``, or
    where ``years`` steps over it the last of them from ``first`` up to it); unknown (NaN) before
    ``first``, where no year of ``years`` from ``first`` is that early, and without reviews."""
    years = np.asarray(years)
    if every is None:
        return np.full(np.shape(needed), np.nan)
    review = first + (years - first) // every * every
    at = np.searchsorted(years, review, side="right") - 1
    held = np.asarray(needed, dtype=float)[np.maximum(at, 0)]
    held[(years < first) | (at < 0) | (years[np.maximum(at, 0)] < first)] = np.nan
    return held


def grade_standards(class_size, grades: int) -> np.ndarray:
    """The standard class size of each grade from a number or a per-grade list."""
    if isinstance(class_size, (tuple, list)):
        if len(class_size) != grades:
            raise ValueError(f"class size list {list(class_size)} needs {grades} values, one per grade")
        return np.asarray(class_size)
    return np.full(grades, class_size)


def mean_class(class_size) -> float:
    """A level's mean standard class (``standards.class_size`` of the level: a number or one per
    grade): the seats a classroom of the level counts."""
    return float(np.mean(class_size))


def intake_cap_by_year(caps: dict | None, years, fallback: float) -> np.ndarray:
    """New-intake class cap in force each year: the latest ``{year: cap}`` at or before it."""
    out = np.full(len(years), float(fallback))
    for year in sorted(caps or {}):
        out[np.asarray(years) >= year] = caps[year]
    return out
