// The C kernels' own test: every kernel set this CPU runs (sweep_kernels_named), every entry
// of its table, against a double-precision reference; the cells' steps and Adam bit for bit
// against the portable set, and the portable set against the double reference. Exits 1 on
// any failure, saying which set, entry and shape.
//
//   kernels_test           the tests
//   kernels_test --small   smaller shapes (under qemu-user, where everything runs ~30× slower)
//   kernels_test --bench [TEXT]   GFLOP/s per set on a few of the engine's shapes, one thread
//                                 (only the shapes whose name contains TEXT, when given)
#include "CKernels.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const setNames[] = {"avx512", "avx2", "neon", "portable"};
enum { SET_NAMES = 4 };
static const sweep_kernels *sets[SET_NAMES];
static int setCount;
static const sweep_kernels *portable;
static bool small;
static int failures, checks;

static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    if (failures < 40) {
        fprintf(stderr, "FAIL ");
        vfprintf(stderr, format, args);
        fprintf(stderr, "\n");
    }
    va_end(args);
    failures++;
}

// ---- data ----

static uint64_t rngState = 0x9E3779B97F4A7C15ull;
/// Uniform in [-scale, scale), from a fixed sequence.
static float uniform(float scale) {
    rngState = rngState * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rngState >> 40) / (double)(1ull << 24) * 2 - 1) * scale;
}

static float *floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (!p) abort();
    return p;
}

static float *randomFloats(size_t n, float scale) {
    float *p = floats(n);
    for (size_t i = 0; i < n; i++) p[i] = uniform(scale);
    return p;
}

static float *copyOf(const float *p, size_t n) {
    float *q = floats(n);
    memcpy(q, p, n * sizeof(float));
    return q;
}

static uint32_t bitsOf(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/// How many of the n floats differ in their bits from `expected` (the portable set's, or a
/// reference loop's); the first is reported.
static int differingBits(const float *got, const float *expected, size_t n, const char *set, const char *what) {
    int differing = 0;
    for (size_t i = 0; i < n; i++) {
        if (bitsOf(got[i]) == bitsOf(expected[i])) continue;
        if (!differing)
            fail("%s: %s differs from the expected bits at %zu: %.9g (0x%08x) vs %.9g (0x%08x)", set, what, i,
                 got[i], bitsOf(got[i]), expected[i], bitsOf(expected[i]));
        differing++;
    }
    checks++;
    return differing;
}

// ---- GEMM ----

/// op(X)(i, p) of a row-major x with leading dimension ld.
static inline float at(const float *x, bool trans, int ld, int i, int p) {
    return trans ? x[(size_t)p * ld + i] : x[(size_t)i * ld + p];
}

/// The double reference of C = op(A)·op(B) + beta·C0 (m×n, row stride ldc), and per element
/// the bound its float sum may differ by: k rounding steps of Σ|a·b| plus one of |beta·C0|.
static void referenceGEMM(bool transA, bool transB, int m, int n, int k, const float *a, int lda, const float *b,
                          int ldb, float beta, const float *c0, int ldc, double *ref, double *bound) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0, abs = 0;
            for (int p = 0; p < k; p++) {
                double x = (double)at(a, transA, lda, i, p) * at(b, transB, ldb, p, j);
                s += x;
                abs += fabs(x);
            }
            double prior = beta != 0 ? c0[(size_t)i * ldc + j] : 0;
            ref[(size_t)i * n + j] = s + prior;
            bound[(size_t)i * n + j] = (k + 2) * 1.2e-7 * (abs + fabs(prior)) + 1e-30;
        }
}

/// C (m×n in a buffer of row stride ldc) against the reference; the columns past n untouched.
static void checkGEMM(const char *set, const char *what, int m, int n, int ldc, const float *c, const float *c0,
                      const double *ref, const double *bound) {
    checks++;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double got = c[(size_t)i * ldc + j], want = ref[(size_t)i * n + j];
            if (!(fabs(got - want) <= bound[(size_t)i * n + j])) {
                fail("%s: %s: C(%d, %d) = %.9g, reference %.9g (bound %.3g)", set, what, i, j, got, want,
                     bound[(size_t)i * n + j]);
                return;
            }
        }
        for (int j = n; j < ldc; j++)
            if (bitsOf(c[(size_t)i * ldc + j]) != bitsOf(c0[(size_t)i * ldc + j])) {
                fail("%s: %s: C(%d, %d) past n was written", set, what, i, j);
                return;
            }
    }
}

/// A buffer for op(X) (rows × cols) with leading dimension ld ≥ the row width, its padding NaN:
/// a kernel that let a padding value into a sum would show it.
static float *matrix(bool trans, int rows, int cols, int ld) {
    const int stored = trans ? cols : rows, width = trans ? rows : cols;
    float *x = floats((size_t)stored * ld);
    for (int r = 0; r < stored; r++)
        for (int w = 0; w < ld; w++) x[(size_t)r * ld + w] = w < width ? uniform(1) : NAN;
    return x;
}

/// One shape: sgemm, packB + sgemmPacked (and the same B written row by row through
/// packedRow), for both transposes of A and B and beta 0 and 1, in every set.
static void testGEMMShape(int m, int n, int k, int pad) {
    for (int flags = 0; flags < 4; flags++) {
        const bool transA = flags & 1, transB = flags & 2;
        const int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        float *a = matrix(transA, m, k, lda), *b = matrix(transB, k, n, ldb);
        float *c0 = randomFloats((size_t)m * ldc, 1), *c = floats((size_t)m * ldc);
        double *ref = malloc(sizeof(double) * m * n), *bound = malloc(sizeof(double) * m * n);
        for (int betaOne = 0; betaOne < 2; betaOne++) {
            const float beta = betaOne;
            referenceGEMM(transA, transB, m, n, k, a, lda, b, ldb, beta, c0, ldc, ref, bound);
            for (int s = 0; s < setCount; s++) {
                const sweep_kernels *K = sets[s];
                char what[160];
                snprintf(what, sizeof what, "sgemm transA %d transB %d m %d n %d k %d beta %g ld +%d", transA, transB,
                         m, n, k, beta, pad);
                memcpy(c, c0, sizeof(float) * m * ldc);
                K->sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc);
                checkGEMM(K->name, what, m, n, ldc, c, c0, ref, bound);

                float *packed = floats(K->packedSize(k, n));
                K->packB(transB, k, n, b, ldb, packed);
                memcpy(c, c0, sizeof(float) * m * ldc);
                K->sgemmPacked(transA, m, n, k, a, lda, packed, beta, c, ldc);
                snprintf(what, sizeof what, "sgemmPacked transA %d transB %d m %d n %d k %d beta %g ld +%d", transA,
                         transB, m, n, k, beta, pad);
                checkGEMM(K->name, what, m, n, ldc, c, c0, ref, bound);
                if (!transA && betaOne == 0) {
                    // packedRow: op(B) written row by row lands where packB puts it (padding zero on both sides)
                    const size_t size = K->packedSize(k, n);
                    float *rows = floats(size);
                    memset(rows, 0, size * sizeof(float));
                    for (int p = 0; p < k; p++) {
                        int panel = 0;
                        float *row = rows + K->packedRow(k, n, p, &panel);
                        for (int j = 0; j < n; j++)
                            row[(size_t)(j / K->panelWidth) * panel + j % K->panelWidth] = at(b, transB, ldb, p, j);
                    }
                    snprintf(what, sizeof what, "packedRow vs packB (transB %d, k %d, n %d)", transB, k, n);
                    differingBits(rows, packed, size, K->name, what);
                    free(rows);
                }
                free(packed);
            }
        }
        free(a), free(b), free(c0), free(c), free(ref), free(bound);
    }
}

static void testGEMM(void) {
    const int dims[] = {1, 7, 17, 33, 100, 257};
    const int count = small ? 5 : 6;
    const double limit = small ? 1.2e5 : 1.2e6;
    int pad = 0;
    for (int x = 0; x < count; x++)
        for (int y = 0; y < count; y++)
            for (int z = 0; z < count; z++) {
                const int m = dims[x], n = dims[y], k = dims[z];
                if ((double)m * n * k > limit) continue;
                testGEMMShape(m, n, k, pad);
                pad = (pad + 3) % 7;
            }
    // rows ending in two half tiles (tileRows: AVX2's 6 + 2 rows go as 4 + 4, 6 + 6 + 2 as 6 + 4 + 4)
    testGEMMShape(8, 33, 70, 2);
    testGEMMShape(14, 17, 40, 0);
    // several K blocks, several column blocks (NC), and tall ones with packed A slabs
    testGEMMShape(small ? 20 : 300, small ? 30 : 200, small ? 530 : 600, 1);
    testGEMMShape(5, small ? 1030 : 1100, 9, 2);
    // A read in place with B in blocks of NC / 2 columns (packBRows), over two K blocks
    testGEMMShape(6, small ? 530 : 600, 300, 3);
    // a few rows against a B of 1 MB or more, transposed (multiplyTransposed): 30 rows fill
    // AVX2's and AVX-512's panels but for a partial one, 24 NEON's two
    testGEMMShape(30, 520, 600, 1);
    testGEMMShape(24, 300, 900, 2);
    // and past whole panels by a few columns, as dot products (dotColumns): LeNet5's batch of 50
    // (2 or 18 columns past the panels), 35 (3), over a K that is no multiple of any set's lanes
    testGEMMShape(50, 520, 601, 1);
    testGEMMShape(35, 300, 900, 0);
    testGEMMShape(small ? 130 : 520, 40, small ? 140 : 300, 0);
    testGEMMShape(28, 512, 28, 0);
}

