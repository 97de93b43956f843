// A single-precision GEMM on AVX-512, for the engine's GEMM shapes (M of 32–1024
// rows, K from 28 to 3136). It follows GotoBLAS/BLIS: B is packed in panels of
// 32 columns (K_C × 32, kept in L1 while 8-row slabs of A stream past it), A in
// slabs of 8 rows (M_C × K_C, kept in L2), and an 8×32 micro-kernel holds its tile
// in 16 zmm accumulators. Packing pads the edges with zeros; the edges of C are
// written with masked stores. Every element of C is a sum over k in the same
// order on every call: results are deterministic.
//
// Why not OpenBLAS: on this project's machines OpenBLAS runs its AVX2 (Haswell)
// kernels — OPENBLAS_CORETYPE=Haswell is set in the environment, and OpenBLAS is
// left to obey it. Its AVX2 sgemm reaches ~100 GFLOP/s; the same CPU (Zen 5) does
// twice the FMAs per cycle on 512-bit vectors.
#include "CKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

#include <immintrin.h>

bool sweep_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

enum { MR = 8, NR = 32, KC = 256, MC = 64, NC = 1024 };
/// Largest op(A) block (floats, 64 KB) that the kernel reads in place instead of packing.
enum { DIRECT_A = 64 * 256 };

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

/// Packing buffers, one pair per thread (training slots run on their own threads),
/// allocated on the first call and kept: nothing is allocated per GEMM.
static _Thread_local float *packedA, *packedB;

static float *aligned(size_t floats) {
    void *p = NULL;
    if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) abort();
    return p;
}

/// Transposes 16 rows of 16 floats in registers (r[i][j] -> r[j][i]).
AVX512 static inline void transpose16(__m512 r[16]) {
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

static inline __mmask16 firstLanes(int n) { return (__mmask16)(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1); }

/// rows (count ≤ 16, each `ld` apart, the first at `src`) × columns [p0, p0+kc) of a row-major
/// matrix, transposed: for each p, `store(p, v)` gets the 16 rows' values at column p0+p
/// (rows ≥ count zero).
#define TRANSPOSED_ROWS(src, ld, count, p0, kc, store)                                          \
    for (int p = 0; p < (kc); p += 16) {                                                          \
        __mmask16 cols = firstLanes((kc) - p);                                                    \
        __m512 r[16];                                                                             \
        for (int i = 0; i < 16; i++)                                                              \
            r[i] = i < (count) ? _mm512_maskz_loadu_ps(cols, (src) + (size_t)i * (ld) + (p0) + p) \
                               : _mm512_setzero_ps();                                             \
        transpose16(r);                                                                           \
        int valid = (kc) - p < 16 ? (kc) - p : 16;                                                \
        for (int q = 0; q < valid; q++) store(p + q, r[q]);                                       \
    }

/// op(A) rows [i0, i0+mr) × columns [p0, p0+kc) -> slabs of 8 rows, each (kc, 8), the
/// slab of rows i0+s at dst + s·kc; rows ≥ mr zero.
AVX512 static void packA(bool trans, const float *a, int lda, int i0, int mr, int p0, int kc, float *dst) {
    if (trans) {
        // op(A)(i, p) = a[p·lda + i]: each p reads contiguous floats of each slab
        for (int s = 0; s < mr; s += MR) {
            __mmask8 mask = (__mmask8)firstLanes(mr - s);
            float *slab = dst + (size_t)s * kc;
            for (int p = 0; p < kc; p++)
                _mm256_storeu_ps(slab + p * MR, _mm256_maskz_loadu_ps(mask, a + (size_t)(p0 + p) * lda + i0 + s));
        }
    } else {
        // op(A)(i, p) = a[i·lda + p]: rows are contiguous; two slabs per 16×16 transpose
        for (int s = 0; s < mr; s += 2 * MR) {
            float *lo = dst + (size_t)s * kc, *hi = lo + (size_t)MR * kc;
            bool two = mr - s > MR;
#define STORE_A(p, v)                                                              \
            do {                                                                   \
                _mm256_storeu_ps(lo + (p) * MR, _mm512_castps512_ps256(v));          \
                if (two) _mm256_storeu_ps(hi + (p) * MR, _mm512_extractf32x8_ps(v, 1)); \
            } while (0)
            TRANSPOSED_ROWS(a + (size_t)(i0 + s) * lda, lda, mr - s, p0, kc, STORE_A)
#undef STORE_A
        }
    }
}

/// op(B) rows [p0, p0+kc) × columns [j0, j0+nr) -> dst (kc, 32), columns ≥ nr zero.
AVX512 static void packB(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nr, float *dst) {
    if (!trans) {
        // op(B)(p, j) = b[p·ldb + j]: each p reads nr contiguous floats
        __mmask16 lo = firstLanes(nr), hi = firstLanes(nr - 16);
        for (int p = 0; p < kc; p++) {
            const float *row = b + (size_t)(p0 + p) * ldb + j0;
            _mm512_storeu_ps(dst + p * NR, _mm512_maskz_loadu_ps(lo, row));
            _mm512_storeu_ps(dst + p * NR + 16, _mm512_maskz_loadu_ps(hi, row + 16));
        }
    } else {
        // op(B)(p, j) = b[j·ldb + p]: column j of op(B) is row j of b; 16 columns per transpose
        for (int h = 0; h < NR; h += 16) {
#define STORE_B(p, v) _mm512_storeu_ps(dst + (p) * NR + h, v)
            TRANSPOSED_ROWS(b + (size_t)(j0 + h) * ldb, ldb, nr - h, p0, kc, STORE_B)
#undef STORE_B
        }
    }
}

/// The micro-kernels' last step: rows [0, mr) of the accumulated tile, columns [0, nr), stored
/// into C (added to it with `accumulate`), the edges with masked stores.
AVX512 static inline __attribute__((always_inline)) void storeTile(__m512 acc[][2], int mr, int nr, float *c,
                                                                   int ldc, bool accumulate) {
    __mmask16 lo = firstLanes(nr), hi = firstLanes(nr - 16);
    for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        __m512 v0 = acc[i][0], v1 = acc[i][1];
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(lo, row));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(hi, row + 16));
        }
        _mm512_mask_storeu_ps(row, lo, v0);
        _mm512_mask_storeu_ps(row + 16, hi, v1);
    }
}

