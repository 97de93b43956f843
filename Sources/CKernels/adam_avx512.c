// The Adam/AdamW update (Optimizer.swift) on sixteen lanes: the same operations in
// the same order as the Swift loop on eight AVX2 lanes, which stays the fallback,
// so both give the same bits (OptimizerTests compares them).
#include "CKernels.h"

#if defined(__x86_64__)

// No a·b + c contracted into one FMA, whichever compiler builds this (GCC's intrinsics are
// plain vector arithmetic, which its default -ffp-contract=fast would fuse).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
void sweep_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep) {
    const __m512 vDecay = _mm512_set1_ps(decay), vL2 = _mm512_set1_ps(l2), vW1 = _mm512_set1_ps(w1);
    const __m512 vBeta2 = _mm512_set1_ps(beta2), vW2 = _mm512_set1_ps(w2), vBc2 = _mm512_set1_ps(bc2Sqrt);
    const __m512 vEps = _mm512_set1_ps(eps), vStep = _mm512_set1_ps(negStep);
    for (int j = 0; j < n; j += 16) {
        __mmask16 k = n - j >= 16 ? 0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 theta = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + j), vDecay);
        __m512 grad = _mm512_add_ps(_mm512_maskz_loadu_ps(k, g + j), _mm512_mul_ps(vL2, theta));
        __m512 m0 = _mm512_maskz_loadu_ps(k, m + j);
        __m512 m1 = _mm512_add_ps(m0, _mm512_mul_ps(vW1, _mm512_sub_ps(grad, m0)));
        __m512 v1 = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, v + j), vBeta2),
                                  _mm512_mul_ps(_mm512_mul_ps(vW2, grad), grad));
        _mm512_mask_storeu_ps(m + j, k, m1);
        _mm512_mask_storeu_ps(v + j, k, v1);
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(v1), vBc2), vEps);
        _mm512_mask_storeu_ps(p + j, k, _mm512_add_ps(theta, _mm512_div_ps(_mm512_mul_ps(vStep, m1), denom)));
    }
}

#else

// Never called where sweep_has_avx512() is false; they keep the legacy names linkable.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdlib.h>

void sweep_adam_update(int n, float *p, const float *g, float *m, float *v, float decay, float l2, float w1,
                       float beta2, float w2, float bc2Sqrt, float eps, float negStep) { abort(); }

#endif
