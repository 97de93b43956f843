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

/// sweep_sgemm_avx512 with op(B) packed by sweep_sgemm_pack_b (same k and n).
void sweep_sgemm_packed(bool transA, int m, int n, int k, const float *a, int lda,
                        const float *packed, float beta, float *c, int ldc);