/// The micro-kernels' accumulators: a tile of ROWS rows × 32 columns in 2·ROWS zmm
/// registers c<i>0, c<i>1, each step adding row i's A value (AT(i), broadcast) times the
/// B row b0|b1, and stored at the end by storeTile. Written once here for the four kernels,
/// which differ only in where A's values come from.
#define TILE_ZERO_ROW(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
#define TILE_ZERO4 TILE_ZERO_ROW(0); TILE_ZERO_ROW(1); TILE_ZERO_ROW(2); TILE_ZERO_ROW(3)
#define TILE_ZERO8 TILE_ZERO4; TILE_ZERO_ROW(4); TILE_ZERO_ROW(5); TILE_ZERO_ROW(6); TILE_ZERO_ROW(7)
#define TILE_ZERO(rows) TILE_ZERO##rows
#define TILE_ROW(i, AT)                                                          \
    do {                                                                         \
        __m512 x_ = _mm512_set1_ps(AT(i));                                       \
        c##i##0 = _mm512_fmadd_ps(x_, b0, c##i##0);                              \
        c##i##1 = _mm512_fmadd_ps(x_, b1, c##i##1);                              \
    } while (0)
#define TILE_FMA4(AT) TILE_ROW(0, AT); TILE_ROW(1, AT); TILE_ROW(2, AT); TILE_ROW(3, AT)
#define TILE_FMA8(AT) TILE_FMA4(AT); TILE_ROW(4, AT); TILE_ROW(5, AT); TILE_ROW(6, AT); TILE_ROW(7, AT)
#define TILE_ACC4 {c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}
#define TILE_ACC8 TILE_ACC4, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}
#define TILE_STORE(rows)                                                         \
    do {                                                                         \
        __m512 acc[rows][2] = {TILE_ACC##rows};                                  \
        storeTile(acc, mr, nr, c, ldc, accumulate);                              \
    } while (0)
/// Where A's value for row i of the tile is, in each kernel.
#define A_PACKED(i) ap[i]
#define A_ROWS(i) r##i[p]
#define A_PANELS(i) ap[o##i + q]

/// C tile (mr ≤ 8 rows, nr ≤ 32 columns) (+)= A slab (kc, 8) · B panel (kc, 32).
AVX512 static void kernel8x32(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr,
                              bool accumulate) {
    TILE_ZERO(8);
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        const float *ap = a + p * MR;
        TILE_FMA8(A_PACKED);
    }
    TILE_STORE(8);
}

/// kernel8x32 for a slab of at most 4 rows (rows 4–7 of the slab are padding): half the
/// FMAs where 8×32 would multiply zeros, as the 28 rows of an image-row LSTM's dW_ih end.
AVX512 static void kernel4x32(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr,
                              bool accumulate) {
    TILE_ZERO(4);
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        const float *ap = a + p * MR;
        TILE_FMA4(A_PACKED);
    }
    TILE_STORE(4);
}

