// The GEMM, its packed forms, add_transposed and the implicit-GEMM convolutions of one
// kernel set, written once over the set's vectors and included by the set's file
// (kernels_avx512.c, kernels_avx2.c, kernels_neon.c, kernels_portable.c). GotoBLAS/BLIS
// blocking: B packed in panels of NR columns (K_C × NR, kept in L1 while slabs of MR rows of
// A stream past it), A in slabs of MR rows (M_C × K_C, kept in L2), and an MR×NR
// micro-kernel whose tile lives in registers. Packing pads the edges with zeros. Every
// element of C is a sum over k in the same order on every call: results are deterministic,
// and an A read in place, packed or from panels gives the same bits.
//
// The including file defines first:
//   SET                    the set's name: functions are sweep_<SET>_<entry> (kernel_sets.h)
//   TARGET                 the attribute its functions need (an ISA), or nothing
//   VL, vec                lanes of its vector type, and the type
//   VZERO(), VSET1(x), VLOAD(p), VSTORE(p, v) (unaligned), VADD(a, b),
//   VFMA(acc, a, b)        acc + a·b (fused where the set has it)
//   HALF_MR                the rows of the micro-kernel for a matrix's last mr ≤ HALF_MR rows
//   MR, NR, KC, MC, NC     micro-tile rows and columns (NR a multiple of VL), the K block (a
//                          multiple of NR), the rows of A per packed block (a multiple of MR), the
//                          columns of B per block (a multiple of NR)
//   TB                     the edge of the blocks that transposeBlock handles
//   transposeRows(...)     see its generic definition below, used unless SET_TRANSPOSE_ROWS
//   SET_PACKED_STEP(rows, acc, ap, bv)   optional: one step of the micro-kernel from a packed A slab
//   LANE_MASK(lo, hi), laneMask, VLOAD_MERGE(v, mask, p)   optional: the mask of lanes [lo, hi)
//                          of a vector (clipped), its type, and v with those lanes loaded from p
//                          (none read outside them): stride-1 im2col panels built with masked loads
//   SET_MASKED_EDGES       optional: tile edges and a convolution's runs of output stored with
//                          masked stores (VLOADN, VSTOREN, VSTORE_LANES(p, v, lo, hi): lanes [lo, hi))
//   STRIDE1_JUNK_LIMIT     directStride1's constant (see there)
//   DOT_COLUMNS            optional: multiplyTransposed's limit for dotColumns (NR / 4 otherwise)
#include "kernel_sets.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 32")
#endif
#define ALWAYS_INLINE inline __attribute__((always_inline))
/// The micro-kernel's k loop: unrolled where the set asks (K_UNROLL_COUNT), so that its
/// counter and address updates take fewer of the issue slots the FMAs need.
#if defined(K_UNROLL_COUNT) && defined(__clang__)
#define K_UNROLL_(n) _Pragma(#n)
#define K_UNROLL_S(n) K_UNROLL_(clang loop unroll_count(n))
#define K_UNROLL K_UNROLL_S(K_UNROLL_COUNT)
#else
#define K_UNROLL
#endif

enum { NV = NR / VL };
// a K block starts a panel of an A read from panels (sgemmPackedAPanels), column blocks start panels
_Static_assert(NR % VL == 0 && KC % NR == 0 && NC % NR == 0 && MC % MR == 0, "the set's blocking");
/// Largest op(A) block (floats, 64 KB) that the micro-kernel reads in place instead of packing.
enum { DIRECT_A = 64 * 256 };
/// Columns of B per block when A is read in place and B is not transposed: kc × 512 floats
/// (512 KB) in L2. Blocks of NC columns ran at 76 GFLOP/s instead of 80 on Inception's dx
/// (avx2), since a block of NC left less of L2 to the rest.
enum { DIRECT_B = NC / 2 };
_Static_assert(DIRECT_B % NR == 0, "whole panels per block");

/// Packing buffers, one pair per thread (training slots run on their own threads),
/// allocated on the first call and kept: nothing is allocated per GEMM.
static _Thread_local float *packedA, *packedB;

static float *aligned(size_t floats) {
    void *p = NULL;
    if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) abort();
    return p;
}

/// p, or a new buffer of `need` floats (contents lost) when *size is smaller.
static float *grow(float *p, size_t *size, size_t need) {
    if (need <= *size) return p;
    free(p);
    *size = need;
    return aligned(need);
}

static int roundUpNR(int n) { return (n + NR - 1) / NR * NR; }
static inline int minInt(int a, int b) { return a < b ? a : b; }

/// The rows of the next tile when `rest` rows of C remain: MR, except that MR + 1 … 2·HALF_MR rows
/// go as two tiles of HALF_MR (two half tiles take 2·HALF_MR rows of FMAs where a full one and a
/// half one take MR + HALF_MR: AVX2's 6 + 2 rows become 4 + 4). Every element's sum is the same.
static inline int tileRows(int rest) { return rest > MR && rest <= 2 * HALF_MR ? HALF_MR : minInt(rest, MR); }
/// for ir, mr over the row tiles of `rows` rows (tileRows).
#define FOR_ROW_TILES(ir, mr, rows) \
    for (int ir = 0, mr = tileRows(rows); ir < (rows); ir += mr, mr = tileRows((rows) - ir))

/// dst[0..<n] = src[0..<n] for a run of n ≤ NR floats.
#define COPY_RUN(dst, src, n) \
    for (int l_ = 0; l_ < (n); l_++) (dst)[l_] = (src)[l_]

#if !defined(SET_TRANSPOSE_ROWS)
/// `count` rows (≤ TB, row i at rows[i]) × `cols` columns (≤ TB), transposed into dst (row
/// stride ldd): dst[q·ldd + i] = rows[i][q] for q < cols and i < width, zero for i ≥ count.
TARGET static void transposeRows(const float *const *rows, int count, int cols, float *dst, int ldd, int width) {
    for (int q = 0; q < cols; q++)
        for (int i = 0; i < width; i++) dst[(size_t)q * ldd + i] = i < count ? rows[i][q] : 0;
}
#endif

/// transposeRows for rows ld floats apart from src (not read when count ≤ 0).
TARGET static ALWAYS_INLINE void transposeBlock(const float *src, int ld, int count, int cols, float *dst, int ldd,
                                                int width) {
    const float *rows[TB];
    for (int i = 0; i < TB; i++) rows[i] = src + (size_t)(i < count ? i : 0) * ld;
    transposeRows(rows, count, cols, dst, ldd, width);
}

/// Where a tile's A values come from: row i starts at rowPointers[i], or at a + i·rowStride
/// (rows ≥ mr read row 0 again, unless `padded`: a packed slab has zero rows there); its p-th
/// value is `step` floats after the one before (0: 1), jumping by `jump` floats every `seg`
/// values (panels of NR columns; 0: never).
typedef struct {
    const float *a;
    ptrdiff_t rowStride;
    const float *const *rowPointers;
    bool padded;
    int step, seg;
    ptrdiff_t jump;
} tileA;

/// B's row p: the NR floats at b + p·NR, or at b + offsets[p] (a convolution's padded image),
/// its vector v at vectors[v] floats from there where `vectors` is given (v·VL otherwise).
typedef struct {
    const float *b;
    const int *offsets;
    const ptrdiff_t *vectors;
} tileB;

/// Runs of a tile's lanes that go to separate places (a stride-1 convolution's output rows):
/// lanes [lane[r], lane[r] + n[r]) of row i go to c + i·ldc + offset[r] on.
typedef struct {
    int count, lane[NR], n[NR];
    ptrdiff_t offset[NR];
} tileRuns;

/// Where a tile goes: rows [0, mr) and columns [0, nr) of c (row stride ldc), stored or added
/// to it (`accumulate`); row i starts from init[i] (a bias) instead of zero; with `runs`
/// (sets with SET_MASKED_EDGES only), its columns go where the runs say.
typedef struct {
    float *c;
    int ldc, mr, nr;
    bool accumulate;
    const float *init;
    const tileRuns *runs;
} tileC;

