#pragma once
#include <png.h>

/// PNG_FORMAT_RGB is a macro built from another macro, which Swift does not import.
static const png_uint_32 cpng_format_rgb = PNG_FORMAT_RGB;
static const png_uint_32 cpng_format_gray = PNG_FORMAT_GRAY;
