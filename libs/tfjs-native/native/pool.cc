#include "pool.h"

#include <vector>

namespace divblur {

namespace {
constexpr int64_t kParallelFrom = 1 << 15;  // input elements; below, a fork/join costs more than it saves

inline const float* window_at(const PoolGeometry& g, const float* x, int64_t b, int64_t r, int64_t col, int64_t wr, int64_t wc) {
  return x + ((b * g.ih + r * g.sh + wr) * g.iw + col * g.sw + wc) * g.c;
}
}  // namespace

// Channels innermost so that the comparisons vectorise; window positions in row-major order and a strict
// `>` keep tfjs's rule that the first maximum wins (NaN never replaces a value, as in tfjs).
void max_pool_forward(const PoolGeometry& g, const float* x, float* y) {
#pragma omp parallel for collapse(2) if (g.n * g.ih * g.iw * g.c >= kParallelFrom)
  for (int64_t b = 0; b < g.n; b++)
    for (int64_t r = 0; r < g.oh; r++)
      for (int64_t col = 0; col < g.ow; col++) {
        float* out = y + ((b * g.oh + r) * g.ow + col) * g.c;
        const float* first = window_at(g, x, b, r, col, 0, 0);
        for (int64_t ch = 0; ch < g.c; ch++) out[ch] = first[ch];
        for (int64_t wr = 0; wr < g.kh; wr++)
          for (int64_t wc = 0; wc < g.kw; wc++) {
            if (wr == 0 && wc == 0) continue;
            const float* v = window_at(g, x, b, r, col, wr, wc);
#pragma omp simd
            for (int64_t ch = 0; ch < g.c; ch++) out[ch] = v[ch] > out[ch] ? v[ch] : out[ch];
          }
      }
}

void max_pool_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx) {
  // Windows may overlap when stride < kernel: one image is handled by one thread only.
#pragma omp parallel if (g.n * g.ih * g.iw * g.c >= kParallelFrom)
  {
    std::vector<float> best(g.c);
    std::vector<int64_t> best_at(g.c);
#pragma omp for
    for (int64_t b = 0; b < g.n; b++)
      for (int64_t r = 0; r < g.oh; r++)
        for (int64_t col = 0; col < g.ow; col++) {
          const float* first = window_at(g, x, b, r, col, 0, 0);
          for (int64_t ch = 0; ch < g.c; ch++) { best[ch] = first[ch]; best_at[ch] = first - x + ch; }
          for (int64_t wr = 0; wr < g.kh; wr++)
            for (int64_t wc = 0; wc < g.kw; wc++) {
              if (wr == 0 && wc == 0) continue;
              const float* v = window_at(g, x, b, r, col, wr, wc);
              const int64_t base = v - x;
              for (int64_t ch = 0; ch < g.c; ch++) {
                const bool greater = v[ch] > best[ch];
                best[ch] = greater ? v[ch] : best[ch];
                best_at[ch] = greater ? base + ch : best_at[ch];
              }
            }
          const float* grad = dy + ((b * g.oh + r) * g.ow + col) * g.c;
          for (int64_t ch = 0; ch < g.c; ch++) dx[best_at[ch]] += grad[ch];
        }
  }
}

}  // namespace divblur