/// The micro-kernel: a tile of C (mr ≤ rows ≤ MR rows, nr ≤ NR columns) (+)= A (mr × kc) · B
/// (kc × NR), the tile's rows×NV vectors in registers. Each caller is a wrapper with constant
/// descriptors, so that inlining leaves one specialised loop per form and height (rows is MR,
/// or HALF_MR for the last rows of a matrix, which would otherwise multiply padding).
TARGET static ALWAYS_INLINE void tileOf(int rows, int kc, tileA A, tileB B, tileC C) {
    const int mr = C.mr, step = A.step ? A.step : 1, seg = A.seg ? A.seg : kc;
    vec acc[MR][NV];
    UNROLL for (int i = 0; i < rows; i++) {
        vec start = C.init ? VSET1(C.init[i < mr ? i : 0]) : VZERO();
        UNROLL for (int v = 0; v < NV; v++) acc[i][v] = start;
    }
    const float *r[MR];
    UNROLL for (int i = 0; i < rows; i++) {
        const int row = A.padded || i < mr ? i : 0;
        r[i] = A.rowPointers ? A.rowPointers[row] : A.a + row * A.rowStride;
    }
    ptrdiff_t vectorAt[NV];
    UNROLL for (int v = 0; v < NV; v++) vectorAt[v] = B.vectors ? B.vectors[v] : v * VL;
    for (int g = 0; g < kc; g += seg) {
        const int len = kc - g < seg ? kc - g : seg;
        K_UNROLL for (int q = 0; q < len; q++) {
            const float *bp = B.offsets ? B.b + B.offsets[g + q] : B.b + (size_t)(g + q) * NR;
            vec bv[NV];
            UNROLL for (int v = 0; v < NV; v++) bv[v] = VLOAD(bp + vectorAt[v]);
#if defined(SET_PACKED_STEP)
            if (A.padded) {
                // a packed slab's MR values of this step are contiguous: the set's own step
                SET_PACKED_STEP(rows, acc, r[0] + q * MR, bv);
                continue;
            }
#endif
            UNROLL for (int i = 0; i < rows; i++) {
                vec x = VSET1(r[i][q * step]);
                UNROLL for (int v = 0; v < NV; v++) acc[i][v] = VFMA(acc[i][v], x, bv[v]);
            }
        }
        UNROLL for (int i = 0; i < rows; i++) r[i] += A.jump;
    }
    float *c = C.c;
    const int ldc = C.ldc, nr = C.nr;
#if defined(SET_MASKED_EDGES)
    if (C.runs) {
        // each run's lanes with masked stores, from where lane 0 would go
        for (int s = 0; s < C.runs->count; s++) {
            const int lo = C.runs->lane[s], hi = lo + C.runs->n[s];
            float *base = c + C.runs->offset[s] - lo;
            UNROLL for (int i = 0; i < rows; i++) {
                if (i >= mr) break;
                UNROLL for (int v = 0; v < NV; v++)
                    VSTORE_LANES(base + (size_t)i * ldc + v * VL, acc[i][v], lo - v * VL, hi - v * VL);
            }
        }
        return;
    }
#endif
    if (mr == rows && nr == NR) {
        UNROLL for (int i = 0; i < rows; i++) {
            UNROLL for (int v = 0; v < NV; v++) {
                float *p = c + (size_t)i * ldc + v * VL;
                VSTORE(p, C.accumulate ? VADD(acc[i][v], VLOAD(p)) : acc[i][v]);
            }
        }
        return;
    }
#if defined(SET_MASKED_EDGES)
    // edges: masked loads and stores of rows [0, mr), lanes [0, nr)
    UNROLL for (int i = 0; i < rows; i++) {
        if (i >= mr) break;
        UNROLL for (int v = 0; v < NV; v++) {
            float *p = c + (size_t)i * ldc + v * VL;
            const int lanes = nr - v * VL;
            VSTOREN(p, C.accumulate ? VADD(acc[i][v], VLOADN(p, lanes)) : acc[i][v], lanes);
        }
    }
#else
    // edges: the tile through a buffer, then its mr × nr corner
    float t[MR * NR];
    UNROLL for (int i = 0; i < rows; i++) {
        UNROLL for (int v = 0; v < NV; v++) VSTORE(t + i * NR + v * VL, acc[i][v]);
    }
    for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        if (C.accumulate)
            for (int j = 0; j < nr; j++) row[j] += t[i * NR + j];
        else
            for (int j = 0; j < nr; j++) row[j] = t[i * NR + j];
    }
#endif
}

/// tileOf at the height that the tile's rows need.
TARGET static ALWAYS_INLINE void tile(int kc, tileA A, tileB B, tileC C) {
    if (C.mr <= HALF_MR)
        tileOf(HALF_MR, kc, A, B, C);
    else
        tileOf(MR, kc, A, B, C);
}

/// C tile (+)= A slab (kc, MR), packed · B panel (kc, NR).
TARGET static void kernelPacked(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr,
                                bool accumulate) {
    tile(kc, (tileA){.a = a, .rowStride = 1, .padded = true, .step = MR}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = accumulate});
}

/// C tile (+)= A read where it is, row-major (a[i·lda + p]) · B panel: for an A small enough to
/// stay in cache (a recurrent step's h or dGates), which packing would only copy.
TARGET static void kernelDirect(int kc, const float *a, int lda, const float *b, float *c, int ldc, int mr, int nr,
                                bool accumulate) {
    tile(kc, (tileA){.a = a, .rowStride = lda}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = accumulate});
}

/// kernelDirect whose rows start from init[i] (a convolution's bias), stored, not added.
TARGET static void kernelDirectInit(int kc, const float *a, int lda, const float *b, float *c, int ldc, int mr,
                                    int nr, const float *init) {
    tile(kc, (tileA){.a = a, .rowStride = lda}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .init = init});
}

/// C tile (+)= A read in place from panels of NR columns (rows NR floats apart, the next
/// panel aPanelStride floats on) · B panel.
TARGET static void kernelPanels(int kc, const float *a, int aPanelStride, const float *b, float *c, int ldc, int mr,
                                int nr, bool accumulate) {
    tile(kc, (tileA){.a = a, .rowStride = NR, .seg = NR, .jump = aPanelStride}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = accumulate});
}

/// C tile (mr × nr) += A (mr × kc) · B panel (kc, NR), A's row i being the floats at a[i] (rows
/// of a padded buffer that are not evenly spaced).
TARGET static void kernelRowPointers(int kc, const float *const a[MR], const float *b, float *c, int ldc, int mr,
                                     int nr) {
    tile(kc, (tileA){.rowPointers = a}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = true});
}

/// C tile (+)= A · B panel with A's row i read as column i of a packed op(B) (its p-th value NR
/// floats after the one before): Pᵀ for a P packed in panels (sgemm_packed_t).
TARGET static void kernelPanelColumns(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr,
                                      bool accumulate) {
    tile(kc, (tileA){.a = a, .rowStride = 1, .step = NR}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = accumulate});
}

/// kernelRowPointers whose A rows run in segments of `seg` floats, each `jump` floats after the
/// one before (a convolution's output rows within rows of the zero-bordered image).
TARGET static void kernelRowSegments(int kc, const float *const a[MR], int seg, int jump, const float *b, float *c,
                                     int ldc, int mr, int nr) {
    tile(kc, (tileA){.rowPointers = a, .seg = seg, .jump = jump}, (tileB){.b = b},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .accumulate = true});
}

