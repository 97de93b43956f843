// The LSTM cell's fused step (LSTMCell.swift) on sixteen lanes. The Swift loops run
// on eight AVX2 lanes with 16 registers, where the five rational tanh/sigmoid of an
// element spill their constants; here they run twice as wide with 32 registers.
// Each operation is the Swift code's, in its order (fused multiply-adds exactly where
// fastTanh has them, separate multiply and add elsewhere), so both paths give the
// same bits: LSTMCellTests compares them.
#include "CKernels.h"

#if defined(__x86_64__)

// No a·b + c contracted into one FMA, whichever compiler builds this (GCC's intrinsics are
// plain vector arithmetic, which its default -ffp-contract=fast would fuse).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

/// fastTanh (FastMath.swift): Eigen's odd 13/6 rational approximation, inputs clamped to ±7.9053.
AVX512 static inline __m512 tanh16(__m512 x) {
    const __m512 c = _mm512_set1_ps(7.90531110763549805f), nc = _mm512_set1_ps(-7.90531110763549805f);
    // the Swift code's `replacing(where: x < −c)` and `(where: x > c)`: max and min return
    // their second operand, x, when x is NaN, so NaN passes as there
    x = _mm512_max_ps(nc, x);
    x = _mm512_min_ps(c, x);
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-2.76076847742355e-16f);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.00018790482477e-13f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-8.60467152213735e-11f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(5.12229709037114e-08f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(1.48572235717979e-05f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(6.37261928875436e-04f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(4.89352455891786e-03f));
    p = _mm512_mul_ps(p, x);
    __m512 q = _mm512_set1_ps(1.19825839466702e-06f);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(1.18534705686654e-04f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(2.26843463243900e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(4.89352518554385e-03f));
    return _mm512_div_ps(p, q);
}

/// fastSigmoid: ½ + ½·tanh(x/2).
AVX512 static inline __m512 sigmoid16(__m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f);
    return _mm512_add_ps(half, _mm512_mul_ps(half, tanh16(_mm512_mul_ps(half, x))));
}

static inline __mmask16 lanesFrom(int j, int n) { return n - j >= 16 ? 0xFFFF : (__mmask16)((1u << (n - j)) - 1); }

#define LOAD(p) _mm512_maskz_loadu_ps(k, (p) + j)
#define STORE(p, v) _mm512_mask_storeu_ps((p) + j, k, v)
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps

/// Asks for the line at p in L2 (a step's data that the next call reads).
#define PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T1)

AVX512 void sweep_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                               const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext) {
    const int n = hidden;
    const ptrdiff_t ahead = prefetchNext ? (ptrdiff_t)batch * 4 * n : 0;
    const float *bi = bias, *bf = bias + n, *bg = bias + 2 * n, *bo = bias + 3 * n;
    for (int b = 0; b < batch; b++) {
        float *gi = gates + (size_t)b * 4 * n, *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
        const float *ri = recurrent + (size_t)b * 4 * n, *rf = ri + n, *rg = ri + 2 * n, *ro = ri + 3 * n;
        const float *cb = c + (size_t)b * n;
        float *cn = cNext + (size_t)b * n, *hn = hNext + (size_t)b * n, *tn = tanhCNext + (size_t)b * n;
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanesFrom(j, n);
            if (ahead) {
                PREFETCH(gi + j + ahead);
                PREFETCH(gf + j + ahead);
                PREFETCH(gg + j + ahead);
                PREFETCH(go + j + ahead);
                PREFETCH(cn + j + ahead / 4);  // the next step's c, tanh c and h slots
                PREFETCH(tn + j + ahead / 4);
                PREFETCH(hn + j + ahead / 4);
            }
            __m512 input = sigmoid16(ADD(ADD(LOAD(gi), LOAD(ri)), LOAD(bi)));
            __m512 forget = sigmoid16(ADD(ADD(LOAD(gf), LOAD(rf)), LOAD(bf)));
            __m512 cell = tanh16(ADD(ADD(LOAD(gg), LOAD(rg)), LOAD(bg)));
            __m512 out = sigmoid16(ADD(ADD(LOAD(go), LOAD(ro)), LOAD(bo)));
            __m512 cj = ADD(MUL(forget, LOAD(cb)), MUL(input, cell));
            STORE(gi, input);
            STORE(gf, forget);
            STORE(gg, cell);
            STORE(go, out);
            __m512 tc = tanh16(cj);
            STORE(cn, cj);
            STORE(tn, tc);
            STORE(hn, MUL(out, tc));
        }
    }
}

