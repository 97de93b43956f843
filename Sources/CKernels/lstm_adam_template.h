// The LSTM, GRU and RNN cells' fused steps (LSTMCell.swift, GRUCell.swift, RNNCell.swift) and
// the Adam/AdamW update (Optimizer.swift) on one set's vectors, included by the set's file after sgemm_template.h. Each operation is
// the Swift code's, in its order (fused multiply-adds exactly where fastTanh has them,
// separate multiply and add elsewhere), lane by lane, so every set gives the bits of the
// portable reference loops (kernels_portable.c), which are the Swift loops'.
//
// Besides sgemm_template.h's macros the including file defines:
//   VSUB(a, b), VMUL(a, b), VDIV(a, b), VSQRT(a)     IEEE single precision, per lane
//   VMULADD(a, b, c)       a·b + c, one rounding
//   VCLAMP_BELOW(x, lo)    lo where x < lo, else x (NaN passes, as the Swift `replacing(where: x .< lo)`)
//   VCLAMP_ABOVE(x, hi)    hi where x > hi, else x
//   VLOADN(p, n), VSTOREN(p, v, n)   the first min(n, VL) lanes (loads zero the others)
//   GU                     vectors of a row that the GRU's forward step takes at a time (an even enum
//                          constant); the LSTM's, with four gates to the GRU's three, takes LU = GU / 2

// No a·b + c contracted into one FMA from here on: clang honours the STDC pragma, GCC its
// optimize pragma (its intrinsics are plain vector arithmetic, which its default
// -ffp-contract=fast would fuse into FMAs the Swift loops do not have).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/// Asks for the line at p in L2 (a step's data that the next call reads).
#define PREFETCH_L2(p) __builtin_prefetch((const void *)(p), 0, 2)
/// Once per 64-byte line of floats from j on.
#define LINE_START(j) ((j) % 16 == 0)

/// fastTanh (FastMath.swift) on u ≤ 2·GU vectors: Eigen's odd 13/6 rational approximation, inputs
/// clamped to ±7.9053, each step on all u vectors before the next. One vector's steps are a chain of
/// ~50 cycles; AVX2 on Zen 4 ran the GRU's gate loop 1.4× faster with four vectors interleaved.
TARGET static ALWAYS_INLINE void tanhLanesN(vec *x, int u) {
    const vec c = VSET1(7.90531110763549805f), nc = VSET1(-7.90531110763549805f);
    vec x2[2 * GU], p[2 * GU], q[2 * GU];
    for (int i = 0; i < u; i++) {
        x[i] = VCLAMP_ABOVE(VCLAMP_BELOW(x[i], nc), c);
        x2[i] = VMUL(x[i], x[i]);
    }
    for (int i = 0; i < u; i++) {
        p[i] = VMULADD(VSET1(-2.76076847742355e-16f), x2[i], VSET1(2.00018790482477e-13f));
        q[i] = VMULADD(VSET1(1.19825839466702e-06f), x2[i], VSET1(1.18534705686654e-04f));
    }
    for (int i = 0; i < u; i++) {
        p[i] = VMULADD(p[i], x2[i], VSET1(-8.60467152213735e-11f));
        q[i] = VMULADD(q[i], x2[i], VSET1(2.26843463243900e-03f));
    }
    for (int i = 0; i < u; i++) {
        p[i] = VMULADD(p[i], x2[i], VSET1(5.12229709037114e-08f));
        q[i] = VMULADD(q[i], x2[i], VSET1(4.89352518554385e-03f));
    }
    for (int i = 0; i < u; i++) p[i] = VMULADD(p[i], x2[i], VSET1(1.48572235717979e-05f));
    for (int i = 0; i < u; i++) p[i] = VMULADD(p[i], x2[i], VSET1(6.37261928875436e-04f));
    for (int i = 0; i < u; i++) p[i] = VMULADD(p[i], x2[i], VSET1(4.89352455891786e-03f));
    for (int i = 0; i < u; i++) x[i] = VDIV(VMUL(p[i], x[i]), q[i]);
}

/// fastTanh on one vector.
TARGET static ALWAYS_INLINE vec tanhLanes(vec x) {
    tanhLanesN(&x, 1);
    return x;
}

#define LOAD(p) VLOADN((p) + j, n - j)
#define STORE(p, v) VSTOREN((p) + j, v, n - j)
#define LU (GU / 2)
_Static_assert(GU >= 2 && GU % 2 == 0, "GU: an even number of vectors, so that the LSTM's 4·LU are 2·GU");