/// A tile (mr rows × NR) = init + A rows (a[i·lda + p]) · B rows at base + offsets[p]: a
/// stride-1 convolution's positions read from the zero-bordered image, stored into c, or where
/// `runs` say.
TARGET static void kernelOffsets(int kc, const float *a, int lda, int mr, const float *base, const int *offsets,
                                 const float *init, float *c, int ldc, const tileRuns *runs) {
    tile(kc, (tileA){.a = a, .rowStride = lda}, (tileB){.b = base, .offsets = offsets},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = NR, .init = init, .runs = runs});
}

/// kernelOffsets over NR positions of which each vector's VL lie in one output row, vector v's
/// at base + vectors[v] + offsets[p]: stored into c (nr ≤ NR columns), rows from init.
TARGET static void kernelVectorRows(int kc, const float *a, int lda, int mr, const float *base, const int *offsets,
                                    const ptrdiff_t *vectors, const float *init, float *c, int ldc, int nr) {
    tile(kc, (tileA){.a = a, .rowStride = lda}, (tileB){.b = base, .offsets = offsets, .vectors = vectors},
         (tileC){.c = c, .ldc = ldc, .mr = mr, .nr = nr, .init = init});
}

/// op(A) rows [i0, i0+mr) × columns [p0, p0+kc) -> slabs of MR rows, each (kc, MR), the
/// slab of rows i0+s at dst + s·kc; rows ≥ mr zero.
TARGET static void packA(bool trans, const float *a, int lda, int i0, int mr, int p0, int kc, float *dst) {
    for (int s = 0; s < mr; s += MR) {
        float *slab = dst + (size_t)s * kc;
        const int rows = minInt(MR, mr - s);
        if (trans) {
            // op(A)(i, p) = a[p·lda + i]: each p reads MR contiguous floats
            for (int p = 0; p < kc; p++) {
                const float *src = a + (size_t)(p0 + p) * lda + i0 + s;
                if (rows == MR)
                    memcpy(slab + (size_t)p * MR, src, MR * sizeof(float));  // a few vector moves
                else
                    for (int i = 0; i < MR; i++) slab[p * MR + i] = i < rows ? src[i] : 0;
            }
        } else {
            // op(A)(i, p) = a[i·lda + p]: rows are contiguous; transposed in blocks
            for (int h = 0; h < MR; h += TB) {
                const int width = minInt(TB, MR - h), valid = rows - h > 0 ? minInt(rows - h, width) : 0;
                const float *src = valid ? a + (size_t)(i0 + s + h) * lda + p0 : a;
                for (int p = 0; p < kc; p += TB)
                    transposeBlock(src + p, lda, valid, minInt(TB, kc - p), slab + (size_t)p * MR + h, MR, width);
            }
        }
    }
}

/// op(B) rows [p0, p0+kc) × columns [j0, j0+nr) -> dst (kc, NR), columns ≥ nr zero.
TARGET static void packB(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nr, float *dst) {
    if (!trans) {
        // op(B)(p, j) = b[p·ldb + j]: each p reads nr contiguous floats
        for (int p = 0; p < kc; p++) {
            const float *row = b + (size_t)(p0 + p) * ldb + j0;
            float *d = dst + (size_t)p * NR;
            if (nr == NR) {
                UNROLL for (int v = 0; v < NV; v++) VSTORE(d + v * VL, VLOAD(row + v * VL));
            } else {
                for (int j = 0; j < nr; j++) d[j] = row[j];
                for (int j = nr; j < NR; j++) d[j] = 0;
            }
        }
    } else {
        // op(B)(p, j) = b[j·ldb + p]: column j of op(B) is row j of b; transposed in blocks
        for (int h = 0; h < NR; h += TB) {
            const int width = minInt(TB, NR - h), valid = nr - h > 0 ? minInt(nr - h, width) : 0;
            const float *src = valid ? b + (size_t)(j0 + h) * ldb + p0 : b;
            for (int p = 0; p < kc; p += TB)
                transposeBlock(src + p, ldb, valid, minInt(TB, kc - p), dst + (size_t)p * NR + h, NR, width);
        }
    }
}

/// B not transposed, columns [j0, j0+nc) → panels as packB packs them, panel jr at dst + jr·kc,
/// read row by row across all the panels: one run of nc floats per row of B instead of NR
/// floats from each of kc rows per panel. A Dense layer's weight at a small batch (dx = dy·W)
/// is a matrix far larger than L2 and used by a few tiles only: its rows ldb floats apart cost
/// a miss each, read per panel (Inception's 32×12288×512: 62 -> 81 GFLOP/s with the avx2 set).
TARGET static void packBRows(const float *b, int ldb, int p0, int kc, int j0, int nc, float *dst) {
    const int full = nc / NR * NR;
    for (int p = 0; p < kc; p++) {
        const float *row = b + (size_t)(p0 + p) * ldb + j0;
        float *d = dst + (size_t)p * NR;
        for (int jr = 0; jr < full; jr += NR)
            UNROLL for (int v = 0; v < NV; v++) VSTORE(d + (size_t)jr * kc + v * VL, VLOAD(row + jr + v * VL));
    }
    if (full < nc) packB(false, b, ldb, p0, kc, j0 + full, nc - full, dst + (size_t)full * kc);
}

/// op(B) rows [p0, p0+kc) × columns [j0, j0+nc) → panels, panel jr at dst + jr·kc: transposed
/// panel by panel (each reads NR rows of b whole), else row by row across the panels (packBRows).
TARGET static void packBlock(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nc, float *dst) {
    if (!trans) {
        packBRows(b, ldb, p0, kc, j0, nc, dst);
        return;
    }
    for (int jr = 0; jr < nc; jr += NR) packB(true, b, ldb, p0, kc, j0 + jr, minInt(nc - jr, NR), dst + (size_t)jr * kc);
}

/// C (m×nc) (+)= op(A) rows [0, m) × columns [pc, pc+kc) · B's panels of the block (kc, nc),
/// panel jr at panels + jr·kc.
TARGET static void multiplyBlock(bool transA, int m, int nc, int pc, int kc, const float *a, int lda,
                                 const float *panels, bool accumulate, float *c, int ldc) {
    if (!transA && (size_t)m * kc <= DIRECT_A) {
        for (int jr = 0; jr < nc; jr += NR) {
            const int nr = minInt(nc - jr, NR);
            FOR_ROW_TILES(ir, mr, m)
                kernelDirect(kc, a + (size_t)ir * lda + pc, lda, panels + (size_t)jr * kc, c + (size_t)ir * ldc + jr,
                             ldc, mr, nr, accumulate);
        }
        return;
    }
    if (!packedA) packedA = aligned((size_t)MC * KC);
    for (int ic = 0; ic < m; ic += MC) {
        const int mc = minInt(m - ic, MC);
        packA(transA, a, lda, ic, mc, pc, kc, packedA);
        for (int jr = 0; jr < nc; jr += NR) {
            const int nr = minInt(nc - jr, NR);
            for (int ir = 0; ir < mc; ir += MR)
                kernelPacked(kc, packedA + (size_t)ir * kc, panels + (size_t)jr * kc,
                             c + (size_t)(ic + ir) * ldc + jr, ldc, minInt(mc - ir, MR), nr, accumulate);
        }
    }
}

static bool zeroK(int m, int n, int k, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return true;
    if (k > 0) return false;
    if (beta == 0)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    return true;
}

/// Cᵀ for multiplyTransposed, per thread.
static _Thread_local float *transposedC;
static _Thread_local size_t transposedCSize;

#if !defined(DOT_COLUMNS)
/// The most columns past whole panels that multiplyTransposed computes as dot products
/// (dotColumns) rather than as one more panel, mostly padding.
#define DOT_COLUMNS (NR / 4)
#endif

/// The columns of multiplyTransposed's Cᵀ (m of them) that dotColumns computes: those past
/// the whole panels when they are few (0: the last panel is padded instead).
static int dotColumnsOf(int m) { return m >= NR && m % NR <= DOT_COLUMNS ? m % NR : 0; }

