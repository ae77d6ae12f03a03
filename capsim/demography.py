"""The cohort-component projection core, on plain numpy arrays.

Axes
----
The state is ``N[draw, region, sex, age]`` with ``sex`` 0 = female, 1 = male, and ``age`` the
age groups ``0, n, 2n, ..., open`` of width ``n`` = the step length in years (1 or 5). The last
group is open (e.g. 100+). Years are the only loop; every other dimension is an array axis.

Time-varying inputs broadcast (numpy rules, aligned from the right) to these shapes, where
``T`` is the number of steps:

=================  ==========================  ==========================================
input              broadcast shape             meaning
=================  ==========================  ==========================================
survival           (T, D, R, 2, A)             ``S[a]``: share of group ``a`` alive one step
                                               later (in ``a+1``; the last two entries both
                                               feed the open group)
birth_survival     (T, D, R, 2)                share of the step's births alive in group 0
                                               at the end of the step: ``nL0 / (n l0)``
asfr               (T, D, R, A)                births per woman per year, by the woman's
                                               age group (zero outside childbearing ages)
sex_ratio_at_birth (T, D, R)                   male births per female birth (e.g. 1.11)
migration          (T, D, R, 2, A)             net migrants during the step by age at the
                                               move (counts), or per person-year (rates)
fertility_factor   (T, D, R)                   multiplies asfr (a draw's fertility)
migration_factor   (T, D, R)                   multiplies migration (a draw's migration)
fixed_migration    (T, D, R, 2, A)             migration added to ``migration x factor``,
                                               not multiplied (counts, e.g. newcomers to new
                                               housing; rates with kind="rate")
=================  ==========================  ==========================================

The factors let draws share one asfr and one migration array: a draw's inputs are a few numbers,
not a copy of the state's size (``asfr_d = asfr * fertility_factor[d]``, ``M_d = migration *
migration_factor[d] + fixed_migration``; the default factors are 1, no fixed migrants).

The method (UN Manual III; Preston, Heuveline & Guillot 2001, ch. 6)
---------------------------------------------------------------------
One step from ``t`` to ``t+n``, for each draw, region and sex. With ``w`` the share of migrants
moving at the start of the step and ``e`` the share counted only among the women at its end
(``timing``: start ``w = 1, e = 0``; end ``w = 0, e = 0``; half ``w = e = 1/2``), and ``M`` the
step's net migrants (``kind="rate"``: ``M = m * N(t) * n``)::

    P(a)         = max(N(a, t) + w M(a), 0)                  people exposed during the step
    N'(a+1)      = P(a) S(a)                     a = 0 .. A-3
    N'(A-1)      = P(A-2) S(A-2) + P(A-1) S(A-1)             open group
    B            = n * sum_a asfr(a) (P_f(a) + max(N'_f(a) + e M_f(a), 0)) / 2
                                                             women at start and end of step
                                                             (N'_f(0) = 0: newborns excluded)
    B_f, B_m     = B / (1 + srb),  B srb / (1 + srb)
    N'(0)        = B_s * birth_survival_s
    N(a, t+n)    = max(N'(a) + (1 - w) M(a), 0)

The ``max(.., 0)``: net emigrants beyond the people there leave the group empty, never
negative (a count of migrants from another period or another draw's smaller cohorts can
exceed them); where no group empties, the formulas are the textbook's unchanged.

From a life table (:func:`capsim.lifetable.survival_ratios`): ``S(a) = L(a+1)/L(a)``, and for the
open group ``S(A-2) = S(A-1) = T(A-1)/T(A-2)``, Preston's ``T_w / T_{w-n}`` applied to
``N(w-n) + N(w+)``. Migrants who move at the start are exposed to the step's mortality and
fertility. With ``timing="half"`` (migrants arriving evenly through the step, half counted at each
end) the women at the end of the step are the whole end population, the migrants of the second
half included: Preston, Heuveline & Guillot's method for a population open to migration, and the
UN Population Division's "even" exposure (half the migrants added to the start, the end taken
as it is). With ``timing="end"`` the migrants arrive after the step and count neither among the
exposed nor among the women at the end (the UN's "end" exposure). The textbook's Swedish
projection of 1993 is reproduced in ``tests/test_demography.py``.

With survival 1, no fertility and no migration, ``N(t+n).sum() == N(t).sum()`` exactly (up to
float addition): people are conserved.

Engines
-------
``engine="numpy"`` is the plain reference: a few whole-array operations per step.
``engine="numba"`` fuses the step into one compiled kernel (both cores) that carries chunks of
(draw, region) blocks through all the years while they are in cache, so each year's state is
written once and never read back from memory; it is tested against the reference. The years
are still the only loop: inside the kernel instead of in Python (ten at a time when a progress
bar is shown).
``engine="auto"`` picks numba for states of at least ``AUTO_NUMBA_CELLS`` cells per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEXES = ("female", "male")
TIMINGS = {"start": 1.0, "end": 0.0, "half": 0.5}       # w: share of migrants moving at the start
COUNTED_AT_END = {"start": 0.0, "end": 0.0, "half": 0.5}  # e: share counted only among the women at the end
MIGRATION_KINDS = ("count", "rate")
ENGINES = ("auto", "numpy", "numba")
AUTO_NUMBA_CELLS = 200_000


@dataclass(frozen=True)
class PopulationProjection:
    """Result of :func:`project_population`.

    ``population[k]`` is the state after ``k`` steps, shape ``(T+1, D, R, 2, A)``;
    ``births[k]`` are the births during step ``k`` by sex, shape ``(T, D, R, 2)``. Asked for
    ``age_sums``, ``sums[k]`` holds, instead of the state, the people of both sexes in each age
    range after ``k`` steps, shape ``(T+1, D, R, G)``, and ``population`` is None.
    """

    population: np.ndarray | None
    births: np.ndarray
    step: int
    sums: np.ndarray | None = None


def project_population(
    base,
    survival,
    birth_survival,
    asfr,
    sex_ratio_at_birth,
    steps: int,
    *,
    migration=None,
    fertility_factor=None,
    migration_factor=None,
    fixed_migration=None,
    migration_kind: str = "count",
    timing: str = "half",
    step: int = 1,
    dtype=np.float64,
    engine: str = "auto",
    progress: bool = False,
    out: np.ndarray | None = None,
    age_sums=None,
) -> PopulationProjection:
    """Project ``base`` forward by ``steps`` steps of ``step`` years (see the module docstring).

    ``base`` has shape ``(D, R, 2, A)``: draws, regions, sexes (female, male), age groups.
    ``out``, if given, is a ``(steps+1, D, R, 2, A)`` array of ``dtype`` to write the states
    into (reusing one buffer across runs saves the operating system's first-touch cost).
    Returns a :class:`PopulationProjection` with every year's state and the births.
    ``fertility_factor`` and ``migration_factor`` multiply ``asfr`` and ``migration`` (e.g. one
    number per draw, shape ``(1, D, 1)``) and ``fixed_migration`` is added to the migrants as it
    is (module docstring): draws then share their inputs instead of each holding a copy.

    ``age_sums``, a list of ``(first, end)`` age-group indices, keeps only the people of both
    sexes in ``first .. end - 1`` for every year (e.g. school ages by level): on the numba engine
    the state is then never held whole, so memory is ``(T+1) D R G`` numbers instead of
    ``(T+1) D R 2 A``, and nothing of the state's size is written (``out`` is not used, and the
    run is one call: no progress bar); the numpy engine, the reference, projects the whole
    state and sums it.
    """
    _check_options(migration_kind, timing, step, engine, steps)
    dtype = np.dtype(dtype)
    base = np.asarray(base, dtype=dtype)
    if base.ndim != 4 or base.shape[2] != 2 or base.shape[3] < 3:
        raise ValueError(
            "The 'base' parameter of project_population must have shape (draw, region, 2, age) "
            f"with at least 3 age groups. Got shape {base.shape} instead."
        )
    D, R, _, A = base.shape
    inputs = _broadcast_inputs(
        steps, (D, R, A), dtype,
        survival=survival, birth_survival=birth_survival, asfr=asfr, fertility_factor=fertility_factor,
        sex_ratio_at_birth=sex_ratio_at_birth, migration=migration, migration_factor=migration_factor,
        fixed_migration=fixed_migration,
    )
    use_numba = engine == "numba" or (engine == "auto" and D * R * 2 * A >= AUTO_NUMBA_CELLS)
    births = np.empty((steps, D, R, 2), dtype=dtype)
    rate, has_mig = migration_kind == "rate", migration is not None or fixed_migration is not None
    w, e, n = dtype.type(TIMINGS[timing]), dtype.type(COUNTED_AT_END[timing]), dtype.type(step)
    if age_sums is not None:
        lo, hi = _age_ranges(age_sums, A)
        if use_numba:
            sums = np.empty((steps + 1, D, R, len(lo)), dtype=dtype)
            _kernel("fused_sums")(base, sums, births, lo, hi, _chunk(D * R), *inputs, n, w, e, rate, has_mig)
            return PopulationProjection(population=None, births=births, step=step, sums=sums)
    population = _output_buffer(out, (steps + 1, D, R, 2, A), dtype)
    population[0] = base
    for first, last in _year_spans(steps, progress, use_numba):
        if use_numba:
            _kernel("fused_steps")(population, births, first, last, _chunk(D * R), *inputs, n, w, e, rate, has_mig)
            continue
        _numpy_step(
            population[first], population[first + 1], births[first],
            *(inp[first] if inp.shape[0] > 1 else inp[0] for inp in inputs),
            n, w, e, rate, has_mig,
        )
    if age_sums is not None:
        sums = np.stack([population[..., f:e].sum(axis=(-2, -1)) for f, e in zip(lo, hi)], axis=-1)
        return PopulationProjection(population=None, births=births, step=step, sums=sums)
    return PopulationProjection(population=population, births=births, step=step)


def _output_buffer(out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype=dtype)
    if out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(
            f"The 'out' parameter of project_population must be a C-contiguous {dtype} array of "
            f"shape {shape}. Got {out.dtype} {out.shape} instead."
        )
    return out


def _check_options(migration_kind, timing, step, engine, steps) -> None:
    for name, value, allowed in (
        ("migration_kind", migration_kind, MIGRATION_KINDS),
        ("timing", timing, tuple(TIMINGS)),
        ("engine", engine, ENGINES),
        ("step", step, (1, 5)),
    ):
        if value not in allowed:
            raise ValueError(
                f"The '{name}' parameter of project_population must be one of {allowed}. "
                f"Got {value!r} instead."
            )
    if int(steps) != steps or steps < 1:
        raise ValueError(
            f"The 'steps' parameter of project_population must be a whole number >= 1. Got {steps!r} instead."
        )


def _broadcast_inputs(steps, dra, dtype, **arrays):
    """Each input as a C-contiguous (T or 1, D or 1, R or 1, ...) array.

    Draw and region axes of length 1 stay length 1 (the kernels index them with a stride of
    0), so shared inputs are never copied out to the state's size; the sex and age axes are
    filled out, which is small. A factor not given is 1, migration not given 0."""
    D, R, A = dra
    targets = {
        "survival": (D, R, 2, A),
        "birth_survival": (D, R, 2),
        "asfr": (D, R, A),
        "fertility_factor": (D, R),
        "sex_ratio_at_birth": (D, R),
        "migration": (D, R, 2, A),
        "migration_factor": (D, R),
        "fixed_migration": (D, R, 2, A),
    }
    out = []
    for name, shape in targets.items():
        value = arrays[name]
        missing = np.ones if name.endswith("_factor") else np.zeros
        arr = missing((1,) * len(shape), dtype) if value is None else np.asarray(value, dtype=dtype)
        if arr.ndim <= len(shape):
            arr = arr.reshape((1,) * (len(shape) + 1 - arr.ndim) + arr.shape)
        if arr.shape[0] not in (1, steps):
            raise ValueError(
                f"The '{name}' parameter of project_population must have 1 or {steps} entries on its "
                f"year axis. Got shape {arr.shape} instead."
            )
        kept = tuple(1 if arr.shape[1 + i] == 1 else n for i, n in enumerate(shape[:2])) + shape[2:]
        try:
            out.append(np.ascontiguousarray(np.broadcast_to(arr, (arr.shape[0],) + kept)))
        except ValueError:
            raise ValueError(
                f"The '{name}' parameter of project_population must broadcast to "
                f"(year, {', '.join(map(str, shape))}). Got shape {arr.shape} instead."
            ) from None
    return out


def _year_spans(steps: int, progress: bool, whole: bool):
    """The (first, last) steps of each call: one step at a time for the numpy reference; for the
    compiled kernel all steps at once (``whole``), or ten at a time to move a progress bar."""
    size = (10 if progress else steps) if whole else 1
    spans = [(k, min(k + size, steps)) for k in range(0, steps, size)]
    if not progress:
        return spans
    from tqdm.auto import tqdm

    return tqdm(spans, desc="projecting", unit=f"{size} steps" if size > 1 else "step", disable=None)


def _numpy_step(N, out, births, S, Sb, F, Fk, srb, M, Mk, H, n, w, e, rate, has_mig):
    """Reference step: whole-array numpy operations (see the module docstring)."""
    F = F * Fk[..., None]
    M = M * Mk[..., None, None] + H
    if not has_mig:
        M, w, e = 0.0, 1.0, 0.0
    elif rate:
        M = M * N * n
    P = np.maximum(N + w * M, 0.0) if has_mig and w else N
    out[..., 1:] = P[..., :-1] * S[..., :-1]
    out[..., -1] += P[..., -1] * S[..., -1]
    out[..., 0] = 0.0  # newborns are not yet women at the end of the step
    women_end = np.maximum(out[:, :, 0, :] + e * M[:, :, 0, :], 0.0) if e else out[:, :, 0, :]
    B = n * np.sum(F * (P[:, :, 0, :] + women_end) * 0.5, axis=-1)
    births[..., 0] = B / (1.0 + srb)
    births[..., 1] = B * srb / (1.0 + srb)
    out[..., 0] = births * Sb
    if has_mig and w != 1.0:
        out += (1.0 - w) * M
    if has_mig:
        np.maximum(out, 0.0, out=out)     # emigrants beyond the people there: the group is empty


MAX_CHUNK = 1024   # blocks a thread carries through the years together (1024 x 2 x 101 float64: 1.6 MB); measured


def _chunk(blocks: int) -> int:
    """Blocks per chunk of a compiled kernel: at most ``MAX_CHUNK``, and small enough to give
    every thread about four chunks."""
    import numba

    return max(1, min(MAX_CHUNK, -(-blocks // (4 * numba.get_num_threads()))))


def _kernel(name: str):
    """A compiled kernel of :mod:`capsim._kernels` (compiled once, cached on disk); numba is
    imported only when one is used."""
    from capsim import _kernels

    return getattr(_kernels, name)


def _age_ranges(ranges, A: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, end) index arrays of ``age_sums``, each range within the ``A`` age groups."""
    pairs = np.asarray(list(ranges), dtype=np.int64).reshape(-1, 2)
    if not len(pairs) or (pairs[:, 0] < 0).any() or (pairs[:, 1] > A).any() or (pairs[:, 0] >= pairs[:, 1]).any():
        raise ValueError(f"The 'age_sums' parameter of project_population must be (first, end) pairs with "
                         f"0 <= first < end <= {A}. Got {list(ranges)} instead.")
    return np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
