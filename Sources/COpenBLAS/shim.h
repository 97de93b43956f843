#pragma once
#include <cblas.h>

/// Ends OpenBLAS's thread pool (as its fork handler does); the next threaded call starts it
/// again. Exported by libopenblas, declared in no public header.
int blas_thread_shutdown_(void);