/// Whether C (m × n) = A·Bᵀ goes through multiplyTransposed: a few rows of A that fill whole
/// panels but for a few columns (dotColumnsOf) or for an eighth of a panel at most, against a
/// B of at least 1 MB.
static bool wantsTransposed(bool transA, bool transB, int m, int n, int k) {
    return !transA && transB && m <= 4 * NR && (dotColumnsOf(m) > 0 || (roundUpNR(m) - m) * 8 <= m) && n >= MR
        && (size_t)n * k >= 256 * 1024;
}

/// ct rows [0, mr) × columns [0, cols) (+)= w's rows (row stride ldw) · x's rows (row stride
/// ldx), each element one dot product over kc along the rows, in VL lanes then summed across
/// them in order: multiplyTransposed's last columns, fewer than a panel, which a panel would
/// compute NR wide (LeNet5's batch of 50 is 3 panels of 16 and 2 columns). Two columns at a
/// time, every row of w read once per pair while it is in L1.
TARGET static void dotColumns(int kc, const float *w, int ldw, int mr, const float *x, int ldx, int cols, float *ct,
                              int ldct, bool accumulate) {
    const int vk = kc / VL * VL;
    for (int j = 0; j < cols; j += 2) {
        const int pair = minInt(cols - j, 2);
        const float *x0 = x + (size_t)j * ldx, *x1 = pair > 1 ? x0 + ldx : x0;
        for (int i = 0; i < mr; i += 4) {
            const int rows = minInt(mr - i, 4);
            const float *r[4];
            UNROLL for (int q = 0; q < 4; q++) r[q] = w + (size_t)(i + (q < rows ? q : 0)) * ldw;
            vec acc[4][2];
            UNROLL for (int q = 0; q < 4; q++) acc[q][0] = acc[q][1] = VZERO();
            for (int p = 0; p < vk; p += VL) {
                const vec a0 = VLOAD(x0 + p), a1 = VLOAD(x1 + p);
                UNROLL for (int q = 0; q < 4; q++) {
                    const vec b = VLOAD(r[q] + p);
                    acc[q][0] = VFMA(acc[q][0], a0, b);
                    acc[q][1] = VFMA(acc[q][1], a1, b);
                }
            }
            for (int q = 0; q < rows; q++)
                for (int h = 0; h < pair; h++) {
                    float lanes[VL], sum = 0;
                    VSTORE(lanes, acc[q][h]);
                    for (int l = 0; l < VL; l++) sum += lanes[l];
                    const float *xr = h ? x1 : x0;
                    for (int p = vk; p < kc; p++) sum += r[q][p] * xr[p];
                    float *out = ct + (size_t)(i + q) * ldct + j + h;
                    *out = accumulate ? *out + sum : sum;
                }
        }
    }
}

/// C (m × n) = A·Bᵀ + beta·C for a few rows of A and a large B (n × k, row-major): a Dense
/// layer's forward at a small batch, B its weight. Computed as Cᵀ = B·Aᵀ, B's rows read in place
/// as the tiles' broadcast rows and Aᵀ the packed panels, into a Cᵀ that is then transposed
/// into C; so the large matrix is never transposed into panels, which took a quarter of the
/// time (Inception's 32×512×12288 with avx2: 76 -> 105 GFLOP/s). Each element in whole panels
/// is the same sequence of FMAs as sgemm's, a·b being b·a, and so has its bits; the few
/// columns past them (dotColumnsOf) are dot products, summed in another fixed order.
TARGET static void multiplyTransposed(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                                      float beta, float *c, int ldc) {
    float *ct = transposedC = grow(transposedC, &transposedCSize, (size_t)n * m);
    if (beta != 0)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) ct[(size_t)j * m + i] = c[(size_t)i * ldc + j];
    const int panels = m - dotColumnsOf(m);
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = minInt(k - pc, KC);
        const bool accumulate = pc > 0 || beta != 0;
        packBlock(true, a, lda, pc, kc, 0, panels, packedB);
        FOR_ROW_TILES(ir, mr, n) {
            for (int jr = 0; jr < panels; jr += NR)
                kernelDirect(kc, b + (size_t)ir * ldb + pc, ldb, packedB + (size_t)jr * kc, ct + (size_t)ir * m + jr, m,
                             mr, minInt(panels - jr, NR), accumulate);
            if (panels < m)
                dotColumns(kc, b + (size_t)ir * ldb + pc, ldb, mr, a + (size_t)panels * lda + pc, lda, m - panels,
                           ct + (size_t)ir * m + panels, m, accumulate);
        }
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = ct[(size_t)j * m + i];
}

TARGET void SET_FUNCTION(sgemm)(bool transA, bool transB, int m, int n, int k, const float *a, int lda,
                                const float *b, int ldb, float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    if (!packedB) packedB = aligned((size_t)KC * NC);
    if (wantsTransposed(transA, transB, m, n, k)) {
        multiplyTransposed(m, n, k, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (!transA && (size_t)m * minInt(k, KC) <= DIRECT_A) {
        // A stays in cache. Transposed, each panel of B is packed and at once multiplied by all
        // of A's rows while it is in L1, instead of a block of panels going to L2 and coming
        // back; not transposed, B's rows are read whole (packBRows) into a block of panels
        // that is multiplied from L2
        const int block = transB ? NR : DIRECT_B;
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = minInt(k - pc, KC);
            for (int jc = 0; jc < n; jc += block) {
                const int nc = minInt(n - jc, block);
                packBlock(transB, b, ldb, pc, kc, jc, nc, packedB);
                for (int jr = 0; jr < nc; jr += NR)
                    FOR_ROW_TILES(ir, mr, m)
                        kernelDirect(kc, a + (size_t)ir * lda + pc, lda, packedB + (size_t)jr * kc,
                                     c + (size_t)ir * ldc + jc + jr, ldc, mr, minInt(nc - jr, NR), pc > 0 || beta != 0);
            }
        }
        return;
    }
    for (int jc = 0; jc < n; jc += NC) {
        const int nc = minInt(n - jc, NC);
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = minInt(k - pc, KC);
            packBlock(transB, b, ldb, pc, kc, jc, nc, packedB);
            multiplyBlock(transA, m, nc, pc, kc, a, lda, packedB, pc > 0 || beta != 0, c + jc, ldc);
        }
    }
}

// The whole of op(B) packed: K block pc (kc rows) at pc·nNR, where nNR is n rounded up to
// NR, and in it the panel of columns [j, j+NR) at j·kc.

size_t SET_FUNCTION(packed_size)(int k, int n) { return (size_t)(k > 0 ? k : 1) * (size_t)roundUpNR(n > 0 ? n : 1); }

TARGET void SET_FUNCTION(pack_b)(bool transB, int k, int n, const float *b, int ldb, float *packed) {
    const int nNR = roundUpNR(n);
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = minInt(k - pc, KC);
        packBlock(transB, b, ldb, pc, kc, 0, n, packed + (size_t)pc * nNR);
    }
}

size_t SET_FUNCTION(packed_row)(int k, int n, int row, int *panelStride) {
    const int pc = row / KC * KC, kc = minInt(k - pc, KC);
    *panelStride = kc * NR;
    return (size_t)pc * roundUpNR(n) + (size_t)(row - pc) * NR;
}

TARGET void SET_FUNCTION(sgemm_packed)(bool transA, int m, int n, int k, const float *a, int lda,
                                       const float *packed, float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    const int nNR = roundUpNR(n);
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = minInt(k - pc, KC);
        for (int jc = 0; jc < n; jc += NC)
            multiplyBlock(transA, m, minInt(n - jc, NC), pc, kc, a, lda, packed + (size_t)pc * nNR + (size_t)jc * kc,
                          pc > 0 || beta != 0, c + jc, ldc);
    }
}