/// The eight rows r0…r7 of a row-major A (a, lda) for a slab of mr rows: rows ≥ mr read row
/// 0 again (in bounds); their sums are never stored.
#define A_ROW_POINTERS(a, lda)                                                                    \
    const float *r0 = (a), *r1 = (a) + (mr > 1 ? (lda) : 0), *r2 = (a) + (mr > 2 ? 2 * (lda) : 0); \
    const float *r3 = (a) + (mr > 3 ? 3 * (lda) : 0), *r4 = (a) + (mr > 4 ? 4 * (lda) : 0);          \
    const float *r5 = (a) + (mr > 5 ? 5 * (lda) : 0), *r6 = (a) + (mr > 6 ? 6 * (lda) : 0);          \
    const float *r7 = (a) + (mr > 7 ? 7 * (lda) : 0)
/// The accumulators of a tile started from init[i] (a convolution's bias) in every lane.
#define TILE_INIT_ROW(i) __m512 c##i##0 = _mm512_set1_ps(init[i < mr ? i : 0]), c##i##1 = c##i##0
#define TILE_INIT8                                                  \
    TILE_INIT_ROW(0); TILE_INIT_ROW(1); TILE_INIT_ROW(2); TILE_INIT_ROW(3); \
    TILE_INIT_ROW(4); TILE_INIT_ROW(5); TILE_INIT_ROW(6); TILE_INIT_ROW(7)

/// kernel8x32 with A read where it is, row-major (a[i·lda + p]), instead of from a packed
/// slab: the eight broadcasts of each p come from eight rows. For an A small enough to
/// stay in L1 (a recurrent step's h or dGates), which packing would only copy.
AVX512 static void kernel8x32Direct(int kc, const float *a, int lda, const float *b, float *c, int ldc, int mr,
                                    int nr, bool accumulate) {
    TILE_ZERO(8);
    A_ROW_POINTERS(a, lda);
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        TILE_FMA8(A_ROWS);
    }
    TILE_STORE(8);
}

/// kernel8x32Direct whose rows start from init[i] (a convolution's bias, all lanes) instead
/// of zero, and are stored, not added to C.
AVX512 static void kernel8x32DirectInit(int kc, const float *a, int lda, const float *b, float *c, int ldc, int mr,
                                        int nr, const float *init) {
    const bool accumulate = false;
    TILE_INIT8;
    A_ROW_POINTERS(a, lda);
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        TILE_FMA8(A_ROWS);
    }
    TILE_STORE(8);
}

/// kernel8x32 with A read in place from panels of 32 columns (sweep_sgemm_packed_a_panels):
/// the slab's eight rows are 32 floats apart, and every 32 columns the panel changes.
AVX512 static void kernel8x32Panels(int kc, const float *a, int aPanelStride, const float *b, float *c, int ldc,
                                    int mr, int nr, bool accumulate) {
    TILE_ZERO(8);
    // rows ≥ mr read row 0 again; their sums are never stored
    const int o0 = 0, o1 = mr > 1 ? NR : 0, o2 = mr > 2 ? 2 * NR : 0, o3 = mr > 3 ? 3 * NR : 0, o4 = mr > 4 ? 4 * NR : 0;
    const int o5 = mr > 5 ? 5 * NR : 0, o6 = mr > 6 ? 6 * NR : 0, o7 = mr > 7 ? 7 * NR : 0;
    for (int g = 0; g < kc; g += NR) {
        const float *ap = a + (size_t)(g / NR) * aPanelStride;
        int len = kc - g < NR ? kc - g : NR;
        for (int q = 0; q < len; q++) {
            const float *bp = b + (size_t)(g + q) * NR;
            __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
            TILE_FMA8(A_PANELS);
        }
    }
    TILE_STORE(8);
}

/// C (m×nc) (+)= op(A) rows [0, m) × columns [pc, pc+kc) · B's panels of the block (kc, nc),
/// panel jr at panels + jr·kc.
AVX512 static void multiplyBlock(bool transA, int m, int nc, int pc, int kc, const float *a, int lda,
                                 const float *panels, bool accumulate, float *c, int ldc) {
    if (!transA && (size_t)m * kc <= DIRECT_A) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = nc - jr < NR ? nc - jr : NR;
            for (int ir = 0; ir < m; ir += MR) {
                int mr = m - ir < MR ? m - ir : MR;
                kernel8x32Direct(kc, a + (size_t)ir * lda + pc, lda, panels + (size_t)jr * kc,
                                 c + (size_t)ir * ldc + jr, ldc, mr, nr, accumulate);
            }
        }
        return;
    }
    if (!packedA) packedA = aligned((size_t)MC * KC);
    for (int ic = 0; ic < m; ic += MC) {
        int mc = m - ic < MC ? m - ic : MC;
        packA(transA, a, lda, ic, mc, pc, kc, packedA);
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = nc - jr < NR ? nc - jr : NR;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = mc - ir < MR ? mc - ir : MR;
                (mr <= 4 ? kernel4x32 : kernel8x32)(kc, packedA + (size_t)ir * kc, panels + (size_t)jr * kc,
                                                    c + (size_t)(ic + ir) * ldc + jr, ldc, mr, nr, accumulate);
            }
        }
    }
}

