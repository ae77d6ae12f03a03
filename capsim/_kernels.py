"""Compiled kernels. The maths is in :mod:`capsim.demography`; this is the same step fused.

One pass per (draw, region) block reads the state once and writes the next state once, which
is the least memory traffic any step can have. Blocks run in parallel over all cores. The
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

from numba import njit, prange


@njit(inline="always")
def _survive(Ns, Os, Ss, Ms, w, v, n, rate, has_mig):  # pragma: no cover - compiled
    """Ages 1..A-1 of one sex: survivors of the group below (+ the open group), end migrants."""
    A = Ns.shape[0]
    if not has_mig:
        for a in range(1, A - 1):
            Os[a] = Ns[a - 1] * Ss[a - 1]
        Os[A - 1] = Ns[A - 2] * Ss[A - 2] + Ns[A - 1] * Ss[A - 1]
        return
    for a in range(1, A):
        m0 = Ms[a - 1] * Ns[a - 1] * n if rate else Ms[a - 1]
        m1 = Ms[a] * Ns[a] * n if rate else Ms[a]
        Os[a] = (Ns[a - 1] + w * m0) * Ss[a - 1] + v * m1
    m2 = Ms[A - 1] * Ns[A - 1] * n if rate else Ms[A - 1]
    Os[A - 1] += (Ns[A - 1] + w * m2) * Ss[A - 1]


@njit(inline="always", fastmath={"reassoc"})
def _women_years(Nf, Of, Ff, Mf, w, v, n, rate, has_mig):  # pragma: no cover - compiled
    """sum_a asfr(a) (P_f(a) + N'_f(a)): exposed women at the start and survivors at the end."""
    A = Nf.shape[0]
    total = Ff[0] * Nf[0]
    if not has_mig:
        for a in range(1, A):
            total += Ff[a] * (Nf[a] + Of[a])
        return total
    m = Mf[0] * Nf[0] * n if rate else Mf[0]
    total += Ff[0] * w * m
    for a in range(1, A):
        m = Mf[a] * Nf[a] * n if rate else Mf[a]
        total += Ff[a] * (Nf[a] + w * m + Of[a] - v * m)
    return total


@njit(parallel=True, cache=True, nogil=True, fastmath={"reassoc"})
def fused_step(N, out, births, S, Sb, F, srb, M, n, w, rate, has_mig):  # pragma: no cover - compiled
    D, R, _, A = N.shape
    v = 1 - w
    for k in prange(D * R):
        d = k // R
        r = k - d * R
        # inputs shared by all draws or regions have length 1 there: index them at 0
        sd, sr = (d if S.shape[0] > 1 else 0), (r if S.shape[1] > 1 else 0)
        md, mr = (d if M.shape[0] > 1 else 0), (r if M.shape[1] > 1 else 0)
        fd, fr = (d if F.shape[0] > 1 else 0), (r if F.shape[1] > 1 else 0)
        bd, br = (d if Sb.shape[0] > 1 else 0), (r if Sb.shape[1] > 1 else 0)
        qd, qr = (d if srb.shape[0] > 1 else 0), (r if srb.shape[1] > 1 else 0)
        for s in range(2):
            _survive(N[d, r, s], out[d, r, s], S[sd, sr, s], M[md, mr, s], w, v, n, rate, has_mig)
        B = n * 0.5 * _women_years(N[d, r, 0], out[d, r, 0], F[fd, fr], M[md, mr, 0], w, v, n, rate, has_mig)
        ratio = srb[qd, qr]
        bf = B / (1 + ratio)
        bm = B * ratio / (1 + ratio)
        births[d, r, 0] = bf
        births[d, r, 1] = bm
        end_f = 0.0
        end_m = 0.0
        if has_mig:
            end_f = v * (M[md, mr, 0, 0] * N[d, r, 0, 0] * n if rate else M[md, mr, 0, 0])
            end_m = v * (M[md, mr, 1, 0] * N[d, r, 1, 0] * n if rate else M[md, mr, 1, 0])
        out[d, r, 0, 0] = bf * Sb[bd, br, 0] + end_f
        out[d, r, 1, 0] = bm * Sb[bd, br, 1] + end_m