TARGET void SET_FUNCTION(sgemm_packed_a_panels)(int m, int n, int k, const float *a, int aPanelStride,
                                                const float *packed, float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    const int nNR = roundUpNR(n);
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = minInt(k - pc, KC);
        const float *panels = packed + (size_t)pc * nNR, *ac = a + (size_t)(pc / NR) * aPanelStride;
        for (int jr = 0; jr < n; jr += NR)
            FOR_ROW_TILES(ir, mr, m)
                kernelPanels(kc, ac + (size_t)ir * NR, aPanelStride, panels + (size_t)jr * kc, c + (size_t)ir * ldc + jr,
                             ldc, mr, minInt(n - jr, NR), pc > 0 || beta != 0);
    }
}

TARGET void SET_FUNCTION(sgemm_packed_t)(int m, int n, int k, const float *packed, const float *b, int ldb,
                                         float beta, float *c, int ldc) {
    if (zeroK(m, n, k, beta, c, ldc)) return;
    if (!packedB) packedB = aligned((size_t)KC * NC);
    const int mNR = roundUpNR(m);
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = minInt(k - pc, KC);
        // P's K block: its panel of columns [ip, ip + NR), the rows of C's tiles, at ip·kc
        const float *panels = packed + (size_t)pc * mNR;
        for (int jc = 0; jc < n; jc += NC) {
            const int nc = minInt(n - jc, NC);
            packBRows(b, ldb, pc, kc, jc, nc, packedB);
            for (int ip = 0; ip < m; ip += NR) {
                const int rows = minInt(m - ip, NR);
                for (int jr = 0; jr < nc; jr += NR)
                    FOR_ROW_TILES(ir, mr, rows)
                        kernelPanelColumns(kc, panels + (size_t)ip * kc + ir, packedB + (size_t)jr * kc,
                                           c + (size_t)(ip + ir) * ldc + jc + jr, ldc, mr, minInt(nc - jr, NR),
                                           pc > 0 || beta != 0);
            }
        }
    }
}

/// y (columns × rows) += xᵀ for x (rows × columns), TB×TB blocks transposed through L1: one
/// add per element, as the plain loop.
TARGET void SET_FUNCTION(add_transposed)(int rows, int columns, const float *x, float *y) {
    float t[TB * TB];
    for (int c0 = 0; c0 < columns; c0 += TB) {
        const int nc = minInt(columns - c0, TB);
        for (int r0 = 0; r0 < rows; r0 += TB) {
            const int nr = minInt(rows - r0, TB);
            transposeBlock(x + (size_t)r0 * columns + c0, columns, nr, nc, t, TB, TB);  // t[q] = column c0+q
            for (int q = 0; q < nc; q++) {
                float *dst = y + (size_t)(c0 + q) * rows + r0;
                for (int i = 0; i < nr; i++) dst[i] += t[q * TB + i];
            }
        }
    }
}

// ---- Convolution as an implicit GEMM ----
// out (OC, OH·OW) = W (OC, K) · col (K, OH·OW) with K = C·KH·KW, where col is the image's
// im2col, never materialised: each panel of col (kc rows × NR output positions) is built
// from the image straight into an L1-resident buffer the micro-kernel reads, and the weight
// gradient reads the same panels as its A. Sums run in a fixed order.

/// Runs of one output row each among the NR output positions [j0, j0 + NR) of a panel: run s
/// covers lanes [lane[s], lane[s] + n[s]), output row y[s] (times the stride) from column x[s].
typedef struct convRuns { int count, y[NR], x[NR], n[NR], lane[NR]; } convRuns;

static void runsOf(const sweep_conv_shape *g, int j0, convRuns *r) {
    const int spatial = g->outHeight * g->outWidth;
    r->count = 0;
    for (int j = j0; j < j0 + NR && j < spatial;) {
        const int y = j / g->outWidth, x = j % g->outWidth, n = minInt(g->outWidth - x, minInt(j0 + NR - j, spatial - j));
        r->y[r->count] = y * g->stride, r->x[r->count] = x, r->n[r->count] = n, r->lane[r->count] = j - j0;
        r->count++;
        j += n;
    }
}

/// Per kernel offset t = kh·KW + kw and run s (at t·runs + s): the lanes [lo, hi) of a stride-1
/// panel row that read inside the image, lane l at channel + offset + l (empty where the input
/// row is outside). They depend only on the run and (kh, kw), not on the channel.
static void stride1Lanes(const sweep_conv_shape *g, const convRuns *r, int *lo, int *hi, int *offset) {
    const int k = g->kernel;
    for (int t = 0; t < k * k; t++) {
        const int th = t / k, tw = t % k;
        for (int s = 0; s < r->count; s++) {
            const int iy = r->y[s] + th - g->padTop, ix0 = r->x[s] + tw - g->padLeft;
            const int l0 = r->lane[s] + (ix0 < 0 ? -ix0 : 0), l1 = r->lane[s] + minInt(g->width - ix0, r->n[s]);
            const bool inside = iy >= 0 && iy < g->height && l1 > l0;
            lo[t * r->count + s] = inside ? l0 : 0;
            hi[t * r->count + s] = inside ? l1 : 0;
            offset[t * r->count + s] = inside ? iy * g->width + ix0 - r->lane[s] : 0;
        }
    }
}

#if defined(LANE_MASK)
/// packConvStride1 with masked loads: each run fills its lanes of a panel row's vectors in one
/// load each (masks computed once per panel), zeros coming from the masks, and the row is
/// stored whole.
TARGET static void packConvStride1(const sweep_conv_shape *g, const float *image, int k0, int kc, const convRuns *r,
                                   float *panel) {
    const int kk = g->kernel * g->kernel, plane = g->height * g->width, runs = r->count;
    int lo[kk * runs], hi[kk * runs], offset[kk * runs];
    stride1Lanes(g, r, lo, hi, offset);
    laneMask masks[kk * runs][NV];
    for (int i = 0; i < kk * runs; i++)
        for (int v = 0; v < NV; v++) masks[i][v] = LANE_MASK(lo[i] - v * VL, hi[i] - v * VL);
    const float *channel = image + (size_t)(k0 / kk) * plane;
    int t = k0 % kk;
    for (int i = 0; i < kc; i++) {
        vec row[NV];
        UNROLL for (int v = 0; v < NV; v++) row[v] = VZERO();
        const int at = t * runs;
        for (int s = 0; s < runs; s++) {
            const float *src = channel + offset[at + s];
            UNROLL for (int v = 0; v < NV; v++) row[v] = VLOAD_MERGE(row[v], masks[at + s][v], src + v * VL);
        }
        UNROLL for (int v = 0; v < NV; v++) VSTORE(panel + (size_t)i * NR + v * VL, row[v]);
        if (++t == kk) t = 0, channel += plane;
    }
}
#else
/// packConvPanel at stride 1: each panel row is the runs' lanes copied from one input row each.
TARGET static void packConvStride1(const sweep_conv_shape *g, const float *image, int k0, int kc, const convRuns *r,
                                   float *panel) {
    const int kk = g->kernel * g->kernel, plane = g->height * g->width, runs = r->count;
    int lo[kk * runs], hi[kk * runs], offset[kk * runs];
    stride1Lanes(g, r, lo, hi, offset);
    const float *channel = image + (size_t)(k0 / kk) * plane;
    int t = k0 % kk;
    for (int i = 0; i < kc; i++) {
        float *dst = panel + (size_t)i * NR;
        for (int l = 0; l < NR; l++) dst[l] = 0;
        const int at = t * runs;
        for (int s = 0; s < runs; s++) {
            const float *src = channel + offset[at + s];
            for (int l = lo[at + s]; l < hi[at + s]; l++) dst[l] = src[l];
        }
        if (++t == kk) t = 0, channel += plane;
    }
}
#endif

