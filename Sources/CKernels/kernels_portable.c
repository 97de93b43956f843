// The portable kernel set: plain C for every CPU, the reference the SIMD sets are tested
// against, and on aarch64 what runs everything but the GEMM's NEON set... only where NEON's
// own loops are not faster. The GEMM is sgemm_template.h on one-float "vectors": the tile's
// rows of 16 independent sums are what the compiler's vectoriser turns into the baseline
// vectors (SSE2, NEON). The cells' steps and Adam are the Swift loops element by element.
#include "kernel_sets.h"
#include <math.h>

// No a·b + c contracted into one FMA: the element loops round as the Swift code does, with
// fmaf exactly where it fuses (clang honours the STDC pragma, GCC its optimize pragma).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define SET portable
#define TARGET

#define VL 1
typedef float vec;
#define VZERO() 0.0f
#define VSET1(x) (x)
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VADD(a, b) ((a) + (b))
#define VFMA(acc, a, b) ((acc) + (a) * (b))

enum { MR = 4, HALF_MR = 2, NR = 16, KC = 256, MC = 64, NC = 1024, TB = 8 };
/// directStride1's constant: building a panel row is slow here (plain copies), the junk's FMAs as slow
#define STRIDE1_JUNK_LIMIT 8

#include "sgemm_template.h"

/// fastTanh (FastMath.swift): Eigen's odd 13/6 rational approximation, inputs clamped to ±7.9053
/// (`replacing(where:)`: a NaN compares false and passes).
static inline float tanhScalar(float x) {
    const float c = 7.90531110763549805f;
    x = x < -c ? -c : x;
    x = x > c ? c : x;
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = fmaf(p, x2, 2.00018790482477e-13f);
    p = fmaf(p, x2, -8.60467152213735e-11f);
    p = fmaf(p, x2, 5.12229709037114e-08f);
    p = fmaf(p, x2, 1.48572235717979e-05f);
    p = fmaf(p, x2, 6.37261928875436e-04f);
    p = fmaf(p, x2, 4.89352455891786e-03f);
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = fmaf(q, x2, 1.18534705686654e-04f);
    q = fmaf(q, x2, 2.26843463243900e-03f);
    q = fmaf(q, x2, 4.89352518554385e-03f);
    return p / q;
}

/// fastSigmoid: ½ + ½·tanh(x/2).
static inline float sigmoidScalar(float x) { return 0.5f + 0.5f * tanhScalar(0.5f * x); }

void sweep_portable_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                                 const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext) {
    (void)prefetchNext;  // a hint the SIMD sets take
    const int n = hidden;
    const float *bi = bias, *bf = bias + n, *bg = bias + 2 * n, *bo = bias + 3 * n;
    for (int b = 0; b < batch; b++) {
        float *gi = gates + (size_t)b * 4 * n, *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
        const float *ri = recurrent + (size_t)b * 4 * n, *rf = ri + n, *rg = ri + 2 * n, *ro = ri + 3 * n;
        const float *cb = c + (size_t)b * n;
        float *cn = cNext + (size_t)b * n, *hn = hNext + (size_t)b * n, *tn = tanhCNext + (size_t)b * n;
        for (int j = 0; j < n; j++) {
            const float input = sigmoidScalar(gi[j] + ri[j] + bi[j]);
            const float forget = sigmoidScalar(gf[j] + rf[j] + bf[j]);
            const float cell = tanhScalar(gg[j] + rg[j] + bg[j]);
            const float out = sigmoidScalar(go[j] + ro[j] + bo[j]);
            const float cj = forget * cb[j] + input * cell;
            gi[j] = input;
            gf[j] = forget;
            gg[j] = cell;
            go[j] = out;
            const float tc = tanhScalar(cj);
            cn[j] = cj;
            tn[j] = tc;
            hn[j] = out * tc;
        }
    }
}

void sweep_portable_lstm_backward(int batch, int hidden, const float *gates, const float *c,
                                  const float *tanhCNext, float *dh, float *dc, const float *dOutput, int ldOutput,
                                  float *dGates, float *dBias, float *packed, int packedK, int packedRow,
                                  int prefetchPrevious) {
    (void)prefetchPrevious;
    const int n = hidden;
    float *dbi = dBias, *dbf = dBias + n, *dbg = dBias + 2 * n, *dbo = dBias + 3 * n;
    for (int b = 0; b < batch; b++) {
        const float *gi = gates + (size_t)b * 4 * n, *gf = gi + n, *gg = gi + 2 * n, *go = gi + 3 * n;
        const float *cb = c + (size_t)b * n, *tn = tanhCNext + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *dhb = dh + (size_t)b * n, *dcb = dc + (size_t)b * n;
        // the packed copy: column col of this row at row + (col / NR)·panel + col % NR
        int panel = 0;
        float *row = packed ? packed + sweep_portable_packed_row(packedK, 4 * n, packedRow + b, &panel) : NULL;
        for (int j = 0; j < n; j++) {
            const float input = gi[j], forget = gf[j], cell = gg[j], out = go[j], tc = tn[j];
            const float dhTotal = dhb[j] + dy[j];
            const float dcTotal = dcb[j] + dhTotal * out * (1 - tc * tc);
            const float d[4] = {
                dcTotal * cell * input * (1 - input),     // input gate
                dcTotal * cb[j] * forget * (1 - forget),  // forget gate
                dcTotal * input * (1 - cell * cell),      // cell
                dhTotal * tc * out * (1 - out),           // output gate
            };
            for (int q = 0; q < 4; q++) {
                const int col = q * n + j;
                if (dGates) dGates[(size_t)b * 4 * n + col] = d[q];
                if (row) row[(size_t)(col / NR) * panel + col % NR] = d[q];
            }
            dbi[j] = dbi[j] + d[0];
            dbf[j] = dbf[j] + d[1];
            dbg[j] = dbg[j] + d[2];
            dbo[j] = dbo[j] + d[3];
            dcb[j] = dcTotal * forget;
        }
    }
}

