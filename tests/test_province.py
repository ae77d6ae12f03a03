"""Province-scale projection in blocks: same numbers as one block, within the memory bound, on Dask."""

import numpy as np
import pytest

from capsim import project_population
from capsim.province import (LEVEL_AGES, QUANTILES, SyntheticProvince, block_bytes, block_size,
                             project_province)

SMALL = SyntheticProvince(regions=120, draws=12, steps=8)


def test_block_size_is_the_largest_within_the_bound():
    c = block_size(SMALL, memory_mb=3)
    assert block_bytes(c, 12, 8, 101) <= 3 * 2**20 < block_bytes(c + 1, 12, 8, 101)
    # by hand: 8 bytes x 12 draws x (2*101 + 2*8 + 101 + 2*4*9) = 37,536 bytes per region (no later states)
    assert block_bytes(1, 12, 8, 101) == 8 * 12 * (202 + 16 + 101 + 72)
    with pytest.raises(ValueError, match="memory_mb"):
        block_size(SyntheticProvince(draws=200), memory_mb=0.5)


def test_blocks_give_the_numbers_of_one_whole_projection():
    whole = project_province(SMALL, memory_mb=10_000)
    parts = project_province(SMALL, memory_mb=0.5)
    assert whole.blocks == 1 and parts.blocks == -(-120 // parts.block_regions) > 3
    np.testing.assert_allclose(parts.pupils, whole.pupils, rtol=1e-12)


def test_reduction_matches_the_core_directly():
    result = project_province(SMALL, memory_mb=1)
    kw = SMALL.inputs(40, 43)
    pop = project_population(kw.pop("base"), engine="numpy", **kw).population        # (T+1, D, 3, 2, A)
    lo, hi = LEVEL_AGES["primary"]
    primary = pop[..., lo:hi].sum(axis=(-1, -2))                                       # (T+1, D, 3)
    expected = np.quantile(primary, QUANTILES, axis=1)
    np.testing.assert_allclose(result.pupils[:, :, 40:43, 1], expected, rtol=1e-10)
    # the same region in another block layout gives the same inputs
    np.testing.assert_array_equal(SMALL.inputs(0, 120)["survival"][41], SMALL.inputs(41, 42)["survival"][0])


def test_dask_workers_give_the_same_numbers():
    pytest.importorskip("distributed")
    from capsim.engine import make_engine

    local = project_province(SMALL, memory_mb=0.5)
    with make_engine(workers=2) as engine:
        dask = project_province(SMALL, memory_mb=0.5, engine=engine)
    np.testing.assert_array_equal(dask.pupils, local.pupils)
    assert len(dask.peak_rss_mb) == 2          # both workers took blocks


def test_threads_running_blocks_at_once_do_not_share_a_buffer():
    """A Dask worker with several threads runs blocks side by side: each thread has its own state."""
    from concurrent.futures import ThreadPoolExecutor

    from capsim.engine import LocalEngine

    class Threads(LocalEngine):
        workers = 1

        def map_unordered(self, fn, items):
            with ThreadPoolExecutor(4) as pool:
                futures = {key: pool.submit(fn, arg) for key, arg in items.items()}
                for key, future in futures.items():
                    yield key, True, future.result()

    local = project_province(SMALL, memory_mb=0.5)
    threaded = project_province(SMALL, memory_mb=0.5, engine=Threads())
    np.testing.assert_array_equal(threaded.pupils, local.pupils)