/// op(A) read from the panels of a packing (the rows of one block, as an LSTM step's dGates):
/// the bits of sgemmPacked with the same rows as a plain A.
static void testAPanels(void) {
    const int cases[][5] = {{32, 128, 512, 200, 64}, {5, 40, 70, 13, 3}, {9, 33, 256, 256, 0},
                            {8, 16, 300, 40, 31}, {1, 7, 17, 300, 299}, {12, 100, 33, 600, 260}};
    for (int t = 0; t < 6; t++) {
        const int m = cases[t][0], n = cases[t][1], k = cases[t][2], packedRows = cases[t][3], row0 = cases[t][4];
        float *rows = randomFloats((size_t)packedRows * k, 1), *b = randomFloats((size_t)k * n, 1);
        float *c0 = randomFloats((size_t)m * n, 1), *c = floats((size_t)m * n), *expected = floats((size_t)m * n);
        double *ref = malloc(sizeof(double) * m * n), *bound = malloc(sizeof(double) * m * n);
        for (int s = 0; s < setCount; s++) {
            const sweep_kernels *K = sets[s];
            // rows [row0, row0 + m) must lie in one block of the packing
            if (row0 / K->blockRows != (row0 + m - 1) / K->blockRows) continue;
            float *aPacked = floats(K->packedSize(packedRows, k)), *packed = floats(K->packedSize(k, n));
            K->packB(false, packedRows, k, rows, k, aPacked);
            K->packB(false, k, n, b, n, packed);
            int panelStride = 0;
            const size_t start = K->packedRow(packedRows, k, row0, &panelStride);
            for (int betaOne = 0; betaOne < 2; betaOne++) {
                char what[160];
                snprintf(what, sizeof what, "sgemmPackedAPanels m %d n %d k %d rows from %d of %d beta %d", m, n, k,
                         row0, packedRows, betaOne);
                referenceGEMM(false, false, m, n, k, rows + (size_t)row0 * k, k, b, n, betaOne, c0, n, ref, bound);
                memcpy(c, c0, sizeof(float) * m * n);
                K->sgemmPackedAPanels(m, n, k, aPacked + start, panelStride, packed, betaOne, c, n);
                checkGEMM(K->name, what, m, n, n, c, c0, ref, bound);
                memcpy(expected, c0, sizeof(float) * m * n);
                K->sgemmPacked(false, m, n, k, rows + (size_t)row0 * k, k, packed, betaOne, expected, n);
                differingBits(c, expected, (size_t)m * n, K->name, what);
            }
            free(aPacked), free(packed);
        }
        free(rows), free(b), free(c0), free(c), free(expected), free(ref), free(bound);
    }
}

/// C = Pᵀ · B + beta·C with P packed as a B (a recurrent layer's weight gradients from the packed
/// gate gradients): against the double reference, and the bits of sgemmPacked with Pᵀ read as a
/// transposed A. Shapes: GRU-128's dW_hh chunk; C rows that end inside a panel; two K blocks;
/// more columns than one block of B (NC); single rows, columns and steps.
static void testPackedT(void) {
    const int cases[][3] = {{384, 128, 256}, {7, 5, 3}, {40, 33, 300}, {1, 1, 1}, {20, 1100, 9}, {35, 16, 257}};
    for (int t = 0; t < 6; t++) {
        const int m = cases[t][0], n = cases[t][1], k = cases[t][2];
        float *p = randomFloats((size_t)k * m, 1), *b = randomFloats((size_t)k * n, 1);
        float *c0 = randomFloats((size_t)m * n, 1), *c = floats((size_t)m * n), *expected = floats((size_t)m * n);
        double *ref = malloc(sizeof(double) * m * n), *bound = malloc(sizeof(double) * m * n);
        for (int s = 0; s < setCount; s++) {
            const sweep_kernels *K = sets[s];
            float *packedP = floats(K->packedSize(k, m)), *packedB = floats(K->packedSize(k, n));
            K->packB(false, k, m, p, m, packedP);
            K->packB(false, k, n, b, n, packedB);
            for (int betaOne = 0; betaOne < 2; betaOne++) {
                char what[160];
                snprintf(what, sizeof what, "sgemmPackedT m %d n %d k %d beta %d", m, n, k, betaOne);
                referenceGEMM(true, false, m, n, k, p, m, b, n, betaOne, c0, n, ref, bound);
                memcpy(c, c0, sizeof(float) * m * n);
                K->sgemmPackedT(m, n, k, packedP, b, n, betaOne, c, n);
                checkGEMM(K->name, what, m, n, n, c, c0, ref, bound);
                memcpy(expected, c0, sizeof(float) * m * n);
                K->sgemmPacked(true, m, n, k, p, m, packedB, betaOne, expected, n);
                differingBits(c, expected, (size_t)m * n, K->name, what);
            }
            free(packedP), free(packedB);
        }
        free(p), free(b), free(c0), free(c), free(expected), free(ref), free(bound);
    }
}

/// A block of rows of a packed B (k0 a multiple of blockRows) is the packing of those rows:
/// the LSTM's chunks multiply with it.
static void testPackedBlocks(void) {
    const int k = 700, n = 70, m = 9;
    float *b = randomFloats((size_t)k * n, 1), *a = randomFloats((size_t)m * k, 1);
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        float *packed = floats(K->packedSize(k, n));
        K->packB(false, k, n, b, n, packed);
        for (int k0 = 0; k0 < k; k0 += K->blockRows) {
            const int kc = k - k0 < K->blockRows ? k - k0 : K->blockRows;
            int panel = 0;
            const float *block = packed + K->packedRow(k, n, k0, &panel);
            float *c = floats((size_t)m * n);
            double *ref = malloc(sizeof(double) * m * n), *bound = malloc(sizeof(double) * m * n);
            K->sgemmPacked(false, m, n, kc, a + k0, k, block, 0, c, n);
            referenceGEMM(false, false, m, n, kc, a + k0, k, b + (size_t)k0 * n, n, 0, c, n, ref, bound);
            char what[96];
            snprintf(what, sizeof what, "sgemmPacked on rows [%d, %d) of a packing of %d", k0, k0 + kc, k);
            checkGEMM(K->name, what, m, n, n, c, c, ref, bound);
            free(c), free(ref), free(bound);
        }
        free(packed);
    }
    free(b), free(a);
}

static void testAddTransposed(void) {
    const int shapes[][2] = {{1, 1}, {7, 3}, {17, 33}, {33, 17}, {100, 257}, {28, 512}, {9, 16}, {16, 9}};
    for (int t = 0; t < 8; t++) {
        const int rows = shapes[t][0], columns = shapes[t][1];
        float *x = randomFloats((size_t)rows * columns, 1), *y0 = randomFloats((size_t)rows * columns, 1);
        float *expected = copyOf(y0, (size_t)rows * columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) expected[(size_t)c * rows + r] += x[(size_t)r * columns + c];
        for (int s = 0; s < setCount; s++) {
            float *y = copyOf(y0, (size_t)rows * columns);
            sets[s]->addTransposed(rows, columns, x, y);
            char what[64];
            snprintf(what, sizeof what, "addTransposed %d×%d (one add, exact)", rows, columns);
            differingBits(y, expected, (size_t)rows * columns, sets[s]->name, what);
            free(y);
        }
        free(x), free(y0), free(expected);
    }
}

// ---- convolution ----

/// nn.Conv2d's geometry for padding "same" (PyTorch's split: the smaller half before) or "valid".
static sweep_conv_shape convShape(int c, int h, int w, int kernel, int stride, bool same) {
    sweep_conv_shape g = {c, h, w, kernel, stride, 0, 0, 0, 0};
    if (same) {
        g.outHeight = (h + stride - 1) / stride, g.outWidth = (w + stride - 1) / stride;
        int ph = (g.outHeight - 1) * stride + kernel - h, pw = (g.outWidth - 1) * stride + kernel - w;
        g.padTop = (ph > 0 ? ph : 0) / 2, g.padLeft = (pw > 0 ? pw : 0) / 2;
    } else {
        g.outHeight = (h - kernel) / stride + 1, g.outWidth = (w - kernel) / stride + 1;
    }
    return g;
}

/// im2col(image)(r, y·OW + x) for r = (c·K + kh)·K + kw.
static float colAt(const sweep_conv_shape *g, const float *image, int r, int pos) {
    const int k = g->kernel, c = r / (k * k), kh = r / k % k, kw = r % k;
    const int iy = pos / g->outWidth * g->stride + kh - g->padTop, ix = pos % g->outWidth * g->stride + kw - g->padLeft;
    if (iy < 0 || iy >= g->height || ix < 0 || ix >= g->width) return 0;
    return image[((size_t)c * g->height + iy) * g->width + ix];
}