/// u vectors (LU, or 1 at a row's end) of an LSTM forward step's row from column j: the four gates
/// of all of them, then c and tanh(c). Loads and stores take the first n − i lanes where fewer remain.
TARGET static ALWAYS_INLINE void lstmForwardVectors(const int u, int j, int n, float *gi, const float *ri,
                                                   const float *bi, const float *cb, float *cn, float *hn,
                                                   float *tn, ptrdiff_t ahead) {
    float *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
    const float *rf = ri + n, *rg = ri + 2 * n, *ro = ri + 3 * n, *bf = bi + n, *bg = bi + 2 * n, *bo = bi + 3 * n;
    const vec half = VSET1(0.5f);
    // s: u input, forget, cell and out gates each; cell's tanh takes x, the others x/2 (fastSigmoid)
    vec s[4 * LU], cj[LU];
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        if (ahead && LINE_START(i)) {
            PREFETCH_L2(gi + i + ahead);
            PREFETCH_L2(gf + i + ahead);
            PREFETCH_L2(gg + i + ahead);
            PREFETCH_L2(go + i + ahead);
            PREFETCH_L2(cn + i + ahead / 4);  // the next step's c, tanh c and h slots
            PREFETCH_L2(tn + i + ahead / 4);
            PREFETCH_L2(hn + i + ahead / 4);
        }
        s[v] = VMUL(half, VADD(VADD(VLOADN(gi + i, left), VLOADN(ri + i, left)), VLOADN(bi + i, left)));
        s[u + v] = VMUL(half, VADD(VADD(VLOADN(gf + i, left), VLOADN(rf + i, left)), VLOADN(bf + i, left)));
        s[2 * u + v] = VADD(VADD(VLOADN(gg + i, left), VLOADN(rg + i, left)), VLOADN(bg + i, left));
        s[3 * u + v] = VMUL(half, VADD(VADD(VLOADN(go + i, left), VLOADN(ro + i, left)), VLOADN(bo + i, left)));
    }
    tanhLanesN(s, 4 * u);
    for (int v = 0; v < u; v++) {
        s[v] = VADD(half, VMUL(half, s[v]));
        s[u + v] = VADD(half, VMUL(half, s[u + v]));
        s[3 * u + v] = VADD(half, VMUL(half, s[3 * u + v]));
    }
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        cj[v] = VADD(VMUL(s[u + v], VLOADN(cb + i, left)), VMUL(s[v], s[2 * u + v]));
        VSTOREN(gi + i, s[v], left);
        VSTOREN(gf + i, s[u + v], left);
        VSTOREN(gg + i, s[2 * u + v], left);
        VSTOREN(go + i, s[3 * u + v], left);
        VSTOREN(cn + i, cj[v], left);
    }
    tanhLanesN(cj, u);
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        VSTOREN(tn + i, cj[v], left);
        VSTOREN(hn + i, VMUL(s[3 * u + v], cj[v]), left);
    }
}

TARGET void SET_FUNCTION(lstm_forward)(int batch, int hidden, float *gates, const float *recurrent,
                                       const float *bias, const float *c, float *cNext, float *hNext,
                                       float *tanhCNext, int prefetchNext) {
    const int n = hidden;
    const ptrdiff_t ahead = prefetchNext ? (ptrdiff_t)batch * 4 * n : 0;
    for (int b = 0; b < batch; b++) {
        float *gi = gates + (size_t)b * 4 * n, *cn = cNext + (size_t)b * n, *hn = hNext + (size_t)b * n;
        float *tn = tanhCNext + (size_t)b * n;
        const float *ri = recurrent + (size_t)b * 4 * n, *cb = c + (size_t)b * n;
        int j = 0;
        for (; j + LU * VL <= n; j += LU * VL) lstmForwardVectors(LU, j, n, gi, ri, bias, cb, cn, hn, tn, ahead);
        for (; j < n; j += VL) lstmForwardVectors(1, j, n, gi, ri, bias, cb, cn, hn, tn, ahead);
    }
}

/// The first `count` lanes of v into columns [col, col + count) of a packed row (sweep_sgemm_packed_row's
/// layout in this set's NR), whose panels lie `panel` floats apart.
TARGET static ALWAYS_INLINE void storePacked(float *row, int panel, int col, vec v, int count) {
    const unsigned c = (unsigned)col;  // ≥ 0: divisions by NR without a sign's correction
    if (count >= VL && c % NR + VL <= NR) {
        VSTORE(row + (size_t)(c / NR) * panel + c % NR, v);
        return;
    }
    float t[VL];
    VSTORE(t, v);
    for (unsigned l = 0; l < (unsigned)count && l < VL; l++) row[(size_t)((c + l) / NR) * panel + (c + l) % NR] = t[l];
}

