#pragma once
#include <zlib.h>

/// inflateInit2 is a macro, which Swift cannot import.
static inline int czlib_inflate_init2(z_streamp strm, int window_bits) {
    return inflateInit2(strm, window_bits);
}