static void testConv(const char *name, sweep_conv_shape g, int oc, int batch) {
    const int kk = g.channels * g.kernel * g.kernel, spatial = g.outHeight * g.outWidth;
    const size_t inCount = (size_t)g.channels * g.height * g.width, outCount = (size_t)oc * spatial;
    float *input = randomFloats(inCount * batch, 1), *w = randomFloats((size_t)oc * kk, 1);
    float *bias = randomFloats(oc, 1), *dy = randomFloats(outCount * batch, 1);
    float *dWt0 = randomFloats((size_t)kk * oc, 1);
    double *out = malloc(sizeof(double) * outCount * batch), *outBound = malloc(sizeof(double) * outCount * batch);
    double *dWt = malloc(sizeof(double) * kk * oc), *dWtBound = malloc(sizeof(double) * kk * oc);
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < oc; o++)
            for (int pos = 0; pos < spatial; pos++) {
                double s = bias[o], abs = fabs(bias[o]);
                for (int r = 0; r < kk; r++) {
                    double x = (double)w[(size_t)o * kk + r] * colAt(&g, input + b * inCount, r, pos);
                    s += x, abs += fabs(x);
                }
                out[b * outCount + (size_t)o * spatial + pos] = s;
                outBound[b * outCount + (size_t)o * spatial + pos] = (kk + 2) * 1.2e-7 * abs + 1e-30;
            }
    for (int r = 0; r < kk; r++)
        for (int o = 0; o < oc; o++) {
            double s = dWt0[(size_t)r * oc + o], abs = fabs(s);
            for (int b = 0; b < batch; b++)
                for (int pos = 0; pos < spatial; pos++) {
                    double x = (double)colAt(&g, input + b * inCount, r, pos) * dy[b * outCount + (size_t)o * spatial + pos];
                    s += x, abs += fabs(x);
                }
            dWt[(size_t)r * oc + o] = s;
            dWtBound[(size_t)r * oc + o] = (batch * spatial + 2) * 1.2e-7 * abs + 1e-30;
        }
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        char what[160];
        float *got = floats(outCount * batch);
        for (int withBias = 0; withBias < 2; withBias++) {
            K->convForward(&g, batch, input, oc, w, withBias ? bias : NULL, got);
            snprintf(what, sizeof what, "convForward %s%s", name, withBias ? "" : " (no bias)");
            checks++;
            for (size_t i = 0; i < outCount * batch; i++) {
                double want = out[i] - (withBias ? 0 : bias[i / spatial % oc]);
                if (!(fabs(got[i] - want) <= outBound[i] + (withBias ? 0 : 1.2e-7 * fabs(bias[i / spatial % oc])))) {
                    fail("%s: %s: output %zu = %.9g, reference %.9g", K->name, what, i, got[i], want);
                    break;
                }
            }
        }
        float *grad = copyOf(dWt0, (size_t)kk * oc);
        K->convWeightGrad(&g, batch, input, oc, dy, grad);
        snprintf(what, sizeof what, "convWeightGrad %s", name);
        checks++;
        for (size_t i = 0; i < (size_t)kk * oc; i++)
            if (!(fabs(grad[i] - dWt[i]) <= dWtBound[i])) {
                fail("%s: %s: dWt %zu = %.9g, reference %.9g", K->name, what, i, grad[i], dWt[i]);
                break;
            }
        free(got), free(grad);
    }
    free(input), free(w), free(bias), free(dy), free(dWt0), free(out), free(outBound), free(dWt), free(dWtBound);
}

static void testConvs(void) {
    struct { const char *name; int c, h, w, oc, k, stride; bool same; bool big; } cases[] = {
        {"3×32×32 → 32, 3×3 same", 3, 32, 32, 32, 3, 1, true, true},
        {"32×16×16 → 64, 3×3 same", 32, 16, 16, 64, 3, 1, true, true},
        {"64×8×8 → 40, 3×3 same (three K blocks)", 64, 8, 8, 40, 3, 1, true, true},
        {"64×8×8 → 128, 3×3 same (stride 1 through panels)", 64, 8, 8, 128, 3, 1, true, true},
        {"16×7×7 → 96, 3×3 same", 16, 7, 7, 96, 3, 1, true, false},
        {"64×8×8 → 13, 1×1", 64, 8, 8, 13, 1, 1, true, false},
        {"1×28×28 → 32, 3×3 same", 1, 28, 28, 32, 3, 1, true, false},
        {"5×14×14 → 9, 3×3 same", 5, 14, 14, 9, 3, 1, true, false},
        {"7×7×7 → 5, 3×3 same", 7, 7, 7, 5, 3, 1, true, false},
        {"3×28×28 → 6, 5×5 valid", 3, 28, 28, 6, 5, 1, false, false},
        {"2×5×6 → 3, 4×4 same (uneven padding)", 2, 5, 6, 3, 4, 1, true, false},
        {"2×3×4 → 2, 7×7 same", 2, 3, 4, 2, 7, 1, true, false},
        {"3×15×13 → 11, 3×3 stride 2 same", 3, 15, 13, 11, 3, 2, true, false},
        {"4×16×16 → 8, 5×5 stride 2 valid", 4, 16, 16, 8, 5, 2, false, false},
        {"3×32×32 → 6, 5×5 valid (LeNet5 conv1)", 3, 32, 32, 6, 5, 1, false, false},
        {"6×14×14 → 16, 5×5 valid (LeNet5 conv2)", 6, 14, 14, 16, 5, 1, false, false},
        {"16×9×9 → 20, 1×1 stride 2", 16, 9, 9, 20, 1, 2, false, false},
        // output rows of whole tiles (NR = 12, 16, 32), walked row by row without junk
        {"4×12×12 → 10, 5×5 same (rows of 12)", 4, 12, 12, 10, 5, 1, true, false},
        {"3×16×16 → 7, 5×5 same (rows of 16)", 3, 16, 16, 7, 5, 1, true, false},
        {"2×6×32 → 5, 3×3 same (rows of 32)", 2, 6, 32, 5, 3, 1, true, false},
        {"5×7×8 → 9, 3×3 same (rows of 8, a last tile of 8)", 5, 7, 8, 9, 3, 1, true, false},
        {"3×17×17 → 7, 5×5 stride 2 same", 3, 17, 17, 7, 5, 2, true, false},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        if (small && cases[t].big) continue;
        testConv(cases[t].name, convShape(cases[t].c, cases[t].h, cases[t].w, cases[t].k, cases[t].stride, cases[t].same),
                 cases[t].oc, 2);
    }
    // the input gradient of LeNet5's conv2 as Conv2D runs it: dy (16, 10, 10) convolved with the
    // flipped weights, padded K − 1 − pad = 4 on each side, into (6, 14, 14)
    sweep_conv_shape dx = {16, 10, 10, 5, 1, 4, 4, 14, 14};
    testConv("dx of LeNet5 conv2 (16×10×10 → 6, 5×5, pad 4)", dx, 6, 2);
    // and of a 3×3 same convolution of 8×8 images (pad 1 → 1)
    sweep_conv_shape dx3 = {12, 8, 8, 3, 1, 1, 1, 8, 8};
    testConv("dx of 3×3 same (12×8×8 → 10)", dx3, 10, 3);
}

// ---- LSTM and Adam ----

static double sigmoidD(double x) { return 1 / (1 + exp(-x)); }

/// The rows of the packing that the cells' chunked-backward tests write a step into.
static int packingRows(int batch) { return 3 * batch + 300; }

/// Where case t (0, 1, 2) of those tests writes a step of `batch` rows: the packing's first
/// rows, rows about a block edge (256), its last rows; -1 where the step would straddle a block
/// of K's packing (the engine keeps a step in one block).
static int stepRowStart(const sweep_kernels *K, int batch, int t) {
    const int starts[] = {0, 254 - batch / 2 > 0 ? 254 - batch / 2 : 0, packingRows(batch) - batch};
    const int row0 = starts[t];
    return row0 / K->blockRows == (row0 + batch - 1) / K->blockRows ? row0 : -1;
}