static bool zeroK(int m, int n, int k, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return true;
    if (k > 0) return false;
    if (beta == 0) for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    return true;
}

AVX512 void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k,
                               const float *a, int lda, const float *b, int ldb,
                               float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    if (!packedB) packedB = aligned((size_t)KC * NC);
    for (int jc = 0; jc < n; jc += NC) {
        int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = k - pc < KC ? k - pc : KC;
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = nc - jr < NR ? nc - jr : NR;
                packB(transB, b, ldb, pc, kc, jc + jr, nr, packedB + (size_t)jr * kc);
            }
            multiplyBlock(transA, m, nc, pc, kc, a, lda, packedB, pc > 0 || beta != 0, c + jc, ldc);
        }
    }
}

// The whole of op(B) packed: K block pc (kc rows) at pc·n32, where n32 is n rounded up
// to 32, and in it the panel of columns [j, j+32) at j·kc.
static int roundUp32(int n) { return (n + NR - 1) / NR * NR; }

size_t sweep_sgemm_packed_size(int k, int n) { return (size_t)(k > 0 ? k : 1) * (size_t)roundUp32(n > 0 ? n : 1); }

AVX512 void sweep_sgemm_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed) {
    int n32 = roundUp32(n);
    for (int pc = 0; pc < k; pc += KC) {
        int kc = k - pc < KC ? k - pc : KC;
        for (int j = 0; j < n; j += NR)
            packB(transB, b, ldb, pc, kc, j, n - j < NR ? n - j : NR, packed + (size_t)pc * n32 + (size_t)j * kc);
    }
}

int sweep_sgemm_packed_block_rows(void) { return KC; }

size_t sweep_sgemm_packed_row(int k, int n, int row, int *panelStride) {
    int pc = row / KC * KC, kc = k - pc < KC ? k - pc : KC;
    *panelStride = kc * NR;
    return (size_t)pc * roundUp32(n) + (size_t)(row - pc) * NR;
}

AVX512 void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda,
                               const float *packed, float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    int n32 = roundUp32(n);
    for (int pc = 0; pc < k; pc += KC) {
        int kc = k - pc < KC ? k - pc : KC;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = n - jc < NC ? n - jc : NC;
            multiplyBlock(transA, m, nc, pc, kc, a, lda, packed + (size_t)pc * n32 + (size_t)jc * kc,
                          pc > 0 || beta != 0, c + jc, ldc);
        }
    }
}

/// y (columns × rows) += xᵀ for x (rows × columns), 16×16 blocks transposed in registers.
AVX512 void sweep_add_transposed(int rows, int columns, const float *x, float *y) {
    for (int c0 = 0; c0 < columns; c0 += 16) {
        int nc = columns - c0 < 16 ? columns - c0 : 16;
        __mmask16 cols = firstLanes(nc);
        for (int r0 = 0; r0 < rows; r0 += 16) {
            int nr = rows - r0 < 16 ? rows - r0 : 16;
            __mmask16 lanes = firstLanes(nr);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < nr ? _mm512_maskz_loadu_ps(cols, x + (size_t)(r0 + i) * columns + c0) : _mm512_setzero_ps();
            transpose16(r);  // r[q] = column c0+q over rows r0…
            for (int q = 0; q < nc; q++) {
                float *dst = y + (size_t)(c0 + q) * rows + r0;
                _mm512_mask_storeu_ps(dst, lanes, _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, dst), r[q]));
            }
        }
    }
}

AVX512 void sweep_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                                        float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    int n32 = roundUp32(n);
    for (int pc = 0; pc < k; pc += KC) {
        int kc = k - pc < KC ? k - pc : KC;
        const float *panels = packed + (size_t)pc * n32, *ac = a + (size_t)(pc / NR) * aPanelStride;
        for (int jr = 0; jr < n; jr += NR) {
            int nr = n - jr < NR ? n - jr : NR;
            for (int ir = 0; ir < m; ir += MR) {
                int mr = m - ir < MR ? m - ir : MR;
                kernel8x32Panels(kc, ac + (size_t)ir * NR, aPanelStride, panels + (size_t)jr * kc,
                                 c + (size_t)ir * ldc + jr, ldc, mr, nr, pc > 0 || beta != 0);
            }
        }
    }
}


// ---- Convolution as an implicit GEMM ----
// out (OC, OH·OW) = W (OC, K) · col (K, OH·OW) with K = C·KH·KW, where col is the image's
// im2col. Materialising col costs a pass over K·OH·OW floats in memory, more than the
// GEMM's own packing; here each panel of col (kc rows × 32 output positions, 32 KiB) is
// built from the image straight into the L1-resident buffer the micro-kernels read, and
// the weight gradient reads the same panels as its A. Sums run in a fixed order.