void sweep_portable_gru_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                                const float *biasHN, const float *h, float *hn, float *hNext) {
    const int n = hidden;
    const float *br = bias, *bz = bias + n, *bn = bias + 2 * n;
    for (int b = 0; b < batch; b++) {
        float *gr = gates + (size_t)b * 3 * n, *gz = gr + n, *gn = gr + 2 * n;
        const float *rr = recurrent + (size_t)b * 3 * n, *rz = rr + n, *rn = rr + 2 * n;
        const float *hb = h + (size_t)b * n;
        float *hnb = hn + (size_t)b * n, *hNextb = hNext + (size_t)b * n;
        for (int j = 0; j < n; j++) {
            const float reset = sigmoidScalar(gr[j] + rr[j] + br[j]);
            const float update = sigmoidScalar(gz[j] + rz[j] + bz[j]);
            const float hnj = rn[j] + biasHN[j];
            const float candidate = tanhScalar(gn[j] + bn[j] + reset * hnj);
            gr[j] = reset;
            gz[j] = update;
            gn[j] = candidate;
            hnb[j] = hnj;
            hNextb[j] = candidate + update * (hb[j] - candidate);
        }
    }
}

void sweep_portable_gru_backward(int batch, int hidden, const float *gates, const float *hn, const float *h,
                                 float *dh, const float *dOutput, int ldOutput, float *dGates, float *dGatesHidden,
                                 float *dBias, float *dBiasHN, float *packed, float *packedHidden, int packedK,
                                 int packedRow) {
    const int n = hidden;
    for (int b = 0; b < batch; b++) {
        const float *gr = gates + (size_t)b * 3 * n, *gz = gr + n, *gn = gr + 2 * n;
        const float *hb = h + (size_t)b * n, *hnb = hn + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        float *dhb = dh + (size_t)b * n;
        int panel = 0;
        const size_t offset = packed || packedHidden ? sweep_portable_packed_row(packedK, 3 * n, packedRow + b, &panel) : 0;
        for (int j = 0; j < n; j++) {
            const float reset = gr[j], update = gz[j], candidate = gn[j];
            const float dhTotal = dhb[j] + dy[j];
            const float dnPre = dhTotal * (1 - update) * (1 - candidate * candidate);
            const float dzPre = dhTotal * (hb[j] - candidate) * update * (1 - update);
            const float drPre = dnPre * hnb[j] * reset * (1 - reset);
            const float d[3] = {drPre, dzPre, dnPre}, dHidden[3] = {drPre, dzPre, dnPre * reset};
            for (int q = 0; q < 3; q++) {
                const int col = q * n + j;
                const size_t at = offset + (size_t)(col / NR) * panel + col % NR;
                if (dGates) dGates[(size_t)b * 3 * n + col] = d[q];
                if (dGatesHidden) dGatesHidden[(size_t)b * 3 * n + col] = dHidden[q];
                if (dBias) dBias[col] = dBias[col] + d[q];
                if (packed) packed[at] = d[q];
                if (packedHidden) packedHidden[at] = dHidden[q];
            }
            if (dBias) dBiasHN[j] = dBiasHN[j] + dHidden[2];
            dhb[j] = dhTotal * update;
        }
    }
}

void sweep_portable_rnn_forward(int batch, int hidden, const float *gates, const float *recurrent, const float *bias,
                                float *hNext) {
    const int n = hidden;
    for (int b = 0; b < batch; b++) {
        const float *x = gates + (size_t)b * n, *r = recurrent + (size_t)b * n;
        float *hb = hNext + (size_t)b * n;
        for (int j = 0; j < n; j++) hb[j] = tanhScalar(x[j] + r[j] + bias[j]);
    }
}

void sweep_portable_rnn_backward(int batch, int hidden, const float *hNext, const float *dh, const float *dOutput,
                                 int ldOutput, float *dGates, float *dBias, float *packed, int packedK, int packedRow) {
    const int n = hidden;
    for (int b = 0; b < batch; b++) {
        const float *hb = hNext + (size_t)b * n, *dhb = dh + (size_t)b * n, *dy = dOutput + (size_t)b * ldOutput;
        int panel = 0;
        float *row = packed ? packed + sweep_portable_packed_row(packedK, n, packedRow + b, &panel) : NULL;
        for (int j = 0; j < n; j++) {
            const float d = (dhb[j] + dy[j]) * (1 - hb[j] * hb[j]);
            if (dGates) dGates[(size_t)b * n + j] = d;
            if (dBias) dBias[j] = dBias[j] + d;
            if (row) row[(size_t)(j / NR) * panel + j % NR] = d;
        }
    }
}

void sweep_portable_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2,
                                float w1, float beta2, float w2, float bc2Sqrt, float eps, float negStep) {
    // Optimizer.swift's adamLanes, one lane at a time
    for (int i = 0; i < n; i++) {
        const float theta = p[i] * decay;
        const float grad = g[i] + l2 * theta;
        const float m1 = m[i] + w1 * (grad - m[i]);
        const float v1 = v[i] * beta2 + w2 * grad * grad;
        m[i] = m1;
        v[i] = v1;
        const float denom = sqrtf(v1) / bc2Sqrt + eps;
        p[i] = theta + negStep * m1 / denom;
    }
}

// The LSTM backward writes its packed dGates element by element: any hidden size.
SET_TABLE(1);