/// The forward step of every set against the portable one (bits) and the portable against
/// doubles; then the backward step likewise, with and without its packed copy of dGates.
static void testLSTM(int batch, int hidden, bool nans) {
    const int n = hidden, g4 = 4 * n;
    float *gates0 = randomFloats((size_t)batch * g4, 6), *recurrent = randomFloats((size_t)batch * g4, 6);
    float *bias = randomFloats(g4, 1), *c = randomFloats((size_t)batch * n, 2);
    if (nans) {
        gates0[0] = NAN;                     // input gate of the first element
        recurrent[(size_t)2 * n + n / 2] = -NAN;  // the cell's candidate
        c[n - 1] = NAN;
        gates0[3 * n] = INFINITY;            // an output gate saturating
        gates0[n] = -INFINITY;
    }
    // the portable set: the reference for the bits
    float *gatesP = copyOf(gates0, (size_t)batch * g4), *cNextP = floats((size_t)batch * n);
    float *hNextP = floats((size_t)batch * n), *tanhP = floats((size_t)batch * n);
    portable->lstmForward(batch, n, gatesP, recurrent, bias, c, cNextP, hNextP, tanhP, 1);
    char what[96];
    if (!nans) {
        checks++;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++) {
                const size_t r = (size_t)b * g4;
                double pre[4];
                for (int q = 0; q < 4; q++)
                    pre[q] = (double)((gates0[r + q * n + j] + recurrent[r + q * n + j]) + bias[q * n + j]);
                double i = sigmoidD(pre[0]), f = sigmoidD(pre[1]), gg = tanh(pre[2]), o = sigmoidD(pre[3]);
                double cn = f * c[(size_t)b * n + j] + i * gg, h = o * tanh(cn);
                const size_t e = (size_t)b * n + j;
                if (fabs(cNextP[e] - cn) > 2e-6 * (1 + fabs(cn)) || fabs(hNextP[e] - h) > 2e-6 ||
                    fabs(gatesP[r + j] - i) > 2e-6 || fabs(gatesP[r + 2 * n + j] - gg) > 2e-6) {
                    fail("portable: lstmForward batch %d hidden %d element %zu: c %.9g h %.9g, reference %.9g %.9g", batch,
                         n, e, cNextP[e], hNextP[e], cn, h);
                    b = batch;
                    break;
                }
            }
    }
    // backward inputs: the forward's activations, and gradients
    float *dh0 = randomFloats((size_t)batch * n, 1), *dc0 = randomFloats((size_t)batch * n, 1);
    float *dy = randomFloats((size_t)batch * 2 * n, 1), *dBias0 = randomFloats(g4, 1);
    const int ld = 2 * n;  // dOutput rows wider than hidden, as with returnSequences
    float *dGatesP = floats((size_t)batch * g4), *dcP = copyOf(dc0, (size_t)batch * n), *dBiasP = copyOf(dBias0, g4);
    float *dhP = copyOf(dh0, (size_t)batch * n);
    portable->lstmBackward(batch, n, gatesP, c, tanhP, dhP, dcP, dy, ld, dGatesP, dBiasP, NULL, 0, 0, 1);
    if (!nans) {
        checks++;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++) {
                const size_t r = (size_t)b * g4, e = (size_t)b * n + j;
                double i = gatesP[r + j], f = gatesP[r + n + j], gg = gatesP[r + 2 * n + j], o = gatesP[r + 3 * n + j];
                double tc = tanhP[e], dhT = (double)dh0[e] + dy[(size_t)b * ld + j];
                double dcT = dc0[e] + dhT * o * (1 - tc * tc);
                double want[4] = {dcT * gg * i * (1 - i), dcT * c[e] * f * (1 - f), dcT * i * (1 - gg * gg),
                                  dhT * tc * o * (1 - o)};
                for (int q = 0; q < 4; q++)
                    if (fabs(dGatesP[r + q * n + j] - want[q]) > 1e-5 * (1 + fabs(want[q]))) {
                        fail("portable: lstmBackward batch %d hidden %d dGates(%d, %d) = %.9g, reference %.9g", batch, n,
                             b, q * n + j, dGatesP[r + q * n + j], want[q]);
                        b = batch, j = n;
                        break;
                    }
                if (j < n && fabs(dcP[e] - dcT * f) > 1e-5 * (1 + fabs(dcT * f))) {
                    fail("portable: lstmBackward dc %zu = %.9g, reference %.9g", e, dcP[e], dcT * f);
                    b = batch;
                    break;
                }
            }
    }
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        if (K == portable) continue;
        float *gates = copyOf(gates0, (size_t)batch * g4), *cNext = floats((size_t)batch * n);
        float *hNext = floats((size_t)batch * n), *tanhC = floats((size_t)batch * n);
        K->lstmForward(batch, n, gates, recurrent, bias, c, cNext, hNext, tanhC, 1);
        snprintf(what, sizeof what, "lstmForward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(gates, gatesP, (size_t)batch * g4, K->name, what);
        differingBits(cNext, cNextP, (size_t)batch * n, K->name, what);
        differingBits(hNext, hNextP, (size_t)batch * n, K->name, what);
        differingBits(tanhC, tanhP, (size_t)batch * n, K->name, what);

        float *dGates = floats((size_t)batch * g4), *dcS = copyOf(dc0, (size_t)batch * n), *dBias = copyOf(dBias0, g4);
        float *dhS = copyOf(dh0, (size_t)batch * n);
        K->lstmBackward(batch, n, gatesP, c, tanhP, dhS, dcS, dy, ld, dGates, dBias, NULL, 0, 0, 1);
        snprintf(what, sizeof what, "lstmBackward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(dGates, dGatesP, (size_t)batch * g4, K->name, what);
        differingBits(dcS, dcP, (size_t)batch * n, K->name, what);
        differingBits(dBias, dBiasP, g4, K->name, what);
        differingBits(dhS, dh0, (size_t)batch * n, K->name, "lstmBackward leaves dh as read");
        free(gates), free(cNext), free(hNext), free(tanhC), free(dGates), free(dcS), free(dBias), free(dhS);
    }
    // the packed copy: rows [row0, row0 + batch) of a packing of `rows`, with and without plain dGates
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        if (n % K->lstmPackedMultiple != 0) continue;
        const int rows = packingRows(batch);
        for (int t = 0; t < 3; t++) {
            const int row0 = stepRowStart(K, batch, t);
            if (row0 < 0) continue;
            const size_t size = K->packedSize(rows, g4);
            float *packed = floats(size);
            memset(packed, 0, size * sizeof(float));
            float *dcS = copyOf(dc0, (size_t)batch * n), *dBias = copyOf(dBias0, g4);
            float *dGates = t == 1 ? NULL : floats((size_t)batch * g4);
            K->lstmBackward(batch, n, gatesP, c, tanhP, dh0, dcS, dy, ld, dGates, dBias, packed, rows, row0, 0);
            snprintf(what, sizeof what, "lstmBackward packed rows from %d, batch %d hidden %d%s", row0, batch, n,
                     dGates ? "" : " (no plain dGates)");
            differingBits(dcS, dcP, (size_t)batch * n, K->name, what);
            differingBits(dBias, dBiasP, g4, K->name, what);
            if (dGates) differingBits(dGates, dGatesP, (size_t)batch * g4, K->name, what);
            // what packB makes of the portable dGates in those rows (zeros elsewhere)
            float *plain = floats((size_t)rows * g4), *expected = floats(size);
            memset(plain, 0, sizeof(float) * rows * g4);
            memcpy(plain + (size_t)row0 * g4, dGatesP, sizeof(float) * batch * g4);
            K->packB(false, rows, g4, plain, g4, expected);
            differingBits(packed, expected, size, K->name, what);
            free(packed), free(dcS), free(dBias), free(dGates), free(plain), free(expected);
        }
    }
    free(gates0), free(recurrent), free(bias), free(c), free(gatesP), free(cNextP), free(hNextP), free(tanhP);
    free(dh0), free(dc0), free(dy), free(dBias0), free(dGatesP), free(dcP), free(dBiasP), free(dhP);
}

/// The portable set's bias sums of a cell's chunked backward: got (width) = start + Σ over the
/// batch of dGates (batch, width), summed in doubles.
static void checkBiasSums(const char *step, const float *start, const float *dGates, int batch, int width,
                          const float *got) {
    checks++;
    for (int j = 0; j < width; j++) {
        double sum = start[j];
        for (int b = 0; b < batch; b++) sum += dGates[(size_t)b * width + j];
        if (fabs(got[j] - sum) > 1e-5 * (1 + fabs(sum))) {
            fail("portable: %s dBias %d = %.9g, reference %.9g", step, j, got[j], sum);
            return;
        }
    }
}