/// The panel of an image's im2col: rows [k0, k0 + kc) (r = (c·KH + kh)·KW + kw), output
/// positions [j0, j0 + NR) (y·OW + x; those ≥ OH·OW zero) -> panel (kc, NR).
TARGET static void packConvPanel(const sweep_conv_shape *g, const float *image, int k0, int kc, int j0,
                                 float *panel) {
    convRuns r;
    runsOf(g, j0, &r);
    if (g->stride == 1) {
        packConvStride1(g, image, k0, kc, &r, panel);
        return;
    }
    const int kk = g->kernel * g->kernel, plane = g->height * g->width;
    int c = k0 / kk, kh = (k0 / g->kernel) % g->kernel, kw = k0 % g->kernel;
    for (int i = 0; i < kc; i++) {
        float *dst = panel + (size_t)i * NR;
        for (int l = 0; l < NR; l++) dst[l] = 0;
        const float *channel = image + (size_t)c * plane;
        for (int s = 0; s < r.count; s++) {
            const int iy = r.y[s] + kh - g->padTop;
            if (iy < 0 || iy >= g->height) continue;
            const float *row = channel + (size_t)iy * g->width;
            for (int t = 0; t < r.n[s]; t++) {
                const int ix = (r.x[s] + t) * g->stride + kw - g->padLeft;
                if (ix >= 0 && ix < g->width) dst[r.lane[s] + t] = row[ix];
            }
        }
        if (++kw == g->kernel) kw = 0, ++kh == g->kernel ? (kh = 0, c++) : 0;
    }
}

// ---- Stride 1: no im2col panels at all ----
// At stride 1 the image is copied once into a zero-bordered copy of (OH + K − 1) rows of
// Wp = OW + K − 1, and output positions are counted in that width: p = y·Wp + x, the last
// K − 1 of each row being junk, computed and never stored. Then row r = (c, kh, kw) of the
// im2col over NR consecutive positions is NR consecutive floats of the copy, at
// c·Hp·Wp + kh·Wp + kw + p: the micro-kernel reads B (forward) or A (weight gradient)
// straight from it, and no panel is built. The junk costs (K − 1) / Wp more FMAs.

/// Per thread: the zero-bordered image, its offsets per im2col row, and for the weight gradient
/// dy in padded positions, dyᵀ in blocks of NR channels (P × NR each), the image rows transposed
/// into panels, and the sums before they go to dWᵀ.
static _Thread_local float *padBuffer, *dyPadded, *dyBlocks, *convPanels, *convSums;
static _Thread_local size_t padSize, dyPaddedSize, dyBlocksSize, convPanelsSize, convSumsSize;
static _Thread_local int *rowOffsets;
static _Thread_local size_t rowOffsetsSize;

/// The stride-1 geometry in padded positions.
typedef struct { int hp, wp, positions; } paddedShape;

static paddedShape padded(const sweep_conv_shape *g) {
    paddedShape s = {g->outHeight + g->kernel - 1, g->outWidth + g->kernel - 1, 0};
    s.positions = (g->outHeight - 1) * s.wp + g->outWidth;
    return s;
}

/// The geometry whose zeros padBuffer holds (nothing yet: channels 0).
static _Thread_local sweep_conv_shape padZeros;

