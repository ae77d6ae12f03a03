"""Compiled kernels. The maths is in :mod:`capsim.demography`; this is the same step fused.

Each (draw, region) block is carried through the years while it is in cache, so every year's
state is written once and never read back: the least memory traffic a projection that keeps
every year can have (a year-by-year pass would also read the last year's state from memory).
Blocks run in parallel over all cores. The
age loops carry nothing from one age to the next (so the compiler can vectorise them), the
births are summed in a second pass over the block while it is still in cache, and migration is
skipped entirely when there is none.

That sum over ages is the one reduction of the step. Summed strictly in age order it is a chain
of dependent additions the compiler cannot vectorise, and it, not memory, set the step's pace
(a third of its time at 10^7 cells a year). The kernel is compiled with ``fastmath={"reassoc"}``:
the compiler may add the terms in another order (in SIMD lanes), which changes the births by
rounding only (at most about 1e-15 relative in float64, 1e-6 in float32, against the ordered
sum), and nothing else: no approximate functions, infinities and NaN kept.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange



@njit(inline="always")
def _migrants(Ms, Hs, mk, Ns, a, n, rate):  # pragma: no cover - compiled
    """Net migrants of age group ``a`` in the step: ``mk M(a) + H(a)`` (counts), or that rate
    times the people at the start and the step's length."""
    m = mk * Ms[a] + Hs[a]
    return m * Ns[a] * n if rate else m


@njit(inline="always")
def _survive(Ns, Os, Ss, Ms, Hs, mk, w, v, n, rate, has_mig):  # pragma: no cover - compiled
    """Ages 1..A-1 of one sex: survivors of the group below (+ the open group), end migrants."""
    A = Ns.shape[0]
    if not has_mig:
        for a in range(1, A - 1):
            Os[a] = Ns[a - 1] * Ss[a - 1]
        Os[A - 1] = Ns[A - 2] * Ss[A - 2] + Ns[A - 1] * Ss[A - 1]
        return
    for a in range(1, A):
        m0 = _migrants(Ms, Hs, mk, Ns, a - 1, n, rate)
        m1 = _migrants(Ms, Hs, mk, Ns, a, n, rate)
        Os[a] = max(Ns[a - 1] + w * m0, 0.0) * Ss[a - 1] + v * m1
    m2 = _migrants(Ms, Hs, mk, Ns, A - 1, n, rate)
    Os[A - 1] += max(Ns[A - 1] + w * m2, 0.0) * Ss[A - 1]


@njit(inline="always", fastmath={"reassoc"})
def _women_years(Nf, Of, Ff, Mf, Hf, mk, w, v, e, n, rate, has_mig):  # pragma: no cover - compiled
    """sum_a asfr(a) (P_f(a) + N'_f(a) + e M_f(a)): exposed women at the start, survivors and
    the migrants counted at the end (``Of`` already holds the ``v M`` who moved at the end);
    each of the two never below 0 (no one leaves who is not there)."""
    A = Nf.shape[0]
    total = Ff[0] * Nf[0]
    if not has_mig:
        for a in range(1, A):
            total += Ff[a] * (Nf[a] + Of[a])
        return total
    m = _migrants(Mf, Hf, mk, Nf, 0, n, rate)
    total = Ff[0] * (max(Nf[0] + w * m, 0.0) + max(e * m, 0.0))
    for a in range(1, A):
        m = _migrants(Mf, Hf, mk, Nf, a, n, rate)
        total += Ff[a] * (max(Nf[a] + w * m, 0.0) + max(Of[a] - (v - e) * m, 0.0))
    return total


@njit(inline="always", fastmath={"reassoc"})
def _block(N, out, births, S, Sb, F, fk, srb, M, mk, H, n, w, e, rate, has_mig):  # pragma: no cover - compiled
    """One step of one (draw, region) block: ``N`` (2, A) -> ``out`` (2, A), ``births`` (2,);
    the inputs are this block's and this year's (S (2, A), Sb (2,), F (A,) and its factor ``fk``,
    srb scalar, M (2, A) and its factor ``mk``, H (2, A) migrants added as they are); ``w`` and
    ``e`` the shares of migrants moving at the start and counted only among the women at the end."""
    v = 1 - w
    for s in range(2):
        _survive(N[s], out[s], S[s], M[s], H[s], mk, w, v, n, rate, has_mig)
    B = n * 0.5 * fk * _women_years(N[0], out[0], F, M[0], H[0], mk, w, v, e, n, rate, has_mig)
    bf = B / (1 + srb)
    bm = B * srb / (1 + srb)
    births[0] = bf
    births[1] = bm
    end_f = 0.0
    end_m = 0.0
    if has_mig:
        end_f = v * _migrants(M[0], H[0], mk, N[0], 0, n, rate)
        end_m = v * _migrants(M[1], H[1], mk, N[1], 0, n, rate)
    out[0, 0] = bf * Sb[0] + end_f
    out[1, 0] = bm * Sb[1] + end_m
    if has_mig:                         # emigrants beyond the people there: the group is empty
        for s in range(2):
            for a in range(out.shape[1]):
                out[s, a] = max(out[s, a], 0.0)