AVX512 void sweep_lstm_backward(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                                float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates,
                                float *dBias, float *packed, int packedK, int packedRow, int prefetchPrevious) {
    const int n = hidden;
    // step t−1 reads the gates and tanh(c) of t−1 and the c of t−2: one step back each
    const ptrdiff_t back = prefetchPrevious ? (ptrdiff_t)batch * 4 * n : 0, backState = back / 4;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int b = 0; b < batch; b++) {
        const float *gi = gates + (size_t)b * 4 * n, *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
        float *di = dGates ? dGates + (size_t)b * 4 * n : NULL, *df = di ? di + n : NULL;
        float *dg = di ? di + 2 * n : NULL, *dOut = di ? di + 3 * n : NULL;
        const float *cb = c + (size_t)b * n, *tn = tanhCNext + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *dhb = dh + (size_t)b * n, *dcb = dc + (size_t)b * n;
        // the packed copy: column col of this row at row + (col / 32)·panel + col % 32
        int panel = 0;
        float *row = packed ? packed + sweep_sgemm_packed_row(packedK, 4 * n, packedRow + b, &panel) : NULL;
#define PACKED(col) (row + (size_t)((col) / 32) * panel + (col) % 32)
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanesFrom(j, n);
            if (back) {
                PREFETCH(gi + j - back);
                PREFETCH(gf + j - back);
                PREFETCH(gg + j - back);
                PREFETCH(go + j - back);
                PREFETCH(cb + j - backState);
                PREFETCH(tn + j - backState);
            }
            __m512 input = LOAD(gi), forget = LOAD(gf), cell = LOAD(gg), out = LOAD(go);
            __m512 tc = LOAD(tn);
            __m512 dhTotal = ADD(LOAD(dhb), LOAD(dy));
            __m512 dcTotal = ADD(LOAD(dcb), MUL(MUL(dhTotal, out), SUB(one, MUL(tc, tc))));
            __m512 dInput = MUL(MUL(MUL(dcTotal, cell), input), SUB(one, input));
            __m512 dForget = MUL(MUL(MUL(dcTotal, LOAD(cb)), forget), SUB(one, forget));
            __m512 dCell = MUL(MUL(dcTotal, input), SUB(one, MUL(cell, cell)));
            __m512 dOutGate = MUL(MUL(MUL(dhTotal, tc), out), SUB(one, out));
            if (dGates) {
                STORE(di, dInput);
                STORE(df, dForget);
                STORE(dg, dCell);
                STORE(dOut, dOutGate);
            }
            STORE(dBias, ADD(LOAD(dBias), dInput));
            STORE(dBias + n, ADD(LOAD(dBias + n), dForget));
            STORE(dBias + 2 * n, ADD(LOAD(dBias + 2 * n), dCell));
            STORE(dBias + 3 * n, ADD(LOAD(dBias + 3 * n), dOutGate));
            if (row) {
                // n % 16 == 0: each 16 lanes lie inside one panel of 32 columns
                _mm512_storeu_ps(PACKED(j), dInput);
                _mm512_storeu_ps(PACKED(n + j), dForget);
                _mm512_storeu_ps(PACKED(2 * n + j), dCell);
                _mm512_storeu_ps(PACKED(3 * n + j), dOutGate);
            }
            STORE(dcb, MUL(dcTotal, forget));
        }
#undef PACKED
    }
}

#else

// Never called where sweep_has_avx512() is false; they keep the legacy names linkable.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdlib.h>

void sweep_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                        const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext) { abort(); }

void sweep_lstm_backward(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                         float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates,
                         float *dBias, float *packed, int packedK, int packedRow, int prefetchPrevious) { abort(); }

#endif
