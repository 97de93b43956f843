// The functions of one kernel set, sweep_<set>_<entry>, as kernels.c puts them into the
// set's table (sweep_kernels in CKernels.h). The set files define them from the templates
// (sgemm_template.h, lstm_adam_template.h) or, for the portable set's cells and Adam, as
// plain reference loops.
#pragma once
#include "CKernels.h"

#define SWEEP_SET_FUNCTIONS(set)                                                                                 \
    void sweep_##set##_sgemm(bool transA, bool transB, int m, int n, int k, const float *a, int lda,            \
                             const float *b, int ldb, float beta, float *c, int ldc);                           \
    size_t sweep_##set##_packed_size(int k, int n);                                                              \
    void sweep_##set##_pack_b(bool transB, int k, int n, const float *b, int ldb, float *packed);               \
    size_t sweep_##set##_packed_row(int k, int n, int row, int *panelStride);                                   \
    void sweep_##set##_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda,                  \
                                    const float *packed, float beta, float *c, int ldc);                        \
    void sweep_##set##_sgemm_packed_a_panels(int m, int n, int k, const float *a, int aPanelStride,             \
                                             const float *packed, float beta, float *c, int ldc);               \
    void sweep_##set##_sgemm_packed_t(int m, int n, int k, const float *packed, const float *b, int ldb,       \
                                      float beta, float *c, int ldc);                                          \
    void sweep_##set##_add_transposed(int rows, int columns, const float *x, float *y);                         \
    void sweep_##set##_conv_forward(const sweep_conv_shape *g, int batch, const float *input, int outChannels,  \
                                    const float *w, const float *bias, float *output);                          \
    void sweep_##set##_conv_weight_grad(const sweep_conv_shape *g, int batch, const float *input,               \
                                        int outChannels, const float *dy, float *dWt);                          \
    void sweep_##set##_lstm_forward(int batch, int hidden, float *gates, const float *recurrent,                \
                                    const float *bias, const float *c, float *cNext, float *hNext,              \
                                    float *tanhCNext, int prefetchNext);                                        \
    void sweep_##set##_lstm_backward(int batch, int hidden, const float *gates, const float *c,                 \
                                     const float *tanhCNext, float *dh, float *dc, const float *dOutput,        \
                                     int ldOutput, float *dGates, float *dBias, float *packed, int packedK,     \
                                     int packedRow, int prefetchPrevious);                                      \
    void sweep_##set##_gru_forward(int batch, int hidden, float *gates, const float *recurrent, const float *bias, \
                                   const float *biasHN, const float *h, float *hn, float *hNext);              \
    void sweep_##set##_gru_backward(int batch, int hidden, const float *gates, const float *hn, const float *h,  \
                                    float *dh, const float *dOutput, int ldOutput, float *dGates,               \
                                    float *dGatesHidden, float *dBias, float *dBiasHN, float *packed,           \
                                    float *packedHidden, int packedK, int packedRow);                           \
    void sweep_##set##_rnn_forward(int batch, int hidden, const float *gates, const float *recurrent,           \
                                   const float *bias, float *hNext);                                            \
    void sweep_##set##_rnn_backward(int batch, int hidden, const float *hNext, const float *dh,                 \
                                    const float *dOutput, int ldOutput, float *dGates, float *dBias,            \
                                    float *packed, int packedK, int packedRow);                                 \
    void sweep_##set##_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2,  \
                                   float w1, float beta2, float w2, float bc2Sqrt, float eps, float negStep);  \
    void sweep_##set##_max_pool_forward(int planes, int h, int w, const float *x, float *y, uint8_t *switches);  \
    void sweep_##set##_max_pool_backward(int planes, int h, int w, const float *dy, const uint8_t *switches,    \
                                         const float *pooled, int activation, float *dx);                       \
    extern const sweep_kernels sweep_##set##_kernels

SWEEP_SET_FUNCTIONS(portable);
#if defined(__x86_64__)
SWEEP_SET_FUNCTIONS(avx512);
SWEEP_SET_FUNCTIONS(avx2);
#endif
#if defined(__aarch64__)
SWEEP_SET_FUNCTIONS(neon);
#endif

/// The functions' names as the set's file defines them: SET_FUNCTION(sgemm) is sweep_<SET>_sgemm.
#define SET_FUNCTION_(set, name) sweep_##set##_##name
#define SET_FUNCTION__(set, name) SET_FUNCTION_(set, name)
#define SET_FUNCTION(name) SET_FUNCTION__(SET, name)

/// The set's table, sweep_<SET>_kernels, from its functions and sizes.
#define SET_TABLE_(set, width, rows, multiple)                                                               \
    const sweep_kernels sweep_##set##_kernels = {                                                            \
        .name = #set, .panelWidth = width, .blockRows = rows, .lstmPackedMultiple = multiple,                \
        .sgemm = sweep_##set##_sgemm, .packedSize = sweep_##set##_packed_size, .packB = sweep_##set##_pack_b, \
        .packedRow = sweep_##set##_packed_row, .sgemmPacked = sweep_##set##_sgemm_packed,                   \
        .sgemmPackedAPanels = sweep_##set##_sgemm_packed_a_panels,                                          \
        .sgemmPackedT = sweep_##set##_sgemm_packed_t,                                                        \
        .addTransposed = sweep_##set##_add_transposed, .convForward = sweep_##set##_conv_forward,           \
        .convWeightGrad = sweep_##set##_conv_weight_grad, .lstmForward = sweep_##set##_lstm_forward,        \
        .lstmBackward = sweep_##set##_lstm_backward, .gruForward = sweep_##set##_gru_forward,               \
        .gruBackward = sweep_##set##_gru_backward, .rnnForward = sweep_##set##_rnn_forward,                 \
        .rnnBackward = sweep_##set##_rnn_backward, .adamUpdate = sweep_##set##_adam_update,                 \
        .maxPoolForward = sweep_##set##_max_pool_forward, .maxPoolBackward = sweep_##set##_max_pool_backward, \
    }
#define SET_TABLE__(set, width, rows, multiple) SET_TABLE_(set, width, rows, multiple)
/// In a set's file: its table, with panel width NR and block rows KC.
#define SET_TABLE(multiple) SET_TABLE__(SET, NR, KC, multiple)
