#pragma once
#include <stdbool.h>

/// True when the CPU and OS run AVX-512 (F, BW, VL, DQ): the kernels below may be called.
bool sweep_has_avx512(void);

/// Row-major C (m×n, ldc) = op(A) (m×k) · op(B) (k×n) + beta·C with beta 0 or 1, as
/// cblas_sgemm with alpha 1. AVX-512 only: check sweep_has_avx512() first.
void sweep_sgemm_avx512(bool transA, bool transB, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb,
                        float beta, float *c, int ldc);