/// The GRU's forward and backward steps: the portable set against doubles, every set against
/// the portable one bit for bit.
static void testGRU(int batch, int hidden, bool nans) {
    const int n = hidden, g3 = 3 * n;
    const size_t bn = (size_t)batch * n, bg = (size_t)batch * g3;
    float *gates0 = randomFloats(bg, 6), *recurrent = randomFloats(bg, 6), *bias = randomFloats(g3, 1);
    float *biasHN = randomFloats(n, 1), *h = randomFloats(bn, 1);
    if (nans) {
        gates0[0] = NAN;
        recurrent[2 * n + n / 2] = -NAN;
        h[n - 1] = NAN;
        gates0[n] = INFINITY;
        gates0[2 * n] = -INFINITY;
    }
    float *gatesP = copyOf(gates0, bg), *hnP = floats(bn), *hNextP = floats(bn);
    portable->gruForward(batch, n, gatesP, recurrent, bias, biasHN, h, hnP, hNextP);
    char what[96];
    if (!nans) {
        checks++;
        for (size_t e = 0; e < bn; e++) {
            const size_t b = e / n, j = e % n, r = b * g3;
            double reset = sigmoidD((double)(gates0[r + j] + recurrent[r + j]) + bias[j]);
            double update = sigmoidD((double)(gates0[r + n + j] + recurrent[r + n + j]) + bias[n + j]);
            double hnj = (double)recurrent[r + 2 * n + j] + biasHN[j];
            double cand = tanh((double)gates0[r + 2 * n + j] + bias[2 * n + j] + reset * hnj);
            double hn = (1 - update) * cand + update * h[e];
            if (fabs(hNextP[e] - hn) > 4e-6 || fabs(gatesP[r + j] - reset) > 2e-6 ||
                fabs(gatesP[r + n + j] - update) > 2e-6 || fabs(gatesP[r + 2 * n + j] - cand) > 2e-6 ||
                fabs(hnP[e] - hnj) > 1e-6 * (1 + fabs(hnj))) {
                fail("portable: gruForward batch %d hidden %d element %zu: h %.9g, reference %.9g", batch, n, e,
                     hNextP[e], hn);
                break;
            }
        }
    }
    float *dh0 = randomFloats(bn, 1), *dy = randomFloats((size_t)batch * 2 * n, 1);
    const int ld = 2 * n;
    float *dGatesP = floats(bg), *dHiddenP = floats(bg), *dhP = copyOf(dh0, bn);
    portable->gruBackward(batch, n, gatesP, hnP, h, dhP, dy, ld, dGatesP, dHiddenP, NULL, NULL, NULL, NULL, 0, 0);
    if (!nans) {
        checks++;
        for (size_t e = 0; e < bn; e++) {
            const size_t b = e / n, j = e % n, r = b * g3;
            double reset = gatesP[r + j], update = gatesP[r + n + j], cand = gatesP[r + 2 * n + j];
            double dhT = (double)dh0[e] + dy[b * ld + j];
            double dn = dhT * (1 - update) * (1 - cand * cand), dz = dhT * (h[e] - cand) * update * (1 - update);
            double dr = dn * hnP[e] * reset * (1 - reset);
            double want[6] = {dr, dz, dn, dr, dz, dn * reset}, got[6] = {dGatesP[r + j], dGatesP[r + n + j],
                dGatesP[r + 2 * n + j], dHiddenP[r + j], dHiddenP[r + n + j], dHiddenP[r + 2 * n + j]};
            bool bad = fabs(dhP[e] - dhT * update) > 1e-5 * (1 + fabs(dhT * update));
            for (int q = 0; q < 6; q++) bad = bad || fabs(got[q] - want[q]) > 1e-5 * (1 + fabs(want[q]));
            if (bad) {
                fail("portable: gruBackward batch %d hidden %d element %zu differs from the reference", batch, n, e);
                break;
            }
        }
    }
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        if (K == portable) continue;
        float *gates = copyOf(gates0, bg), *hn = floats(bn), *hNext = floats(bn);
        K->gruForward(batch, n, gates, recurrent, bias, biasHN, h, hn, hNext);
        snprintf(what, sizeof what, "gruForward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(gates, gatesP, bg, K->name, what);
        differingBits(hn, hnP, bn, K->name, what);
        differingBits(hNext, hNextP, bn, K->name, what);
        float *dGates = floats(bg), *dHidden = floats(bg), *dhS = copyOf(dh0, bn);
        K->gruBackward(batch, n, gatesP, hnP, h, dhS, dy, ld, dGates, dHidden, NULL, NULL, NULL, NULL, 0, 0);
        snprintf(what, sizeof what, "gruBackward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(dGates, dGatesP, bg, K->name, what);
        differingBits(dHidden, dHiddenP, bg, K->name, what);
        differingBits(dhS, dhP, bn, K->name, what);
        free(gates), free(hn), free(hNext), free(dGates), free(dHidden), free(dhS);
    }
    // the chunked backward's form: bias sums, and packed copies at rows of a packing (every set,
    // the portable one too, against packB of the plain gradients and the portable sums)
    float *dBias0 = randomFloats(g3, 1), *dBiasHN0 = randomFloats(n, 1);
    float *dBiasP = copyOf(dBias0, g3), *dBiasHNP = copyOf(dBiasHN0, n), *dhQ = copyOf(dh0, bn);
    portable->gruBackward(batch, n, gatesP, hnP, h, dhQ, dy, ld, NULL, NULL, dBiasP, dBiasHNP, NULL, NULL, 0, 0);
    checkBiasSums("gruBackward", dBias0, dGatesP, batch, g3, dBiasP);
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        const int rows = packingRows(batch);
        for (int t = 0; t < 3; t++) {
            const int row0 = stepRowStart(K, batch, t);
            if (row0 < 0) continue;
            const size_t size = K->packedSize(rows, g3);
            float *packed = floats(size), *packedHidden = floats(size), *expected = floats(size);
            memset(packed, 0, size * sizeof(float)), memset(packedHidden, 0, size * sizeof(float));
            float *dB = copyOf(dBias0, g3), *dBHN = copyOf(dBiasHN0, n), *dhS = copyOf(dh0, bn);
            float *dGates = t == 1 ? NULL : floats(bg), *dHidden = t == 1 ? NULL : floats(bg);
            K->gruBackward(batch, n, gatesP, hnP, h, dhS, dy, ld, dGates, dHidden, dB, dBHN, packed, packedHidden, rows,
                           row0);
            snprintf(what, sizeof what, "gruBackward packed rows from %d, batch %d hidden %d%s", row0, batch, n,
                     dGates ? "" : " (no plain dGates)");
            differingBits(dB, dBiasP, g3, K->name, what);
            differingBits(dBHN, dBiasHNP, n, K->name, what);
            differingBits(dhS, dhP, bn, K->name, what);
            if (dGates) differingBits(dGates, dGatesP, bg, K->name, what), differingBits(dHidden, dHiddenP, bg, K->name, what);
            float *plain = floats((size_t)rows * g3);
            for (int q = 0; q < 2; q++) {
                memset(plain, 0, sizeof(float) * rows * g3);
                memcpy(plain + (size_t)row0 * g3, q ? dHiddenP : dGatesP, sizeof(float) * bg);
                K->packB(false, rows, g3, plain, g3, expected);
                differingBits(q ? packedHidden : packed, expected, size, K->name, what);
            }
            free(packed), free(packedHidden), free(expected), free(dB), free(dBHN), free(dhS), free(dGates), free(dHidden);
            free(plain);
        }
    }
    free(dBias0), free(dBiasHN0), free(dBiasP), free(dBiasHNP), free(dhQ);
    free(gates0), free(recurrent), free(bias), free(biasHN), free(h), free(gatesP), free(hnP), free(hNextP);
    free(dh0), free(dy), free(dGatesP), free(dHiddenP), free(dhP);
}

/// The RNN's forward and backward steps, as testGRU.
static void testRNN(int batch, int hidden, bool nans) {
    const int n = hidden;
    const size_t bn = (size_t)batch * n;
    float *gates = randomFloats(bn, 6), *recurrent = randomFloats(bn, 6), *bias = randomFloats(n, 1);
    if (nans) {
        gates[0] = NAN;
        recurrent[n / 2] = INFINITY;
        gates[n - 1] = -INFINITY;
    }
    float *hNextP = floats(bn);
    portable->rnnForward(batch, n, gates, recurrent, bias, hNextP);
    char what[96];
    if (!nans) {
        checks++;
        for (size_t e = 0; e < bn; e++) {
            double want = tanh((double)(gates[e] + recurrent[e]) + bias[e % n]);
            if (fabs(hNextP[e] - want) > 2e-6) {
                fail("portable: rnnForward batch %d hidden %d element %zu: %.9g, reference %.9g", batch, n, e,
                     hNextP[e], want);
                break;
            }
        }
    }
    float *dh = randomFloats(bn, 1), *dy = randomFloats((size_t)batch * 2 * n, 1), *dGatesP = floats(bn);
    const int ld = 2 * n;
    portable->rnnBackward(batch, n, hNextP, dh, dy, ld, dGatesP, NULL, NULL, 0, 0);
    if (!nans) {
        checks++;
        for (size_t e = 0; e < bn; e++) {
            double hj = hNextP[e], want = ((double)dh[e] + dy[e / n * ld + e % n]) * (1 - hj * hj);
            if (fabs(dGatesP[e] - want) > 1e-6 * (1 + fabs(want))) {
                fail("portable: rnnBackward batch %d hidden %d element %zu: %.9g, reference %.9g", batch, n, e,
                     dGatesP[e], want);
                break;
            }
        }
    }
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        if (K == portable) continue;
        float *hNext = floats(bn), *dGates = floats(bn);
        K->rnnForward(batch, n, gates, recurrent, bias, hNext);
        snprintf(what, sizeof what, "rnnForward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(hNext, hNextP, bn, K->name, what);
        K->rnnBackward(batch, n, hNextP, dh, dy, ld, dGates, NULL, NULL, 0, 0);
        snprintf(what, sizeof what, "rnnBackward batch %d hidden %d%s", batch, n, nans ? " with NaN" : "");
        differingBits(dGates, dGatesP, bn, K->name, what);
        free(hNext), free(dGates);
    }
    // the chunked backward's form, as in testGRU
    float *dBias0 = randomFloats(n, 1), *dBiasP = copyOf(dBias0, n);
    portable->rnnBackward(batch, n, hNextP, dh, dy, ld, NULL, dBiasP, NULL, 0, 0);
    checkBiasSums("rnnBackward", dBias0, dGatesP, batch, n, dBiasP);
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        const int rows = packingRows(batch);
        for (int t = 0; t < 3; t++) {
            const int row0 = stepRowStart(K, batch, t);
            if (row0 < 0) continue;
            const size_t size = K->packedSize(rows, n);
            float *packed = floats(size), *expected = floats(size), *dB = copyOf(dBias0, n);
            float *dGates = t == 1 ? NULL : floats(bn), *plain = floats((size_t)rows * n);
            memset(packed, 0, size * sizeof(float));
            K->rnnBackward(batch, n, hNextP, dh, dy, ld, dGates, dB, packed, rows, row0);
            snprintf(what, sizeof what, "rnnBackward packed rows from %d, batch %d hidden %d%s", row0, batch, n,
                     dGates ? "" : " (no plain dGates)");
            differingBits(dB, dBiasP, n, K->name, what);
            if (dGates) differingBits(dGates, dGatesP, bn, K->name, what);
            memset(plain, 0, sizeof(float) * rows * n);
            memcpy(plain + (size_t)row0 * n, dGatesP, sizeof(float) * bn);
            K->packB(false, rows, n, plain, n, expected);
            differingBits(packed, expected, size, K->name, what);
            free(packed), free(expected), free(dB), free(dGates), free(plain);
        }
    }
    free(dBias0), free(dBiasP);
    free(gates), free(recurrent), free(bias), free(hNextP), free(dh), free(dy), free(dGatesP);
}

