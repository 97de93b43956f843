#pragma once
#include <stdbool.h>
#include <stddef.h>

/// True when the CPU and OS run AVX-512 (F, BW, VL, DQ): the kernels below may be called.
bool sweep_has_avx512(void);

/// Row-major C (m×n, ldc) = op(A) (m×k) · op(B) (k×n) + beta·C with beta 0 or 1, as
/// cblas_sgemm with alpha 1. AVX-512 only: check sweep_has_avx512() first.
void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb,
                        float beta, float *c, int ldc);

/// Floats that sweep_sgemm_pack_b writes for an op(B) of k×n.
size_t sweep_sgemm_packed_size(int k, int n);

/// Packs op(B) (k×n) once for several sweep_sgemm_packed calls with the same B.
void sweep_sgemm_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed);

/// Where row `row` of an op(B) (k×n) packed by sweep_sgemm_pack_b starts: element (row, j)
/// is at packed[offset + (j / 32)·panelStride + j % 32]. A producer of B can write the
/// packed form itself (the LSTM backward step does), row by row.
size_t sweep_sgemm_packed_row(int k, int n, int row, int *panelStride);

/// The rows of op(B) in one block of a packing (256). Rows [k0, k0 + kc) of a packed
/// op(B), with k0 a multiple of it and kc = min(it, k − k0), start at
/// sweep_sgemm_packed_row(k, n, k0, …) and are themselves the packing of a kc×n op(B).
int sweep_sgemm_packed_block_rows(void);

/// sweep_sgemm_avx512 with op(B) packed by sweep_sgemm_pack_b (same k and n).
void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda,
                        const float *packed, float beta, float *c, int ldc);

/// sweep_sgemm_packed with op(A) (m × k) read in place from panels of 32 columns, as
/// sweep_sgemm_pack_b lays out the rows of one block: op(A)(i, p) =
/// a[(p / 32)·aPanelStride + i·32 + p % 32]. The dGates of an LSTM step, from the packing the
/// step wrote for the weight gradients, into the step's dh GEMM.
void sweep_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                                 float beta, float *c, int ldc);

/// y (columns × rows) += xᵀ for the row-major x (rows × columns), on AVX-512.
void sweep_add_transposed(int rows, int columns, const float *x, float *y);

/// One 2-D convolution's sizes (PyTorch's nn.Conv2d geometry, padding split as given).
typedef struct {
    int channels, height, width, kernel, stride, padTop, padLeft, outHeight, outWidth;
} sweep_conv_shape;

/// output (B, OC, OH·OW) = W (OC, C·KH·KW) · im2col(input image) + bias (none when NULL), per
/// image, on AVX-512, without materialising the im2col: each 32-position panel of it is built in L1.
void sweep_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                        const float *w, const float *bias, float *output);

/// dWᵀ (C·KH·KW, OC) += Σ over images of im2col(input image) · dyᵀ, on AVX-512, the im2col
/// built panel by panel as in sweep_conv_forward.
void sweep_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                            const float *dy, float *dWt);

/// LSTMCell.forward's step on AVX-512 (same operations, same results): gates, recurrent
/// (B, 4H) as [i | f | g | o], bias (4H), c (B, H) -> gates activated, cNext, hNext and
/// tanhCNext = tanh(cNext) (B, H), which backward reads. With prefetchNext, what the next
/// step reads and writes (gates, c, tanh c and h one step on) is fetched into L2 on the way.
void sweep_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                        const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext);

/// LSTMCell.backward's step on AVX-512: gates (B, 4H), c, tanhCNext (B, H), dh + dOutput
/// (row stride ldOutput), dc (B, H) -> dGates (B, 4H), dBias (4H) += its column sums;
/// dc ← ∂L/∂c; dh is read only (the next GEMM overwrites it). With `packed` (hidden a
/// multiple of 16), the step's dGates also go to rows [packedRow, packedRow + B) of that
/// packed (packedK × 4H) op(B) (sweep_sgemm_packed_row); dGates may then be NULL. With prefetchPrevious, what the previous step reads (gates and
/// tanhCNext one step back, c one step back) is fetched into L2 on the way.
void sweep_lstm_backward(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                         float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates,
                         float *dBias, float *packed, int packedK, int packedRow, int prefetchPrevious);

/// Optimizer's Adam/AdamW loop on AVX-512 (same operations, same results), per element:
/// θ ← p·decay; g' = g + l2·θ; m ← m + w1(g' − m); v ← v·beta2 + w2·g'·g';
/// p ← θ + negStep·m / (√v / bc2Sqrt + eps).
void sweep_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep);

/// The sum and sum of squares (in double) of x[0..<n], and how many are exactly 0.
void sweep_moments_f32(const float *x, long n, double *sum, double *sumSquares, long *zeros);

/// The smallest and largest finite value of x[0..<n]; 0 and 0 when there is none.
void sweep_range_f32(const float *x, long n, float *lo, float *hi);

/// Adds to counts[0..<bins] the values of x[0..<n] in [lo, hi], in bins of equal width
/// (hi − lo) / bins, the top one closed; all in bin 0 when lo == hi. NaN is left out.
void sweep_histogram_f32(const float *x, long n, float lo, float hi, int bins, long *counts);
