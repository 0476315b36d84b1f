#include "pool.h"

namespace divblur {

namespace {
constexpr int64_t kParallelFrom = 1 << 15;  // input elements; below, a fork/join costs more than it saves

// Offset in x of the window's first maximum (x[...] > best, strictly, as tfjs's maxPoolPositions).
inline int64_t argmax_offset(const PoolGeometry& g, const float* x, int64_t b, int64_t r, int64_t col, int64_t ch) {
  int64_t best_at = -1;
  float best = 0.f;
  for (int64_t wr = 0; wr < g.kh; wr++) {
    const int64_t xr = r * g.sh + wr;
    for (int64_t wc = 0; wc < g.kw; wc++) {
      const int64_t at = ((b * g.ih + xr) * g.iw + col * g.sw + wc) * g.c + ch;
      if (best_at < 0 || x[at] > best) { best = x[at]; best_at = at; }
    }
  }
  return best_at;
}
}  // namespace

void max_pool_forward(const PoolGeometry& g, const float* x, float* y) {
#pragma omp parallel for collapse(2) if (g.n * g.ih * g.iw * g.c >= kParallelFrom)
  for (int64_t b = 0; b < g.n; b++)
    for (int64_t r = 0; r < g.oh; r++)
      for (int64_t col = 0; col < g.ow; col++) {
        float* out = y + ((b * g.oh + r) * g.ow + col) * g.c;
        for (int64_t ch = 0; ch < g.c; ch++) out[ch] = x[argmax_offset(g, x, b, r, col, ch)];
      }
}

void max_pool_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx) {
  // Windows may overlap when stride < kernel: rows of one image are visited by one thread only.
#pragma omp parallel for if (g.n * g.ih * g.iw * g.c >= kParallelFrom)
  for (int64_t b = 0; b < g.n; b++)
    for (int64_t r = 0; r < g.oh; r++)
      for (int64_t col = 0; col < g.ow; col++) {
        const float* grad = dy + ((b * g.oh + r) * g.ow + col) * g.c;
        for (int64_t ch = 0; ch < g.c; ch++) dx[argmax_offset(g, x, b, r, col, ch)] += grad[ch];
      }
}

}  // namespace divblur
