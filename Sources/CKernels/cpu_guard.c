// On x86-64 the Swift targets are compiled for AVX2 and FMA (Haswell, 2013, and every x86-64
// server CPU since). On a CPU without them the first such instruction would kill the process
// with SIGILL and no word; this constructor runs before any Swift code and says why instead.
// This file is compiled for baseline x86-64, as the whole C target is.
#include "CKernels.h"

#if defined(__x86_64__)
#include <unistd.h>

__attribute__((constructor)) static void sweep_require_avx2_fma(void) {
    if (sweep_cpu_has_avx2_fma()) return;
    static const char message[] =
        "sweep: this CPU lacks AVX2 and FMA, which this x86-64 build needs (Intel Haswell, AMD Zen or later)\n";
    (void)!write(2, message, sizeof message - 1);
    _exit(2);
}
#endif
