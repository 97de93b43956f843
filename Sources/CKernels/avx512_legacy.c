// The AVX-512 set under the names the Swift code called before the kernel table
// (CKernels.h, "Legacy"): each forwards to the avx512 set's function (kernels_avx512.c).
#include "kernel_sets.h"

#if defined(__x86_64__)

bool sweep_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k, const float *a, int lda, const float *b,
                        int ldb, float beta, float *c, int ldc) {
    sweep_avx512_sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

size_t sweep_sgemm_packed_size(int k, int n) { return sweep_avx512_packed_size(k, n); }

void sweep_sgemm_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed) {
    sweep_avx512_pack_b(transB, k, n, b, ldb, packed);
}

size_t sweep_sgemm_packed_row(int k, int n, int row, int *panelStride) {
    return sweep_avx512_packed_row(k, n, row, panelStride);
}

int sweep_sgemm_packed_block_rows(void) { return sweep_avx512_kernels.blockRows; }

void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda, const float *packed, float beta,
                        float *c, int ldc) {
    sweep_avx512_sgemm_packed(transA, m, n, k, a, lda, packed, beta, c, ldc);
}

void sweep_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                                 float beta, float *c, int ldc) {
    sweep_avx512_sgemm_packed_a_panels(m, n, k, a, aPanelStride, packed, beta, c, ldc);
}

void sweep_add_transposed(int rows, int columns, const float *x, float *y) {
    sweep_avx512_add_transposed(rows, columns, x, y);
}

void sweep_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels, const float *w,
                        const float *bias, float *output) {
    sweep_avx512_conv_forward(g, batch, input, outChannels, w, bias, output);
}

void sweep_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                            const float *dy, float *dWt) {
    sweep_avx512_conv_weight_grad(g, batch, input, outChannels, dy, dWt);
}

void sweep_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                        const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext) {
    sweep_avx512_lstm_forward(batch, hidden, gates, recurrent, bias, c, cNext, hNext, tanhCNext, prefetchNext);
}

void sweep_lstm_backward(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                         float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates, float *dBias,
                         float *packed, int packedK, int packedRow, int prefetchPrevious) {
    sweep_avx512_lstm_backward(batch, hidden, gates, c, tanhCNext, dh, dc, dOutput, ldOutput, dGates, dBias, packed,
                               packedK, packedRow, prefetchPrevious);
}

void sweep_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep) {
    sweep_avx512_adam_update(n, p, g, m, v, decay, l2, w1, beta2, w2, bc2Sqrt, eps, negStep);
}

#else

#include <stdlib.h>

bool sweep_has_avx512(void) { return false; }

// Never called where sweep_has_avx512() is false: they keep the legacy names linkable.
#pragma GCC diagnostic ignored "-Wunused-parameter"

void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k, const float *a, int lda, const float *b,
                        int ldb, float beta, float *c, int ldc) { abort(); }

size_t sweep_sgemm_packed_size(int k, int n) { abort(); }

void sweep_sgemm_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed) { abort(); }

size_t sweep_sgemm_packed_row(int k, int n, int row, int *panelStride) { abort(); }

int sweep_sgemm_packed_block_rows(void) { abort(); }

void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda, const float *packed, float beta,
                        float *c, int ldc) { abort(); }

void sweep_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride, const float *packed,
                                 float beta, float *c, int ldc) { abort(); }

void sweep_add_transposed(int rows, int columns, const float *x, float *y) { abort(); }

void sweep_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels, const float *w,
                        const float *bias, float *output) { abort(); }

void sweep_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input, int outChannels,
                            const float *dy, float *dWt) { abort(); }

void sweep_lstm_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias,
                        const float *c, float *cNext, float *hNext, float *tanhCNext, int prefetchNext) { abort(); }

void sweep_lstm_backward(int batch, int hidden, const float *gates, const float *c, const float *tanhCNext,
                         float *dh, float *dc, const float *dOutput, int ldOutput, float *dGates, float *dBias,
                         float *packed, int packedK, int packedRow, int prefetchPrevious) { abort(); }

void sweep_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep) { abort(); }

#endif
