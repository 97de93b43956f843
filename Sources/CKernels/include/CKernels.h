#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// One 2-D convolution's sizes (PyTorch's nn.Conv2d geometry, padding split as given).
typedef struct {
    int channels, height, width, kernel, stride, padTop, padLeft, outHeight, outWidth;
} sweep_conv_shape;

// ---- Kernel sets ----
// One table of kernels per instruction set, chosen once at start: every entry of every set
// is filled, so callers have one code path. A set's GEMM packs op(B) in panels of
// `panelWidth` columns and blocks of `blockRows` rows (the layout the AVX-512 functions
// below document with 32 and 256); everything else is the same contract in every set.
// Within a set results are deterministic (fixed summation order); across sets the GEMMs and
// convolutions differ in rounding, while the cells' steps (LSTM, GRU, RNN) and Adam give the same bits
// in every set (the Swift loops' operations, in their order).

/// The activation before a max pool whose backward the pool's takes in (maxPoolBackward).
enum { SWEEP_ACTIVATION_NONE = 0, SWEEP_ACTIVATION_RELU = 1, SWEEP_ACTIVATION_TANH = 2, SWEEP_ACTIVATION_SIGMOID = 3 };

typedef struct sweep_kernels {
    /// "avx512", "avx2", "neon" or "portable".
    const char *name;
    /// Columns per panel of a packed op(B), and of the A panels of sgemmPackedAPanels.
    int panelWidth;
    /// Rows of op(B) in one block of a packing (sweep_sgemm_packed_block_rows for this set).
    int blockRows;
    /// lstmBackward writes the packed dGates (its `packed` argument) only for a hidden size
    /// that is a multiple of this (1 in every set today: any size).
    int lstmPackedMultiple;

    /// Row-major C (m×n, ldc) = op(A) (m×k) · op(B) (k×n) + beta·C, beta 0 or 1 (sweep_sgemm_avx512).
    void (*sgemm)(bool transA, bool transB, int m, int n, int k, const float *a, int lda, const float *b,
                  int ldb, float beta, float *c, int ldc);
    /// Floats that packB writes for an op(B) of k×n (sweep_sgemm_packed_size).
    size_t (*packedSize)(int k, int n);
    /// Packs op(B) (k×n) for sgemmPacked (sweep_sgemm_pack_b).
    void (*packB)(bool transB, int k, int n, const float *b, int ldb, float *packed);
    /// Where row `row` of a packed op(B) starts: element (row, j) is at
    /// packed[offset + (j / panelWidth)·panelStride + j % panelWidth] (sweep_sgemm_packed_row).
    size_t (*packedRow)(int k, int n, int row, int *panelStride);
    /// sgemm with op(B) packed by packB (sweep_sgemm_packed).
    void (*sgemmPacked)(bool transA, int m, int n, int k, const float *a, int lda, const float *packed,
                        float beta, float *c, int ldc);
    /// sgemmPacked with op(A) read from panels of panelWidth columns: op(A)(i, p) =
    /// a[(p / panelWidth)·aPanelStride + i·panelWidth + p % panelWidth] (sweep_sgemm_packed_a_panels).
    void (*sgemmPackedAPanels)(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                               float beta, float *c, int ldc);
    /// Row-major C (m×n, ldc) = Pᵀ · B + beta·C, beta 0 or 1, for P (k×m) packed by packB (or
    /// written in its layout, packedRow) and a row-major B (k×n, ldb): a weight gradient from the
    /// packed gate gradients of a recurrent layer's backward steps (sweep_sgemm_packed_t).
    void (*sgemmPackedT)(int m, int n, int k, const float *packed, const float *b, int ldb, float beta, float *c,
                         int ldc);
    /// y (columns × rows) += xᵀ for the row-major x (rows × columns) (sweep_add_transposed).
    void (*addTransposed)(int rows, int columns, const float *x, float *y);
    /// Implicit-GEMM convolution forward (sweep_conv_forward).
    void (*convForward)(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                        const float *w, const float *bias, float *output);
    /// Implicit-GEMM convolution weight gradient, dWᵀ += (sweep_conv_weight_grad).
    void (*convWeightGrad)(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                           const float *dy, float *dWt);
    /// LSTMCell.forward's step (sweep_lstm_forward).
    void (*lstmForward)(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                        const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext);
    /// LSTMCell.backward's step (sweep_lstm_backward), the packed dGates in this set's layout
    /// (packedRow) when hidden is a multiple of lstmPackedMultiple.
    void (*lstmBackward)(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                         float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates, float *dBias,
                         float *packed, int packedK, int packedRow, int prefetchPrevious);
    /// GRUCell.forward's step: gates, recurrent (B, 3H) as [r | z | n], bias (3H), biasHN (H), h (B, H)
    ///   -> gates activated, hn (B, H) = recurrent's n block + biasHN, hNext (B, H).
    void (*gruForward)(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                       const float *biasHN, const float *h, float *hn, float *hNext);
    /// GRUCell.backward's step: gates (B, 3H), hn, h, dh + dOutput (row stride ldOutput) (B, H) ->
    /// dGates (B, 3H) = [dr | dz | dn_pre], dGatesHidden (B, 3H) = [dr | dz | dn_pre ⊙ r], dh ← dh' ⊙ z.
    /// With dBias (the chunked backward): dBias (3H) += Σ_B dGates, dBiasHN (H) += Σ_B dn_pre ⊙ r, and
    /// dGates and dGatesHidden also into the packings `packed` and `packedHidden` (packedK rows, as
    /// lstmBackward's) from row packedRow; any of the four outputs may be NULL.
    void (*gruBackward)(int batch, int hidden, const float *gates, const float *hn, const float *h, float *dh,
                        const float *dOutput, int ldOutput, float *dGates, float *dGatesHidden, float *dBias,
                        float *dBiasHN, float *packed, float *packedHidden, int packedK, int packedRow);
    /// RNNCell.forward's step: hNext (B, H) = tanh(gates + recurrent + bias).
    void (*rnnForward)(int batch, int hidden, const float *gates, const float *recurrent, const float *bias,
                       float *hNext);
    /// RNNCell.backward's step: dGates (B, H) = (dh + dOutput) ⊙ (1 − hNext²); with dBias, dBias (H)
    /// += Σ_B dGates and dGates also into `packed` as gruBackward's (plain dGates and packed may be NULL).
    void (*rnnBackward)(int batch, int hidden, const float *hNext, const float *dh, const float *dOutput,
                        int ldOutput, float *dGates, float *dBias, float *packed, int packedK, int packedRow);
    /// Optimizer's Adam/AdamW loop (sweep_adam_update).
    void (*adamUpdate)(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep);
    /// MaxPool2D's forward: 2×2 windows at stride 2 over `planes` planes of h × w (an odd last
    /// row or column never reaches y), y (planes, h/2, w/2), and switches, the place (0…3,
    /// row-major) of each output's maximum in its window: a later value wins when it is
    /// greater or NaN. The same bits in every set.
    void (*maxPoolForward)(int planes, int h, int w, const float *x, float *y, uint8_t *switches);
    /// MaxPool2D's backward: dx (planes, h, w) gets each dy at its window's switch and zero
    /// everywhere else, every element written (no zeroing beforehand). With an `activation`
    /// (SWEEP_ACTIVATION_*) it is the backward of that activation and the pool in one pass:
    /// each dy times the activation's derivative at the window's maximum, `pooled` (the
    /// forward's y), as Activation.backward computes it; the other places get zero, which
    /// Activation.backward gives them too unless the activation's output there is NaN.
    void (*maxPoolBackward)(int planes, int h, int w, const float *dy, const uint8_t *switches,
                            const float *pooled, int activation, float *dx);
} sweep_kernels;

/// The set called `name` ("avx512", "avx2", "neon", "portable"), or NULL when the name is
/// unknown or this CPU and OS cannot run it.
const sweep_kernels *sweep_kernels_named(const char *name);

/// The fastest set this CPU runs: avx512 > avx2 > portable on x86-64, neon > portable on aarch64.
const sweep_kernels *sweep_kernels_best(void);

/// Whether the CPU and OS run AVX2 and FMA, which the Swift targets are compiled for on
/// x86-64. True on other architectures.
bool sweep_cpu_has_avx2_fma(void);

// ---- Statistics (portable C) ----

/// The sum and sum of squares (in double) of x[0..<n], and how many are exactly 0.
void sweep_moments_f32(const float *x, long n, double *sum, double *sumSquares, long *zeros);

/// The smallest and largest finite value of x[0..<n]; 0 and 0 when there is none.
void sweep_range_f32(const float *x, long n, float *lo, float *hi);

/// Adds to counts[0..<bins] the values of x[0..<n] in [lo, hi], in bins of equal width
/// (hi − lo) / bins, the top one closed; all in bin 0 when lo == hi. NaN is left out.
void sweep_histogram_f32(const float *x, long n, float lo, float hi, int bins, long *counts);