static void testAdam(int n, bool decoupled, int step) {
    const double lr = 1e-3, wd = 1e-2, b1 = 0.9, b2 = 0.999;
    const float decay = decoupled ? (float)(1 - lr * wd) : 1, l2 = decoupled ? 0 : (float)wd;
    const float w1 = (float)(1 - b1), beta2 = (float)b2, w2 = (float)(1 - b2), eps = 1e-8f;
    const float negStep = (float)(-(lr / (1 - pow(b1, step)))), bc2Sqrt = (float)sqrt(1 - pow(b2, step));
    float *p0 = randomFloats(n, 1), *g = randomFloats(n, 1), *m0 = randomFloats(n, 0.1f), *v0 = randomFloats(n, 0.01f);
    for (int i = 0; i < n; i++) v0[i] = fabsf(v0[i]);
    if (n > 3) g[3] = NAN;
    float *pP = copyOf(p0, n), *mP = copyOf(m0, n), *vP = copyOf(v0, n);
    portable->adamUpdate(n, pP, g, mP, vP, decay, l2, w1, beta2, w2, bc2Sqrt, eps, negStep);
    checks++;
    for (int i = 0; i < n; i++) {
        if (i == 3) {
            if (!isnan(pP[i]) || !isnan(mP[i]) || !isnan(vP[i])) fail("portable: adamUpdate lets a NaN gradient vanish");
            continue;
        }
        double theta = (double)p0[i] * decay, grad = g[i] + (double)l2 * theta;
        double m = m0[i] + (double)w1 * (grad - m0[i]), v = (double)v0[i] * beta2 + (double)w2 * grad * grad;
        // a few roundings of each term (m's difference cancels); p from the float m and v
        double mBound = 5e-7 * (fabs(m0[i]) + w1 * (fabs(grad) + fabs(m0[i]))), vBound = 5e-7 * (v0[i] + w2 * grad * grad);
        double step = (double)negStep * mP[i] / (sqrt((double)vP[i]) / bc2Sqrt + eps), p = theta + step;
        if (fabs(pP[i] - p) > 5e-7 * (fabs(theta) + fabs(step)) || fabs(mP[i] - m) > mBound || fabs(vP[i] - v) > vBound) {
            fail("portable: adamUpdate n %d element %d: p %.9g m %.9g v %.9g, reference %.9g %.9g %.9g", n, i, pP[i],
                 mP[i], vP[i], p, m, v);
            break;
        }
    }
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        if (K == portable) continue;
        float *p = copyOf(p0, n), *m = copyOf(m0, n), *v = copyOf(v0, n);
        K->adamUpdate(n, p, g, m, v, decay, l2, w1, beta2, w2, bc2Sqrt, eps, negStep);
        char what[64];
        snprintf(what, sizeof what, "adamUpdate n %d %s step %d", n, decoupled ? "adamw" : "adam", step);
        differingBits(p, pP, n, K->name, what);
        differingBits(m, mP, n, K->name, what);
        differingBits(v, vP, n, K->name, what);
        free(p), free(m), free(v);
    }
    free(p0), free(g), free(m0), free(v0), free(pP), free(mP), free(vP);
}

// The activations' derivatives below are Activation.backward's expressions, as the kernels'
// are: no a·b + c contracted into one FMA from here on.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/// Activation.backward's dx for dy and the activation's output y.
static float activationBackward(int activation, float dy, float y) {
    switch (activation) {
    case SWEEP_ACTIVATION_RELU: return y > 0 ? dy : 0;
    case SWEEP_ACTIVATION_TANH: return dy * (1 - y * y);
    case SWEEP_ACTIVATION_SIGMOID: return dy * y * (1 - y);
    default: return dy;
    }
}

/// 2×2 max pooling against loops written from the contract: few distinct values (ties), odd
/// sizes (the last row or column dropped), rows of one output and of several vectors. Without
/// an activation the values hold NaNs and ±infinity too; with one they are its outputs (ReLU's
/// many zeros, tanh's and the sigmoid's ranges at full precision), and the backward is the pool's followed by
/// Activation.backward's loop. The backward writes over a dx full of NaN, so that an element
/// left unwritten shows.
static void testMaxPool(int planes, int h, int w, int activation) {
    const int oh = h / 2, ow = w / 2, n = planes * h * w, outputs = planes * oh * ow;
    float *x = floats(n), *y = floats(outputs), *expected = floats(outputs), *dy = randomFloats(outputs, 1);
    float *dx = floats(n), *dxExpected = floats(n);
    uint8_t *switches = malloc(outputs ? outputs : 1), *at = malloc(outputs ? outputs : 1);
    const float special[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < n; i++) {
        const float u = uniform(1), q = floorf(u * 4) / 4;  // quarters in [-1, 1): ties
        switch (activation) {
        case SWEEP_ACTIVATION_NONE: x[i] = u > 0.9f ? special[i % 3] : q; break;
        case SWEEP_ACTIVATION_RELU: x[i] = q > 0 ? q : 0; break;
        // full-precision values, so that a fused 1 − y·y would round differently; every fifth a tie
        case SWEEP_ACTIVATION_TANH: x[i] = i % 5 == 1 ? x[i - 1] : u; break;
        default: x[i] = i % 5 == 1 ? x[i - 1] : (u + 1) / 2 * 0.98f + 0.01f;  // in (0, 1)
        }
    }
    for (int p = 0; p < planes; p++)
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                const int o = (p * oh + r) * ow + c;
                for (int place = 0; place < 4; place++) {
                    const float v = x[(p * h + 2 * r + place / 2) * w + 2 * c + place % 2];
                    if (place == 0 || v > expected[o] || isnan(v)) expected[o] = v, at[o] = (uint8_t)place;
                }
            }
    for (int i = 0; i < n; i++) dxExpected[i] = 0;
    for (int p = 0; p < planes; p++)
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                const int o = (p * oh + r) * ow + c;
                dxExpected[(p * h + 2 * r + at[o] / 2) * w + 2 * c + at[o] % 2] = dy[o];
            }
    for (int i = 0; i < n; i++) dxExpected[i] = activationBackward(activation, dxExpected[i], x[i]);
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        char what[120];
        snprintf(what, sizeof what, "maxPoolForward %d planes of %dx%d", planes, h, w);
        K->maxPoolForward(planes, h, w, x, y, switches);
        differingBits(y, expected, outputs, K->name, what);
        checks++;
        if (outputs && memcmp(switches, at, outputs)) fail("%s: %s: switches differ", K->name, what);
        for (int i = 0; i < n; i++) dx[i] = NAN;
        K->maxPoolBackward(planes, h, w, dy, switches, y, activation, dx);
        snprintf(what, sizeof what, "maxPoolBackward %d planes of %dx%d, activation %d", planes, h, w, activation);
        differingBits(dx, dxExpected, n, K->name, what);
    }
    free(x), free(y), free(expected), free(dy), free(dx), free(dxExpected), free(switches), free(at);
}

