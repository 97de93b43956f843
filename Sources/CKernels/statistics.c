// Statistics of a layer's values for the activation trace and the end-of-training
// summary (SweepTrain): sums, range and histogram over a buffer of floats. Portable C:
// the compiler vectorises the independent lanes; Swift's generic SIMD types spilled
// them to the stack and took longer than the evaluation pass they summarise.
#include "CKernels.h"

#define LANES 8

void sweep_moments_f32(const float *x, long n, double *sum, double *sumSquares, long *zeros) {
    double s[LANES] = {0}, s2[LANES] = {0};
    long z[LANES] = {0};
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int l = 0; l < LANES; l++) {
            double v = x[i + l];
            s[l] += v;
            s2[l] += v * v;
            z[l] += x[i + l] == 0.0f;
        }
    }
    double ts = 0, ts2 = 0;
    long tz = 0;
    for (int l = 0; l < LANES; l++) { ts += s[l]; ts2 += s2[l]; tz += z[l]; }
    for (; i < n; i++) {
        double v = x[i];
        ts += v;
        ts2 += v * v;
        tz += x[i] == 0.0f;
    }
    *sum = ts;
    *sumSquares = ts2;
    *zeros = tz;
}

void sweep_range_f32(const float *x, long n, float *lo, float *hi) {
    const float big = 3.402823466e38f;   // FLT_MAX: a finite value v has -big <= v <= big; NaN has neither
    float l[LANES], h[LANES];
    for (int k = 0; k < LANES; k++) { l[k] = big; h[k] = -big; }
    int any[LANES] = {0};
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            float v = x[i + k];
            int finite = v >= -big && v <= big;
            l[k] = finite && v < l[k] ? v : l[k];
            h[k] = finite && v > h[k] ? v : h[k];
            any[k] |= finite;
        }
    }
    float tl = big, th = -big;
    int found = 0;
    for (int k = 0; k < LANES; k++) {
        if (!any[k]) continue;
        found = 1;
        tl = l[k] < tl ? l[k] : tl;
        th = h[k] > th ? h[k] : th;
    }
    for (; i < n; i++) {
        float v = x[i];
        if (v >= -big && v <= big) {
            found = 1;
            tl = v < tl ? v : tl;
            th = v > th ? v : th;
        }
    }
    *lo = found ? tl : 0;
    *hi = found ? th : 0;
}

void sweep_histogram_f32(const float *x, long n, float lo, float hi, int bins, long *counts) {
    // bins of a chunk first (a loop the compiler vectorises), then counted into four
    // histograms in turn, so that runs of one bin do not wait on their own increments
    enum { CHUNK = 256, WAYS = 4, MAX_BINS = 256 };
    if (bins > MAX_BINS) bins = MAX_BINS;
    const float width = (hi - lo) / (float)bins;
    int index[CHUNK];
    long part[WAYS][MAX_BINS + 1] = {{0}};   // the extra bin takes what is left out
    for (long start = 0; start < n; start += CHUNK) {
        int m = n - start < CHUNK ? (int)(n - start) : CHUNK;
        for (int i = 0; i < m; i++) {
            float v = x[start + i];
            int b = width > 0 ? (int)((v - lo) / width) : 0;
            b = b < bins - 1 ? b : bins - 1;
            index[i] = v >= lo && v <= hi ? b : bins;   // NaN, and what lies outside
        }
        int i = 0;
        for (; i + WAYS <= m; i += WAYS)
            for (int w = 0; w < WAYS; w++) part[w][index[i + w]]++;
        for (; i < m; i++) part[0][index[i]]++;
    }
    for (int b = 0; b < bins; b++) counts[b] += part[0][b] + part[1][b] + part[2][b] + part[3][b];
}
