// The NEON kernel set (aarch64: Graviton, Ampere, Apple silicon under Linux). The GEMM's
// micro-kernel is 8×12, as BLIS's and OpenBLAS's ARMv8 kernels: 24 of the 32 q registers
// accumulate, three hold a row of B and one a broadcast of A. The LSTM step and Adam run on
// four lanes with the Swift loops' operations (vfmaq exactly where fastTanh fuses).
#include "kernel_sets.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

#define SET neon
#define TARGET

#define VL 4
typedef float32x4_t vec;
#define VZERO() vdupq_n_f32(0.0f)
#define VSET1(x) vdupq_n_f32(x)
#define VLOAD(p) vld1q_f32(p)
#define VSTORE(p, v) vst1q_f32(p, v)
#define VADD(a, b) vaddq_f32(a, b)
#define VSUB(a, b) vsubq_f32(a, b)
#define VMUL(a, b) vmulq_f32(a, b)
#define VDIV(a, b) vdivq_f32(a, b)
#define VSQRT(a) vsqrtq_f32(a)
#define VFMA(acc, a, b) vfmaq_f32(acc, a, b)
#define VMULADD(a, b, c) vfmaq_f32(c, a, b)
// a select on the comparison, as the Swift `replacing(where:)`: NaN compares false and passes
#define VCLAMP_BELOW(x, lo) vbslq_f32(vcltq_f32(x, lo), lo, x)
#define VCLAMP_ABOVE(x, hi) vbslq_f32(vcgtq_f32(x, hi), hi, x)

/// The first n lanes of p (n ≥ 4: all four), the others zero.
static inline float32x4_t loadFirst(const float *p, int n) {
    if (n >= 4) return vld1q_f32(p);
    float t[4] = {0, 0, 0, 0};
    memcpy(t, p, (size_t)(n > 0 ? n : 0) * sizeof(float));
    return vld1q_f32(t);
}

/// Stores the first n lanes of v at p.
static inline void storeFirst(float *p, float32x4_t v, int n) {
    if (n >= 4) {
        vst1q_f32(p, v);
        return;
    }
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)(n > 0 ? n : 0) * sizeof(float));
}
#define VLOADN(p, n) loadFirst(p, n)
#define VSTOREN(p, v, n) storeFirst(p, v, n)

enum { MR = 8, HALF_MR = 4, NR = 12, KC = 252, MC = 64, NC = 1008, TB = 4, GU = 2 };
/// directStride1's constant: panel rows are built with plain copies, as in the portable set
#define STRIDE1_JUNK_LIMIT 8

/// One step of the micro-kernel on a packed A slab: its 8 values in two registers, each row's
/// FMAs taking its value by lane (fmla by element), where broadcasts would hold 8 registers and
/// make GCC spill accumulators.
#define SET_PACKED_STEP(rows, acc, ap, bv)                                    \
    do {                                                                      \
        const float32x4_t a0_ = vld1q_f32(ap);                                \
        UNROLL for (int v = 0; v < NV; v++) {                                 \
            acc[0][v] = vfmaq_laneq_f32(acc[0][v], bv[v], a0_, 0);            \
            acc[1][v] = vfmaq_laneq_f32(acc[1][v], bv[v], a0_, 1);            \
            acc[2][v] = vfmaq_laneq_f32(acc[2][v], bv[v], a0_, 2);            \
            acc[3][v] = vfmaq_laneq_f32(acc[3][v], bv[v], a0_, 3);            \
        }                                                                     \
        if (rows > 4) {                                                       \
            const float32x4_t a1_ = vld1q_f32((ap) + 4);                      \
            UNROLL for (int v = 0; v < NV; v++) {                             \
                acc[4][v] = vfmaq_laneq_f32(acc[4][v], bv[v], a1_, 0);        \
                acc[5][v] = vfmaq_laneq_f32(acc[5][v], bv[v], a1_, 1);        \
                acc[6][v] = vfmaq_laneq_f32(acc[6][v], bv[v], a1_, 2);        \
                acc[7][v] = vfmaq_laneq_f32(acc[7][v], bv[v], a1_, 3);        \
            }                                                                 \
        }                                                                     \
    } while (0)

#define SET_TRANSPOSE_ROWS
/// sgemm_template.h's transposeRows on one 4×4 register transpose.
static void transposeRows(const float *const *rows, int count, int cols, float *dst, int ldd, int width) {
    float32x4_t r[4];
    for (int i = 0; i < 4; i++) r[i] = i < count ? loadFirst(rows[i], cols) : vdupq_n_f32(0.0f);
    const float32x4x2_t t01 = vtrnq_f32(r[0], r[1]), t23 = vtrnq_f32(r[2], r[3]);  // a0 b0 a2 b2 / a1 b1 a3 b3
    const float32x4_t columns[4] = {
        vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0])),
        vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1])),
        vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0])),
        vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1])),
    };
    for (int q = 0; q < cols; q++) storeFirst(dst + (size_t)q * ldd, columns[q], width);
}

#include "sgemm_template.h"
#include "lstm_adam_template.h"

// The LSTM backward writes its packed dGates lane by lane where a vector would cross a panel.
SET_TABLE(1);

#endif