static void testTables(void) {
    checks++;
    const sweep_kernels *best = sweep_kernels_best();
    if (!best) fail("sweep_kernels_best() is NULL");
    if (sweep_kernels_named("openblas") || sweep_kernels_named("") || sweep_kernels_named(NULL))
        fail("sweep_kernels_named answers a name that is no set");
    for (int s = 0; s < setCount; s++) {
        const sweep_kernels *K = sets[s];
        const void *entries[] = {(const void *)K->sgemm, (const void *)K->packedSize, (const void *)K->packB,
                                 (const void *)K->packedRow, (const void *)K->sgemmPacked,
                                 (const void *)K->sgemmPackedAPanels, (const void *)K->sgemmPackedT,
                                 (const void *)K->addTransposed,
                                 (const void *)K->convForward, (const void *)K->convWeightGrad,
                                 (const void *)K->lstmForward, (const void *)K->lstmBackward,
                                 (const void *)K->gruForward, (const void *)K->gruBackward, (const void *)K->rnnForward,
                                 (const void *)K->rnnBackward, (const void *)K->adamUpdate,
                                 (const void *)K->maxPoolForward, (const void *)K->maxPoolBackward};
        for (size_t e = 0; e < sizeof entries / sizeof entries[0]; e++)
            if (!entries[e]) fail("%s: entry %zu is NULL", K->name, e);
        if (K->panelWidth <= 0 || K->blockRows <= 0 || K->lstmPackedMultiple <= 0)
            fail("%s: sizes %d %d %d", K->name, K->panelWidth, K->blockRows, K->lstmPackedMultiple);
        int panel = 0;
        // packedRow's panel stride is blockRows panels rows deep, row 1 one panel row on
        if (K->packedRow(1000, 100, 1, &panel) != (size_t)K->panelWidth || panel != K->blockRows * K->panelWidth)
            fail("%s: packedRow disagrees with panelWidth %d / blockRows %d", K->name, K->panelWidth, K->blockRows);
    }
    if (best != sets[0]) fail("sweep_kernels_best() is %s, not the first that runs (%s)", best->name, sets[0]->name);
}

// ---- benchmark ----

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// Calls of f(context) that take about 20 ms.
static int callsFor(void (*f)(void *), void *context) {
    f(context);
    int calls = 1;
    for (;;) {
        double t0 = now();
        for (int i = 0; i < calls; i++) f(context);
        if (now() - t0 > 0.02) return calls;
        calls *= 2;
    }
}

/// Seconds per call of each of count cases f(context[i]), the best of 15 rounds that take
/// each case in turn: the machine may be shared, and the quietest round is the closest to
/// what the code does alone.
static void timePerCall(void (*f)(void *), void *context, size_t size, int count, double *seconds) {
    int calls[8];
    for (int i = 0; i < count; i++) calls[i] = callsFor(f, (char *)context + i * size), seconds[i] = 1e30;
    for (int round = 0; round < 15; round++)
        for (int i = 0; i < count; i++) {
            double t0 = now();
            for (int c = 0; c < calls[i]; c++) f((char *)context + i * size);
            double t = (now() - t0) / calls[i];
            seconds[i] = t < seconds[i] ? t : seconds[i];
        }
}

typedef struct {
    const sweep_kernels *K;
    bool transA, transB, packedB;
    int m, n, k;
    float *a, *b, *c, *packed;
    sweep_conv_shape g;
    int batch, oc;
    bool weightGrad;
} benchCase;

static void runGEMM(void *context) {
    benchCase *x = context;
    if (x->packedB)
        x->K->sgemmPacked(x->transA, x->m, x->n, x->k, x->a, x->transA ? x->m : x->k, x->packed, 0, x->c, x->n);
    else
        x->K->sgemm(x->transA, x->transB, x->m, x->n, x->k, x->a, x->transA ? x->m : x->k, x->b,
                    x->transB ? x->k : x->n, 0, x->c, x->n);
}

static void runConv(void *context) {
    benchCase *x = context;
    if (x->weightGrad)
        x->K->convWeightGrad(&x->g, x->batch, x->a, x->oc, x->b, x->c);
    else
        x->K->convForward(&x->g, x->batch, x->a, x->oc, x->b, x->packed, x->c);
}

/// An LSTM step (batch 64, hidden 128: forward, backward with its packed copy), a GRU step (batch 32,
/// hidden 128, as gru-128's: forward, backward with its two packed copies), an RNN forward step
/// (batch 32, hidden 128) or an Adam update of 100,000 parameters.
typedef struct {
    const sweep_kernels *K;
    int what;
    float *x[12];
} elementCase;

