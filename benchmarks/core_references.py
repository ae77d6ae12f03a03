"""The references ``bench_core.py`` times the projection core against (table 4).

Each one works on the same ``(T+1, D, R, 2, A)`` buffer as the core, one year at a time:

* streaming limits: ``copy_one_core`` (``np.copyto`` of year k into year k+1, one thread),
  ``copy_all_cores`` (the same copy split over every numba thread with ``prange``, as the core
  is) and ``read_all_cores`` (every number of year k read once, all threads, nothing written:
  a bound no step can reach, since a step must also write);
* the textbook Leslie product, written as a competent user would: one ``(2A x 2A)`` matrix per
  region (built once; the rates do not change by draw or year), applied each year either as one
  batched dense ``np.matmul`` over all regions and draws (``leslie_dense``) or as one product
  with the sparse block-diagonal matrix of all regions (``leslie_sparse``, scipy.sparse, only
  the non-zeros stored).

``leslie_check`` proves both Leslie forms equal :func:`capsim.project_population` (no migration)
before anything is timed.
"""

from __future__ import annotations

import numpy as np

_KERNELS = {}


def _kernels():
    """Compile (once per process) the numba copy and read kernels; numba is imported here."""
    if not _KERNELS:
        import numba

        @numba.njit(parallel=True, nogil=True)
        def copy_chunks(src, dst, n_chunks):
            a = src.reshape(-1)
            b = dst.reshape(-1)
            chunk = (a.size + n_chunks - 1) // n_chunks
            for c in numba.prange(n_chunks):
                lo, hi = c * chunk, min(a.size, (c + 1) * chunk)
                b[lo:hi] = a[lo:hi]          # a slice copy: memcpy's streaming stores, not an element loop

        @numba.njit(parallel=True, nogil=True, fastmath=True)
        def read_chunks(src, sums):
            a = src.reshape(-1)
            n_chunks = sums.size
            chunk = (a.size + n_chunks - 1) // n_chunks
            for c in numba.prange(n_chunks):
                lo, hi = c * chunk, min(a.size, (c + 1) * chunk)
                sums[c] = a[lo:hi].sum()     # a vectorised sum, not an element loop

        _KERNELS["copy"], _KERNELS["read"] = copy_chunks, read_chunks
    return _KERNELS


def _chunks() -> int:
    import numba

    return 8 * numba.get_num_threads()


def copy_one_core(buf: np.ndarray) -> None:
    """Year k copied into year k+1, once per year, one thread."""
    for k in range(buf.shape[0] - 1):
        np.copyto(buf[k + 1], buf[k])


def copy_all_cores(buf: np.ndarray) -> None:
    """The same copy with every numba thread copying its contiguous chunks."""
    kernel, n = _kernels()["copy"], _chunks()
    for k in range(buf.shape[0] - 1):
        kernel(buf[k], buf[k + 1], n)


def read_all_cores(buf: np.ndarray) -> float:
    """Every year but the last read once (summed), all threads; nothing written to the state."""
    kernel = _kernels()["read"]
    sums = np.zeros(_chunks(), dtype=np.float64)
    total = 0.0
    for k in range(buf.shape[0] - 1):
        kernel(buf[k], sums)
        total += sums.sum()
    return total