/// The panel of an image's im2col: rows [k0, k0 + kc) (r = (c·KH + kh)·KW + kw), output
/// positions [j0, j0 + 32) (y·OW + x; those ≥ OH·OW zero) -> panel (kc, 32).
///
/// The 32 positions split into runs of one output row each. For stride 1, a run reads
/// consecutive floats of one input row, so each panel row is two registers filled by one
/// masked load per run and half (masks and offsets depend only on the run and kw, not on
/// c or kh, and are computed once per panel), then stored whole: zeros come from the masks.
AVX512 static void packConvPanel(const sweep_conv_shape *g, const float *image, int k0, int kc, int j0,
                                 float *panel) {
    const int kk = g->kernel * g->kernel, spatial = g->outHeight * g->outWidth, plane = g->height * g->width;
    int segY[NR], segX[NR], segN[NR], segLane[NR], segments = 0;
    for (int j = j0; j < j0 + NR && j < spatial;) {
        int y = j / g->outWidth, x = j % g->outWidth;
        int n = g->outWidth - x, left = j0 + NR - j, rest = spatial - j;
        if (n > left) n = left;
        if (n > rest) n = rest;
        segY[segments] = y * g->stride, segX[segments] = x, segN[segments] = n, segLane[segments] = j - j0;
        segments++;
        j += n;
    }
    int c = k0 / kk, kh = (k0 / g->kernel) % g->kernel, kw = k0 % g->kernel;
    if (g->stride != 1) {
        for (int i = 0; i < kc; i++) {
            float *dst = panel + (size_t)i * NR;
            _mm512_storeu_ps(dst, _mm512_setzero_ps());
            _mm512_storeu_ps(dst + 16, _mm512_setzero_ps());
            const float *channel = image + (size_t)c * plane;
            for (int s = 0; s < segments; s++) {
                int iy = segY[s] + kh - g->padTop;
                if (iy < 0 || iy >= g->height) continue;
                const float *row = channel + (size_t)iy * g->width;
                for (int t = 0; t < segN[s]; t++) {
                    int ix = (segX[s] + t) * g->stride + kw - g->padLeft;
                    if (ix >= 0 && ix < g->width) dst[segLane[s] + t] = row[ix];
                }
            }
            if (++kw == g->kernel) kw = 0, ++kh == g->kernel ? (kh = 0, c++) : 0;
        }
        return;
    }
    // per kernel offset t = kh·KW + kw and run s: the lanes of each half that read inside the
    // image, and where lane 0 reads, relative to the channel (masks empty where the row is outside)
    const int k = g->kernel;
    __mmask16 lowMask[kk * segments], highMask[kk * segments];
    int offset[kk * segments];
    for (int t = 0; t < kk; t++) {
        int th = t / k, tw = t % k;
        for (int s = 0; s < segments; s++) {
            int iy = segY[s] + th - g->padTop, ix0 = segX[s] + tw - g->padLeft;
            int lo = segLane[s] + (ix0 < 0 ? -ix0 : 0);
            int hi = segLane[s] + (g->width - ix0 < segN[s] ? g->width - ix0 : segN[s]);
            bool inside = iy >= 0 && iy < g->height && hi > lo;
            uint32_t lanes = inside ? (uint32_t)(((1ull << hi) - 1) & ~((1ull << lo) - 1)) : 0;
            lowMask[t * segments + s] = (__mmask16)(lanes & 0xFFFF);
            highMask[t * segments + s] = (__mmask16)(lanes >> 16);
            offset[t * segments + s] = inside ? iy * g->width + ix0 - segLane[s] : 0;
        }
    }
    const float *channel = image + (size_t)c * plane;
    int t = k0 % kk;
    for (int i = 0; i < kc; i++) {
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        const int at = t * segments;
        for (int s = 0; s < segments; s++) {
            const float *src = channel + offset[at + s];
            v0 = _mm512_mask_loadu_ps(v0, lowMask[at + s], src);
            v1 = _mm512_mask_loadu_ps(v1, highMask[at + s], src + 16);
        }
        _mm512_storeu_ps(panel + (size_t)i * NR, v0);
        _mm512_storeu_ps(panel + (size_t)i * NR + 16, v1);
        if (++t == kk) t = 0, channel += plane;
    }
}

// ---- Stride 1: no im2col panels at all ----
// At stride 1 the image is copied once into a zero-bordered copy of (OH + K − 1) rows of
// Wp = OW + K − 1, and output positions are counted in that width: p = y·Wp + x, the last
// K − 1 of each row being junk, computed and never stored. Then row r = (c, kh, kw) of the
// im2col over 32 consecutive positions is 32 consecutive floats of the copy, at
// c·Hp·Wp + kh·Wp + kw + p: the micro-kernels read B (forward) or A (weight gradient)
// straight from it, and no panel is built. The junk costs (K − 1) / Wp more FMAs.