static void runElements(void *context) {
    elementCase *e = context;
    float **x = e->x;
    if (e->what == 0) e->K->lstmForward(64, 128, x[0], x[1], x[2], x[3], x[4], x[5], x[6], 1);
    else if (e->what == 1) e->K->lstmBackward(64, 128, x[0], x[3], x[6], x[7], x[8], x[9], 128, x[10], x[11], x[4], 256, 64, 1);
    else if (e->what == 2) e->K->gruForward(32, 128, x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    else if (e->what == 3)
        e->K->gruBackward(32, 128, x[0], x[1], x[2], x[3], x[4], 128, NULL, NULL, x[5], x[6], x[7], x[8], 256, 64);
    else if (e->what == 4) e->K->rnnForward(32, 128, x[0], x[1], x[2], x[3]);
    else e->K->adamUpdate(100000, x[0], x[1], x[2], x[3], 1, 0.01f, 0.1f, 0.999f, 0.001f, 0.5f, 1e-8f, -1e-3f);
}

#if defined(__x86_64__)
#include <immintrin.h>
/// FMAs alone, 12 independent chains: the most a core does on 8 (ymm) or 16 (zmm) lanes.
__attribute__((target("avx2,fma"))) static double peakAVX2(void) {
    __m256 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    const long iterations = 2000000;
    double best = 0;
    for (int round = 0; round < 15; round++) {
        double t0 = now();
        for (long r = 0; r < iterations; r++)
            for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
        double rate = iterations * 12.0 * 16 / (now() - t0) / 1e9;
        best = rate > best ? rate : best;
    }
    float sink = 0;
    for (int i = 0; i < 12; i++) sink += _mm256_cvtss_f32(acc[i]);
    if (sink == 12345) puts("");
    return best;
}

__attribute__((target("avx512f"))) static double peakAVX512(void) {
    __m512 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    const long iterations = 2000000;
    double best = 0;
    for (int round = 0; round < 15; round++) {
        double t0 = now();
        for (long r = 0; r < iterations; r++)
            for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
        double rate = iterations * 16.0 * 32 / (now() - t0) / 1e9;
        best = rate > best ? rate : best;
    }
    float sink = 0;
    for (int i = 0; i < 16; i++) sink += _mm512_cvtss_f32(acc[i]);
    if (sink == 12345) puts("");
    return best;
}
#endif

/// Whether the bench case `name` runs: every case without a filter, else those whose name contains it.
static bool wanted(const char *name, const char *only) { return !only || strstr(name, only); }

static void bench(const char *only) {
    // the seed models' shapes (bench/SweepBench): RNNs at batch 32 over 28 steps of 28 inputs,
    // LeNet5 at batch 50, the homework-4 CNNs at batch 32
    struct { const char *name; bool transA, transB, packed; int m, n, k; } gemms[] = {
        {"lstm-128 step h.Whh^T, packed 32x512x128", false, false, true, 32, 512, 128},
        {"lstm-128 dh = dG.Whh, packed 32x128x512", false, false, true, 32, 128, 512},
        {"lstm-128 gates x.Wih^T 896x512x28", false, true, false, 896, 512, 28},
        {"lstm-128 dWhh^T h^T.dG, packed 128x512x256", true, false, true, 128, 512, 256},
        {"lstm-128 dWih^T x^T.dG, packed 28x512x256", true, false, true, 28, 512, 256},
        {"lenet5 fc1 x.W^T 50x1024x4096", false, true, false, 50, 1024, 4096},
        {"lenet5 fc1 dW dy^T.x 1024x4096x50", true, false, false, 1024, 4096, 50},
        {"lenet5 fc1 dx dy.W 50x4096x1024", false, false, false, 50, 4096, 1024},
        {"mlp-512 fc1 x.W^T 32x512x784", false, true, false, 32, 512, 784},
        {"cnn fc1 dx dy.W 32x4096x512", false, false, false, 32, 4096, 512},
        {"inception fc1 x.W^T 32x512x12288", false, true, false, 32, 512, 12288},
        {"inception fc1 dx dy.W 32x12288x512", false, false, false, 32, 12288, 512},
        {"square 512x512x512", false, false, false, 512, 512, 512},
    };
    struct { const char *name; int c, h, w, oc, k, stride, batch; bool same, weightGrad; } convs[] = {
        {"lenet5 conv1 3x32x32->32 5x5 b50", 3, 32, 32, 32, 5, 1, 50, true, false},
        {"lenet5 conv1 dW", 3, 32, 32, 32, 5, 1, 50, true, true},
        {"lenet5 conv2 32x16x16->64 5x5 b50", 32, 16, 16, 64, 5, 1, 50, true, false},
        {"lenet5 conv2 dW", 32, 16, 16, 64, 5, 1, 50, true, true},
        {"lenet5 conv2 dx (64x16x16->32 5x5)", 64, 16, 16, 32, 5, 1, 50, true, false},
        {"cnn conv1 3x32x32->32 3x3 b32", 3, 32, 32, 32, 3, 1, 32, true, false},
        {"cnn conv1 dW", 3, 32, 32, 32, 3, 1, 32, true, true},
        {"cnn conv2 32x32x32->32 3x3 b32", 32, 32, 32, 32, 3, 1, 32, true, false},
        {"cnn conv2 dW", 32, 32, 32, 32, 3, 1, 32, true, true},
        {"cnn conv4 64x16x16->64 3x3 b32", 64, 16, 16, 64, 3, 1, 32, true, false},
        {"cnn conv4 dW", 64, 16, 16, 64, 3, 1, 32, true, true},
        {"inception 64x8x8->64 3x3 b32", 64, 8, 8, 64, 3, 1, 32, true, false},
        {"inception dW", 64, 8, 8, 64, 3, 1, 32, true, true},
        {"resnet 128x8x8->128 3x3 b32", 128, 8, 8, 128, 3, 1, 32, true, false},
        {"resnet dW", 128, 8, 8, 128, 3, 1, 32, true, true},
        {"resnet 128x8x8->64 1x1 b32", 128, 8, 8, 64, 1, 1, 32, true, false},
        {"stride 2 32x16x16->64 3x3 b32", 32, 16, 16, 64, 3, 2, 32, true, false},
        {"stride 2 dW", 32, 16, 16, 64, 3, 2, 32, true, true},
    };
    printf("GFLOP/s, one thread");
#if defined(__x86_64__)
    if (sweep_cpu_has_avx2_fma()) printf("; FMA-only loop: AVX2 %.1f", peakAVX2());
    if (sweep_kernels_named("avx512")) printf(", AVX-512 %.1f", peakAVX512());
#endif
    printf("\n%-44s", "shape");
    for (int s = 0; s < setCount; s++) printf(" %9s", sets[s]->name);
    printf("\n");
    for (size_t t = 0; t < sizeof gemms / sizeof gemms[0]; t++) {
        if (!wanted(gemms[t].name, only)) continue;
        printf("%-44s", gemms[t].name);
        const int m = gemms[t].m, n = gemms[t].n, k = gemms[t].k;
        float *a = randomFloats((size_t)m * k, 1), *b = randomFloats((size_t)k * n, 1), *c = floats((size_t)m * n);
        benchCase x[SET_NAMES];
        for (int s = 0; s < setCount; s++) {
            x[s] = (benchCase){.K = sets[s], .transA = gemms[t].transA, .transB = gemms[t].transB,
                               .packedB = gemms[t].packed, .m = m, .n = n, .k = k, .a = a, .b = b, .c = c};
            if (x[s].packedB) {
                x[s].packed = floats(sets[s]->packedSize(k, n));
                sets[s]->packB(x[s].transB, k, n, b, x[s].transB ? k : n, x[s].packed);
            }
        }
        double seconds[SET_NAMES];
        timePerCall(runGEMM, x, sizeof x[0], setCount, seconds);
        for (int s = 0; s < setCount; s++) printf(" %9.1f", 2.0 * m * n * k / seconds[s] / 1e9), free(x[s].packed);
        printf("\n");
        fflush(stdout);
        free(a), free(b), free(c);
    }
    for (size_t t = 0; t < sizeof convs / sizeof convs[0]; t++) {
        if (!wanted(convs[t].name, only)) continue;
        printf("%-44s", convs[t].name);
        sweep_conv_shape g = convShape(convs[t].c, convs[t].h, convs[t].w, convs[t].k, convs[t].stride, convs[t].same);
        const int kk = g.channels * g.kernel * g.kernel, spatial = g.outHeight * g.outWidth, oc = convs[t].oc;
        const int batch = convs[t].batch;
        float *input = randomFloats((size_t)batch * g.channels * g.height * g.width, 1);
        float *w = randomFloats((size_t)oc * kk, 1), *bias = randomFloats(oc, 1);
        float *out = randomFloats((size_t)batch * oc * spatial, 1), *dWt = floats((size_t)kk * oc);
        memset(dWt, 0, sizeof(float) * kk * oc);
        benchCase x[SET_NAMES];
        for (int s = 0; s < setCount; s++) {
            x[s] = (benchCase){.K = sets[s], .a = input, .g = g, .batch = batch, .oc = oc,
                               .weightGrad = convs[t].weightGrad};
            if (x[s].weightGrad)
                x[s].b = out, x[s].c = dWt;
            else
                x[s].b = w, x[s].packed = bias, x[s].c = out;
        }
        double seconds[SET_NAMES];
        timePerCall(runConv, x, sizeof x[0], setCount, seconds);
        for (int s = 0; s < setCount; s++) printf(" %9.1f", 2.0 * batch * oc * kk * spatial / seconds[s] / 1e9);
        printf("\n");
        fflush(stdout);
        free(input), free(w), free(bias), free(out), free(dWt);
    }
    const char *names[] = {"lstm-128 forward step, batch 64", "lstm-128 backward step (+ packed), batch 64",
                           "gru-128 forward step, batch 32", "gru-128 backward step (+ packed), batch 32",
                           "rnn-128 forward step, batch 32",
                           "adam, 100000 parameters"};
    const int kinds = sizeof names / sizeof names[0];
    bool any = false;
    for (int what = 0; what < kinds; what++) any = any || wanted(names[what], only);
    if (any) printf("%-44s\n", "ns per element");
    const double elements[] = {64 * 128, 64 * 128, 32 * 128, 32 * 128, 32 * 128, 100000};
    for (int what = 0; what < kinds; what++) {
        if (!wanted(names[what], only)) continue;
        printf("%-44s", names[what]);
        elementCase x[SET_NAMES];
        // buffer i 256·i bytes into its own pages, as the engine places a recurrent layer's
        // buffers (PageOffsetBuffer, Tensor.swift): with malloc's placement the backward steps
        // took up to twice the time or not, by the accident of the heap's state (4K aliasing)
        void *pages[12];
        float *buffers[12];
        for (int i = 0; i < 12; i++) {
            if (posix_memalign(&pages[i], 4096, 400000 * sizeof(float) + 4096)) abort();
            buffers[i] = (float *)((char *)pages[i] + i * 256);
            for (int e = 0; e < 400000; e++) buffers[i][e] = uniform(0.5f);
        }
        for (int s = 0; s < setCount; s++) {
            x[s].K = sets[s], x[s].what = what;
            memcpy(x[s].x, buffers, sizeof buffers);
        }
        double seconds[SET_NAMES];
        timePerCall(runElements, x, sizeof x[0], setCount, seconds);
        for (int s = 0; s < setCount; s++) printf(" %9.3f", seconds[s] / elements[what] * 1e9);
        printf("\n");
        for (int i = 0; i < 12; i++) free(pages[i]);
    }
}

int main(int argc, char **argv) {
    bool benchmark = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--small")) small = true;
        else if (!strcmp(argv[i], "--bench")) benchmark = true;
        else if (benchmark && !only) only = argv[i];
        else {
            fprintf(stderr, "usage: %s [--small] [--bench [TEXT]]\n", argv[0]);
            return 2;
        }
    }
    printf("kernel sets:");
    for (int i = 0; i < SET_NAMES; i++) {
        const sweep_kernels *K = sweep_kernels_named(setNames[i]);
        if (K) sets[setCount++] = K;
        printf(" %s%s", setNames[i], K ? "" : " (not on this CPU)");
    }
    printf("; best: %s\n", sweep_kernels_best()->name);
    portable = sweep_kernels_named("portable");
    if (!portable) {
        fprintf(stderr, "FAIL the portable set is missing\n");
        return 1;
    }
    if (benchmark) {
        bench(only);
        return 0;
    }
    double t0 = now();
    testTables();
    testGEMM();
    testAPanels();
    testPackedT();
    testPackedBlocks();
    testAddTransposed();
    testConvs();
    const int hiddens[] = {1, 3, 8, 16, 20, 32, 100, 128};
    const int batches[] = {1, 3, 5};
    for (int h = 0; h < 8; h++)
        for (int b = 0; b < 3; b++) testLSTM(batches[b], hiddens[h], false);
    testLSTM(3, 20, true);
    testLSTM(2, 128, true);
    for (int h = 0; h < 8; h++)
        for (int b = 0; b < 3; b++) testGRU(batches[b], hiddens[h], false), testRNN(batches[b], hiddens[h], false);
    testGRU(3, 20, true), testRNN(3, 20, true);
    testGRU(2, 128, true), testRNN(2, 128, true);
    const int poolSizes[][3] = {{1, 2, 2}, {3, 5, 7}, {2, 32, 32}, {2, 33, 35}, {4, 16, 16}, {1, 3, 70}, {2, 9, 2}};
    for (int i = 0; i < 7; i++)
        for (int activation = SWEEP_ACTIVATION_NONE; activation <= SWEEP_ACTIVATION_SIGMOID; activation++)
            testMaxPool(poolSizes[i][0], poolSizes[i][1], poolSizes[i][2], activation);
    const int sizes[] = {1, 5, 8, 15, 16, 17, 33, 1000, 4099};
    for (int i = 0; i < 9; i++) {
        testAdam(sizes[i], false, 1);
        testAdam(sizes[i], true, 7);
    }
    printf("%d checks over %d sets in %.1f s: %s\n", checks, setCount, now() - t0,
           failures ? "FAILED" : "all passed");
    if (failures) fprintf(stderr, "%d failures\n", failures);
    return failures ? 1 : 0;
}