/// A backward step's `gates` vectors v[g], columns g·n + j onwards of a packed row (j a multiple of
/// VL, so a whole vector never crosses a panel). Where every gate's columns start on a panel (n a
/// multiple of NR) and a whole vector is left, one store per gate at a gate stride of n / NR panels.
_Static_assert(NR % VL == 0, "NR: whole vectors, so a vector from a multiple of VL stays in its panel");
TARGET static ALWAYS_INLINE void storePackedGates(float *row, int panel, int n, int j, const vec *v, int gates) {
    if (n % NR == 0 && n - j >= VL) {
        float *at = row + (size_t)((unsigned)j / NR) * panel + (unsigned)j % NR;
        const size_t gateStride = (size_t)(n / NR) * panel;
        for (int g = 0; g < gates; g++) VSTORE(at + g * gateStride, v[g]);
        return;
    }
    for (int g = 0; g < gates; g++) storePacked(row, panel, g * n + j, v[g], n - j);
}

TARGET void SET_FUNCTION(lstm_backward)(int batch, int hidden, const float *gates, const float *c,
                                        const float *tanhCNext, float *dh, float *dc, const float *dOutput,
                                        int ldOutput, float *dGates, float *dBias, float *packed, int packedK,
                                        int packedRow, int prefetchPrevious) {
    const int n = hidden;
    // step t−1 reads the gates and tanh(c) of t−1 and the c of t−2: one step back each
    const ptrdiff_t back = prefetchPrevious ? (ptrdiff_t)batch * 4 * n : 0, backState = back / 4;
    const vec one = VSET1(1.0f);
    for (int b = 0; b < batch; b++) {
        const float *gi = gates + (size_t)b * 4 * n, *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
        float *di = dGates ? dGates + (size_t)b * 4 * n : NULL, *df = di ? di + n : NULL;
        float *dg = di ? di + 2 * n : NULL, *dOut = di ? di + 3 * n : NULL;
        const float *cb = c + (size_t)b * n, *tn = tanhCNext + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *dhb = dh + (size_t)b * n, *dcb = dc + (size_t)b * n;
        int panel = 0;
        float *row = packed ? packed + SET_FUNCTION(packed_row)(packedK, 4 * n, packedRow + b, &panel) : NULL;
        for (int j = 0; j < n; j += VL) {
            if (back && LINE_START(j)) {
                PREFETCH_L2(gi + j - back);
                PREFETCH_L2(gf + j - back);
                PREFETCH_L2(gg + j - back);
                PREFETCH_L2(go + j - back);
                PREFETCH_L2(cb + j - backState);
                PREFETCH_L2(tn + j - backState);
            }
            const vec input = LOAD(gi), forget = LOAD(gf), cell = LOAD(gg), out = LOAD(go);
            const vec tc = LOAD(tn);
            const vec dhTotal = VADD(LOAD(dhb), LOAD(dy));
            const vec dcTotal = VADD(LOAD(dcb), VMUL(VMUL(dhTotal, out), VSUB(one, VMUL(tc, tc))));
            const vec dInput = VMUL(VMUL(VMUL(dcTotal, cell), input), VSUB(one, input));
            const vec dForget = VMUL(VMUL(VMUL(dcTotal, LOAD(cb)), forget), VSUB(one, forget));
            const vec dCell = VMUL(VMUL(dcTotal, input), VSUB(one, VMUL(cell, cell)));
            const vec dOutGate = VMUL(VMUL(VMUL(dhTotal, tc), out), VSUB(one, out));
            if (dGates) {
                STORE(di, dInput);
                STORE(df, dForget);
                STORE(dg, dCell);
                STORE(dOut, dOutGate);
            }
            STORE(dBias, VADD(LOAD(dBias), dInput));
            STORE(dBias + n, VADD(LOAD(dBias + n), dForget));
            STORE(dBias + 2 * n, VADD(LOAD(dBias + 2 * n), dCell));
            STORE(dBias + 3 * n, VADD(LOAD(dBias + 3 * n), dOutGate));
            if (row) storePackedGates(row, panel, n, j, (const vec[]){dInput, dForget, dCell, dOutGate}, 4);
            STORE(dcb, VMUL(dcTotal, forget));
        }
    }
}