/// Per thread: the zero-bordered image, its offsets per im2col row, dy in padded positions
/// (OC × P) and transposed in blocks of 32 channels (P × 32 per block).
static _Thread_local float *padBuffer, *dyPadded, *dyBlocks;
static _Thread_local size_t padSize, dyPaddedSize, dyBlocksSize;
static _Thread_local int *rowOffsets;
static _Thread_local size_t rowOffsetsSize;

static float *grow(float *p, size_t *size, size_t need) {
    if (need <= *size) return p;
    free(p);
    *size = need;
    return aligned(need);
}

/// The stride-1 geometry in padded positions.
typedef struct { int hp, wp, positions; } paddedShape;

static paddedShape padded(const sweep_conv_shape *g) {
    paddedShape s = {g->outHeight + g->kernel - 1, g->outWidth + g->kernel - 1, 0};
    s.positions = (g->outHeight - 1) * s.wp + g->outWidth;
    return s;
}

/// image (C, H, W) -> padBuffer (C, Hp, Wp) with the image at (padTop, padLeft), zeros around
/// (and 32 floats of slack, which panels past the last position read and never use).
static void padImage(const sweep_conv_shape *g, paddedShape s, const float *image) {
    const size_t plane = (size_t)s.hp * s.wp, need = g->channels * plane + 2 * NR;
    padBuffer = grow(padBuffer, &padSize, need);
    memset(padBuffer, 0, need * sizeof(float));
    for (int c = 0; c < g->channels; c++) {
        for (int iy = 0; iy < g->height; iy++) {
            int py = iy + g->padTop;
            if (py < 0 || py >= s.hp) continue;
            int ix0 = g->padLeft < 0 ? -g->padLeft : 0, ix1 = g->width;
            if (ix1 + g->padLeft > s.wp) ix1 = s.wp - g->padLeft;
            if (ix1 <= ix0) continue;
            memcpy(padBuffer + c * plane + (size_t)py * s.wp + ix0 + g->padLeft,
                   image + ((size_t)c * g->height + iy) * g->width + ix0, (size_t)(ix1 - ix0) * sizeof(float));
        }
    }
}

/// rowOffsets[r] for r = (c·K + kh)·K + kw: where im2col row r starts in padBuffer.
static const int *offsetsOf(const sweep_conv_shape *g, paddedShape s) {
    const size_t k = (size_t)g->channels * g->kernel * g->kernel;
    if (k > rowOffsetsSize) {
        free(rowOffsets);
        rowOffsets = malloc(k * sizeof(int));
        if (!rowOffsets) abort();
        rowOffsetsSize = k;
    }
    int r = 0;
    for (int c = 0; c < g->channels; c++)
        for (int kh = 0; kh < g->kernel; kh++)
            for (int kw = 0; kw < g->kernel; kw++) rowOffsets[r++] = (c * s.hp + kh) * s.wp + kw;
    return rowOffsets;
}

/// Tile (mr ≤ 8 output channels × 32 padded positions from j0) = bias + W rows · B, B's row p
/// being the 32 floats at base + offsets[p]; the positions that are not junk are stored
/// into out (OC, OH·OW).
AVX512 static void convTile(int kc, const float *w, int ldw, const float *base, const int *offsets,
                            const float *init, int mr, int j0, paddedShape s, int outWidth, float *out,
                            int outStride) {
    TILE_INIT8;
    A_ROW_POINTERS(w, ldw);
    base += j0;
    for (int p = 0; p < kc; p++) {
        const float *b = base + offsets[p];
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        TILE_FMA8(A_ROWS);
    }
    __m512 acc[8][2] = {TILE_ACC8};
    // the runs of one output row each among the 32 positions, junk skipped
    for (int lane = 0; lane < NR && j0 + lane < s.positions;) {
        int pos = j0 + lane, y = pos / s.wp, x = pos % s.wp;
        if (x >= outWidth) {
            lane += s.wp - x;
            continue;
        }
        int n = outWidth - x;
        if (n > NR - lane) n = NR - lane;
        if (n > s.positions - pos) n = s.positions - pos;
        uint32_t lanes = (uint32_t)((((1ull << n) - 1)) << lane);
        __mmask16 lo = (__mmask16)(lanes & 0xFFFF), hi = (__mmask16)(lanes >> 16);
        float *dst = out + (size_t)y * outWidth + x - lane;  // lane l goes to dst[l]
        for (int i = 0; i < mr; i++) {
            _mm512_mask_storeu_ps(dst + (size_t)i * outStride, lo, acc[i][0]);
            _mm512_mask_storeu_ps(dst + (size_t)i * outStride + 16, hi, acc[i][1]);
        }
        lane += n;
    }
}