/// image (C, H, W) -> padBuffer (C, Hp, Wp) with the image at (padTop, padLeft), zeros around
/// (and 2·NR floats of slack, which tiles past the last position read and never use). The
/// copies of one geometry write the same places, so the zeros of the last one with the same
/// geometry are still there: the buffer is cleared only when the geometry changes (once per
/// layer and pass, not once per image).
static void padImage(const sweep_conv_shape *g, paddedShape s, const float *image) {
    const size_t plane = (size_t)s.hp * s.wp, need = g->channels * plane + 2 * NR;
    const size_t sizeBefore = padSize;  // a buffer grown anew may start where the old one did
    padBuffer = grow(padBuffer, &padSize, need);
    if (padSize != sizeBefore || memcmp(&padZeros, g, sizeof *g) != 0) {
        memset(padBuffer, 0, need * sizeof(float));
        padZeros = *g;
    }
    for (int c = 0; c < g->channels; c++) {
        for (int iy = 0; iy < g->height; iy++) {
            const int py = iy + g->padTop;
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

/// Whether a stride-1 convolution's output rows are whole vectors (OW a multiple of VL; of NR
/// for the portable set, whose lanes are its vectors): then its forward pass takes NR output
/// positions per tile as they come, each vector's VL from one output row of the zero-bordered
/// image, with no junk positions at all.
static bool vectorRows(const sweep_conv_shape *g) { return g->stride == 1 && g->outWidth % (VL > 1 ? VL : NR) == 0; }

TARGET static void convForwardStride1(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                      const float *w, const float *bias, float *output) {
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    const paddedShape s = padded(g);
    static const float zeros[MR];
    const int *offsets = offsetsOf(g, s);   // the same for every image
#if !defined(SET_MASKED_EDGES)
    float t[MR * NR];
#endif
    for (int b = 0; b < batch; b++) {
        padImage(g, s, input + b * inCount);
        float *out = output + b * outCount;
        if (vectorRows(g)) {
            for (int j0 = 0; j0 < spatial; j0 += NR) {
                // where each vector's output row starts in the bordered image (past the end: unused)
                ptrdiff_t vectors[NV];
                for (int v = 0; v < NV; v++) {
                    const int pos = j0 + v * VL;
                    vectors[v] = pos < spatial ? (ptrdiff_t)(pos / g->outWidth) * s.wp + pos % g->outWidth : 0;
                }
                // a whole tile in one output row reads NR floats in a row: kernelOffsets' loads
                const bool oneRow = j0 + NR <= spatial && vectors[NV - 1] == vectors[0] + (NV - 1) * VL;
                FOR_ROW_TILES(ir, mr, outChannels) {
                    const float *wr = w + (size_t)ir * k, *init = bias ? bias + ir : zeros;
                    float *o = out + (size_t)ir * spatial + j0;
                    if (oneRow)
                        kernelOffsets(k, wr, k, mr, padBuffer + vectors[0], offsets, init, o, spatial, NULL);
                    else
                        kernelVectorRows(k, wr, k, mr, padBuffer, offsets, vectors, init, o, spatial,
                                         minInt(NR, spatial - j0));
                }
            }
            continue;
        }
        for (int j0 = 0; j0 < s.positions; j0 += NR) {
            const int y0 = j0 / s.wp, x0 = j0 % s.wp;
            // the NR positions in runs of one output row each, junk skipped
            tileRuns runs = {0};
            for (int lane = 0; lane < NR && j0 + lane < s.positions;) {
                const int pos = j0 + lane, y = pos / s.wp, x = pos % s.wp;
                if (x >= g->outWidth) {
                    lane += s.wp - x;
                    continue;
                }
                const int n = minInt(g->outWidth - x, minInt(NR - lane, s.positions - pos));
                runs.lane[runs.count] = lane, runs.n[runs.count] = n, runs.offset[runs.count] = y * g->outWidth + x;
                runs.count++;
                lane += n;
            }
            FOR_ROW_TILES(ir, mr, outChannels) {
                const float *wr = w + (size_t)ir * k, *init = bias ? bias + ir : zeros;
                float *o = out + (size_t)ir * spatial;
                if (x0 + NR <= g->outWidth) {
                    // the NR positions are one run of one output row: the tile goes there straight
                    kernelOffsets(k, wr, k, mr, padBuffer + j0, offsets, init, o + (size_t)y0 * g->outWidth + x0, spatial,
                                  NULL);
                    continue;
                }
#if defined(SET_MASKED_EDGES)
                kernelOffsets(k, wr, k, mr, padBuffer + j0, offsets, init, o, spatial, &runs);
#else
                kernelOffsets(k, wr, k, mr, padBuffer + j0, offsets, init, t, NR, NULL);
                for (int r = 0; r < runs.count; r++)
                    for (int i = 0; i < mr; i++)
                        COPY_RUN(o + (size_t)i * spatial + runs.offset[r], t + i * NR + runs.lane[r], runs.n[r]);
#endif
            }
        }
    }
}

/// The stride-1 weight gradient without im2col rows. With q counting padded positions,
/// im2col row (c, kh, kw) is the image row (c, kh) of the zero-bordered copy shifted by kw:
///   dWᵀ((c, kh, kw), o) = Σ_p pad(c, kh)[p + kw] · dy(o, p) = Σ_q pad(c, kh)[q] · dy(o, q − kw),
/// a GEMM of C·K rows of the image by OC·K shifted rows of dy, over the P + K − 1 positions q:
/// S ((o, kw), (c, kh)) = Σ_q dy(o, q − kw) · pad(c, kh)[q]. Its A rows are read in place from a
/// copy of dy with K − 1 zeros on either side; its B is the C·K image rows, transposed into panels,
/// which costs 1 / (OC·K) of the FMAs. The FMAs are those of the im2col form, on other sides: LeNet5's
/// first layer is 30 × 15 instead of 75 × 6, where 6 channels filled a panel of 16 badly.
TARGET static void convWeightGradShifted(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                         const float *dy, float *dWt) {
    const int k = g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    const paddedShape s = padded(g);
    const int q = s.positions + k - 1, ldy = s.positions + 2 * (k - 1);
    const int rows = outChannels * k, cols = g->channels * k, colsNR = roundUpNR(cols);
    dyPadded = grow(dyPadded, &dyPaddedSize, (size_t)outChannels * ldy);
    convPanels = grow(convPanels, &convPanelsSize, (size_t)KC * colsNR);
    convSums = grow(convSums, &convSumsSize, (size_t)rows * colsNR);
    memset(dyPadded, 0, sizeof(float) * outChannels * ldy);
    memset(convSums, 0, sizeof(float) * rows * colsNR);
    for (int b = 0; b < batch; b++) {
        padImage(g, s, input + b * inCount);
        // dy in padded positions (junk zero) from K − 1 on in each row
        const float *d = dy + b * outCount;
        for (int o = 0; o < outChannels; o++)
            for (int y = 0; y < g->outHeight; y++)
                memcpy(dyPadded + (size_t)o * ldy + k - 1 + (size_t)y * s.wp, d + (size_t)o * spatial + (size_t)y * g->outWidth,
                       (size_t)g->outWidth * sizeof(float));
        for (int q0 = 0; q0 < q; q0 += KC) {
            const int kc = minInt(q - q0, KC);
            // B: image rows (c, kh) over positions [q0, q0 + kc), panel j0 at j0·kc
            for (int j0 = 0; j0 < cols; j0 += NR)
                for (int h = 0; h < NR; h += TB) {
                    const float *image[TB];
                    const int count = minInt(TB, cols - j0 - h);
                    for (int i = 0; i < TB; i++) {
                        const int j = j0 + h + (i < count ? i : 0), c = j / k, kh = j % k;
                        image[i] = padBuffer + ((size_t)c * s.hp + kh) * s.wp + q0;
                    }
                    for (int p = 0; p < kc; p += TB) {
                        const float *from[TB];
                        for (int i = 0; i < TB; i++) from[i] = image[i] + p;
                        transposeRows(from, count, minInt(TB, kc - p), convPanels + (size_t)j0 * kc + (size_t)p * NR + h,
                                      NR, minInt(TB, NR - h));
                    }
                }
            // S ((o, kw), ·) += dy(o, q − kw) · B
            FOR_ROW_TILES(ir, mr, rows) {
                const float *a[MR];
                for (int i = 0; i < MR; i++) {
                    const int row = ir + (i < mr ? i : 0), o = row / k, kw = row % k;
                    a[i] = dyPadded + (size_t)o * ldy + k - 1 - kw + q0;
                }
                for (int j0 = 0; j0 < cols; j0 += NR)
                    kernelRowPointers(kc, a, convPanels + (size_t)j0 * kc, convSums + (size_t)ir * colsNR + j0, colsNR,
                                      mr, NR);
            }
        }
    }
    for (int o = 0; o < outChannels; o++)
        for (int kw = 0; kw < k; kw++)
            for (int c = 0; c < g->channels; c++)
                for (int kh = 0; kh < k; kh++)
                    dWt[((size_t)(c * k + kh) * k + kw) * outChannels + o] +=
                        convSums[(size_t)(o * k + kw) * colsNR + c * k + kh];
}

/// The stride-1 weight gradient as the im2col form: dWᵀ (K, OC) += im2col rows read in place from
/// the zero-bordered image (row pointers, OW positions of each output row, then on to the next) ·
/// dyᵀ packed in panels of NR channels. No junk positions: the sum runs over the OH·OW outputs.
TARGET static void convWeightGradRows(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                      const float *dy, float *dWt) {
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    const paddedShape s = padded(g);
    const int ocNR = roundUpNR(outChannels), ow = g->outWidth;
    // output rows per block of positions: about KC positions, whole rows
    const int blockRows = KC / ow > 1 ? KC / ow : 1;
    dyBlocks = grow(dyBlocks, &dyBlocksSize, (size_t)ocNR * spatial);
    const int *offsets = offsetsOf(g, s);   // the same for every image
    for (int b = 0; b < batch; b++) {
        padImage(g, s, input + b * inCount);
        // dyᵀ: block o0 holds (spatial × NR)
        const float *d = dy + b * outCount;
        for (int o0 = 0; o0 < outChannels; o0 += NR)
            packB(true, d, spatial, 0, spatial, o0, minInt(outChannels - o0, NR), dyBlocks + (size_t)o0 * spatial);
        // dWᵀ (K, OC) += col (K, positions) · dyᵀ (positions, OC), blockRows output rows at a time
        for (int o0 = 0; o0 < outChannels; o0 += NR) {
            const int nr = minInt(outChannels - o0, NR);
            for (int y0 = 0; y0 < g->outHeight; y0 += blockRows) {
                const int pn = minInt(blockRows, g->outHeight - y0) * ow;
                const float *block = dyBlocks + (size_t)o0 * spatial + (size_t)y0 * ow * NR;
                FOR_ROW_TILES(ir, mr, k) {
                    const float *rows[MR];
                    for (int i = 0; i < MR; i++) rows[i] = padBuffer + offsets[ir + (i < mr ? i : 0)] + (size_t)y0 * s.wp;
                    kernelRowSegments(pn, rows, ow, s.wp, block, dWt + (size_t)ir * outChannels + o0, outChannels, mr, nr);
                }
            }
        }
    }
}

/// The share of a tile grid's multiply-adds that are not padding, for rows × cols in tiles of
/// MR (HALF_MR for the last rows when they fit) × NR.
static double tileUse(int rows, int cols) {
    int paddedRows = 0;
    FOR_ROW_TILES(ir, mr, rows) paddedRows += mr <= HALF_MR ? HALF_MR : MR;
    return (double)rows * cols / ((double)paddedRows * roundUpNR(cols));
}

/// The stride-1 weight gradient in whichever form fills its tiles better.
TARGET static void convWeightGradStride1(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                         const float *dy, float *dWt) {
    const int k = g->kernel, rows = g->channels * k * k;
    if (tileUse(outChannels * k, g->channels * k) > tileUse(rows, outChannels))
        convWeightGradShifted(g, batch, input, outChannels, dy, dWt);
    else
        convWeightGradRows(g, batch, input, outChannels, dy, dWt);
}

/// Whether a convolution takes the stride-1 path: when its junk, (K − 1) / Wp of the FMAs,
/// costs less than building panels, about STRIDE1_JUNK_LIMIT / OC of them (a panel row takes
/// a few cycles to build and feeds some OC·NR / (2·VL) cycles of FMAs).
static bool directStride1(const sweep_conv_shape *g, int outChannels) {
    return g->stride == 1 && (g->kernel - 1) * outChannels < STRIDE1_JUNK_LIMIT * (g->outWidth + g->kernel - 1);
}

/// Per thread: one im2col panel, and dyᵀ of one image packed for the weight gradient.
static _Thread_local float *convPanel, *convDyT;
static _Thread_local size_t convDyTSize;

TARGET void SET_FUNCTION(conv_forward)(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                                       const float *w, const float *bias, float *output) {
    if (vectorRows(g) || directStride1(g, outChannels)) {
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
            const int nr = minInt(spatial - j0, NR);
            for (int pc = 0; pc < k; pc += KC) {
                const int kc = minInt(k - pc, KC);
                packConvPanel(g, image, pc, kc, j0, convPanel);
                FOR_ROW_TILES(ir, mr, outChannels) {
                    float *tile = out + (size_t)ir * spatial + j0;
                    if (pc == 0)  // the first block starts from the bias
                        kernelDirectInit(kc, w + (size_t)ir * k, k, convPanel, tile, spatial, mr, nr,
                                         bias ? bias + ir : zeros);
                    else
                        kernelDirect(kc, w + (size_t)ir * k + pc, k, convPanel, tile, spatial, mr, nr, true);
                }
            }
        }
    }
}

TARGET void SET_FUNCTION(conv_weight_grad)(const sweep_conv_shape *g, int batch, const float *input,
                                           int outChannels, const float *dy, float *dWt) {
    if (g->stride == 1) {
        convWeightGradStride1(g, batch, input, outChannels, dy, dWt);
        return;
    }
    const int k = g->channels * g->kernel * g->kernel, spatial = g->outHeight * g->outWidth;
    const int ocNR = roundUpNR(outChannels), sNR = roundUpNR(spatial);
    const size_t inCount = (size_t)g->channels * g->height * g->width, outCount = (size_t)outChannels * spatial;
    if (!convPanel) convPanel = aligned((size_t)KC * NR);
    convDyT = grow(convDyT, &convDyTSize, (size_t)sNR * ocNR);
    for (int b = 0; b < batch; b++) {
        const float *image = input + b * inCount, *d = dy + b * outCount;
        // dyᵀ (spatial × OC) as NR×NR blocks: positions [j0, j0+NR) × channels [o0, o0+NR) at
        // (j0 / NR · ocNR + o0) · NR, each row of NR channels contiguous, zero beyond the edges
        for (int j0 = 0; j0 < spatial; j0 += NR) {
            const int rows = minInt(spatial - j0, NR);
            for (int o0 = 0; o0 < ocNR; o0 += NR) {
                float *block = convDyT + ((size_t)j0 / NR * ocNR + o0) * NR;
                if (rows < NR) memset(block, 0, NR * NR * sizeof(float));
                packB(true, d, spatial, j0, rows, o0, minInt(outChannels - o0, NR), block);
            }
        }
        // dWᵀ (K, OC) += col (K, positions) · dyᵀ (positions, OC), NR positions at a time
        for (int j0 = 0; j0 < spatial; j0 += NR) {
            for (int pc = 0; pc < k; pc += KC) {
                const int kc = minInt(k - pc, KC);
                packConvPanel(g, image, pc, kc, j0, convPanel);
                for (int o0 = 0; o0 < outChannels; o0 += NR) {
                    const int nr = minInt(outChannels - o0, NR);
                    const float *block = convDyT + ((size_t)j0 / NR * ocNR + o0) * NR;
                    FOR_ROW_TILES(ir, mr, kc)
                        kernelDirect(NR, convPanel + (size_t)ir * NR, NR, block,
                                     dWt + (size_t)(pc + ir) * outChannels + o0, outChannels, mr, nr,
                                     true);
                }
            }
        }
    }
}

// ---- 2×2 max pooling at stride 2 ----
// Element loops that the compiler vectorises for the set's target (stride-2 loads and
// stores, compares and selects): pure selects, so every set gives the same bits.

TARGET void SET_FUNCTION(max_pool_forward)(int planes, int h, int w, const float *x, float *y, uint8_t *switches) {
    const int oh = h / 2, ow = w / 2;
    for (int p = 0; p < planes; p++)
        for (int r = 0; r < oh; r++) {
            const float *top = x + ((size_t)p * h + 2 * r) * w, *bottom = top + w;
            float *yr = y + ((size_t)p * oh + r) * ow;
            uint8_t *sr = switches + ((size_t)p * oh + r) * ow;
            for (int c = 0; c < ow; c++) {
                float m = top[2 * c];
                int at = 0;
                // a later value wins when greater or NaN: ties keep the first, NaN wins
                const float v1 = top[2 * c + 1], v2 = bottom[2 * c], v3 = bottom[2 * c + 1];
                const bool w1 = v1 > m || v1 != v1;
                m = w1 ? v1 : m, at = w1 ? 1 : at;
                const bool w2 = v2 > m || v2 != v2;
                m = w2 ? v2 : m, at = w2 ? 2 : at;
                const bool w3 = v3 > m || v3 != v3;
                m = w3 ? v3 : m, at = w3 ? 3 : at;
                yr[c] = m;
                sr[c] = (uint8_t)at;
            }
        }
}

// The backward's derivatives are the Swift Activation's, operation for operation: no a·b + c
// contracted into one FMA from here on (lstm_adam_template.h, which follows, says the same).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/// The backward's rows for one `activation` (a constant once inlined, so each has its loop).
TARGET static ALWAYS_INLINE void maxPoolBackwardRows(int planes, int h, int w, const float *dy,
                                                     const uint8_t *switches, const float *pooled, int activation,
                                                     float *dx) {
    const int oh = h / 2, ow = w / 2;
    for (int p = 0; p < planes; p++) {
        float *plane = dx + (size_t)p * h * w;
        for (int r = 0; r < oh; r++) {
            float *top = plane + (size_t)2 * r * w, *bottom = top + w;
            const size_t row = ((size_t)p * oh + r) * ow;
            const float *g = dy + row, *m = pooled + row;
            const uint8_t *sr = switches + row;
            for (int c = 0; c < ow; c++) {
                const int at = sr[c];
                float v = g[c];
                // the activation's derivative at the window's maximum, m the pool's output there:
                // Activation.backward's expressions
                if (activation == SWEEP_ACTIVATION_RELU) v = m[c] > 0 ? v : 0;
                else if (activation == SWEEP_ACTIVATION_TANH) v = v * (1 - m[c] * m[c]);
                else if (activation == SWEEP_ACTIVATION_SIGMOID) v = v * m[c] * (1 - m[c]);
                top[2 * c] = at == 0 ? v : 0;
                top[2 * c + 1] = at == 1 ? v : 0;
                bottom[2 * c] = at == 2 ? v : 0;
                bottom[2 * c + 1] = at == 3 ? v : 0;
            }
            if (w > 2 * ow) top[w - 1] = bottom[w - 1] = 0;
        }
        if (h > 2 * oh) memset(plane + (size_t)(h - 1) * w, 0, (size_t)w * sizeof(float));
    }
}

TARGET void SET_FUNCTION(max_pool_backward)(int planes, int h, int w, const float *dy, const uint8_t *switches,
                                            const float *pooled, int activation, float *dx) {
    switch (activation) {
    case SWEEP_ACTIVATION_RELU:
        maxPoolBackwardRows(planes, h, w, dy, switches, pooled, SWEEP_ACTIVATION_RELU, dx);
        break;
    case SWEEP_ACTIVATION_TANH:
        maxPoolBackwardRows(planes, h, w, dy, switches, pooled, SWEEP_ACTIVATION_TANH, dx);
        break;
    case SWEEP_ACTIVATION_SIGMOID:
        maxPoolBackwardRows(planes, h, w, dy, switches, pooled, SWEEP_ACTIVATION_SIGMOID, dx);
        break;
    default:
        maxPoolBackwardRows(planes, h, w, dy, switches, pooled, SWEEP_ACTIVATION_NONE, dx);
    }
}