/// u vectors (GU, or 1 at a row's end) of a GRU forward step's row from column j: the reset and
/// update gates of all of them, then their candidates. Loads and stores take the first n − i lanes
/// where fewer remain.
TARGET static ALWAYS_INLINE void gruForwardVectors(const int u, int j, int n, float *gr, const float *rr,
                                                  const float *br, const float *biasHN, const float *hb,
                                                  float *hnb, float *hNextb) {
    float *gz = gr + n, *gn = gr + 2 * n;
    const float *rz = rr + n, *rn = rr + 2 * n, *bz = br + n, *bn = br + 2 * n;
    const vec half = VSET1(0.5f);
    // s: u reset gates, then u update gates, as fastSigmoid's ½ + ½·tanh(x/2)
    vec s[2 * GU], hnj[GU], candidate[GU];
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        s[v] = VMUL(half, VADD(VADD(VLOADN(gr + i, left), VLOADN(rr + i, left)), VLOADN(br + i, left)));
        s[u + v] = VMUL(half, VADD(VADD(VLOADN(gz + i, left), VLOADN(rz + i, left)), VLOADN(bz + i, left)));
    }
    tanhLanesN(s, 2 * u);
    for (int v = 0; v < 2 * u; v++) s[v] = VADD(half, VMUL(half, s[v]));
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        hnj[v] = VADD(VLOADN(rn + i, left), VLOADN(biasHN + i, left));
        candidate[v] = VADD(VADD(VLOADN(gn + i, left), VLOADN(bn + i, left)), VMUL(s[v], hnj[v]));
    }
    tanhLanesN(candidate, u);
    for (int v = 0; v < u; v++) {
        const int i = j + v * VL, left = n - i;
        VSTOREN(gr + i, s[v], left);
        VSTOREN(gz + i, s[u + v], left);
        VSTOREN(gn + i, candidate[v], left);
        VSTOREN(hnb + i, hnj[v], left);
        VSTOREN(hNextb + i, VADD(candidate[v], VMUL(s[u + v], VSUB(VLOADN(hb + i, left), candidate[v]))), left);
    }
}

/// GRUCell.forward's step (GRUCell.swift), its operations in their order.
TARGET void SET_FUNCTION(gru_forward)(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                                      const float *biasHN, const float *h, float *hn, float *hNext) {
    const int n = hidden;
    for (int b = 0; b < batch; b++) {
        float *gr = gates + (size_t)b * 3 * n, *hnb = hn + (size_t)b * n, *hNextb = hNext + (size_t)b * n;
        const float *rr = recurrent + (size_t)b * 3 * n, *hb = h + (size_t)b * n;
        int j = 0;
        for (; j + GU * VL <= n; j += GU * VL) gruForwardVectors(GU, j, n, gr, rr, bias, biasHN, hb, hnb, hNextb);
        for (; j < n; j += VL) gruForwardVectors(1, j, n, gr, rr, bias, biasHN, hb, hnb, hNextb);
    }
}

/// GRUCell.backward's step; with dBias, also the sums and packed copies of lstm_backward's kind
/// (the chunked backward, Recurrent.swift): dBias (3H) += Σ_B dGates, dBiasHN (H) += Σ_B dn_pre ⊙ r,
/// and dGates and dGatesHidden into the packings `packed` and `packedHidden` (either may be NULL,
/// as may the plain dGates and dGatesHidden).
TARGET void SET_FUNCTION(gru_backward)(int batch, int hidden, const float *gates, const float *hn, const float *h,
                                       float *dh, const float *dOutput, int ldOutput, float *dGates,
                                       float *dGatesHidden, float *dBias, float *dBiasHN, float *packed,
                                       float *packedHidden, int packedK, int packedRow) {
    const int n = hidden;
    const vec one = VSET1(1.0f);
    for (int b = 0; b < batch; b++) {
        const float *gr = gates + (size_t)b * 3 * n, *gz = gr + n, *gn = gr + 2 * n;
        float *dr = dGates ? dGates + (size_t)b * 3 * n : NULL, *dz = dr ? dr + n : NULL, *dn = dr ? dr + 2 * n : NULL;
        float *dhr = dGatesHidden ? dGatesHidden + (size_t)b * 3 * n : NULL, *dhz = dhr ? dhr + n : NULL;
        float *dhn = dhr ? dhr + 2 * n : NULL;
        const float *hb = h + (size_t)b * n, *hnb = hn + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *dhb = dh + (size_t)b * n;
        int panel = 0;
        const size_t offset = packed || packedHidden ? SET_FUNCTION(packed_row)(packedK, 3 * n, packedRow + b, &panel) : 0;
        float *row = packed ? packed + offset : NULL, *rowHidden = packedHidden ? packedHidden + offset : NULL;
        for (int j = 0; j < n; j += VL) {
            const vec reset = LOAD(gr), update = LOAD(gz), candidate = LOAD(gn);
            const vec dhTotal = VADD(LOAD(dhb), LOAD(dy));
            const vec dnPre = VMUL(VMUL(dhTotal, VSUB(one, update)), VSUB(one, VMUL(candidate, candidate)));
            const vec dzPre = VMUL(VMUL(VMUL(dhTotal, VSUB(LOAD(hb), candidate)), update), VSUB(one, update));
            const vec drPre = VMUL(VMUL(VMUL(dnPre, LOAD(hnb)), reset), VSUB(one, reset));
            const vec dnHidden = VMUL(dnPre, reset);
            if (dr) {
                STORE(dr, drPre);
                STORE(dz, dzPre);
                STORE(dn, dnPre);
            }
            if (dhr) {
                STORE(dhr, drPre);
                STORE(dhz, dzPre);
                STORE(dhn, dnHidden);
            }
            if (dBias) {
                STORE(dBias, VADD(LOAD(dBias), drPre));
                STORE(dBias + n, VADD(LOAD(dBias + n), dzPre));
                STORE(dBias + 2 * n, VADD(LOAD(dBias + 2 * n), dnPre));
                STORE(dBiasHN, VADD(LOAD(dBiasHN), dnHidden));
            }
            if (row) storePackedGates(row, panel, n, j, (const vec[]){drPre, dzPre, dnPre}, 3);
            if (rowHidden) storePackedGates(rowHidden, panel, n, j, (const vec[]){drPre, dzPre, dnHidden}, 3);
            STORE(dhb, VMUL(dhTotal, update));
        }
    }
}