AVX512 static void convForwardStride1(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                      const float *w, const float *bias, float *output) {
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    const paddedShape s = padded(g);
    static const float zeros[MR];
    const int *offsets = offsetsOf(g, s);   // the same for every image
    for (int b = 0; b < batch; b++) {
        padImage(g, s, input + b * inCount);
        float *out = output + b * outCount;
        for (int j0 = 0; j0 < s.positions; j0 += NR) {
            for (int ir = 0; ir < outChannels; ir += MR) {
                int mr = outChannels - ir < MR ? outChannels - ir : MR;
                convTile(k, w + (size_t)ir * k, k, padBuffer, offsets, bias ? bias + ir : zeros, mr, j0, s,
                         g->outWidth, out + (size_t)ir * spatial, spatial);
            }
        }
    }
}

/// dWᵀ rows [0, mr) of a slab (C tile mr × 32 channels) += Σ over positions q < kc of
/// A(i, q) · B(q, ·), A's row i being the floats at a[i] + q, B rows of 32 contiguous.
AVX512 static void kernel8x32RowPointers(int kc, const float *const a[8], const float *b, float *c, int ldc, int mr,
                                         int nr) {
    const bool accumulate = true;
    TILE_ZERO(8);
    const float *r0 = a[0], *r1 = a[1], *r2 = a[2], *r3 = a[3], *r4 = a[4], *r5 = a[5], *r6 = a[6], *r7 = a[7];
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        TILE_FMA8(A_ROWS);
    }
    TILE_STORE(8);
}

AVX512 static void convWeightGradStride1(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                         const float *dy, float *dWt) {
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    const paddedShape s = padded(g);
    const int oc32 = roundUp32(outChannels), positions = s.positions;
    dyPadded = grow(dyPadded, &dyPaddedSize, (size_t)outChannels * positions);
    dyBlocks = grow(dyBlocks, &dyBlocksSize, (size_t)oc32 * positions);
    const int *offsets = offsetsOf(g, s);   // the same for every image
    for (int b = 0; b < batch; b++) {
        padImage(g, s, input + b * inCount);
        // dy in padded positions (junk zero), then transposed: block o0 holds (positions × 32)
        const float *d = dy + b * outCount;
        for (int o = 0; o < outChannels; o++) {
            float *row = dyPadded + (size_t)o * positions;
            for (int y = 0; y < g->outHeight; y++) {
                memcpy(row + (size_t)y * s.wp, d + (size_t)o * spatial + (size_t)y * g->outWidth,
                       (size_t)g->outWidth * sizeof(float));
                if (y + 1 < g->outHeight)
                    memset(row + (size_t)y * s.wp + g->outWidth, 0, (size_t)(s.wp - g->outWidth) * sizeof(float));
            }
        }
        for (int o0 = 0; o0 < outChannels; o0 += NR)
            packB(true, dyPadded, positions, 0, positions, o0, outChannels - o0 < NR ? outChannels - o0 : NR,
                  dyBlocks + (size_t)o0 * positions);
        // dWᵀ (K, OC) += col (K, positions) · dyᵀ (positions, OC), 256 positions at a time
        for (int o0 = 0; o0 < outChannels; o0 += NR) {
            int nr = outChannels - o0 < NR ? outChannels - o0 : NR;
            for (int p0 = 0; p0 < positions; p0 += KC) {
                int pn = positions - p0 < KC ? positions - p0 : KC;
                const float *block = dyBlocks + (size_t)o0 * positions + (size_t)p0 * NR;
                for (int ir = 0; ir < k; ir += MR) {
                    int mr = k - ir < MR ? k - ir : MR;
                    const float *rows[8];
                    for (int i = 0; i < 8; i++) rows[i] = padBuffer + offsets[ir + (i < mr ? i : 0)] + p0;
                    kernel8x32RowPointers(pn, rows, block, dWt + (size_t)ir * outChannels + o0, outChannels, mr, nr);
                }
            }
        }
    }
}

/// Whether a convolution takes the stride-1 path: when its junk, (K − 1) / Wp of the FMAs,
/// costs less than building panels, about 16 / OC of them (a panel row takes some 8 cycles
/// to build and feeds OC / 2 cycles of FMAs): 32×32 images at any width, 8×8 ones up to
/// 64 channels (resnet's 128-channel block keeps its panels).
static bool directStride1(const sweep_conv_shape *g, int outChannels) {
    return g->stride == 1 && (g->kernel - 1) * outChannels < 16 * (g->outWidth + g->kernel - 1);
}

