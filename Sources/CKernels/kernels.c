// The kernel sets' tables and the one place that asks the CPU which of them run
// (after OpenBLAS's DYNAMIC_ARCH and oneDNN's ISA dispatch).
#include "kernel_sets.h"
#include <string.h>

// The sets' tables are in their files (SET_TABLE), next to their sizes.

#if defined(__x86_64__)

bool sweep_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/// AVX-512 F, BW, VL and DQ, which the avx512 set's code uses.
static bool hasAVX512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

/// Fastest first.
static const sweep_kernels *candidates(int i) {
    switch (i) {
    case 0: return hasAVX512() ? &sweep_avx512_kernels : NULL;
    case 1: return sweep_cpu_has_avx2_fma() ? &sweep_avx2_kernels : NULL;
    case 2: return &sweep_portable_kernels;
    default: return NULL;
    }
}
enum { CANDIDATES = 3 };

#elif defined(__aarch64__)

bool sweep_cpu_has_avx2_fma(void) { return true; }

/// Fastest first: NEON is part of every aarch64 CPU.
static const sweep_kernels *candidates(int i) { return i == 0 ? &sweep_neon_kernels : i == 1 ? &sweep_portable_kernels : NULL; }
enum { CANDIDATES = 2 };

#else

bool sweep_cpu_has_avx2_fma(void) { return true; }

static const sweep_kernels *candidates(int i) { return i == 0 ? &sweep_portable_kernels : NULL; }
enum { CANDIDATES = 1 };

#endif

const sweep_kernels *sweep_kernels_named(const char *name) {
    for (int i = 0; i < CANDIDATES; i++) {
        const sweep_kernels *set = candidates(i);
        if (set && name && strcmp(set->name, name) == 0) return set;
    }
    return NULL;
}

const sweep_kernels *sweep_kernels_best(void) {
    for (int i = 0; i < CANDIDATES; i++)
        if (candidates(i)) return candidates(i);
    return &sweep_portable_kernels;
}