def leslie_matrices(survival, birth_survival, asfr, srb, step: int = 1, dtype=np.float64) -> np.ndarray:
    """One (2A x 2A) projection matrix per region, for the state [females 0..A-1, males 0..A-1].

    ``survival`` (R, 2, A), ``birth_survival`` (R, 2), ``asfr`` (R, A), ``srb`` a number.
    Births come from women at the start and end of the step (module docstring of
    :mod:`capsim.demography`): ``B = n/2 sum_a asfr(a) (N_f(a) + N'_f(a))`` with
    ``N'_f(a+1) = S_f(a) N_f(a)`` and the open group fed by both of its last two groups, so the
    coefficient of ``N_f(a)`` is ``n/2 (asfr(a) + asfr(min(a+1, A-1)) S_f(a))``. Built in
    float64, returned in ``dtype``.
    """
    survival = np.asarray(survival, dtype=np.float64)
    R, _, A = survival.shape
    L = np.zeros((R, 2 * A, 2 * A))
    below = np.arange(A - 1)
    for s in range(2):
        o = s * A
        L[:, o + below + 1, o + below] = survival[:, s, :-1]  # sub-diagonal: a -> a+1
        L[:, o + A - 1, o + A - 1] = survival[:, s, -1]       # open group stays open
    asfr = np.asarray(asfr, dtype=np.float64)
    asfr_next = np.concatenate([asfr[:, 1:], asfr[:, -1:]], axis=1)
    births_per_woman = step / 2.0 * (asfr + asfr_next * survival[:, 0, :])
    birth_survival = np.asarray(birth_survival, dtype=np.float64)
    L[:, 0, :A] = births_per_woman * (birth_survival[:, 0] / (1.0 + srb))[:, None]
    L[:, A, :A] = births_per_woman * (birth_survival[:, 1] * srb / (1.0 + srb))[:, None]
    return L.astype(dtype)


def block_diagonal(L: np.ndarray):
    """The regions' matrices as one sparse block-diagonal CSR matrix, zeros not stored."""
    import scipy.sparse as sp

    B = sp.block_diag(list(L), format="csr")
    B.eliminate_zeros()
    return B


def _years(buf: np.ndarray, k: int):
    D, R = buf.shape[1:3]
    return buf[k].reshape(D, R, -1), buf[k + 1].reshape(D, R, -1)


def leslie_dense(buf: np.ndarray, L: np.ndarray) -> None:
    """Each year one batched ``np.matmul``: for every region, its draws (rows) times L_r^T."""
    LT = L.transpose(0, 2, 1)
    for k in range(buf.shape[0] - 1):
        x, y = _years(buf, k)
        np.matmul(x.transpose(1, 0, 2), LT, out=y.transpose(1, 0, 2))


def leslie_sparse(buf: np.ndarray, B) -> None:
    """Each year one sparse product: all draws (rows) times the block-diagonal matrix's transpose.

    ``x @ B.T`` (CSC, no conversion) was the fastest of the natural spellings tried at
    100 x 500 (``(B @ x.T).T`` and a CSR transpose were as fast or slower)."""
    BT = B.T
    D = buf.shape[1]
    for k in range(buf.shape[0] - 1):
        buf[k + 1].reshape(D, -1)[...] = buf[k].reshape(D, -1) @ BT


def leslie_check(make_inputs, srb: float) -> list[str]:
    """Both Leslie forms against project_population (no migration), float64 and float32.

    Raises ``SystemExit`` when one disagrees by more than 1e-12 (float64) or 1e-5 (float32) of
    the largest number. Returns one line per case."""
    from capsim import project_population

    lines = []
    for step, ages, years in ((1, 101, 8), (5, 21, 6)):
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            inputs = make_inputs(3, 4, np.float64, ages=ages, seed=1)
            core = project_population(
                inputs["base"], inputs["survival"], inputs["birth_survival"], inputs["asfr"], srb,
                years, step=step, engine="numpy",
            ).population
            L = leslie_matrices(inputs["survival"], inputs["birth_survival"], inputs["asfr"], srb, step, dtype)
            worst = 0.0
            for variant, matrix in ((leslie_dense, L), (leslie_sparse, block_diagonal(L))):
                pop = np.zeros(core.shape, dtype=dtype)
                pop[0] = inputs["base"]
                variant(pop, matrix)
                worst = max(worst, float(np.max(np.abs(pop - core)) / np.max(np.abs(core))))
            if not worst < tol:
                raise SystemExit(f"Leslie reference disagrees with project_population: {worst:.3g}")
            lines.append(f"step {step}, {ages} age groups, {np.dtype(dtype).name}, 3 draws x 4 regions, "
                         f"{years} steps: max |Leslie - core| / max |core| = {worst:.1e}")
    return lines
