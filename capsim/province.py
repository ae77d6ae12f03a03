"""Province-scale projection: the cohort core over blocks of regions, within a memory bound.

A province of thousands of regions with hundreds of draws does not fit in memory as one
state (3,000 regions x 200 draws x 2 sexes x 101 ages x 21 years is 20 GB in float64). Regions
never interact in the core, so :func:`project_province` cuts them into blocks, projects each
block with :func:`capsim.project_population` asked for the school ages' sums only
(``age_sums``: the compiled kernel never holds a block's state whole, each year of it lives in
a scratch buffer per thread) and keeps their reduction: school-age pupils by level, as
quantiles over draws. Blocks run on an engine (:mod:`capsim.engine`: this
process, or Dask workers), and the result is the same whichever runs them.

Memory bound. A block of ``c`` regions holds (float64, ``T`` steps, ``A`` ages, ``D`` draws,
``L`` levels)::

    bytes(c) = 8 c D [2 A  (the base state)  + 2 T  (births)  + A  (fertility by draw)
                      + 2 L (T+1)  (pupils by level and their sorted copy for quantiles)]

and ``c`` is the largest block with ``bytes(c) <= memory_mb``; the state of the later years is
not in it (the kernel's scratch, at most 1,024 blocks of 2 A numbers per thread, is a few MB).
Each worker holds one block at a time, so a worker's peak memory is about ``memory_mb`` above
its own baseline (Python, numpy, numba: about 150-250 MB); a worker running several threads
holds one block per thread.

The inputs of a block come from ``province.inputs(start, stop)``, so a worker builds or reads
only its own regions; :class:`SyntheticProvince` makes a reproducible synthetic one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

LEVEL_AGES = {"kindergarten": (3, 6), "primary": (6, 12), "junior": (12, 15), "senior": (15, 18)}
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class SyntheticProvince:
    """A reproducible province: region ``r``'s size, fertility and mortality are fixed functions
    of ``r`` (so any block gives the same numbers), draws scale fertility by ``1 + 0.1 z_d``.

    ``inputs(start, stop)`` returns :func:`capsim.project_population`'s arguments for regions
    ``start .. stop-1``."""

    regions: int = 3000
    draws: int = 200
    steps: int = 20
    ages: int = 101
    seed: int = 1

    def inputs(self, start: int, stop: int) -> dict:
        r = np.arange(start, stop, dtype=float)[:, None]                        # (c, 1)
        a = np.arange(self.ages, dtype=float)[None, :]                          # (1, A)
        size = 50_000 * (1 + 0.8 * np.abs(np.sin(r * 0.7)))                    # people per region
        shape = np.exp(-a / 45.0)
        base = size[:, None, :] * shape[:, None, :] / shape.sum() * np.array([0.49, 0.51])[None, :, None]
        level = 4e-4 * (1 + 0.3 * np.cos(r * 1.3)) * np.exp(-(a / 50.0) ** 2)  # (c, A) mortality
        survival = np.exp(-np.stack([level * 0.9, level * 1.1], axis=1))       # (c, 2, A)
        peak = np.exp(-0.5 * ((a - 29.0) / 5.0) ** 2)
        asfr = peak / peak.sum() * (1.1 + 0.4 * ((r * 0.618) % 1.0))            # (c, A): TFR 1.1-1.5
        z = np.random.default_rng(self.seed).standard_normal(self.draws)
        z[0] = 0.0
        return {"base": np.broadcast_to(base[None], (self.draws, stop - start, 2, self.ages)),
                "survival": survival, "birth_survival": np.full((stop - start, 2), 0.995),
                "asfr": asfr[None] * (1 + 0.1 * z)[:, None, None], "sex_ratio_at_birth": 1.11,
                "steps": self.steps}


@dataclass(frozen=True)
class ProvinceResult:
    pupils: np.ndarray        # (Q, T+1, R, L) school-age children by level, quantiles over draws
    quantiles: tuple
    levels: tuple
    block_regions: int        # regions per block
    blocks: int
    peak_rss_mb: dict         # process id -> its peak resident memory (MB) after its last block


def block_bytes(regions: int, draws: int, steps: int, ages: int, levels: int = len(LEVEL_AGES)) -> int:
    """Memory of a block of ``regions`` (module docstring)."""
    return 8 * regions * draws * (2 * ages + 2 * steps + ages + 2 * levels * (steps + 1))


def block_size(province, memory_mb: float) -> int:
    """The most regions per block within ``memory_mb``; a ValueError if one region is too many."""
    one = block_bytes(1, province.draws, province.steps, province.ages)
    c = int(memory_mb * 2**20 // one)
    if c < 1:
        raise ValueError(f"The 'memory_mb' parameter of project_province must be at least {one / 2**20:.1f} "
                         f"(one region of this province). Got {memory_mb} instead.")
    return min(c, province.regions)


def project_province(province, memory_mb: float = 1024, engine=None, progress: bool = False) -> ProvinceResult:
    """Project ``province`` block by block (module docstring) on ``engine`` (default: this process)."""
    from tqdm.auto import tqdm

    from capsim.engine import LocalEngine

    engine = engine or LocalEngine()
    c = block_size(province, memory_mb)
    starts = range(0, province.regions, c)
    threads = max(1, (os.cpu_count() or 1) // engine.workers) if engine.workers > 1 else None
    blocks = {s: (province, s, min(s + c, province.regions), threads) for s in starts}
    out = np.empty((len(QUANTILES), province.steps + 1, province.regions, len(LEVEL_AGES)))
    rss = {}
    with tqdm(total=len(blocks), desc="province blocks", unit="block", disable=not progress or None) as bar:
        for start, ok, value in engine.map_unordered(project_block, blocks):
            if not ok:
                raise value
            pupils, pid, peak = value
            out[:, :, start:start + pupils.shape[2]] = pupils
            rss[pid] = peak
            bar.update()
    return ProvinceResult(out, QUANTILES, tuple(LEVEL_AGES), c, len(blocks), rss)


def project_block(args) -> tuple:
    """Project one block and reduce it: ((Q, T+1, c, L) pupils, process id, peak RSS in MB)."""
    from capsim.demography import project_population

    province, start, stop, threads = args
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))   # this machine's cores
    kw = province.inputs(start, stop)
    sums = project_population(kw.pop("base"), engine="numba", age_sums=list(LEVEL_AGES.values()), **kw).sums
    pupils = np.quantile(sums, QUANTILES, axis=1)              # (Q, T+1, c, L)
    return pupils, os.getpid(), _peak_rss_mb()


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