/// Per thread: one im2col panel, and dyᵀ of one image packed for the weight gradient.
static _Thread_local float *convPanel, *convDyT;
static _Thread_local size_t convDyTSize;

AVX512 void sweep_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                               const float *w, const float *bias, float *output) {
    if (directStride1(g, outChannels)) {
        convForwardStride1(g, batch, input, outChannels, w, bias, output);
        return;
    }
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    if (!convPanel) convPanel = aligned((size_t)KC * NR);
    static const float zeros[MR];
    for (int b = 0; b < batch; b++) {
        const float *image = input + b * inCount;
        float *out = output + b * outCount;
        for (int j0 = 0; j0 < spatial; j0 += NR) {
            int nr = spatial - j0 < NR ? spatial - j0 : NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = k - pc < KC ? k - pc : KC;
                packConvPanel(g, image, pc, kc, j0, convPanel);
                for (int ir = 0; ir < outChannels; ir += MR) {
                    int mr = outChannels - ir < MR ? outChannels - ir : MR;
                    float *tile = out + (size_t)ir * spatial + j0;
                    if (pc == 0)  // the first block starts from the bias
                        kernel8x32DirectInit(kc, w + (size_t)ir * k, k, convPanel, tile, spatial, mr, nr,
                                             bias ? bias + ir : zeros);
                    else
                        kernel8x32Direct(kc, w + (size_t)ir * k + pc, k, convPanel, tile, spatial, mr, nr, true);
                }
            }
        }
    }
}

AVX512 void sweep_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                   const float *dy, float *dWt) {
    if (directStride1(g, outChannels)) {
        convWeightGradStride1(g, batch, input, outChannels, dy, dWt);
        return;
    }
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const int oc32 = roundUp32(outChannels), s32 = roundUp32(spatial);
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    if (!convPanel) convPanel = aligned((size_t)KC * NR);
    size_t need = (size_t)s32 * oc32;
    if (need > convDyTSize) {
        free(convDyT);
        convDyT = aligned(need);
        convDyTSize = need;
    }
    for (int b = 0; b < batch; b++) {
        const float *image = input + b * inCount, *d = dy + b * outCount;
        // dyᵀ (spatial × OC) as 32×32 blocks: positions [j0, j0+32) × channels [o0, o0+32) at
        // (j0 / 32 · oc32 + o0) · 32, each row of 32 channels contiguous, zero beyond the edges
        for (int j0 = 0; j0 < spatial; j0 += NR) {
            int rows = spatial - j0 < NR ? spatial - j0 : NR;
            for (int o0 = 0; o0 < oc32; o0 += NR) {
                float *block = convDyT + ((size_t)j0 / NR * oc32 + o0) * NR;
                if (rows < NR) memset(block, 0, NR * NR * sizeof(float));
                packB(true, d, spatial, j0, rows, o0, outChannels - o0 < NR ? outChannels - o0 : NR, block);
            }
        }
        // dWᵀ (K, OC) += col (K, positions) · dyᵀ (positions, OC), 32 positions at a time
        for (int j0 = 0; j0 < spatial; j0 += NR) {
            for (int pc = 0; pc < k; pc += KC) {
                int kc = k - pc < KC ? k - pc : KC;
                packConvPanel(g, image, pc, kc, j0, convPanel);
                for (int o0 = 0; o0 < outChannels; o0 += NR) {
                    int nr = outChannels - o0 < NR ? outChannels - o0 : NR;
                    const float *block = convDyT + ((size_t)j0 / NR * oc32 + o0) * NR;
                    for (int ir = 0; ir < kc; ir += MR) {
                        int mr = kc - ir < MR ? kc - ir : MR;
                        kernel8x32Panels(NR, convPanel + (size_t)ir * NR, 0, block,
                                         dWt + (size_t)(pc + ir) * outChannels + o0, outChannels, mr, nr, true);
                    }
                }
            }
        }
    }
}

#else

// Never called where sweep_has_avx512() is false; they keep the legacy names linkable.
#pragma GCC diagnostic ignored "-Wunused-parameter"

void sweep_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                                 float beta, float *c, int ldc) { abort(); }

void sweep_add_transposed(int rows, int columns, const float *x, float *y) { abort(); }

void sweep_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                        const float *w, const float *bias, float *output) {
    abort();
}

void sweep_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                            const float *dy, float *dWt) {
    abort();
}

bool sweep_has_avx512(void) { return false; }

void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc) {
    abort();
}

size_t sweep_sgemm_packed_size(int k, int n) { abort(); }

size_t sweep_sgemm_packed_row(int k, int n, int row, int *panelStride) { abort(); }

int sweep_sgemm_packed_block_rows(void) { abort(); }

void sweep_sgemm_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed) { abort(); }

void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda, const float *packed,
                        float beta, float *c, int ldc) {
    abort();
}

#endif
