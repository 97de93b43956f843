// The AVX2+FMA kernel set: CPUs without AVX-512 (AMD Zen 2/3, many Intel parts). The GEMM's
// micro-kernel is BLIS's Haswell shape, 6×16: twelve ymm accumulators, two B loads and six
// broadcasts per step, which keeps both FMA ports busy with four of the sixteen registers
// left for B and A. Functions carry their target attribute, so the file builds with the
// project's flags (no -m options) and runs only where sweep_kernels_named checked the CPU.
#include "kernel_sets.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define SET avx2
#define TARGET __attribute__((target("avx2,fma")))

#define VL 8
typedef __m256 vec;
#define VZERO() _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VSQRT(a) _mm256_sqrt_ps(a)
#define VFMA(acc, a, b) _mm256_fmadd_ps(a, b, acc)
#define VMULADD(a, b, c) _mm256_fmadd_ps(a, b, c)
// max and min return their second operand, x, when x is NaN
#define VCLAMP_BELOW(x, lo) _mm256_max_ps(lo, x)
#define VCLAMP_ABOVE(x, hi) _mm256_min_ps(hi, x)

/// Lanes [0, n) of a mask (n ≤ 8): -1 in those, 0 in the others.
static const int32_t laneMasks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
TARGET static inline __m256i firstLanes(int n) {
    return _mm256_loadu_si256((const __m256i *)(laneMasks + 8 - (n < 8 ? (n > 0 ? n : 0) : 8)));
}
#define VLOADN(p, n) ((n) >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, firstLanes(n)))
#define VSTOREN(p, v, n) ((n) >= 8 ? _mm256_storeu_ps(p, v) : _mm256_maskstore_ps(p, firstLanes(n), v))

/// Lanes [lo, hi) of eight, as a maskload's mask: lane l is in when !(lo > l) && hi > l.
TARGET static inline __m256i lanesBetween(int lo, int hi) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), lanes),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lanes));
}
typedef __m256i laneMask;
#define LANE_MASK(lo, hi) lanesBetween(lo, hi)
// masked-off lanes load zero and the runs' lanes are disjoint: or joins them exactly
#define VLOAD_MERGE(v, mask, p) _mm256_or_ps(v, _mm256_maskload_ps(p, mask))

enum { MR = 6, HALF_MR = 4, NR = 16, KC = 256, MC = 72, NC = 1024, TB = 8, GU = 4 };
/// multiplyTransposed's dot products for up to half a panel: LeNet5's fc1 (50×1024×4096) went
/// from 80 to 91 GFLOP/s on a Zen 4 with them for its last 2 columns, 54 rows from 81 to 84
#define DOT_COLUMNS 8
/// directStride1: a panel row of 16 positions takes a few cycles to build (masked loads) and
/// feeds OC cycles of FMAs, against the junk's (K − 1) / Wp; 6 as measured on LeNet5 and 3×3 CNNs.
#define STRIDE1_JUNK_LIMIT 6
/// The 6×16 step is 12 FMAs on the two FMA ports: one step per iteration left its counter and
/// address updates competing with them (lstm-128's step GEMM 107 -> 114 GFLOP/s with both the
/// unrolling and sgemm_template.h's tileRows).
#define K_UNROLL_COUNT 4

/// Transposes 8 rows of 8 floats in registers (r[i][j] -> r[j][i]).
TARGET static inline void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // a0 b0 c0 d0 | a4 b4 c4 d4
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // column 1 | 5
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));  // 2 | 6
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));  // 3 | 7
    }
    for (int q = 0; q < 4; q++) {
        r[q] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x20);
        r[q + 4] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x31);
    }
}

/// transpose8 of eight full rows read from memory: each vector is assembled from two rows'
/// halves as it is loaded (vinsertf128 from memory runs beside the loads, not on the shuffle
/// port), which leaves two in-lane 4×4 transposes: 16 shuffles instead of 24, none crossing
/// lanes. The packings of a transposed op(B) and op(A) are bound by these shuffles.
TARGET static inline void transpose8Loaded(const float *const *rows, __m256 r[8]) {
    __m256 x[8];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 4; i++)
            x[4 * h + i] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(rows[i] + 4 * h)),
                                                _mm_loadu_ps(rows[i + 4] + 4 * h), 1);
    // x[4h + i] = row i, columns 4h…4h+3 | row i + 4, same columns
    for (int h = 0; h < 2; h++) {
        const __m256 *y = x + 4 * h;
        const __m256 t0 = _mm256_unpacklo_ps(y[0], y[1]), t1 = _mm256_unpackhi_ps(y[0], y[1]);
        const __m256 t2 = _mm256_unpacklo_ps(y[2], y[3]), t3 = _mm256_unpackhi_ps(y[2], y[3]);
        r[4 * h + 0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * h + 1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * h + 2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * h + 3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    }
}

#define SET_TRANSPOSE_ROWS
/// sgemm_template.h's transposeRows on one 8×8 register transpose. Rows of 6 (A slabs) are
/// stored in two halves, not with a masked store, which AMD's cores run slowly.
TARGET static void transposeRows(const float *const *rows, int count, int cols, float *dst, int ldd, int width) {
    __m256 r[8];
    if (count == 8 && cols == 8) {
        transpose8Loaded(rows, r);
    } else {
        const __m256i colMask = firstLanes(cols);
        for (int i = 0; i < 8; i++)
            r[i] = i >= count ? _mm256_setzero_ps() : cols == 8 ? _mm256_loadu_ps(rows[i]) : _mm256_maskload_ps(rows[i], colMask);
        transpose8(r);
    }
    for (int q = 0; q < cols; q++) {
        float *d = dst + (size_t)q * ldd;
        if (width == 8) {
            _mm256_storeu_ps(d, r[q]);
        } else if (width == 6) {
            _mm_storeu_ps(d, _mm256_castps256_ps128(r[q]));
            _mm_storel_pi((__m64 *)(d + 4), _mm256_extractf128_ps(r[q], 1));
        } else {
            float t[8];
            _mm256_storeu_ps(t, r[q]);
            for (int i = 0; i < width; i++) d[i] = t[i];
        }
    }
}

#include "sgemm_template.h"
#include "lstm_adam_template.h"

// The LSTM backward writes its packed dGates lane by lane where a vector would cross a panel.
SET_TABLE(1);

#endif
