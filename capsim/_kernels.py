"""Compiled kernels. The maths is in :mod:`capsim.demography`; this is the same step fused.

One pass per (draw, region) block reads the state once and writes the next state once, which
is the least memory traffic any step can have. Blocks run in parallel over all cores.
"""

from __future__ import annotations

from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def fused_step(N, out, births, S, Sb, F, srb, M, n, w, rate):  # pragma: no cover - compiled
    D, R, _, A = N.shape
    v = 1.0 - w
    for k in prange(D * R):
        d = k // R
        r = k - d * R
        bsum = 0.0
        end0_f = 0.0
        end0_m = 0.0
        for s in range(2):
            prev = 0.0  # survivors of group a-1, i.e. N'(a) before end-of-step migrants
            for a in range(A):
                m = M[d, r, s, a]
                if rate:
                    m = m * N[d, r, s, a] * n
                p = N[d, r, s, a] + w * m
                if a == 0:
                    new = 0.0  # newborns are added after the births are known
                    if s == 0:
                        end0_f = v * m
                    else:
                        end0_m = v * m
                elif a < A - 1:
                    new = prev
                    out[d, r, s, a] = new + v * m
                else:
                    new = prev + p * S[d, r, s, a]
                    out[d, r, s, a] = new + v * m
                if s == 0:
                    bsum += F[d, r, a] * (p + new)
                prev = p * S[d, r, s, a]
        B = n * 0.5 * bsum
        ratio = srb[d, r]
        bf = B / (1.0 + ratio)
        bm = B * ratio / (1.0 + ratio)
        births[d, r, 0] = bf
        births[d, r, 1] = bm
        out[d, r, 0, 0] = bf * Sb[d, r, 0] + end0_f
        out[d, r, 1, 0] = bm * Sb[d, r, 1] + end0_m