@njit(inline="always")
def _at(X, t, d, r):  # pragma: no cover - compiled
    """The year ``t``, draw ``d`` and region ``r`` entry of an input whose year, draw or region
    axis may have length 1 (shared by all): indexed at 0 there."""
    return X[t if X.shape[0] > 1 else 0, d if X.shape[1] > 1 else 0, r if X.shape[2] > 1 else 0]


@njit(parallel=True, cache=True, nogil=True, fastmath={"reassoc"})
def fused_steps(P, births, first, last, chunk, S, Sb, F, Fk, srb, M, Mk, H, n, w, e, rate, has_mig):  # pragma: no cover - compiled
    """Steps ``first .. last - 1``: ``P[t + 1]`` and ``births[t]`` from ``P[t]``. Each input has a
    leading year axis of length 1 (every year) or of the steps, then draw and region axes of
    length 1 (shared) or D and R. The year loop runs inside each (draw, region) block, so a
    block's state stays in cache from one year to the next: each year's state is written once
    and never read back from memory. ``chunk`` blocks (consecutive in memory) go through the
    years together, so that each year is written as one sequential stretch per chunk."""
    D, R = P.shape[1], P.shape[2]
    n_chunks = (D * R + chunk - 1) // chunk
    for c in prange(n_chunks):
        for t in range(first, last):
            for k in range(c * chunk, min(D * R, (c + 1) * chunk)):
                d = k // R
                r = k - d * R
                _block(P[t, d, r], P[t + 1, d, r], births[t, d, r], _at(S, t, d, r), _at(Sb, t, d, r),
                       _at(F, t, d, r), _at(Fk, t, d, r), _at(srb, t, d, r), _at(M, t, d, r), _at(Mk, t, d, r),
                       _at(H, t, d, r), n, w, e, rate, has_mig)


@njit(inline="always", fastmath={"reassoc"})
def _age_sums(X, lo, hi, out):  # pragma: no cover - compiled
    """``out[g] = sum over both sexes of X[s, lo[g]:hi[g]]``."""
    for g in range(lo.shape[0]):
        total = 0.0
        for s in range(2):
            for a in range(lo[g], hi[g]):
                total += X[s, a]
        out[g] = total


@njit(parallel=True, cache=True, nogil=True, fastmath={"reassoc"})
def fused_sums(base, sums, births, lo, hi, chunk, S, Sb, F, Fk, srb, M, Mk, H, n, w, e, rate, has_mig):  # pragma: no cover - compiled
    """As :func:`fused_steps`, but each year's state is kept only in a chunk's two scratch buffers
    (this year's and the next, ``2 x chunk x 2 x A`` numbers per thread):
    what is written is ``sums[t, d, r, g]``, the people of both sexes aged ``lo[g] .. hi[g] - 1``
    in year ``t`` (``base`` is year 0), and the births. Nothing of the state's size is written."""
    D, R, _, A = base.shape
    T = births.shape[0]
    n_chunks = (D * R + chunk - 1) // chunk
    for c in prange(n_chunks):
        k0 = c * chunk
        m = min(D * R, k0 + chunk) - k0
        cur = np.empty((m, 2, A), base.dtype)
        nxt = np.empty((m, 2, A), base.dtype)
        for j in range(m):
            d = (k0 + j) // R
            r = k0 + j - d * R
            cur[j] = base[d, r]
            _age_sums(cur[j], lo, hi, sums[0, d, r])
        for t in range(T):
            for j in range(m):
                d = (k0 + j) // R
                r = k0 + j - d * R
                _block(cur[j], nxt[j], births[t, d, r], _at(S, t, d, r), _at(Sb, t, d, r), _at(F, t, d, r),
                       _at(Fk, t, d, r), _at(srb, t, d, r), _at(M, t, d, r), _at(Mk, t, d, r), _at(H, t, d, r),
                       n, w, e, rate, has_mig)
                _age_sums(nxt[j], lo, hi, sums[t + 1, d, r])
            cur, nxt = nxt, cur