/// RNNCell.forward's step.
TARGET void SET_FUNCTION(rnn_forward)(int batch, int hidden, const float *gates, const float *recurrent,
                                      const float *bias, float *hNext) {
    const int n = hidden;
    for (int b = 0; b < batch; b++) {
        const float *x = gates + (size_t)b * n, *r = recurrent + (size_t)b * n;
        float *hb = hNext + (size_t)b * n;
        for (int j = 0; j < n; j += VL) STORE(hb, tanhLanes(VADD(VADD(LOAD(x), LOAD(r)), LOAD(bias))));
    }
}

/// RNNCell.backward's step; with dBias, dBias (H) += Σ_B dGates, and dGates into `packed` as
/// lstm_backward writes its own (either may be NULL, as may the plain dGates).
TARGET void SET_FUNCTION(rnn_backward)(int batch, int hidden, const float *hNext, const float *dh,
                                       const float *dOutput, int ldOutput, float *dGates, float *dBias,
                                       float *packed, int packedK, int packedRow) {
    const int n = hidden;
    const vec one = VSET1(1.0f);
    for (int b = 0; b < batch; b++) {
        const float *hb = hNext + (size_t)b * n, *dhb = dh + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *d = dGates ? dGates + (size_t)b * n : NULL;
        int panel = 0;
        float *row = packed ? packed + SET_FUNCTION(packed_row)(packedK, n, packedRow + b, &panel) : NULL;
        for (int j = 0; j < n; j += VL) {
            const vec hj = LOAD(hb);
            const vec dPre = VMUL(VADD(LOAD(dhb), LOAD(dy)), VSUB(one, VMUL(hj, hj)));
            if (d) STORE(d, dPre);
            if (dBias) STORE(dBias, VADD(LOAD(dBias), dPre));
            if (row) storePackedGates(row, panel, n, j, &dPre, 1);
        }
    }
}

TARGET void SET_FUNCTION(adam_update)(int n, float *p, const float *g, float *m, float *v, float decay, float l2,
                                      float w1, float beta2, float w2, float bc2Sqrt, float eps, float negStep) {
    const vec vDecay = VSET1(decay), vL2 = VSET1(l2), vW1 = VSET1(w1), vBeta2 = VSET1(beta2), vW2 = VSET1(w2);
    const vec vBc2 = VSET1(bc2Sqrt), vEps = VSET1(eps), vStep = VSET1(negStep);
    for (int j = 0; j < n; j += VL) {
        const vec theta = VMUL(LOAD(p), vDecay);
        const vec grad = VADD(LOAD(g), VMUL(vL2, theta));
        const vec m0 = LOAD(m);
        const vec m1 = VADD(m0, VMUL(vW1, VSUB(grad, m0)));
        const vec v1 = VADD(VMUL(LOAD(v), vBeta2), VMUL(VMUL(vW2, grad), grad));
        STORE(m, m1);
        STORE(v, v1);
        const vec denom = VADD(VDIV(VSQRT(v1), vBc2), vEps);
        STORE(p, VADD(theta, VDIV(VMUL(vStep, m1), denom)));
    }
}

#undef LOAD
#undef STORE
