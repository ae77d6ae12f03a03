"""Quantiles over draws, year by year, against plain numpy."""

import tracemalloc

import numpy as np
import pytest

from capsim.uncertainty import quantiles_over_draws


@pytest.mark.parametrize("shape", [(4, 7, 3, 2, 5), (3, 1, 2), (5, 100), (2, 11, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_quantiles_over_draws_equal_numpys_over_the_draw_axis(shape, dtype):
    array = np.random.default_rng(len(shape)).normal(size=shape).astype(dtype)
    q = [0.05, 0.1, 0.5, 0.9, 0.95]
    expected = np.quantile(array, q, axis=1)
    got = quantiles_over_draws(array, q)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_quantiles_by_hand_and_into_out():
    """Draws 0..4 shuffled, per year and cell: the 25 % point is 1, the median 2, and the 90 %
    point lies 0.6 of the way from 3 to 4 (linear interpolation at (5 - 1) x 0.9 = 3.6)."""
    rng = np.random.default_rng(1)
    array = np.stack([np.stack([rng.permutation(5) + 10.0 * t + c for c in range(3)], axis=1)
                      for t in range(2)])                                   # (year 2, draw 5, cell 3)
    out = np.full((3, 2, 3), np.nan)
    assert quantiles_over_draws(array, [0.25, 0.5, 0.9], out=out) is out
    offset = 10.0 * np.arange(2)[:, None] + np.arange(3)[None, :]
    np.testing.assert_allclose(out[0], 1.0 + offset)
    np.testing.assert_allclose(out[1], 2.0 + offset)
    np.testing.assert_allclose(out[2], 3.6 + offset)


def test_a_wrong_out_is_refused():
    with pytest.raises(ValueError, match="'out' parameter of quantiles_over_draws"):
        quantiles_over_draws(np.zeros((2, 3, 4)), [0.5], out=np.zeros((1, 2, 3)))


def _peak_traced_bytes(run):
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_extra_memory_is_one_year_not_a_copy_of_the_state():
    """numpy reports its buffers to tracemalloc: the year-by-year quantiles need the output and
    about one year's copy, while np.quantile over the whole array copies all of it."""
    array = np.random.default_rng(2).normal(size=(20, 50, 40, 2, 25))   # 16 MB, one year 0.8 MB
    q = [0.1, 0.5, 0.9]
    output_bytes = 8 * len(q) * array[:, 0].size
    ours = _peak_traced_bytes(lambda: quantiles_over_draws(array, q))
    whole = _peak_traced_bytes(lambda: np.quantile(array, q, axis=1))
    assert whole >= array.nbytes
    assert ours < output_bytes + 4 * array[0].nbytes
