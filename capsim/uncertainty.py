"""Monte Carlo draws of fertility and migration, and quantiles over draws.

Each draw ``d`` gets one standard variate ``z_d`` for fertility and one ``u_d`` for migration
(normal N(0, 1), or uniform on [-sqrt 3, sqrt 3] so that its standard deviation is also 1),
from ``numpy.random.default_rng(seed)``: the same seed gives the same draws on any machine.
Draw 0 is always the central path (``z_0 = u_0 = 0``) so that ``draws = 1`` is deterministic.

Fertility: the TFR path moves by ``z_d * tfr_sd * min(1, h / ramp)`` children per woman ``h``
years after the base year (a draw is a persistent scenario, as the UN's low/high variants are),
floored at zero, and the schedule is rescaled in proportion::

    asfr_d(t, a) = asfr(t, a) * max(0, TFR(t) + z_d sd min(1, h/ramp)) / TFR(t)

Migration: ``M_d = M * (1 + migration_sd * u_d)``; housing newcomers are not varied.

Both reach the core as factors (:func:`fertility_factors`, :func:`migration_factors`): the draws
share one schedule and one migration array, and a draw adds a few numbers, not a copy of the
state's size.
"""

from __future__ import annotations

import numpy as np

from capsim.schema import Uncertainty


def standard_variates(spec: Uncertainty) -> tuple[np.ndarray, np.ndarray]:
    """(z, u): one fertility and one migration variate per draw; draw 0 is central."""
    rng = np.random.default_rng(spec.seed)
    if spec.tfr_distribution == "normal":
        zu = rng.standard_normal((2, spec.draws))
    else:
        zu = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(2, spec.draws))
    zu[:, 0] = 0.0
    return zu[0], zu[1]


def fertility_factors(tfr, years, spec: Uncertainty, z) -> np.ndarray:
    """Each draw's ASFR over the central one, shape (T, D, R), from the TFR (T, R): the core's
    ``fertility_factor`` (:func:`capsim.demography.project_population`), so that every draw
    shares one schedule."""
    horizon = np.asarray(years[:-1]) - years[0]
    ramp = np.minimum(1.0, horizon / spec.tfr_ramp_years)
    shift = z[None, :, None] * spec.tfr_sd * ramp[:, None, None]         # (T, D, 1)
    moved = np.maximum(0.0, tfr[:, None, :] + shift)                     # (T, D, R)
    return np.divide(moved, tfr[:, None, :], out=np.ones_like(moved), where=tfr[:, None, :] > 0)


def migration_factors(spec: Uncertainty, u) -> np.ndarray:
    """Each draw's migration over the central one, shape (1, D, 1): the core's ``migration_factor``."""
    return (1.0 + spec.migration_sd * u)[None, :, None]



def quantiles_over_draws(array, q, out: np.ndarray | None = None) -> np.ndarray:
    """Quantiles over the draw axis (axis 1) of a ``(T, D, ...)`` array, one year at a time.

    The same numbers as ``np.quantile(array, q, axis=1)`` (linear interpolation), shape
    ``(Q, T, ...)``, written into ``out`` if given. ``np.quantile`` over the whole array copies
    all of it before partitioning; here one year is copied at a time, draws last (so each
    partition runs along contiguous memory), into a reused buffer: the extra memory is one
    year's state per thread. Years are the only Python loop; they are shared among as many
    threads as the process may use (numpy's copy and partition run without the interpreter lock).
    """
    array = np.asarray(array)
    q = np.asarray(q, dtype=np.float64)
    if array.ndim < 2 or q.ndim != 1:
        raise ValueError("The 'array' parameter of quantiles_over_draws must have a year and a draw axis "
                         f"and 'q' must be a list of quantiles. Got shapes {array.shape} and {q.shape} instead.")
    T, D, rest = array.shape[0], array.shape[1], array.shape[2:]
    shape = (len(q), T) + rest
    dtype = np.quantile(np.zeros(1, dtype=array.dtype), q).dtype
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif out.shape != shape or out.dtype != dtype:
        raise ValueError(f"The 'out' parameter of quantiles_over_draws must be a {dtype} array of shape "
                         f"{shape}. Got {out.dtype} {out.shape} instead.")
    cells = int(np.prod(rest, dtype=np.int64))

    def years(ts):
        work = np.empty((cells, D), dtype=array.dtype)
        year_out = np.empty((len(q), cells), dtype=dtype)
        for t in ts:
            np.copyto(work, array[t].reshape(D, cells).T)
            np.quantile(work, q, axis=1, out=year_out, overwrite_input=True)
            out[:, t] = year_out.reshape((len(q),) + rest)

    threads = min(T, _usable_cpus()) if cells * D >= PARALLEL_QUANTILE_CELLS else 1
    if threads <= 1:
        years(range(T))
        return out
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(years, [range(k, T, threads) for k in range(threads)]))
    return out


PARALLEL_QUANTILE_CELLS = 1_000_000   # a year's values below which threads are not worth starting


def _usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                # not on Linux
        return os.cpu_count() or 1
