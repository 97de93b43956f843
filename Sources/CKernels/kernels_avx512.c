// The AVX-512 kernel set (F, BW, VL, DQ and FMA: Intel Skylake-SP and later, AMD Zen 4 and
// later). The GEMM's micro-kernel is 8×32: sixteen zmm accumulators, two B loads and eight
// broadcasts per step, with half of the 32 registers free for B, A and the edges' masks.
// Packing and the im2col panels use masked loads and stores, which AVX-512 runs at full
// speed. Functions carry their target attribute, so the file builds with the project's flags
// (no -m options) and runs only where sweep_kernels_named checked the CPU.
//
// Why not OpenBLAS there: with OPENBLAS_CORETYPE=Haswell, as this project's machines set it,
// OpenBLAS runs its AVX2 kernels, and a CPU with AVX-512 does twice their FMAs per cycle.
#include "kernel_sets.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define SET avx512
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

#define VL 16
typedef __m512 vec;
#define VZERO() _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps(p, v)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define VDIV(a, b) _mm512_div_ps(a, b)
#define VSQRT(a) _mm512_sqrt_ps(a)
#define VFMA(acc, a, b) _mm512_fmadd_ps(a, b, acc)
#define VMULADD(a, b, c) _mm512_fmadd_ps(a, b, c)
// max and min return their second operand, x, when x is NaN
#define VCLAMP_BELOW(x, lo) _mm512_max_ps(lo, x)
#define VCLAMP_ABOVE(x, hi) _mm512_min_ps(hi, x)

/// Lanes [0, n) (none for n ≤ 0, all sixteen for n ≥ 16).
static inline __mmask16 firstLanes(int n) { return (__mmask16)(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1); }
#define VLOADN(p, n) _mm512_maskz_loadu_ps(firstLanes(n), p)
#define VSTOREN(p, v, n) _mm512_mask_storeu_ps(p, firstLanes(n), v)
/// Lanes [lo, hi) of sixteen (clipped to them).
static inline __mmask16 lanesBetween(int lo, int hi) { return (__mmask16)(firstLanes(hi) & ~firstLanes(lo)); }
#define VSTORE_LANES(p, v, lo, hi) _mm512_mask_storeu_ps(p, lanesBetween(lo, hi), v)
// the edges of tiles and a convolution's runs of output go straight from the registers
#define SET_MASKED_EDGES
typedef __mmask16 laneMask;
#define LANE_MASK(lo, hi) lanesBetween(lo, hi)
#define VLOAD_MERGE(v, mask, p) _mm512_mask_loadu_ps(v, mask, p)

enum { MR = 8, HALF_MR = 4, NR = 32, KC = 256, MC = 64, NC = 1024, TB = 16, GU = 2 };
/// directStride1: a panel row of 32 positions takes some 8 cycles to build and feeds OC / 2
/// cycles of FMAs, against the junk's (K − 1) / Wp.
#define STRIDE1_JUNK_LIMIT 16

/// Transposes 16 rows of 16 floats in registers (r[i][j] -> r[j][i]).
TARGET static inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5 | …
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | …
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // abcd of columns 0, 4, 8, 12
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // columns 1, 5, 9, 13
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int q = 0; q < 4; q++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88), v1 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88);
        __m512 v2 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xdd), v3 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xdd);
        r[q] = _mm512_shuffle_f32x4(v0, v1, 0x88);
        r[q + 8] = _mm512_shuffle_f32x4(v0, v1, 0xdd);
        r[q + 4] = _mm512_shuffle_f32x4(v2, v3, 0x88);
        r[q + 12] = _mm512_shuffle_f32x4(v2, v3, 0xdd);
    }
}

#define SET_TRANSPOSE_ROWS
/// sgemm_template.h's transposeRows on one 16×16 register transpose, edges masked.
TARGET static void transposeRows(const float *const *rows, int count, int cols, float *dst, int ldd, int width) {
    const __mmask16 columns = firstLanes(cols), lanes = firstLanes(width);
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = i < count ? _mm512_maskz_loadu_ps(columns, rows[i]) : _mm512_setzero_ps();
    transpose16(r);
    for (int q = 0; q < cols; q++) _mm512_mask_storeu_ps(dst + (size_t)q * ldd, lanes, r[q]);
}

#include "sgemm_template.h"

#include "lstm_adam_template.h"

// The LSTM backward writes its packed dGates lane by lane where a vector would cross a panel.
SET_TABLE(1);

#endif
